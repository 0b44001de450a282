//! What the documents of a commune's call-up print, read from the steps in force: the call-up
//! decisions' reporting place and time (entered with the decision), and who a call to screening
//! or to the examination was issued to, so that a document once issued prints again the same
//! later, when the citizens have moved on to later stages.

use crate::error::StoreError;
use crate::scope::Scoped;
use sqlx::Row;
use std::collections::HashMap;

/// A step in force for one citizen: its date and what was recorded with it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInForce {
    pub event_date: String,
    pub detail: serde_json::Value,
}

impl StepInForce {
    /// A text recorded with the step (`report_place`, `report_at`, …), if any.
    pub fn text(&self, key: &str) -> Option<String> {
        self.detail
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

impl Scoped<'_> {
    /// The latest step of `kind` (a transition code: `screen`, `issue_call_up`, …) in force for
    /// each citizen of a commune in a cycle (not undone by a revert), by citizen id.
    pub async fn steps_in_force(
        &self,
        cycle_id: i64,
        unit_id: i64,
        kind: &str,
    ) -> Result<HashMap<i64, StepInForce>, StoreError> {
        let cycle = self.cycle(cycle_id).await?;
        self.cycle_commune(&cycle, unit_id).await?;
        let rows = sqlx::query(
            "SELECT e.citizen_id, e.event_date, e.detail FROM nvqs_stage_event e \
             WHERE e.cycle_id = $1 AND e.unit_id = $2 AND e.kind = $3 \
             AND NOT EXISTS (SELECT 1 FROM nvqs_stage_event r WHERE r.reverts_event_id = e.id) ORDER BY e.id",
        )
        .bind(cycle_id)
        .bind(unit_id)
        .bind(kind)
        .fetch_all(&self.store.pool)
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            let detail: String = r.get(2);
            out.insert(
                r.get::<i64, _>(0),
                StepInForce {
                    event_date: r.get(1),
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                },
            );
        }
        Ok(out)
    }
}
