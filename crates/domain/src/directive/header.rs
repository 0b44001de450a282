//! The head of a document (ND 30/2020 Art. 8.2 elements 1–5): issuing body, number and symbol,
//! place and date, kind and summary (trích yếu).

use super::folded::{contains_words, fold_str, Folded};
use super::kind::DocumentKind;
use super::number::DocumentNumber;
use super::prep::{case_name, cells, flat, is_upper};
use regex::Regex;
use std::sync::LazyLock;
use time::{Date, Month};

/// How many lines from the top the head may span.
const HEAD_LINES: usize = 45;

#[derive(Debug, Default)]
pub(crate) struct Head {
    pub kind: Option<DocumentKind>,
    pub kind_line: Option<usize>,
    pub number: Option<DocumentNumber>,
    pub place: Option<String>,
    pub date: Option<Date>,
    pub date_line: Option<usize>,
    pub title: Option<String>,
    /// First line after the title: where the body starts.
    pub body_start: usize,
    /// Upper-case lines of the issuer block, cased ("Bộ Quốc phòng", "Văn phòng").
    pub issuer_lines: Vec<String>,
    /// "CỦA BAN THƯỜNG VỤ HUYỆN ỦY" under the kind line, cased, without "của".
    pub issuer_of: Option<String>,
}

static PLACE_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)([^\s,][^,]{0,60}?)\s*,\s*ngay\s*(\d{1,2})\s*(?:thang|/|-|\.)\s*(\d{1,2})\s*(?:nam|/|-|\.)\s*((?:19|20)\d{2})")
        .expect("place-date regex")
});

/// Quốc hiệu, tiêu ngữ and the Party banner: never the issuer.
const BANNERS: &[&str] = &[
    "cong hoa xa hoi chu nghia viet nam",
    "doc lap - tu do - hanh phuc",
    "doc lap – tu do – hanh phuc",
    "doc lap tu do hanh phuc",
    "dang cong san viet nam",
];

fn strip_banners(cell: &str) -> String {
    let f = Folded::new(cell);
    let mut keep = vec![true; cell.len()];
    for b in BANNERS {
        for s in f.find_words(b) {
            let (os, oe) = (f.pos(s), f.pos(s + b.len()));
            keep[os..oe].iter_mut().for_each(|k| *k = false);
        }
    }
    let mut out = String::new();
    for (i, c) in cell.char_indices() {
        if keep[i] {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_separator(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '-' | '_' | '*' | '.' | '=' | '–' | '—' | '~' | ' '))
}

/// Incoming-document stamps ("CÔNG VĂN ĐẾN", "Số:.....", "Ngày:.....") are no part of the head.
fn is_stamp_cell(folded: &str) -> bool {
    let t = folded.trim();
    let after = |p: &str| t.strip_prefix(p).map(str::trim_start);
    t == "den"
        || t.contains("van ban den")
        || t.contains("cong van den")
        || ["so", "ngay", "chuyen", "luu ho so", "den"]
            .iter()
            .any(|p| {
                after(p)
                    .map(|r| r.trim_start_matches([' ', ':']))
                    .is_some_and(|r| r.is_empty() || r.starts_with(['.', '…']))
            })
        // A filled-in stamp: "Số: 2231" (an incoming number has no symbol), "Ngày: 12/5/2025",
        // "Chuyển: P.TM".
        || after("so").and_then(|r| r.strip_prefix(':')).is_some_and(|r| {
            let r = r.trim();
            !r.is_empty() && r.chars().all(|c| c.is_ascii_digit())
        })
        || ["ngay", "chuyen"]
            .iter()
            .any(|p| after(p).is_some_and(|r| r.starts_with(':')))
}

pub(crate) fn place_date(line: &str) -> Option<(String, Date)> {
    for cell in cells(line) {
        let f = Folded::new(cell);
        let Some(c) = PLACE_DATE_RE.captures(&f.folded) else {
            continue;
        };
        let day: u8 = c[2].parse().ok()?;
        let month: u8 = c[3].parse().ok()?;
        let year: i32 = c[4].parse().ok()?;
        let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
        let p = c.get(1).expect("place");
        let mut place = f.orig_of(p.range()).trim().to_string();
        // "Số: 677/TB-VP Hà Nội" (columns merged by OCR): keep what follows the number.
        if fold_str(&place).starts_with("so") {
            if let Some(n) = super::number::find_document_numbers(&place).last() {
                place = place[n.0.end..].trim().to_string();
            }
        }
        let words = place.split_whitespace().count();
        if place.is_empty() || words > 6 || !place.starts_with(|c: char| c.is_uppercase()) {
            continue;
        }
        return Some((place, date));
    }
    None
}

static BROKEN_DATE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r",\s*ngay\s*\d{1,2}\s*(?:thang\s*\d{0,2}\s*)?$").expect("broken date regex"));

