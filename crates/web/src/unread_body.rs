//! Keeping a connection usable after an answer that left the request's body unread: a 401,
//! a 405, a refused origin or a rate limit answer before the handler reads anything.
//!
//! HTTP/1.1 can only take the next request on a connection once the whole body of this one
//! has been read. hyper, given an answer whose body nobody read, reads what already arrived
//! and otherwise closes the connection after the answer; a client that sent its next
//! request on that connection meanwhile sees it dropped without an answer. So [`drain`]
//! reads the unread rest and throws it away before the answer goes out, bounded by the
//! general body limit (`MAX_BODY_BYTES`) and [`DRAIN_TIMEOUT`]. When it cannot (a larger
//! body, one still incomplete by then, or one the client holds back until it hears
//! `100 Continue`), the answer says `Connection: close`, so the client sends its next
//! request on a new connection.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;

use crate::state::AppState;

/// How long the unread rest of a body may take to arrive before the answer is sent with
/// `Connection: close` instead.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads and discards what the handler left of the request body (see the module docs).
pub async fn drain(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let limit = u64::try_from(state.web.max_body_bytes).unwrap_or(u64::MAX);
    let declared = content_length(req.headers());
    let expects_continue = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (parts, body) = req.into_parts();
    let shared = Shared(Arc::new(Mutex::new(Inner {
        body: Some(body),
        finished: false,
        started: false,
    })));
    let mut resp = next
        .run(Request::from_parts(parts, Body::new(shared.clone())))
        .await;
    let Some((rest, started)) = shared.take_unfinished() else {
        return resp;
    };
    // Asking for a body the client holds back for `100 Continue` would make it send one
    // nobody wants; closing is cheaper.
    let worth_reading = (started || !expects_continue) && declared.is_none_or(|n| n <= limit);
    let drained = worth_reading
        && tokio::time::timeout(DRAIN_TIMEOUT, read_to_end(rest, limit))
            .await
            .unwrap_or(false);
    if !drained {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads `body` to its end, dropping the data; `false` if it holds more than `limit` bytes
/// or breaks off.
async fn read_to_end(mut body: Body, limit: u64) -> bool {
    let mut read = 0u64;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return false };
        if let Some(data) = frame.data_ref() {
            read = read.saturating_add(data.len() as u64);
            if read > limit {
                return false;
            }
        }
    }
    true
}

/// The request body as the handler sees it, while this layer keeps a hold on it to read
/// what the handler left.
#[derive(Clone)]
struct Shared(Arc<Mutex<Inner>>);

struct Inner {
    body: Option<Body>,
    /// The body reached its end (or failed) while the handler read it.
    finished: bool,
    /// The handler asked for the body at least once.
    started: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The body, if the handler left some of it unread, and whether it began reading.
    fn take_unfinished(&self) -> Option<(Body, bool)> {
        let mut inner = self.lock();
        if inner.finished || inner.body.as_ref().is_none_or(HttpBody::is_end_stream) {
            return None;
        }
        let started = inner.started;
        inner.body.take().map(|b| (b, started))
    }
}

impl HttpBody for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let mut inner = self.lock();
        inner.started = true;
        let Some(body) = inner.body.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            inner.finished = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let inner = self.lock();
        inner.finished || inner.body.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.lock()
            .body
            .as_ref()
            .map(HttpBody::size_hint)
            .unwrap_or_default()
    }
}
