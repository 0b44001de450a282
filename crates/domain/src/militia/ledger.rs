//! The mobilisation ledger: a person or a piece of equipment holds at most one mobilisation
//! assignment at a time among the call-up pool (nguồn sẵn sàng nhập ngũ), the militia, a reserve
//! unit (đơn vị DBĐV) and, for equipment, reserve equipment (PTKT) assignment.
//!
//! Intervals are inclusive calendar days; an open end (`until: None`) means "until further notice".

use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

/// What the subject is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    CallUpPool,
    Militia,
    ReserveUnit,
    ReserveEquipment,
}

impl LedgerKind {
    pub fn label_vi(self) -> &'static str {
        match self {
            LedgerKind::CallUpPool => "nguồn sẵn sàng nhập ngũ",
            LedgerKind::Militia => "dân quân tự vệ",
            LedgerKind::ReserveUnit => "đơn vị dự bị động viên",
            LedgerKind::ReserveEquipment => "phương tiện kỹ thuật dự bị",
        }
    }

    /// Whether the kind applies to equipment (true) or to persons (false).
    pub fn for_equipment(self) -> bool {
        self == LedgerKind::ReserveEquipment
    }
}

/// Who or what is assigned: a person (by national id or record id) or a piece of equipment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Person(String),
    Equipment(String),
}

impl Subject {
    fn label_vi(&self) -> String {
        match self {
            Subject::Person(id) => format!("công dân {id}"),
            Subject::Equipment(id) => format!("phương tiện {id}"),
        }
    }
}

/// One assignment in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: String,
    pub subject: Subject,
    pub kind: LedgerKind,
    /// The unit, pool or cycle holding the subject (a display name).
    pub holder: String,
    pub from: Date,
    /// Last day, inclusive; `None` when open-ended.
    pub until: Option<Date>,
}

/// A reason why a proposed entry cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Conflict {
    /// The subject already holds an overlapping assignment.
    Overlap {
        existing_id: String,
        existing_kind: LedgerKind,
        existing_holder: String,
        subject: Subject,
        overlap_from: Date,
        overlap_until: Option<Date>,
    },
    /// A person in the equipment ledger, or equipment in a person's ledger.
    SubjectKindMismatch { subject: Subject, kind: LedgerKind },
    /// `until` before `from`.
    InvalidInterval { from: Date, until: Date },
}

fn d(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month() as u8, date.year())
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::Overlap {
                existing_kind,
                existing_holder,
                subject,
                overlap_from,
                overlap_until,
                ..
            } => {
                let period = match overlap_until {
                    Some(u) if u == overlap_from => format!("ngày {}", d(*overlap_from)),
                    Some(u) => format!("từ {} đến {}", d(*overlap_from), d(*u)),
                    None => format!("từ {} trở đi", d(*overlap_from)),
                };
                write!(
                    f,
                    "Không thể ghi nhận vì {} đang thuộc {} ({existing_holder}) {period}; mỗi người hoặc phương tiện chỉ được sắp xếp vào một lực lượng tại một thời điểm.",
                    subject.label_vi(),
                    existing_kind.label_vi()
                )
            }
            Conflict::SubjectKindMismatch { subject, kind } => write!(
                f,
                "Không thể ghi nhận {} vào {} vì sai loại đối tượng.",
                subject.label_vi(),
                kind.label_vi()
            ),
            Conflict::InvalidInterval { from, until } => write!(
                f,
                "Không thể ghi nhận vì ngày kết thúc {} trước ngày bắt đầu {}.",
                d(*until),
                d(*from)
            ),
        }
    }
}

