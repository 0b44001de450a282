//! Tasks (the numbered items that assign work) and topics.

use super::folded::{contains_words, find_words, fold_str, Folded};
use super::kind::Topic;
use super::prep::{is_upper, item_marker};
use super::{Confidence, Task};
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
    "khac phuc",
    "dau tu",
    "nang cap",
    "xem xet",
    "gui",
    "cu",
    "ky ket",
    "can doi",
    "cung cap",
    "kien toan",
    "cung co",
    "dang ky",
    "tuyen chon",
    "phat dong",
    "bao ve",
    "tiep thu",
    "dam nhan",
    "thong bao",
    "cam moc",
    "nam chac",
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
    ("gui", "gửi"),
    ("cu", "cử"),
];

/// Words after which "tổ chức" is a noun ("tổ chức chính trị - xã hội"), not a verb, as written.
const TO_CHUC_NOUN: &[&str] = &[
    "chính trị",
    "đoàn thể",
    "xã hội",
    "đảng",
    "Đảng",
    "Hội",
    "hội viên",
    "công đoàn",
    "quần chúng",
    "cơ sở đảng",
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
    "thi uy",
    "quan uy",
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

/// Plural heads that name a group of units leading an item ("Các địa phương", "Các bộ, ngành").
const PLURAL_HEADS: &[&str] = &[
    "dia phuong",
    "cap uy",
    "co quan",
    "don vi",
    "nganh",
    "bo",
    "ban",
    "so",
    "xa",
    "huyen",
    "tinh",
    "chi bo",
    "dang uy",
    "huyen uy",
    "to chuc dang",
    "doan the",
];

/// True when `phrase` (original) starts with the name of a unit. For a lead, the name is written
/// with a capital ("Ủy ban nhân dân huyện", "Các địa phương"); a singular general head ("Lực lượng
/// vũ trang") needs a proper name after it; a plural one names the group ("Các cơ quan, đơn vị").
fn unit_like(phrase: &str, for_lead: bool) -> bool {
    let f = fold_str(phrase);
    let f = f.trim();
    let (f, plural) = match f.strip_prefix("cac ").or_else(|| f.strip_prefix("nhung ")) {
        Some(r) => (r, true),
        None => (f, false),
    };
    if for_lead && f.starts_with("moi ") {
        return false;
    }
    let head = UNIT_HEADS
        .iter()
        .chain(if plural { PLURAL_HEADS } else { &[] })
        .filter(|h| starts_with_words(f, h))
        .max_by_key(|h| h.len());
    let Some(head) = head else {
        return false;
    };
    if for_lead {
        if !phrase.trim().starts_with(|c: char| c.is_uppercase()) {
            return false;
        }
        if GENERAL_HEADS.contains(head) && !plural {
            let rest = phrase.split_whitespace().skip(head.split(' ').count());
            return rest
                .into_iter()
                .any(|w| w.starts_with(|c: char| c.is_uppercase()) || w.chars().all(|c| c.is_uppercase()));
        }
    }
    true
}

/// At most `max` bytes of the start of `s`, cut at a character boundary: names are short, and
/// looking at a bounded prefix keeps the reader linear on long items.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Cuts `s` (original) before the first lower-case stop word; returns the kept prefix.
fn cut_at_stop(s: &str) -> &str {
    let s = prefix(s, 400);
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
                // "tổ chức chính trị - xã hội", "tổ chức Đảng": a noun ("tổ chức hội thao",
                // "tổ chức đăng ký" are verbs).
                let after: String = f.orig_of(p + stop.len()..f.folded.len()).trim_start().nfc().collect();
                if TO_CHUC_NOUN.iter().any(|n| {
                    after.starts_with(n) && after[n.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
                }) {
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
        for p in f.find_words("chu tri").into_iter().take(4) {
            let mut from0 = p.saturating_sub(400);
            while !f.folded.is_char_boundary(from0) {
                from0 -= 1;
            }
            let before = &f.folded[from0..p];
            let base = p - before.len();
            // Words as words: "giao" inside "Ban Tuyên giáo" is no "giao" (assign).
            let from = ["giao cho ", "giao ", "do ", "de nghi ", "yeu cau ", ", ", "; ", ": "]
                .iter()
                .filter_map(|m| {
                    let word = m.starts_with(char::is_alphabetic);
                    let mut hay = before;
                    while let Some(i) = hay.rfind(m) {
                        // Written exactly so ("giao", not "giáo" of "Tuyên giáo").
                        let exact = || {
                            let orig: String = f.orig_of(base + i..base + i + m.trim_end().len()).nfc().collect();
                            let want = match m.trim_end() {
                                "giao cho" => "giao cho",
                                "giao" => "giao",
                                "do" => "do",
                                "de nghi" => "đề nghị",
                                _ => "yêu cầu",
                            };
                            orig.to_lowercase() == want
                        };
                        let ok =
                            !word || (hay[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()) && exact());
                        if ok {
                            return Some(base + i + m.len());
                        }
                        hay = &hay[..i];
                    }
                    None
                })
                .max()
                .unwrap_or(base);
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
    // "Giao X ..." at the start of a sentence or of a clause ("Một số kiến nghị …, giao Cục Dân
    // quân tự vệ tổng hợp báo cáo …").
    for sentence in sentences(item) {
        let f = Folded::new(prefix(sentence, 600));
        let starts = std::iter::once(0).chain(f.folded.match_indices(", giao ").map(|(i, _)| i + 2).take(3));
        for at in starts {
            let rest = f.orig_of(at..f.folded.len()).trim_start();
            let word: String = rest
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
                .nfc()
                .collect();
            let word = word.to_lowercase();
            let n = if word == "giao cho" || word == "đề nghị" || word == "yêu cầu" {
                2
            } else if word.starts_with("giao ") {
                1
            } else {
                continue;
            };
            let c = cut_at_stop(super::prep::skip_words(rest, n));
            if unit_like(c, true) {
                return Some(c.to_string());
            }
        }
    }
    // A unit named as the subject of a later sentence or clause ("…; Bộ Lao động, Thương binh
    // và Xã hội, Bảo hiểm xã hội Việt Nam và cơ quan liên quan phối hợp sớm ban hành …").
    for sentence in sentences(item).into_iter().skip(1) {
        if let Some(c) = subject_unit(sentence) {
            return Some(c);
        }
    }
    None
}

/// The unit named at the start of a clause, before its verb: a name, and after commas the bare
/// nouns or capitalised names that continue a list of units ("Bộ Lao động, Thương binh và Xã
/// hội, Bảo hiểm xã hội Việt Nam"), without "và (các) cơ quan liên quan".
fn subject_unit(first: &str) -> Option<String> {
    let first = prefix(first, 600);
    // "Ban Chỉ huy Quân sự huyện: chủ trì …" (a unit and its duties).
    if let Some((head, _)) = first.split_once(':') {
        let head = head.trim();
        if !head.is_empty()
            && head.split_whitespace().count() <= 14
            && unit_like(head, true)
            && cut_at_stop(head) == head
        {
            return Some(strip_related(head));
        }
    }
    let first = first.split(':').next().unwrap_or("");
    let mut segments = first.split(',');
    let subject = segments.next().unwrap_or("");
    let c = cut_at_stop(subject);
    if c.is_empty() || c.split_whitespace().count() > 14 || !unit_like(c, true) || c == first.trim() {
        return None;
    }
    let mut out = c.to_string();
    let plural = fold_str(c).starts_with("cac ");
    if c == subject.trim() {
        // No verb yet: the name goes on after the comma with a bare noun ("thị trấn") or another
        // capitalised name.
        for seg in segments {
            let k = cut_at_stop(seg);
            let fk = fold_str(k);
            let bare = CONTINUATIONS.contains(&fk.as_str());
            let named = k.starts_with(|c: char| c.is_uppercase()) && strip_related(k).split_whitespace().count() <= 10;
            // "Các huyện ủy, thị ủy, thành ủy, đảng ủy trực thuộc Tỉnh ủy": a list of bodies.
            let listed = plural && k.split_whitespace().count() <= 10 && unit_like(k, false);
            if k.is_empty() || !(bare || named || listed) {
                break;
            }
            out = format!("{out}, {k}");
            if k != seg.trim() {
                break;
            }
        }
    }
    Some(strip_related(&out))
}

/// "X và cơ quan liên quan", "X và các đơn vị có liên quan": X.
fn strip_related(s: &str) -> String {
    let f = fold_str(s);
    for tail in [
        " va cac co quan co lien quan",
        " va cac co quan lien quan",
        " va co quan co lien quan",
        " va co quan lien quan",
        " va cac don vi co lien quan",
        " va cac don vi lien quan",
        " va don vi lien quan",
    ] {
        if let Some(i) = f.find(tail) {
            if i + tail.len() == f.len() {
                let mut end = 0;
                for (k, (bi, _)) in s.char_indices().enumerate() {
                    if k == f[..i].chars().count() {
                        end = bi;
                        break;
                    }
                }
                return s[..end].trim().to_string();
            }
        }
    }
    s.to_string()
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
    let mut from = pos.saturating_sub(400);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let start = text[from..pos].rfind(['.', ';', ':']).map_or(from, |i| from + i + 1);
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

/// The whole text of an item (with its sub-items), without the closing "./.": the task is
/// confirmed and reported as the document words it, never cut.
pub(crate) fn summary_of(item: &str) -> String {
    item.trim().trim_end_matches(['.', ';', '/', ' ']).trim().to_string()
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
    // The units the lead-in sentence addresses ("… yêu cầu các cấp ủy, chính quyền … thực hiện
    // tốt những nhiệm vụ sau:") lead the items that name no unit of their own.
    let lead_in = chosen
        .first()
        .and_then(|r| {
            (r[0].saturating_sub(3)..r[0])
                .rev()
                .find(|&j| paras[j].marker.is_none() && !paras[j].heading)
        })
        .and_then(|j| addressee(paras[j].text));
    // A plan that assigns its duties unit by unit under "TỔ CHỨC THỰC HIỆN" after its duties
    // heading: the units named there lead the duties listed under them.
    let last_item = chosen.last().and_then(|r| r.last()).copied().unwrap_or(0);
    {
        let search_from = if heading_idx.is_some() { to } else { from };
        if let Some(t) = unit_section_tasks(&paras, search_from, &level, doc_date) {
            let mut t = t;
            t.extend(closing_tasks(&paras, last_unit_item(&paras, to), doc_date));
            return t;
        }
    }
    let mut tasks = Vec::new();
    for run in &chosen {
        let sec = section[run[0]].filter(|_| multi);
        let prefix = sec.and_then(|h| paras[h].marker.clone());
        let section_lead = sec
            .and_then(|h| heading_unit(paras[h].text))
            .or_else(|| lead_in.clone());
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
    tasks.extend(closing_tasks(&paras, last_item, doc_date));
    tasks
}

/// The units a lead-in sentence addresses: "… yêu cầu cấp ủy Đảng, chính quyền, Mặt trận Tổ
/// quốc, các ban, ngành, đoàn thể các cấp tập trung …" → "cấp ủy Đảng, chính quyền, Mặt trận Tổ
/// quốc, các ban, ngành, đoàn thể các cấp".
fn addressee(lead_in: &str) -> Option<String> {
    let t = lead_in.trim_end();
    if !t.ends_with(':') {
        return None;
    }
    let f = Folded::new(t);
    let at = ["yeu cau ", "de nghi ", "giao cho ", "giao "]
        .iter()
        .filter_map(|m| f.find_words(m.trim_end()).last().map(|&p| p + m.len()))
        .max()?;
    let rest = f.orig_of(at.min(f.folded.len())..f.folded.len());
    let c = cut_at_stop(rest);
    let fc = fold_str(c);
    let ok = !c.is_empty()
        && c.split_whitespace().count() <= 24
        && (unit_like(c, false)
            || ["cap uy", "cac cap", "cac cap uy"]
                .iter()
                .any(|h| starts_with_words(&fc, h)));
    ok.then(|| c.to_string())
}

/// The section "TỔ CHỨC THỰC HIỆN" after the duties (from paragraph `from`), when its numbered
/// items name units ("1. Ban Chỉ huy Quân sự huyện:" with its duties under it): one task per unit,
/// the unit as its lead.
fn unit_section_tasks(
    paras: &[Para],
    from: usize,
    level: &dyn Fn(&str) -> u8,
    doc_date: Option<Date>,
) -> Option<Vec<(Task, String)>> {
    let h = (from..paras.len()).find(|&i| paras[i].heading && fold_str(paras[i].text).contains("to chuc thuc hien"))?;
    let end = (h + 1..paras.len())
        .find(|&i| paras[i].heading && paras[i].marker.as_deref().is_none_or(is_roman))
        .unwrap_or(paras.len());
    let items: Vec<usize> = (h + 1..end)
        .filter(|&i| paras[i].marker.as_deref().is_some_and(|m| m != "-" && level(m) == 1))
        .collect();
    if items.len() < 2 || !items.iter().all(|&i| unit_item(paras[i].text).is_some()) {
        return None;
    }
    Some(run_tasks(paras, &items, end, 1, level, doc_date, None, None))
}

/// The last numbered item of the "TỔ CHỨC THỰC HIỆN" section after `from`.
fn last_unit_item(paras: &[Para], from: usize) -> usize {
    (from..paras.len())
        .rev()
        .find(|&i| paras[i].marker.as_deref().is_some_and(|m| m != "-"))
        .unwrap_or(from)
}

/// An item that is the name of a unit ("Ban Chỉ huy Quân sự huyện:", "Công an xã: bảo đảm …").
fn unit_item(text: &str) -> Option<&str> {
    let head = match text.split_once(':') {
        Some((h, _)) => h.trim(),
        None => text.trim().trim_end_matches(['.', ';']),
    };
    let ok = !head.is_empty()
        && head.split_whitespace().count() <= 14
        && unit_like(head, false)
        && cut_at_stop(head) == head;
    ok.then_some(head)
}

/// Words of a closing sentence that assign work ("cụ thể hóa", "chủ trì", "theo dõi, đôn đốc",
/// "báo cáo"), folded.
const CLOSING_VERBS: &[&str] = &[
    "cu the hoa",
    "chu tri",
    "theo doi",
    "don doc",
    "bao cao",
    "tham muu",
    "huong dan",
    "tong hop",
    "to chuc thuc hien",
];

/// Assignments in the plain paragraphs after the last item ("Ủy ban nhân dân huyện … cụ thể hóa
/// Chỉ thị này", "Đảng ủy Quân sự huyện chủ trì … báo cáo"): each sentence that names the unit
/// that does the work, numbered "+1", "+2" after the items.
fn closing_tasks(paras: &[Para], last_item: usize, doc_date: Option<Date>) -> Vec<(Task, String)> {
    let mut out: Vec<(Task, String)> = Vec::new();
    for p in paras.iter().skip(last_item + 1) {
        if p.marker.is_some() || p.heading {
            continue;
        }
        for sentence in sentences_with(p.text, &['.', '!', '?']) {
            let fs = fold_str(prefix(sentence, 600));
            if !CLOSING_VERBS.iter().any(|v| contains_words(&fs, v)) {
                continue;
            }
            let Some(lead) = lead_of(sentence) else {
                continue;
            };
            // The issuer speaking ("Văn phòng … thông báo để …", "UBND huyện đề nghị …").
            let after = fold_str(prefix(
                &sentence[sentence.find(lead.as_str()).map_or(0, |i| i + lead.len())..],
                40,
            ));
            if ["thong bao", "tran trong", "de nghi", "yeu cau"]
                .iter()
                .any(|w| after.trim_start().starts_with(w))
            {
                continue;
            }
            let text = sentence.to_string();
            let task = Task {
                ordinal: format!("+{}", out.len() + 1),
                summary: summary_of(&text),
                coordinating: coordinating_of(&text, Some(&lead)),
                lead: Some(lead),
                deadline: deadline_of(&text, doc_date),
                targets: targets_of(&text),
                confidence: Confidence::High,
            };
            out.push((task, text));
        }
    }
    out
}

/// Words that make a sentence of a report a request to someone, folded.
const REQUEST_WORDS: &[&str] = &["de nghi", "yeu cau", "mong muon"];

/// The requests in a report of a meeting ("… đề nghị Thường trực Tỉnh ủy sớm ban hành …", "…
/// mong muốn tỉnh Lâm Đồng chỉ đạo …", "Hội đồng … các cấp cần tổ chức tốt …"), each sentence
/// with the unit asked, and the sentences that go on with the same request ("Đồng thời, …"):
/// proposed tasks, numbered "ĐN1", "ĐN2", with a low confidence.
pub(crate) fn requests_of(paragraphs: &[String], doc_date: Option<Date>) -> Vec<(Task, String)> {
    let mut out: Vec<(Task, String)> = Vec::new();
    for p in paragraphs {
        let mut current: Option<String> = None;
        for sentence in sentences_with(p, &['.', '!', '?']) {
            let lead = request_target(sentence).or_else(|| needs_unit(sentence));
            let lead = match lead {
                Some(l) => Some(l),
                None if current.is_some() && continues_request(sentence) => current.clone(),
                None => {
                    current = None;
                    continue;
                }
            };
            current = lead.clone();
            let text = sentence.to_string();
            let task = Task {
                ordinal: format!("ĐN{}", out.len() + 1),
                summary: summary_of(&text),
                coordinating: coordinating_of(&text, lead.as_deref()),
                lead,
                deadline: deadline_of(&text, doc_date),
                targets: targets_of(&text),
                confidence: Confidence::Low,
            };
            out.push((task, text));
        }
    }
    out
}

/// "X cần …": the unit asked to do something ("Hội đồng Giáo dục quốc phòng và an ninh các cấp
/// cần tổ chức tốt …", "Lực lượng vũ trang tỉnh cần chủ động …").
fn needs_unit(sentence: &str) -> Option<String> {
    let f = Folded::new(prefix(sentence, 300));
    let p = *f.find_words("can").first()?;
    let exact: String = f.orig_of(p..p + 3).nfc().collect();
    if exact != "cần" {
        return None;
    }
    let subject = f.orig_of(0..p).trim();
    let ok = !subject.is_empty()
        && subject.split_whitespace().count() <= 14
        && subject.starts_with(|c: char| c.is_uppercase())
        && unit_like(subject, false)
        && cut_at_stop(subject) == subject;
    ok.then(|| strip_related(subject))
}

/// The unit after a request word: "đề nghị Thường trực Tỉnh ủy Lâm Đồng sớm …" → "Thường trực
/// Tỉnh ủy Lâm Đồng"; "mong muốn tỉnh Lâm Đồng chỉ đạo" → "tỉnh Lâm Đồng".
fn request_target(sentence: &str) -> Option<String> {
    let f = Folded::new(prefix(sentence, 1200));
    for w in REQUEST_WORDS {
        for p in f.find_words(w).into_iter().take(3) {
            // Written in lower case, as a verb ("các đề nghị" is a noun: no unit follows).
            let rest = f.orig_of(p + w.len()..f.folded.len()).trim_start();
            let c = cut_at_stop(rest);
            let fc = fold_str(c);
            let place = ["tinh ", "huyen ", "xa ", "thanh pho ", "phuong "].iter().any(|l| {
                fc.starts_with(l)
                    && super::prep::skip_words(c, l.split_whitespace().count())
                        .starts_with(|ch: char| ch.is_uppercase())
            });
            if !c.is_empty() && c.split_whitespace().count() <= 14 && (unit_like(c, true) || place) {
                return Some(strip_related(c));
            }
        }
    }
    None
}

/// A sentence that goes on with the request before it: "Đồng thời, tiếp tục …", "Phối hợp chặt
/// chẽ với …", "Bên cạnh đó, …" — no subject of its own, a verb first.
fn continues_request(sentence: &str) -> bool {
    let f = fold_str(prefix(sentence, 80));
    let f = f
        .strip_prefix("dong thoi,")
        .or_else(|| f.strip_prefix("ben canh do,"))
        .or_else(|| f.strip_prefix("ngoai ra,"))
        .map_or(f.as_str(), str::trim_start);
    (STOPS.iter().any(|v| v.len() > 3 && starts_with_words(f, v)) || starts_with_words(f, "som"))
        && !f.starts_with("dong chi")
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
            confidence: Confidence::High,
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
        // A group of units leads too.
        assert_eq!(
            lead_of("Các cơ quan, đơn vị, địa phương tiếp tục quán triệt.").as_deref(),
            Some("Các cơ quan, đơn vị, địa phương")
        );
        assert_eq!(
            lead_of("Một số kiến nghị của cơ quan, đơn vị, giao Cục Dân quân tự vệ tổng hợp báo cáo Bộ Tổng Tham mưu.")
                .as_deref(),
            Some("Cục Dân quân tự vệ")
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
    fn leads_named_in_the_text() {
        assert_eq!(
            lead_of("Phối hợp chặt chẽ với Bộ Quốc phòng xây dựng thể chế; Bộ Lao động, Thương binh và xã hội, Bảo hiểm xã hội Việt Nam và cơ quan liên quan phối hợp sớm ban hành văn bản hướng dẫn về bảo hiểm xã hội, bảo hiểm y tế cho dân quân thường trực.").as_deref(),
            Some("Bộ Lao động, Thương binh và xã hội, Bảo hiểm xã hội Việt Nam")
        );
        // "giáo" of "Ban Tuyên giáo" is no "giao" (assign).
        assert_eq!(
            lead_of("Ban Tuyên giáo Huyện ủy chủ trì, phối hợp với Ban Chỉ huy Quân sự huyện tổ chức quán triệt.")
                .as_deref(),
            Some("Ban Tuyên giáo Huyện ủy")
        );
        // "tổ chức đăng ký", "tổ chức hội thao" are verbs that end the name.
        assert_eq!(
            lead_of("Ban Chỉ huy Quân sự các xã, thị trấn tổ chức đăng ký nghĩa vụ quân sự.").as_deref(),
            Some("Ban Chỉ huy Quân sự các xã, thị trấn")
        );
        assert_eq!(
            lead_of("Các huyện ủy, thị ủy, thành ủy, đảng ủy trực thuộc Tỉnh ủy quán triệt, cụ thể hóa Chỉ thị này.")
                .as_deref(),
            Some("Các huyện ủy, thị ủy, thành ủy, đảng ủy trực thuộc Tỉnh ủy")
        );
        // "Đề nghị X …", "Giao X …" at the start of the item; a verb ends the name.
        assert_eq!(
            lead_of("Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam thành phố phối hợp tuyên truyền.").as_deref(),
            Some("Ủy ban Mặt trận Tổ quốc Việt Nam thành phố")
        );
        assert_eq!(
            lead_of("Giao Sở Tài chính cân đối, bố trí kinh phí.").as_deref(),
            Some("Sở Tài chính")
        );
        // A group that leads ("Các địa phương còn lại").
        assert_eq!(
            lead_of("Hiện nay đã có 58/63 tỉnh ban hành. Các địa phương còn lại tiếp tục xây dựng.").as_deref(),
            Some("Các địa phương còn lại")
        );
    }

    #[test]
    fn requests_of_a_meeting_report() {
        let p = vec![
            "Đồng chí Chính ủy đề nghị tỉnh Lâm Đồng tiếp tục triển khai các đề án. Phối hợp chặt chẽ với Quân khu chỉ đạo Bộ CHQS tỉnh chuẩn bị chương trình. Đồng thời, nghiên cứu bố trí quỹ đất. Đồng chí Bí thư cảm ơn Quân khu.".to_string(),
            "Các đại biểu đáp ứng yêu cầu nhiệm vụ trong tình hình mới.".to_string(),
        ];
        let r = requests_of(&p, None);
        let got: Vec<(&str, Option<&str>, Confidence)> = r
            .iter()
            .map(|(t, _)| (t.ordinal.as_str(), t.lead.as_deref(), t.confidence))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ĐN1", Some("tỉnh Lâm Đồng"), Confidence::Low),
                ("ĐN2", Some("tỉnh Lâm Đồng"), Confidence::Low),
                ("ĐN3", Some("tỉnh Lâm Đồng"), Confidence::Low),
            ]
        );
        assert!(r[1].0.summary.starts_with("Phối hợp chặt chẽ"));
        // "X cần …" asks a unit; "Bên cạnh đó, sớm …" goes on with the request before it.
        let p = vec![
            "Lực lượng vũ trang tỉnh cần chủ động nắm chắc tình hình. Đồng chí đề nghị Ủy ban nhân dân tỉnh đầu tư công trình. Bên cạnh đó, sớm hoàn thành việc cắm mốc.".to_string(),
        ];
        let leads: Vec<Option<String>> = requests_of(&p, None).into_iter().map(|(t, _)| t.lead).collect();
        assert_eq!(
            leads,
            vec![
                Some("Lực lượng vũ trang tỉnh".to_string()),
                Some("Ủy ban nhân dân tỉnh".to_string()),
                Some("Ủy ban nhân dân tỉnh".to_string()),
            ]
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
        // The whole item, never cut; the closing "./." dropped.
        assert_eq!(
            summary_of("Làm tốt việc này. Sau đó làm B./."),
            "Làm tốt việc này. Sau đó làm B"
        );
        let long = "từ ".repeat(100);
        assert_eq!(summary_of(&long), long.trim());
    }
}
