//! The audit chain: every write leaves an append-only entry whose hash covers the previous entry's
//! hash, so that editing or deleting any entry breaks the chain from there on.
//!
//! The chain detects tampering by anyone who cannot recompute it. Someone with raw write access to
//! the database and this source code could rebuild a consistent chain; deployments that need more
//! should copy the head hash elsewhere regularly (it is printed by `phongthu audit verify`).

use sha2::{Digest, Sha256};

/// The hash that precedes the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an audit entry commits to, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub unit_id: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

fn put(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        Some(s) => {
            h.update([1u8]);
            put(h, s);
        }
        None => h.update([0u8]),
    }
}

/// Hash of an entry chained to `prev_hash` (hex SHA-256). Each field is length-prefixed so that no
/// two different entries can serialise to the same bytes.
pub fn entry_hash(prev_hash: &str, f: &AuditFields<'_>) -> String {
    let mut h = Sha256::new();
    put(&mut h, prev_hash);
    h.update(f.seq.to_be_bytes());
    put(&mut h, f.at);
    put_opt(&mut h, f.actor_id.map(|v| v.to_string()).as_deref());
    put(&mut h, f.actor_name);
    put_opt(&mut h, f.unit_id.map(|v| v.to_string()).as_deref());
    put(&mut h, f.action);
    put(&mut h, f.entity);
    put(&mut h, f.entity_id);
    put_opt(&mut h, f.before);
    put_opt(&mut h, f.after);
    hex::encode(h.finalize())
}

/// What verification found wrong, for the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// An entry's sequence number is not the previous one plus one: entries were deleted.
    Gap { expected_seq: i64, found_seq: i64 },
    /// An entry's stored previous hash is not the previous entry's hash.
    Link { seq: i64 },
    /// An entry's content does not match its hash: it was edited.
    Content { seq: i64 },
    /// The chain ends before the recorded head: the last entries were deleted.
    Truncated { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Gap {
                expected_seq,
                found_seq,
            } => write!(
                f,
                "Nhật ký bị xóa dòng: sau dòng {} là dòng {} (thiếu từ dòng {}).",
                expected_seq - 1,
                found_seq,
                expected_seq
            ),
            ChainBreak::Link { seq } => {
                write!(f, "Dòng nhật ký {seq} không nối với dòng trước: chuỗi đã bị sửa.")
            }
            ChainBreak::Content { seq } => {
                write!(f, "Nội dung dòng nhật ký {seq} không khớp mã băm: dòng này đã bị sửa.")
            }
            ChainBreak::Truncated { head_seq, last_seq } => write!(
                f,
                "Nhật ký kết thúc ở dòng {last_seq} nhưng đầu chuỗi ghi nhận dòng {head_seq}: các dòng cuối đã bị xóa."
            ),
        }
    }
}

/// Incremental verifier: feed entries in sequence order.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_hash: String,
    next_seq: i64,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            prev_hash: GENESIS_HASH.to_string(),
            next_seq: 1,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, f: &AuditFields<'_>, prev_hash: &str, hash: &str) -> Result<(), ChainBreak> {
        if f.seq != self.next_seq {
            return Err(ChainBreak::Gap {
                expected_seq: self.next_seq,
                found_seq: f.seq,
            });
        }
        if prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: f.seq });
        }
        if entry_hash(prev_hash, f) != hash {
            return Err(ChainBreak::Content { seq: f.seq });
        }
        self.prev_hash = hash.to_string();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Checks the end of the chain against the recorded head (last sequence number and hash).
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        let last = self.next_seq - 1;
        if last != head_seq {
            return Err(ChainBreak::Truncated {
                head_seq,
                last_seq: last,
            });
        }
        if head_seq > 0 && head_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: head_seq });
        }
        Ok(())
    }

    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(seq: i64, after: &str) -> AuditFields<'_> {
        AuditFields {
            seq,
            at: "2026-01-01T00:00:00Z",
            actor_id: Some(1),
            actor_name: "admin",
            unit_id: Some(2),
            action: "create",
            entity: "org_unit",
            entity_id: "5",
            before: None,
            after: Some(after),
        }
    }

    fn chain(n: i64) -> Vec<(String, String, String)> {
        let mut prev = GENESIS_HASH.to_string();
        let mut out = vec![];
        for i in 1..=n {
            let after = format!("{{\"n\":{i}}}");
            let h = entry_hash(&prev, &fields(i, &after));
            out.push((after, prev.clone(), h.clone()));
            prev = h;
        }
        out
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let mut v = ChainVerifier::default();
        for (i, (after, prev, h)) in c.iter().enumerate() {
            v.push(&fields(i as i64 + 1, after), prev, h).unwrap();
        }
        v.finish(5, &c[4].2).unwrap();
    }

    #[test]
    fn edited_deleted_and_truncated_entries_are_detected() {
        let c = chain(5);
        // Edited content.
        let mut v = ChainVerifier::default();
        v.push(&fields(1, &c[0].0), &c[0].1, &c[0].2).unwrap();
        assert_eq!(
            v.push(&fields(2, "{\"n\":99}"), &c[1].1, &c[1].2),
            Err(ChainBreak::Content { seq: 2 })
        );
        // Deleted middle entry.
        let mut v = ChainVerifier::default();
        v.push(&fields(1, &c[0].0), &c[0].1, &c[0].2).unwrap();
        assert_eq!(
            v.push(&fields(3, &c[2].0), &c[2].1, &c[2].2),
            Err(ChainBreak::Gap {
                expected_seq: 2,
                found_seq: 3
            })
        );
        // Deleted tail.
        let mut v = ChainVerifier::default();
        for (i, (after, prev, h)) in c.iter().take(4).enumerate() {
            v.push(&fields(i as i64 + 1, after), prev, h).unwrap();
        }
        assert_eq!(
            v.finish(5, &c[4].2),
            Err(ChainBreak::Truncated {
                head_seq: 5,
                last_seq: 4
            })
        );
        assert!(ChainBreak::Content { seq: 2 }.to_string().contains("bị sửa"));
    }

    #[test]
    fn length_prefix_prevents_field_shifting() {
        let mut a = fields(1, "x");
        a.entity = "ab";
        a.entity_id = "c";
        let mut b = fields(1, "x");
        b.entity = "a";
        b.entity_id = "bc";
        assert_ne!(entry_hash(GENESIS_HASH, &a), entry_hash(GENESIS_HASH, &b));
    }
}
