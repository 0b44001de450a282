//! Times the PDF output: one two-page report (first call, with the fonts loaded, then warm), and a
//! batch of 100 such reports in one PDF. Figures in docs/PERFORMANCE.md.
//!
//! `cargo run --release -p phongthu-documents --example pdf_timing [DIR]`; with a directory, the
//! report and the batch are also written there (`bao-cao.pdf`, `tap-100.pdf`) to look at.

use phongthu_documents::official::{batch_pdf, Block, OfficialDocument, Signer};
use std::time::Instant;
use time::macros::date;

fn report(n: usize) -> OfficialDocument {
    OfficialDocument {
        superior_body: Some("Bộ chỉ huy quân sự tỉnh Hưng Yên".into()),
        issuer: "Ban chỉ huy quân sự xã Tân Hưng".into(),
        number_symbol: Some(format!("{n}/QĐ-UBND")),
        place: "Hưng Yên".into(),
        date: date!(2026 - 02 - 10),
        kind_label: "Báo cáo".into(),
        title: "Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026".into(),
        body: vec![
            Block::Paragraph(
                "Thực hiện Kế hoạch số 12/KH-BCH ngày 02 tháng 01 năm 2026 của Bộ Chỉ huy quân sự tỉnh, Ban Chỉ huy quân sự xã báo cáo kết quả như sau:"
                    .into(),
            ),
            Block::Heading("I. KẾT QUẢ".into()),
            Block::Table {
                headers: vec!["TT".into(), "Họ và tên".into(), "Ngày sinh".into(), "Thôn".into()],
                rows: (1..=40)
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
            },
            Block::Paragraph("Trên đây là báo cáo kết quả đăng ký.".into()),
        ],
        signer: Signer {
            authority: Some("KT. Chỉ huy trưởng".into()),
            title: "Phó chỉ huy trưởng".into(),
            name: "Nguyễn Văn An".into(),
        },
        recipients: vec!["Bộ CHQS tỉnh (để b/c)".into(), "Lưu: VT".into()],
    }
}

fn main() {
    let doc = report(1);
    let t = Instant::now();
    let first = doc.to_pdf().expect("PDF");
    let cold = t.elapsed();
    let runs = 10;
    // typst memoises its work (comemo): the same document again is mostly a cache hit, a
    // different one (another number) is laid out anew.
    let t = Instant::now();
    for _ in 0..runs {
        doc.to_pdf().expect("PDF");
    }
    let same = t.elapsed() / runs;
    let t = Instant::now();
    for i in 0..runs {
        report(1000 + i as usize).to_pdf().expect("PDF");
    }
    let warm = t.elapsed() / runs;
    let docs: Vec<OfficialDocument> = (1..=100).map(report).collect();
    let t = Instant::now();
    let batch = batch_pdf(&docs).expect("PDF");
    let batch_time = t.elapsed();
    let t = Instant::now();
    let docx = phongthu_documents::official::batch_docx(&docs).expect("DOCX");
    let docx_time = t.elapsed();
    if let Some(dir) = std::env::args().nth(1) {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("bao-cao.pdf"), &first).expect("write");
        std::fs::write(dir.join("tap-100.pdf"), &batch).expect("write");
        std::fs::write(dir.join("tap-100.docx"), &docx).expect("write");
    }
    println!(
        "one 2-page report: {} bytes; first call (fonts loaded) {:.0} ms; then {:.0} ms per different report, {:.0} ms for the same one again (means of {runs})",
        first.len(),
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3,
        same.as_secs_f64() * 1e3
    );
    println!(
        "batch of 100 reports: {} bytes in {:.2} s; the same batch as DOCX: {} bytes in {:.0} ms",
        batch.len(),
        batch_time.as_secs_f64(),
        docx.len(),
        docx_time.as_secs_f64() * 1e3
    );
}
