//! Error pages inside the app shell: a signed-in user who meets a 404 or a 403 keeps the
//! navigation, their name and "Sign out"; only a request without a valid session is shown
//! the standalone page that offers to sign in.

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ShownError;
use crate::state::AppState;
use crate::ui::layout::{Layout, Page, Section, wants_fragment};

#[derive(Template)]
#[template(path = "error_page.html")]
struct ErrorInLayout<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
    signed_in: bool,
}

/// Middleware: re-renders an HTML error page (one carrying [`ShownError`]) in the shell when
/// the request has a valid session. Every other answer passes unchanged.
pub async fn in_layout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Only what identifies the session is kept: the page is rendered as for a plain GET, so
    // neither the method nor a CSRF header of the failed request matters here.
    let cookies: Vec<HeaderValue> = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .cloned()
        .collect();
    let fragment = wants_fragment(req.headers());
    let resp = next.run(req).await;
    let Some(shown) = resp.extensions().get::<ShownError>().cloned() else {
        return resp;
    };
    // htmx does not swap error answers (see base.html), so a fragment request needs no shell.
    if cookies.is_empty() || fragment {
        return resp;
    }
    let mut probe = Request::new(());
    *probe.method_mut() = Method::GET;
    for c in cookies {
        probe.headers_mut().append(header::COOKIE, c);
    }
    let (mut parts, ()) = probe.into_parts();
    let Ok(page) = Page::from_request_parts(&mut parts, &state).await else {
        return resp;
    };
    let title = shown.status.canonical_reason().unwrap_or("Error");
    let view = ErrorInLayout {
        layout: page.layout(
            Section::Elsewhere,
            format!("{} {title}", shown.status.as_u16()),
        ),
        status: shown.status.as_u16(),
        title,
        message: &shown.message,
        request_id: None,
        signed_in: true,
    };
    let Ok(html) = view.render() else {
        return resp;
    };
    let (mut head, _) = resp.into_parts();
    head.headers.remove(header::CONTENT_LENGTH);
    head.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(head, Body::from(html))
}
