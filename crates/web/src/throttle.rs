//! Per-client login throttling, in memory: after [`MAX_FAILURES`] failed logins from one address
//! within [`WINDOW`], further attempts from it are refused until the window has passed. (The
//! store separately locks an account after repeated failures, whatever the address.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct Throttle {
    clients: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// Seconds to wait, when the client is blocked.
    pub fn blocked(&self, client: &str) -> Option<u64> {
        let map = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let (n, since) = map.get(client)?;
        let elapsed = since.elapsed();
        (*n >= MAX_FAILURES && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs())
    }

    pub fn failed(&self, client: &str) {
        let mut map = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let e = map.entry(client.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    pub fn succeeded(&self, client: &str) {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).remove(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_too_many_failures() {
        let t = Throttle::default();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed("1.2.3.4");
        }
        assert!(t.blocked("1.2.3.4").is_none());
        t.failed("1.2.3.4");
        assert!(t.blocked("1.2.3.4").is_some());
        assert!(t.blocked("5.6.7.8").is_none());
        t.succeeded("1.2.3.4");
        assert!(t.blocked("1.2.3.4").is_none());
    }
}
