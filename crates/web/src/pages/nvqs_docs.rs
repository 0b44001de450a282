//! The documents a commune produces in a call-up cycle, as DOCX or PDF in the Decree 30/2020
//! layout (`phongthu_documents::official`): the individual decisions calling each citizen to
//! screening, to the health examination and to enlist (one per citizen, printed for the whole commune in one file,
//! each on its own pages), and the lists the commune posts every year (law brief §1.5 and
//! TT 148/2018 Art. 6.4: the pool, the fit, deferred by ground, exempted, health classes, called
//! up, reserve).
//!
//! Posted lists carry only what the brief says a posted list carries (full name, date of birth,
//! permanent residence, occupation, workplace, and the reason or result), never ID numbers.
//! Since 1 July 2025 the commune People's Committee chairman issues the individual calls
//! (law brief §1.6), so the decisions are headed by the commune People's Committee and left for
//! its chairman to sign; numbers come from what was recorded, or are left blank for the clerk.
//! The wording of the decisions is a plain draft naming the Military Service Law; the official
//! template (mẫu) is not in the brief. UNCONFIRMED against the template in force.

use super::reports::Format;
use crate::error::AppError;
use crate::forms::extract::Path;
use crate::forms::{parse_date_text, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use phongthu_documents::official::{Block, OfficialDocument, Signer};
use phongthu_domain::nvqs::plan::CappedList;
use phongthu_domain::nvqs::stage::{CallUpList, Stage};
use phongthu_domain::nvqs::Status;
use phongthu_domain::territory::Level;
use phongthu_store::{CandidateRow, CommuneCycle, StepInForce};

/// The stem of a requested file name, e.g. "ds-nguon" for "ds-nguon.pdf"; the format itself is
/// read from the same extension by [`Format`].
pub fn file_stem(name: &str) -> Result<&str, AppError> {
    name.strip_suffix(".pdf")
        .or_else(|| name.strip_suffix(".docx"))
        .ok_or_else(|| {
            AppError::not_found(format!(
                "Không có văn bản \"{name}\": tên tệp phải kết thúc bằng .pdf hoặc .docx."
            ))
        })
}

async fn send(
    state: &AppState,
    viewer: &Viewer,
    docs: Vec<OfficialDocument>,
    format: Format,
    stem: &str,
) -> Result<Response, AppError> {
    if docs.is_empty() {
        return Err(AppError::not_found(
            "Chưa có công dân nào thuộc văn bản này ở giai đoạn hiện tại.",
        ));
    }
    if format == Format::Pdf && docs.len() > super::doc_jobs::BACKGROUND_OVER_DOCS {
        // A commune's whole batch: typeset in the background, its page shows the progress.
        return super::doc_jobs::start(state, viewer, docs, stem);
    }
    super::reports::deliver_all(docs, format, stem).await
}

/// The commune People's Committee as issuer, the place name for the date line, and the commune's
/// name as in a sentence ("xã Tân Hưng").
fn commune_heading(state: &AppState, admin_code: Option<&str>, unit_name: &str) -> (String, String, String) {
    let unit = admin_code.and_then(|c| state.territory().unit_on(c, Some(Level::Commune), today()));
    match unit {
        Some(u) => (
            format!("ỦY BAN NHÂN DÂN {}", u.name.to_uppercase()),
            u.short_name().to_string(),
            u.name_in_sentence(),
        ),
        None => {
            let name = unit_name
                .strip_prefix("Ban Chỉ huy Quân sự ")
                .or_else(|| unit_name.strip_prefix("Ban Chỉ huy quân sự "))
                .unwrap_or(unit_name);
            (
                format!("ỦY BAN NHÂN DÂN {}", name.to_uppercase()),
                name.to_string(),
                name.to_string(),
            )
        }
    }
}

fn chairman() -> Signer {
    Signer {
        authority: Some("TM. ỦY BAN NHÂN DÂN".into()),
        title: "CHỦ TỊCH".into(),
        name: String::new(),
    }
}

struct Ctx {
    issuer: String,
    place: String,
    year: i32,
    commune: String,
}

fn residence(state: &AppState, c: &CandidateRow) -> String {
    super::citizens::residence(state, &c.citizen)
}

fn public_row(state: &AppState, i: usize, c: &CandidateRow, last: String) -> Vec<String> {
    vec![
        (i + 1).to_string(),
        c.citizen.full_name.clone(),
        vi_date(c.citizen.birth_date),
        residence(state, c),
        c.citizen.occupation.clone().unwrap_or_default(),
        c.citizen.workplace.clone().unwrap_or_default(),
        last,
    ]
}

fn public_table(rows: Vec<Vec<String>>, last: &str) -> Block {
    Block::Table {
        headers: [
            "TT",
            "Họ và tên",
            "Ngày sinh",
            "Nơi thường trú",
            "Nghề nghiệp",
            "Nơi làm việc",
            last,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
        widths_pct: Some(vec![5, 18, 11, 20, 12, 14, 20]),
    }
}

fn list_document(ctx: &Ctx, title: String, intro: String, body: Vec<Block>) -> OfficialDocument {
    let mut blocks = vec![Block::Paragraph(intro)];
    blocks.extend(body);
    OfficialDocument {
        superior_body: None,
        issuer: ctx.issuer.clone(),
        number_symbol: None,
        place: ctx.place.clone(),
        date: today(),
        kind_label: "DANH SÁCH".into(),
        title,
        body: blocks,
        signer: chairman(),
        recipients: vec![
            "Niêm yết tại trụ sở Ủy ban nhân dân, nhà văn hóa thôn, tổ dân phố".into(),
            format!("Ban Chỉ huy quân sự {}", ctx.commune),
            "Lưu: VT".into(),
        ],
    }
}

/// Health class 4–6 found at the examination: a deferral under Art. 41.1.a, whether or not its
/// decision is recorded yet.
fn unfit_for_health(c: &CandidateRow) -> bool {
    c.stage == Stage::Unfit && c.health_class.is_some_and(|h| h >= 4)
}

fn grounds_of(c: &CandidateRow) -> String {
    if unfit_for_health(c) {
        return "41.1.a".into();
    }
    c.ground.clone().unwrap_or_else(|| c.grounds.join(", "))
}

fn class_text(c: &CandidateRow) -> String {
    match (c.health_class, c.bmi) {
        (Some(h), Some(b)) => format!("Loại {h} (BMI {})", format!("{b:.1}").replace('.', ",")),
        (Some(h), None) => format!("Loại {h}"),
        _ => String::new(),
    }
}

/// The list called `stem` for the commune, or `None` for an unknown stem.
fn list_for(state: &AppState, ctx: &Ctx, p: &CommuneCycle, stem: &str) -> Option<OfficialDocument> {
    let rows = |pick: &dyn Fn(&CandidateRow) -> bool, last: &dyn Fn(&CandidateRow) -> String| -> Vec<Vec<String>> {
        p.candidates
            .iter()
            .filter(|c| pick(c))
            .enumerate()
            .map(|(i, c)| public_row(state, i, c, last(c)))
            .collect()
    };
    let year = ctx.year;
    let commune = &ctx.commune;
    let basis = format!("Danh sách do Ủy ban nhân dân {commune} lập từ hồ sơ đăng ký nghĩa vụ quân sự và kết quả tuyển chọn của đợt tuyển quân năm {year}, lập ngày {}.", vi_date(today()));
    let (title, last, table): (String, &str, Vec<Vec<String>>) = match stem {
        "ds-nguon" => (
            format!("Công dân trong nguồn gọi nhập ngũ năm {year}"),
            "Ghi chú",
            rows(&|c| c.status == Status::Eligible || c.stage != Stage::Pool, &|c| {
                c.stage_label.clone()
            }),
        ),
        "ds-du-dieu-kien" => (
            format!("Công dân đủ điều kiện, đủ tiêu chuẩn sức khỏe gọi nhập ngũ năm {year}"),
            "Kết quả khám sức khỏe",
            rows(
                &|c| {
                    matches!(
                        c.stage,
                        Stage::Examined
                            | Stage::Vetted
                            | Stage::Approved(_)
                            | Stage::CallUpIssued
                            | Stage::HandedOver
                            | Stage::Confirmed
                    )
                },
                &class_text,
            ),
        ),
        "ds-tam-hoan" | "ds-mien" => {
            let (status, stage, name) = if stem == "ds-tam-hoan" {
                (Status::Deferred, Stage::Deferred, "tạm hoãn")
            } else {
                (Status::Exempted, Stage::Exempted, "miễn")
            };
            let mut picked: Vec<&CandidateRow> = p
                .candidates
                .iter()
                .filter(|c| {
                    c.stage == stage
                        || (c.stage == Stage::Pool && c.status == status)
                        || (status == Status::Deferred && unfit_for_health(c))
                })
                .collect();
            // Grouped by ground (Art. 41 order: the codes sort as the law orders them), names in
            // Vietnamese order within a ground (the registry's order).
            picked.sort_by_key(|c| grounds_of(c));
            let mut body = Vec::new();
            let mut current: Option<String> = None;
            let mut group: Vec<Vec<String>> = Vec::new();
            for c in picked {
                let g = grounds_of(c);
                if current.as_ref() != Some(&g) {
                    if let Some(prev) = current.take() {
                        body.push(Block::Heading(format!("Căn cứ {prev}")));
                        body.push(public_table(std::mem::take(&mut group), "Lý do"));
                    }
                    current = Some(g.clone());
                }
                let reason = match (&c.decision_number, c.stage == stage) {
                    (Some(n), true) => format!("{g}; quyết định số {n}"),
                    _ if unfit_for_health(c) => format!(
                        "{g}: sức khỏe loại {} theo kết quả khám (chưa có quyết định)",
                        c.health_class.unwrap_or(0)
                    ),
                    _ => format!("{g} (theo hồ sơ, chưa có quyết định)"),
                };
                group.push(public_row(state, group.len(), c, reason));
            }
            if let Some(prev) = current {
                body.push(Block::Heading(format!("Căn cứ {prev}")));
                body.push(public_table(group, "Lý do"));
            }
            if body.is_empty() {
                body.push(Block::Paragraph(format!("Không có công dân {name} gọi nhập ngũ.")));
            }
            return Some(list_document(
                ctx,
                format!("Công dân {name} gọi nhập ngũ năm {year}"),
                format!("{basis} Căn cứ theo Điều 41 Luật Nghĩa vụ quân sự (khoản 1: tạm hoãn; khoản 2: miễn)."),
                body,
            ));
        }
        "ds-suc-khoe" => (
            format!("Kết quả phân loại sức khỏe nghĩa vụ quân sự năm {year}"),
            "Phân loại sức khỏe",
            rows(&|c| c.health_class.is_some(), &class_text),
        ),
        "ds-chinh-thuc" | "ds-du-phong" => {
            let list = if stem == "ds-chinh-thuc" {
                CallUpList::Official
            } else {
                CallUpList::Reserve
            };
            (
                format!("Công dân gọi nhập ngũ năm {year} ({})", list.label_vi()),
                "Quyết định, trạng thái",
                rows(&|c| c.list == Some(list), &|c| match &c.decision_number {
                    Some(n) if c.stage.called_up() => format!("{n}; {}", c.stage_label),
                    _ => c.stage_label.clone(),
                }),
            )
        }
        _ => return None,
    };
    let body = if table.is_empty() {
        vec![Block::Paragraph("Chưa có công dân nào trong danh sách này.".into())]
    } else {
        vec![public_table(table, last)]
    };
    let approved = match stem {
        "ds-chinh-thuc" => Some(CappedList::Official),
        "ds-du-phong" => Some(CappedList::Reserve),
        _ => None,
    };
    let basis = match approved.and_then(|l| p.lists.iter().find(|s| s.list == l)) {
        Some(s) => format!("{basis} {}", approval_sentence(s.approval.as_ref())),
        None => basis,
    };
    Some(list_document(ctx, title, basis, body))
}

/// How an approved list says by what act it was approved.
fn approval_sentence(a: Option<&phongthu_store::ListApproval>) -> String {
    let Some(a) = a else {
        return "Danh sách chưa được duyệt.".into();
    };
    match (a.act_number.as_deref(), a.act_date.as_deref().and_then(parse_date_text)) {
        (Some(n), Some(d)) => format!(
            "Danh sách đã được duyệt theo văn bản số {n} ngày {} ({} người).",
            vi_date(d),
            a.count
        ),
        _ => format!(
            "Danh sách đã được duyệt ngày {} ({} người).",
            a.approved_at
                .get(..10)
                .and_then(parse_date_text)
                .map(vi_date)
                .unwrap_or_default(),
            a.count
        ),
    }
}

/// Which individual call a decision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Screening,
    Examination,
    Enlistment,
}

/// Where and when the citizen reports, as entered with the call-up decision.
#[derive(Debug, Clone, Default)]
struct Reporting {
    place: String,
    at: String,
}

fn reporting_of(step: Option<&StepInForce>) -> Reporting {
    Reporting {
        place: step.and_then(|s| s.text("report_place")).unwrap_or_default(),
        at: step.and_then(|s| s.text("report_at")).unwrap_or_default(),
    }
}

fn decision(
    ctx: &Ctx,
    state: &AppState,
    c: &CandidateRow,
    window: &str,
    call: Call,
    reporting: &Reporting,
) -> OfficialDocument {
    let call_up = call == Call::Enlistment;
    let who = format!(
        "công dân {}, sinh ngày {}, nơi thường trú: {}",
        c.citizen.full_name,
        vi_date(c.citizen.birth_date),
        residence(state, c)
    );
    let year = ctx.year;
    let (title, article1, date, number) = if call_up {
        let detail = c.decision_number.clone();
        (
            format!("Về việc gọi công dân nhập ngũ năm {year}"),
            {
                let mut a = format!("Điều 1. Gọi {who}, nhập ngũ năm {year}.");
                if !reporting.at.is_empty() {
                    a.push_str(&format!(" Thời gian có mặt: {}.", reporting.at));
                }
                if !reporting.place.is_empty() {
                    a.push_str(&format!(" Địa điểm có mặt: {}.", reporting.place));
                }
                a
            },
            c.decision_date
                .as_deref()
                .and_then(phongthu_domain::dates::parse_iso_date)
                .unwrap_or_else(today),
            detail,
        )
    } else {
        let (what, title) = if call == Call::Screening {
            (
                "sơ tuyển sức khỏe",
                format!("Về việc gọi công dân sơ tuyển sức khỏe nghĩa vụ quân sự năm {year}"),
            )
        } else {
            (
                "khám sức khỏe",
                format!("Về việc gọi công dân khám sức khỏe nghĩa vụ quân sự năm {year}"),
            )
        };
        let when = if window.is_empty() {
            String::new()
        } else {
            format!(" trong thời gian {window}")
        };
        (
            title,
            format!(
                "Điều 1. Gọi {who}, {what} nghĩa vụ quân sự{when}, theo thông báo của Hội đồng nghĩa vụ quân sự {}.",
                ctx.commune
            ),
            today(),
            None,
        )
    };
    OfficialDocument {
        superior_body: None,
        issuer: ctx.issuer.clone(),
        number_symbol: number,
        place: ctx.place.clone(),
        date,
        kind_label: "QUYẾT ĐỊNH".into(),
        title,
        body: vec![
            Block::Paragraph(format!("CHỦ TỊCH ỦY BAN NHÂN DÂN {}", ctx.commune.to_uppercase())),
            Block::Paragraph(
                "Căn cứ Luật Nghĩa vụ quân sự ngày 19 tháng 6 năm 2015, được sửa đổi, bổ sung năm 2019 và năm 2025;".into(),
            ),
            Block::Paragraph(format!(
                "Xét đề nghị của Hội đồng nghĩa vụ quân sự {} về việc tuyển chọn và gọi công dân nhập ngũ năm {year},",
                ctx.commune
            )),
            Block::Heading("QUYẾT ĐỊNH:".into()),
            Block::Paragraph(article1),
            Block::Paragraph(match call {
                Call::Enlistment => "Điều 2. Công dân có tên tại Điều 1 có mặt đúng thời gian, địa điểm ghi tại Điều 1; không có mặt mà không có lý do chính đáng thì bị xử lý theo quy định của pháp luật.".into(),
                Call::Examination => "Điều 2. Công dân có tên tại Điều 1 có mặt đúng thời gian, địa điểm khám sức khỏe; không có mặt mà không có lý do chính đáng thì bị xử lý theo quy định của pháp luật.".into(),
                Call::Screening => "Điều 2. Công dân có tên tại Điều 1 có mặt đúng thời gian, địa điểm sơ tuyển; không có mặt mà không có lý do chính đáng thì bị xử lý theo quy định của pháp luật.".into(),
            }),
            Block::Paragraph(format!(
                "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Ban Chỉ huy quân sự {}, các cơ quan, đơn vị có liên quan và công dân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.",
                ctx.commune
            )),
        ],
        signer: chairman(),
        recipients: vec!["Như Điều 3".into(), "Lưu: VT".into()],
    }
}

async fn context(state: &AppState, viewer: &Viewer, cycle_id: i64, unit_id: i64) -> Result<Ctx, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let year = scoped.cycle(cycle_id).await?.year;
    let unit = scoped.org_unit(unit_id).await?;
    let (issuer, place, commune) = commune_heading(state, unit.admin_code.as_deref(), &unit.name);
    Ok(Ctx {
        issuer,
        place,
        year,
        commune,
    })
}

