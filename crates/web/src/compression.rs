//! In-process compression (gzip and brotli, by the client's `Accept-Encoding`) of pages,
//! API answers and static assets, with tower-http's `CompressionLayer`.
//!
//! Only text-like content of at least [`MIN_BYTES`] is compressed: not tiny bodies (the
//! framing would outweigh the saving), not live-update streams (`text/event-stream`, whose
//! events must not wait in a compressor's buffer), and not content that is compressed
//! already (images, PDFs, archives, office files).

use axum::http::{Extensions, HeaderMap, HeaderValue, Response, StatusCode, Version, header};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};

/// Bodies smaller than this are sent as they are (as nginx's `gzip_min_length` here).
pub const MIN_BYTES: u64 = 1024;

/// The compression layer: gzip and br, at a level cheap enough for every request (brotli's
/// own default, 11, costs far more CPU than it saves bytes on dynamic answers).
pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .quality(CompressionLevel::Precise(5))
        .compress_when(SizeAbove::new(MIN_BYTES).and(compressible))
}

/// Whether the content type is text-like and not an event stream.
fn compressible(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence == "text/event-stream" {
        return false;
    }
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json" | "application/javascript" | "application/xml" | "image/svg+xml"
        )
}

/// A compressed answer is another representation than the plain one, so its strong
/// `ETag` becomes weak (as nginx does when it compresses). Our versions' `If-Match`
/// accepts the weak form, so clients that echo the tag keep working.
pub fn weaken_etag<B>(mut resp: Response<B>) -> Response<B> {
    if resp.headers().contains_key(header::CONTENT_ENCODING)
        && let Some(tag) = resp.headers().get(header::ETAG)
        && tag.as_bytes().starts_with(b"\"")
    {
        let mut weak = b"W/".to_vec();
        weak.extend_from_slice(tag.as_bytes());
        if let Ok(v) = HeaderValue::from_bytes(&weak) {
            resp.headers_mut().insert(header::ETAG, v);
        }
    }
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn with_type(ct: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        compressible(StatusCode::OK, Version::HTTP_11, &h, &Extensions::new())
    }

    #[test]
    fn only_text_like_content_is_compressed() {
        for yes in [
            "text/html; charset=utf-8",
            "text/css; charset=utf-8",
            "text/javascript; charset=utf-8",
            "application/json",
            "application/problem+json",
            "text/plain; version=0.0.4; charset=utf-8",
            "image/svg+xml",
        ] {
            assert!(with_type(yes), "{yes}");
        }
        for no in [
            "text/event-stream",
            "image/png",
            "application/pdf",
            "application/zip",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/octet-stream",
        ] {
            assert!(!with_type(no), "{no}");
        }
    }

    #[test]
    fn a_compressed_answer_has_a_weak_etag() {
        let resp = Response::builder()
            .header(header::ETAG, "\"3\"")
            .header(header::CONTENT_ENCODING, "gzip")
            .body(())
            .unwrap();
        assert_eq!(weaken_etag(resp).headers()[header::ETAG], "W/\"3\"");
        let plain = Response::builder()
            .header(header::ETAG, "\"3\"")
            .body(())
            .unwrap();
        assert_eq!(weaken_etag(plain).headers()[header::ETAG], "\"3\"");
    }
}
