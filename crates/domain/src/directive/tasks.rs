//! Tasks (the numbered items that assign work) and topics.

use super::folded::{contains_words, find_words, fold_str, Folded};
use super::kind::Topic;
use super::prep::{is_upper, item_marker};
use super::Task;
use regex::Regex;
use std::sync::LazyLock;
use time::Date;
use unicode_normalization::UnicodeNormalization;

/// Verbs and function words that end the name of a unit in running text (folded). A match counts
/// only when it is written in lower case: "Ban Chỉ đạo", "Ban Tổ chức" are names.
const STOPS: &[&str] = &[
    "chu dong",
    "chu tri",
    "phoi hop",
    "tang cuong",
    "tiep tuc",
    "to chuc",
    "trien khai",
    "thuc hien",
    "chi dao",
    "lanh dao",
    "xay dung",
    "tham muu",
    "theo doi",
    "huong dan",
    "kiem tra",
    "bao dam",
    "dam bao",
    "ban hanh",
    "cu the hoa",
    "quan tam",
    "nghien cuu",
    "de xuat",
    "hoan thanh",
    "hoan thien",
    "hoan chinh",
    "lam tot",
    "duy tri",
    "nang cao",
    "day manh",
    "quan triet",
    "ra soat",
    "tong hop",
    "bao cao",
    "som",
    "khan truong",
    "can",
    "phai",
    "co trach nhiem",
    "chiu trach nhiem",
    "thuong xuyen",
    "trong",
    "de",
    "ve",
    "tu",
    "tung buoc",
    "nham",
    "giup",
    "phan cong",
    "giao",
    "cap nhat",
    "boi duong",
    "phat huy",
    "tich cuc",
    "tap trung",
    "don doc",
    "giam sat",
    "tuyen truyen",
    "quan ly",
    "thong nhat",
    "lam viec",
    "tham gia",
    "thuc hien",
    "du thao",
    "trinh",
    "tiep nhan",
    "xu ly",
    "giai quyet",
    "dong thoi",
    "sau do",
    "theo",
    "tai",
    "khi",
    "neu",
    "va chiu",
    "de nghi",
    "yeu cau",
    "cung voi",
    "cung",
    "tham tra",
    "xac minh",
    "chuan bi",
    "bo tri",
    "phe duyet",
    "huan luyen",
    "bo sung",
    "dieu chinh",
    "sap xep",
    "van dong",
    "ho tro",
    "khao sat",
    "danh gia",
    "so ket",
    "tong ket",
    "thanh lap",
    "sua chua",
    "mua sam",
    "lap",
    "kham",
];

/// Stop words that fold like other words ("giao"/"giáo", "về"/"vệ", "từ"/"Tư pháp",
/// "cần"/"cán", "cùng"/"cung cấp"): they stop a name only when written exactly so.
const EXACT_STOPS: &[(&str, &str)] = &[
    ("giao", "giao"),
    ("ve", "về"),
    ("de", "để"),
    ("tu", "từ"),
    ("can", "cần"),
    ("cung", "cùng"),
    ("trong", "trong"),
    ("tai", "tại"),
    ("trinh", "trình"),
    ("lap", "lập"),
    ("kham", "khám"),
    ("som", "sớm"),
    ("phai", "phải"),
    ("nham", "nhằm"),
    ("giup", "giúp"),
    ("theo", "theo"),
    ("khi", "khi"),
];

/// Nouns after which "tổ chức" is a noun ("tổ chức chính trị - xã hội"), not a verb.
const TO_CHUC_NOUN: &[&str] = &[
    "chinh tri",
    "doan the",
    "xa hoi",
    "dang",
    "hoi",
    "cong doan",
    "quan chung",
];

/// First words of the name of a unit (folded).
const UNIT_HEADS: &[&str] = &[
    "uy ban",
    "ubnd",
    "hdnd",
    "ubmttq",
    "hoi dong",
    "ban",
    "bo",
    "so",
    "phong",
    "cuc",
    "vu",
    "tong cuc",
    "van phong",
    "dang uy",
    "huyen uy",
    "tinh uy",
    "thanh uy",
    "cong an",
    "mat tran",
    "mttq",
    "doan",
    "hoi",
    "truong",
    "hoc vien",
    "vien",
    "toa an",
    "vien kiem sat",
    "bao hiem",
    "trung tam",
    "chi bo",
    "dang bo",
    "bchqs",
    "bo chqs",
    "ban chqs",
    "co quan",
    "luc luong",
    "thuong truc",
    "ubkt",
    "lien doan",
    "benh vien",
    "dai",
    "quan khu",
    "su doan",
    "lu doan",
    "trung doan",
    "tieu doan",
    "dai doi",
    "don vi",
    "to chuc",
    "nganh",
    "chinh quyen",
    "bo chi huy",
    "ban chi huy",
    "quan doi",
    "bo doi",
    "kho bac",
    "ngan hang",
    "chi cuc",
    "tram",
    "cong ty",
    "doanh nghiep",
    "chi nhanh",
    "hop tac xa",
];

/// Heads too general to name the unit that leads an item ("Lực lượng vũ trang ...").
const GENERAL_HEADS: &[&str] = &[
    "co quan",
    "luc luong",
    "don vi",
    "to chuc",
    "nganh",
    "chinh quyen",
    "quan doi",
    "bo doi",
    "ban",
    "phong",
    "so",
    "vu",
    "hoi",
    "doan",
    "dai",
];

