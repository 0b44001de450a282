//! Every file the server hands out (a registry export, a list as XLSX, DOCX or PDF, a batch of
//! decisions, an import's rejected rows, a document's attachment) is recorded in the audit log:
//! who, when, which route with which filters. The entry is written after the file is made and
//! before it leaves; a file whose reading cannot be recorded is not sent. The empty import
//! templates carry no personal data and are not recorded. Records opened one by one are recorded
//! by the store (`Scoped::open_citizen`); list pages are not (they show ID numbers masked).

use crate::error::AppError;
use crate::session::{ApiCaller, Viewer};
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The file types recorded, by content type.
const FILE_TYPES: &[(&str, &str)] = &[
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/pdf", "pdf"),
    ("text/csv", "csv"),
];

/// The empty import templates ("mẫu"), which hold no one's data.
fn blank_template(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    file == "template.xlsx" || file.starts_with("mau-")
}

/// The kind of file a response carries: one of [`FILE_TYPES`], or any other attachment (a
/// document's or a report's attached file); `None` for pages and data.
fn file_type(res: &Response) -> Option<&'static str> {
    let text = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let ct = text(header::CONTENT_TYPE).split(';').next().unwrap_or_default().trim();
    FILE_TYPES.iter().find(|(t, _)| *t == ct).map(|(_, k)| *k).or_else(|| {
        text(header::CONTENT_DISPOSITION)
            .starts_with("attachment")
            .then_some("attachment")
    })
}

/// The middleware: records each successful file response of a logged-in user or API caller.
pub async fn audit_files(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (method, uri, headers) = (req.method().clone(), req.uri().clone(), req.headers().clone());
    let res = next.run(req).await;
    if !res.status().is_success() || blank_template(uri.path()) {
        return res;
    }
    let Some(kind) = file_type(&res) else {
        return res;
    };
    // Who asked: the same session or token the handler accepted, read again.
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.method = method;
    parts.uri = uri.clone();
    parts.headers = headers;
    let actor = if uri.path().starts_with("/api/") {
        ApiCaller::from_request_parts(&mut parts, &state)
            .await
            .ok()
            .map(|c| c.actor)
    } else {
        Viewer::from_request_parts(&mut parts, &state)
            .await
            .ok()
            .map(|v| v.actor)
    };
    let Some(actor) = actor else {
        return AppError::internal("Không xác định được người tải tệp để ghi nhật ký; tệp không được gửi.")
            .into_response();
    };
    let details = serde_json::json!({"path": uri.path(), "query": uri.query(), "format": kind});
    match state
        .store()
        .scoped(&actor)
        .audit_read("export", "file", uri.path(), &details)
        .await
    {
        Ok(()) => res,
        Err(e) => AppError::from(e).into_response(),
    }
}