/// The place and date broken across two lines ("Hà Tĩnh, ngày 3" / "tháng 9 năm 2025"): the
/// cell that ends the first line joined with the first cell of the next non-blank line.
fn place_date_across(lines: &[String], i: usize) -> Option<(String, Date)> {
    let last = cells(&lines[i]).last()?;
    if !BROKEN_DATE_RE.is_match(&fold_str(last)) {
        return None;
    }
    let next = lines.iter().skip(i + 1).take(3).find(|l| !l.is_empty())?;
    for c in cells(next) {
        if let Some(found) = place_date(&format!("{last} {c}")) {
            return Some(found);
        }
    }
    None
}

fn number_in(line: &str) -> Option<DocumentNumber> {
    for cell in cells(line) {
        let f = fold_str(cell);
        if !f.starts_with("so") {
            continue;
        }
        if let Some((_, n)) = super::number::find_document_numbers(cell).into_iter().next() {
            return Some(n);
        }
    }
    None
}

/// An upper-case heading that names a kind: "CHỈ THỊ", "THÔNG BÁO", "KẾ HOẠCH Tuyển chọn ...".
fn kind_heading(line: &str) -> Option<(DocumentKind, Option<String>)> {
    for cell in cells(line) {
        let f = fold_str(cell);
        let Some(kind) = DocumentKind::from_folded_heading(f.trim()) else {
            continue;
        };
        // The kind words themselves must be upper case, and the line short.
        let words: Vec<&str> = cell.split_whitespace().collect();
        let kw = if matches!(kind, DocumentKind::Other) && f.starts_with("lenh") {
            1
        } else {
            2
        };
        if words.len() < kw || !words[..kw].iter().all(|w| is_upper(&format!("{w}{w}"))) || cell.chars().count() > 160 {
            continue;
        }
        let rest = words[kw..].join(" ");
        let rest = rest.trim();
        if rest.is_empty() || is_upper(rest) {
            // "CHỈ THỊ CỦA BAN THƯỜNG VỤ" keeps the issuer part for the caller via the next lines.
            return Some((kind, if rest.is_empty() { None } else { Some(rest.to_string()) }));
        }
        return Some((kind, Some(rest.to_string())));
    }
    None
}

