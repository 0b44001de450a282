//! The document register (law brief §7): incoming and outgoing documents with the
//! elements of ND 30/2020/NĐ-CP, attachments stored by content hash, diacritic-insensitive ranked
//! search; and the tasks a reviewed directive assigns, with progress reports and a roll-up for the
//! issuing unit ([`tasks`]).
//!
//! Numbering. Incoming numbers (số đến) run per registering unit and calendar year of receipt.
//! Outgoing State documents are numbered per unit and calendar year, secret documents in their own
//! series (ND 30/2020 Art. 15); outgoing Party documents per unit, type and committee term, secret
//! documents in the same series (HD 36-HD/VPTW). A number is the highest of its series plus one,
//! taken inside the write transaction: [`Scoped::begin_write`] locks the audit head first, so
//! writers are serialised on both backends and numbers have neither gaps nor duplicates, also
//! under concurrent requests; partial unique indexes back this up.
//!
//! Scope: a document belongs to the unit that registered it (`unit_id IN (SCOPE_UNITS)`); a task
//! to its lead unit.

mod followup;
mod matching;
mod tasks;

pub use matching::{suggest_unit, suggest_units};
pub use tasks::{
    due_date_of, CopyReport, MeasuredIndicator, NewReport, ReportAttachment, ReviewedTask, Rollup, RollupRow, Task,
    TaskEdit, TaskIndicator, TaskReport, TaskStatus, REPORT_ATTACHMENTS_TOTAL_MAX_BYTES, REPORT_ATTACHMENT_MAX_BYTES,
};

pub(crate) use crate::dates::{iso, parse_iso, ser_opt_date, vi_date};
use crate::error::StoreError;
use crate::scope::{Scoped, WriteTx, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::directive::{DocumentKind, DocumentNumber, NumberFamily, Topic};
use phongthu_domain::text;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::Date;

/// Incoming (văn bản đến) or outgoing (văn bản đi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Incoming, Direction::Outgoing]
            .into_iter()
            .find(|d| d.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Direction::Incoming => "Văn bản đến",
            Direction::Outgoing => "Văn bản đi",
        }
    }
}

/// Secrecy mark (độ mật).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Secrecy {
    #[default]
    None,
    Mat,
    ToiMat,
    TuyetMat,
}

impl Secrecy {
    pub const ALL: [Secrecy; 4] = [Secrecy::None, Secrecy::Mat, Secrecy::ToiMat, Secrecy::TuyetMat];

    pub fn as_str(self) -> &'static str {
        match self {
            Secrecy::None => "none",
            Secrecy::Mat => "mat",
            Secrecy::ToiMat => "toi_mat",
            Secrecy::TuyetMat => "tuyet_mat",
        }
    }

    pub fn parse(s: &str) -> Option<Secrecy> {
        Secrecy::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Secrecy::None => "Thường",
            Secrecy::Mat => "Mật",
            Secrecy::ToiMat => "Tối mật",
            Secrecy::TuyetMat => "Tuyệt mật",
        }
    }
}

/// Urgency mark (độ khẩn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    None,
    Khan,
    ThuongKhan,
    HoaToc,
}

impl Urgency {
    pub const ALL: [Urgency; 4] = [Urgency::None, Urgency::Khan, Urgency::ThuongKhan, Urgency::HoaToc];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::None => "none",
            Urgency::Khan => "khan",
            Urgency::ThuongKhan => "thuong_khan",
            Urgency::HoaToc => "hoa_toc",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Urgency::None => "Thường",
            Urgency::Khan => "Khẩn",
            Urgency::ThuongKhan => "Thượng khẩn",
            Urgency::HoaToc => "Hỏa tốc",
        }
    }
}

/// The authority prefix of a signature (law brief §7): on behalf of a collective (T/M), signing
/// for the head (KT.), by order (TL.), by authorisation (TUQ.), acting head (Q.), or none when
/// the head signs in their own right. The brief marks TL. and TUQ. as UNCONFIRMED in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum Authority {
    #[default]
    None,
    OnBehalf,
    ForHead,
    ByOrder,
    Authorised,
    Acting,
}

impl Authority {
    pub const ALL: [Authority; 6] = [
        Authority::None,
        Authority::OnBehalf,
        Authority::ForHead,
        Authority::ByOrder,
        Authority::Authorised,
        Authority::Acting,
    ];

    /// As printed: "T/M", "KT.", "TL.", "TUQ.", "Q.", or "".
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::None => "",
            Authority::OnBehalf => "T/M",
            Authority::ForHead => "KT.",
            Authority::ByOrder => "TL.",
            Authority::Authorised => "TUQ.",
            Authority::Acting => "Q.",
        }
    }

    pub fn parse(s: &str) -> Option<Authority> {
        Authority::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// The prefix a signature title starts with ("T/M Ban Thường vụ", "TM. Ủy ban", "KT. Chủ
    /// tịch"), and the rest of the title.
    pub fn split_title(title: &str) -> (Authority, String) {
        let t = title.trim();
        let upper = t.to_uppercase();
        const PREFIXES: &[(&str, Authority)] = &[
            ("T/M", Authority::OnBehalf),
            ("TM.", Authority::OnBehalf),
            ("TM ", Authority::OnBehalf),
            ("KT.", Authority::ForHead),
            ("KT ", Authority::ForHead),
            ("TUQ.", Authority::Authorised),
            ("TL.", Authority::ByOrder),
            ("Q.", Authority::Acting),
        ];
        for (p, a) in PREFIXES {
            if upper.starts_with(p) {
                return (*a, t.get(p.len()..).unwrap_or(t).trim().to_string());
            }
        }
        (Authority::None, t.to_string())
    }
}

/// The state of a document's follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Registered; no tasks assigned.
    Registered,
    /// Tasks assigned, some still open.
    Assigned,
    /// Every task done or cancelled.
    Done,
}

impl DocumentStatus {
    pub const ALL: [DocumentStatus; 3] = [
        DocumentStatus::Registered,
        DocumentStatus::Assigned,
        DocumentStatus::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Registered => "registered",
            DocumentStatus::Assigned => "assigned",
            DocumentStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentStatus> {
        DocumentStatus::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            DocumentStatus::Registered => "Chưa giao nhiệm vụ",
            DocumentStatus::Assigned => "Đang thực hiện",
            DocumentStatus::Done => "Đã hoàn thành",
        }
    }
}

