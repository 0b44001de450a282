//! Finding one citizen of the user's scope from what a person knows of him: his name in any
//! spelling ("nguyen van duc") or his national ID (or its first digits), never the internal
//! record number. Several matches are offered as choices (radio buttons) on the same form.

use crate::forms::vi_date;
use phongthu_store::{Citizen, CitizenFilter, Paging, Scoped, StoreError};

/// Matches shown at most when a search is ambiguous.
pub const MAX_CHOICES: i64 = 20;

/// "Nguyễn Văn Đức — sinh 05/03/2008 — số định danh ••••••••1234" (a picker is a list: the
/// number's last four digits only).
pub fn label(c: &Citizen) -> String {
    let id = c
        .national_id
        .as_deref()
        .map(|n| format!(" — số định danh {}", crate::forms::masked_id(n)))
        .unwrap_or_default();
    format!("{} — sinh {}{id}", c.full_name, vi_date(c.birth_date))
}

/// What a search found.
pub enum Found {
    One(i64),
    /// No citizen or several: the Vietnamese reason and the choices (id, label).
    Ask(String, Vec<(i64, String)>),
}

/// The citizen chosen among earlier choices (`chosen`), or the only one `text` finds in scope.
pub async fn find(scoped: &Scoped<'_>, text: &str, chosen: &str) -> Result<Found, StoreError> {
    if let Ok(id) = chosen.trim().parse::<i64>() {
        return Ok(Found::One(id));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(Found::Ask(
            "Hãy ghi họ tên (có dấu hoặc không dấu) hoặc số định danh cá nhân của công dân.".into(),
            Vec::new(),
        ));
    }
    let filter = CitizenFilter {
        query: Some(text.to_string()),
        ..Default::default()
    };
    let page = scoped
        .list_citizens(
            &filter,
            Paging {
                offset: 0,
                limit: MAX_CHOICES,
            },
        )
        .await?;
    Ok(match page.items.as_slice() {
        [one] => Found::One(one.id),
        [] => Found::Ask(
            format!("Không tìm thấy công dân nào khớp với \"{text}\" trong phạm vi quản lý của bạn."),
            Vec::new(),
        ),
        many => Found::Ask(
            format!(
                "Có {}{} công dân khớp với \"{text}\"{}: hãy chọn một người dưới đây, hoặc ghi số định danh cá nhân.",
                // A search of common words only is not counted: "more than".
                if page.capped { "hơn " } else { "" },
                page.total,
                if page.total > MAX_CHOICES || page.capped {
                    format!(" (hiện {MAX_CHOICES} người đầu)")
                } else {
                    String::new()
                }
            ),
            many.iter().map(|c| (c.id, label(c))).collect(),
        ),
    })
}
