//! The registry list and search: one page in Vietnamese order, read through indexes, with a
//! count that is exact when it is cheap and bounded ([`COUNT_CAP`], said as "more than") when
//! it is not.
//!
//! A name or ID query is planned in two ways, by how many records its rarest word could match
//! (counted through the name-word index, [`super::words`], and never past
//! [`CANDIDATE_CAP`]):
//! * few candidates: the records are read from that word's index range, the rest of the rule
//!   checked on them, and the page sorted among them; the count is exact;
//! * many (every word of the query is common: "nguyen van"): the scope is read in list order and
//!   the page is the first records that match, which come soon since matches are common; the
//!   count stops at [`COUNT_CAP`].
//!
//! Both plans keep exactly the records of the search rule (the conditions of
//! `filter_conditions`); the index only narrows where they are looked for.

use super::words::prefix_end;
use super::{citizen_row, filter_conditions, CitizenFilter, CitizenPage, Paging, Sql, CITIZEN_COLUMNS_SQL};
use crate::error::StoreError;
use crate::scope::Scoped;
use phongthu_domain::auth::Permission;
use phongthu_domain::text;
use sqlx::Row;

/// Counting matches stops past this number: the page then says "more than 1.000".
pub const COUNT_CAP: i64 = 1000;

/// A query word matching at most this many name words drives the search through the index.
pub const CANDIDATE_CAP: i64 = 20_000;

/// The index words a query looks up: its folded name words (alphanumeric characters only, as
/// the rule compares them), or `#` and its digits for an ID number. Empty without a query.
pub(crate) fn query_index_words(f: &CitizenFilter) -> Vec<String> {
    let Some(q) = f.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) else {
        return vec![];
    };
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return vec![format!("#{digits}")];
    }
    text::fold(q)
        .split(' ')
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

impl Scoped<'_> {
    /// The number of records the index holds under `word` as a prefix, counted up to
    /// `CANDIDATE_CAP + 1` (an index-only range read).
    async fn candidates(&self, word: &str) -> Result<i64, StoreError> {
        let mut sql = Sql::bare();
        let lo = sql.text(word);
        let range = match prefix_end(word) {
            Some(end) => format!("word >= {lo} AND word < {}", sql.text(end)),
            None => format!("word >= {lo}"),
        };
        sql.text = format!(
            "SELECT count(*) FROM (SELECT 1 FROM citizen_word WHERE {range} LIMIT {}) t",
            CANDIDATE_CAP + 1
        );
        Ok(sql.query().fetch_one(&self.store.pool).await?.get(0))
    }

    /// The query word to drive the search through the index: the one with the fewest
    /// candidates, when they are at most [`CANDIDATE_CAP`].
    async fn driving_word(&self, f: &CitizenFilter) -> Result<Option<String>, StoreError> {
        let mut best: Option<(i64, String)> = None;
        let mut words = query_index_words(f);
        words.sort();
        words.dedup();
        for w in words {
            let n = self.candidates(&w).await?;
            if n <= CANDIDATE_CAP && best.as_ref().is_none_or(|(b, _)| n < *b) {
                best = Some((n, w));
            }
        }
        Ok(best.map(|(_, w)| w))
    }

    /// A page of records in scope, in Vietnamese order of given name, middle name, family name.
    /// `total` counts every matching record when `capped` is false; otherwise counting stopped
    /// past [`COUNT_CAP`] and `total` is that bound.
    pub async fn list_citizens(&self, f: &CitizenFilter, page: Paging) -> Result<CitizenPage, StoreError> {
        self.require(Permission::Read)?;
        let driver = self.driving_word(f).await?;
        let conditions = |sql: &mut Sql| {
            let mut cond = filter_conditions(sql, f);
            if let Some(w) = &driver {
                let lo = sql.text(w.clone());
                let range = match prefix_end(w) {
                    Some(end) => format!("word >= {lo} AND word < {}", sql.text(end)),
                    None => format!("word >= {lo}"),
                };
                cond.push_str(&format!(
                    " AND c.id IN (SELECT citizen_id FROM citizen_word WHERE {range})"
                ));
            }
            cond
        };
        let limit = page.limit.clamp(1, 1000);
        let mut sql = Sql::scoped(self.actor.unit_id);
        let mut cond = conditions(&mut sql);
        let dense = driver.is_none() && !query_index_words(f).is_empty();
        if driver.is_none() {
            // Read in list order (the sort-key index walked, not the scope's units sorted): the
            // page's records come first. Dialect-neutral hint: `+` keeps both planners from
            // choosing the unit index for the scope condition.
            cond = cond.replacen("c.unit_id IN (", "+c.unit_id IN (", 1);
        }
        // One record more than the page says whether another page follows.
        let fetch = sql.int(limit + i64::from(dense));
        let offset = sql.int(page.bounded_offset());
        sql.text = format!(
            "SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE {cond} ORDER BY c.sort_key, c.id LIMIT {fetch} OFFSET {offset}"
        );
        let rows = sql.query().fetch_all(&self.store.pool).await?;
        let mut items: Vec<_> = rows.iter().map(citizen_row).collect();
        let (total, capped) = if dense {
            // Common words only: the matches are not counted (that would read the scope); the
            // page says how many it has seen and whether there are more.
            let more = items.len() as i64 > limit;
            items.truncate(limit as usize);
            (page.bounded_offset() + items.len() as i64, more)
        } else {
            let mut count = Sql::scoped(self.actor.unit_id);
            let cond = conditions(&mut count);
            if driver.is_some() {
                // At most CANDIDATE_CAP records to look at: counted exactly.
                count.text = format!("SELECT count(*) FROM citizen c WHERE {cond}");
                (count.query().fetch_one(&self.store.pool).await?.get::<i64, _>(0), false)
            } else {
                count.text = format!(
                    "SELECT count(*) FROM (SELECT 1 FROM citizen c WHERE {cond} LIMIT {}) t",
                    COUNT_CAP + 1
                );
                let n: i64 = count.query().fetch_one(&self.store.pool).await?.get(0);
                (n.min(COUNT_CAP), n > COUNT_CAP)
            }
        };
        Ok(CitizenPage { total, capped, items })
    }

    /// The number of records in scope, exact (the home page's figure, computed once per expiry
    /// of its cache): the scope's units counted through the `(unit_id, sort_key)` index.
    pub async fn citizen_count(&self) -> Result<i64, StoreError> {
        self.require(Permission::Read)?;
        let mut sql = Sql::scoped(self.actor.unit_id);
        let cond = filter_conditions(&mut sql, &CitizenFilter::default());
        sql.text = format!("SELECT count(*) FROM citizen c WHERE {cond}");
        Ok(sql.query().fetch_one(&self.store.pool).await?.get(0))
    }
}
