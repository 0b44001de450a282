//! Writing tables: Excel workbooks row by row in constant memory (lists, files of rejected
//! rows), CSV files, and import templates with a sheet of notes.

use super::TabularError;
use std::path::Path;

/// How a column is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnSpec<'a> {
    pub header: &'a str,
    /// Format the column as text ("@"), so that spreadsheet programs keep leading zeros of ID
    /// numbers and codes and do not turn dates into numbers.
    pub text: bool,
    /// Column width in characters (0: from the header).
    pub width: f64,
}

/// An .xlsx workbook written row by row: a bold, frozen header row, then the data.
///
/// The data sheet is written in rust_xlsxwriter's constant-memory mode: each row goes to a
/// temporary file once the next one starts, so a list of a million rows (an export, the rejected
/// rows of a hostile import) holds a row in memory, not the list; only the finished, compressed
/// file is returned as bytes.
pub struct XlsxWriter {
    book: rust_xlsxwriter::Workbook,
    next_row: u32,
}

fn werr(e: rust_xlsxwriter::XlsxError) -> TabularError {
    TabularError::Write(e.to_string())
}

/// Excel's limit on a worksheet name: 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if clean.trim().is_empty() {
        "Danh sách".into()
    } else {
        clean
    }
}

impl XlsxWriter {
    pub fn new(sheet: &str, columns: &[ColumnSpec<'_>]) -> Result<XlsxWriter, TabularError> {
        use rust_xlsxwriter::{Format, FormatBorder, Workbook};
        let mut book = Workbook::new();
        let ws = book.add_worksheet_with_constant_memory();
        ws.set_name(sheet_name(sheet)).map_err(werr)?;
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7));
        let text = Format::new().set_num_format("@");
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i).map_err(|_| TabularError::Write("quá nhiều cột".into()))?;
            let width = if c.width > 0.0 {
                c.width
            } else {
                (c.header.chars().count() as f64 + 4.0).clamp(10.0, 40.0)
            };
            ws.set_column_width(col, width).map_err(werr)?;
            if c.text {
                ws.set_column_format(col, &text).map_err(werr)?;
            }
            ws.write_string_with_format(0, col, excel_cell(c.header).as_ref(), &head)
                .map_err(werr)?;
        }
        ws.set_freeze_panes(1, 0).map_err(werr)?;
        Ok(XlsxWriter { book, next_row: 1 })
    }

    /// Appends one row of text cells (extra cells beyond the header are written too).
    pub fn push<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), TabularError> {
        if self.next_row >= 1_048_576 {
            return Err(TabularError::Write(
                "vượt quá 1.048.576 dòng, giới hạn của một trang tính Excel".into(),
            ));
        }
        let ws = self.book.worksheet_from_index(0).map_err(werr)?;
        for (i, v) in cells.iter().enumerate() {
            let v = v.as_ref();
            if v.is_empty() {
                continue;
            }
            let col = u16::try_from(i).map_err(|_| TabularError::Write("quá nhiều cột".into()))?;
            ws.write_string(self.next_row, col, excel_cell(v).as_ref())
                .map_err(werr)?;
        }
        self.next_row += 1;
        Ok(())
    }

    /// Rows written so far (header excluded).
    pub fn rows(&self) -> u32 {
        self.next_row - 1
    }

    /// Adds a second sheet of notes (two columns, first row bold).
    pub fn notes_sheet(&mut self, name: &str, rows: &[Vec<String>]) -> Result<(), TabularError> {
        use rust_xlsxwriter::Format;
        let bold = Format::new().set_bold();
        let ws = self.book.add_worksheet();
        ws.set_name(sheet_name(name)).map_err(werr)?;
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r).map_err(|_| TabularError::Write("quá nhiều dòng".into()))?;
            for (c, v) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| TabularError::Write("quá nhiều cột".into()))?;
                let v = excel_cell(v);
                if r == 0 {
                    ws.write_string_with_format(r, c, v.as_ref(), &bold).map_err(werr)?;
                } else {
                    ws.write_string(r, c, v.as_ref()).map_err(werr)?;
                }
            }
        }
        for c in 0..rows.first().map_or(0, |r| r.len()) {
            ws.set_column_width(c as u16, if c == 0 { 30.0 } else { 45.0 })
                .map_err(werr)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, TabularError> {
        self.book.save_to_buffer().map_err(werr)
    }

    pub fn save(mut self, path: &Path) -> Result<(), TabularError> {
        self.book.save(path).map_err(werr)
    }
}

