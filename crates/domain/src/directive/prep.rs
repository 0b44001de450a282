//! Text preparation: Unicode NFC, mark-up left over from word processors and web pages, column
//! gaps of `pdftotext -layout`, and lines broken by PDF extraction or page breaks.

use super::folded::{fold_char, fold_str};
use regex::Regex;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// The column separator kept inside a line (a tab or a run of 3+ spaces in the input).
pub(crate) const CELL: char = '\t';

static SUP_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<sup>\s*([0-9]+)\s*</sup>").expect("sup regex"));
static TAG_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)</?[a-z][a-z0-9]*(\s[^<>]{0,200})?/?>").expect("tag regex"));
static GAP_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[ \u{a0}\u{2007}\u{202f}]{3,}|\t+").expect("gap regex"));

fn superscript(d: &str) -> String {
    d.chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            c => c,
        })
        .collect()
}

/// NFC, after putting a vowel's shape mark (circumflex, breve, horn) before its tone mark where
/// an input method typed them the other way round ("e" + acute + circumflex is "ế", not "é" with a
/// stray circumflex): both have combining class 230, so Unicode normalisation keeps their order.
pub(crate) fn repair_marks(text: &str) -> String {
    const TONES: [char; 4] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}'];
    const SHAPES: [char; 3] = ['\u{302}', '\u{306}', '\u{31b}'];
    if !text.chars().any(|c| TONES.contains(&c)) {
        return text.nfc().collect();
    }
    let mut chars: Vec<char> = text.nfd().collect();
    for i in 1..chars.len() {
        if SHAPES.contains(&chars[i]) && TONES.contains(&chars[i - 1]) {
            chars.swap(i - 1, i);
        }
    }
    chars.into_iter().collect::<String>().nfc().collect()
}

/// Cleans the whole text and splits it into lines. Cells of a line are separated by [`CELL`];
/// other white space is single spaces; lines are trimmed.
pub(crate) fn clean_lines(text: &str) -> Vec<String> {
    let nfc = repair_marks(text);
    let nfc = nfc.replace("\r\n", "\n").replace(['\r', '\u{c}'], "\n");
    let nfc = SUP_RE.replace_all(&nfc, |c: &regex::Captures| superscript(&c[1]));
    let nfc = TAG_RE.replace_all(&nfc, "");
    let mut lines = Vec::new();
    for raw in nfc.split('\n') {
        // A markdown table row ("| ỦY BAN NHÂN DÂN | CỘNG HÒA … |"): its cells; the rule row under
        // the first row ("|---|---|") is no text.
        let t = raw.trim();
        let table = t.starts_with('|') || (t.ends_with('|') && t.matches('|').count() >= 2);
        if table && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '=' | '+')) {
            lines.push(String::new());
            continue;
        }
        let raw = if table { raw.replace('|', "\t") } else { raw.to_string() };
        let raw = raw.as_str();
        let mut s = String::with_capacity(raw.len());
        let mut prev: Option<char> = None;
        for c in raw.chars() {
            match c {
                // Markdown emphasis and escapes; zero-width and BOM characters.
                '*' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{ad}' => {}
                '_' if prev.is_none_or(|p| !p.is_alphanumeric()) => {}
                '\\' => {}
                c if c.is_control() && c != '\t' => s.push(' '),
                // OCR and old fonts give the Icelandic eth for the Vietnamese Đ.
                'Ð' => s.push('Đ'),
                'ð' => s.push('đ'),
                c => s.push(c),
            }
            prev = Some(c);
        }
        let s = s.replace('#', " ");
        let s = GAP_RE.replace_all(&s, "\t");
        let cells: Vec<String> = s
            .split(CELL)
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|c| !c.is_empty())
            .collect();
        lines.push(cells.join("\t"));
    }
    lines
}

static PAGE_NUMBER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[-–—\s]*(?:trang\s+)?\d{1,3}(?:\s*/\s*\d{1,3})?[-–—\s]*$").expect("page number regex")
});

