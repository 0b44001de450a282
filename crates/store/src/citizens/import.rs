//! Import of citizen records from rows with Vietnamese column headers (the file reading itself is
//! in `phongthu_documents::tabular`), and the matching export row.
//!
//! The rows arrive as an iterator, read and validated on a blocking thread while the previous
//! batch is written (two cores at work); valid rows are inserted in batches inside one
//! transaction, so memory holds a couple of batches, never the file. All-or-nothing mode rolls the
//! whole transaction back when any row is bad; valid-only mode commits the valid rows and reports
//! the rest (each with its row, column and a Vietnamese reason). Into a young register (fewer than
//! [`BULK_LOAD_BELOW_ROWS`] records) the secondary indexes are built once at the end. The
//! transaction runs on a connection of its own ([`Sink`]): SQLite through rusqlite, PostgreSQL
//! with COPY.

use super::{
    citizen_from_cells, prepare, push_copy_row, today, vi_date, Citizen, FieldError, NewCitizen, Prepared,
    CITIZEN_COLUMNS_SQL, INSERT_ARITY, INSERT_COLUMNS,
};
use crate::db::{Backend, Target};
use crate::error::StoreError;
use crate::raw_sqlite::RawSqlite;
use crate::scope::{audit_postgres, audit_sqlite, Actor, Scoped, AUDIT_LOCK};
use futures_util::future::BoxFuture;
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::{Sex, StudyLevel};
use phongthu_domain::text;
use rusqlite::OptionalExtension;
use serde::Serialize;
use sqlx::{Connection, Row};
use std::collections::HashMap;
use time::Date;

/// The facts a column of the import file can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CitizenField {
    FullName,
    BirthDate,
    Sex,
    NationalId,
    LegacyId,
    Ethnicity,
    Religion,
    BirthRegistrationPlace,
    PermanentCommune,
    PermanentVillage,
    CurrentCommune,
    CurrentVillage,
    EducationGrade,
    Qualification,
    StudyingLevel,
    StudyingDetail,
    Occupation,
    Workplace,
    PartyMember,
    UnionMember,
    Note,
}

impl CitizenField {
    /// The canonical Vietnamese column header.
    pub fn header(self) -> &'static str {
        CITIZEN_COLUMNS
            .iter()
            .find(|c| c.field == self)
            .map(|c| c.header)
            .unwrap_or("")
    }
}

/// One column of the import template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CitizenColumn {
    pub field: CitizenField,
    /// The header written in the template and the export.
    pub header: &'static str,
    /// Other headers accepted (compared without diacritics, case, spaces or punctuation).
    pub aliases: &'static [&'static str],
    pub required: bool,
    /// An example value for the template.
    pub example: &'static str,
    /// How to fill it in (shown in the template's second sheet).
    pub hint: &'static str,
    /// The column must be formatted as text in a spreadsheet (leading zeros).
    pub text_format: bool,
}

/// The columns of the citizen import template, in template and export order.
pub const CITIZEN_COLUMNS: &[CitizenColumn] = &[
    CitizenColumn {
        field: CitizenField::FullName,
        header: "Họ và tên",
        aliases: &["Họ tên", "Họ và tên khai sinh", "Tên"],
        required: true,
        example: "Nguyễn Văn Đức",
        hint: "Bắt buộc. Họ, tên đệm và tên khai sinh.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::BirthDate,
        header: "Ngày sinh",
        aliases: &["Ngày tháng năm sinh", "Sinh ngày"],
        required: true,
        example: "05/03/2008",
        hint: "Bắt buộc. Dạng NN/TT/NNNN (05/03/2008) hoặc NNNN-TT-NN (2008-03-05).",
        text_format: true,
    },
    CitizenColumn {
        field: CitizenField::Sex,
        header: "Giới tính",
        aliases: &["Phái"],
        required: true,
        example: "Nam",
        hint: "Bắt buộc. Nam hoặc Nữ.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::NationalId,
        header: "Số định danh cá nhân",
        aliases: &["Số CCCD", "CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh"],
        required: false,
        example: "033208001234",
        hint: "12 chữ số, phải khớp giới tính và năm sinh. Định dạng cột là Văn bản để giữ số 0 ở đầu.",
        text_format: true,
    },
    CitizenColumn {
        field: CitizenField::LegacyId,
        header: "Số CMND",
        aliases: &["CMND", "Số chứng minh nhân dân", "Chứng minh nhân dân"],
        required: false,
        example: "",
        hint: "Số chứng minh nhân dân cũ, 9 chữ số (nếu có).",
        text_format: true,
    },
    CitizenColumn {
        field: CitizenField::Ethnicity,
        header: "Dân tộc",
        aliases: &[],
        required: false,
        example: "Kinh",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::Religion,
        header: "Tôn giáo",
        aliases: &[],
        required: false,
        example: "Không",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::BirthRegistrationPlace,
        header: "Nơi đăng ký khai sinh",
        aliases: &["Nơi khai sinh", "Nơi sinh"],
        required: false,
        example: "Xã Đồng Thanh, tỉnh Hưng Yên",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::PermanentCommune,
        header: "Mã xã thường trú",
        aliases: &["Mã xã", "Mã đơn vị hành chính thường trú"],
        required: false,
        example: "",
        hint: "Mã đơn vị hành chính cấp xã (5 chữ số) đang có hiệu lực.",
        text_format: true,
    },
    CitizenColumn {
        field: CitizenField::PermanentVillage,
        header: "Thôn/tổ dân phố",
        aliases: &["Thôn", "Tổ dân phố", "Thôn/tổ dân phố thường trú", "Thôn, tổ dân phố"],
        required: false,
        example: "Thôn Đông",
        hint: "Nơi thường trú.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::CurrentCommune,
        header: "Mã xã nơi ở hiện tại",
        aliases: &["Mã xã hiện tại", "Mã xã tạm trú"],
        required: false,
        example: "",
        hint: "Để trống nếu trùng nơi thường trú.",
        text_format: true,
    },
    CitizenColumn {
        field: CitizenField::CurrentVillage,
        header: "Thôn/tổ dân phố nơi ở hiện tại",
        aliases: &["Thôn hiện tại", "Nơi ở hiện tại"],
        required: false,
        example: "",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::EducationGrade,
        header: "Trình độ văn hóa",
        aliases: &["Văn hóa", "Học vấn"],
        required: false,
        example: "12/12",
        hint: "Lớp/hệ: 12/12, 9/12, 10/10.",
        text_format: true,
    },
    CitizenColumn {
        field: CitizenField::Qualification,
        header: "Trình độ chuyên môn",
        aliases: &["Chuyên môn", "Bằng cấp"],
        required: false,
        example: "",
        hint: "Ví dụ: Cử nhân Công nghệ thông tin.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::StudyingLevel,
        header: "Đang học",
        aliases: &["Cấp học đang học", "Đang học cấp"],
        required: false,
        example: "Phổ thông",
        hint: "Phổ thông, Trung cấp, Cao đẳng, Đại học hoặc Sau đại học; để trống nếu không đi học.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::StudyingDetail,
        header: "Trường đang học",
        aliases: &["Nơi học", "Trường"],
        required: false,
        example: "Trường THPT Đồng Thanh",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::Occupation,
        header: "Nghề nghiệp",
        aliases: &["Nghề"],
        required: false,
        example: "Học sinh",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::Workplace,
        header: "Nơi làm việc",
        aliases: &["Nơi công tác", "Đơn vị công tác"],
        required: false,
        example: "",
        hint: "",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::PartyMember,
        header: "Đảng viên",
        aliases: &["Đảng viên ĐCSVN"],
        required: false,
        example: "Không",
        hint: "Có hoặc Không.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::UnionMember,
        header: "Đoàn viên",
        aliases: &["Đoàn viên TNCS"],
        required: false,
        example: "Có",
        hint: "Có hoặc Không.",
        text_format: false,
    },
    CitizenColumn {
        field: CitizenField::Note,
        header: "Ghi chú",
        aliases: &[],
        required: false,
        example: "",
        hint: "",
        text_format: false,
    },
];

/// Header comparison key: no diacritics, no case, no spaces or punctuation.
pub(crate) fn header_key(h: &str) -> String {
    text::fold(h.trim_start_matches('\u{feff}'))
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The source column of each field.
#[derive(Clone)]
struct HeaderMap {
    /// Source column index per field (index into CITIZEN_COLUMNS).
    col: Vec<Option<usize>>,
    headers: Vec<String>,
}

/// One column an import knows: its header, other headers that mean it, and whether a file
/// must have it.
pub(crate) struct KnownColumn<'a> {
    pub header: &'a str,
    pub aliases: &'a [&'a str],
    pub required: bool,
}

/// Matches a file's header row against the columns an import knows (by [`header_key`]: no
/// diacritics, case or punctuation). Returns the source column of each known column, in the
/// order given, and the headers that match none (ignored). Two headers meaning one column, or a
/// required column missing, refuse the file with a Vietnamese reason. Shared by every import.
pub(crate) fn match_columns(
    headers: &[String],
    known: &[KnownColumn<'_>],
) -> Result<(Vec<Option<usize>>, Vec<String>), StoreError> {
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (i, c) in known.iter().enumerate() {
        keys.insert(header_key(c.header), i);
        for a in c.aliases {
            keys.insert(header_key(a), i);
        }
    }
    let mut col = vec![None; known.len()];
    let mut ignored = vec![];
    for (j, h) in headers.iter().enumerate() {
        let k = header_key(h);
        if k.is_empty() {
            continue;
        }
        match keys.get(&k) {
            Some(&i) => {
                if let Some(prev) = col[i] {
                    return Err(StoreError::Invalid(format!(
                        "Tệp có hai cột cùng chỉ \"{}\": cột {} (\"{}\") và cột {} (\"{}\"); hãy giữ một cột.",
                        known[i].header,
                        column_letter(prev),
                        headers[prev].trim(),
                        column_letter(j),
                        h.trim()
                    )));
                }
                col[i] = Some(j);
            }
            None => ignored.push(h.trim().to_string()),
        }
    }
    let missing: Vec<String> = known
        .iter()
        .zip(&col)
        .filter(|(c, j)| c.required && j.is_none())
        .map(|(c, _)| format!("\"{}\"", c.header))
        .collect();
    if !missing.is_empty() {
        return Err(StoreError::Invalid(format!(
            "Tệp thiếu cột bắt buộc: {}. Dòng đầu tiên của tệp phải là tiêu đề cột như trong tệp mẫu.",
            missing.join(", ")
        )));
    }
    Ok((col, ignored))
}

impl HeaderMap {
    fn resolve(headers: &[String]) -> Result<(HeaderMap, Vec<String>), StoreError> {
        let known: Vec<KnownColumn<'_>> = CITIZEN_COLUMNS
            .iter()
            .map(|c| KnownColumn {
                header: c.header,
                aliases: c.aliases,
                required: c.required,
            })
            .collect();
        let (col, ignored) = match_columns(headers, &known)?;
        Ok((
            HeaderMap {
                col,
                headers: headers.to_vec(),
            },
            ignored,
        ))
    }

    fn cell<'r>(&self, row: &'r SourceRow, field: CitizenField) -> Option<&'r str> {
        let i = CITIZEN_COLUMNS.iter().position(|c| c.field == field)?;
        let j = self.col[i]?;
        row.cells.get(j).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The header of the field as written in the file (or the canonical one).
    fn header_of(&self, field: CitizenField) -> String {
        CITIZEN_COLUMNS
            .iter()
            .position(|c| c.field == field)
            .and_then(|i| self.col[i])
            .and_then(|j| self.headers.get(j))
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .unwrap_or_else(|| field.header().to_string())
    }

    /// A record as a row of this file: its stored values, written as the export writes them, in
    /// the file's own columns (empty in the columns the import does not read).
    fn cells_of(&self, c: &Citizen) -> Vec<String> {
        let mut cells = vec![String::new(); self.headers.len()];
        for (value, col) in citizen_export_row(c).into_iter().zip(&self.col) {
            if let Some(cell) = col.and_then(|j| cells.get_mut(j)) {
                *cell = value;
            }
        }
        cells
    }

    /// Checks a row and brings it to its stored form. The cells it keeps are moved out of `row`
    /// rather than copied (one allocation and copy fewer per cell), so `row` is not the row as
    /// read afterwards: keep a copy first ([`KeptRow`]) to report it.
    fn parse(&self, row: &mut SourceRow, unit_id: i64, today: Date) -> Result<Prepared, Vec<RowError>> {
        let line = row.line;
        let mut errs: Vec<RowError> = vec![];
        let mut bad = |field: CitizenField, value: Option<&str>, reason: String| {
            errs.push(RowError {
                row: line,
                column: Some(self.header_of(field)),
                value: value.map(str::to_string),
                reason_vi: reason,
            });
        };
        let name = self.cell(row, CitizenField::FullName);
        if name.is_none() {
            bad(CitizenField::FullName, None, "Họ và tên không được để trống.".into());
        }
        let birth = match self.cell(row, CitizenField::BirthDate) {
            None => {
                bad(CitizenField::BirthDate, None, "Ngày sinh không được để trống.".into());
                None
            }
            Some(v) => match parse_date(v) {
                Ok(d) => Some(d),
                Err(reason) => {
                    bad(CitizenField::BirthDate, Some(v), reason);
                    None
                }
            },
        };
        let sex = match self.cell(row, CitizenField::Sex) {
            None => {
                bad(
                    CitizenField::Sex,
                    None,
                    "Giới tính không được để trống: ghi Nam hoặc Nữ.".into(),
                );
                None
            }
            Some(v) => match parse_sex(v) {
                Some(s) => Some(s),
                None => {
                    bad(
                        CitizenField::Sex,
                        Some(v),
                        format!("Giới tính \"{v}\" không hợp lệ: ghi Nam hoặc Nữ."),
                    );
                    None
                }
            },
        };
        let mut flag = |field: CitizenField| -> bool {
            match self.cell(row, field) {
                None => false,
                Some(v) => match parse_bool(v) {
                    Some(b) => b,
                    None => {
                        bad(
                            field,
                            Some(v),
                            format!("Giá trị \"{v}\" không hợp lệ: ghi Có hoặc Không."),
                        );
                        false
                    }
                },
            }
        };
        let party_member = flag(CitizenField::PartyMember);
        let union_member = flag(CitizenField::UnionMember);
        let studying_level = match self.cell(row, CitizenField::StudyingLevel) {
            None => None,
            Some(v) => match parse_study_level(v) {
                Ok(l) => l,
                Err(()) => {
                    errs.push(RowError {
                        row: line,
                        column: Some(self.header_of(CitizenField::StudyingLevel)),
                        value: Some(v.to_string()),
                        reason_vi: format!(
                            "Cấp học \"{v}\" không hợp lệ: ghi Phổ thông, Trung cấp, Cao đẳng, Đại học hoặc Sau đại học."
                        ),
                    });
                    None
                }
            },
        };
        let (Some(_), Some(birth), Some(sex)) = (name, birth, sex) else {
            return Err(errs);
        };
        let mut get = |f: CitizenField| -> Option<String> {
            let i = CITIZEN_COLUMNS.iter().position(|c| c.field == f)?;
            let cell = row.cells.get_mut(self.col[i]?)?;
            let trimmed = cell.trim();
            if trimmed.is_empty() {
                None
            } else if trimmed.len() == cell.len() {
                Some(std::mem::take(cell))
            } else {
                Some(trimmed.to_string())
            }
        };
        let n = NewCitizen {
            unit_id,
            national_id: get(CitizenField::NationalId),
            legacy_id: get(CitizenField::LegacyId),
            full_name: get(CitizenField::FullName).unwrap_or_default(),
            birth_date: birth,
            sex,
            ethnicity: get(CitizenField::Ethnicity),
            religion: get(CitizenField::Religion),
            birth_registration_place: get(CitizenField::BirthRegistrationPlace),
            permanent_commune_code: get(CitizenField::PermanentCommune),
            permanent_village: get(CitizenField::PermanentVillage),
            current_commune_code: get(CitizenField::CurrentCommune),
            current_village: get(CitizenField::CurrentVillage),
            education_grade: get(CitizenField::EducationGrade),
            qualification: get(CitizenField::Qualification),
            studying_level,
            studying_detail: get(CitizenField::StudyingDetail),
            occupation: get(CitizenField::Occupation),
            workplace: get(CitizenField::Workplace),
            party_member,
            union_member,
            note: get(CitizenField::Note),
        };
        match prepare(n, today) {
            Ok(p) if errs.is_empty() => Ok(p),
            Ok(_) => Err(errs),
            Err(field_errs) => {
                errs.extend(field_errs.into_iter().map(|e: FieldError| RowError {
                    row: line,
                    column: Some(self.header_of(e.field)),
                    value: e.value,
                    reason_vi: e.reason_vi,
                }));
                Err(errs)
            }
        }
    }
}

