//! The dates of a call-up step checked against the cycle and against today (the domain's rules
//! `dates::check_past_event`, `dates::check_act_date`, `dates::check_within` and
//! `nvqs::plan::cycle_span`).

use crate::cycle::CallUpCycle;
use phongthu_domain::nvqs::stage::TransitionKind;
use time::Date;

/// The date of a step, with the user's confirmation that a decision dated after today is meant
/// (`domain::dates::check_act_date`). A plain [`Date`] is a date without that confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDate {
    pub on: Date,
    pub future_confirmed: bool,
}

impl From<Date> for StepDate {
    fn from(on: Date) -> StepDate {
        StepDate {
            on,
            future_confirmed: false,
        }
    }
}

/// A step's date checked against the cycle (`plan::cycle_span`) and against today: a step that
/// records what happened (screening, examination, vetting, handover, the post check, a return, a
/// revert) cannot lie after today; a decision (approval to a list, call-up, deferral, exemption)
/// dated after today needs the user's confirmation.
pub(crate) fn check_step_date(
    cycle: &CallUpCycle,
    kind: TransitionKind,
    date: StepDate,
    today: Date,
) -> Result<(), String> {
    use phongthu_domain::dates::{check_act_date, check_past_event, check_within};
    let what = format!("Ngày {}", kind.label_vi().to_lowercase());
    let (from, to) = phongthu_domain::nvqs::plan::cycle_span(cycle.year);
    check_within(&what, date.on, from, to, &format!("đợt tuyển quân năm {}", cycle.year))?;
    match kind {
        TransitionKind::Approve | TransitionKind::IssueCallUp | TransitionKind::Defer | TransitionKind::Exempt => {
            check_act_date(&what, date.on, today, date.future_confirmed)
        }
        _ => check_past_event(&what, date.on, today),
    }
}
