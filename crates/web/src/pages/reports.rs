//! Official reports in the Decree 30/2020 layout (`phongthu_documents::official`), as DOCX or PDF:
//! the execution of a directive's tasks, a call-up cycle's quota split and a commune's public list.
//! Each is a draft the unit completes and signs: the number is left blank and the signer is the
//! user who made it.
//!
//! One handler serves both formats: the route's extension chooses (`…/bao-cao.docx`,
//! `…/bao-cao.pdf`; the public list `…/cong-khai/{unit}/danh-sach.docx` or `.pdf`, and the older
//! `…/cong-khai/{unit}` stays a DOCX). The scope checks are the same for both, since they run
//! before the format matters. Writing the file (typesetting a PDF especially) is CPU work and
//! runs on the blocking pool.

use crate::error::AppError;
use crate::forms::extract::Path;
use crate::forms::{today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use phongthu_documents::official::{Block, OfficialDocument, Signer};
use phongthu_domain::territory::Level;

/// The issuing unit's name, its superior's, and the place (province) for the date line.
pub(crate) async fn heading(state: &AppState, viewer: &Viewer) -> Result<(String, Option<String>, String), AppError> {
    let (unit, superior) = state.store().scoped(&viewer.actor).own_unit_with_superior().await?;
    let place = unit
        .province_code
        .as_deref()
        .and_then(|c| state.territory().unit_on(c, Some(Level::Province), today()))
        .map(|p| p.short_name().to_string())
        .unwrap_or_default();
    Ok((unit.name, superior, place))
}

pub(crate) fn signer(viewer: &Viewer) -> Signer {
    Signer {
        authority: None,
        title: "Người lập báo cáo".into(),
        name: viewer.actor.display_name.clone(),
    }
}

pub const PDF: &str = "application/pdf";

/// The file format of a report, from the extension of the requested path: `.pdf` gives PDF,
/// anything else DOCX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Docx,
    Pdf,
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(if parts.uri.path().ends_with(".pdf") {
            Format::Pdf
        } else {
            Format::Docx
        })
    }
}

/// Writes the document in the format asked for (on the blocking pool) and sends it as
/// `{stem}.docx` or `{stem}.pdf`.
async fn deliver(doc: OfficialDocument, format: Format, stem: &str) -> Result<Response, AppError> {
    deliver_all(vec![doc], format, stem).await
}

/// Writes one document, or several in one file (each on its own pages with its own page
/// numbers, e.g. a commune's call-up decisions), on the blocking pool, and sends the file.
pub(crate) async fn deliver_all(docs: Vec<OfficialDocument>, format: Format, stem: &str) -> Result<Response, AppError> {
    use phongthu_documents::official::batch_docx;
    use phongthu_documents::pdf_batch::{batch_pdf_chunked, CHUNK_DOCS};
    super::doc_jobs::check_size(docs.len())?;
    let (label, content_type, extension) = match format {
        Format::Docx => ("DOCX", super::DOCX, "docx"),
        Format::Pdf => ("PDF", PDF, "pdf"),
    };
    let written = tokio::task::spawn_blocking(move || match (format, docs.as_slice()) {
        (Format::Docx, [one]) => one.to_docx(),
        (Format::Pdf, [one]) => one.to_pdf(),
        (Format::Docx, many) => batch_docx(many),
        // Typeset by chunks: bounded memory and time per page whatever the batch's length.
        (Format::Pdf, many) => batch_pdf_chunked(many, CHUNK_DOCS, &|_| {}),
    })
    .await
    .map_err(|e| AppError::internal(format!("Không tạo được tệp {label}: {e}")))?;
    let bytes = written.map_err(|e| AppError::internal(format!("Không tạo được tệp {label}: {e}")))?;
    Ok(super::download(bytes, content_type, &format!("{stem}.{extension}")))
}

