//! The health examination's results of a commune, many at once (`/nvqs/{id}/xa/{unit}/kham`):
//! a grid of the citizens on the examination list (one form, one transaction: the first refusal
//! names the row and why, nothing is written), and the import of the examination council's Excel
//! sheet (template, header matching, every bad row with its line, column and reason, the rejected
//! rows as an Excel file; all or nothing or the valid rows only). The store does the checks
//! (`Scoped::record_exams`, `Scoped::import_exam_results`).

use super::militia_import::{keep_rejects, kept_rejects, rejects_xlsx};
use super::reserve_import::{read_rows, read_upload};
use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::{parse_date_text, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_documents::tabular::{template_xlsx, TemplateColumn};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::exam::{ExamCriterion, ExamRecord};
use phongthu_store::{ExamImportOptions, GridExam, StoreError, EXAM_COLUMNS};
use std::collections::HashMap;

type Fields = HashMap<String, String>;

/// The most errors of an import listed on the page.
const SHOWN_ERRORS: usize = 500;

/// A citizen on the examination list, as a row of the grid.
pub struct GridRow {
    pub n: usize,
    pub id: i64,
    pub name: String,
    pub birth: String,
    pub national_id: String,
}

#[derive(Template)]
#[template(path = "nvqs_exam_entry.html")]
struct EntryPage {
    chrome: Chrome,
    cycle_id: i64,
    unit_id: i64,
    unit_name: String,
    year: i32,
    exam_window: String,
    rows: Vec<GridRow>,
    criteria: Vec<(&'static str, &'static str)>,
    typed: Fields,
    today: String,
    can_write: bool,
    flash: Option<String>,
    error: Option<String>,
    /// The import's result: summary, committed, errors, more, rejects token.
    summary: Option<String>,
    committed: bool,
    errors: Vec<String>,
    more_errors: usize,
    rejects: Option<String>,
}

impl EntryPage {
    /// What the user typed in a cell of the grid (kept when the grid is refused).
    fn cell(&self, key: &str) -> &str {
        self.typed.get(key).map(String::as_str).unwrap_or("")
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    cycle_id: i64,
    unit_id: i64,
    typed: Fields,
) -> Result<EntryPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let p = scoped.exam_waiting(cycle_id, unit_id).await?;
    let rows = p
        .citizens
        .iter()
        .enumerate()
        .map(|(i, c)| GridRow {
            n: i + 1,
            id: c.id,
            name: c.full_name.clone(),
            birth: vi_date(c.birth_date),
            national_id: c
                .national_id
                .as_deref()
                .map(crate::forms::masked_id)
                .unwrap_or_default(),
        })
        .collect();
    let exam_window = p
        .window
        .map(|(s, e)| format!("{} – {}", vi_date(s), vi_date(e)))
        .unwrap_or_default();
    Ok(EntryPage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            format!("Kết quả khám sức khỏe — {}", p.unit_name),
            "nvqs",
        ),
        cycle_id,
        unit_id,
        unit_name: p.unit_name.clone(),
        year: p.year,
        exam_window,
        rows,
        criteria: ExamCriterion::ALL.iter().map(|c| (c.code(), c.label_vi())).collect(),
        typed,
        today: vi_date(today()),
        can_write: viewer.actor.role.allows(Permission::Write),
        flash: None,
        error: None,
        summary: None,
        committed: false,
        errors: Vec::new(),
        more_errors: 0,
        rejects: None,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct EntryQuery {
    #[serde(default)]
    fit: Option<u64>,
    #[serde(default)]
    unfit: Option<u64>,
}

/// `GET /nvqs/{id}/xa/{unit}/kham`.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, unit)): Path<(i64, i64)>,
    Query(q): Query<EntryQuery>,
) -> Result<Response, AppError> {
    let mut p = page(&state, &viewer, id, unit, Fields::new()).await?;
    if let (Some(fit), Some(unfit)) = (q.fit, q.unfit) {
        p.flash = Some(format!(
            "Đã ghi kết quả khám của {} công dân: {fit} đủ sức khỏe, {unfit} không đủ sức khỏe.",
            fit + unfit
        ));
    }
    render(&p)
}

/// The grid's filled rows as examinations; a row with nothing typed is skipped. The error
/// names the row.
fn grid_exams(f: &Fields, rows: &[GridRow]) -> Result<Vec<GridExam>, String> {
    let get = |k: String| f.get(&k).map(|v| v.trim()).unwrap_or("");
    let number = |v: &str| v.replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite());
    let mut out = Vec::new();
    for r in rows {
        let keys: Vec<String> = ExamCriterion::ALL
            .iter()
            .map(|c| format!("s_{}_{}", r.id, c.code()))
            .chain(["h", "w", "m"].iter().map(|k| format!("{k}_{}", r.id)))
            .collect();
        let ticks = [format!("hy_{}", r.id), format!("d_{}", r.id)];
        if keys.iter().all(|k| get(k.clone()).is_empty()) && ticks.iter().all(|k| get(k.clone()).is_empty()) {
            continue;
        }
        let at = |m: String| format!("Dòng {} ({}): {m}", r.n, r.name);
        let mut scores = [0i64; 8];
        for (i, c) in ExamCriterion::ALL.into_iter().enumerate() {
            let v = get(format!("s_{}_{}", r.id, c.code()));
            scores[i] = v.parse().map_err(|_| {
                at(format!(
                    "điểm chỉ tiêu \"{}\" phải là số nguyên từ 1 đến 6 (đã nhập \"{v}\").",
                    c.label_vi()
                ))
            })?;
        }
        let h = get(format!("h_{}", r.id));
        let height = number(h).ok_or_else(|| at(format!("chiều cao \"{h}\" phải là một số (cm).")))?;
        let w = get(format!("w_{}", r.id));
        let weight = number(w).ok_or_else(|| at(format!("cân nặng \"{w}\" phải là một số (kg).")))?;
        let m = get(format!("m_{}", r.id));
        let myopia = match m {
            "" => None,
            v => Some(number(v).ok_or_else(|| at(format!("độ cận thị \"{v}\" phải là một số.")))?),
        };
        let exam = ExamRecord::new(
            scores,
            height,
            weight,
            myopia,
            get(format!("hy_{}", r.id)) == "on",
            get(format!("d_{}", r.id)) == "on",
        )
        .map_err(|e| at(e.to_string()))?;
        out.push(GridExam {
            row: r.n,
            citizen_id: r.id,
            exam,
        });
    }
    Ok(out)
}

