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

/// `c.is_alphabetic()`, answered by code-point ranges for the letters Vietnamese text is written
/// with: ASCII, Latin-1 and Latin Extended-A/B (every code point from U+00C0 to U+024F is a letter
/// but × and ÷), and Latin Extended Additional (U+1E00–U+1EFF, where "ậ", "ữ", "ỹ" are). Anything
/// else asks Unicode's tables. The standard library's own lookup for non-ASCII letters was the
/// single largest cost of reading an import (docs/PERFORMANCE.md); a test checks every code point.
#[inline]
pub fn is_letter(c: char) -> bool {
    match c as u32 {
        0..=0x7f => c.is_ascii_alphabetic(),
        0xc0..=0x24f => c != '\u{d7}' && c != '\u{f7}',
        0x1e00..=0x1eff => true,
        _ => c.is_alphabetic(),
    }
}

/// True when `s` is certainly in NFC without looking anything up: every character is below the
/// combining marks (U+0300) or a precomposed Latin letter of U+1E00–U+1EFF. None of those
/// characters combines with another or is changed by NFC (a test checks each of them), so a text
/// made only of them is in NFC. Vietnamese text typed on a Unicode keyboard is.
///
/// Read as UTF-8 bytes, without decoding the characters: below U+0300 is ASCII or a two-byte
/// character led by C2–CB; U+1E00–U+1EFF is E1 followed by B8–BB.
#[inline]
fn is_plain_nfc(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0..=0x7f => i += 1,
            0xc2..=0xcb => i += 2,
            // `s` is valid UTF-8: a lead byte E1 has two more bytes.
            0xe1 if (0xb8..=0xbb).contains(&b[i + 1]) => i += 3,
            _ => return false,
        }
    }
    true
}

/// Whether `s` is in NFC: [`is_plain_nfc`] first, then Unicode's quick check.
fn is_nfc(s: &str) -> bool {
    is_plain_nfc(s) || unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes
}

/// NFC and one tone-mark style (traditional: "hòa", "khỏe", "thủy").
///
/// Runs on every name and text cell of an import, so the common cases allocate nothing beyond
/// the result: ASCII text is copied as is, text already in NFC is not recomposed, and a word is
/// only taken apart when its last letter could end an open `oa`/`oe`/`uy` syllable
/// ([`syllable_may_move_tone`]). The output equals [`normalize_syllable`] applied to every word of
/// the NFC text (a property test checks it against that plain definition).
pub fn normalize(s: &str) -> String {
    normalize_cow(s).into_owned()
}