/// Blanks the furniture of page breaks in extracted text: page numbers on a line of their own
/// (between blank lines), and running headers or footers (a line repeated next to two or more
/// page numbers), so that a sentence broken by a page break joins up again.
pub(crate) fn drop_page_furniture(mut lines: Vec<String>) -> Vec<String> {
    let blank = |lines: &[String], i: Option<usize>| i.and_then(|i| lines.get(i)).is_none_or(|l| l.is_empty());
    let page_numbers: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            PAGE_NUMBER_RE.is_match(&lines[i]) && blank(&lines, i.checked_sub(1)) && blank(&lines, Some(i + 1))
        })
        .collect();
    if page_numbers.is_empty() {
        return lines;
    }
    // The non-blank lines next to page numbers (two lines each way, skipping blanks).
    let mut near: Vec<usize> = Vec::new();
    for &p in &page_numbers {
        let before = (0..p).rev().filter(|&j| !lines[j].is_empty()).take(1);
        let after = (p + 1..lines.len()).filter(|&j| !lines[j].is_empty()).take(1);
        near.extend(before.chain(after));
    }
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for &i in &near {
        *counts.entry(lines[i].as_str()).or_default() += 1;
    }
    let mut furniture: Vec<usize> = Vec::new();
    for &i in &near {
        let l = &lines[i];
        if l.chars().count() < 10 || item_marker(l).is_some() || PAGE_NUMBER_RE.is_match(l) {
            continue;
        }
        if counts.get(l.as_str()).copied().unwrap_or(0) >= 2 {
            furniture.push(i);
        }
    }
    for i in page_numbers.into_iter().chain(furniture) {
        lines[i].clear();
    }
    lines
}

static PROPS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\s*(?:author|template|last modified by|revision|created|modified|pages|words|characters(?: \(with spaces\))?|lines|paragraphs|company|title|tác giả|mẫu|sửa lần cuối bởi|người sửa cuối|lần sửa|tạo lúc|lưu lúc|ngày tạo|số trang|số từ|số ký tự|số dòng|số đoạn)\s*:\s*\S+)+\s*")
        .expect("file properties regex")
});

/// The file's properties that a word processor's text export runs into the first line ("Tác giả:
/// … Mẫu: Normal.dotm … Số ký tự: 7101 ỦY BAN NHÂN DÂN"): cut off, keeping the document's
/// first line. Three or more "name: value" pairs are needed.
fn strip_properties(line: &str) -> Option<String> {
    let m = PROPS_RE.find(line)?;
    let pairs = m.as_str().matches(':').count();
    (pairs >= 3).then(|| line[m.end()..].to_string())
}

/// Pieces of the pages of legal-database web sites and their menus, folded.
const BOILERPLATE: &[&str] = &[
    "ban quyen",
    "©",
    "dang nhap",
    "cac noi dung duoc sua doi",
    "tinh trang hieu luc",
    "tai ve",
    "luoc do",
    "van ban lien quan",
    "tra cuu",
    "thu vien",
    "trang chu",
    "van ban goc",
    "thuoc tinh",
    "hien thi khi",
    "ghi ro nguon",
];

/// Blanks what comes before the document itself: file properties run into the first line, and
/// the boilerplate of a legal-database web page (copyright, menus, "Các nội dung được sửa
/// đổi…") in the first lines.
pub(crate) fn drop_preamble(mut lines: Vec<String>) -> Vec<String> {
    if let Some(i) = lines.iter().position(|l| !l.is_empty()) {
        if let Some(rest) = strip_properties(&lines[i]) {
            lines[i] = rest;
        }
    }
    // The document starts with its header: the issuing body or the national motto in capitals,
    // or the number. Only lines before it can be a web page's boilerplate.
    let start = lines.iter().take(30).position(|l| {
        let f = fold_str(&flat(l));
        is_upper(l) && l.split_whitespace().count() >= 2 || f.starts_with("so:") || f.starts_with("so ")
    });
    if let Some(start) = start {
        for l in lines.iter_mut().take(start) {
            let f = fold_str(l);
            if BOILERPLATE.iter().any(|b| super::folded::contains_words(&f, b)) {
                l.clear();
            }
        }
    }
    lines
}

/// `s` without its first `n` words.
pub(crate) fn skip_words(s: &str, n: usize) -> &str {
    let mut rest = s.trim_start();
    for _ in 0..n {
        rest = rest.find(char::is_whitespace).map_or("", |i| rest[i..].trim_start());
    }
    rest
}

/// The cells of a line.
pub(crate) fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.split(CELL).map(str::trim).filter(|c| !c.is_empty())
}

/// A line with its cells joined by single spaces.
pub(crate) fn flat(line: &str) -> String {
    cells(line).collect::<Vec<_>>().join(" ")
}

/// True when the text has letters and none of them is lower-case ("CHỈ THỊ", "T/M BAN THƯỜNG VỤ").
pub(crate) fn is_upper(s: &str) -> bool {
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 2 && !s.chars().any(|c| c.is_lowercase())
}

