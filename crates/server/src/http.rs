//! The HTTP/1.1 connections of the main listener, served with hyper directly rather than
//! `axum::serve`, which offers neither of the two settings needed here:
//!
//! - a time limit on reading a request's headers (`HTTP_HEADER_TIMEOUT_SECONDS`), so a
//!   client dripping one header line at a time cannot hold a connection for minutes; hyper
//!   applies it from the moment it waits for a request, so it also closes a keep-alive
//!   connection left idle that long;
//! - a stop that the caller times: the listener keeps accepting until `stop` resolves.
//!
//! Handlers see the peer address as `ConnectInfo<SocketAddr>`, as with axum's own server.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;
use tower::ServiceExt;

/// Serves `app` on `listener` until `stop` resolves; then closes the listener (new
/// connections are refused), closes idle connections, lets the requests in progress finish
/// (their connections close after the answer), and returns once every connection is closed.
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()> + Send,
) where
    L: Listener<Addr = SocketAddr>,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // Each connection's task holds a receiver; the sender sees them all gone at the end.
    let (done_tx, done_rx) = watch::channel(());
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let mut stop = pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let service = app
            .clone()
            .map_request(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let conn = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
        let mut stopping = stopping_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let mut conn = pin!(conn);
            let stop_now = async move {
                // Also when the sender is gone: nobody could tell it to stop any more.
                let _ = stopping.wait_for(|s| *s).await;
            };
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = stop_now => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                // Clients that go away, time out or send garbage are routine.
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(done);
        });
    }
    // Dropping the listener closes the port.
    drop(listener);
    let _ = stopping_tx.send(true);
    drop(done_rx);
    done_tx.closed().await;
}
