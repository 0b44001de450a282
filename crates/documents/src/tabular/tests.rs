//! Reading and writing tables: formats, delimiters, dates, limits.

use super::*;
use proptest::prelude::*;

fn read_all(bytes: Vec<u8>) -> Result<(Vec<String>, Vec<Row>), TabularError> {
    let r = TabularReader::from_bytes(bytes)?;
    let headers = r.headers.clone();
    let rows = r.collect::<Result<Vec<_>, _>>()?;
    Ok((headers, rows))
}

#[test]
fn csv_with_bom_semicolons_quotes_and_short_rows() {
    let text = "\u{feff}Họ và tên;Ngày sinh;Ghi chú\r\n\"Nguyễn Văn Đức\";05/03/2008;\"có ; và \"\"ngoặc\"\"\"\r\nTrần Thị Lan;2007-01-02\r\n";
    let (h, rows) = read_all(text.as_bytes().to_vec()).unwrap();
    assert_eq!(h, vec!["Họ và tên", "Ngày sinh", "Ghi chú"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[0].cells, vec!["Nguyễn Văn Đức", "05/03/2008", "có ; và \"ngoặc\""]);
    assert_eq!(
        rows[1].cells,
        vec!["Trần Thị Lan", "2007-01-02", ""],
        "padded to the header"
    );
    // Without a BOM, comma-separated, tab-separated.
    let (h, _) = read_all(b"a,b;c\n1,2\n".to_vec()).unwrap();
    assert_eq!(h, vec!["a", "b;c"]);
    let (h, rows) = read_all(b"a\tb\n1\t2\n".to_vec()).unwrap();
    assert_eq!(
        (h.len(), rows[0].cells.clone()),
        (2, vec!["1".to_string(), "2".to_string()])
    );
}

#[test]
fn refuses_other_encodings_and_formats_with_advice() {
    let e = read_all(b"H\xf4 t\xean\n".to_vec()).unwrap_err().to_string();
    assert!(e.contains("Dòng 1") && e.contains("CSV UTF-8"), "{e}");
    let e = read_all(b"\xff\xfeH\x00".to_vec()).unwrap_err().to_string();
    assert!(e.contains("UTF-16"), "{e}");
    let e = read_all(b"\xD0\xCF\x11\xE0rest".to_vec()).unwrap_err().to_string();
    assert!(e.contains(".xls"), "{e}");
    assert_eq!(read_all(Vec::new()).unwrap_err(), TabularError::NoHeader);
    assert_eq!(read_all(b"\n ,\n".to_vec()).unwrap_err(), TabularError::NoHeader);
    let e = read_all(b"PK\x03\x04 not really a zip".to_vec()).unwrap_err();
    assert!(matches!(e, TabularError::CorruptXlsx(_)), "{e}");
}

#[test]
fn xlsx_round_trip_keeps_text_and_row_numbers() {
    let cols = [
        ColumnSpec {
            header: "Họ và tên",
            text: false,
            width: 0.0,
        },
        ColumnSpec {
            header: "Số định danh cá nhân",
            text: true,
            width: 0.0,
        },
        ColumnSpec {
            header: "Ghi chú",
            text: false,
            width: 0.0,
        },
    ];
    let rows = vec![
        vec!["Nguyễn Văn Đức".to_string(), "033208001234".into(), String::new()],
        vec![String::new(), String::new(), String::new()],
        vec!["Lê Thị Hòa".to_string(), String::new(), "  khoảng trắng  ".into()],
    ];
    let bytes = write_xlsx("Công dân", &cols, &rows).unwrap();
    let (h, got) = read_all(bytes).unwrap();
    assert_eq!(h, vec!["Họ và tên", "Số định danh cá nhân", "Ghi chú"]);
    assert_eq!(got.len(), 2, "blank row skipped");
    assert_eq!(got[0].line, 2);
    assert_eq!(got[0].cells, rows[0]);
    assert_eq!(got[1].line, 4);
    assert_eq!(got[1].cells, rows[2]);
}

#[test]
fn template_has_headers_only_then_notes() {
    let cols = [
        TemplateColumn {
            header: "Họ và tên",
            required: true,
            example: "Nguyễn Văn Đức",
            hint: "Bắt buộc.",
            text: false,
        },
        TemplateColumn {
            header: "Ngày sinh",
            required: true,
            example: "05/03/2008",
            hint: "NN/TT/NNNN",
            text: true,
        },
    ];
    let bytes = template_xlsx("Danh sách công dân", &cols).unwrap();
    let (h, rows) = read_all(bytes).unwrap();
    assert_eq!(h, vec!["Họ và tên", "Ngày sinh"]);
    assert!(rows.is_empty(), "the example lives on the notes sheet");
}

#[test]
fn xlsx_date_and_number_cells_become_text() {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "Ngày sinh").unwrap();
    ws.write_string(0, 1, "Số định danh cá nhân").unwrap();
    ws.write_number_with_format(1, 0, 39512.0, &Format::new().set_num_format("dd/mm/yyyy"))
        .unwrap();
    ws.write_number(1, 1, 33208001234.0).unwrap();
    ws.write_boolean(2, 0, true).unwrap();
    let (h, rows) = read_all(book.save_to_buffer().unwrap()).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(rows[0].cells, vec!["2008-03-05", "33208001234"]);
    assert_eq!(rows[1].cells, vec!["TRUE", ""]);
}