fn exam_window_text(p: &CommuneCycle) -> String {
    p.examination_window
        .as_ref()
        .and_then(|(s, e)| {
            Some(format!(
                "từ ngày {} đến ngày {}",
                vi_date(phongthu_domain::dates::parse_iso_date(s)?),
                vi_date(phongthu_domain::dates::parse_iso_date(e)?)
            ))
        })
        .unwrap_or_default()
}

/// `GET /nvqs/{id}/xa/{unit}/{file}`: the commune's decisions or one of its lists.
pub async fn commune_document(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path((id, unit, file)): Path<(i64, i64, String)>,
) -> Result<Response, AppError> {
    let stem = file_stem(&file)?;
    let ctx = context(&state, &viewer, id, unit).await?;
    let p = state.store().scoped(&viewer.actor).commune_cycle(id, unit).await?;
    let scoped = state.store().scoped(&viewer.actor);
    let none = Reporting::default();
    let docs = match stem {
        // Every decision issued, in the order of their numbers (the order of the list they were
        // issued from), with the place and time entered with each.
        "quyet-dinh" => {
            let steps = scoped.steps_in_force(id, unit, "issue_call_up").await?;
            let mut called: Vec<&CandidateRow> = p.candidates.iter().filter(|c| c.stage.called_up()).collect();
            called.sort_by_key(|c| decision_order(c.decision_number.as_deref()));
            called
                .into_iter()
                .map(|c| {
                    let r = reporting_of(steps.get(&c.citizen.id));
                    decision(&ctx, &state, c, "", Call::Enlistment, &r)
                })
                .collect()
        }
        // Everyone a call to the examination was issued to: passed screening, whatever came next.
        "goi-kham" => {
            let window = exam_window_text(&p);
            let screened = scoped.steps_in_force(id, unit, "screen").await?;
            p.candidates
                .iter()
                .filter(|c| {
                    screened
                        .get(&c.citizen.id)
                        .is_some_and(|s| s.detail.get("passed").and_then(|v| v.as_bool()) == Some(true))
                })
                .map(|c| decision(&ctx, &state, c, &window, Call::Examination, &none))
                .collect()
        }
        // Everyone called to screening: the pool not yet screened (the engine's "eligible" on the
        // registry's facts) and those already screened, whatever came next.
        "goi-so-tuyen" => {
            let screened = scoped.steps_in_force(id, unit, "screen").await?;
            p.candidates
                .iter()
                .filter(|c| {
                    (c.stage == Stage::Pool && c.status == Status::Eligible) || screened.contains_key(&c.citizen.id)
                })
                .map(|c| decision(&ctx, &state, c, "", Call::Screening, &none))
                .collect()
        }
        _ => vec![list_for(&state, &ctx, &p, stem)
            .ok_or_else(|| AppError::not_found(format!("Không có văn bản \"{stem}\".")))?],
    };
    send(&state, &viewer, docs, format, &format!("{stem}-{}-{unit}", ctx.year)).await
}

