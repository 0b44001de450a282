//! Import of reservists from Excel (.xlsx) or CSV: the form, the template with
//! Vietnamese headers, and the upload. The store (`Scoped::import_reservists`) matches each row to
//! a citizen of the registry by the national ID and checks it; this page reads the file, runs the
//! import and shows the result with every rejected row (row, column, reason). Reservist files are
//! small (a commune's or a province's reservists), so the import runs within the request, unlike
//! the citizen registry's background import. The reserve equipment import (into one commune
//! command chosen on the form) uses the same page.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use phongthu_documents::tabular::{template_xlsx, TabularReader, TemplateColumn};
use phongthu_domain::auth::Permission;
use phongthu_store::{
    EquipmentImportOptions, ImportMode, ReservistImportOptions, SourceRow, EQUIPMENT_COLUMNS, RESERVIST_COLUMNS,
};

/// The largest reservist file accepted (a province's 100,000 reservists as .xlsx is about 6 MB).
pub const RESERVIST_IMPORT_LIMIT_BYTES: usize = 32 * 1024 * 1024;
/// The most data rows read from one file.
const MAX_ROWS: usize = 200_000;
/// The most errors listed on the page.
const SHOWN_ERRORS: usize = 500;

#[derive(Template)]
#[template(path = "reserve_import.html")]
struct ImportPage {
    chrome: Chrome,
    /// The result of an import just run.
    summary: Option<String>,
    committed: bool,
    errors: Vec<String>,
    more_errors: usize,
    /// The equipment import (with the commune to register in) rather than the reservists'.
    equipment: bool,
    communes: Vec<(i64, String)>,
}

fn page(state: &AppState, viewer: &Viewer) -> ImportPage {
    ImportPage {
        chrome: Chrome::new(state, Some(viewer), "Nhập quân nhân dự bị từ tệp", "reserve"),
        summary: None,
        committed: false,
        errors: vec![],
        more_errors: 0,
        equipment: false,
        communes: vec![],
    }
}

/// `GET /reserve/import`.
pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    render(&page(&state, &viewer))
}

/// The template: the header row, and a sheet explaining each column.
pub fn reservist_template_xlsx() -> Result<Vec<u8>, phongthu_documents::tabular::TabularError> {
    let cols: Vec<TemplateColumn<'_>> = RESERVIST_COLUMNS
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            example: c.example,
            hint: c.hint,
            text: c.text_format,
        })
        .collect();
    template_xlsx("Quân nhân dự bị", &cols)
}

/// `GET /reserve/import/mau-nhap-quan-nhan-du-bi.xlsx`.
pub async fn template(_viewer: Viewer) -> Result<Response, AppError> {
    let bytes = reservist_template_xlsx().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "mau-nhap-quan-nhan-du-bi.xlsx"))
}

/// What an upload form sent: the mode, the commune chosen (equipment only) and the file.
pub(super) struct Upload {
    pub mode: ImportMode,
    pub unit_id: Option<i64>,
    /// A date field of the form (the examination import's default exam date), as typed.
    pub date: String,
    pub bytes: Vec<u8>,
    pub name: String,
}

/// Reads the multipart form (`_csrf` first, `mode`, `unit_id`, `file`), checking the CSRF token
/// before the file is kept. Shared by the militia member import.
pub(super) async fn read_upload(viewer: &Viewer, mut multipart: Multipart) -> Result<Upload, AppError> {
    let bad = |m: &str| AppError::bad_request(m.to_string());
    let mut csrf_sent = String::new();
    let mut mode = ImportMode::AllOrNothing;
    let mut unit_id = None;
    let mut date = String::new();
    let mut file: Option<(Vec<u8>, String)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("Tệp tải lên bị gián đoạn hoặc không đúng dạng biểu mẫu."))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf_sent = field.text().await.unwrap_or_default(),
            "date" => date = field.text().await.unwrap_or_default(),
            "mode" => {
                mode = if field.text().await.unwrap_or_default() == "valid_only" {
                    ImportMode::ValidOnly
                } else {
                    ImportMode::AllOrNothing
                }
            }
            "unit_id" => {
                unit_id = Some(
                    field
                        .text()
                        .await
                        .unwrap_or_default()
                        .trim()
                        .parse()
                        .map_err(|_| bad("Hãy chọn Ban Chỉ huy Quân sự cấp xã nơi đăng ký phương tiện."))?,
                )
            }
            "file" => {
                csrf::verify(&viewer.csrf, &csrf_sent)?;
                let name = field.file_name().unwrap_or("tep-tai-len").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| bad("Tệp tải lên bị gián đoạn hoặc quá lớn (tối đa 32 MB)."))?;
                file = Some((bytes.to_vec(), name));
            }
            _ => {}
        }
    }
    csrf::verify(&viewer.csrf, &csrf_sent)?;
    let (bytes, name) = file.ok_or_else(|| bad("Hãy chọn tệp Excel (.xlsx) hoặc CSV để nhập."))?;
    if bytes.is_empty() {
        return Err(bad("Tệp tải lên rỗng."));
    }
    Ok(Upload {
        mode,
        unit_id,
        date,
        bytes,
        name,
    })
}

