//! Running an external program with a time limit, mapping "not installed" to a clear error.

use crate::ReadError;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One external program and the package that provides it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tool {
    pub name: &'static str,
    pub package: &'static str,
    pub purpose: &'static str,
}

pub(crate) const PDFTOTEXT: Tool = Tool {
    name: "pdftotext",
    package: "poppler-utils",
    purpose: "đọc tệp PDF",
};
pub(crate) const PDFTOPPM: Tool = Tool {
    name: "pdftoppm",
    package: "poppler-utils",
    purpose: "chuyển trang PDF thành ảnh",
};
pub(crate) const PDFINFO: Tool = Tool {
    name: "pdfinfo",
    package: "poppler-utils",
    purpose: "đọc khổ trang của tệp PDF",
};
pub(crate) const TESSERACT: Tool = Tool {
    name: "tesseract",
    package: "tesseract-ocr",
    purpose: "nhận dạng chữ từ ảnh quét",
};

/// The output of a finished program.
pub(crate) struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub success: bool,
}

/// Time limit of one call (one page of OCR at 300 dpi takes seconds, not minutes).
const LIMIT: Duration = Duration::from_secs(300);

/// When a running program must be stopped: a deadline, and a test asked every 20 ms (the user
/// cancelled, left, or the server is shutting down).
#[derive(Clone)]
pub struct Stop {
    pub deadline: Instant,
    pub asked: std::sync::Arc<dyn Fn() -> bool + Send + Sync>,
}

impl Stop {
    /// Only the deadline of one call.
    pub fn after(limit: Duration) -> Stop {
        Stop {
            deadline: Instant::now() + limit,
            asked: std::sync::Arc::new(|| false),
        }
    }

    /// Why the work must stop now, if it must.
    pub(crate) fn reason(&self) -> Option<ReadError> {
        if (self.asked)() {
            Some(ReadError::Cancelled)
        } else if Instant::now() >= self.deadline {
            Some(ReadError::TimedOut)
        } else {
            None
        }
    }
}

pub(crate) fn run(tool: Tool, args: &[&std::ffi::OsStr]) -> Result<Output, ReadError> {
    run_until(tool, args, &Stop::after(LIMIT))
}

/// Runs `tool` until it ends or `stop` says so; then the child (only the one this function
/// started) is killed and waited for, so no program outlives the reading.
pub(crate) fn run_until(tool: Tool, args: &[&std::ffi::OsStr], stop: &Stop) -> Result<Output, ReadError> {
    if let Some(why) = stop.reason() {
        return Err(why);
    }
    let mut child = Command::new(tool.name)
        .args(args)
        // tesseract's OpenMP threads: one core per page, the other stays for the server.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ReadError::ToolMissing {
                    tool: tool.name,
                    package: tool.package,
                    purpose: tool.purpose,
                }
            } else {
                ReadError::ToolFailed {
                    tool: tool.name,
                    detail: format!("không chạy được ({e})"),
                }
            }
        })?;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {
                if let Some(why) = stop.reason() {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = out_t.join();
                    let _ = err_t.join();
                    return Err(why);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ReadError::ToolFailed {
                    tool: tool.name,
                    detail: e.to_string(),
                });
            }
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default())
        .trim()
        .to_string();
    Ok(Output {
        stdout,
        stderr,
        success: status.success(),
    })
}

/// The last meaningful line of a program's error output.
pub(crate) fn last_line(stderr: &str) -> String {
    let l = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("không rõ lỗi");
    l.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_program_is_killed() {
        let t = Tool {
            name: "sleep",
            package: "coreutils",
            purpose: "chờ",
        };
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f = flag.clone();
        let stop = Stop {
            deadline: Instant::now() + Duration::from_secs(600),
            asked: std::sync::Arc::new(move || f.load(std::sync::atomic::Ordering::Relaxed)),
        };
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let e = run_until(t, &[std::ffi::OsStr::new("600")], &stop)
            .err()
            .expect("stopped");
        setter.join().unwrap();
        assert!(matches!(e, ReadError::Cancelled), "{e}");
        let e = run_until(
            t,
            &[std::ffi::OsStr::new("600")],
            &Stop::after(Duration::from_millis(100)),
        )
        .err()
        .expect("deadline");
        assert!(matches!(e, ReadError::TimedOut), "{e}");
    }

    #[test]
    fn a_missing_program_is_named_with_its_package() {
        let t = Tool {
            name: "phongthu-khong-co-chuong-trinh-nay",
            package: "goi-thu",
            purpose: "thử",
        };
        let e = run(t, &[]).err().expect("missing program");
        assert!(matches!(e, ReadError::ToolMissing { .. }));
        assert_eq!(
            e.to_string(),
            "Không tìm thấy chương trình phongthu-khong-co-chuong-trinh-nay để thử; hãy cài gói goi-thu (apt-get install goi-thu)."
        );
        assert_eq!(last_line("a\n\n  b  \n\n"), "b");
    }
}