fn starts_with_words(hay: &str, needle: &str) -> bool {
    hay.starts_with(needle) && hay[needle.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// True when `phrase` (original) starts with the name of a unit.
fn unit_like(phrase: &str, for_lead: bool) -> bool {
    let f = fold_str(phrase);
    let f = f.trim();
    let (f, plural) = match f.strip_prefix("cac ").or_else(|| f.strip_prefix("nhung ")) {
        Some(r) => (r, true),
        None => (f, false),
    };
    if for_lead && (plural || f.starts_with("moi ")) {
        return false;
    }
    let Some(head) = UNIT_HEADS
        .iter()
        .filter(|h| starts_with_words(f, h))
        .max_by_key(|h| h.len())
    else {
        return false;
    };
    if for_lead {
        // A leading unit is a named one: its head is written with a capital ("Ủy ban nhân dân
        // huyện", "Đảng ủy Quân sự huyện"), and a general head needs a proper name after it.
        if !phrase.trim().starts_with(|c: char| c.is_uppercase()) {
            return false;
        }
        if GENERAL_HEADS.contains(head) {
            let rest = phrase.split_whitespace().skip(head.split(' ').count());
            return rest
                .into_iter()
                .any(|w| w.starts_with(|c: char| c.is_uppercase()) || w.chars().all(|c| c.is_uppercase()));
        }
    }
    true
}

/// Cuts `s` (original) before the first lower-case stop word; returns the kept prefix.
fn cut_at_stop(s: &str) -> &str {
    let f = Folded::new(s);
    let mut end = s.len();
    for stop in STOPS {
        for p in f.find_words(stop) {
            if p == 0 {
                continue;
            }
            let op = f.pos(p);
            if !s[op..].starts_with(|c: char| c.is_lowercase()) {
                continue;
            }
            if let Some((_, exact)) = EXACT_STOPS.iter().find(|(k, _)| k == stop) {
                let word = f.orig_of(p..p + stop.len());
                let word: String = word.nfc().collect();
                if word != *exact {
                    continue;
                }
            }
            if *stop == "to chuc" {
                let after = f.folded[p + stop.len()..].trim_start();
                if TO_CHUC_NOUN.iter().any(|n| starts_with_words(after, n)) {
                    continue;
                }
            }
            end = end.min(op);
        }
    }
    let cut = &s[..end];
    let cut = match cut.find(['.', ';', ':', '(', '“', '"']) {
        Some(i) => &cut[..i],
        None => cut,
    };
    cut.trim().trim_end_matches([',', '-', '–']).trim()
}

/// The sentence-level clauses of a text.
fn sentences(text: &str) -> Vec<&str> {
    sentences_with(text, &['.', ';', '!', '?'])
}

/// The pieces of a text ended by one of `ends` (followed by a space and a capital or a digit).
fn sentences_with<'a>(text: &'a str, ends: &[char]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if ends.contains(&c) {
            let next = text[i + 1..].chars().next();
            let next2 = text[i + 1..].trim_start().chars().next();
            if next.is_none_or(|n| n.is_whitespace()) && next2.is_none_or(|n| n.is_uppercase() || !n.is_alphabetic()) {
                // "BT. 11", "TP. Hà Nội": an abbreviation, not a sentence end.
                let word_before: String = text[..i].chars().rev().take_while(|c| c.is_alphanumeric()).collect();
                if c == '.'
                    && word_before.chars().count() <= 2
                    && word_before.chars().all(|c| c.is_uppercase())
                    && !word_before.is_empty()
                {
                    continue;
                }
                out.push(text[start..=i].trim());
                start = i + 1;
            }
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// The unit that leads an item (contract: "chủ trì", or directed to carry it out).
pub(crate) fn lead_of(item: &str) -> Option<String> {
    for sentence in sentences(item) {
        let f = Folded::new(sentence);
        // "X chủ trì", "Giao X chủ trì", "do X chủ trì".
        for p in f.find_words("chu tri") {
            let before = &f.folded[..p];
            let from = ["giao cho ", "giao ", "do ", "de nghi ", "yeu cau ", ", ", "; ", ": "]
                .iter()
                .filter_map(|m| before.rfind(m).map(|i| i + m.len()))
                .max()
                .unwrap_or(0);
            let cand = f.orig_of(from..p).trim().trim_end_matches(',').trim();
            if !cand.is_empty() && cand.split_whitespace().count() <= 14 && unit_like(cand, true) {
                return Some(cand.to_string());
            }
            // "Cơ quan chủ trì: X".
            let after = f.orig_of(p + "chu tri".len()..f.folded.len());
            if let Some(rest) = after.trim_start().strip_prefix(':') {
                let c = cut_at_stop(rest.trim());
                if unit_like(c, true) {
                    return Some(c.to_string());
                }
            }
        }
    }
    // The subject of the first sentence, with the bare nouns that continue it ("Ủy ban nhân dân
    // các xã, thị trấn").
    let first = sentences(item).into_iter().next().unwrap_or("");
    if let Some(c) = subject_unit(first) {
        return Some(c);
    }
    // "Lãnh đạo (, chỉ đạo) X tham mưu ...": a Party committee directs X to do the work.
    let ff = fold_str(first);
    for m in ["lanh dao, chi dao ", "lanh dao ", "chi dao "] {
        if ff.starts_with(m) {
            let rest = super::prep::skip_words(first, m.split_whitespace().count());
            if let Some(c) = subject_unit(rest) {
                return Some(c);
            }
        }
    }
    // "Giao X ..." at the start of a sentence.
    for sentence in sentences(item) {
        let f = fold_str(sentence);
        for m in ["giao cho ", "giao "] {
            if f.starts_with(m) {
                let orig = super::prep::skip_words(sentence, m.split_whitespace().count());
                let c = cut_at_stop(orig);
                if unit_like(c, true) {
                    return Some(c.to_string());
                }
            }
        }
    }
    None
}

/// The unit named at the start of a clause, before its verb.
fn subject_unit(first: &str) -> Option<String> {
    let mut segments = first.split([',', ':']);
    let subject = segments.next().unwrap_or("");
    let c = cut_at_stop(subject);
    if c.is_empty() || c.split_whitespace().count() > 14 || !unit_like(c, true) || c == first.trim() {
        return None;
    }
    let mut out = c.to_string();
    if c == subject.trim() {
        // No verb yet: the name goes on after the comma only with a bare noun ("thị trấn").
        for seg in segments {
            let k = cut_at_stop(seg);
            if !CONTINUATIONS.contains(&fold_str(k).as_str()) {
                break;
            }
            out = format!("{out}, {k}");
            if k != seg.trim() {
                break;
            }
        }
    }
    Some(out)
}

/// Bare nouns that continue a list of units ("các ban, ngành", "các xã, thị trấn").
const CONTINUATIONS: &[&str] = &[
    "nganh",
    "thanh pho",
    "thi tran",
    "phuong",
    "xa",
    "dac khu",
    "thi xa",
    "quan",
    "huyen",
    "doan the",
    "don vi",
    "dia phuong",
    "co quan",
    "so",
    "ban",
    "hoi",
    "doan",
];

/// The units after "phối hợp (với)".
pub(crate) fn coordinating_of(item: &str, lead: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let f = Folded::new(item);
    for p in f.find_words("phoi hop") {
        let mut q = p + "phoi hop".len();
        let rest = f.folded[q..].trim_start();
        q = f.folded.len() - rest.len();
        for skip in ["chat che ", "thuong xuyen ", "cung "] {
            if f.folded[q..].starts_with(skip) {
                q += skip.len();
            }
        }
        let with = f.folded[q..].starts_with("voi ");
        if with {
            q += "voi ".len();
        }
        let tail = f.orig_of(q..f.folded.len());
        if !with && !tail.starts_with(|c: char| c.is_uppercase()) {
            continue;
        }
        let list = cut_at_stop(tail);
        let mut parts: Vec<String> = Vec::new();
        for seg in list.split(',').flat_map(split_and) {
            let seg = seg.trim();
            if seg.is_empty() {
                continue;
            }
            let fs = fold_str(seg);
            if !parts.is_empty() && CONTINUATIONS.contains(&fs.as_str()) {
                let last = parts.last_mut().expect("non-empty");
                *last = format!("{last}, {seg}");
            } else {
                parts.push(seg.to_string());
            }
        }
        if parts.first().is_some_and(|p| unit_like(p, false)) {
            for p in parts {
                if unit_like(&p, false) && lead != Some(p.as_str()) && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Splits "A và B" when B is the name of a unit ("Công an xã và Trạm Y tế xã"), not when "và"
/// is inside a name ("Phòng Văn hóa và Thông tin huyện").
fn split_and(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut from = 0;
    while let Some(i) = s[from..].find(" và ") {
        let at = from + i;
        let next = &s[at + " và ".len()..];
        if unit_like(next, false) {
            out.push(&s[start..at]);
            start = at + " và ".len();
        }
        from = at + " và ".len();
    }
    out.push(&s[start..]);
    out
}

static DATE_DEADLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:truoc|cham nhat|han chot|xong truoc|hoan thanh truoc|den|trong|vao)\s+(?:ngay\s+)?(\d{1,2})\s*(?:/|-|\.|thang)\s*(\d{1,2})\s*(?:(?:/|-|\.|nam)\s*((?:19|20)\d{2}))?")
        .expect("deadline regex")
});
static MONTH_DEADLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:truoc|cham nhat|xong trong|hoan thanh trong|trong|vao|den|han)\s+(?:cuoi\s+|dau\s+|giua\s+)?thang\s+(\d{1,2})(?:\s*(?:/|nam)\s*((?:19|20)\d{2}))?")
        .expect("month regex")
});
/// "tháng 6/2025", "tháng 6 năm 2025" without a leading word (not inside "ngày 26 tháng 11 năm 2024").
static MONTH_YEAR_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"thang\s+(\d{1,2})\s*(?:/|nam)\s*((?:19|20)\d{2})").expect("month-year regex"));
/// "quý I", "quý II/2025", "quý 3 năm 2025".
static QUARTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bquy\s+(iv|iii|ii|i|[1-4])\b(?:\s*(?:/|nam)\s*((?:19|20)\d{2}))?").expect("quarter regex")
});
static HALF_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b6 thang (dau|cuoi) nam\b(?:\s*((?:19|20)\d{2}))?").expect("half regex"));
static YEAR_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bnam\s+((?:19|20)\d{2})\b").expect("year regex"));

