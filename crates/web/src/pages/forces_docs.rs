//! Lists of the forces as DOCX or PDF in the Decree 30/2020 layout
//! (`phongthu_documents::official`), the route's extension choosing the format as for the other
//! official documents (`reports::Format`):
//!
//! - `/militia/{id}/danh-sach.{docx,pdf}`: a militia or self-defence unit's members;
//! - `/militia/het-han.{docx,pdf}?year=`: members whose service ends in the year (term or age);
//! - `/militia/thieu-huan-luyen.{docx,pdf}?year=`: members short of the legal training days;
//! - `/reserve/units/{id}/danh-sach.{docx,pdf}`: a mobilisation unit's reservists by position;
//! - `/reserve/equipment/danh-sach.{docx,pdf}`: reserve equipment with its readiness.
//!
//! Each is a draft headed by the user's own unit (and its superior), unnumbered, signed by the user
//! who made it, as the other reports are; everything comes from the scoped store, so a list holds
//! only what the user may see. The official form (mẫu) of these lists is not in the law brief:
//! the columns are the facts the registers hold, UNCONFIRMED against a prescribed form.

use super::reports::{heading, signer, Format};
use crate::error::AppError;
use crate::forms::extract::{Path, Query};
use crate::forms::{today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use phongthu_documents::official::{Block, OfficialDocument};
use phongthu_store::MilitiaMemberRecord;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: Option<String>,
}

fn year_of(q: &YearQuery) -> Result<i32, AppError> {
    match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today().year()),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
            .ok_or_else(|| AppError::bad_request(format!("Năm \"{y}\" không hợp lệ."))),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A list document headed by the user's unit: intro paragraph, then the table (or a sentence
/// saying the list is empty).
struct List<'a> {
    title: String,
    intro: String,
    headers: &'a [&'a str],
    widths: Vec<u8>,
    rows: Vec<Vec<String>>,
    /// Said instead of the table when there are no rows.
    empty: &'a str,
}

async fn list_document(state: &AppState, viewer: &Viewer, l: List<'_>) -> Result<OfficialDocument, AppError> {
    let List {
        title,
        intro,
        headers,
        widths,
        rows,
        empty,
    } = l;
    let (issuer, superior_body, place) = heading(state, viewer).await?;
    let mut body = vec![Block::Paragraph(intro)];
    if rows.is_empty() {
        body.push(Block::Paragraph(empty.to_string()));
    } else {
        body.push(Block::Table {
            headers: strings(headers),
            rows,
            widths_pct: Some(widths),
        });
    }
    Ok(OfficialDocument {
        superior_body,
        issuer,
        number_symbol: None,
        place,
        date: today(),
        kind_label: "DANH SÁCH".into(),
        title,
        body,
        signer: signer(viewer),
        recipients: vec!["Như trên".into(), "Lưu: VT".into()],
    })
}

async fn send(doc: OfficialDocument, format: Format, stem: &str) -> Result<Response, AppError> {
    super::reports::deliver_all(vec![doc], format, stem).await
}