/// A file to attach.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// The elements of a document to register (ND 30/2020 Art. 8). For an incoming document
/// `number_symbol` is the number printed on it; for an outgoing one it is allocated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewDocument {
    /// The registering unit (in the actor's scope).
    pub unit_id: i64,
    pub kind: Option<DocumentKind>,
    pub number_symbol: Option<String>,
    pub issuer: Option<String>,
    pub place: Option<String>,
    pub issued_on: Option<Date>,
    pub title: String,
    pub signer_name: Option<String>,
    pub signer_title: Option<String>,
    pub authority: Authority,
    pub recipients: Vec<String>,
    pub secrecy: Secrecy,
    pub urgency: Urgency,
    pub topics: Vec<Topic>,
    pub cited: Vec<String>,
    pub body_text: Option<String>,
    pub attachments: Vec<NewAttachment>,
}

/// How an outgoing document is numbered.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingNumbering {
    pub family: NumberFamily,
    /// The type abbreviation ("KH", "TB", "NQ"); `None` for a State công văn.
    pub type_code: Option<String>,
    /// The issuer abbreviation ("BCH", "ĐU", "UBND-VP").
    pub issuer_code: String,
    /// Party documents: the committee term, "2025-2030".
    pub term: Option<String>,
}

/// A registered document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub id: i64,
    pub unit_id: i64,
    pub province_code: String,
    pub direction: Direction,
    pub kind: DocumentKind,
    pub number_symbol: Option<String>,
    pub number: Option<i64>,
    pub family: Option<NumberFamily>,
    pub type_code: Option<String>,
    pub year: Option<i64>,
    pub issuer: Option<String>,
    pub place: Option<String>,
    #[serde(serialize_with = "ser_opt_date")]
    pub issued_on: Option<Date>,
    pub title: String,
    pub signer_name: Option<String>,
    pub signer_title: Option<String>,
    pub authority: Authority,
    pub recipients: Vec<String>,
    pub secrecy: Secrecy,
    pub urgency: Urgency,
    pub topics: Vec<Topic>,
    pub cited: Vec<String>,
    /// Loaded by [`Scoped::document`] only; `None` in lists.
    pub body_text: Option<String>,
    pub series: String,
    pub period: String,
    pub incoming_number: Option<i64>,
    #[serde(serialize_with = "ser_opt_date")]
    pub received_on: Option<Date>,
    pub status: DocumentStatus,
    pub created_at: String,
}

/// An attachment without its content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub document_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
}

/// Filters and paging of a search; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentSearch {
    /// Words in any spelling, or a number/symbol or its beginning ("677/TB", "52-nq").
    pub query: Option<String>,
    pub kind: Option<DocumentKind>,
    /// Part of the issuer's name, in any spelling.
    pub issuer: Option<String>,
    pub year: Option<i32>,
    pub topic: Option<Topic>,
    pub status: Option<DocumentStatus>,
    pub direction: Option<Direction>,
    pub offset: i64,
    /// 0 means 50.
    pub limit: i64,
    /// Counting stops above this many hits; 0 means [`SEARCH_COUNT_CAP`] (tests set a small cap
    /// to check that the page cut above it is the full ranking's).
    pub count_cap: i64,
}

/// How a hit matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRank {
    Number,
    TitlePrefix,
    TitleContains,
    Body,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentHit {
    pub document: Document,
    pub rank: MatchRank,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentResults {
    /// The number of hits; when `capped`, counting stopped there ([`SEARCH_COUNT_CAP`]) and there
    /// are more.
    pub total: i64,
    pub capped: bool,
    pub hits: Vec<DocumentHit>,
}

/// A search counts its hits up to this many; above it the page says "hơn 1.000" (under
/// 50 ms at 100,000 documents, also for a query that finds most of them).
pub const SEARCH_COUNT_CAP: i64 = 1000;

/// The longest task text kept: a whole duty as the reader finds it (every sentence and sub-item
/// of a plan's section, across page breaks) fits; a bound only against a runaway paste.
pub const TASK_TEXT_MAX_CHARS: usize = 20_000;

/// The refusal of a task text longer than [`TASK_TEXT_MAX_CHARS`].
pub(crate) fn task_text_too_long(prefix: &str) -> StoreError {
    StoreError::Invalid(format!(
        "{prefix}nội dung nhiệm vụ dài quá {} ký tự.",
        phongthu_domain::dates::vi_int(TASK_TEXT_MAX_CHARS as i64)
    ))
}

/// Above the count's cap, a rank with at most this many documents is read through the index of
/// words and sorted; one with more by walking the index of dates (at 100,000 documents such a rank
/// holds at least one in 400: the walk meets the first 50 after some 20,000 entries at worst
/// when they are spread evenly; see docs/PERFORMANCE.md).
const RANK_SORT_MAX: i64 = 250;

/// The SQL of a search: `cond` (scope, filters and the text match), `rank` (0–3, see
/// [`MatchRank`]) and, when the query has words, the condition of each rank (`tiers`).
struct SearchPlan {
    args: Vec<Arg>,
    cond: String,
    /// The same documents as `cond` as a FROM and a WHERE that let SQLite stop reading the
    /// full-text index after the cap (`document d`, `cond` elsewhere).
    count_from: String,
    count_cond: String,
    rank: String,
    tiers: Option<[String; 4]>,
}

/// Today in Vietnam (UTC+7): the store's and the web forms' "today".
pub fn today_vn() -> Date {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(7)).date()
}

/// Trimmed, single-spaced, NFC with one tone-mark style; empty as `None`.
pub(crate) fn clean(s: Option<&str>) -> Option<String> {
    s.map(|v| text::normalize(&text::squash_spaces(v)))
        .filter(|v| !v.is_empty())
}

fn topic_codes(topics: &[Topic]) -> String {
    if topics.is_empty() {
        return String::new();
    }
    let mut s = String::from(",");
    for t in topics {
        s.push_str(t.as_str());
        s.push(',');
    }
    s
}

/// Keeps only the characters that search keys hold; `%`, `_` and `\` would be LIKE wildcards.
fn like_safe(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect()
}

const COLUMNS: &str = "d.id, d.unit_id, d.province_code, d.direction, d.kind, d.number_symbol, d.number, d.family, \
     d.type_code, d.year, d.issuer, d.place, d.issued_on, d.title, d.signer_name, d.signer_title, d.authority, \
     d.recipients, d.secrecy, d.urgency, d.topics, d.cited, d.series, d.period, d.incoming_number, d.received_on, \
     d.status, d.created_at";

