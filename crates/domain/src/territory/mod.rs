//! Vietnam's administrative units with their history: the 63 provinces, their districts and
//! communes before 1 July 2025, the 34 provinces and 3,321 communes after, and which old units went
//! into which new ones (law brief §8).
//!
//! The data are bundled (`data/territory.tsv.gz`, rebuilt by `data/build_territory.py` from the
//! MIT-licensed `vietnamadminunits` package) and decoded once into a [`Territory`], which answers:
//! the unit a code meant on a date ([`Territory::unit_on`]), the units an old unit is now part of
//! ([`Territory::successors`]), the children of a unit on a date ([`Territory::children_on`]) and the
//! roll-up path of any record to today's province ([`Territory::rollup_path`]).
//!
//! Codes are reused across the reform (new "Phường Ba Đình" has code 00004, which was "Phường Trúc
//! Bạch" before), so a code alone never identifies a unit: a code and a date do.
//!
//! Caveat on dates: Resolution 202/2025/QH15 took effect on 12 June 2025, but the new provinces and
//! communes began to operate, and the district level ended, on 1 July 2025. The bundle records one
//! event date for the whole reform, [`REFORM_DATE`].

mod regions;

pub use regions::{military_regions, MilitaryRegion, RegionProvince};

use crate::text;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;
use time::macros::date;
use time::Date;
use unicode_normalization::UnicodeNormalization;

/// The day the 34 provinces and 3,321 communes took office and the district level ended.
pub const REFORM_DATE: Date = date!(2025 - 07 - 01);

static BUNDLE: &[u8] = include_bytes!("../../../../data/territory.tsv.gz");

/// Administrative level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    District,
    Commune,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "province" | "tinh" => Some(Level::Province),
            "district" | "huyen" => Some(Level::District),
            "commune" | "xa" => Some(Level::Commune),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Level::Province => "Cấp tỉnh",
            Level::District => "Cấp huyện",
            Level::Commune => "Cấp xã",
        }
    }
}

/// The kind of a unit, as in its official name ("Tỉnh", "Phường", "Đặc khu" ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Tỉnh
    Tinh,
    /// Thành phố trực thuộc trung ương
    ThanhPhoTw,
    /// Huyện
    Huyen,
    /// Quận
    Quan,
    /// Thị xã
    ThiXa,
    /// Thành phố thuộc tỉnh (or thuộc thành phố)
    ThanhPho,
    /// Xã
    Xa,
    /// Phường
    Phuong,
    /// Thị trấn
    ThiTran,
    /// Đặc khu
    DacKhu,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Tinh => "tinh",
            UnitKind::ThanhPhoTw => "thanh_pho_tw",
            UnitKind::Huyen => "huyen",
            UnitKind::Quan => "quan",
            UnitKind::ThiXa => "thi_xa",
            UnitKind::ThanhPho => "thanh_pho",
            UnitKind::Xa => "xa",
            UnitKind::Phuong => "phuong",
            UnitKind::ThiTran => "thi_tran",
            UnitKind::DacKhu => "dac_khu",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        Some(match s {
            "tinh" => UnitKind::Tinh,
            "thanh_pho_tw" => UnitKind::ThanhPhoTw,
            "huyen" => UnitKind::Huyen,
            "quan" => UnitKind::Quan,
            "thi_xa" => UnitKind::ThiXa,
            "thanh_pho" => UnitKind::ThanhPho,
            "xa" => UnitKind::Xa,
            "phuong" => UnitKind::Phuong,
            "thi_tran" => UnitKind::ThiTran,
            "dac_khu" => UnitKind::DacKhu,
            _ => return None,
        })
    }

    /// The word that opens the official name.
    pub fn label_vi(self) -> &'static str {
        match self {
            UnitKind::Tinh => "Tỉnh",
            UnitKind::ThanhPhoTw | UnitKind::ThanhPho => "Thành phố",
            UnitKind::Huyen => "Huyện",
            UnitKind::Quan => "Quận",
            UnitKind::ThiXa => "Thị xã",
            UnitKind::Xa => "Xã",
            UnitKind::Phuong => "Phường",
            UnitKind::ThiTran => "Thị trấn",
            UnitKind::DacKhu => "Đặc khu",
        }
    }

    pub fn level(self) -> Level {
        match self {
            UnitKind::Tinh | UnitKind::ThanhPhoTw => Level::Province,
            UnitKind::Huyen | UnitKind::Quan | UnitKind::ThiXa | UnitKind::ThanhPho => Level::District,
            _ => Level::Commune,
        }
    }
}

