//! Throttling of password guesses, in memory.
//!
//! Two counters, neither of which locks anybody out for good:
//!
//! - **Per (account, address).** The first [`FREE_FAILURES`] wrong passwords for one account from
//!   one address cost nothing; after them each further attempt from that pair must wait
//!   [`delay_after`]: 2, 4, 8 … seconds, at most [`MAX_DELAY`] (15 minutes). A successful login
//!   of that account from that address clears the pair; so does a quiet [`FORGET_AFTER`]. The
//!   real user at another address is never slowed by someone guessing his password elsewhere,
//!   and at the same address he is slowed, not locked.
//! - **Per address**, a ceiling much higher than one account's: [`ADDRESS_MAX_FAILURES`] wrong
//!   passwords within [`ADDRESS_WINDOW`], whatever the accounts, block the address until the
//!   window has passed. Nobody's successful login resets it (else an attacker who has one account
//!   would reset his own counter). Behind a proxy, where every user has the proxy's address,
//!   one user's mistakes (or one attacker's guesses for one name) do not reach it.
//!
//! The account is the name as typed (trimmed, lower case), known or not: an unknown name is
//! throttled exactly like a known one, so the answers tell nothing about which accounts exist.
//! The change-password form uses the same counters keyed by the logged-in user alone
//! (`address: None`, no ceiling): a stolen session cannot try passwords at the rate of the
//! server.
//!
//! Why in memory and in the web layer: only the web takes passwords from strangers, the counters
//! are consulted on every attempt (a database write per wrong password would hand an attacker
//! the write lock), and losing them on a restart only gives back a few free attempts. The maps
//! are bounded ([`MAX_ENTRIES`]); one server process serves one database (a second process would
//! keep its own counters).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong passwords per (account, address) before attempts are delayed.
pub const FREE_FAILURES: u32 = 5;
/// The longest delay between attempts of one (account, address).
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A pair with no failure for this long is forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Wrong passwords from one address, all accounts together, within [`ADDRESS_WINDOW`].
pub const ADDRESS_MAX_FAILURES: u32 = 200;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most pairs or addresses remembered; beyond it the harmless ones (not delaying) are dropped.
pub const MAX_ENTRIES: usize = 100_000;

/// How long an attempt must wait after the last failure, once `failures` wrong passwords were
/// given for one (account, address): nothing up to [`FREE_FAILURES`], then 2^(n − 4) seconds
/// (2 s after the fifth, 4 s after the sixth …), at most [`MAX_DELAY`].
pub fn delay_after(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_FAILURES + 1).min(20);
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

struct Pair {
    failures: u32,
    last: Instant,
}

struct Address {
    failures: u32,
    since: Instant,
}

#[derive(Default)]
struct Maps {
    pairs: HashMap<(String, String), Pair>,
    addresses: HashMap<String, Address>,
}

#[derive(Default)]
pub struct Throttle {
    maps: Mutex<Maps>,
}

fn key(account: &str, address: Option<&str>) -> (String, String) {
    (account.trim().to_lowercase(), address.unwrap_or("").to_string())
}

impl Throttle {
    /// How long the attempt must wait, when it may not go on now.
    pub fn wait(&self, account: &str, address: Option<&str>) -> Option<Duration> {
        self.wait_at(account, address, Instant::now())
    }

    pub fn failed(&self, account: &str, address: Option<&str>) {
        self.failed_at(account, address, Instant::now())
    }

    /// A right password: the pair starts afresh. The address's count stays.
    pub fn succeeded(&self, account: &str, address: Option<&str>) {
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        maps.pairs.remove(&key(account, address));
    }

    fn wait_at(&self, account: &str, address: Option<&str>, now: Instant) -> Option<Duration> {
        let maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        if let Some(p) = maps.pairs.get(&key(account, address)) {
            let since = now.saturating_duration_since(p.last);
            if since < FORGET_AFTER {
                wait = wait.max(delay_after(p.failures).saturating_sub(since));
            }
        }
        if let Some(a) = address.and_then(|a| maps.addresses.get(a)) {
            let since = now.saturating_duration_since(a.since);
            if a.failures >= ADDRESS_MAX_FAILURES && since < ADDRESS_WINDOW {
                wait = wait.max(ADDRESS_WINDOW - since);
            }
        }
        (!wait.is_zero()).then_some(wait)
    }

