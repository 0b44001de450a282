//! Import of reservists from rows with Vietnamese column headers (the file reading itself
//! is in `phongthu_documents::tabular`).
//!
//! One person, one record: a reservist is a citizen already on the registry, found by the 12-digit
//! national ID in the actor's scope; a row naming an ID that is not there is an error (the
//! citizen must be entered in the registry first). A row may also place the reservist in a
//! position of a mobilisation unit (unit name and position title, as on the unit's page): the
//! same checks as an assignment made on the page run for that row — the recruitment area, the age
//! limit of the unit, the free seats (staff plus spare) and the mobilisation ledger (an active
//! militia record or a call-up holds the person).
//!
//! Every row is checked inside one write transaction and its errors are reported with the
//! spreadsheet row, the column and a Vietnamese reason. All-or-nothing mode rolls the whole
//! transaction back when any row is bad; valid-only mode saves the valid rows and reports the
//! others. Each reservist and each assignment gets its audit entry, and the import one more.

use crate::citizens::{
    header_key as key, import_summary_vi, national_id_cell, ImportMode, KnownColumn, MatchedColumns, RowError,
    SourceRow,
};
use crate::dates::{iso, parse_iso, vi_date};
use crate::error::StoreError;
use crate::reserve::{
    claim, first_conflict, ledger_entries_for_citizen, opt_text, specialty, support_limit, ReservePosition,
    ReserveUnit, ReservistRecord,
};
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::{LedgerEntry, LedgerKind, Subject};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::age::age_on;
use phongthu_domain::reserve::{
    AgeClass, MatchKind, MilitarySpecialty, NearSpecialties, Reservist, ReservistClass, COMBAT_AGE_LIMIT,
};
use phongthu_domain::text;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use time::Date;

/// The facts a column of the reservist import file can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservistField {
    NationalId,
    FullName,
    Class,
    Specialty,
    Rank,
    RegisteredOn,
    ReserveUnit,
    Position,
    AssignedOn,
}

/// One column of the reservist import template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservistColumn {
    pub field: ReservistField,
    pub header: &'static str,
    /// Other headers accepted (compared without diacritics, case, spaces or punctuation).
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub example: &'static str,
    pub hint: &'static str,
    /// Formatted as text in the template (leading zeros, dates).
    pub text_format: bool,
}

