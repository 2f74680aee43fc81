//! Every repository call is timed here, on its way through the store: the duration goes to
//! whoever watches (the server's `db_query_duration_seconds{operation}`), and a call slower
//! than the threshold is logged at warn as `slow query` with its operation name.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use formula_app::error::{AppError, AppResult};

use crate::error::{DbError, DbResult};
use crate::pool::Db;

/// Receives the name and duration of every store call (the method name of its repository).
pub type QueryObserver = Arc<dyn Fn(&'static str, Duration) + Send + Sync>;

/// What a [`Db`] does with its call timings; set once, by [`Db::time_queries`].
pub(crate) struct Timing {
    observe: QueryObserver,
    slow: Duration,
}

/// The error of a call made or waiting while the database does not answer.
fn not_answering() -> DbError {
    DbError::App(AppError::Unavailable(
        "the database is not answering; try again shortly".into(),
    ))
}

/// Calls slower than this are logged when no threshold was set.
const DEFAULT_SLOW: Duration = Duration::from_millis(250);

impl Db {
    /// Reports each call's duration to `observe`, and logs calls slower than `slow`.
    /// Effective once per `Db`: later calls are ignored (the first wiring wins).
    pub fn time_queries(&self, observe: QueryObserver, slow: Duration) {
        let _ = self.timing.set(Timing { observe, slow });
    }

    /// Runs one repository call: times it and turns its error into the app's. While the
    /// PostgreSQL watchdog finds the server not answering, the call fails at once as
    /// unavailable, and so does a call already waiting on it.
    pub(crate) async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = DbResult<T>>,
    ) -> AppResult<T> {
        let started = Instant::now();
        let result = match &self.watchdog {
            None => call.await,
            Some(watchdog) if watchdog.is_down() => Err(not_answering()),
            Some(watchdog) => tokio::select! {
                biased;
                result = call => result,
                () = watchdog.went_down() => Err(not_answering()),
            },
        };
        let elapsed = started.elapsed();
        let slow = match self.timing.get() {
            Some(t) => {
                (t.observe)(operation, elapsed);
                t.slow
            }
            None => DEFAULT_SLOW,
        };
        if elapsed > slow {
            tracing::warn!(
                operation,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "slow query"
            );
        }
        Ok(result?)
    }
}