/// `GET /nvqs/{id}/cong-dan/{citizen}/{file}`: one citizen's call-up decision.
pub async fn citizen_decision(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path((id, citizen, file)): Path<(i64, i64, String)>,
) -> Result<Response, AppError> {
    let stem = file_stem(&file)?;
    if stem != "quyet-dinh" {
        return Err(AppError::not_found(format!("Không có văn bản \"{stem}\".")));
    }
    let c = state.store().scoped(&viewer.actor).candidate(id, citizen).await?;
    if !c.stage.called_up() {
        return Err(AppError::not_found("Công dân này chưa có quyết định gọi nhập ngũ."));
    }
    let ctx = context(&state, &viewer, id, c.citizen.unit_id).await?;
    let steps = state
        .store()
        .scoped(&viewer.actor)
        .steps_in_force(id, c.citizen.unit_id, "issue_call_up")
        .await?;
    let reporting = reporting_of(steps.get(&c.citizen.id));
    send(
        &state,
        &viewer,
        vec![decision(&ctx, &state, &c, "", Call::Enlistment, &reporting)],
        format,
        &format!("quyet-dinh-nhap-ngu-{}-{citizen}", ctx.year),
    )
    .await
}

/// The order of decisions: by the leading number of "16/QĐ-UBND", then the text (a decision
/// without a number last).
fn decision_order(number: Option<&str>) -> (u64, String) {
    let n = number.unwrap_or("").trim();
    let digits: String = n.chars().take_while(|c| c.is_ascii_digit()).collect();
    (digits.parse().unwrap_or(u64::MAX), n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_sort_by_number() {
        let mut v = vec![Some("21/QĐ-UBND"), Some("9/QĐ-UBND"), None, Some("16/QĐ-UBND")];
        v.sort_by_key(|n| decision_order(*n));
        assert_eq!(v, vec![Some("9/QĐ-UBND"), Some("16/QĐ-UBND"), Some("21/QĐ-UBND"), None]);
    }

    #[test]
    fn file_names() {
        assert_eq!(file_stem("ds-nguon.pdf").unwrap(), "ds-nguon");
        assert_eq!(file_stem("quyet-dinh.docx").unwrap(), "quyet-dinh");
        assert!(file_stem("quyet-dinh.exe").is_err());
    }
}
