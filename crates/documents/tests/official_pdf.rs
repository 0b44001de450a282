//! Writing administrative documents as PDF (through typst) and batches as PDF and DOCX. The text
//! is read back with `pdftotext` and the fonts checked with `pdffonts`, the pages counted with
//! `pdfinfo` (poppler-utils); without these tools the tests that need them are skipped, unless
//! `PHONGTHU_REQUIRE_OCR=1` (as in CI), when they fail.

mod common;
use common::report;
use phongthu_documents::official::{
    batch_docx, batch_pdf, table_type_size, Block, OfficialDocument, Signer, WriteError,
};
use phongthu_documents::tool_available;
use proptest::prelude::*;
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;
use time::Date;
use unicode_normalization::UnicodeNormalization;

/// A report that runs over two pages: a table of `rows` rows.
fn long_report(rows: usize, name: &str) -> OfficialDocument {
    let mut doc = report();
    doc.signer.name = name.into();
    doc.body.push(Block::Table {
        headers: vec!["TT".into(), "Họ và tên".into(), "Ngày sinh".into(), "Thôn".into()],
        rows: (1..=rows)
            .map(|i| {
                vec![
                    i.to_string(),
                    format!("Trần Văn Hùng {i}"),
                    "01/02/2008".into(),
                    "Thôn Đông".into(),
                ]
            })
            .collect(),
        widths_pct: Some(vec![8, 42, 25, 25]),
    });
    doc
}

/// Whether poppler-utils is here; with PHONGTHU_REQUIRE_OCR=1 a missing tool fails the test.
fn poppler_or_skip() -> bool {
    let missing: Vec<&str> = ["pdftotext", "pdfinfo", "pdffonts"]
        .into_iter()
        .filter(|t| !tool_available(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
        panic!("PHONGTHU_REQUIRE_OCR=1 nhưng thiếu: {}", missing.join(", "));
    }
    eprintln!("bỏ qua: thiếu {}", missing.join(", "));
    false
}

fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(tool).args(args).arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Writes the PDF to a temporary file and runs `f` on its path.
fn with_file<T>(pdf: &[u8], f: impl FnOnce(&Path) -> T) -> T {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("van-ban.pdf");
    std::fs::write(&path, pdf).unwrap();
    f(&path)
}

/// The text of the PDF (pages separated by form feeds), NFC.
fn text_of(pdf: &[u8]) -> String {
    with_file(pdf, |p| run("pdftotext", &["-enc", "UTF-8"], p))
        .nfc()
        .collect()
}

/// The text of page `n` (from 1).
fn page_text(pdf: &[u8], n: usize) -> String {
    let n = n.to_string();
    with_file(pdf, |p| run("pdftotext", &["-enc", "UTF-8", "-f", &n, "-l", &n], p))
        .nfc()
        .collect()
}

fn page_count(pdf: &[u8]) -> usize {
    let info = with_file(pdf, |p| {
        let out = Command::new("pdfinfo").arg(p).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    });
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}

/// One line of text with runs of white space made single spaces (pdftotext breaks lines where
/// the layout does).
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The 134 precomposed Vietnamese letters (67 lower case, 67 upper case): the vowels a ă â e ê
/// i o ô ơ u ư y with the five tone marks, the bare ă â ê ô ơ ư, and đ.
fn vietnamese_letters() -> Vec<char> {
    let mut lower = Vec::new();
    for base in ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'] {
        for tone in ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'] {
            let s: String = [base, tone].iter().collect::<String>().nfc().collect();
            assert_eq!(s.chars().count(), 1, "{s} has a precomposed form");
            lower.push(s.chars().next().unwrap());
        }
    }
    lower.extend(['ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ']);
    let upper: Vec<char> = lower.iter().flat_map(|c| c.to_uppercase()).collect();
    let all: Vec<char> = lower.into_iter().chain(upper).collect();
    assert_eq!(all.len(), 134);
    all
}