/// `GET /militia/{id}/danh-sach.docx` and `.pdf`: the unit's active members.
pub async fn militia_members(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let unit = scoped.militia_unit(id).await?;
    let members: Vec<MilitiaMemberRecord> = scoped
        .members(id)
        .await?
        .into_iter()
        .filter(|m| m.left_on.is_none())
        .collect();
    let rows = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            vec![
                (i + 1).to_string(),
                m.full_name.clone(),
                m.birth_date_vi(),
                m.post_label_vi().to_string(),
                m.joined_on_vi(),
                m.service_end_vi(),
                if m.volunteer {
                    "Tình nguyện".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let doc = list_document(
        &state,
        &viewer,
        List {
            title: format!("Thành viên {}", unit.name),
            intro: format!(
                "{} thuộc {}; quân số {} người, tính đến ngày {}.",
                unit.label_vi(),
                unit.command_name,
                members.len(),
                vi_date(today())
            ),
            headers: &[
                "TT",
                "Họ và tên",
                "Ngày sinh",
                "Chức vụ",
                "Ngày vào đơn vị",
                "Hết hạn phục vụ",
                "Ghi chú",
            ],
            widths: vec![5, 22, 12, 18, 13, 14, 12],
            rows,
            empty: "Đơn vị chưa có thành viên.",
        },
    )
    .await?;
    send(doc, format, &format!("danh-sach-dan-quan-tu-ve-{id}")).await
}

/// `GET /militia/het-han.docx` and `.pdf` (`?year=`): members whose service ends in the year.
pub async fn end_of_term(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&q)?;
    let scoped = state.store().scoped(&viewer.actor);
    let list = scoped.end_of_term(year).await?;
    // The serving members' records (birth date, unit), read once for the whole scope.
    let records: HashMap<String, MilitiaMemberRecord> = if list.is_empty() {
        HashMap::new()
    } else {
        scoped
            .active_militia_members(None)
            .await?
            .into_iter()
            .map(|m| (m.id.to_string(), m))
            .collect()
    };
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let m = records.get(&e.member_id);
            vec![
                (i + 1).to_string(),
                e.full_name.clone(),
                m.map(|m| m.birth_date_vi()).unwrap_or_default(),
                m.map(|m| m.militia_unit_name.clone()).unwrap_or_default(),
                m.map(|m| m.joined_on_vi()).unwrap_or_default(),
                vi_date(e.last_day),
                e.reason.label_vi().to_string(),
            ]
        })
        .collect();
    let doc = list_document(
        &state,
        &viewer,
        List {
            title: format!("Dân quân tự vệ hết thời hạn thực hiện nghĩa vụ năm {year}"),
            intro: format!(
                "Thành viên đang trong đơn vị có ngày cuối thực hiện nghĩa vụ trong năm {year} (hết thời hạn, kể cả thời gian kéo dài, hoặc hết tuổi), theo Điều 8 Luật Dân quân tự vệ; lập ngày {}.",
                vi_date(today())
            ),
            headers: &["TT", "Họ và tên", "Ngày sinh", "Đơn vị", "Ngày vào", "Ngày cuối", "Lý do"],
            widths: vec![5, 20, 11, 24, 11, 11, 18],
            rows,
            empty: "Không có thành viên nào hết thời hạn trong năm này.",
        },
    )
    .await?;
    send(doc, format, &format!("dan-quan-het-han-{year}")).await
}

/// `GET /militia/thieu-huan-luyen.docx` and `.pdf` (`?year=`): members short of the legal
/// training days of the year, most missing first.
pub async fn training_shortfall(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&q)?;
    let list = state.store().scoped(&viewer.actor).shortfalls(year).await?;
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                (i + 1).to_string(),
                s.member.full_name.clone(),
                s.member.birth_date_vi(),
                s.member.militia_unit_name.clone(),
                s.shortfall.required.to_string(),
                s.shortfall.attended.to_string(),
                s.shortfall.missing.to_string(),
            ]
        })
        .collect();
    let doc = list_document(
        &state,
        &viewer,
        List {
            title: format!("Dân quân tự vệ chưa đủ thời gian huấn luyện năm {year}"),
            intro: format!(
                "{}, đối chiếu số ngày đã ghi nhận đến ngày {}.",
                phongthu_domain::militia::training::training_days_rule_vi(),
                vi_date(today())
            ),
            headers: &[
                "TT",
                "Họ và tên",
                "Ngày sinh",
                "Đơn vị",
                "Phải huấn luyện (ngày)",
                "Đã huấn luyện",
                "Còn thiếu",
            ],
            widths: vec![5, 21, 11, 27, 12, 12, 12],
            rows,
            empty: "Không có thành viên nào thiếu ngày huấn luyện.",
        },
    )
    .await?;
    send(doc, format, &format!("dan-quan-thieu-huan-luyen-{year}")).await
}