#[test]
fn csv_writer_output_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ds.csv");
    let mut w = CsvWriter::create(&path, &["Họ và tên", "Ghi chú"]).unwrap();
    w.push(&["Nguyễn Văn Đức", "a, \"b\""]).unwrap();
    w.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let (h, rows) = read_all(bytes).unwrap();
    assert_eq!(h, vec!["Họ và tên", "Ghi chú"]);
    assert_eq!(rows[0].cells, vec!["Nguyễn Văn Đức", "a, \"b\""]);
    let r = TabularReader::open(&path).unwrap();
    assert_eq!(r.format, TabularFormat::Csv);
}

#[test]
fn excel_serials() {
    assert_eq!(excel_serial_text(39512.0), "2008-03-05");
    assert_eq!(excel_serial_text(1.0), "1900-01-01");
    assert_eq!(excel_serial_text(61.0), "1900-03-01");
    assert_eq!(excel_serial_text(39512.5), "2008-03-05T12:00:00");
    // A date cell past the calendar's end (a hostile or broken workbook) is its number, not
    // a panic.
    assert_eq!(excel_serial_text(2_958_465.0), "9999-12-31");
    assert_eq!(excel_serial_text(2_958_466.0), number_text(2_958_466.0));
    assert_eq!(excel_serial_text(2_999_999.5), number_text(2_999_999.5));
    assert_eq!(number_text(33208001234.0), "33208001234");
    assert_eq!(number_text(1.5), "1.5");
}

#[test]
fn many_rows_stream_through_the_channel() {
    let cols = [ColumnSpec {
        header: "n",
        text: false,
        width: 0.0,
    }];
    let rows: Vec<Vec<String>> = (0..5000).map(|i| vec![i.to_string()]).collect();
    let bytes = write_xlsx("s", &cols, &rows).unwrap();
    let r = TabularReader::from_bytes(bytes).unwrap();
    let mut n = 0;
    for (i, row) in r.enumerate() {
        let row = row.unwrap();
        assert_eq!(row.cells[0], i.to_string());
        assert_eq!(row.line, i as u64 + 2);
        n += 1;
    }
    assert_eq!(n, 5000);
    // Dropping a reader early stops the worker (no hang).
    let mut r = TabularReader::from_bytes(write_xlsx("s", &cols, &rows).unwrap()).unwrap();
    assert!(r.next().is_some());
    drop(r);
}

fn valid_xlsx() -> Vec<u8> {
    let cols = [
        ColumnSpec {
            header: "a",
            text: true,
            width: 0.0,
        },
        ColumnSpec {
            header: "b",
            text: false,
            width: 0.0,
        },
    ];
    write_xlsx("s", &cols, [["x", "1"], ["y", "2"]]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(r) = TabularReader::from_bytes(bytes) {
            for row in r.take(10_000) {
                let _ = row;
            }
        }
    }

    #[test]
    fn arbitrary_zip_like_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        if let Ok(r) = TabularReader::from_bytes(bytes) {
            for row in r.take(10_000) {
                let _ = row;
            }
        }
    }

    #[test]
    fn damaged_workbooks_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = valid_xlsx();
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        if let Ok(r) = TabularReader::from_bytes(bytes) {
            for row in r.take(10_000) {
                let _ = row;
            }
        }
    }

    #[test]
    fn csv_round_trip(rows in proptest::collection::vec(
        proptest::collection::vec("[a-zA-Z0-9àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễđĐ ,;\"\\n]{0,12}", 3), 1..20)) {
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(["Họ và tên", "Ngày sinh", "Ghi chú"]).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let (h, got) = read_all(bytes).unwrap();
        prop_assert_eq!(h, vec!["Họ và tên", "Ngày sinh", "Ghi chú"]);
        let expected: Vec<&Vec<String>> = rows.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
        let got_cells: Vec<Vec<String>> = got.into_iter().map(|r| r.cells).collect();
        prop_assert_eq!(got_cells.len(), expected.len());
        for (g, e) in got_cells.iter().zip(expected) {
            prop_assert_eq!(g, e);
        }
    }

    #[test]
    fn xlsx_round_trip(rows in proptest::collection::vec(
        proptest::collection::vec("[a-zA-Z0-9àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễđĐ ,;\"]{0,12}", 3), 1..20)) {
        let cols = [
            ColumnSpec { header: "a", text: true, width: 0.0 },
            ColumnSpec { header: "b", text: false, width: 0.0 },
            ColumnSpec { header: "c", text: false, width: 0.0 },
        ];
        let bytes = write_xlsx("s", &cols, &rows).unwrap();
        let (_, got) = read_all(bytes).unwrap();
        let expected: Vec<&Vec<String>> = rows.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
        prop_assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            prop_assert_eq!(&g.cells, e);
        }
    }
}