/// Whether a year can be a deadline of a document of year `doc_year`: this year or the next two.
fn near_year(y: i32, doc_year: Option<i32>) -> bool {
    doc_year.is_none_or(|dy| (dy..=dy + 2).contains(&y))
}

/// The year of a day or month given without one: the document's year, or the next when that
/// day is already past at the date of issue ("trước ngày 15/01" in a document of 20/12/2024).
fn implied_year(month: u8, day: u8, doc_date: Option<Date>) -> Option<i32> {
    let d = doc_date?;
    let past = (month, day) < (u8::from(d.month()), d.day());
    Some(if past { d.year() + 1 } else { d.year() })
}

/// The deadline of an item: an explicit date ("trước ngày 30/6/2025", or "trước ngày 30/6" in
/// the document's year), a month ("tháng 6/2025", "trong tháng 3"), a quarter, or a year that the
/// item ties its work to ("năm 2025"). Years outside the document's year and the next two are
/// taken for references (titles of plans, visions "tầm nhìn đến năm 2045") and ignored.
///
/// A quarter ("quý I") is given as its last month ("YYYY-03"), and the first or last half of a
/// year ("6 tháng đầu năm") as "YYYY-06" / "YYYY-12": the contract has no quarter format, and a
/// quarter's work is due by the end of its last month.
pub(crate) fn deadline_of(item: &str, doc_date: Option<Date>) -> Option<String> {
    let doc_year = doc_date.map(|d| d.year());
    let f = fold_str(item);
    for c in DATE_DEADLINE_RE.captures_iter(&f) {
        let (Ok(d), Ok(m)) = (c[1].parse::<u8>(), c[2].parse::<u8>()) else {
            continue;
        };
        // "đến 2/3 số xã" is a fraction, not a date; a date without a year needs "ngày".
        let y = match c.get(3) {
            Some(y) => y.as_str().parse::<i32>().ok(),
            None if c[0].contains("ngay") => implied_year(m, d, doc_date),
            None => None,
        };
        let Some(y) = y else { continue };
        if let Ok(month) = time::Month::try_from(m) {
            if let Ok(date) = Date::from_calendar_date(y, month, d) {
                return Some(date.to_string());
            }
        }
    }
    for c in MONTH_DEADLINE_RE.captures_iter(&f) {
        let Ok(m) = c[1].parse::<u8>() else { continue };
        if !(1..=12).contains(&m) {
            continue;
        }
        let y = match c.get(2) {
            Some(y) => y.as_str().parse::<i32>().ok(),
            None => implied_year(m, 31, doc_date),
        };
        if let Some(y) = y {
            return Some(format!("{y:04}-{m:02}"));
        }
    }
    for c in MONTH_YEAR_RE.captures_iter(&f) {
        let m0 = c.get(0).expect("match");
        // Part of a date "ngày 26 tháng 11 năm 2024".
        let before = f[..m0.start()].trim_end();
        let after_day = before
            .rsplit(' ')
            .next()
            .is_some_and(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()));
        if after_day {
            continue;
        }
        let (Ok(m), Ok(y)) = (c[1].parse::<u8>(), c[2].parse::<i32>()) else {
            continue;
        };
        if (1..=12).contains(&m) && near_year(y, doc_year) {
            return Some(format!("{y:04}-{m:02}"));
        }
    }
    for c in QUARTER_RE.captures_iter(&f) {
        let q = match &c[1] {
            "i" | "1" => 1,
            "ii" | "2" => 2,
            "iii" | "3" => 3,
            _ => 4,
        };
        let y = match c.get(2) {
            Some(y) => y.as_str().parse::<i32>().ok(),
            None => year_after(&f, c.get(0).expect("match").end()).or_else(|| implied_year(q * 3, 28, doc_date)),
        };
        if let Some(y) = y.filter(|y| near_year(*y, doc_year)) {
            return Some(format!("{y:04}-{:02}", q * 3));
        }
    }
    for c in HALF_RE.captures_iter(&f) {
        let m = if &c[1] == "dau" { 6 } else { 12 };
        let y = match c.get(2) {
            Some(y) => y.as_str().parse::<i32>().ok(),
            None => doc_year,
        };
        if let Some(y) = y.filter(|y| near_year(*y, doc_year)) {
            return Some(format!("{y:04}-{m:02}"));
        }
    }
    for c in YEAR_RE.captures_iter(&f) {
        let m = c.get(0).expect("match");
        let before = f[..m.start()].trim_end();
        if before.ends_with("tam nhin den")
            || before.ends_with("giai doan")
            || before.ends_with("khoa")
            || before.ends_with("so voi")
            || before.ends_with("so voi cung ky")
        {
            continue;
        }
        // The year of a date "ngày 26 tháng 11 năm 2024".
        let mut last = before.rsplit(' ');
        if last
            .next()
            .is_some_and(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
            && last.next() == Some("thang")
        {
            continue;
        }
        // Part of a range "2022-2025" or a date "ngày 26/11/2024".
        let after = &f[m.end()..];
        if after.starts_with(['-', '–']) {
            continue;
        }
        let Ok(y) = c[1].parse::<i32>() else { continue };
        if let Some(dy) = doc_year {
            if y != dy && y != dy + 1 {
                continue;
            }
        }
        return Some(y.to_string());
    }
    None
}

