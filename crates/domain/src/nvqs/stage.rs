//! One citizen's way through a call-up cycle (law brief §1.4–§1.7), as a state machine.
//!
//! ```text
//! in the pool → screened → examined (fit) → vetted → approved (official or reserve list)
//!   → call-up decision issued → handed over → confirmed after the post check
//!                                            ↘ returned (and replaced from the reserve list)
//! ```
//! Screening, the examination and vetting may also end the way (not passed, unfit, not passed);
//! a deferral or an exemption decision may be taken at any stage before handover. Every step is a
//! recorded transition; the only way back is a new transition, [`Transition::Revert`], that
//! undoes the latest step still in force (so the history keeps both).

use std::fmt;

/// Which list an approved citizen is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallUpList {
    /// Called up (chính thức).
    Official,
    /// Reserve (dự phòng): called up only to replace someone.
    Reserve,
}

impl CallUpList {
    pub fn code(self) -> &'static str {
        match self {
            CallUpList::Official => "official",
            CallUpList::Reserve => "reserve",
        }
    }

    pub fn parse(code: &str) -> Option<CallUpList> {
        match code {
            "official" => Some(CallUpList::Official),
            "reserve" => Some(CallUpList::Reserve),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            CallUpList::Official => "chính thức",
            CallUpList::Reserve => "dự phòng",
        }
    }
}

/// Where a citizen stands in a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Pool,
    Screened,
    ScreeningFailed,
    Examined,
    Unfit,
    Vetted,
    VettingFailed,
    Approved(CallUpList),
    CallUpIssued,
    HandedOver,
    Confirmed,
    Returned,
    Deferred,
    Exempted,
}

impl Stage {
    pub const ALL: [Stage; 15] = [
        Stage::Pool,
        Stage::Screened,
        Stage::ScreeningFailed,
        Stage::Examined,
        Stage::Unfit,
        Stage::Vetted,
        Stage::VettingFailed,
        Stage::Approved(CallUpList::Official),
        Stage::Approved(CallUpList::Reserve),
        Stage::CallUpIssued,
        Stage::HandedOver,
        Stage::Confirmed,
        Stage::Returned,
        Stage::Deferred,
        Stage::Exempted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Pool => "pool",
            Stage::Screened => "screened",
            Stage::ScreeningFailed => "screening_failed",
            Stage::Examined => "examined",
            Stage::Unfit => "unfit",
            Stage::Vetted => "vetted",
            Stage::VettingFailed => "vetting_failed",
            Stage::Approved(CallUpList::Official) => "approved_official",
            Stage::Approved(CallUpList::Reserve) => "approved_reserve",
            Stage::CallUpIssued => "call_up_issued",
            Stage::HandedOver => "handed_over",
            Stage::Confirmed => "confirmed",
            Stage::Returned => "returned",
            Stage::Deferred => "deferred",
            Stage::Exempted => "exempted",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Stage::Pool => "Trong nguồn",
            Stage::Screened => "Đạt sơ tuyển",
            Stage::ScreeningFailed => "Không đạt sơ tuyển",
            Stage::Examined => "Đủ sức khỏe",
            Stage::Unfit => "Không đủ sức khỏe",
            Stage::Vetted => "Đạt thẩm tra chính trị",
            Stage::VettingFailed => "Không đạt thẩm tra chính trị",
            Stage::Approved(CallUpList::Official) => "Được duyệt (chính thức)",
            Stage::Approved(CallUpList::Reserve) => "Được duyệt (dự phòng)",
            Stage::CallUpIssued => "Đã có quyết định gọi nhập ngũ",
            Stage::HandedOver => "Đã giao quân",
            Stage::Confirmed => "Đạt phúc tra",
            Stage::Returned => "Bị trả về sau phúc tra",
            Stage::Deferred => "Tạm hoãn",
            Stage::Exempted => "Miễn",
        }
    }

    /// No step forward is possible (only a revert). "Unfit" is not final: a deferral under
    /// Art. 41.1.a may follow it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Stage::ScreeningFailed
                | Stage::VettingFailed
                | Stage::Confirmed
                | Stage::Returned
                | Stage::Deferred
                | Stage::Exempted
        )
    }

    /// Reached the examination list (passed screening, whatever came next).
    pub fn reached_exam_list(self) -> bool {
        !matches!(
            self,
            Stage::Pool | Stage::ScreeningFailed | Stage::Deferred | Stage::Exempted
        )
    }

    /// Issued a call-up decision (whatever came next).
    pub fn called_up(self) -> bool {
        matches!(
            self,
            Stage::CallUpIssued | Stage::HandedOver | Stage::Confirmed | Stage::Returned
        )
    }

    /// Handed over to the army (whatever the post check found).
    pub fn handed_over(self) -> bool {
        matches!(self, Stage::HandedOver | Stage::Confirmed | Stage::Returned)
    }
}

