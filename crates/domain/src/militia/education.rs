//! Defence and security education (giáo dục quốc phòng và an ninh; Luật GDQPAN 30/2013, ND 13/2014
//! as amended by ND 139/2020 and ND 220/2025; law brief §5), exported as `crate::militia::education`.
//!
//! Trainee categories 1–4 (đối tượng bồi dưỡng kiến thức QP&AN) are *settings*: the default data
//! below restates them with their legal source and whether the list was confirmed. Course
//! durations are UNCONFIRMED. A certificate (Luật GDQPAN 2013 Art. 18.4) does not expire: neither
//! the law, ND 13/2014, ND 139/2020 nor TT 24/2014 sets a validity period or a refresher interval,
//! so this module flags only cadres who have no certificate for their own category.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use time::Date;

/// One trainee category, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraineeCategory {
    /// 1..=4
    pub number: u8,
    pub label_vi: String,
    pub description_vi: String,
    pub legal_source: String,
    /// Whether the brief confirmed the list of who belongs here.
    pub confirmed: bool,
}

/// The default categories (law brief §5, Hướng dẫn 90/HD-HĐGDQPAN of 31/5/2016).
pub fn default_categories() -> Vec<TraineeCategory> {
    let src = "Hướng dẫn 90/HD-HĐGDQPAN ngày 31/5/2016 của Hội đồng Giáo dục quốc phòng và an ninh Trung ương";
    vec![
        TraineeCategory {
            number: 1,
            label_vi: "Đối tượng 1".into(),
            description_vi: "Ủy viên Trung ương Đảng (chính thức và dự khuyết); lãnh đạo bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ, các ban Đảng Trung ương và cơ quan của Quốc hội; sĩ quan cấp tướng quân đội và công an; và một số đối tượng khác.".into(),
            legal_source: src.into(),
            confirmed: true,
        },
        TraineeCategory {
            number: 2,
            label_vi: "Đối tượng 2".into(),
            description_vi: "Cán bộ lãnh đạo cấp tỉnh (danh sách chi tiết chưa được xác minh).".into(),
            legal_source: src.into(),
            confirmed: false,
        },
        TraineeCategory {
            number: 3,
            label_vi: "Đối tượng 3".into(),
            description_vi: "Trưởng, phó phòng các sở, ban, ngành cấp tỉnh và Ủy ban nhân dân cấp tỉnh, cấp huyện; cán bộ các ban Đảng cấp tỉnh; trưởng, phó khoa, phòng các trường đại học, cao đẳng; đại biểu Hội đồng nhân dân cấp huyện; bí thư, phó bí thư đảng ủy cấp xã; chủ tịch, phó chủ tịch Ủy ban Mặt trận Tổ quốc cấp xã; và một số đối tượng khác.".into(),
            legal_source: src.into(),
            confirmed: true,
        },
        TraineeCategory {
            number: 4,
            label_vi: "Đối tượng 4".into(),
            description_vi: "Cán bộ cấp xã và tương đương, công chức cấp huyện (danh sách chi tiết chưa được xác minh).".into(),
            legal_source: src.into(),
            confirmed: false,
        },
    ]
}

/// How long a certificate counts, as the pages say it.
pub const CERTIFICATE_VALIDITY_VI: &str =
    "không hết hạn (Luật Giáo dục quốc phòng và an ninh 2013, Nghị định 13/2014/NĐ-CP và Thông tư 24/2014/TT-BQP không quy định thời hạn)";

/// A defence-education course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub id: String,
    pub category: u8,
    pub start: Date,
    pub end: Date,
}

impl Course {
    /// Check category 1..=4 and dates in order.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=4).contains(&self.category) {
            return Err(format!(
                "Khóa bồi dưỡng \"{}\": đối tượng {} không hợp lệ, chỉ có đối tượng 1 đến 4.",
                self.id, self.category
            ));
        }
        if self.end < self.start {
            return Err(format!(
                "Khóa bồi dưỡng \"{}\": ngày kết thúc trước ngày bắt đầu.",
                self.id
            ));
        }
        Ok(())
    }
}

/// A completion certificate (giấy chứng nhận) held by a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub person_id: String,
    pub category: u8,
    pub course_id: String,
    pub issued_on: Date,
}

/// A cadre who must hold a certificate for a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cadre {
    pub person_id: String,
    pub full_name: String,
    pub category: u8,
}

/// What a cadre lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "gap", rename_all = "snake_case")]
pub enum CertificateGap {
    /// No certificate for the category at all.
    Missing,
    /// Certificates only for other categories. Whether one category covers another is
    /// UNCONFIRMED, so they do not count.
    OtherCategoryOnly { categories: Vec<u8> },
}

