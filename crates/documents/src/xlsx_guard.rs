//! Limits on what an uploaded .xlsx may make the reader hold, checked before the workbook is
//! opened.
//!
//! An .xlsx is a ZIP of XML parts. The reader (calamine) keeps the whole shared-strings table and
//! the style table in memory, and builds each cell's text whole; only the worksheet's cells are
//! streamed. Deflate expands up to about a thousand times, so a workbook of a few hundred
//! kilobytes can declare millions of empty shared strings (a 262 KB file once took the server to
//! 1.23 GB). The sizes a ZIP declares cannot be trusted (its CRC is checked only at the end of an
//! entry), so [`check`] inflates the parts the reader will read, in a streaming pass that keeps
//! nothing, and refuses the file with a Vietnamese sentence when:
//!
//! * a part the reader needs is missing (`xl/workbook.xml`, `xl/_rels/workbook.xml.rels`);
//! * the shared-strings table expands past [`XlsxLimits::shared_strings_bytes`] or holds more than
//!   [`XlsxLimits::shared_strings`] entries;
//! * another part read whole (workbook, relationships, styles) expands past
//!   [`XlsxLimits::part_bytes`];
//! * the worksheets together expand past [`XlsxLimits::sheet_bytes`] (a bound on the time spent);
//! * a stretch of text or a tag between two `<` is longer than [`XlsxLimits::run_bytes`] (one
//!   cell of Excel holds at most 32,767 characters, at most about 200 KB of escaped UTF-8).
//!
//! The pass costs one inflation of those parts (about a second per 400 MB of XML on the
//! reference machine); the figures are in docs/PERFORMANCE.md.

use crate::tabular::TabularError;
use std::io::{Read, Seek, SeekFrom};

/// The caps of [`check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Expanded size of `xl/sharedStrings.xml`.
    pub shared_strings_bytes: u64,
    /// Entries (`<si>`) of the shared-strings table.
    pub shared_strings: u64,
    /// Expanded size of each other part read whole.
    pub part_bytes: u64,
    /// Expanded size of all worksheets together.
    pub sheet_bytes: u64,
    /// Longest stretch between two `<` in any part read.
    pub run_bytes: u64,
}

/// The limits used by every import: a table of 2,000,000 shared strings costs the reader about
/// 100 MB beside its text; the largest registry workbooks measured (1,000,000 rows written by
/// Excel or by phongthu) stay well inside them. Larger tables are imported as CSV.
pub const DEFAULT_LIMITS: XlsxLimits = XlsxLimits {
    shared_strings_bytes: 128 << 20,
    shared_strings: 2_000_000,
    part_bytes: 16 << 20,
    sheet_bytes: 4 << 30,
    run_bytes: 512 << 10,
};

/// Parts the reader cannot do without.
const REQUIRED: [&str; 2] = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    SharedStrings,
    Whole,
    Sheet,
}

fn kind(name: &str) -> Option<Kind> {
    let n = name.replace('\\', "/").to_ascii_lowercase();
    if n == "xl/sharedstrings.xml" {
        Some(Kind::SharedStrings)
    } else if n == "xl/workbook.xml" || n == "xl/_rels/workbook.xml.rels" || n == "xl/styles.xml" {
        Some(Kind::Whole)
    } else if n.starts_with("xl/worksheets/") && n.ends_with(".xml") && !n[14..].contains('/') {
        Some(Kind::Sheet)
    } else {
        None
    }
}

/// A count written the Vietnamese way (2.000.000).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn mib(n: u64) -> String {
    format!("{} MB", n >> 20)
}

