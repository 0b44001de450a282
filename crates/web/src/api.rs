//! The JSON API under `/api/v1`, for the same data as the pages, described by the OpenAPI document
//! at `/api/v1/openapi.json`. Callers authenticate with an API token (`Authorization: Bearer …`,
//! created on the account page) or a browser session. Errors are `{"error": {"status", "message"}}`
//! with a Vietnamese message.

use crate::error::AppError;
use crate::forms::extract::{ApiPath as Path, ApiQuery as Query};
use crate::forms::{parse_date, parse_date_text, parse_level};
use crate::session::ApiCaller;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use phongthu_domain::territory::{AdminUnit, RollupError};
use phongthu_store::{AuditFilter, OrgUnit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/territory/units", get(territory_units))
        .route("/territory/units/{code}", get(territory_unit))
        .route("/territory/units/{code}/rollup", get(territory_rollup))
        .route("/org/units", get(org_units))
        .route("/org/units/{id}", get(org_unit))
        .route("/users", get(users))
        .route("/audit", get(audit))
        .fallback(|| async { AppError::not_found("Không có điểm cuối API này.").as_json() })
}

type ApiResult<T> = Result<Json<T>, AppError>;

fn j(e: impl Into<AppError>) -> AppError {
    e.into().as_json()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "phongthu API",
        description = "Dữ liệu công tác quốc phòng, quân sự địa phương: địa giới hành chính, tổ chức, người dùng, nhật ký. \
                       Xác thực bằng tiêu đề Authorization: Bearer <mã truy cập>.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(me, territory_units, territory_unit, territory_rollup, org_units, org_unit, users, audit),
    components(schemas(Me, UnitDto, UnitDetail, Rollup, OrgUnitDto, UserDto, AuditDto, ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// An error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub status: u16,
    /// One Vietnamese sentence.
    pub message: String,
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    /// admin | commander | leader | inspector
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// What the API token may do: read_only | read_write; null for a browser session.
    pub token_scope: Option<String>,
}

#[utoipa::path(get, path = "/me", responses(
    (status = 200, body = Me), (status = 401, description = "No valid token or session", body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn me(caller: ApiCaller) -> ApiResult<Me> {
    let a = caller.actor;
    let token_scope = caller.scope.map(|s| s.as_str().to_string());
    Ok(Json(Me {
        token_scope,
        username: a.username,
        display_name: a.display_name,
        role: a.role.as_str().into(),
        unit_id: a.unit_id,
        unit_name: a.unit_name,
    }))
}

/// An administrative unit during one validity interval.
#[derive(Serialize, ToSchema)]
pub struct UnitDto {
    pub code: String,
    pub name: String,
    /// tinh | thanh_pho | huyen | … | xa | phuong | dac_khu
    pub kind: String,
    /// province | district | commune
    pub level: String,
    pub parent: Option<String>,
    /// First day in force (ISO); null when it predates the data.
    pub valid_from: Option<String>,
    /// Last day in force (ISO); null while in force.
    pub valid_to: Option<String>,
}

fn unit_dto(u: &AdminUnit) -> UnitDto {
    UnitDto {
        code: u.code.clone(),
        name: u.name.clone(),
        kind: u.kind.as_str().into(),
        level: u.level.as_str().into(),
        parent: u.parent_code.clone(),
        valid_from: u.valid_from.map(|d| d.to_string()),
        valid_to: u.valid_to.map(|d| d.to_string()),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct UnitsQuery {
    /// province | district | commune (default province; any level when searching)
    level: Option<String>,
    /// Date, YYYY-MM-DD (default today; a search without a date covers every period)
    #[param(format = Date)]
    on: Option<String>,
    /// Name (diacritics optional) or code
    q: Option<String>,
    /// At most this many (default 500, max 20000)
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/territory/units", params(UnitsQuery), responses(
    (status = 200, body = [UnitDto]), (status = 400, description = "A parameter is not valid (the message says which)", body = ErrorBody),
    (status = 401, description = "No valid token or session", body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn territory_units(
    State(state): State<AppState>,
    _caller: ApiCaller,
    Query(q): Query<UnitsQuery>,
) -> ApiResult<Vec<UnitDto>> {
    let on = parse_date(q.on.as_deref()).map_err(j)?;
    let level = parse_level(q.level.as_deref()).map_err(j)?;
    let limit = q.limit.unwrap_or(500).min(20_000);
    let t = state.territory();
    let units = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        // Without a date, a search covers every period (old names too).
        Some(text) => {
            let dated = q.on.as_deref().is_some_and(|s| !s.trim().is_empty());
            t.search(text, level, dated.then_some(on), limit)
        }
        None => t
            .list(level.unwrap_or(phongthu_domain::territory::Level::Province), on)
            .into_iter()
            .take(limit)
            .collect(),
    };
    Ok(Json(units.into_iter().map(unit_dto).collect()))
}

/// A unit with its history and children on the date.
#[derive(Serialize, ToSchema)]
pub struct UnitDetail {
    pub unit: UnitDto,
    /// Vietnamese sentences, oldest first ("Thành lập ngày 01/07/2025 trên cơ sở: …").
    pub history: Vec<String>,
    pub children: Vec<UnitDto>,
}

#[derive(Deserialize, IntoParams)]
pub struct UnitQuery {
    /// Date, YYYY-MM-DD (default today)
    #[param(format = Date)]
    on: Option<String>,
    level: Option<String>,
}

#[utoipa::path(get, path = "/territory/units/{code}", params(("code" = String, Path), UnitQuery), responses(
    (status = 200, body = UnitDetail), (status = 400, description = "A parameter is not valid (the message says which)", body = ErrorBody),
    (status = 401, description = "No valid token or session", body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn territory_unit(
    State(state): State<AppState>,
    _caller: ApiCaller,
    Path(code): Path<String>,
    Query(q): Query<UnitQuery>,
) -> ApiResult<UnitDetail> {
    let on = parse_date(q.on.as_deref()).map_err(j)?;
    let level = parse_level(q.level.as_deref()).map_err(j)?;
    let t = state.territory();
    let u = crate::pages::find_territory_unit(t, code.trim(), level, on).map_err(j)?;
    Ok(Json(UnitDetail {
        unit: unit_dto(u),
        history: t.history(u).iter().map(|h| h.to_string()).collect(),
        children: t.children_on(u, on).into_iter().map(unit_dto).collect(),
    }))
}

/// The roll-up path of a record filed under a unit, to the province in force today.
#[derive(Serialize, ToSchema)]
pub struct Rollup {
    pub path: Vec<UnitDto>,
}

#[derive(Deserialize, IntoParams)]
pub struct RollupQuery {
    /// The date the record refers to (default today)
    #[param(format = Date)]
    on: Option<String>,
    /// For a unit split among several new ones: the code of the new unit the record's village or address lies in
    choice: Option<String>,
}

#[utoipa::path(get, path = "/territory/units/{code}/rollup", params(("code" = String, Path), RollupQuery), responses(
    (status = 200, body = Rollup), (status = 400, description = "A parameter is not valid (the message says which)", body = ErrorBody),
    (status = 401, description = "No valid token or session", body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "The unit was split: choose one of the listed units", body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn territory_rollup(
    State(state): State<AppState>,
    _caller: ApiCaller,
    Path(code): Path<String>,
    Query(q): Query<RollupQuery>,
) -> ApiResult<Rollup> {
    let on = parse_date(q.on.as_deref()).map_err(j)?;
    let t = state.territory();
    match t.rollup_path(code.trim(), on, q.choice.as_deref().filter(|c| !c.trim().is_empty())) {
        Ok(path) => Ok(Json(Rollup {
            path: path.into_iter().map(unit_dto).collect(),
        })),
        Err(e @ RollupError::UnknownCode { .. }) => Err(AppError::not_found(e.to_string()).as_json()),
        Err(e @ (RollupError::NeedsChoice { .. } | RollupError::InvalidChoice { .. })) => {
            Err(AppError::new(StatusCode::CONFLICT, e.to_string()).as_json())
        }
        Err(e) => Err(AppError::internal(e.to_string()).as_json()),
    }
}

/// An organisational unit (military region, command, …).
#[derive(Serialize, ToSchema)]
pub struct OrgUnitDto {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub code: Option<String>,
    /// The administrative unit it is the command of.
    pub admin_code: Option<String>,
    pub province_code: Option<String>,
    pub note: Option<String>,
}

fn org_dto(u: OrgUnit) -> OrgUnitDto {
    OrgUnitDto {
        id: u.id,
        parent_id: u.parent_id,
        kind: u.kind.as_str().into(),
        kind_label: u.kind.label_vi().into(),
        name: u.name,
        code: u.code,
        admin_code: u.admin_code,
        province_code: u.province_code,
        note: u.note,
    }
}

#[utoipa::path(get, path = "/org/units", responses(
    (status = 200, description = "Units in the caller's scope, parents first", body = [OrgUnitDto]),
    (status = 401, description = "No valid token or session", body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn org_units(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Vec<OrgUnitDto>> {
    let units = state.store().scoped(&caller.actor).org_units().await.map_err(j)?;
    Ok(Json(units.into_iter().map(org_dto).collect()))
}

#[utoipa::path(get, path = "/org/units/{id}", params(("id" = i64, Path)), responses(
    (status = 200, body = OrgUnitDto), (status = 400, description = "A parameter is not valid (the message says which)", body = ErrorBody),
    (status = 401, description = "No valid token or session", body = ErrorBody),
    (status = 403, description = "Outside the caller's scope", body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn org_unit(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> ApiResult<OrgUnitDto> {
    let u = state.store().scoped(&caller.actor).org_unit(id).await.map_err(j)?;
    Ok(Json(org_dto(u)))
}

/// A user account.
#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub active: bool,
}

#[utoipa::path(get, path = "/users", responses(
    (status = 200, body = [UserDto]), (status = 401, description = "No valid token or session", body = ErrorBody),
    (status = 403, description = "Administrators only", body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn users(State(state): State<AppState>, caller: ApiCaller) -> ApiResult<Vec<UserDto>> {
    let users = state.store().scoped(&caller.actor).users().await.map_err(j)?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserDto {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                role: u.role.as_str().into(),
                unit_id: u.unit_id,
                unit_name: u.unit_name,
                active: u.active,
            })
            .collect(),
    ))
}

/// One audit log entry.
#[derive(Serialize, ToSchema)]
pub struct AuditDto {
    pub seq: i64,
    pub at: String,
    pub actor_name: String,
    pub unit_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON text of the state before, if any
    pub before: Option<String>,
    /// JSON text of the state after, if any
    pub after: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    action: Option<String>,
    /// From this date (YYYY-MM-DD), inclusive
    #[param(format = Date)]
    from: Option<String>,
    /// To this date (YYYY-MM-DD), inclusive
    #[param(format = Date)]
    to: Option<String>,
    /// Entries before this sequence number (paging)
    before: Option<i64>,
    /// At most this many (default 100, max 1000)
    limit: Option<i64>,
}

fn api_date(s: Option<String>, what: &str) -> Result<Option<String>, AppError> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => parse_date_text(d).map(|d| Some(d.to_string())).ok_or_else(|| {
            AppError::bad_request(format!("{what} \"{d}\" không hợp lệ: dùng dạng NNNN-TT-NN.")).as_json()
        }),
    }
}

#[utoipa::path(get, path = "/audit", params(AuditQuery), responses(
    (status = 200, body = [AuditDto]), (status = 400, description = "A parameter is not valid (the message says which)", body = ErrorBody),
    (status = 401, description = "No valid token or session", body = ErrorBody),
    (status = 403, description = "Inspectors and administrators only", body = ErrorBody),
    (status = 500, description = "The server failed; nothing was changed", body = ErrorBody), (status = 503, description = "The database is unavailable or busy; try again", body = ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Vec<AuditDto>> {
    let filter = AuditFilter {
        actor: q.actor.filter(|s| !s.is_empty()),
        entity: q.entity.filter(|s| !s.is_empty()),
        action: q.action.filter(|s| !s.is_empty()),
        from: api_date(q.from, "Ngày bắt đầu")?,
        to: api_date(q.to, "Ngày kết thúc")?,
        limit: q.limit.unwrap_or(100),
        before_seq: q.before,
    };
    let entries = state
        .store()
        .scoped(&caller.actor)
        .audit_entries(&filter)
        .await
        .map_err(j)?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditDto {
                seq: e.seq,
                at: e.at,
                actor_name: e.actor_name,
                unit_id: e.unit_id,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before,
                after: e.after,
            })
            .collect(),
    ))
}