#[test]
fn a_report_is_a_pdf_with_the_decree_elements() {
    let pdf = report().to_pdf().unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if !poppler_or_skip() {
        return;
    }
    let text = squash(&text_of(&pdf));
    for expected in [
        "BỘ CHỈ HUY QUÂN SỰ TỈNH HƯNG YÊN",
        "BAN CHỈ HUY QUÂN SỰ XÃ TÂN HƯNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 15/BC-BCH",
        "Hưng Yên, ngày 05 tháng 3 năm 2026",
        "BÁO CÁO",
        "Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026",
        "Ban Chỉ huy quân sự xã báo cáo như sau:",
        "I. KẾT QUẢ",
        "Số công dân",
        "Thôn Đoài",
        "Nơi nhận:",
        "- Bộ CHQS tỉnh (để b/c);",
        "- Lưu: VT.",
        "KT. CHỈ HUY TRƯỞNG",
        "PHÓ CHỈ HUY TRƯỞNG",
        "Nguyễn Văn An",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // A4 portrait, one page, the title and author in the metadata.
    let info = with_file(&pdf, |p| {
        String::from_utf8(Command::new("pdfinfo").arg(p).output().unwrap().stdout).unwrap()
    });
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
    assert!(
        info.contains("Title:           BÁO CÁO Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026"),
        "{info}"
    );
    assert!(
        info.contains("Author:          BAN CHỈ HUY QUÂN SỰ XÃ TÂN HƯNG"),
        "{info}"
    );
    assert_eq!(page_count(&pdf), 1);
}

#[test]
fn every_vietnamese_letter_prints_in_every_style_and_fonts_are_embedded() {
    let letters = vietnamese_letters();
    let line: String = letters.iter().map(|c| format!("{c} ")).collect();
    let mut doc = report();
    // Regular (paragraph, table), bold (heading, signer), italic (the date line's place).
    doc.body = vec![
        Block::Paragraph(line.clone()),
        Block::Heading(line.clone()),
        Block::Table {
            headers: vec!["Chữ".into()],
            rows: vec![vec![line.clone()]],
            widths_pct: None,
        },
    ];
    doc.place = line.clone();
    doc.signer.name = line.clone();
    let pdf = doc.to_pdf().unwrap();
    if !poppler_or_skip() {
        return;
    }
    let text = squash(&text_of(&pdf));
    let line = squash(&line);
    // Paragraph, heading, table cell, date line and signer: each time all the letters in order.
    // pdftotext guesses the spaces between single letters, so they are compared without spaces.
    let bare = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert!(bare(&text).matches(bare(&line).as_str()).count() >= 4, "{text}");
    for c in &letters {
        assert!(text.matches(*c).count() >= 5, "{c} is missing: {text}");
    }
    // Bold italic ("Nơi nhận:") has ơ from the fallback font.
    assert!(text.contains("Nơi nhận:"));
    // Every font is embedded (a subset), and the serif is Libertinus.
    let fonts = with_file(&pdf, |p| {
        String::from_utf8(Command::new("pdffonts").arg(p).output().unwrap().stdout).unwrap()
    });
    let rows: Vec<&str> = fonts.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding…] emb sub uni object ID: emb is the 5th field from the end.
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "font not embedded: {row}");
    }
    assert!(fonts.contains("LibertinusSerif-Regular"), "{fonts}");
    assert!(fonts.contains("LibertinusSerif-Bold"), "{fonts}");
    assert!(fonts.contains("LibertinusSerif-Italic"), "{fonts}");
}