    fn failed_at(&self, account: &str, address: Option<&str>, now: Instant) {
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        if maps.pairs.len() >= MAX_ENTRIES {
            maps.pairs
                .retain(|_, p| p.failures >= FREE_FAILURES && now.saturating_duration_since(p.last) < FORGET_AFTER);
            if maps.pairs.len() >= MAX_ENTRIES {
                tracing::warn!("Quá nhiều cặp tài khoản – địa chỉ bị hạn chế đăng nhập; xóa bộ đếm.");
                maps.pairs.clear();
            }
        }
        let p = maps
            .pairs
            .entry(key(account, address))
            .or_insert(Pair { failures: 0, last: now });
        if now.saturating_duration_since(p.last) >= FORGET_AFTER {
            p.failures = 0;
        }
        p.failures = p.failures.saturating_add(1);
        p.last = now;
        let Some(address) = address else { return };
        if maps.addresses.len() >= MAX_ENTRIES {
            maps.addresses
                .retain(|_, a| now.saturating_duration_since(a.since) < ADDRESS_WINDOW);
            if maps.addresses.len() >= MAX_ENTRIES {
                maps.addresses.clear();
            }
        }
        let a = maps.addresses.entry(address.to_string()).or_insert(Address {
            failures: 0,
            since: now,
        });
        if now.saturating_duration_since(a.since) >= ADDRESS_WINDOW {
            *a = Address {
                failures: 0,
                since: now,
            };
        }
        a.failures = a.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn delays_grow_and_stop_at_fifteen_minutes() {
        assert_eq!(delay_after(0), Duration::ZERO);
        assert_eq!(delay_after(4), Duration::ZERO);
        assert_eq!(delay_after(5), 2 * S);
        assert_eq!(delay_after(6), 4 * S);
        assert_eq!(delay_after(9), 32 * S);
        assert_eq!(delay_after(14), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_pair_is_delayed_not_locked_and_others_go_on() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..FREE_FAILURES {
            assert_eq!(t.wait_at("ChiHuy ", Some("10.0.0.1"), t0), None, "attempt {i} is free");
            t.failed_at("chihuy", Some("10.0.0.1"), t0);
        }
        // The sixth waits two seconds, whatever the case of the name.
        assert_eq!(t.wait_at("CHIHUY", Some("10.0.0.1"), t0), Some(2 * S));
        assert_eq!(t.wait_at("chihuy", Some("10.0.0.1"), t0 + S), Some(S));
        assert_eq!(t.wait_at("chihuy", Some("10.0.0.1"), t0 + 2 * S), None);
        // The same account from elsewhere, and another account from there, are not slowed.
        assert_eq!(t.wait_at("chihuy", Some("10.0.0.2"), t0), None);
        assert_eq!(t.wait_at("lanhdao", Some("10.0.0.1"), t0), None);
        // Each further failure doubles the wait, up to fifteen minutes: never a lock.
        let mut now = t0;
        for _ in 0..30 {
            now += t.wait_at("chihuy", Some("10.0.0.1"), now).unwrap_or_default();
            t.failed_at("chihuy", Some("10.0.0.1"), now);
        }
        assert_eq!(t.wait_at("chihuy", Some("10.0.0.1"), now), Some(MAX_DELAY));
        assert_eq!(t.wait_at("chihuy", Some("10.0.0.1"), now + MAX_DELAY), None);
        // A success of the pair starts it afresh; a quiet day forgets it.
        t.succeeded("chihuy", Some("10.0.0.1"));
        assert_eq!(t.wait_at("chihuy", Some("10.0.0.1"), now), None);
        for _ in 0..FREE_FAILURES + 3 {
            t.failed_at("lanhdao", Some("10.0.0.1"), now);
        }
        assert!(t.wait_at("lanhdao", Some("10.0.0.1"), now).is_some());
        assert_eq!(t.wait_at("lanhdao", Some("10.0.0.1"), now + FORGET_AFTER), None);
    }

    #[test]
    fn the_address_ceiling_is_not_reset_by_someone_elses_success() {
        let t = Throttle::default();
        let t0 = Instant::now();
        // Many names, each below its own threshold: only the address ceiling applies.
        for i in 0..ADDRESS_MAX_FAILURES {
            let name = format!("ten-{}", i / 4);
            assert_eq!(t.wait_at(&name, Some("10.0.0.9"), t0), None, "attempt {i}");
            t.failed_at(&name, Some("10.0.0.9"), t0);
        }
        assert_eq!(t.wait_at("lanhdao", Some("10.0.0.9"), t0), Some(ADDRESS_WINDOW));
        // Someone logs in from there: the ceiling holds all the same.
        t.succeeded("chihuy", Some("10.0.0.9"));
        t.succeeded("ten-1", Some("10.0.0.9"));
        assert_eq!(t.wait_at("lanhdao", Some("10.0.0.9"), t0 + S), Some(ADDRESS_WINDOW - S));
        assert_eq!(
            t.wait_at("lanhdao", Some("10.0.0.8"), t0),
            None,
            "other addresses go on"
        );
        assert_eq!(t.wait_at("lanhdao", Some("10.0.0.9"), t0 + ADDRESS_WINDOW), None);
        // The form's counters (no address) have no ceiling and are the user's own.
        for _ in 0..FREE_FAILURES {
            t.failed_at("chihuy", None, t0);
        }
        assert!(t.wait_at("chihuy", None, t0).is_some());
        assert_eq!(
            t.wait_at("chihuy", Some("10.0.0.8"), t0),
            None,
            "a login is another pair"
        );
    }

    #[test]
    fn the_maps_stay_bounded() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..MAX_ENTRIES + 10 {
            t.failed_at(&format!("u{i}"), Some(&format!("a{}", i % 1000)), t0);
        }
        let maps = t.maps.lock().unwrap();
        assert!(maps.pairs.len() <= MAX_ENTRIES);
        assert!(maps.addresses.len() <= MAX_ENTRIES);
    }
}