/// A file's header row matched to an import's known columns ([`match_columns`]): reads a known
/// column's cell and names the column in row errors as the file writes it. Shared by the
/// reservist and militia-member imports.
pub(crate) struct MatchedColumns {
    /// Source column per known column, in the order given to [`MatchedColumns::resolve`].
    col: Vec<Option<usize>>,
    headers: Vec<String>,
}

impl MatchedColumns {
    /// Matches `headers` against `known` and returns the headers that match none. Only the
    /// first `read` known columns are read; the others are recognised (not reported as ignored)
    /// but not read, e.g. the columns an export adds after the import's own.
    pub(crate) fn resolve(
        headers: &[String],
        known: &[KnownColumn<'_>],
        read: usize,
    ) -> Result<(MatchedColumns, Vec<String>), StoreError> {
        let (mut col, ignored) = match_columns(headers, known)?;
        col.truncate(read);
        Ok((
            MatchedColumns {
                col,
                headers: headers.to_vec(),
            },
            ignored,
        ))
    }

    /// The trimmed cell of known column `i`, `None` when empty or when the file lacks the column.
    pub(crate) fn cell<'r>(&self, row: &'r SourceRow, i: usize) -> Option<&'r str> {
        let j = self.col.get(i).copied().flatten()?;
        row.cells.get(j).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// Known column `i`'s header as the file writes it, or `canonical` when the file lacks it.
    pub(crate) fn header_of(&self, i: usize, canonical: &str) -> String {
        self.col
            .get(i)
            .copied()
            .flatten()
            .and_then(|j| self.headers.get(j))
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .unwrap_or_else(|| canonical.to_string())
    }

    /// A row error on known column `i` (`canonical`: its template header).
    pub(crate) fn error(&self, line: u64, i: usize, canonical: &str, value: Option<&str>, reason: String) -> RowError {
        RowError {
            row: line,
            column: Some(self.header_of(i, canonical)),
            value: value.map(str::to_string),
            reason_vi: reason,
        }
    }
}

/// The national ID cell of an import matched to the registry (reservists, militia members): the
/// 12 digits, or the Vietnamese reason the cell is refused (empty, or not 12 digits, with a hint
/// when a spreadsheet dropped its leading zeros).
pub(crate) fn national_id_cell(v: Option<&str>) -> Result<String, String> {
    match v {
        None => Err("Số định danh cá nhân không được để trống.".into()),
        Some(v) if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(v.to_string()),
        Some(v) => {
            let hint = if v.bytes().all(|b| b.is_ascii_digit()) && v.len() < 12 {
                " (nếu số 0 ở đầu bị mất, hãy định dạng cột là Văn bản)"
            } else {
                ""
            };
            Err(format!("Số định danh cá nhân \"{v}\" phải gồm đúng 12 chữ số{hint}."))
        }
    }
}

/// "A", "B", ..., "Z", "AA": the spreadsheet letter of a 0-based column.
pub(crate) fn column_letter(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s
}

/// `DD/MM/YYYY` (also with `-` or `.`, one-digit day or month) or `YYYY-MM-DD` (an ISO date-time
/// keeps its date part, as spreadsheet date cells arrive).
pub use phongthu_domain::dates::parse_date_vi as parse_date;

fn parse_sex(v: &str) -> Option<Sex> {
    // The template's own words first, as written (most rows), without folding them.
    match v {
        "Nam" => return Some(Sex::Male),
        "Nữ" => return Some(Sex::Female),
        _ => {}
    }
    match header_key(v).as_str() {
        "nam" | "male" => Some(Sex::Male),
        "nu" | "female" => Some(Sex::Female),
        _ => None,
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "Có" => return Some(true),
        "Không" => return Some(false),
        _ => {}
    }
    match header_key(v).as_str() {
        "co" | "x" | "1" | "true" | "yes" | "dangvien" | "doanvien" => Some(true),
        "khong" | "0" | "false" | "no" | "" => Some(false),
        _ => None,
    }
}

fn parse_study_level(v: &str) -> Result<Option<StudyLevel>, ()> {
    let k = header_key(v);
    if let Some(l) = StudyLevel::parse(v.trim()) {
        return Ok(Some(l));
    }
    Ok(Some(match k.as_str() {
        "khong" => return Ok(None),
        "phothong" | "thpt" | "thcs" | "hocsinh" => StudyLevel::General,
        "trungcap" | "trungcapnghe" => StudyLevel::Vocational,
        "caodang" => StudyLevel::College,
        "daihoc" => StudyLevel::University,
        "saudaihoc" | "thacsi" | "tiensi" | "caohoc" => StudyLevel::Postgraduate,
        _ => return Err(()),
    }))
}

/// The cells of a record in [`CITIZEN_COLUMNS`] order: what the export writes and the import
/// reads back.
pub fn citizen_export_row(c: &Citizen) -> Vec<String> {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let yes = |b: bool| if b { "Có".to_string() } else { "Không".to_string() };
    CITIZEN_COLUMNS
        .iter()
        .map(|col| match col.field {
            CitizenField::FullName => c.full_name.clone(),
            CitizenField::BirthDate => vi_date(c.birth_date),
            CitizenField::Sex => if c.sex == Sex::Male { "Nam" } else { "Nữ" }.to_string(),
            CitizenField::NationalId => o(&c.national_id),
            CitizenField::LegacyId => o(&c.legacy_id),
            CitizenField::Ethnicity => o(&c.ethnicity),
            CitizenField::Religion => o(&c.religion),
            CitizenField::BirthRegistrationPlace => o(&c.birth_registration_place),
            CitizenField::PermanentCommune => o(&c.permanent_commune_code),
            CitizenField::PermanentVillage => o(&c.permanent_village),
            CitizenField::CurrentCommune => o(&c.current_commune_code),
            CitizenField::CurrentVillage => o(&c.current_village),
            CitizenField::EducationGrade => o(&c.education_grade),
            CitizenField::Qualification => o(&c.qualification),
            CitizenField::StudyingLevel => c
                .studying_level
                .map(|l| {
                    let s = l.label_vi();
                    let mut ch = s.chars();
                    ch.next()
                        .map(|f| f.to_uppercase().chain(ch).collect())
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
            CitizenField::StudyingDetail => o(&c.studying_detail),
            CitizenField::Occupation => o(&c.occupation),
            CitizenField::Workplace => o(&c.workplace),
            CitizenField::PartyMember => yes(c.party_member),
            CitizenField::UnionMember => yes(c.union_member),
            CitizenField::Note => o(&c.note),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The import

/// One data row of the file: its spreadsheet row number (1 = the header row) and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub line: u64,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// One bad row and nothing is written.
    AllOrNothing,
    /// Valid rows are written; bad rows are reported (and can be saved as a file of rejects).
    ValidOnly,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The commune military command receiving the records.
    pub unit_id: i64,
    pub mode: ImportMode,
    /// The file name, recorded in the audit log.
    pub source_name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    pub rows_read: u64,
    pub valid: u64,
    pub rejected: u64,
}

/// Why a row was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Spreadsheet row number (the header is row 1).
    pub row: u64,
    /// The column header as written in the file; None for a problem with the whole row.
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason_vi: String,
}

impl RowError {
    /// The error as kept in a report: a long value is cut (its first 200 characters and its
    /// length), so that a file with megabytes in one cell gives a small report and page.
    pub fn bounded(mut self) -> RowError {
        use phongthu_domain::excerpt::{bounded_message, excerpt, QUOTED_CHARS};
        self.reason_vi = bounded_message(&self.reason_vi, self.value.as_deref(), 1_000);
        if let Some(v) = &self.value {
            if v.len() > QUOTED_CHARS {
                self.value = Some(excerpt(v, QUOTED_CHARS).into_owned());
            }
        }
        if let Some(c) = &self.column {
            if c.len() > QUOTED_CHARS {
                self.column = Some(excerpt(c, QUOTED_CHARS).into_owned());
            }
        }
        self
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "Dòng {}, cột \"{}\": {}", self.row, c, self.reason_vi),
            None => write!(f, "Dòng {}: {}", self.row, self.reason_vi),
        }
    }
}

/// At most this many row errors are kept in the report (the count is always exact).
pub const MAX_LISTED_ERRORS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Data rows read (blank rows skipped).
    pub rows_read: u64,
    /// Rows that passed every check.
    pub valid: u64,
    /// Records written (0 when nothing was committed).
    pub accepted: u64,
    /// Rows refused.
    pub rejected_rows: u64,
    /// The first [`MAX_LISTED_ERRORS`] errors, in file order.
    pub rejected: Vec<RowError>,
    pub errors_truncated: bool,
    /// Whether the transaction was committed.
    pub committed: bool,
    /// Headers of the file that match no known column (their cells were not read).
    pub ignored_columns: Vec<String>,
    /// Written records sharing name, birth date and permanent commune with another record: listed
    /// by `duplicates()`, not merged.
    pub possible_duplicates: u64,
}

/// The frame every import's Vietnamese summary shares: the sentence for a file without data rows,
/// else `done` (the import committed) or the sentence saying that nothing (`nothing`: "hồ sơ
/// nào", "phương tiện nào", …) was imported because of the refused rows; then `extra` and the
/// columns the import did not recognise.
pub(crate) fn import_summary_vi(
    rows_read: u64,
    rejected_rows: u64,
    committed: bool,
    done: String,
    nothing: &str,
    extra: Option<String>,
    ignored_columns: &[String],
) -> String {
    if rows_read == 0 {
        return "Tệp không có dòng dữ liệu nào (chỉ có dòng tiêu đề): không nhập gì.".into();
    }
    let mut s = if committed {
        done
    } else {
        format!(
            "Không nhập {nothing}: {rejected_rows} trong {rows_read} dòng dữ liệu có lỗi, toàn bộ tệp đã được hủy bỏ (không thay đổi gì)."
        )
    };
    if let Some(extra) = extra {
        s.push(' ');
        s.push_str(&extra);
    }
    if !ignored_columns.is_empty() {
        s.push_str(&format!(
            " Bỏ qua các cột không nhận ra: {}.",
            ignored_columns.join(", ")
        ));
    }
    s
}

