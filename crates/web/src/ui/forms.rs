//! Submitted forms and query strings: strings in, typed values or field errors out.
//! Only parsing happens here; what is *allowed* or *valid* is the app layer's call.
//! A `FormState` carries the user's raw input back into the template with the
//! errors beside their fields, so nothing typed is ever lost.

use std::str::FromStr;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use formula_app::AppError;
use formula_domain::errors::FieldErrors;
use formula_domain::project::ProjectStatus;
use serde::Deserialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::PageError;

/// A URL-encoded form or query string as submitted: every `name=value` pair, in order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct FormData(pub Vec<(String, String)>);

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl FormData {
    /// Parses a raw query string (`RawQuery`); malformed input yields an empty set.
    pub fn from_query(query: Option<&str>) -> FormData {
        FormData(
            query
                .and_then(|q| serde_urlencoded::from_str(q).ok())
                .unwrap_or_default(),
        )
    }

    /// The first value of a field as typed, or `""`.
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The field as typed (the app layer trims and checks it).
    pub fn text(&self, name: &str) -> String {
        self.raw(name).to_owned()
    }

    /// The trimmed value, or `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        let v = self.raw(name).trim();
        (!v.is_empty()).then(|| v.to_owned())
    }

    /// An id chosen from a list; empty means none.
    pub fn uuid(&self, name: &str, errors: &mut FieldErrors) -> Option<Uuid> {
        let v = self.opt(name)?;
        match Uuid::parse_str(&v) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add(name, "choose one of the listed options");
                None
            }
        }
    }

    /// A date typed as YYYY-MM-DD (what `<input type=date>` sends); empty means none.
    pub fn date(&self, name: &str, errors: &mut FieldErrors) -> Option<Date> {
        let v = self.opt(name)?;
        match Date::parse(&v, DATE_FORMAT) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(name, "must be a date like 2026-03-31");
                None
            }
        }
    }

    /// One of a closed list of values (an enum's `as_str()` form); empty means none.
    pub fn choice<T: FromStr>(&self, name: &str, errors: &mut FieldErrors) -> Option<T> {
        let v = self.opt(name)?;
        match v.parse() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add(name, "choose one of the listed options");
                None
            }
        }
    }

    /// A required choice: a missing value is an error too.
    pub fn required_choice<T: FromStr>(&self, name: &str, errors: &mut FieldErrors) -> Option<T> {
        if self.opt(name).is_none() {
            errors.add(name, "is required");
            return None;
        }
        self.choice(name, errors)
    }

    /// A required id chosen from a list.
    pub fn required_uuid(&self, name: &str, errors: &mut FieldErrors) -> Option<Uuid> {
        if self.opt(name).is_none() {
            errors.add(name, "is required");
            return None;
        }
        self.uuid(name, errors)
    }

    /// A whole number; empty means none.
    pub fn int<T: FromStr>(&self, name: &str, errors: &mut FieldErrors) -> Option<T> {
        let v = self.opt(name)?;
        match v.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(name, "must be a whole number");
                None
            }
        }
    }

    /// A decimal number like `12.5`; empty means none.
    pub fn decimal(&self, name: &str, errors: &mut FieldErrors) -> Option<f64> {
        let v = self.opt(name)?;
        match v.replace(',', "").parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                errors.add(name, "must be a number like 12.5");
                None
            }
        }
    }

    /// An amount of money typed as a decimal ("12,345.67") in minor units of `currency`.
    pub fn amount(&self, name: &str, currency: &str, errors: &mut FieldErrors) -> Option<i64> {
        let v = self.opt(name)?;
        match formula_domain::money::parse_amount(&v, currency) {
            Ok(a) => Some(a),
            Err(m) => {
                errors.add(name, m);
                None
            }
        }
    }

    /// A comma-separated list ("CNC, veneer") as separate values.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.raw(name)
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The hidden `version` an edit form was rendered with.
    pub fn version(&self, errors: &mut FieldErrors) -> i64 {
        match self.raw("version").parse() {
            Ok(v) => v,
            Err(_) => {
                errors.add(
                    "version",
                    "the form is missing its version; reload the page and try again",
                );
                0
            }
        }
    }

    /// Sets (or replaces) a value, for defaults before the first render.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }
}

/// The one of the lines `sent` that a use case's error names by its field `lines[i]…`, and
/// the rest of that field's name (empty when it names the line itself).
pub fn sent_line<'a, T>(field: &'a str, sent: &'a [T]) -> Option<(&'a T, &'a str)> {
    let (i, rest) = field.strip_prefix("lines[")?.split_once(']')?;
    Some((sent.get(i.parse::<usize>().ok()?)?, rest))
}

