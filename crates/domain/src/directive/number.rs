//! Document numbers and symbols (số, ký hiệu), law brief §7.
//!
//! * State documents (ND 30/2020/NĐ-CP, Phụ lục I): `N/TYPE-ISSUER` ("677/TB-VP"), legal normative
//!   documents with the year `N/YYYY/TYPE-ISSUER` ("168/2018/NĐ-CP"), laws `N/YYYY/QHnn`
//!   ("78/2015/QH13"), and the công văn form `N/ISSUER-UNIT` ("123/UBND-VP").
//! * Party documents (HD 36-HD/VPTW): `N-TYPE/ISSUER` ("52-NQ/TW", "24-HD/BTCTW").
//!
//! Normalisation removes spaces, turns dash variants into "-", and the look-alike "Ð" (U+00D0, common
//! in OCR output) into "Đ"; letters keep their case ("TTr", "QyĐ" are official) and their
//! diacritics ("NĐ-CP" stays "NĐ-CP"; a text that printed "ND-CP" keeps "ND-CP").

use super::kind::DocumentKind;
use regex::Regex;
use std::fmt;
use std::sync::LazyLock;

/// Which numbering rule a number follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberFamily {
    /// `N/TYPE-ISSUER` (ND 30/2020): numbered per calendar year.
    State,
    /// `N-TYPE/ISSUER` (HD 36-HD/VPTW): numbered per Party-committee term.
    Party,
}

/// A parsed, normalised number and symbol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber {
    /// The number as printed ("05", "677").
    pub number: String,
    /// The year inside the number of legal normative documents ("168/2018/NĐ-CP" → 2018).
    pub year: Option<u16>,
    /// State: everything after the slash(es) ("TB-VP", "NĐ-CP", "QH13", "UBND-VP").
    /// Party: the type ("NQ").
    pub symbol: String,
    /// Party only: the issuer after the slash ("TW", "BTCTW"). Empty for State numbers.
    pub party_issuer: String,
    pub family: NumberFamily,
}

/// Why a string is not a number/symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” không phải số, ký hiệu văn bản (dạng 677/TB-VP hoặc 52-NQ/TW)")]
pub struct NumberError(pub String);

/// Type abbreviations of ND 30/2020 Phụ lục III and of legal normative documents.
const STATE_TYPES: &[&str] = &[
    "NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB", "TTr", "HĐ", "CĐ",
    "BGN", "BTT", "GUQ", "GM", "GGT", "GNP", "PG", "PC", "PB", "SY", "TrS", "SL", "NĐ", "TT", "TTLT", "NQLT", "VBHN",
    "KL", "ND", "QD",
];

const LETTER: &str = "A-Za-zĐđÐ";
const UPPER: &str = "A-ZĐÐ";

static STATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(\d{{1,5}}(?:\.\d{{1,3}})?)[ \t]?/[ \t]?(?:((?:19|20)\d{{2}})[ \t]?/[ \t]?)?([{UPPER}][{LETTER}&]*\d{{0,3}}(?:[-–‑][{UPPER}][{LETTER}&0-9]*)*)"
    ))
    .expect("state number regex")
});

static PARTY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(\d{{1,5}})[ \t]?[-–‑][ \t]?([{UPPER}][{LETTER}]{{0,5}})[ \t]?/[ \t]?([{UPPER}][{LETTER}0-9]*(?:[-–‑][{UPPER}][{LETTER}0-9]*)*)"
    ))
    .expect("party number regex")
});

fn clean_symbol(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '–' | '‑' | '—' | '−' => '-',
            'Ð' => 'Đ',
            c => c,
        })
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

fn upper_dominant(group: &str) -> bool {
    let up = group.chars().filter(|c| c.is_uppercase()).count();
    let low = group.chars().filter(|c| c.is_lowercase()).count();
    up >= 1 && up >= low
}

impl DocumentNumber {
    /// Parses a whole string ("677/TB-VP", "Số: 52 - NQ/TU", "số 168/2018/NĐ-CP").
    pub fn parse(s: &str) -> Result<DocumentNumber, NumberError> {
        let t = s.trim();
        let t = strip_so_prefix(t).trim();
        let found = find_document_numbers(t);
        match found.as_slice() {
            [(r, n)] if r.start == 0 && t[r.end..].trim_end_matches(['.', ',', ';']).is_empty() => Ok(n.clone()),
            _ => Err(NumberError(s.trim().to_string())),
        }
    }

    /// The normalised form ("677/TB-VP", "168/2018/NĐ-CP", "52-NQ/TU").
    pub fn normalized(&self) -> String {
        self.to_string()
    }

