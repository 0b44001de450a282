//! Registering an outgoing document: the number is allocated by the store inside the write
//! transaction (state documents per unit and calendar year, Party documents per unit, type and
//! term), so two clerks never get the same number and none is skipped.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::Form;
use crate::forms::{parse_date_text, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::directive::NumberFamily;
use phongthu_store::{Authority, NewDocument, OutgoingNumbering, Secrecy, StoreError, Urgency};
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct OutgoingForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    type_code: String,
    #[serde(default)]
    issuer_code: String,
    #[serde(default)]
    term: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    signer_title: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    recipients: String,
    #[serde(default)]
    secrecy: String,
}

#[derive(Template)]
#[template(path = "doc_outgoing.html")]
struct OutgoingPage {
    chrome: Chrome,
    units: Vec<(i64, String)>,
    authorities: Vec<(&'static str, &'static str)>,
    f: OutgoingForm,
    error: Option<String>,
}

async fn page(state: &AppState, viewer: &Viewer, f: OutgoingForm, error: Option<String>) -> Result<Response, AppError> {
    let units = state
        .store()
        .scoped(&viewer.actor)
        .org_units()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let authorities = Authority::ALL
        .iter()
        .map(|a| {
            (
                a.as_str(),
                if a.as_str().is_empty() {
                    "(ký trực tiếp)"
                } else {
                    a.as_str()
                },
            )
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut res = render(&OutgoingPage {
        chrome: Chrome::new(state, Some(viewer), "Vào sổ văn bản đi", "documents"),
        units,
        authorities,
        f,
        error,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    let f = OutgoingForm {
        unit_id: viewer.actor.unit_id.to_string(),
        family: "state".into(),
        issuer: viewer.actor.unit_name.clone(),
        issued_on: vi_date(today()),
        ..Default::default()
    };
    page(&state, &viewer, f, None).await
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn build(f: &OutgoingForm) -> Result<(NewDocument, OutgoingNumbering), String> {
    let unit_id: i64 = f
        .unit_id
        .trim()
        .parse()
        .map_err(|_| "Hãy chọn đơn vị ban hành.".to_string())?;
    let family = match f.family.trim() {
        "party" => NumberFamily::Party,
        "state" | "" => NumberFamily::State,
        other => return Err(format!("Hệ thống số \"{other}\" không hợp lệ.")),
    };
    let issued_on = match opt(&f.issued_on) {
        None => None,
        Some(d) => Some(
            parse_date_text(&d).ok_or_else(|| format!("Ngày ban hành \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN."))?,
        ),
    };
    let authority = Authority::parse(&f.authority).ok_or_else(|| "Thẩm quyền ký không hợp lệ.".to_string())?;
    let secrecy = Secrecy::parse(if f.secrecy.trim().is_empty() {
        "none"
    } else {
        f.secrecy.trim()
    })
    .ok_or_else(|| "Độ mật không hợp lệ.".to_string())?;
    if f.issuer_code.trim().is_empty() {
        return Err("Hãy ghi chữ viết tắt tên cơ quan ban hành (ví dụ BCH, ĐU).".into());
    }
    let doc = NewDocument {
        unit_id,
        kind: None,
        number_symbol: None,
        issuer: opt(&f.issuer),
        place: opt(&f.place),
        issued_on,
        title: f.title.trim().to_string(),
        signer_name: opt(&f.signer_name),
        signer_title: opt(&f.signer_title),
        authority,
        recipients: f
            .recipients
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        secrecy,
        urgency: Urgency::None,
        topics: Vec::new(),
        cited: Vec::new(),
        body_text: None,
        attachments: Vec::new(),
    };
    let numbering = OutgoingNumbering {
        family,
        type_code: opt(&f.type_code),
        issuer_code: f.issuer_code.trim().to_string(),
        term: opt(&f.term),
    };
    Ok((doc, numbering))
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<OutgoingForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let (doc, numbering) = match build(&f) {
        Ok(x) => x,
        Err(m) => return page(&state, &viewer, f, Some(m)).await,
    };
    match scoped.register_outgoing(doc, numbering).await {
        Ok(d) => Ok(Redirect::to(&format!("/documents/{}?saved=1", d.id)).into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => page(&state, &viewer, f, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}