/// Conflicts that prevent recording `proposed` next to `existing`. An existing entry with the same
/// id as `proposed` is the entry being edited and is ignored. Empty means the entry may be recorded.
pub fn conflicts(existing: &[LedgerEntry], proposed: &LedgerEntry) -> Vec<Conflict> {
    let mut out = Vec::new();
    let is_equipment = matches!(proposed.subject, Subject::Equipment(_));
    if proposed.kind.for_equipment() != is_equipment {
        out.push(Conflict::SubjectKindMismatch {
            subject: proposed.subject.clone(),
            kind: proposed.kind,
        });
    }
    if let Some(until) = proposed.until {
        if until < proposed.from {
            out.push(Conflict::InvalidInterval {
                from: proposed.from,
                until,
            });
            return out;
        }
    }
    let mut overlaps: Vec<Conflict> = existing
        .iter()
        .filter(|e| e.id != proposed.id && e.subject == proposed.subject)
        .filter_map(|e| {
            let from = e.from.max(proposed.from);
            let until = match (e.until, proposed.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (Some(a), None) | (None, Some(a)) => Some(a),
                (None, None) => None,
            };
            if until.is_some_and(|u| u < from) {
                return None;
            }
            Some(Conflict::Overlap {
                existing_id: e.id.clone(),
                existing_kind: e.kind,
                existing_holder: e.holder.clone(),
                subject: e.subject.clone(),
                overlap_from: from,
                overlap_until: until,
            })
        })
        .collect();
    overlaps.sort_by_key(|c| match c {
        Conflict::Overlap {
            overlap_from,
            existing_id,
            ..
        } => (*overlap_from, existing_id.clone()),
        _ => unreachable!("only overlaps here"),
    });
    out.extend(overlaps);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn e(id: &str, who: &str, kind: LedgerKind, from: Date, until: Option<Date>) -> LedgerEntry {
        LedgerEntry {
            id: id.into(),
            subject: if kind.for_equipment() {
                Subject::Equipment(who.into())
            } else {
                Subject::Person(who.into())
            },
            kind,
            holder: "Xã A".into(),
            from,
            until,
        }
    }

    #[test]
    fn overlapping_assignments_conflict() {
        let existing = vec![
            e(
                "1",
                "p1",
                LedgerKind::Militia,
                date!(2024 - 01 - 01),
                Some(date!(2027 - 12 - 31)),
            ),
            e("2", "p2", LedgerKind::ReserveUnit, date!(2024 - 01 - 01), None),
        ];
        // Same person, pool entry overlapping the militia term.
        let p = e("3", "p1", LedgerKind::CallUpPool, date!(2027 - 12 - 31), None);
        let c = conflicts(&existing, &p);
        assert_eq!(c.len(), 1);
        match &c[0] {
            Conflict::Overlap {
                existing_id,
                overlap_from,
                overlap_until,
                ..
            } => {
                assert_eq!(existing_id, "1");
                assert_eq!(*overlap_from, date!(2027 - 12 - 31));
                assert_eq!(*overlap_until, Some(date!(2027 - 12 - 31)));
            }
            other => panic!("{other:?}"),
        }
        assert!(c[0].to_string().contains("ngày 31/12/2027"));
        // The day after is free.
        let p = e("3", "p1", LedgerKind::CallUpPool, date!(2028 - 01 - 01), None);
        assert!(conflicts(&existing, &p).is_empty());
        // Two militia units at once is also a conflict; an open-ended existing entry blocks later.
        let p = e(
            "4",
            "p2",
            LedgerKind::Militia,
            date!(2030 - 01 - 01),
            Some(date!(2030 - 02 - 01)),
        );
        assert!(conflicts(&existing, &p)[0]
            .to_string()
            .contains("đơn vị dự bị động viên"));
        // Editing entry 1 itself is not a conflict.
        let p = e(
            "1",
            "p1",
            LedgerKind::Militia,
            date!(2024 - 01 - 01),
            Some(date!(2028 - 12 - 31)),
        );
        assert!(conflicts(&existing, &p).is_empty());
    }

    #[test]
    fn equipment_and_invalid_entries() {
        let existing = vec![e(
            "1",
            "xe-01",
            LedgerKind::ReserveEquipment,
            date!(2025 - 01 - 01),
            None,
        )];
        let p = e(
            "2",
            "xe-01",
            LedgerKind::ReserveEquipment,
            date!(2020 - 01 - 01),
            Some(date!(2025 - 01 - 01)),
        );
        assert_eq!(conflicts(&existing, &p).len(), 1);
        let mut bad = e("3", "xe-02", LedgerKind::Militia, date!(2025 - 01 - 01), None);
        bad.subject = Subject::Equipment("xe-02".into());
        assert!(matches!(
            conflicts(&existing, &bad)[0],
            Conflict::SubjectKindMismatch { .. }
        ));
        let inv = e(
            "4",
            "p",
            LedgerKind::Militia,
            date!(2025 - 01 - 02),
            Some(date!(2025 - 01 - 01)),
        );
        let c = conflicts(&[], &inv);
        assert!(matches!(c[0], Conflict::InvalidInterval { .. }));
        assert!(c[0].to_string().contains("trước ngày bắt đầu"));
        // A person and a piece of equipment with the same id never collide.
        let person = e("5", "xe-01", LedgerKind::ReserveUnit, date!(2025 - 01 - 01), None);
        assert!(conflicts(&existing, &person).is_empty());
    }
}
