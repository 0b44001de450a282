//! Vietnamese text: Unicode and tone-mark normalisation, diacritic-free folding for search, and
//! collation (sorting the Vietnamese way).
//!
//! * [`normalize`] gives one canonical spelling: NFC, and the tone mark of the open syllables
//!   `oa`, `oe`, `uy` on the first vowel ("Hoà" → "Hòa", "Thuỷ" → "Thủy"), so that both placements
//!   that official texts use compare equal. Names are *stored as published*; use this to match.
//! * [`fold`] strips every diacritic, maps đ → d, lower-cases and collapses white space:
//!   "Nguyễn Văn Đức" → "nguyen van duc". It is the key of diacritic-insensitive search.
//! * [`collation_key`] is an ASCII string whose byte order is Vietnamese alphabetical order
//!   (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y; tones break ties), so that both
//!   SQLite (`BINARY`) and PostgreSQL (`COLLATE "C"`) can `ORDER BY` it and agree with
//!   [`compare`], which uses ICU's Vietnamese collator.

use std::cmp::Ordering;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// Combining tone marks (thanh điệu) in decomposed form: huyền, sắc, ngã, hỏi, nặng.
const TONES: [char; 5] = ['\u{0300}', '\u{0301}', '\u{0303}', '\u{0309}', '\u{0323}'];

fn is_tone(c: char) -> bool {
    TONES.contains(&c)
}

/// NFC and one tone-mark style (traditional: "hòa", "khỏe", "thủy").
pub fn normalize(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    let mut out = String::with_capacity(nfc.len());
    let mut word = String::new();
    for c in nfc.chars() {
        if c.is_alphabetic() || is_tone(c) {
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push_str(&normalize_syllable(&word));
                word.clear();
            }
            out.push(c);
        }
    }
    if !word.is_empty() {
        out.push_str(&normalize_syllable(&word));
    }
    out
}

