//! DOCX: the text of `word/document.xml`. Paragraphs become lines; a table row becomes lines whose
//! cells are separated by tabs, the n-th paragraph of every cell on the n-th line, so that the
//! two-column head (issuer | Quốc hiệu) and signature tables read like `pdftotext -layout` output.

use crate::ReadError;
use phongthu_domain::directive::legacy::{self, LegacyEncoding};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Refuse to inflate more than this (a zip bomb is not a directive).
const MAX_XML: u64 = 64 * 1024 * 1024;

fn malformed(msg: impl Into<String>) -> ReadError {
    ReadError::MalformedDocx(msg.into())
}

fn read_entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, ReadError> {
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

/// Returns the text, the page count and the legacy encoding of runs typed in a `.VnTime` or
/// `VNI-Times` font (converted to Unicode).
pub(crate) fn read_docx(bytes: &[u8]) -> Result<(String, usize, Option<LegacyEncoding>), ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| malformed(format!("không phải tệp nén ZIP hợp lệ ({e})")))?;
    let xml = read_entry(&mut zip, "word/document.xml")?
        .ok_or_else(|| malformed("thiếu phần word/document.xml, có thể đây không phải tệp Word"))?;
    let fonts = read_entry(&mut zip, "word/styles.xml")
        .ok()
        .flatten()
        .map(|x| style_fonts(&x))
        .unwrap_or_default();
    let (text, breaks, legacy) = document_text(&xml, &fonts)?;
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
    Ok((text, pages, legacy))
}

/// The fonts set by `word/styles.xml`: the document default and each style's own font with the
/// style it is based on.
#[derive(Default)]
pub(crate) struct Fonts {
    default: Option<String>,
    styles: HashMap<String, (Option<String>, Option<String>)>,
}

