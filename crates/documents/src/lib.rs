//! Reading incoming documents into plain text: UTF-8 text, DOCX, PDF with a text layer, and
//! scanned pages (PDF or images) through OCR.
//!
//! [`read_document`] detects the type by its first bytes (not by the file extension), extracts the
//! text and reports progress in Vietnamese. PDF and OCR use the external programs `pdftotext` and
//! `pdftoppm` (package poppler-utils) and `tesseract` with Vietnamese data (packages tesseract-ocr,
//! tesseract-ocr-vie); when one is missing the error says which package to install.
//!
//! The text is then given to [`phongthu_domain::directive::parse`].

mod docx;
pub mod hostile;
pub mod official;
mod pdf;
pub mod pdf_batch;
pub mod tabular;
mod tool;
mod typeset;

pub use pdf::tool_available;
pub use phongthu_domain::directive::legacy::LegacyEncoding;
pub use tool::Stop;

use phongthu_domain::directive::legacy;
use std::fmt;
use std::path::{Path, PathBuf};

/// True when tesseract can be started and has its Vietnamese data (`vie`).
pub fn vietnamese_ocr_available() -> bool {
    std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .is_ok_and(|o| {
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            all.lines().any(|l| l.trim() == "vie")
        })
}

/// Where the text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A plain-text file (UTF-8).
    Text,
    /// A Word document (DOCX).
    Docx,
    /// The text layer of a PDF.
    PdfText,
    /// Optical character recognition of scanned pages (some or all pages).
    Ocr,
}

impl SourceKind {
    pub fn label_vi(self) -> &'static str {
        match self {
            SourceKind::Text => "tệp văn bản",
            SourceKind::Docx => "tệp Word (DOCX)",
            SourceKind::PdfText => "lớp chữ của tệp PDF",
            SourceKind::Ocr => "nhận dạng chữ từ ảnh quét (OCR)",
        }
    }
}

/// The text of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    pub source: SourceKind,
    /// Number of pages (1 for a text file).
    pub pages: usize,
    /// The legacy encoding (TCVN3, VNI) the text was converted from, if any part of it was.
    pub legacy: Option<LegacyEncoding>,
}

/// The type of a file, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Text,
    /// UTF-16 text with a byte-order mark (little or big endian).
    Utf16 {
        little_endian: bool,
    },
    Zip,
    Pdf,
    Image(ImageType),
    /// Word 97–2003 (.doc) and other OLE compound files.
    LegacyOffice,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
    Tiff,
    Bmp,
    Gif,
    Webp,
}

/// Detects the type of a file from its content.
pub fn detect(bytes: &[u8]) -> FileType {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if starts(b"\xEF\xBB\xBF") {
        return FileType::Text;
    }
    if starts(b"\xFF\xFE") {
        return FileType::Utf16 { little_endian: true };
    }
    if starts(b"\xFE\xFF") {
        return FileType::Utf16 { little_endian: false };
    }
    // The PDF header may follow some junk within the first 1024 bytes.
    if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        return FileType::Pdf;
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        return FileType::Zip;
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return FileType::Image(ImageType::Png);
    }
    if starts(b"\xFF\xD8\xFF") {
        return FileType::Image(ImageType::Jpeg);
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return FileType::Image(ImageType::Tiff);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return FileType::Image(ImageType::Gif);
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return FileType::Image(ImageType::Webp);
    }
    if starts(b"BM") && bytes.len() > 26 && bytes[6..10] == [0, 0, 0, 0] {
        return FileType::Image(ImageType::Bmp);
    }
    if starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return FileType::LegacyOffice;
    }
    // Text has no NUL bytes and few control characters.
    let sample = &bytes[..bytes.len().min(8192)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    if sample.contains(&0) || controls * 20 > sample.len().max(1) {
        return FileType::Binary;
    }
    FileType::Text
}

/// A step of the reading, for progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The file type was recognised.
    Detected(&'static str),
    /// Extracting the text layer of a PDF.
    ExtractingText,
    /// Turning page `page` of `pages` into an image for OCR.
    Rasterising { page: usize, pages: usize },
    /// Recognising the characters of page `page` of `pages`.
    Recognising { page: usize, pages: usize },
    /// Text typed in a legacy encoding was converted to Unicode.
    Converted(LegacyEncoding),
    /// Finished.
    Done { pages: usize, source: SourceKind },
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Detected(what) => write!(f, "Đã nhận ra loại tệp: {what}"),
            Progress::ExtractingText => write!(f, "Đang lấy chữ từ lớp văn bản của tệp PDF"),
            Progress::Rasterising { page, pages } => {
                write!(f, "Đang chuyển trang {page}/{pages} thành ảnh")
            }
            Progress::Recognising { page, pages } => {
                write!(f, "Đang nhận dạng trang {page}/{pages}")
            }
            Progress::Converted(encoding) => {
                write!(f, "Đã chuyển chữ từ {} sang Unicode", encoding.label_vi())
            }
            Progress::Done { pages, source } => {
                write!(f, "Đã đọc xong {pages} trang ({})", source.label_vi())
            }
        }
    }
}

