//! The health examination's results for many citizens of one commune at once: from the
//! examination council's Excel sheet ([`Scoped::import_exam_results`], columns matched by their
//! Vietnamese headers like the citizen import) or from a grid of one page
//! ([`Scoped::record_exams`]).
//!
//! Each row is one examination step of the call-up (`stages`): the same checks as one result
//! entered on a citizen's page (the citizen on the commune's examination list, the list
//! approved, the date within the cycle's examination window and not after today), the class and
//! the fitness the domain's rules give (`nvqs::exam`: class = the worst score, the BMI band,
//! myopia, drugs). All rows run in one write transaction with an audit entry each: the import
//! either writes nothing when a row is bad (all or nothing) or the valid rows only, and reports
//! every bad row with its line, column and a Vietnamese reason; the grid is all or nothing and its
//! one refusal names the row and the citizen.

use crate::citizens::{
    citizen_row, header_key as key, import_summary_vi, national_id_cell, ImportMode, KnownColumn, MatchedColumns,
    RowError, SourceRow, CITIZEN_COLUMNS_SQL,
};
use crate::dates::vi_date;
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use crate::stages::{check_step_date, StageRequest, StepDate};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::exam::{ExamCriterion, ExamError, ExamRecord};
use phongthu_domain::nvqs::stage::{Stage, TransitionKind};
use phongthu_domain::text;
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

/// A fact a column of the examination sheet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExamField {
    NationalId,
    FullName,
    BirthDate,
    ExamDate,
    Score(ExamCriterion),
    HeightCm,
    WeightKg,
    Myopia,
    Hyperopia,
    DrugUse,
}

/// One column of the examination sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExamColumn {
    pub field: ExamField,
    pub header: &'static str,
    /// Other headers accepted (compared without diacritics, case, spaces or punctuation).
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub example: &'static str,
    pub hint: &'static str,
    pub text_format: bool,
}

const SCORE_HINT: &str = "Bắt buộc. Điểm của chỉ tiêu, số nguyên từ 1 đến 6 (phân loại sức khỏe là điểm kém nhất).";