#[test]
fn user_text_cannot_inject_typst_markup() {
    let nasty = r#"#set page(width: 2cm) *đậm* _nghiêng_ $x^2$ [a] \ <nhãn> @ref `mã` // không phải chú thích "ngoặc" 'đơn' -- ... ) ] }"#;
    let mut doc = report();
    doc.title = nasty.into();
    doc.issuer = "#pagebreak() #panic(\"x\")".into();
    doc.number_symbol = Some("#{ 1 + 1 }/BC".into());
    doc.body.push(Block::Paragraph(nasty.into()));
    doc.body.push(Block::Heading("= Không phải tiêu đề typst".into()));
    doc.recipients.push("#read(\"/etc/passwd\")".into());
    let pdf = doc.to_pdf().expect("user text is data: never a compile error");
    if !poppler_or_skip() {
        return;
    }
    let text = squash(&text_of(&pdf));
    // Printed literally (no smart quotes, no dashes, no maths), on an A4 page.
    assert!(text.contains(&squash(nasty)), "{text}");
    assert!(text.contains("#PAGEBREAK() #PANIC(\"X\")"), "{text}");
    assert!(text.contains("Số: #{ 1 + 1 }/BC"), "{text}");
    assert!(text.contains("= Không phải tiêu đề typst"), "{text}");
    assert!(text.contains("- #read(\"/etc/passwd\")."), "{text}");
    let info = with_file(&pdf, |p| {
        String::from_utf8(Command::new("pdfinfo").arg(p).output().unwrap().stdout).unwrap()
    });
    assert!(info.contains("(A4)"), "{info}");
}

#[test]
fn line_breaks_tabs_and_nfd_input() {
    let mut doc = report();
    let nfd: String = "Nguyễn Thị Hằng".nfd().collect();
    doc.signer.name = nfd;
    doc.body = vec![Block::Paragraph("dòng một\ndòng hai\tsau tab\u{0}\u{1b}".into())];
    let pdf = doc.to_pdf().unwrap();
    if !poppler_or_skip() {
        return;
    }
    let raw = text_of(&pdf);
    let lines: Vec<&str> = raw.lines().map(str::trim).collect();
    assert!(lines.contains(&"dòng một"), "{raw}");
    // The tab is 1 cm of space on the same line; pdftotext (without -layout) may print the two
    // sides on two lines, but nothing may come between them.
    let at = lines.iter().position(|l| l.starts_with("dòng hai")).expect("dòng hai");
    assert!(
        lines[at].ends_with("sau tab") || lines.get(at + 1) == Some(&"sau tab"),
        "{raw}"
    );
    assert!(!raw.contains('\u{1b}'));
    assert!(raw.contains("Nguyễn Thị Hằng"), "NFC: {raw}");
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let a = report().to_pdf().unwrap();
    let b = report().to_pdf().unwrap();
    assert_eq!(a, b);
    // The PDF dates are the document's, not the clock's.
    let s = String::from_utf8_lossy(&a);
    assert!(
        s.contains("D:20260305000000"),
        "the creation date is the document's date"
    );
    let mut other = report();
    other.signer.name = "Lê Thị Bình".into();
    assert_ne!(a, other.to_pdf().unwrap());
    let batch = [report(), other.clone()];
    assert_eq!(batch_pdf(&batch).unwrap(), batch_pdf(&batch).unwrap());
}

#[test]
fn long_tables_repeat_their_header_and_pages_are_numbered_from_two() {
    let pdf = long_report(60, "Nguyễn Văn An").to_pdf().unwrap();
    if !poppler_or_skip() {
        return;
    }
    let pages = page_count(&pdf);
    assert!(pages >= 2, "60 rows take more than one page");
    let first = page_text(&pdf, 1);
    let second = page_text(&pdf, 2);
    // The header row again at the top of page 2.
    assert!(second.contains("Họ và tên"), "{second}");
    // Page 1 has no number; page 2 begins with "2".
    assert_eq!(second.split_whitespace().next(), Some("2"), "{second}");
    assert_ne!(first.split_whitespace().next(), Some("1"), "{first}");
}