/// Why a document could not be read. Every message is a Vietnamese sentence.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("Không mở được tệp {}: {source}.", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("Tệp rỗng, không có nội dung để đọc.")]
    Empty,
    #[error("Tệp văn bản không phải UTF-8 hợp lệ (byte lỗi ở vị trí {offset}) và cũng không nhận ra bảng mã TCVN3, VNI hay Windows-1258; hãy lưu lại tệp với bảng mã UTF-8 (Unicode) rồi thử lại.")]
    InvalidUtf8 { offset: usize },
    #[error("Tệp Word cũ (.doc) chưa được hỗ trợ; hãy mở bằng Word và lưu lại dưới dạng .docx.")]
    LegacyOffice,
    #[error("Tệp không phải văn bản, DOCX, PDF hay ảnh quét nên không đọc được.")]
    Unsupported,
    #[error("Tệp DOCX bị hỏng hoặc không đúng định dạng: {0}.")]
    MalformedDocx(String),
    #[error("Không tìm thấy chương trình {tool} để {purpose}; hãy cài gói {package} (apt-get install {package}).")]
    ToolMissing {
        tool: &'static str,
        package: &'static str,
        purpose: &'static str,
    },
    #[error("Chương trình {tool} báo lỗi khi đọc tệp: {detail}.")]
    ToolFailed { tool: &'static str, detail: String },
    #[error("Không tìm thấy chữ nào trong tệp, kể cả sau khi nhận dạng ảnh.")]
    NoText,
    #[error("Tệp PDF có {pages} trang cần nhận dạng chữ (ảnh quét), quá giới hạn {limit} trang của một lần tải lên; hãy tách tệp thành các phần nhỏ hơn.")]
    TooManyPages { pages: usize, limit: usize },
    #[error("Trang {page} của tệp PDF khổ {width} × {height} điểm, lớn hơn khổ A2 ({limit} điểm mỗi chiều) nên không nhận dạng chữ được; hãy quét lại ở khổ A4.")]
    PageTooLarge {
        page: usize,
        width: u32,
        height: u32,
        limit: u32,
    },
    #[error("Ảnh {width} × {height} điểm ảnh, quá giới hạn {limit} điểm ảnh mỗi chiều để nhận dạng chữ; hãy quét lại ở 300 dpi khổ A4.")]
    ImageTooLarge { width: usize, height: usize, limit: usize },
    #[error("Đọc tệp quá thời gian cho phép của một lần tải lên; hãy tách tệp thành các phần nhỏ hơn.")]
    TimedOut,
    #[error("Việc đọc tệp đã bị hủy.")]
    Cancelled,
}

/// Bounds on reading one upload: scanned pages are what costs (seconds of OCR and hundreds of
/// megabytes each), so their number, their size in points and in pixels are capped, and the
/// whole reading stops at a deadline or when asked.
#[derive(Clone)]
pub struct ReadLimits {
    /// Pages that need OCR in one PDF.
    pub max_ocr_pages: usize,
    /// Width and height of a page to OCR, in PostScript points (A2 is 1191 × 1684).
    pub max_page_points: u32,
    /// Longest side of a rendered page or of an image given to OCR, in pixels (A3 at 300 dpi).
    pub max_pixels: u32,
    /// The deadline and the cancel test of the whole reading.
    pub stop: Stop,
}

/// The default total time of one reading.
pub const READ_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_ocr_pages: 20,
            max_page_points: 1684,
            max_pixels: 4961,
            stop: Stop::after(READ_TIME_LIMIT),
        }
    }
}

/// Reads the text of a document (UTF-8 text, DOCX, PDF, scanned PDF or image) within the
/// default [`ReadLimits`].
pub fn read_document(path: &Path, progress: &mut dyn FnMut(Progress)) -> Result<Extracted, ReadError> {
    read_document_within(path, &ReadLimits::default(), progress)
}

