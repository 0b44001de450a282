//! Parsing of user input shared by pages and API: dates, levels, numbers, each with a Vietnamese
//! error naming what was wrong.

use crate::error::AppError;
use phongthu_domain::territory::Level;
use time::Date;

/// Today in Vietnam (UTC+7): the day a user means by "today".
pub fn today() -> Date {
    phongthu_store::today_vn()
}

/// Parses `YYYY-MM-DD` or `DD/MM/YYYY`; empty means today.
pub fn parse_date(s: Option<&str>) -> Result<Date, AppError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(today());
    };
    parse_date_text(s).ok_or_else(|| {
        AppError::bad_request(format!(
            "Ngày \"{s}\" không hợp lệ: hãy nhập theo dạng NN/TT/NNNN (ví dụ 01/07/2025), {}.",
            date_range_text()
        ))
    })
}

/// "từ 01/01/1900 đến 31/12/2100": the days a date may be (`phongthu_domain::dates`), for the
/// messages of date fields.
pub fn date_range_text() -> String {
    use phongthu_domain::dates::{EARLIEST_DATE, LATEST_DATE};
    format!("từ {} đến {}", vi_date(EARLIEST_DATE), vi_date(LATEST_DATE))
}

/// `DD/MM/YYYY` (or `YYYY-MM-DD`), as users type dates, within 01/01/1900 … 31/12/2100
/// (`phongthu_domain::dates::check_range`): a later or earlier date is no date.
pub fn parse_date_text(s: &str) -> Option<Date> {
    phongthu_domain::dates::parse_date_vi(s).ok()
}

/// A list's page number from the address (`?page=`), counted from 1. Every paged list takes it
/// through [`PageNo::parse`] and its offset through [`PageNo::paging`], so no typed-in number can
/// overflow the page arithmetic: below 1 is the first page, above [`PageNo::MAX`] (or too large
/// for a number at all) is the last page there can be, and text that is not a whole number is a
/// Vietnamese 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNo(i64);

impl PageNo {
    /// The largest page: well past any list (a list has at most
    /// [`phongthu_store::MAX_LIST_OFFSET`] rows before it), small enough that `page ± 1` and
    /// `page × size` are plain arithmetic.
    pub const MAX: i64 = 1_000_000;

    pub fn parse(s: Option<&str>) -> Result<PageNo, AppError> {
        let Some(t) = s.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(PageNo(1));
        };
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::bad_request(format!(
                "Số trang \"{}\" không hợp lệ: hãy ghi một số nguyên dương (ví dụ 2).",
                t.chars().take(40).collect::<String>()
            )));
        }
        if negative {
            return Ok(PageNo(1));
        }
        // Too many digits for an i64 is "very large": the last page.
        let n = digits.parse::<i64>().unwrap_or(i64::MAX);
        Ok(PageNo(n.clamp(1, Self::MAX)))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// The store's window for this page of `size` rows.
    pub fn paging(self, size: i64) -> phongthu_store::Paging {
        phongthu_store::Paging::page(self.0, size)
    }
}

pub use phongthu_domain::dates::vi_date;
/// A whole number with Vietnamese thousands separators (30.201); takes a reference too, as
/// templates pass one.
pub fn vi_count(n: impl std::borrow::Borrow<i64>) -> String {
    phongthu_domain::dates::vi_int(*n.borrow())
}

pub fn parse_level(s: Option<&str>) -> Result<Option<Level>, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Level::parse(s).map(Some).ok_or_else(|| {
            AppError::bad_request(format!(
                "Cấp \"{s}\" không hợp lệ: chọn tỉnh (province), huyện (district) hoặc xã (commune)."
            ))
        }),
    }
}