const fn score(c: ExamCriterion, header: &'static str, aliases: &'static [&'static str]) -> ExamColumn {
    ExamColumn {
        field: ExamField::Score(c),
        header,
        aliases,
        required: true,
        example: "1",
        hint: SCORE_HINT,
        text_format: false,
    }
}

/// The columns of the examination sheet, in template order. The eight criteria are those of
/// `nvqs::exam::ExamCriterion`.
pub const EXAM_COLUMNS: &[ExamColumn] = &[
    ExamColumn {
        field: ExamField::NationalId,
        header: "Số định danh cá nhân",
        aliases: &["Số CCCD", "CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh"],
        required: true,
        example: "033208001234",
        hint: "Bắt buộc. 12 chữ số của công dân trong danh sách gọi khám của xã. Định dạng cột là Văn bản để giữ số 0 ở đầu.",
        text_format: true,
    },
    ExamColumn {
        field: ExamField::FullName,
        header: "Họ và tên",
        aliases: &["Họ tên"],
        required: false,
        example: "Nguyễn Văn Đức",
        hint: "Để đối chiếu: nếu ghi, phải trùng họ tên trong sổ đăng ký (không phân biệt dấu).",
        text_format: false,
    },
    ExamColumn {
        field: ExamField::BirthDate,
        header: "Ngày sinh",
        aliases: &["Sinh ngày", "Ngày, tháng, năm sinh"],
        required: false,
        example: "05/03/2006",
        hint: "Để đối chiếu: nếu ghi, phải trùng ngày sinh trong sổ đăng ký (NN/TT/NNNN).",
        text_format: true,
    },
    ExamColumn {
        field: ExamField::ExamDate,
        header: "Ngày khám",
        aliases: &["Ngày khám sức khỏe"],
        required: false,
        example: "20/11/2026",
        hint: "NN/TT/NNNN, trong thời gian khám của đợt và không sau hôm nay. Để trống: lấy ngày khám ghi trên trang nhập.",
        text_format: true,
    },
    score(ExamCriterion::Physique, "Thể lực", &["Điểm thể lực"]),
    score(ExamCriterion::Eyes, "Mắt", &["Điểm mắt"]),
    score(ExamCriterion::Ent, "Tai - Mũi - Họng", &["Tai mũi họng", "TMH"]),
    score(ExamCriterion::Dental, "Răng - Hàm - Mặt", &["Răng hàm mặt", "RHM"]),
    score(ExamCriterion::Internal, "Nội khoa", &["Nội"]),
    score(ExamCriterion::NeuroPsychiatric, "Tâm thần kinh", &["Thần kinh", "Tâm thần"]),
    score(ExamCriterion::Surgical, "Ngoại khoa", &["Ngoại"]),
    score(ExamCriterion::Dermatology, "Da liễu", &["Da liễu hoa liễu"]),
    ExamColumn {
        field: ExamField::HeightCm,
        header: "Chiều cao (cm)",
        aliases: &["Chiều cao"],
        required: true,
        example: "168",
        hint: "Bắt buộc. Số đo bằng xăng-ti-mét (100–230).",
        text_format: false,
    },
    ExamColumn {
        field: ExamField::WeightKg,
        header: "Cân nặng (kg)",
        aliases: &["Cân nặng"],
        required: true,
        example: "60",
        hint: "Bắt buộc. Số đo bằng ki-lô-gam (25–200); chỉ số BMI tính từ chiều cao và cân nặng.",
        text_format: false,
    },
    ExamColumn {
        field: ExamField::Myopia,
        header: "Cận thị (đi-ốp)",
        aliases: &["Cận thị", "Độ cận"],
        required: false,
        example: "",
        hint: "Độ cận của mắt kém hơn; để trống nếu không cận.",
        text_format: false,
    },
    ExamColumn {
        field: ExamField::Hyperopia,
        header: "Viễn thị",
        aliases: &[],
        required: false,
        example: "Không",
        hint: "\"Có\" hoặc \"Không\" (để trống là không).",
        text_format: false,
    },
    ExamColumn {
        field: ExamField::DrugUse,
        header: "Xét nghiệm ma túy dương tính",
        aliases: &["Ma túy", "Nghiện ma túy", "Dương tính ma túy"],
        required: false,
        example: "Không",
        hint: "\"Có\" nếu xét nghiệm dương tính, \"Không\" nếu âm tính (để trống là không).",
        text_format: false,
    },
];

impl ExamField {
    pub fn header(self) -> &'static str {
        EXAM_COLUMNS
            .iter()
            .find(|c| c.field == self)
            .map(|c| c.header)
            .unwrap_or("")
    }
}

/// How the examination import runs.
#[derive(Debug, Clone)]
pub struct ExamImportOptions {
    pub cycle_id: i64,
    /// The commune command whose examination list the rows belong to.
    pub unit_id: i64,
    pub mode: ImportMode,
    /// The file's name, for the audit entry.
    pub source_name: String,
    /// The date of the rows whose "Ngày khám" is empty.
    pub exam_date: Option<Date>,
}

/// What the import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExamImportReport {
    pub rows_read: u64,
    /// Results saved (0 when the transaction was rolled back).
    pub accepted: u64,
    /// Of those, found fit (đủ sức khỏe) and unfit.
    pub fit: u64,
    pub unfit: u64,
    pub rejected_rows: u64,
    pub rejected: Vec<RowError>,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
}

impl ExamImportReport {
    pub fn summary_vi(&self) -> String {
        import_summary_vi(
            self.rows_read,
            self.rejected_rows,
            self.committed,
            format!(
                "Đã ghi kết quả khám của {} công dân ({} đủ sức khỏe, {} không đủ sức khỏe) từ {} dòng dữ liệu; {} dòng bị từ chối.",
                self.accepted, self.fit, self.unfit, self.rows_read, self.rejected_rows
            ),
            "kết quả nào",
            None,
            &self.ignored_columns,
        )
    }
}

/// One row of the grid: a citizen of the commune and his examination.
#[derive(Debug, Clone, PartialEq)]
pub struct GridExam {
    /// The grid's row number, as the page shows it (from 1).
    pub row: usize,
    pub citizen_id: i64,
    pub exam: ExamRecord,
}

