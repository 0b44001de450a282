//! Writing an administrative document (văn bản hành chính) as a Word file (DOCX) or a PDF, laid out
//! after Decree 30/2020/NĐ-CP: the issuing body top left and the Quốc hiệu top right (a borderless
//! two-column table), the number and symbol under the issuer, the place and date line in italics
//! under the motto, the kind and title centred in bold, the body, then the recipients (Nơi nhận)
//! at the bottom left beside the signature block on the right.
//!
//! The package is written by hand with the zip crate: `[Content_Types].xml`, `_rels/.rels`,
//! `word/document.xml` (with `word/_rels/document.xml.rels`), `word/styles.xml`,
//! `word/settings.xml`, `word/header1.xml` (the page number from page 2 on), `docProps/core.xml`
//! and `docProps/app.xml`. The output depends only on the
//! document (no clock is read), so the same document always gives the same bytes.
//!
//! The PDF (`to_pdf`) is typeset with typst from the template `official.typ` (module `typeset`
//! holds the compiler's `World` and the fonts): the same page, margins, head, type sizes, page
//! numbers and repeated table headers. The document goes to the template as JSON data, never as
//! markup, so no user text can change the layout. It is set in Libertinus Serif, not Times New
//! Roman, which no free crate ships (see `typeset`). `batch_pdf` and `batch_docx` put several
//! documents in one file, each on new pages with its own page numbers.
//!
//! Wide tables (the yearly lists have a dozen columns) stay on a portrait A4 page in smaller type
//! (`table_type_size`: 13 pt up to 6 columns, 11 pt up to 9, 10 pt beyond) with narrower cell
//! margins, in both formats; there is no landscape option.
//!
//! Every text is normalised to Unicode NFC (text pasted from macOS or some web pages comes
//! decomposed, NFD), characters that XML 1.0 cannot carry (control characters other than tab and
//! line breaks, U+FFFE, U+FFFF) are dropped, and the rest is XML-escaped; a line break in a text
//! becomes a line break in Word and a tab a tab.
//!
//! Page and type: the law brief (§7) lists the mandatory elements and the number and date
//! syntax but not the page setup or the type sizes. The values below (A4; margins top 20 mm,
//! bottom 20 mm, left 30 mm, right 15 mm, each the low end of the ranges 20–25 / 20–25 / 30–35 /
//! 15–20 mm given in the task; Times New Roman, body 14 pt, Quốc hiệu 12 pt, motto 13 pt,
//! recipients 11–12 pt) follow Phụ lục I of the Decree as it is commonly applied. UNCONFIRMED
//! against the text of Phụ lục I, which the brief does not quote.

use std::fmt::Write as _;
use std::io::Write as _;
use time::Date;
use unicode_normalization::UnicodeNormalization;

/// The national name (Quốc hiệu), as printed by Decree 30/2020.
pub const NATIONAL_NAME: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
/// The motto (Tiêu ngữ).
pub const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

/// An administrative document to be written as DOCX or PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialDocument {
    /// The superior body (cơ quan chủ quản), printed above the issuer, e.g. "BỘ CHỈ HUY QUÂN SỰ
    /// TỈNH HƯNG YÊN". Printed in capitals.
    pub superior_body: Option<String>,
    /// The issuing body, e.g. "BAN CHỈ HUY QUÂN SỰ XÃ TÂN HƯNG". Printed in bold capitals.
    pub issuer: String,
    /// Number and symbol, e.g. "15/BC-BCH". `None` for a draft not yet numbered: the line then
    /// reads "Số:" followed by blank space for the clerk (a paper document is numbered after
    /// signature, law brief §7, Art. 15).
    pub number_symbol: Option<String>,
    /// Place name for the date line, e.g. "Hưng Yên".
    pub place: String,
    pub date: Date,
    /// The kind, e.g. "BÁO CÁO", "KẾ HOẠCH"; printed in bold capitals. Empty for a công văn,
    /// which has no kind name: the title is then printed as "V/v …" under the number.
    pub kind_label: String,
    /// The summary (trích yếu), e.g. "Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026".
    pub title: String,
    pub body: Vec<Block>,
    pub signer: Signer,
    /// Recipients, one per line; each is printed as "- …" and, when it does not already end in
    /// punctuation, ends with ";" (the last with ".").
    pub recipients: Vec<String>,
}

/// A part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A justified paragraph with a first-line indent.
    Paragraph(String),
    /// A bold heading (e.g. "I. KẾT QUẢ"), kept with the next paragraph.
    Heading(String),
    /// A table with borders, the header row repeated on every page. Rows shorter than the widest
    /// row are padded with empty cells. `widths_pct` gives the relative width of each column
    /// (one number per column; they are scaled to the text width, so they need not add up to
    /// 100); `None` gives equal columns.
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
        widths_pct: Option<Vec<u8>>,
    },
}

