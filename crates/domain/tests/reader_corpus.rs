//! The reader's scorer: every document of `tests/corpus/{tuning,heldout}` is read by
//! [`parse`] and compared field by field with its hand annotation; the accuracy per field is
//! printed for both sets (`cargo test -p phongthu-domain --test reader_corpus -- --nocapture`).
//!
//! Comparison: text fields are equal after normalisation (NFC, lower case, single spaces, tone
//! marks at the end of the syllable so "uỷ" = "ủy", no trailing punctuation, no emphasis marks);
//! the signer is right when name and title or rank both are; recipients when the whole list is;
//! a task is found when a task read has a text of token F1 ≥ 0.8 with the annotated whole text
//! (a task cut at 200 characters is not found), and right when its lead is also the annotated one.
//! Tasks score right / max(annotated, read) per document, so tasks read in excess count against.
//!
//! `READER_CORPUS_DIFF=1` prints the differences of the tuning documents (never of the held-out
//! ones, which are kept out of tuning).

use phongthu_domain::directive::{parse, ParsedDirective};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;

const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// Normalised text for comparison (a key, not for display): each word in lower case with its
/// tone mark moved to its end, so that "uỷ" and "ủy" compare equal.
fn norm(s: &str) -> String {
    let s = s.replace(['*', '_'], "").replace(['–', '—'], "-");
    let s = s.trim().trim_end_matches(['.', ';', ',', ':', ' ', '/']);
    let words: Vec<String> = s
        .split_whitespace()
        .map(|w| {
            let d: Vec<char> = w.to_lowercase().nfd().collect();
            let tones: String = d.iter().filter(|c| TONES.contains(c)).collect();
            let rest: String = d.iter().filter(|c| !TONES.contains(c)).collect();
            format!("{rest}{tones}")
        })
        .collect();
    words.join(" ")
}

fn opt_eq(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => norm(x) == norm(y),
        _ => a.is_null() && b.is_null(),
    }
}

fn tokens(s: &str) -> Vec<String> {
    norm(s)
        .split(|c: char| !c.is_alphanumeric() && c != '%')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Token F1 of two texts (multiset overlap).
fn f1(a: &str, b: &str) -> f64 {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let mut counts: BTreeMap<&str, i32> = BTreeMap::new();
    for t in &tb {
        *counts.entry(t).or_default() += 1;
    }
    let mut common = 0;
    for t in &ta {
        if let Some(c) = counts.get_mut(t.as_str()) {
            if *c > 0 {
                *c -= 1;
                common += 1;
            }
        }
    }
    let p = common as f64 / ta.len() as f64;
    let r = common as f64 / tb.len() as f64;
    if common == 0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// (found, found with the right lead, max(annotated, read)).
fn match_tasks(want: &[Value], got: &[Value]) -> (usize, usize, usize) {
    let mut used = vec![false; got.len()];
    let (mut found, mut with_lead) = (0, 0);
    for w in want {
        let wt = w["summary"].as_str().unwrap_or("");
        let best = got
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, g)| (i, f1(wt, g["summary"].as_str().unwrap_or(""))))
            .filter(|(_, s)| *s >= 0.8)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = best {
            used[i] = true;
            found += 1;
            if opt_eq(&w["lead"], &got[i]["lead"]) {
                with_lead += 1;
            }
        }
    }
    (found, with_lead, want.len().max(got.len()))
}

const FIELDS: &[&str] = &[
    "kind",
    "number_symbol",
    "date",
    "place",
    "issuer",
    "title",
    "signer",
    "recipients",
    "tasks (text)",
    "tasks + lead",
];

#[derive(Default)]
struct Score {
    /// field → (right, total)
    by_field: BTreeMap<&'static str, (usize, usize)>,
    docs: usize,
}

impl Score {
    fn add(&mut self, f: &'static str, right: usize, total: usize) {
        let e = self.by_field.entry(f).or_default();
        e.0 += right;
        e.1 += total;
    }
    fn ratio(&self, f: &str) -> f64 {
        let (r, t) = self.by_field.get(f).copied().unwrap_or((0, 0));
        if t == 0 {
            1.0
        } else {
            r as f64 / t as f64
        }
    }
}

/// Compares one document; returns its differences.
fn score_doc(expected: &Value, got: &Value, s: &mut Score) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut field = |name: &'static str, ok: bool, s: &mut Score, what: String| {
        s.add(name, usize::from(ok), 1);
        if !ok {
            diffs.push(what);
        }
    };
    for f in ["kind", "number_symbol", "date", "place", "issuer", "title"] {
        let ok = opt_eq(&expected[f], &got[f]);
        let name = FIELDS.iter().find(|x| **x == f).expect("field");
        field(name, ok, s, format!("{f}: got {} want {}", got[f], expected[f]));
    }
    let (es, gs) = (&expected["signer"], &got["signer"]);
    let signer_ok = if es.is_null() || gs.is_null() {
        es.is_null() && gs.is_null()
    } else {
        opt_eq(&es["name"], &gs["name"]) && opt_eq(&es["title_or_rank"], &gs["title_or_rank"])
    };
    field("signer", signer_ok, s, format!("signer: got {gs} want {es}"));
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|x| norm(x.as_str().unwrap_or(""))).collect())
            .unwrap_or_default()
    };
    let rec_ok = list(&expected["recipients"]) == list(&got["recipients"]);
    field(
        "recipients",
        rec_ok,
        s,
        format!("recipients: got {} want {}", got["recipients"], expected["recipients"]),
    );
    let empty = Vec::new();
    let want = expected["tasks"].as_array().unwrap_or(&empty);
    let read = got["tasks"].as_array().unwrap_or(&empty);
    let (found, with_lead, total) = match_tasks(want, read);
    s.add("tasks (text)", found, total);
    s.add("tasks + lead", with_lead, total);
    if with_lead < total {
        let show = |ts: &[Value]| -> String {
            ts.iter()
                .map(|t| format!("\n      [{}] lead={} | {}", t["ordinal"], t["lead"], t["summary"]))
                .collect()
        };
        diffs.push(format!(
            "tasks: {with_lead}/{total} right ({found} found)\n    want:{}\n    got:{}",
            show(want),
            show(read)
        ));
    }
    s.docs += 1;
    diffs
}