pub(crate) fn read_head(lines: &[String]) -> Head {
    let mut h = Head::default();
    let limit = lines.len().min(HEAD_LINES);
    for (i, line) in lines.iter().enumerate().take(limit) {
        if h.date.is_none() {
            if let Some((p, d)) = place_date(line).or_else(|| place_date_across(lines, i)) {
                h.place = Some(p);
                h.date = Some(d);
                h.date_line = Some(i);
            }
        }
        if h.number.is_none() {
            h.number = number_in(line);
        }
        if h.kind_line.is_none() {
            if let Some((k, rest)) = kind_heading(line) {
                h.kind = Some(k);
                h.kind_line = Some(i);
                read_title(lines, i, rest, &mut h);
            }
        }
    }
    // Issuer block: upper-case cells above the kind line (or above the number / date lines).
    let top = h.kind_line.or(h.date_line).unwrap_or(0).min(limit);
    let mut raw_issuer: Vec<String> = Vec::new();
    for line in &lines[..top] {
        for cell in cells(line) {
            let f = fold_str(cell);
            if is_stamp_cell(&f) || f.starts_with("so") && number_in(cell).is_some() || place_date(cell).is_some() {
                continue;
            }
            let c = strip_banners(cell);
            if c.is_empty() || is_separator(&c) || !is_upper(&c) || c.chars().count() > 90 {
                continue;
            }
            if line.split('\t').any(|other| is_stamp_cell(&fold_str(other))) {
                continue;
            }
            // "SỞ LAO ĐỘNG - THƯƠNG BINH" / "VÀ XÃ HỘI": one name on two lines.
            if fold_str(&c).starts_with("va ") {
                if let Some(prev) = raw_issuer.last_mut() {
                    *prev = format!("{prev} {c}");
                    continue;
                }
            }
            raw_issuer.push(c);
        }
    }
    h.issuer_lines = raw_issuer.iter().map(|c| case_name(c)).collect();
    if h.kind.is_none() {
        h.kind = h.number.as_ref().and_then(DocumentNumber::kind);
        if h.kind.is_none() && lines.iter().take(limit).any(|l| fold_str(&flat(l)).starts_with("v/v ")) {
            h.kind = Some(DocumentKind::CongVan);
        }
        if h.kind == Some(DocumentKind::CongVan) {
            // The summary of a công văn is its "V/v ..." line.
            if let Some((i, l)) = lines
                .iter()
                .enumerate()
                .take(limit)
                .find(|(_, l)| fold_str(&flat(l)).starts_with("v/v "))
            {
                let mut t = flat(l);
                let mut j = i + 1;
                while j < lines.len() && j < i + 3 {
                    let n = flat(&lines[j]);
                    if n.is_empty() || is_separator(&n) || !n.starts_with(|c: char| c.is_lowercase()) {
                        break;
                    }
                    t = format!("{t} {n}");
                    j += 1;
                }
                h.title = Some(t);
                h.body_start = h.body_start.max(j);
            }
        }
    }
    if h.body_start == 0 {
        h.body_start = [h.date_line, h.kind_line]
            .into_iter()
            .flatten()
            .max()
            .map_or(0, |i| i + 1);
    }
    h
}

/// The trích yếu under the kind heading: skip blanks, take "CỦA ..." as the issuer, then the
/// summary lines up to a blank line or a separator.
fn read_title(lines: &[String], kind_line: usize, rest: Option<String>, h: &mut Head) {
    let mut j = kind_line + 1;
    let mut title: Vec<String> = Vec::new();
    if let Some(r) = rest {
        if is_upper(&r) {
            let fr = fold_str(&r);
            if fr.starts_with("cua ") {
                h.issuer_of = Some(case_name(super::prep::skip_words(&r, 1)));
            }
        } else {
            title.push(r);
        }
    }
    while title.is_empty() && j < lines.len() && j < kind_line + 8 {
        let l = flat(&lines[j]);
        let f = fold_str(&l);
        if l.is_empty() || is_separator(&l) {
            j += 1;
            continue;
        }
        if is_upper(&l) && f.starts_with("cua ") {
            h.issuer_of = Some(case_name(super::prep::skip_words(&l, 1)));
            j += 1;
            continue;
        }
        if is_stamp_cell(&f) || lines[j].split('\t').any(|c| is_stamp_cell(&fold_str(c))) {
            j += 1;
            continue;
        }
        // A long paragraph is the body, not a summary.
        if l.chars().count() > 400 || super::prep::item_marker(&l).is_some() {
            break;
        }
        title.push(l);
        j += 1;
        // Continuation lines of a wrapped summary.
        while j < lines.len() {
            let n = flat(&lines[j]);
            if n.is_empty() || is_separator(&n) || title.iter().map(String::len).sum::<usize>() > 400 {
                break;
            }
            // A wrapped summary goes on in lower case, or after a line that ends mid-phrase.
            let prev = title.last().map(String::as_str).unwrap_or("");
            let lower = n.starts_with(|c: char| c.is_lowercase());
            let mid_phrase = prev.ends_with([',', '-', '–'])
                || [
                    "và", "của", "về", "ở", "năm", "cho", "trong", "tại", "với", "đến", "các",
                ]
                .iter()
                .any(|w| prev.rsplit(' ').next() == Some(*w));
            if !(lower || mid_phrase) || super::prep::item_marker(&n).is_some() {
                break;
            }
            title.push(n);
            j += 1;
        }
        break;
    }
    if !title.is_empty() {
        let t = title.join(" ");
        let t = t.trim().trim_end_matches(['.', ';', ',']).trim().to_string();
        if !t.is_empty() {
            h.title = Some(t);
        }
    }
    h.body_start = j;
}

