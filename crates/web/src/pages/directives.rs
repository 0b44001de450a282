//! The document register and directive follow-up: the register with search and
//! filters, registering an incoming document (by hand, or from an uploaded .txt/.docx/.pdf that
//! the reader turns into a prefilled form), one document with its attachments and the roll-up of
//! its tasks, the review that turns the reader's proposed tasks into tasks, the unit's task list
//! (overdue and due soon first) and one task with its progress reports.
//!
//! Everything goes through `store.scoped(&viewer.actor)`; every form carries the CSRF token;
//! leaders and inspectors see no forms and the store refuses their writes.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::{parse_date_text, today, vi_date, vi_datetime};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use phongthu_domain::auth::Permission;
use phongthu_domain::directive::indicator::{Attainment, IndicatorKind};
use phongthu_domain::directive::{self, DocumentKind, Topic};
use phongthu_store::{
    due_date_of, suggest_unit, Authority, Direction, Document, DocumentSearch, DocumentStatus, MeasuredIndicator,
    NewAttachment, NewDocument, NewReport, OrgUnit, ReviewedTask, Secrecy, StoreError, Task, TaskEdit, TaskIndicator,
    TaskStatus, Urgency,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write;

/// The largest upload or registration form accepted (the file travels base64-encoded in the
/// prefilled form once).
pub const DOCUMENT_LIMIT_BYTES: usize = 40 * 1024 * 1024;
/// The largest file accepted as an attachment.
const FILE_LIMIT_BYTES: usize = 25 * 1024 * 1024;
const PAGE_SIZE: i64 = 50;
/// "Due soon": within this many days.
const DUE_SOON_DAYS: i64 = 14;

/// One option of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts<I: IntoIterator<Item = (String, String)>>(items: I, selected: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(value, label)| Opt {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

fn kind_opts(selected: &str) -> Vec<Opt> {
    opts(
        DocumentKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), k.label_vi().to_string())),
        selected,
    )
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn date_or_empty(d: Option<time::Date>) -> String {
    d.map(vi_date).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The register

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    issuer: Option<String>,
    year: Option<String>,
    topic: Option<String>,
    status: Option<String>,
    direction: Option<String>,
    page: Option<String>,
}

pub struct DocRow {
    pub id: i64,
    pub register_no: String,
    pub number_symbol: String,
    pub issued_on: String,
    pub kind: &'static str,
    pub title: String,
    pub issuer: String,
    pub status: &'static str,
    pub marks: String,
}

fn doc_row(d: &Document) -> DocRow {
    let mut marks = Vec::new();
    if d.secrecy != Secrecy::None {
        marks.push(d.secrecy.label_vi());
    }
    if d.urgency != Urgency::None {
        marks.push(d.urgency.label_vi());
    }
    DocRow {
        id: d.id,
        register_no: match (d.direction, d.incoming_number) {
            (Direction::Incoming, Some(n)) => format!("Đến {n}/{}", d.period),
            _ => "Đi".to_string(),
        },
        number_symbol: d.number_symbol.clone().unwrap_or_default(),
        issued_on: date_or_empty(d.issued_on),
        kind: d.kind.label_vi(),
        title: d.title.clone(),
        issuer: d.issuer.clone().unwrap_or_default(),
        status: d.status.label_vi(),
        marks: marks.join(", "),
    }
}

#[derive(Template)]
#[template(path = "doc_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<DocRow>,
    total: i64,
    /// "1.000" or "hơn 1.000" when the search stopped counting.
    total_label: String,
    capped: bool,
    q: String,
    issuer: String,
    year: String,
    kinds: Vec<Opt>,
    topics: Vec<Opt>,
    statuses: Vec<Opt>,
    directions: Vec<Opt>,
    can_write: bool,
    prev: Option<String>,
    next: Option<String>,
}

fn parse_search(q: &ListQuery) -> Result<(DocumentSearch, String), AppError> {
    let kind = match text(&q.kind) {
        None => None,
        Some(k) => Some(
            DocumentKind::parse(&k)
                .ok_or_else(|| AppError::bad_request(format!("Loại văn bản \"{k}\" không hợp lệ.")))?,
        ),
    };
    let topic = match text(&q.topic) {
        None => None,
        Some(t) => {
            Some(Topic::parse(&t).ok_or_else(|| AppError::bad_request(format!("Lĩnh vực \"{t}\" không hợp lệ.")))?)
        }
    };
    let status = match text(&q.status) {
        None => None,
        Some(s) => Some(
            DocumentStatus::parse(&s)
                .ok_or_else(|| AppError::bad_request(format!("Trạng thái \"{s}\" không hợp lệ.")))?,
        ),
    };
    let direction = match text(&q.direction) {
        None => None,
        Some(s) => Some(
            Direction::parse(&s)
                .ok_or_else(|| AppError::bad_request(format!("Chiều văn bản \"{s}\" không hợp lệ.")))?,
        ),
    };
    let year = match text(&q.year) {
        None => None,
        Some(y) => Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (1945..=2100).contains(y))
                .ok_or_else(|| AppError::bad_request(format!("Năm \"{y}\" không hợp lệ.")))?,
        ),
    };
    let mut qs = Vec::new();
    for (k, v) in [
        ("q", text(&q.q)),
        ("kind", text(&q.kind)),
        ("issuer", text(&q.issuer)),
        ("year", text(&q.year)),
        ("topic", text(&q.topic)),
        ("status", text(&q.status)),
        ("direction", text(&q.direction)),
    ] {
        if let Some(v) = v {
            qs.push(format!("{k}={}", crate::session::encode(&v)));
        }
    }
    Ok((
        DocumentSearch {
            query: text(&q.q),
            kind,
            issuer: text(&q.issuer),
            year,
            topic,
            status,
            direction,
            offset: 0,
            limit: PAGE_SIZE,
            count_cap: 0,
        },
        qs.join("&"),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (mut search, qs) = parse_search(&q)?;
    let page_no = crate::forms::PageNo::parse(q.page.as_deref())?;
    let page = page_no.get();
    search.offset = page_no.paging(PAGE_SIZE).offset;
    let results = state.store().scoped(&viewer.actor).search_documents(&search).await?;
    let link = |p: i64| {
        if qs.is_empty() {
            format!("/documents?page={p}")
        } else {
            format!("/documents?page={p}&{qs}")
        }
    };
    let shown = search.offset + results.hits.len() as i64;
    let sel = |s: &Option<String>| text(s).unwrap_or_default();
    let page_view = ListPage {
        chrome: Chrome::new(&state, Some(&viewer), "Văn bản", "documents"),
        rows: results.hits.iter().map(|h| doc_row(&h.document)).collect(),
        total: results.total,
        total_label: if results.capped {
            format!("Hơn {}", vi_count(results.total))
        } else {
            vi_count(results.total)
        },
        capped: results.capped,
        q: sel(&q.q),
        issuer: sel(&q.issuer),
        year: sel(&q.year),
        kinds: kind_opts(&sel(&q.kind)),
        topics: opts(
            [
                Topic::TuyenQuan,
                Topic::DanQuanTuVe,
                Topic::DuBiDongVien,
                Topic::GiaoDucQpan,
                Topic::KhuVucPhongThu,
                Topic::DienTap,
                Topic::PhongThuDanSu,
                Topic::HauPhuongQuanDoi,
                Topic::DanVan,
                Topic::KyLuatViPham,
                Topic::Khac,
            ]
            .iter()
            .map(|t| (t.as_str().to_string(), t.label_vi().to_string())),
            &sel(&q.topic),
        ),
        statuses: opts(
            DocumentStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label_vi().to_string())),
            &sel(&q.status),
        ),
        directions: opts(
            [Direction::Incoming, Direction::Outgoing]
                .iter()
                .map(|d| (d.as_str().to_string(), d.label_vi().to_string())),
            &sel(&q.direction),
        ),
        can_write: viewer.actor.role.allows(Permission::Write),
        prev: (page > 1).then(|| link(page - 1)),
        // Past the count's cap the pages go on while they are full.
        next: (shown < results.total || (results.capped && results.hits.len() as i64 == PAGE_SIZE))
            .then(|| link(page + 1)),
    };
    render(&page_view)
}