/// Ends a sentence or clause, so that the next line is not its continuation.
fn ends_clause(s: &str) -> bool {
    s.trim_end().ends_with(['.', ':', ';', '!', '?', '…', '”', '"', '»'])
}

fn starts_lower(s: &str) -> bool {
    s.chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| c.is_lowercase())
}

/// A numbered item or heading start: "1.", "2)", "a)", "II.", "-", "+", "•".
pub(crate) fn item_marker(s: &str) -> Option<(String, &str)> {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix(['-', '+', '•', '–', '*']) {
        if rest.starts_with(' ') {
            return Some(("-".to_string(), rest.trim_start()));
        }
    }
    let head: String = t.chars().take_while(|c| c.is_alphanumeric()).collect();
    if head.is_empty() || head.chars().count() > 5 {
        return None;
    }
    let rest = &t[head.len()..];
    let (sep, rest) = match rest.chars().next() {
        Some(c @ ('.' | ')')) => (c, &rest[1..]),
        _ => return None,
    };
    // "1.143m²" is a number, not an item: the marker is followed by a space or a capital letter.
    let next = rest.chars().next();
    if !(next.is_none() || next.is_some_and(|c| c.is_whitespace() || c.is_uppercase())) {
        return None;
    }
    let digits = head.chars().all(|c| c.is_ascii_digit()) && head.len() <= 2;
    let roman = head.chars().all(|c| matches!(c, 'I' | 'V' | 'X')) && sep == '.';
    let letter = head.chars().count() == 1 && head.chars().all(|c| c.is_lowercase());
    if digits || roman || letter {
        Some((head, rest.trim_start()))
    } else {
        None
    }
}

/// Whether a text has letters and none in lower case, kept up to date line by line so that a
/// long paragraph is not scanned again for each line it gains.
#[derive(Default, Clone, Copy)]
struct Case {
    letters: usize,
    lower: bool,
}

impl Case {
    fn of(s: &str) -> Case {
        let mut c = Case::default();
        c.add(s);
        c
    }
    fn add(&mut self, s: &str) {
        for ch in s.chars() {
            if ch.is_alphabetic() {
                self.letters += 1;
                self.lower |= ch.is_lowercase();
            }
        }
    }
    fn upper(&self) -> bool {
        self.letters >= 2 && !self.lower
    }
}

/// The width lines were wrapped at, when the text was (a PDF text layer, a mail): most lines are
/// close to the longest one, and that is short. `None` for text whose lines are paragraphs.
fn wrap_width(lines: &[String]) -> Option<usize> {
    let lens: Vec<usize> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.chars().count())
        .collect();
    let width = lens.iter().copied().max()?;
    if !(40..=130).contains(&width) || lens.len() < 8 {
        return None;
    }
    let full = lens.iter().filter(|&&n| n * 4 >= width * 3).count();
    (full * 10 >= lens.len() * 4).then_some(width)
}