/// The most characters an Excel cell holds.
pub const EXCEL_CELL_CHARS: usize = 32_767;

/// A cell's text as Excel can hold it: a longer text (a bad value copied into a file of rejected
/// rows) is cut, and the cell says so and how long the original was.
pub fn excel_cell(v: &str) -> std::borrow::Cow<'_, str> {
    if v.len() <= EXCEL_CELL_CHARS {
        return std::borrow::Cow::Borrowed(v);
    }
    let chars = v.chars().count();
    if chars <= EXCEL_CELL_CHARS {
        return std::borrow::Cow::Borrowed(v);
    }
    let note = format!(" … [đã cắt: ô gốc dài {chars} ký tự, quá giới hạn 32.767 ký tự của Excel]");
    let keep = EXCEL_CELL_CHARS - note.chars().count();
    let mut out: String = v.chars().take(keep).collect();
    out.push_str(&note);
    std::borrow::Cow::Owned(out)
}

/// A whole table as .xlsx bytes.
pub fn write_xlsx<I, R, S>(sheet: &str, columns: &[ColumnSpec<'_>], rows: I) -> Result<Vec<u8>, TabularError>
where
    I: IntoIterator<Item = R>,
    R: AsRef<[S]>,
    S: AsRef<str>,
{
    let mut w = XlsxWriter::new(sheet, columns)?;
    for r in rows {
        w.push(r.as_ref())?;
    }
    w.finish()
}

/// A CSV file written row by row, UTF-8 with a byte-order mark so that Excel shows Vietnamese
/// letters; memory stays flat.
pub struct CsvWriter {
    inner: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

impl CsvWriter {
    pub fn create<S: AsRef<str>>(path: &Path, headers: &[S]) -> Result<CsvWriter, TabularError> {
        use std::io::Write;
        let io = |e: std::io::Error| TabularError::Io(format!("\"{}\": {e}", path.display()));
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
        f.write_all(b"\xEF\xBB\xBF").map_err(io)?;
        let mut inner = csv::Writer::from_writer(f);
        inner
            .write_record(headers.iter().map(|h| h.as_ref()))
            .map_err(|e| TabularError::Io(e.to_string()))?;
        Ok(CsvWriter { inner })
    }

    pub fn push<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), TabularError> {
        self.inner
            .write_record(cells.iter().map(|c| c.as_ref()))
            .map_err(|e| TabularError::Io(e.to_string()))
    }

    pub fn finish(mut self) -> Result<(), TabularError> {
        self.inner.flush().map_err(|e| TabularError::Io(e.to_string()))
    }
}

/// One column of an import template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateColumn<'a> {
    pub header: &'a str,
    pub required: bool,
    pub example: &'a str,
    pub hint: &'a str,
    pub text: bool,
}

/// An import template: the first sheet has only the header row (so nothing but the user's rows
/// is imported); the second sheet explains each column with an example.
pub fn template_xlsx(sheet: &str, columns: &[TemplateColumn<'_>]) -> Result<Vec<u8>, TabularError> {
    let specs: Vec<ColumnSpec<'_>> = columns
        .iter()
        .map(|c| ColumnSpec {
            header: c.header,
            text: c.text,
            width: 0.0,
        })
        .collect();
    let mut w = XlsxWriter::new(sheet, &specs)?;
    let mut notes = vec![vec![
        "Cột".to_string(),
        "Bắt buộc".into(),
        "Ví dụ".into(),
        "Cách ghi".into(),
    ]];
    for c in columns {
        notes.push(vec![
            c.header.to_string(),
            if c.required { "Có".into() } else { String::new() },
            c.example.to_string(),
            c.hint.to_string(),
        ]);
    }
    w.notes_sheet("Hướng dẫn", &notes)?;
    w.finish()
}
