//! Request and correlation ids (`X-Request-Id`, `X-Correlation-Id`).
//!
//! A sane incoming id (1–64 letters, digits, `-`, `_`) is kept; anything else is dropped
//! before tower-http's `SetRequestId` layers run, so those make a new request id and take
//! the request id as the correlation id. `PropagateRequestId` then echoes both on every
//! response. Handlers and the request log read them back from the request headers.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The correlation id header: set by a caller that spans several services.
pub const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

fn sane(v: &HeaderValue) -> bool {
    v.to_str().is_ok_and(|s| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// Drops incoming ids that are empty, too long or carry odd characters (they would end
/// up in logs and headers), so new ones are made in their place.
pub fn drop_odd_ids(mut req: Request) -> Request {
    for name in [REQUEST_ID, CORRELATION_ID] {
        let values = req.headers().get_all(&name);
        let mut iter = values.iter();
        let keep = matches!((iter.next(), iter.next()), (Some(v), None) if sane(v));
        if !keep {
            req.headers_mut().remove(&name);
        }
    }
    req
}

/// Makes a new request id: a UUIDv7 in its simple form (time-ordered, so log lines sort).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&formula_domain::new_id().simple().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// Makes the correlation id of a request that brought none: its request id.
#[derive(Debug, Clone, Copy, Default)]
pub struct SameAsRequestId;

impl MakeRequestId for SameAsRequestId {
    fn make_request_id<B>(&mut self, req: &axum::http::Request<B>) -> Option<RequestId> {
        req.headers().get(REQUEST_ID).cloned().map(RequestId::new)
    }
}

/// The request id of a request that passed the request id layers.
pub fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok())
}

/// The correlation id of a request that passed the request id layers.
pub fn correlation_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(CORRELATION_ID).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn ids(pairs: &[(&str, &str)]) -> (Option<String>, Option<String>) {
        let mut b = Request::builder();
        for (k, v) in pairs {
            b = b.header(*k, *v);
        }
        let req = drop_odd_ids(b.body(Body::empty()).unwrap());
        let h = req.headers();
        (
            request_id(h).map(str::to_owned),
            correlation_id(h).map(str::to_owned),
        )
    }

    #[test]
    fn sane_ids_are_kept_and_odd_ones_dropped() {
        assert_eq!(
            ids(&[("x-request-id", "req-7"), ("x-correlation-id", "order_42")]),
            (Some("req-7".into()), Some("order_42".into()))
        );
        assert_eq!(ids(&[("x-correlation-id", "a b<script>")]), (None, None));
        assert_eq!(ids(&[("x-request-id", &"x".repeat(65))]), (None, None));
        assert_eq!(ids(&[("x-request-id", "")]), (None, None));
        // Two values: neither is believed.
        assert_eq!(
            ids(&[("x-request-id", "a"), ("x-request-id", "b")]),
            (None, None)
        );
    }
}
