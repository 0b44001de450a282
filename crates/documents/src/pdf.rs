//! PDF (text layer through `pdftotext -layout`; pages without one are rasterised with
//! `pdftoppm -r 300` and recognised with `tesseract -l vie`) and images (tesseract directly).

use crate::tool::{self, last_line, Tool, PDFTOPPM, PDFTOTEXT, TESSERACT};
use crate::{Extracted, Progress, ReadError, SourceKind};
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

pub(crate) fn read_pdf(path: &Path, progress: &mut dyn FnMut(Progress)) -> Result<Extracted, ReadError> {
    let p = safe_path(path);
    progress(Progress::ExtractingText);
    let out = tool::run(
        PDFTOTEXT,
        &[
            OsStr::new("-layout"),
            OsStr::new("-enc"),
            OsStr::new("UTF-8"),
            p.as_os_str(),
            OsStr::new("-"),
        ],
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
    if pages.iter().any(|pg| !has_text(pg)) {
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
            let r = tool::run(
                PDFTOPPM,
                &[
                    OsStr::new("-r"),
                    OsStr::new("300"),
                    OsStr::new("-png"),
                    OsStr::new("-f"),
                    &num,
                    OsStr::new("-l"),
                    &num,
                    OsStr::new("-singlefile"),
                    p.as_os_str(),
                    prefix.as_os_str(),
                ],
            )?;
            let png = prefix.with_extension("png");
            if !r.success || !png.exists() {
                return Err(ReadError::ToolFailed {
                    tool: PDFTOPPM.name,
                    detail: last_line(&r.stderr),
                });
            }
            progress(Progress::Recognising { page: n, pages: total });
            *page = ocr_image(&png)?;
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

/// Recognises the Vietnamese text of an image file.
pub(crate) fn ocr_image(path: &Path) -> Result<String, ReadError> {
    let p = safe_path(path);
    let out = tool::run(
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
