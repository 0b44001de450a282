//! Import of militia and self-defence members into one unit from Excel (.xlsx) or CSV, and the
//! Excel export of members. The same design as the reservist import page
//! (`reserve_import`): a template with Vietnamese headers, the upload read within the request
//! (a unit's members are a few hundred rows at most), every rejected row listed with its row,
//! column and reason, all-or-nothing or valid rows only. The store
//! (`Scoped::import_militia_members`) matches each row to a citizen of the registry and runs the
//! checks of a member added on the unit's page.
//!
//! The rejected rows are also offered as an Excel file (the file's own columns plus the reason),
//! kept in memory for the user who imported, for an hour (at most 200 files, the oldest dropped
//! first), like the citizen import's.
//!
//! The export (`/militia/{id}/thanh-vien.xlsx` for a unit, `/militia/thanh-vien.xlsx` for every
//! unit in scope) lists the members who have not left, in the import's columns first: the file can
//! be imported into another unit as it is.

use super::reserve_import::{read_rows, read_upload, RESERVIST_IMPORT_LIMIT_BYTES};
use super::{render, Chrome};
use crate::error::AppError;
use crate::forms::extract::Path;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use phongthu_documents::tabular::{template_xlsx, write_xlsx, ColumnSpec, TemplateColumn, XlsxWriter};
use phongthu_domain::auth::Permission;
use phongthu_store::{
    militia_export_headers, militia_export_row, MilitiaImportOptions, MilitiaUnit, RowError, SourceRow, MILITIA_COLUMNS,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The largest member file accepted (the reservist import's limit; a unit's file is far smaller).
pub const MILITIA_IMPORT_LIMIT_BYTES: usize = RESERVIST_IMPORT_LIMIT_BYTES;
/// The most errors listed on the page.
const SHOWN_ERRORS: usize = 500;
/// How long a file of rejected rows stays downloadable.
const REJECTS_KEPT: Duration = Duration::from_secs(3600);
/// The most files of rejected rows kept at once (all users).
const MAX_REJECTS_FILES: usize = 200;

/// A file of rejected rows, for the user who imported.
pub struct RejectsFile {
    owner: Option<i64>,
    made: Instant,
    bytes: Vec<u8>,
}

/// The files of rejected rows by token.
pub type Rejects = Mutex<HashMap<String, RejectsFile>>;

#[derive(Template)]
#[template(path = "militia_import.html")]
struct ImportPage {
    chrome: Chrome,
    unit_id: i64,
    unit_name: String,
    unit_label: String,
    summary: Option<String>,
    committed: bool,
    errors: Vec<String>,
    more_errors: usize,
    /// Token of the rejected rows' file, when any.
    rejects: Option<String>,
}

fn page(state: &AppState, viewer: &Viewer, unit: &MilitiaUnit) -> ImportPage {
    ImportPage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            format!("Nhập thành viên {} từ tệp", unit.name),
            "militia",
        ),
        unit_id: unit.id,
        unit_name: unit.name.clone(),
        unit_label: unit.label_vi(),
        summary: None,
        committed: false,
        errors: vec![],
        more_errors: 0,
        rejects: None,
    }
}

/// `GET /militia/{id}/import`.
pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let unit = scoped.militia_unit(id).await?;
    render(&page(&state, &viewer, &unit))
}

/// The template: the header row, and a sheet explaining each column.
pub fn militia_template_xlsx() -> Result<Vec<u8>, phongthu_documents::tabular::TabularError> {
    let cols: Vec<TemplateColumn<'_>> = MILITIA_COLUMNS
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            example: c.example,
            hint: c.hint,
            text: c.text_format,
        })
        .collect();
    template_xlsx("Thành viên dân quân tự vệ", &cols)
}

/// `GET /militia/import/mau-nhap-dan-quan-tu-ve.xlsx`.
pub async fn template(_viewer: Viewer) -> Result<Response, AppError> {
    let bytes = militia_template_xlsx().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "mau-nhap-dan-quan-tu-ve.xlsx"))
}

/// The rejected rows as an Excel file: the file's columns, then the reasons of each row.
pub(super) fn rejects_xlsx(headers: &[String], rows: &[SourceRow], errors: &[RowError]) -> Result<Vec<u8>, AppError> {
    let mut by_row: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for e in errors {
        by_row.entry(e.row).or_default().push(match &e.column {
            Some(c) => format!("Cột \"{c}\": {}", e.reason_vi),
            None => e.reason_vi.clone(),
        });
    }
    let mut specs: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|h| ColumnSpec {
            header: h.as_str(),
            text: true,
            width: 0.0,
        })
        .collect();
    specs.push(ColumnSpec {
        header: "Lý do bị từ chối",
        text: false,
        width: 80.0,
    });
    let fail =
        |e: phongthu_documents::tabular::TabularError| AppError::internal(format!("Không tạo được tệp Excel: {e}"));
    let mut w = XlsxWriter::new("Dòng bị từ chối", &specs).map_err(fail)?;
    for r in rows {
        if let Some(reasons) = by_row.get(&r.line) {
            let mut cells = r.cells.clone();
            cells.resize(headers.len(), String::new());
            cells.push(reasons.join("; "));
            w.push(&cells).map_err(fail)?;
        }
    }
    w.finish().map_err(fail)
}

