//! Tables in files: streaming reading of Excel (.xlsx) and CSV into rows under a header row, and
//! writing Excel workbooks (lists, import templates, files of rejected rows).
//!
//! * [`TabularReader`] yields one [`Row`] at a time, so memory does not grow with the number of
//!   rows. For .xlsx the worksheet XML is read cell by cell (calamine's cell reader) on a worker
//!   thread that hands rows over a bounded channel; the shared-strings table of the workbook is
//!   held in memory as the format requires. For CSV the `csv` crate reads record by record.
//! * The type is detected from the first bytes (a ZIP signature means .xlsx), not from the name.
//! * CSV: UTF-8 with or without a byte-order mark; the delimiter (`,`, `;` or tab) is taken from
//!   the header line, as Excel writes `;` in locales where `,` is the decimal mark. Other
//!   encodings are refused with a message saying how to save the file as CSV UTF-8.
//! * Row numbers are those a spreadsheet shows: the header is row 1 (or the row where it was
//!   found), so that error messages point at the right line.
//! * Date cells of .xlsx come out as ISO `YYYY-MM-DD` (with `THH:MM:SS` when they carry a time).

use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::Duration;

mod write;
pub use write::{
    excel_cell, template_xlsx, write_xlsx, ColumnSpec, CsvWriter, TemplateColumn, XlsxWriter, EXCEL_CELL_CHARS,
};

/// The kinds of table file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabularFormat {
    Xlsx,
    Csv,
}

impl TabularFormat {
    pub fn label_vi(self) -> &'static str {
        match self {
            TabularFormat::Xlsx => "Excel (.xlsx)",
            TabularFormat::Csv => "CSV",
        }
    }
}

/// Why a table could not be read or written. Every message is a Vietnamese sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabularError {
    #[error("Không đọc được tệp: {0}.")]
    Io(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("Tệp Excel bị hỏng hoặc không đọc được: {0}.")]
    CorruptXlsx(String),
    #[error("Dòng {line} của tệp CSV: {message}")]
    Csv { line: u64, message: String },
    #[error("Tệp không có dòng tiêu đề cột (tệp trống).")]
    NoHeader,
    #[error("Không ghi được tệp Excel: {0}.")]
    Write(String),
}

/// One data row: its spreadsheet row number and its cells (at least as many as the header has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A table being read: the header row, then the data rows as an iterator.
pub struct TabularReader {
    pub format: TabularFormat,
    pub headers: Vec<String>,
    /// The spreadsheet row of the header.
    pub header_line: u64,
    inner: Inner,
    done: bool,
}

enum Inner {
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        record: csv::ByteRecord,
        line: u64,
        /// Double quotes read so far (a count that stays odd to the end means one was never
        /// closed).
        quotes: std::sync::Arc<std::sync::atomic::AtomicU64>,
        /// The line of the last record when one of its cells spans lines.
        multiline: Option<u64>,
    },
    Xlsx {
        rx: Receiver<Msg>,
    },
}

enum Msg {
    Row(Row),
    Err(TabularError),
    End,
}

/// Rows in flight between the worker thread and the reader.
const CHANNEL_ROWS: usize = 1024;
/// The most text one row may hold (an .xlsx row or a CSV record): with the channel's rows, a
/// bound on what a reader holds at once.
pub const MAX_ROW_BYTES: usize = 1 << 20;

impl TabularReader {
    /// Opens a file, detecting its type from its first bytes.
    pub fn open(path: &Path) -> Result<TabularReader, TabularError> {
        let file = std::fs::File::open(path).map_err(|e| TabularError::Io(format!("\"{}\": {e}", path.display())))?;
        let mut r = BufReader::with_capacity(1 << 16, file);
        let head = r.fill_buf().map_err(|e| TabularError::Io(e.to_string()))?.to_vec();
        match detect(&head)? {
            TabularFormat::Xlsx => Self::xlsx(r),
            TabularFormat::Csv => Self::csv(Box::new(r)),
        }
    }