/// One administrative unit during one validity interval.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdminUnit {
    pub code: String,
    /// The official name as published, kind included ("Xã Đồng Thanh"); tone marks are left in the
    /// publisher's placement ("Hoà" or "Hòa"): matching folds them.
    pub name: String,
    pub level: Level,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
    /// First day in force; `None` when it predates the bundled history.
    pub valid_from: Option<Date>,
    /// Last day in force; `None` when still in force.
    pub valid_to: Option<Date>,
}

impl AdminUnit {
    pub fn valid_on(&self, d: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= d) && self.valid_to.is_none_or(|t| d <= t)
    }

    /// True when the unit is still in force (no end date).
    pub fn is_current(&self) -> bool {
        self.valid_to.is_none()
    }

    /// The name without its kind word: "Đồng Thanh" for "Xã Đồng Thanh".
    pub fn short_name(&self) -> &str {
        let label = self.kind.label_vi();
        let n = self.name.as_str();
        match n.get(..label.len()) {
            Some(head) if text::fold(head) == text::fold(label) => n[label.len()..].trim_start(),
            _ => n,
        }
    }

    /// The name as written inside a sentence: "tỉnh Hưng Yên", "xã Đồng Thanh".
    pub fn name_in_sentence(&self) -> String {
        format!("{} {}", self.kind.label_vi().to_lowercase(), self.short_name())
    }
}

/// One old unit's (part) going into a new unit on a date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Succession {
    pub from_code: String,
    pub from_level: Level,
    pub to_code: String,
    pub to_level: Level,
    pub date: Date,
    /// The old unit was split: only part of it went into this new unit.
    pub partial: bool,
}

/// What happened to a unit, for its history page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEvent {
    /// Formed on `date` from these units (code, name, only part of it).
    Formed {
        date: Date,
        from: Vec<(String, String, bool)>,
    },
    /// Went, whole or in parts, into these units on `date`.
    MergedInto {
        date: Date,
        into: Vec<(String, String, bool)>,
    },
    /// Ceased on `date` without a successor unit of its level (the district level was abolished).
    Abolished { date: Date },
}

use crate::dates::vi_date;

fn list_units(v: &[(String, String, bool)]) -> String {
    v.iter()
        .map(|(code, name, partial)| {
            if *partial {
                format!("{name} ({code}, một phần)")
            } else {
                format!("{name} ({code})")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for HistoryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryEvent::Formed { date, from } => {
                write!(f, "Thành lập ngày {} trên cơ sở: {}", vi_date(*date), list_units(from))
            }
            HistoryEvent::MergedInto { date, into } if into.len() > 1 => {
                write!(
                    f,
                    "Từ ngày {} được chia, nhập vào: {}",
                    vi_date(*date),
                    list_units(into)
                )
            }
            HistoryEvent::MergedInto { date, into } => {
                write!(f, "Từ ngày {} nhập vào: {}", vi_date(*date), list_units(into))
            }
            HistoryEvent::Abolished { date } => write!(
                f,
                "Chấm dứt hoạt động từ ngày {} (tổ chức chính quyền địa phương hai cấp, bỏ cấp huyện)",
                vi_date(*date)
            ),
        }
    }
}

/// Why a roll-up could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollupError {
    #[error("Không có đơn vị hành chính mã \"{code}\" vào ngày {date}.", date = vi_date(*.date))]
    UnknownCode { code: String, date: Date },
    #[error(
        "{name} ({code}) đã được chia cho nhiều đơn vị mới; cần chọn theo thôn, tổ dân phố hoặc địa chỉ: {}.",
        options.iter().map(|(c, n)| format!("{n} ({c})")).collect::<Vec<_>>().join(", ")
    )]
    NeedsChoice {
        code: String,
        name: String,
        options: Vec<(String, String)>,
    },
    #[error("Mã \"{choice}\" không phải là một trong các đơn vị kế thừa của {name} ({code}).")]
    InvalidChoice { code: String, name: String, choice: String },
    #[error("Không xác định được đơn vị hiện nay của {name} ({code}).")]
    Dangling { code: String, name: String },
}

/// Why the bundled or a given data file could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("Dữ liệu địa giới hành chính không hợp lệ (dòng {line}): {reason}")]
pub struct DecodeError {
    pub line: usize,
    pub reason: String,
}

type Idx = u32;

/// The decoded territory with its indexes. Immutable; share it by reference.
#[derive(Debug)]
pub struct Territory {
    units: Vec<AdminUnit>,
    successions: Vec<Succession>,
    folded: Vec<String>,
    by_code: HashMap<String, Vec<Idx>>,
    parent: Vec<Option<Idx>>,
    children: Vec<Vec<Idx>>,
    succ_from: Vec<Vec<(Idx, bool)>>,
    succ_to: Vec<Vec<(Idx, bool)>>,
    fingerprint: String,
}

