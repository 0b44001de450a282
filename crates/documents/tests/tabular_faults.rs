//! Hostile and damaged table files: each is refused with a Vietnamese sentence that says what is
//! wrong, or read correctly; nothing panics and nothing is held beyond the reader's bounds.

use phongthu_documents::tabular::{write_xlsx, ColumnSpec, TabularError, TabularReader, XlsxWriter};
use std::io::{Cursor, Write};

/// The header and the rows (line, cells) of a table.
type Table = (Vec<String>, Vec<(u64, Vec<String>)>);

fn read_all(bytes: Vec<u8>) -> Result<Table, TabularError> {
    let r = TabularReader::from_bytes(bytes)?;
    let headers = r.headers.clone();
    let mut rows = vec![];
    for row in r {
        let row = row?;
        rows.push((row.line, row.cells));
    }
    Ok((headers, rows))
}

fn cols<'a>(headers: &[&'a str]) -> Vec<ColumnSpec<'a>> {
    headers
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: true,
            width: 0.0,
        })
        .collect()
}

/// `base` with some parts replaced (or added) and others dropped.
fn rezip(base: &[u8], replace: &[(&str, &[u8])], drop: &[&str]) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(base.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_string();
        if drop.contains(&name.as_str()) || replace.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.start_file(name.as_str(), opts).unwrap();
        std::io::copy(&mut f, &mut out).unwrap();
    }
    for (name, body) in replace {
        out.start_file(*name, opts).unwrap();
        out.write_all(body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn sample() -> Vec<u8> {
    write_xlsx(
        "s",
        &cols(&["Họ và tên", "Ngày sinh"]),
        [["Nguyễn Văn Đức", "05/03/2008"]],
    )
    .unwrap()
}

#[test]
fn a_workbook_without_its_parts_is_named_in_vietnamese() {
    for part in ["xl/_rels/workbook.xml.rels", "xl/workbook.xml"] {
        let bytes = rezip(&sample(), &[], &[part]);
        let e = read_all(bytes).unwrap_err().to_string();
        assert!(e.contains(&format!("thiếu phần \"{part}\"")), "{e}");
        assert!(!e.contains("File not found"), "{e}");
    }
}

#[test]
fn a_shared_strings_bomb_is_refused_before_it_is_held() {
    // 2.5 million empty strings: 12.5 MB of XML in a file of tens of kilobytes.
    let mut sst = b"<?xml version=\"1.0\"?><sst>".to_vec();
    for _ in 0..2_500_000 {
        sst.extend_from_slice(b"<si/>");
    }
    sst.extend_from_slice(b"</sst>");
    let bytes = rezip(&sample(), &[("xl/sharedStrings.xml", &sst)], &[]);
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let e = read_all(bytes).unwrap_err().to_string();
    assert!(e.contains("Bảng chuỗi dùng chung") && e.contains("2.000.000"), "{e}");
}

#[test]
fn a_huge_cell_is_refused_and_a_long_one_is_read() {
    // 40,000 characters: beyond Excel's limit but read (the importers refuse the field).
    let long = "a".repeat(40_000);
    let sheet = format!(
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
         <row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Họ và tên</t></is></c></row>\
         <row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>{long}</t></is></c></row></sheetData></worksheet>"
    );
    let bytes = rezip(&sample(), &[("xl/worksheets/sheet1.xml", sheet.as_bytes())], &[]);
    let (_, rows) = read_all(bytes).unwrap();
    assert_eq!(rows[0].1[0].len(), 40_000);
    // 2 MB in one cell: refused, with the limit said.
    let huge = "a".repeat(2 << 20);
    let sheet = sheet.replace(&long, &huge);
    let bytes = rezip(&sample(), &[("xl/worksheets/sheet1.xml", sheet.as_bytes())], &[]);
    let e = read_all(bytes).unwrap_err().to_string();
    assert!(e.contains("32.767 ký tự"), "{e}");
}

#[test]
fn a_nul_byte_in_a_csv_cell_is_called_what_it_is() {
    let e = read_all(b"H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan,Ghi ch\xc3\xba\nAn,a\x00b\n".to_vec())
        .unwrap_err()
        .to_string();
    assert!(e.contains("Dòng 2") && e.contains("cột 2") && e.contains("NUL"), "{e}");
    assert!(!e.contains("không phải Excel"), "{e}");
    // A binary file is still not taken for a table.
    let e = read_all(vec![0u8; 512]).unwrap_err().to_string();
    assert!(e.contains("không phải Excel (.xlsx) hay CSV"), "{e}");
}

#[test]
fn an_unclosed_quote_is_reported_as_such() {
    let text = "Họ và tên,Ghi chú\nAn,\"chưa đóng\nBình,b\nChi,c\n";
    let r = TabularReader::from_bytes(text.as_bytes().to_vec()).unwrap();
    let out: Vec<_> = r.collect();
    let e = out.iter().find_map(|r| r.as_ref().err()).expect("an error").to_string();
    assert!(e.contains("Dòng 2") && e.contains("ngoặc kép"), "{e}");
    // A quoted cell that spans lines and is closed is read.
    let text = "Họ và tên,Địa chỉ\nAn,\"Thôn 1\nXã A\"\nBình,b\n";
    let (_, rows) = read_all(text.as_bytes().to_vec()).unwrap();
    assert_eq!(rows[0].1, vec!["An".to_string(), "Thôn 1\nXã A".into()]);
    assert_eq!(rows[1].1, vec!["Bình".to_string(), "b".into()]);
}

#[test]
fn a_cell_longer_than_excel_allows_is_written_cut_with_a_note() {
    let long = "đ".repeat(50_000);
    let mut w = XlsxWriter::new("s", &cols(&["Họ và tên"])).unwrap();
    w.push(&[long.as_str()]).unwrap();
    let bytes = w.finish().unwrap();
    let (_, rows) = read_all(bytes).unwrap();
    let cell = &rows[0].1[0];
    assert_eq!(cell.chars().count(), 32_767);
    assert!(
        cell.ends_with("[đã cắt: ô gốc dài 50000 ký tự, quá giới hạn 32.767 ký tự của Excel]"),
        "{cell:.80}"
    );
    // A header too (a file's own header is copied into its file of rejects).
    let header = "h".repeat(40_000);
    assert!(XlsxWriter::new("s", &cols(&[header.as_str()])).is_ok());
}

#[test]
fn truncated_and_mislabelled_files_are_refused_cleanly() {
    let good = sample();
    for cut in [10, 100, good.len() / 2, good.len() - 10] {
        let e = read_all(good[..cut].to_vec()).unwrap_err();
        assert!(
            matches!(
                e,
                TabularError::CorruptXlsx(_) | TabularError::Csv { .. } | TabularError::Unsupported(_)
            ),
            "{cut}: {e}"
        );
        assert!(!e.to_string().contains("File not found"), "{e}");
    }
    assert!(read_all(b"%PDF-1.7 ...".to_vec())
        .unwrap_err()
        .to_string()
        .contains("PDF"));
}