/// The columns of the reservist import template, in template order.
pub const RESERVIST_COLUMNS: &[ReservistColumn] = &[
    ReservistColumn {
        field: ReservistField::NationalId,
        header: "Số định danh cá nhân",
        aliases: &["Số CCCD", "CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh"],
        required: true,
        example: "033095001234",
        hint: "Bắt buộc. 12 chữ số của công dân đã có trong sổ đăng ký (nhập công dân trước). Định dạng cột là Văn bản để giữ số 0 ở đầu.",
        text_format: true,
    },
    ReservistColumn {
        field: ReservistField::FullName,
        header: "Họ và tên",
        aliases: &["Họ tên"],
        required: false,
        example: "Nguyễn Văn Bình",
        hint: "Để đối chiếu: nếu ghi, phải trùng họ tên trong sổ đăng ký.",
        text_format: false,
    },
    ReservistColumn {
        field: ReservistField::Class,
        header: "Hạng",
        aliases: &["Hạng quân nhân dự bị", "Hạng dự bị"],
        required: true,
        example: "1",
        hint: "Bắt buộc. 1 (hạng một) hoặc 2 (hạng hai).",
        text_format: false,
    },
    ReservistColumn {
        field: ReservistField::Specialty,
        header: "Chuyên nghiệp quân sự",
        aliases: &["CNQS", "Mã CNQS", "Chuyên nghiệp quân sự (CNQS)"],
        required: true,
        example: "1A",
        hint: "Bắt buộc. Mã chuyên nghiệp quân sự, không có khoảng trắng.",
        text_format: true,
    },
    ReservistColumn {
        field: ReservistField::Rank,
        header: "Cấp bậc",
        aliases: &["Quân hàm"],
        required: false,
        example: "Trung sĩ",
        hint: "",
        text_format: false,
    },
    ReservistColumn {
        field: ReservistField::RegisteredOn,
        header: "Ngày đăng ký",
        aliases: &["Ngày đăng ký ngạch dự bị", "Ngày đăng ký dự bị"],
        required: true,
        example: "15/01/2024",
        hint: "Bắt buộc. Ngày đăng ký vào ngạch dự bị, dạng NN/TT/NNNN.",
        text_format: true,
    },
    ReservistColumn {
        field: ReservistField::ReserveUnit,
        header: "Đơn vị dự bị động viên",
        aliases: &["Đơn vị DBĐV", "Đơn vị"],
        required: false,
        example: "",
        hint: "Nếu sắp xếp luôn: tên đơn vị dự bị động viên đúng như trên trang đơn vị; để trống nếu chưa sắp xếp.",
        text_format: false,
    },
    ReservistColumn {
        field: ReservistField::Position,
        header: "Chức danh",
        aliases: &["Chức danh biên chế", "Vị trí"],
        required: false,
        example: "",
        hint: "Ghi cùng cột \"Đơn vị dự bị động viên\": chức danh trong biểu biên chế của đơn vị.",
        text_format: false,
    },
    ReservistColumn {
        field: ReservistField::AssignedOn,
        header: "Ngày sắp xếp",
        aliases: &["Ngày xếp vào đơn vị"],
        required: false,
        example: "",
        hint: "Ngày bắt đầu sắp xếp vào đơn vị; để trống là ngày nhập.",
        text_format: true,
    },
];

impl ReservistField {
    pub fn header(self) -> &'static str {
        RESERVIST_COLUMNS
            .iter()
            .find(|c| c.field == self)
            .map(|c| c.header)
            .unwrap_or("")
    }
}

/// How the import runs.
#[derive(Debug, Clone)]
pub struct ReservistImportOptions {
    pub mode: ImportMode,
    /// The file's name, for the audit entry.
    pub source_name: String,
    /// The default day of an assignment named without a date (today).
    pub on: Date,
}

/// What the import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReservistImportReport {
    pub rows_read: u64,
    /// Reservists saved (0 when the transaction was rolled back).
    pub accepted: u64,
    /// Of them, placed in a position.
    pub assigned: u64,
    pub rejected_rows: u64,
    /// Every error, by row.
    pub rejected: Vec<RowError>,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
}

impl ReservistImportReport {
    pub fn summary_vi(&self) -> String {
        import_summary_vi(
            self.rows_read,
            self.rejected_rows,
            self.committed,
            format!(
                "Đã nhập {} quân nhân dự bị từ {} dòng dữ liệu (sắp xếp vào đơn vị {} người); {} dòng bị từ chối.",
                self.accepted, self.rows_read, self.assigned, self.rejected_rows
            ),
            "quân nhân dự bị nào",
            None,
            &self.ignored_columns,
        )
    }
}

struct Columns(MatchedColumns);

impl Columns {
    fn resolve(headers: &[String]) -> Result<(Columns, Vec<String>), StoreError> {
        let known: Vec<KnownColumn<'_>> = RESERVIST_COLUMNS
            .iter()
            .map(|c| KnownColumn {
                header: c.header,
                aliases: c.aliases,
                required: c.required,
            })
            .collect();
        let (m, ignored) = MatchedColumns::resolve(headers, &known, RESERVIST_COLUMNS.len())?;
        Ok((Columns(m), ignored))
    }

    /// The field's place in RESERVIST_COLUMNS (past the end, so read as absent, if it had none).
    fn index(f: ReservistField) -> usize {
        RESERVIST_COLUMNS
            .iter()
            .position(|c| c.field == f)
            .unwrap_or(usize::MAX)
    }