/// 1234567 → "1.234.567" (Vietnamese digit grouping).
pub(crate) fn vi_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Registering an incoming document

/// The registration form, as typed or as prefilled by the reader.
#[derive(Deserialize, Default, Clone)]
pub struct DocForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    number_symbol: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    signer_title: String,
    #[serde(default)]
    recipients: String,
    #[serde(default)]
    secrecy: String,
    #[serde(default)]
    urgency: String,
    /// Topic codes separated by commas (from the reader).
    #[serde(default)]
    topics: String,
    /// Cited numbers, one per line (from the reader).
    #[serde(default)]
    cited: String,
    #[serde(default)]
    body_text: String,
    #[serde(default)]
    attachment_name: String,
    /// The uploaded file, base64, carried from the upload to the registration.
    #[serde(default)]
    attachment_b64: String,
}

#[derive(Template)]
#[template(path = "doc_new.html")]
struct NewPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    f: DocForm,
    units: Vec<Opt>,
    kinds: Vec<Opt>,
    authorities: Vec<Opt>,
    secrecies: Vec<Opt>,
    urgencies: Vec<Opt>,
    proposed_tasks: usize,
}

fn new_page(
    state: &AppState,
    viewer: &Viewer,
    units: &[OrgUnit],
    f: DocForm,
    error: Option<String>,
    notice: Option<String>,
) -> NewPage {
    let proposed_tasks = if f.body_text.trim().is_empty() {
        0
    } else {
        directive::parse(&f.body_text).tasks.len()
    };
    NewPage {
        chrome: Chrome::new(state, Some(viewer), "Vào sổ văn bản đến", "documents"),
        error,
        notice,
        units: opts(units.iter().map(|u| (u.id.to_string(), u.name.clone())), &f.unit_id),
        kinds: kind_opts(&f.kind),
        authorities: opts(
            Authority::ALL.iter().map(|a| {
                (
                    a.as_str().to_string(),
                    if a.as_str().is_empty() {
                        "(ký trực tiếp)".to_string()
                    } else {
                        a.as_str().to_string()
                    },
                )
            }),
            &f.authority,
        ),
        secrecies: opts(
            Secrecy::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label_vi().to_string())),
            &f.secrecy,
        ),
        urgencies: opts(
            Urgency::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label_vi().to_string())),
            &f.urgency,
        ),
        proposed_tasks,
        f,
    }
}

fn blank_form(viewer: &Viewer) -> DocForm {
    DocForm {
        unit_id: viewer.actor.unit_id.to_string(),
        received_on: vi_date(today()),
        kind: DocumentKind::CongVan.as_str().into(),
        secrecy: "none".into(),
        urgency: "none".into(),
        ..Default::default()
    }
}

pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let units = scoped.org_units().await?;
    render(&new_page(&state, &viewer, &units, blank_form(&viewer), None, None))
}

/// Fills the form from what the reader found.
fn prefill(viewer: &Viewer, extracted_text: String, file_name: String, bytes: &[u8]) -> DocForm {
    let p = directive::parse(&extracted_text);
    let (authority, signer_title) = p
        .signer
        .as_ref()
        .and_then(|s| s.title_or_rank.as_deref())
        .map(Authority::split_title)
        .unwrap_or_default();
    DocForm {
        kind: p.kind.as_str().into(),
        number_symbol: p.number_symbol.clone().unwrap_or_default(),
        issuer: p.issuer.clone().unwrap_or_default(),
        place: p.place.clone().unwrap_or_default(),
        issued_on: date_or_empty(p.date),
        title: p.title.clone().unwrap_or_default(),
        signer_name: p.signer.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        authority: authority.as_str().into(),
        signer_title,
        recipients: p.recipients.join("\n"),
        topics: p.topics.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","),
        cited: p.cited_documents.join("\n"),
        body_text: extracted_text,
        attachment_name: file_name,
        attachment_b64: base64::engine::general_purpose::STANDARD.encode(bytes),
        ..blank_form(viewer)
    }
}

/// Upload → the reader → the prefilled registration form (nothing is stored yet).
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let bad = |m: &str| AppError::bad_request(m.to_string());
    let mut csrf_sent = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("Tệp tải lên bị gián đoạn hoặc không đúng dạng biểu mẫu."))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf_sent = field.text().await.unwrap_or_default(),
            "file" => {
                // The CSRF field comes first in the form: check it before reading the file.
                csrf::verify(&viewer.csrf, &csrf_sent)?;
                let name = field
                    .file_name()
                    .unwrap_or("van-ban")
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("van-ban")
                    .to_string();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| bad("Tệp tải lên bị gián đoạn."))? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > FILE_LIMIT_BYTES {
                        return Err(bad("Tệp lớn quá 25 MB."));
                    }
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    csrf::verify(&viewer.csrf, &csrf_sent)?;
    let (name, bytes) = file.ok_or_else(|| bad("Hãy chọn tệp văn bản (.txt, .docx hoặc .pdf)."))?;
    if bytes.is_empty() {
        return Err(bad("Tệp tải lên rỗng."));
    }
    // Scans (PDF, images) go to OCR: a background job with its own page ([`super::reading`]).
    if super::reading::needs_job(&bytes) {
        return super::reading::start(&state, &viewer, name, bytes);
    }
    let data = bytes.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<phongthu_documents::Extracted, String> {
        let mut tmp = tempfile::NamedTempFile::new().map_err(|e| format!("Không tạo được tệp tạm: {e}."))?;
        tmp.write_all(&data)
            .map_err(|e| format!("Không lưu được tệp tải lên: {e}."))?;
        phongthu_documents::read_document(tmp.path(), &mut |_| {}).map_err(|e| match e {
            phongthu_documents::ReadError::Io { .. } => "Không đọc được tệp tải lên.".to_string(),
            other => other.to_string(),
        })
    })
    .await
    .map_err(|_| AppError::internal("Bộ đọc văn bản dừng đột ngột."))?;
    show_read(&state, &viewer, name, &bytes, read).await
}