/// `GET /documents/{id}/bao-cao.docx` and `.pdf`: the execution of a directive's tasks.
pub async fn directive_report(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let d = scoped.document(id).await?;
    let r = scoped.rollup(id, today()).await?;
    let (issuer, superior_body, place) = heading(&state, &viewer).await?;
    let reference = match (&d.number_symbol, d.issued_on) {
        (Some(n), Some(on)) => format!("{} số {n} ngày {}", d.kind.label_vi(), vi_date(on)),
        (Some(n), None) => format!("{} số {n}", d.kind.label_vi()),
        _ => d.kind.label_vi().to_string(),
    };
    let mut body = vec![
        Block::Paragraph(format!(
            "Thực hiện {reference} của {} về {}, {} báo cáo kết quả thực hiện đến ngày {} như sau:",
            d.issuer.clone().unwrap_or_else(|| "cấp trên".into()),
            d.title,
            issuer,
            vi_date(today())
        )),
        Block::Heading("I. TÌNH HÌNH CHUNG".into()),
        Block::Paragraph(format!(
            "Tổng số {} nhiệm vụ: {} đã hoàn thành, {} đang thực hiện (trong đó {} quá hạn), {} đã hủy; tiến độ bình quân {}%.",
            r.total, r.done, r.open, r.overdue, r.cancelled, r.average_percent
        )),
        Block::Heading("II. KẾT QUẢ THỰC HIỆN TỪNG NHIỆM VỤ".into()),
    ];
    let rows = r
        .rows
        .iter()
        .map(|row| {
            let t = &row.task;
            vec![
                t.ordinal.clone(),
                t.summary.clone(),
                t.unit_name.clone(),
                t.due_date
                    .map(vi_date)
                    .or_else(|| t.deadline.clone())
                    .unwrap_or_default(),
                t.latest_percent
                    .map(|p| format!("{p}%"))
                    .unwrap_or_else(|| "chưa báo cáo".into()),
                if row.overdue {
                    "Quá hạn".into()
                } else {
                    t.status.label_vi().to_string()
                },
            ]
        })
        .collect();
    body.push(Block::Table {
        headers: ["TT", "Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn", "Tiến độ", "Tình trạng"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows,
        widths_pct: Some(vec![6, 40, 20, 12, 10, 12]),
    });
    body.push(Block::Heading("III. KIẾN NGHỊ, ĐỀ XUẤT".into()));
    body.push(Block::Paragraph("(Đơn vị bổ sung.)".into()));
    let doc = OfficialDocument {
        superior_body,
        issuer,
        number_symbol: None,
        place,
        date: today(),
        kind_label: "BÁO CÁO".into(),
        title: format!("Kết quả thực hiện {}", d.title),
        body,
        signer: signer(&viewer),
        recipients: vec![
            d.issuer.clone().unwrap_or_else(|| "Cấp trên".into()) + " (để báo cáo)",
            "Lưu: VT".into(),
        ],
    };
    deliver(doc, format, &format!("bao-cao-thuc-hien-{id}")).await
}

/// `GET /nvqs/{id}/bao-cao.docx` and `.pdf`: a cycle's quota split among the communes.
pub async fn cycle_report(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    // The split is the province's report: a commune command sees the cycle, but only its own
    // part, so it does not issue the province's report.
    let scoped = state.store().scoped(&viewer.actor);
    scoped.owned_cycle(id).await?;
    let o = scoped.cycle_overview(id).await?;
    let (issuer, superior_body, place) = heading(&state, &viewer).await?;
    let total_pool: i64 = o.communes.iter().map(|f| f.eligible).sum();
    let saved = o.communes.iter().all(|f| f.quota.is_some()) && !o.communes.is_empty();
    let rows = o
        .communes
        .iter()
        .map(|f| {
            vec![
                f.unit_name.clone(),
                f.citizens.to_string(),
                f.eligible.to_string(),
                f.deferred.to_string(),
                f.exempted.to_string(),
                f.proposed.to_string(),
                f.quota.map(|q| q.to_string()).unwrap_or_default(),
                f.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let body = vec![
        Block::Paragraph(format!(
            "Chỉ tiêu gọi công dân nhập ngũ năm {} của {} là {} công dân. Nguồn sẵn sàng nhập ngũ xét theo dữ liệu hồ sơ đến ngày {} là {} công dân.",
            o.cycle.year, o.cycle.unit_name, o.cycle.quota, o.cycle.reference_date, total_pool
        )),
        Block::Paragraph(
            (if saved { "Chỉ tiêu đã giao cho các xã, phường, đặc khu như sau:" } else { "Đề xuất phân chỉ tiêu theo tỷ lệ nguồn (chưa giao chính thức):" })
                .to_string(),
        ),
        Block::Table {
            headers: ["Ban CHQS xã", "Hồ sơ", "Nguồn", "Tạm hoãn", "Miễn", "Đề xuất", "Chỉ tiêu", "Lý do điều chỉnh"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows,
            widths_pct: Some(vec![26, 9, 9, 10, 8, 10, 10, 18]),
        },
    ];
    let doc = OfficialDocument {
        superior_body,
        issuer,
        number_symbol: None,
        place,
        date: today(),
        kind_label: "BÁO CÁO".into(),
        title: format!("Phân chỉ tiêu gọi công dân nhập ngũ năm {}", o.cycle.year),
        body,
        signer: signer(&viewer),
        recipients: vec!["Như trên".into(), "Lưu: VT".into()],
    };
    deliver(doc, format, &format!("phan-chi-tieu-{}", o.cycle.year)).await
}

/// `GET /nvqs/{id}/cong-khai/{unit}/danh-sach.docx` and `.pdf` (and the older
/// `/nvqs/{id}/cong-khai/{unit}`, DOCX): the list a commune posts publicly (law brief §1.5: name,
/// birth date, permanent residence, occupation, workplace and the reason; nothing else, no ID
/// numbers), from the engine's assessment of the registry. It is a proposed list: the official one
/// follows the chairman's decision.
pub async fn public_list(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path((id, unit_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    use phongthu_domain::nvqs::Status;
    let (cycle, unit_name, list) = state
        .store()
        .scoped(&viewer.actor)
        .commune_assessments(id, unit_id)
        .await?;
    let (issuer, superior_body, place) = heading(&state, &viewer).await?;
    let row = |i: usize, c: &phongthu_store::Citizen, reason: String| {
        vec![
            (i + 1).to_string(),
            c.full_name.clone(),
            vi_date(c.birth_date),
            super::citizens::residence(&state, c),
            c.occupation.clone().unwrap_or_default(),
            c.workplace.clone().unwrap_or_default(),
            reason,
        ]
    };
    let headers: Vec<String> = [
        "TT",
        "Họ và tên",
        "Ngày sinh",
        "Nơi thường trú",
        "Nghề nghiệp",
        "Nơi làm việc",
        "Lý do",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let widths = Some(vec![5, 18, 11, 20, 12, 14, 20]);
    let excused: Vec<Vec<String>> = list
        .iter()
        .filter(|(_, d)| matches!(d.status, Status::Deferred | Status::Exempted))
        .enumerate()
        .map(|(i, (c, d))| row(i, c, format!("{}: {}", d.status.label_vi(), d.reasons.join("; "))))
        .collect();
    let eligible: Vec<Vec<String>> = list
        .iter()
        .filter(|(_, d)| d.status == Status::Eligible)
        .enumerate()
        .map(|(i, (c, _))| {
            row(
                i,
                c,
                "Đủ điều kiện theo dữ liệu hồ sơ (chưa gồm kết quả khám sức khỏe)".into(),
            )
        })
        .collect();
    let body = vec![
        Block::Paragraph(format!(
            "Danh sách dự kiến do {unit_name} lập từ dữ liệu hồ sơ, xét điều kiện tại ngày {}; danh sách chính thức được niêm yết sau khi có quyết định của cấp có thẩm quyền.",
            phongthu_domain::dates::parse_iso_date(&cycle.reference_date)
                .map(crate::forms::vi_date)
                .unwrap_or_else(|| cycle.reference_date.clone())
        )),
        Block::Heading(format!("I. CÔNG DÂN TẠM HOÃN, MIỄN GỌI NHẬP NGŨ ({})", excused.len())),
        Block::Table { headers: headers.clone(), rows: excused, widths_pct: widths.clone() },
        Block::Heading(format!("II. CÔNG DÂN ĐỦ ĐIỀU KIỆN GỌI NHẬP NGŨ ({})", eligible.len())),
        Block::Table { headers, rows: eligible, widths_pct: widths },
    ];
    let doc = OfficialDocument {
        superior_body,
        issuer,
        number_symbol: None,
        place,
        date: today(),
        kind_label: "DANH SÁCH".into(),
        title: format!(
            "Công dân tạm hoãn, miễn và đủ điều kiện gọi nhập ngũ năm {} — {unit_name}",
            cycle.year
        ),
        body,
        signer: signer(&viewer),
        recipients: vec![
            "Niêm yết tại trụ sở, nhà văn hóa thôn, tổ dân phố".into(),
            "Lưu: VT".into(),
        ],
    };
    deliver(doc, format, &format!("danh-sach-cong-khai-{}-{unit_id}", cycle.year)).await
}