/// The signature block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The signing authority, e.g. "KT. CHỈ HUY TRƯỞNG", "TM. ỦY BAN NHÂN DÂN"; `None` when the
    /// head signs in person.
    pub authority: Option<String>,
    /// The signer's position, e.g. "PHÓ CHỈ HUY TRƯỞNG".
    pub title: String,
    /// Full name.
    pub name: String,
}

/// Why a document could not be written. Every message is a Vietnamese sentence.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("Bảng thứ {table} trong nội dung có {columns} cột nhưng tỉ lệ độ rộng lại cho {given} cột.")]
    TableWidthCount { table: usize, columns: usize, given: usize },
    #[error("Tỉ lệ độ rộng các cột của bảng thứ {table} trong nội dung đều bằng 0.")]
    TableWidthZero { table: usize },
    #[error("Không ghi được tệp Word (DOCX): {0}.")]
    Package(String),
    #[error("Không dựng được tệp PDF: {0}.")]
    Typeset(String),
    #[error("Không có văn bản nào để in.")]
    EmptyBatch,
}

/// The place and date line: "Hưng Yên, ngày 05 tháng 3 năm 2026".
///
/// Law brief §7 (Phụ lục I of Decree 30/2020): days below 10 and the months 1 and 2 take a
/// leading zero ("ngày 05 tháng 02 năm 2026"); months 3–12 do not. An empty place gives the date
/// alone ("ngày 05 tháng 3 năm 2026"). The place is normalised to NFC on one line.
pub fn vi_date_line(place: &str, date: Date) -> String {
    let month = u8::from(date.month());
    let month = if month < 3 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    let when = format!("ngày {:02} tháng {month} năm {}", date.day(), date.year());
    // A place name is one line: runs of white space (line breaks, tabs) become one space.
    let place = clean(place).split_whitespace().collect::<Vec<_>>().join(" ");
    if place.is_empty() {
        when
    } else {
        format!("{place}, {when}")
    }
}