fn document_row(r: &AnyRow, body: Option<String>) -> Document {
    let lines = |s: Option<String>| -> Vec<String> {
        s.unwrap_or_default()
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    };
    Document {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        province_code: r.get("province_code"),
        direction: Direction::parse(&r.get::<String, _>("direction")).unwrap_or(Direction::Incoming),
        kind: DocumentKind::parse(&r.get::<String, _>("kind")).unwrap_or(DocumentKind::Other),
        number_symbol: r.get("number_symbol"),
        number: r.get("number"),
        family: r.get::<Option<String>, _>("family").and_then(|f| match f.as_str() {
            "state" => Some(NumberFamily::State),
            "party" => Some(NumberFamily::Party),
            _ => None,
        }),
        type_code: r.get("type_code"),
        year: r.get("year"),
        issuer: r.get("issuer"),
        place: r.get("place"),
        issued_on: r.get::<Option<String>, _>("issued_on").as_deref().and_then(parse_iso),
        title: r.get("title"),
        signer_name: r.get("signer_name"),
        signer_title: r.get("signer_title"),
        authority: Authority::parse(&r.get::<String, _>("authority")).unwrap_or_default(),
        recipients: lines(r.get("recipients")),
        secrecy: Secrecy::parse(&r.get::<String, _>("secrecy")).unwrap_or_default(),
        urgency: Urgency::parse(&r.get::<String, _>("urgency")).unwrap_or_default(),
        topics: r
            .get::<String, _>("topics")
            .split(',')
            .filter_map(Topic::parse)
            .collect(),
        cited: lines(r.get("cited")),
        body_text: body,
        series: r.get("series"),
        period: r.get("period"),
        incoming_number: r.get("incoming_number"),
        received_on: r.get::<Option<String>, _>("received_on").as_deref().and_then(parse_iso),
        status: DocumentStatus::parse(&r.get::<String, _>("status")).unwrap_or(DocumentStatus::Registered),
        created_at: r.get("created_at"),
    }
}

fn family_str(f: NumberFamily) -> &'static str {
    match f {
        NumberFamily::State => "state",
        NumberFamily::Party => "party",
    }
}

/// A validated document ready to insert.
struct Prepared {
    kind: DocumentKind,
    number_symbol: Option<String>,
    number: Option<i64>,
    family: Option<NumberFamily>,
    type_code: Option<String>,
    year: Option<i64>,
    issuer: Option<String>,
    place: Option<String>,
    issued_on: Option<Date>,
    title: String,
    signer_name: Option<String>,
    signer_title: Option<String>,
    recipients: Vec<String>,
    cited: Vec<String>,
    body_text: Option<String>,
}