#[test]
fn a_batch_starts_each_document_on_a_new_page_with_its_own_numbers() {
    let docs = [long_report(60, "Người Một"), report(), long_report(60, "Người Ba")];
    let pdf = batch_pdf(&docs).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if !poppler_or_skip() {
        return;
    }
    let each: Vec<usize> = docs.iter().map(|d| page_count(&d.to_pdf().unwrap())).collect();
    assert_eq!(page_count(&pdf), each.iter().sum::<usize>());
    // Each document's first page has the national name and no page number; its second page
    // (where there is one) is numbered 2.
    let mut start = 1;
    for (i, n) in each.iter().enumerate() {
        let first = page_text(&pdf, start);
        assert!(
            first.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            "document {i}: {first}"
        );
        assert!(
            !first.trim_start().starts_with(char::is_numeric),
            "document {i}: {first}"
        );
        if *n >= 2 {
            let second = page_text(&pdf, start + 1);
            assert_eq!(second.split_whitespace().next(), Some("2"), "document {i}: {second}");
        }
        start += n;
    }
    let text = text_of(&pdf);
    assert!(text.contains("Người Một") && text.contains("Người Ba"));
    let info = with_file(&pdf, |p| {
        String::from_utf8(Command::new("pdfinfo").arg(p).output().unwrap().stdout).unwrap()
    });
    assert!(info.contains("Title:           Tập 3 văn bản"), "{info}");
}

#[test]
fn empty_batches_are_refused() {
    assert!(matches!(batch_pdf(&[]), Err(WriteError::EmptyBatch)));
    assert!(matches!(batch_docx(&[]), Err(WriteError::EmptyBatch)));
    assert_eq!(WriteError::EmptyBatch.to_string(), "Không có văn bản nào để in.");
}

#[test]
fn bad_table_widths_fail_the_pdf_as_they_fail_the_docx() {
    let mut doc = report();
    doc.body = vec![Block::Table {
        headers: vec!["a".into(), "b".into()],
        rows: vec![],
        widths_pct: Some(vec![1]),
    }];
    assert!(matches!(doc.to_pdf(), Err(WriteError::TableWidthCount { .. })));
    assert!(matches!(doc.to_docx(), Err(WriteError::TableWidthCount { .. })));
}

/// The yearly list forms have a dozen columns.
fn wide_list() -> OfficialDocument {
    let headers: Vec<String> = [
        "TT",
        "Họ và tên",
        "Ngày sinh",
        "Nơi thường trú",
        "Dân tộc",
        "Tôn giáo",
        "Trình độ văn hóa",
        "Nghề nghiệp",
        "Họ tên cha",
        "Họ tên mẹ",
        "Sức khỏe",
        "Ghi chú",
    ]
    .map(String::from)
    .to_vec();
    let rows = (1..=30)
        .map(|i| {
            vec![
                i.to_string(),
                format!("Phạm Quốc Khánh {i}"),
                "12/11/2008".into(),
                "Thôn Đông, xã Tân Hưng".into(),
                "Kinh".into(),
                "Không".into(),
                "12/12".into(),
                "Làm ruộng".into(),
                "Phạm Văn Bình".into(),
                "Đỗ Thị Hoa".into(),
                "Loại 2".into(),
                String::new(),
            ]
        })
        .collect();
    let mut doc = report();
    doc.kind_label = "Danh sách".into();
    doc.title = "Công dân nam đủ 17 tuổi trong năm".into();
    doc.body = vec![Block::Table {
        headers,
        rows,
        widths_pct: Some(vec![4, 14, 9, 14, 6, 6, 8, 9, 10, 10, 6, 4]),
    }];
    doc
}

