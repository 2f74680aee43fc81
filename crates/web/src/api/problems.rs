//! The error responses operations share, declared once for the OpenAPI document.
//!
//! An operation lists what depends on what it does: [`Forbidden`] where a role
//! may not, [`Invalid`] where input is validated, [`Malformed`] and [`NotFound`]
//! where a request without an id in its path can still be unreadable or name an
//! unknown record, and its own conflicts (409) in words. The rest follows from
//! the operation's shape, so [`add_derived`] adds it when the document is
//! finished:
//! - every operation: any other error (`default`), and 401 unless it is open;
//! - an id in the path: 400 (not a UUID) and 404 (unknown, or not yours to see);
//! - an `If-Match` parameter: 412 (stale `If-Match`), 428 (no version sent), and
//!   409 (stale `version`) unless the operation describes its own 409.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoResponses, ToResponse};

/// The shared error response: a problem document (`#/components/responses/Problem`).
pub struct ProblemResponse;

impl<'s> ToResponse<'s> for ProblemResponse {
    fn response() -> (&'s str, RefOr<Response>) {
        let response = ResponseBuilder::new()
            .description("An error, as an RFC 9457 problem document with a stable `code`")
            .content("application/problem+json", problem_content())
            .build();
        ("Problem", RefOr::T(response))
    }
}

/// Declares responses that an operation names in its `responses(…)`: the shared
/// problem response under one status.
macro_rules! problem_sets {
    ($($(#[$doc:meta])* $name:ident => $status:literal;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([($status.to_owned(), shared())])
            }
        }
    )*};
}

problem_sets! {
    /// 400: the request cannot be read (an undecodable query string, an id that
    /// is not a UUID, a broken upload).
    Malformed => "400";
    /// 403: the caller's role may not do this.
    Forbidden => "403";
    /// 404: a record the request names is unknown, or not the caller's to see.
    NotFound => "404";
    /// 422: the input breaks a rule; per-field errors say which.
    Invalid => "422";
}

/// Adds the responses that follow from the operation's shape (see the module docs).
pub fn add_derived(op: &mut Operation) {
    let open = op
        .security
        .as_ref()
        .is_some_and(|s| s.contains(&SecurityRequirement::default()));
    let params = op.parameters.as_deref().unwrap_or_default();
    let id_in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let if_match = params.iter().any(|p| {
        matches!(p.parameter_in, ParameterIn::Header) && p.name.eq_ignore_ascii_case("if-match")
    });

    let mut derived = vec![("default", shared())];
    if !open {
        derived.push(("401", shared()));
    }
    if id_in_path {
        derived.extend([("400", shared()), ("404", shared())]);
    }
    if if_match {
        derived.extend([
            ("409", described("Stale `version`")),
            ("412", described("Stale `If-Match`")),
            (
                "428",
                described("Neither `If-Match` nor `version` was sent"),
            ),
        ]);
    }
    // An operation's own description of a status wins over the shared one.
    for (status, response) in derived {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert(response);
    }
}

/// A reference to [`ProblemResponse`].
fn shared() -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name("Problem"))
}

/// A problem response with words of its own.
fn described(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", problem_content())
            .build(),
    )
}

fn problem_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}
