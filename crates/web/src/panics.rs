//! A handler that panics answers 500 problem+json naming the request id, and the server
//! goes on serving.
//!
//! tower-http's `CatchPanic` catches the panic but its answer cannot see the request, so
//! [`caught`] only marks the answer and [`answer`], one layer further out, rewrites a
//! marked answer with the request id and logs the panic once.

use std::any::Any;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::request_ids::{correlation_id, request_id};

/// Marks the answer to a panic; holds the panic's message.
#[derive(Debug, Clone)]
struct Panicked(String);

/// The panic handler for `CatchPanicLayer::custom`: a 500 problem (without the request id,
/// which [`answer`] adds) marked with the panic's message.
pub fn caught(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    let mut resp = problem(None);
    resp.extensions_mut().insert(Panicked(message));
    resp
}

/// Rewrites the answer to a caught panic so it names the request id, and logs the panic.
pub async fn answer(req: Request, next: Next) -> Response {
    let id = request_id(req.headers()).map(str::to_owned);
    let correlation = correlation_id(req.headers()).map(str::to_owned);
    let resp = next.run(req).await;
    let Some(Panicked(message)) = resp.extensions().get::<Panicked>() else {
        return resp;
    };
    tracing::error!(
        request_id = id.as_deref(),
        correlation_id = correlation.as_deref(),
        panic = %message,
        "handler panicked"
    );
    problem(id.as_deref())
}

/// The 500 problem+json of an internal error, naming the request id to quote.
fn problem(request_id: Option<&str>) -> Response {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": "an internal error occurred; quote the request id when reporting it",
        "code": "internal",
    });
    if let Some(id) = request_id {
        body["request_id"] = id.into();
    }
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}