    /// The type abbreviation, when the symbol has one ("TB", "NĐ", "NQ"); `None` for a công văn
    /// ("123/UBND-VP") or a law ("78/2015/QH13").
    pub fn type_code(&self) -> Option<&str> {
        match self.family {
            NumberFamily::Party => Some(self.symbol.as_str()),
            NumberFamily::State => {
                let first = self.symbol.split('-').next().unwrap_or("");
                STATE_TYPES.contains(&first).then_some(first)
            }
        }
    }

    /// The issuer part ("VP", "CP", "BTCTW", "UBND-VP", "QH13").
    pub fn issuer_code(&self) -> &str {
        match self.family {
            NumberFamily::Party => &self.party_issuer,
            NumberFamily::State => match self.type_code() {
                Some(t) => self.symbol[t.len()..].trim_start_matches('-'),
                None => &self.symbol,
            },
        }
    }

    /// The document kind the symbol names, when it names one of the contract kinds. A State
    /// number without a type abbreviation and without a year is a công văn.
    pub fn kind(&self) -> Option<DocumentKind> {
        match self.type_code() {
            Some(t) => DocumentKind::from_type_code(t),
            None if self.year.is_none() && self.symbol.contains('-') => Some(DocumentKind::CongVan),
            None => None,
        }
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            NumberFamily::State => match self.year {
                Some(y) => write!(f, "{}/{}/{}", self.number, y, self.symbol),
                None => write!(f, "{}/{}", self.number, self.symbol),
            },
            NumberFamily::Party => {
                write!(f, "{}-{}/{}", self.number, self.symbol, self.party_issuer)
            }
        }
    }
}

impl std::str::FromStr for DocumentNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentNumber::parse(s)
    }
}

fn strip_so_prefix(t: &str) -> &str {
    for p in ["Số", "số", "SỐ", "So", "No.", "No"] {
        if let Some(rest) = t.strip_prefix(p) {
            let rest = rest.trim_start();
            let rest = rest.strip_prefix([':', '.']).unwrap_or(rest);
            if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                return rest.trim_start();
            }
        }
    }
    t
}

fn boundary_before(text: &str, start: usize) -> bool {
    match text[..start].chars().next_back() {
        None => true,
        Some(c) => !(c.is_alphanumeric() || matches!(c, '/' | '-' | '.' | '–' | ',')),
    }
}

