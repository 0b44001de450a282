//! Reading real files: text, DOCX (built here with the zip crate), PDF with a text layer, scanned
//! PDF and images (made at test time with ImageMagick and a hand-written PDF wrapper). PDF and OCR
//! tests run when poppler-utils, tesseract (with `vie`) and ImageMagick are installed; with
//! `PHONGTHU_REQUIRE_OCR=1` (as in CI) they must run, and fail when a tool is missing.

use phongthu_documents::{
    read_document, tool_available, vietnamese_ocr_available, Extracted, Progress, ReadError, SourceKind,
};
use phongthu_domain::directive::{legacy, legacy::LegacyEncoding, parse, DocumentKind};
use proptest::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const SEED_002: &str = include_str!("../../domain/src/directive/fixtures/002_8dfa57f6b026e495.txt");

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read(path: &Path) -> (Result<Extracted, ReadError>, Vec<String>) {
    let mut steps = Vec::new();
    let r = read_document(path, &mut |p: Progress| steps.push(p.to_string()));
    (r, steps)
}

fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Whether the PDF/OCR tools are here; with PHONGTHU_REQUIRE_OCR=1 a missing tool fails the test.
fn tools_or_skip(need_ocr: bool) -> bool {
    let mut missing = Vec::new();
    for t in ["pdftotext", "pdftoppm"] {
        if !tool_available(t) {
            missing.push(t.to_string());
        }
    }
    if need_ocr {
        if !tool_available("tesseract") {
            missing.push("tesseract".into());
        } else if !vietnamese_ocr_available() {
            missing.push("tesseract-ocr-vie".into());
        }
        if Command::new("convert").arg("-version").output().is_err() {
            missing.push("convert (imagemagick)".into());
        }
    }
    if missing.is_empty() {
        return true;
    }
    if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
        panic!("PHONGTHU_REQUIRE_OCR=1 nhưng thiếu: {}", missing.join(", "));
    }
    eprintln!("bỏ qua: thiếu {}", missing.join(", "));
    false
}

// ---------------------------------------------------------------- text

#[test]
fn utf8_text_with_bom_is_read_by_content_not_extension() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(SEED_002.as_bytes());
    // Named .pdf on purpose: the content decides.
    let p = write(dir.path(), "chi-thi.pdf", &bytes);
    let (r, steps) = read(&p);
    let e = r.unwrap();
    assert_eq!(e.source, SourceKind::Text);
    assert_eq!(e.pages, 1);
    assert!(!e.text.starts_with('\u{feff}'));
    assert_eq!(e.text, SEED_002);
    assert_eq!(steps.first().unwrap(), "Đã nhận ra loại tệp: tệp văn bản");
    assert!(steps.last().unwrap().starts_with("Đã đọc xong 1 trang"));
    let d = parse(&e.text);
    assert_eq!(d.kind, DocumentKind::ChiThi);
    // Seven numbered tasks and two closing assignments.
    assert_eq!(d.tasks.len(), 9);
}

#[test]
fn invalid_utf8_is_rejected_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    // Western text in Latin-1: not Vietnamese in any legacy encoding.
    let p = write(dir.path(), "cu.txt", b"M\xfcnchen, caf\xe9 cr\xe8me br\xfbl\xe9e");
    let (r, _) = read(&p);
    let e = r.unwrap_err();
    assert!(matches!(e, ReadError::InvalidUtf8 { offset: 1 }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("không phải UTF-8") && msg.contains("vị trí 1"), "{msg}");
}

/// Unicode text as the bytes of a file typed in a legacy encoding (Windows-1252 for characters
/// outside the code chart, e.g. typographic quotes).
fn legacy_bytes(s: &str, e: LegacyEncoding) -> Vec<u8> {
    let m: String = s
        .chars()
        .map(|c| {
            legacy::encode(&c.to_string(), e)
                .or_else(|| legacy::encode(&c.to_lowercase().to_string(), e))
                .unwrap_or_else(|| c.to_string())
        })
        .collect();
    cp1252_bytes(&m)
}