#[test]
fn wide_tables_get_smaller_type_in_both_formats() {
    assert_eq!(table_type_size(3), 13);
    assert_eq!(table_type_size(6), 13);
    assert_eq!(table_type_size(8), 11);
    assert_eq!(table_type_size(12), 10);
    let doc = wide_list();
    let docx = doc.to_docx().unwrap();
    let xml = docx_part(&docx, "word/document.xml");
    assert!(xml
        .contains(r#"<w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr><w:t xml:space="preserve">Trình độ văn hóa</w:t>"#));
    let pdf = doc.to_pdf().unwrap();
    if !poppler_or_skip() {
        return;
    }
    // Every cell is printed, and nothing runs off the page (pdftotext -bbox: every word's
    // right edge inside the 15 mm right margin of an A4 page).
    let text = squash(&text_of(&pdf));
    for h in ["Họ tên cha", "Phạm Quốc Khánh 30", "Đỗ Thị Hoa", "Loại 2"] {
        assert!(text.contains(h), "{h}: {text}");
    }
    let html = with_file(&pdf, |p| run("pdftotext", &["-bbox"], p));
    let limit = 595.276 - 15.0 / 25.4 * 72.0 + 0.5;
    let mut words = 0;
    for line in html.lines().filter(|l| l.contains("<word ")) {
        let x_max: f64 = line
            .split("xMax=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .expect("xMax");
        assert!(x_max <= limit, "past the right margin: {line}");
        words += 1;
    }
    assert!(words > 300);
}

fn docx_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn a_docx_batch_has_one_section_per_document() {
    let docs = [report(), long_report(5, "Người Hai"), report()];
    let bytes = batch_docx(&docs).unwrap();
    let xml = docx_part(&bytes, "word/document.xml");
    // Three sections: two ending in a paragraph, the last at the end of the body; each restarts
    // the page numbers and hides the number on its first page.
    assert_eq!(xml.matches("<w:sectPr>").count(), 3);
    assert_eq!(xml.matches(r#"<w:pgNumType w:start="1"/>"#).count(), 3);
    assert_eq!(xml.matches("<w:titlePg/>").count(), 3);
    assert_eq!(xml.matches(r#"<w:type w:val="nextPage"/>"#).count(), 3);
    assert_eq!(xml.matches("<w:pPr><w:sectPr>").count(), 2);
    assert!(xml.ends_with("</w:sectPr></w:body></w:document>"));
    assert_eq!(xml.matches("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").count(), 3);
    let core = docx_part(&bytes, "docProps/core.xml");
    assert!(core.contains("<dc:title>Tập 3 văn bản</dc:title>"), "{core}");
    // A batch of one is the document itself.
    assert_eq!(batch_docx(&docs[..1]).unwrap(), docs[0].to_docx().unwrap());
    assert_eq!(batch_pdf(&docs[..1]).unwrap(), docs[0].to_pdf().unwrap());
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\PC#*_$\\[\\]\\\\<>@`/\"'\\n\\t]{0,40}",
        Just(String::new())
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn to_pdf_never_fails_on_any_text(
        superior_body in prop::option::of(text()),
        issuer in text(),
        number_symbol in prop::option::of(text()),
        place in text(),
        day in Date::MIN.to_julian_day()..=Date::MAX.to_julian_day(),
        kind_label in text(),
        title in text(),
        paragraphs in prop::collection::vec(text(), 0..3),
        cells in prop::collection::vec(text(), 0..4),
        authority in prop::option::of(text()),
        signer_title in text(),
        name in text(),
        recipients in prop::collection::vec(text(), 0..4),
    ) {
        let mut body: Vec<Block> = paragraphs.into_iter().map(Block::Paragraph).collect();
        body.push(Block::Table { headers: cells.clone(), rows: vec![cells], widths_pct: None });
        let doc = OfficialDocument {
            superior_body,
            issuer,
            number_symbol,
            place,
            date: Date::from_julian_day(day).unwrap(),
            kind_label,
            title,
            body,
            signer: Signer { authority, title: signer_title, name },
            recipients,
        };
        let pdf = doc.to_pdf().expect("never fails with consistent table widths");
        prop_assert!(pdf.starts_with(b"%PDF-"));
        if tool_available("pdftotext") {
            prop_assert!(squash(&text_of(&pdf)).contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        }
    }
}
