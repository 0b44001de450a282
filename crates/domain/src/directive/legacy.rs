//! Vietnamese text typed in the legacy 8-bit encodings, before Unicode became the State standard
//! (TCVN 6909:2001):
//!
//! - **TCVN3** (TCVN 5712:1993, table VN3, the "ABC" keyboard driver and the `.VnTime`,
//!   `.VnArial`, … fonts): one byte per letter; the lower-case letters with diacritics and the seven
//!   capitals Ă Â Ê Ô Ơ Ư Đ sit in 0xA1–0xFE. Capitals with a tone mark have no code: they were typed
//!   with the same codes as the lower-case letters in a capitals-only font (`.VnTimeH`), so plain text
//!   loses their case (a DOCX keeps the font name, see [`convert_font_text`]).
//! - **VNI** (VNI-Windows, the `VNI-Times`, `VNI-Helve`, … fonts): an ASCII base letter followed by
//!   one byte for its diacritics ("Vieät Nam" = "Việt Nam"), plus single bytes for đ, ơ, ư and the
//!   letter i with a tone mark.
//!
//! Such files reach the reader in two shapes: as bytes that are not UTF-8 (decode them with
//! [`decode_windows_1252`] first), and as "mojibake" Unicode text where each byte became the
//! Windows-1252 / Latin-1 character of the same code ("ViÖt Nam", "Céng hßa" for TCVN3;
//! "Coäng hoøa" for VNI) — what a converter, a copy-paste or a DOCX run in a legacy font gives.
//!
//! Detection ([`detect`], [`to_unicode`]) compares, word by word, how many words are valid
//! Vietnamese syllables before and after conversion; it fires only when conversion turns many
//! invalid words into valid ones and spoils almost none, so Unicode Vietnamese and English text are
//! left alone.
//!
//! The two code charts below were written by hand from the published tables (TCVN 5712:1993 VN3;
//! the VNI-Windows font chart of VNI Software) and checked against well-known samples
//! ("ViÖt Nam", "Hµ Néi", "§¶ng", "Vieät Nam", "Haø Noäi", "nghóa").

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// A legacy Vietnamese encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyEncoding {
    /// TCVN 5712:1993 VN3 (ABC, `.VnTime` fonts).
    Tcvn3,
    /// VNI-Windows (`VNI-Times` fonts).
    Vni,
    /// Windows-1258, the Vietnamese Windows code page (letters with a shape mark precomposed,
    /// tone marks as combining characters). Only met as bytes: see [`decode_bytes`].
    Windows1258,
}

impl LegacyEncoding {
    /// The encodings that turn into mojibake when read as Windows-1252 (and that [`detect`] tells).
    pub const ALL: [LegacyEncoding; 2] = [LegacyEncoding::Tcvn3, LegacyEncoding::Vni];

    pub fn label_vi(self) -> &'static str {
        match self {
            LegacyEncoding::Tcvn3 => "bảng mã TCVN3 (ABC, phông .VnTime)",
            LegacyEncoding::Vni => "bảng mã VNI (phông VNI-Times)",
            LegacyEncoding::Windows1258 => "bảng mã Windows-1258",
        }
    }
}

/// TCVN 5712:1993 VN3, codes 0xA1–0xFE. Codes not listed (0xAF–0xB4, 0xBA, 0xBF–0xC5, 0xCD,
/// 0xD9–0xDB, 0xE0, 0xF0, 0xFF) have no letter in VN3 (they hold capitals in table VN1) and are
/// left as they are. 0x00–0x7F is ASCII.
const TCVN3: &[(u8, char)] = &[
    (0xA1, 'Ă'),
    (0xA2, 'Â'),
    (0xA3, 'Ê'),
    (0xA4, 'Ô'),
    (0xA5, 'Ơ'),
    (0xA6, 'Ư'),
    (0xA7, 'Đ'),
    (0xA8, 'ă'),
    (0xA9, 'â'),
    (0xAA, 'ê'),
    (0xAB, 'ô'),
    (0xAC, 'ơ'),
    (0xAD, 'ư'),
    (0xAE, 'đ'),
    // a: huyền, hỏi, ngã, sắc, nặng
    (0xB5, 'à'),
    (0xB6, 'ả'),
    (0xB7, 'ã'),
    (0xB8, 'á'),
    (0xB9, 'ạ'),
    // ă
    (0xBB, 'ằ'),
    (0xBC, 'ẳ'),
    (0xBD, 'ẵ'),
    (0xBE, 'ắ'),
    (0xC6, 'ặ'),
    // â
    (0xC7, 'ầ'),
    (0xC8, 'ẩ'),
    (0xC9, 'ẫ'),
    (0xCA, 'ấ'),
    (0xCB, 'ậ'),
    // e
    (0xCC, 'è'),
    (0xCE, 'ẻ'),
    (0xCF, 'ẽ'),
    (0xD0, 'é'),
    (0xD1, 'ẹ'),
    // ê
    (0xD2, 'ề'),
    (0xD3, 'ể'),
    (0xD4, 'ễ'),
    (0xD5, 'ế'),
    (0xD6, 'ệ'),
    // i
    (0xD7, 'ì'),
    (0xD8, 'ỉ'),
    (0xDC, 'ĩ'),
    (0xDD, 'í'),
    (0xDE, 'ị'),
    // o
    (0xDF, 'ò'),
    (0xE1, 'ỏ'),
    (0xE2, 'õ'),
    (0xE3, 'ó'),
    (0xE4, 'ọ'),
    // ô
    (0xE5, 'ồ'),
    (0xE6, 'ổ'),
    (0xE7, 'ỗ'),
    (0xE8, 'ố'),
    (0xE9, 'ộ'),
    // ơ
    (0xEA, 'ờ'),
    (0xEB, 'ở'),
    (0xEC, 'ỡ'),
    (0xED, 'ớ'),
    (0xEE, 'ợ'),
    // u
    (0xEF, 'ù'),
    (0xF1, 'ủ'),
    (0xF2, 'ũ'),
    (0xF3, 'ú'),
    (0xF4, 'ụ'),
    // ư
    (0xF5, 'ừ'),
    (0xF6, 'ử'),
    (0xF7, 'ữ'),
    (0xF8, 'ứ'),
    (0xF9, 'ự'),
    // y
    (0xFA, 'ỳ'),
    (0xFB, 'ỷ'),
    (0xFC, 'ỹ'),
    (0xFD, 'ý'),
    (0xFE, 'ỵ'),
];