/// NFC, without the characters XML 1.0 cannot carry; "\r\n" and "\r" become "\n".
fn clean(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .nfc()
        .filter(|&c| matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect()
}

/// `clean`, in capitals (for the issuer, the kind and the signing authority).
fn upper(s: &str) -> String {
    clean(&clean(s).to_uppercase())
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape(s, &mut out);
    out
}

// Lengths in twentieths of a point (twips): 1 mm = 56.7 twips.
const PAGE_WIDTH: u32 = 11906; // A4, 210 mm
const PAGE_HEIGHT: u32 = 16838; // 297 mm
const MARGIN_TOP: u32 = 1134; // 20 mm
const MARGIN_BOTTOM: u32 = 1134; // 20 mm
const MARGIN_LEFT: u32 = 1701; // 30 mm
const MARGIN_RIGHT: u32 = 851; // 15 mm
const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
/// The header columns: issuer | Quốc hiệu. The Quốc hiệu in 12 pt bold is about 89 mm wide.
const HEAD_LEFT: u32 = 3827;
const HEAD_RIGHT: u32 = TEXT_WIDTH - HEAD_LEFT;
/// The foot columns: recipients | signature.
const FOOT_LEFT: u32 = 4253;
const FOOT_RIGHT: u32 = TEXT_WIDTH - FOOT_LEFT;
/// First-line indent of body paragraphs, 1 cm (the Decree's range is 1–1.27 cm).
const FIRST_LINE: u32 = 567;

/// Body type size in points.
const BODY_PT: u8 = 14;

#[derive(Clone, Copy)]
struct Font {
    size: u8,
    bold: bool,
    italic: bool,
}

const fn font(size: u8) -> Font {
    Font {
        size,
        bold: false,
        italic: false,
    }
}

impl Font {
    const fn bold(self) -> Font {
        Font { bold: true, ..self }
    }
    const fn italic(self) -> Font {
        Font { italic: true, ..self }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Both,
}

#[derive(Clone, Copy)]
struct Para {
    align: Align,
    first_line: u32,
    before: u32,
    after: u32,
    keep_next: bool,
}

const fn para(align: Align) -> Para {
    Para {
        align,
        first_line: 0,
        before: 0,
        after: 0,
        keep_next: false,
    }
}

impl Para {
    const fn before(self, before: u32) -> Para {
        Para { before, ..self }
    }
    const fn after(self, after: u32) -> Para {
        Para { after, ..self }
    }
}

fn rpr(out: &mut String, f: Font) {
    out.push_str("<w:rPr>");
    if f.bold {
        out.push_str("<w:b/><w:bCs/>");
    }
    if f.italic {
        out.push_str("<w:i/><w:iCs/>");
    }
    let _ = write!(
        out,
        r#"<w:sz w:val="{0}"/><w:szCs w:val="{0}"/>"#,
        u32::from(f.size) * 2
    );
    out.push_str("</w:rPr>");
}

/// A paragraph of already cleaned text: "\n" is a line break, "\t" a tab.
fn paragraph(out: &mut String, text: &str, p: Para, f: Font) {
    out.push_str("<w:p><w:pPr>");
    if p.keep_next {
        out.push_str("<w:keepNext/>");
    }
    let _ = write!(
        out,
        r#"<w:spacing w:before="{}" w:after="{}" w:line="{}" w:lineRule="auto"/>"#,
        p.before,
        p.after,
        if p.align == Align::Both { 288 } else { 240 }
    );
    if p.first_line > 0 {
        let _ = write!(out, r#"<w:ind w:firstLine="{}"/>"#, p.first_line);
    }
    out.push_str(match p.align {
        Align::Left => r#"<w:jc w:val="left"/>"#,
        Align::Center => r#"<w:jc w:val="center"/>"#,
        Align::Both => r#"<w:jc w:val="both"/>"#,
    });
    rpr(out, f);
    out.push_str("</w:pPr>");
    if !text.is_empty() {
        out.push_str("<w:r>");
        rpr(out, f);
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<w:br/>");
            }
            for (j, piece) in line.split('\t').enumerate() {
                if j > 0 {
                    out.push_str("<w:tab/>");
                }
                if !piece.is_empty() {
                    out.push_str(r#"<w:t xml:space="preserve">"#);
                    escape(piece, out);
                    out.push_str("</w:t>");
                }
            }
        }
        out.push_str("</w:r>");
    }
    out.push_str("</w:p>");
}

/// A horizontal rule `length` twips long, centred in a space `width` twips wide: an empty 2 pt
/// paragraph with a top border, indented from both sides.
fn rule(out: &mut String, length: u32, width: u32) {
    let side = width.saturating_sub(length.min(width)) / 2;
    let _ = write!(
        out,
        r#"<w:p><w:pPr><w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="{side}" w:right="{side}"/><w:rPr><w:sz w:val="4"/><w:szCs w:val="4"/></w:rPr></w:pPr></w:p>"#
    );
}

/// A rough width of a line of Times New Roman in twips (capitals ~0.72 em, small letters and
/// digits ~0.5 em, spaces 0.25 em), for the length of the rules under the issuer and the title.
fn text_width(text: &str, size: u8) -> u32 {
    let widest = text
        .split('\n')
        .map(|line| {
            line.chars()
                .map(|c| match c {
                    ' ' => 250,
                    c if c.is_uppercase() => 720,
                    c if c.is_alphanumeric() => 500,
                    _ => 330,
                })
                .fold(0u32, u32::saturating_add)
        })
        .max()
        .unwrap_or(0);
    // per-mille of an em × points × 20 twips per point
    widest.saturating_mul(u32::from(size)) / 50
}

/// The rule under the issuer and under the title: 1/3 to 1/2 of the line above it (we take
/// 40 %), at least 15 mm.
fn short_rule(out: &mut String, text: &str, size: u8, width: u32) {
    rule(out, short_rule_length(text, size, width), width);
}

/// The length of a short rule in twips (see `short_rule`).
fn short_rule_length(text: &str, size: u8, width: u32) -> u32 {
    let line = text_width(text, size).min(width);
    (line * 2 / 5).max(850).min(width)
}

/// A table; `borders` is the cell margin of a bordered table, `None` for a borderless one.
fn table_start(out: &mut String, widths: &[u32], borders: Option<u32>) {
    let total: u32 = widths.iter().sum();
    let _ = write!(
        out,
        r#"<w:tbl><w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:jc w:val="center"/>"#
    );
    let v = if borders.is_some() {
        r#"w:val="single" w:sz="4" w:space="0" w:color="auto""#
    } else {
        r#"w:val="nil""#
    };
    out.push_str("<w:tblBorders>");
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        let _ = write!(out, "<w:{side} {v}/>");
    }
    out.push_str("</w:tblBorders><w:tblLayout w:type=\"fixed\"/>");
    let pad = borders.unwrap_or(0);
    let _ = write!(
        out,
        r#"<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="{pad}" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="{pad}" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#
    );
    for w in widths {
        let _ = write!(out, r#"<w:gridCol w:w="{w}"/>"#);
    }
    out.push_str("</w:tblGrid>");
}

fn cell_start(out: &mut String, width: u32) {
    let _ = write!(out, r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>"#);
}

/// Appends "- " and the closing punctuation to the recipients.
fn recipient_lines(recipients: &[String]) -> Vec<String> {
    let items: Vec<String> = recipients
        .iter()
        .map(|r| clean(r).trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let n = items.len();
    items
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut line = if r.starts_with('-') || r.starts_with('+') {
                r
            } else {
                format!("- {r}")
            };
            if !line.ends_with([';', '.', ',', ':', '!', '?']) {
                line.push(if i + 1 == n { '.' } else { ';' });
            }
            line
        })
        .collect()
}

impl OfficialDocument {
    /// The document as the bytes of a .docx file.
    pub fn to_docx(&self) -> Result<Vec<u8>, WriteError> {
        batch_docx(std::slice::from_ref(self))
    }

    /// The body of `word/document.xml` for this document, without the section properties.
    fn body_xml(&self, out: &mut String) -> Result<(), WriteError> {
        self.head(out);
        self.heading_of_kind(out);
        let mut tables = 0;
        for block in &self.body {
            match block {
                Block::Paragraph(text) => {
                    let p = Para {
                        first_line: FIRST_LINE,
                        ..para(Align::Both).after(120)
                    };
                    paragraph(out, &clean(text), p, font(BODY_PT));
                }
                Block::Heading(text) => {
                    let p = Para {
                        first_line: FIRST_LINE,
                        keep_next: true,
                        ..para(Align::Both).before(120).after(120)
                    };
                    paragraph(out, &clean(text), p, font(BODY_PT).bold());
                }
                Block::Table {
                    headers,
                    rows,
                    widths_pct,
                } => {
                    tables += 1;
                    body_table(out, tables, headers, rows, widths_pct.as_deref())?;
                }
            }
        }
        self.foot(out);
        Ok(())
    }

    /// The two-column head: superior body, issuer, rule, number (and "V/v" of a công văn) on the
    /// left; Quốc hiệu, motto, rule and the date line on the right.
    fn head(&self, out: &mut String) {
        let issuer = upper(&self.issuer);
        table_start(out, &[HEAD_LEFT, HEAD_RIGHT], None);
        // Row 1: the names and their rules.
        out.push_str("<w:tr>");
        cell_start(out, HEAD_LEFT);
        let centre = para(Align::Center);
        if let Some(superior) = &self.superior_body {
            paragraph(out, &upper(superior), centre, font(12));
        }
        paragraph(out, &issuer, centre, font(12).bold());
        short_rule(out, &issuer, 12, HEAD_LEFT);
        out.push_str("</w:tc>");
        cell_start(out, HEAD_RIGHT);
        paragraph(out, NATIONAL_NAME, centre, font(12).bold());
        paragraph(out, MOTTO, centre, font(13).bold());
        // The rule under the motto is as long as the motto.
        rule(out, text_width(MOTTO, 13), HEAD_RIGHT);
        out.push_str("</w:tc></w:tr>");
        // Row 2: number | place and date.
        out.push_str("<w:tr>");
        cell_start(out, HEAD_LEFT);
        let number = match &self.number_symbol {
            Some(n) => format!("Số: {}", clean(n).trim()),
            None => "Số:\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}".to_string(),
        };
        paragraph(out, &number, centre.before(120), font(13));
        if self.is_letter() {
            // A công văn has no kind name; its summary goes under the number, "V/v" (về việc)
            // first. (Convention of Phụ lục I; the brief only says công văn has no type
            // abbreviation.)
            let title = clean(&self.title);
            paragraph(out, &format!("V/v {}", title.trim()), centre.before(60), font(12));
        }
        out.push_str("</w:tc>");
        cell_start(out, HEAD_RIGHT);
        paragraph(
            out,
            &vi_date_line(&self.place, self.date),
            centre.before(120),
            font(BODY_PT).italic(),
        );
        out.push_str("</w:tc></w:tr></w:tbl>");
    }

    fn is_letter(&self) -> bool {
        clean(&self.kind_label).trim().is_empty()
    }

    /// The kind ("BÁO CÁO") and the title, centred in bold, with a short rule under the title.
    fn heading_of_kind(&self, out: &mut String) {
        if self.is_letter() {
            paragraph(out, "", para(Align::Center).after(120), font(BODY_PT));
            return;
        }
        let kind = upper(&self.kind_label);
        let title = clean(&self.title);
        let keep = |p: Para| Para { keep_next: true, ..p };
        paragraph(
            out,
            kind.trim(),
            keep(para(Align::Center).before(360)),
            font(BODY_PT).bold(),
        );
        paragraph(out, title.trim(), keep(para(Align::Center)), font(BODY_PT).bold());
        short_rule(out, title.trim(), BODY_PT, TEXT_WIDTH);
        paragraph(out, "", para(Align::Center).after(120), font(BODY_PT));
    }

    /// Recipients on the left, the signature block on the right.
    fn foot(&self, out: &mut String) {
        table_start(out, &[FOOT_LEFT, FOOT_RIGHT], None);
        out.push_str(r#"<w:tr><w:trPr><w:cantSplit/></w:trPr>"#);
        cell_start(out, FOOT_LEFT);
        let left = para(Align::Left);
        paragraph(out, "Nơi nhận:", left.before(240), font(12).bold().italic());
        for line in recipient_lines(&self.recipients) {
            paragraph(out, &line, left, font(11));
        }
        out.push_str("</w:tc>");
        cell_start(out, FOOT_RIGHT);
        let centre = para(Align::Center);
        let mut first = centre.before(240);
        if let Some(authority) = &self.signer.authority {
            paragraph(out, upper(authority).trim(), first, font(BODY_PT).bold());
            first = centre;
        }
        paragraph(out, upper(&self.signer.title).trim(), first, font(BODY_PT).bold());
        // Room for the signature and the seal.
        for _ in 0..4 {
            paragraph(out, "", centre, font(BODY_PT));
        }
        paragraph(out, clean(&self.signer.name).trim(), centre, font(BODY_PT).bold());
        out.push_str("</w:tc></w:tr></w:tbl>");
        // A document should not end with a table.
        paragraph(out, "", para(Align::Left), font(2));
    }

    /// The title of the document for metadata: "BÁO CÁO Kết quả …" on one line.
    fn meta_title(&self) -> String {
        let title = format!(
            "{} {}",
            upper(&self.kind_label).trim(),
            clean(&self.title).replace(['\n', '\t'], " ").trim()
        );
        title.trim().to_string()
    }

    /// The issuer for metadata, on one line.
    fn meta_author(&self) -> String {
        upper(&self.issuer).replace(['\n', '\t'], " ").trim().to_string()
    }
}

/// Twips to points, for the typst template.
fn pt(twips: u32) -> f64 {
    f64::from(twips) / 20.0
}

/// The typst template of the PDF (no user text in it; see the file's head).
const TEMPLATE: &str = include_str!("official.typ");

impl OfficialDocument {
    /// The document as the bytes of a PDF file, laid out like `to_docx` (A4, the same margins,
    /// head, type sizes, page number from page 2, table header repeated) and typeset with typst
    /// in Libertinus Serif (see `typeset`). The same document always gives the same bytes: the
    /// PDF's dates are the document's date and its identifier is derived from the document.
    pub fn to_pdf(&self) -> Result<Vec<u8>, WriteError> {
        batch_pdf(std::slice::from_ref(self))
    }

    /// The document as data for the template: every text cleaned (NFC, no control characters),
    /// every length in points.
    fn pdf_data(&self) -> Result<serde_json::Value, WriteError> {
        use serde_json::json;
        let issuer = upper(&self.issuer);
        let title = clean(&self.title);
        let number = match &self.number_symbol {
            Some(n) => format!("Số: {}", clean(n).trim()),
            None => "Số:\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}\u{a0}".to_string(),
        };
        let letter = self.is_letter();
        let mut body = Vec::with_capacity(self.body.len());
        let mut tables = 0;
        for block in &self.body {
            match block {
                Block::Paragraph(text) => body.push(json!({"kind": "paragraph", "text": clean(text)})),
                Block::Heading(text) => body.push(json!({"kind": "heading", "text": clean(text)})),
                Block::Table {
                    headers,
                    rows,
                    widths_pct,
                } => {
                    tables += 1;
                    let Some(widths) = table_widths(tables, headers, rows, widths_pct.as_deref())? else {
                        continue;
                    };
                    let columns = widths.len();
                    let cells = |r: &[String]| -> Vec<String> {
                        (0..columns)
                            .map(|i| r.get(i).map(|c| clean(c).trim().to_string()).unwrap_or_default())
                            .collect()
                    };
                    let headers = if headers.is_empty() { Vec::new() } else { cells(headers) };
                    let rows: Vec<Vec<String>> = rows.iter().map(|r| cells(r)).collect();
                    body.push(json!({
                        "kind": "table",
                        "widths": widths.iter().map(|&w| pt(w)).collect::<Vec<_>>(),
                        "size": table_type_size(columns),
                        "cell_margin": pt(table_cell_margin(columns)),
                        "headers": headers,
                        "rows": rows,
                    }));
                }
            }
        }
        Ok(json!({
            "head_left": pt(HEAD_LEFT),
            "foot_left": pt(FOOT_LEFT),
            "superior": self.superior_body.as_ref().map(|s| upper(s).trim().to_string()),
            "issuer": issuer.trim(),
            "issuer_rule": pt(short_rule_length(&issuer, 12, HEAD_LEFT)),
            "national_name": NATIONAL_NAME,
            "motto": MOTTO,
            "motto_rule": pt(text_width(MOTTO, 13).min(HEAD_RIGHT)),
            "number": number,
            "letter_title": letter.then(|| format!("V/v {}", title.trim())),
            "date_line": vi_date_line(&self.place, self.date),
            "kind": (!letter).then(|| upper(&self.kind_label).trim().to_string()),
            "title": title.trim(),
            "title_rule": pt(short_rule_length(title.trim(), BODY_PT, TEXT_WIDTH)),
            "body": body,
            "recipients": recipient_lines(&self.recipients),
            "authority": self.signer.authority.as_ref().map(|a| upper(a).trim().to_string()),
            "signer_title": upper(&self.signer.title).trim(),
            "signer_name": clean(&self.signer.name).trim(),
        }))
    }
}

/// Several documents in one PDF, each starting on a new page with its own page numbers (the
/// first page of each unnumbered, then 2, 3, …), e.g. a commune's call-up decisions printed in
/// one go. The PDF's title is that of a single document, or "Tập N văn bản"; its date is the
/// first document's.
pub fn batch_pdf(docs: &[OfficialDocument]) -> Result<Vec<u8>, WriteError> {
    let Some(first) = docs.first() else {
        return Err(WriteError::EmptyBatch);
    };
    let data = docs
        .iter()
        .map(OfficialDocument::pdf_data)
        .collect::<Result<Vec<_>, _>>()?;
    let (title, author) = batch_meta(docs);
    let meta = serde_json::json!({ "title": title, "author": author });
    // A stable identifier: the same documents give the same /ID, different ones (almost
    // surely) different ones.
    let ident = format!(
        "phongthu/{}/{}/{}/{}",
        docs.len(),
        first.date,
        first.number_symbol.as_deref().map(clean).unwrap_or_default(),
        title
    );
    crate::typeset::pdf(
        TEMPLATE,
        &[
            ("docs", serde_json::Value::Array(data).to_string()),
            ("meta", meta.to_string()),
        ],
        &crate::typeset::PdfMeta {
            ident,
            date: first.date,
        },
    )
    .map_err(WriteError::Typeset)
}

/// The title and author of a batch: those of its single document, or "Tập N văn bản" and the
/// issuers (each once, in order).
pub(crate) fn batch_meta(docs: &[OfficialDocument]) -> (String, String) {
    match docs {
        [one] => (one.meta_title(), one.meta_author()),
        _ => {
            let mut authors: Vec<String> = Vec::new();
            for d in docs {
                let a = d.meta_author();
                if !authors.contains(&a) {
                    authors.push(a);
                }
            }
            (format!("Tập {} văn bản", docs.len()), authors.join("; "))
        }
    }
}

fn core_xml(title: &str, creator: &str, date: Date) -> String {
    let created = if (1..=9999).contains(&date.year()) {
        format!(
            r#"<dcterms:created xsi:type="dcterms:W3CDTF">{:04}-{:02}-{:02}T00:00:00Z</dcterms:created>"#,
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    } else {
        String::new()
    };
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            "<dc:title>{}</dc:title><dc:creator>{}</dc:creator><dc:language>vi-VN</dc:language>{}</cp:coreProperties>"
        ),
        escaped(title),
        escaped(creator),
        created
    )
}

fn app_xml(company: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">"#,
            "<Application>phongthu</Application><Company>{}</Company></Properties>"
        ),
        escaped(company)
    )
}