/// A URL-encoded form posted without a session (signing in, setup, password reset), which
/// therefore carries no CSRF token (see `ui::auth`). Like `CsrfForm`, a value holding a
/// control character is refused with a 422 page naming the field.
pub struct PublicForm(pub FormData);

impl<S: Send + Sync> FromRequest<S> for PublicForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Form(data) = Form::<FormData>::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let refused =
            crate::text_input::check_pairs(data.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if !refused.is_empty() {
            return Err(PageError::App(AppError::Validation(refused)).into_response());
        }
        Ok(PublicForm(data))
    }
}

/// Ids in the path (`/projects/{id}`, `/clients/{id}/contacts/{contact_id}/delete`).
/// A malformed id is a 404 page, like an unknown one, rather than a bare 400.
pub struct Ids(pub Vec<Uuid>);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || {
            PageError::Status(
                StatusCode::NOT_FOUND,
                "There is nothing at this address. Check the link, or start from the dashboard."
                    .into(),
            )
        };
        let Path(raw) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        raw.iter()
            .map(|(_, v)| Uuid::parse_str(v).map_err(|_| not_found()))
            .collect::<Result<_, _>>()
            .map(Ids)
    }
}

/// The one id in the path.
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ids(ids) = Ids::from_request_parts(parts, state).await?;
        ids.first()
            .copied()
            .map(Id)
            .ok_or_else(|| PageError::bad_request("This address needs an id."))
    }
}

/// Two ids in the path, in order.
pub struct IdPair(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPair {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ids(ids) = Ids::from_request_parts(parts, state).await?;
        match ids.as_slice() {
            [a, b] => Ok(IdPair(*a, *b)),
            _ => Err(PageError::bad_request("This address needs two ids.")),
        }
    }
}

/// Someone saved the record first: who, when, and where to see their version.
pub struct Conflict {
    pub who: String,
    pub when: Option<OffsetDateTime>,
    /// The link that loads the latest version (dropping this form's input).
    pub reload: String,
}

/// A form as it is shown: the values to put in the fields, errors beside them,
/// a message that belongs to no field, and a stale-write conflict if there was one.
pub struct FormState {
    pub values: FormData,
    pub errors: FieldErrors,
    /// Problems not tied to a field on this form.
    pub notice: Option<String>,
    pub conflict: Option<Conflict>,
    /// Prefix of the fields' element ids (`f-` unless two forms share a page).
    pub prefix: &'static str,
    /// The field names this form shows (errors for other fields become the notice).
    fields: &'static [&'static str],
}