/// The header row and the data rows of an .xlsx or CSV file (read on the blocking pool: the
/// .xlsx reader runs a worker thread and a channel). Shared by the militia member import.
pub(super) async fn read_rows(bytes: Vec<u8>) -> Result<(Vec<String>, Vec<SourceRow>), AppError> {
    tokio::task::spawn_blocking(move || -> Result<_, String> {
        let reader = TabularReader::from_bytes(bytes).map_err(|e| e.to_string())?;
        let headers = reader.headers.clone();
        let mut rows = Vec::new();
        for r in reader {
            let r = r.map_err(|e| format!("Không đọc tiếp được tệp: {e} Không có dòng nào được nhập."))?;
            if rows.len() >= MAX_ROWS {
                return Err(format!("Tệp có hơn {MAX_ROWS} dòng dữ liệu: hãy chia thành nhiều tệp."));
            }
            rows.push(SourceRow {
                line: r.line,
                cells: r.cells,
            });
        }
        Ok((headers, rows))
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(AppError::bad_request)
}

fn show_errors(p: &mut ImportPage, errors: &[phongthu_store::RowError]) {
    p.errors = errors.iter().take(SHOWN_ERRORS).map(|e| e.to_string()).collect();
    p.more_errors = errors.len().saturating_sub(SHOWN_ERRORS);
}

/// The page after an import: 200 when saved, 422 when nothing was (the file must be fixed).
fn finish(p: &ImportPage, committed: bool) -> Result<Response, AppError> {
    let mut res = render(p)?;
    if !committed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// `POST /reserve/import` (multipart: `_csrf`, `mode`, `file`).
pub async fn upload(State(state): State<AppState>, viewer: Viewer, multipart: Multipart) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let up = read_upload(&viewer, multipart).await?;
    let (headers, rows) = read_rows(up.bytes).await?;
    let opts = ReservistImportOptions {
        mode: up.mode,
        source_name: up.name,
        on: crate::forms::today(),
    };
    let report = scoped.import_reservists(&headers, rows, &opts).await?;
    let mut p = page(&state, &viewer);
    p.summary = Some(report.summary_vi());
    p.committed = report.committed;
    show_errors(&mut p, &report.rejected);
    finish(&p, report.committed)
}

// ---------------------------------------------------------------------------------------------
// Reserve equipment

/// The commune commands in scope (where equipment is registered).
async fn communes(state: &AppState, viewer: &Viewer) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store()
        .scoped(&viewer.actor)
        .org_units()
        .await?
        .into_iter()
        .filter(|u| u.kind == phongthu_domain::org::OrgKind::CommuneCommand)
        .map(|u| (u.id, u.name))
        .collect())
}

async fn equipment_page(state: &AppState, viewer: &Viewer) -> Result<ImportPage, AppError> {
    let mut p = page(state, viewer);
    p.chrome = Chrome::new(state, Some(viewer), "Nhập phương tiện kỹ thuật dự bị từ tệp", "reserve");
    p.equipment = true;
    p.communes = communes(state, viewer).await?;
    Ok(p)
}

/// `GET /reserve/equipment/import`.
pub async fn equipment_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    render(&equipment_page(&state, &viewer).await?)
}

/// `GET /reserve/equipment/import/mau-nhap-phuong-tien.xlsx`.
pub async fn equipment_template(_viewer: Viewer) -> Result<Response, AppError> {
    let cols: Vec<TemplateColumn<'_>> = EQUIPMENT_COLUMNS
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            example: c.example,
            hint: c.hint,
            text: true,
        })
        .collect();
    let bytes = template_xlsx("Phương tiện kỹ thuật dự bị", &cols).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "mau-nhap-phuong-tien.xlsx"))
}

/// `POST /reserve/equipment/import` (multipart: `_csrf`, `unit_id`, `mode`, `file`).
pub async fn equipment_upload(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let up = read_upload(&viewer, multipart).await?;
    let unit_id = up
        .unit_id
        .ok_or_else(|| AppError::bad_request("Hãy chọn Ban Chỉ huy Quân sự cấp xã nơi đăng ký phương tiện."))?;
    let (headers, rows) = read_rows(up.bytes).await?;
    let opts = EquipmentImportOptions {
        unit_id,
        mode: up.mode,
        source_name: up.name,
    };
    let report = scoped.import_equipment(&headers, rows, &opts).await?;
    let mut p = equipment_page(&state, &viewer).await?;
    p.summary = Some(report.summary_vi());
    p.committed = report.committed;
    show_errors(&mut p, &report.rejected);
    finish(&p, report.committed)
}