/// Every number/symbol in a text, in order, with its byte range.
pub fn find_document_numbers(text: &str) -> Vec<(std::ops::Range<usize>, DocumentNumber)> {
    let mut out: Vec<(std::ops::Range<usize>, DocumentNumber)> = Vec::new();
    for c in STATE_RE.captures_iter(text) {
        let m = c.get(0).expect("match");
        if !boundary_before(text, m.start()) {
            continue;
        }
        let symbol = clean_symbol(&c[3]);
        let year = c.get(2).and_then(|y| y.as_str().parse::<u16>().ok());
        let groups: Vec<&str> = symbol.split('-').collect();
        let first = groups[0];
        if !groups.iter().all(|g| upper_dominant(g)) {
            continue;
        }
        // Without a year, a symbol needs the TYPE-ISSUER hyphen; "58/63" or "1/Bộ" are not numbers.
        if year.is_none() && groups.len() < 2 {
            continue;
        }
        if first.is_empty() {
            continue;
        }
        let end = m.start() + c[0].trim_end_matches(['-', '–', '‑']).len();
        out.push((
            m.start()..end,
            DocumentNumber {
                number: c[1].to_string(),
                year,
                symbol,
                party_issuer: String::new(),
                family: NumberFamily::State,
            },
        ));
    }
    for c in PARTY_RE.captures_iter(text) {
        let m = c.get(0).expect("match");
        if !boundary_before(text, m.start()) || out.iter().any(|(r, _)| r.start < m.end() && m.start() < r.end) {
            continue;
        }
        let ty = clean_symbol(&c[2]);
        let issuer = clean_symbol(&c[3]);
        if !upper_dominant(&ty) || !issuer.split('-').all(upper_dominant) {
            continue;
        }
        let end = m.start() + c[0].trim_end_matches(['-', '–', '‑']).len();
        out.push((
            m.start()..end,
            DocumentNumber {
                number: c[1].to_string(),
                year: None,
                symbol: ty,
                party_issuer: issuer,
                family: NumberFamily::Party,
            },
        ));
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> String {
        DocumentNumber::parse(s).unwrap().to_string()
    }

    #[test]
    fn parses_state_numbers() {
        let d = DocumentNumber::parse("677/TB-VP").unwrap();
        assert_eq!(d.family, NumberFamily::State);
        assert_eq!(d.type_code(), Some("TB"));
        assert_eq!(d.issuer_code(), "VP");
        assert_eq!(d.kind(), Some(DocumentKind::ThongBao));
        assert_eq!(n("Số: 677 / TB-VP"), "677/TB-VP");
        let nd = DocumentNumber::parse("số 168/2018/NĐ-CP").unwrap();
        assert_eq!(nd.year, Some(2018));
        assert_eq!(nd.type_code(), Some("NĐ"));
        assert_eq!(nd.to_string(), "168/2018/NĐ-CP");
        assert_eq!(n("78/2015/QH13"), "78/2015/QH13");
        assert_eq!(DocumentNumber::parse("78/2015/QH13").unwrap().type_code(), None);
        let cv = DocumentNumber::parse("123/UBND-VP").unwrap();
        assert_eq!(cv.type_code(), None);
        assert_eq!(cv.kind(), Some(DocumentKind::CongVan));
        assert_eq!(n("16/2016/TTLT-BYT-BQP"), "16/2016/TTLT-BYT-BQP");
        assert_eq!(n("05/TTr-UBND"), "05/TTr-UBND");
        // OCR look-alike Eth and en dash.
        assert_eq!(n("13/2016/NÐ–CP"), "13/2016/NĐ-CP");
        // Without diacritic in the text: kept as printed.
        assert_eq!(n("37/2022/ND-CP"), "37/2022/ND-CP");
    }

    #[test]
    fn parses_party_numbers() {
        let d = DocumentNumber::parse("52-NQ/TU").unwrap();
        assert_eq!(d.family, NumberFamily::Party);
        assert_eq!(d.type_code(), Some("NQ"));
        assert_eq!(d.issuer_code(), "TU");
        assert_eq!(d.kind(), Some(DocumentKind::NghiQuyet));
        assert_eq!(n("Số 15 - CT/HU"), "15-CT/HU");
        assert_eq!(n("07-QĐ/BTCTW"), "07-QĐ/BTCTW");
        assert_eq!(n("36-HD/VPTW"), "36-HD/VPTW");
    }

    #[test]
    fn rejects_non_numbers() {
        for s in [
            "",
            "58/63",
            "20/12/2024",
            "2021-2025",
            "Covid-19",
            "QP-AN/Bộ",
            "1/Bộ",
            "677/TB-VP và 2/TB-VP",
            "abc677/TB-VP",
        ] {
            assert!(DocumentNumber::parse(s).is_err(), "{s}");
        }
        assert!(DocumentNumber::parse("x")
            .unwrap_err()
            .to_string()
            .contains("không phải số"));
    }

    #[test]
    fn finds_numbers_in_text() {
        let t = "Thực hiện Quyết định số 314/QĐ-BQP ngày 29/01/2022 và Nghị quyết số 28-NQ/TW ngày 25/10/2013; Luật 78/2015/QH13, 58/63 tỉnh, giai đoạn 2021-2025, Covid-19.";
        let got: Vec<String> = find_document_numbers(t)
            .into_iter()
            .map(|(_, d)| d.to_string())
            .collect();
        assert_eq!(got, vec!["314/QĐ-BQP", "28-NQ/TW", "78/2015/QH13"]);
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(
            num in "[0-9]{1,4}",
            year in proptest::option::of(1990u16..2030),
            ty in "(TB|NQ|QĐ|CT|KH|TTr|NĐ|HD|BC)",
            issuer in "[A-ZĐ]{1,5}(-[A-ZĐ]{1,4}){0,2}",
            party in any::<bool>(),
            sp in "[ ]{0,1}",
        ) {
            let raw = if party {
                format!("{num}{sp}-{sp}{ty}{sp}/{sp}{issuer}")
            } else {
                match year {
                    Some(y) => format!("{num}{sp}/{sp}{y}/{ty}-{issuer}"),
                    None => format!("{num}{sp}/{sp}{ty}-{issuer}"),
                }
            };
            let once = DocumentNumber::parse(&raw).unwrap();
            let s1 = once.to_string();
            prop_assert!(!s1.contains(' '));
            let twice = DocumentNumber::parse(&s1).unwrap();
            prop_assert_eq!(&twice, &once);
            prop_assert_eq!(twice.to_string(), s1);
        }

        #[test]
        fn parse_and_find_never_panic(s in "\\PC{0,80}") {
            let _ = DocumentNumber::parse(&s);
            for (r, d) in find_document_numbers(&s) {
                prop_assert!(s.get(r.clone()).is_some());
                let again = DocumentNumber::parse(&d.to_string());
                prop_assert_eq!(again.ok(), Some(d));
            }
        }
    }
}