/// Checks an .xlsx against `limits`, then rewinds `r` to its start.
pub fn check<R: Read + Seek>(r: &mut R, limits: &XlsxLimits) -> Result<(), TabularError> {
    let corrupt = |m: String| TabularError::CorruptXlsx(m);
    let mut zip = zip::ZipArchive::new(&mut *r).map_err(|_| {
        corrupt(
            "tệp nén .xlsx bị hỏng hoặc bị cắt cụt (không đọc được danh mục của tệp nén); hãy mở lại bằng Excel và lưu \
             dạng .xlsx, hoặc lưu dạng CSV UTF-8"
                .into(),
        )
    })?;
    let names: Vec<String> = zip.file_names().map(|n| n.replace('\\', "/")).collect();
    for part in REQUIRED {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(part)) {
            return Err(corrupt(format!(
                "tệp .xlsx thiếu phần \"{part}\" của sổ làm việc, nên không phải một tệp Excel đầy đủ (có thể tệp bị \
                 hỏng, bị cắt hoặc do chương trình khác tạo); hãy mở bằng Excel và lưu lại dạng .xlsx, hoặc lưu dạng \
                 CSV UTF-8"
            )));
        }
    }
    let mut sheets_total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|_| corrupt("một phần của tệp nén .xlsx không đọc được; hãy lưu lại tệp bằng Excel".into()))?;
        let name = entry.name().replace('\\', "/");
        let Some(k) = kind(&name) else { continue };
        let cap = match k {
            Kind::SharedStrings => limits.shared_strings_bytes,
            Kind::Whole => limits.part_bytes,
            Kind::Sheet => limits.sheet_bytes.saturating_sub(sheets_total),
        };
        let mut scan = Scan::default();
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => {
                    return Err(corrupt(format!(
                        "phần \"{name}\" của tệp nén .xlsx bị hỏng hoặc bị cắt cụt; hãy lưu lại tệp bằng Excel"
                    )))
                }
            };
            scan.feed(&buf[..n], k == Kind::SharedStrings);
            if scan.bytes > cap {
                return Err(too_big(k, &name, limits));
            }
            if scan.longest > limits.run_bytes {
                return Err(TabularError::Unsupported(format!(
                    "Tệp Excel có một ô hoặc một thẻ dài hơn {} KB trong phần \"{name}\" (một ô Excel chứa tối đa \
                     32.767 ký tự): tệp không đọc được. Hãy kiểm tra lại tệp, hoặc lưu dạng CSV UTF-8.",
                    limits.run_bytes >> 10
                )));
            }
            if k == Kind::SharedStrings && scan.entries > limits.shared_strings {
                return Err(TabularError::Unsupported(format!(
                    "Bảng chuỗi dùng chung của tệp Excel có hơn {} chuỗi, quá lớn để đọc an toàn: hãy chia tệp \
                     thành nhiều tệp nhỏ hơn, hoặc lưu dạng CSV UTF-8.",
                    thousands(limits.shared_strings)
                )));
            }
        }
        if k == Kind::Sheet {
            sheets_total += scan.bytes;
        }
    }
    drop(zip);
    r.seek(SeekFrom::Start(0))
        .map_err(|e| TabularError::Io(e.to_string()))?;
    Ok(())
}

fn too_big(k: Kind, name: &str, limits: &XlsxLimits) -> TabularError {
    TabularError::Unsupported(match k {
        Kind::SharedStrings => format!(
            "Bảng chuỗi dùng chung của tệp Excel khi giải nén lớn hơn {}, quá lớn để đọc an toàn: hãy chia tệp \
             thành nhiều tệp nhỏ hơn, hoặc lưu dạng CSV UTF-8.",
            mib(limits.shared_strings_bytes)
        ),
        Kind::Whole => format!(
            "Phần \"{name}\" của tệp Excel khi giải nén lớn hơn {}: đây không phải một bảng dữ liệu bình thường. \
             Hãy mở bằng Excel và lưu lại, hoặc lưu dạng CSV UTF-8.",
            mib(limits.part_bytes)
        ),
        Kind::Sheet => format!(
            "Các trang tính của tệp Excel khi giải nén lớn hơn {}: hãy chia tệp thành nhiều tệp nhỏ hơn, hoặc lưu \
             dạng CSV UTF-8.",
            mib(limits.sheet_bytes)
        ),
    })
}

/// What a streaming pass over one part has seen.
#[derive(Default)]
struct Scan {
    bytes: u64,
    /// Bytes since the last `<`.
    run: u64,
    longest: u64,
    /// `<si>` or `<si ...>` (any namespace prefix) seen.
    entries: u64,
    /// The start of a tag name cut at the end of the previous chunk.
    pending: Option<Vec<u8>>,
}

fn ends_name(b: &u8) -> bool {
    matches!(b, b'>' | b' ' | b'/' | b'\t' | b'\r' | b'\n' | b'<')
}

fn local_is_si(name: &[u8]) -> bool {
    let local = match memchr::memrchr(b':', name) {
        Some(p) => &name[p + 1..],
        None => name,
    };
    local == b"si"
}

impl Scan {
    fn feed(&mut self, chunk: &[u8], count_si: bool) {
        self.bytes += chunk.len() as u64;
        let mut last = None;
        for at in memchr::memchr_iter(b'<', chunk) {
            let gap = match last {
                Some(l) => (at - l) as u64,
                None => self.run + at as u64,
            };
            self.longest = self.longest.max(gap);
            last = Some(at);
        }
        self.run = match last {
            Some(l) => (chunk.len() - l) as u64,
            None => self.run + chunk.len() as u64,
        };
        self.longest = self.longest.max(self.run);
        if count_si {
            self.count_si(chunk);
        }
    }