fn score_set(dir: &str, show_diffs: bool) -> Score {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut s = Score::default();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("utf-8 document");
        let json = std::fs::read_to_string(f.with_extension("json")).expect("every document has its annotation");
        let expected: Value = serde_json::from_str(&json).expect("annotation JSON");
        // The annotation is a contract object.
        let _: ParsedDirective = serde_json::from_value(expected.clone()).expect("annotation in the contract format");
        let got = serde_json::to_value(parse(&text)).expect("JSON");
        let diffs = score_doc(&expected, &got, &mut s);
        if show_diffs && !diffs.is_empty() {
            println!("--- {}", f.file_name().unwrap_or_default().to_string_lossy());
            for d in diffs {
                println!("  {d}");
            }
        }
    }
    s
}

/// Figures no lower than these on the held-out set (the table in docs/PERFORMANCE.md); the test
/// fails when a change of the reader loses accuracy on text it was not tuned on.
const HELD_OUT_FLOOR: &[(&str, f64)] = &[
    ("kind", 1.0),
    ("number_symbol", 1.0),
    ("date", 1.0),
    ("place", 1.0),
    ("issuer", 0.95),
    ("title", 0.95),
    ("signer", 1.0),
    ("recipients", 1.0),
    ("tasks (text)", 1.0),
    ("tasks + lead", 0.92),
];

#[test]
fn corpus_per_field_accuracy() {
    let diff = std::env::var("READER_CORPUS_DIFF").is_ok_and(|v| v == "1");
    let tuning = score_set("tuning", diff);
    let held = score_set("heldout", false);
    assert!(tuning.docs + held.docs >= 40, "the corpus has at least 40 documents");
    println!(
        "| field | tuning ({} docs) | held-out ({} docs) |",
        tuning.docs, held.docs
    );
    println!("|---|---|---|");
    for f in FIELDS {
        let (tr, tt) = tuning.by_field.get(f).copied().unwrap_or((0, 0));
        let (hr, ht) = held.by_field.get(f).copied().unwrap_or((0, 0));
        println!(
            "| {f} | {:.2} ({tr}/{tt}) | {:.2} ({hr}/{ht}) |",
            tuning.ratio(f),
            held.ratio(f)
        );
    }
    for (f, floor) in HELD_OUT_FLOOR {
        assert!(
            held.ratio(f) + 1e-9 >= *floor,
            "held-out accuracy of {f} fell to {:.2} (floor {floor})",
            held.ratio(f)
        );
    }
}

#[test]
fn the_comparison_is_strict_where_it_must_be() {
    // Tone placement, case, emphasis and trailing punctuation do not matter…
    assert_eq!(norm("Huyện uỷ Kim Động."), norm("HUYỆN ỦY **Kim Động**"));
    // …diacritics do.
    assert_ne!(norm("Kiện ton"), norm("Kiện toàn"));
    let whole = "Ban Chỉ huy Quân sự huyện chủ trì, phối hợp với Phòng Tài chính - Kế hoạch huyện lập dự toán kinh phí huấn luyện, trình Ủy ban nhân dân huyện phê duyệt trước ngày 20/3/2025; tổ chức huấn luyện dân quân năm thứ nhất tập trung tại xã, bảo đảm quân số tham gia đạt từ 95% trở lên, báo cáo kết quả về Ban Chỉ huy Quân sự huyện sau khi kết thúc huấn luyện";
    let cut: String = whole.chars().take(120).collect::<String>() + " ...";
    let want = vec![serde_json::json!({"summary": whole, "lead": "Ban Chỉ huy Quân sự huyện"})];
    // A task cut short is not found.
    assert_eq!(
        match_tasks(
            &want,
            &[serde_json::json!({"summary": cut, "lead": "Ban Chỉ huy Quân sự huyện"})]
        ),
        (0, 0, 1)
    );
    // The whole text with another lead is found but not right.
    assert_eq!(
        match_tasks(&want, &[serde_json::json!({"summary": whole, "lead": "Công an huyện"})]),
        (1, 0, 1)
    );
    // Tasks read in excess count against.
    let two = vec![
        serde_json::json!({"summary": whole, "lead": "Ban Chỉ huy Quân sự huyện"}),
        serde_json::json!({"summary": "Một việc khác hẳn", "lead": null}),
    ];
    assert_eq!(match_tasks(&want, &two), (1, 1, 2));
}