/// `GET /reserve/units/{id}/danh-sach.docx` and `.pdf`: the reservists assigned to the unit, by
/// position.
pub async fn reserve_unit_list(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let unit = scoped.reserve_unit(id).await?;
    let assignments = scoped.reserve_assignments(Some(id)).await?;
    let reservists: HashMap<i64, _> = if assignments.is_empty() {
        HashMap::new()
    } else {
        scoped.reservists().await?.into_iter().map(|r| (r.id, r)).collect()
    };
    let rows = assignments
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let r = reservists.get(&a.reservist_id);
            vec![
                (i + 1).to_string(),
                a.full_name.clone(),
                r.map(|r| r.birth_date_vi()).unwrap_or_default(),
                r.map(|r| r.commune_name.clone()).unwrap_or_default(),
                r.and_then(|r| r.rank.clone()).unwrap_or_default(),
                a.position_title.clone(),
                format!("{} / {}", a.reservist_specialty, a.position_specialty),
                a.match_kind.label_vi().to_string(),
                vi_date(a.assigned_on),
            ]
        })
        .collect();
    let doc = list_document(
        &state,
        &viewer,
        List {
            title: format!("Quân nhân dự bị sắp xếp vào {}", unit.name),
            intro: format!(
                "{} thuộc {}; biên chế {} người, kể cả dự phòng {}% là {} chỗ; đã sắp xếp {} người, tính đến ngày {}.",
                unit.kind_vi(),
                unit.command_name,
                unit.staff,
                unit.spare_percent,
                unit.seats,
                assignments.len(),
                vi_date(today())
            ),
            headers: &[
                "TT",
                "Họ và tên",
                "Ngày sinh",
                "Nơi cư trú",
                "Cấp bậc",
                "Chức danh",
                "CNQS (người / vị trí)",
                "Mức phù hợp",
                "Ngày sắp xếp",
            ],
            widths: vec![4, 17, 10, 16, 9, 14, 10, 10, 10],
            rows,
            empty: "Đơn vị chưa có quân nhân dự bị nào được sắp xếp.",
        },
    )
    .await?;
    send(doc, format, &format!("danh-sach-sap-xep-dbdv-{id}")).await
}

/// `GET /reserve/equipment/danh-sach.docx` and `.pdf`: reserve equipment in scope.
pub async fn equipment_list(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
) -> Result<Response, AppError> {
    let list = state.store().scoped(&viewer.actor).equipment_list(today()).await?;
    let rows = list
        .iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                (i + 1).to_string(),
                e.kind.label_vi().to_string(),
                e.plate.clone(),
                e.owner.clone(),
                e.capacity.clone().unwrap_or_default(),
                e.commune_name.clone(),
                e.condition.label_vi().to_string(),
                e.check_status.label_vi(),
                e.assigned_unit.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let doc = list_document(
        &state,
        &viewer,
        List {
            title: "Phương tiện kỹ thuật dự bị".into(),
            intro: format!(
                "Phương tiện kỹ thuật dự bị đã đăng ký, tình trạng kỹ thuật, kiểm tra sẵn sàng và đơn vị dự bị động viên được sắp xếp, tính đến ngày {}.",
                vi_date(today())
            ),
            headers: &[
                "TT",
                "Loại",
                "Biển số",
                "Chủ phương tiện",
                "Trọng tải",
                "Nơi đăng ký",
                "Tình trạng",
                "Kiểm tra",
                "Đơn vị sắp xếp",
            ],
            widths: vec![4, 14, 10, 15, 8, 14, 10, 13, 12],
            rows,
            empty: "Chưa có phương tiện kỹ thuật dự bị nào.",
        },
    )
    .await?;
    send(doc, format, "phuong-tien-ky-thuat-du-bi").await
}
