//! Document kinds (tên loại văn bản) and directive topics, with their Vietnamese labels.

use serde::{Deserialize, Serialize};

/// The kind of an incoming document, as the contract `directive-parse.md` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    ChiThi,
    KeHoach,
    ThongBao,
    NghiQuyet,
    QuyetDinh,
    BaoCao,
    CongVan,
    HuongDan,
    /// A press or web report, not an administrative document.
    News,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 10] = [
        DocumentKind::ChiThi,
        DocumentKind::KeHoach,
        DocumentKind::ThongBao,
        DocumentKind::NghiQuyet,
        DocumentKind::QuyetDinh,
        DocumentKind::BaoCao,
        DocumentKind::CongVan,
        DocumentKind::HuongDan,
        DocumentKind::News,
        DocumentKind::Other,
    ];

    /// The JSON value ("chi_thi").
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::ChiThi => "chi_thi",
            DocumentKind::KeHoach => "ke_hoach",
            DocumentKind::ThongBao => "thong_bao",
            DocumentKind::NghiQuyet => "nghi_quyet",
            DocumentKind::QuyetDinh => "quyet_dinh",
            DocumentKind::BaoCao => "bao_cao",
            DocumentKind::CongVan => "cong_van",
            DocumentKind::HuongDan => "huong_dan",
            DocumentKind::News => "news",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The Vietnamese name of the kind ("Chỉ thị").
    pub fn label_vi(self) -> &'static str {
        match self {
            DocumentKind::ChiThi => "Chỉ thị",
            DocumentKind::KeHoach => "Kế hoạch",
            DocumentKind::ThongBao => "Thông báo",
            DocumentKind::NghiQuyet => "Nghị quyết",
            DocumentKind::QuyetDinh => "Quyết định",
            DocumentKind::BaoCao => "Báo cáo",
            DocumentKind::CongVan => "Công văn",
            DocumentKind::HuongDan => "Hướng dẫn",
            DocumentKind::News => "Tin bài",
            DocumentKind::Other => "Văn bản khác",
        }
    }

    /// The kind named by a type abbreviation of a number/symbol (ND 30/2020 Phụ lục III for State
    /// documents; the same letters are used by Party documents under HD 36-HD/VPTW).
    pub fn from_type_code(code: &str) -> Option<DocumentKind> {
        Some(match code.replace('Ð', "Đ").as_str() {
            "CT" => DocumentKind::ChiThi,
            "KH" => DocumentKind::KeHoach,
            "TB" => DocumentKind::ThongBao,
            "NQ" => DocumentKind::NghiQuyet,
            "QĐ" => DocumentKind::QuyetDinh,
            "BC" => DocumentKind::BaoCao,
            "HD" => DocumentKind::HuongDan,
            "CV" => DocumentKind::CongVan,
            _ => return None,
        })
    }

    /// The kind named by an upper-case heading ("CHỈ THỊ"), given in folded form ("chi thi").
    pub(crate) fn from_folded_heading(folded: &str) -> Option<DocumentKind> {
        const HEADINGS: &[(&str, DocumentKind)] = &[
            ("chi thi", DocumentKind::ChiThi),
            ("ke hoach", DocumentKind::KeHoach),
            ("thong bao", DocumentKind::ThongBao),
            ("nghi quyet", DocumentKind::NghiQuyet),
            ("quyet dinh", DocumentKind::QuyetDinh),
            ("bao cao", DocumentKind::BaoCao),
            ("huong dan", DocumentKind::HuongDan),
            ("cong van", DocumentKind::CongVan),
            // Named kinds that the contract has no value for.
            ("ket luan", DocumentKind::Other),
            ("to trinh", DocumentKind::Other),
            ("quy dinh", DocumentKind::Other),
            ("quy che", DocumentKind::Other),
            ("chuong trinh", DocumentKind::Other),
            ("phuong an", DocumentKind::Other),
            ("de an", DocumentKind::Other),
            ("cong dien", DocumentKind::Other),
            ("bien ban", DocumentKind::Other),
            ("giay moi", DocumentKind::Other),
            ("thong cao", DocumentKind::Other),
            ("lenh", DocumentKind::Other),
        ];
        HEADINGS.iter().find_map(|(h, k)| {
            let rest = folded.strip_prefix(h)?;
            (rest.is_empty() || rest.starts_with(' ')).then_some(*k)
        })
    }
}