/// Windows-1252 characters of bytes 0x80–0x9F (`None`: undefined, kept as the C1 control).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// Decodes bytes as Windows-1252 (bytes 0xA0–0xFF are the Latin-1 characters of the same code),
/// the way a legacy-encoded file looks when read as a Western code page.
pub fn decode_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)].unwrap_or(char::from(b)),
            _ => char::from(b),
        })
        .collect()
}

/// Decodes Windows-1258 bytes (NFC): Windows-1252 except for the Vietnamese letters and the
/// combining tone marks.
pub fn decode_windows_1258(bytes: &[u8]) -> String {
    let s: String = bytes
        .iter()
        .map(|&b| match b {
            0x8A | 0x8E | 0x9A | 0x9E => char::from(b),
            0xC3 => 'Ă',
            0xCC => GRAVE,
            0xD0 => 'Đ',
            0xD2 => HOOK,
            0xD5 => 'Ơ',
            0xDD => 'Ư',
            0xDE => TILDE,
            0xE3 => 'ă',
            0xEC => ACUTE,
            0xF0 => 'đ',
            0xF2 => DOT,
            0xF5 => 'ơ',
            0xFD => 'ư',
            0xFE => '₫',
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)].unwrap_or(char::from(b)),
            _ => char::from(b),
        })
        .collect();
    s.nfc().collect()
}

/// Text of a file that is not UTF-8, when it is Vietnamese in a legacy encoding: TCVN3 or VNI
/// (detected on the bytes read as Windows-1252) or Windows-1258; the reading with the most
/// Vietnamese syllables wins. `None` when no reading is convincing.
pub fn decode_bytes(bytes: &[u8]) -> Option<(LegacyEncoding, String)> {
    let mut best: Option<(LegacyEncoding, String, usize)> = None;
    if let Some((e, text)) = to_unicode_detected(&decode_windows_1252(bytes)) {
        let valid = words(&text).filter(|w| is_syllable(w)).count();
        best = Some((e, text, valid));
    }
    let w = decode_windows_1258(bytes);
    let (total, valid) = words(&w).fold((0, 0), |(t, v), x| (t + 1, v + usize::from(is_syllable(x))));
    if valid >= 3 && valid * 10 >= total * 8 && best.as_ref().is_none_or(|b| valid > b.2) {
        best = Some((LegacyEncoding::Windows1258, w, valid));
    }
    best.map(|(e, t, _)| (e, t))
}

/// TCVN3 decoding of a Latin-1 character (indexed by its code point 0–255).
static TCVN3_DECODE: LazyLock<[char; 256]> = LazyLock::new(|| {
    let mut t = [' '; 256];
    for (i, c) in t.iter_mut().enumerate() {
        *c = char::from(u8::try_from(i).expect("0..256"));
    }
    for &(b, c) in TCVN3 {
        t[usize::from(b)] = c;
    }
    t
});

fn tcvn3_char(c: char) -> char {
    match u8::try_from(u32::from(c)) {
        Ok(b) if b >= 0xA0 => TCVN3_DECODE[usize::from(b)],
        _ => c,
    }
}