/// The section properties of one document: A4, the margins, the page number header from the
/// second page on (`titlePg`), numbering restarting at 1 (so that in a batch every document
/// counts its own pages).
fn sect_pr() -> String {
    format!(
        r#"<w:sectPr><w:headerReference w:type="default" r:id="rId3"/><w:type w:val="nextPage"/><w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/><w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_RIGHT}" w:bottom="{MARGIN_BOTTOM}" w:left="{MARGIN_LEFT}" w:header="567" w:footer="567" w:gutter="0"/><w:pgNumType w:start="1"/><w:cols w:space="720"/><w:titlePg/></w:sectPr>"#
    )
}

/// Several documents in one Word file, each starting on a new page with its own page numbers
/// (one section per document), e.g. all of a commune's call-up decisions printed in one go. The
/// package metadata takes the title and date of a single document, or "Tập N văn bản" and the
/// first document's date for several.
pub fn batch_docx(docs: &[OfficialDocument]) -> Result<Vec<u8>, WriteError> {
    let Some(first) = docs.first() else {
        return Err(WriteError::EmptyBatch);
    };
    let mut document = String::with_capacity(16 * 1024 * docs.len());
    document.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        "\n",
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>"#
    ));
    for (i, doc) in docs.iter().enumerate() {
        doc.body_xml(&mut document)?;
        if i + 1 < docs.len() {
            // A section ends with the paragraph that carries its properties.
            let _ = write!(document, "<w:p><w:pPr>{}</w:pPr></w:p>", sect_pr());
        }
    }
    document.push_str(&sect_pr());
    document.push_str("</w:body></w:document>");
    let (title, author) = batch_meta(docs);
    let company = first.meta_author();
    let parts: [(&str, String); 9] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", ROOT_RELS.to_string()),
        ("word/document.xml", document),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", SETTINGS.to_string()),
        ("word/header1.xml", header_xml()),
        ("docProps/core.xml", core_xml(&title, &author, first.date)),
        ("docProps/app.xml", app_xml(&company)),
    ];
    let modified = zip::DateTime::from_date_and_time(
        u16::try_from(first.date.year()).unwrap_or(0),
        u8::from(first.date.month()),
        first.date.day(),
        0,
        0,
        0,
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(modified);
    let package = |e: &dyn std::fmt::Display| WriteError::Package(e.to_string());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in parts {
        zip.start_file(name, options).map_err(|e| package(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| package(&e))?;
    }
    Ok(zip.finish().map_err(|e| package(&e))?.into_inner())
}

/// The column widths of a body table in twips (they fill the text width), or `None` when the
/// table has no cell at all (nothing to show).
fn table_widths(
    number: usize,
    headers: &[String],
    rows: &[Vec<String>],
    widths_pct: Option<&[u8]>,
) -> Result<Option<Vec<u32>>, WriteError> {
    let columns = rows.iter().map(Vec::len).chain([headers.len()]).max().unwrap_or(0);
    if columns == 0 && widths_pct.is_none_or(<[u8]>::is_empty) {
        return Ok(None);
    }
    let widths: Vec<u32> = match widths_pct {
        Some(pct) if pct.len() != columns => {
            return Err(WriteError::TableWidthCount {
                table: number,
                columns,
                given: pct.len(),
            })
        }
        Some(pct) => {
            let sum: u32 = pct.iter().map(|&p| u32::from(p)).sum();
            if sum == 0 {
                return Err(WriteError::TableWidthZero { table: number });
            }
            let mut w: Vec<u32> = pct.iter().map(|&p| TEXT_WIDTH * u32::from(p) / sum).collect();
            let rest = TEXT_WIDTH - w.iter().sum::<u32>();
            if let Some(last) = w.last_mut() {
                *last += rest;
            }
            w
        }
        None => {
            let each = TEXT_WIDTH / columns as u32;
            let mut w = vec![each; columns];
            if let Some(last) = w.last_mut() {
                *last += TEXT_WIDTH - each * columns as u32;
            }
            w
        }
    };
    Ok(Some(widths))
}

/// The type size of a body table: 13 pt up to 6 columns; wide tables (the yearly lists have a
/// dozen columns) stay on a portrait A4 page in smaller type, 11 pt up to 9 columns and 10 pt
/// beyond, with narrower cell margins. (A choice of ours: the Decree's forms are portrait, and
/// the brief names no size for table text.)
pub fn table_type_size(columns: usize) -> u8 {
    match columns {
        0..=6 => 13,
        7..=9 => 11,
        _ => 10,
    }
}

/// The left and right cell margin of a body table in twips (1.5 mm, 1 mm for wide tables).
fn table_cell_margin(columns: usize) -> u32 {
    if columns > 6 {
        57
    } else {
        85
    }
}

/// A body table with borders; the header row (if any) bold, centred and repeated on each page.
fn body_table(
    out: &mut String,
    number: usize,
    headers: &[String],
    rows: &[Vec<String>],
    widths_pct: Option<&[u8]>,
) -> Result<(), WriteError> {
    let Some(widths) = table_widths(number, headers, rows, widths_pct)? else {
        return Ok(());
    };
    let size = table_type_size(widths.len());
    table_start(out, &widths, Some(table_cell_margin(widths.len())));
    let mut row = |cells: &[String], header: bool| {
        out.push_str("<w:tr>");
        if header {
            out.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        for (i, &w) in widths.iter().enumerate() {
            cell_start(out, w);
            let text = cells.get(i).map(|c| clean(c)).unwrap_or_default();
            let (p, f) = if header {
                (para(Align::Center).before(40).after(40), font(size).bold())
            } else {
                (para(Align::Left).before(40).after(40), font(size))
            };
            paragraph(out, text.trim(), p, f);
            out.push_str("</w:tc>");
        }
        out.push_str("</w:tr>");
    };
    if !headers.is_empty() {
        row(headers, true);
    }
    for r in rows {
        row(r, false);
    }
    out.push_str("</w:tbl>");
    // Space after the table; it also keeps two tables in a row from merging.
    paragraph(out, "", para(Align::Left).after(120), font(BODY_PT));
    Ok(())
}

fn styles_xml() -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#,
            r#"<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:eastAsia="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="{0}"/><w:szCs w:val="{0}"/><w:lang w:val="vi-VN" w:eastAsia="en-US" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>"#,
            r#"<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>"#,
            r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="{0}"/><w:szCs w:val="{0}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>"#,
            r#"<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:semiHidden/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#,
            "</w:styles>"
        ),
        u32::from(BODY_PT) * 2
    )
}