/// The registration form filled from what the reader found, or blank with the reader's error.
pub(crate) async fn show_read(
    state: &AppState,
    viewer: &Viewer,
    name: String,
    bytes: &[u8],
    read: Result<phongthu_documents::Extracted, String>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let units = scoped.org_units().await?;
    match read {
        Ok(x) => {
            let notice = Some(format!(
                "Đã đọc \"{name}\" ({}, {} trang). Hãy kiểm tra và sửa các trường dưới đây trước khi vào sổ.",
                x.source.label_vi(),
                x.pages
            ));
            render(&new_page(
                state,
                viewer,
                &units,
                prefill(viewer, x.text, name, bytes),
                None,
                notice,
            ))
        }
        Err(message) => {
            let mut res = render(&new_page(
                state,
                viewer,
                &units,
                blank_form(viewer),
                Some(message),
                None,
            ))?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

fn build_document(f: &DocForm) -> Result<(NewDocument, time::Date), String> {
    let unit_id: i64 = f
        .unit_id
        .trim()
        .parse()
        .map_err(|_| "Hãy chọn đơn vị vào sổ.".to_string())?;
    let received_on = parse_date_text(f.received_on.trim()).ok_or_else(|| {
        format!(
            "Ngày đến \"{}\" không hợp lệ: dùng dạng NN/TT/NNNN.",
            f.received_on.trim()
        )
    })?;
    let issued_on = match opt(&f.issued_on) {
        None => None,
        Some(d) => Some(
            parse_date_text(&d).ok_or_else(|| format!("Ngày ban hành \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN."))?,
        ),
    };
    let kind = match opt(&f.kind) {
        None => None,
        Some(k) => Some(DocumentKind::parse(&k).ok_or_else(|| format!("Loại văn bản \"{k}\" không hợp lệ."))?),
    };
    let authority = Authority::parse(&f.authority).ok_or_else(|| "Thẩm quyền ký không hợp lệ.".to_string())?;
    let secrecy = Secrecy::parse(if f.secrecy.trim().is_empty() {
        "none"
    } else {
        &f.secrecy
    })
    .ok_or_else(|| "Độ mật không hợp lệ.".to_string())?;
    let urgency = Urgency::parse(if f.urgency.trim().is_empty() {
        "none"
    } else {
        &f.urgency
    })
    .ok_or_else(|| "Độ khẩn không hợp lệ.".to_string())?;
    let mut attachments = Vec::new();
    if let Some(b64) = opt(&f.attachment_b64) {
        let content = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| "Tệp đính kèm bị hỏng khi gửi lại; hãy tải tệp lên lần nữa.".to_string())?;
        attachments.push(NewAttachment {
            file_name: opt(&f.attachment_name).unwrap_or_else(|| "van-ban".into()),
            content,
        });
    }
    Ok((
        NewDocument {
            unit_id,
            kind,
            number_symbol: opt(&f.number_symbol),
            issuer: opt(&f.issuer),
            place: opt(&f.place),
            issued_on,
            title: f.title.clone(),
            signer_name: opt(&f.signer_name),
            signer_title: opt(&f.signer_title),
            authority,
            recipients: lines(&f.recipients),
            secrecy,
            urgency,
            topics: f.topics.split(',').filter_map(Topic::parse).collect(),
            cited: lines(&f.cited),
            body_text: opt(&f.body_text),
            attachments,
        },
        received_on,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<DocForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let result = match build_document(&f) {
        Ok((n, received)) => scoped.register_incoming(n, received).await.map_err(|e| match e {
            StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
            other => Err(other),
        }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/documents/{}?saved=1", d.id)).into_response()),
        Err(Ok(message)) => {
            let units = scoped.org_units().await?;
            let mut res = render(&new_page(&state, &viewer, &units, f, Some(message), None))?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// One document

pub struct RollupView {
    pub task_id: i64,
    pub ordinal: String,
    pub summary: String,
    pub lead: String,
    pub due: String,
    pub percent: String,
    pub status: &'static str,
    pub overdue: bool,
    pub reports: i64,
    /// The indicator's value measured from the system's data ("" when the task has none).
    pub measured: String,
}

#[derive(Template)]
#[template(path = "doc_detail.html")]
struct DetailPage {
    chrome: Chrome,
    d: Document,
    flash: Option<&'static str>,
    register_no: String,
    issued_on: String,
    received_on: String,
    unit_name: String,
    secrecy: &'static str,
    urgency: &'static str,
    status: &'static str,
    topics: String,
    signer: String,
    attachments: Vec<(i64, String, String)>,
    rows: Vec<RollupView>,
    summary: String,
    can_review: bool,
    created: String,
}

#[derive(Deserialize, Default)]
pub struct FlashQuery {
    saved: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let d = scoped.document(id).await?;
    let attachments = scoped
        .attachments(id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id,
                a.file_name,
                format!("{} KB, SHA-256 {}…", (a.size + 1023) / 1024, &a.sha256[..12]),
            )
        })
        .collect();
    let rollup = scoped.rollup(id, today()).await?;
    let unit_name = scoped.org_unit(d.unit_id).await.map(|u| u.name).unwrap_or_default();
    let rows = rollup
        .rows
        .iter()
        .map(|r| RollupView {
            task_id: r.task.id,
            ordinal: r.task.ordinal.clone(),
            summary: r.task.summary.clone(),
            lead: r.task.unit_name.clone(),
            due: date_or_empty(r.task.due_date),
            percent: match (r.task.status, r.task.latest_percent) {
                (TaskStatus::Done, _) => "100%".into(),
                (_, Some(p)) => format!("{p}%"),
                (_, None) => "chưa báo cáo".into(),
            },
            status: r.task.status.label_vi(),
            overdue: r.overdue,
            reports: r.reports,
            measured: r.measured.as_ref().map(measured_text).unwrap_or_default(),
        })
        .collect();
    let summary = if rollup.total == 0 {
        String::new()
    } else {
        format!(
            "{} nhiệm vụ: {} hoàn thành, {} đang thực hiện ({} quá hạn), {} đã hủy; tiến độ bình quân {}%.",
            rollup.total, rollup.done, rollup.open, rollup.overdue, rollup.cancelled, rollup.average_percent
        )
    };
    let signer = [
        d.authority.as_str(),
        d.signer_title.as_deref().unwrap_or(""),
        d.signer_name.as_deref().unwrap_or(""),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(" ");
    let page = DetailPage {
        chrome: Chrome::new(&state, Some(&viewer), d.title.clone(), "documents"),
        flash: q.saved.is_some().then_some("Đã lưu."),
        register_no: doc_row(&d).register_no,
        issued_on: date_or_empty(d.issued_on),
        received_on: date_or_empty(d.received_on),
        unit_name,
        secrecy: d.secrecy.label_vi(),
        urgency: d.urgency.label_vi(),
        status: d.status.label_vi(),
        topics: d.topics.iter().map(|t| t.label_vi()).collect::<Vec<_>>().join(", "),
        signer,
        attachments,
        can_review: viewer.actor.role.allows(Permission::Write) && rollup.rows.is_empty(),
        rows,
        summary,
        created: vi_datetime(&d.created_at),
        d,
    };
    render(&page)
}

pub async fn attachment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, att)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (a, bytes) = state.store().scoped(&viewer.actor).attachment_content(id, att).await?;
    Ok(super::download(bytes, "application/octet-stream", &a.file_name))
}

// ---------------------------------------------------------------------------------------------
// Review: the reader's proposed tasks → confirmed tasks

/// One row of the review form.
pub struct ReviewRow {
    pub idx: usize,
    pub keep: bool,
    pub ordinal: String,
    pub summary: String,
    /// The unit named in the document, as written (a hint beside the select).
    pub lead_text: String,
    pub leads: Vec<Opt>,
    pub coordinating_text: String,
    pub coordinating: Vec<Opt>,
    pub deadline: String,
    pub due: String,
    pub targets: String,
    pub recurring: bool,
    pub indicators: Vec<Opt>,
    pub indicator_year: String,
    pub indicator_target: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "doc_review.html")]
struct ReviewPage {
    chrome: Chrome,
    d: Document,
    error: Option<String>,
    rows: Vec<ReviewRow>,
    count: usize,
    from_reader: bool,
}

/// Extra empty rows offered for tasks the reader missed (or for splitting one).
const EXTRA_ROWS: usize = 2;

#[derive(Debug, Clone, PartialEq)]
struct RowValues {
    keep: bool,
    ordinal: String,
    summary: String,
    lead_text: String,
    lead: String,
    coordinating_text: String,
    coordinating: Vec<String>,
    deadline: String,
    due: String,
    targets: String,
    recurring: bool,
    /// Indicator code, "" for none.
    indicator: String,
    indicator_year: String,
    indicator_target: String,
    /// Ticked for merging.
    selected: bool,
}

fn review_rows(values: Vec<RowValues>, units: &[OrgUnit]) -> Vec<ReviewRow> {
    let unit_items = || units.iter().map(|u| (u.id.to_string(), u.name.clone()));
    values
        .into_iter()
        .enumerate()
        .map(|(idx, v)| {
            let mut leads = vec![Opt {
                value: String::new(),
                label: "— chọn đơn vị chủ trì —".into(),
                selected: v.lead.is_empty(),
            }];
            leads.extend(opts(unit_items(), &v.lead));
            let coordinating = unit_items()
                .map(|(value, label)| Opt {
                    selected: v.coordinating.contains(&value),
                    value,
                    label,
                })
                .collect();
            ReviewRow {
                idx,
                keep: v.keep,
                ordinal: v.ordinal,
                summary: v.summary,
                lead_text: v.lead_text,
                leads,
                coordinating_text: v.coordinating_text,
                coordinating,
                deadline: v.deadline,
                due: v.due,
                targets: v.targets,
                recurring: v.recurring,
                indicators: indicator_opts(&v.indicator),
                indicator_year: v.indicator_year,
                indicator_target: v.indicator_target,
                selected: v.selected,
            }
        })
        .collect()
}

fn indicator_opts(selected: &str) -> Vec<Opt> {
    let mut v = vec![Opt {
        value: String::new(),
        label: "— không gắn chỉ số (chỉ tự báo cáo) —".into(),
        selected: selected.is_empty(),
    }];
    v.extend(opts(
        IndicatorKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label_vi().to_string())),
        selected,
    ));
    v
}

/// "45/50 công dân phải đăng ký đã đăng ký (90%) — còn thiếu 5 so với chỉ tiêu 100%".
fn measured_text(m: &MeasuredIndicator) -> String {
    let gap = match m.attainment {
        Attainment::NoBase => String::new(),
        Attainment::Met => format!(" — đạt chỉ tiêu {}%", m.indicator.target_percent),
        Attainment::Behind { missing } => {
            format!(" — còn thiếu {missing} so với chỉ tiêu {}%", m.indicator.target_percent)
        }
    };
    format!("{} năm {}{gap}", m.description, m.indicator.year)
}

/// The marker a person types in a task's text where it should be split.
const SPLIT_MARK: &str = "||";

/// Splits row `idx` at every [`SPLIT_MARK`] of its text into consecutive rows with the same units
/// and deadline; a target goes with the part that mentions it (else with the first part).
fn split_row(rows: &mut Vec<RowValues>, idx: usize) -> Result<(), String> {
    let row = rows.get(idx).ok_or("Không có nhiệm vụ cần tách.")?.clone();
    let parts: Vec<String> = row
        .summary
        .split(SPLIT_MARK)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if parts.len() < 2 {
        return Err(format!(
            "Để tách một nhiệm vụ, hãy gõ dấu {SPLIT_MARK} vào chỗ cần tách trong nội dung rồi bấm \"Tách\"."
        ));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "Mỗi phần sau khi tách phải có nội dung: dấu {SPLIT_MARK} không được ở đầu hoặc cuối, hay đứng liền nhau."
        ));
    }
    let folded: Vec<String> = parts.iter().map(|p| phongthu_domain::text::fold(p)).collect();
    let mut targets: Vec<Vec<String>> = vec![Vec::new(); parts.len()];
    for t in lines(&row.targets) {
        let ft = phongthu_domain::text::fold(&t);
        let at = folded.iter().position(|p| p.contains(&ft)).unwrap_or(0);
        targets[at].push(t);
    }
    let letters = "abcdefghijklmnopqrstuvwxyz";
    let new_rows: Vec<RowValues> = parts
        .into_iter()
        .zip(targets)
        .enumerate()
        .map(|(i, (summary, t))| RowValues {
            keep: true,
            ordinal: if row.ordinal.trim().is_empty() {
                String::new()
            } else {
                format!("{}{}", row.ordinal.trim(), letters.chars().nth(i % 26).unwrap_or('z'))
            },
            summary,
            targets: t.join("\n"),
            selected: false,
            ..row.clone()
        })
        .collect();
    rows.splice(idx..=idx, new_rows);
    Ok(())
}

