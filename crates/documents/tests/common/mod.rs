//! The sample report shared by the DOCX and PDF tests of official documents.

use phongthu_documents::official::{Block, OfficialDocument, Signer};
use time::macros::date;

/// A two-section commune report with a small table, as the tests' common document.
pub fn report() -> OfficialDocument {
    OfficialDocument {
        superior_body: Some("Bộ chỉ huy quân sự tỉnh Hưng Yên".into()),
        issuer: "BAN CHỈ HUY QUÂN SỰ XÃ TÂN HƯNG".into(),
        number_symbol: Some("15/BC-BCH".into()),
        place: "Hưng Yên".into(),
        date: date!(2026 - 03 - 05),
        kind_label: "Báo cáo".into(),
        title: "Kết quả đăng ký nghĩa vụ quân sự lần đầu năm 2026".into(),
        body: vec![
            Block::Paragraph(
                "Thực hiện Kế hoạch số 12/KH-BCH ngày 02 tháng 01 năm 2026, Ban Chỉ huy quân sự xã báo cáo như sau:"
                    .into(),
            ),
            Block::Heading("I. KẾT QUẢ".into()),
            Block::Table {
                headers: vec!["TT".into(), "Thôn".into(), "Số công dân".into()],
                rows: vec![
                    vec!["1".into(), "Thôn Đông".into(), "42".into()],
                    vec!["2".into(), "Thôn Đoài".into(), "37".into()],
                ],
                widths_pct: Some(vec![10, 60, 30]),
            },
            Block::Paragraph("Trên đây là báo cáo kết quả đăng ký.".into()),
        ],
        signer: Signer {
            authority: Some("KT. Chỉ huy trưởng".into()),
            title: "Phó chỉ huy trưởng".into(),
            name: "Nguyễn Văn An".into(),
        },
        recipients: vec!["Bộ CHQS tỉnh (để b/c)".into(), "UBND xã".into(), "Lưu: VT".into()],
    }
}