    fn count_si(&mut self, chunk: &[u8]) {
        let mut from = 0;
        if let Some(mut name) = self.pending.take() {
            match chunk.iter().position(ends_name) {
                Some(end) => {
                    name.extend_from_slice(&chunk[..end]);
                    self.entries += u64::from(local_is_si(&name));
                    from = end;
                }
                None => {
                    name.extend_from_slice(chunk);
                    // A name longer than any tag of the format cannot be `si`.
                    if name.len() <= 64 {
                        self.pending = Some(name);
                    }
                    return;
                }
            }
        }
        for at in memchr::memchr_iter(b'<', &chunk[from..]) {
            let start = from + at + 1;
            match chunk[start..].iter().position(ends_name) {
                Some(end) => self.entries += u64::from(local_is_si(&chunk[start..start + end])),
                None if chunk.len() - start <= 64 => self.pending = Some(chunk[start..].to_vec()),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            w.start_file(*name, opts).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn scan_count(text: &[u8], chunk: usize) -> (u64, u64) {
        let mut s = Scan::default();
        for c in text.chunks(chunk) {
            s.feed(c, true);
        }
        (s.entries, s.longest)
    }

    #[test]
    fn counts_entries_across_chunk_boundaries() {
        let text = b"<sst><si><t>a</t></si><x:si attr=\"1\"><t>b</t></x:si><si/><sis>no</sis></sst>";
        for chunk in 1..text.len() {
            assert_eq!(scan_count(text, chunk).0, 3, "chunk {chunk}");
        }
    }

    #[test]
    fn longest_run_between_tags() {
        let mut text = b"<c><v>".to_vec();
        text.extend(std::iter::repeat_n(b'x', 1000));
        text.extend(b"</v></c>");
        for chunk in [1, 7, 64, 5000] {
            let (_, longest) = scan_count(&text, chunk);
            assert!((1000..=1003).contains(&longest), "{chunk}: {longest}");
        }
    }

    #[test]
    fn missing_workbook_parts_are_named_in_vietnamese() {
        let bytes = zip_of(&[("xl/workbook.xml", b"<workbook/>")]);
        let e = check(&mut Cursor::new(bytes), &DEFAULT_LIMITS).unwrap_err().to_string();
        assert!(e.contains("thiếu phần \"xl/_rels/workbook.xml.rels\""), "{e}");
        assert!(!e.contains("File not found"), "{e}");
    }

    #[test]
    fn a_shared_strings_bomb_is_refused_before_it_is_read() {
        let mut sst = b"<sst>".to_vec();
        for _ in 0..3_000 {
            sst.extend_from_slice(b"<si><t/></si>");
        }
        sst.extend_from_slice(b"</sst>");
        let bytes = zip_of(&[
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/_rels/workbook.xml.rels", b"<Relationships/>"),
            ("xl/sharedStrings.xml", &sst),
        ]);
        let tight = XlsxLimits {
            shared_strings: 2_000,
            ..DEFAULT_LIMITS
        };
        let e = check(&mut Cursor::new(bytes.clone()), &tight).unwrap_err().to_string();
        assert!(e.contains("hơn 2.000 chuỗi"), "{e}");
        let small = XlsxLimits {
            shared_strings_bytes: 10_000,
            ..DEFAULT_LIMITS
        };
        let e = check(&mut Cursor::new(bytes.clone()), &small).unwrap_err().to_string();
        assert!(e.contains("Bảng chuỗi dùng chung"), "{e}");
        let mut c = Cursor::new(bytes);
        check(&mut c, &DEFAULT_LIMITS).unwrap();
        assert_eq!(c.position(), 0, "rewound for the reader");
    }

    #[test]
    fn a_huge_cell_is_refused() {
        let mut sheet = b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>".to_vec();
        sheet.extend(std::iter::repeat_n(b'A', 600 << 10));
        sheet.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
        let bytes = zip_of(&[
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/_rels/workbook.xml.rels", b"<Relationships/>"),
            ("xl/worksheets/sheet1.xml", &sheet),
        ]);
        let e = check(&mut Cursor::new(bytes), &DEFAULT_LIMITS).unwrap_err().to_string();
        assert!(e.contains("32.767 ký tự"), "{e}");
    }
}