/// [`normalize`], borrowing `s` when it already is in that form (the usual case for a cell of a
/// file typed on a Unicode keyboard): nothing is allocated or copied then. A text only gets a new
/// string from the first word that changes.
pub fn normalize_cow(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    if is_nfc(s) {
        return normalize_words(s);
    }
    // Not certainly in NFC (a loose combining mark may be); composing may still change nothing.
    let nfc: String = s.nfc().collect();
    match normalize_words(&nfc) {
        Cow::Borrowed(_) if nfc == s => Cow::Borrowed(s),
        Cow::Borrowed(_) => Cow::Owned(nfc),
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// [`normalize_syllable`] on every word of `nfc` (a text in NFC), borrowed when no word changes.
fn normalize_words(nfc: &str) -> std::borrow::Cow<'_, str> {
    // `out` holds `nfc[..done]` with its changed words, once a word has changed.
    let mut out: Option<String> = None;
    let mut done = 0;
    let word = |start: usize, end: usize, out: &mut Option<String>, done: &mut usize| {
        let w = &nfc[start..end];
        if !syllable_may_move_tone(w) {
            return;
        }
        let changed = normalize_syllable(w);
        if changed != w {
            let o = out.get_or_insert_with(|| String::with_capacity(nfc.len() + 2));
            o.push_str(&nfc[*done..start]);
            o.push_str(&changed);
            *done = end;
        }
    };
    let mut word_start: Option<usize> = None;
    for (i, c) in nfc.char_indices() {
        if is_letter(c) || is_tone(c) {
            word_start.get_or_insert(i);
        } else if let Some(start) = word_start.take() {
            word(start, i, &mut out, &mut done);
        }
    }
    if let Some(start) = word_start {
        word(start, nfc.len(), &mut out, &mut done);
    }
    match out {
        None => std::borrow::Cow::Borrowed(nfc),
        Some(mut o) => {
            o.push_str(&nfc[done..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

/// False when [`normalize_syllable`] certainly returns `word` unchanged: the word (in NFC) has no
/// loose combining mark, and its last letter, tone removed, is not `a`, `e` or `y` (the second
/// letter of every open pair), or the word has no tone at all. Decides without allocating, and
/// looks at the last letter first: most words end in another letter.
fn syllable_may_move_tone(word: &str) -> bool {
    let Some(last) = word.chars().next_back() else {
        return false;
    };
    if ('\u{0300}'..='\u{036f}').contains(&last) {
        return true;
    }
    // The base of the last letter is the last letter of the word's base (composition only joins
    // a letter with the marks after it). Precomposed Latin letters are answered from the letter
    // table; anything else by decomposing it.
    let last_base = if last.is_ascii() {
        Some(last)
    } else {
        match latin_index(last) {
            // The base of a letter with other marks (â, ê) is not a, e or y.
            Some(i) => LATIN[i].base_and_tone.map(|(b, _)| b),
            None => {
                let mut last_base = None;
                unicode_normalization::char::decompose_canonical(last, |d| {
                    if !is_tone(d) {
                        last_base = Some(d);
                    }
                });
                last_base
            }
        }
    };
    if !matches!(last_base, Some('a' | 'e' | 'y' | 'A' | 'E' | 'Y')) {
        return false;
    }
    if word.chars().any(|c| ('\u{0300}'..='\u{036f}').contains(&c)) {
        return true;
    }
    word.chars().any(|c| {
        if c.is_ascii() {
            false
        } else if let Some(i) = latin_index(c) {
            LATIN[i].base_and_tone.is_some_and(|(_, t)| t.is_some())
        } else {
            let mut toned = false;
            unicode_normalization::char::decompose_canonical(c, |d| toned |= is_tone(d));
            toned
        }
    })
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

/// `s` with its white space collapsed to single spaces and trimmed ("  Nguyễn\tVăn  " →
/// "Nguyễn Văn"), borrowed when it already is so (the usual case for a cell of a file).
pub fn squash_spaces(s: &str) -> std::borrow::Cow<'_, str> {
    if is_squashed(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// Whether `s` has no white space but single spaces between other characters. Read as UTF-8
/// bytes: besides ASCII's, white space (Unicode's `White_Space`) is only ever led by C2 (U+0085,
/// U+00A0), E1 9A (U+1680), E2 (U+2000–U+205F) or E3 (U+3000); a text with any of those lead
/// bytes is decided by its characters. A test compares both ways at every code point.
fn is_squashed(s: &str) -> bool {
    let b = s.as_bytes();
    let mut prev_space = true;
    for (i, &x) in b.iter().enumerate() {
        match x {
            b' ' if prev_space => return false,
            b' ' => prev_space = true,
            b'\t'..=b'\r' => return false,
            0xc2 | 0xe2 | 0xe3 => return is_squashed_by_chars(s),
            0xe1 if b.get(i + 1) == Some(&0x9a) => return is_squashed_by_chars(s),
            _ => prev_space = false,
        }
    }
    b.is_empty() || !prev_space
}

/// [`is_squashed`] by decoding every character.
fn is_squashed_by_chars(s: &str) -> bool {
    let mut prev_space = true;
    s.chars().all(|c| {
        let ok = if c.is_whitespace() {
            c == ' ' && !prev_space
        } else {
            true
        };
        prev_space = c.is_whitespace();
        ok
    }) && !s.ends_with(char::is_whitespace)
}

/// Diacritic-free, lower-case, single-spaced form used as a search key.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        let mut out = String::with_capacity(s.len());
        for w in s.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(w.chars().map(|c| c.to_ascii_lowercase()));
        }
        return out;
    }
    let mut out = String::with_capacity(s.len());
    if is_plain_nfc(s) {
        // Letter by letter: each one's decomposition starts with a base letter, so the NFD of
        // the text is the NFD of its letters one after the other, and the folded form of the
        // precomposed Latin letters is read from a table made once by the long way below.
        fold_into(s.chars(), &mut out, |c, out| {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else if let Some(i) = latin_index(c) {
                out.push_str(&LATIN[i].fold);
            } else {
                for d in std::iter::once(c).nfd().filter(|d| !is_accent(*d)) {
                    fold_nfd_letter(d, out);
                }
            }
        });
        return out;
    }
    fold_nfd(s, &mut out);
    out
}

/// [`fold`] by its definition: the NFD of `s` without its accents (U+0300–U+036F), đ as d,
/// lower case, one space between words; appended to `out`.
fn fold_nfd(s: &str, out: &mut String) {
    fold_into(s.nfd(), out, fold_nfd_letter);
}

/// An accent that [`fold`] drops (U+0300–U+036F).
fn is_accent(c: char) -> bool {
    ('\u{0300}'..='\u{036f}').contains(&c)
}

/// One character of an NFD text, accents already dropped, as [`fold`] writes it.
fn fold_nfd_letter(c: char, out: &mut String) {
    match c {
        'đ' | 'Đ' => out.push('d'),
        _ => out.extend(c.to_lowercase()),
    }
}

/// The frame of [`fold`]: drops accents, turns each run of white space between words into one
/// space, and has `letter` write every other character.
fn fold_into(chars: impl Iterator<Item = char>, out: &mut String, mut letter: impl FnMut(char, &mut String)) {
    let mut pending_space = false;
    for c in chars {
        if is_accent(c) {
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
        letter(c, out);
    }
}

/// The index in [`LATIN`] of a precomposed Latin letter of U+00C0–U+024F or U+1E00–U+1EFF.
#[inline]
fn latin_index(c: char) -> Option<usize> {
    match c as u32 {
        0xc0..=0x24f => Some(c as usize - 0xc0),
        0x1e00..=0x1eff => Some(c as usize - 0x1e00 + 0x190),
        _ => None,
    }
}

/// What [`fold`] and [`collation_key`] need of each character of U+00C0–U+024F and
/// U+1E00–U+1EFF (every Vietnamese letter is there), worked out once by the long definitions
/// ([`fold_nfd`], [`base_and_tone_slow`]): reading a table is several times faster than
/// decomposing each letter of every name of an import. A test compares the table with the
/// definitions at every one of these code points.
struct Latin {
    fold: Box<str>,
    base_and_tone: Option<(char, Option<char>)>,
    coll: Coll,
}

static LATIN: LazyLock<Vec<Latin>> = LazyLock::new(|| {
    (0xc0..=0x24f_u32)
        .chain(0x1e00..=0x1eff)
        .filter_map(char::from_u32)
        .map(|c| {
            let mut fold = String::new();
            fold_nfd(&c.to_string(), &mut fold);
            let base_and_tone = base_and_tone_slow(c);
            Latin {
                fold: fold.into(),
                base_and_tone,
                coll: coll_of(base_and_tone),
            }
        })
        .collect()
});

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
    if c.is_ascii() {
        return PRIMARY_ASCII[c as usize];
    }
    primary_slow(c)
}

/// [`primary`] of every ASCII character, worked out once.
static PRIMARY_ASCII: LazyLock<[Option<(u8, u8)>; 128]> =
    LazyLock::new(|| std::array::from_fn(|i| primary_slow(char::from(i as u8))));

fn primary_slow(c: char) -> Option<(u8, u8)> {
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
/// Each letter's weights come from tables ([`coll`]), without allocating.
pub fn collation_key(s: &str) -> String {
    let mut key = String::with_capacity(3 * s.len() + 2);
    push_collation_key(&mut key, s, &mut Keys::default());
    key
}

/// The tone and case digits of a key while its letters are written ([`push_collation_key`]),
/// kept between the parts of a person's key so that they are allocated once.
#[derive(Default)]
struct Keys {
    sec: String,
    ter: String,
}

/// Appends [`collation_key`] of `s` to `key`.
fn push_collation_key(key: &mut String, s: &str, keys: &mut Keys) {
    let nfc = nfc_of(s);
    let Keys { sec, ter } = keys;
    sec.clear();
    ter.clear();
    let start = key.len();
    for ch in nfc.chars() {
        if ch.is_whitespace() {
            if key.len() > start && !key.ends_with(' ') {
                key.push(' ');
            }
            continue;
        }
        match coll(ch) {
            Coll::Letter { prim, sec: w, ter: c } => {
                key.push(prim as char);
                sec.push(w as char);
                ter.push(c as char);
            }
            Coll::Other(b) => {
                // Other scripts: keep their code point order after all Vietnamese letters.
                use std::fmt::Write;
                key.push('~');
                let _ = write!(key, "{:06x}", b as u32);
                sec.push('0');
                ter.push('0');
            }
            Coll::Skip => {}
        }
    }
    let letters = key[start..].trim_end().len();
    key.truncate(start + letters);
    key.push('!');
    key.push_str(sec);
    key.push('!');
    key.push_str(ter);
}

/// What a character adds to a [`collation_key`]: a letter or digit of the Vietnamese alphabet
/// its primary, tone and case weights; a letter of another script its base letter; anything else
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coll {
    Letter { prim: u8, sec: u8, ter: u8 },
    Other(char),
    Skip,
}

/// [`Coll`] of a character split by [`base_and_tone_slow`].
fn coll_of(base_and_tone: Option<(char, Option<char>)>) -> Coll {
    let Some((b, tone)) = base_and_tone else {
        return Coll::Skip;
    };
    if let Some((p, t)) = primary(b) {
        Coll::Letter {
            prim: p,
            sec: tone_weight(tone),
            ter: b'0' + t,
        }
    } else if b.is_alphanumeric() {
        Coll::Other(b)
    } else {
        Coll::Skip
    }
}

/// [`Coll`] of `ch`: ASCII and the precomposed Latin letters from tables worked out once (a
/// letter with a hat or horn otherwise searched the alphabet for its base), anything else by
/// decomposing it.
#[inline]
fn coll(ch: char) -> Coll {
    if ch.is_ascii() {
        return COLL_ASCII[ch as usize];
    }
    if let Some(i) = latin_index(ch) {
        return LATIN[i].coll;
    }
    coll_of(base_and_tone_slow(ch))
}

/// [`Coll`] of every ASCII character.
static COLL_ASCII: LazyLock<[Coll; 128]> =
    LazyLock::new(|| std::array::from_fn(|i| coll_of(Some((char::from(i as u8), None)))));

/// `s` in NFC, borrowed when it already is (the usual case).
fn nfc_of(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() || is_nfc(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// A letter's Vietnamese base letter (its other marks kept: ă, â, ê, ô, ơ, ư) and its tone mark:
/// "ế" → ('ê', sắc). `None` when nothing but tone marks remain. The base is the first character
/// of the NFC form of the letter's decomposition without its tones; it is composed here mark by
/// mark, and only a letter whose marks do not all compose goes the long way. [`LATIN`] holds it
/// for the precomposed Latin letters.
fn base_and_tone_slow(ch: char) -> Option<(char, Option<char>)> {
    let mut parts = ['\0'; 8];
    let mut n = 0;
    let mut overflow = false;
    unicode_normalization::char::decompose_canonical(ch, |d| {
        if n < parts.len() {
            parts[n] = d;
            n += 1;
        } else {
            overflow = true;
        }
    });
    let parts = &parts[..n];
    let tone = parts.iter().copied().find(|c| is_tone(*c));
    if !overflow {
        let mut rest = parts.iter().copied().filter(|c| !is_tone(*c));
        let first = rest.next()?;
        let composed = rest.try_fold(first, unicode_normalization::char::compose);
        if let Some(b) = composed {
            return Some((b, tone));
        }
    }
    let base: String = ch.nfd().filter(|c| !is_tone(*c)).collect::<String>().nfc().collect();
    base.chars().next().map(|b| (b, tone))
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
/// "Văn", "Đức"); a single word is a given name. The middle words are joined by single spaces.
pub fn split_full_name(full: &str) -> (String, String, String) {
    let (family, middle, given) = name_parts(full);
    (
        family.to_string(),
        middle.split_whitespace().collect::<Vec<_>>().join(" "),
        given.to_string(),
    )
}

/// [`split_full_name`]'s parts as slices of `full`, without allocating: the first word, the words
/// between as written (inner white space kept), the last word.
fn name_parts(full: &str) -> (&str, &str, &str) {
    let name = full.trim();
    match (name.find(char::is_whitespace), name.rfind(char::is_whitespace)) {
        (Some(first_end), Some(last_space)) => {
            let last_start = last_space + name[last_space..].chars().next().map_or(1, char::len_utf8);
            (
                &name[..first_end],
                name[first_end..last_start].trim(),
                &name[last_start..],
            )
        }
        _ => ("", "", name),
    }
}

/// The key that sorts people the Vietnamese way: given name, then middle name, then family name.
pub fn person_collation_key(full_name: &str) -> String {
    person_collation_key_normalized(&normalize(full_name))
}

/// [`person_collation_key`] of a name already in its [`normalize`]d form (as every stored name
/// is): the same key, without normalising the name a second time.
pub fn person_collation_key_normalized(name: &str) -> String {
    // The middle part keeps the spaces between its words as written: its key collapses them as
    // it would the joined words.
    let (family, middle, given) = name_parts(name);
    let mut key = String::with_capacity(3 * name.len() + 8);
    let mut keys = Keys::default();
    push_collation_key(&mut key, given, &mut keys);
    key.push('|');
    push_collation_key(&mut key, middle, &mut keys);
    key.push('|');
    push_collation_key(&mut key, family, &mut keys);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_ranges_agree_with_unicode_at_every_code_point() {
        for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
            assert_eq!(is_letter(c), c.is_alphabetic(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_letter_tables_agree_with_the_definitions_at_every_code_point() {
        for c in (0..0x300_u32).chain(0x1e00..=0x1eff).filter_map(char::from_u32) {
            let one = c.to_string();
            assert_eq!(fold(&one), reference::fold(&one), "U+{:04X}", c as u32);
            assert_eq!(
                collation_key(&one),
                reference::collation_key(&one),
                "U+{:04X}",
                c as u32
            );
            if let Some(i) = latin_index(c) {
                assert_eq!(LATIN[i].base_and_tone, base_and_tone_slow(c), "U+{:04X}", c as u32);
            }
            assert_eq!(coll(c), coll_of(base_and_tone_slow(c)), "U+{:04X}", c as u32);
            assert_eq!(primary(c), primary_slow(c), "U+{:04X}", c as u32);
            // After a word, and beside a space of another kind.
            let two = format!("Ab{c}\u{a0}{c}");
            assert_eq!(fold(&two), reference::fold(&two), "U+{:04X}", c as u32);
            // Last letter of an open syllable ("ho" + c) and inside a word.
            for word in [format!("ho{c}"), format!("qu{c}"), format!("u{c}n"), one.clone()] {
                assert_eq!(normalize(&word), reference::normalize(&word), "U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn squashed_text_is_recognised_from_its_bytes_at_every_code_point() {
        for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
            for s in [
                c.to_string(),
                format!("a{c}b"),
                format!("a {c}b"),
                format!("a{c} b"),
                format!("ễ{c}"),
                format!("{c} "),
            ] {
                assert_eq!(is_squashed(&s), is_squashed_by_chars(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn every_character_of_the_plain_nfc_ranges_is_nfc_alone_and_combines_with_nothing() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..0x300_u32).chain(0x1e00..=0x1eff).filter_map(char::from_u32) {
            let one = c.to_string();
            assert!(is_plain_nfc(&one));
            // Quick check "Yes" (not "Maybe") means the character is never the second of a
            // composing pair, and class 0 means no reordering: a run of them is NFC.
            assert_eq!(
                unicode_normalization::is_nfc_quick(one.chars()),
                unicode_normalization::IsNormalized::Yes,
                "U+{:04X}",
                c as u32
            );
            assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", c as u32);
        }
        assert!(!is_plain_nfc("Nguye\u{302}\u{303}n"));
        // The byte reading agrees with the characters' ranges at every code point, alone and
        // between letters.
        for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
            let plain = (c as u32) < 0x300 || (0x1e00..=0x1eff).contains(&(c as u32));
            assert_eq!(is_plain_nfc(&c.to_string()), plain, "U+{:04X}", c as u32);
            assert_eq!(is_plain_nfc(&format!("ễ{c}a")), plain, "U+{:04X}", c as u32);
        }
        assert!(is_nfc("Nguyễn Văn Đức"));
        assert!(!is_nfc("Nguye\u{302}\u{303}n"));
    }

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
        assert_eq!(
            split_full_name("  Nguyễn \t Thị\u{a0} Minh  Khai "),
            ("Nguyễn".into(), "Thị Minh".into(), "Khai".into())
        );
        assert_eq!(split_full_name("Lê  An"), ("Lê".into(), "".into(), "An".into()));
        assert_eq!(split_full_name(" \t"), ("".into(), "".into(), "".into()));
    }

    /// The plain definitions the fast paths must equal (the code before they were written).
    mod reference {
        use super::super::{is_tone, normalize_syllable, primary, tone_weight};
        use unicode_normalization::UnicodeNormalization;

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
                    prim.push('~');
                    prim.push_str(&format!("{:06x}", b as u32));
                    sec.push('0');
                    ter.push('0');
                }
            }
            let prim = prim.trim_end().to_string();
            format!("{prim}!{sec}!{ter}")
        }
    }

    /// Text that exercises the fast paths: Vietnamese letters precomposed and decomposed, loose
    /// tone marks, both tone placements, other scripts, odd white space.
    fn vietnamese_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = prop_oneof![
            Just("Hoà".to_string()),
            Just("Thuỷ".to_string()),
            Just("khoẻ".to_string()),
            Just("Quý".to_string()),
            Just("quỳ".to_string()),
            Just("NGUYỄN".to_string()),
            Just("Đức".to_string()),
            Just("oa".to_string()),
            Just("uy".to_string()),
            Just("\u{0301}".to_string()),
            Just("\u{0323}\u{0302}".to_string()),
            Just("a\u{0306}\u{0301}".to_string()),
            Just(" ".to_string()),
            Just("\t\u{0b}\n".to_string()),
            Just("\u{00a0}".to_string()),
            Just("Å".to_string()),
            Just("한".to_string()),
            Just("ǘ".to_string()),
            "[a-zA-Z0-9 ]{0,6}",
            "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐ]{1,3}",
            any::<char>().prop_map(|c| c.to_string()),
        ];
        proptest::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_equal_the_plain_definitions(s in vietnamese_text()) {
            proptest::prop_assert_eq!(normalize(&s), reference::normalize(&s));
            proptest::prop_assert_eq!(fold(&s), reference::fold(&s));
            proptest::prop_assert_eq!(collation_key(&s), reference::collation_key(&s));
            let nfd: String = s.nfd().collect();
            proptest::prop_assert_eq!(normalize(&nfd), reference::normalize(&nfd));
            proptest::prop_assert_eq!(collation_key(&nfd), reference::collation_key(&nfd));
            proptest::prop_assert_eq!(
                squash_spaces(&s).into_owned(),
                s.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            // A person's key: the given, middle and family names' keys, normalised once.
            let (family, middle, given) = split_full_name(&reference::normalize(&s));
            let plain = format!(
                "{}|{}|{}",
                reference::collation_key(&given),
                reference::collation_key(&middle),
                reference::collation_key(&family)
            );
            proptest::prop_assert_eq!(person_collation_key(&s), plain.clone());
            proptest::prop_assert_eq!(person_collation_key_normalized(&normalize(&s)), plain);
        }

        #[test]
        fn fast_paths_equal_the_plain_definitions_on_any_text(s in ".{0,24}") {
            proptest::prop_assert_eq!(normalize(&s), reference::normalize(&s));
            proptest::prop_assert_eq!(fold(&s), reference::fold(&s));
            proptest::prop_assert_eq!(collation_key(&s), reference::collation_key(&s));
        }

        /// `normalize_cow` borrows exactly when the text is already normal, and gives the same
        /// text as the plain definition either way.
        #[test]
        fn normalize_borrows_exactly_the_normal_texts(s in vietnamese_text()) {
            for s in [s.clone(), reference::normalize(&s)] {
                let cow = normalize_cow(&s);
                let plain = reference::normalize(&s);
                proptest::prop_assert_eq!(cow.as_ref(), plain.as_str());
                proptest::prop_assert_eq!(matches!(cow, std::borrow::Cow::Borrowed(_)), plain == s);
            }
        }
    }
}
