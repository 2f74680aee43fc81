//! Noticing a PostgreSQL server that stopped answering, so requests are told at once.
//!
//! A stopped server refuses connections, and the pool's acquire timeout bounds the wait for
//! one. A *hung* server (stopped by a debugger, frozen by its host, behind a dead network
//! path) accepts connections and statements and never answers: a request already holding a
//! connection would wait until its own time limit. So a background task asks the server
//! `SELECT 1` on a connection of its own several times a second, each time within the probe
//! timeout (`HEALTH_DB_TIMEOUT_MS`, the one readiness uses). While the server does not
//! answer, every store call fails at once as unavailable (503), calls waiting on it
//! included; the first answer ends that.

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the server is asked while it answers (and retried while it does not).
const INTERVAL: Duration = Duration::from_millis(250);

/// The probe's verdict: whether the server stopped answering.
pub(crate) struct Watchdog {
    down: watch::Receiver<bool>,
    task: JoinHandle<()>,
}

impl Watchdog {
    /// Starts probing the server `options` connect to, each probe within `timeout`.
    pub(crate) fn spawn(options: PgConnectOptions, timeout: Duration) -> Watchdog {
        let (tx, down) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut conn: Option<PgConnection> = None;
            loop {
                let reused = conn.is_some();
                let mut answered = ask(&mut conn, &options, timeout).await;
                if reused && matches!(answered, Err(Failure::Refused(_))) {
                    // The kept connection was refused (the server restarted, or an
                    // administrator ended the session): that says nothing about the server
                    // now, so ask again on a new connection before telling anyone.
                    conn = None;
                    answered = ask(&mut conn, &options, timeout).await;
                }
                match answered {
                    Ok(()) => {
                        if tx.send_replace(false) {
                            tracing::info!(target: "formula_pm::store", "the database answers again");
                        }
                    }
                    Err(failure) => {
                        let error = failure.to_string();
                        // A connection that failed or timed out mid-statement is not reused.
                        conn = None;
                        if !tx.send_replace(true) {
                            tracing::warn!(
                                target: "formula_pm::store",
                                error = %error,
                                "the database does not answer: requests get 503 until it does"
                            );
                        }
                    }
                }
                tokio::time::sleep(INTERVAL).await;
            }
        });
        Watchdog { down, task }
    }

    /// Whether the server is not answering now.
    pub(crate) fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// Resolves when the server stops answering (at once if it is not answering now).
    pub(crate) async fn went_down(&self) {
        let mut down = self.down.clone();
        if down.wait_for(|d| *d).await.is_err() {
            // The probe has stopped (the store is closing): nothing more to tell.
            std::future::pending::<()>().await;
        }
    }

    /// Stops probing.
    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a probe failed: the server (or the connection) said no, or nothing came back in time.
enum Failure {
    Refused(String),
    Silent,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(error) => f.write_str(error),
            Failure::Silent => f.write_str("no answer within HEALTH_DB_TIMEOUT_MS"),
        }
    }
}

/// One probe within `timeout`.
async fn ask(
    conn: &mut Option<PgConnection>,
    options: &PgConnectOptions,
    timeout: Duration,
) -> Result<(), Failure> {
    match tokio::time::timeout(timeout, probe(conn, options)).await {
        Ok(answer) => answer.map_err(Failure::Refused),
        Err(_) => Err(Failure::Silent),
    }
}

/// One `SELECT 1`, connecting first when needed.
async fn probe(conn: &mut Option<PgConnection>, options: &PgConnectOptions) -> Result<(), String> {
    if conn.is_none() {
        *conn = Some(
            PgConnection::connect_with(options)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let Some(c) = conn.as_mut() else {
        return Err("no connection".to_owned());
    };
    sqlx::query("SELECT 1")
        .execute(&mut *c)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