/// Keeps a file of rejected rows for its owner; returns its token. Files older than an hour go.
pub(super) fn keep_rejects(state: &AppState, viewer: &Viewer, bytes: Vec<u8>) -> String {
    let token = crate::csrf::new_token();
    let mut files = state.militia_rejects().lock().unwrap_or_else(|e| e.into_inner());
    files.retain(|_, f| f.made.elapsed() < REJECTS_KEPT);
    // A bound on memory: the oldest files go first.
    while files.len() >= MAX_REJECTS_FILES {
        let Some(oldest) = files.iter().min_by_key(|(_, f)| f.made).map(|(k, _)| k.clone()) else {
            break;
        };
        files.remove(&oldest);
    }
    files.insert(
        token.clone(),
        RejectsFile {
            owner: viewer.actor.user_id,
            made: Instant::now(),
            bytes,
        },
    );
    token
}

/// `POST /militia/{id}/import` (multipart: `_csrf`, `mode`, `file`).
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let up = read_upload(&viewer, multipart).await?;
    let unit = scoped.militia_unit(id).await?;
    let (headers, rows) = read_rows(up.bytes).await?;
    let opts = MilitiaImportOptions {
        militia_unit_id: unit.id,
        mode: up.mode,
        source_name: up.name,
        on: crate::forms::today(),
    };
    let report = scoped.import_militia_members(&headers, rows.clone(), &opts).await?;
    let mut p = page(&state, &viewer, &unit);
    p.summary = Some(report.summary_vi());
    p.committed = report.committed;
    p.errors = report
        .rejected
        .iter()
        .take(SHOWN_ERRORS)
        .map(|e| e.to_string())
        .collect();
    p.more_errors = report.rejected.len().saturating_sub(SHOWN_ERRORS);
    if report.rejected_rows > 0 {
        // The file of rejects is an extra: failing to build it never fails the answer.
        match rejects_xlsx(&headers, &rows, &report.rejected) {
            Ok(bytes) => p.rejects = Some(keep_rejects(&state, &viewer, bytes)),
            Err(e) => tracing::warn!(error = %e.message, "tệp các dòng bị từ chối không tạo được"),
        }
    }
    let mut res = render(&p)?;
    if !report.committed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// `GET /militia/import/tu-choi/{token}` — the rejected rows of an import just run.
pub async fn rejects(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    Ok(super::download(
        kept_rejects(&state, &viewer, &token)?,
        super::XLSX,
        "dan-quan-dong-bi-tu-choi.xlsx",
    ))
}

/// A file of rejected rows kept by [`keep_rejects`] for this user (shared with the examination
/// results import).
pub(super) fn kept_rejects(state: &AppState, viewer: &Viewer, token: &str) -> Result<Vec<u8>, AppError> {
    let files = state.militia_rejects().lock().unwrap_or_else(|e| e.into_inner());
    files
        .get(token)
        .filter(|f| f.owner == viewer.actor.user_id && f.made.elapsed() < REJECTS_KEPT)
        .map(|f| f.bytes.clone())
        .ok_or_else(|| {
            AppError::not_found("Không tìm thấy tệp các dòng bị từ chối (đã hết hạn hoặc không phải của bạn).")
        })
}

fn members_xlsx(members: &[phongthu_store::MilitiaMemberRecord], file: &str) -> Result<Response, AppError> {
    let headers = militia_export_headers();
    let specs: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|(h, text)| ColumnSpec {
            header: h,
            text: *text,
            width: 0.0,
        })
        .collect();
    let rows: Vec<Vec<String>> = members.iter().map(militia_export_row).collect();
    let bytes = write_xlsx("Thành viên dân quân tự vệ", &specs, rows)
        .map_err(|e| AppError::internal(format!("Không tạo được tệp Excel: {e}")))?;
    Ok(super::download(
        bytes,
        super::XLSX,
        &format!("{file}-{}.xlsx", crate::forms::today()),
    ))
}

/// `GET /militia/{id}/thanh-vien.xlsx` — the unit's serving members.
pub async fn export_unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let members = state
        .store()
        .scoped(&viewer.actor)
        .active_militia_members(Some(id))
        .await?;
    members_xlsx(&members, &format!("thanh-vien-dqtv-{id}"))
}

/// `GET /militia/thanh-vien.xlsx` — the serving members of every unit in scope (a commune
/// command's user gets the commune's).
pub async fn export_scope(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let members = state.store().scoped(&viewer.actor).active_militia_members(None).await?;
    members_xlsx(&members, "thanh-vien-dqtv")
}
