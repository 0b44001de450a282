//! Import of militia and self-defence members into one unit from rows with Vietnamese column
//! headers, and the rows of the matching Excel export (the file reading and writing is in
//! `phongthu_documents::tabular`). The same design as the reservist import (`reserve_import`).
//!
//! One person, one record: a member is a citizen already on the registry, found by the 12-digit
//! national ID in the actor's scope; a row naming an ID that is not there is an error (the citizen
//! must be entered in the registry first). Each row runs the checks of a member added on the unit's
//! page (`militia::check_new_member`): a commune's militia are citizens filed under that commune,
//! the age limits by sex (obligation or volunteer), a commander post that suits the unit's echelon,
//! and the mobilisation ledger (an active militia record, a reserve assignment or a call-up holds
//! the person). One check more than the form: a row whose term (counted from the day of joining)
//! has already ended is refused, since the import enters serving members.
//!
//! Every row is checked inside one write transaction and its errors are reported with the
//! spreadsheet row, the column and a Vietnamese reason. All-or-nothing mode rolls the whole
//! transaction back when any row is bad; valid-only mode saves the valid rows and reports the
//! others. Each member gets its audit entry, and the import one more.
//!
//! The export ([`militia_export_row`]) writes the import's columns first, then columns to read
//! only ([`MILITIA_EXPORT_ONLY`]) which the import recognises and skips: an exported list can be
//! imported into another unit as it is.

use crate::citizens::{
    header_key as key, import_summary_vi, national_id_cell, ImportMode, KnownColumn, MatchedColumns, RowError,
    SourceRow,
};
use crate::dates::{iso, parse_iso, vi_date};
use crate::error::StoreError;
use crate::militia::{check_new_member, militia_entry, Joiner, MilitiaMemberRecord, MilitiaUnit, Refusal};
use crate::reserve::{first_conflict, ledger_entries_for_citizen};
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::{CommanderPost, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::text;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use time::Date;

/// The facts a column of the militia member import file can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MilitiaField {
    NationalId,
    FullName,
    BirthDate,
    JoinedOn,
    Post,
    Volunteer,
}

/// One column of the militia member import template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilitiaColumn {
    pub field: MilitiaField,
    pub header: &'static str,
    /// Other headers accepted (compared without diacritics, case, spaces or punctuation).
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub example: &'static str,
    pub hint: &'static str,
    /// Formatted as text in the template and the export (leading zeros, dates).
    pub text_format: bool,
}

/// The columns of the militia member import template, in template (and export) order.
pub const MILITIA_COLUMNS: &[MilitiaColumn] = &[
    MilitiaColumn {
        field: MilitiaField::NationalId,
        header: "Số định danh cá nhân",
        aliases: &["Số CCCD", "CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh"],
        required: true,
        example: "033095001234",
        hint: "Bắt buộc. 12 chữ số của công dân đã có trong sổ đăng ký (nhập công dân trước). Định dạng cột là Văn bản để giữ số 0 ở đầu.",
        text_format: true,
    },
    MilitiaColumn {
        field: MilitiaField::FullName,
        header: "Họ và tên",
        aliases: &["Họ tên"],
        required: false,
        example: "Nguyễn Văn Bình",
        hint: "Để đối chiếu: nếu ghi, phải trùng họ tên trong sổ đăng ký.",
        text_format: false,
    },
    MilitiaColumn {
        field: MilitiaField::BirthDate,
        header: "Ngày sinh",
        aliases: &["Ngày, tháng, năm sinh", "Sinh ngày"],
        required: false,
        example: "01/05/2000",
        hint: "Để đối chiếu: nếu ghi, phải trùng ngày sinh trong sổ đăng ký (NN/TT/NNNN).",
        text_format: true,
    },
    MilitiaColumn {
        field: MilitiaField::JoinedOn,
        header: "Ngày vào đơn vị",
        aliases: &["Ngày vào", "Ngày tham gia", "Ngày tham gia dân quân tự vệ", "Ngày kết nạp"],
        required: true,
        example: "10/01/2026",
        hint: "Bắt buộc. Ngày bắt đầu nhiệm kỳ trong đơn vị, dạng NN/TT/NNNN. Thời hạn phục vụ (4 năm, dân quân thường trực 2 năm) tính từ ngày này.",
        text_format: true,
    },
    MilitiaColumn {
        field: MilitiaField::Post,
        header: "Chức vụ",
        aliases: &["Chức vụ chỉ huy"],
        required: false,
        example: "Tiểu đội trưởng",
        hint: "Để trống hoặc \"Chiến sĩ\" nếu không giữ chức vụ chỉ huy; chức vụ phải phù hợp với cấp của đơn vị (ví dụ Trung đội trưởng cho trung đội).",
        text_format: false,
    },
    MilitiaColumn {
        field: MilitiaField::Volunteer,
        header: "Tình nguyện",
        aliases: &["Tham gia tình nguyện"],
        required: false,
        example: "Không",
        hint: "\"Có\" nếu tham gia tình nguyện (xét theo giới hạn tuổi tình nguyện: nam hết 50, nữ hết 45 tuổi); để trống hoặc \"Không\" nếu thực hiện nghĩa vụ (nam hết 45, nữ hết 40 tuổi).",
        text_format: false,
    },
];