/// The kind of a transition, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    Screen,
    Examine,
    Vet,
    Approve,
    IssueCallUp,
    HandOver,
    Confirm,
    Return,
    Defer,
    Exempt,
    Revert,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 11] = [
        TransitionKind::Screen,
        TransitionKind::Examine,
        TransitionKind::Vet,
        TransitionKind::Approve,
        TransitionKind::IssueCallUp,
        TransitionKind::HandOver,
        TransitionKind::Confirm,
        TransitionKind::Return,
        TransitionKind::Defer,
        TransitionKind::Exempt,
        TransitionKind::Revert,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TransitionKind::Screen => "screen",
            TransitionKind::Examine => "examine",
            TransitionKind::Vet => "vet",
            TransitionKind::Approve => "approve",
            TransitionKind::IssueCallUp => "issue_call_up",
            TransitionKind::HandOver => "hand_over",
            TransitionKind::Confirm => "confirm",
            TransitionKind::Return => "return",
            TransitionKind::Defer => "defer",
            TransitionKind::Exempt => "exempt",
            TransitionKind::Revert => "revert",
        }
    }

    pub fn parse(code: &str) -> Option<TransitionKind> {
        TransitionKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            TransitionKind::Screen => "Sơ tuyển",
            TransitionKind::Examine => "Khám sức khỏe",
            TransitionKind::Vet => "Thẩm tra chính trị",
            TransitionKind::Approve => "Duyệt danh sách",
            TransitionKind::IssueCallUp => "Quyết định gọi nhập ngũ",
            TransitionKind::HandOver => "Giao quân",
            TransitionKind::Confirm => "Phúc tra đạt",
            TransitionKind::Return => "Trả về sau phúc tra",
            TransitionKind::Defer => "Quyết định tạm hoãn",
            TransitionKind::Exempt => "Quyết định miễn",
            TransitionKind::Revert => "Hủy bước trước",
        }
    }
}

/// A step asked for. The data that go with it (exam scores, decision numbers, evidence) are
/// stored beside it; the state machine only needs what changes the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Screen {
        passed: bool,
    },
    /// `fit`: the engine, given the examination, found the citizen eligible.
    Examine {
        fit: bool,
    },
    Vet {
        passed: bool,
    },
    Approve(CallUpList),
    IssueCallUp,
    HandOver,
    Confirm,
    Return,
    Defer,
    Exempt,
    /// Undo the latest step in force.
    Revert,
}

impl Transition {
    pub fn kind(self) -> TransitionKind {
        match self {
            Transition::Screen { .. } => TransitionKind::Screen,
            Transition::Examine { .. } => TransitionKind::Examine,
            Transition::Vet { .. } => TransitionKind::Vet,
            Transition::Approve(_) => TransitionKind::Approve,
            Transition::IssueCallUp => TransitionKind::IssueCallUp,
            Transition::HandOver => TransitionKind::HandOver,
            Transition::Confirm => TransitionKind::Confirm,
            Transition::Return => TransitionKind::Return,
            Transition::Defer => TransitionKind::Defer,
            Transition::Exempt => TransitionKind::Exempt,
            Transition::Revert => TransitionKind::Revert,
        }
    }
}

/// A step that the current stage does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageError {
    NotAllowed { from: Stage, kind: TransitionKind },
    NothingToRevert,
}

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StageError::NotAllowed { from, kind } => write!(
                f,
                "Không thể thực hiện bước \"{}\" khi công dân đang ở trạng thái \"{}\".",
                kind.label_vi(),
                from.label_vi()
            ),
            StageError::NothingToRevert => f.write_str("Công dân chưa có bước nào để hủy."),
        }
    }
}

impl std::error::Error for StageError {}