/// RFC 3339 UTC text from the store, shown in Vietnam time as `DD/MM/YYYY HH:MM`.
pub fn vi_datetime(rfc3339: &str) -> String {
    match time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC));
            format!("{} {:02}:{:02}", vi_date(t.date()), t.hour(), t.minute())
        }
        Err(_) => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_in_both_forms() {
        assert_eq!(parse_date_text("2025-07-01"), Some(date!(2025 - 07 - 01)));
        assert_eq!(parse_date_text("01/07/2025"), Some(date!(2025 - 07 - 01)));
        assert_eq!(parse_date_text("1/7/2025"), Some(date!(2025 - 07 - 01)));
        assert_eq!(parse_date_text("31/02/2025"), None);
        assert_eq!(parse_date_text("2025-13-01"), None);
        assert_eq!(parse_date_text("hôm qua"), None);
        let e = parse_date(Some("2025-99-99")).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(e.message.contains("không hợp lệ"));
        assert_eq!(parse_date(Some("  ")).unwrap(), today());
        assert_eq!(parse_date_text("31/12/9999"), None);
        let e = parse_date(Some("31/12/9999")).unwrap_err();
        assert!(e.message.contains("từ 01/01/1900 đến 31/12/2100"), "{}", e.message);
    }

    #[test]
    fn page_numbers_never_overflow() {
        assert_eq!(PageNo::parse(None).unwrap().get(), 1);
        assert_eq!(PageNo::parse(Some(" ")).unwrap().get(), 1);
        assert_eq!(PageNo::parse(Some("3")).unwrap().get(), 3);
        assert_eq!(PageNo::parse(Some("0")).unwrap().get(), 1);
        assert_eq!(PageNo::parse(Some("-7")).unwrap().get(), 1);
        assert_eq!(PageNo::parse(Some("-9223372036854775808")).unwrap().get(), 1);
        assert_eq!(PageNo::parse(Some("9223372036854775807")).unwrap().get(), PageNo::MAX);
        assert_eq!(
            PageNo::parse(Some("99999999999999999999999")).unwrap().get(),
            PageNo::MAX
        );
        for bad in ["abc", "1.5", "-", "2e3", "１"] {
            let e = PageNo::parse(Some(bad)).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
            assert!(e.message.contains("Số trang"), "{bad}: {}", e.message);
        }
        let p = PageNo::parse(Some("9223372036854775807")).unwrap().paging(50);
        assert!(p.offset >= 0 && p.offset <= phongthu_store::MAX_LIST_OFFSET);
        assert_eq!(PageNo::parse(Some("2")).unwrap().paging(50).offset, 50);
        // The store's own constructor holds too, whatever the caller passes.
        for page in [i64::MIN, -1, 0, 1, i64::MAX] {
            let p = phongthu_store::Paging::page(page, 50);
            assert!((0..=phongthu_store::MAX_LIST_OFFSET).contains(&p.offset), "{page}");
        }
    }

    #[test]
    fn levels_and_times() {
        assert_eq!(parse_level(Some("commune")).unwrap(), Some(Level::Commune));
        assert_eq!(parse_level(None).unwrap(), None);
        assert!(parse_level(Some("thôn")).is_err());
        assert_eq!(vi_datetime("2026-11-29T01:02:03Z"), "29/11/2026 08:02");
        assert_eq!(vi_date(date!(2025 - 07 - 01)), "01/07/2025");
    }
}

/// Query, path and form extractors whose rejections are Vietnamese [`AppError`]s (axum's own are
/// English plain text). `Api*` variants answer in JSON.
pub mod extract {
    use crate::error::AppError;
    use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
    use axum::extract::{FromRequest, FromRequestParts};

    fn query_error(e: QueryRejection) -> AppError {
        AppError::bad_request(format!("Tham số trên địa chỉ không hợp lệ ({}).", e.body_text()))
    }

    fn path_error(e: PathRejection) -> AppError {
        let _ = e;
        AppError::not_found("Địa chỉ không hợp lệ: mã hoặc số hiệu trên đường dẫn không đúng dạng.")
    }

    fn form_error(e: FormRejection) -> AppError {
        AppError::bad_request(format!("Dữ liệu biểu mẫu không hợp lệ ({}).", e.body_text()))
    }

    pub struct PageRejection(pub AppError);
    pub struct ApiRejection(pub AppError);

    impl axum::response::IntoResponse for PageRejection {
        fn into_response(self) -> axum::response::Response {
            self.0.into_response()
        }
    }

    impl axum::response::IntoResponse for ApiRejection {
        fn into_response(self) -> axum::response::Response {
            self.0.as_json().into_response()
        }
    }

    macro_rules! rejections {
        ($($rej:ty => $f:ident),*) => {$(
            impl From<$rej> for PageRejection {
                fn from(e: $rej) -> Self { PageRejection($f(e)) }
            }
            impl From<$rej> for ApiRejection {
                fn from(e: $rej) -> Self { ApiRejection($f(e)) }
            }
        )*};
    }
    rejections!(QueryRejection => query_error, PathRejection => path_error, FormRejection => form_error);

    #[derive(FromRequestParts)]
    #[from_request(via(axum::extract::Query), rejection(PageRejection))]
    pub struct Query<T>(pub T);

    #[derive(FromRequestParts)]
    #[from_request(via(axum::extract::Path), rejection(PageRejection))]
    pub struct Path<T>(pub T);

    #[derive(FromRequest)]
    #[from_request(via(axum::Form), rejection(PageRejection))]
    pub struct Form<T>(pub T);

    #[derive(FromRequestParts)]
    #[from_request(via(axum::extract::Query), rejection(ApiRejection))]
    pub struct ApiQuery<T>(pub T);

    #[derive(FromRequestParts)]
    #[from_request(via(axum::extract::Path), rejection(ApiRejection))]
    pub struct ApiPath<T>(pub T);
}

/// A national ID number as lists show it: its last four digits only ("••••••••1234"); the whole
/// number is on the record's page and in the forms that need it.
pub fn masked_id(n: &str) -> String {
    let n = n.trim();
    let chars: Vec<char> = n.chars().collect();
    let keep = chars.len().min(4);
    let hidden = chars.len() - keep;
    let mut out: String = "•".repeat(hidden);
    out.extend(&chars[hidden..]);
    out
}

#[cfg(test)]
mod masked_tests {
    #[test]
    fn only_the_last_four_digits_show() {
        assert_eq!(super::masked_id("033208001234"), "••••••••1234");
        assert_eq!(super::masked_id("123"), "123");
        assert_eq!(super::masked_id(""), "");
    }
}