/// Merges the ticked rows into the first of them: texts joined in order, the first lead unit
/// leads and the other lead units coordinate, coordinating units and targets combined, the
/// earliest deadline kept.
fn merge_rows(rows: &mut Vec<RowValues>) -> Result<(), String> {
    let picked: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.selected)
        .map(|(i, _)| i)
        .collect();
    if picked.len() < 2 {
        return Err("Hãy đánh dấu \"Chọn để gộp\" ở ít nhất hai nhiệm vụ rồi bấm \"Gộp\".".into());
    }
    let group: Vec<RowValues> = picked.iter().map(|&i| rows[i].clone()).collect();
    let join = |f: &dyn Fn(&RowValues) -> &str, sep: &str| {
        let mut seen: Vec<String> = Vec::new();
        for r in &group {
            let v = f(r).trim();
            if !v.is_empty() && !seen.iter().any(|s| s == v) {
                seen.push(v.to_string());
            }
        }
        seen.join(sep)
    };
    let lead = group
        .iter()
        .map(|r| r.lead.trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    let mut coordinating: Vec<String> = Vec::new();
    for r in &group {
        for c in std::iter::once(&r.lead).chain(r.coordinating.iter()) {
            let c = c.trim();
            if !c.is_empty() && c != lead && !coordinating.iter().any(|x| x == c) {
                coordinating.push(c.to_string());
            }
        }
    }
    let mut targets: Vec<String> = Vec::new();
    for r in &group {
        for t in lines(&r.targets) {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    // The earliest deadline: by the day it denotes (the typed day first, else the text's).
    let due_of = |r: &RowValues| {
        opt(&r.due)
            .and_then(|d| parse_date_text(&d))
            .or_else(|| due_date_of(&r.deadline))
    };
    let earliest = group
        .iter()
        .filter(|r| due_of(r).is_some())
        .min_by_key(|r| due_of(r))
        .or_else(|| group.iter().find(|r| !r.deadline.trim().is_empty()))
        .cloned();
    let first = &group[0];
    let merged = RowValues {
        keep: true,
        ordinal: join(&|r| r.ordinal.as_str(), ", "),
        summary: join(&|r| r.summary.as_str(), " "),
        lead_text: join(&|r| r.lead_text.as_str(), "; "),
        lead,
        coordinating_text: join(&|r| r.coordinating_text.as_str(), "; "),
        coordinating,
        deadline: earliest.as_ref().map(|r| r.deadline.clone()).unwrap_or_default(),
        due: earliest.as_ref().map(|r| r.due.clone()).unwrap_or_default(),
        targets: targets.join("\n"),
        recurring: group.iter().any(|r| r.recurring),
        indicator: first.indicator.clone(),
        indicator_year: first.indicator_year.clone(),
        indicator_target: first.indicator_target.clone(),
        selected: false,
    };
    for &i in picked.iter().skip(1).rev() {
        rows.remove(i);
    }
    rows[picked[0]] = merged;
    Ok(())
}

fn blank_row() -> RowValues {
    RowValues {
        keep: false,
        ordinal: String::new(),
        summary: String::new(),
        lead_text: String::new(),
        lead: String::new(),
        coordinating_text: String::new(),
        coordinating: Vec::new(),
        deadline: String::new(),
        due: String::new(),
        targets: String::new(),
        recurring: false,
        indicator: String::new(),
        indicator_year: String::new(),
        indicator_target: String::new(),
        selected: false,
    }
}

/// The reader's proposals, with units suggested among the units in scope.
fn proposals(d: &Document, units: &[OrgUnit]) -> Vec<RowValues> {
    let Some(body) = d.body_text.as_deref() else {
        return Vec::new();
    };
    let parsed = directive::parse(body);
    parsed
        .tasks
        .iter()
        .map(|t| {
            let lead_text = t.lead.clone().unwrap_or_default();
            let lead = t
                .lead
                .as_deref()
                .and_then(|l| suggest_unit(l, units))
                .map(|id| id.to_string())
                .unwrap_or_default();
            let coordinating = t
                .coordinating
                .iter()
                .filter_map(|c| suggest_unit(c, units))
                .map(|id| id.to_string())
                .filter(|id| *id != lead)
                .collect();
            let deadline = t.deadline.clone().unwrap_or_default();
            RowValues {
                keep: true,
                ordinal: t.ordinal.clone(),
                summary: t.summary.clone(),
                lead_text,
                lead,
                coordinating_text: t.coordinating.join("; "),
                coordinating,
                due: due_date_of(&deadline).map(vi_date).unwrap_or_default(),
                deadline,
                targets: t.targets.join("\n"),
                recurring: false,
                indicator: String::new(),
                indicator_year: String::new(),
                indicator_target: String::new(),
                selected: false,
            }
        })
        .collect()
}

async fn review_context(state: &AppState, viewer: &Viewer, id: i64) -> Result<(Document, Vec<OrgUnit>), AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let d = scoped.document(id).await?;
    if !scoped.rollup(id, today()).await?.rows.is_empty() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "Các nhiệm vụ của văn bản này đã được xác nhận trước đó.",
        ));
    }
    let units = scoped.org_units().await?.into_iter().filter(|u| u.active).collect();
    Ok((d, units))
}

