//! A commune's part of a call-up cycle: its citizens and their stages, the lists with
//! their caps and approvals, steps for several citizens at once (one transaction: all or none),
//! one citizen's page with his history and the forms for his next step (examination results per
//! criterion, deferral and exemption decisions, call-up decision, return, revert), the cycle's
//! settings (caps, timetable), the yearly figures with inline SVG charts and their roll-up over
//! provinces, and the violations register.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::{parse_date_text, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::exam::{ExamCriterion, ExamRecord};
use phongthu_domain::nvqs::plan::{CappedList, Step};
use phongthu_domain::nvqs::sanctions::Violation;
use phongthu_domain::nvqs::stage::{CallUpList, Stage};
use phongthu_domain::nvqs::{RuleSet, Status};
use phongthu_store::{
    CandidateRow, CommuneCycle, CycleCaps, CycleFigures, ListAct, StageEvent, StageRequest, StepDate, StoreError,
    ViolationRecord,
};
use std::collections::HashMap;
use time::Date;

type Fields = HashMap<String, String>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

fn opt(f: &Fields, k: &str) -> Option<String> {
    Some(field(f, k).to_string()).filter(|s| !s.is_empty())
}

fn date_field(f: &Fields, k: &str, label: &str) -> Result<Date, AppError> {
    let v = field(f, k);
    if v.is_empty() {
        return Ok(today());
    }
    parse_date_text(v).ok_or_else(|| {
        AppError::bad_request(format!(
            "{label} \"{v}\" không hợp lệ: hãy ghi theo dạng ngày/tháng/năm, ví dụ 20/11/2025, {}.",
            crate::forms::date_range_text()
        ))
    })
}

/// The step's date with the "date after today is meant" box of the form.
fn step_date(f: &Fields) -> Result<StepDate, AppError> {
    Ok(StepDate {
        on: date_field(f, "date", "Ngày")?,
        future_confirmed: field(f, "confirm_future") == "on",
    })
}

fn number(f: &Fields, k: &str, label: &str) -> Result<f64, AppError> {
    let v = field(f, k).replace(',', ".");
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| AppError::bad_request(format!("{label} \"{}\" phải là một số.", field(f, k))))
}

fn id_of(s: &str, what: &str) -> Result<i64, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::bad_request(format!("{what} \"{}\" không hợp lệ.", s.trim())))
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%").replace('.', ","))
        .unwrap_or_else(|| "—".into())
}

