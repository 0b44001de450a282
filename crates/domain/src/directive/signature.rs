//! The foot of a document: recipients (Nơi nhận) and the signature block (ND 30/2020 Art. 8.2
//! elements 7 and 9; the authority prefixes TM., KT., Q., TL., TUQ. of Phụ lục I).

use super::folded::fold_str;
use super::prep::{case_name, cells, flat, is_upper};
use super::Signer;

/// Military ranks (cấp bậc) printed before a signer's name, folded, longest first.
const RANKS: &[&str] = &[
    "dai tuong",
    "thuong tuong",
    "trung tuong",
    "thieu tuong",
    "dai ta",
    "thuong ta",
    "trung ta",
    "thieu ta",
    "dai uy",
    "thuong uy",
    "trung uy",
    "thieu uy",
];

const AUTHORITY: &[&str] = &[
    "t/m", "tm.", "tm ", "kt.", "kt ", "k/t", "q.", "tl.", "t/l", "tuq.", "t.u.q",
];

pub(crate) struct Foot {
    /// Index of the "Nơi nhận" line, when there is one.
    pub recipients_line: Option<usize>,
    pub recipients: Vec<String>,
    pub signer: Option<Signer>,
}

fn clean_recipient(s: &str) -> String {
    s.trim()
        .trim_start_matches(['-', '+', '•', '–', '_', '*'])
        .trim()
        .trim_end_matches([',', ';', '.', ' '])
        .trim()
        .to_string()
}

fn is_recipient_start(cell: &str) -> bool {
    cell.starts_with(['-', '+', '•', '–']) || {
        let f = fold_str(cell);
        f.starts_with("luu") || f.starts_with("nhu tren")
    }
}

fn is_noise(f: &str) -> bool {
    let t = f.trim_matches(|c: char| !c.is_alphanumeric());
    t.is_empty()
        || t == "da ky"
        || t.starts_with("ky ten")
        || t.starts_with("ky, ghi ro")
        || t.starts_with("ky va ghi ro")
        || t.starts_with("ky ghi ro")
        || t == "dau"
        || t.starts_with("ky, dong dau")
}