/// The stage a forward transition leads to from `from`, or why it may not be taken.
/// [`Transition::Revert`] is handled by [`History`], which knows what came before.
pub fn next(from: Stage, t: Transition) -> Result<Stage, StageError> {
    use Stage::*;
    let refuse = || StageError::NotAllowed { from, kind: t.kind() };
    let before_handover = matches!(from, Pool | Screened | Examined | Vetted | Approved(_) | CallUpIssued);
    match (from, t) {
        (Pool, Transition::Screen { passed }) => Ok(if passed { Screened } else { ScreeningFailed }),
        (Screened, Transition::Examine { fit }) => Ok(if fit { Examined } else { Unfit }),
        (Examined, Transition::Vet { passed }) => Ok(if passed { Vetted } else { VettingFailed }),
        (Vetted, Transition::Approve(list)) => Ok(Approved(list)),
        // A reserve citizen is called up only to replace someone; the caller checks the cap.
        (Approved(_), Transition::IssueCallUp) => Ok(CallUpIssued),
        (CallUpIssued, Transition::HandOver) => Ok(HandedOver),
        (HandedOver, Transition::Confirm) => Ok(Confirmed),
        (HandedOver, Transition::Return) => Ok(Returned),
        (_, Transition::Defer) if before_handover => Ok(Deferred),
        // Health class 4–6 found at the examination is a deferral ground (Art. 41.1.a): the
        // deferral decision follows the "unfit" result (the caller checks the class and ground).
        (Unfit, Transition::Defer) => Ok(Deferred),
        (_, Transition::Exempt) if before_handover => Ok(Exempted),
        _ => Err(refuse()),
    }
}

/// The kinds of forward step the state machine allows from `from` (a revert is not among them:
/// it depends on the history, see [`History::peek`]).
pub fn possible_steps(from: Stage) -> Vec<TransitionKind> {
    TransitionKind::ALL
        .into_iter()
        .filter(|k| {
            let probe = match k {
                TransitionKind::Screen => Transition::Screen { passed: true },
                TransitionKind::Examine => Transition::Examine { fit: true },
                TransitionKind::Vet => Transition::Vet { passed: true },
                TransitionKind::Approve => Transition::Approve(CallUpList::Official),
                TransitionKind::IssueCallUp => Transition::IssueCallUp,
                TransitionKind::HandOver => Transition::HandOver,
                TransitionKind::Confirm => Transition::Confirm,
                TransitionKind::Return => Transition::Return,
                TransitionKind::Defer => Transition::Defer,
                TransitionKind::Exempt => Transition::Exempt,
                TransitionKind::Revert => return false,
            };
            next(from, probe).is_ok()
        })
        .collect()
}

/// The steps still in force for one citizen, oldest first, and the stage they lead to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// (event id, stage after it) of each step in force.
    steps: Vec<(i64, Stage)>,
}

impl History {
    pub fn stage(&self) -> Stage {
        self.steps.last().map_or(Stage::Pool, |(_, s)| *s)
    }

    /// The event a revert would undo.
    pub fn latest(&self) -> Option<i64> {
        self.steps.last().map(|(id, _)| *id)
    }

    /// What `t` would lead to, without applying it.
    pub fn peek(&self, t: Transition) -> Result<Stage, StageError> {
        match t {
            Transition::Revert => {
                let n = self.steps.len();
                if n == 0 {
                    return Err(StageError::NothingToRevert);
                }
                Ok(if n >= 2 { self.steps[n - 2].1 } else { Stage::Pool })
            }
            _ => next(self.stage(), t),
        }
    }

    /// Applies a recorded event (`id`); a revert pops the latest step.
    pub fn apply(&mut self, id: i64, t: Transition) -> Result<Stage, StageError> {
        let stage = self.peek(t)?;
        if t == Transition::Revert {
            self.steps.pop();
        } else {
            self.steps.push((id, stage));
        }
        Ok(stage)
    }