    fn cell<'r>(&self, row: &'r SourceRow, f: ReservistField) -> Option<&'r str> {
        self.0.cell(row, Self::index(f))
    }

    fn error(&self, line: u64, f: ReservistField, value: Option<&str>, reason: String) -> RowError {
        self.0.error(line, Self::index(f), f.header(), value, reason)
    }

    fn parse(&self, row: &SourceRow, on: Date) -> Result<Parsed, Vec<RowError>> {
        use ReservistField as F;
        let mut errs = vec![];
        let line = row.line;
        let national_id = match national_id_cell(self.cell(row, F::NationalId)) {
            Ok(v) => Some(v),
            Err(reason) => {
                errs.push(self.error(line, F::NationalId, self.cell(row, F::NationalId), reason));
                None
            }
        };
        let class = match self.cell(row, F::Class) {
            None => {
                errs.push(self.error(line, F::Class, None, "Hạng không được để trống: ghi 1 hoặc 2.".into()));
                None
            }
            Some(v) => match parse_class(v) {
                Some(c) => Some(c),
                None => {
                    errs.push(self.error(
                        line,
                        F::Class,
                        Some(v),
                        format!("Hạng \"{v}\" không hợp lệ: ghi 1 (hạng một) hoặc 2 (hạng hai)."),
                    ));
                    None
                }
            },
        };
        let spec = match self.cell(row, F::Specialty) {
            None => {
                errs.push(self.error(
                    line,
                    F::Specialty,
                    None,
                    "Chuyên nghiệp quân sự không được để trống.".into(),
                ));
                None
            }
            Some(v) => match specialty(v) {
                Ok(s) => Some(s),
                Err(e) => {
                    errs.push(self.error(line, F::Specialty, Some(v), e.to_string()));
                    None
                }
            },
        };
        let rank = match opt_text(self.cell(row, F::Rank), "cấp bậc", 60) {
            Ok(r) => r,
            Err(e) => {
                errs.push(self.error(line, F::Rank, self.cell(row, F::Rank), e.to_string()));
                None
            }
        };
        let mut date = |f: ReservistField, required: bool| -> Option<Date> {
            match self.cell(row, f) {
                None if required => {
                    errs.push(self.error(line, f, None, format!("{} không được để trống.", f.header())));
                    None
                }
                None => None,
                // Every date of the file (registration, assignment) is of an event already past.
                Some(v) => match phongthu_domain::dates::parse_date_vi(v)
                    .and_then(|d| phongthu_domain::dates::check_past_event(f.header(), d, on).map(|()| d))
                {
                    Ok(d) => Some(d),
                    Err(reason) => {
                        errs.push(self.error(line, f, Some(v), reason));
                        None
                    }
                },
            }
        };
        let registered_on = date(F::RegisteredOn, true);
        let assigned_on = date(F::AssignedOn, false);
        let placement = match (self.cell(row, F::ReserveUnit), self.cell(row, F::Position)) {
            (None, None) => {
                if let Some(v) = self.cell(row, F::AssignedOn) {
                    errs.push(self.error(
                        line,
                        F::AssignedOn,
                        Some(v),
                        "Có ngày sắp xếp nhưng chưa ghi đơn vị dự bị động viên và chức danh.".into(),
                    ));
                }
                None
            }
            (Some(u), Some(p)) => Some((u.to_string(), p.to_string(), assigned_on.unwrap_or(on))),
            (Some(_), None) => {
                errs.push(self.error(
                    line,
                    F::Position,
                    None,
                    "Đã ghi đơn vị dự bị động viên: hãy ghi cả chức danh trong đơn vị.".into(),
                ));
                None
            }
            (None, Some(_)) => {
                errs.push(self.error(
                    line,
                    F::ReserveUnit,
                    None,
                    "Đã ghi chức danh: hãy ghi cả tên đơn vị dự bị động viên.".into(),
                ));
                None
            }
        };
        match (national_id, class, spec, registered_on) {
            (Some(national_id), Some(class), Some(spec), Some(registered_on)) if errs.is_empty() => Ok(Parsed {
                line,
                national_id,
                full_name: self.cell(row, F::FullName).map(str::to_string),
                class,
                spec,
                rank,
                registered_on,
                placement,
            }),
            _ => Err(errs),
        }
    }
}

