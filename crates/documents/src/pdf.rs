//! PDF (text layer through `pdftotext -layout`; pages without one are rasterised with
//! `pdftoppm -r 300` and recognised with `tesseract -l vie`) and images (tesseract directly).

use crate::tool::{self, last_line, Stop, Tool, PDFINFO, PDFTOPPM, PDFTOTEXT, TESSERACT};
use crate::{Extracted, Progress, ReadError, ReadLimits, SourceKind};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// A path that no program takes for an option ("-x.pdf" → "./-x.pdf").
fn safe_path(path: &Path) -> PathBuf {
    if path.to_string_lossy().starts_with('-') {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

/// True when a page of extracted text holds some words (not just spaces or stray marks).
fn has_text(page: &str) -> bool {
    page.chars().filter(|c| c.is_alphanumeric()).count() >= 3
}

/// The size in points of each page (`pdfinfo -f 1 -l N`: "Page    3 size: 595 x 842 pts").
fn page_sizes(p: &Path, pages: usize, stop: &Stop) -> Result<Vec<(f64, f64)>, ReadError> {
    let last = OsString::from(pages.max(1).to_string());
    let out = tool::run_until(
        PDFINFO,
        &[
            OsStr::new("-f"),
            OsStr::new("1"),
            OsStr::new("-l"),
            &last,
            p.as_os_str(),
        ],
        stop,
    )?;
    if !out.success {
        return Err(ReadError::ToolFailed {
            tool: PDFINFO.name,
            detail: last_line(&out.stderr),
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut sizes = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("Page").filter(|_| line.contains(" size:")) else {
            continue;
        };
        let dims = rest.split(" size:").nth(1).unwrap_or("");
        let mut nums = dims.split_whitespace().filter_map(|w| w.parse::<f64>().ok());
        if let (Some(w), Some(h)) = (nums.next(), nums.next()) {
            sizes.push((w, h));
        }
    }
    Ok(sizes)
}

/// The resolution that renders a page of `w × h` points at 300 dpi or less, with its longest
/// side at most `max_pixels`.
pub(crate) fn ocr_dpi(w: f64, h: f64, max_pixels: u32) -> u32 {
    let long = w.max(h).max(1.0);
    ((f64::from(max_pixels) * 72.0 / long).floor() as u32).clamp(36, 300)
}

pub(crate) fn read_pdf(
    path: &Path,
    limits: &ReadLimits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Extracted, ReadError> {
    let p = safe_path(path);
    let stop = &limits.stop;
    progress(Progress::ExtractingText);
    let out = tool::run_until(
        PDFTOTEXT,
        &[
            OsStr::new("-layout"),
            OsStr::new("-enc"),
            OsStr::new("UTF-8"),
            p.as_os_str(),
            OsStr::new("-"),
        ],
        stop,
    )?;
    if !out.success {
        let detail = last_line(&out.stderr);
        let detail = if detail.to_lowercase().contains("password") {
            "tệp PDF được khóa bằng mật khẩu".to_string()
        } else {
            detail
        };
        return Err(ReadError::ToolFailed {
            tool: PDFTOTEXT.name,
            detail,
        });
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // pdftotext ends every page with a form feed.
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.len() > 1 && pages.last().is_some_and(|l| l.trim().is_empty()) {
        pages.pop();
    }
    let total = pages.len().max(1);
    let mut source = SourceKind::PdfText;
    let scanned: Vec<usize> = (0..pages.len()).filter(|&i| !has_text(&pages[i])).collect();
    // Refused before any OCR: too many scanned pages, or one too large.
    if scanned.len() > limits.max_ocr_pages {
        return Err(ReadError::TooManyPages {
            pages: scanned.len(),
            limit: limits.max_ocr_pages,
        });
    }
    let sizes = if scanned.is_empty() {
        Vec::new()
    } else {
        page_sizes(&p, total, stop)?
    };
    for &i in &scanned {
        let (w, h) = sizes.get(i).copied().unwrap_or((595.0, 842.0));
        let limit = f64::from(limits.max_page_points);
        if w > limit || h > limit {
            return Err(ReadError::PageTooLarge {
                page: i + 1,
                width: w.round() as u32,
                height: h.round() as u32,
                limit: limits.max_page_points,
            });
        }
    }
    if !scanned.is_empty() {
        let dir = tempfile::tempdir().map_err(|e| ReadError::ToolFailed {
            tool: PDFTOPPM.name,
            detail: format!("không tạo được thư mục tạm ({e})"),
        })?;
        for (i, page) in pages.iter_mut().enumerate() {
            if has_text(page) {
                continue;
            }
            let n = i + 1;
            progress(Progress::Rasterising { page: n, pages: total });
            let prefix = dir.path().join(format!("trang{n}"));
            let num = OsString::from(n.to_string());
            let (w, h) = sizes.get(i).copied().unwrap_or((595.0, 842.0));
            let dpi = OsString::from(ocr_dpi(w, h, limits.max_pixels).to_string());
            let r = tool::run_until(
                PDFTOPPM,
                &[
                    OsStr::new("-r"),
                    &dpi,
                    OsStr::new("-png"),
                    OsStr::new("-f"),
                    &num,
                    OsStr::new("-l"),
                    &num,
                    OsStr::new("-singlefile"),
                    p.as_os_str(),
                    prefix.as_os_str(),
                ],
                stop,
            )?;
            let png = prefix.with_extension("png");
            if !r.success || !png.exists() {
                return Err(ReadError::ToolFailed {
                    tool: PDFTOPPM.name,
                    detail: last_line(&r.stderr),
                });
            }
            progress(Progress::Recognising { page: n, pages: total });
            *page = ocr_image(&png, stop)?;
            source = SourceKind::Ocr;
            let _ = std::fs::remove_file(&png);
        }
    }
    Ok(Extracted {
        text: pages.join("\n\n").replace('\u{c}', "\n\n"),
        source,
        pages: total,
        legacy: None,
    })
}

/// Refuses an image whose pixels would take OCR to gigabytes (a small file can declare a huge
/// picture); its size is read from its header.
pub(crate) fn check_image(bytes: &[u8], limits: &ReadLimits) -> Result<(), ReadError> {
    let limit = limits.max_pixels as usize;
    match imagesize::blob_size(bytes) {
        Ok(s) if s.width <= limit && s.height <= limit => Ok(()),
        Ok(s) => Err(ReadError::ImageTooLarge {
            width: s.width,
            height: s.height,
            limit,
        }),
        Err(_) => Err(ReadError::Unsupported),
    }
}

/// Recognises the Vietnamese text of an image file.
pub(crate) fn ocr_image(path: &Path, stop: &Stop) -> Result<String, ReadError> {
    let p = safe_path(path);
    let out = tool::run_until(
        TESSERACT,
        &[
            p.as_os_str(),
            OsStr::new("stdout"),
            OsStr::new("-l"),
            OsStr::new("vie"),
            // Keep the gaps between the columns of the header and the signature block.
            OsStr::new("-c"),
            OsStr::new("preserve_interword_spaces=1"),
        ],
        stop,
    )?;
    let err = out.stderr.to_lowercase();
    if err.contains("failed loading language") || err.contains("error opening data file") {
        return Err(ReadError::ToolMissing {
            tool: "tesseract (dữ liệu tiếng Việt)",
            package: "tesseract-ocr-vie",
            purpose: "nhận dạng chữ tiếng Việt",
        });
    }
    if !out.success {
        return Err(ReadError::ToolFailed {
            tool: TESSERACT.name,
            detail: last_line(&out.stderr),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when a program can be started (used by tests and diagnostics).
pub fn tool_available(name: &str) -> bool {
    let t = Tool {
        name: match name {
            "pdftotext" => "pdftotext",
            "pdftoppm" => "pdftoppm",
            "pdfinfo" => "pdfinfo",
            "pdffonts" => "pdffonts",
            "tesseract" => "tesseract",
            _ => return false,
        },
        package: "",
        purpose: "",
    };
    tool::run(t, &[OsStr::new("-v")]).is_ok()
}
