//! Reading the engine's facts out of what a registry record holds as written.

use crate::text;

/// Whether a free-text qualification names a college or university degree ("Cử nhân …", "Kỹ sư
/// …", "Cao đẳng …", "Đại học …", "Thạc sĩ", "Bác sĩ"). Registries keep the qualification as
/// written, so this reads words; a record worded otherwise is not counted.
pub fn is_graduate(qualification: &str) -> bool {
    let f = text::fold(qualification);
    [
        "dai hoc",
        "cao dang",
        "cu nhan",
        "ky su",
        "thac si",
        "tien si",
        "bac si",
        "kien truc su",
        "duoc si",
    ]
    .iter()
    .any(|w| f.contains(w))
}

/// The general-education grade completed, from the record's "N/12" (or old "N/10") notation;
/// `None` when it is missing or unreadable: the engine then does not judge the education
/// standard, and the citizen is shown as needing a check (a blank is not grade 0).
///
/// The old ten-year system's "10/10" is read as grade 10 here, which meets every threshold the
/// engine applies (the lowest, grade 8); the brief gives no conversion table, so none is invented.
pub fn education_grade(recorded: Option<&str>) -> Option<u8> {
    recorded
        .and_then(|g| g.split('/').next())
        .and_then(|g| g.trim().parse::<u8>().ok())
        .map(|g| g.min(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graduates_are_read_from_the_qualification() {
        assert!(is_graduate("Cử nhân Công nghệ thông tin"));
        assert!(is_graduate("Kỹ sư xây dựng"));
        assert!(is_graduate("Tốt nghiệp Cao đẳng nghề"));
        assert!(!is_graduate("Trung cấp điện"));
        assert!(!is_graduate(""));
    }

    #[test]
    fn grades_from_the_record() {
        assert_eq!(education_grade(Some("9/12")), Some(9));
        assert_eq!(education_grade(Some("12/12")), Some(12));
        assert_eq!(education_grade(Some("10/10")), Some(10));
        assert_eq!(education_grade(Some("0/12")), Some(0));
        assert_eq!(education_grade(Some("?")), None);
        assert_eq!(education_grade(None), None);
    }
}