pub async fn review_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (d, units) = review_context(&state, &viewer, id).await?;
    let mut values = proposals(&d, &units);
    let from_reader = !values.is_empty();
    values.extend((0..EXTRA_ROWS).map(|_| blank_row()));
    let rows = review_rows(values, &units);
    render(&ReviewPage {
        chrome: Chrome::new(&state, Some(&viewer), "Xem xét và giao nhiệm vụ", "documents"),
        count: rows.len(),
        rows,
        d,
        error: None,
        from_reader,
    })
}

/// Reads the posted rows ("keep_3", "summary_3", repeated "coord_3", ...).
fn posted_rows(fields: &[(String, String)]) -> Result<(String, String, Vec<RowValues>), AppError> {
    let mut csrf_sent = String::new();
    let mut action = String::new();
    let mut count = 0usize;
    let mut by_row: HashMap<usize, RowValues> = HashMap::new();
    for (k, v) in fields {
        if k == "_csrf" {
            csrf_sent = v.clone();
            continue;
        }
        if k == "action" {
            action = v.trim().to_string();
            continue;
        }
        if k == "count" {
            count = v
                .trim()
                .parse()
                .map_err(|_| AppError::bad_request("Biểu mẫu xem xét không hợp lệ."))?;
            continue;
        }
        let Some((name, idx)) = k.rsplit_once('_') else {
            continue;
        };
        let Ok(idx) = idx.parse::<usize>() else { continue };
        if idx >= 500 {
            return Err(AppError::bad_request("Quá nhiều nhiệm vụ trong một lần xác nhận."));
        }
        let row = by_row.entry(idx).or_insert_with(blank_row);
        match name {
            "keep" => row.keep = true,
            "ordinal" => row.ordinal = v.clone(),
            "summary" => row.summary = v.clone(),
            "leadtext" => row.lead_text = v.clone(),
            "lead" => row.lead = v.trim().to_string(),
            "coordtext" => row.coordinating_text = v.clone(),
            "coord" if !v.trim().is_empty() => row.coordinating.push(v.trim().to_string()),
            "deadline" => row.deadline = v.clone(),
            "due" => row.due = v.clone(),
            "targets" => row.targets = v.clone(),
            "recurring" => row.recurring = true,
            "indicator" => row.indicator = v.trim().to_string(),
            "indyear" => row.indicator_year = v.clone(),
            "indtarget" => row.indicator_target = v.clone(),
            "merge" => row.selected = true,
            _ => {}
        }
    }
    let count = count.max(by_row.keys().map(|k| k + 1).max().unwrap_or(0)).min(500);
    let rows = (0..count)
        .map(|i| by_row.remove(&i).unwrap_or_else(blank_row))
        .collect();
    Ok((csrf_sent, action, rows))
}

/// The indicator of a posted row or task form: kind code, year and target percent.
fn posted_indicator(
    code: &str,
    year: &str,
    target: &str,
    default_year: i32,
    name: &str,
) -> Result<Option<TaskIndicator>, String> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let kind = IndicatorKind::parse(code).ok_or_else(|| format!("{name}: chỉ số đo không hợp lệ."))?;
    let year = match opt(year) {
        None => default_year,
        Some(y) => y
            .parse()
            .map_err(|_| format!("{name}: năm đo chỉ số \"{y}\" không hợp lệ: ghi bốn chữ số, vd. 2025."))?,
    };
    let target_percent = match opt(target) {
        None => 100,
        Some(t) => t
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| format!("{name}: chỉ tiêu \"{t}\" không hợp lệ: ghi số phần trăm từ 0 đến 100."))?,
    };
    Ok(Some(TaskIndicator {
        kind,
        year,
        target_percent,
    }))
}

fn reviewed_tasks(rows: &[RowValues]) -> Result<Vec<ReviewedTask>, String> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.keep) {
        let name = if r.ordinal.trim().is_empty() {
            format!("dòng {}", i + 1)
        } else {
            format!("số {}", r.ordinal.trim())
        };
        if r.summary.trim().is_empty() {
            return Err(format!(
                "Nhiệm vụ {name}: hãy ghi nội dung, hoặc bỏ chọn \"Giữ\" để loại nhiệm vụ này."
            ));
        }
        let lead_unit_id: i64 = r
            .lead
            .parse()
            .map_err(|_| format!("Nhiệm vụ {name}: hãy chọn đơn vị chủ trì."))?;
        let mut coordinating_unit_ids = Vec::new();
        for c in &r.coordinating {
            coordinating_unit_ids.push(
                c.parse::<i64>()
                    .map_err(|_| format!("Nhiệm vụ {name}: đơn vị phối hợp không hợp lệ."))?,
            );
        }
        let due_date = match opt(&r.due) {
            None => None,
            Some(d) => Some(
                parse_date_text(&d)
                    .ok_or_else(|| format!("Nhiệm vụ {name}: hạn \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN."))?,
            ),
        };
        let indicator = posted_indicator(
            &r.indicator,
            &r.indicator_year,
            &r.indicator_target,
            due_date
                .or_else(|| due_date_of(&r.deadline))
                .map_or(today().year(), |d| d.year()),
            &format!("Nhiệm vụ {name}"),
        )?;
        out.push(ReviewedTask {
            recurring: r.recurring,
            indicator,
            ordinal: if r.ordinal.trim().is_empty() {
                (out.len() + 1).to_string()
            } else {
                r.ordinal.trim().to_string()
            },
            summary: r.summary.clone(),
            lead_unit_id,
            coordinating_unit_ids,
            deadline: opt(&r.deadline),
            due_date,
            targets: lines(&r.targets),
        });
    }
    if out.is_empty() {
        return Err("Hãy giữ lại ít nhất một nhiệm vụ trước khi xác nhận.".into());
    }
    Ok(out)
}

