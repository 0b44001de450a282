//! Folded text with a map back to the original: match patterns diacritic- and case-insensitively
//! (so "uỷ"/"ủy", NFC/NFD and upper/lower case all compare equal), then cut the original text.

use std::ops::Range;
use unicode_normalization::UnicodeNormalization;

/// Folds one character to a lower-case base letter without diacritics; đ → d. One char in, one
/// char out, so that offsets map back to the original.
pub(crate) fn fold_char(c: char) -> char {
    match c {
        'đ' | 'Đ' | 'Ð' | 'ð' => 'd',
        _ => {
            let base = c.nfd().next().unwrap_or(c);
            base.to_lowercase().next().unwrap_or(base)
        }
    }
}

/// Folds a string char by char (no white-space collapsing).
pub(crate) fn fold_str(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// `orig` (expected NFC) and its folded image.
pub(crate) struct Folded<'a> {
    pub orig: &'a str,
    pub folded: String,
    /// For each byte offset of `folded` (plus the end), the byte offset of `orig`.
    map: Vec<usize>,
}

impl<'a> Folded<'a> {
    pub fn new(orig: &'a str) -> Folded<'a> {
        let mut folded = String::with_capacity(orig.len());
        let mut map = Vec::with_capacity(orig.len() + 1);
        for (i, c) in orig.char_indices() {
            let f = fold_char(c);
            folded.push(f);
            for _ in 0..f.len_utf8() {
                map.push(i);
            }
        }
        map.push(orig.len());
        Folded { orig, folded, map }
    }

    /// Original byte offset of a folded byte offset.
    pub fn pos(&self, folded_pos: usize) -> usize {
        self.map[folded_pos.min(self.map.len() - 1)]
    }

    /// The original text of a folded range.
    pub fn orig_of(&self, r: Range<usize>) -> &'a str {
        &self.orig[self.pos(r.start)..self.pos(r.end)]
    }

    /// Byte offsets (in folded text) of `needle` (already folded) at word boundaries.
    pub fn find_words(&self, needle: &str) -> Vec<usize> {
        find_words(&self.folded, needle)
    }
}

/// Occurrences of `needle` in `hay` that start and end on word boundaries.
pub(crate) fn find_words(hay: &str, needle: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let s = from + i;
        let e = s + needle.len();
        let before_ok = hay[..s].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after_ok = hay[e..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            out.push(s);
        }
        from = s + hay[s..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// True when `needle` (folded) occurs in `hay` (folded) on word boundaries.
pub(crate) fn contains_words(hay: &str, needle: &str) -> bool {
    !find_words(hay, needle).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_one_to_one_and_maps_back() {
        let s = "Huyện uỷ Kim Động";
        let f = Folded::new(s);
        assert_eq!(f.folded, "huyen uy kim dong");
        let i = f.folded.find("kim").unwrap();
        assert_eq!(f.orig_of(i..f.folded.len()), "Kim Động");
        let nfd: String = s.nfd().collect();
        assert_eq!(fold_str(&nfd.nfc().collect::<String>()), "huyen uy kim dong");
    }

    #[test]
    fn word_boundaries() {
        assert_eq!(find_words("dan quan tu ve", "tu ve"), vec![9]);
        assert!(find_words("tu vet", "tu ve").is_empty());
        assert!(contains_words("a, tu ve.", "tu ve"));
    }
}