/// Columns the export adds for reading only; the import recognises and skips them.
pub const MILITIA_EXPORT_ONLY: &[&str] = &["Giới tính", "Đơn vị", "Hết thời hạn phục vụ"];

impl MilitiaField {
    pub fn header(self) -> &'static str {
        MILITIA_COLUMNS
            .iter()
            .find(|c| c.field == self)
            .map(|c| c.header)
            .unwrap_or("")
    }
}

/// The headers of the Excel export, with whether each column is formatted as text.
pub fn militia_export_headers() -> Vec<(&'static str, bool)> {
    MILITIA_COLUMNS
        .iter()
        .map(|c| (c.header, c.text_format))
        .chain(MILITIA_EXPORT_ONLY.iter().map(|h| (*h, *h == "Hết thời hạn phục vụ")))
        .collect()
}

/// The cells of a member in the order of [`militia_export_headers`]: what the export writes and
/// the import reads back.
pub fn militia_export_row(m: &MilitiaMemberRecord) -> Vec<String> {
    let mut row: Vec<String> = MILITIA_COLUMNS
        .iter()
        .map(|c| match c.field {
            MilitiaField::NationalId => m.national_id.clone().unwrap_or_default(),
            MilitiaField::FullName => m.full_name.clone(),
            MilitiaField::BirthDate => m.birth_date_vi(),
            MilitiaField::JoinedOn => m.joined_on_vi(),
            MilitiaField::Post => m.post_label_vi().to_string(),
            MilitiaField::Volunteer => if m.volunteer { "Có" } else { "Không" }.to_string(),
        })
        .collect();
    row.push(
        match m.sex {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
        .to_string(),
    );
    row.push(m.militia_unit_name.clone());
    row.push(m.service_end_vi());
    row
}

/// How the import runs.
#[derive(Debug, Clone)]
pub struct MilitiaImportOptions {
    /// The unit receiving the members.
    pub militia_unit_id: i64,
    pub mode: ImportMode,
    /// The file's name, for the audit entry.
    pub source_name: String,
    /// Today: a term ended before this day is refused.
    pub on: Date,
}

/// What the import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MilitiaImportReport {
    pub unit_name: String,
    pub rows_read: u64,
    /// Members saved (0 when the transaction was rolled back).
    pub accepted: u64,
    pub rejected_rows: u64,
    /// Every error, by row.
    pub rejected: Vec<RowError>,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
}

impl MilitiaImportReport {
    pub fn summary_vi(&self) -> String {
        import_summary_vi(
            self.rows_read,
            self.rejected_rows,
            self.committed,
            format!(
                "Đã nhập {} thành viên vào {} từ {} dòng dữ liệu; {} dòng bị từ chối.",
                self.accepted, self.unit_name, self.rows_read, self.rejected_rows
            ),
            "thành viên nào",
            None,
            &self.ignored_columns,
        )
    }
}

struct Columns(MatchedColumns);

impl Columns {
    fn resolve(headers: &[String]) -> Result<(Columns, Vec<String>), StoreError> {
        let known: Vec<KnownColumn<'_>> = MILITIA_COLUMNS
            .iter()
            .map(|c| KnownColumn {
                header: c.header,
                aliases: c.aliases,
                required: c.required,
            })
            .chain(MILITIA_EXPORT_ONLY.iter().map(|h| KnownColumn {
                header: h,
                aliases: &[],
                required: false,
            }))
            .collect();
        let (m, ignored) = MatchedColumns::resolve(headers, &known, MILITIA_COLUMNS.len())?;
        Ok((Columns(m), ignored))
    }

    /// The field's place in MILITIA_COLUMNS (past the end, so read as absent, if it had none).
    fn index(f: MilitiaField) -> usize {
        MILITIA_COLUMNS.iter().position(|c| c.field == f).unwrap_or(usize::MAX)
    }