impl FormState {
    /// An empty form showing `fields`.
    pub fn new(fields: &'static [&'static str]) -> Self {
        FormState {
            values: FormData::default(),
            errors: FieldErrors::new(),
            notice: None,
            conflict: None,
            prefix: "f-",
            fields,
        }
    }

    /// A form filled with what the user submitted.
    pub fn submitted(fields: &'static [&'static str], values: FormData) -> Self {
        FormState {
            values,
            ..FormState::new(fields)
        }
    }

    /// Builder: a different id prefix, for a second form on the same page.
    pub fn prefixed(mut self, prefix: &'static str) -> Self {
        self.prefix = prefix;
        self
    }

    /// Builder: sets a value.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.values.set(name, value);
        self
    }

    /// The value to show in a field.
    pub fn value(&self, name: &str) -> &str {
        self.values.raw(name)
    }

    /// Whether a select option or checkbox with `value` is the chosen one.
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.values.raw(name) == value
    }

    /// The error to show beside a field.
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name)
    }

    pub fn has_error(&self, name: &str) -> bool {
        self.errors.get(name).is_some()
    }

    /// Whether there is anything to report (the status is then 4xx).
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || self.notice.is_some() || self.conflict.is_some()
    }

    /// Adds field errors: those for fields on the form go beside them (after renaming
    /// app field names to form names via `aliases`), the rest into the notice.
    pub fn add_errors(&mut self, errors: FieldErrors, aliases: &[(&str, &str)]) {
        let mut stray = Vec::new();
        for e in errors.0 {
            let name = aliases
                .iter()
                .find(|(from, _)| *from == e.field)
                .map_or(e.field.as_str(), |(_, to)| *to)
                .to_owned();
            if self.fields.contains(&name.as_str()) {
                if self.errors.get(&name).is_none() {
                    self.errors.add(&name, e.message);
                }
            } else {
                stray.push(if e.field == "version" || e.field == "token" {
                    e.message
                } else {
                    format!("{}: {}", e.field.replace('_', " "), e.message)
                });
            }
        }
        if !stray.is_empty() {
            self.push_notice(stray.join("; "));
        }
    }

    fn push_notice(&mut self, text: String) {
        self.notice = Some(match self.notice.take() {
            Some(n) => format!("{n}; {text}"),
            None => text,
        });
    }

    /// Takes in a use case's error: field errors, conflicts and stale writes are shown
    /// on the form; anything else (forbidden, not found, internal…) is a page error.
    pub fn absorb(
        &mut self,
        error: AppError,
        aliases: &[(&str, &str)],
        reload: &str,
    ) -> Result<(), PageError> {
        match error {
            AppError::Validation(fields) => self.add_errors(fields, aliases),
            AppError::Conflict {
                message, fields, ..
            } => {
                if fields.is_empty() {
                    self.push_notice(message);
                } else {
                    self.add_errors(fields, aliases);
                }
            }
            AppError::Stale {
                updated_by,
                updated_at,
                ..
            } => {
                self.conflict = Some(Conflict {
                    who: updated_by.unwrap_or_else(|| "Someone else".into()),
                    when: updated_at,
                    reload: reload.to_owned(),
                });
            }
            AppError::InvalidTransition { from, to, allowed } => {
                let label = |s: &str| {
                    s.parse::<ProjectStatus>()
                        .map_or_else(|_| s.to_owned(), |p| p.label().to_owned())
                };
                let allowed = if allowed.is_empty() {
                    "none, the current status is final".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|a| label(a))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.push_notice(format!(
                    "The status cannot change from {} to {}; allowed next: {allowed}.",
                    label(&from),
                    label(&to)
                ));
            }
            AppError::RateLimited { retry_after_secs } => {
                self.push_notice(format!(
                    "Too many attempts. Try again in {}.",
                    crate::ui::format::wait(retry_after_secs)
                ));
            }
            other => return Err(PageError::App(other)),
        }
        Ok(())
    }

    /// The HTTP status for re-rendering this form.
    pub fn status(&self) -> StatusCode {
        if self.conflict.is_some() {
            StatusCode::CONFLICT
        } else if self.failed() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

/// One `<option>` of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Opt {
            value: value.into(),
            label: label.into(),
        }
    }
}

/// The options of a string enum (`ALL`, `as_str`, `label`).
macro_rules! enum_options {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| $crate::ui::forms::Opt::new(v.as_str(), v.label()))
            .collect::<Vec<_>>()
    };
}
pub(crate) use enum_options;

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn parses_typed_values_and_collects_errors() {
        let f = form(&[
            ("d", "2026-03-31"),
            ("bad", "31/03/2026"),
            ("amt", "12,345.67"),
            ("id", "nope"),
            ("empty", " "),
        ]);
        let mut e = FieldErrors::new();
        assert_eq!(
            f.date("d", &mut e),
            Some(time::macros::date!(2026 - 03 - 31))
        );
        assert_eq!(f.date("bad", &mut e), None);
        assert_eq!(f.amount("amt", "USD", &mut e), Some(1_234_567));
        assert_eq!(f.uuid("id", &mut e), None);
        assert_eq!(f.opt("empty"), None);
        assert_eq!(f.date("missing", &mut e), None);
        assert_eq!(e.0.len(), 2);
        assert!(e.get("bad").is_some() && e.get("id").is_some());
    }

    #[test]
    fn stray_errors_become_the_notice_and_aliases_place_errors() {
        let mut s = FormState::new(&["name", "budget"]);
        let mut e = FieldErrors::new();
        e.add("budget_minor", "is too large");
        e.add("client_id", "no such client");
        s.add_errors(e, &[("budget_minor", "budget")]);
        assert_eq!(s.error("budget"), Some("is too large"));
        assert_eq!(s.notice.as_deref(), Some("client id: no such client"));
        assert_eq!(s.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn stale_writes_become_a_conflict() {
        let mut s = FormState::submitted(&["title"], form(&[("title", "Mine")]));
        s.absorb(
            AppError::Stale {
                current_version: 3,
                updated_by: Some("Ana".into()),
                updated_at: None,
            },
            &[],
            "/tasks/1",
        )
        .ok();
        assert_eq!(s.conflict.as_ref().map(|c| c.who.as_str()), Some("Ana"));
        assert_eq!(s.value("title"), "Mine");
        assert_eq!(s.status(), StatusCode::CONFLICT);
        assert!(s.absorb(AppError::Forbidden, &[], "").is_err());
    }
}