/// Mojibake as the bytes it came from.
fn cp1252_bytes(m: &str) -> Vec<u8> {
    const CP1252: &str = "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8d}Ž\u{8f}\u{90}‘’“”•–—˜™š›œ\u{9d}žŸ";
    let mut out = Vec::new();
    {
        for ch in m.chars() {
            let code = u32::from(ch);
            if let Some(i) = CP1252.chars().position(|x| x == ch) {
                out.push(0x80 + u8::try_from(i).unwrap());
            } else if code < 256 {
                out.push(u8::try_from(code).unwrap());
            } else {
                out.push(b'?');
            }
        }
    }
    out
}

#[test]
fn legacy_tcvn3_and_vni_text_files_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = legacy_bytes(SEED_002, LegacyEncoding::Vni);
    assert!(std::str::from_utf8(&bytes).is_err());
    let p = write(dir.path(), "vni.txt", &bytes);
    let (r, steps) = read(&p);
    let e = r.unwrap();
    assert_eq!(e.legacy, Some(LegacyEncoding::Vni));
    assert!(steps.iter().any(|s| s.contains("bảng mã VNI")), "{steps:?}");
    assert!(e.text.contains("Ban Thường vụ Huyện ủy"));
    let d = parse(&e.text);
    assert_eq!(d.kind, DocumentKind::ChiThi);
    // Seven numbered tasks and two closing assignments.
    assert_eq!(d.tasks.len(), 9);
    assert_eq!(d.issuer.as_deref(), Some("Ban Thường vụ Huyện ủy Kim Động"));

    let text = "Ban Th\u{ad}êng vô HuyÖn ñy chØ ®¹o c¸c x·, thÞ trÊn ph¶i hoµn thµnh tr\u{ad}íc ngµy 30/6/2025 “100% chØ tiªu”.";
    let bytes = cp1252_bytes(text);
    let p = write(dir.path(), "tcvn3.txt", &bytes);
    let e = read(&p).0.unwrap();
    assert_eq!(e.legacy, Some(LegacyEncoding::Tcvn3));
    assert_eq!(
        e.text,
        "Ban Thường vụ Huyện ủy chỉ đạo các xã, thị trấn phải hoàn thành trước ngày 30/6/2025 “100% chỉ tiêu”."
    );

    // The same mojibake saved as UTF-8 (a converted file) is converted too.
    let p = write(dir.path(), "utf8-mojibake.txt", text.as_bytes());
    let e = read(&p).0.unwrap();
    assert_eq!(e.legacy, Some(LegacyEncoding::Tcvn3));
    assert!(e.text.starts_with("Ban Thường vụ Huyện ủy"));

    // Windows-1258 ("Hà Nội, ngày 07 tháng 3": tone marks as combining bytes).
    let p = write(dir.path(), "cp1258.txt", b"H\xe0 N\xf4\xf2i, ng\xe0y 07 th\xe1ng 3");
    let e = read(&p).0.unwrap();
    assert_eq!(e.legacy, Some(LegacyEncoding::Windows1258));
    assert_eq!(e.text, "Hà Nội, ngày 07 tháng 3");

    // Unicode text is left alone.
    let p = write(dir.path(), "unicode.txt", SEED_002.as_bytes());
    let e = read(&p).0.unwrap();
    assert_eq!(e.legacy, None);
    assert_eq!(e.text, SEED_002);
}

#[test]
fn empty_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("rong.txt", &b""[..]),
        ("trang.txt", &b"  \n\t \r\n"[..]),
        ("bom.txt", &b"\xEF\xBB\xBF \n"[..]),
    ] {
        let p = write(dir.path(), name, bytes);
        let e = read(&p).0.unwrap_err();
        assert!(matches!(e, ReadError::Empty), "{name}: {e:?}");
        assert_eq!(e.to_string(), "Tệp rỗng, không có nội dung để đọc.");
    }
}

