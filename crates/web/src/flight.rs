//! A per-key cache whose values are computed once per expiry ("single flight").
//!
//! When a value expires, the first request to ask recomputes it; requests arriving meanwhile get
//! the previous value at once when there is one, and otherwise wait for that one computation
//! instead of starting their own. A burst of requests at the moment of expiry thus costs one
//! computation, not one per request.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One key's slot: the last value and the lock held by the request computing the next one.
struct Slot<V> {
    value: Mutex<Option<(Instant, V)>>,
    computing: tokio::sync::Mutex<()>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Slot {
            value: Mutex::new(None),
            computing: tokio::sync::Mutex::new(()),
        }
    }
}

/// Values by key, each reused for `ttl` and computed by one caller at a time.
pub struct FlightCache<K, V> {
    ttl: Duration,
    /// Past this many keys the map is emptied (keys are units: a bound, not an expected size).
    max_keys: usize,
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> FlightCache<K, V> {
    pub fn new(ttl: Duration, max_keys: usize) -> Self {
        FlightCache {
            ttl,
            max_keys,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, key: &K) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if !slots.contains_key(key) && slots.len() >= self.max_keys {
            slots.clear();
        }
        slots.entry(key.clone()).or_default().clone()
    }

    /// The value for `key`: the cached one while fresh; else the previous one when another caller
    /// is already computing; else the result of `compute` (run by this caller alone). An error is
    /// not cached: the next caller tries again.
    pub async fn get<E, F, Fut>(&self, key: &K, compute: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = self.slot(key);
        let previous = {
            let value = slot.value.lock().unwrap_or_else(|e| e.into_inner());
            match value.as_ref() {
                Some((at, v)) if at.elapsed() < self.ttl => return Ok(v.clone()),
                Some((_, v)) => Some(v.clone()),
                None => None,
            }
        };
        let _guard = match (slot.computing.try_lock(), previous) {
            (Ok(g), _) => g,
            // Someone is computing: the previous value meanwhile.
            (Err(_), Some(v)) => return Ok(v),
            // Nothing to give yet: wait for that computation, then use its value if it succeeded.
            (Err(_), None) => {
                let g = slot.computing.lock().await;
                let value = slot.value.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((at, v)) = value.as_ref() {
                    if at.elapsed() < self.ttl {
                        return Ok(v.clone());
                    }
                }
                drop(value);
                g
            }
        };
        let v = compute().await?;
        *slot.value.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), v.clone()));
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn slow_count(calls: &AtomicUsize) -> Result<usize, ()> {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(n)
    }

    /// Many callers at once on an empty or an expired slot: one computation.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_expiry_computes_once() {
        let cache = Arc::new(FlightCache::<i64, usize>::new(Duration::from_millis(200), 100));
        let calls = Arc::new(AtomicUsize::new(0));
        let burst = |cache: Arc<FlightCache<i64, usize>>, calls: Arc<AtomicUsize>| async move {
            let tasks: Vec<_> = (0..32)
                .map(|_| {
                    let (cache, calls) = (cache.clone(), calls.clone());
                    tokio::spawn(async move { cache.get(&7, || slow_count(&calls)).await.unwrap() })
                })
                .collect();
            let mut seen = vec![];
            for t in tasks {
                seen.push(t.await.unwrap());
            }
            seen
        };
        // Empty slot: everybody waits for the single computation and gets its value.
        let first = burst(cache.clone(), calls.clone()).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(first.iter().all(|&v| v == 1), "{first:?}");
        // Fresh: no computation.
        assert_eq!(cache.get(&7, || slow_count(&calls)).await.unwrap(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Expired: one recomputation; the others get the previous value or the new one.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let second = burst(cache.clone(), calls.clone()).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(second.iter().all(|&v| v == 1 || v == 2), "{second:?}");
        assert_eq!(cache.get(&7, || slow_count(&calls)).await.unwrap(), 2);
        // Another key has its own value.
        assert_eq!(cache.get(&8, || slow_count(&calls)).await.unwrap(), 3);
    }

    /// A failed computation is not kept: the next caller computes again.
    #[tokio::test]
    async fn errors_are_not_cached() {
        let cache = FlightCache::<i64, usize>::new(Duration::from_secs(60), 100);
        let r: Result<usize, &str> = cache.get(&1, || async { Err("hỏng") }).await;
        assert_eq!(r, Err("hỏng"));
        let r: Result<usize, &str> = cache.get(&1, || async { Ok(5) }).await;
        assert_eq!(r, Ok(5));
    }
}
