//! The name-word index of the registry (`citizen_word`, migration 18): each word of a record's
//! folded name, and its ID numbers marked with `#`, one row each, keyed `(word, citizen_id)`.
//!
//! The search rule is unchanged: every word of the query starts some word of the folded name
//! (`(' ' || name_folded) LIKE '% word%'`), or a query of digits starts the national or the old
//! ID number. The index only finds the candidates: the records one query word starts a word of,
//! through a B-tree range (`word >= w AND word < w'`, bytewise on both engines: PostgreSQL's
//! column is `COLLATE "C"`), and the query's own conditions then keep exactly the records the
//! rule keeps. Every write of a record's name or numbers rewrites its rows in the same
//! transaction: creation and update one record at a time, an import once for its id range.

use crate::db::Backend;
use crate::error::StoreError;

/// Fills the index for the records with ids in `[$1, $2]` (rows already there are kept).
/// Dialect branch: SQLite splits the name with a recursive query (it has no string-to-rows
/// function), PostgreSQL with `string_to_array`; the rows are the same.
pub(crate) fn fill_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => FILL_SQLITE,
        Backend::Postgres => FILL_POSTGRES,
    }
}

const FILL_SQLITE: &str = "WITH RECURSIVE w(id, word, rest) AS ( \
       SELECT id, '', name_folded || ' ' FROM citizen WHERE id >= $1 AND id <= $2 \
       UNION ALL \
       SELECT id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM w WHERE rest <> '' \
     ) \
     INSERT OR IGNORE INTO citizen_word (word, citizen_id) \
     SELECT word, id FROM ( \
       SELECT word, id FROM w WHERE word <> '' \
       UNION ALL SELECT '#' || national_id, id FROM citizen WHERE id >= $1 AND id <= $2 AND national_id IS NOT NULL \
       UNION ALL SELECT '#' || legacy_id, id FROM citizen WHERE id >= $1 AND id <= $2 AND legacy_id IS NOT NULL \
     ) ORDER BY 1, 2";

const FILL_POSTGRES: &str = "INSERT INTO citizen_word (word, citizen_id) \
     SELECT DISTINCT word, id FROM ( \
       SELECT w AS word, id FROM citizen, unnest(string_to_array(name_folded, ' ')) AS w \
        WHERE id >= $1 AND id <= $2 AND w <> '' \
       UNION ALL SELECT '#' || national_id, id FROM citizen WHERE id >= $1 AND id <= $2 AND national_id IS NOT NULL \
       UNION ALL SELECT '#' || legacy_id, id FROM citizen WHERE id >= $1 AND id <= $2 AND legacy_id IS NOT NULL \
     ) t ON CONFLICT DO NOTHING";

/// Indexes the records with ids in `[first, last]`, in the caller's transaction.
pub(crate) async fn index_range(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    first: i64,
    last: i64,
) -> Result<(), StoreError> {
    sqlx::query(fill_sql(backend))
        .bind(first)
        .bind(last)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes one record's rows (before its name or numbers change), in the caller's transaction:
/// its current words are read from the record, so each row is found by its key.
pub(crate) async fn unindex(conn: &mut sqlx::AnyConnection, citizen_id: i64) -> Result<(), StoreError> {
    use sqlx::Row;
    let row = sqlx::query("SELECT name_folded, national_id, legacy_id FROM citizen WHERE id = $1")
        .bind(citizen_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(()) };
    let name: String = row.get(0);
    let mut words: Vec<String> = name.split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect();
    for i in [1, 2] {
        if let Some(n) = row.get::<Option<String>, _>(i) {
            words.push(format!("#{n}"));
        }
    }
    for w in words {
        sqlx::query("DELETE FROM citizen_word WHERE word = $1 AND citizen_id = $2")
            .bind(w)
            .bind(citizen_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The smallest text greater than every text that starts with `prefix` (bytewise, which is
/// code-point order in UTF-8): its last character moved one on. None when no such text exists.
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends_bound_every_continuation() {
        assert_eq!(prefix_end("duc").as_deref(), Some("dud"));
        assert_eq!(prefix_end("#0332").as_deref(), Some("#0333"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        for (p, w) in [("ng", "nguyen"), ("ng", "ngzzz"), ("9", "99"), ("thi", "thi")] {
            let end = prefix_end(p).unwrap();
            assert!(p <= w && w < end.as_str(), "{p} {w} {end}");
        }
        assert!("nh" >= prefix_end("ng").unwrap().as_str());
    }
}
