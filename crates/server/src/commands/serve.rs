//! `formula-pm serve` (the default): migrate, then serve the web UI and API until SIGTERM
//! or Ctrl-C, finishing open requests before the database is closed.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use formula_web::metrics::Metrics;
use formula_web::metrics::connections::{CountingListener, PerIpLimit};
use formula_web::ops::OpsConfig;
use formula_web::{AppState, WebConfig};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::database::Database;
use crate::logging::{self, Output};
use crate::tls::TlsListener;

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
    if config.app_env == crate::config::AppEnv::Production && config.smtp.is_none() {
        // Not refused (see docs/configuration.md → Production rules), but worth knowing.
        tracing::warn!(
            "SMTP_HOST is not set: password-reset emails go only to the admin outbox and the log"
        );
    }
    let database = Database::open_and_migrate(config).await?;
    let result = serve_on(config, &database, started).await;
    database.close().await;
    tracing::info!("Formula PM stopped");
    // Log lines are written unbuffered (stdout is line-buffered, LOG_FILE unbuffered);
    // flushing here only makes sure of it before the process exits.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    result
}

async fn serve_on(config: &Config, database: &Database, started: Instant) -> anyhow::Result<()> {
    // Every store call is timed for `db_query_duration_seconds` (and the slow-query log).
    let metrics = Arc::new(Metrics::new());
    let observed = metrics.clone();
    database.time_queries(
        Arc::new(move |operation, elapsed| observed.observe_query(operation, elapsed)),
        Duration::from_millis(config.ops.slow_query_ms),
    );
    let store = database.store();
    // Uploads a stopped server left half-received are removed before anything is accepted.
    let blobs = super::blobs(config).map_err(|e| {
        anyhow::anyhow!(
            "the uploads folders under {} cannot be used: {e}",
            config.data_dir.display()
        )
    })?;
    let swept = formula_infra::blobs::sweep_spool(&blobs.spool_dir())?;
    if swept > 0 {
        tracing::info!(files = swept, "removed unfinished uploads");
    }
    tracing::info!(storage = blobs.backend(), "uploaded files storage");
    let services = super::services(config, store).with_blobs(blobs);
    let (services, redis) = match &config.redis {
        Some(settings) => {
            let (services, web) = crate::redis::attach(settings, services, &metrics).await?;
            (services, Some(web))
        }
        None => (services, None),
    };
    let web = WebConfig {
        public_url: config.public_url.clone(),
        secure_cookies: config.secure_cookies(),
        max_body_bytes: config.max_body_bytes,
        max_upload_bytes: config.max_upload_bytes,
        ops: ops_config(config),
        trusted_proxies: config.security.trusted_proxies.clone(),
        rate_limits: config.security.rate_limits,
        request_timeout: Duration::from_secs(config.security.request_timeout_seconds),
        cors_allowed_origins: config.security.cors_allowed_origins.clone(),
        security_headers: config.security.security_headers,
    };
    let mut state = AppState::new(services, web).with_metrics(metrics.clone());
    if let Some(redis) = redis {
        state = state.with_redis(redis.rate_limit_store, redis.probe);
    }
    let job_services = state.services.clone();
    let job_metrics = metrics.clone();
    let runtime = state.runtime.clone();
    let metrics_app = config
        .ops
        .metrics_bind
        .map(|_| formula_web::metrics_router(state.clone()));
    let app = formula_web::router(state);

    let addr = config.listen_addr();
    // Checked by the configuration already; built before binding so a bad pair fails first.
    let tls = match &config.tls {
        Some(settings) => Some(
            settings
                .server_config()
                .map_err(|e| anyhow::anyhow!("{}: {}", e.variable, e.message))?,
        ),
        None => None,
    };
    if tls.is_some() && !config.public_url.starts_with("https://") {
        // Refused in production by the configuration; a mistake worth pointing out here.
        tracing::warn!(
            url = %config.public_url,
            "TLS_CERT_FILE is set but PUBLIC_URL is not https://: links and cookies will not match how the server answers"
        );
    }
    let listener = TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (BIND and PORT): is another server using the port? Set PORT to use another one")
    })?;

    let url = &config.public_url;
    tracing::info!(listen = %addr, url = %url, tls = tls.is_some(), startup_ms = started.elapsed().as_millis() as u64, "Formula PM is ready: open {url}");
    eprintln!("Formula PM is ready: open {url}");

    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    // The listeners close after the drain that follows the signal.
    let (stop_accepting, on_stop_accepting) = tokio::sync::watch::channel(false);
    // Background jobs stop taking work at the shutdown signal; awaited after the server stops.
    let jobs = crate::jobs::spawn(config, &job_services, job_metrics, on_signal.clone());
    if let (Some(bind), Some(metrics_app)) = (config.ops.metrics_bind, metrics_app) {
        let listener = TcpListener::bind(bind).await.with_context(|| {
            format!("cannot listen on {bind} (METRICS_BIND): is another program using the port?")
        })?;
        tracing::info!(listen = %bind, "metrics at http://{bind}/metrics");
        let mut stop = on_stop_accepting.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, metrics_app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the metrics listener failed");
            }
        });
    }
    let grace = Duration::from_secs(config.ops.shutdown_grace_seconds);
    let drain = Duration::from_secs(config.ops.shutdown_drain_seconds).min(grace);
    // One deadline, fixed at the signal, bounds the whole shutdown: the drain, finishing the
    // open requests and then the background jobs share it, so a stop never takes longer
    // than SHUTDOWN_GRACE_SECONDS.
    let stop_by: Arc<OnceLock<tokio::time::Instant>> = Arc::default();
    let graceful = {
        let stop_by = stop_by.clone();
        async move {
            let signal = shutdown_signal().await;
            let _ = stop_by.set(tokio::time::Instant::now() + grace);
            // Readiness fails from now on, and jobs take no more work.
            runtime.start_draining();
            let _ = signalled.send(true);
            // SIGTERM comes from a supervisor, often with a load balancer still sending
            // requests until it sees readiness fail: they are served as usual meanwhile.
            // Ctrl-C is a person waiting at a terminal.
            let drain = if signal == "SIGTERM" {
                drain
            } else {
                Duration::ZERO
            };
            tracing::info!(
                signal,
                drain_secs = drain.as_secs(),
                grace_secs = grace.as_secs(),
                "shutting down: readiness fails; serving on during the drain, then finishing open requests and jobs"
            );
            if !drain.is_zero() {
                tokio::time::sleep(drain).await;
                tracing::info!("drain over: no longer accepting connections");
            }
            // The listener closes when this future returns.
            let _ = stop_accepting.send(true);
        }
    };
    // Counts open connections, and caps them per client address unless told not to.
    let mut listener = CountingListener::new(listener, metrics);
    let per_ip = config.security.max_connections_per_ip;
    if per_ip > 0 {
        listener = listener.with_per_ip_limit(PerIpLimit::new(
            per_ip as usize,
            config.security.trusted_proxies.clone(),
        ));
    }
    let header_timeout = Duration::from_secs(config.security.http_header_timeout_seconds);
    let server: Pin<Box<dyn Future<Output = ()> + Send>> = match tls {
        None => Box::pin(crate::http::serve(listener, app, header_timeout, graceful)),
        Some(tls) => {
            let listener = TlsListener::spawn(listener, tls, on_stop_accepting)
                .context("cannot start the TLS listener")?;
            Box::pin(crate::http::serve(listener, app, header_timeout, graceful))
        }
    };
    let deadline = {
        let stop_by = stop_by.clone();
        async move {
            match (on_signal.wait_for(|s| *s).await, stop_by.get()) {
                (Ok(_), Some(at)) => tokio::time::sleep_until(*at).await,
                // The server ended on its own; the other branch finishes.
                _ => std::future::pending::<()>().await,
            }
        }
    };
    tokio::select! {
        () = server => {}
        () = deadline => tracing::warn!(grace_secs = grace.as_secs(), "connections still open after the grace period; closing them"),
    }
    let stop_by = stop_by
        .get()
        .copied()
        .unwrap_or_else(|| tokio::time::Instant::now() + grace);
    jobs.finish(stop_by).await;
    Ok(())
}

/// The web layer's view of the health, metrics and request-log settings.
fn ops_config(config: &Config) -> OpsConfig {
    let ops = &config.ops;
    OpsConfig {
        data_dir: config.data_dir.clone(),
        db_timeout: Duration::from_millis(ops.health_db_timeout_ms),
        disk_warn_percent: f64::from(ops.health_disk_warn_percent),
        disk_fail_percent: f64::from(ops.health_disk_fail_percent),
        metrics_token: ops.metrics_token.as_ref().map(|t| t.expose().to_owned()),
        metrics_on_main: ops.metrics_bind.is_none(),
        slow_request: Duration::from_millis(ops.slow_request_ms),
        backup_dir: Some(config.backup.dir.clone()),
        redis_required: config.redis.as_ref().is_some_and(|r| r.required),
    }
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