/// A store refusal shown on the page it came from, with 400 (or 409).
fn refused(mut res: Response, e: &StoreError) -> Response {
    *res.status_mut() = match e {
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    res
}

fn is_refusal(e: &StoreError) -> bool {
    matches!(e, StoreError::Invalid(_) | StoreError::Conflict(_))
}

/// The request a form asks for. `kind` is a [`TransitionKind`] code, with `_pass`/`_fail`
/// variants for the steps that have a result and `_official`/`_reserve` for approval.
fn request_of(kind: &str, f: &Fields) -> Result<StageRequest, AppError> {
    Ok(match kind {
        "screen_pass" => StageRequest::Screen { passed: true },
        "screen_fail" => StageRequest::Screen { passed: false },
        "vet_pass" => StageRequest::Vet { passed: true },
        "vet_fail" => StageRequest::Vet { passed: false },
        "approve_official" => StageRequest::Approve(CallUpList::Official),
        "approve_reserve" => StageRequest::Approve(CallUpList::Reserve),
        "hand_over" => StageRequest::HandOver,
        "confirm" => StageRequest::Confirm,
        "return" => StageRequest::Return,
        "revert" => StageRequest::Revert,
        "issue_call_up" => StageRequest::IssueCallUp {
            decision_number: field(f, "decision_number").to_string(),
            report_place: field(f, "report_place").to_string(),
            report_at: field(f, "report_at").to_string(),
            replaces: match field(f, "replaces") {
                "" => None,
                v => Some(id_of(v, "Người được thay thế")?),
            },
            override_reason: opt(f, "override_reason"),
        },
        "defer" | "exempt" => {
            let ground = field(f, "ground").to_string();
            let decision_number = field(f, "decision_number").to_string();
            let evidence = field(f, "evidence").to_string();
            if kind == "defer" {
                StageRequest::Defer {
                    ground,
                    decision_number,
                    evidence,
                }
            } else {
                StageRequest::Exempt {
                    ground,
                    decision_number,
                    evidence,
                }
            }
        }
        "examine" => {
            let mut scores = [0i64; 8];
            for (i, c) in ExamCriterion::ALL.into_iter().enumerate() {
                let v = field(f, &format!("score_{}", c.code()));
                scores[i] = v.parse().map_err(|_| {
                    AppError::bad_request(format!(
                        "Điểm chỉ tiêu \"{}\" phải là số nguyên từ 1 đến 6 (đã nhập \"{v}\").",
                        c.label_vi()
                    ))
                })?;
            }
            let myopia = match field(f, "myopia") {
                "" => None,
                _ => Some(number(f, "myopia", "Độ cận thị")?),
            };
            let exam = ExamRecord::new(
                scores,
                number(f, "height_cm", "Chiều cao")?,
                number(f, "weight_kg", "Cân nặng")?,
                myopia,
                field(f, "hyperopia") == "on",
                field(f, "drug_use") == "on",
            )
            .map_err(|e| AppError::bad_request(e.to_string()))?;
            StageRequest::Examine(exam)
        }
        other => {
            return Err(AppError::bad_request(format!(
                "Bước \"{other}\" không có trong quy trình."
            )))
        }
    })
}

/// The bulk actions offered on the commune page.
pub struct Action {
    pub value: &'static str,
    pub label: &'static str,
}

const BULK_ACTIONS: [Action; 9] = [
    Action {
        value: "screen_pass",
        label: "Đạt sơ tuyển",
    },
    Action {
        value: "screen_fail",
        label: "Không đạt sơ tuyển",
    },
    Action {
        value: "vet_pass",
        label: "Đạt thẩm tra chính trị",
    },
    Action {
        value: "vet_fail",
        label: "Không đạt thẩm tra chính trị",
    },
    Action {
        value: "approve_official",
        label: "Duyệt vào danh sách chính thức",
    },
    Action {
        value: "approve_reserve",
        label: "Duyệt vào danh sách dự phòng",
    },
    Action {
        value: "issue_call_up",
        label: "Ra quyết định gọi nhập ngũ (đánh số liên tiếp)",
    },
    Action {
        value: "hand_over",
        label: "Đã giao quân",
    },
    Action {
        value: "confirm",
        label: "Phúc tra đạt",
    },
];

pub struct Row {
    pub id: i64,
    pub name: String,
    pub birth: String,
    pub village: String,
    pub status: String,
    pub grounds: String,
    pub stage: String,
    pub stage_code: &'static str,
    pub list: &'static str,
    pub class: String,
    pub decision: String,
}

fn row_of(c: &CandidateRow) -> Row {
    Row {
        id: c.citizen.id,
        name: c.citizen.full_name.clone(),
        birth: vi_date(c.citizen.birth_date),
        village: c
            .citizen
            .permanent_village
            .clone()
            .or_else(|| c.citizen.current_village.clone())
            .unwrap_or_default(),
        status: if c.needs_checking {
            format!("{} — cần kiểm tra: thiếu trình độ văn hóa", c.status_label)
        } else {
            c.status_label.clone()
        },
        grounds: c.grounds.join(", "),
        stage: c.stage_label.clone(),
        stage_code: c.stage.code(),
        list: c.list.map(CallUpList::label_vi).unwrap_or(""),
        class: c.health_class.map(|h| h.to_string()).unwrap_or_default(),
        decision: c.decision_number.clone().unwrap_or_default(),
    }
}

pub struct ListRow {
    pub code: &'static str,
    pub label: String,
    pub describe: String,
    pub over: bool,
    pub approved: String,
    pub current: bool,
}

pub struct DocLink {
    pub href: String,
    pub label: &'static str,
}

/// The documents of a commune: (file stem, label).
pub const COMMUNE_DOCS: [(&str, &str); 10] = [
    (
        "goi-so-tuyen",
        "Quyết định gọi sơ tuyển (những người trong nguồn chưa sơ tuyển)",
    ),
    (
        "goi-kham",
        "Quyết định gọi khám sức khỏe (những người đã đạt sơ tuyển, chờ khám)",
    ),
    ("quyet-dinh", "Quyết định gọi nhập ngũ (cả xã)"),
    ("ds-nguon", "Danh sách nguồn gọi nhập ngũ"),
    ("ds-du-dieu-kien", "Danh sách đủ điều kiện, đủ sức khỏe"),
    ("ds-tam-hoan", "Danh sách tạm hoãn theo căn cứ"),
    ("ds-mien", "Danh sách miễn gọi nhập ngũ"),
    ("ds-suc-khoe", "Danh sách phân loại sức khỏe"),
    ("ds-chinh-thuc", "Danh sách gọi nhập ngũ chính thức"),
    ("ds-du-phong", "Danh sách dự phòng"),
];

#[derive(Template)]
#[template(path = "nvqs_commune.html")]
struct CommunePage {
    chrome: Chrome,
    cycle_id: i64,
    year: i32,
    unit_id: i64,
    unit_name: String,
    quota: String,
    lists: Vec<ListRow>,
    rows: Vec<Row>,
    counts: Vec<(String, String, usize)>,
    filter: String,
    actions: &'static [Action],
    docs: Vec<DocLink>,
    can_write: bool,
    today: String,
    exam_window: String,
    /// The citizens heading for a call-up decision with no first registration on record.
    unregistered: Option<String>,
    flash: Option<String>,
    error: Option<String>,
}

/// Stages from which a call-up decision is near: vetted, approved, or already decided.
fn heading_for_call_up(s: Stage) -> bool {
    matches!(s, Stage::Vetted | Stage::Approved(_) | Stage::CallUpIssued)
}

/// The warning that names who reaches a call-up decision without a first registration.
fn unregistered_warning(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| {
        format!(
            "Chưa có đăng ký nghĩa vụ quân sự lần đầu trong hồ sơ ({} người): {}. Cần đăng ký (hoặc ghi lần đăng ký đã có) \
             trước khi ra quyết định gọi nhập ngũ.",
            names.len(),
            names.join(", ")
        )
    })
}