/// A year written right after a position: "quý I năm 2025" is caught by the regex, this takes
/// ", năm 2025" a few words later.
fn year_after(f: &str, pos: usize) -> Option<i32> {
    let rest: String = f[pos..].chars().take(16).collect();
    YEAR_RE.captures(&rest).and_then(|c| c[1].parse().ok())
}

static QTY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+(?:[.,]\d+)*(?:\s?[-–]\s?\d+(?:[.,]\d+)*)?)\s?(%|ha\b|m²|m2\b|m³|m3\b|km²|km\b|kg\b|tấn\b|tỷ đồng|tỉ đồng|triệu đồng|người\b|trụ sở\b|công trình\b|lượt\b|cán bộ\b|chiến sĩ\b|chiến sỹ\b|công dân\b|thanh niên\b|tân binh\b|đồng chí\b|mô hình\b|xã\b|lớp\b|buổi\b|cuộc\b|hộ\b|điểm\b|chốt\b|tiểu đội\b|trung đội\b|đại đội\b)")
        .expect("quantity regex")
});
/// "58/63 tỉnh": a share of units.
static FRACTION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{1,4})\s?/\s?(\d{1,4})\s(tỉnh, thành phố|tỉnh|thành phố|huyện|quận|thị xã|xã, phường, thị trấn|xã, thị trấn|xã|phường|thị trấn|đơn vị|cơ quan|địa phương|bộ, ngành|trường|doanh nghiệp|hộ|người|thôn|bản|tổ dân phố)\b")
        .expect("fraction regex")
});
static GRADE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"trong sach,? vung manh(?: tieu bieu)?|vung manh toan dien(?: “[^”]{1,40}”| \x22[^\x22]{1,40}\x22)?|(?:dat )?loai (?:kha|gioi|xuat sac)(?: tro len)?|hoan thanh xuat sac")
        .expect("grade regex")
});