impl Fonts {
    /// The font of a style, following `basedOn` (a few levels).
    fn of_style(&self, id: &str) -> Option<String> {
        let mut id = id.to_string();
        for _ in 0..8 {
            let (font, based_on) = self.styles.get(&id)?;
            if font.is_some() {
                return font.clone();
            }
            id = based_on.clone()?;
        }
        None
    }
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// The font named by a `w:rFonts` element (the one for Latin text).
fn rfonts(e: &BytesStart) -> Option<String> {
    attr(e, b"ascii").or_else(|| attr(e, b"hAnsi"))
}

/// Reads the fonts of `word/styles.xml` (errors leave what was read so far).
fn style_fonts(xml: &str) -> Fonts {
    let mut fonts = Fonts::default();
    let mut reader = Reader::from_str(xml);
    let mut style: Option<String> = None;
    let mut in_defaults = false;
    let mut in_ppr = false;
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"rPrDefault" => in_defaults = true,
                b"pPr" => in_ppr = true,
                b"style" => {
                    style = attr(&e, b"styleId");
                    if let Some(id) = &style {
                        fonts.styles.insert(id.clone(), (None, None));
                    }
                }
                b"basedOn" => {
                    if let Some(s) = style.as_ref().and_then(|id| fonts.styles.get_mut(id)) {
                        s.1 = attr(&e, b"val");
                    }
                }
                b"rFonts" if !in_ppr => {
                    if in_defaults {
                        fonts.default = rfonts(&e);
                    } else if let Some(s) = style.as_ref().and_then(|id| fonts.styles.get_mut(id)) {
                        s.0 = rfonts(&e);
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"rPrDefault" => in_defaults = false,
                b"pPr" => in_ppr = false,
                b"style" => style = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    fonts
}

/// A table being read: rows of cells of paragraphs.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<Vec<String>>>,
}

/// Extracts the lines of `word/document.xml`; also counts explicit page breaks. Runs in a legacy
/// font (by the run, its character style, the paragraph style or the document default) are
/// converted to Unicode.
fn document_text(xml: &str, fonts: &Fonts) -> Result<(String, usize, Option<LegacyEncoding>), ReadError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut lines: Vec<String> = Vec::new();
    let mut para = String::new();
    let mut in_text = false;
    let mut skip_depth = 0usize; // inside w:instrText, w:delText
    let mut tables: Vec<Table> = Vec::new();
    let mut page_breaks = 0usize;
    let mut legacy_found: Option<LegacyEncoding> = None;
    let mut in_ppr = false;
    let mut para_font: Option<String> = None;
    let mut run: Option<(usize, Option<String>)> = None; // start in `para`, font of the run
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| malformed(format!("XML lỗi ở vị trí {} ({e})", reader.buffer_position())))?;
        // Run and paragraph properties (fonts), empty or not.
        if let Event::Start(e) | Event::Empty(e) = &ev {
            match e.local_name().as_ref() {
                b"pStyle" if in_ppr => para_font = attr(e, b"val").and_then(|v| fonts.of_style(&v)),
                b"rStyle" => {
                    if let Some((_, font)) = run.as_mut() {
                        if font.is_none() {
                            *font = attr(e, b"val").and_then(|v| fonts.of_style(&v));
                        }
                    }
                }
                b"rFonts" if !in_ppr => {
                    if let Some((_, font)) = run.as_mut() {
                        if let Some(f) = rfonts(e) {
                            *font = Some(f);
                        }
                    }
                }
                _ => {}
            }
        }
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                b"pPr" => in_ppr = true,
                b"r" => run = Some((para.len(), None)),
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
                b"p" => {
                    para.clear();
                    para_font = None;
                }
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => para.push('\t'),
                b"br" | b"cr" => {
                    let page = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.local_name().as_ref() == b"type" && a.value.as_ref() == b"page");
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
                b"pPr" => in_ppr = false,
                b"r" => {
                    if let Some((start, font)) = run.take() {
                        let font = font.or_else(|| para_font.clone()).or_else(|| fonts.default.clone());
                        if let (Some(font), Some(text)) = (font, para.get(start..)) {
                            if let Some(converted) = legacy::convert_font_text(text, &font) {
                                legacy_found = legacy_found.or(legacy::font_encoding(&font).map(|f| f.0));
                                para.truncate(start);
                                para.push_str(&converted);
                            }
                        }
                    }
                }
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
                            let cells: Vec<&str> = row.iter().map(|c| c.get(i).map_or("", |s| s.trim())).collect();
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
    Ok((lines.join("\n"), page_breaks, legacy_found))
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
        let (text, breaks, legacy) = document_text(xml, &Fonts::default()).unwrap();
        assert_eq!(legacy, None);
        assert_eq!(
            text,
            "BỘ QUỐC PHÒNG\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nVĂN PHÒNG\tĐộc lập - Tự do - Hạnh phúc\nSố:\t677/TB-VP\nA & B\ndòng 2\n"
        );
        assert_eq!(breaks, 1);
    }

    #[test]
    fn runs_in_legacy_fonts_are_converted() {
        let styles = r#"<w:styles xmlns:w="w"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=".VnTime" w:hAnsi=".VnTime"/></w:rPr></w:rPrDefault></w:docDefaults>
<w:style w:styleId="Heading1"><w:pPr><w:rPr><w:rFonts w:ascii="Arial"/></w:rPr></w:pPr><w:rPr><w:rFonts w:ascii=".VnTimeH"/></w:rPr></w:style>
<w:style w:styleId="Vni"><w:basedOn w:val="VniBase"/></w:style>
<w:style w:styleId="VniBase"><w:rPr><w:rFonts w:ascii="VNI-Times"/></w:rPr></w:style>
<w:style w:styleId="Uni"><w:rPr><w:rFonts w:ascii="Times New Roman"/></w:rPr></w:style></w:styles>"#;
        let fonts = style_fonts(styles);
        assert_eq!(fonts.of_style("Vni").as_deref(), Some("VNI-Times"));
        let xml = r#"<w:document xmlns:w="w"><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>céng hoµ x· héi</w:t></w:r></w:p>
<w:p><w:r><w:t>ViÖt Nam, </w:t></w:r><w:r><w:rPr><w:rFonts w:ascii="Times New Roman"/></w:rPr><w:t>Việt Nam có cô</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Vni"/><w:rPr><w:rFonts w:ascii="Arial"/></w:rPr></w:pPr><w:r><w:t>Haø Noäi</w:t><w:tab/><w:t>ngaøy</w:t></w:r><w:r><w:rPr><w:rStyle w:val="Uni"/></w:rPr><w:t xml:space="preserve"> có</w:t></w:r></w:p>
</w:body></w:document>"#;
        let (text, _, legacy) = document_text(xml, &fonts).unwrap();
        assert_eq!(text, "CỘNG HOÀ XÃ HỘI\nViệt Nam, Việt Nam có cô\nHà Nội\tngày có");
        assert_eq!(legacy, Some(LegacyEncoding::Tcvn3));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(matches!(
            document_text("<w:document><w:p><w:t>a</w:p>", &Fonts::default()),
            Err(ReadError::MalformedDocx(_))
        ));
    }
}