    /// Rebuilds from the stored events, oldest first.
    pub fn replay(events: impl IntoIterator<Item = (i64, Transition)>) -> Result<History, StageError> {
        let mut h = History::default();
        for (id, t) in events {
            h.apply(id, t)?;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FORWARD: [Transition; 13] = [
        Transition::Screen { passed: true },
        Transition::Screen { passed: false },
        Transition::Examine { fit: true },
        Transition::Examine { fit: false },
        Transition::Vet { passed: true },
        Transition::Vet { passed: false },
        Transition::Approve(CallUpList::Official),
        Transition::Approve(CallUpList::Reserve),
        Transition::IssueCallUp,
        Transition::HandOver,
        Transition::Confirm,
        Transition::Return,
        Transition::Defer,
    ];

    #[test]
    fn the_whole_way() {
        let mut h = History::default();
        let steps = [
            Transition::Screen { passed: true },
            Transition::Examine { fit: true },
            Transition::Vet { passed: true },
            Transition::Approve(CallUpList::Official),
            Transition::IssueCallUp,
            Transition::HandOver,
            Transition::Confirm,
        ];
        for (i, t) in steps.into_iter().enumerate() {
            h.apply(i as i64, t).unwrap();
        }
        assert_eq!(h.stage(), Stage::Confirmed);
        assert!(h.stage().is_final());
    }

    #[test]
    fn skipping_a_stage_is_refused_with_a_vietnamese_reason() {
        let e = next(Stage::Pool, Transition::Examine { fit: true }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Không thể thực hiện bước \"Khám sức khỏe\" khi công dân đang ở trạng thái \"Trong nguồn\"."
        );
        assert!(next(Stage::Screened, Transition::HandOver).is_err());
        assert!(next(Stage::Vetted, Transition::IssueCallUp).is_err());
    }

    #[test]
    fn deferral_only_before_handover() {
        for s in [
            Stage::Pool,
            Stage::Vetted,
            Stage::CallUpIssued,
            Stage::Approved(CallUpList::Reserve),
        ] {
            assert_eq!(next(s, Transition::Defer), Ok(Stage::Deferred));
            assert_eq!(next(s, Transition::Exempt), Ok(Stage::Exempted));
        }
        for s in [Stage::HandedOver, Stage::Confirmed, Stage::Returned, Stage::Deferred] {
            assert!(next(s, Transition::Defer).is_err());
        }
        // After an "unfit" examination: the deferral of Art. 41.1.a, nothing else.
        assert_eq!(next(Stage::Unfit, Transition::Defer), Ok(Stage::Deferred));
        assert_eq!(possible_steps(Stage::Unfit), vec![TransitionKind::Defer]);
    }

    #[test]
    fn revert_undoes_the_latest_step_only() {
        let mut h = History::default();
        assert_eq!(h.apply(1, Transition::Revert), Err(StageError::NothingToRevert));
        h.apply(1, Transition::Screen { passed: true }).unwrap();
        h.apply(2, Transition::Examine { fit: false }).unwrap();
        assert_eq!(h.stage(), Stage::Unfit);
        assert_eq!(h.latest(), Some(2));
        assert_eq!(h.apply(3, Transition::Revert), Ok(Stage::Screened));
        assert_eq!(h.latest(), Some(1));
        h.apply(4, Transition::Examine { fit: true }).unwrap();
        assert_eq!(h.stage(), Stage::Examined);
        assert_eq!(h.apply(5, Transition::Revert), Ok(Stage::Screened));
        assert_eq!(h.apply(6, Transition::Revert), Ok(Stage::Pool));
    }

    #[test]
    fn possible_steps_follow_the_machine() {
        assert_eq!(
            possible_steps(Stage::Pool),
            vec![TransitionKind::Screen, TransitionKind::Defer, TransitionKind::Exempt]
        );
        assert_eq!(
            possible_steps(Stage::HandedOver),
            vec![TransitionKind::Confirm, TransitionKind::Return]
        );
        assert!(possible_steps(Stage::Confirmed).is_empty());
    }

    #[test]
    fn codes_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.code()), Some(s));
        }
        for k in TransitionKind::ALL {
            assert_eq!(TransitionKind::parse(k.code()), Some(k));
        }
    }

    proptest! {
        /// Whatever steps are tried, a replay of the accepted ones gives the same stage, and a
        /// final stage accepts nothing but a revert.
        #[test]
        fn replay_is_faithful(picks in proptest::collection::vec(0usize..14, 0..40)) {
            let mut h = History::default();
            let mut log = Vec::new();
            for (i, p) in picks.into_iter().enumerate() {
                let t = if p == 13 { Transition::Revert } else { FORWARD[p] };
                let before = h.stage();
                if h.apply(i as i64, t).is_ok() {
                    log.push((i as i64, t));
                } else if t != Transition::Revert {
                    prop_assert!(before.is_final() || next(before, t).is_err());
                }
            }
            let replayed = History::replay(log).unwrap();
            prop_assert_eq!(replayed.stage(), h.stage());
            if h.stage().is_final() {
                for t in FORWARD {
                    prop_assert!(next(h.stage(), t).is_err());
                }
            }
        }
    }
}