impl ImportReport {
    /// A one-paragraph Vietnamese summary.
    pub fn summary_vi(&self) -> String {
        import_summary_vi(
            self.rows_read,
            self.rejected_rows,
            self.committed,
            format!(
                "Đã nhập {} hồ sơ công dân từ {} dòng dữ liệu; {} dòng bị từ chối.",
                self.accepted, self.rows_read, self.rejected_rows
            ),
            "hồ sơ nào",
            (self.possible_duplicates > 0).then(|| {
                format!(
                    "{} hồ sơ trùng họ tên, ngày sinh và xã thường trú với hồ sơ khác: xem danh sách nghi trùng.",
                    self.possible_duplicates
                )
            }),
            &self.ignored_columns,
        )
    }
}

/// Receives progress and each refused row (e.g. to write the file of rejects as it goes).
pub trait ImportObserver {
    fn progress(&mut self, _p: &ImportProgress) {}
    fn rejected(&mut self, _row: &SourceRow, _errors: &[RowError]) {}
}

impl ImportObserver for () {}

/// Rows per batch on SQLite: one message to the connection's thread, one duplicate check and one
/// audit entry. The batch bounds the memory held (the rows, a few hundred kB).
pub const IMPORT_BATCH_ROWS: usize = 1000;

/// Rows per batch on PostgreSQL: one COPY under one savepoint, one audit entry. A savepoint costs
/// the server about 2.8 s per thousand of them (psql, same table), so the batch is larger here; it
/// still bounds the memory held (about 15 MB of rows and COPY lines).
pub const IMPORT_BATCH_ROWS_POSTGRES: usize = 10_000;

/// The import's batch size on `backend` (one audit entry per batch).
pub fn import_batch_rows(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => IMPORT_BATCH_ROWS,
        Backend::Postgres => IMPORT_BATCH_ROWS_POSTGRES,
    }
}

/// Progress is reported every this many rows read (and at the end), independently of the batch.
const PROGRESS_ROWS: u64 = 250;

struct Run<'o> {
    report: ImportReport,
    obs: &'o mut (dyn ImportObserver + Send),
    first_id: Option<i64>,
    last_id: Option<i64>,
    /// Which line of the file each new record came from.
    placed: Placed,
    backend: Backend,
    /// The commune command receiving every record.
    unit_id: i64,
}

/// Which line of the file each record of an import came from, as runs of consecutive new ids
/// read from consecutive lines: (first id, its line, length). One run per batch unless rows
/// were refused inside it, so a few bytes per batch, not per row. The ids of an import only
/// grow (they come from the table's sequence, or SQLite's next rowid, batch after batch), so the
/// runs are in id order.
#[derive(Default)]
struct Placed {
    runs: Vec<(i64, u64, u64)>,
}

impl Placed {
    /// Records that the new records `ids` came from `lines` (in the same order).
    fn add(&mut self, ids: &[i64], lines: &[u64]) {
        for (&id, &line) in ids.iter().zip(lines) {
            match self.runs.last_mut() {
                Some((first, from, n)) if *first + *n as i64 == id && *from + *n == line => *n += 1,
                _ => self.runs.push((id, line, 1)),
            }
        }
    }

    /// The line of the file that the record `id` came from, when this import wrote it.
    fn line_of(&self, id: i64) -> Option<u64> {
        let i = self.runs.partition_point(|(first, _, _)| *first <= id);
        let (first, from, n) = *self.runs.get(i.checked_sub(1)?)?;
        (id - first < n as i64).then(|| from + (id - first) as u64)
    }
}

/// Consecutive numbers as runs `[first, last]`: how an import's audit entry lists the ids it
/// created and the lines they came from (a batch is usually one run of each; a list of 10,000
/// numbers per entry made the audit log the largest cost of the PostgreSQL import after the
/// COPY itself, compressing it).
fn runs(xs: impl IntoIterator<Item = i64>) -> Vec<[i64; 2]> {
    let mut out: Vec<[i64; 2]> = vec![];
    for x in xs {
        match out.last_mut() {
            Some(r) if r[1] + 1 == x => r[1] = x,
            _ => out.push([x, x]),
        }
    }
    out
}

impl Run<'_> {
    fn reject(&mut self, row: &SourceRow, errs: Vec<RowError>) {
        let errs: Vec<RowError> = errs.into_iter().map(RowError::bounded).collect();
        self.report.rejected_rows += 1;
        self.obs.rejected(row, &errs);
        for e in errs {
            if self.report.rejected.len() < MAX_LISTED_ERRORS {
                self.report.rejected.push(e);
            } else {
                self.report.errors_truncated = true;
            }
        }
    }

    fn progress(&mut self) {
        let p = ImportProgress {
            rows_read: self.report.rows_read,
            valid: self.report.valid,
            rejected: self.report.rejected_rows,
        };
        self.obs.progress(&p);
    }
}

/// A valid row, checked and brought to the form its backend writes. Small, so that a batch moves
/// cheaply between the threads (the prepared record is boxed).
struct Parsed {
    row: KeptRow,
    record: Record,
}

/// The cells of a valid row, kept while its record waits to be written in case it is refused
/// then (its ID number repeats), in one buffer instead of a string each. The row's own strings
/// are freed on the checking threads, two of them; the writing side frees two buffers per row
/// instead of 28 strings. Freeing them all there (another thread's memory) was half of that
/// side's time.
struct KeptRow {
    line: u64,
    /// Where each cell ends in `text`.
    ends: Box<[u32]>,
    text: Box<str>,
}

impl KeptRow {
    fn new(row: &SourceRow) -> KeptRow {
        let mut text = String::with_capacity(row.cells.iter().map(String::len).sum());
        let ends = row
            .cells
            .iter()
            .map(|c| {
                text.push_str(c);
                text.len() as u32
            })
            .collect();
        KeptRow {
            line: row.line,
            ends,
            text: text.into_boxed_str(),
        }
    }

    /// The row as read.
    fn unpack(&self) -> SourceRow {
        let mut start = 0;
        let cells = self
            .ends
            .iter()
            .map(|&end| {
                let cell = self.text[start..end as usize].to_string();
                start = end as usize;
                cell
            })
            .collect();
        SourceRow { line: self.line, cells }
    }
}

/// A checked record as its backend writes it.
enum Record {
    /// SQLite binds the cells of the prepared record.
    Sqlite(Box<Prepared>),
    /// PostgreSQL: its `COPY` line without the id ([`push_copy_row`]), written by the reading
    /// thread, and its ID number (checked against the batch's others).
    Copy { line: Vec<u8>, national_id: Option<String> },
}

impl Parsed {
    fn national_id(&self) -> Option<&str> {
        match &self.record {
            Record::Sqlite(p) => p.national_id.as_deref(),
            Record::Copy { national_id, .. } => national_id.as_deref(),
        }
    }
}

/// What the reading thread sends: the outcome of [`PROGRESS_ROWS`] rows read, or the reason the
/// file cannot be read further.
enum Feed {
    Chunk {
        rows_read: u64,
        valid: Vec<Parsed>,
        rejected: Vec<(SourceRow, Vec<RowError>)>,
    },
    Unreadable(String),
}

/// Chunks in flight between each checking thread and the writer: together two batches' worth, so
/// the reading runs ahead of the database by at most that much (the memory held stays bounded).
fn feed_depth(backend: Backend) -> usize {
    (import_batch_rows(backend) / PROGRESS_ROWS as usize).max(1)
}

/// What the reading thread hands a checking thread: [`PROGRESS_ROWS`] rows as read, or the reason
/// the file cannot be read further.
enum Raw {
    Rows { rows_read: u64, rows: Vec<SourceRow> },
    Unreadable(String),
}

/// The checked chunks of [`spawn_reader`]'s two checking threads, taken in file order: chunk `k`
/// comes from thread `k % 2`.
struct FeedRx {
    rx: [tokio::sync::mpsc::Receiver<Feed>; 2],
    next: usize,
}

impl FeedRx {
    /// The next chunk in file order; `None` after the last.
    async fn recv(&mut self) -> Option<Feed> {
        let item = self.rx[self.next].recv().await;
        self.next ^= 1;
        item
    }
}

/// Reads the rows on a blocking thread, in chunks of [`PROGRESS_ROWS`] rows, and checks and
/// prepares them on two more, chunk by chunk in turn, while the caller writes the previous batch.
/// Checking a row costs several times what reading it does: with one thread for both, the reading
/// held the import back on two cores while the writing side waited (docs/PERFORMANCE.md, session
/// 9). The chunks reach the caller in file order ([`FeedRx`]). The handles end with the threads.
fn spawn_reader<I>(
    rows: I,
    map: HeaderMap,
    unit_id: i64,
    today: Date,
    province: String,
    now: String,
    backend: Backend,
) -> (FeedRx, Vec<tokio::task::JoinHandle<()>>)
where
    I: IntoIterator<Item = Result<SourceRow, String>> + Send + 'static,
    I::IntoIter: Send + 'static,
{
    let map = std::sync::Arc::new(map);
    let checker = || {
        let (tx_raw, mut rx_raw) = tokio::sync::mpsc::channel::<Raw>(1);
        let (tx, rx) = tokio::sync::mpsc::channel::<Feed>(feed_depth(backend));
        let (map, province, now) = (map.clone(), province.clone(), now.clone());
        let handle = tokio::task::spawn_blocking(move || {
            while let Some(raw) = rx_raw.blocking_recv() {
                let feed = match raw {
                    Raw::Unreadable(e) => Feed::Unreadable(e),
                    Raw::Rows { rows_read, rows } => {
                        let (valid, rejected) = check_rows(rows, &map, unit_id, today, &province, &now, backend);
                        Feed::Chunk {
                            rows_read,
                            valid,
                            rejected,
                        }
                    }
                };
                // The receiver may be gone (the writer failed first): nothing to tell.
                if tx.blocking_send(feed).is_err() {
                    return;
                }
            }
        });
        (tx_raw, rx, handle)
    };
    let (raw0, rx0, check0) = checker();
    let (raw1, rx1, check1) = checker();
    let raw_tx = [raw0, raw1];
    let mut handles = vec![check0, check1];
    handles.push(tokio::task::spawn_blocking(move || {
        let mut rows = rows.into_iter();
        for turn in 0.. {
            let to = &raw_tx[turn % 2];
            let mut rows_read = 0;
            let mut chunk = Vec::with_capacity(PROGRESS_ROWS as usize);
            let mut end = false;
            while rows_read < PROGRESS_ROWS {
                match rows.next() {
                    None => {
                        end = true;
                        break;
                    }
                    Some(Err(e)) => {
                        let _ = to.blocking_send(Raw::Unreadable(e));
                        return;
                    }
                    Some(Ok(row)) => {
                        if row.cells.iter().all(|c| c.trim().is_empty()) {
                            continue;
                        }
                        rows_read += 1;
                        chunk.push(row);
                    }
                }
            }
            // An empty last chunk is not sent: the caller takes chunks in turn, and the turn after
            // the last one finds its channel closed.
            if rows_read > 0 && to.blocking_send(Raw::Rows { rows_read, rows: chunk }).is_err() {
                // The writer stopped (an error, already reported there).
                return;
            }
            if end {
                return;
            }
        }
    }));
    (
        FeedRx {
            rx: [rx0, rx1],
            next: 0,
        },
        handles,
    )
}

/// Checks and prepares one chunk of rows ([`spawn_reader`]'s checking threads): the valid ones,
/// in the form their backend writes, and the refused ones with their errors.
#[allow(clippy::type_complexity)]
fn check_rows(
    rows: Vec<SourceRow>,
    map: &HeaderMap,
    unit_id: i64,
    today: Date,
    province: &str,
    now: &str,
    backend: Backend,
) -> (Vec<Parsed>, Vec<(SourceRow, Vec<RowError>)>) {
    let mut valid = Vec::with_capacity(rows.len());
    let mut rejected = vec![];
    for mut row in rows {
        let kept = KeptRow::new(&row);
        match map.parse(&mut row, unit_id, today) {
            Ok(prepared) => {
                let record = match backend {
                    Backend::Postgres => {
                        let mut line = Vec::with_capacity(384);
                        push_copy_row(&mut line, &prepared, province, now);
                        Record::Copy {
                            line,
                            national_id: prepared.national_id,
                        }
                    }
                    Backend::Sqlite => Record::Sqlite(Box::new(prepared)),
                };
                valid.push(Parsed { row: kept, record });
            }
            Err(errs) => rejected.push((kept.unpack(), errs)),
        }
    }
    (valid, rejected)
}

