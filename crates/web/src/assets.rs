//! Static assets embedded in the binary and served under content-hashed names,
//! so browsers may cache them forever.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/vendor/htmx.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/favicon.svg"),
    },
];

/// The same icon as `favicon.svg` as a 32 px icon file, for `/favicon.ico`: browsers ask
/// for it on their own (and on pages without the `<link rel="icon">`, such as files).
const FAVICON_ICO: &[u8] = include_bytes!("../assets/favicon.ico");

/// `(logical name, hashed file name)` for every asset, computed once.
fn hashed() -> &'static [(&'static str, String)] {
    static NAMES: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.bytes);
                let short = hex::encode(&digest[..6]);
                let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
                (a.name, format!("{stem}.{short}.{ext}"))
            })
            .collect()
    })
}

/// The URL of an asset by logical name, e.g. `url("app.css")` → `/assets/app.1a2b3c4d5e6f.css`.
pub fn url(name: &str) -> String {
    hashed()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, h)| format!("/assets/{h}"))
        .unwrap_or_else(|| format!("/assets/{name}"))
}

/// Serves an asset by its hashed name, with a one-year immutable cache.
pub async fn serve(Path(file): Path<String>) -> Response {
    let found = hashed().iter().zip(ASSETS).find(|((_, h), _)| *h == file);
    match found {
        Some((_, asset)) => {
            let mut resp = asset.bytes.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            resp
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `/favicon.ico`, at a fixed address, so cached for a day rather than forever.
pub async fn favicon_ico() -> Response {
    let mut resp = FAVICON_ICO.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/x-icon"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    resp
}

#[cfg(test)]
mod tests {
    /// An unclosed block in the style sheet silently nests every rule after it (browsers
    /// read CSS nesting): the Gantt chart's rules once applied on phones only because the
    /// calendar's `@media` block above them lacked its `}`.
    #[test]
    fn the_style_sheet_closes_every_block_it_opens() {
        let css = include_str!("../assets/app.css");
        let mut depth: i64 = 0;
        let mut rest = css;
        let mut line = 1;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("/*") {
                let end = rest.find("*/").map_or(rest.len(), |i| i + 2);
                line += rest[..end].matches('\n').count();
                rest = &rest[end..];
                continue;
            }
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                '\n' => line += 1,
                _ => {}
            }
            assert!(depth >= 0, "app.css line {line}: a `}}` closes nothing");
            // A top-level rule starting with a class or `@media` inside a block means the
            // block before it was left open (app.css does not use nesting).
            if c == '\n' && depth > 0 {
                let next = rest[1..].trim_start_matches(' ');
                let indented = rest[1..].starts_with(' ');
                assert!(
                    indented || next.starts_with('}') || next.is_empty() || next.starts_with('\n'),
                    "app.css line {line}: a rule at the left margin inside an open block"
                );
            }
            rest = &rest[c.len_utf8()..];
        }
        assert_eq!(depth, 0, "app.css leaves {depth} block(s) open");
    }
}
