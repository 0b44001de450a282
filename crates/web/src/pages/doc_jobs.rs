//! Large document batches as background jobs. A PDF batch of more than
//! [`BACKGROUND_OVER_DOCS`] documents (a commune's call-up decisions) is typeset in chunks on the
//! blocking pool, one batch at a time for the whole server, while its page shows the progress
//! (refreshing itself) and then the link to the file, kept in a temporary file for an hour. A
//! batch over [`MAX_BATCH_DOCS`] is refused with a sentence saying how to print it instead.

use super::{render, Chrome};
use crate::error::AppError;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_documents::official::OfficialDocument;
use phongthu_documents::pdf_batch::{batch_pdf_chunked, CHUNK_DOCS};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Batches up to this many documents are typeset while the request waits (a few seconds).
pub const BACKGROUND_OVER_DOCS: usize = 400;
/// The most documents in one file.
pub const MAX_BATCH_DOCS: usize = 25_000;
/// How long a finished file stays available.
const KEEP: Duration = Duration::from_secs(3600);

pub struct DocJob {
    owner: Option<i64>,
    file_name: String,
    total: usize,
    done: usize,
    started: bool,
    outcome: Option<Result<tempfile::TempPath, String>>,
    created: Instant,
}

/// The jobs by id, and the lock that lets one batch be typeset at a time (the others wait their
/// turn, their pages saying so): two chunks of one batch already use both cores.
#[derive(Default)]
pub struct DocJobs {
    jobs: Mutex<HashMap<String, Arc<Mutex<DocJob>>>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// Refuses a batch larger than one file may be.
pub fn check_size(docs: usize) -> Result<(), AppError> {
    if docs > MAX_BATCH_DOCS {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Tập có {} văn bản, vượt quá {} văn bản trong một tệp PDF. Hãy in theo từng đợt nhỏ hơn \
                 hoặc tải bản Word (.docx).",
                super::directives::vi_count(docs as i64),
                super::directives::vi_count(MAX_BATCH_DOCS as i64)
            ),
        ));
    }
    Ok(())
}

/// Starts typesetting `docs` as `{stem}.pdf` in the background and sends the browser to the
/// job's page.
pub fn start(state: &AppState, viewer: &Viewer, docs: Vec<OfficialDocument>, stem: &str) -> Result<Response, AppError> {
    check_size(docs.len())?;
    let id = crate::csrf::new_token();
    let job = Arc::new(Mutex::new(DocJob {
        owner: viewer.actor.user_id,
        file_name: format!("{stem}.pdf"),
        total: docs.len(),
        done: 0,
        started: false,
        outcome: None,
        created: Instant::now(),
    }));
    {
        let mut jobs = state.doc_jobs().jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.retain(|_, j| j.lock().map(|j| j.created.elapsed() < KEEP).unwrap_or(false));
        jobs.insert(id.clone(), job.clone());
    }
    let turn = state.doc_jobs().turn.clone();
    tokio::spawn(async move {
        let _turn = turn.lock().await;
        if let Ok(mut j) = job.lock() {
            j.started = true;
        }
        let progress_job = job.clone();
        let written = tokio::task::spawn_blocking(move || -> Result<tempfile::TempPath, String> {
            let bytes = batch_pdf_chunked(&docs, CHUNK_DOCS, &|n| {
                if let Ok(mut j) = progress_job.lock() {
                    j.done = n;
                }
            })
            .map_err(|e| e.to_string())?;
            let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut file, &bytes).map_err(|e| e.to_string())?;
            Ok(file.into_temp_path())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        if let Ok(mut j) = job.lock() {
            j.outcome = Some(written.map_err(|e| format!("Không tạo được tệp PDF: {e}")));
        }
    });
    Ok(Redirect::to(&format!("/tep-in/{id}")).into_response())
}

fn find(state: &AppState, viewer: &Viewer, id: &str) -> Result<Arc<Mutex<DocJob>>, AppError> {
    let jobs = state.doc_jobs().jobs.lock().unwrap_or_else(|e| e.into_inner());
    jobs.get(id)
        .filter(|j| j.lock().map(|j| j.owner == viewer.actor.user_id).unwrap_or(false))
        .cloned()
        .ok_or_else(|| AppError::not_found("Không tìm thấy tệp đang in này (đã hết hạn hoặc không phải của bạn)."))
}

#[derive(Template)]
#[template(path = "doc_job.html")]
struct JobPage {
    chrome: Chrome,
    id: String,
    file_name: String,
    waiting: bool,
    running: bool,
    done: String,
    total: String,
    failed: Option<String>,
}

/// `GET /tep-in/{id}`: the job's progress, then its file.
pub async fn page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    let job = find(&state, &viewer, &id)?;
    let page = {
        let j = job.lock().unwrap_or_else(|e| e.into_inner());
        JobPage {
            chrome: Chrome::new(&state, Some(&viewer), "Tệp in", "nvqs"),
            id: id.clone(),
            file_name: j.file_name.clone(),
            waiting: !j.started,
            running: j.outcome.is_none(),
            done: super::directives::vi_count(j.done as i64),
            total: super::directives::vi_count(j.total as i64),
            failed: match &j.outcome {
                Some(Err(e)) => Some(e.clone()),
                _ => None,
            },
        }
    };
    let mut res = render(&page)?;
    if page.running {
        // Refresh while the batch is typeset (works without JavaScript).
        res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("2"));
    }
    Ok(res)
}

/// `GET /tep-in/{id}/tep`: the finished file.
pub async fn file(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, AppError> {
    let job = find(&state, &viewer, &id)?;
    let (path, name) = {
        let j = job.lock().unwrap_or_else(|e| e.into_inner());
        match &j.outcome {
            Some(Ok(p)) => (p.to_path_buf(), j.file_name.clone()),
            Some(Err(e)) => return Err(AppError::internal(e.clone())),
            None => return Err(AppError::not_found("Tệp chưa in xong: hãy đợi trang tiến độ báo xong.")),
        }
    };
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::internal(format!("Không đọc được tệp đã in: {e}")))?;
    Ok(super::download(bytes, super::reports::PDF, &name))
}