/// Moves the tone of an open `oa`/`oe`/`uy` ending onto its first vowel ("hoà" → "hòa").
/// `qu` + `y` keeps its tone on `y` ("quý"), because the `u` belongs to the consonant.
fn normalize_syllable(word: &str) -> String {
    let decomposed: Vec<char> = word.nfd().collect();
    let Some(tone) = decomposed.iter().copied().find(|c| is_tone(*c)) else {
        return word.to_string();
    };
    // Base letters with their non-tone marks (ă, â, ê, ô, ơ, ư keep their marks).
    let base: Vec<char> = decomposed
        .iter()
        .copied()
        .filter(|c| !is_tone(*c))
        .collect::<String>()
        .nfc()
        .collect();
    let n = base.len();
    if n < 2 {
        return word.to_string();
    }
    let lower: Vec<char> = base.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
    let (a, b) = (lower[n - 2], lower[n - 1]);
    let open_pair = matches!((a, b), ('o', 'a') | ('o', 'e') | ('u', 'y'));
    let after_q = n >= 3 && lower[n - 3] == 'q' && a == 'u';
    if !open_pair || after_q {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    for (i, c) in base.iter().enumerate() {
        out.push(*c);
        if i == n - 2 {
            out.push(tone);
        }
    }
    out.nfc().collect()
}

/// Diacritic-free, lower-case, single-spaced form used as a search key.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if ('\u{0300}'..='\u{036f}').contains(&c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// True when every word of `query` (folded) is a prefix of some word of `haystack` (folded), in
/// order-insensitive fashion: "dong thanh" finds "Xã Đồng Thanh", "duc" finds "Nguyễn Văn Đức".
pub fn matches_query(haystack_folded: &str, query: &str) -> bool {
    let q = fold(query);
    if q.is_empty() {
        return true;
    }
    if haystack_folded.contains(&q) {
        return true;
    }
    let words: Vec<&str> = haystack_folded.split(' ').collect();
    q.split(' ').all(|qw| words.iter().any(|w| w.starts_with(qw)))
}

/// Primary weight of a base letter (after NFD, tone removed) in the Vietnamese alphabet. Letters
/// outside it (f, j, w, z) take their Latin places.
fn primary(c: char) -> Option<(u8, u8)> {
    // (primary, tertiary: 0 lower / 1 upper)
    let upper = c.is_uppercase();
    let l = c.to_lowercase().next().unwrap_or(c);
    const ORDER: &[char] = &[
        'a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'ô', 'ơ', 'p',
        'q', 'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z',
    ];
    if let Some(i) = ORDER.iter().position(|x| *x == l) {
        return Some((b'A' + 10 + i as u8, upper as u8));
    }
    if l.is_ascii_digit() {
        return Some((b'0' + (l as u8 - b'0'), 0));
    }
    None
}

/// Secondary weight of a tone, in the order of ICU's Vietnamese collation (checked by a test
/// against [`compare`]): none, sắc? — see `TONE_ORDER`.
const TONE_ORDER: [char; 5] = ['\u{0300}', '\u{0309}', '\u{0303}', '\u{0301}', '\u{0323}'];

fn tone_weight(t: Option<char>) -> u8 {
    match t {
        None => b'0',
        Some(t) => b'1' + TONE_ORDER.iter().position(|x| *x == t).unwrap_or(4) as u8,
    }
}

/// A sort key whose byte order is the Vietnamese alphabetical order of `s`.
///
/// Layout: primary letters, `!`, one tone digit per letter, `!`, one case digit per letter.
/// Characters that are neither letters nor digits are ignored, except spaces which sort first.
pub fn collation_key(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    let mut prim = String::new();
    let mut sec = String::new();
    let mut ter = String::new();
    for ch in nfc.chars() {
        if ch.is_whitespace() {
            if !prim.is_empty() && !prim.ends_with(' ') {
                prim.push(' ');
            }
            continue;
        }
        // Split a precomposed letter into the Vietnamese base letter and its tone.
        let d: Vec<char> = ch.nfd().collect();
        let tone = d.iter().copied().find(|c| is_tone(*c));
        let base: String = d
            .iter()
            .copied()
            .filter(|c| !is_tone(*c))
            .collect::<String>()
            .nfc()
            .collect();
        let mut chars = base.chars();
        let Some(b) = chars.next() else { continue };
        if let Some((p, t)) = primary(b) {
            prim.push(p as char);
            sec.push(tone_weight(tone) as char);
            ter.push((b'0' + t) as char);
        } else if b.is_alphanumeric() {
            // Other scripts: keep their code point order after all Vietnamese letters.
            prim.push('~');
            prim.push_str(&format!("{:06x}", b as u32));
            sec.push('0');
            ter.push('0');
        }
    }
    let prim = prim.trim_end().to_string();
    format!("{prim}!{sec}!{ter}")
}

static COLLATOR: LazyLock<icu_collator::CollatorBorrowed<'static>> = LazyLock::new(|| {
    let locale: icu_locale::Locale = "vi".parse().expect("vi locale");
    icu_collator::Collator::try_new(locale.into(), icu_collator::options::CollatorOptions::default())
        .expect("ICU Vietnamese collation data is compiled in")
});

/// Compares two strings in Vietnamese collation (ICU, locale `vi`).
pub fn compare(a: &str, b: &str) -> Ordering {
    COLLATOR.compare(a, b)
}

/// Sorts a slice of items by a string key in Vietnamese collation.
pub fn sort_by_key<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| compare(key(a), key(b)));
}

/// Splits a full Vietnamese name into (family, middle, given): "Nguyễn Văn Đức" → ("Nguyễn",
/// "Văn", "Đức"); a single word is a given name.
pub fn split_full_name(full: &str) -> (String, String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.len() {
        0 => (String::new(), String::new(), String::new()),
        1 => (String::new(), String::new(), words[0].to_string()),
        n => (
            words[0].to_string(),
            words[1..n - 1].join(" "),
            words[n - 1].to_string(),
        ),
    }
}

