//! Reading a scanned document (PDF or image) in the background: OCR takes seconds per page, so
//! the upload answers at once with a job page that refreshes itself and shows the progress, and
//! the reading runs on the blocking pool, one at a time ([`OCR_AT_ONCE`]), within the reader's
//! bounds ([`phongthu_documents::ReadLimits`]: pages, page size, pixels, total time).
//!
//! The reading stops, and its `pdftoppm`/`tesseract` children are killed, when the user cancels
//! it, when nobody has looked at its page for [`ABANDONED_AFTER`] (the user left), and when the
//! server shuts down. Its result is shown once: the page then renders the prefilled registration
//! form and forgets the job.

use super::directives::show_read;
use super::{render, Chrome};
use crate::error::AppError;
use crate::jobs::JobState;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use phongthu_documents::{Extracted, FileType, ReadLimits, Stop};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A reading whose page nobody has loaded for this long is abandoned and stopped (the page
/// refreshes every 2 seconds while it runs).
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);
/// Readings that run OCR at the same time (each uses a core and up to a few hundred MB).
pub const OCR_AT_ONCE: usize = 1;

/// One reading, visible only to the user who started it.
pub struct ReadJob {
    owner: Option<i64>,
    file_name: String,
    bytes: Vec<u8>,
    progress: String,
    outcome: Option<Result<Extracted, String>>,
    finished: Option<Instant>,
    cancel: Arc<AtomicBool>,
    seen: Arc<Mutex<Instant>>,
}

impl JobState for ReadJob {
    fn finished_at(&self) -> Option<Instant> {
        self.finished
    }
}

pub type ReadJobs = crate::jobs::JobTable<ReadJob>;

/// What the server shares with the readings: the OCR turn and the shutdown flag.
pub struct Readers {
    pub jobs: ReadJobs,
    turn: tokio::sync::Semaphore,
    shutting_down: Arc<AtomicBool>,
}

