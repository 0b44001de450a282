//! Choosing a commune (or another administrative unit) from the territory by its name, typed
//! with or without diacritics, instead of typing its five-digit code.
//!
//! The picker is an ordinary text input with a `<datalist>` of the units of the user's province
//! (the browser's own suggestion list: no script, no network, arrow keys and Enter), each option
//! labelled with its name without diacritics so that "dong thanh" finds "Xã Đồng Thanh". What is
//! sent is the name; the server resolves it against the whole territory ([`resolve`]): one unit
//! in force with that name (or with that name in the province written after a comma), else a
//! Vietnamese error that lists the candidates. A code typed as before is still taken.

use phongthu_domain::territory::{AdminUnit, Level, Territory};
use phongthu_domain::text;
use time::Date;

/// One suggestion of the list: the text the input receives and its folded label.
pub struct PickOption {
    pub value: String,
    pub label: String,
}

/// "Xã Đồng Thanh, Tỉnh Hưng Yên": the text a unit is written as in the picker.
pub fn unit_text(t: &Territory, u: &AdminUnit) -> String {
    match t.parent(u) {
        Some(p) => format!("{}, {}", u.name, p.name),
        None => u.name.clone(),
    }
}

/// The picker's text for a stored code (empty when none; the code alone when unknown).
pub fn code_text(t: &Territory, code: Option<&str>, on: Date) -> String {
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return String::new();
    };
    t.unit_on(code, None, on)
        .or_else(|| t.units_with_code(code).into_iter().last())
        .map(|u| unit_text(t, u))
        .unwrap_or_else(|| code.to_string())
}

/// The suggestions: the communes in force on `on` of the province `province_code`.
pub fn commune_options(t: &Territory, province_code: Option<&str>, on: Date) -> Vec<PickOption> {
    let Some(p) = province_code else {
        return Vec::new();
    };
    let mut units: Vec<&AdminUnit> = t
        .list(Level::Commune, on)
        .into_iter()
        .filter(|u| t.province_code_of(u).as_deref() == Some(p))
        .collect();
    units.sort_by(|a, b| text::compare(&a.name, &b.name));
    units
        .into_iter()
        .map(|u| {
            let value = unit_text(t, u);
            PickOption {
                label: text::fold(&value),
                value,
            }
        })
        .collect()
}

/// The code of the unit `input` names (`None` for an empty input), among the units of `level`
/// in force on `on`. `what` names the field in the error ("Xã, phường thường trú").
pub fn resolve(t: &Territory, input: &str, level: Level, on: Date, what: &str) -> Result<Option<String>, String> {
    let input = text::squash_spaces(input.trim()).into_owned();
    if input.is_empty() {
        return Ok(None);
    }
    if input.bytes().all(|b| b.is_ascii_digit()) {
        return match t.unit_on(&input, Some(level), on) {
            Some(u) => Ok(Some(u.code.clone())),
            None => Err(format!("{what}: không có {} nào mang mã {input}.", level_word(level))),
        };
    }
    // "Xã Đồng Thanh, Tỉnh Hưng Yên": the part after the last comma narrows to a province.
    let (name, within) = match input.rsplit_once(',') {
        Some((n, p)) if !p.trim().is_empty() => (n.trim().to_string(), Some(text::fold(p))),
        _ => (input.clone(), None),
    };
    let in_parent = |u: &AdminUnit| match &within {
        None => true,
        Some(p) => t.parent(u).is_some_and(|par| {
            let f = text::fold(&par.name);
            f == *p || text::fold(par.short_name()) == *p || text::matches_query(&f, p)
        }),
    };
    let hits: Vec<&AdminUnit> = t
        .search(&name, Some(level), Some(on), 500)
        .into_iter()
        .filter(|u| in_parent(u))
        .collect();
    let folded = text::fold(&name);
    let exact: Vec<&AdminUnit> = hits
        .iter()
        .copied()
        .filter(|u| text::fold(&u.name) == folded || text::fold(u.short_name()) == folded)
        .collect();
    let pick = if exact.len() == 1 {
        Some(exact[0])
    } else if exact.is_empty() && hits.len() == 1 {
        Some(hits[0])
    } else {
        None
    };
    if let Some(u) = pick {
        return Ok(Some(u.code.clone()));
    }
    let candidates = if exact.is_empty() { &hits } else { &exact };
    if candidates.is_empty() {
        return Err(format!(
            "{what}: không tìm thấy {} nào tên \"{input}\" đang có hiệu lực. Hãy gõ tên (có dấu hoặc không dấu) rồi chọn trong danh sách gợi ý.",
            level_word(level)
        ));
    }
    let shown: Vec<String> = candidates.iter().take(8).map(|u| unit_text(t, u)).collect();
    let more = if candidates.len() > shown.len() {
        format!(" và {} nơi khác", candidates.len() - shown.len())
    } else {
        String::new()
    };
    Err(format!(
        "{what}: có {} {} khớp với \"{input}\" ({}{more}). Hãy chọn đúng một nơi trong danh sách gợi ý, hoặc ghi thêm tên tỉnh sau dấu phẩy.",
        candidates.len(),
        level_word(level),
        shown.join("; ")
    ))
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Province => "tỉnh, thành phố",
        Level::District => "huyện, quận",
        Level::Commune => "xã, phường",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn names_without_diacritics_find_one_commune() {
        let t = Territory::bundled();
        let on = date!(2026 - 01 - 01);
        // A commune in force, found from its name typed without diacritics.
        let u = t.list(Level::Commune, on)[0];
        let plain = text::fold(&unit_text(t, u));
        assert_eq!(
            resolve(t, &plain, Level::Commune, on, "Xã").unwrap(),
            Some(u.code.clone())
        );
        assert_eq!(
            resolve(t, &u.code, Level::Commune, on, "Xã").unwrap(),
            Some(u.code.clone())
        );
        assert_eq!(resolve(t, "  ", Level::Commune, on, "Xã").unwrap(), None);
        let e = resolve(t, "khong co xa nao ten the nay", Level::Commune, on, "Xã thường trú").unwrap_err();
        assert!(e.starts_with("Xã thường trú: không tìm thấy"), "{e}");
        assert_eq!(code_text(t, Some(&u.code), on), unit_text(t, u));
    }
}