const GRAVE: char = '\u{300}';
const ACUTE: char = '\u{301}';
const CIRCUMFLEX: char = '\u{302}';
const TILDE: char = '\u{303}';
const BREVE: char = '\u{306}';
const HOOK: char = '\u{309}';
const HORN: char = '\u{31b}';
const DOT: char = '\u{323}';

/// A VNI diacritic byte (as its Latin-1 character; lower- and upper-case forms are the same
/// diacritic): the vowel modifier and the tone mark it adds to the letter before it.
fn vni_mark(c: char) -> Option<(Option<char>, Option<char>)> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    Some(match lower {
        'ù' => (None, Some(ACUTE)),
        'ø' => (None, Some(GRAVE)),
        'û' => (None, Some(HOOK)),
        'õ' => (None, Some(TILDE)),
        'ï' => (None, Some(DOT)),
        'â' => (Some(CIRCUMFLEX), None),
        'á' => (Some(CIRCUMFLEX), Some(ACUTE)),
        'à' => (Some(CIRCUMFLEX), Some(GRAVE)),
        'å' => (Some(CIRCUMFLEX), Some(HOOK)),
        'ã' => (Some(CIRCUMFLEX), Some(TILDE)),
        'ä' => (Some(CIRCUMFLEX), Some(DOT)),
        'ê' => (Some(BREVE), None),
        'é' => (Some(BREVE), Some(ACUTE)),
        'è' => (Some(BREVE), Some(GRAVE)),
        'ú' => (Some(BREVE), Some(HOOK)),
        'ü' => (Some(BREVE), Some(TILDE)),
        'ë' => (Some(BREVE), Some(DOT)),
        // The dot below of y.
        'î' => (None, Some(DOT)),
        _ => return None,
    })
}

/// VNI single-byte letters.
fn vni_letter(c: char) -> Option<char> {
    Some(match c {
        'ñ' => 'đ',
        'Ñ' => 'Đ',
        'ô' => 'ơ',
        'Ô' => 'Ơ',
        'ö' => 'ư',
        'Ö' => 'Ư',
        'æ' => 'ỉ',
        'Æ' => 'Ỉ',
        'ó' => 'ĩ',
        'Ó' => 'Ĩ',
        'ò' => 'ị',
        'Ò' => 'Ị',
        // ì, í (and Ì, Í) are the same characters in VNI and Unicode.
        _ => return None,
    })
}

/// Converts VNI mojibake to Unicode (NFC).
fn vni_to_unicode(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // The base letter: an ASCII vowel, or ơ/ư written as ô/ö.
        let (base, modifier_of_base) = match c {
            'a' | 'e' | 'o' | 'u' | 'y' | 'A' | 'E' | 'O' | 'U' | 'Y' => (Some(c), None),
            'ô' => (Some('o'), Some(HORN)),
            'Ô' => (Some('O'), Some(HORN)),
            'ö' => (Some('u'), Some(HORN)),
            'Ö' => (Some('U'), Some(HORN)),
            _ => (None, None),
        };
        if let Some(base) = base {
            let next = chars.get(i + 1).copied();
            if let Some((modifier, tone)) = next.and_then(vni_mark) {
                let folded = base.to_ascii_lowercase();
                let lower_next = next.map(|n| n.to_lowercase().next().unwrap_or(n));
                let modifier_ok = match modifier {
                    None => true,
                    Some(CIRCUMFLEX) => modifier_of_base.is_none() && "aeo".contains(folded),
                    Some(_) => modifier_of_base.is_none() && folded == 'a',
                };
                // î marks y only; ï marks every other vowel.
                let tone_ok = match lower_next {
                    Some('î') => folded == 'y' && modifier_of_base.is_none(),
                    Some('ï') => folded != 'y',
                    _ => true,
                };
                if modifier_ok && tone_ok {
                    out.push(base);
                    out.extend(modifier_of_base);
                    out.extend(modifier);
                    out.extend(tone);
                    i += 2;
                    continue;
                }
            }
        }
        out.push(vni_letter(c).unwrap_or(c));
        i += 1;
    }
    out.nfc().collect()
}

/// Converts text from a legacy encoding (given as its Windows-1252 mojibake) to Unicode NFC,
/// unconditionally. Characters outside the encoding's codes are kept.
pub fn convert(s: &str, encoding: LegacyEncoding) -> String {
    match encoding {
        LegacyEncoding::Tcvn3 => s.chars().map(tcvn3_char).collect::<String>().nfc().collect(),
        LegacyEncoding::Vni => vni_to_unicode(s),
        // Windows-1258 text read as Unicode is already Unicode (its marks are combining).
        LegacyEncoding::Windows1258 => s.nfc().collect(),
    }
}