/// Joins the lines of a body region into paragraphs, repairing lines broken by PDF extraction
/// and page breaks (and dropping the line that OCR repeats across a page break). In wrapped text
/// a full line that ends a sentence goes on in the next line: the paragraph ends at a short line.
pub(crate) fn paragraphs(lines: &[String]) -> Vec<String> {
    let wrapped = wrap_width(lines);
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_case = Case::default();
    let mut prev_full = false;
    let mut blank_before = true;
    for line in lines {
        let l = flat(line);
        if l.is_empty() {
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            blank_before = true;
            prev_full = false;
            continue;
        }
        let l_case = Case::of(&l);
        let full = wrapped.is_some_and(|w| l.chars().count() * 100 >= w * 85);
        if cur.is_empty() {
            // A paragraph after a blank line continues the previous one when that one did not end
            // its sentence and this one starts in lower case (page break).
            if blank_before {
                if let Some(last) = paras.last_mut() {
                    if !ends_clause(last) && starts_lower(&l) && item_marker(&l).is_none() {
                        join_dedup(last, &l);
                        blank_before = false;
                        prev_full = full;
                        continue;
                    }
                }
            }
            cur = l;
            cur_case = l_case;
        } else if item_marker(&l).is_some()
            || (ends_clause(&cur) && !starts_lower(&l) && !prev_full)
            || l_case.upper() != cur_case.upper()
        {
            paras.push(std::mem::take(&mut cur));
            cur = l;
            cur_case = l_case;
        } else {
            join_dedup(&mut cur, &l);
            cur_case.add(&l);
        }
        prev_full = full;
        blank_before = false;
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    paras
}

/// Appends `" " + b` to `a`, dropping from `b` a run of 3+ words that repeats the end of `a` (the
/// line OCR repeats across a page break). Looks at the last 30 words of `a` only, so that joining
/// the lines of a long paragraph stays linear.
fn join_dedup(a: &mut String, b: &str) {
    let aw: Vec<&str> = a.rsplitn(31, ' ').collect::<Vec<_>>().into_iter().rev().collect();
    // The first piece may hold the rest of the paragraph: it is no word of the tail.
    let aw = if aw.len() == 31 { &aw[1..] } else { &aw[..] };
    let bw: Vec<&str> = b.split(' ').take(31).collect();
    let max = aw.len().min(bw.len()).min(30);
    let mut skip = 0;
    for k in (3..=max).rev() {
        let tail = &aw[aw.len() - k..];
        let head = &bw[..k];
        if tail.iter().zip(head).all(|(x, y)| fold_str(x) == fold_str(y)) {
            skip = k;
            break;
        }
    }
    let rest = skip_words(b, skip);
    if !rest.is_empty() {
        if !a.is_empty() {
            a.push(' ');
        }
        a.push_str(rest);
    }
}

/// Syllable-case patterns of names of bodies and positions, in folded form: `1` capitalises the
/// syllable. Used to turn upper-case headers ("VĂN PHÒNG BỘ TỔNG THAM MƯU") into the usual
/// spelling ("Văn phòng Bộ Tổng Tham mưu").
const CASE_PATTERNS: &[(&str, &str)] = &[
    ("uy ban nhan dan", "1000"),
    ("hoi dong nhan dan", "1000"),
    ("ban thuong vu", "110"),
    ("thuong truc", "10"),
    ("ban chap hanh", "110"),
    ("huyen uy", "10"),
    ("tinh uy", "10"),
    ("thanh uy", "10"),
    ("thi uy", "10"),
    ("dang uy", "10"),
    ("dang bo", "10"),
    ("chi bo", "10"),
    ("van phong", "10"),
    ("bo tong tham muu", "1110"),
    ("bo quoc phong", "110"),
    ("bo chi huy", "110"),
    ("ban chi huy", "110"),
    ("bo tu lenh", "110"),
    ("quan su", "10"),
    ("bo tham muu", "110"),
    ("phong tham muu", "110"),
    ("tham muu", "10"),
    ("cuc chinh tri", "110"),
    ("chinh tri", "10"),
    ("quan khu", "10"),
    ("mat tran to quoc", "1010"),
    ("to quoc", "10"),
    ("nghia vu quan su", "1000"),
    ("phong thu khu vuc", "1000"),
    ("hoi dong", "10"),
    ("chu tich", "10"),
    ("bi thu", "10"),
    ("chanh van phong", "110"),
    ("chi huy truong", "100"),
    ("chinh tri vien", "100"),
    ("truong ban", "10"),
    ("tu lenh", "10"),
    ("giam doc", "10"),
    ("thu truong", "10"),
    ("trung uong", "11"),
    ("nhan dan", "00"),
    ("viet nam", "11"),
    ("cong an", "10"),
    ("to chuc", "10"),
    ("tuyen giao", "10"),
    ("kiem tra", "10"),
    ("dan van", "10"),
    ("quan doi", "10"),
    ("cua", "0"),
    ("cac", "0"),
    ("va", "0"),
    ("ve", "0"),
    ("tinh", "0"),
    ("huyen", "0"),
    ("xa", "0"),
    ("phuong", "0"),
    ("thi tran", "00"),
    ("thanh pho", "00"),
    ("thi xa", "00"),
    ("quan", "0"),
    ("dac khu", "00"),
    ("khu vuc", "00"),
];

/// Authority prefixes of signature blocks, kept as printed.
const AUTHORITY_PREFIXES: &[&str] = &["T/M", "TM.", "T/L", "TL.", "KT.", "Q.", "TUQ.", "K/T", "Q/"];

fn capitalise(w: &str) -> String {
    let mut cs = w.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

fn is_abbreviation(w: &str) -> bool {
    let letters: String = w.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        return true;
    }
    let vowels = letters
        .chars()
        .filter(|c| matches!(fold_char(*c), 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
        .count();
    vowels == 0
        || w.chars().any(|c| c.is_ascii_digit())
        || [
            "TW", "CAND", "QĐND", "LLVT", "UBKT", "UBND", "HĐND", "UBMTTQ", "BTV", "BTL", "QK", "BQP", "VPHU", "HU",
            "TU", "ĐU", "CHQS", "BCHQS", "PTKV", "DQTV", "DBĐV", "VP",
        ]
        .contains(&w)
}

/// Turns an upper-case name of a body or position into its usual spelling.
pub(crate) fn case_name(upper: &str) -> String {
    let words: Vec<&str> = upper.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if i == 0 && AUTHORITY_PREFIXES.iter().any(|p| w.eq_ignore_ascii_case(p)) {
            out.push(w.to_string());
            i += 1;
            continue;
        }
        if is_abbreviation(w) && w.chars().any(|c| c.is_uppercase()) {
            out.push(w.to_string());
            i += 1;
            continue;
        }
        let mut matched = false;
        for (pat, caps) in CASE_PATTERNS {
            let n = pat.split(' ').count();
            if i + n > words.len() {
                continue;
            }
            let cand = words[i..i + n]
                .iter()
                .map(|x| fold_str(x.to_lowercase().trim_end_matches([',', ';', '.'])))
                .collect::<Vec<_>>()
                .join(" ");
            if cand == *pat {
                for (k, flag) in caps.chars().enumerate() {
                    let lw = words[i + k].to_lowercase();
                    out.push(if flag == '1' { capitalise(&lw) } else { lw });
                }
                i += n;
                matched = true;
                break;
            }
        }
        if !matched {
            // Unknown syllables are taken for parts of a proper name.
            out.push(capitalise(&w.to_lowercase()));
            i += 1;
        }
    }
    // The first word of the name (after an authority prefix) is always capitalised.
    let first = usize::from(out.first().is_some_and(|w| AUTHORITY_PREFIXES.contains(&w.as_str())));
    if let Some(w) = out.get_mut(first) {
        *w = capitalise(w);
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_markup_and_columns() {
        let lines = clean_lines("“*mẫu mực*” 1.143m<sup>2</sup> **T/M**\r\nBỘ QUỐC PHÒNG      CỘNG HÒA\u{feff}");
        assert_eq!(lines[0], "“mẫu mực” 1.143m² T/M");
        assert_eq!(lines[1], "BỘ QUỐC PHÒNG\tCỘNG HÒA");
    }

    #[test]
    fn joins_broken_lines_and_page_breaks() {
        let lines: Vec<String> = [
            "1. Tiếp tục quán triệt",
            "các nghị quyết của Đảng.",
            "2. Các địa phương",
            "",
            "còn lại tiếp tục xây dựng đề án mới cả về",
            "",
            "tiếp tục xây dựng đề án mới cả về chính trị.",
            "Câu mới.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let p = paragraphs(&lines);
        assert_eq!(p[0], "1. Tiếp tục quán triệt các nghị quyết của Đảng.");
        assert_eq!(
            p[1],
            "2. Các địa phương còn lại tiếp tục xây dựng đề án mới cả về chính trị."
        );
        assert_eq!(p[2], "Câu mới.");
    }

    #[test]
    fn item_markers() {
        assert_eq!(item_marker("1. Tiếp tục").unwrap().0, "1");
        assert_eq!(item_marker("II. NHIỆM VỤ").unwrap().0, "II");
        assert_eq!(item_marker("a) Xây dựng").unwrap().0, "a");
        assert_eq!(item_marker("- Lưu VT").unwrap().0, "-");
        assert!(item_marker("1.143m² đất").is_none());
        assert!(item_marker("Năm 2025").is_none());
        assert!(item_marker("2025. Năm").is_none());
    }

    #[test]
    fn cases_upper_names() {
        assert_eq!(case_name("VĂN PHÒNG BỘ TỔNG THAM MƯU"), "Văn phòng Bộ Tổng Tham mưu");
        assert_eq!(case_name("T/M BAN THƯỜNG VỤ"), "T/M Ban Thường vụ");
        assert_eq!(case_name("KT. CHỦ TỊCH"), "KT. Chủ tịch");
        assert_eq!(case_name("PHÓ CHỦ TỊCH"), "Phó Chủ tịch");
        assert_eq!(case_name("ỦY BAN NHÂN DÂN"), "Ủy ban nhân dân");
        assert_eq!(case_name("BAN THƯỜNG VỤ HUYỆN ỦY"), "Ban Thường vụ Huyện ủy");
        assert_eq!(case_name("UBND TỈNH SƠN LA"), "UBND tỉnh Sơn La");
        assert_eq!(case_name("CHÁNH VĂN PHÒNG"), "Chánh Văn phòng");
        assert_eq!(
            case_name("BỘ CHỈ HUY QUÂN SỰ TỈNH HƯNG YÊN"),
            "Bộ Chỉ huy Quân sự tỉnh Hưng Yên"
        );
    }
}