/// One cadre lacking a valid certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lack {
    pub person_id: String,
    pub full_name: String,
    pub category: u8,
    pub gap: CertificateGap,
}

impl fmt::Display for Lack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = &self.full_name;
        let cat = self.category;
        match &self.gap {
            CertificateGap::Missing => write!(
                f,
                "{who} chưa có giấy chứng nhận bồi dưỡng kiến thức quốc phòng và an ninh đối tượng {cat}."
            ),
            CertificateGap::OtherCategoryOnly { categories } => write!(
                f,
                "{who} chỉ có giấy chứng nhận đối tượng {}, chưa có giấy chứng nhận đối tượng {cat}.",
                categories.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Cadres without a certificate for their category issued on or before `on`, in Vietnamese name
/// order. Certificates never expire.
pub fn lacking_certificates(cadres: &[Cadre], certificates: &[Certificate], on: Date) -> Vec<Lack> {
    let mut by_person: HashMap<&str, Vec<&Certificate>> = HashMap::new();
    for c in certificates {
        by_person.entry(c.person_id.as_str()).or_default().push(c);
    }
    let mut out: Vec<(String, Lack)> = Vec::new();
    for cadre in cadres {
        let certs = by_person
            .get(cadre.person_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if certs.iter().any(|c| c.category == cadre.category && c.issued_on <= on) {
            continue;
        }
        let gap = {
            let mut categories: Vec<u8> = certs.iter().filter(|c| c.issued_on <= on).map(|c| c.category).collect();
            categories.sort_unstable();
            categories.dedup();
            if categories.is_empty() {
                CertificateGap::Missing
            } else {
                CertificateGap::OtherCategoryOnly { categories }
            }
        };
        out.push((
            crate::text::person_collation_key(&cadre.full_name),
            Lack {
                person_id: cadre.person_id.clone(),
                full_name: cadre.full_name.clone(),
                category: cadre.category,
                gap,
            },
        ));
    }
    out.sort_by(|a, b| (&a.0, &a.1.person_id).cmp(&(&b.0, &b.1.person_id)));
    out.into_iter().map(|(_, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cadre(id: &str, name: &str, cat: u8) -> Cadre {
        Cadre {
            person_id: id.into(),
            full_name: name.into(),
            category: cat,
        }
    }

    fn cert(id: &str, cat: u8, on: Date) -> Certificate {
        Certificate {
            person_id: id.into(),
            category: cat,
            course_id: "k1".into(),
            issued_on: on,
        }
    }

    #[test]
    fn categories_have_sources() {
        let cats = default_categories();
        assert_eq!(cats.iter().map(|c| c.number).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(cats.iter().all(|c| c.legal_source.contains("90/HD-HĐGDQPAN")));
        assert!(!cats[1].confirmed && !cats[3].confirmed);
    }

    #[test]
    fn who_lacks_what() {
        let cadres = vec![
            cadre("1", "Nguyễn Văn Bình", 4),
            cadre("2", "Lê Thị An", 3),
            cadre("3", "Trần Văn Cường", 3),
            cadre("4", "Phạm Văn Dũng", 4),
        ];
        let certs = vec![
            cert("2", 3, date!(2020 - 05 - 01)),
            cert("3", 4, date!(2024 - 05 - 01)),
            cert("4", 4, date!(2025 - 05 - 01)),
            cert("1", 4, date!(2027 - 01 - 01)), // issued after the check date
        ];
        let on = date!(2026 - 06 - 30);
        // Only 1 (nothing yet) and 3 (other category) lack.
        let l = lacking_certificates(&cadres, &certs, on);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].person_id, "1"); // Bình before Cường
        assert_eq!(l[0].gap, CertificateGap::Missing);
        assert_eq!(l[1].gap, CertificateGap::OtherCategoryOnly { categories: vec![4] });
        assert!(l[1].to_string().contains("chỉ có giấy chứng nhận đối tượng 4"));
        // Certificates do not expire: An's certificate of 2020 still counts forty years on.
        let l = lacking_certificates(&cadres[1..2], &certs, date!(2066 - 06 - 30));
        assert!(l.is_empty(), "{l:?}");
    }

    #[test]
    fn course_validation() {
        let c = Course {
            id: "k".into(),
            category: 5,
            start: date!(2026 - 08 - 05),
            end: date!(2026 - 08 - 30),
        };
        assert!(c.validate().unwrap_err().contains("đối tượng 5"));
        let c = Course { category: 3, ..c };
        assert!(c.validate().is_ok());
    }
}