/// The legacy encoding of a font, from its name: TCVN3 for the `.Vn…` fonts, VNI for `VNI-…`;
/// the flag is true for the capitals-only TCVN3 fonts (`.VnTimeH`, `.VnArialH`, …).
pub fn font_encoding(font: &str) -> Option<(LegacyEncoding, bool)> {
    let f = font.trim();
    if f.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(".vn")) {
        Some((LegacyEncoding::Tcvn3, f.trim_end_matches(" Bold").ends_with('H')))
    } else if f.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("vni-")) {
        Some((LegacyEncoding::Vni, false))
    } else {
        None
    }
}

/// Converts the text of a DOCX run from its font ([`font_encoding`]); text in a capitals-only
/// font becomes capitals. `None` for other fonts.
pub fn convert_font_text(s: &str, font: &str) -> Option<String> {
    let (encoding, capitals) = font_encoding(font)?;
    let converted = convert(s, encoding);
    Some(if capitals { converted.to_uppercase() } else { converted })
}

/// Encodes Unicode text into a legacy encoding, as its Windows-1252 mojibake (the inverse of
/// [`convert`], for tests and tools). `None` when a character has no code (TCVN3 has no capitals
/// with tone marks).
pub fn encode(s: &str, encoding: LegacyEncoding) -> Option<String> {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.nfc() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        match encoding {
            LegacyEncoding::Tcvn3 => {
                let &(b, _) = TCVN3.iter().find(|(_, u)| *u == c)?;
                out.push(char::from(b));
            }
            LegacyEncoding::Vni => out.push_str(&vni_encode_char(c)?),
            LegacyEncoding::Windows1258 => out.push(c),
        }
    }
    Some(out)
}

fn vni_encode_char(c: char) -> Option<String> {
    if let Some(single) = [
        ('đ', 'ñ'),
        ('Đ', 'Ñ'),
        ('ỉ', 'æ'),
        ('Ỉ', 'Æ'),
        ('ĩ', 'ó'),
        ('Ĩ', 'Ó'),
        ('ị', 'ò'),
        ('Ị', 'Ò'),
        ('ì', 'ì'),
        ('Ì', 'Ì'),
        ('í', 'í'),
        ('Í', 'Í'),
    ]
    .iter()
    .find(|(u, _)| *u == c)
    {
        return Some(single.1.to_string());
    }
    let mut parts = c.to_string().nfd().collect::<Vec<char>>().into_iter();
    let base = parts.next()?;
    if !"aeouyAEOUY".contains(base) {
        return None;
    }
    let upper = base.is_uppercase();
    let (mut modifier, mut tone) = (None, None);
    for m in parts {
        match m {
            CIRCUMFLEX | BREVE | HORN => modifier = Some(m),
            GRAVE | ACUTE | TILDE | HOOK | DOT => tone = Some(m),
            _ => return None,
        }
    }
    // Only Vietnamese letters have a VNI code: circumflex on a, e, o; breve on a ("Û" has none).
    let fb = base.to_ascii_lowercase();
    match modifier {
        Some(CIRCUMFLEX) if !"aeo".contains(fb) => return None,
        Some(BREVE) if fb != 'a' => return None,
        Some(HORN) if !"ou".contains(fb) => return None,
        _ => {}
    }
    let mut out = String::new();
    let lower_mark = match (modifier, tone) {
        (Some(HORN), t) => {
            out.push(match base {
                'o' => 'ô',
                'O' => 'Ô',
                'u' => 'ö',
                'U' => 'Ö',
                _ => return None,
            });
            match t {
                None => return Some(out),
                Some(ACUTE) => 'ù',
                Some(GRAVE) => 'ø',
                Some(HOOK) => 'û',
                Some(TILDE) => 'õ',
                _ => 'ï',
            }
        }
        (m, t) => {
            out.push(base);
            match (m, t) {
                (None, None) => return Some(out),
                (None, Some(DOT)) if base.eq_ignore_ascii_case(&'y') => 'î',
                (None, Some(ACUTE)) => 'ù',
                (None, Some(GRAVE)) => 'ø',
                (None, Some(HOOK)) => 'û',
                (None, Some(TILDE)) => 'õ',
                (None, Some(_)) => 'ï',
                (Some(CIRCUMFLEX), None) => 'â',
                (Some(CIRCUMFLEX), Some(ACUTE)) => 'á',
                (Some(CIRCUMFLEX), Some(GRAVE)) => 'à',
                (Some(CIRCUMFLEX), Some(HOOK)) => 'å',
                (Some(CIRCUMFLEX), Some(TILDE)) => 'ã',
                (Some(CIRCUMFLEX), Some(_)) => 'ä',
                (Some(_), None) => 'ê',
                (Some(_), Some(ACUTE)) => 'é',
                (Some(_), Some(GRAVE)) => 'è',
                (Some(_), Some(HOOK)) => 'ú',
                (Some(_), Some(TILDE)) => 'ü',
                (Some(_), Some(_)) => 'ë',
            }
        }
    };
    out.push(if upper {
        lower_mark.to_uppercase().next().unwrap_or(lower_mark)
    } else {
        lower_mark
    });
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Detection: is a word a Vietnamese syllable?

const INITIALS: &[&str] = &[
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g", "h", "k", "l", "m",
    "n", "p", "r", "s", "t", "v", "x", "",
];

const FINALS: &[&str] = &["", "c", "ch", "m", "n", "ng", "nh", "p", "t"];

/// Vowel groups of Vietnamese syllables (tone marks removed).
const VOWEL_GROUPS: &[&str] = &[
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia",
    "iê", "iu", "oa", "oă", "oe", "oi", "ôi", "ơi", "oo", "ôô", "ua", "uâ", "uê", "ui", "uô", "uơ", "ươ", "ưa", "ưi",
    "ưu", "uy", "ya", "yê", "iêu", "oai", "oay", "oao", "oeo", "uây", "uôi", "ươi", "ươu", "uya", "uyê", "uyu", "yêu",
    "uơi",
];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y')
}