/// The clause (from the last ';' or sentence end) before a byte position.
fn clause_before(text: &str, pos: usize) -> &str {
    let start = text[..pos].rfind(['.', ';', ':']).map_or(0, |i| i + 1);
    &text[start..pos]
}

fn is_past(clause: &str) -> bool {
    clause
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "đã" || w == "Đã")
}

/// Quantitative and graded targets, as written, excluding past results.
pub(crate) fn targets_of(item: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for c in QTY_RE.captures_iter(item) {
        let m = c.get(0).expect("match");
        // Not part of a longer number or a word ("2022-2025", "QH13").
        if item[..m.start()]
            .chars()
            .next_back()
            .is_some_and(|ch| ch.is_alphanumeric() || ch == '/')
        {
            continue;
        }
        if is_past(clause_before(item, m.start())) {
            continue;
        }
        let mut t = m.as_str().trim().to_string();
        if &c[2] == "%" {
            // "100% chỉ tiêu giao quân": what the percentage is of, to the end of the clause
            // (at most twelve words), before a word that starts a purpose or a manner.
            let rest = &item[m.end()..];
            let phrase = rest.split([',', ';', '.', ':', '(', ')']).next().unwrap_or("");
            let mut kept: Vec<&str> = Vec::new();
            for w in phrase.split_whitespace().take(12) {
                if ["để", "nhằm", "theo", "trong", "tại", "của", "và"].contains(&w) {
                    break;
                }
                kept.push(w);
            }
            if !kept.is_empty() {
                t = format!("{t} {}", kept.join(" "));
            }
        }
        found.push((m.start(), t));
    }
    for m in FRACTION_RE.find_iter(item) {
        if item[..m.start()]
            .chars()
            .next_back()
            .is_some_and(|ch| ch.is_alphanumeric() || ch == '/' || ch == '-')
        {
            continue;
        }
        // "ngày 30/6": a date.
        if fold_str(item[..m.start()].trim_end()).ends_with("ngay") || is_past(clause_before(item, m.start())) {
            continue;
        }
        found.push((m.start(), m.as_str().to_string()));
    }
    let f = Folded::new(item);
    for m in GRADE_RE.find_iter(&f.folded) {
        let start = f.pos(m.start());
        if is_past(clause_before(item, start)) {
            continue;
        }
        found.push((start, f.orig_of(m.range()).to_string()));
    }
    found.sort_by_key(|(p, _)| *p);
    let mut out: Vec<String> = Vec::new();
    for (_, t) in found {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The first sentence of an item, shortened for display.
pub(crate) fn summary_of(item: &str) -> String {
    // The first sentence ends at a full stop; ';' only separates clauses of it.
    let first = sentences_with(item, &['.', '!', '?'])
        .into_iter()
        .next()
        .unwrap_or(item)
        .trim();
    let first = first.trim_end_matches(['.', ';']).trim();
    const MAX: usize = 200;
    if first.chars().count() <= MAX {
        return first.to_string();
    }
    let cut: String = first.chars().take(MAX).collect();
    let cut = match cut.rfind(' ') {
        Some(i) => &cut[..i],
        None => &cut,
    };
    format!("{} ...", cut.trim_end_matches([',', ';', ' ']))
}

fn task_heading(folded: &str) -> bool {
    (folded.contains("nhiem vu") || folded.contains("giai phap"))
        && !["ket qua", "danh gia", "tinh hinh", "uu diem", "han che"]
            .iter()
            .any(|w| folded.contains(w))
}

fn result_heading(folded: &str) -> bool {
    [
        "ket qua",
        "danh gia",
        "tinh hinh",
        "uu diem",
        "han che",
        "muc dich",
        "yeu cau",
    ]
    .iter()
    .any(|w| folded.contains(w))
}

struct Para<'a> {
    marker: Option<String>,
    text: &'a str,
    heading: bool,
}

fn is_roman(m: &str) -> bool {
    !m.is_empty() && m.chars().all(|c| matches!(c, 'I' | 'V' | 'X'))
}

/// The tasks of a body given as paragraphs.
/// Each task comes with its full text.
pub(crate) fn tasks_of(paragraphs: &[String], doc_date: Option<Date>) -> Vec<(Task, String)> {
    let paras: Vec<Para> = paragraphs
        .iter()
        .map(|p| match item_marker(p) {
            Some((m, rest)) if m != "-" => Para {
                heading: is_upper(rest) || is_roman(&m),
                marker: Some(m),
                text: rest,
            },
            Some((_, rest)) => Para {
                marker: Some("-".into()),
                text: rest,
                heading: false,
            },
            None => Para {
                marker: None,
                text: p,
                heading: is_upper(p) && p.chars().count() < 200,
            },
        })
        .collect();
    // The region that holds the tasks.
    let heading_idx = paras.iter().position(|p| p.heading && task_heading(&fold_str(p.text)));
    let (from, to) = match heading_idx {
        Some(h) => {
            let end = paras
                .iter()
                .enumerate()
                .skip(h + 1)
                .find(|(_, p)| p.heading && p.marker.as_deref().is_none_or(is_roman))
                .map_or(paras.len(), |(i, _)| i);
            (h + 1, end)
        }
        None => (0, paras.len()),
    };
    // Paragraphs under a results heading are not tasks.
    let mut skip = vec![false; paras.len()];
    if heading_idx.is_none() {
        let mut in_results = false;
        for (i, p) in paras.iter().enumerate() {
            if p.heading && (p.marker.as_deref().is_some_and(is_roman) || p.marker.is_none()) {
                in_results = result_heading(&fold_str(p.text));
            }
            skip[i] = in_results;
        }
    }
    let level = |m: &str| -> u8 {
        if m.chars().all(|c| c.is_ascii_digit()) {
            1
        } else if m.chars().count() == 1 && m.chars().all(|c| c.is_lowercase()) {
            2
        } else {
            0
        }
    };
    let top = if (from..to)
        .any(|i| !skip[i] && !paras[i].heading && paras[i].marker.as_deref().is_some_and(|m| level(m) == 1))
    {
        1
    } else {
        2
    };
    // Runs of consecutive top-level items; the last run wins when numbering restarts.
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for i in from..to {
        if skip[i] || paras[i].heading {
            continue;
        }
        let Some(m) = paras[i].marker.as_deref() else {
            continue;
        };
        if level(m) != top {
            continue;
        }
        let first = if top == 1 { m == "1" } else { m == "a" };
        if first || runs.is_empty() {
            runs.push(vec![i]);
        } else if let Some(r) = runs.last_mut() {
            r.push(i);
        }
    }
    // The roman section ("I.", "II.") each paragraph sits in.
    let mut section: Vec<Option<usize>> = vec![None; paras.len()];
    let mut cur = None;
    for (i, p) in paras.iter().enumerate() {
        if p.heading && p.marker.as_deref().is_some_and(is_roman) {
            cur = Some(i);
        }
        section[i] = cur;
    }
    // Without a task heading, numbered items under two or more roman sections ("I. ĐỐI VỚI BAN
    // CHỈ HUY QUÂN SỰ CÁC QUẬN, HUYỆN", "II. ĐỐI VỚI ...") are all tasks, numbered "I.1", "II.1".
    let multi = heading_idx.is_none() && {
        let mut secs: Vec<usize> = runs.iter().filter_map(|r| section[r[0]]).collect();
        secs.dedup();
        secs.len() >= 2 && runs.iter().all(|r| section[r[0]].is_some())
    };
    let chosen: Vec<Vec<usize>> = if multi {
        runs
    } else {
        match runs.pop() {
            Some(r) => vec![r],
            None => return Vec::new(),
        }
    };
    let mut tasks = Vec::new();
    for run in &chosen {
        let sec = section[run[0]].filter(|_| multi);
        let prefix = sec.and_then(|h| paras[h].marker.clone());
        let section_lead = sec.and_then(|h| heading_unit(paras[h].text));
        let end_of_run = if multi {
            (run[run.len() - 1] + 1..to).find(|&j| paras[j].heading).unwrap_or(to)
        } else {
            to
        };
        tasks.extend(run_tasks(
            &paras,
            run,
            end_of_run,
            top,
            &level,
            doc_date,
            prefix,
            section_lead,
        ));
    }
    tasks
}

/// The unit a section heading addresses: "ĐỐI VỚI BAN CHỈ HUY QUÂN SỰ CÁC XÃ" → "Ban Chỉ huy
/// Quân sự các xã".
fn heading_unit(heading: &str) -> Option<String> {
    let f = fold_str(heading);
    let rest = if f.starts_with("doi voi ") {
        super::prep::skip_words(heading, 2)
    } else {
        heading
    };
    let name = super::prep::case_name(rest.trim_end_matches([':', '.']));
    unit_like(&name, false).then_some(name)
}

/// The tasks of one run of top-level items.
#[allow(clippy::too_many_arguments)]
fn run_tasks(
    paras: &[Para],
    run: &[usize],
    to: usize,
    top: u8,
    level: &dyn Fn(&str) -> u8,
    doc_date: Option<Date>,
    prefix: Option<String>,
    section_lead: Option<String>,
) -> Vec<(Task, String)> {
    let mut tasks = Vec::new();
    for (k, &i) in run.iter().enumerate() {
        let next = run.get(k + 1).copied();
        let mut text = paras[i].text.to_string();
        let end = next.unwrap_or(to);
        for p in &paras[i + 1..end] {
            if p.heading {
                break;
            }
            let sub = p.marker.as_deref().is_some_and(|m| m == "-" || level(m) > top);
            if next.is_none() && !sub {
                // After the last item, plain paragraphs are the closing of the document.
                break;
            }
            text.push(' ');
            if let Some(m) = p.marker.as_deref().filter(|m| *m != "-") {
                text.push_str(m);
                text.push_str(") ");
            }
            text.push_str(p.text);
        }
        let lead = lead_of(&text).or_else(|| section_lead.clone());
        let coordinating = coordinating_of(&text, lead.as_deref());
        let ordinal = paras[i].marker.clone().unwrap_or_default();
        let task = Task {
            ordinal: match &prefix {
                Some(p) => format!("{p}.{ordinal}"),
                None => ordinal,
            },
            summary: summary_of(&text),
            lead,
            coordinating,
            deadline: deadline_of(&text, doc_date),
            targets: targets_of(&text),
        };
        tasks.push((task, text));
    }
    tasks
}

/// Topics: a key phrase in the tasks or the title, or twice in the whole text (once for a news
/// report, which has no tasks).
pub(crate) fn topics_of(whole: &str, focus: &str, news: bool) -> Vec<Topic> {
    let fw = fold_str(whole);
    let ff = fold_str(focus);
    let mut out = Vec::new();
    for t in Topic::ALL {
        let kws = t.keywords();
        if kws.is_empty() {
            continue;
        }
        let in_focus = kws.iter().any(|k| contains_words(&ff, k));
        let n: usize = kws.iter().map(|k| find_words(&fw, k).len()).sum();
        if in_focus || n >= 2 || (news && n >= 1) {
            out.push(t);
        }
    }
    if out.is_empty() {
        out.push(Topic::Khac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads() {
        assert_eq!(
            lead_of("Đảng ủy Quân sự huyện, phối hợp với UBKT Huyện ủy tăng cường kiểm tra.").as_deref(),
            Some("Đảng ủy Quân sự huyện")
        );
        assert_eq!(
            lead_of("Đảng ủy Quân sự huyện chủ động làm tốt việc phối hợp.").as_deref(),
            Some("Đảng ủy Quân sự huyện")
        );
        assert_eq!(
            lead_of("Tổ chức tập huấn. Giao Ban Chỉ huy Quân sự huyện chủ trì, phối hợp với Phòng Nội vụ thực hiện.")
                .as_deref(),
            Some("Ban Chỉ huy Quân sự huyện")
        );
        assert_eq!(
            lead_of("Các cơ quan, đơn vị, địa phương tiếp tục quán triệt.").as_deref(),
            None
        );
        assert_eq!(
            lead_of("Tiếp tục quán triệt và thực hiện nghiêm túc các nghị quyết.").as_deref(),
            None
        );
        assert_eq!(lead_of("Lực lượng vũ trang duy trì nghiêm chế độ.").as_deref(), None);
        assert_eq!(
            lead_of("Ban Chỉ đạo huyện chỉ đạo các xã rà soát.").as_deref(),
            Some("Ban Chỉ đạo huyện")
        );
    }

    #[test]
    fn coordinating_units() {
        assert_eq!(
            coordinating_of("Đảng ủy Quân sự huyện, phối hợp với UBKT Huyện ủy, Ban Tổ chức Huyện ủy, Đảng ủy các xã, thị trấn tăng cường công tác.", Some("Đảng ủy Quân sự huyện")),
            vec!["UBKT Huyện ủy", "Ban Tổ chức Huyện ủy", "Đảng ủy các xã, thị trấn"]
        );
        assert_eq!(
            coordinating_of("chủ động làm tốt việc phối hợp với các ban, ngành, Mặt trận Tổ quốc, tổ chức chính trị - xã hội trong thực hiện nhiệm vụ.", None),
            vec!["các ban, ngành", "Mặt trận Tổ quốc", "tổ chức chính trị - xã hội"]
        );
        assert!(coordinating_of("Chủ động phối hợp giữa các cơ quan bảo vệ pháp luật.", None).is_empty());
        assert!(coordinating_of("Tiếp tục phối hợp làm tốt công tác bồi dưỡng.", None).is_empty());
    }

    fn day(y: i32, m: u8, d: u8) -> Option<Date> {
        Some(Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap())
    }

    #[test]
    fn deadlines() {
        let d24 = day(2024, 12, 20);
        let d25 = day(2025, 1, 10);
        assert_eq!(
            deadline_of("Hoàn thành trước ngày 30/6/2025.", d25).as_deref(),
            Some("2025-06-30")
        );
        assert_eq!(deadline_of("xong trong tháng 3/2026", None).as_deref(), Some("2026-03"));
        assert_eq!(
            deadline_of("Năm 2025, hoàn chỉnh thủ tục; tầm nhìn đến năm 2050.", d24).as_deref(),
            Some("2025")
        );
        assert_eq!(deadline_of("giai đoạn 2021-2030, tầm nhìn đến năm 2045", d24), None);
        assert_eq!(
            deadline_of("Nghị quyết số 52-NQ/TU ngày 26/11/2024 về đào tạo nghề", d24),
            None
        );
        assert_eq!(
            deadline_of("tổ chức Quân đội nhân dân Việt Nam đến năm 2030", day(2022, 3, 7)),
            None
        );
        // A day without a year: the document's year, or the next when already past.
        assert_eq!(
            deadline_of("báo cáo kết quả về Ủy ban trước ngày 30/6.", d25).as_deref(),
            Some("2025-06-30")
        );
        assert_eq!(deadline_of("xong trước ngày 15/01", d24).as_deref(), Some("2025-01-15"));
        assert_eq!(
            deadline_of("hoàn thành chậm nhất ngày 05 tháng 8", d25).as_deref(),
            Some("2025-08-05")
        );
        assert_eq!(deadline_of("trước ngày 30/6", None), None);
        // "đến 2/3 số xã" is a fraction.
        assert_eq!(deadline_of("phấn đấu đến 2/3 số xã đạt chuẩn", d25), None);
        // Quarters: the last month of the quarter.
        assert_eq!(deadline_of("hoàn thành trong quý I", d25).as_deref(), Some("2025-03"));
        assert_eq!(deadline_of("xong trong quý III/2025", d24).as_deref(), Some("2025-09"));
        assert_eq!(deadline_of("Quý IV năm 2025 tổng kết", d24).as_deref(), Some("2025-12"));
        assert_eq!(deadline_of("trong quý 2", d25).as_deref(), Some("2025-06"));
        assert_eq!(deadline_of("trong 6 tháng đầu năm", d25).as_deref(), Some("2025-06"));
        // Months.
        assert_eq!(
            deadline_of("tổ chức diễn tập tháng 6/2025", d25).as_deref(),
            Some("2025-06")
        );
        assert_eq!(
            deadline_of("tổ chức vào tháng 9 năm 2025", d25).as_deref(),
            Some("2025-09")
        );
        assert_eq!(deadline_of("xong trong tháng 3", d25).as_deref(), Some("2025-03"));
        assert_eq!(
            deadline_of("theo Kế hoạch ngày 26 tháng 11 năm 2024 của Tỉnh ủy", d24),
            None
        );
        // Dates win over years.
        assert_eq!(
            deadline_of("Năm 2025, hoàn thành trước ngày 30/9/2025.", d25).as_deref(),
            Some("2025-09-30")
        );
    }

    #[test]
    fn targets() {
        assert_eq!(
            targets_of("Năm 2025, hoàn chỉnh thủ tục thu hồi 1,5ha đất; thu hồi 1.143m² đất và khởi công 01- 02 trụ sở Ban Chỉ huy."),
            vec!["1,5ha", "1.143m²", "01- 02 trụ sở"]
        );
        assert_eq!(
            targets_of("quyết tâm hoàn thành 100% chỉ tiêu; xây dựng lực lượng"),
            vec!["100% chỉ tiêu"]
        );
        assert_eq!(
            targets_of("Phấn đấu đến cuối năm có 58/63 tỉnh ban hành đề án; xây dựng 1.143m2 nhà kho."),
            vec!["58/63 tỉnh", "1.143m2"]
        );
        assert_eq!(
            targets_of("bảo đảm 100% chỉ tiêu giao quân, 30/30 xã, thị trấn hoàn thành"),
            vec!["100% chỉ tiêu giao quân", "30/30 xã, thị trấn"]
        );
        // A date is not a share; a past result is not a target.
        assert!(targets_of("trước ngày 30/6 tỉnh báo cáo").is_empty());
        assert!(targets_of("Hiện nay đã có 58/63 tỉnh ban hành.").is_empty());
        assert!(targets_of("Hiện nay đã có 58 người được huấn luyện, giai đoạn 2022-2025.").is_empty());
        assert_eq!(
            targets_of(
                "xây dựng lực lượng vũ trang huyện vững mạnh toàn diện “mẫu mực, tiêu biểu”; đạt loại khá trở lên."
            ),
            vec!["vững mạnh toàn diện “mẫu mực, tiêu biểu”", "đạt loại khá trở lên"]
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(summary_of("Làm tốt việc này. Sau đó làm B."), "Làm tốt việc này");
        assert_eq!(summary_of("Gửi BT. 11 và C12. Sau đó."), "Gửi BT. 11 và C12");
        let long = "từ ".repeat(100);
        let s = summary_of(&long);
        assert!(s.ends_with(" ...") && s.chars().count() <= 205);
    }
}