#[test]
fn missing_file_and_binary_and_legacy_word() {
    let dir = tempfile::tempdir().unwrap();
    let e = read(&dir.path().join("khong-co.txt")).0.unwrap_err();
    assert!(matches!(e, ReadError::Io { .. }));
    assert!(e.to_string().starts_with("Không mở được tệp"));
    let p = write(dir.path(), "x.bin", &[0u8, 1, 2, 3, 0, 0, 7, 8]);
    assert!(matches!(read(&p).0.unwrap_err(), ReadError::Unsupported));
    let p = write(dir.path(), "x.doc", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0");
    let e = read(&p).0.unwrap_err();
    assert!(matches!(e, ReadError::LegacyOffice));
    assert!(e.to_string().contains(".docx"));
}

// ---------------------------------------------------------------- DOCX

fn docx(document_xml: &str, with_app: bool) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opt = zip::write::SimpleFileOptions::default();
        z.start_file("[Content_Types].xml", opt).unwrap();
        z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
        z.start_file("word/document.xml", opt).unwrap();
        z.write_all(document_xml.as_bytes()).unwrap();
        if with_app {
            z.start_file("docProps/app.xml", opt).unwrap();
            z.write_all(b"<Properties><Pages>2</Pages></Properties>").unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn para(s: &str) -> String {
    format!(r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#, esc(s))
}

fn cell(paras: &[&str]) -> String {
    format!("<w:tc>{}</w:tc>", paras.iter().map(|p| para(p)).collect::<String>())
}

fn document(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    )
}

#[test]
fn docx_with_head_table_paragraphs_and_signature_table() {
    let head = format!(
        "<w:tbl><w:tr>{}{}</w:tr><w:tr>{}{}</w:tr></w:tbl>",
        cell(&["ỦY BAN NHÂN DÂN", "XÃ ĐỒNG THANH"]),
        cell(&["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]),
        cell(&["Số: 05/KH-UBND"]),
        cell(&["Đồng Thanh, ngày 05 tháng 02 năm 2026"]),
    );
    let body: String = [
        "KẾ HOẠCH",
        "Tuyển chọn và gọi công dân nhập ngũ năm 2026",
        "Căn cứ Luật Nghĩa vụ quân sự số 78/2015/QH13;",
        "II. NHIỆM VỤ",
        "1. Ban Chỉ huy Quân sự xã chủ trì, phối hợp với Công an xã tổ chức sơ tuyển, hoàn thành trước ngày 15/10/2026.",
        "2. Hội đồng Nghĩa vụ quân sự xã bảo đảm 100% chỉ tiêu.",
    ]
    .iter()
    .map(|p| para(p))
    .collect();
    let foot = format!(
        "<w:tbl><w:tr>{}{}</w:tr></w:tbl>",
        cell(&["Nơi nhận:", "- Ban CHQS huyện (để b/c);", "- Lưu: VT."]),
        cell(&["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "", "Nguyễn Văn An"]),
    );
    let bytes = docx(&document(&format!("{head}{body}{foot}")), true);
    let dir = tempfile::tempdir().unwrap();
    // Named .txt on purpose.
    let p = write(dir.path(), "ke-hoach.txt", &bytes);
    let (r, steps) = read(&p);
    let e = r.unwrap();
    assert_eq!(e.source, SourceKind::Docx);
    assert_eq!(e.pages, 2);
    assert!(
        e.text.starts_with(
            "ỦY BAN NHÂN DÂN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ ĐỒNG THANH\tĐộc lập - Tự do - Hạnh phúc\n"
        ),
        "{}",
        e.text
    );
    assert_eq!(steps[0], "Đã nhận ra loại tệp: tệp Word (DOCX)");
    let d = parse(&e.text);
    assert_eq!(d.kind, DocumentKind::KeHoach);
    assert_eq!(d.number_symbol.as_deref(), Some("05/KH-UBND"));
    assert_eq!(d.issuer.as_deref(), Some("Ủy ban nhân dân xã Đồng Thanh"));
    assert_eq!(d.date.map(|d| d.to_string()).as_deref(), Some("2026-02-05"));
    assert_eq!(d.tasks.len(), 2, "{}\n{:#?}", e.text, d.tasks);
    assert_eq!(d.tasks[0].lead.as_deref(), Some("Ban Chỉ huy Quân sự xã"));
    assert_eq!(d.tasks[0].deadline.as_deref(), Some("2026-10-15"));
    assert_eq!(d.recipients, vec!["Ban CHQS huyện (để b/c)", "Lưu: VT"]);
    let s = d.signer.unwrap();
    assert_eq!(s.name, "Nguyễn Văn An");
    assert_eq!(s.title_or_rank.as_deref(), Some("TM. Ủy ban nhân dân / Chủ tịch"));
}

#[test]
fn docx_of_a_seed_reads_like_the_text() {
    let body: String = SEED_002.lines().map(para).collect();
    let bytes = docx(&document(&body), false);
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "002.docx", &bytes);
    let e = read(&p).0.unwrap();
    assert_eq!(e.pages, 1);
    assert_eq!(parse(&e.text), parse(SEED_002));
}

/// A paragraph typed with the TCVN3 fonts: `.VnTime`, switching to the capitals font `.VnTimeH`
/// for each capital with a tone mark, as typists did.
fn tcvn3_para(line: &str) -> String {
    let mut runs: Vec<(&str, String)> = Vec::new();
    for c in line.chars() {
        let (font, code) = match legacy::encode(&c.to_string(), LegacyEncoding::Tcvn3) {
            Some(m) => (".VnTime", m),
            None => match legacy::encode(&c.to_lowercase().to_string(), LegacyEncoding::Tcvn3) {
                Some(m) => (".VnTimeH", m),
                None => (".VnTime", c.to_string()),
            },
        };
        match runs.last_mut() {
            Some((f, s)) if *f == font => s.push_str(&code),
            _ => runs.push((font, code)),
        }
    }
    let runs: String = runs
        .iter()
        .map(|(f, s)| {
            format!(
                r#"<w:r><w:rPr><w:rFonts w:ascii="{f}" w:hAnsi="{f}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#,
                esc(s)
            )
        })
        .collect();
    format!("<w:p>{runs}</w:p>")
}

#[test]
fn docx_typed_in_vntime_fonts_reads_like_the_text() {
    let body: String = SEED_002.lines().map(tcvn3_para).collect();
    assert!(body.contains("ChØ thÞ") || body.contains("chØ thÞ"));
    let bytes = docx(&document(&body), false);
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "002-vntime.docx", &bytes);
    let e = read(&p).0.unwrap();
    assert_eq!(e.legacy, Some(LegacyEncoding::Tcvn3));
    assert_eq!(e.text.trim_end(), SEED_002.trim_end());
    assert_eq!(parse(&e.text), parse(SEED_002));
}

#[test]
fn malformed_zip_and_zip_without_document() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "hong.docx", b"PK\x03\x04\x14\0\0\0garbage garbage");
    let e = read(&p).0.unwrap_err();
    assert!(matches!(e, ReadError::MalformedDocx(_)), "{e:?}");
    assert!(e.to_string().starts_with("Tệp DOCX bị hỏng"), "{e}");

    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file("readme.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"hello").unwrap();
        z.finish().unwrap();
    }
    let p = write(dir.path(), "khac.zip", &buf.into_inner());
    let e = read(&p).0.unwrap_err();
    assert!(e.to_string().contains("word/document.xml"), "{e}");

    let p = write(
        dir.path(),
        "xml-hong.docx",
        &docx("<w:document><w:p><w:t>a</w:p>", false),
    );
    assert!(matches!(read(&p).0.unwrap_err(), ReadError::MalformedDocx(_)));

    let p = write(dir.path(), "rong.docx", &docx(&document(""), false));
    assert!(matches!(read(&p).0.unwrap_err(), ReadError::Empty));
}

// ---------------------------------------------------------------- PDF and OCR

/// A PDF with one page per entry: text lines (Helvetica, text layer) or a grey JPEG (a scan).
enum PdfPage {
    Text(Vec<&'static str>),
    Jpeg { data: Vec<u8>, width: u32, height: u32 },
}

fn build_pdf(pages: &[PdfPage]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new(); // object i+1
    let n_pages = pages.len();
    // 1: catalog, 2: pages, 3: font, then per page: page, contents, [image].
    let mut page_ids = Vec::new();
    let mut next = 4;
    let mut per_page = Vec::new();
    for p in pages {
        let page_id = next;
        let content_id = next + 1;
        let image_id = matches!(p, PdfPage::Jpeg { .. }).then_some(next + 2);
        next += if image_id.is_some() { 3 } else { 2 };
        page_ids.push(page_id);
        per_page.push((page_id, content_id, image_id));
    }
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n_pages} >>",
            page_ids
                .iter()
                .map(|i| format!("{i} 0 R"))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .into_bytes(),
    );
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    for (p, (_, content_id, image_id)) in pages.iter().zip(&per_page) {
        match p {
            PdfPage::Text(lines) => {
                let mut c = String::from("BT /F1 14 Tf 72 760 Td ");
                for l in lines {
                    c.push_str(&format!("({l}) Tj 0 -22 Td "));
                }
                c.push_str("ET");
                objects.push(
                    format!(
                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
                    )
                    .into_bytes(),
                );
                objects.push(stream(&format!("<< /Length {} >>", c.len()), c.as_bytes()));
            }
            PdfPage::Jpeg { data, width, height } => {
                let (w, h) = (*width as f64 * 72.0 / 300.0, *height as f64 * 72.0 / 300.0);
                let img = image_id.unwrap();
                objects.push(
                    format!(
                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2} {h:.2}] /Resources << /XObject << /Im1 {img} 0 R >> >> /Contents {content_id} 0 R >>"
                    )
                    .into_bytes(),
                );
                let c = format!("q {w:.2} 0 0 {h:.2} 0 0 cm /Im1 Do Q");
                objects.push(stream(&format!("<< /Length {} >>", c.len()), c.as_bytes()));
                objects.push(stream(
                    &format!(
                        "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>",
                        data.len()
                    ),
                    data,
                ));
            }
        }
    }
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = dict.as_bytes().to_vec();
    v.extend_from_slice(b"\nstream\n");
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A grey A4-width scan at 300 dpi with Vietnamese lines, made by ImageMagick.
fn scan(dir: &Path, name: &str, lines: &[&str]) -> (PathBuf, u32, u32) {
    let (w, h) = (2480u32, 200 + 110 * lines.len() as u32);
    let out = dir.join(name);
    let mut cmd = Command::new("convert");
    cmd.args(["-size", &format!("{w}x{h}"), "xc:white", "-font"]);
    cmd.arg(if Path::new(FONT).exists() { FONT } else { "DejaVu-Sans" });
    cmd.args(["-pointsize", "56", "-fill", "black"]);
    for (i, l) in lines.iter().enumerate() {
        cmd.args(["-annotate", &format!("+160+{}", 160 + 110 * i), l]);
    }
    cmd.args(["-type", "Grayscale", "-density", "300"]);
    cmd.arg(&out);
    let st = cmd.output().expect("convert");
    assert!(st.status.success(), "convert: {}", String::from_utf8_lossy(&st.stderr));
    (out, w, h)
}