fn prepare(n: &NewDocument) -> Result<Prepared, StoreError> {
    let title = clean(Some(&n.title))
        .ok_or_else(|| StoreError::Invalid("Trích yếu (tên) văn bản không được để trống.".into()))?;
    if title.chars().count() > 1000 {
        return Err(StoreError::Invalid("Trích yếu văn bản dài quá 1000 ký tự.".into()));
    }
    if let Some(d) = n.issued_on {
        if !(1945..=2100).contains(&d.year()) {
            return Err(StoreError::Invalid(format!(
                "Ngày ban hành {} không hợp lý.",
                vi_date(d)
            )));
        }
        if d > today_vn() + time::Duration::days(1) {
            return Err(StoreError::Invalid(format!(
                "Ngày ban hành {} ở tương lai.",
                vi_date(d)
            )));
        }
    }
    let number = match clean(n.number_symbol.as_deref()) {
        None => None,
        Some(s) => Some(
            DocumentNumber::parse(&s).map_err(|e| StoreError::Invalid(format!("{}.", capitalise(&e.to_string()))))?,
        ),
    };
    let kind = n
        .kind
        .or_else(|| number.as_ref().and_then(DocumentNumber::kind))
        .unwrap_or(DocumentKind::Other);
    let clean_list = |v: &[String]| -> Vec<String> { v.iter().filter_map(|s| clean(Some(s))).collect() };
    let body_text = n
        .body_text
        .as_deref()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    Ok(Prepared {
        kind,
        number_symbol: number.as_ref().map(DocumentNumber::normalized),
        number: number.as_ref().and_then(|x| x.number.parse::<i64>().ok()),
        family: number.as_ref().map(|x| x.family),
        type_code: number.as_ref().and_then(|x| x.type_code().map(str::to_string)),
        year: n
            .issued_on
            .map(|d| i64::from(d.year()))
            .or_else(|| number.as_ref().and_then(|x| x.year.map(i64::from))),
        issuer: clean(n.issuer.as_deref()),
        place: clean(n.place.as_deref()),
        issued_on: n.issued_on,
        title,
        signer_name: clean(n.signer_name.as_deref()),
        signer_title: clean(n.signer_title.as_deref()),
        recipients: clean_list(&n.recipients),
        cited: clean_list(&n.cited),
        body_text,
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The folded text a search reads: number, title, issuer, signer, body, cited numbers (the
/// wording of the tasks follows, see [`WriteTx::reindex_document`]).
fn search_text(p: &Prepared) -> String {
    search_text_of(
        p.number_symbol.as_deref(),
        &p.title,
        p.issuer.as_deref(),
        p.signer_name.as_deref(),
        p.body_text.as_deref(),
        &p.cited,
    )
}

fn search_text_of(
    number_symbol: Option<&str>,
    title: &str,
    issuer: Option<&str>,
    signer_name: Option<&str>,
    body_text: Option<&str>,
    cited: &[String],
) -> String {
    let mut s = String::new();
    for part in [number_symbol, Some(title), issuer, signer_name, body_text]
        .into_iter()
        .flatten()
    {
        s.push_str(part);
        s.push(' ');
    }
    for c in cited {
        s.push_str(c);
        s.push(' ');
    }
    text::fold(&s)
}

/// "2025-2030": two years, the second later than the first.
fn check_term(term: &str) -> Result<String, StoreError> {
    let t: String = term
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace(['–', '—'], "-");
    let bad = || StoreError::Invalid(format!("Nhiệm kỳ \"{term}\" không hợp lệ: ghi dạng 2025-2030."));
    let (a, b) = t.split_once('-').ok_or_else(bad)?;
    let (a, b): (i32, i32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if !(1930..=2100).contains(&a) || b <= a || b - a > 10 {
        return Err(bad());
    }
    Ok(format!("{a}-{b}"))
}

fn check_code(code: &str, what: &str) -> Result<String, StoreError> {
    let c = code.trim().replace('Ð', "Đ");
    let ok = c.chars().next().is_some_and(|f| f.is_uppercase())
        && c.chars().all(|ch| ch.is_alphanumeric() || ch == '-')
        && !c.ends_with('-')
        && c.chars().count() <= 30;
    if ok {
        Ok(c)
    } else {
        Err(StoreError::Invalid(format!(
            "{what} \"{}\" không hợp lệ: chỉ gồm chữ in hoa, chữ số và dấu gạch nối, ví dụ KH hoặc BCH.",
            code.trim()
        )))
    }
}

/// The number and symbol of an outgoing document: "05/KH-BCH", "12/BCH-TM" (công văn),
/// "03-NQ/ĐU" (Party). Numbers below 10 take a leading zero (ND 30/2020 Phụ lục I).
pub fn format_number_symbol(number: i64, numbering: &OutgoingNumbering) -> Result<String, StoreError> {
    let issuer = check_code(&numbering.issuer_code, "Ký hiệu cơ quan ban hành")?;
    let type_code = numbering
        .type_code
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| check_code(t, "Ký hiệu loại văn bản"))
        .transpose()?;
    let s = match (numbering.family, type_code) {
        (NumberFamily::State, Some(t)) => format!("{number:02}/{t}-{issuer}"),
        (NumberFamily::State, None) if issuer.contains('-') => format!("{number:02}/{issuer}"),
        (NumberFamily::State, None) => {
            return Err(StoreError::Invalid(format!(
                "Công văn ghi ký hiệu dạng CƠ QUAN-ĐƠN VỊ SOẠN THẢO (ví dụ {issuer}-TM), không phải \"{issuer}\"."
            )))
        }
        (NumberFamily::Party, Some(t)) => format!("{number:02}-{t}/{issuer}"),
        (NumberFamily::Party, None) => {
            return Err(StoreError::Invalid(
                "Văn bản của Đảng phải có ký hiệu loại văn bản (ví dụ NQ, CT, KH).".into(),
            ))
        }
    };
    DocumentNumber::parse(&s).map(|n| n.normalized()).map_err(|_| {
        StoreError::Invalid(format!(
            "Số, ký hiệu \"{s}\" không đúng thể thức; kiểm tra lại các ký hiệu."
        ))
    })
}

/// Where a document goes in the register.
struct Placement<'a> {
    direction: Direction,
    series: &'a str,
    period: &'a str,
    incoming_number: Option<i64>,
    received_on: Option<Date>,
}

/// A document's search text as its stored fields and the wording of its tasks that are not
/// cancelled give it (see [`WriteTx::reindex_document`]).
async fn stored_search_text(conn: &mut sqlx::AnyConnection, document_id: i64) -> Result<String, StoreError> {
    let r =
        sqlx::query("SELECT number_symbol, title, issuer, signer_name, body_text, cited FROM document WHERE id = $1")
            .bind(document_id)
            .fetch_one(&mut *conn)
            .await?;
    let cited: Vec<String> = r
        .get::<String, _>(5)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut folded = search_text_of(
        r.get::<Option<String>, _>(0).as_deref(),
        &r.get::<String, _>(1),
        r.get::<Option<String>, _>(2).as_deref(),
        r.get::<Option<String>, _>(3).as_deref(),
        r.get::<Option<String>, _>(4).as_deref(),
        &cited,
    );
    let tasks = sqlx::query("SELECT summary FROM task WHERE document_id = $1 AND status <> 'cancelled' ORDER BY id")
        .bind(document_id)
        .fetch_all(&mut *conn)
        .await?;
    for t in &tasks {
        folded.push(' ');
        folded.push_str(&text::fold(&t.get::<String, _>(0)));
    }
    Ok(folded)
}

/// One-time step of migration 14 (`0014_search_text`): rewrites the search text of every
/// document from its fields and its tasks, as [`WriteTx::reindex_document`] does on every task
/// change since migration 9. Documents whose tasks were edited or cancelled before then kept the
/// old wording in the index until their next task change. Runs in the migration's transaction,
/// so the schema version records it and it never runs twice; only rows whose text differs are
/// written (the full-text indexes follow, see `reindex_document`). Returns how many changed.
pub(crate) async fn rebuild_search_texts(conn: &mut sqlx::AnyConnection) -> Result<u64, StoreError> {
    let mut changed = 0;
    let mut last = 0i64;
    loop {
        let batch: Vec<(i64, String)> =
            sqlx::query("SELECT id, search_folded FROM document WHERE id > $1 ORDER BY id LIMIT 500")
                .bind(last)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
        let Some((end, _)) = batch.last() else {
            return Ok(changed);
        };
        last = *end;
        for (id, old) in batch {
            let new = stored_search_text(conn, id).await?;
            if new != old {
                sqlx::query("UPDATE document SET search_folded = $1 WHERE id = $2")
                    .bind(new)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                changed += 1;
            }
        }
    }
}

impl WriteTx<'_> {
    /// Rewrites a document's search text from its stored fields and the wording of its tasks
    /// that are not cancelled, inside the caller's transaction: the full-text index follows
    /// (FTS5 triggers on SQLite, the generated `tsvector` on PostgreSQL), so a task's old wording
    /// is no longer found after an edit, nor a cancelled task's.
    pub(crate) async fn reindex_document(&mut self, document_id: i64) -> Result<(), StoreError> {
        let folded = stored_search_text(&mut self.tx, document_id).await?;
        sqlx::query("UPDATE document SET search_folded = $1 WHERE id = $2")
            .bind(folded)
            .bind(document_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_document(
        &mut self,
        n: &NewDocument,
        p: &Prepared,
        province: &str,
        at: &Placement<'_>,
    ) -> Result<i64, StoreError> {
        let now = crate::now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO document (unit_id, province_code, direction, kind, number_symbol, number, family, type_code, year, \
             issuer, place, issued_on, title, signer_name, signer_title, authority, recipients, secrecy, urgency, topics, cited, \
             body_text, series, period, incoming_number, received_on, status, number_folded, title_folded, search_folded, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, $24, $25, $26, 'registered', $27, $28, $29, $30, $31) RETURNING id",
        )
        .bind(n.unit_id)
        .bind(province.to_string())
        .bind(at.direction.as_str())
        .bind(p.kind.as_str())
        .bind(p.number_symbol.clone())
        .bind(p.number)
        .bind(p.family.map(family_str))
        .bind(p.type_code.clone())
        .bind(p.year)
        .bind(p.issuer.clone())
        .bind(p.place.clone())
        .bind(p.issued_on.map(iso))
        .bind(p.title.clone())
        .bind(p.signer_name.clone())
        .bind(p.signer_title.clone())
        .bind(n.authority.as_str())
        .bind(p.recipients.join("\n"))
        .bind(n.secrecy.as_str())
        .bind(n.urgency.as_str())
        .bind(topic_codes(&n.topics))
        .bind(p.cited.join("\n"))
        .bind(p.body_text.clone())
        .bind(at.series.to_string())
        .bind(at.period.to_string())
        .bind(at.incoming_number)
        .bind(at.received_on.map(iso))
        .bind(p.number_symbol.as_deref().map(text::fold).unwrap_or_default())
        .bind(text::fold(&p.title))
        .bind(search_text(p))
        .bind(self.actor.user_id)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, "Số văn bản này vừa được cấp cho văn bản khác; hãy thử lại."))?
        .get(0);
        let mut seen = std::collections::HashSet::new();
        for a in &n.attachments {
            let sha = hex::encode(Sha256::digest(&a.content));
            if !seen.insert(sha.clone()) {
                continue; // the same content once per document
            }
            sqlx::query(
                "INSERT INTO document_attachment (document_id, province_code, file_name, sha256, size, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(province.to_string())
            .bind(a.file_name.clone())
            .bind(sha)
            .bind(a.content.len() as i64)
            .bind(a.content.clone())
            .bind(crate::now_text())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(id)
    }
}

fn check_attachments(atts: &[NewAttachment]) -> Result<(), StoreError> {
    for a in atts {
        if a.file_name.trim().is_empty() || a.file_name.contains(['/', '\\']) {
            return Err(StoreError::Invalid(format!(
                "Tên tệp đính kèm \"{}\" không hợp lệ.",
                a.file_name
            )));
        }
        if a.content.is_empty() {
            return Err(StoreError::Invalid(format!("Tệp đính kèm \"{}\" rỗng.", a.file_name)));
        }
    }
    Ok(())
}

impl Scoped<'_> {
    /// The province code recorded with a unit's rows ("" for national-level units).
    pub(crate) async fn unit_province(&self, unit_id: i64) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT province_code FROM org_unit WHERE id = $1")
            .bind(unit_id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy đơn vị số {unit_id}.")))?;
        self.ensure_unit_in_scope(unit_id).await?;
        Ok(row.get::<Option<String>, _>(0).unwrap_or_default())
    }

    /// Registers an incoming document received on `received_on` and gives it the next incoming
    /// number of the unit for that calendar year.
    pub async fn register_incoming(&self, n: NewDocument, received_on: Date) -> Result<Document, StoreError> {
        self.require(Permission::Write)?;
        let p = prepare(&n)?;
        check_attachments(&n.attachments)?;
        if received_on > today_vn() + time::Duration::days(1) {
            return Err(StoreError::Invalid(format!(
                "Ngày đến {} ở tương lai.",
                vi_date(received_on)
            )));
        }
        if let Some(d) = p.issued_on {
            if d > received_on {
                return Err(StoreError::Invalid(format!(
                    "Ngày ban hành {} sau ngày đến {}.",
                    vi_date(d),
                    vi_date(received_on)
                )));
            }
        }
        let province = self.unit_province(n.unit_id).await?;
        let period = received_on.year().to_string();
        let mut w = self.begin_write(Permission::Write).await?;
        let next: i64 = sqlx::query(
            "SELECT COALESCE(MAX(incoming_number), 0) + 1 FROM document \
             WHERE unit_id = $1 AND direction = 'incoming' AND period = $2",
        )
        .bind(n.unit_id)
        .bind(&period)
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        let id = w
            .insert_document(
                &n,
                &p,
                &province,
                &Placement {
                    direction: Direction::Incoming,
                    series: "incoming",
                    period: &period,
                    incoming_number: Some(next),
                    received_on: Some(received_on),
                },
            )
            .await?;
        self.finish_register(w, id, n.unit_id).await
    }

    /// Registers an outgoing document and gives it the next number of its series (State: per
    /// unit and year, secret documents apart; Party: per unit, type and term).
    pub async fn register_outgoing(
        &self,
        mut n: NewDocument,
        numbering: OutgoingNumbering,
    ) -> Result<Document, StoreError> {
        self.require(Permission::Write)?;
        let issued_on = n.issued_on.unwrap_or_else(today_vn);
        n.issued_on = Some(issued_on);
        // Checked with a placeholder number; the real one is taken inside the transaction.
        format_number_symbol(1, &numbering)?;
        n.number_symbol = None;
        let mut p = prepare(&n)?;
        check_attachments(&n.attachments)?;
        let type_code = numbering.type_code.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let (series, period) = match numbering.family {
            NumberFamily::State => (
                if n.secrecy == Secrecy::None {
                    "state".to_string()
                } else {
                    "state_secret".to_string()
                },
                issued_on.year().to_string(),
            ),
            NumberFamily::Party => {
                let term = numbering.term.as_deref().ok_or_else(|| {
                    StoreError::Invalid(
                        "Văn bản của Đảng được đánh số theo nhiệm kỳ: hãy ghi nhiệm kỳ (ví dụ 2025-2030).".into(),
                    )
                })?;
                (format!("party:{}", type_code.unwrap_or_default()), check_term(term)?)
            }
        };
        if n.kind.is_none() {
            p.kind = type_code
                .and_then(DocumentKind::from_type_code)
                .unwrap_or(if type_code.is_none() {
                    DocumentKind::CongVan
                } else {
                    DocumentKind::Other
                });
        }
        let province = self.unit_province(n.unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        let next: i64 = sqlx::query(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM document \
             WHERE unit_id = $1 AND direction = 'outgoing' AND series = $2 AND period = $3",
        )
        .bind(n.unit_id)
        .bind(&series)
        .bind(&period)
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        let ns = format_number_symbol(next, &numbering)?;
        p.number_symbol = Some(ns.clone());
        p.number = Some(next);
        p.family = Some(numbering.family);
        p.type_code = type_code.map(str::to_string);
        p.year = Some(i64::from(issued_on.year()));
        let id = w
            .insert_document(
                &n,
                &p,
                &province,
                &Placement {
                    direction: Direction::Outgoing,
                    series: &series,
                    period: &period,
                    incoming_number: None,
                    received_on: None,
                },
            )
            .await?;
        self.finish_register(w, id, n.unit_id).await
    }

    async fn finish_register(&self, mut w: WriteTx<'_>, id: i64, unit_id: i64) -> Result<Document, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM document d WHERE d.id = $1"))
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        let doc = document_row(&row, None);
        let atts: Vec<(String, String)> =
            sqlx::query("SELECT file_name, sha256 FROM document_attachment WHERE document_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut *w.tx)
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
        let mut after = serde_json::to_value(&doc).unwrap_or_default();
        after["attachments"] = serde_json::json!(atts);
        w.audit(
            "register",
            "document",
            &id.to_string(),
            Some(unit_id),
            None,
            Some(&after),
        )
        .await?;
        w.commit().await?;
        Ok(doc)
    }

    /// One document in scope, with its text; NotFound otherwise (a document outside the scope is
    /// not revealed).
    pub async fn document(&self, id: i64) -> Result<Document, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, d.body_text FROM document d WHERE d.unit_id IN ({SCOPE_UNITS}) AND d.id = $2"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("Không tìm thấy văn bản số {id} trong phạm vi quản lý của bạn."))
        })?;
        let body: Option<String> = row.get("body_text");
        Ok(document_row(&row, body))
    }

    /// The attachments of a document in scope.
    pub async fn attachments(&self, document_id: i64) -> Result<Vec<Attachment>, StoreError> {
        self.document(document_id).await?;
        let rows = sqlx::query(
            "SELECT id, document_id, file_name, sha256, size FROM document_attachment WHERE document_id = $1 ORDER BY id",
        )
        .bind(document_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Attachment {
                id: r.get(0),
                document_id: r.get(1),
                file_name: r.get(2),
                sha256: r.get(3),
                size: r.get(4),
            })
            .collect())
    }

    /// One attachment of a document in scope, with its content.
    pub async fn attachment_content(
        &self,
        document_id: i64,
        attachment_id: i64,
    ) -> Result<(Attachment, Vec<u8>), StoreError> {
        self.document(document_id).await?;
        let r = sqlx::query(
            "SELECT id, document_id, file_name, sha256, size, content FROM document_attachment \
             WHERE document_id = $1 AND id = $2",
        )
        .bind(document_id)
        .bind(attachment_id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound("Không tìm thấy tệp đính kèm này.".into()))?;
        Ok((
            Attachment {
                id: r.get(0),
                document_id: r.get(1),
                file_name: r.get(2),
                sha256: r.get(3),
                size: r.get(4),
            },
            r.get(5),
        ))
    }

    /// Documents in scope matching a search, best first: number matches, then titles that start
    /// with the query, then titles that contain it, then matches elsewhere (issuer, signer, tasks,
    /// body); within a rank the newest first (date of issue, then registration).
    ///
    /// The cost is bounded for broad queries: hits are counted up to [`SEARCH_COUNT_CAP`] only
    /// (`capped` then says there are more), and above that the hits are not all ranked: each rank
    /// in turn gives its first offset + limit documents in date order, until the page is full. A
    /// rank with few documents is read through the index of words and sorted; a rank with more is
    /// read by walking the index of dates until enough are found. Each rank is
    /// taken in the final order, so the page is the full ranking's.
    pub async fn search_documents(&self, s: &DocumentSearch) -> Result<DocumentResults, StoreError> {
        self.require(Permission::Read)?;
        let plan = self.search_plan(s);
        let limit = if s.limit <= 0 { 50 } else { s.limit.min(500) };
        let offset = s.offset.clamp(0, crate::citizens::MAX_OFFSET);
        let count_cap = if s.count_cap <= 0 {
            SEARCH_COUNT_CAP
        } else {
            s.count_cap
        };
        // Every read of one search on one connection, in one read transaction (the count and
        // the page see the same register). On PostgreSQL without parallel workers (their start
        // costs more than these bounded reads), and each statement planned for its own words:
        // a plan kept for any words cannot tell a word in most documents (read in date order,
        // stopping early) from a rare one (read through the full-text index). Measured, see
        // docs/PERFORMANCE.md.
        let mut tx = self.store.pool.begin().await?;
        let postgres = matches!(self.store.backend(), crate::db::Backend::Postgres);
        if postgres {
            sqlx::query(
                "SELECT set_config('max_parallel_workers_per_gather', '0', true), \
                 set_config('plan_cache_mode', 'force_custom_plan', true)",
            )
            .execute(&mut *tx)
            .await?;
        }
        let counted = count_up_to(&mut tx, &plan.count_from, &plan.count_cond, &plan.args, count_cap + 1).await?;
        let capped = counted > count_cap;
        let total = counted.min(count_cap);
        let order = "COALESCE(d.issued_on, '') DESC, d.id DESC";
        // Read every hit and sort, or walk the index of dates and stop after the page (see
        // `fetch_in_order` for PostgreSQL).
        let walk = if postgres {
            ""
        } else {
            "INDEXED BY document_search_order"
        };
        let args = &plan.args;
        let rows = match (&plan.tiers, capped) {
            (_, false) | (None, true) => {
                // Few hits (all ranked: at most the cap), or no words to rank by (all equal).
                let from = if capped { walk } else { "" };
                // With no words every hit has the same rank: the order alone (the index's).
                let by = if plan.tiers.is_some() { "rnk, " } else { "" };
                let sql = format!(
                    "SELECT {COLUMNS}, {} AS rnk FROM document d {from} WHERE {} \
                     ORDER BY {by}{order} LIMIT {limit} OFFSET {offset}",
                    plan.rank, plan.cond
                );
                fetch_in_order(&mut tx, postgres, &sql, args, capped).await?
            }
            (Some(tiers), true) => {
                let mut rows = Vec::new();
                let sort_max = count_cap.min(RANK_SORT_MAX);
                // The exact size of ranks 0–2 while each was small enough to count.
                let mut counted_before = Some(0i64);
                for (rank, pred) in tiers.iter().enumerate() {
                    let need = offset + limit - rows.len() as i64;
                    if need <= 0 {
                        break;
                    }
                    // SQLite, which has no statistics, prefers the index of units to a range of
                    // numbers or titles: it is named (PostgreSQL plans each statement for its
                    // words and picks the range itself).
                    let range = match (postgres, rank) {
                        (false, 0) => "INDEXED BY document_number_folded",
                        (false, 1) => "INDEXED BY document_title_folded",
                        _ => "",
                    };
                    let counted_from = format!("document d {range}");
                    let n = match counted_before {
                        // The last rank holds the rest: more than the cap less ranks 0–2. Known to
                        // be large, it is walked without counting (which would read the full-text
                        // index once more: costly on PostgreSQL for short words).
                        Some(before) if rank == 3 && counted - before > sort_max => sort_max + 1,
                        _ => count_up_to(&mut tx, &counted_from, pred, args, sort_max + 1).await?,
                    };
                    counted_before = counted_before.filter(|_| n <= sort_max).map(|b| b + n);
                    if n == 0 {
                        continue;
                    }
                    let from = if n > sort_max { walk } else { range };
                    let sql = format!(
                        "SELECT {COLUMNS}, {rank} AS rnk FROM document d {from} WHERE {pred} \
                         ORDER BY {order} LIMIT {need}"
                    );
                    rows.extend(fetch_in_order(&mut tx, postgres, &sql, args, n > sort_max).await?);
                }
                rows.into_iter().skip(offset as usize).take(limit as usize).collect()
            }
        };
        tx.rollback().await?;
        let hits = rows
            .iter()
            .map(|r| {
                let rank = match r.get::<i64, _>("rnk") {
                    0 => MatchRank::Number,
                    1 => MatchRank::TitlePrefix,
                    2 => MatchRank::TitleContains,
                    _ => MatchRank::Body,
                };
                DocumentHit {
                    document: document_row(r, None),
                    rank,
                }
            })
            .collect();
        Ok(DocumentResults { total, capped, hits })
    }

    /// The exact number of documents a search finds, however many (the search itself stops
    /// counting at [`SEARCH_COUNT_CAP`]); for the benchmark and reports.
    pub async fn count_documents(&self, s: &DocumentSearch) -> Result<i64, StoreError> {
        self.require(Permission::Read)?;
        let plan = self.search_plan(s);
        let sql = format!("SELECT count(*) FROM document d WHERE {}", plan.cond);
        Ok(bind_all(sqlx::query(&sql), &plan.args)
            .fetch_one(&self.store.pool)
            .await?
            .get(0))
    }

    /// The conditions and rank of a search (see [`Scoped::search_documents`]).
    fn search_plan(&self, s: &DocumentSearch) -> SearchPlan {
        let mut args: Vec<Arg> = vec![Arg::I(self.actor.unit_id)];
        let mut cond = format!("d.unit_id IN ({SCOPE_UNITS})");
        if let Some(k) = s.kind {
            cond.push_str(&format!(" AND d.kind = {}", push(&mut args, Arg::S(k.as_str().into()))));
        }
        if let Some(y) = s.year {
            cond.push_str(&format!(" AND d.year = {}", push(&mut args, Arg::I(i64::from(y)))));
        }
        if let Some(t) = s.topic {
            cond.push_str(&format!(
                " AND d.topics LIKE {}",
                push(&mut args, Arg::S(format!("%,{},%", t.as_str())))
            ));
        }
        if let Some(st) = s.status {
            cond.push_str(&format!(
                " AND d.status = {}",
                push(&mut args, Arg::S(st.as_str().into()))
            ));
        }
        if let Some(dir) = s.direction {
            cond.push_str(&format!(
                " AND d.direction = {}",
                push(&mut args, Arg::S(dir.as_str().into()))
            ));
        }
        if let Some(i) = s
            .issuer
            .as_deref()
            .map(|i| like_safe(&text::fold(i)))
            .filter(|i| !i.is_empty())
        {
            // Folded issuer is not stored apart; the search text starts with number, title, issuer.
            cond.push_str(&format!(
                " AND d.search_folded LIKE {}",
                push(&mut args, Arg::S(format!("%{i}%")))
            ));
        }
        let filters = cond.clone();
        let q = s
            .query
            .as_deref()
            .map(|q| like_safe(&text::fold(q)))
            .unwrap_or_default();
        let q = q.trim().to_string();
        if q.is_empty() {
            return SearchPlan {
                args,
                count_from: "document d".into(),
                count_cond: cond.clone(),
                cond,
                rank: "3".into(),
                tiers: None,
            };
        }
        let prefix = push(&mut args, Arg::S(format!("{q}%")));
        let contains = push(&mut args, Arg::S(format!("%{q}%")));
        // A number or title that starts with the query, read through a b-tree index as the range
        // [q, q + U+10FFFF) in code-point order (PostgreSQL: collation "C", migration 14), the
        // LIKE keeping the exact rule.
        let postgres = matches!(self.store.backend(), crate::db::Backend::Postgres);
        let coll = if postgres { " COLLATE \"C\"" } else { "" };
        let lo = push(&mut args, Arg::S(q.clone()));
        let hi = push(&mut args, Arg::S(format!("{q}\u{10FFFF}")));
        let starts = |col: &str| format!("(d.{col}{coll} >= {lo} AND d.{col}{coll} < {hi} AND d.{col} LIKE {prefix})");
        let number = starts("number_folded");
        // Full-text match: every word of the query is a word of the document (its number,
        // title, issuer, signer, tasks and text), the last one also the beginning of a word,
        // through the FTS index of each backend; both cut words at every character that is not
        // a-z or 0-9.
        // The number and symbol are part of the indexed text, so a number or its beginning
        // ("677/tb" → 677, tb) is found by the same words; it only ranks first. The index drives
        // the query: no scan of the register.
        let words = search_words(&q);
        if words.is_empty() {
            // Only punctuation: a number search or nothing; every hit is a number match.
            cond.push_str(&format!(" AND {number}"));
            return SearchPlan {
                args,
                count_from: "document d".into(),
                count_cond: cond.clone(),
                cond,
                rank: "0".into(),
                tiers: None,
            };
        }
        let phrase = words.join(" ");
        // Every word of the query is a whole word of the document except the last, which may be
        // a beginning (the word being typed): a beginning makes the index read every word it
        // begins, which costs most on PostgreSQL (docs/PERFORMANCE.md).
        let last = words.len() - 1;
        let (mut count_from, mut count_cond) = ("document d".to_string(), String::new());
        let (full, title_words) = match self.store.backend() {
            crate::db::Backend::Sqlite => {
                let all = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i == last {
                            format!("\"{w}\"*")
                        } else {
                            format!("\"{w}\"")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let m = push(&mut args, Arg::S(all));
                let t = push(&mut args, Arg::S(format!("{{title_folded}} : \"{phrase}\"*")));
                // Joined, FTS5 hands out its hits one by one: a count up to the cap stops early.
                count_from = "document_fts JOIN document d ON d.id = document_fts.rowid".into();
                count_cond = format!("{filters} AND document_fts MATCH {m}");
                (
                    format!("d.id IN (SELECT rowid FROM document_fts WHERE document_fts MATCH {m})"),
                    format!("d.id IN (SELECT rowid FROM document_head_fts WHERE document_head_fts MATCH {t})"),
                )
            }
            crate::db::Backend::Postgres => {
                // Through the index of words and word beginnings (migration 14, `prefix_tsv`:
                // every word, and its first 1 to 6 letters as a lexeme ending in "~"): the last
                // word is looked up as one lexeme, which GIN intersects with the others from the
                // rarest, instead of gathering every word it begins (`quan:*`). A last word longer
                // than 6 letters is looked up by its first 6 and checked on the candidates
                // (`ts_match_vq`, which no index serves).
                let mut by_prefix = words.clone();
                let typed: String = words[last].chars().take(SEARCH_PREFIX_MAX).collect();
                by_prefix[last] = format!("{typed}~");
                let p = push(&mut args, Arg::S(by_prefix.join(" & ")));
                let all = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| if i == last { format!("{w}:*") } else { w.clone() })
                    .collect::<Vec<_>>()
                    .join(" & ");
                // The words in order, the last as a beginning, among the title's words (weight B
                // in head_tsv, migration 9).
                let in_title = words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| if i == last { format!("{w}:*B") } else { format!("{w}:B") })
                    .collect::<Vec<_>>()
                    .join(" <-> ");
                let t = push(&mut args, Arg::S(in_title));
                let by_prefix = format!("d.prefix_tsv @@ CAST({p} AS tsquery)");
                let full = if words[last].len() > SEARCH_PREFIX_MAX {
                    let m = push(&mut args, Arg::S(all));
                    format!("({by_prefix} AND ts_match_vq(d.search_tsv, to_tsquery('simple', {m})))")
                } else {
                    by_prefix
                };
                (full, format!("d.head_tsv @@ to_tsquery('simple', {t})"))
            }
        };
        cond.push_str(&format!(" AND {full}"));
        if count_cond.is_empty() {
            count_cond = cond.clone();
        }
        // Ranks 0–2: the number or the title starts with the query, or the title holds the words
        // of the query in order (the last word as a beginning), read through the index of titles:
        // a title that holds the query only inside a word ("an" in "quân") is no title match.
        // Such a document is also a full-text hit (the search text starts with number and title:
        // a number or title that starts with the query holds its words, all but the last whole),
        // so the documents of ranks 0–2 can be read through these indexes alone.
        let r0 = number;
        let r1 = starts("title_folded");
        let r2 = format!("({title_words} AND d.title_folded LIKE {contains})");
        let rank = format!("CASE WHEN {r0} THEN 0 WHEN {r1} THEN 1 WHEN {r2} THEN 2 ELSE 3 END");
        let tiers = [
            format!("{filters} AND {r0}"),
            format!("{filters} AND {r1} AND NOT {r0}"),
            format!("{filters} AND {r2} AND NOT {r1} AND NOT {r0}"),
            format!("{cond} AND NOT {r0} AND NOT {r1} AND NOT {r2}"),
        ];
        SearchPlan {
            args,
            cond,
            count_from,
            count_cond,
            rank,
            tiers: Some(tiers),
        }
    }

    /// Units in scope that a unit named in a directive may be, best first (see [`suggest_units`]).
    pub async fn unit_suggestions(&self, lead: &str) -> Result<Vec<(i64, u32)>, StoreError> {
        let units = self.org_units().await?;
        Ok(suggest_units(lead, &units))
    }
}