pub async fn review_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (csrf_sent, action, mut rows) = posted_rows(&fields)?;
    csrf::verify(&viewer.csrf, &csrf_sent)?;
    let (d, units) = review_context(&state, &viewer, id).await?;
    // Split and merge only reshape the form; nothing is stored until "Xác nhận".
    let reshaped = if action == "merge" {
        Some(merge_rows(&mut rows))
    } else {
        action
            .strip_prefix("split_")
            .and_then(|i| i.parse::<usize>().ok())
            .map(|i| split_row(&mut rows, i))
    };
    if let Some(outcome) = reshaped {
        let (error, status) = match outcome {
            Ok(()) => (None, StatusCode::OK),
            Err(m) => (Some(m), StatusCode::BAD_REQUEST),
        };
        let rows = review_rows(rows, &units);
        let mut res = render(&ReviewPage {
            chrome: Chrome::new(&state, Some(&viewer), "Xem xét và giao nhiệm vụ", "documents"),
            count: rows.len(),
            rows,
            d,
            error,
            from_reader: true,
        })?;
        *res.status_mut() = status;
        return Ok(res);
    }
    let result = match reviewed_tasks(&rows) {
        Ok(tasks) => state
            .store()
            .scoped(&viewer.actor)
            .create_tasks_from_review(id, tasks)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
                other => Err(other),
            }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/documents/{id}?saved=1")).into_response()),
        Err(Ok(message)) => {
            let rows = review_rows(rows, &units);
            let mut res = render(&ReviewPage {
                chrome: Chrome::new(&state, Some(&viewer), "Xem xét và giao nhiệm vụ", "documents"),
                count: rows.len(),
                rows,
                d,
                error: Some(message),
                from_reader: true,
            })?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks

pub struct TaskRow {
    pub id: i64,
    pub ordinal: String,
    pub summary: String,
    pub document: String,
    pub lead: String,
    pub due: String,
    pub percent: String,
    pub status: &'static str,
    pub flag: &'static str,
}

fn task_row(t: &Task, today: time::Date) -> TaskRow {
    TaskRow {
        id: t.id,
        ordinal: t.ordinal.clone(),
        summary: t.summary.clone(),
        document: match &t.document_number {
            Some(n) => format!("{n} — {}", t.document_title),
            None => t.document_title.clone(),
        },
        lead: t.unit_name.clone(),
        due: date_or_empty(t.due_date),
        percent: t.latest_percent.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into()),
        status: t.status.label_vi(),
        flag: if t.is_overdue(today) {
            "Quá hạn"
        } else if t.is_due_soon(today, DUE_SOON_DAYS) {
            "Sắp đến hạn"
        } else {
            ""
        },
    }
}

#[derive(Template)]
#[template(path = "doc_tasks.html")]
struct TasksPage {
    chrome: Chrome,
    rows: Vec<TaskRow>,
    overdue: usize,
    due_soon: usize,
    days: i64,
}

pub async fn tasks(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let now = today();
    let all = scoped.tasks_for_unit(now).await?;
    let overdue = scoped.overdue(now).await?.len();
    let due_soon = scoped.due_soon(now, DUE_SOON_DAYS).await?.len();
    render(&TasksPage {
        chrome: Chrome::new(&state, Some(&viewer), "Nhiệm vụ", "tasks"),
        rows: all.iter().map(|t| task_row(t, now)).collect(),
        overdue,
        due_soon,
        days: DUE_SOON_DAYS,
    })
}

/// One progress report as shown, with its files (id, name, size).
pub struct ReportView {
    pub date: String,
    pub who: String,
    pub percent: i64,
    pub body: String,
    pub figures: String,
    pub files: Vec<(i64, String, String)>,
}

#[derive(Template)]
#[template(path = "doc_task.html")]
struct TaskPage {
    chrome: Chrome,
    t: TaskRow,
    document_id: i64,
    deadline: String,
    targets: Vec<String>,
    coordinating: String,
    reports: Vec<ReportView>,
    can_report: bool,
    can_change: bool,
    recurring: bool,
    cancel_reason: Option<String>,
    copied_from: Option<i64>,
    measured: Option<String>,
    indicator_label: String,
    today: String,
    error: Option<String>,
    flash: Option<&'static str>,
    f: ReportForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reported_on: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    figures: String,
}

/// Whether the actor may change the task: a writer whose scope holds the issuing unit, on an open
/// task (the store checks it again).
async fn may_change(scoped: &phongthu_store::Scoped<'_>, viewer: &Viewer, t: &Task) -> Result<bool, AppError> {
    Ok(viewer.actor.role.allows(Permission::Write)
        && t.status == TaskStatus::Open
        && scoped.unit_in_scope(t.issuing_unit_id).await?)
}

async fn task_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    error: Option<String>,
    flash: Option<&'static str>,
    f: ReportForm,
) -> Result<TaskPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let t = scoped.task(id).await?;
    let reports = scoped
        .reports(id)
        .await?
        .into_iter()
        .map(|r| ReportView {
            date: vi_date(r.reported_on),
            who: r.reporter_name,
            percent: r.percent,
            body: r.body,
            figures: r.figures,
            files: r
                .attachments
                .into_iter()
                .map(|a| (a.id, a.file_name, format!("{} KB", (a.size + 1023) / 1024)))
                .collect(),
        })
        .collect();
    let lead_or_coordinating = scoped.unit_in_scope(t.unit_id).await? || {
        let mut any = false;
        for (u, _) in &t.coordinating {
            any |= scoped.unit_in_scope(*u).await?;
        }
        any
    };
    let measured = scoped.measured_indicator(id).await?.as_ref().map(measured_text);
    Ok(TaskPage {
        chrome: Chrome::new(state, Some(viewer), format!("Nhiệm vụ {}", t.ordinal), "tasks"),
        document_id: t.document_id,
        deadline: t.deadline.clone().unwrap_or_default(),
        targets: t.targets.clone(),
        coordinating: t
            .coordinating
            .iter()
            .map(|(_, n)| n.clone())
            .collect::<Vec<_>>()
            .join("; "),
        reports,
        can_report: viewer.actor.role.allows(Permission::Write) && t.status == TaskStatus::Open && lead_or_coordinating,
        can_change: may_change(&scoped, viewer, &t).await?,
        recurring: t.recurring,
        cancel_reason: t.cancel_reason.clone(),
        copied_from: t.copied_from,
        measured,
        indicator_label: t.indicator.map(|i| i.kind.label_vi().to_string()).unwrap_or_default(),
        today: vi_date(today()),
        error,
        flash,
        f,
        t: task_row(&t, today()),
    })
}

pub async fn task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.is_some().then_some("Đã lưu.");
    render(&task_page(&state, &viewer, id, None, flash, ReportForm::default()).await?)
}

/// The largest progress report accepted with its files.
pub const REPORT_LIMIT_BYTES: usize = phongthu_store::REPORT_ATTACHMENTS_TOTAL_MAX_BYTES + 1024 * 1024;

