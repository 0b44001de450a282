//! Writing administrative documents as DOCX: the package is a valid zip with the required parts,
//! every XML part parses, and the crate's own reader (and the directive parser) reads back what
//! was written, special characters included.

mod common;
use common::report;
use phongthu_documents::official::{vi_date_line, Block, OfficialDocument, Signer, WriteError};
use phongthu_documents::{read_document, SourceKind};
use phongthu_domain::directive::{parse, DocumentKind};
use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::{Cursor, Read};
use time::macros::date;
use time::Date;
use unicode_normalization::UnicodeNormalization;

const PARTS: [&str; 9] = [
    "[Content_Types].xml",
    "_rels/.rels",
    "word/document.xml",
    "word/_rels/document.xml.rels",
    "word/styles.xml",
    "word/settings.xml",
    "word/header1.xml",
    "docProps/core.xml",
    "docProps/app.xml",
];

fn parts(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("the output is a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).expect("UTF-8 part");
            (f.name().to_string(), s)
        })
        .collect()
}

fn part(bytes: &[u8], name: &str) -> String {
    parts(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .1
}

/// Parses a whole XML part (end tags checked); returns the text content.
fn parse_xml(name: &str, xml: &str) -> String {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Text(t)) => text.push_str(&t.unescape().unwrap_or_else(|e| panic!("{name}: {e}"))),
            Ok(_) => {}
            Err(e) => panic!("{name} is not well-formed XML at {}: {e}", reader.buffer_position()),
        }
    }
    text
}

fn read_back(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("van-ban.docx");
    std::fs::write(&path, bytes).unwrap();
    let out = read_document(&path, &mut |_| {}).expect("the reader opens the written DOCX");
    assert_eq!(out.source, SourceKind::Docx);
    out.text
}