/// `POST /nvqs/{id}/xa/{unit}/kham`: the grid, all rows or none.
pub async fn save_grid(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, unit)): Path<(i64, i64)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, f.get("_csrf").map(String::as_str).unwrap_or(""))?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let mut p = page(&state, &viewer, id, unit, f.clone()).await?;
    let date_text = f.get("date").map(|s| s.trim()).unwrap_or("");
    let on = if date_text.is_empty() {
        Ok(today())
    } else {
        parse_date_text(date_text)
            .ok_or_else(|| format!("Ngày khám \"{date_text}\" không hợp lệ: hãy ghi theo dạng NN/TT/NNNN."))
    };
    let outcome = match (on, grid_exams(&f, &p.rows)) {
        (Err(m), _) | (_, Err(m)) => Err(m),
        (Ok(on), Ok(exams)) => match scoped.record_exams(id, unit, exams, on).await {
            Ok(done) => Ok(done),
            Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Err(m),
            Err(e) => return Err(e.into()),
        },
    };
    match outcome {
        Ok((fit, unfit)) => {
            Ok(Redirect::to(&format!("/nvqs/{id}/xa/{unit}/kham?fit={fit}&unfit={unfit}")).into_response())
        }
        Err(m) => {
            p.error = Some(m);
            let mut res = render(&p)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

/// The examination sheet's template: the header row, an example, and a sheet of hints.
pub fn exam_template_xlsx() -> Result<Vec<u8>, phongthu_documents::tabular::TabularError> {
    let cols: Vec<TemplateColumn<'_>> = EXAM_COLUMNS
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            example: c.example,
            hint: c.hint,
            text: c.text_format,
        })
        .collect();
    template_xlsx("Kết quả khám sức khỏe", &cols)
}

/// `GET /nvqs/kham/mau-ket-qua-kham.xlsx`.
pub async fn template(_viewer: Viewer) -> Result<Response, AppError> {
    let bytes = exam_template_xlsx().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "mau-ket-qua-kham-suc-khoe.xlsx"))
}

/// `POST /nvqs/{id}/xa/{unit}/kham/nhap` (multipart: `_csrf`, `mode`, `date`, `file`).
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, unit)): Path<(i64, i64)>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let up = read_upload(&viewer, multipart).await?;
    let exam_date = match up.date.trim() {
        "" => None,
        v => Some(parse_date_text(v).ok_or_else(|| {
            AppError::bad_request(format!("Ngày khám \"{v}\" không hợp lệ: hãy ghi theo dạng NN/TT/NNNN."))
        })?),
    };
    let (headers, rows) = read_rows(up.bytes).await?;
    let opts = ExamImportOptions {
        cycle_id: id,
        unit_id: unit,
        mode: up.mode,
        source_name: up.name,
        exam_date,
    };
    let report = scoped.import_exam_results(&headers, &rows, &opts).await?;
    let mut p = page(&state, &viewer, id, unit, Fields::new()).await?;
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
        let bytes = rejects_xlsx(&headers, &rows, &report.rejected)?;
        p.rejects = Some(keep_rejects(&state, &viewer, bytes));
    }
    let mut res = render(&p)?;
    if !report.committed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// `GET /nvqs/kham/tu-choi/{token}` — the rejected rows of an examination import just run.
pub async fn rejects(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    Ok(super::download(
        kept_rejects(&state, &viewer, &token)?,
        super::XLSX,
        "ket-qua-kham-dong-bi-tu-choi.xlsx",
    ))
}