const SCAN_LINES: &[&str] = &[
    "THÔNG BÁO",
    "Số: 677/TB-VP",
    "Hà Nội, ngày 07 tháng 3 năm 2022",
    "1. Phối hợp chặt chẽ với Bộ Quốc phòng.",
];

#[test]
fn pdf_with_a_text_layer() {
    if !tools_or_skip(false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = build_pdf(&[
        PdfPage::Text(vec!["THONG BAO", "So: 677/TB-VP", "Ha Noi, ngay 07 thang 3 nam 2022"]),
        PdfPage::Text(vec!["1. Phoi hop chat che voi Bo Quoc phong."]),
    ]);
    let p = write(dir.path(), "tb.bin", &pdf);
    let (r, steps) = read(&p);
    let e = r.unwrap();
    assert_eq!(e.source, SourceKind::PdfText);
    assert_eq!(e.pages, 2);
    assert!(e.text.contains("So: 677/TB-VP"), "{}", e.text);
    assert!(e.text.contains("Phoi hop"));
    assert!(!e.text.contains('\u{c}'));
    assert!(steps.contains(&"Đang lấy chữ từ lớp văn bản của tệp PDF".to_string()));
    let d = parse(&e.text);
    assert_eq!(d.kind, DocumentKind::ThongBao);
    assert_eq!(d.number_symbol.as_deref(), Some("677/TB-VP"));
    assert_eq!(d.place.as_deref(), Some("Ha Noi"));
}

#[test]
fn broken_pdf_gives_a_tool_error() {
    if !tools_or_skip(false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "hong.pdf", b"%PDF-1.4\nthis is not a pdf at all\n");
    let e = read(&p).0.unwrap_err();
    assert!(matches!(e, ReadError::ToolFailed { .. } | ReadError::NoText), "{e:?}");
    assert!(e.to_string().ends_with('.'));
}

#[test]
fn scanned_image_is_recognised() {
    if !tools_or_skip(true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (png, _, _) = scan(dir.path(), "scan.png", SCAN_LINES);
    let (r, steps) = read(&png);
    let e = r.unwrap();
    assert_eq!(e.source, SourceKind::Ocr);
    assert_eq!(e.pages, 1);
    assert!(steps.contains(&"Đang nhận dạng trang 1/1".to_string()), "{steps:?}");
    let f = fold(&e.text);
    assert!(f.contains("thong bao"), "{}", e.text);
    assert!(f.contains("677/tb-vp"), "{}", e.text);
    let d = parse(&e.text);
    assert_eq!(d.kind, DocumentKind::ThongBao);
    assert_eq!(d.number_symbol.as_deref(), Some("677/TB-VP"));
    assert_eq!(d.date.map(|d| d.to_string()).as_deref(), Some("2022-03-07"));
}

#[test]
fn scanned_pdf_pages_without_text_layer_go_through_ocr() {
    if !tools_or_skip(true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (jpg, w, h) = scan(dir.path(), "scan.jpg", SCAN_LINES);
    let data = std::fs::read(&jpg).unwrap();
    assert!(data.len() < 2_000_000);
    // Page 1 has a text layer, page 2 is a scan.
    let pdf = build_pdf(&[
        PdfPage::Text(vec!["Trang mot co lop chu"]),
        PdfPage::Jpeg {
            data,
            width: w,
            height: h,
        },
    ]);
    let p = write(dir.path(), "scan.pdf", &pdf);
    let (r, steps) = read(&p);
    let e = r.unwrap();
    assert_eq!(e.source, SourceKind::Ocr);
    assert_eq!(e.pages, 2);
    assert!(
        steps.contains(&"Đang chuyển trang 2/2 thành ảnh".to_string()),
        "{steps:?}"
    );
    assert!(steps.contains(&"Đang nhận dạng trang 2/2".to_string()), "{steps:?}");
    assert!(!steps.iter().any(|s| s.contains("trang 1/2")), "{steps:?}");
    assert!(e.text.contains("Trang mot co lop chu"));
    let f = fold(&e.text);
    assert!(f.contains("677/tb-vp") && f.contains("ha noi"), "{}", e.text);
    let d = parse(&e.text);
    assert_eq!(d.number_symbol.as_deref(), Some("677/TB-VP"));
    assert_eq!(d.place.as_deref(), Some("Hà Nội"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn read_document_never_panics_on_arbitrary_bytes(
        prefix in prop_oneof![
            Just(Vec::new()),
            Just(b"PK\x03\x04".to_vec()),
            Just(b"%PDF-1.4\n".to_vec()),
            Just(b"\x89PNG\r\n\x1a\n".to_vec()),
            Just(b"\xEF\xBB\xBF".to_vec()),
            Just(b"\xFF\xFE".to_vec()),
            Just(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec()),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = prefix;
        bytes.extend(body);
        let p = write(dir.path(), "x", &bytes);
        match read(&p).0 {
            Ok(e) => prop_assert!(!e.text.trim().is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