impl Scoped<'_> {
    /// Imports citizen records into one commune command. `headers` is the header row of the file;
    /// `rows` yields its data rows (an `Err` is a file that cannot be read further: nothing is
    /// written). The rows are read and checked on a blocking thread while the previous batch is
    /// written.
    pub async fn import_citizens<I>(
        &self,
        headers: &[String],
        rows: I,
        opts: &ImportOptions,
        obs: &mut (dyn ImportObserver + Send),
    ) -> Result<ImportReport, StoreError>
    where
        I: IntoIterator<Item = Result<SourceRow, String>> + Send + 'static,
        I::IntoIter: Send + 'static,
    {
        self.import_citizens_run(headers, rows, opts, obs, None).await
    }

    /// [`Self::import_citizens`] for a run of the import journal (`start_import_run`): the
    /// commit marks the run committed in the same transaction, so that a run left unmarked after
    /// a crash is one that wrote nothing.
    pub async fn import_citizens_run<I>(
        &self,
        headers: &[String],
        rows: I,
        opts: &ImportOptions,
        obs: &mut (dyn ImportObserver + Send),
        run_token: Option<&str>,
    ) -> Result<ImportReport, StoreError>
    where
        I: IntoIterator<Item = Result<SourceRow, String>> + Send + 'static,
        I::IntoIter: Send + 'static,
    {
        self.require(Permission::Write)?;
        let (map, ignored) = HeaderMap::resolve(headers)?;
        let province = self.registry_unit(opts.unit_id).await?;
        let mut run = Run {
            report: ImportReport {
                ignored_columns: ignored,
                ..Default::default()
            },
            obs,
            first_id: None,
            last_id: None,
            placed: Placed::default(),
            backend: self.store.backend(),
            unit_id: opts.unit_id,
        };
        let mut sink = Sink::open(self).await?;
        let outcome = self.import_into(&mut sink, &mut run, map, rows, opts, &province).await;
        let mut report = run.report;
        match outcome {
            Ok(true) => {
                sink.finish(true, run_token.map(str::to_string)).await?;
                report.committed = true;
            }
            Ok(false) => {
                // Bad rows in all-or-nothing mode: every batch already inserted is rolled back.
                sink.finish(false, None).await?;
                report.accepted = 0;
                report.committed = false;
            }
            Err(e) => {
                // The error is what the user must see; a failed rollback leaves the transaction
                // to the connection's end, which rolls it back as well.
                let _ = sink.finish(false, None).await;
                return Err(e);
            }
        }
        Ok(report)
    }

    /// The import inside `sink`'s transaction, up to its commit: true when it is to be committed,
    /// false when it is to be rolled back (bad rows in all-or-nothing mode).
    async fn import_into<I>(
        &self,
        sink: &mut Sink,
        run: &mut Run<'_>,
        map: HeaderMap,
        rows: I,
        opts: &ImportOptions,
        province: &str,
    ) -> Result<bool, StoreError>
    where
        I: IntoIterator<Item = Result<SourceRow, String>> + Send + 'static,
        I::IntoIter: Send + 'static,
    {
        let now = crate::now_text();
        let deferred = sink.defer_indexes(opts.mode == ImportMode::AllOrNothing).await?;
        let suspended = sink.suspend_per_row_work(opts.unit_id, !deferred.is_empty()).await?;
        let started = std::time::Instant::now();
        self.import_rows(sink, run, map.clone(), rows, opts, province, &now)
            .await?;
        let rows_done = started.elapsed();
        let Deferred { secondary, unique } = deferred;
        if let Some((_, def)) = unique {
            // Every ID number is checked here at once. When rows were already refused nothing
            // will be written either, but the repeated numbers are listed as well, so that one
            // reading of the report shows every bad row.
            let unique_held = run.report.rejected_rows == 0 && sink.build_unique(def).await?;
            if !unique_held {
                report_taken(sink, run, &map).await?;
            }
        }
        if opts.mode == ImportMode::AllOrNothing && run.report.rejected_rows > 0 {
            return Ok(false);
        }
        sink.restore_per_row_work(suspended, opts.unit_id, run.report.valid)
            .await?;
        if !secondary.is_empty() {
            sink.rebuild_indexes(secondary).await?;
        }
        if let (Some(first), Some(last)) = (run.first_id, run.last_id) {
            sink.index_name_words(first, last).await?;
        }
        let indexes_done = started.elapsed();
        if let (Some(first), Some(last)) = (run.first_id, run.last_id) {
            run.report.possible_duplicates = sink.count_possible_duplicates(first, last).await?;
        }
        tracing::debug!(
            rows = ?rows_done,
            indexes = ?(indexes_done - rows_done),
            duplicates = ?(started.elapsed() - indexes_done),
            "citizen import phases"
        );
        let report = &mut run.report;
        report.accepted = report.valid;
        sink.audit(
            "import",
            "citizen_import",
            &opts.source_name,
            Some(opts.unit_id),
            serde_json::json!({
                "source": opts.source_name, "mode": opts.mode, "rows_read": report.rows_read,
                "accepted": report.accepted, "rejected": report.rejected_rows,
                "first_id": run.first_id, "last_id": run.last_id
            }),
        )
        .await?;
        Ok(true)
    }

    /// Receives the reading thread's chunks and writes them batch by batch into `sink`.
    #[allow(clippy::too_many_arguments)]
    async fn import_rows<I>(
        &self,
        sink: &mut Sink,
        run: &mut Run<'_>,
        map: HeaderMap,
        rows: I,
        opts: &ImportOptions,
        province: &str,
        now: &str,
    ) -> Result<(), StoreError>
    where
        I: IntoIterator<Item = Result<SourceRow, String>> + Send + 'static,
        I::IntoIter: Send + 'static,
    {
        let (mut feed, reader) = spawn_reader(
            rows,
            map,
            opts.unit_id,
            today(),
            province.to_string(),
            now.to_string(),
            run.backend,
        );
        let mut batch = Batch::default();
        let mut in_flight = std::collections::VecDeque::new();
        while let Some(item) = feed.recv().await {
            match item {
                Feed::Unreadable(e) => {
                    return Err(StoreError::Invalid(format!(
                        "Không đọc tiếp được tệp: {e} Không có hồ sơ nào được nhập."
                    )));
                }
                Feed::Chunk {
                    rows_read,
                    valid,
                    rejected,
                } => {
                    run.report.rows_read += rows_read;
                    batch.valid.extend(valid);
                    batch.rejected.extend(rejected);
                    let full = import_batch_rows(run.backend);
                    if batch.valid.len() >= full || batch.rejected.len() >= full {
                        write_batch(sink, &mut batch, run, &mut in_flight, now, &opts.source_name, province).await?;
                    }
                    run.progress();
                }
            }
        }
        // The channels close when the threads end: a panic there must not pass for the end of
        // the file (that would commit part of it).
        for reader in reader {
            reader
                .await
                .map_err(|e| StoreError::Invalid(format!("Lỗi khi đọc tệp ({e}). Không có hồ sơ nào được nhập.")))?;
        }
        write_batch(sink, &mut batch, run, &mut in_flight, now, &opts.source_name, province).await?;
        while let Some(sent) = in_flight.pop_front() {
            finish_sqlite(run, sent).await?;
        }
        run.progress();
        Ok(())
    }
}

/// Where an import writes: a transaction on a connection of its own, outside the pool, which
/// allows what sqlx's backend-neutral `Any` driver cannot. SQLite ([`RawSqlite`]): one prepared
/// INSERT, each record's values bound straight from the prepared record, instead of sqlx's
/// copies and worker-thread handoff. PostgreSQL: each batch sent with `COPY ... FROM STDIN`, its
/// ids taken from the table's sequence first. Both write the same rows and the same audit entries
/// as the pool would (docs/PERFORMANCE.md has the figures).
enum Sink {
    Postgres {
        conn: sqlx::PgConnection,
        actor: Actor,
        /// `SELECT array_agg(nextval('<citizen's id sequence>'::regclass)) FROM
        /// generate_series(1, $1)`: the sequence named once (a `pg_get_serial_sequence` call per
        /// row took six times longer), the ids in one array (one row to decode, not 10,000).
        next_ids: String,
    },
    Sqlite {
        raw: RawSqlite,
        actor: Actor,
    },
}

/// One record's INSERT on the SQLite connection of a bulk load: the 28 cells of
/// [`INSERT_COLUMNS`], bound by position ([`bind_record_sqlite`]). One statement per row is the
/// fastest form measured: a 50-row INSERT ... RETURNING took 40 % longer per million rows.
fn insert_one_sql_sqlite() -> String {
    format!(
        "INSERT INTO citizen ({INSERT_COLUMNS}) VALUES ({})",
        vec!["?"; INSERT_ARITY].join(",")
    )
}

/// Binds the cells that every record of an import shares (province, created and updated) to an
/// [`insert_one_sql_sqlite`] statement, once per batch: SQLite keeps a statement's bindings from
/// one execution to the next, and each bound text is copied into a new allocation.
fn bind_shared_sqlite(stmt: &mut rusqlite::CachedStatement<'_>, province: &str, now: &str) -> Result<(), StoreError> {
    stmt.raw_bind_parameter(2, province)?;
    stmt.raw_bind_parameter(INSERT_ARITY - 1, now)?;
    stmt.raw_bind_parameter(INSERT_ARITY, now)?;
    Ok(())
}

/// Binds one record's own 25 cells (its unit and 24 more) to an [`insert_one_sql_sqlite`]
/// statement, whose shared ones [`bind_shared_sqlite`] has bound.
fn bind_record_sqlite(stmt: &mut rusqlite::CachedStatement<'_>, p: &Prepared) -> Result<(), StoreError> {
    stmt.raw_bind_parameter(1, p.unit_id)?;
    let cells: [&dyn rusqlite::ToSql; INSERT_ARITY - 4] = [
        &p.national_id,
        &p.legacy_id,
        &p.full_name,
        &p.name_folded,
        &p.sort_key,
        &p.birth_date,
        &p.birth_year,
        &p.sex,
        &p.ethnicity,
        &p.religion,
        &p.birth_registration_place,
        &p.permanent_commune_code,
        &p.permanent_village,
        &p.current_commune_code,
        &p.current_village,
        &p.education_grade,
        &p.qualification,
        &p.studying_level,
        &p.studying_detail,
        &p.occupation,
        &p.workplace,
        &p.party_member,
        &p.union_member,
        &p.note,
    ];
    for (i, v) in cells.into_iter().enumerate() {
        stmt.raw_bind_parameter(i + 3, v)?;
    }
    Ok(())
}

/// What [`Sink::suspend_per_row_work`] suspended.
enum Suspended {
    Nothing,
    /// SQLite: the dropped trigger's definition.
    SqliteTrigger(String),
    /// PostgreSQL: `session_replication_role = replica` for the rest of the transaction, and/or
    /// the dropped trigger's definition.
    Postgres {
        replica: bool,
        trigger: Option<String>,
    },
}

/// The trigger that moves a unit's `registry_version` when citizens are inserted (migration 13).
const VERSION_TRIGGER: &str = "citizen_version_insert";

/// A record that repeats the ID number of an earlier one ([`Sink::taken_page`]).
struct Taken {
    /// The earliest record with the same number.
    first: i64,
    /// The record as stored.
    record: Citizen,
}

/// The temporary table of [`Sink::find_taken`].
const TAKEN_TABLE: &str = "import_taken";

/// Records of [`TAKEN_TABLE`] read at a time (the memory held stays bounded).
const TAKEN_PAGE: usize = 1000;

/// An all-or-nothing bulk load whose ID numbers repeat ([`Sink::build_unique`] failed, or rows
/// were refused already): refuses every record that repeats the number of an earlier one, with
/// the line it repeats or the record on the register. Their rows go to the observer as the
/// records were stored (the original cells are no longer held), after the rows refused while
/// reading; the report lists every refused row in file order.
async fn report_taken(sink: &mut Sink, run: &mut Run<'_>, map: &HeaderMap) -> Result<(), StoreError> {
    sink.find_taken().await?;
    let mut after = 0;
    loop {
        let page = sink.taken_page(after).await?;
        let Some(last) = page.last().map(|t| t.record.id) else {
            break;
        };
        after = last;
        for Taken { first, record: c } in page {
            let id = c.id;
            let nid = c.national_id.clone().unwrap_or_default();
            // The register held each number once before the import (its unique index): every
            // later record with a number is this import's.
            let line = run.placed.line_of(id).ok_or_else(|| {
                StoreError::Conflict(format!("Sổ đăng ký đã có hai hồ sơ cùng số định danh cá nhân {nid}."))
            })?;
            let e = RowError {
                row: line,
                column: Some(CitizenField::NationalId.header().to_string()),
                value: Some(nid.clone()),
                reason_vi: taken_reason(&nid, run.placed.line_of(first)),
            };
            run.reject(
                &SourceRow {
                    line,
                    cells: map.cells_of(&c),
                },
                vec![e],
            );
        }
    }
    run.report.rejected.sort_by_key(|e| e.row);
    Ok(())
}

/// The citizen table's unique index on the ID number (migration 2).
const UNIQUE_ID_INDEX: &str = "citizen_national_id";

/// The indexes a bulk load dropped ([`Sink::defer_indexes`]), with their definitions, to be built
/// again at its end.
#[derive(Default)]
struct Deferred {
    /// Secondary (non-unique) indexes.
    secondary: Vec<(String, String)>,
    /// The unique index on the ID number, when the import is all-or-nothing.
    unique: Option<(String, String)>,
}