/// Provinces and centrally-run cities, pre- and post-2025 (law brief §8 and §9), folded. Used only
/// to complete "Ủy ban nhân dân" + place into "Ủy ban nhân dân tỉnh X".
const CITIES: &[&str] = &[
    "ha noi",
    "hai phong",
    "da nang",
    "hue",
    "can tho",
    "ho chi minh",
    "thanh pho ho chi minh",
];
const PROVINCES: &[&str] = &[
    "ha giang",
    "cao bang",
    "bac kan",
    "tuyen quang",
    "lao cai",
    "dien bien",
    "lai chau",
    "son la",
    "yen bai",
    "hoa binh",
    "thai nguyen",
    "lang son",
    "quang ninh",
    "bac giang",
    "phu tho",
    "vinh phuc",
    "bac ninh",
    "hai duong",
    "hung yen",
    "thai binh",
    "ha nam",
    "nam dinh",
    "ninh binh",
    "thanh hoa",
    "nghe an",
    "ha tinh",
    "quang binh",
    "quang tri",
    "thua thien hue",
    "quang nam",
    "quang ngai",
    "binh dinh",
    "phu yen",
    "khanh hoa",
    "ninh thuan",
    "binh thuan",
    "kon tum",
    "gia lai",
    "dak lak",
    "dak nong",
    "lam dong",
    "binh phuoc",
    "tay ninh",
    "binh duong",
    "dong nai",
    "ba ria - vung tau",
    "ba ria vung tau",
    "long an",
    "tien giang",
    "ben tre",
    "tra vinh",
    "vinh long",
    "dong thap",
    "an giang",
    "kien giang",
    "hau giang",
    "soc trang",
    "bac lieu",
    "ca mau",
];

/// Completes the issuer from the head (law brief §7; contract "Conventions").
pub(crate) fn compose_issuer(h: &Head) -> Option<String> {
    let base = if let Some(of) = &h.issuer_of {
        of.clone()
    } else {
        let lines = &h.issuer_lines;
        let last = lines.last()?;
        let fl = fold_str(last);
        const LEVELS: &[&str] = &[
            "tinh ",
            "thanh pho ",
            "huyen ",
            "quan ",
            "thi xa ",
            "xa ",
            "phuong ",
            "thi tran ",
            "dac khu ",
        ];
        // "HUYỆN ỦY LỤC NAM" is a body of its own, not the level of the line above.
        let committee = ["huyen uy", "tinh uy", "thanh uy", "quan uy", "thi uy"]
            .iter()
            .any(|c| fl.starts_with(c));
        if lines.len() >= 2 && !committee && LEVELS.iter().any(|l| fl.starts_with(l)) {
            let lower_first: String = {
                let mut cs = last.chars();
                cs.next()
                    .map(|c| c.to_lowercase().chain(cs).collect())
                    .unwrap_or_default()
            };
            format!("{} {}", lines[lines.len() - 2], lower_first)
        } else if lines.len() >= 2 && generic(&fl) {
            format!("{} {}", last, lines[lines.len() - 2])
        } else if let Some(province) = (lines.len() >= 2 && fl.starts_with("so "))
            .then(|| province_of(&lines[lines.len() - 2]))
            .flatten()
        {
            // "UBND TỈNH LẠNG SƠN" / "SỞ NỘI VỤ": the department of that province.
            format!("{last} {province}")
        } else {
            last.clone()
        }
    };
    let fb = fold_str(&base);
    let Some(place) = &h.place else {
        return Some(base);
    };
    let fp = fold_str(place);
    if contains_words(&fb, &fp) {
        return Some(base);
    }
    let party = ["huyen uy", "tinh uy", "thanh uy", "quan uy", "thi uy"];
    if party.iter().any(|p| fb.ends_with(p)) {
        return Some(format!("{base} {place}"));
    }
    // "Đảng ủy Quân sự tỉnh", "Ban Chỉ huy Quân sự huyện": the level word waits for the name.
    let levels = [
        " tinh",
        " huyen",
        " thanh pho",
        " quan",
        " thi xa",
        " xa",
        " phuong",
        " thi tran",
    ];
    if levels.iter().any(|l| fb.ends_with(l)) {
        return Some(format!("{base} {place}"));
    }
    let needs_place = [
        "uy ban nhan dan",
        "hoi dong nhan dan",
        "ban chi huy quan su",
        "bo chi huy quan su",
        "hoi dong nghia vu quan su",
        "ban thuong vu",
    ];
    if needs_place.iter().any(|p| fb.ends_with(p)) {
        if CITIES.contains(&fp.as_str()) {
            return Some(format!("{base} thành phố {place}"));
        }
        if PROVINCES.contains(&fp.as_str()) {
            return Some(format!("{base} tỉnh {place}"));
        }
        // UNCONFIRMED level: the place name alone does not say whether it is a district or a
        // commune, so the place is appended without a level word.
        return Some(format!("{base} {place}"));
    }
    Some(base)
}