/// The page number, centred at the top from page 2 on (the first page has no header: `titlePg`
/// in the section). Decree 30/2020 Phụ lục I as commonly applied; the brief is silent on page
/// numbers (UNCONFIRMED).
fn header_xml() -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
            r#"<w:p><w:pPr><w:jc w:val="center"/><w:rPr><w:sz w:val="{0}"/><w:szCs w:val="{0}"/></w:rPr></w:pPr>"#,
            r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>"#,
            r#"<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>"#,
            "</w:p></w:hdr>"
        ),
        u32::from(BODY_PT) * 2
    )
}

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    r#"<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>"#,
    r#"<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>"#,
    r#"<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>"#,
    r#"<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>"#,
    r#"<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>"#,
    r#"<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>"#,
    "</Types>"
);

const ROOT_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>"#,
    r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>"#,
    r#"<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>"#,
    "</Relationships>"
);

const DOCUMENT_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#,
    r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>"#,
    r#"<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>"#,
    "</Relationships>"
);

const SETTINGS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    "\n",
    r#"<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">"#,
    r#"<w:zoom w:percent="100"/><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/>"#,
    r#"<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>"#,
    "</w:settings>"
);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn date_line_pads_days_below_ten_and_months_one_and_two() {
        assert_eq!(
            vi_date_line("Hưng Yên", date!(2026 - 11 - 29)),
            "Hưng Yên, ngày 29 tháng 11 năm 2026"
        );
        assert_eq!(
            vi_date_line("Hà Nội", date!(2026 - 03 - 05)),
            "Hà Nội, ngày 05 tháng 3 năm 2026"
        );
        assert_eq!(
            vi_date_line("Hà Nội", date!(2026 - 02 - 05)),
            "Hà Nội, ngày 05 tháng 02 năm 2026"
        );
        assert_eq!(
            vi_date_line("Hà Nội", date!(2026 - 01 - 10)),
            "Hà Nội, ngày 10 tháng 01 năm 2026"
        );
        assert_eq!(
            vi_date_line("Hà Nội", date!(2026 - 12 - 31)),
            "Hà Nội, ngày 31 tháng 12 năm 2026"
        );
        assert_eq!(vi_date_line("  ", date!(2026 - 10 - 01)), "ngày 01 tháng 10 năm 2026");
        assert_eq!(
            vi_date_line(" Hưng\n Yên\t", date!(2026 - 10 - 01)),
            "Hưng Yên, ngày 01 tháng 10 năm 2026"
        );
        // NFD place name comes out NFC.
        let nfd: String = "Hưng Yên".nfd().collect();
        assert_ne!(nfd, "Hưng Yên");
        assert_eq!(
            vi_date_line(&nfd, date!(2026 - 04 - 30)),
            "Hưng Yên, ngày 30 tháng 4 năm 2026"
        );
    }

    #[test]
    fn clean_drops_what_xml_cannot_carry() {
        assert_eq!(clean("a\u{0}b\u{1b}c\u{FFFE}d\r\ne\rf\tg"), "abcd\ne\nf\tg");
        let mut s = String::new();
        escape(r#"<a href="x">&'"#, &mut s);
        assert_eq!(s, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    }

    #[test]
    fn recipients_get_dashes_and_punctuation() {
        let r = recipient_lines(&[
            "Bộ CHQS tỉnh (để b/c)".into(),
            "  ".into(),
            "- UBND xã;".into(),
            "Lưu: VT, TM".into(),
        ]);
        assert_eq!(r, ["- Bộ CHQS tỉnh (để b/c);", "- UBND xã;", "- Lưu: VT, TM."]);
    }

    #[test]
    fn rules_fit_their_cell() {
        let mut s = String::new();
        rule(&mut s, 100_000, 3000);
        assert!(s.contains(r#"w:left="0" w:right="0""#));
        let mut s = String::new();
        rule(&mut s, 1000, 3000);
        assert!(s.contains(r#"w:left="1000" w:right="1000""#));
        // The motto at 13 pt is about 56 mm (3170 twips) in Times New Roman Bold.
        let motto = text_width(MOTTO, 13);
        assert!((2800..3600).contains(&motto), "{motto}");
        // Very long lines saturate instead of overflowing.
        assert_eq!(text_width(&"Ê".repeat(6_000_000), 14), u32::MAX / 50);
    }
}