struct Columns(MatchedColumns);

/// The column an examination error is about.
fn field_of(e: &ExamError) -> ExamField {
    match e {
        ExamError::Score { criterion, .. } => ExamField::Score(*criterion),
        ExamError::Height(_) => ExamField::HeightCm,
        ExamError::Weight(_) => ExamField::WeightKg,
        ExamError::Myopia(_) => ExamField::Myopia,
    }
}

fn parse_yes_no(v: &str) -> Option<bool> {
    match key(v).as_str() {
        "co" | "x" | "1" | "duongtinh" | "yes" | "true" => Some(true),
        "khong" | "0" | "amtinh" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// A number as sheets and people write it ("168", "60,5", "60.5").
fn parse_number(v: &str) -> Option<f64> {
    v.trim().replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite())
}

struct Parsed {
    national_id: String,
    full_name: Option<String>,
    birth_date: Option<Date>,
    exam_date: Option<Date>,
    exam: ExamRecord,
}

impl Columns {
    fn resolve(headers: &[String]) -> Result<(Columns, Vec<String>), StoreError> {
        let known: Vec<KnownColumn<'_>> = EXAM_COLUMNS
            .iter()
            .map(|c| KnownColumn {
                header: c.header,
                aliases: c.aliases,
                required: c.required,
            })
            .collect();
        let (m, ignored) = MatchedColumns::resolve(headers, &known, EXAM_COLUMNS.len())?;
        Ok((Columns(m), ignored))
    }

    fn index(f: ExamField) -> usize {
        EXAM_COLUMNS.iter().position(|c| c.field == f).unwrap_or(usize::MAX)
    }

    fn cell<'r>(&self, row: &'r SourceRow, f: ExamField) -> Option<&'r str> {
        self.0.cell(row, Self::index(f))
    }

    fn error(&self, line: u64, f: ExamField, value: Option<&str>, reason: String) -> RowError {
        self.0.error(line, Self::index(f), f.header(), value, reason)
    }

    fn parse(&self, row: &SourceRow) -> Result<Parsed, Vec<RowError>> {
        use ExamField as F;
        let line = row.line;
        let mut errs = vec![];
        let national_id = match national_id_cell(self.cell(row, F::NationalId)) {
            Ok(v) => Some(v),
            Err(reason) => {
                errs.push(self.error(line, F::NationalId, self.cell(row, F::NationalId), reason));
                None
            }
        };
        let mut date = |f: ExamField| -> Option<Date> {
            let v = self.cell(row, f)?;
            match phongthu_domain::dates::parse_date_vi(v) {
                Ok(d) => Some(d),
                Err(reason) => {
                    errs.push(self.error(line, f, Some(v), reason));
                    None
                }
            }
        };
        let birth_date = date(F::BirthDate);
        let exam_date = date(F::ExamDate);
        let mut scores = [0i64; 8];
        for (i, c) in ExamCriterion::ALL.into_iter().enumerate() {
            let f = F::Score(c);
            match self.cell(row, f) {
                None => errs.push(self.error(
                    line,
                    f,
                    None,
                    format!("Điểm chỉ tiêu \"{}\" không được để trống.", c.label_vi()),
                )),
                Some(v) => match v.trim().trim_end_matches(".0").parse::<i64>() {
                    Ok(s) => scores[i] = s,
                    Err(_) => errs.push(self.error(
                        line,
                        f,
                        Some(v),
                        format!(
                            "Điểm chỉ tiêu \"{}\" phải là số nguyên từ 1 đến 6 (đã ghi \"{v}\").",
                            c.label_vi()
                        ),
                    )),
                },
            }
        }
        let mut number = |f: ExamField, what: &str| -> Option<f64> {
            match self.cell(row, f) {
                None => {
                    errs.push(self.error(line, f, None, format!("{what} không được để trống.")));
                    None
                }
                Some(v) => parse_number(v).or_else(|| {
                    errs.push(self.error(line, f, Some(v), format!("{what} \"{v}\" phải là một số.")));
                    None
                }),
            }
        };
        let height = number(F::HeightCm, "Chiều cao");
        let weight = number(F::WeightKg, "Cân nặng");
        let myopia = match self.cell(row, F::Myopia) {
            None => None,
            Some(v) => match parse_number(v) {
                Some(0.0) => None,
                Some(d) => Some(d.abs()),
                None => {
                    errs.push(self.error(line, F::Myopia, Some(v), format!("Độ cận thị \"{v}\" phải là một số.")));
                    None
                }
            },
        };
        let mut flag = |f: ExamField| -> bool {
            match self.cell(row, f) {
                None => false,
                Some(v) => parse_yes_no(v).unwrap_or_else(|| {
                    errs.push(self.error(
                        line,
                        f,
                        Some(v),
                        format!("\"{}\" phải ghi \"Có\" hoặc \"Không\" (đã ghi \"{v}\").", f.header()),
                    ));
                    false
                }),
            }
        };
        let hyperopia = flag(F::Hyperopia);
        let drug_use = flag(F::DrugUse);
        let (Some(national_id), Some(height), Some(weight)) = (national_id, height, weight) else {
            return Err(errs);
        };
        if !errs.is_empty() {
            return Err(errs);
        }
        match ExamRecord::new(scores, height, weight, myopia, hyperopia, drug_use) {
            Ok(exam) => Ok(Parsed {
                national_id,
                full_name: self.cell(row, F::FullName).map(str::to_string),
                birth_date,
                exam_date,
                exam,
            }),
            Err(e) => {
                let f = field_of(&e);
                Err(vec![self.error(line, f, self.cell(row, f), e.to_string())])
            }
        }
    }
}