/// The rows of an ordered search query; with `walk`, read by walking the index of dates. On
/// SQLite the query names the index (`INDEXED BY`); PostgreSQL's planner, which cannot estimate
/// how many documents hold a phrase, is kept from sorting instead, for this read only (the
/// search's transaction goes on).
async fn fetch_in_order(
    conn: &mut sqlx::AnyConnection,
    postgres: bool,
    sql: &str,
    args: &[Arg],
    walk: bool,
) -> Result<Vec<AnyRow>, StoreError> {
    // SET LOCAL for the rest of the transaction, in one statement.
    const PLANS: &str = "SELECT set_config('enable_sort', $1, true), set_config('enable_bitmapscan', $1, true), \
                         set_config('enable_seqscan', $1, true)";
    let toggle = walk && postgres;
    if toggle {
        sqlx::query(PLANS).bind("off").execute(&mut *conn).await?;
    }
    let rows = bind_all(sqlx::query(sql), args).fetch_all(&mut *conn).await?;
    if toggle {
        sqlx::query(PLANS).bind("on").execute(&mut *conn).await?;
    }
    Ok(rows)
}

/// How many documents meet `cond`, counting no further than `cap`.
async fn count_up_to(
    conn: &mut sqlx::AnyConnection,
    from: &str,
    cond: &str,
    args: &[Arg],
    cap: i64,
) -> Result<i64, StoreError> {
    let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {from} WHERE {cond} LIMIT {cap}) t");
    Ok(bind_all(sqlx::query(&sql), args).fetch_one(&mut *conn).await?.get(0))
}