impl Deferred {
    /// From the table's indexes `defs` (name, definition): every non-unique one except `live`,
    /// and with `unique_too` the ID number's unique index. Other unique indexes (the primary
    /// key) stay.
    fn choose(defs: Vec<(String, String)>, unique_too: bool, live: &[&str]) -> Deferred {
        let mut d = Deferred::default();
        for (name, def) in defs {
            if def.to_uppercase().starts_with("CREATE UNIQUE") {
                if unique_too && name == UNIQUE_ID_INDEX {
                    d.unique = Some((name, def));
                }
            } else if !live.contains(&name.as_str()) {
                d.secondary.push((name, def));
            }
        }
        d
    }

    fn iter(&self) -> impl Iterator<Item = &(String, String)> {
        self.unique.iter().chain(&self.secondary)
    }

    fn is_empty(&self) -> bool {
        self.unique.is_none() && self.secondary.is_empty()
    }
}

/// What [`copy_batch`] did with a batch (PostgreSQL).
enum Inserted {
    /// Inserted, with these new ids in order.
    Ids(Vec<i64>),
    /// Not inserted (rolled back to the batch's savepoint): a number of the batch is already on
    /// the register. The rows come back, to be checked and sent again.
    Taken(Vec<Parsed>),
}

/// A unique index refused the row (on the citizen table: the ID number).
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error()
        .is_some_and(|f| f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// SQLite: the id of the record with this national ID number, if any.
const TAKEN_ID_SQLITE: &str = "SELECT id FROM citizen WHERE national_id = ?1";

/// The steps return boxed futures that are `Send`: the web page runs the import inside
/// `tokio::spawn`, and a future that holds sqlx's `&mut PgConnection` executors is otherwise
/// refused there by the compiler ("implementation of `Executor` is not general enough").
impl Sink {
    /// Opens the import's write transaction (SQLite: `BEGIN IMMEDIATE`, so the write lock is
    /// taken at once, with a larger page cache and a sorting helper thread for this connection).
    fn open<'a>(scoped: &'a Scoped<'_>) -> BoxFuture<'a, Result<Sink, StoreError>> {
        Box::pin(async move {
            let url = match &scoped.store.target {
                Target::Postgres(url) => url,
                Target::Sqlite(path) => {
                    let raw = RawSqlite::open(path).await?;
                    raw.call(|c| {
                        // The citizen table's unique index is updated at random places (ID
                        // numbers): a larger page cache keeps it in memory (bounded: it does not
                        // grow with the file). `threads` lets SQLite sort with a helper thread
                        // when it builds the deferred indexes again.
                        c.execute_batch(&format!(
                            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA threads = 2; BEGIN IMMEDIATE;"
                        ))?;
                        c.execute(AUDIT_LOCK, [])?;
                        Ok(())
                    })
                    .await?;
                    return Ok(Sink::Sqlite {
                        raw,
                        actor: scoped.actor.clone(),
                    });
                }
            };
            let mut conn = sqlx::PgConnection::connect(&url.0).await?;
            // `BEGIN` then the audit lock as the first write, as every write transaction does.
            // Not `plan_cache_mode = force_custom_plan`: it also re-plans the foreign-key checks
            // that PostgreSQL runs for every row a COPY inserts, which doubled the time of each
            // batch. The ID lookup (`= ANY($1)` on the unique index) keeps an index scan in its
            // generic plan whatever the table's size when it was made.
            for sql in ["BEGIN", AUDIT_LOCK] {
                sqlx::Executor::execute(&mut conn, sql).await?;
            }
            let sequence: String = sqlx::query_scalar("SELECT pg_get_serial_sequence('citizen', 'id')")
                .fetch_one(&mut conn)
                .await?;
            // The name comes from the catalogue (already quoted where it needs to be).
            let next_ids = format!(
                "SELECT COALESCE(array_agg(nextval('{}'::regclass)), '{{}}') FROM generate_series(1, $1)",
                sequence.replace('\'', "''")
            );
            Ok(Sink::Postgres {
                conn,
                actor: scoped.actor.clone(),
                next_ids,
            })
        })
    }

    /// Ends the import's transaction: commits it or rolls it back, and lets its connection go.
    /// A committed import of a journal run (`run`) marks the run in the same transaction.
    fn finish(self, commit: bool, run: Option<String>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let now = crate::now_text();
            match self {
                Sink::Postgres { mut conn, .. } => {
                    if let (true, Some(token)) = (commit, &run) {
                        sqlx::query(crate::import_runs::MARK_COMMITTED_SQL)
                            .bind(&now)
                            .bind(token)
                            .execute(&mut conn)
                            .await?;
                    }
                    sqlx::Executor::execute(&mut conn, if commit { "COMMIT" } else { "ROLLBACK" }).await?;
                    // The transaction is over; a failed goodbye to the server changes nothing.
                    let _ = conn.close().await;
                    Ok(())
                }
                Sink::Sqlite { raw, .. } if commit => {
                    raw.call(move |c| {
                        if let Some(token) = &run {
                            c.execute(crate::import_runs::MARK_COMMITTED_SQLITE, (&now, token))?;
                        }
                        Ok(c.execute_batch("COMMIT")?)
                    })
                    .await
                }
                Sink::Sqlite { raw, .. } => raw.rollback().await,
            }
        })
    }

    /// Appends one audit entry (no "before": imports only create) in the import's transaction.
    fn audit<'a>(
        &'a mut self,
        action: &'static str,
        entity: &'static str,
        entity_id: &'a str,
        unit_id: Option<i64>,
        after: serde_json::Value,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            match self {
                Sink::Postgres { conn, actor, .. } => {
                    audit_postgres(conn, actor, action, entity, entity_id, unit_id, None, Some(&after)).await
                }
                Sink::Sqlite { raw, actor } => {
                    let (actor, entity_id) = (actor.clone(), entity_id.to_string());
                    raw.call(move |c| audit_sqlite(c, &actor, action, entity, &entity_id, unit_id, None, Some(&after)))
                        .await
                }
            }
        })
    }

    /// When the register is small ([`BULK_LOAD_BELOW_ROWS`]), drops the citizen table's secondary
    /// (non-unique) indexes inside the import's transaction (on SQLite all but [`LIVE_INDEXES`];
    /// on PostgreSQL only when the role owns the table) and returns their definitions, read from
    /// the database's own catalogue (so they always match the migrations). With `unique_too`
    /// (an all-or-nothing import) the unique index on the ID number goes as well: building it
    /// once at the end checks every number at once ([`Sink::build_unique`]), several times
    /// cheaper than a million inserts at random places of it. A valid-rows-only import keeps it,
    /// to refuse each repeated number as its row is written. A rollback restores everything.
    fn defer_indexes(&mut self, unique_too: bool) -> BoxFuture<'_, Result<Deferred, StoreError>> {
        Box::pin(async move {
            // Counts no further than the threshold: a full count of a large register is a scan.
            let count = format!("SELECT count(*) FROM (SELECT 1 FROM citizen LIMIT {BULK_LOAD_BELOW_ROWS}) AS t");
            match self {
                Sink::Postgres { conn, .. } => {
                    let rows: i64 = sqlx::query(&count).fetch_one(&mut *conn).await?.get(0);
                    if rows >= BULK_LOAD_BELOW_ROWS {
                        return Ok(Deferred::default());
                    }
                    let defs: Vec<(String, String)> = sqlx::query(
                        "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                     AND tablename = 'citizen' ORDER BY indexname",
                    )
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                    let deferred = Deferred::choose(defs, unique_too, &[]);
                    // Only the table's owner may drop its indexes: a role that may only read and
                    // write imports with the indexes in place.
                    sqlx::Executor::execute(&mut *conn, "SAVEPOINT defer_indexes").await?;
                    for (name, _) in deferred.iter() {
                        // Names come from the catalogue, not from input.
                        if let Err(e) = sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *conn).await {
                            tracing::debug!(error = %e, "citizen import: indexes kept in place");
                            sqlx::Executor::execute(&mut *conn, "ROLLBACK TO SAVEPOINT defer_indexes").await?;
                            return Ok(Deferred::default());
                        }
                    }
                    sqlx::Executor::execute(&mut *conn, "RELEASE SAVEPOINT defer_indexes").await?;
                    if !deferred.is_empty() {
                        // Memory for sorting the keys when the indexes are built again (this
                        // transaction only).
                        sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(deferred)
                }
                Sink::Sqlite { raw, .. } => {
                    raw.call(move |c| {
                        let rows: i64 = c.query_row(&count, [], |r| r.get(0))?;
                        if rows >= BULK_LOAD_BELOW_ROWS {
                            return Ok(Deferred::default());
                        }
                        let defs = c
                            .prepare(
                                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'citizen' \
                             AND sql IS NOT NULL ORDER BY name",
                            )?
                            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                            .collect::<Result<Vec<(String, String)>, _>>()?;
                        let deferred = Deferred::choose(defs, unique_too, LIVE_INDEXES);
                        for (name, _) in deferred.iter() {
                            c.execute_batch(&format!("DROP INDEX {name}"))?;
                        }
                        Ok(deferred)
                    })
                    .await
                }
            }
        })
    }

    /// Suspends the per-row work that the import does once for all its records instead.
    ///
    /// * SQLite: drops the trigger that moves the unit's `registry_version` once per inserted
    ///   citizen (migration 13) inside the import's transaction and keeps its definition, read
    ///   from the catalogue. Nobody else can write meanwhile (the transaction holds SQLite's
    ///   write lock), readers see neither change before the commit, and a rollback restores the
    ///   trigger. Saves about 0.9 s per million records.
    /// * PostgreSQL: when the role may, sets `session_replication_role = replica` for the
    ///   transaction, which skips the triggers of the rows' COPY: the check of the foreign key
    ///   `unit_id → org_unit` of every row (a query and a row lock each, 4 s per million) and the
    ///   statement trigger of `registry_version`. Every record of an import has the same unit, so
    ///   the check is made here once, the same way (`FOR KEY SHARE` holds the unit until the
    ///   commit). Only when the table's insert triggers and foreign keys are exactly those two:
    ///   a trigger or key added later turns this off rather than being skipped. A role without the
    ///   right (not superuser, no `GRANT SET ON PARAMETER`) imports with the triggers.
    ///
    ///   When the table is `locked` already (a bulk load dropped its indexes, which holds it
    ///   against every other session until the commit), the `registry_version` trigger is also
    ///   dropped, as on SQLite: PostgreSQL fills the trigger's table of new rows for every row a
    ///   COPY inserts even when `replica` keeps the trigger from firing (0.4–0.6 s per million,
    ///   psql). Without the lock it stays: dropping a trigger locks the table against readers.
    ///
    /// [`Sink::restore_per_row_work`] moves the version once by the number of records and puts
    /// everything back before the commit.
    fn suspend_per_row_work(&mut self, unit: i64, locked: bool) -> BoxFuture<'_, Result<Suspended, StoreError>> {
        Box::pin(async move {
            match self {
                Sink::Postgres { conn, .. } => {
                    let triggers: Vec<String> = sqlx::query_scalar(
                        "SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'citizen'::regclass \
                         AND (NOT tgisinternal OR tgconstraint IN \
                              (SELECT oid FROM pg_constraint WHERE conrelid = 'citizen'::regclass)) \
                         AND tgtype & 4 = 4 ORDER BY 1",
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    let keys: Vec<String> = sqlx::query_scalar(
                        "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
                         WHERE conrelid = 'citizen'::regclass AND contype = 'f' ORDER BY 1",
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    let known = keys == ["FOREIGN KEY (unit_id) REFERENCES org_unit(id)"]
                        && triggers.len() == 2
                        && triggers.iter().any(|t| t == VERSION_TRIGGER);
                    let trigger = if locked {
                        let def: Option<String> = sqlx::query_scalar(
                            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'citizen'::regclass AND tgname = $1",
                        )
                        .bind(VERSION_TRIGGER)
                        .fetch_optional(&mut *conn)
                        .await?;
                        if def.is_some() {
                            sqlx::Executor::execute(
                                &mut *conn,
                                format!("DROP TRIGGER {VERSION_TRIGGER} ON citizen").as_str(),
                            )
                            .await?;
                        }
                        def
                    } else {
                        None
                    };
                    let replica = known && {
                        sqlx::Executor::execute(&mut *conn, "SAVEPOINT replica_role").await?;
                        match sqlx::Executor::execute(&mut *conn, "SET LOCAL session_replication_role = replica").await
                        {
                            Ok(_) => {
                                sqlx::Executor::execute(&mut *conn, "RELEASE SAVEPOINT replica_role").await?;
                                true
                            }
                            Err(e) => {
                                tracing::debug!(error = %e, "citizen import: the role may not skip triggers");
                                sqlx::Executor::execute(&mut *conn, "ROLLBACK TO SAVEPOINT replica_role").await?;
                                false
                            }
                        }
                    };
                    if replica {
                        // The foreign key's own check, once: the unit exists and stays until the
                        // commit.
                        let found: Option<i64> =
                            sqlx::query_scalar("SELECT id FROM org_unit WHERE id = $1 FOR KEY SHARE")
                                .bind(unit)
                                .fetch_optional(&mut *conn)
                                .await?;
                        if found.is_none() {
                            return Err(StoreError::NotFound(format!("Không tìm thấy đơn vị số {unit}.")));
                        }
                    } else if trigger.is_none() {
                        return Ok(Suspended::Nothing);
                    }
                    Ok(Suspended::Postgres { replica, trigger })
                }
                Sink::Sqlite { raw, .. } => {
                    raw.call(|c| {
                        let sql: Option<String> = c
                            .query_row(
                                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                                [VERSION_TRIGGER],
                                |r| r.get(0),
                            )
                            .optional()?;
                        Ok(match sql {
                            Some(sql) => {
                                c.execute_batch(&format!("DROP TRIGGER {VERSION_TRIGGER}"))?;
                                Suspended::SqliteTrigger(sql)
                            }
                            None => Suspended::Nothing,
                        })
                    })
                    .await
                }
            }
        })
    }

    /// Moves `unit`'s registry version by `inserted` (what the suspended trigger would have
    /// done) and puts back what [`Sink::suspend_per_row_work`] suspended.
    fn restore_per_row_work(
        &mut self,
        suspended: Suspended,
        unit: i64,
        inserted: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            match (&mut *self, suspended) {
                (_, Suspended::Nothing) => Ok(()),
                (Sink::Sqlite { raw, .. }, Suspended::SqliteTrigger(sql)) => {
                    raw.call(move |c| {
                        c.execute(
                            "UPDATE registry_version SET version = version + ?1 WHERE unit_id = ?2",
                            rusqlite::params![inserted as i64, unit],
                        )?;
                        c.execute_batch(&sql)?;
                        Ok(())
                    })
                    .await
                }
                (Sink::Postgres { conn, .. }, Suspended::Postgres { replica, trigger }) => {
                    if replica {
                        sqlx::Executor::execute(&mut *conn, "SET LOCAL session_replication_role = origin").await?;
                    }
                    if inserted > 0 {
                        // What the statement trigger does (migration 13).
                        sqlx::query(
                            "INSERT INTO registry_version AS v (unit_id, version) VALUES ($1, $2) \
                             ON CONFLICT (unit_id) DO UPDATE SET version = v.version + excluded.version",
                        )
                        .bind(unit)
                        .bind(inserted as i64)
                        .execute(&mut *conn)
                        .await?;
                    }
                    if let Some(def) = trigger {
                        sqlx::Executor::execute(&mut *conn, def.as_str()).await?;
                    }
                    Ok(())
                }
                _ => Err(StoreError::Config("Trạng thái nhập không khớp với kho dữ liệu.".into())),
            }
        })
    }

    /// Builds the ID number's unique index that [`Sink::defer_indexes`] dropped (`def`, its own
    /// definition). False, and no index, when two records share a number ([`report_taken`] then
    /// lists them; the import is rolled back).
    fn build_unique(&mut self, def: String) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async move {
            match self {
                Sink::Postgres { conn, .. } => {
                    // A failed statement ends a PostgreSQL transaction; the savepoint keeps it
                    // open for the search of the repeated numbers.
                    sqlx::Executor::execute(&mut *conn, "SAVEPOINT unique_id").await?;
                    match sqlx::Executor::execute(&mut *conn, def.as_str()).await {
                        Ok(_) => {
                            sqlx::Executor::execute(&mut *conn, "RELEASE SAVEPOINT unique_id").await?;
                            Ok(true)
                        }
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            sqlx::Executor::execute(&mut *conn, "ROLLBACK TO SAVEPOINT unique_id").await?;
                            Ok(false)
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                // SQLite undoes the failed statement alone; the transaction goes on.
                Sink::Sqlite { raw, .. } => {
                    raw.call(move |c| match c.execute_batch(&index_build_sqlite(&def)) {
                        Ok(()) => Ok(true),
                        Err(e) if is_unique_violation(&e) => Ok(false),
                        Err(e) => Err(e.into()),
                    })
                    .await
                }
            }
        })
    }

    /// Puts in a temporary table [`TAKEN_TABLE`] every record whose ID number an earlier record
    /// has too, with that earliest record's id: one grouped pass over the table.
    fn find_taken(&mut self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let sql = format!(
                "CREATE TEMPORARY TABLE {TAKEN_TABLE} AS SELECT c.id AS id, f.first_id AS first_id FROM citizen c \
                 JOIN (SELECT national_id, min(id) AS first_id FROM citizen WHERE national_id IS NOT NULL \
                 GROUP BY national_id HAVING count(*) > 1) f ON f.national_id = c.national_id WHERE c.id <> f.first_id"
            );
            match self {
                Sink::Postgres { conn, .. } => {
                    sqlx::Executor::execute(&mut *conn, sql.as_str()).await?;
                    Ok(())
                }
                Sink::Sqlite { raw, .. } => raw.call(move |c| Ok(c.execute_batch(&sql)?)).await,
            }
        })
    }

    /// The next [`TAKEN_PAGE`] records of [`TAKEN_TABLE`] after the id `after`, in id order:
    /// [`Taken`].
    fn taken_page(&mut self, after: i64) -> BoxFuture<'_, Result<Vec<Taken>, StoreError>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT t.first_id AS taken_first, {CITIZEN_COLUMNS_SQL} FROM {TAKEN_TABLE} t JOIN citizen c ON c.id = t.id \
                 WHERE t.id > {after} ORDER BY t.id LIMIT {TAKEN_PAGE}"
            );
            match self {
                Sink::Postgres { conn, .. } => Ok(sqlx::query(&sql)
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(|r| Taken {
                        first: r.get("taken_first"),
                        record: citizen_from_cells(|c| r.get(c), |c| r.get(c)),
                    })
                    .collect()),
                Sink::Sqlite { raw, .. } => {
                    raw.call(move |c| {
                        let mut stmt = c.prepare(&sql)?;
                        let rows = stmt.query_map([], |r| {
                            let text = |c: &str| r.get::<_, Option<String>>(c).unwrap_or_default();
                            let int = |c: &str| r.get::<_, i64>(c).unwrap_or_default();
                            Ok(Taken {
                                first: r.get("taken_first")?,
                                record: citizen_from_cells(text, int),
                            })
                        })?;
                        Ok(rows.collect::<Result<Vec<_>, _>>()?)
                    })
                    .await
                }
            }
        })
    }

    /// Builds again the secondary indexes that [`Sink::defer_indexes`] dropped, from their own
    /// definitions.
    fn rebuild_indexes(&mut self, defs: Vec<(String, String)>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            match self {
                Sink::Postgres { conn, .. } => {
                    for (_, def) in &defs {
                        sqlx::query(def).execute(&mut *conn).await?;
                    }
                    Ok(())
                }
                Sink::Sqlite { raw, .. } => {
                    raw.call(move |c| {
                        for (_, def) in &defs {
                            c.execute_batch(&index_build_sqlite(def))?;
                        }
                        Ok(())
                    })
                    .await
                }
            }
        })
    }

    /// Fills the name-word index of the search (`citizen_word`) for the records `first..=last`,
    /// in one statement (sorted by key, so that the index grows in order).
    fn index_name_words(&mut self, first: i64, last: i64) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            match self {
                Sink::Postgres { conn, .. } => {
                    sqlx::query(super::words::fill_sql(Backend::Postgres))
                        .bind(first)
                        .bind(last)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                }
                Sink::Sqlite { raw, .. } => {
                    raw.call(move |c| {
                        c.execute(super::words::fill_sql(Backend::Sqlite), [first, last])?;
                        Ok(())
                    })
                    .await
                }
            }
        })
    }

    fn count_possible_duplicates(&mut self, first: i64, last: i64) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            match self {
                Sink::Postgres { conn, .. } => {
                    let highest: i64 = sqlx::query_scalar("SELECT COALESCE(max(id), 0) FROM citizen")
                        .fetch_one(&mut *conn)
                        .await?;
                    let n: i64 = sqlx::query_scalar(possible_duplicates_sql(first, last, highest))
                        .bind(first)
                        .bind(last)
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok(n as u64)
                }
                Sink::Sqlite { raw, .. } => {
                    raw.call(move |c| {
                        let highest: i64 = c.query_row("SELECT COALESCE(max(id), 0) FROM citizen", [], |r| r.get(0))?;
                        let n: i64 =
                            c.query_row(possible_duplicates_sql(first, last, highest), [first, last], |r| {
                                r.get(0)
                            })?;
                        Ok(n as u64)
                    })
                    .await
                }
            }
        })
    }
}

