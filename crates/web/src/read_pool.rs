//! Reading uploaded spreadsheets off the async runtime: on blocking threads, at most a few
//! at a time, each told to stop at a deadline. Reading a file is CPU work that the limits of
//! `formula_reports` keep to about a second, but a second is long for an async worker, and
//! many uploads at once must not take every core: a request that finds every slot taken
//! waits a moment, then is answered 503 with `Retry-After` instead of queueing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// Spreadsheets read at once (each on a blocking thread of its own).
pub const READ_SLOTS: usize = 2;
/// How long a request waits for a free slot before it is answered 503.
pub const SLOT_WAIT: Duration = Duration::from_secs(1);
/// How long reading one file may take before it is stopped (and the request answered 503);
/// less if the request time limit (`REQUEST_TIMEOUT_SECONDS`) is under twice this.
pub const READ_DEADLINE: Duration = Duration::from_secs(10);

/// Why work was not done.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Every slot stayed taken for [`ReadPool`]'s wait.
    Busy,
    /// The work passed its deadline and was told to stop.
    TimedOut,
    /// The work panicked (a bug).
    Failed(String),
}

/// A bounded pool of blocking threads for reading spreadsheets.
#[derive(Debug)]
pub struct ReadPool {
    slots: Arc<Semaphore>,
    wait: Duration,
    deadline: Duration,
}

impl ReadPool {
    pub fn new(slots: usize, wait: Duration, deadline: Duration) -> Self {
        ReadPool {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
            deadline,
        }
    }

    /// The pool for a server whose requests are stopped after `request_timeout`.
    pub fn for_requests(request_timeout: Duration) -> Self {
        ReadPool::new(
            READ_SLOTS,
            SLOT_WAIT,
            READ_DEADLINE.min(request_timeout / 2),
        )
    }

    /// The deadline of each piece of work.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Runs `work` on a blocking thread once a slot is free. At the deadline, or when the
    /// caller goes away (its request timed out or the client left), the flag `work` is
    /// given is set, and `work` is expected to return soon; its slot stays taken until it
    /// has, so the pool never runs more than its slots.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Refused>
    where
        T: Send + 'static,
        F: FnOnce(&AtomicBool) -> T + Send + 'static,
    {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await
        {
            Ok(Ok(permit)) => permit,
            _ => return Err(Refused::Busy),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let _stop_when_dropped = StopOnDrop(stop.clone());
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&stop)
        });
        match tokio::time::timeout(self.deadline, handle).await {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(e)) => Err(Refused::Failed(e.to_string())),
            Err(_) => {
                tracing::warn!(
                    deadline_secs = self.deadline.as_secs_f64(),
                    "reading a spreadsheet passed its deadline and was stopped"
                );
                Err(Refused::TimedOut)
            }
        }
    }
}

/// Sets the flag when dropped: at the deadline, or with the request's future.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Work that runs until it is told to stop, then says so.
    fn until_stopped(stop: &AtomicBool) -> &'static str {
        while !stop.load(Ordering::Relaxed) {
            std::thread::yield_now();
        }
        "stopped"
    }

    #[tokio::test]
    async fn work_past_its_deadline_is_stopped_and_frees_its_slot() {
        let pool = ReadPool::new(1, Duration::from_secs(60), Duration::from_millis(10));
        assert_eq!(pool.run(until_stopped).await, Err(Refused::TimedOut));
        // The stopped work returns and gives its slot back: the next run gets it.
        let (tx, rx) = tokio::sync::oneshot::channel();
        let done = pool
            .run(move |stop| {
                tx.send(stop.load(Ordering::Relaxed)).unwrap();
                7
            })
            .await;
        assert_eq!(done, Ok(7));
        assert!(!rx.await.unwrap(), "new work starts unstopped");
    }

    #[tokio::test]
    async fn a_busy_pool_refuses_rather_than_queueing() {
        let pool = Arc::new(ReadPool::new(1, Duration::ZERO, Duration::from_secs(60)));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move |_| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    "first"
                })
                .await
            })
        };
        started_rx.await.unwrap();
        assert_eq!(pool.run(|_| "second").await, Err(Refused::Busy));
        release_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok("first"));
        assert_eq!(pool.run(|_| "third").await, Ok("third"));
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_stops_its_work() {
        let pool = Arc::new(ReadPool::new(
            1,
            Duration::from_secs(60),
            Duration::from_secs(600),
        ));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let caller = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move |stop| {
                    started_tx.send(()).unwrap();
                    tx.send(until_stopped(stop)).unwrap();
                })
                .await
            })
        };
        // The work runs until its caller is dropped.
        started_rx.await.unwrap();
        caller.abort();
        assert_eq!(rx.await.unwrap(), "stopped");
    }
}
