//! The reader's bounds on hostile files: too many scanned pages, a page too large, an image
//! declaring a huge picture are refused before any OCR; a cancelled reading kills its programs.
//! The PDFs are made here (`hostile::blank_pdf`). The tools are required with
//! `PHONGTHU_REQUIRE_OCR=1` (set by scripts/test-all.sh and CI).

use phongthu_documents::hostile::{blank_pdf, huge_png_header};
use phongthu_documents::{read_document, read_document_within, tool_available, ReadError, ReadLimits, Stop};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn tools_or_skip(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !tool_available(t)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
        panic!("PHONGTHU_REQUIRE_OCR=1 nhưng thiếu: {}", missing.join(", "));
    }
    eprintln!(
        "BỎ QUA (thiếu {}): đặt PHONGTHU_REQUIRE_OCR=1 để bắt buộc",
        missing.join(", ")
    );
    false
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The programs this process started that still run (from /proc: parent id and name).
fn children_named(names: &[&str]) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some(close) = stat.rfind(')') else { continue };
        let comm = &stat[stat.find('(').unwrap() + 1..close];
        let ppid = stat[close + 2..].split_whitespace().nth(1).unwrap_or("");
        if ppid == me && names.contains(&comm) {
            out.push(comm.to_string());
        }
    }
    out
}

#[test]
fn thirty_blank_pages_are_refused_before_any_ocr() {
    if !tools_or_skip(&["pdftotext", "pdfinfo"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = blank_pdf(30, 595, 842);
    assert!(pdf.len() < 4096, "{}", pdf.len());
    let p = write(&dir, "trang-trang.pdf", &pdf);
    let mut steps = Vec::new();
    let e = read_document(&p, &mut |s| steps.push(s)).unwrap_err();
    assert!(matches!(e, ReadError::TooManyPages { pages: 30, limit: 20 }), "{e}");
    assert!(e.to_string().contains("30 trang"), "{e}");
    assert!(
        !steps
            .iter()
            .any(|s| matches!(s, phongthu_documents::Progress::Rasterising { .. })),
        "no page was rendered: {steps:?}"
    );
}

#[test]
fn a_page_of_4000_points_is_refused() {
    if !tools_or_skip(&["pdftotext", "pdfinfo"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "kho-lon.pdf", &blank_pdf(1, 4000, 4000));
    let e = read_document(&p, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::PageTooLarge {
                page: 1,
                width: 4000,
                height: 4000,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("4000 × 4000"), "{e}");
    // Within the bound (A3) the page goes on to OCR and is then found empty or read.
    let limits = ReadLimits {
        max_ocr_pages: 1,
        ..ReadLimits::default()
    };
    let p = write(&dir, "hai-trang.pdf", &blank_pdf(2, 842, 1191));
    let e = read_document_within(&p, &limits, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ReadError::TooManyPages { pages: 2, limit: 1 }), "{e}");
}

#[test]
fn an_image_declaring_a_huge_picture_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "bom.png", &huge_png_header(40_000, 40_000));
    let e = read_document(&p, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ReadError::ImageTooLarge { width: 40_000, .. }), "{e}");
}

#[test]
fn a_cancelled_or_late_reading_kills_its_programs() {
    if !tools_or_skip(&["pdftotext", "pdfinfo", "pdftoppm", "tesseract"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Five blank A4 pages: seconds of OCR each.
    let p = write(&dir, "nam-trang.pdf", &blank_pdf(5, 595, 842));
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let limits = ReadLimits {
        stop: Stop {
            deadline: Instant::now() + Duration::from_secs(600),
            asked: Arc::new(move || c.load(Ordering::Relaxed)),
        },
        ..ReadLimits::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        read_document_within(&p, &limits, &mut |s| {
            let _ = tx.send(s);
        })
    });
    // Cancel once the first page is being rendered or recognised.
    loop {
        match rx.recv().unwrap() {
            phongthu_documents::Progress::Rasterising { .. } | phongthu_documents::Progress::Recognising { .. } => {
                break
            }
            _ => {}
        }
    }
    cancel.store(true, Ordering::Relaxed);
    let e = reader.join().unwrap().unwrap_err();
    assert!(matches!(e, ReadError::Cancelled), "{e}");
    assert_eq!(children_named(&["tesseract", "pdftoppm"]), Vec::<String>::new());

    // The deadline of the whole reading stops it the same way.
    let p = write(&dir, "nam-trang-2.pdf", &blank_pdf(5, 595, 842));
    let limits = ReadLimits {
        stop: Stop::after(Duration::from_millis(1500)),
        ..ReadLimits::default()
    };
    let e = read_document_within(&p, &limits, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ReadError::TimedOut), "{e}");
    assert!(e.to_string().contains("quá thời gian"), "{e}");
    assert_eq!(children_named(&["tesseract", "pdftoppm"]), Vec::<String>::new());
}