/// Reads a report form sent as multipart (with files) or urlencoded (without).
async fn read_report_form(
    state: &AppState,
    viewer: &Viewer,
    req: axum::extract::Request,
) -> Result<(ReportForm, Vec<NewAttachment>), AppError> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(f) = axum::Form::<ReportForm>::from_request(req, state)
            .await
            .map_err(|_| AppError::bad_request("Biểu mẫu báo cáo không hợp lệ."))?;
        return Ok((f, Vec::new()));
    }
    let bad = |m: &str| AppError::bad_request(m.to_string());
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|_| bad("Biểu mẫu báo cáo không đúng dạng."))?;
    let mut f = ReportForm::default();
    let mut files = Vec::new();
    let mut total = 0usize;
    while let Some(mut field) = mp
        .next_field()
        .await
        .map_err(|_| bad("Tệp tải lên bị gián đoạn hoặc không đúng dạng biểu mẫu."))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "files" {
            // The CSRF field comes first in the form: check it before reading a file.
            csrf::verify(&viewer.csrf, &f.csrf)?;
            let file_name = field
                .file_name()
                .unwrap_or("")
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| bad("Tệp tải lên bị gián đoạn."))? {
                bytes.extend_from_slice(&chunk);
                total += chunk.len();
                if bytes.len() > phongthu_store::REPORT_ATTACHMENT_MAX_BYTES
                    || total > phongthu_store::REPORT_ATTACHMENTS_TOTAL_MAX_BYTES
                {
                    return Err(bad(
                        "Tệp đính kèm lớn quá: mỗi tệp tối đa 10 MB, cả báo cáo tối đa 20 MB.",
                    ));
                }
            }
            // An empty file input sends a part with no name and no bytes: not a file.
            if !(file_name.is_empty() && bytes.is_empty()) {
                files.push(NewAttachment {
                    file_name,
                    content: bytes,
                });
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "_csrf" => f.csrf = value,
            "reported_on" => f.reported_on = value,
            "percent" => f.percent = value,
            "body" => f.body = value,
            "figures" => f.figures = value,
            _ => {}
        }
    }
    Ok((f, files))
}

pub async fn add_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let (f, files) = read_report_form(&state, &viewer, req).await?;
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let built = (|| -> Result<NewReport, String> {
        let reported_on = match opt(&f.reported_on) {
            None => today(),
            Some(d) => parse_date_text(&d)
                .ok_or_else(|| format!("Ngày báo cáo \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN."))?,
        };
        let percent: i64 = f.percent.trim().trim_end_matches('%').trim().parse().map_err(|_| {
            format!(
                "Tỷ lệ hoàn thành \"{}\" không hợp lệ: ghi số từ 0 đến 100.",
                f.percent.trim()
            )
        })?;
        Ok(NewReport {
            reported_on,
            percent,
            body: f.body.clone(),
            figures: f.figures.clone(),
            attachments: files,
        })
    })();
    let result = match built {
        Ok(r) => scoped.add_report(id, r).await.map_err(|e| match e {
            StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
            other => Err(other),
        }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?saved=1")).into_response()),
        Err(Ok(message)) => {
            let mut res = render(&task_page(&state, &viewer, id, Some(message), None, f).await?)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

pub async fn report_attachment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, att)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (a, bytes) = state
        .store()
        .scoped(&viewer.actor)
        .report_attachment_content(id, att)
        .await?;
    Ok(super::download(bytes, "application/octet-stream", &a.file_name))
}

// ---------------------------------------------------------------------------------------------
// Editing and cancelling a confirmed task (the issuing unit)

#[derive(Template)]
#[template(path = "doc_task_edit.html")]
struct TaskEditPage {
    chrome: Chrome,
    task_id: i64,
    ordinal: String,
    error: Option<String>,
    summary: String,
    leads: Vec<Opt>,
    coordinating: Vec<Opt>,
    deadline: String,
    due: String,
    targets: String,
    recurring: bool,
    indicators: Vec<Opt>,
    indicator_year: String,
    indicator_target: String,
}

/// The edit form's values ("coord" repeated).
#[derive(Default)]
struct EditValues {
    csrf: String,
    summary: String,
    lead: String,
    coordinating: Vec<String>,
    deadline: String,
    due: String,
    targets: String,
    recurring: bool,
    indicator: String,
    indicator_year: String,
    indicator_target: String,
}

fn edit_values(t: &Task) -> EditValues {
    EditValues {
        csrf: String::new(),
        summary: t.summary.clone(),
        lead: t.unit_id.to_string(),
        coordinating: t.coordinating.iter().map(|c| c.0.to_string()).collect(),
        deadline: t.deadline.clone().unwrap_or_default(),
        due: date_or_empty(t.due_date),
        targets: t.targets.join("\n"),
        recurring: t.recurring,
        indicator: t.indicator.map(|i| i.kind.code().to_string()).unwrap_or_default(),
        indicator_year: t.indicator.map(|i| i.year.to_string()).unwrap_or_default(),
        indicator_target: t.indicator.map(|i| i.target_percent.to_string()).unwrap_or_default(),
    }
}

fn posted_edit(fields: &[(String, String)]) -> EditValues {
    let mut v = EditValues::default();
    for (k, val) in fields {
        match k.as_str() {
            "_csrf" => v.csrf = val.clone(),
            "summary" => v.summary = val.clone(),
            "lead" => v.lead = val.trim().to_string(),
            "coord" if !val.trim().is_empty() => v.coordinating.push(val.trim().to_string()),
            "deadline" => v.deadline = val.clone(),
            "due" => v.due = val.clone(),
            "targets" => v.targets = val.clone(),
            "recurring" => v.recurring = true,
            "indicator" => v.indicator = val.trim().to_string(),
            "indyear" => v.indicator_year = val.clone(),
            "indtarget" => v.indicator_target = val.clone(),
            _ => {}
        }
    }
    v
}

fn task_edit(v: &EditValues) -> Result<TaskEdit, String> {
    let lead_unit_id: i64 = v.lead.parse().map_err(|_| "Hãy chọn đơn vị chủ trì.".to_string())?;
    let mut coordinating_unit_ids = Vec::new();
    for c in &v.coordinating {
        coordinating_unit_ids.push(
            c.parse::<i64>()
                .map_err(|_| "Đơn vị phối hợp không hợp lệ.".to_string())?,
        );
    }
    let due_date = match opt(&v.due) {
        None => None,
        Some(d) => Some(parse_date_text(&d).ok_or_else(|| format!("Hạn \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN."))?),
    };
    let default_year = due_date
        .or_else(|| due_date_of(&v.deadline))
        .map_or(today().year(), |d| d.year());
    Ok(TaskEdit {
        summary: v.summary.clone(),
        lead_unit_id,
        coordinating_unit_ids,
        deadline: opt(&v.deadline),
        due_date,
        targets: lines(&v.targets),
        recurring: v.recurring,
        indicator: posted_indicator(
            &v.indicator,
            &v.indicator_year,
            &v.indicator_target,
            default_year,
            "Chỉ số đo",
        )?,
    })
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    t: &Task,
    v: EditValues,
    error: Option<String>,
) -> Result<TaskEditPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let units: Vec<OrgUnit> = scoped.org_units().await?.into_iter().filter(|u| u.active).collect();
    let unit_items = || units.iter().map(|u| (u.id.to_string(), u.name.clone()));
    Ok(TaskEditPage {
        chrome: Chrome::new(state, Some(viewer), format!("Sửa nhiệm vụ {}", t.ordinal), "tasks"),
        task_id: t.id,
        ordinal: t.ordinal.clone(),
        error,
        summary: v.summary,
        leads: opts(unit_items(), &v.lead),
        coordinating: unit_items()
            .map(|(value, label)| Opt {
                selected: v.coordinating.contains(&value),
                value,
                label,
            })
            .collect(),
        deadline: v.deadline,
        due: v.due,
        targets: v.targets,
        recurring: v.recurring,
        indicators: indicator_opts(&v.indicator),
        indicator_year: v.indicator_year,
        indicator_target: v.indicator_target,
    })
}

async fn changeable_task(state: &AppState, viewer: &Viewer, id: i64) -> Result<Task, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let t = scoped.task(id).await?;
    if !may_change(&scoped, viewer, &t).await? {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "Chỉ đơn vị đã giao nhiệm vụ mới sửa hoặc hủy được nhiệm vụ đang thực hiện.",
        ));
    }
    Ok(t)
}

pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let t = changeable_task(&state, &viewer, id).await?;
    render(&edit_page(&state, &viewer, &t, edit_values(&t), None).await?)
}

