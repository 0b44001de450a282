//! Large batches typeset in chunks: the chunked file has exactly the pages of the batch typeset
//! at once, with the same text on each page, and is read by poppler (pdfinfo, pdftotext) like
//! any other. Without poppler-utils the comparisons by text are skipped, unless
//! `PHONGTHU_REQUIRE_OCR=1` (as in CI), when they fail.

mod common;
use common::report;
use phongthu_documents::official::{batch_pdf, Block, OfficialDocument};
use phongthu_documents::pdf_batch::batch_pdf_chunked;
use phongthu_documents::tool_available;
use std::process::Command;
use std::sync::Mutex;

/// Decision-like documents of one to three pages each (tables of different lengths).
fn batch(n: usize) -> Vec<OfficialDocument> {
    (0..n)
        .map(|i| {
            let mut doc = report();
            doc.signer.name = format!("Người ký {i}");
            doc.body.push(Block::Table {
                headers: vec!["TT".into(), "Họ và tên".into()],
                rows: (1..=(i % 3) * 30 + 1)
                    .map(|r| vec![r.to_string(), format!("Trần Văn Hùng {i}-{r}")])
                    .collect(),
                widths_pct: Some(vec![20, 80]),
            });
            doc
        })
        .collect()
}

/// The page count as the file's own page tree says (hayro, no outside tool).
fn pages(pdf: &[u8]) -> usize {
    phongthu_documents::pdf_batch::page_count(pdf).expect("a readable PDF")
}

fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Option<String> {
    if !tool_available(tool) {
        assert_ne!(
            std::env::var("PHONGTHU_REQUIRE_OCR").as_deref(),
            Ok("1"),
            "thiếu {tool}"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tap.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&path);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn chunked_batch_has_the_pages_and_text_of_the_whole_batch() {
    let docs = batch(7);
    let whole = batch_pdf(&docs).unwrap();
    let seen = Mutex::new(vec![]);
    let chunked = batch_pdf_chunked(&docs, 3, &|n| seen.lock().unwrap().push(n)).unwrap();
    assert_ne!(whole, chunked, "the chunked path was taken");
    // Two chunks at a time on two cores, one at a time on one: the last report is the batch.
    assert_eq!(seen.lock().unwrap().last(), Some(&7));
    let n = pages(&whole);
    assert!(n > 7, "{n}");
    assert_eq!(pages(&chunked), n);
    if let (Some(a), Some(b)) = (
        poppler("pdftotext", &["-enc", "UTF-8"], &whole),
        poppler("pdftotext", &["-enc", "UTF-8"], &chunked),
    ) {
        assert_eq!(a, b);
        assert!(b.contains("Người ký 6") && b.contains("Trần Văn Hùng 5-61"));
    }
    if let Some(info) = poppler("pdfinfo", &[], &chunked) {
        let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).map(str::trim);
        assert_eq!(pages, Some(n.to_string().as_str()), "{info}");
        assert!(info.contains("Tập 7 văn bản"), "{info}");
    }
}

#[test]
fn a_batch_of_one_chunk_is_the_batch_file() {
    let docs = batch(2);
    assert_eq!(
        batch_pdf_chunked(&docs, 200, &|_| {}).unwrap(),
        batch_pdf(&docs).unwrap()
    );
}
