//! `formula-pm serve` (the default): migrate, then serve the web UI and API until SIGTERM
//! or Ctrl-C, finishing open requests before the database is closed.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use formula_web::{AppState, WebConfig};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::database::Database;
use crate::logging::{self, Output};

/// After a shutdown signal, open connections (e.g. live-update streams) get this long to end:
/// inside the 10 s that `docker stop` and Kubernetes wait before killing, so the database
/// still closes cleanly.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

pub async fn run() -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stdout)?;
    let result = serve(&config).await;
    if let Err(e) = &result {
        // Logged for the collector; `main` also prints it readably on stderr.
        tracing::error!(error = format!("{e:#}"), "Formula PM stopped with an error");
    }
    result
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let started = Instant::now();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        app_env = config.app_env.as_str(),
        database = %config.database_description(),
        "starting Formula PM"
    );
    let database = Database::open_and_migrate(config).await?;
    let result = serve_on(config, &database, started).await;
    database.close().await;
    tracing::info!("Formula PM stopped");
    result
}

async fn serve_on(config: &Config, database: &Database, started: Instant) -> anyhow::Result<()> {
    let services = super::services(config, database.store());
    let web = WebConfig {
        public_url: config.public_url.clone(),
        secure_cookies: config.secure_cookies(),
        max_body_bytes: config.max_body_bytes,
    };
    let app = formula_web::router(AppState::new(services, web));

    let addr = config.listen_addr();
    let listener = TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (BIND and PORT): is another server using the port? Set PORT to use another one")
    })?;

    let url = &config.public_url;
    tracing::info!(listen = %addr, url = %url, startup_ms = started.elapsed().as_millis() as u64, "Formula PM is ready: open {url}");
    eprintln!("Formula PM is ready: open {url}");

    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let signal = shutdown_signal().await;
        tracing::info!(signal, "shutting down: finishing open requests");
        let _ = signalled.send(true);
    })
    .into_future();
    let deadline = async move {
        if on_signal.wait_for(|s| *s).await.is_err() {
            // The server ended on its own; the other branch finishes.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => served.context("the web server failed")?,
        () = deadline => tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "connections still open after the grace period; closing them"),
    }
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (`docker stop`, systemd, Kubernetes), naming which.
async fn shutdown_signal() -> &'static str {
    let interrupt = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "SIGINT",
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending().await
            }
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
                "SIGTERM"
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<&'static str>();
    tokio::select! {
        s = interrupt => s,
        s = terminate => s,
    }
}