pub async fn edit_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let v = posted_edit(&fields);
    csrf::verify(&viewer.csrf, &v.csrf)?;
    let t = changeable_task(&state, &viewer, id).await?;
    let result = match task_edit(&v) {
        Ok(e) => state
            .store()
            .scoped(&viewer.actor)
            .update_task(id, e)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
                other => Err(other),
            }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?saved=1")).into_response()),
        Err(Ok(message)) => {
            let mut res = render(&edit_page(&state, &viewer, &t, v, Some(message)).await?)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct CancelForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    changeable_task(&state, &viewer, id).await?;
    match state.store().scoped(&viewer.actor).cancel_task(id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?saved=1")).into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut res = render(&task_page(&state, &viewer, id, Some(m), None, ReportForm::default()).await?)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The annual cycle: recurring tasks of a year copied into the next year's plan

#[derive(Template)]
#[template(path = "doc_recurring.html")]
struct RecurringPage {
    chrome: Chrome,
    year: String,
    error: Option<String>,
    /// After a copy: the sentence, and the new tasks.
    done: Option<String>,
    created: Vec<TaskRow>,
    can_copy: bool,
}

#[derive(Deserialize, Default)]
pub struct RecurringForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    year: String,
}

pub async fn recurring_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    // The form copies tasks: only those who may write see it.
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    render(&RecurringPage {
        chrome: Chrome::new(
            &state,
            Some(&viewer),
            "Sao chép nhiệm vụ thường xuyên sang năm sau",
            "tasks",
        ),
        year: (today().year() - 1).to_string(),
        error: None,
        done: None,
        created: Vec::new(),
        can_copy: viewer.actor.role.allows(Permission::Write),
    })
}

pub async fn recurring_copy(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<RecurringForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let page = |error: Option<String>, done: Option<String>, created: Vec<TaskRow>| RecurringPage {
        chrome: Chrome::new(
            &state,
            Some(&viewer),
            "Sao chép nhiệm vụ thường xuyên sang năm sau",
            "tasks",
        ),
        year: f.year.trim().to_string(),
        error,
        done,
        created,
        can_copy: true,
    };
    let year = match f.year.trim().parse::<i32>() {
        Ok(y) if (2000..=2099).contains(&y) => y,
        _ => {
            let mut res = render(&page(
                Some(format!(
                    "Năm \"{}\" không hợp lệ: ghi bốn chữ số, vd. 2025.",
                    f.year.trim()
                )),
                None,
                Vec::new(),
            ))?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let r = scoped.copy_recurring_tasks(year).await?;
    let done = format!(
        "Đã sao chép {} nhiệm vụ thường xuyên của năm {} sang năm {}; {} nhiệm vụ đã được sao chép từ trước nên bỏ qua.",
        r.created.len(),
        r.from_year,
        r.to_year,
        r.already_copied
    );
    let now = today();
    render(&page(
        None,
        Some(done),
        r.created.iter().map(|t| task_row(t, now)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ordinal: &str, summary: &str, lead: &str, coord: &[&str], deadline: &str, targets: &str) -> RowValues {
        RowValues {
            keep: true,
            ordinal: ordinal.into(),
            summary: summary.into(),
            lead: lead.into(),
            coordinating: coord.iter().map(|c| c.to_string()).collect(),
            deadline: deadline.into(),
            due: due_date_of(deadline).map(vi_date).unwrap_or_default(),
            targets: targets.into(),
            ..blank_row()
        }
    }

    #[test]
    fn a_task_splits_at_the_marks_and_targets_follow_their_part() {
        let mut rows = vec![
            row(
                "1",
                "Tuyển chọn công dân nhập ngũ đạt 100% chỉ tiêu || xây dựng thao trường 1,5ha",
                "7",
                &["8"],
                "2025",
                "100% chỉ tiêu\n1,5ha",
            ),
            row("2", "Huấn luyện dân quân", "8", &[], "quý II/2025", ""),
        ];
        split_row(&mut rows, 0).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].summary, "Tuyển chọn công dân nhập ngũ đạt 100% chỉ tiêu");
        assert_eq!(rows[1].summary, "xây dựng thao trường 1,5ha");
        assert_eq!((rows[0].ordinal.as_str(), rows[1].ordinal.as_str()), ("1a", "1b"));
        assert_eq!(rows[0].targets, "100% chỉ tiêu");
        assert_eq!(rows[1].targets, "1,5ha");
        assert_eq!(
            (rows[1].lead.as_str(), rows[1].coordinating.clone()),
            ("7", vec!["8".to_string()])
        );
        assert_eq!(rows[1].deadline, "2025");
        assert_eq!(rows[2].ordinal, "2");
        // Without a mark, or with an empty part, nothing changes.
        let before = rows.clone();
        assert!(split_row(&mut rows, 2).unwrap_err().contains("||"));
        rows[2].summary = "Huấn luyện || ".into();
        assert!(split_row(&mut rows, 2).is_err());
        rows[2].summary = before[2].summary.clone();
        assert_eq!(rows, before);
        assert!(split_row(&mut rows, 9).is_err());
    }

    #[test]
    fn selected_tasks_merge_with_units_targets_and_the_earliest_deadline() {
        let mut rows = vec![
            row("1", "Rà soát nguồn", "7", &["9"], "2025", "100% chỉ tiêu"),
            row("2", "Huấn luyện dân quân", "8", &[], "quý II/2025", ""),
            row("3", "Sơ kết", "9", &["7"], "quý III/2025", "100% chỉ tiêu\n01 hội nghị"),
        ];
        assert!(merge_rows(&mut rows).is_err(), "nothing selected");
        rows[0].selected = true;
        assert!(merge_rows(&mut rows).is_err(), "one selected");
        rows[2].selected = true;
        rows[2].recurring = true;
        merge_rows(&mut rows).unwrap();
        assert_eq!(rows.len(), 2);
        let m = &rows[0];
        assert_eq!(m.summary, "Rà soát nguồn Sơ kết");
        assert_eq!(m.ordinal, "1, 3");
        assert_eq!(m.lead, "7");
        assert_eq!(
            m.coordinating,
            vec!["9".to_string()],
            "the other lead coordinates; the lead is not repeated"
        );
        assert_eq!(m.targets, "100% chỉ tiêu\n01 hội nghị");
        assert_eq!(m.deadline, "quý III/2025", "the earliest deadline");
        assert!(m.recurring && m.keep && !m.selected);
        assert_eq!(rows[1].ordinal, "2");
    }

    #[test]
    fn indicators_are_read_from_the_form() {
        assert_eq!(posted_indicator("", "2025", "90", 2025, "x").unwrap(), None);
        let i = posted_indicator("first_registration", "", "", 2026, "x")
            .unwrap()
            .unwrap();
        assert_eq!(
            (i.kind, i.year, i.target_percent),
            (IndicatorKind::FirstRegistration, 2026, 100)
        );
        let i = posted_indicator("quota_split", "2025", "95%", 2026, "x")
            .unwrap()
            .unwrap();
        assert_eq!((i.year, i.target_percent), (2025, 95));
        assert!(posted_indicator("handover", "", "", 2025, "x").is_err());
        assert!(posted_indicator("quota_split", "năm nay", "", 2025, "x").is_err());
    }

    #[test]
    fn counts_are_grouped_the_vietnamese_way() {
        assert_eq!(vi_count(0), "0");
        assert_eq!(vi_count(999), "999");
        assert_eq!(vi_count(1000), "1.000");
        assert_eq!(vi_count(67597), "67.597");
        assert_eq!(vi_count(1234567), "1.234.567");
    }
}