    /// Reads a table held in memory (an uploaded file).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<TabularReader, TabularError> {
        match detect(&bytes)? {
            TabularFormat::Xlsx => Self::xlsx(Cursor::new(bytes)),
            TabularFormat::Csv => Self::csv(Box::new(Cursor::new(bytes))),
        }
    }

    fn csv(r: Box<dyn Read + Send>) -> Result<TabularReader, TabularError> {
        let mut r = BufReader::with_capacity(1 << 16, r);
        let head = r.fill_buf().map_err(|e| TabularError::Io(e.to_string()))?;
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        if bom {
            r.consume(3);
        }
        let head = r.fill_buf().map_err(|e| TabularError::Io(e.to_string()))?;
        let delimiter = sniff_delimiter(head);
        let quotes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let boxed: Box<dyn Read + Send> = Box::new(QuoteCounter {
            inner: r,
            quotes: quotes.clone(),
        });
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(boxed);
        let mut record = csv::ByteRecord::new();
        let mut line = 0u64;
        // The header is the first record with a non-blank cell.
        let headers = loop {
            line += 1;
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Err(TabularError::NoHeader),
                Ok(true) => {
                    let cells = utf8_cells(&record, line)?;
                    if cells.iter().any(|c| !c.trim().is_empty()) {
                        break cells;
                    }
                }
                Err(e) => return Err(csv_error(e, line)),
            }
        };
        Ok(TabularReader {
            format: TabularFormat::Csv,
            headers,
            header_line: line,
            inner: Inner::Csv {
                reader,
                record,
                line,
                quotes,
                multiline: None,
            },
            done: false,
        })
    }

    fn xlsx<RS: Read + Seek + Send + 'static>(rs: RS) -> Result<TabularReader, TabularError> {
        let (tx, rx) = sync_channel::<Msg>(CHANNEL_ROWS);
        std::thread::Builder::new()
            .name("doc-xlsx".into())
            .spawn(move || {
                let err_tx = tx.clone();
                // A panic inside the parser on a malformed file must not take the caller down:
                // it ends the worker, and the reader reports a corrupt file.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || xlsx_worker(rs, &tx)));
                if outcome.is_err() {
                    let _ = err_tx.send(Msg::Err(TabularError::CorruptXlsx("cấu trúc tệp không hợp lệ".into())));
                }
            })
            .map_err(|e| TabularError::Io(e.to_string()))?;
        let mut reader = TabularReader {
            format: TabularFormat::Xlsx,
            headers: vec![],
            header_line: 0,
            inner: Inner::Xlsx { rx },
            done: false,
        };
        match reader.next() {
            Some(Ok(h)) => {
                reader.headers = h.cells;
                reader.header_line = h.line;
                Ok(reader)
            }
            Some(Err(e)) => Err(e),
            None => Err(TabularError::NoHeader),
        }
    }
}

impl Iterator for TabularReader {
    type Item = Result<Row, TabularError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let width = self.headers.len();
        let out = match &mut self.inner {
            Inner::Csv {
                reader,
                record,
                line,
                quotes,
                multiline,
            } => loop {
                *line += 1;
                match reader.read_byte_record(record) {
                    Ok(false) => {
                        // csv reads an unclosed quote as one cell running to the end of the
                        // file: say so, rather than letting the later rows vanish.
                        let odd = !quotes.load(std::sync::atomic::Ordering::Relaxed).is_multiple_of(2);
                        break match (*multiline, odd) {
                            (Some(at), true) => Some(Err(TabularError::Csv {
                                line: at,
                                message: "một dấu ngoặc kép (\") mở ở dòng này không được đóng, nên mọi dòng sau nó \
                                          bị đọc thành một ô: hãy đóng hoặc xoá dấu ngoặc kép đó rồi nhập lại."
                                    .into(),
                            })),
                            _ => None,
                        };
                    }
                    Ok(true) => {
                        *multiline = record.iter().any(|f| f.contains(&b'\n')).then_some(*line);
                        match utf8_cells(record, *line) {
                            // Blank rows are skipped, as for .xlsx.
                            Ok(cells) if cells.iter().all(|c| c.trim().is_empty()) => continue,
                            Ok(mut cells) => {
                                if cells.len() < width {
                                    cells.resize(width, String::new());
                                }
                                break Some(Ok(Row { line: *line, cells }));
                            }
                            Err(e) => break Some(Err(e)),
                        }
                    }
                    Err(e) => break Some(Err(csv_error(e, *line))),
                }
            },
            Inner::Xlsx { rx } => loop {
                match rx.recv_timeout(Duration::from_secs(600)) {
                    Ok(Msg::Row(mut r)) => {
                        if r.cells.len() < width {
                            r.cells.resize(width, String::new());
                        }
                        break Some(Ok(r));
                    }
                    Ok(Msg::Err(e)) => break Some(Err(e)),
                    Ok(Msg::End) => break None,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => {
                        break Some(Err(TabularError::CorruptXlsx("đọc bị dừng giữa chừng".into())))
                    }
                }
            },
        };
        match &out {
            None | Some(Err(_)) => self.done = true,
            Some(Ok(_)) => {}
        }
        out
    }
}

