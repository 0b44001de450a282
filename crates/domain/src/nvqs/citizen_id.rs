//! The 12-digit personal identification number (số định danh cá nhân, printed on the CCCD /
//! Căn cước card), law brief §9: `PPP G YY RRRRRR`.
//!
//! - `PPP`: province (or country) where the birth was registered, not the current residence;
//! - `G`: century and sex code, even = male, odd = female, birth year = 1900 + 100·⌊G/2⌋ + YY
//!   (ND 137/2015 Art. 13; TT 07/2016/TT-BCA Phụ lục III);
//! - `YY`: last two digits of the birth year;
//! - `RRRRRR`: random, not validated; there is no check digit.
//!
//! A province code outside the 63 legacy codes (TT 07/2016 Phụ lục I) is a warning, not an error:
//! births registered abroad carry country codes, and whether numbers issued after 1/7/2025 use new
//! codes for the 34 merged provinces is UNCONFIRMED in the brief.

use crate::reserve::age::Sex;
use std::fmt;

/// The 63 pre-2025 province codes and names (TT 07/2016/TT-BCA Phụ lục I, law brief §9).
pub const PROVINCE_CODES: &[(&str, &str)] = &[
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa–Vũng Tàu"),
    ("079", "TP Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
];

/// A well-formed personal identification number. The field is private: build it with [`parse`]
/// or [`validate`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CitizenId(String);

/// Why a personal identification number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("số định danh cá nhân phải gồm đúng 12 chữ số (nhận \"{0}\")")]
    Format(String),
    #[error(
        "mã thế kỷ và giới tính {code} trong số định danh ứng với giới tính {id_sex}, \
         không khớp với giới tính khai là {declared}"
    )]
    SexMismatch {
        code: u8,
        id_sex: &'static str,
        declared: &'static str,
    },
    #[error("số định danh ứng với năm sinh {id_year}, không khớp với năm sinh khai là {declared}")]
    BirthYearMismatch { id_year: i32, declared: i32 },
}

impl CitizenId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `PPP`: the code of the province (or country) where the birth was registered.
    pub fn province_code(&self) -> &str {
        &self.0[0..3]
    }

    /// The legacy province name of [`Self::province_code`], if it is one of the 63 codes.
    pub fn province_name(&self) -> Option<&'static str> {
        let code = self.province_code();
        PROVINCE_CODES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
    }

    /// `G`: the century and sex code (0–9).
    pub fn century_sex_code(&self) -> u8 {
        self.0.as_bytes()[3] - b'0'
    }

    /// Sex encoded by `G`: even = male, odd = female.
    pub fn sex(&self) -> Sex {
        if self.century_sex_code().is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Birth year encoded by `G` and `YY`: 1900 + 100·⌊G/2⌋ + YY.
    pub fn birth_year(&self) -> i32 {
        let yy: i32 = self.0[4..6].parse().expect("digits checked by parse");
        1900 + 100 * i32::from(self.century_sex_code() / 2) + yy
    }

    /// A Vietnamese warning when the province code is outside the 63 legacy codes (law brief §9
    /// rule 2: a warning, not an error).
    pub fn province_warning(&self) -> Option<String> {
        match self.province_name() {
            Some(_) => None,
            None => Some(format!(
                "Mã nơi đăng ký khai sinh \"{}\" không thuộc 63 mã tỉnh (TT 07/2016/TT-BCA Phụ lục I); \
                 có thể là mã quốc gia hoặc mã mới, cần kiểm tra lại.",
                self.province_code()
            )),
        }
    }
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CitizenId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Check the format only: exactly 12 ASCII digits.
pub fn parse(id: &str) -> Result<CitizenId, IdError> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(CitizenId(id.to_string()))
    } else {
        Err(IdError::Format(id.to_string()))
    }
}

/// Check the format and that `G` and `YY` agree with the recorded sex and birth year (law brief §9
/// rules 1, 3 and 4). The province code is not an error (see [`CitizenId::province_warning`]).
pub fn validate(id: &str, sex: Sex, birth_year: i32) -> Result<CitizenId, IdError> {
    let parsed = parse(id)?;
    if parsed.sex() != sex {
        return Err(IdError::SexMismatch {
            code: parsed.century_sex_code(),
            id_sex: parsed.sex().label_vi(),
            declared: sex.label_vi(),
        });
    }
    if parsed.birth_year() != birth_year {
        return Err(IdError::BirthYearMismatch {
            id_year: parsed.birth_year(),
            declared: birth_year,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_contract_example() {
        let id = validate("034206001234", Sex::Male, 2006).unwrap();
        assert_eq!(id.province_code(), "034");
        assert_eq!(id.province_name(), Some("Thái Bình"));
        assert_eq!(id.century_sex_code(), 2);
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.birth_year(), 2006);
        assert_eq!(id.province_warning(), None);
    }

    #[test]
    fn century_and_sex_table() {
        for (g, sex, base) in [
            (0, Sex::Male, 1900),
            (1, Sex::Female, 1900),
            (2, Sex::Male, 2000),
            (3, Sex::Female, 2000),
            (4, Sex::Male, 2100),
            (5, Sex::Female, 2100),
            (8, Sex::Male, 2300),
            (9, Sex::Female, 2300),
        ] {
            let s = format!("001{g}99123456");
            let id = validate(&s, sex, base + 99).unwrap();
            assert_eq!(id.sex(), sex);
            assert_eq!(id.birth_year(), base + 99);
        }
    }

    #[test]
    fn refuses_bad_format() {
        for bad in [
            "",
            "03420600123",
            "0342060012345",
            "03420600123a",
            "034 206001234",
            "０３４２０６００１２３４",
        ] {
            assert_eq!(validate(bad, Sex::Male, 2006), Err(IdError::Format(bad.to_string())));
        }
        assert_eq!(
            IdError::Format("123".into()).to_string(),
            "số định danh cá nhân phải gồm đúng 12 chữ số (nhận \"123\")"
        );
    }

    #[test]
    fn refuses_sex_and_year_mismatch() {
        let e = validate("034306001234", Sex::Male, 2006).unwrap_err();
        assert_eq!(
            e.to_string(),
            "mã thế kỷ và giới tính 3 trong số định danh ứng với giới tính nữ, \
             không khớp với giới tính khai là nam"
        );
        let e = validate("034206001234", Sex::Male, 2007).unwrap_err();
        assert_eq!(
            e.to_string(),
            "số định danh ứng với năm sinh 2006, không khớp với năm sinh khai là 2007"
        );
        // Same YY, wrong century.
        assert!(matches!(
            validate("034006001234", Sex::Male, 2006),
            Err(IdError::BirthYearMismatch { id_year: 1906, .. })
        ));
    }

    #[test]
    fn unknown_province_is_a_warning_only() {
        let id = validate("003206001234", Sex::Male, 2006).unwrap();
        assert_eq!(id.province_name(), None);
        assert!(id.province_warning().unwrap().contains("\"003\""));
        assert_eq!(PROVINCE_CODES.len(), 63);
    }
}