/// True when `word` (any case, NFC or NFD) is a well-formed Vietnamese syllable: an initial
/// consonant, a vowel group, a final consonant, and at most one tone mark.
pub(crate) fn is_syllable(word: &str) -> bool {
    let mut tones = 0;
    let mut base = String::with_capacity(word.len());
    for c in word.nfd() {
        match c {
            GRAVE | ACUTE | TILDE | HOOK | DOT => tones += 1,
            _ => base.push(c),
        }
    }
    if tones > 1 || base.is_empty() {
        return false;
    }
    let base: String = base.nfc().flat_map(char::to_lowercase).collect();
    if !base.chars().all(|c| c.is_ascii_lowercase() || is_vowel(c) || c == 'đ') {
        return false;
    }
    INITIALS.iter().any(|ini| {
        let Some(rest) = base.strip_prefix(ini) else {
            return false;
        };
        let v_end = rest.find(|c: char| !is_vowel(c)).unwrap_or(rest.len());
        let (vowels, fin) = rest.split_at(v_end);
        // "gì", "quý": the vowel of the initial stands alone.
        let vowels_ok =
            VOWEL_GROUPS.contains(&vowels) || (vowels.is_empty() && (*ini == "gi") && FINALS.contains(&fin));
        vowels_ok && FINALS.contains(&fin)
    })
}

/// Characters that separate words for detection.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || (c.is_ascii() && !c.is_ascii_alphanumeric()) || ('\u{2000}'..='\u{206f}').contains(&c)
}

/// Words that can tell encodings apart: with a non-ASCII character and no digit.
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_separator)
        .filter(|w| !w.is_ascii() && !w.chars().any(|c| c.is_ascii_digit()))
}

/// How many candidate words of `s` are syllables before and after conversion.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    words: usize,
    valid_before: usize,
    gained: usize,
    lost: usize,
}

fn tally(s: &str, encoding: LegacyEncoding) -> Tally {
    let mut t = Tally::default();
    for w in words(s) {
        t.words += 1;
        let before = is_syllable(w);
        let after = is_syllable(&convert(w, encoding));
        t.valid_before += usize::from(before);
        t.gained += usize::from(!before && after);
        t.lost += usize::from(before && !after);
    }
    t
}

/// Whether a tally shows text in that encoding: conversion repairs at least 3 words and most of
/// the invalid ones, and spoils few valid ones.
fn confident(t: &Tally) -> bool {
    let invalid = t.words - t.valid_before;
    t.gained >= 3 && t.gained * 10 >= invalid * 6 && t.lost * 10 <= t.gained
}

/// The legacy encoding `s` is written in (as mojibake), when the evidence is clear.
pub fn detect(s: &str) -> Option<LegacyEncoding> {
    // Mojibake of both encodings always holds Latin-1 letters or signs that Vietnamese does not
    // use ("ViÖt", "Hµ", "Haø"); Unicode Vietnamese uses only "à á â ã è é ê ì í ò ó ô õ ù ú ý".
    const VIETNAMESE_LATIN1: &str = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ\u{a0}";
    if !s
        .chars()
        .any(|c| ('\u{a0}'..='\u{ff}').contains(&c) && !VIETNAMESE_LATIN1.contains(c))
    {
        return None;
    }
    LegacyEncoding::ALL
        .into_iter()
        .map(|e| (e, tally(s, e)))
        .filter(|(_, t)| confident(t))
        .max_by_key(|(_, t)| t.gained - t.lost)
        .map(|(e, _)| e)
}

/// When `s` is (partly) legacy-encoded mojibake, its Unicode NFC text; `None` when detection is
/// not confident. Lines are converted when conversion makes them better Vietnamese, so the
/// Unicode lines of a mixed document (a header retyped in Unicode) are kept; when nearly every
/// line that conversion changes gets better, the document is taken as wholly legacy and every line
/// not made worse is converted.
pub fn to_unicode(s: &str) -> Option<String> {
    to_unicode_detected(s).map(|(_, u)| u)
}