/// The type of a table file from its first bytes.
pub fn detect(head: &[u8]) -> Result<TabularFormat, TabularError> {
    if head.starts_with(b"PK\x03\x04") {
        return Ok(TabularFormat::Xlsx);
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(TabularError::Unsupported(
            "Tệp Excel 97–2003 (.xls) chưa được hỗ trợ: hãy mở bằng Excel và lưu lại dạng .xlsx hoặc CSV UTF-8.".into(),
        ));
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(TabularError::Unsupported(
            "Tệp mã hóa UTF-16 (Unicode text của Excel): hãy lưu lại dạng \"CSV UTF-8 (Comma delimited)\" hoặc .xlsx."
                .into(),
        ));
    }
    if head.starts_with(b"%PDF") {
        return Err(TabularError::Unsupported(
            "Tệp PDF không phải bảng dữ liệu: hãy dùng tệp Excel (.xlsx) hoặc CSV.".into(),
        ));
    }
    if head.contains(&0) && !text_with_stray_nuls(head) {
        return Err(TabularError::Unsupported(
            "Tệp không phải Excel (.xlsx) hay CSV: hãy dùng tệp mẫu của phongthu.".into(),
        ));
    }
    Ok(TabularFormat::Csv)
}

/// Text with a few NUL bytes in it (a CSV whose cell holds a NUL, which the reader then names
/// with its line and column) rather than a binary file.
fn text_with_stray_nuls(head: &[u8]) -> bool {
    let nuls = head.iter().filter(|&&b| b == 0).count();
    if nuls > 16 || nuls * 20 > head.len() {
        return false;
    }
    let text: Vec<u8> = head.iter().copied().filter(|&b| b != 0).collect();
    match std::str::from_utf8(&text) {
        Ok(_) => true,
        // The sample may end inside a character.
        Err(e) => e.error_len().is_none(),
    }
}

/// The delimiter that occurs most in the first line, outside quotes (`,` by default).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], i == 0)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// Counts the double quotes that pass through, for the unclosed-quote check.
struct QuoteCounter<R> {
    inner: R,
    quotes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for QuoteCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let q = memchr::memchr_iter(b'"', &buf[..n]).count() as u64;
        self.quotes.fetch_add(q, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

fn utf8_cells(record: &csv::ByteRecord, line: u64) -> Result<Vec<String>, TabularError> {
    if record.as_slice().len() > MAX_ROW_BYTES {
        return Err(TabularError::Csv {
            line,
            message: format!(
                "dòng dài hơn {} MB, quá lớn cho một dòng dữ liệu (có thể một dấu ngoặc kép không được đóng).",
                MAX_ROW_BYTES >> 20
            ),
        });
    }
    if let Some(i) = record.iter().position(|f| f.contains(&0)) {
        return Err(TabularError::Csv {
            line,
            message: format!(
                "cột {} có ký tự NUL (mã 0), một ký tự điều khiển không phải chữ: hãy xoá ký tự đó (thường do \
                 tệp được ghi bởi chương trình khác) rồi nhập lại.",
                i + 1
            ),
        });
    }
    record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            String::from_utf8(f.to_vec()).map_err(|_| TabularError::Csv {
                line,
                message: format!(
                    "cột {} không phải chữ mã UTF-8 (có thể tệp được lưu bằng mã Windows/ANSI): hãy lưu lại dạng \"CSV UTF-8\".",
                    i + 1
                ),
            })
        })
        .collect()
}

fn csv_error(e: csv::Error, line: u64) -> TabularError {
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => format!("lỗi đọc tệp ({io})."),
        _ => format!("không đọc được dòng ({e})."),
    };
    TabularError::Csv { line, message }
}

// ---------------------------------------------------------------------------------------------
// .xlsx worker

