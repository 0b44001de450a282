//! Background jobs kept in memory (the citizen import, the reading of a scanned document), each
//! visible only to the user who started it. A finished job is kept for its page and its
//! downloads (the refused rows of an import can weigh tens of megabytes) for at most
//! [`FINISHED_TTL`], and at most [`MAX_FINISHED`] finished jobs are kept at all: the oldest go
//! first. Jobs still running are never dropped here; they are bounded by their own limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a finished job stays readable.
pub const FINISHED_TTL: Duration = Duration::from_secs(3600);
/// How many finished jobs are kept (all users together).
pub const MAX_FINISHED: usize = 16;

/// What the table needs to know of a job.
pub trait JobState {
    /// When the job finished, or `None` while it runs.
    fn finished_at(&self) -> Option<Instant>;
}

/// Jobs by their (unguessable) id.
pub struct JobTable<T> {
    jobs: Mutex<HashMap<String, Arc<Mutex<T>>>>,
    ttl: Duration,
    max_finished: usize,
}

impl<T: JobState> Default for JobTable<T> {
    fn default() -> Self {
        JobTable::with_bounds(FINISHED_TTL, MAX_FINISHED)
    }
}

impl<T: JobState> JobTable<T> {
    pub fn with_bounds(ttl: Duration, max_finished: usize) -> Self {
        JobTable {
            jobs: Mutex::new(HashMap::new()),
            ttl,
            max_finished,
        }
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Mutex<T>>>> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        self.sweep(&mut jobs);
        jobs
    }

    /// Drops the finished jobs past their time, then the oldest finished ones over the count.
    fn sweep(&self, jobs: &mut HashMap<String, Arc<Mutex<T>>>) {
        let now = Instant::now();
        let finished_at = |j: &Arc<Mutex<T>>| j.lock().unwrap_or_else(|e| e.into_inner()).finished_at();
        jobs.retain(|_, j| finished_at(j).is_none_or(|t| now.duration_since(t) < self.ttl));
        let mut finished: Vec<(Instant, String)> = jobs
            .iter()
            .filter_map(|(id, j)| finished_at(j).map(|t| (t, id.clone())))
            .collect();
        if finished.len() > self.max_finished {
            finished.sort();
            let extra = finished.len() - self.max_finished;
            for (_, id) in finished.into_iter().take(extra) {
                jobs.remove(&id);
            }
        }
    }

    pub fn insert(&self, id: String, job: Arc<Mutex<T>>) {
        self.locked().insert(id, job);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Mutex<T>>> {
        self.locked().get(id).cloned()
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Mutex<T>>> {
        self.locked().remove(id)
    }

    /// Every job (running ones too), e.g. to stop them at shutdown.
    pub fn all(&self) -> Vec<Arc<Mutex<T>>> {
        self.locked().values().cloned().collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.locked().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct J(Option<Instant>);
    impl JobState for J {
        fn finished_at(&self) -> Option<Instant> {
            self.0
        }
    }

    #[test]
    fn finished_jobs_expire_by_age_and_by_count() {
        let t: JobTable<J> = JobTable::with_bounds(Duration::from_secs(60), 2);
        let old = Instant::now() - Duration::from_secs(120);
        t.insert("running".into(), Arc::new(Mutex::new(J(None))));
        t.insert("old".into(), Arc::new(Mutex::new(J(Some(old)))));
        assert!(t.get("old").is_none(), "a job finished past its time is gone");
        for i in 0..4 {
            let at = Instant::now() - Duration::from_secs(10 - i);
            t.insert(format!("done{i}"), Arc::new(Mutex::new(J(Some(at)))));
        }
        assert_eq!(t.len(), 3, "the running job and the two newest finished ones");
        assert!(t.get("running").is_some());
        assert!(t.get("done0").is_none() && t.get("done1").is_none());
        assert!(t.get("done2").is_some() && t.get("done3").is_some());
    }
}
