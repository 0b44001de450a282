//! DOCX: the text of `word/document.xml`. Paragraphs become lines; a table row becomes lines whose
//! cells are separated by tabs, the n-th paragraph of every cell on the n-th line, so that the
//! two-column head (issuer | Quốc hiệu) and signature tables read like `pdftotext -layout` output.

use crate::ReadError;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::{Cursor, Read};

/// Refuse to inflate more than this (a zip bomb is not a directive).
const MAX_XML: u64 = 64 * 1024 * 1024;

fn malformed(msg: impl Into<String>) -> ReadError {
    ReadError::MalformedDocx(msg.into())
}

fn read_entry(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, ReadError> {
    let entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(malformed(format!("không đọc được {name} ({e})"))),
    };
    let mut buf = Vec::new();
    entry
        .take(MAX_XML + 1)
        .read_to_end(&mut buf)
        .map_err(|e| malformed(format!("không giải nén được {name} ({e})")))?;
    if buf.len() as u64 > MAX_XML {
        return Err(malformed(format!("{name} quá lớn")));
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| malformed(format!("{name} không phải UTF-8")))
}

/// Returns the text and the page count.
pub(crate) fn read_docx(bytes: &[u8]) -> Result<(String, usize), ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| malformed(format!("không phải tệp nén ZIP hợp lệ ({e})")))?;
    let xml = read_entry(&mut zip, "word/document.xml")?
        .ok_or_else(|| malformed("thiếu phần word/document.xml, có thể đây không phải tệp Word"))?;
    let (text, breaks) = document_text(&xml)?;
    let pages = read_entry(&mut zip, "docProps/app.xml")
        .ok()
        .flatten()
        .and_then(|app| {
            let s = app.find("<Pages>")? + "<Pages>".len();
            let e = app[s..].find("</Pages>")? + s;
            app[s..e].trim().parse::<usize>().ok()
        })
        .filter(|&n| n > 0)
        .unwrap_or(breaks + 1);
    Ok((text, pages))
}

/// A table being read: rows of cells of paragraphs.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<Vec<String>>>,
}

/// Extracts the lines of `word/document.xml`; also counts explicit page breaks.
fn document_text(xml: &str) -> Result<(String, usize), ReadError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut lines: Vec<String> = Vec::new();
    let mut para = String::new();
    let mut in_text = false;
    let mut skip_depth = 0usize; // inside w:instrText, w:delText
    let mut tables: Vec<Table> = Vec::new();
    let mut page_breaks = 0usize;
    loop {
        let ev = reader.read_event().map_err(|e| {
            malformed(format!(
                "XML lỗi ở vị trí {} ({e})",
                reader.buffer_position()
            ))
        })?;
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_text = true,
                b"instrText" | b"delText" => skip_depth += 1,
                b"tbl" => tables.push(Table::default()),
                b"tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                b"tc" => {
                    if let Some(r) = tables.last_mut().and_then(|t| t.rows.last_mut()) {
                        r.push(Vec::new());
                    }
                }
                b"p" => para.clear(),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => para.push('\t'),
                b"br" | b"cr" => {
                    let page = e.attributes().flatten().any(|a| {
                        a.key.local_name().as_ref() == b"type" && a.value.as_ref() == b"page"
                    });
                    if page {
                        page_breaks += 1;
                    }
                    para.push('\n');
                }
                b"noBreakHyphen" => para.push('-'),
                _ => {}
            },
            Event::Text(t) if in_text && skip_depth == 0 => {
                let s = t
                    .unescape()
                    .map_err(|e| malformed(format!("ký tự XML không hợp lệ ({e})")))?;
                para.push_str(&s);
            }
            Event::CData(t) if in_text && skip_depth == 0 => {
                para.push_str(&String::from_utf8_lossy(&t));
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"instrText" | b"delText" => skip_depth = skip_depth.saturating_sub(1),
                b"p" => {
                    let p = std::mem::take(&mut para);
                    match tables
                        .last_mut()
                        .and_then(|t| t.rows.last_mut())
                        .and_then(|r| r.last_mut())
                    {
                        Some(cell) => cell.extend(p.split('\n').map(str::to_string)),
                        None => lines.extend(p.split('\n').map(str::to_string)),
                    }
                }
                b"tbl" => {
                    let Some(t) = tables.pop() else { continue };
                    let mut out: Vec<String> = Vec::new();
                    for row in t.rows {
                        let height = row.iter().map(Vec::len).max().unwrap_or(0);
                        for i in 0..height {
                            let cells: Vec<&str> = row
                                .iter()
                                .map(|c| c.get(i).map_or("", |s| s.trim()))
                                .collect();
                            let line = cells.join("\t");
                            out.push(line.trim_matches('\t').to_string());
                        }
                    }
                    // A nested table goes into its parent cell.
                    match tables
                        .last_mut()
                        .and_then(|t| t.rows.last_mut())
                        .and_then(|r| r.last_mut())
                    {
                        Some(cell) => cell.extend(out.into_iter().map(|l| l.replace('\t', " "))),
                        None => lines.extend(out),
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((lines.join("\n"), page_breaks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_tables_tabs_and_breaks() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:tbl><w:tr>
  <w:tc><w:p><w:r><w:t>BỘ QUỐC PHÒNG</w:t></w:r></w:p><w:p><w:r><w:t>VĂN PHÒNG</w:t></w:r></w:p></w:tc>
  <w:tc><w:p><w:r><w:t>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve">Độc lập - Tự do - </w:t></w:r><w:r><w:t>Hạnh phúc</w:t></w:r></w:p></w:tc>
</w:tr></w:tbl>
<w:p><w:r><w:t>Số:</w:t></w:r><w:r><w:tab/><w:t>677/TB-VP</w:t></w:r></w:p>
<w:p><w:r><w:instrText>PAGE</w:instrText><w:t>A &amp; B</w:t><w:br/><w:t>dòng 2</w:t><w:br w:type="page"/></w:r></w:p>
</w:body></w:document>"#;
        let (text, breaks) = document_text(xml).unwrap();
        assert_eq!(
            text,
            "BỘ QUỐC PHÒNG\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nVĂN PHÒNG\tĐộc lập - Tự do - Hạnh phúc\nSố:\t677/TB-VP\nA & B\ndòng 2\n"
        );
        assert_eq!(breaks, 1);
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(matches!(
            document_text("<w:document><w:p><w:t>a</w:p>"),
            Err(ReadError::MalformedDocx(_))
        ));
    }
}