/// [`to_unicode`] with the encoding that was detected.
pub fn to_unicode_detected(s: &str) -> Option<(LegacyEncoding, String)> {
    let encoding = detect(s)?;
    let lines: Vec<(&str, Tally)> = s.split_inclusive('\n').map(|l| (l, tally(l, encoding))).collect();
    let better = lines.iter().filter(|(_, t)| t.gained > t.lost).count();
    let worse = lines.iter().filter(|(_, t)| t.lost > t.gained).count();
    let whole = worse * 20 <= better;
    let mut out = String::with_capacity(s.len());
    for (l, t) in lines {
        let convert_line = if whole { t.lost <= t.gained } else { t.gained > t.lost };
        if convert_line {
            out.push_str(&convert(l, encoding));
        } else {
            out.extend(l.nfc());
        }
    }
    Some((encoding, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tcvn3_well_known_samples() {
        let t = |s: &str| convert(s, LegacyEncoding::Tcvn3);
        assert_eq!(t("ViÖt Nam"), "Việt Nam");
        assert_eq!(t("Hµ Néi"), "Hà Nội");
        assert_eq!(t("§¶ng"), "Đảng");
        assert_eq!(
            t("Céng hoµ x· héi chñ nghÜa ViÖt Nam"),
            "Cộng hoà xã hội chủ nghĩa Việt Nam"
        );
        assert_eq!(t("§éc lËp - Tù do - H¹nh phóc"), "Độc lập - Tự do - Hạnh phúc");
        assert_eq!(t("Ban Th\u{ad}êng vô HuyÖn ñy"), "Ban Thường vụ Huyện ủy");
        assert_eq!(
            t("qu©n sù, quèc phßng ®Þa ph\u{ad}¬ng"),
            "quân sự, quốc phòng địa phương"
        );
        assert_eq!(t("b»ng, n¾m, mÆt, kh¼ng, s½n"), "bằng, nắm, mặt, khẳng, sẵn");
        assert_eq!(t("cÇn, chuÈn, dÉn, cÊp"), "cần, chuẩn, dẫn, cấp");
        assert_eq!(t("kÌm, trÎ, sÏ, phÐp, ®Ñp"), "kèm, trẻ, sẽ, phép, đẹp");
        assert_eq!(t("m×nh, tØnh, nghÜa, chÝnh, ®Þnh"), "mình, tỉnh, nghĩa, chính, định");
        assert_eq!(t("hßa, nhá, râ, cã, häc"), "hòa, nhỏ, rõ, có, học");
        assert_eq!(t("nguån, tæ, mçi, sè, bé"), "nguồn, tổ, mỗi, số, bộ");
        assert_eq!(t("thêi, tr\u{ad}ëng, giê, víi, hîp"), "thời, trưởng, giờ, với, hợp");
        assert_eq!(t("tïy, chñ, vò, tó, ô"), "tùy, chủ, vũ, tú, ụ");
        assert_eq!(t("tõ, cö, nh÷ng, chøc, lùc"), "từ, cử, những, chức, lực");
        assert_eq!(t("kú, uû, kü, ý, kþ"), "kỳ, uỷ, kỹ, ý, kỵ");
        assert_eq!(t("¡ ¢ £ ¤ ¥ ¦ §"), "Ă Â Ê Ô Ơ Ư Đ");
    }

    #[test]
    fn vni_well_known_samples() {
        let v = |s: &str| convert(s, LegacyEncoding::Vni);
        assert_eq!(v("Vieät Nam"), "Việt Nam");
        assert_eq!(v("Haø Noäi"), "Hà Nội");
        assert_eq!(
            v("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"),
            "Cộng hòa xã hội chủ nghĩa Việt Nam"
        );
        assert_eq!(v("Ñoäc laäp - Töï do - Haïnh phuùc"), "Độc lập - Tự do - Hạnh phúc");
        assert_eq!(v("CHÆ THÒ"), "CHỈ THỊ");
        assert_eq!(v("COÄNG HOØA XAÕ HOÄI"), "CỘNG HÒA XÃ HỘI");
        assert_eq!(v("ngöôøi, thöôøng, ñòa phöông"), "người, thường, địa phương");
        assert_eq!(
            v("naém, maët, baèng, khaúng, saün, aê"),
            "nắm, mặt, bằng, khẳng, sẵn, ă"
        );
        assert_eq!(v("caàn, chuaån, daãn, caáp"), "cần, chuẩn, dẫn, cấp");
        assert_eq!(v("yù, yø, yû, yõ, kyî"), "ý, ỳ, ỷ, ỹ, kỵ");
        assert_eq!(v("UÛY BAN, Uûy ban"), "ỦY BAN, Ủy ban");
        assert_eq!(v("thuôû, ì, í"), "thuở, ì, í");
    }

    #[test]
    fn encode_is_the_inverse_of_convert() {
        let s = "Cộng hòa xã hội chủ nghĩa Việt Nam; Đảng ủy Quân sự tỉnh Nghệ An, những người lính trẻ";
        for e in LegacyEncoding::ALL {
            let m = encode(s, e).unwrap();
            assert_ne!(m, s);
            assert_eq!(convert(&m, e), s, "{e:?}: {m}");
        }
        assert_eq!(encode("Việt", LegacyEncoding::Tcvn3).unwrap(), "ViÖt");
        assert_eq!(encode("Việt", LegacyEncoding::Vni).unwrap(), "Vieät");
        // TCVN3 has no capitals with tone marks.
        assert_eq!(encode("VIỆT", LegacyEncoding::Tcvn3), None);
        // Letters that are not Vietnamese have no VNI code (found by the fuzz target).
        assert_eq!(encode("Û", LegacyEncoding::Vni), None);
        assert_eq!(encode("ü", LegacyEncoding::Vni), None);
        assert_eq!(encode("ĭ", LegacyEncoding::Vni), None);
    }

    #[test]
    fn syllables() {
        for w in [
            "Việt", "nghiêng", "quốc", "gì", "giữ", "khuya", "người", "thuở", "xoong", "Uỷ", "ủy", "Đảng", "tỉnh",
            "HUYỆN", "quyết", "oẳn", "chuyện",
        ] {
            assert!(is_syllable(w), "{w}");
        }
        for w in [
            "ViÖt",
            "Hµ",
            "§¶ng",
            "Vieät",
            "Haø",
            "café",
            "élève",
            "für",
            "naïve",
            "coração",
            "m²",
            "hoàà",
            "tiếngs",
            "Zürich",
        ] {
            assert!(!is_syllable(w), "{w}");
        }
    }

    #[test]
    fn detects_and_converts_whole_texts() {
        let tcvn = "Céng hoµ x· héi chñ nghÜa ViÖt Nam\n§éc lËp - Tù do - H¹nh phóc\nHµ Néi, ngµy 07 th¸ng 3 n¨m 2022";
        assert_eq!(detect(tcvn), Some(LegacyEncoding::Tcvn3));
        assert_eq!(
            to_unicode(tcvn).unwrap(),
            "Cộng hoà xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc\nHà Nội, ngày 07 tháng 3 năm 2022"
        );
        let vni = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam\nHaø Noäi, ngaøy 07 thaùng 3 naêm 2022";
        assert_eq!(detect(vni), Some(LegacyEncoding::Vni));
        assert_eq!(
            to_unicode(vni).unwrap(),
            "Cộng hòa xã hội chủ nghĩa Việt Nam\nHà Nội, ngày 07 tháng 3 năm 2022"
        );
        // From bytes as they are on disk.
        let bytes: Vec<u8> = tcvn.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
        assert_eq!(to_unicode(&decode_windows_1252(&bytes)), to_unicode(tcvn));
    }

    #[test]
    fn mixed_document_keeps_its_unicode_lines() {
        let s = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nCó cô và cú\nBan Th\u{ad}êng vô HuyÖn ñy chØ ®¹o c¸c x·, thÞ trÊn\nph¶i hoµn thµnh tr\u{ad}íc ngµy 30/6";
        let u = to_unicode(s).unwrap();
        assert_eq!(
            u,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nCó cô và cú\nBan Thường vụ Huyện ủy chỉ đạo các xã, thị trấn\nphải hoàn thành trước ngày 30/6"
        );
    }

    #[test]
    fn does_not_fire_on_unicode_english_or_western_text() {
        for s in [
            "Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc. Hà Nội, ngày 07 tháng 3 năm 2022. Có cô và cú, tô cơm.",
            "The quick brown fox jumps over the lazy dog. Zoë's café serves crème brûlée.",
            "L'élève français a été très sérieux à l'école où il a étudié là-bas.",
            "Über die Brücke gehen wir zur Straße, schön und müde.",
            "O coração não tem razão; são João e a mãe estão lá.",
            "El niño español comió más piñas después.",
            "",
        ] {
            assert_eq!(detect(s), None, "{s}");
            assert_eq!(to_unicode(s), None, "{s}");
        }
        let nfd: String = "Quyết định của Ủy ban nhân dân tỉnh về việc giao chỉ tiêu"
            .nfd()
            .collect();
        assert_eq!(detect(&nfd), None);
    }

    #[test]
    fn windows_1258_bytes() {
        // "Hà Nội, ngày 07 tháng 3, quốc phòng" in Windows-1258: tone marks are combining bytes.
        let b = b"H\xe0 N\xf4\xf2i, ng\xe0y 07 th\xe1ng 3, qu\xf4\xecc pho\xccng";
        let (e, t) = decode_bytes(b).unwrap();
        assert_eq!(e, LegacyEncoding::Windows1258);
        assert_eq!(t, "Hà Nội, ngày 07 tháng 3, quốc phòng");
        assert_eq!(decode_windows_1258(b"\xd0\xe3\xf5\xfd\xd5\xdd\xc3\xf0"), "ĐăơưƠƯĂđ");
        // TCVN3 bytes are read as TCVN3.
        let tcvn: Vec<u8> = "Céng hoµ x· héi chñ nghÜa ViÖt Nam"
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert_eq!(
            decode_bytes(&tcvn),
            Some((LegacyEncoding::Tcvn3, "Cộng hoà xã hội chủ nghĩa Việt Nam".to_string()))
        );
        // Western Latin-1 is none of them.
        assert_eq!(
            decode_bytes(b"Gr\xfc\xdfe aus M\xfcnchen, caf\xe9 cr\xe8me br\xfbl\xe9e"),
            None
        );
    }

    #[test]
    fn font_names() {
        assert_eq!(convert_font_text("ViÖt Nam", ".VnTime").as_deref(), Some("Việt Nam"));
        assert_eq!(convert_font_text("céng hoµ", ".VnTimeH").as_deref(), Some("CỘNG HOÀ"));
        assert_eq!(convert_font_text("Vieät", "VNI-Times").as_deref(), Some("Việt"));
        assert_eq!(convert_font_text("Việt", "Times New Roman"), None);
    }

    fn syllable() -> impl Strategy<Value = String> {
        let initials = prop::sample::select(vec![
            "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p", "ph",
            "qu", "r", "s", "t", "th", "tr", "v", "x",
        ]);
        let vowels = prop::sample::select(VOWEL_GROUPS.to_vec());
        let finals = prop::sample::select(FINALS.to_vec());
        let tone = prop::sample::select(vec![None, Some(GRAVE), Some(ACUTE), Some(HOOK), Some(TILDE), Some(DOT)]);
        let upper = prop::sample::select(vec![0u8, 0, 0, 1, 2]);
        (initials, vowels, finals, tone, upper).prop_map(|(i, v, f, t, up)| {
            let mut v: Vec<char> = v.chars().collect();
            if let Some(t) = t {
                let k = v.len() / 2;
                v.insert(k + 1, t);
            }
            let s: String = format!("{i}{}{f}", v.into_iter().collect::<String>()).nfc().collect();
            match up {
                1 => s.to_uppercase(),
                2 => {
                    let mut cs = s.chars();
                    cs.next()
                        .map(|c| c.to_uppercase().chain(cs).collect())
                        .unwrap_or_default()
                }
                _ => s,
            }
        })
    }

    fn vietnamese_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (syllable(), prop::sample::select(vec![" ", " ", " ", ", ", ". ", "\n"])),
            1..80,
        )
        .prop_map(|ws| ws.into_iter().map(|(w, s)| format!("{w}{s}")).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn generated_syllables_are_syllables(s in syllable()) {
            prop_assert!(is_syllable(&s), "{}", s);
        }

        #[test]
        fn never_fires_on_unicode_vietnamese(s in vietnamese_text()) {
            prop_assert_eq!(to_unicode(&s), None);
            let nfd: String = s.nfd().collect();
            prop_assert_eq!(to_unicode(&nfd), None);
        }

        #[test]
        fn never_fires_on_english(s in "[A-Za-z ,.;:'\"()0-9\n-]{0,300}") {
            prop_assert_eq!(to_unicode(&s), None);
        }

        #[test]
        fn legacy_text_round_trips(s in vietnamese_text()) {
            let lower = s.to_lowercase();
            // Detection needs evidence: a few words whose mojibake is not itself a syllable
            // ("cã" for "có" is one). Twenty words with diacritics always give enough.
            let marked = words(&lower).count();
            for e in LegacyEncoding::ALL {
                let m = encode(&lower, e).unwrap();
                prop_assert_eq!(convert(&m, e), lower.nfc().collect::<String>());
                if marked >= 20 {
                    prop_assert_eq!(detect(&m), Some(e), "{}", m);
                    prop_assert_eq!(to_unicode(&m), Some(lower.nfc().collect::<String>()), "{}", m);
                }
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = to_unicode(&s);
            for e in LegacyEncoding::ALL {
                let _ = convert(&s, e);
            }
        }

        /// The fuzz target's property, on Latin-1-heavy text: whatever `convert` gives back,
        /// `encode` (when it can) then `convert` reproduces it; bytes never panic.
        #[test]
        fn encode_convert_round_trip(s in "[a-zA-Z \u{a0}-\u{ff}]{0,120}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            for e in LegacyEncoding::ALL {
                let c = convert(&s, e);
                if let Some(m) = encode(&c, e) {
                    prop_assert_eq!(convert(&m, e), c);
                }
            }
            let _ = decode_bytes(&bytes);
        }
    }
}