/// Which of the two equal counts of [`count_possible_duplicates`] is cheaper for the records
/// `first..=last` on a register whose highest id is `highest`.
fn possible_duplicates_sql(first: i64, last: i64, highest: i64) -> &'static str {
    if (last - first + 1) * 4 >= highest {
        POSSIBLE_DUPLICATES_BY_GROUPS
    } else {
        POSSIBLE_DUPLICATES_BY_PROBES
    }
}

/// The import counts on its own connection ([`Sink::count_possible_duplicates`]); this count, on
/// a pool transaction, lets the tests compare. How many of the records `first..=last` (just
/// imported) share their folded name, birth date and
/// permanent commune with another record. A small import probes the duplicate-key index once per
/// new record; an import that makes up a large part of the register (a quarter or more of its
/// highest id) counts the groups in one ordered pass over the whole table instead, which is
/// several times cheaper than a million probes. Both count the same thing (a test compares them).
#[cfg(test)]
pub(crate) async fn count_possible_duplicates(
    w: &mut crate::scope::WriteTx<'_>,
    first: i64,
    last: i64,
) -> Result<u64, StoreError> {
    let highest: i64 = sqlx::query("SELECT COALESCE(max(id), 0) FROM citizen")
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
    let n: i64 = sqlx::query(possible_duplicates_sql(first, last, highest))
        .bind(first)
        .bind(last)
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
    Ok(n as u64)
}

/// [`count_possible_duplicates`] for a few new records: one index probe each.
pub(crate) const POSSIBLE_DUPLICATES_BY_PROBES: &str =
    "SELECT count(*) FROM citizen c WHERE c.id >= $1 AND c.id <= $2 AND EXISTS (\
     SELECT 1 FROM citizen d WHERE d.name_folded = c.name_folded AND d.birth_date = c.birth_date \
     AND COALESCE(d.permanent_commune_code, '') = COALESCE(c.permanent_commune_code, '') AND d.id <> c.id)";

/// [`count_possible_duplicates`] for many new records: the new members of every group of two or
/// more records with the same key. The groups are of the plain columns, as the duplicate-key
/// index orders them (GROUP BY puts the records without a commune in one group, as the probe's
/// `COALESCE` does: no stored commune is empty text), so that SQLite reads that index in order
/// instead of sorting every key again (0.7 s instead of 1.2–1.5 s per million records, measured
/// with Python's sqlite3); PostgreSQL's plan is the same either way.
pub(crate) const POSSIBLE_DUPLICATES_BY_GROUPS: &str = "SELECT CAST(COALESCE(sum(n), 0) AS BIGINT) FROM (\
     SELECT sum(CASE WHEN id >= $1 AND id <= $2 THEN 1 ELSE 0 END) AS n FROM citizen \
     GROUP BY name_folded, birth_date, permanent_commune_code HAVING count(*) > 1) AS t";

/// Below this many records on the register, an import builds the citizen table's secondary
/// indexes once at the end instead of updating them row by row (the usual way to load a table in
/// bulk: sorting the keys once is several times faster than inserting them at random places).
/// A young register only: the rebuild costs time in proportion to the whole table, and on
/// PostgreSQL dropping an index locks the table against readers until the import commits.
pub const BULK_LOAD_BELOW_ROWS: i64 = 20_000;

/// SQLite: secondary indexes a bulk load keeps up to date row by row instead of building them
/// again: their keys take few values (birth year and sex), and new records' ids only grow, so each
/// new entry lands at the end of its key's run, on one of a few pages that stay in the cache.
/// Cheaper than sorting a million entries afterwards (about 1 s). Not on PostgreSQL, where the
/// same index costs about 1 s per million rows during the COPY and 0.5–0.9 s to build with the
/// parallel workers (psql, docs/PERFORMANCE.md "Session 8").
const LIVE_INDEXES: &[&str] = &["citizen_birth"];

/// Page cache of the importing SQLite connection, in KiB (the connections' usual cache is
/// [`crate::db::SQLITE_CACHE_KIB`]).
const IMPORT_CACHE_KIB: i64 = 128 * 1024;

/// Page cache of the importing SQLite connection while it builds the indexes it deferred, in KiB.
/// SQLite sorts an index's keys in runs of at most the page cache's size, each written to a
/// temporary file, and merges them; with [`IMPORT_CACHE_KIB`] a million keys were one run sorted
/// in memory, twice as slow as runs of a few megabytes, which fit the processor's caches and are
/// sorted on the helper threads that `PRAGMA threads` allows (four indexes of a million records:
/// 5.8–6.1 s → 2.5–2.7 s, docs/PERFORMANCE.md, session 10). The temporary files (SQLite's temp
/// directory) hold about one index's keys at a time and are deleted as each build ends.
const INDEX_BUILD_CACHE_KIB: i64 = 4 * 1024;