/// The longest word beginning PostgreSQL's `prefix_tsv` holds as a lexeme (migration 14).
const SEARCH_PREFIX_MAX: usize = 6;

/// The words of a folded query as the full-text indexes cut them: runs of a-z and 0-9.
fn search_words(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !c.is_ascii_lowercase() && !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_string)
        .collect()
}

fn push(args: &mut Vec<Arg>, a: Arg) -> String {
    args.push(a);
    format!("${}", args.len())
}

pub(crate) enum Arg {
    I(i64),
    S(String),
}

pub(crate) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(v) => q.bind(*v),
            Arg::S(s) => q.bind(s.as_str()),
        };
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(t: Option<&str>, issuer: &str) -> OutgoingNumbering {
        OutgoingNumbering {
            family: NumberFamily::State,
            type_code: t.map(str::to_string),
            issuer_code: issuer.into(),
            term: None,
        }
    }

    #[test]
    fn outgoing_numbers_follow_both_families() {
        assert_eq!(
            format_number_symbol(12, &state(Some("KH"), "BCH")).unwrap(),
            "12/KH-BCH"
        );
        assert_eq!(format_number_symbol(5, &state(Some("TB"), "VP")).unwrap(), "05/TB-VP");
        assert_eq!(
            format_number_symbol(123, &state(None, "UBND-VP")).unwrap(),
            "123/UBND-VP"
        );
        let party = OutgoingNumbering {
            family: NumberFamily::Party,
            type_code: Some("NQ".into()),
            issuer_code: "ĐU".into(),
            term: Some("2025-2030".into()),
        };
        assert_eq!(format_number_symbol(3, &party).unwrap(), "03-NQ/ĐU");
        assert!(format_number_symbol(1, &state(Some("kh"), "BCH")).is_err());
        assert!(format_number_symbol(1, &state(Some("KH"), "")).is_err());
        assert!(format_number_symbol(1, &state(Some("KH"), "B C")).is_err());
        assert!(format_number_symbol(1, &state(None, "BCH"))
            .unwrap_err()
            .to_string()
            .contains("BCH-TM"));
        let no_type = OutgoingNumbering {
            type_code: None,
            ..party
        };
        assert!(format_number_symbol(1, &no_type).is_err());
    }

    #[test]
    fn terms_and_authority_prefixes() {
        assert_eq!(check_term(" 2025 – 2030 ").unwrap(), "2025-2030");
        assert!(check_term("2030-2025").is_err());
        assert!(check_term("nhiệm kỳ mới").is_err());
        assert_eq!(
            Authority::split_title("T/M BAN THƯỜNG VỤ"),
            (Authority::OnBehalf, "BAN THƯỜNG VỤ".into())
        );
        assert_eq!(
            Authority::split_title("KT. Chủ tịch"),
            (Authority::ForHead, "Chủ tịch".into())
        );
        assert_eq!(
            Authority::split_title("TUQ. Giám đốc"),
            (Authority::Authorised, "Giám đốc".into())
        );
        assert_eq!(
            Authority::split_title("Chỉ huy trưởng"),
            (Authority::None, "Chỉ huy trưởng".into())
        );
    }
}