/// "tỉnh Lạng Sơn" from "UBND tỉnh Lạng Sơn" / "Ủy ban nhân dân tỉnh Lạng Sơn".
fn province_of(parent: &str) -> Option<String> {
    let f = fold_str(parent);
    for head in ["ubnd ", "uy ban nhan dan "] {
        if let Some(rest) = f.strip_prefix(head) {
            if rest.starts_with("tinh ") || rest.starts_with("thanh pho ") {
                let words = head.split_whitespace().count();
                return Some(super::prep::skip_words(parent, words).to_string());
            }
        }
    }
    None
}

/// Names that need their parent line to be a full name ("Văn phòng" + "Bộ Tổng Tham mưu").
fn generic(folded: &str) -> bool {
    [
        "van phong",
        "bo tham muu",
        "cuc chinh tri",
        "cuc hau can",
        "cuc ky thuat",
        "phong tham muu",
        "phong chinh tri",
        "ban tuyen giao",
        "ban to chuc",
        "ban dan van",
        "uy ban kiem tra",
        "ban thuong vu",
        "thuong truc",
    ]
    .contains(&folded)
}

static ANNOUNCER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[,.;:]\s*)([^,.;:]{3,80}?)\s+(?:tran trong |xin )?thong bao\s+(?:de|den|cho|toi)\b")
        .expect("announcer regex")
});