/// `def` (a `CREATE INDEX`) run with the page cache for index builds ([`INDEX_BUILD_CACHE_KIB`]).
fn index_build_sqlite(def: &str) -> String {
    format!("PRAGMA cache_size = -{INDEX_BUILD_CACHE_KIB}; {def}")
}

/// Rows waiting to be written: the valid ones and those refused while reading, reported together
/// in file order when the batch is written.
#[derive(Default)]
struct Batch {
    valid: Vec<Parsed>,
    rejected: Vec<(SourceRow, Vec<RowError>)>,
}

/// Splits a batch's valid rows into those to insert and those refused for their ID number: the
/// same number twice in the batch, or a number already on the register (`taken`, which holds
/// this file's earlier batches too, inside the same transaction).
fn split_by_id(
    valid: Vec<Parsed>,
    taken: &HashMap<String, i64>,
    placed: &Placed,
) -> (Vec<Parsed>, Vec<(SourceRow, Vec<RowError>)>) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut keep: Vec<Parsed> = Vec::with_capacity(valid.len());
    let mut rejected = vec![];
    for r in valid {
        if let Some(nid) = r.national_id().map(str::to_string) {
            let reason = match seen.get(&nid) {
                Some(line) => Some(taken_reason(&nid, Some(*line))),
                None => taken
                    .get(&nid)
                    .map(|existing| taken_reason(&nid, placed.line_of(*existing))),
            };
            if let Some(reason_vi) = reason {
                let e = RowError {
                    row: r.row.line,
                    column: Some(CitizenField::NationalId.header().to_string()),
                    value: Some(nid.clone()),
                    reason_vi,
                };
                rejected.push((r.row.unpack(), vec![e]));
                continue;
            }
            seen.insert(nid, r.row.line);
        }
        keep.push(r);
    }
    (keep, rejected)
}

/// Why a row's ID number `nid` is refused: it repeats the file's line `earlier`, or (`None`) a
/// record already on the register before this import (said without revealing it).
fn taken_reason(nid: &str, earlier: Option<u64>) -> String {
    match earlier {
        Some(line) => format!("Số định danh cá nhân {nid} trùng với dòng {line} của tệp."),
        // The record holding it may lie outside the importer's scope: nothing is told about it.
        None => super::NATIONAL_ID_UNUSABLE.to_string(),
    }
}

fn national_ids(rows: &[Parsed]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.national_id().map(str::to_string))
        .collect()
}

/// Writes a batch: on SQLite sent to the connection's thread while the reading goes on (at most
/// [`SQLITE_IN_FLIGHT`] wait there), on PostgreSQL one COPY, waited for.
#[allow(clippy::too_many_arguments)]
async fn write_batch(
    sink: &mut Sink,
    batch: &mut Batch,
    run: &mut Run<'_>,
    in_flight: &mut std::collections::VecDeque<InFlight>,
    now: &str,
    source: &str,
    province: &str,
) -> Result<(), StoreError> {
    if batch.valid.is_empty() && batch.rejected.is_empty() {
        return Ok(());
    }
    match sink {
        Sink::Sqlite { raw, actor } => {
            in_flight.push_back(send_sqlite(raw, actor, batch, now, source, province));
            while in_flight.len() > SQLITE_IN_FLIGHT {
                if let Some(sent) = in_flight.pop_front() {
                    finish_sqlite(run, sent).await?;
                }
            }
            Ok(())
        }
        Sink::Postgres { conn, actor, next_ids } => {
            flush_postgres(conn, actor, next_ids, batch, run, now, source, province).await
        }
    }
}

/// PostgreSQL: checks a batch's ID numbers against each other, sends the rest in one COPY and
/// reports the batch's refused rows in file order. A number already on the register makes the
/// COPY fail on the unique index; it is rolled back to the batch's savepoint, and only then are
/// the numbers looked up and the batch sent again without them (a lookup of a thousand numbers
/// per batch was a third of the import).
#[allow(clippy::too_many_arguments)]
async fn flush_postgres(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    next_ids: &str,
    batch: &mut Batch,
    run: &mut Run<'_>,
    now: &str,
    source: &str,
    province: &str,
) -> Result<(), StoreError> {
    let mut rejected = std::mem::take(&mut batch.rejected);
    let valid = std::mem::take(&mut batch.valid);
    // Numbers twice in the batch; numbers on the register are found by the COPY itself.
    let (keep, refused) = split_by_id(valid, &HashMap::new(), &run.placed);
    rejected.extend(refused);
    let mut ids = vec![];
    let mut lines: Vec<u64> = keep.iter().map(|r| r.row.line).collect();
    let unit = Some(run.unit_id);
    if !keep.is_empty() {
        match copy_batch(conn, next_ids, keep, province, now).await? {
            Inserted::Ids(new) => ids = new,
            Inserted::Taken(back) => {
                let taken = taken_postgres(conn, national_ids(&back)).await?;
                let (again, refused) = split_by_id(back, &taken, &run.placed);
                rejected.extend(refused);
                lines = again.iter().map(|r| r.row.line).collect();
                if !again.is_empty() {
                    match copy_batch(conn, next_ids, again, province, now).await? {
                        Inserted::Ids(new) => ids = new,
                        // The numbers were looked up inside this transaction: a second conflict
                        // is not a number on the register (another constraint); nothing is kept.
                        Inserted::Taken(_) => {
                            return Err(StoreError::Conflict(
                                "Số định danh cá nhân trùng với hồ sơ đã có.".into(),
                            ));
                        }
                    }
                }
            }
        }
    }
    run.batch_done(rejected, &ids, &lines);
    if let Some((entity_id, after)) = batch_audit(source, &ids, &lines) {
        audit_postgres(conn, actor, "create", "citizen", &entity_id, unit, None, Some(&after)).await?;
    }
    Ok(())
}

/// The audit entry of a batch that created records (`None` when it created none): its entity id
/// `first..last` and its content, the file and the new ids with the lines they came from, as runs
/// ([`runs`]; the n-th id came from the n-th line).
fn batch_audit(source: &str, ids: &[i64], lines: &[u64]) -> Option<(String, serde_json::Value)> {
    let (lo, hi) = (ids.iter().min()?, ids.iter().max()?);
    let after = serde_json::json!({
        "source": source,
        "ids": runs(ids.iter().copied()),
        "rows": runs(lines.iter().map(|&l| l as i64)),
    });
    Some((format!("{lo}..{hi}"), after))
}

impl Run<'_> {
    /// Records a written batch: its refused rows (reported in file order) and its new ids, read
    /// from `lines`.
    fn batch_done(&mut self, mut rejected: Vec<(SourceRow, Vec<RowError>)>, ids: &[i64], lines: &[u64]) {
        self.placed.add(ids, lines);
        rejected.sort_by_key(|(row, _)| row.line);
        for (row, errs) in rejected {
            self.reject(&row, errs);
        }
        if let (Some(&lo), Some(&hi)) = (ids.iter().min(), ids.iter().max()) {
            self.first_id = Some(self.first_id.map_or(lo, |f| f.min(lo)));
            self.last_id = Some(self.last_id.map_or(hi, |l| l.max(hi)));
            self.report.valid += ids.len() as u64;
        }
    }
}

/// PostgreSQL: those of the ID numbers `ids` already on the register (which holds this file's
/// earlier batches too, inside the same transaction), with their records' ids. One query per
/// batch, the numbers as one array parameter.
async fn taken_postgres(conn: &mut sqlx::PgConnection, ids: Vec<String>) -> Result<HashMap<String, i64>, StoreError> {
    let mut taken = HashMap::new();
    if ids.is_empty() {
        return Ok(taken);
    }
    for r in sqlx::query("SELECT national_id, id FROM citizen WHERE national_id = ANY($1)")
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?
    {
        taken.insert(r.get(0), r.get(1));
    }
    Ok(taken)
}

/// PostgreSQL: the new ids first, from the table's own sequence (as a plain INSERT would take
/// them), then the rows with their ids in one COPY, under a savepoint. Returns the ids in order,
/// or the rows back when one of their ID numbers is already on the register.
async fn copy_batch(
    conn: &mut sqlx::PgConnection,
    next_ids: &str,
    keep: Vec<Parsed>,
    province: &str,
    now: &str,
) -> Result<Inserted, StoreError> {
    sqlx::Executor::execute(&mut *conn, "SAVEPOINT citizen_batch").await?;
    let ids: Vec<i64> = sqlx::query_scalar(next_ids)
        .bind(keep.len() as i64)
        .fetch_one(&mut *conn)
        .await?;
    let mut copy = conn
        .copy_in_raw(&format!("COPY citizen (id, {INSERT_COLUMNS}) FROM STDIN"))
        .await?;
    let mut data = Vec::with_capacity(
        keep.iter()
            .map(|r| match &r.record {
                Record::Copy { line, .. } => line.len() + 21,
                Record::Sqlite(_) => 400,
            })
            .sum(),
    );
    for (id, r) in ids.iter().zip(&keep) {
        use std::io::Write;
        // Writing into a Vec<u8> cannot fail.
        let _ = write!(data, "{id}\t");
        match &r.record {
            Record::Copy { line, .. } => data.extend_from_slice(line),
            Record::Sqlite(p) => push_copy_row(&mut data, p, province, now),
        }
    }
    let sent = copy.send(data).await.map(|_| ());
    let sent = match sent {
        Ok(()) => copy.finish().await,
        Err(e) => {
            let _ = copy.abort("phongthu: lỗi khi gửi dữ liệu").await;
            Err(e)
        }
    };
    match sent {
        Ok(_) => {
            sqlx::Executor::execute(&mut *conn, "RELEASE SAVEPOINT citizen_batch").await?;
            Ok(Inserted::Ids(ids))
        }
        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            sqlx::Executor::execute(&mut *conn, "ROLLBACK TO SAVEPOINT citizen_batch").await?;
            Ok(Inserted::Taken(keep))
        }
        Err(e) => Err(e.into()),
    }
}

/// SQLite: batches sent to the connection's thread and not yet answered. The reading goes on
/// while the connection writes; at most this many batches wait there (memory stays bounded).
const SQLITE_IN_FLIGHT: usize = 2;

/// A batch on its way through the SQLite connection's thread ([`send_sqlite`]).
struct InFlight {
    answer: BoxFuture<'static, Result<SqliteBatch, StoreError>>,
    /// The rows sent, in order (kept here for the report of a refused one).
    rows: Vec<KeptRow>,
    /// Rows refused before the insert (bad cells, the same number twice in the batch).
    rejected: Vec<(SourceRow, Vec<RowError>)>,
}

/// What the SQLite connection did with a batch.
struct SqliteBatch {
    /// The new ids, in order.
    ids: Vec<i64>,
    /// The batch's records, back (to report the refused ones).
    // Boxed as they travel in `Record::Sqlite`: a refused one goes back there without moving.
    #[allow(clippy::vec_box)]
    records: Vec<Box<Prepared>>,
    /// Records refused by the unique index: (position in the batch, id of the record on the
    /// register with that number).
    refused: Vec<(usize, i64)>,
}