    fn cell<'r>(&self, row: &'r SourceRow, f: MilitiaField) -> Option<&'r str> {
        self.0.cell(row, Self::index(f))
    }

    fn error(&self, line: u64, f: MilitiaField, value: Option<&str>, reason: String) -> RowError {
        self.0.error(line, Self::index(f), f.header(), value, reason)
    }

    fn parse(&self, row: &SourceRow, maritime: bool, on: Date) -> Result<Parsed, Vec<RowError>> {
        use MilitiaField as F;
        let mut errs = vec![];
        let line = row.line;
        let national_id = match national_id_cell(self.cell(row, F::NationalId)) {
            Ok(v) => Some(v),
            Err(reason) => {
                errs.push(self.error(line, F::NationalId, self.cell(row, F::NationalId), reason));
                None
            }
        };
        let mut date = |f: MilitiaField, required: bool| -> Option<Date> {
            match self.cell(row, f) {
                None if required => {
                    errs.push(self.error(line, f, None, format!("{} không được để trống.", f.header())));
                    None
                }
                None => None,
                // Every date of the file (birth, joining) is of an event already past.
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
        let birth_date = date(F::BirthDate, false);
        let joined_on = date(F::JoinedOn, true);
        let post = match self.cell(row, F::Post) {
            None => None,
            Some(v) => match parse_post(v, maritime) {
                Ok(p) => p,
                Err(()) => {
                    errs.push(self.error(
                        line,
                        F::Post,
                        Some(v),
                        format!(
                            "Chức vụ \"{v}\" không hợp lệ: để trống hoặc ghi \"Chiến sĩ\", hoặc một chức vụ chỉ huy như {}.",
                            CommanderPost::ALL
                                .iter()
                                .map(|p| format!("\"{}\"", p.label_vi(maritime)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                    None
                }
            },
        };
        let volunteer = match self.cell(row, F::Volunteer) {
            None => false,
            Some(v) => match parse_yes_no(v) {
                Some(b) => b,
                None => {
                    errs.push(self.error(
                        line,
                        F::Volunteer,
                        Some(v),
                        format!("Tình nguyện \"{v}\" không hợp lệ: ghi \"Có\" hoặc \"Không\" (để trống là không)."),
                    ));
                    false
                }
            },
        };
        match (national_id, joined_on) {
            (Some(national_id), Some(joined_on)) if errs.is_empty() => Ok(Parsed {
                line,
                national_id,
                full_name: self.cell(row, F::FullName).map(str::to_string),
                birth_date,
                joined_on,
                post,
                volunteer,
            }),
            _ => Err(errs),
        }
    }
}

/// A post as people write it: its Vietnamese title (the maritime forms in a maritime unit, either
/// accepted), its code, or "Chiến sĩ" for none.
fn parse_post(v: &str, maritime: bool) -> Result<Option<CommanderPost>, ()> {
    let k = key(v);
    if k == "chiensi" || k == "danquan" || k == "tuve" {
        return Ok(None);
    }
    CommanderPost::ALL
        .into_iter()
        .find(|p| key(p.label_vi(maritime)) == k || key(p.label_vi(!maritime)) == k || key(p.as_str()) == k)
        .map(Some)
        .ok_or(())
}

fn parse_yes_no(v: &str) -> Option<bool> {
    match key(v).as_str() {
        "co" | "x" | "1" | "tinhnguyen" | "yes" | "true" => Some(true),
        "khong" | "0" | "no" | "false" => Some(false),
        _ => None,
    }
}

struct Parsed {
    line: u64,
    national_id: String,
    full_name: Option<String>,
    birth_date: Option<Date>,
    joined_on: Date,
    post: Option<CommanderPost>,
    volunteer: bool,
}

impl Scoped<'_> {
    /// Imports members into the unit `opts.militia_unit_id` from `rows` under `headers` (see the
    /// module documentation).
    pub async fn import_militia_members(
        &self,
        headers: &[String],
        rows: Vec<SourceRow>,
        opts: &MilitiaImportOptions,
    ) -> Result<MilitiaImportReport, StoreError> {
        self.require(Permission::Write)?;
        let unit: MilitiaUnit = self.militia_unit(opts.militia_unit_id).await?;
        let (cols, ignored) = Columns::resolve(headers)?;
        let mut report = MilitiaImportReport {
            unit_name: unit.name.clone(),
            ignored_columns: ignored,
            ..Default::default()
        };
        let maritime = unit.kind == MilitiaKind::Maritime;
        let term_years = phongthu_domain::militia::term_years(unit.kind) as i64;
        let mut w = self.begin_write(Permission::Write).await?;
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut ids: Vec<i64> = vec![];
        for row in &rows {
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            report.rows_read += 1;
            let p = match cols.parse(row, maritime, opts.on) {
                Ok(p) => p,
                Err(errs) => {
                    report.rejected_rows += 1;
                    report.rejected.extend(errs.into_iter().map(RowError::bounded));
                    continue;
                }
            };
            let reject = |report: &mut MilitiaImportReport, f: MilitiaField, value: Option<&str>, reason: String| {
                report.rejected_rows += 1;
                report.rejected.push(cols.error(p.line, f, value, reason).bounded());
            };
            let nid = p.national_id.as_str();
            if let Some(first) = seen.get(nid) {
                let reason =
                    format!("Số định danh cá nhân {nid} trùng với dòng {first} của tệp (mỗi người một hồ sơ).");
                reject(&mut report, MilitiaField::NationalId, Some(nid), reason);
                continue;
            }
            seen.insert(nid.to_string(), p.line);
            let found = sqlx::query(&format!(
                "SELECT c.id, c.full_name, c.birth_date, c.sex, c.unit_id FROM citizen c \
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
                reject(&mut report, MilitiaField::NationalId, Some(nid), reason);
                continue;
            };
            let citizen_id: i64 = r.get(0);
            let full_name: String = r.get(1);
            let birth: String = r.get(2);
            let birth_date = parse_iso(&birth)
                .ok_or_else(|| StoreError::Incompatible(format!("Ngày sinh \"{birth}\" không đọc được.")))?;
            let sex = Sex::parse(&r.get::<String, _>(3)).unwrap_or(Sex::Male);
            let citizen_unit: i64 = r.get(4);
            if let Some(name) = &p.full_name {
                if text::fold(name) != text::fold(&full_name) {
                    let reason = format!(
                        "Họ và tên \"{name}\" không khớp với sổ đăng ký: số định danh {nid} là của {full_name}."
                    );
                    reject(&mut report, MilitiaField::FullName, Some(name.as_str()), reason);
                    continue;
                }
            }
            if let Some(b) = p.birth_date {
                if b != birth_date {
                    let v = vi_date(b);
                    let reason = format!(
                        "Ngày sinh {v} không khớp với sổ đăng ký: {full_name} sinh ngày {}.",
                        vi_date(birth_date)
                    );
                    reject(&mut report, MilitiaField::BirthDate, Some(v.as_str()), reason);
                    continue;
                }
            }
            let joiner = Joiner {
                full_name: &full_name,
                birth_date,
                sex,
                unit_id: citizen_unit,
            };
            let joined = vi_date(p.joined_on);
            let last_day = match check_new_member(&unit, &joiner, p.post, p.volunteer, p.joined_on) {
                Ok(d) => d,
                Err((refusal, reason)) => {
                    // The column the reason is about: residence → the ID, post → the post, age → the date.
                    let (f, v) = match refusal {
                        Refusal::Residence => (MilitiaField::NationalId, nid.to_string()),
                        Refusal::Post => (
                            MilitiaField::Post,
                            cols.cell(row, MilitiaField::Post).unwrap_or("").to_string(),
                        ),
                        Refusal::Age => (MilitiaField::JoinedOn, joined.clone()),
                    };
                    reject(&mut report, f, Some(v.as_str()), reason);
                    continue;
                }
            };
            if last_day < opts.on {
                let reason = format!(
                    "Thời hạn phục vụ của {full_name} tính từ ngày vào đơn vị {joined} đã hết ngày {}: chỉ nhập thành viên đang phục vụ.",
                    vi_date(last_day)
                );
                reject(&mut report, MilitiaField::JoinedOn, Some(joined.as_str()), reason);
                continue;
            }
            // The mobilisation ledger, read in the transaction (rows saved above included).
            let existing = ledger_entries_for_citizen(&mut w.tx, self.actor.unit_id, citizen_id).await?;
            let entry = militia_entry(&unit, citizen_id, p.joined_on, last_day);
            if let Some(msg) = first_conflict(&existing, &entry, &full_name) {
                reject(&mut report, MilitiaField::JoinedOn, Some(joined.as_str()), msg);
                continue;
            }
            let id: i64 = sqlx::query(
                "INSERT INTO militia_member (militia_unit_id, unit_id, province_code, citizen_id, post, volunteer, \
                 joined_on, term_years, extension_months, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) \
                 RETURNING id",
            )
            .bind(unit.id)
            .bind(unit.unit_id)
            .bind(&unit.province_code)
            .bind(citizen_id)
            .bind(p.post.map(|p| p.as_str()))
            .bind(p.volunteer as i64)
            .bind(iso(p.joined_on))
            .bind(term_years)
            .bind(crate::now_text())
            .fetch_one(&mut *w.tx)
            .await
            .map_err(|e| {
                StoreError::unique_or(
                    e,
                    format!("{full_name} đang là thành viên dân quân tự vệ ở một đơn vị khác."),
                )
            })?
            .get(0);
            w.audit(
                "create",
                "militia_member",
                &id.to_string(),
                Some(unit.unit_id),
                None,
                Some(&serde_json::json!({
                    "militia_unit_id": unit.id, "citizen_id": citizen_id, "post": p.post.map(|p| p.as_str()),
                    "volunteer": p.volunteer, "joined_on": iso(p.joined_on), "term_years": term_years,
                    "source": opts.source_name, "row": p.line
                })),
            )
            .await?;
            ids.push(id);
            report.accepted += 1;
        }
        if opts.mode == ImportMode::AllOrNothing && report.rejected_rows > 0 {
            drop(w);
            report.accepted = 0;
            report.committed = false;
            return Ok(report);
        }
        w.audit(
            "import",
            "militia_member_import",
            &opts.source_name,
            Some(unit.unit_id),
            None,
            Some(&serde_json::json!({
                "militia_unit_id": unit.id, "source": opts.source_name, "mode": opts.mode,
                "rows_read": report.rows_read, "accepted": report.accepted,
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

    fn row(line: u64, cells: &[&str]) -> SourceRow {
        SourceRow {
            line,
            cells: cells.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn posts_and_yes_no_in_the_ways_people_write_them() {
        assert_eq!(parse_post("Chiến sĩ", false), Ok(None));
        assert_eq!(
            parse_post("tiểu đội trưởng", false),
            Ok(Some(CommanderPost::SquadLeader))
        );
        assert_eq!(
            parse_post("Hải đội trưởng", false),
            Ok(Some(CommanderPost::CompanyCommander))
        );
        assert_eq!(
            parse_post("platoon_leader", true),
            Ok(Some(CommanderPost::PlatoonLeader))
        );
        assert_eq!(parse_post("Tư lệnh", false), Err(()));
        assert_eq!(parse_yes_no("Có"), Some(true));
        assert_eq!(parse_yes_no("x"), Some(true));
        assert_eq!(parse_yes_no("không"), Some(false));
        assert_eq!(parse_yes_no("có lẽ"), None);
    }

    #[test]
    fn headers_and_row_errors() {
        let h: Vec<String> = [
            "SỐ CCCD",
            "ngay vao don vi",
            "Chức vụ",
            "Tình nguyện",
            "Đơn vị",
            "Cột lạ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (cols, ignored) = Columns::resolve(&h).unwrap();
        assert_eq!(ignored, vec!["Cột lạ".to_string()], "export-only columns are known");
        let ok = cols
            .parse(
                &row(2, &["033095001234", "10/01/2026", "", "Có", "Trung đội 1", ""]),
                false,
                time::macros::date!(2026 - 03 - 01),
            )
            .ok()
            .unwrap();
        assert_eq!(ok.national_id, "033095001234");
        assert!(ok.volunteer && ok.post.is_none());
        let errs = cols
            .parse(
                &row(3, &["33095001234", "31/02/2026", "Tư lệnh", "có lẽ", "", ""]),
                false,
                time::macros::date!(2026 - 03 - 01),
            )
            .err()
            .unwrap();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 4, "{text:?}");
        assert!(
            text[0].starts_with("Dòng 3, cột \"SỐ CCCD\": ") && text[0].contains("định dạng cột là Văn bản"),
            "{text:?}"
        );
        assert!(text[1].contains("không tồn tại"), "{text:?}");
        assert!(text[2].contains("Chức vụ \"Tư lệnh\" không hợp lệ"), "{text:?}");
        assert!(text[3].contains("Tình nguyện \"có lẽ\" không hợp lệ"), "{text:?}");
        let missing = Columns::resolve(&["Họ và tên".to_string()]).err().unwrap().to_string();
        assert!(
            missing.contains("\"Số định danh cá nhân\"") && missing.contains("\"Ngày vào đơn vị\""),
            "{missing}"
        );
    }
}