fn list_rows(p: &CommuneCycle) -> Vec<ListRow> {
    p.lists
        .iter()
        .map(|l| ListRow {
            code: l.list.code(),
            label: l.label.clone(),
            // No cap can be worked out before the province splits the quota.
            describe: if p.quota.is_none() {
                format!(
                    "{}: {} người; chưa tính được giới hạn vì tỉnh chưa phân bổ chỉ tiêu cho xã",
                    l.label,
                    crate::forms::vi_count(l.count)
                )
            } else {
                l.describe.clone()
            },
            over: l.over,
            approved: l
                .approval
                .as_ref()
                .map(|a| {
                    let reason = a
                        .override_reason
                        .as_deref()
                        .map(|r| format!("; duyệt vượt giới hạn: {r}"))
                        .unwrap_or_default();
                    let act = match (a.act_number.as_deref(), a.act_date.as_deref().and_then(parse_date_text)) {
                        (Some(n), Some(d)) => format!(" theo văn bản số {n} ngày {}", vi_date(d)),
                        _ => String::new(),
                    };
                    format!(
                        "Đã duyệt {} người{act} (ghi lúc {}){reason}",
                        a.count,
                        crate::forms::vi_datetime(&a.approved_at)
                    )
                })
                .unwrap_or_else(|| "Chưa duyệt".into()),
            current: l.approved_current,
        })
        .collect()
}

/// Whether a citizen is selected by a filter of the commune page (the same test for its count
/// and its rows).
fn commune_filter(c: &CandidateRow, filter: &str) -> bool {
    let in_pool = c.status == Status::Eligible;
    match filter {
        "" => c.stage != Stage::Pool || in_pool,
        "ngoai-nguon" => c.stage == Stage::Pool && !in_pool,
        "thieu-thong-tin" => c.stage == Stage::Pool && c.needs_checking,
        "pool" => c.stage == Stage::Pool && in_pool,
        code => c.stage.code() == code,
    }
}