/// SQLite: sends a batch to the connection's thread without waiting for it. There, each record
/// is one INSERT; a number already on the register refuses that row alone (its statement is
/// undone, the transaction goes on), and only then is the number looked up, instead of probing
/// every number first (about a second per million rows). The batch's audit entry is written in
/// the same call. [`finish_sqlite`] takes the answer.
fn send_sqlite(raw: &RawSqlite, actor: &Actor, batch: &mut Batch, now: &str, source: &str, province: &str) -> InFlight {
    let mut rejected = std::mem::take(&mut batch.rejected);
    let valid = std::mem::take(&mut batch.valid);
    // Numbers twice in the batch; numbers on the register are found by the insert itself.
    let (keep, refused) = split_by_id(valid, &HashMap::new(), &Placed::default());
    rejected.extend(refused);
    let (rows, records): (Vec<KeptRow>, Vec<Box<Prepared>>) = keep
        .into_iter()
        .map(|r| {
            let p = match r.record {
                Record::Sqlite(p) => p,
                // The reading thread writes SQLite records for a SQLite import.
                Record::Copy { .. } => unreachable!("a COPY line in a SQLite import"),
            };
            (r.row, p)
        })
        .unzip();
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    let (actor, now, source, province) = (actor.clone(), now.to_string(), source.to_string(), province.to_string());
    let answer = raw.call(move |c| {
        let c: &rusqlite::Connection = c;
        let mut insert = c.prepare_cached(&insert_one_sql_sqlite())?;
        bind_shared_sqlite(&mut insert, &province, &now)?;
        let (mut ids, mut kept_lines) = (Vec::with_capacity(records.len()), Vec::with_capacity(records.len()));
        let mut refused = vec![];
        for (i, p) in records.iter().enumerate() {
            bind_record_sqlite(&mut insert, p)?;
            match insert.raw_execute() {
                Ok(_) => {
                    ids.push(c.last_insert_rowid());
                    kept_lines.push(lines[i]);
                }
                Err(e) if is_unique_violation(&e) => {
                    let existing: Option<i64> = match &p.national_id {
                        Some(nid) => c
                            .prepare_cached(TAKEN_ID_SQLITE)?
                            .query_row([nid], |r| r.get(0))
                            .optional()?,
                        None => None,
                    };
                    match existing {
                        Some(id) => refused.push((i, id)),
                        // Not the ID number (another unique rule): nothing is kept.
                        None => {
                            return Err(StoreError::Conflict(
                                "Số định danh cá nhân trùng với hồ sơ đã có.".into(),
                            ))
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let Some((entity_id, after)) = batch_audit(&source, &ids, &kept_lines) {
            let unit = records.first().map(|p| p.unit_id);
            audit_sqlite(c, &actor, "create", "citizen", &entity_id, unit, None, Some(&after))?;
        }
        Ok(SqliteBatch { ids, records, refused })
    });
    InFlight {
        answer: Box::pin(answer),
        rows,
        rejected,
    }
}

/// SQLite: waits for a batch sent by [`send_sqlite`] and records what it did. Batches are taken
/// in the order they were sent, so a number refused here is told apart from one earlier in the
/// file by the ids of the batches before it.
async fn finish_sqlite(run: &mut Run<'_>, batch: InFlight) -> Result<(), StoreError> {
    let InFlight {
        answer,
        rows,
        mut rejected,
    } = batch;
    let SqliteBatch { ids, records, refused } = answer.await?;
    let mut is_refused = vec![false; rows.len()];
    for (i, _) in &refused {
        is_refused[*i] = true;
    }
    let lines: Vec<u64> = rows
        .iter()
        .zip(&is_refused)
        .filter(|(_, refused)| !**refused)
        .map(|(r, _)| r.line)
        .collect();
    if !refused.is_empty() {
        let mut taken = HashMap::new();
        for (i, id) in &refused {
            if let Some(nid) = &records[*i].national_id {
                taken.insert(nid.clone(), *id);
            }
        }
        let back: Vec<Parsed> = rows
            .into_iter()
            .zip(records)
            .zip(is_refused)
            .filter(|(_, refused)| *refused)
            .map(|((row, prepared), _)| Parsed {
                row,
                record: Record::Sqlite(prepared),
            })
            .collect();
        rejected.extend(split_by_id(back, &taken, &run.placed).1);
    }
    // The audit entry was written with the batch.
    run.batch_done(rejected, &ids, &lines);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{check_grade, parse_iso};
    use super::*;
    use time::macros::date;

    #[test]
    fn placed_maps_new_ids_to_their_lines() {
        let mut p = Placed::default();
        // Line 4 refused inside the first batch; the second batch's ids jump (another session's).
        p.add(&[10, 11, 12, 13], &[2, 3, 5, 6]);
        p.add(&[14, 20], &[7, 8]);
        assert_eq!(p.runs, vec![(10, 2, 2), (12, 5, 3), (20, 8, 1)]);
        let lines: Vec<Option<u64>> = (9..=21).map(|id| p.line_of(id)).collect();
        assert_eq!(
            lines,
            [None, Some(2), Some(3), Some(5), Some(6), Some(7)]
                .into_iter()
                .chain([None; 5])
                .chain([Some(8), None])
                .collect::<Vec<_>>()
        );
        assert_eq!(Placed::default().line_of(1), None);
    }

    #[test]
    fn sex_and_yes_no_cells_in_any_spelling() {
        let nfd_nu = "Nu\u{0303}";
        for (v, sex) in [
            ("Nam", Some(Sex::Male)),
            ("nam", Some(Sex::Male)),
            ("NAM", Some(Sex::Male)),
            ("Male", Some(Sex::Male)),
            ("Nữ", Some(Sex::Female)),
            ("nữ", Some(Sex::Female)),
            ("Nu", Some(Sex::Female)),
            (nfd_nu, Some(Sex::Female)),
            ("female", Some(Sex::Female)),
            ("x", None),
        ] {
            assert_eq!(parse_sex(v), sex, "{v}");
        }
        for (v, b) in [
            ("Có", Some(true)),
            ("có", Some(true)),
            ("CO", Some(true)),
            ("x", Some(true)),
            ("1", Some(true)),
            ("Đảng viên", Some(true)),
            ("Không", Some(false)),
            ("không", Some(false)),
            ("0", Some(false)),
            ("Khong", Some(false)),
            ("Cỏ", Some(true)),
            ("Có lẽ", None),
        ] {
            assert_eq!(parse_bool(v), b, "{v}");
        }
    }

    #[test]
    fn consecutive_numbers_as_runs() {
        assert_eq!(runs([1, 2, 3, 5, 7, 8]), vec![[1, 3], [5, 5], [7, 8]]);
        assert_eq!(runs([4]), vec![[4, 4]]);
        assert!(runs([]).is_empty());
        // Not ascending: a new run each time (the audit lists what happened, in order).
        assert_eq!(runs([3, 2]), vec![[3, 3], [2, 2]]);
    }

    proptest::proptest! {
        #[test]
        fn a_kept_row_gives_back_its_cells(line in 1u64..1_000_000, cells in proptest::collection::vec(".*", 0..40)) {
            let row = SourceRow { line, cells };
            proptest::prop_assert_eq!(KeptRow::new(&row).unpack(), row);
        }
    }

    #[test]
    fn dates_in_both_forms() {
        assert_eq!(parse_date("05/03/2008").unwrap(), date!(2008 - 03 - 05));
        assert_eq!(parse_date("5/3/2008").unwrap(), date!(2008 - 03 - 05));
        assert_eq!(parse_date("2008-03-05").unwrap(), date!(2008 - 03 - 05));
        assert_eq!(parse_date("2008-03-05T00:00:00").unwrap(), date!(2008 - 03 - 05));
        assert_eq!(parse_date("05.03.2008").unwrap(), date!(2008 - 03 - 05));
        let e = parse_date("31/02/2008").unwrap_err();
        assert!(e.contains("không tồn tại"), "{e}");
        assert!(parse_date("13/13/2008").unwrap_err().contains("tháng 13"));
        assert!(parse_date("2008").unwrap_err().contains("không đúng dạng"));
        assert!(parse_date("05/03/08").is_err());
    }

    #[test]
    fn headers_fold_diacritics_case_and_punctuation() {
        let h: Vec<String> = [
            "HO VA TEN",
            "ngày sinh",
            "Giới Tính",
            "Số CCCD",
            "thôn, tổ dân phố",
            "Cột lạ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (m, ignored) = HeaderMap::resolve(&h).unwrap();
        assert_eq!(ignored, vec!["Cột lạ".to_string()]);
        let row = SourceRow {
            line: 2,
            cells: vec!["A".into(), "B".into(), "C".into(), "D".into(), "E".into()],
        };
        assert_eq!(m.cell(&row, CitizenField::NationalId), Some("D"));
        assert_eq!(m.cell(&row, CitizenField::PermanentVillage), Some("E"));
        let missing = HeaderMap::resolve(&["Họ và tên".to_string()])
            .err()
            .unwrap()
            .to_string();
        assert!(
            missing.contains("\"Ngày sinh\"") && missing.contains("\"Giới tính\""),
            "{missing}"
        );
        let twice = HeaderMap::resolve(&[
            "Họ và tên".into(),
            "Họ tên".into(),
            "Ngày sinh".into(),
            "Giới tính".into(),
        ])
        .err()
        .unwrap()
        .to_string();
        assert!(twice.contains("cột A") && twice.contains("cột B"), "{twice}");
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn row_errors_name_row_column_and_reason() {
        let h: Vec<String> = CITIZEN_COLUMNS.iter().map(|c| c.header.to_string()).collect();
        let (m, _) = HeaderMap::resolve(&h).unwrap();
        let mut cells = vec![String::new(); h.len()];
        cells[0] = "Nguyễn Văn Đức".into();
        cells[1] = "30/02/2008".into();
        cells[2] = "Nam giới?".into();
        cells[12] = "13/12".into();
        let errs = m
            .parse(&mut SourceRow { line: 7, cells }, 1, date!(2026 - 01 - 01))
            .unwrap_err();
        assert!(errs.iter().all(|e| e.row == 7));
        let cols: Vec<_> = errs.iter().filter_map(|e| e.column.clone()).collect();
        assert!(
            cols.contains(&"Ngày sinh".to_string()) && cols.contains(&"Giới tính".to_string()),
            "{cols:?}"
        );
        assert!(
            errs[0].to_string().starts_with("Dòng 7, cột \"Ngày sinh\""),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn export_row_reads_back() {
        let c = Citizen {
            id: 1,
            unit_id: 1,
            province_code: "33".into(),
            national_id: Some("033208001234".into()),
            legacy_id: None,
            full_name: "Nguyễn Văn Đức".into(),
            birth_date: date!(2008 - 03 - 05),
            sex: Sex::Male,
            ethnicity: Some("Kinh".into()),
            religion: None,
            birth_registration_place: None,
            permanent_commune_code: None,
            permanent_village: Some("Thôn Đông".into()),
            current_commune_code: None,
            current_village: None,
            education_grade: Some("12/12".into()),
            qualification: None,
            studying_level: Some(StudyLevel::University),
            studying_detail: None,
            occupation: Some("Sinh viên".into()),
            workplace: None,
            party_member: false,
            union_member: true,
            note: None,
            studying_full_time: None,
            studying_first_course: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let h: Vec<String> = CITIZEN_COLUMNS.iter().map(|c| c.header.to_string()).collect();
        let (m, _) = HeaderMap::resolve(&h).unwrap();
        let p = m
            .parse(
                &mut SourceRow {
                    line: 2,
                    cells: citizen_export_row(&c),
                },
                1,
                date!(2026 - 01 - 01),
            )
            .unwrap();
        assert_eq!(p.full_name, c.full_name);
        assert_eq!(p.birth_date, "2008-03-05");
        assert_eq!(p.studying_level, Some("university"));
        assert_eq!(p.union_member, 1);
        assert_eq!(p.party_member, 0);
        assert_eq!(p.education_grade.as_deref(), Some("12/12"));
        assert!(check_grade("12/12").is_ok());
        assert!(parse_iso("2008-03-05").is_some());
    }

    /// The two ways of counting possible duplicates after an import agree, on both backends,
    /// whichever part of the register is taken as "just imported".
    #[tokio::test]
    async fn duplicate_counts_by_probes_and_by_groups_agree() {
        let db = crate::testing::TestDb::new().await;
        let demo = db.store.seed_demo().await.unwrap();
        let system = db.store.system_actor().await.unwrap();
        let s = db.store.scoped(&system);
        let unit = demo.commune_command_ids[0];
        let code = s.org_unit(unit).await.unwrap().admin_code.unwrap();
        let headers: Vec<String> = ["Họ và tên", "Ngày sinh", "Giới tính", "Mã xã thường trú"]
            .map(String::from)
            .to_vec();
        let mut ranges = vec![];
        for (file, count) in [(0u32, 40u32), (1, 25)] {
            let code = code.clone();
            let rows: Vec<Result<SourceRow, String>> = (0..count)
                .map(|i| {
                    let k = file * 7 + i;
                    Ok(SourceRow {
                        line: u64::from(i) + 2,
                        cells: vec![
                            ["Lê Văn An", "Lê Văn Bình", "Trần Thị Hoà", "Phạm Đức"][k as usize % 4].to_string(),
                            format!("0{}/02/2003", 1 + k % 5),
                            if k % 4 == 2 { "Nữ" } else { "Nam" }.to_string(),
                            if k % 3 == 0 { String::new() } else { code.clone() },
                        ],
                    })
                })
                .collect();
            let opts = ImportOptions {
                unit_id: unit,
                mode: ImportMode::AllOrNothing,
                source_name: format!("tep-{file}.csv"),
            };
            let r = s.import_citizens(&headers, rows, &opts, &mut ()).await.unwrap();
            assert!(r.committed, "{}", r.summary_vi());
            let mut w = s.begin_write(Permission::Write).await.unwrap();
            let (lo, hi): (i64, i64) = {
                let row = sqlx::query("SELECT min(id), max(id) FROM citizen WHERE id > $1")
                    .bind(ranges.last().map_or(0, |(_, hi)| *hi))
                    .fetch_one(&mut *w.tx)
                    .await
                    .unwrap();
                (row.get(0), row.get(1))
            };
            assert_eq!(hi - lo + 1, i64::from(count));
            assert_eq!(
                r.possible_duplicates,
                count_possible_duplicates(&mut w, lo, hi).await.unwrap()
            );
            ranges.push((lo, hi));
        }
        let (first, last) = (ranges[0].0, ranges[1].1);
        ranges.extend([(first, last), (first, first), (last, last), (first + 3, last - 3)]);
        let mut w = s.begin_write(Permission::Write).await.unwrap();
        let mut seen = vec![];
        for (lo, hi) in ranges {
            let mut counts = vec![];
            for sql in [POSSIBLE_DUPLICATES_BY_PROBES, POSSIBLE_DUPLICATES_BY_GROUPS] {
                let row = sqlx::query(sql).bind(lo).bind(hi).fetch_one(&mut *w.tx).await.unwrap();
                counts.push(row.get::<i64, _>(0));
            }
            let (probes, groups) = (counts[0], counts[1]);
            assert_eq!(probes, groups, "ids {lo}..={hi}");
            seen.push(probes);
        }
        // Not a vacuous agreement: some ranges have duplicates, and not every record is one.
        assert!(seen.iter().any(|n| *n > 0), "{seen:?}");
        assert!(seen[2] < (last - first + 1), "{seen:?}");
    }
}