fn xlsx_worker<RS: Read + Seek>(mut rs: RS, tx: &std::sync::mpsc::SyncSender<Msg>) {
    use calamine::Reader;
    let fail = |e: String| {
        let _ = tx.send(Msg::Err(TabularError::CorruptXlsx(e)));
    };
    // Bombs and missing parts are refused before calamine holds anything.
    if let Err(e) = crate::xlsx_guard::check(&mut rs, &crate::xlsx_guard::DEFAULT_LIMITS) {
        let _ = tx.send(Msg::Err(e));
        return;
    }
    let mut book: calamine::Xlsx<RS> = match calamine::Xlsx::new(rs) {
        Ok(b) => b,
        Err(e) => return fail(xlsx_error_vi(&e)),
    };
    let Some(first) = book.sheet_names().first().cloned() else {
        return fail("tệp không có trang tính nào".into());
    };
    let mut cells = match book.worksheet_cells_reader(&first) {
        Ok(c) => c,
        Err(e) => return fail(xlsx_error_vi(&e)),
    };
    let mut current: Option<(u32, Vec<String>)> = None;
    // The header is the first row with a non-blank cell; blank rows are not sent.
    let send = |row: u32, cells: Vec<String>| -> bool {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        tx.send(Msg::Row(Row {
            line: u64::from(row) + 1,
            cells,
        }))
        .is_ok()
    };
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                let value = cell_text(cell.get_value());
                if current.as_ref().is_some_and(|(cr, _)| *cr != r) {
                    let (cr, cv) = current.take().unwrap_or_default();
                    if !send(cr, cv) {
                        return;
                    }
                }
                let (_, row) = current.get_or_insert_with(|| (r, vec![]));
                let c = c as usize;
                if row.iter().map(String::len).sum::<usize>() + value.len() > MAX_ROW_BYTES {
                    return fail(format!(
                        "dòng {} dài hơn {} MB, quá lớn cho một dòng dữ liệu",
                        u64::from(r) + 1,
                        MAX_ROW_BYTES >> 20
                    ));
                }
                // Guard against absurd column indices in a malformed file.
                if c > 16_384 {
                    return fail(format!("ô ở cột {} vượt quá giới hạn của Excel", c + 1));
                }
                if row.len() <= c {
                    row.resize(c + 1, String::new());
                }
                row[c] = value;
            }
            Ok(None) => break,
            Err(e) => return fail(xlsx_error_vi(&e)),
        }
    }
    if let Some((r, v)) = current.take() {
        if !send(r, v) {
            return;
        }
    }
    let _ = tx.send(Msg::End);
}

/// calamine's errors are English; the user gets a Vietnamese sentence saying what to do.
fn xlsx_error_vi(e: &calamine::XlsxError) -> String {
    use calamine::XlsxError as X;
    match e {
        X::Password => "tệp có mật khẩu bảo vệ, hãy gỡ mật khẩu rồi thử lại".into(),
        X::Zip(_) | X::Io(_) => "tệp nén .xlsx bị hỏng hoặc bị cắt cụt, hãy lưu lại tệp bằng Excel".into(),
        X::FileNotFound(part) => format!(
            "tệp .xlsx thiếu phần \"{part}\" của sổ làm việc (có thể tệp bị hỏng hoặc do chương trình khác tạo), \
             hãy mở bằng Excel và lưu lại"
        ),
        X::Xml(_) | X::XmlAttr(_) | X::XmlEof(_) | X::Unexpected(_) | X::UnexpectedNode(_) => {
            "nội dung của tệp .xlsx không đúng cấu trúc của Excel (có thể tệp bị hỏng), hãy mở bằng Excel và lưu lại"
                .into()
        }
        _ => "cấu trúc tệp .xlsx không hợp lệ, hãy mở bằng Excel và lưu lại dạng .xlsx hoặc CSV UTF-8".into(),
    }
}

/// The text of a cell as the importer reads it.
fn cell_text(v: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        // Without calamine's `dates` feature a duration cell ([hh]:mm) cannot be told from a
        // date; a registry file has none, so every such cell is read as a date.
        DataRef::DateTime(d) => excel_serial_text(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

/// A number without a spurious ".0" (IDs and codes typed as numbers stay digit strings).
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An Excel date serial (1900 date system) as ISO text. Serial 60 is Excel's fictitious
/// 29/02/1900; workbooks in the 1904 date system (old Mac Excel) are not distinguished here
/// because calamine does not expose the flag on this path.
pub fn excel_serial_text(serial: f64) -> String {
    use time::{Date, Duration, Month};
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return number_text(serial);
    }
    let days = serial.floor() as i64;
    let base = Date::from_calendar_date(1899, Month::December, 30).expect("valid date");
    // Serials 1..=59 were counted by Excel as if 1900 were a leap year.
    let date = if days < 61 {
        base.checked_add(Duration::days(days + 1))
    } else {
        base.checked_add(Duration::days(days))
    };
    // Past 31/12/9999 (serial 2,958,465) there is no date: the number as written.
    let Some(date) = date else {
        return number_text(serial);
    };
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let d = format!("{:04}-{:02}-{:02}", date.year(), date.month() as u8, date.day());
    if secs == 0 || secs >= 86_400 {
        d
    } else {
        format!("{d}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    }
}

#[cfg(test)]
mod tests;