/// The body that speaks in the closing formula ("…, Văn phòng Bộ Tổng Tham mưu trân trọng thông
/// báo để …"), for documents whose head lost the issuer (OCR).
pub(crate) fn issuer_from_body(paragraphs: &[String]) -> Option<String> {
    for p in paragraphs.iter().rev() {
        let f = Folded::new(p);
        if let Some(c) = ANNOUNCER_RE.captures(&f.folded) {
            let g = c.get(1).expect("group");
            let s = f.orig_of(g.range()).trim();
            let words = s.split_whitespace().count();
            if s.starts_with(|c: char| c.is_uppercase()) && (2..=10).contains(&words) {
                return Some(s.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directive::prep::clean_lines;

    #[test]
    fn place_and_date() {
        let (p, d) = place_date("Hà Nội, ngày 07 tháng 3 năm 2022").unwrap();
        assert_eq!(p, "Hà Nội");
        assert_eq!(d.to_string(), "2022-03-07");
        let (p, _) = place_date("BỘ QUỐC PHÒNG\tKim Động, ngày 20 tháng 12 năm 2024").unwrap();
        assert_eq!(p, "Kim Động");
        let (p, _) = place_date("Số: 12/KH-UBND Nghệ An, ngày 5 tháng 02 năm 2026").unwrap();
        assert_eq!(p, "Nghệ An");
        assert!(place_date("Hà Nội, ngày 31 tháng 2 năm 2022").is_none());
        assert!(place_date("Chiều ngày 30/12, Đoàn công tác").is_none());
        assert!(place_date("Hà Nội, ngày … tháng … năm 2022").is_none());
    }

    #[test]
    fn layout_head_with_columns() {
        let text = "BỘ QUỐC PHÒNG          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\
                    BỘ TỔNG THAM MƯU          Độc lập - Tự do - Hạnh phúc\n\
                    VĂN PHÒNG\n\
                    Số: 677/TB-VP          Hà Nội, ngày 07 tháng 3 năm 2022\n\
                    \n\
                    THÔNG BÁO\n\
                    Kết luận Hội nghị tổng kết công tác quốc phòng\n\
                    năm 2021\n\
                    \n\
                    Thực hiện Quyết định số 314/QĐ-BQP.";
        let lines = clean_lines(text);
        let h = read_head(&lines);
        assert_eq!(h.kind, Some(DocumentKind::ThongBao));
        assert_eq!(h.number.as_ref().unwrap().to_string(), "677/TB-VP");
        assert_eq!(h.place.as_deref(), Some("Hà Nội"));
        assert_eq!(
            h.title.as_deref(),
            Some("Kết luận Hội nghị tổng kết công tác quốc phòng năm 2021")
        );
        assert_eq!(compose_issuer(&h).as_deref(), Some("Văn phòng Bộ Tổng Tham mưu"));
    }

    #[test]
    fn issuer_completed_from_place() {
        let lines = clean_lines("ỦY BAN NHÂN DÂN     CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 15/KH-UBND     Nghệ An, ngày 05 tháng 02 năm 2026\nKẾ HOẠCH\nTuyển chọn và gọi công dân nhập ngũ năm 2026\n");
        let h = read_head(&lines);
        assert_eq!(compose_issuer(&h).as_deref(), Some("Ủy ban nhân dân tỉnh Nghệ An"));
        assert_eq!(h.kind, Some(DocumentKind::KeHoach));
        let lines = clean_lines("ỦY BAN NHÂN DÂN\nXÃ ĐỒNG THANH\nSố: 15/KH-UBND\nĐồng Thanh, ngày 05 tháng 02 năm 2026\nKẾ HOẠCH\nTuyển quân\n");
        let h = read_head(&lines);
        assert_eq!(compose_issuer(&h).as_deref(), Some("Ủy ban nhân dân xã Đồng Thanh"));
        let lines = clean_lines("ĐẢNG BỘ TỈNH HƯNG YÊN   ĐẢNG CỘNG SẢN VIỆT NAM\nHUYỆN ỦY KIM ĐỘNG\n*\nSố 15-CT/HU   Kim Động, ngày 20 tháng 12 năm 2024\nCHỈ THỊ\nCỦA BAN THƯỜNG VỤ HUYỆN ỦY\nVề nhiệm vụ quân sự\n");
        let h = read_head(&lines);
        assert_eq!(h.number.as_ref().unwrap().to_string(), "15-CT/HU");
        assert_eq!(compose_issuer(&h).as_deref(), Some("Ban Thường vụ Huyện ủy Kim Động"));
        assert_eq!(h.title.as_deref(), Some("Về nhiệm vụ quân sự"));
    }

    #[test]
    fn title_stops_at_the_body_without_blank_line() {
        let lines = clean_lines(
            "KẾ HOẠCH\nTuyển chọn và gọi công dân\nnhập ngũ năm 2026\nCăn cứ Luật Nghĩa vụ quân sự;\n1. Ban Chỉ huy.",
        );
        let h = read_head(&lines);
        assert_eq!(h.title.as_deref(), Some("Tuyển chọn và gọi công dân nhập ngũ năm 2026"));
        assert_eq!(h.body_start, 3);
    }

    #[test]
    fn cong_van_summary() {
        let lines = clean_lines("ỦY BAN NHÂN DÂN\nHUYỆN KIM ĐỘNG\nSố: 123/UBND-QS\nV/v triển khai đăng ký\nnghĩa vụ quân sự\nKim Động, ngày 01 tháng 4 năm 2024\nKính gửi: UBND các xã\n");
        let h = read_head(&lines);
        assert_eq!(h.kind, Some(DocumentKind::CongVan));
        assert_eq!(h.title.as_deref(), Some("V/v triển khai đăng ký nghĩa vụ quân sự"));
        assert_eq!(compose_issuer(&h).as_deref(), Some("Ủy ban nhân dân huyện Kim Động"));
    }

    #[test]
    fn announcer() {
        let p = vec!["Nội dung trên, đồng chí Phó Tổng Tham mưu trưởng đã thông qua, Văn phòng Bộ Tổng Tham mưu trân trọng thông báo để các cơ quan thực hiện. /.".to_string()];
        assert_eq!(issuer_from_body(&p).as_deref(), Some("Văn phòng Bộ Tổng Tham mưu"));
    }
}