#[test]
fn package_has_the_required_parts_and_they_parse() {
    let bytes = report().to_docx().unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let all = parts(&bytes);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, PARTS, "[Content_Types].xml first, then the rest");
    for (name, xml) in &all {
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\""), "{name}");
        parse_xml(name, xml);
    }
    let types = part(&bytes, "[Content_Types].xml");
    for p in [
        "/word/document.xml",
        "/word/styles.xml",
        "/word/settings.xml",
        "/word/header1.xml",
        "/docProps/core.xml",
        "/docProps/app.xml",
    ] {
        assert!(types.contains(&format!("PartName=\"{p}\"")), "{p} has no content type");
    }
    assert!(part(&bytes, "_rels/.rels").contains("Target=\"word/document.xml\""));
    let rels = part(&bytes, "word/_rels/document.xml.rels");
    for target in ["styles.xml", "settings.xml", "header1.xml"] {
        assert!(rels.contains(&format!("Target=\"{target}\"")), "{target} not related");
    }
    // The page number from page 2 on: a PAGE field in the header, no header on the first page.
    assert!(part(&bytes, "word/header1.xml").contains(" PAGE "));
    let doc = part(&bytes, "word/document.xml");
    assert!(doc.contains(r#"<w:headerReference w:type="default" r:id="rId3"/>"#) && doc.contains("<w:titlePg/>"));
    // The same document gives the same bytes.
    assert_eq!(bytes, report().to_docx().unwrap());
}

#[test]
fn page_is_a4_with_decree_margins_in_times_new_roman() {
    let bytes = report().to_docx().unwrap();
    let doc = part(&bytes, "word/document.xml");
    assert!(doc.contains(r#"<w:pgSz w:w="11906" w:h="16838"/>"#));
    // top 20 mm, right 15 mm, bottom 20 mm, left 30 mm
    assert!(doc.contains(r#"w:top="1134" w:right="851" w:bottom="1134" w:left="1701""#));
    let styles = part(&bytes, "word/styles.xml");
    assert!(styles.contains(r#"<w:rFonts w:ascii="Times New Roman""#));
    assert!(styles.contains(r#"<w:sz w:val="28"/>"#), "body 14 pt");
    // Rules under the issuer, the motto and the title.
    assert_eq!(doc.matches("<w:pBdr><w:top w:val=\"single\"").count(), 3);
    // The two head/foot tables have no borders; the body table has.
    assert_eq!(doc.matches(r#"<w:insideV w:val="nil"/>"#).count(), 2);
    assert_eq!(doc.matches(r#"<w:insideV w:val="single""#).count(), 1);
    // Date line in italics, the header row of the body table repeated.
    assert!(doc.contains("<w:i/><w:iCs/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr><w:t xml:space=\"preserve\">Hưng Yên, ngày 05 tháng 3 năm 2026</w:t>"));
    assert!(doc.contains("<w:tblHeader/>"));
    let core = part(&bytes, "docProps/core.xml");
    assert!(core.contains("<dc:title>BÁO CÁO Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026</dc:title>"));
    assert!(core.contains("2026-03-05T00:00:00Z"));
}

#[test]
fn the_reader_reads_back_every_element() {
    let text = read_back(&report().to_docx().unwrap());
    for expected in [
        "BỘ CHỈ HUY QUÂN SỰ TỈNH HƯNG YÊN",
        "BAN CHỈ HUY QUÂN SỰ XÃ TÂN HƯNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 15/BC-BCH",
        "Hưng Yên, ngày 05 tháng 3 năm 2026",
        "BÁO CÁO",
        "Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026",
        "I. KẾT QUẢ",
        "TT\tThôn\tSố công dân",
        "2\tThôn Đoài\t37",
        "KT. CHỈ HUY TRƯỞNG",
        "PHÓ CHỈ HUY TRƯỞNG",
        "Nguyễn Văn An",
        "Nơi nhận:",
        "- Bộ CHQS tỉnh (để b/c);",
        "- Lưu: VT.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Head layout: issuer beside the Quốc hiệu, number beside the date line.
    assert!(
        text.contains("Số: 15/BC-BCH\tHưng Yên, ngày 05 tháng 3 năm 2026"),
        "{text}"
    );
}

#[test]
fn the_directive_parser_understands_the_output() {
    let text = read_back(&report().to_docx().unwrap());
    let parsed = parse(&text);
    assert_eq!(parsed.kind, DocumentKind::BaoCao, "{text}");
    assert_eq!(parsed.number_symbol.as_deref(), Some("15/BC-BCH"));
    assert_eq!(parsed.date, Some(date!(2026 - 03 - 05)));
    assert_eq!(parsed.place.as_deref(), Some("Hưng Yên"));
    let signer = parsed.signer.expect("signer found");
    assert_eq!(signer.name, "Nguyễn Văn An");
}

#[test]
fn special_characters_and_nfd_input_survive() {
    let nfd = |s: &str| -> String { s.nfd().collect() };
    let mut doc = report();
    doc.issuer = nfd("Ban Chỉ huy quân sự xã Tân Hưng");
    doc.title = nfd("Về việc \"A & B\" <khẩn> 'mật'");
    doc.place = nfd("Hưng Yên");
    doc.signer.name = nfd("Nguyễn Thị Ánh Tuyết");
    doc.body = vec![
        Block::Paragraph("x < y && y > z; ]]> \u{0}\u{7}\u{FFFF}hết".into()),
        Block::Table {
            headers: vec!["Tên & số".into()],
            rows: vec![vec!["<b>".into(), "thừa ô".into()], vec![]],
            widths_pct: None,
        },
        Block::Paragraph("dòng 1\ndòng 2\tcột".into()),
    ];
    assert_ne!(
        doc.title,
        doc.title.nfc().collect::<String>(),
        "the input really is NFD"
    );
    let bytes = doc.to_docx().unwrap();
    let xml = part(&bytes, "word/document.xml");
    let xml_text = parse_xml("word/document.xml", &xml);
    assert!(xml_text.contains("Về việc \"A & B\" <khẩn> 'mật'"), "{xml_text}");
    assert!(xml.contains("&amp; B&quot; &lt;khẩn&gt;"));
    let text = read_back(&bytes);
    for expected in [
        "BAN CHỈ HUY QUÂN SỰ XÃ TÂN HƯNG",
        "Về việc \"A & B\" <khẩn> 'mật'",
        "Hưng Yên, ngày 05 tháng 3 năm 2026",
        "Nguyễn Thị Ánh Tuyết",
        "x < y && y > z; ]]> hết",
        "Tên & số",
        "<b>\tthừa ô",
        "dòng 1\ndòng 2\tcột",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains('\u{0}') && !text.contains('\u{FFFF}'));
    // No decomposed marks were left anywhere.
    assert_eq!(text, text.nfc().collect::<String>());
}

#[test]
fn letter_without_kind_puts_the_summary_under_the_number() {
    let mut doc = report();
    doc.kind_label = "  ".into();
    doc.number_symbol = Some("123/BCH-TM".into());
    doc.title = "Đôn đốc đăng ký nghĩa vụ quân sự".into();
    doc.superior_body = None;
    doc.signer.authority = None;
    let text = read_back(&doc.to_docx().unwrap());
    assert!(text.contains("V/v Đôn đốc đăng ký nghĩa vụ quân sự"), "{text}");
    assert!(!text.contains("BÁO CÁO"));
    assert!(!text.contains("KT."));

    let mut draft = report();
    draft.number_symbol = None;
    let text = read_back(&draft.to_docx().unwrap());
    assert!(
        text.lines().any(|l| l.starts_with("Số:") && !l.contains("15/BC-BCH")),
        "{text}"
    );
}

#[test]
fn bad_table_widths_are_vietnamese_errors() {
    let mut doc = report();
    doc.body.push(Block::Table {
        headers: vec!["A".into(), "B".into()],
        rows: vec![vec!["1".into(), "2".into(), "3".into()]],
        widths_pct: Some(vec![50, 50]),
    });
    let e = doc.to_docx().unwrap_err();
    assert!(
        matches!(
            e,
            WriteError::TableWidthCount {
                table: 2,
                columns: 3,
                given: 2
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "Bảng thứ 2 trong nội dung có 3 cột nhưng tỉ lệ độ rộng lại cho 2 cột."
    );
    let mut doc = report();
    doc.body = vec![Block::Table {
        headers: vec!["A".into()],
        rows: vec![],
        widths_pct: Some(vec![0]),
    }];
    let e = doc.to_docx().unwrap_err();
    assert!(matches!(e, WriteError::TableWidthZero { table: 1 }));
    assert!(e.to_string().ends_with("đều bằng 0."));
}

#[test]
fn date_lines() {
    assert_eq!(
        vi_date_line("Hưng Yên", date!(2026 - 11 - 29)),
        "Hưng Yên, ngày 29 tháng 11 năm 2026"
    );
    assert_eq!(
        vi_date_line("Hà Nội", date!(2026 - 02 - 09)),
        "Hà Nội, ngày 09 tháng 02 năm 2026"
    );
    assert_eq!(
        vi_date_line("Hà Nội", date!(2026 - 03 - 05)),
        "Hà Nội, ngày 05 tháng 3 năm 2026"
    );
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[\\PC&<>\"'\\n\\t]{0,40}", Just(String::new())]
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        text().prop_map(Block::Paragraph),
        text().prop_map(Block::Heading),
        (
            prop::collection::vec(text(), 0..4),
            prop::collection::vec(prop::collection::vec(text(), 0..4), 0..4),
            any::<bool>(),
        )
            .prop_map(|(headers, rows, sized)| {
                let columns = rows.iter().map(Vec::len).chain([headers.len()]).max().unwrap_or(0);
                let widths_pct = sized.then(|| (0..columns).map(|i| 10 + i as u8).collect());
                Block::Table {
                    headers,
                    rows,
                    widths_pct,
                }
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn to_docx_never_fails_on_any_text(
        superior_body in prop::option::of(text()),
        issuer in text(),
        number_symbol in prop::option::of(text()),
        place in text(),
        day in Date::MIN.to_julian_day()..=Date::MAX.to_julian_day(),
        kind_label in text(),
        title in text(),
        body in prop::collection::vec(block(), 0..5),
        authority in prop::option::of(text()),
        signer_title in text(),
        name in text(),
        recipients in prop::collection::vec(text(), 0..4),
    ) {
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
        let bytes = doc.to_docx().expect("never fails with consistent table widths");
        for (name, xml) in parts(&bytes) {
            parse_xml(&name, &xml);
        }
        let text = read_back(&bytes);
        prop_assert!(text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        prop_assert!(text.contains(&vi_date_line(&doc.place, doc.date)));
    }
}