/// The subject areas of local military work that a directive can touch (contract values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    TuyenQuan,
    DanQuanTuVe,
    DuBiDongVien,
    GiaoDucQpan,
    KhuVucPhongThu,
    DienTap,
    PhongThuDanSu,
    HauPhuongQuanDoi,
    DanVan,
    KyLuatViPham,
    Khac,
}

impl Topic {
    pub const ALL: [Topic; 11] = [
        Topic::TuyenQuan,
        Topic::DanQuanTuVe,
        Topic::DuBiDongVien,
        Topic::GiaoDucQpan,
        Topic::KhuVucPhongThu,
        Topic::DienTap,
        Topic::PhongThuDanSu,
        Topic::HauPhuongQuanDoi,
        Topic::DanVan,
        Topic::KyLuatViPham,
        Topic::Khac,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::TuyenQuan => "tuyen_quan",
            Topic::DanQuanTuVe => "dan_quan_tu_ve",
            Topic::DuBiDongVien => "du_bi_dong_vien",
            Topic::GiaoDucQpan => "giao_duc_qpan",
            Topic::KhuVucPhongThu => "khu_vuc_phong_thu",
            Topic::DienTap => "dien_tap",
            Topic::PhongThuDanSu => "phong_thu_dan_su",
            Topic::HauPhuongQuanDoi => "hau_phuong_quan_doi",
            Topic::DanVan => "dan_van",
            Topic::KyLuatViPham => "ky_luat_vi_pham",
            Topic::Khac => "khac",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Topic::TuyenQuan => "Tuyển quân",
            Topic::DanQuanTuVe => "Dân quân tự vệ",
            Topic::DuBiDongVien => "Dự bị động viên",
            Topic::GiaoDucQpan => "Giáo dục quốc phòng và an ninh",
            Topic::KhuVucPhongThu => "Khu vực phòng thủ",
            Topic::DienTap => "Diễn tập",
            Topic::PhongThuDanSu => "Phòng thủ dân sự",
            Topic::HauPhuongQuanDoi => "Hậu phương quân đội",
            Topic::DanVan => "Dân vận",
            Topic::KyLuatViPham => "Kỷ luật, vi phạm",
            Topic::Khac => "Khác",
        }
    }

    /// Folded key phrases that mark the topic. Matching is on word boundaries of folded text.
    pub(crate) fn keywords(self) -> &'static [&'static str] {
        match self {
            Topic::TuyenQuan => &[
                "tuyen quan",
                "nhap ngu",
                "giao quan",
                "goi cong dan",
                "tuyen chon va goi",
                "nghia vu quan su",
                "kham tuyen",
            ],
            Topic::DanQuanTuVe => &["dan quan", "tu ve", "dqtv"],
            Topic::DuBiDongVien => &["du bi dong vien", "dbdv", "quan nhan du bi", "dong vien"],
            Topic::GiaoDucQpan => &["giao duc quoc phong", "gdqp", "kien thuc quoc phong", "ktqp", "qp&an"],
            Topic::KhuVucPhongThu => &[
                "khu vuc phong thu",
                "can cu hau phuong",
                "can cu chien dau",
                "cong trinh phong thu",
                "cong trinh quoc phong",
            ],
            Topic::DienTap => &["dien tap"],
            Topic::PhongThuDanSu => &[
                "phong thu dan su",
                "thien tai",
                "tim kiem cuu nan",
                "cuu ho cuu nan",
                "cuu ho, cuu nan",
            ],
            Topic::HauPhuongQuanDoi => &["hau phuong quan doi", "xuan chien si"],
            Topic::DanVan => &["dan van", "chung suc xay dung nong thon moi"],
            Topic::KyLuatViPham => &["vi pham", "ky luat", "chong, tron", "tron tranh", "xu phat"],
            Topic::Khac => &[],
        }
    }
}