fn parse_class(v: &str) -> Option<ReservistClass> {
    let k = key(v);
    let k = k.strip_prefix("quannhandubi").unwrap_or(&k);
    match k {
        "1" | "hang1" | "hangmot" | "i" | "hangi" | "class1" => Some(ReservistClass::Class1),
        "2" | "hang2" | "hanghai" | "ii" | "hangii" | "class2" => Some(ReservistClass::Class2),
        _ => None,
    }
}

struct Parsed {
    line: u64,
    national_id: String,
    full_name: Option<String>,
    class: ReservistClass,
    spec: MilitarySpecialty,
    rank: Option<String>,
    registered_on: Date,
    /// Unit name, position title, from.
    placement: Option<(String, String, Date)>,
}

/// The mobilisation units and positions in scope, looked up by name.
struct Placements {
    units: Vec<ReserveUnit>,
    positions: Vec<ReservePosition>,
    areas: HashMap<i64, Vec<i64>>,
    near: NearSpecialties,
}

impl Placements {
    /// The unit named `name` (compared without diacritics and case) and its position titled
    /// `title`: the one of the reservist's specialty first, then the first in the table.
    fn find(
        &self,
        name: &str,
        title: &str,
        spec: &MilitarySpecialty,
    ) -> Result<(&ReserveUnit, &ReservePosition), (ReservistField, String)> {
        let units: Vec<&ReserveUnit> = self.units.iter().filter(|u| key(&u.name) == key(name)).collect();
        let unit = match units.as_slice() {
            [] => {
                return Err((
                    ReservistField::ReserveUnit,
                    format!("Không có đơn vị dự bị động viên tên \"{name}\" trong phạm vi của bạn."),
                ))
            }
            [one] => *one,
            many => {
                return Err((
                    ReservistField::ReserveUnit,
                    format!(
                        "Có {} đơn vị dự bị động viên cùng tên \"{name}\" trong phạm vi của bạn ({}); hãy sắp xếp trên trang của đơn vị.",
                        many.len(),
                        many.iter().map(|u| u.command_name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        };
        let mut positions: Vec<&ReservePosition> = self
            .positions
            .iter()
            .filter(|p| p.reserve_unit_id == unit.id && key(&p.title) == key(title))
            .collect();
        positions.sort_by_key(|p| (p.specialty != spec.as_str(), p.id));
        match positions.first() {
            Some(p) => Ok((unit, *p)),
            None => Err((
                ReservistField::Position,
                format!("{} không có chức danh \"{title}\" trong biểu biên chế.", unit.name),
            )),
        }
    }
}

/// A citizen found by national ID in scope.
struct Found {
    id: i64,
    full_name: String,
    birth_date: Date,
    sex: Sex,
    unit_id: i64,
    province_code: String,
    commune_name: String,
}

impl Scoped<'_> {
    /// Imports reservists from `rows` under `headers` (see the module documentation).
    pub async fn import_reservists(
        &self,
        headers: &[String],
        rows: Vec<SourceRow>,
        opts: &ReservistImportOptions,
    ) -> Result<ReservistImportReport, StoreError> {
        self.require(Permission::Write)?;
        let (cols, ignored) = Columns::resolve(headers)?;
        let mut report = ReservistImportReport {
            ignored_columns: ignored,
            ..Default::default()
        };
        let units = self.reserve_units().await?;
        let areas = self.areas(&units).await?;
        let places = Placements {
            positions: self.reserve_positions(None).await?,
            near: NearSpecialties::new(&self.near_pairs().await?),
            areas,
            units,
        };
        let mut w = self.begin_write(Permission::Write).await?;
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut taken: HashMap<i64, u32> = HashMap::new();
        let mut ids: Vec<i64> = vec![];
        let open_seats = "SELECT count(*) FROM reserve_assignment WHERE position_id = $1 AND ended_on IS NULL";
        for row in &rows {
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            report.rows_read += 1;
            let p = match cols.parse(row, opts.on) {
                Ok(p) => p,
                Err(errs) => {
                    report.rejected_rows += 1;
                    report.rejected.extend(errs.into_iter().map(RowError::bounded));
                    continue;
                }
            };
            let reject =
                |report: &mut ReservistImportReport, f: ReservistField, value: Option<&str>, reason: String| {
                    report.rejected_rows += 1;
                    report.rejected.push(cols.error(p.line, f, value, reason).bounded());
                };
            let nid = p.national_id.as_str();
            if let Some(first) = seen.get(nid) {
                let reason =
                    format!("Số định danh cá nhân {nid} trùng với dòng {first} của tệp (mỗi người một hồ sơ).");
                reject(&mut report, ReservistField::NationalId, Some(nid), reason);
                continue;
            }
            seen.insert(nid.to_string(), p.line);
            let found = sqlx::query(&format!(
                "SELECT c.id, c.full_name, c.birth_date, c.sex, c.unit_id, c.province_code, o.name \
                 FROM citizen c JOIN org_unit o ON o.id = c.unit_id \
                 WHERE c.national_id = $2 AND c.unit_id IN ({SCOPE_UNITS})"
            ))
            .bind(self.actor.unit_id)
            .bind(nid)
            .fetch_optional(&mut *w.tx)
            .await?;
            let Some(r) = found else {
                let reason = format!(
                    "Không có công dân mang số định danh {nid} trong sổ đăng ký thuộc phạm vi của bạn: hãy nhập công dân vào sổ đăng ký trước."
                );
                reject(&mut report, ReservistField::NationalId, Some(nid), reason);
                continue;
            };
            let birth: String = r.get(2);
            let c = Found {
                id: r.get(0),
                full_name: r.get(1),
                birth_date: parse_iso(&birth)
                    .ok_or_else(|| StoreError::Incompatible(format!("Ngày sinh \"{birth}\" không đọc được.")))?,
                sex: Sex::parse(&r.get::<String, _>(3)).unwrap_or(Sex::Male),
                unit_id: r.get(4),
                province_code: r.get(5),
                commune_name: r.get(6),
            };
            if let Some(name) = &p.full_name {
                if text::fold(name) != text::fold(&c.full_name) {
                    let reason = format!(
                        "Họ và tên \"{name}\" không khớp với sổ đăng ký: số định danh {nid} là của {}.",
                        c.full_name
                    );
                    reject(&mut report, ReservistField::FullName, Some(name.as_str()), reason);
                    continue;
                }
            }
            if p.registered_on < c.birth_date {
                let reason = format!(
                    "Ngày đăng ký {} trước ngày sinh của {} ({}).",
                    vi_date(p.registered_on),
                    c.full_name,
                    vi_date(c.birth_date)
                );
                let v = vi_date(p.registered_on);
                reject(&mut report, ReservistField::RegisteredOn, Some(v.as_str()), reason);
                continue;
            }
            let exists: Option<i64> = sqlx::query("SELECT id FROM reservist WHERE citizen_id = $1")
                .bind(c.id)
                .fetch_optional(&mut *w.tx)
                .await?
                .map(|r| r.get(0));
            if exists.is_some() {
                let reason = format!("{} đã có hồ sơ quân nhân dự bị (mỗi người một hồ sơ).", c.full_name);
                reject(&mut report, ReservistField::NationalId, Some(nid), reason);
                continue;
            }
            // The placement, checked as an assignment made on the page would be.
            let mut placed: Option<(&ReserveUnit, &ReservePosition, MatchKind, Date)> = None;
            if let Some((unit_name, title, from)) = &p.placement {
                let (u, pos) = match places.find(unit_name, title, &p.spec) {
                    Ok(x) => x,
                    Err((f, reason)) => {
                        let v = if f == ReservistField::ReserveUnit {
                            unit_name
                        } else {
                            title
                        };
                        reject(&mut report, f, Some(v.as_str()), reason);
                        continue;
                    }
                };
                if !places.areas.get(&u.id).is_some_and(|a| a.contains(&c.unit_id)) {
                    let reason = format!(
                        "{} cư trú tại {}, ngoài địa bàn tuyển quân của {}.",
                        c.full_name, c.commune_name, u.name
                    );
                    reject(
                        &mut report,
                        ReservistField::ReserveUnit,
                        Some(unit_name.as_str()),
                        reason,
                    );
                    continue;
                }
                let class = AgeClass::of(
                    &Reservist {
                        id: String::new(),
                        specialty: p.spec.clone(),
                        birth_date: c.birth_date,
                        sex: c.sex,
                        commune: String::new(),
                    },
                    *from,
                );
                if !class.allows(u.combat) {
                    let limit = if u.combat {
                        COMBAT_AGE_LIMIT
                    } else {
                        support_limit(c.sex)
                    };
                    let reason = format!(
                        "{} đã {} tuổi vào ngày {}, quá hạn tuổi hết {limit} tuổi của {}.",
                        c.full_name,
                        age_on(c.birth_date, *from),
                        vi_date(*from),
                        u.kind_vi().to_lowercase()
                    );
                    reject(
                        &mut report,
                        ReservistField::ReserveUnit,
                        Some(unit_name.as_str()),
                        reason,
                    );
                    continue;
                }
                // The mobilisation ledger: an active militia record or a call-up holds the person.
                let existing = ledger_entries_for_citizen(&mut w.tx, self.actor.unit_id, c.id).await?;
                let proposed = LedgerEntry {
                    id: "reserve:new".into(),
                    subject: Subject::Person(c.id.to_string()),
                    kind: LedgerKind::ReserveUnit,
                    holder: u.name.clone(),
                    from: *from,
                    until: None,
                };
                if let Some(msg) = first_conflict(&existing, &proposed, &c.full_name) {
                    reject(&mut report, ReservistField::ReserveUnit, Some(unit_name.as_str()), msg);
                    continue;
                }
                // Seats last, so that a row refused above takes none.
                if !claim(&mut w.tx, &mut taken, open_seats, pos.id, pos.seats).await? {
                    if let Some(t) = taken.get_mut(&pos.id) {
                        *t -= 1;
                    }
                    let reason = format!(
                        "Vị trí {} của {} đã đủ {} chỗ (kể cả dự phòng).",
                        pos.title, u.name, pos.seats
                    );
                    reject(&mut report, ReservistField::Position, Some(title.as_str()), reason);
                    continue;
                }
                let kind = MatchKind::classify(&p.spec, &specialty(&pos.specialty)?, &places.near);
                placed = Some((u, pos, kind, *from));
            }
            let id: i64 = sqlx::query(
                "INSERT INTO reservist (citizen_id, unit_id, province_code, reserve_class, specialty, military_rank, \
                 registered_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(c.id)
            .bind(c.unit_id)
            .bind(&c.province_code)
            .bind(p.class.as_str())
            .bind(p.spec.as_str())
            .bind(&p.rank)
            .bind(iso(p.registered_on))
            .bind(crate::now_text())
            .fetch_one(&mut *w.tx)
            .await?
            .get(0);
            w.audit(
                "create",
                "reservist",
                &id.to_string(),
                Some(c.unit_id),
                None,
                Some(&serde_json::json!({
                    "citizen_id": c.id, "class": p.class.as_str(), "specialty": p.spec.as_str(),
                    "rank": p.rank, "registered_on": iso(p.registered_on),
                    "source": opts.source_name, "row": p.line
                })),
            )
            .await?;
            ids.push(id);
            report.accepted += 1;
            if let Some((u, pos, kind, from)) = placed {
                let record = ReservistRecord {
                    id,
                    citizen_id: c.id,
                    national_id: Some(p.national_id.clone()),
                    full_name: c.full_name.clone(),
                    birth_date: c.birth_date,
                    sex: c.sex,
                    unit_id: c.unit_id,
                    commune_name: c.commune_name.clone(),
                    class: p.class,
                    specialty: p.spec.as_str().to_string(),
                    rank: p.rank.clone(),
                    registered_on: p.registered_on,
                    assigned_position: None,
                    assigned_unit: None,
                };
                self.insert_assignment(&mut w, &record, pos, u, kind, from).await?;
                report.assigned += 1;
            }
        }
        if opts.mode == ImportMode::AllOrNothing && report.rejected_rows > 0 {
            drop(w);
            report.accepted = 0;
            report.assigned = 0;
            report.committed = false;
            return Ok(report);
        }
        w.audit(
            "import",
            "reservist_import",
            &opts.source_name,
            Some(self.actor.unit_id),
            None,
            Some(&serde_json::json!({
                "source": opts.source_name, "mode": opts.mode, "rows_read": report.rows_read,
                "accepted": report.accepted, "assigned": report.assigned,
                "rejected": report.rejected_rows, "ids": ids
            })),
        )
        .await?;
        w.commit().await?;
        // A bulk write: the SQLite log goes back into the file and is truncated.
        self.store.settle_wal().await;
        report.committed = true;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_in_the_ways_people_write_them() {
        for v in ["1", "Hạng 1", "hạng một", "I", "Quân nhân dự bị hạng một", "class_1"] {
            assert_eq!(parse_class(v), Some(ReservistClass::Class1), "{v}");
        }
        for v in ["2", "Hạng hai", "II"] {
            assert_eq!(parse_class(v), Some(ReservistClass::Class2), "{v}");
        }
        assert_eq!(parse_class("3"), None);
        assert_eq!(parse_class("hạng ba"), None);
    }

    fn row(line: u64, cells: &[&str]) -> SourceRow {
        SourceRow {
            line,
            cells: cells.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn headers_and_row_errors() {
        let h: Vec<String> = ["SỐ CCCD", "hang", "CNQS", "Ngày đăng ký", "Chức danh", "Cột lạ"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (cols, ignored) = Columns::resolve(&h).unwrap();
        assert_eq!(ignored, vec!["Cột lạ".to_string()]);
        let on = time::macros::date!(2026 - 01 - 01);
        let ok = cols
            .parse(&row(2, &["033095001234", "1", "1A", "15/01/2024", "", ""]), on)
            .ok()
            .unwrap();
        assert_eq!(ok.national_id, "033095001234");
        assert!(ok.placement.is_none());
        let errs = cols
            .parse(&row(3, &["33095001234", "5", "1 A", "31/02/2024", "Chiến sĩ", ""]), on)
            .err()
            .unwrap();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 5, "{text:?}");
        assert!(
            text[0].starts_with("Dòng 3, cột \"SỐ CCCD\": ") && text[0].contains("định dạng cột là Văn bản"),
            "{text:?}"
        );
        assert!(text[1].contains("Hạng \"5\" không hợp lệ"), "{text:?}");
        assert!(text[2].contains("khoảng trắng"), "{text:?}");
        assert!(text[3].contains("không tồn tại"), "{text:?}");
        assert!(text[4].contains("đơn vị dự bị động viên"), "{text:?}");
        let missing = Columns::resolve(&["Họ và tên".to_string()]).err().unwrap().to_string();
        assert!(
            missing.contains("\"Số định danh cá nhân\"") && missing.contains("\"Hạng\""),
            "{missing}"
        );
    }
}
