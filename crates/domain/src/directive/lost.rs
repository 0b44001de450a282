//! Text that lost the letters of one code page: an old DOCX whose runs in one font came out
//! without every "à", "ã", "ò", "ì", "è", "ù", "ỳ", "õ" ("ngày" reads "ngy", "phòng" reads
//! "phng", "xã" reads "x"). Only the words whose repair is certain are repaired; the reader says
//! in its warnings that the rest of the text may still miss letters.

use regex::Regex;
use std::sync::LazyLock;

/// Broken words that are no Vietnamese word, each with the only word it can come from.
const CERTAIN: &[(&str, &str)] = &[
    ("ngy", "ngày"),
    ("Ngy", "Ngày"),
    ("NGY", "NGÀY"),
    ("phng", "phòng"),
    ("Phng", "Phòng"),
    ("PHNG", "PHÒNG"),
    ("hon", "hoàn"),
    ("ton", "toàn"),
    ("TON", "TOÀN"),
    ("v", "và"),
    ("x", "xã"),
    ("X", "XÃ"),
    ("đ", "đã"),
    ("trnh", "trình"),
    ("Trnh", "Trình"),
    ("thnh", "thành"),
    ("Thnh", "Thành"),
    ("THNH", "THÀNH"),
];

static WORD_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("word regex"));

/// Letters whose loss is being repaired.
const LOST: &[char] = &[
    'à', 'ã', 'ò', 'ì', 'è', 'ù', 'ỳ', 'õ', 'À', 'Ã', 'Ò', 'Ì', 'È', 'Ù', 'Ỳ', 'Õ',
];

/// Whether the text lost those letters: none of them is left, a word that can only be a broken
/// one occurs ("ngy", "phng"), and broken words occur three times or more in all.
pub(crate) fn detect(text: &str) -> bool {
    if text.chars().any(|c| LOST.contains(&c)) {
        return false;
    }
    let (mut sure, mut all) = (0, 0);
    for m in WORD_RE.find_iter(text) {
        let w = m.as_str();
        if matches!(w, "ngy" | "Ngy" | "NGY" | "phng" | "Phng" | "PHNG" | "trnh") {
            sure += 1;
        }
        if CERTAIN.iter().any(|(b, _)| *b == w) {
            all += 1;
        }
        if sure >= 1 && all >= 3 {
            return true;
        }
    }
    false
}

/// Repairs the certain words of a text that lost those letters; `None` when it did not.
pub(crate) fn repair(text: &str) -> Option<String> {
    if !detect(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut last = 0;
    for m in WORD_RE.find_iter(text) {
        let w = m.as_str();
        if let Some((_, fixed)) = CERTAIN.iter().find(|(b, _)| *b == w) {
            // "V/v", "x 2": a single letter next to a slash or a digit is no broken word.
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            let single = w.chars().count() == 1;
            let glued = |c: Option<char>| c.is_some_and(|c| c == '/' || c == '.' || c == '-' || c.is_ascii_digit());
            if single && (glued(before) || glued(after)) {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            out.push_str(fixed);
            last = m.end();
        } else if w == "r" && text[m.end()..].starts_with(" soát") {
            // "rà soát": the only word before "soát".
            out.push_str(&text[last..m.start()]);
            out.push_str("rà");
            last = m.end();
        }
    }
    out.push_str(&text[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_only_certain_words() {
        let t = "UBND X THẠCH LƯU\nThạch Lưu, ngy 12 tháng 3 năm 2024\nKiện ton lực lượng v phng chống; V/v sơ tuyển, ngy 5.";
        let r = repair(t).unwrap();
        assert!(r.contains("UBND XÃ THẠCH LƯU"), "{r}");
        assert!(r.contains("ngày 12 tháng 3"));
        assert!(r.contains("Kiện toàn lực lượng và phòng chống"));
        assert!(r.contains("V/v sơ tuyển"));
        assert!(repair("ngy 5, v x, hon thnh").unwrap().contains("hoàn thành"));
        // Text that has the letters is left alone.
        assert_eq!(repair("Hà Nội, ngày 5, v v v ngy ngy ngy"), None);
        assert_eq!(repair("ngy 5"), None);
        // Single letters alone do not make a lost text.
        assert_eq!(repair("điểm x, điểm v và đ"), None);
    }
}