impl Default for Readers {
    fn default() -> Self {
        Readers {
            jobs: ReadJobs::default(),
            turn: tokio::sync::Semaphore::new(OCR_AT_ONCE),
            shutting_down: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Readers {
    /// Stops every reading (their programs are killed within 20 ms) and refuses new ones.
    pub fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.turn.close();
        for j in self.jobs.all() {
            j.lock()
                .unwrap_or_else(|e| e.into_inner())
                .cancel
                .store(true, Ordering::SeqCst);
        }
    }
}

/// Whether an upload is a scan that goes to OCR (a PDF may have a text layer: it is read the
/// same way, quickly).
pub fn needs_job(bytes: &[u8]) -> bool {
    matches!(phongthu_documents::detect(bytes), FileType::Pdf | FileType::Image(_))
}

/// The test a reading asks every 20 ms: cancelled, abandoned, or the server is stopping.
fn stop_test(cancel: Arc<AtomicBool>, seen: Arc<Mutex<Instant>>, down: Arc<AtomicBool>) -> impl Fn() -> bool {
    move || {
        cancel.load(Ordering::Relaxed)
            || down.load(Ordering::Relaxed)
            || seen.lock().map(|t| t.elapsed() > ABANDONED_AFTER).unwrap_or(true)
    }
}

/// Starts the reading of `bytes` and sends the user to its page.
pub fn start(state: &AppState, viewer: &Viewer, file_name: String, bytes: Vec<u8>) -> Result<Response, AppError> {
    let readers = state.readers();
    if readers.shutting_down.load(Ordering::SeqCst) {
        return Err(AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "Máy chủ đang dừng; hãy tải tệp lên lại sau ít phút.",
        ));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Instant::now()));
    let job = Arc::new(Mutex::new(ReadJob {
        owner: viewer.actor.user_id,
        file_name,
        bytes: bytes.clone(),
        progress: "Đang chờ đến lượt nhận dạng chữ…".into(),
        outcome: None,
        finished: None,
        cancel: cancel.clone(),
        seen: seen.clone(),
    }));
    let id = crate::csrf::new_token();
    readers.jobs.insert(id.clone(), job.clone());
    let stop = Stop {
        deadline: Instant::now() + phongthu_documents::READ_TIME_LIMIT,
        asked: Arc::new(stop_test(cancel, seen, readers.shutting_down.clone())),
    };
    let state = state.clone();
    tokio::spawn(async move {
        let finish = |outcome: Result<Extracted, String>| {
            let mut j = job.lock().unwrap_or_else(|e| e.into_inner());
            j.outcome = Some(outcome);
            j.finished = Some(Instant::now());
        };
        // One OCR at a time; the wait counts in the reading's time and can be cancelled.
        let permit = tokio::select! {
            p = state.readers().turn.acquire() => p,
            _ = async {
                while !(stop.asked)() && Instant::now() < stop.deadline {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            } => {
                finish(Err(read_error(phongthu_documents::ReadError::Cancelled)));
                return;
            }
        };
        let Ok(_permit) = permit else {
            finish(Err(read_error(phongthu_documents::ReadError::Cancelled)));
            return;
        };
        let worker_job = job.clone();
        let limits = ReadLimits {
            stop,
            ..ReadLimits::default()
        };
        let read = tokio::task::spawn_blocking(move || -> Result<Extracted, String> {
            let mut tmp = tempfile::NamedTempFile::new().map_err(|e| format!("Không tạo được tệp tạm: {e}."))?;
            tmp.write_all(&bytes)
                .map_err(|e| format!("Không lưu được tệp tải lên: {e}."))?;
            phongthu_documents::read_document_within(tmp.path(), &limits, &mut |p| {
                if let Ok(mut j) = worker_job.lock() {
                    j.progress = p.to_string();
                }
            })
            .map_err(read_error)
        })
        .await
        .unwrap_or_else(|_| Err("Bộ đọc văn bản dừng đột ngột.".into()));
        finish(read);
    });
    Ok(Redirect::to(&format!("/documents/upload/{id}")).into_response())
}

fn read_error(e: phongthu_documents::ReadError) -> String {
    match e {
        phongthu_documents::ReadError::Io { .. } => "Không đọc được tệp tải lên.".to_string(),
        other => other.to_string(),
    }
}

fn find(state: &AppState, viewer: &Viewer, id: &str) -> Result<Arc<Mutex<ReadJob>>, AppError> {
    state
        .readers()
        .jobs
        .get(id)
        .filter(|j| j.lock().map(|j| j.owner == viewer.actor.user_id).unwrap_or(false))
        .ok_or_else(|| {
            AppError::not_found(
                "Không tìm thấy lượt đọc tệp này (đã xong, đã hủy, đã hết hạn hoặc không phải của bạn).",
            )
        })
}

#[derive(Template)]
#[template(path = "doc_reading.html")]
struct ReadingPage {
    chrome: Chrome,
    job_id: String,
    file_name: String,
    progress: String,
}

/// The job's page: its progress while it runs, then the prefilled form (once).
pub async fn page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    let job = find(&state, &viewer, &id)?;
    let (done, page) = {
        let mut j = job.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(mut t) = j.seen.lock() {
            *t = Instant::now();
        }
        match j.outcome.take() {
            Some(outcome) => (Some((j.file_name.clone(), std::mem::take(&mut j.bytes), outcome)), None),
            None => (
                None,
                Some(ReadingPage {
                    chrome: Chrome::new(&state, Some(&viewer), "Đang đọc văn bản", "documents"),
                    job_id: id.clone(),
                    file_name: j.file_name.clone(),
                    progress: j.progress.clone(),
                }),
            ),
        }
    };
    if let Some((name, bytes, outcome)) = done {
        state.readers().jobs.remove(&id);
        return show_read(&state, &viewer, name, &bytes, outcome).await;
    }
    let mut res = render(&page.expect("a running job's page"))?;
    res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("2"));
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct CancelForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Cancels the reading: its programs are killed, nothing is kept.
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CancelForm>,
) -> Result<Response, AppError> {
    crate::csrf::verify(&viewer.csrf, &f.csrf)?;
    let job = find(&state, &viewer, &id)?;
    job.lock()
        .unwrap_or_else(|e| e.into_inner())
        .cancel
        .store(true, Ordering::SeqCst);
    state.readers().jobs.remove(&id);
    Ok(Redirect::to("/documents/new").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_stops_when_cancelled_abandoned_or_at_shutdown() {
        let flags = || {
            (
                Arc::new(AtomicBool::new(false)),
                Arc::new(Mutex::new(Instant::now())),
                Arc::new(AtomicBool::new(false)),
            )
        };
        let (c, seen, down) = flags();
        let t = stop_test(c.clone(), seen.clone(), down.clone());
        assert!(!t());
        c.store(true, Ordering::Relaxed);
        assert!(t(), "cancelled");
        let (c, seen, down) = flags();
        let t = stop_test(c, seen.clone(), down);
        *seen.lock().unwrap() = Instant::now() - ABANDONED_AFTER - Duration::from_secs(1);
        assert!(t(), "nobody looked at the page: abandoned");
        let (c, seen, down) = flags();
        let t = stop_test(c, seen, down.clone());
        down.store(true, Ordering::Relaxed);
        assert!(t(), "the server is stopping");
    }
}