/// A person's name, optionally after a rank: "Thiếu tướng Đỗ Mạnh Vui", "Bùi Văn Phúc",
/// "NGUYỄN VĂN AN". Returns (rank, name).
pub(crate) fn person_name(s: &str) -> Option<(Option<String>, String)> {
    let s = s.trim().trim_end_matches('.');
    let f = fold_str(s);
    let mut rank = None;
    let mut rest = s;
    for r in RANKS {
        if f.starts_with(r) && f[r.len()..].starts_with(' ') {
            let n = r.split(' ').count();
            let words: Vec<&str> = s.split_whitespace().collect();
            rank = Some(words[..n].join(" "));
            rest = super::prep::skip_words(s, n).trim();
            break;
        }
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    if !(2..=6).contains(&words.len()) {
        return None;
    }
    let upper = is_upper(rest);
    let ok = words.iter().all(|w| {
        let mut cs = w.chars();
        let first = cs.next().is_some_and(|c| c.is_uppercase());
        first && w.chars().all(|c| c.is_alphabetic()) && (upper || cs.all(|c| c.is_lowercase()))
    });
    if !ok {
        return None;
    }
    let name = if upper {
        words
            .iter()
            .map(|w| {
                let lw = w.to_lowercase();
                let mut cs = lw.chars();
                cs.next()
                    .map(|c| c.to_uppercase().chain(cs).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        words.join(" ")
    };
    Some((rank, name))
}

/// Words that make an upper-case line a position or body rather than a person's name.
fn looks_like_office(f: &str) -> bool {
    [
        "chu tich",
        "bi thu",
        "truong",
        "pho",
        "giam doc",
        "van phong",
        "ban ",
        "uy",
        "chinh uy",
        "tu lenh",
        "chi huy",
        "tham muu",
        "thu truong",
        "quyen",
        "thuong vu",
        "ky thay",
        "thay mat",
        "hoi dong",
        "so ",
        "cuc",
        "bo ",
        "dang",
        "cong an",
        "quan su",
        "to chuc",
    ]
    .iter()
    .any(|w| f.contains(w))
}

pub(crate) fn read_foot(lines: &[String], body_start: usize, with_signer: bool) -> Foot {
    let recipients_line = (body_start..lines.len()).rev().find(|&i| {
        cells(&lines[i]).any(|c| {
            let f = fold_str(c);
            f.starts_with("noi nhan")
        })
    });
    let mut recipients: Vec<String> = Vec::new();
    // (line index, cell) of the signature area.
    let mut sig: Vec<(usize, String)> = Vec::new();
    if let Some(r) = recipients_line {
        let mut in_list = true;
        for (i, line) in lines.iter().enumerate().skip(r) {
            let mut cs: Vec<&str> = cells(line).collect();
            if i == r {
                // "Nơi nhận: - Như trên;" and the right-hand cells beside it.
                let pos = cs.iter().position(|c| fold_str(c).starts_with("noi nhan")).unwrap_or(0);
                let head = cs.remove(pos);
                let after = head.split_once(':').map(|(_, a)| a.trim()).unwrap_or("");
                if !after.is_empty() {
                    recipients.push(clean_recipient(after));
                }
                sig.extend(cs.into_iter().map(|c| (i, c.to_string())));
                continue;
            }
            if cs.is_empty() {
                continue;
            }
            let first = cs[0];
            if in_list && is_recipient_start(first) {
                recipients.push(clean_recipient(first));
                sig.extend(cs[1..].iter().map(|c| (i, c.to_string())));
            } else if in_list
                && cs.len() >= 2
                && first.starts_with(|c: char| c.is_lowercase())
                && !recipients.is_empty()
            {
                if let Some(last) = recipients.last_mut() {
                    *last = clean_recipient(&format!("{last} {first}"));
                }
                sig.extend(cs[1..].iter().map(|c| (i, c.to_string())));
            } else if in_list
                && cs.len() == 1
                && first.starts_with(|c: char| c.is_lowercase())
                && !recipients.is_empty()
            {
                if let Some(last) = recipients.last_mut() {
                    *last = clean_recipient(&format!("{last} {first}"));
                }
            } else {
                // A left-hand cell that is not a recipient ends the list only in plain text (one
                // column); in layout text the list goes on in the left column.
                if cs.len() == 1 {
                    in_list = recipients.is_empty() && !is_upper(first) && person_name(first).is_none();
                }
                sig.extend(cs.into_iter().map(|c| (i, c.to_string())));
            }
        }
        recipients.retain(|r| !r.is_empty());
    } else {
        let start = lines.len().saturating_sub(12).max(body_start);
        for (i, line) in lines.iter().enumerate().skip(start) {
            // Only short lines can be part of a signature block.
            let l = flat(line);
            if l.chars().count() <= 80 {
                sig.extend(cells(line).map(|c| (i, c.to_string())));
            }
        }
    }
    let signer = if with_signer { signer_from(&sig) } else { None };
    Foot {
        recipients_line,
        recipients,
        signer,
    }
}

fn signer_from(sig: &[(usize, String)]) -> Option<Signer> {
    let name_idx = sig.iter().rposition(|(_, c)| {
        let f = fold_str(c);
        !is_noise(&f) && person_name(c).is_some() && !(is_upper(c) && looks_like_office(&f))
    })?;
    let (rank, name) = person_name(&sig[name_idx].1)?;
    // Authority and position lines: upper-case cells above the name.
    let mut above: Vec<String> = Vec::new();
    for (_, c) in sig[..name_idx].iter().rev() {
        let f = fold_str(c);
        if is_noise(&f) {
            continue;
        }
        if is_upper(c) && c.split_whitespace().count() <= 10 {
            above.push(case_name(c));
            // "TM.", "KT.", "TL.", "TUQ." end the block; "Q. CHỦ TỊCH" (acting) is a position
            // like "CHỦ TỊCH" under "TM. ỦY BAN NHÂN DÂN".
            if AUTHORITY.iter().any(|a| f.starts_with(a)) && !f.starts_with("q.") {
                break;
            }
        } else {
            break;
        }
    }
    above.reverse();
    let position = (rank.is_some() && !above.is_empty()).then(|| above.join(" / "));
    let title_or_rank = rank.or_else(|| (!above.is_empty()).then(|| above.join(" / ")));
    Some(Signer {
        name,
        title_or_rank,
        position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directive::prep::clean_lines;

    #[test]
    fn names_and_ranks() {
        assert_eq!(
            person_name("Thiếu tướng Đỗ Mạnh Vui"),
            Some((Some("Thiếu tướng".into()), "Đỗ Mạnh Vui".into()))
        );
        assert_eq!(person_name("Bùi Văn Phúc"), Some((None, "Bùi Văn Phúc".into())));
        assert_eq!(person_name("NGUYỄN VĂN AN"), Some((None, "Nguyễn Văn An".into())));
        assert!(person_name("Lưu: VT, TH").is_none());
        assert!(person_name("Chỉ thị này phổ biến đến chi bộ./.").is_none());
        assert!(person_name("Nguyễn").is_none());
    }

    #[test]
    fn plain_foot() {
        let lines = clean_lines(
            "Nơi nhận:\n\n- BTV Tỉnh ủy (để b/c),\n- Lưu VPHU.\n\n**T/M BAN THƯỜNG VỤ**\n\n\n\nBùi Văn Phúc",
        );
        let f = read_foot(&lines, 0, true);
        assert_eq!(f.recipients, vec!["BTV Tỉnh ủy (để b/c)", "Lưu VPHU"]);
        let s = f.signer.unwrap();
        assert_eq!(s.name, "Bùi Văn Phúc");
        assert_eq!(s.title_or_rank.as_deref(), Some("T/M Ban Thường vụ"));
    }

    #[test]
    fn layout_foot_with_columns() {
        let text = "Nơi nhận:                                  TM. ỦY BAN NHÂN DÂN\n\
                    - Như trên;                                KT. CHỦ TỊCH\n\
                    - Bộ CHQS tỉnh (để b/c);                   PHÓ CHỦ TỊCH\n\
                    - Lưu: VT, QS.\n\
                    \n\
                                                               (Đã ký)\n\
                                                               Nguyễn Văn An";
        let lines = clean_lines(text);
        let f = read_foot(&lines, 0, true);
        assert_eq!(f.recipients, vec!["Như trên", "Bộ CHQS tỉnh (để b/c)", "Lưu: VT, QS"]);
        let s = f.signer.unwrap();
        assert_eq!(s.name, "Nguyễn Văn An");
        assert_eq!(s.title_or_rank.as_deref(), Some("KT. Chủ tịch / Phó Chủ tịch"));
    }

    #[test]
    fn acting_chairman_is_a_position_under_tm() {
        let lines = clean_lines("Nơi nhận:\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nQ. CHỦ TỊCH\n\nThái Văn Quang");
        let s = read_foot(&lines, 0, true).signer.unwrap();
        assert_eq!(s.title_or_rank.as_deref(), Some("TM. Ủy ban nhân dân / Q. Chủ tịch"));
    }

    #[test]
    fn no_foot() {
        let lines = clean_lines("Một đoạn văn dài không có chữ ký, kết thúc bằng dấu chấm.");
        let f = read_foot(&lines, 0, true);
        assert!(f.recipients.is_empty());
        assert!(f.signer.is_none());
    }
}