/// The key that sorts people the Vietnamese way: given name, then middle name, then family name.
pub fn person_collation_key(full_name: &str) -> String {
    let (family, middle, given) = split_full_name(&normalize(full_name));
    format!(
        "{}|{}|{}",
        collation_key(&given),
        collation_key(&middle),
        collation_key(&family)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_tone_placement_and_unicode_form() {
        assert_eq!(normalize("Hoà Bình"), "Hòa Bình");
        assert_eq!(normalize("Khánh Hòa"), "Khánh Hòa");
        assert_eq!(normalize("Thuỷ"), "Thủy");
        assert_eq!(normalize("khoẻ"), "khỏe");
        assert_eq!(normalize("Quý"), "Quý");
        assert_eq!(normalize("Hoàng"), "Hoàng");
        assert_eq!(normalize("Thuyết"), "Thuyết");
        // Decomposed input (NFD) becomes precomposed.
        let nfd: String = "Nguyễn".nfd().collect();
        assert_ne!(nfd, "Nguyễn");
        assert_eq!(normalize(&nfd), "Nguyễn");
        assert_eq!(normalize("HOÀ"), "HÒA");
    }

    #[test]
    fn folds_for_search() {
        assert_eq!(fold("Nguyễn Văn  Đức"), "nguyen van duc");
        assert_eq!(fold(" Xã Đồng Thanh "), "xa dong thanh");
        assert!(matches_query(&fold("Xã Đồng Thanh"), "dong thanh"));
        assert!(matches_query(&fold("Nguyễn Văn Đức"), "duc"));
        assert!(matches_query(&fold("Nguyễn Văn Đức"), "nguyen duc"));
        assert!(!matches_query(&fold("Nguyễn Văn Đức"), "dung"));
    }

    #[test]
    fn collation_key_orders_vietnamese_letters() {
        let mut names = vec!["Đức", "Dũng", "Ánh", "An", "Ư", "Uyên", "Bình", "Ân", "Ăn", "Z"];
        names.sort_by_key(|n| collation_key(n));
        assert_eq!(
            names,
            vec!["An", "Ánh", "Ăn", "Ân", "Bình", "Dũng", "Đức", "Uyên", "Ư", "Z"]
        );
    }

    #[test]
    fn collation_key_agrees_with_icu() {
        let words = [
            "a", "à", "ả", "ã", "á", "ạ", "ă", "ằ", "ắ", "â", "ấ", "b", "d", "đ", "e", "ê", "ệ", "o", "ơ", "ô", "ồ",
            "ợ", "u", "ư", "ừ", "y", "ý", "An", "Anh", "Ánh", "Bình", "Đào", "Dương", "Nguyễn", "Nguyên", "Ngô",
            "Ngọc", "Hòa", "Hoà", "Hoàng", "Thủy", "Thùy", "Thúy",
        ];
        for a in words {
            for b in words {
                let icu = compare(a, b);
                let ours = collation_key(a).cmp(&collation_key(b));
                if icu != Ordering::Equal && ours != Ordering::Equal {
                    assert_eq!(ours, icu, "{a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn people_sort_by_given_then_middle_then_family() {
        let mut people = vec!["Trần Văn Bình", "Nguyễn Văn An", "Lê Thị An", "Đỗ Văn Đức", "Phạm Dũng"];
        people.sort_by_key(|p| person_collation_key(p));
        assert_eq!(
            people,
            vec!["Lê Thị An", "Nguyễn Văn An", "Trần Văn Bình", "Phạm Dũng", "Đỗ Văn Đức"]
        );
    }

    #[test]
    fn splits_names() {
        assert_eq!(
            split_full_name("Nguyễn Thị Minh Khai"),
            ("Nguyễn".into(), "Thị Minh".into(), "Khai".into())
        );
        assert_eq!(split_full_name("Khai"), ("".into(), "".into(), "Khai".into()));
    }
}