/// Reads the text of a document within `limits`: a PDF with too many scanned pages or a page
/// too large is refused before any OCR, and every external program is killed when the deadline
/// passes or the reading is cancelled.
pub fn read_document_within(
    path: &Path,
    limits: &ReadLimits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Extracted, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty);
    }
    let out = match detect(&bytes) {
        FileType::Text => {
            progress(Progress::Detected("tệp văn bản"));
            let (text, legacy) = decode_text(&bytes)?;
            Extracted {
                text,
                source: SourceKind::Text,
                pages: 1,
                legacy,
            }
        }
        FileType::Utf16 { little_endian } => {
            progress(Progress::Detected("tệp văn bản UTF-16"));
            Extracted {
                text: decode_utf16(&bytes[2..], little_endian)?,
                source: SourceKind::Text,
                pages: 1,
                legacy: None,
            }
        }
        FileType::Zip => {
            progress(Progress::Detected("tệp Word (DOCX)"));
            let (text, pages, legacy) = docx::read_docx(&bytes)?;
            Extracted {
                text,
                source: SourceKind::Docx,
                pages,
                legacy,
            }
        }
        FileType::Pdf => {
            progress(Progress::Detected("tệp PDF"));
            pdf::read_pdf(path, limits, progress)?
        }
        FileType::Image(_) => {
            progress(Progress::Detected("ảnh quét"));
            pdf::check_image(&bytes, limits)?;
            progress(Progress::Recognising { page: 1, pages: 1 });
            let text = pdf::ocr_image(path, &limits.stop)?;
            let pages = text.matches('\u{c}').count().max(1);
            Extracted {
                text: text.replace('\u{c}', "\n\n"),
                source: SourceKind::Ocr,
                pages,
                legacy: None,
            }
        }
        FileType::LegacyOffice => return Err(ReadError::LegacyOffice),
        FileType::Binary => return Err(ReadError::Unsupported),
    };
    let mut out = out;
    // Mojibake of a legacy encoding in any source (a PDF made with .VnTime fonts, a converted
    // text file, DOCX runs whose font name was lost).
    if let Some((encoding, text)) = legacy::to_unicode_detected(&out.text) {
        out.text = text;
        out.legacy = out.legacy.or(Some(encoding));
    }
    if let Some(encoding) = out.legacy {
        progress(Progress::Converted(encoding));
    }
    if out.text.trim().is_empty() {
        return Err(match out.source {
            SourceKind::Text | SourceKind::Docx => ReadError::Empty,
            _ => ReadError::NoText,
        });
    }
    progress(Progress::Done {
        pages: out.pages,
        source: out.source,
    });
    Ok(out)
}

/// UTF-8 text; or, when the bytes are not UTF-8, Vietnamese typed in TCVN3, VNI or Windows-1258
/// converted to Unicode.
fn decode_text(bytes: &[u8]) -> Result<(String, Option<LegacyEncoding>), ReadError> {
    match decode_utf8(bytes) {
        Ok(s) => Ok((s, None)),
        Err(e) => match legacy::decode_bytes(bytes) {
            Some((encoding, text)) => Ok((text, Some(encoding))),
            None => Err(e),
        },
    }
}

fn decode_utf8(bytes: &[u8]) -> Result<String, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(ReadError::InvalidUtf8 {
            offset: e.valid_up_to(),
        }),
    }
}

fn decode_utf16(bytes: &[u8], little_endian: bool) -> Result<String, ReadError> {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if little_endian {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        })
        .collect();
    String::from_utf16(&units).map_err(|_| ReadError::InvalidUtf8 { offset: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic_bytes() {
        assert_eq!(detect(b"%PDF-1.4\n"), FileType::Pdf);
        assert_eq!(detect(b"PK\x03\x04rest"), FileType::Zip);
        assert_eq!(detect(b"\x89PNG\r\n\x1a\nxx"), FileType::Image(ImageType::Png));
        assert_eq!(detect(b"\xFF\xD8\xFF\xE0"), FileType::Image(ImageType::Jpeg));
        assert_eq!(detect(b"II*\0...."), FileType::Image(ImageType::Tiff));
        assert_eq!(detect(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), FileType::LegacyOffice);
        assert_eq!(detect("Hà Nội".as_bytes()), FileType::Text);
        assert_eq!(detect(b"\xEF\xBB\xBFabc"), FileType::Text);
        assert_eq!(detect(b"\xFF\xFEa\0"), FileType::Utf16 { little_endian: true });
        assert_eq!(detect(b"a\0b\0c\0"), FileType::Binary);
    }

    #[test]
    fn progress_and_errors_are_vietnamese_sentences() {
        assert_eq!(
            Progress::Recognising { page: 2, pages: 5 }.to_string(),
            "Đang nhận dạng trang 2/5"
        );
        let e = ReadError::ToolMissing {
            tool: "tesseract",
            package: "tesseract-ocr-vie",
            purpose: "nhận dạng chữ tiếng Việt",
        };
        assert!(e.to_string().starts_with("Không tìm thấy chương trình tesseract"));
        assert!(e.to_string().ends_with('.'));
        assert!(ReadError::Empty.to_string().ends_with('.'));
    }

    #[test]
    fn utf16_with_bom() {
        let s: Vec<u8> = "Số".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_utf16(&s, true).unwrap(), "Số");
    }
}