async fn commune_page(
    state: &AppState,
    viewer: &Viewer,
    cycle_id: i64,
    unit_id: i64,
    filter: &str,
    flash: Option<String>,
    error: Option<String>,
) -> Result<CommunePage, AppError> {
    let p = state
        .store()
        .scoped(&viewer.actor)
        .commune_cycle(cycle_id, unit_id)
        .await?;
    // Each filter's name says what it selects, and the counts are those of the filters:
    // "Trong nguồn, chưa sơ tuyển" holds only the engine's pool (never a man over age), the men
    // outside the pool who never took a step are "Ngoài nguồn", and "thiếu thông tin" is the
    // part of the pool whose record lacks a fact.
    let mut counts: Vec<(String, String, usize)> = Vec::new();
    let all = p.candidates.iter().filter(|c| commune_filter(c, "")).count();
    counts.push(("".into(), "Trong nguồn và đã có bước".into(), all));
    counts.push((
        "ngoai-nguon".into(),
        "Ngoài nguồn, chưa có bước (theo hồ sơ)".into(),
        p.candidates.iter().filter(|c| commune_filter(c, "ngoai-nguon")).count(),
    ));
    let missing = p
        .candidates
        .iter()
        .filter(|c| commune_filter(c, "thieu-thong-tin"))
        .count();
    if missing > 0 {
        counts.push((
            "thieu-thong-tin".into(),
            "Trong nguồn, thiếu thông tin (cần kiểm tra)".into(),
            missing,
        ));
    }
    for s in Stage::ALL {
        let n = p.candidates.iter().filter(|c| commune_filter(c, s.code())).count();
        if n > 0 {
            let label = if s == Stage::Pool {
                "Trong nguồn, chưa sơ tuyển"
            } else {
                s.label_vi()
            };
            counts.push((s.code().into(), label.into(), n));
        }
    }
    let rows = p
        .candidates
        .iter()
        .filter(|c| commune_filter(c, filter))
        .map(row_of)
        .collect();
    let exam_window = p
        .examination_window
        .as_ref()
        .and_then(|(s, e)| {
            let s = phongthu_domain::dates::parse_iso_date(s)?;
            let e = phongthu_domain::dates::parse_iso_date(e)?;
            Some(format!("{} – {}", vi_date(s), vi_date(e)))
        })
        .unwrap_or_default();
    let near: Vec<&CandidateRow> = p.candidates.iter().filter(|c| heading_for_call_up(c.stage)).collect();
    let gaps = state
        .store()
        .scoped(&viewer.actor)
        .without_first_registration(&near.iter().map(|c| c.citizen.id).collect::<Vec<_>>())
        .await?;
    let unregistered = unregistered_warning(
        &near
            .iter()
            .filter(|c| gaps.contains(&c.citizen.id))
            .map(|c| c.citizen.full_name.clone())
            .collect::<Vec<_>>(),
    );
    Ok(CommunePage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            format!("Tuyển quân {} — {}", p.cycle.year, p.unit_name),
            "nvqs",
        ),
        cycle_id,
        year: p.cycle.year,
        unit_id,
        quota: p
            .quota
            .map(crate::forms::vi_count)
            .unwrap_or_else(|| "chưa giao (tỉnh chưa phân bổ chỉ tiêu cho xã)".into()),
        lists: list_rows(&p),
        rows,
        counts,
        filter: filter.to_string(),
        actions: &BULK_ACTIONS,
        docs: COMMUNE_DOCS
            .iter()
            .map(|(stem, label)| DocLink {
                href: format!("/nvqs/{cycle_id}/xa/{unit_id}/{stem}"),
                label,
            })
            .collect(),
        can_write: viewer.actor.role.allows(Permission::Write),
        today: vi_date(today()),
        exam_window,
        unregistered,
        unit_name: p.unit_name,
        flash,
        error,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct CommuneQuery {
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /nvqs/{id}/xa/{unit}`.
pub async fn commune(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, unit)): Path<(i64, i64)>,
    Query(q): Query<CommuneQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.as_deref().map(|n| match n {
        "duyet" => "Đã duyệt danh sách.".to_string(),
        n => format!("Đã ghi bước cho {n} công dân."),
    });
    render(&commune_page(&state, &viewer, id, unit, q.stage.as_deref().unwrap_or(""), flash, None).await?)
}

/// `POST /nvqs/{id}/xa/{unit}/hang-loat`: one step for the ticked citizens, all or none.
pub async fn bulk(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, unit)): Path<(i64, i64)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, field(&f, "_csrf"))?;
    let mut ids: Vec<i64> = f
        .iter()
        .filter(|(k, v)| k.starts_with("c_") && v.as_str() == "on")
        .filter_map(|(k, _)| k[2..].parse().ok())
        .collect();
    ids.sort_unstable();
    let outcome = async {
        let request = request_of(field(&f, "kind"), &f)?;
        let on = step_date(&f)?;
        Ok::<_, AppError>((request, on))
    }
    .await;
    let (request, on) = match outcome {
        Ok(x) => x,
        Err(e) => {
            let page = commune_page(&state, &viewer, id, unit, "", None, Some(e.message.clone())).await?;
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .record_stages(id, &ids, request, on, opt(&f, "note").as_deref())
        .await
    {
        Ok(n) => Ok(Redirect::to(&format!("/nvqs/{id}/xa/{unit}?saved={n}")).into_response()),
        Err(e) if is_refusal(&e) => {
            let page = commune_page(&state, &viewer, id, unit, "", None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /nvqs/{id}/xa/{unit}/duyet`: approves a list against its cap.
pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, unit)): Path<(i64, i64)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, field(&f, "_csrf"))?;
    let list =
        CappedList::parse(field(&f, "list")).ok_or_else(|| AppError::bad_request("Hãy chọn danh sách cần duyệt."))?;
    let act = match date_field(&f, "act_date", "Ngày duyệt") {
        Ok(date) => ListAct {
            number: field(&f, "act_number").to_string(),
            date,
            future_confirmed: field(&f, "confirm_future") == "on",
        },
        Err(e) => {
            let page = commune_page(&state, &viewer, id, unit, "", None, Some(e.message.clone())).await?;
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .approve_list_act(id, unit, list, opt(&f, "reason").as_deref(), Some(&act))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/nvqs/{id}/xa/{unit}?saved=duyet")).into_response()),
        Err(e) if is_refusal(&e) => {
            let page = commune_page(&state, &viewer, id, unit, "", None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub struct EventRow {
    pub date: String,
    pub what: String,
    pub stage: String,
    pub detail: String,
    pub note: String,
    pub actor: String,
    pub reverted: bool,
}

fn describe_detail(e: &StageEvent) -> String {
    let d = &e.detail;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match e.kind.as_str() {
        "examine" => {
            let class = d.get("health_class").and_then(|v| v.as_i64()).unwrap_or(0);
            let bmi = d.get("bmi").and_then(|v| v.as_f64()).unwrap_or(0.0);
            let reasons: Vec<String> = d
                .get("reasons")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            format!(
                "Sức khỏe loại {class}, BMI {}{}",
                format!("{bmi:.1}").replace('.', ","),
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(". {}", reasons.join("; "))
                }
            )
        }
        "issue_call_up" => {
            let mut t = format!(
                "Quyết định số {}; có mặt tại {} lúc {}",
                s("decision_number"),
                s("report_place"),
                s("report_at")
            );
            if let Some(r) = d.get("replaces").and_then(|v| v.as_i64()) {
                t.push_str(&format!("; bù đổi cho công dân số {r}"));
            }
            if !s("override_reason").is_empty() {
                t.push_str(&format!("; vượt giới hạn bù đổi: {}", s("override_reason")));
            }
            t
        }
        "defer" | "exempt" => format!(
            "Căn cứ {} ; quyết định số {}; giấy tờ: {}",
            s("ground"),
            s("decision_number"),
            s("evidence")
        )
        .replace(" ;", ";"),
        "approve" => format!(
            "Danh sách {}",
            CallUpList::parse(&s("list")).map(|l| l.label_vi()).unwrap_or("")
        ),
        "revert" => d
            .get("reverts")
            .and_then(|v| v.as_i64())
            .map(|r| format!("Hủy bước số {r}"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

pub struct GroundChoice {
    pub code: String,
    pub label: String,
    pub deferral: bool,
}

pub struct Returned {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "nvqs_candidate.html")]
struct CandidatePage {
    chrome: Chrome,
    cycle_id: i64,
    year: i32,
    unit_id: i64,
    unit_name: String,
    citizen_id: i64,
    name: String,
    birth: String,
    stage: String,
    status: String,
    reasons: Vec<String>,
    events: Vec<EventRow>,
    next: Vec<&'static str>,
    /// (code, label, the value typed before a refusal).
    criteria: Vec<(&'static str, &'static str, String)>,
    /// What was typed into the examination form before a refusal (height, weight, myopia, date).
    typed: Fields,
    grounds: Vec<GroundChoice>,
    returned: Vec<Returned>,
    is_reserve: bool,
    has_decision: bool,
    can_write: bool,
    today: String,
    /// The health class that decides (the worst criterion, the physique lowered by the BMI band).
    deciding_class: Option<String>,
    unregistered: Option<String>,
    error: Option<String>,
    flash: Option<String>,
}

async fn candidate_page(
    state: &AppState,
    viewer: &Viewer,
    cycle_id: i64,
    citizen_id: i64,
    flash: Option<String>,
    error: Option<String>,
    typed: Fields,
) -> Result<CandidatePage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let cycle = scoped.cycle(cycle_id).await?;
    let me = scoped.candidate(cycle_id, citizen_id).await?;
    let citizen = &me.citizen;
    let unit_name = scoped.org_unit(citizen.unit_id).await?.name;
    let decision = scoped.candidate_decision(cycle_id, citizen_id).await?;
    let events = scoped.stage_history(cycle_id, citizen_id).await?;
    let reference = phongthu_domain::dates::parse_iso_date(&cycle.reference_date).unwrap_or_else(today);
    let grounds = RuleSet::on(reference)
        .map(|r| {
            r.grounds()
                .into_iter()
                .map(|(g, why)| GroundChoice {
                    code: g.code(),
                    label: format!(
                        "{} ({}): {}",
                        g.code(),
                        g.source_vi(),
                        why.replace("{class}", "4–6").replace("{level}", "…")
                    ),
                    deferral: g.clause == phongthu_domain::nvqs::rules::Clause::Deferral,
                })
                .collect()
        })
        .unwrap_or_default();
    let unregistered =
        if heading_for_call_up(me.stage) && !scoped.without_first_registration(&[citizen_id]).await?.is_empty() {
            unregistered_warning(std::slice::from_ref(&citizen.full_name))
        } else {
            None
        };
    let deciding_class = me.health_class.map(|h| {
        let bmi = me
            .bmi
            .map(|b| format!(", BMI {}", format!("{b:.1}").replace('.', ",")))
            .unwrap_or_default();
        format!(
            "Sức khỏe loại {h}{bmi} (loại quyết định: điểm kém nhất của các chỉ tiêu, thể lực tính cả nhóm BMI theo \
             Thông tư 105/2023/TT-BQP)"
        )
    });
    let returned = scoped
        .returned_unreplaced(cycle_id)
        .await?
        .into_iter()
        .map(|(id, name)| Returned { id, name })
        .collect();
    Ok(CandidatePage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            format!("{} — tuyển quân {}", citizen.full_name, cycle.year),
            "nvqs",
        ),
        cycle_id,
        year: cycle.year,
        unit_id: citizen.unit_id,
        unit_name,
        citizen_id,
        name: citizen.full_name.clone(),
        birth: vi_date(citizen.birth_date),
        stage: me.stage_label.clone(),
        status: format!("{} — {}", decision.status.label_vi(), decision.status_reason()),
        reasons: decision.reasons.clone(),
        events: events
            .iter()
            .map(|e| EventRow {
                date: phongthu_domain::dates::parse_iso_date(&e.event_date)
                    .map(vi_date)
                    .unwrap_or_else(|| e.event_date.clone()),
                what: e.kind_label.clone(),
                stage: e.stage_label.clone(),
                detail: describe_detail(e),
                note: e.note.clone().unwrap_or_default(),
                actor: e.actor.clone().unwrap_or_else(|| "Hệ thống".into()),
                reverted: e.reverted,
            })
            .collect(),
        next: me.next.iter().map(|k| k.code()).collect(),
        criteria: ExamCriterion::ALL
            .iter()
            .map(|c| {
                (
                    c.code(),
                    c.label_vi(),
                    field(&typed, &format!("score_{}", c.code())).to_string(),
                )
            })
            .collect(),
        grounds,
        returned,
        is_reserve: me.stage == Stage::Approved(CallUpList::Reserve),
        has_decision: me.stage.called_up() && me.decision_number.is_some(),
        can_write: viewer.actor.role.allows(Permission::Write),
        today: vi_date(today()),
        deciding_class,
        unregistered,
        error,
        flash,
        typed,
    })
}

impl CandidatePage {
    /// A value typed before a refusal, to fill the form again.
    fn typed(&self, key: &str) -> &str {
        field(&self.typed, key)
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /nvqs/{id}/cong-dan/{citizen}`.
pub async fn candidate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, citizen)): Path<(i64, i64)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.map(|_| "Đã ghi.".to_string());
    render(&candidate_page(&state, &viewer, id, citizen, flash, None, Fields::new()).await?)
}

/// `POST /nvqs/{id}/cong-dan/{citizen}`: one step for one citizen.
pub async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, citizen)): Path<(i64, i64)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, field(&f, "_csrf"))?;
    let parsed = async {
        let kind = match field(&f, "kind") {
            // The single-citizen forms say which result was chosen in `result`.
            k @ ("screen" | "vet") => format!("{k}_{}", field(&f, "result")),
            "approve" => format!("approve_{}", field(&f, "list")),
            k => k.to_string(),
        };
        let request = request_of(&kind, &f)?;
        let on = step_date(&f)?;
        Ok::<_, AppError>((request, on))
    }
    .await;
    let (request, on) = match parsed {
        Ok(x) => x,
        Err(e) => {
            let page = candidate_page(&state, &viewer, id, citizen, None, Some(e.message.clone()), f.clone()).await?;
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .record_stage(id, citizen, request, on, opt(&f, "note").as_deref())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/nvqs/{id}/cong-dan/{citizen}?saved=1")).into_response()),
        Err(e) if is_refusal(&e) => {
            let page = candidate_page(&state, &viewer, id, citizen, None, Some(e.to_string()), f.clone()).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub struct StepRow {
    pub code: &'static str,
    pub label: &'static str,
    pub source: &'static str,
    pub starts: String,
    pub ends: String,
}

#[derive(Template)]
#[template(path = "nvqs_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    cycle_id: i64,
    year: i32,
    unit_name: String,
    exam_ratio: String,
    reserve_pct: String,
    replacement_pct: String,
    steps: Vec<StepRow>,
    can_write: bool,
    error: Option<String>,
    flash: Option<String>,
}

fn num_text(v: f64) -> String {
    let s = format!("{v}");
    s.replace('.', ",")
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    flash: Option<String>,
    error: Option<String>,
) -> Result<SettingsPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let cycle = scoped.cycle(id).await?;
    let s = scoped.cycle_settings(id).await?;
    Ok(SettingsPage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            format!("Cài đặt tuyển quân {}", cycle.year),
            "nvqs",
        ),
        cycle_id: id,
        year: cycle.year,
        unit_name: cycle.unit_name,
        exam_ratio: num_text(s.caps.exam_ratio),
        reserve_pct: num_text(s.caps.reserve_pct),
        replacement_pct: num_text(s.caps.replacement_pct),
        steps: s
            .timetable
            .iter()
            .map(|(step, a, b)| StepRow {
                code: step.code(),
                label: step.label_vi(),
                source: step.source_vi(),
                starts: vi_date(*a),
                ends: vi_date(*b),
            })
            .collect(),
        can_write: viewer.actor.role.allows(Permission::Write),
        error,
        flash,
    })
}

/// `GET /nvqs/{id}/cai-dat`.
pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.map(|_| "Đã lưu cài đặt.".to_string());
    render(&settings_page(&state, &viewer, id, flash, None).await?)
}

/// `POST /nvqs/{id}/cai-dat`.
pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, field(&f, "_csrf"))?;
    let parsed = (|| {
        let caps = CycleCaps {
            exam_ratio: number(&f, "exam_ratio", "Hệ số danh sách gọi khám")?,
            reserve_pct: number(&f, "reserve_pct", "Tỉ lệ dự phòng")?,
            replacement_pct: number(&f, "replacement_pct", "Tỉ lệ bù đổi")?,
        };
        let mut timetable = Vec::new();
        for step in Step::ALL {
            let label = step.label_vi();
            let a = parse_date_text(field(&f, &format!("{}_starts", step.code())))
                .ok_or_else(|| AppError::bad_request(format!("Ngày bắt đầu của bước \"{label}\" không hợp lệ.")))?;
            let b = parse_date_text(field(&f, &format!("{}_ends", step.code())))
                .ok_or_else(|| AppError::bad_request(format!("Ngày kết thúc của bước \"{label}\" không hợp lệ.")))?;
            timetable.push((step, a, b));
        }
        Ok::<_, AppError>((caps, timetable))
    })();
    let (caps, timetable) = match parsed {
        Ok(x) => x,
        Err(e) => {
            let page = settings_page(&state, &viewer, id, None, Some(e.message.clone())).await?;
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    match state
        .store()
        .scoped(&viewer.actor)
        .save_cycle_settings(id, caps, &timetable)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/nvqs/{id}/cai-dat?saved=1")).into_response()),
        Err(e) if is_refusal(&e) => {
            let page = settings_page(&state, &viewer, id, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// One row of the figures table.
pub struct FigRow {
    pub href: String,
    pub name: String,
    pub registered: i64,
    pub pool: i64,
    pub deferred: i64,
    pub exempted: i64,
    pub quota: i64,
    pub examined: i64,
    pub class12: String,
    pub official: i64,
    pub reserve: i64,
    pub handed: i64,
    pub quota_pct: String,
    pub graduates: String,
    pub party: String,
    pub returned: i64,
    pub replaced: i64,
}

fn fig_row(f: &CycleFigures, href: String) -> FigRow {
    FigRow {
        href,
        name: f.unit_name.clone(),
        registered: f.registered,
        pool: f.pool,
        deferred: f.deferred,
        exempted: f.exempted,
        quota: f.quota,
        examined: f.examined,
        class12: pct(f.class12_pct()),
        official: f.official_called,
        reserve: f.reserve_called,
        handed: f.handed_over,
        quota_pct: pct(f.quota_pct()),
        graduates: format!("{} ({})", f.graduates, pct(f.graduates_pct())),
        party: format!("{} ({})", f.party_members, pct(f.party_pct())),
        returned: f.returned,
        replaced: f.replaced,
    }
}

/// A horizontal bar of a chart.
pub struct Bar {
    pub y: usize,
    pub text_y: usize,
    pub label: String,
    pub w: usize,
    pub value: String,
}

fn bars(items: &[(String, f64, String)], max_w: usize) -> Vec<Bar> {
    let max = items.iter().map(|(_, v, _)| *v).fold(0.0_f64, f64::max);
    items
        .iter()
        .enumerate()
        .map(|(i, (label, v, text))| Bar {
            y: i * 26 + 4,
            text_y: i * 26 + 19,
            label: label.clone(),
            w: if max > 0.0 {
                ((v / max) * max_w as f64).round() as usize
            } else {
                0
            },
            value: text.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "nvqs_dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    heading: String,
    back: String,
    xlsx: String,
    rows: Vec<FigRow>,
    total: FigRow,
    grounds: Vec<(String, i64)>,
    class_bars: Vec<Bar>,
    quota_bars: Vec<Bar>,
    class_h: usize,
    quota_h: usize,
    decisions: String,
}

fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    heading: String,
    back: String,
    xlsx: String,
    rows: Vec<(CycleFigures, String)>,
    total: &CycleFigures,
) -> DashboardPage {
    let class_items: Vec<(String, f64, String)> = (0..6)
        .map(|i| {
            let n = total.classes[i];
            (format!("Loại {}", i + 1), n as f64, n.to_string())
        })
        .collect();
    let quota_items: Vec<(String, f64, String)> = rows
        .iter()
        .map(|(f, _)| (f.unit_name.clone(), f.quota_pct().unwrap_or(0.0), pct(f.quota_pct())))
        .collect();
    let class_bars = bars(&class_items, 360);
    let quota_bars = bars(&quota_items, 360);
    DashboardPage {
        chrome: Chrome::new(state, Some(viewer), heading.clone(), "nvqs"),
        heading,
        back,
        xlsx,
        class_h: class_bars.len() * 26 + 8,
        quota_h: quota_bars.len() * 26 + 8,
        class_bars,
        quota_bars,
        grounds: total.grounds.iter().map(|(g, n)| (g.clone(), *n)).collect(),
        decisions: format!(
            "Đã ra {} quyết định tạm hoãn và {} quyết định miễn trong đợt.",
            total.deferral_decisions, total.exemption_decisions
        ),
        total: fig_row(total, String::new()),
        rows: rows.iter().map(|(f, href)| fig_row(f, href.clone())).collect(),
    }
}

/// `GET /nvqs/{id}/tong-hop`.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let d = state.store().scoped(&viewer.actor).cycle_dashboard(id).await?;
    let rows = d
        .communes
        .iter()
        .map(|f| (f.clone(), format!("/nvqs/{id}/xa/{}", f.unit_id)))
        .collect();
    render(&dashboard_page(
        &state,
        &viewer,
        format!("Kết quả tuyển quân năm {} — {}", d.cycle.year, d.cycle.unit_name),
        format!("/nvqs/{id}"),
        format!("/nvqs/{id}/tong-hop.xlsx"),
        rows,
        &d.total,
    ))
}

/// `GET /nvqs/nam/{year}`: every province of the year the viewer sees.
pub async fn year(State(state): State<AppState>, viewer: Viewer, Path(year): Path<i32>) -> Result<Response, AppError> {
    let y = state.store().scoped(&viewer.actor).year_rollup(year).await?;
    let rows = y
        .provinces
        .iter()
        .map(|(c, f)| (f.clone(), format!("/nvqs/{}/tong-hop", c.id)))
        .collect();
    render(&dashboard_page(
        &state,
        &viewer,
        format!("Kết quả tuyển quân năm {year} — tổng hợp {}", viewer.actor.unit_name),
        "/nvqs".into(),
        format!("/nvqs/nam/{year}/tong-hop.xlsx"),
        rows,
        &y.total,
    ))
}

const FIG_HEADERS: [&str; 17] = [
    "Đơn vị",
    "Hồ sơ",
    "Nguồn",
    "Tạm hoãn (hồ sơ)",
    "Miễn (hồ sơ)",
    "Chỉ tiêu",
    "Đã khám",
    "Loại 1-2 (%)",
    "Gọi chính thức",
    "Gọi dự phòng",
    "Đã giao quân",
    "% chỉ tiêu",
    "Tốt nghiệp CĐ, ĐH",
    "Đảng viên",
    "Trả về",
    "Bù đổi",
    "Quyết định tạm hoãn/miễn",
];

fn fig_cells(f: &CycleFigures) -> Vec<String> {
    vec![
        f.unit_name.clone(),
        f.registered.to_string(),
        f.pool.to_string(),
        f.deferred.to_string(),
        f.exempted.to_string(),
        f.quota.to_string(),
        f.examined.to_string(),
        pct(f.class12_pct()),
        f.official_called.to_string(),
        f.reserve_called.to_string(),
        f.handed_over.to_string(),
        pct(f.quota_pct()),
        f.graduates.to_string(),
        f.party_members.to_string(),
        f.returned.to_string(),
        f.replaced.to_string(),
        format!("{}/{}", f.deferral_decisions, f.exemption_decisions),
    ]
}

fn figures_xlsx(title: &str, rows: &[CycleFigures], total: &CycleFigures) -> Result<Vec<u8>, AppError> {
    let mut table: Vec<Vec<String>> = rows.iter().map(fig_cells).collect();
    let mut t = fig_cells(total);
    t[0] = format!("Tổng: {}", total.unit_name);
    table.push(t);
    use phongthu_documents::tabular::{write_xlsx, ColumnSpec};
    let specs: Vec<ColumnSpec<'_>> = FIG_HEADERS
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: false,
            width: 0.0,
        })
        .collect();
    write_xlsx(title, &specs, table).map_err(|e| AppError::internal(format!("Không tạo được tệp Excel: {e}")))
}

/// `GET /nvqs/{id}/tong-hop.xlsx`.
pub async fn dashboard_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let d = state.store().scoped(&viewer.actor).cycle_dashboard(id).await?;
    let bytes = figures_xlsx(&format!("Tuyển quân {}", d.cycle.year), &d.communes, &d.total)?;
    Ok(super::download(
        bytes,
        super::XLSX,
        &format!("ket-qua-tuyen-quan-{}.xlsx", d.cycle.year),
    ))
}

/// `GET /nvqs/nam/{year}/tong-hop.xlsx`.
pub async fn year_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
) -> Result<Response, AppError> {
    let y = state.store().scoped(&viewer.actor).year_rollup(year).await?;
    let rows: Vec<CycleFigures> = y.provinces.iter().map(|(_, f)| f.clone()).collect();
    let bytes = figures_xlsx(&format!("Tuyển quân {year}"), &rows, &y.total)?;
    Ok(super::download(
        bytes,
        super::XLSX,
        &format!("tong-hop-tuyen-quan-{year}.xlsx"),
    ))
}

pub struct ViolationRow {
    pub name: String,
    pub unit: String,
    pub kind: String,
    pub date: String,
    pub penalty: String,
    pub note: String,
}

fn violation_row(v: &ViolationRecord) -> ViolationRow {
    ViolationRow {
        name: v.citizen_name.clone(),
        unit: v.unit_name.clone(),
        kind: v.kind_label.clone(),
        date: phongthu_domain::dates::parse_iso_date(&v.act_date)
            .map(vi_date)
            .unwrap_or_else(|| v.act_date.clone()),
        penalty: v.penalty.clone(),
        note: v.note.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "nvqs_violations.html")]
struct ViolationsPage {
    chrome: Chrome,
    rows: Vec<ViolationRow>,
    kinds: Vec<(&'static str, &'static str)>,
    /// The name or ID number typed, and the citizens to choose among (`citizen_pick`).
    citizen_text: String,
    choices: Vec<(i64, String)>,
    can_write: bool,
    today: String,
    error: Option<String>,
    flash: Option<String>,
}

async fn violations_page(
    state: &AppState,
    viewer: &Viewer,
    (citizen_text, choices): (String, Vec<(i64, String)>),
    flash: Option<String>,
    error: Option<String>,
) -> Result<ViolationsPage, AppError> {
    let list = state.store().scoped(&viewer.actor).violations(None).await?;
    Ok(ViolationsPage {
        chrome: Chrome::new(state, Some(viewer), "Vi phạm về nghĩa vụ quân sự", "nvqs"),
        rows: list.iter().map(violation_row).collect(),
        kinds: Violation::ALL.iter().map(|v| (v.code(), v.label_vi())).collect(),
        citizen_text,
        choices,
        can_write: viewer.actor.role.allows(Permission::Write),
        today: vi_date(today()),
        error,
        flash,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ViolationQuery {
    #[serde(default)]
    citizen: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /nvqs/vi-pham`.
pub async fn violations(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ViolationQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.map(|_| "Đã ghi vi phạm.".to_string());
    // A link from a record names its citizen by number: offered as the one choice.
    let picked = match q.citizen.as_deref().and_then(|c| c.trim().parse::<i64>().ok()) {
        Some(id) => {
            let c = state.store().scoped(&viewer.actor).citizen(id).await?;
            (c.full_name.clone(), vec![(c.id, super::citizen_pick::label(&c))])
        }
        None => (String::new(), Vec::new()),
    };
    render(&violations_page(&state, &viewer, picked, flash, None).await?)
}

/// `POST /nvqs/vi-pham`.
pub async fn add_violation(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, field(&f, "_csrf"))?;
    let citizen_text = field(&f, "citizen").to_string();
    let scoped = state.store().scoped(&viewer.actor);
    let found = super::citizen_pick::find(&scoped, &citizen_text, field(&f, "citizen_id")).await?;
    let parsed = (|| {
        let citizen = match found {
            super::citizen_pick::Found::One(id) => id,
            super::citizen_pick::Found::Ask(m, choices) => return Err((AppError::bad_request(m), choices)),
        };
        let kind = Violation::parse(field(&f, "kind"))
            .ok_or_else(|| (AppError::bad_request("Hãy chọn hành vi vi phạm."), Vec::new()))?;
        let on = date_field(&f, "act_date", "Ngày vi phạm").map_err(|e| (e, Vec::new()))?;
        Ok((citizen, kind, on))
    })();
    let (citizen, kind, on) = match parsed {
        Ok(x) => x,
        Err((e, choices)) => {
            let page = violations_page(&state, &viewer, (citizen_text, choices), None, Some(e.message.clone())).await?;
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let cycle = match field(&f, "cycle_id") {
        "" => None,
        v => Some(id_of(v, "Đợt tuyển quân")?),
    };
    match state
        .store()
        .scoped(&viewer.actor)
        .record_violation(citizen, cycle, kind, on, opt(&f, "note").as_deref())
        .await
    {
        Ok(_) => Ok(Redirect::to("/nvqs/vi-pham?saved=1").into_response()),
        Err(e) if is_refusal(&e) || matches!(e, StoreError::NotFound(_)) => {
            let page = violations_page(&state, &viewer, (citizen_text, Vec::new()), None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn exam_forms_are_parsed_and_bad_values_named() {
        let mut f = fields(&[("height_cm", "170"), ("weight_kg", "62,5"), ("myopia", "")]);
        for c in ExamCriterion::ALL {
            f.insert(format!("score_{}", c.code()), "1".into());
        }
        match request_of("examine", &f).unwrap() {
            StageRequest::Examine(e) => {
                assert_eq!(e.weight_kg, 62.5);
                assert_eq!(e.class().get(), 1);
            }
            other => panic!("{other:?}"),
        }
        f.insert("score_eyes".into(), "x".into());
        let e = request_of("examine", &f).unwrap_err();
        assert!(e.message.contains("Mắt"), "{}", e.message);
        assert!(request_of("fly", &f).is_err());
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let b = bars(
            &[("a".into(), 50.0, "50".into()), ("b".into(), 100.0, "100".into())],
            200,
        );
        assert_eq!((b[0].w, b[1].w), (100, 200));
        assert_eq!(bars(&[("a".into(), 0.0, "0".into())], 200)[0].w, 0);
    }
}