fn parse_date(s: &str, line: usize) -> Result<Option<Date>, DecodeError> {
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| DecodeError {
            line,
            reason: format!("ngày \"{s}\" sai dạng"),
        })
}

impl Territory {
    /// The bundled territory, decoded once per process.
    pub fn bundled() -> &'static Territory {
        static T: OnceLock<Territory> = OnceLock::new();
        T.get_or_init(|| {
            let mut gz = flate2::read::GzDecoder::new(BUNDLE);
            let mut s = String::new();
            gz.read_to_string(&mut s)
                .expect("bundled territory is valid gzip UTF-8 (checked by tests)");
            let mut t = Territory::from_tsv(&s).expect("bundled territory decodes (checked by tests)");
            use sha2::Digest;
            t.fingerprint = hex::encode(&sha2::Sha256::digest(BUNDLE)[..8]);
            t
        })
    }

    /// Decodes the TSV format written by `data/build_territory.py`.
    pub fn from_tsv(tsv: &str) -> Result<Territory, DecodeError> {
        let mut units = Vec::new();
        let mut successions = Vec::new();
        for (i, line) in tsv.lines().enumerate() {
            let n = i + 1;
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let bad = |reason: &str| DecodeError {
                line: n,
                reason: reason.to_string(),
            };
            match f[0] {
                "U" if f.len() == 8 => {
                    let level = Level::parse(f[2]).ok_or_else(|| bad("cấp không hợp lệ"))?;
                    let kind = UnitKind::parse(f[3]).ok_or_else(|| bad("loại đơn vị không hợp lệ"))?;
                    if kind.level() != level || f[1].is_empty() || f[4].is_empty() {
                        return Err(bad("loại, cấp, mã hoặc tên không khớp"));
                    }
                    units.push(AdminUnit {
                        code: f[1].to_string(),
                        name: f[4].nfc().collect(),
                        level,
                        kind,
                        parent_code: (!f[5].is_empty()).then(|| f[5].to_string()),
                        valid_from: parse_date(f[6], n)?,
                        valid_to: parse_date(f[7], n)?,
                    });
                }
                "S" if f.len() == 7 => successions.push(Succession {
                    from_code: f[1].to_string(),
                    from_level: Level::parse(f[2]).ok_or_else(|| bad("cấp không hợp lệ"))?,
                    to_code: f[3].to_string(),
                    to_level: Level::parse(f[4]).ok_or_else(|| bad("cấp không hợp lệ"))?,
                    date: parse_date(f[5], n)?.ok_or_else(|| bad("thiếu ngày"))?,
                    partial: f[6] == "1",
                }),
                _ => return Err(bad("dòng không đúng khuôn dạng")),
            }
        }
        Territory::new(units, successions)
    }

    /// Builds the indexes; rejects parents or successions that point at no unit.
    pub fn new(units: Vec<AdminUnit>, successions: Vec<Succession>) -> Result<Territory, DecodeError> {
        let mut by_code: HashMap<String, Vec<Idx>> = HashMap::with_capacity(units.len());
        for (i, u) in units.iter().enumerate() {
            by_code.entry(u.code.clone()).or_default().push(i as Idx);
        }
        let find = |code: &str, level: Level, on: Date| -> Option<Idx> {
            by_code.get(code)?.iter().copied().find(|&i| {
                let u = &units[i as usize];
                u.level == level && u.valid_on(on)
            })
        };
        // A unit's parent is the unit of the parent level with that code in force on the child's
        // last (or first) day.
        let mut parent = vec![None; units.len()];
        let mut children = vec![Vec::new(); units.len()];
        for (i, u) in units.iter().enumerate() {
            let Some(pc) = &u.parent_code else { continue };
            let on = u.valid_to.or(u.valid_from).unwrap_or(REFORM_DATE);
            let plevel = match u.level {
                Level::Commune if u.valid_to.is_some_and(|t| t < REFORM_DATE) => Level::District,
                _ => Level::Province,
            };
            let p = find(pc, plevel, on)
                .or_else(|| find(pc, Level::Province, on))
                .ok_or_else(|| DecodeError {
                    line: i + 1,
                    reason: format!("{} ({}): không có đơn vị cấp trên {pc}", u.name, u.code),
                })?;
            parent[i] = Some(p);
            children[p as usize].push(i as Idx);
        }
        let mut succ_from = vec![Vec::new(); units.len()];
        let mut succ_to = vec![Vec::new(); units.len()];
        for s in &successions {
            let before = s.date.previous_day().unwrap_or(s.date);
            let from = find(&s.from_code, s.from_level, before);
            let to = find(&s.to_code, s.to_level, s.date);
            let (Some(from), Some(to)) = (from, to) else {
                return Err(DecodeError {
                    line: 0,
                    reason: format!(
                        "quan hệ sắp xếp {} → {} trỏ tới đơn vị không tồn tại",
                        s.from_code, s.to_code
                    ),
                });
            };
            succ_from[from as usize].push((to, s.partial));
            succ_to[to as usize].push((from, s.partial));
        }
        let folded = units.iter().map(|u| text::fold(&u.name)).collect();
        let mut t = Territory {
            units,
            successions,
            folded,
            by_code,
            parent,
            children,
            succ_from,
            succ_to,
            fingerprint: String::new(),
        };
        for list in t.children.iter_mut() {
            list.sort_by(|a, b| t.units[*a as usize].code.cmp(&t.units[*b as usize].code));
        }
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for u in &t.units {
            h.update(format!("{u:?}\n").as_bytes());
        }
        t.fingerprint = hex::encode(&h.finalize()[..8]);
        Ok(t)
    }

    pub fn units(&self) -> &[AdminUnit] {
        &self.units
    }

    pub fn successions(&self) -> &[Succession] {
        &self.successions
    }

    /// A short stable digest of the data, to tell whether a database holds this same bundle.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn idx(&self, u: &AdminUnit) -> Idx {
        // `u` comes from this territory; find it among the units with its code.
        self.by_code
            .get(&u.code)
            .and_then(|v| {
                v.iter()
                    .copied()
                    .find(|&i| std::ptr::eq(&self.units[i as usize], u) || self.units[i as usize] == *u)
            })
            .unwrap_or(0)
    }

    fn get(&self, i: Idx) -> &AdminUnit {
        &self.units[i as usize]
    }

    /// The unit that `code` meant on `on` (of `level` when given).
    pub fn unit_on(&self, code: &str, level: Option<Level>, on: Date) -> Option<&AdminUnit> {
        let code = code.trim();
        self.by_code
            .get(code)?
            .iter()
            .map(|&i| self.get(i))
            .find(|u| level.is_none_or(|l| u.level == l) && u.valid_on(on))
    }

    /// Every unit that ever had `code`, oldest first.
    pub fn units_with_code(&self, code: &str) -> Vec<&AdminUnit> {
        let mut v: Vec<&AdminUnit> = self
            .by_code
            .get(code.trim())
            .map(|v| v.iter().map(|&i| self.get(i)).collect())
            .unwrap_or_default();
        v.sort_by_key(|u| (u.valid_to.is_none(), u.valid_to));
        v
    }

    /// The units of a level in force on a date, by code.
    pub fn list(&self, level: Level, on: Date) -> Vec<&AdminUnit> {
        let mut v: Vec<&AdminUnit> = self
            .units
            .iter()
            .filter(|u| u.level == level && u.valid_on(on))
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// The unit's parent (the one in force with it).
    pub fn parent(&self, u: &AdminUnit) -> Option<&AdminUnit> {
        self.parent[self.idx(u) as usize].map(|i| self.get(i))
    }

    /// The units directly under `u` on `on`, by code.
    pub fn children_on(&self, u: &AdminUnit, on: Date) -> Vec<&AdminUnit> {
        self.children[self.idx(u) as usize]
            .iter()
            .map(|&i| self.get(i))
            .filter(|c| c.valid_on(on))
            .collect()
    }

    /// The units `u` went into (with "only a part of it"), in code order.
    pub fn successors(&self, u: &AdminUnit) -> Vec<(&AdminUnit, bool)> {
        let mut v: Vec<_> = self.succ_from[self.idx(u) as usize]
            .iter()
            .map(|&(i, p)| (self.get(i), p))
            .collect();
        v.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        v
    }

    /// The units `u` was formed from (with "only a part of it"), in code order.
    pub fn predecessors(&self, u: &AdminUnit) -> Vec<(&AdminUnit, bool)> {
        let mut v: Vec<_> = self.succ_to[self.idx(u) as usize]
            .iter()
            .map(|&(i, p)| (self.get(i), p))
            .collect();
        v.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        v
    }

    /// The province a unit belongs to, in its own period (itself for a province).
    pub fn province_code_of(&self, u: &AdminUnit) -> Option<String> {
        let mut cur = u;
        for _ in 0..4 {
            if cur.level == Level::Province {
                return Some(cur.code.clone());
            }
            cur = self.parent(cur)?;
        }
        None
    }

    /// The unit's history, oldest event first.
    pub fn history(&self, u: &AdminUnit) -> Vec<HistoryEvent> {
        let mut out = Vec::new();
        let preds = self.predecessors(u);
        if let (Some(from), false) = (u.valid_from, preds.is_empty()) {
            out.push(HistoryEvent::Formed {
                date: from,
                from: preds
                    .iter()
                    .map(|(p, partial)| (p.code.clone(), p.name.clone(), *partial))
                    .collect(),
            });
        }
        let succs = self.successors(u);
        if let Some(to) = u.valid_to {
            let date = to.next_day().unwrap_or(to);
            if succs.is_empty() {
                out.push(HistoryEvent::Abolished { date });
            } else {
                out.push(HistoryEvent::MergedInto {
                    date,
                    into: succs
                        .iter()
                        .map(|(s, partial)| (s.code.clone(), s.name.clone(), *partial))
                        .collect(),
                });
            }
        }
        out
    }

    /// The path from the unit a record was filed under (`code` as meant on `on`) to the province
    /// in force today: `[record's unit, …, today's commune, today's province]`.
    ///
    /// A unit that was split among several new ones cannot be placed by the system: the caller
    /// passes the user's `choice` (the new unit's code, chosen from the record's village or
    /// address), and without it gets [`RollupError::NeedsChoice`] listing the options.
    pub fn rollup_path(&self, code: &str, on: Date, choice: Option<&str>) -> Result<Vec<&AdminUnit>, RollupError> {
        let start = self.unit_on(code, None, on).ok_or_else(|| RollupError::UnknownCode {
            code: code.trim().to_string(),
            date: on,
        })?;
        let mut path = vec![start];
        let mut cur = self.idx(start);
        for _ in 0..8 {
            let u = self.get(cur);
            if u.is_current() {
                break;
            }
            let succs = &self.succ_from[cur as usize];
            cur = match succs.as_slice() {
                [] => self.parent[cur as usize].ok_or_else(|| RollupError::Dangling {
                    code: u.code.clone(),
                    name: u.name.clone(),
                })?,
                [(only, _)] => *only,
                many => match choice {
                    Some(c) => many
                        .iter()
                        .map(|(i, _)| *i)
                        .find(|&i| self.get(i).code == c.trim())
                        .ok_or_else(|| RollupError::InvalidChoice {
                            code: u.code.clone(),
                            name: u.name.clone(),
                            choice: c.to_string(),
                        })?,
                    None => {
                        let mut options: Vec<_> = many
                            .iter()
                            .map(|(i, _)| (self.get(*i).code.clone(), self.get(*i).name.clone()))
                            .collect();
                        options.sort();
                        return Err(RollupError::NeedsChoice {
                            code: u.code.clone(),
                            name: u.name.clone(),
                            options,
                        });
                    }
                },
            };
            path.push(self.get(cur));
        }
        while let Some(p) = self.parent[cur as usize] {
            path.push(self.get(p));
            cur = p;
        }
        let last = self.get(cur);
        if !last.is_current() || last.level != Level::Province {
            return Err(RollupError::Dangling {
                code: start.code.clone(),
                name: start.name.clone(),
            });
        }
        Ok(path)
    }

    /// Units in force on `on` whose name matches `query` diacritic-insensitively ("dong thanh"
    /// finds "Xã Đồng Thanh"), or whose code starts with it; names that start with the query first.
    pub fn search(&self, query: &str, level: Option<Level>, on: Option<Date>, limit: usize) -> Vec<&AdminUnit> {
        let q = text::fold(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, &AdminUnit)> = self
            .units
            .iter()
            .zip(&self.folded)
            .filter(|(u, _)| level.is_none_or(|l| u.level == l) && on.is_none_or(|d| u.valid_on(d)))
            .filter_map(|(u, f)| {
                if u.code == query.trim() {
                    Some((0, u))
                } else if text::fold(u.short_name()).starts_with(&q) {
                    Some((1, u))
                } else if text::matches_query(f, &q) {
                    Some((2, u))
                } else if u.code.starts_with(query.trim()) {
                    Some((3, u))
                } else {
                    None
                }
            })
            .collect();
        hits.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| text::compare(&a.1.name, &b.1.name))
                .then_with(|| a.1.code.cmp(&b.1.code))
        });
        hits.into_iter().take(limit).map(|(_, u)| u).collect()
    }
}

#[cfg(test)]
mod tests;