/// A commune's citizens waiting for their examination, for the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExamWaiting {
    pub year: i32,
    pub unit_name: String,
    /// The cycle's examination window (first and last day).
    pub window: Option<(Date, Date)>,
    /// On the examination list without a result yet, in Vietnamese name order.
    pub citizens: Vec<crate::citizens::Citizen>,
}

impl Scoped<'_> {
    /// The citizens of the commune `unit_id` on the cycle's examination list without a result
    /// (state "screened"), read from the candidates' index alone: the grid does not assess the
    /// commune's whole registry.
    pub async fn exam_waiting(&self, cycle_id: i64, unit_id: i64) -> Result<ExamWaiting, StoreError> {
        let cycle = self.cycle(cycle_id).await?;
        let unit_name = self.cycle_commune(&cycle, unit_id).await?;
        let settings = self.cycle_settings(cycle_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {CITIZEN_COLUMNS_SQL} FROM nvqs_candidate n JOIN citizen c ON c.id = n.citizen_id \
             WHERE n.cycle_id = $1 AND n.unit_id = $2 AND n.stage = $3 ORDER BY c.sort_key, c.id"
        ))
        .bind(cycle_id)
        .bind(unit_id)
        .bind(Stage::Screened.code())
        .fetch_all(&self.store.pool)
        .await?;
        Ok(ExamWaiting {
            year: cycle.year,
            unit_name,
            window: settings
                .timetable
                .iter()
                .find(|(s, _, _)| *s == phongthu_domain::nvqs::plan::Step::Examination)
                .map(|(_, a, b)| (*a, *b)),
            citizens: rows.iter().map(citizen_row).collect(),
        })
    }

    /// Imports the examination council's results for the commune `opts.unit_id` of the cycle
    /// `opts.cycle_id` (see the module documentation).
    pub async fn import_exam_results(
        &self,
        headers: &[String],
        rows: &[SourceRow],
        opts: &ExamImportOptions,
    ) -> Result<ExamImportReport, StoreError> {
        self.require(Permission::Write)?;
        let cycle = self.cycle(opts.cycle_id).await?;
        self.cycle_commune(&cycle, opts.unit_id).await?;
        let settings = self.cycle_settings(cycle.id).await?;
        let (cols, ignored) = Columns::resolve(headers)?;
        let mut report = ExamImportReport {
            ignored_columns: ignored,
            ..Default::default()
        };
        let today = crate::citizens::today();
        let mut w = self.begin_write(Permission::Write).await?;
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut saved: Vec<i64> = vec![];
        for row in rows {
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            report.rows_read += 1;
            let p = match cols.parse(row) {
                Ok(p) => p,
                Err(errs) => {
                    report.rejected_rows += 1;
                    report.rejected.extend(errs);
                    continue;
                }
            };
            let line = row.line;
            let mut reject = |f: Option<ExamField>, value: Option<&str>, reason: String| {
                report.rejected_rows += 1;
                report.rejected.push(match f {
                    Some(f) => cols.error(line, f, value, reason),
                    None => RowError {
                        row: line,
                        column: None,
                        value: None,
                        reason_vi: reason,
                    },
                });
            };
            let nid = p.national_id.as_str();
            if let Some(first) = seen.get(nid) {
                reject(
                    Some(ExamField::NationalId),
                    Some(nid),
                    format!("Số định danh cá nhân {nid} trùng với dòng {first} của tệp (mỗi người một kết quả khám)."),
                );
                continue;
            }
            seen.insert(nid.to_string(), line);
            let found = sqlx::query(&format!(
                "SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.national_id = $2 AND c.unit_id IN ({SCOPE_UNITS})"
            ))
            .bind(self.actor.unit_id)
            .bind(nid)
            .fetch_optional(&mut *w.tx)
            .await?;
            let Some(r) = found else {
                reject(
                    Some(ExamField::NationalId),
                    Some(nid),
                    format!("Không có công dân mang số định danh {nid} trong sổ đăng ký thuộc phạm vi của bạn."),
                );
                continue;
            };
            let citizen = citizen_row(&r);
            if citizen.unit_id != opts.unit_id {
                reject(
                    Some(ExamField::NationalId),
                    Some(nid),
                    format!(
                        "{} (số định danh {nid}) không thuộc sổ đăng ký của xã này.",
                        citizen.full_name
                    ),
                );
                continue;
            }
            if let Some(name) = &p.full_name {
                if text::fold(name) != text::fold(&citizen.full_name) {
                    reject(
                        Some(ExamField::FullName),
                        Some(name.as_str()),
                        format!(
                            "Họ và tên \"{name}\" không khớp với sổ đăng ký: số định danh {nid} là của {}.",
                            citizen.full_name
                        ),
                    );
                    continue;
                }
            }
            if let Some(b) = p.birth_date {
                if b != citizen.birth_date {
                    let v = vi_date(b);
                    reject(
                        Some(ExamField::BirthDate),
                        Some(v.as_str()),
                        format!(
                            "Ngày sinh {v} không khớp với sổ đăng ký: {} sinh ngày {}.",
                            citizen.full_name,
                            vi_date(citizen.birth_date)
                        ),
                    );
                    continue;
                }
            }
            let Some(on) = p.exam_date.or(opts.exam_date) else {
                reject(
                    Some(ExamField::ExamDate),
                    None,
                    "Ngày khám không được để trống (hoặc ghi ngày khám trên trang nhập).".into(),
                );
                continue;
            };
            if let Err(reason) = check_step_date(&cycle, TransitionKind::Examine, StepDate::from(on), today) {
                let v = vi_date(on);
                reject(Some(ExamField::ExamDate), Some(v.as_str()), reason);
                continue;
            }
            let request = StageRequest::Examine(p.exam);
            match self
                .apply_stage(&mut w, &cycle, &settings, &citizen, request, on, None)
                .await
            {
                Ok(stage) => {
                    saved.push(citizen.id);
                    report.accepted += 1;
                    if stage == Stage::Examined {
                        report.fit += 1;
                    } else {
                        report.unfit += 1;
                    }
                }
                Err(StoreError::Invalid(m)) => reject(None, None, format!("{}: {m}", citizen.full_name)),
                Err(e) => return Err(e),
            }
        }
        if report.accepted == 0 || (opts.mode == ImportMode::AllOrNothing && report.rejected_rows > 0) {
            drop(w);
            report.accepted = 0;
            report.fit = 0;
            report.unfit = 0;
            report.committed = false;
            return Ok(report);
        }
        w.audit(
            "import",
            "nvqs_exam_import",
            &opts.source_name,
            Some(opts.unit_id),
            None,
            Some(&serde_json::json!({
                "cycle_id": cycle.id, "source": opts.source_name, "mode": opts.mode,
                "rows_read": report.rows_read, "accepted": report.accepted,
                "rejected": report.rejected_rows, "citizens": saved
            })),
        )
        .await?;
        w.commit().await?;
        // A bulk write: the SQLite log goes back into the file and is truncated.
        self.store.settle_wal().await;
        report.committed = true;
        Ok(report)
    }

    /// Records the examinations of a grid for citizens of the commune `unit_id`, dated `on`, in
    /// ONE transaction: the first refusal cancels them all and names the row and the citizen.
    /// Returns (fit, unfit).
    pub async fn record_exams(
        &self,
        cycle_id: i64,
        unit_id: i64,
        rows: Vec<GridExam>,
        on: Date,
    ) -> Result<(usize, usize), StoreError> {
        self.require(Permission::Write)?;
        if rows.is_empty() {
            return Err(StoreError::Invalid(
                "Chưa có dòng kết quả nào: hãy ghi điểm, chiều cao và cân nặng của ít nhất một công dân.".into(),
            ));
        }
        let cycle = self.cycle(cycle_id).await?;
        self.cycle_commune(&cycle, unit_id).await?;
        check_step_date(
            &cycle,
            TransitionKind::Examine,
            StepDate::from(on),
            crate::citizens::today(),
        )
        .map_err(StoreError::Invalid)?;
        let settings = self.cycle_settings(cycle_id).await?;
        let mut citizens = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = self.citizen(r.citizen_id).await?;
            if c.unit_id != unit_id {
                return Err(StoreError::Invalid(format!(
                    "Dòng {} ({}): công dân không thuộc sổ đăng ký của xã này.",
                    r.row, c.full_name
                )));
            }
            citizens.push(c);
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let (mut fit, mut unfit) = (0, 0);
        for (r, c) in rows.into_iter().zip(&citizens) {
            let stage = self
                .apply_stage(&mut w, &cycle, &settings, c, StageRequest::Examine(r.exam), on, None)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid(m) => StoreError::Invalid(format!("Dòng {} ({}): {m}", r.row, c.full_name)),
                    other => other,
                })?;
            if stage == Stage::Examined {
                fit += 1;
            } else {
                unfit += 1;
            }
        }
        w.commit().await?;
        Ok((fit, unfit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Vec<String> {
        EXAM_COLUMNS.iter().map(|c| c.header.to_string()).collect()
    }

    fn row(line: u64, cells: &[&str]) -> SourceRow {
        SourceRow {
            line,
            cells: cells.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_row_reads_into_an_examination_and_bad_cells_name_their_column() {
        let (cols, ignored) = Columns::resolve(&headers()).unwrap();
        assert!(ignored.is_empty());
        let ok = row(
            2,
            &[
                "033208001234",
                "Nguyễn Văn Đức",
                "",
                "20/11/2025",
                "1",
                "2",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "168",
                "60,5",
                "",
                "Không",
                "Không",
            ],
        );
        let p = cols.parse(&ok).unwrap();
        assert_eq!(p.exam.class().get(), 2);
        assert_eq!(p.exam.weight_kg, 60.5);
        let bad = row(
            3,
            &[
                "033208001234",
                "",
                "",
                "",
                "1",
                "7",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "168",
                "60",
                "",
                "",
                "có lẽ",
            ],
        );
        let errs = cols.parse(&bad).err().unwrap();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 1, "{text:?}");
        assert!(text[0].contains("Xét nghiệm ma túy dương tính"), "{text:?}");
        // The score out of range is the domain's refusal, on its column.
        let bad = row(
            4,
            &[
                "033208001234",
                "",
                "",
                "",
                "1",
                "7",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "168",
                "60",
                "",
                "",
                "",
            ],
        );
        let errs = cols.parse(&bad).err().unwrap();
        assert_eq!(errs[0].column.as_deref(), Some("Mắt"));
        assert!(errs[0].reason_vi.contains("từ 1 đến 6"), "{}", errs[0].reason_vi);
    }
}
