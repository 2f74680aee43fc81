//! The phone-first receive form, the same on a delivery note's receiving page and a purchase
//! order's: read as multipart (the CSRF token checked, the photos spooled, the idempotency
//! key taken), each line's `q-<line id>` quantity turned into the lines received, and a
//! refused form shown again with what was sent and the reasons beside the fields they name.
//! What a page asks beyond the lines (a typed signature; a delivery-note number, who received
//! it and an over-delivery) stays with the page.

use axum::extract::Multipart;
use axum::http::StatusCode;
use formula_app::AppError;
use formula_app::drawings::Upload;
use formula_app::idempotency::IdempotencyKey;
use formula_domain::errors::FieldErrors;
use formula_domain::scope::Quantity;
use uuid::Uuid;

use crate::csrf::same;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, sent_line};
use crate::ui::layout::Page;
use crate::uploads::{self, Spooled};

/// The field of a line's quantity received now.
pub fn quantity_field(line_id: Uuid) -> String {
    format!("q-{line_id}")
}

/// A receive form as sent: its text fields, its photos and its idempotency key. The photos'
/// spool files go away with it.
pub struct ReceiveForm {
    pub values: FormData,
    pub photos: Vec<Upload>,
    pub key: Option<IdempotencyKey>,
    _spooled: Vec<Spooled>,
}

impl ReceiveForm {
    /// Reads the form, its photos spooled; one without the page's CSRF token is refused.
    pub async fn read(
        state: &AppState,
        page: &Page,
        multipart: Multipart,
    ) -> Result<ReceiveForm, PageError> {
        let spool_dir = state.services.blobs.spool_dir();
        let form = uploads::spool_multipart(multipart, &spool_dir, state.web.max_upload_bytes)
            .await
            .map_err(|e| PageError::App(AppError::field("photo", e.message())))?;
        if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
            return Err(PageError::csrf());
        }
        Ok(ReceiveForm {
            key: IdempotencyKey::from_raw(form.field("idempotency_key")),
            photos: form.files.iter().map(|f| f.0.clone()).collect(),
            values: FormData(form.fields),
            _spooled: form.files,
        })
    }

    /// The lines received, in the order of `line_ids`: those with a quantity (blank or 0:
    /// not in this delivery). A quantity that is no number is refused on its field; with
    /// none at all (and nothing else refused) the form is refused on `lines`.
    pub fn lines(
        &self,
        line_ids: impl IntoIterator<Item = Uuid>,
        errors: &mut FieldErrors,
    ) -> Vec<(Uuid, Quantity)> {
        let mut lines = Vec::new();
        for id in line_ids {
            let field = quantity_field(id);
            let raw = self.values.text(&field);
            if raw.trim().is_empty() {
                continue;
            }
            match Quantity::parse(&raw) {
                Ok(q) if q.0 == 0 => {}
                Ok(q) => lines.push((id, q)),
                Err(m) => errors.add(&field, m),
            }
        }
        if lines.is_empty() && errors.is_empty() {
            errors.add("lines", "enter the quantity received of at least one line");
        }
        lines
    }
}

/// A refused receive form, to show again: what was sent, the errors beside their fields, and
/// a notice on top for what belongs to no field.
#[derive(Default)]
pub struct Sent {
    pub values: FormData,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

impl Sent {
    /// Refused by the page itself: the notice is the error on `lines`, if any.
    pub fn invalid(values: FormData, errors: FieldErrors) -> Sent {
        let notice = errors.get("lines").map(str::to_owned);
        Sent {
            values,
            errors,
            notice,
        }
    }

    /// Refused by the use case (a validation or a conflict; anything else is passed on): an
    /// error on `lines[i]…` goes on the field `line_field` names for the i-th line sent
    /// (`lines`) and the rest of the error's name; one on a field the page shows (`shown`)
    /// stays there; the first of the others, or the conflict's message, is the notice.
    pub fn refused(
        values: FormData,
        e: AppError,
        lines: &[Uuid],
        shown: &[&str],
        line_field: impl Fn(Uuid, &str) -> String,
    ) -> Result<Sent, AppError> {
        let (fields, mut notice) = match e {
            AppError::Validation(f) => (f, None),
            AppError::Conflict {
                message, fields, ..
            } => (fields, Some(message)),
            other => return Err(other),
        };
        let mut errors = FieldErrors::new();
        for f in fields.0 {
            match sent_line(&f.field, lines).map(|(id, rest)| line_field(*id, rest)) {
                Some(field) => errors.add(&field, f.message),
                None if shown.contains(&f.field.as_str()) => errors.add(&f.field, f.message),
                None => {
                    notice.get_or_insert(f.message);
                }
            }
        }
        Ok(Sent {
            values,
            errors,
            notice,
        })
    }

    /// A receiving page's status and form: 422 with what was refused, or 200 with a fresh
    /// form.
    pub fn shown(sent: Option<Sent>) -> (StatusCode, Sent) {
        match sent {
            Some(sent) => (StatusCode::UNPROCESSABLE_ENTITY, sent),
            None => (StatusCode::OK, Sent::default()),
        }
    }

    /// Whether nothing was sent yet (the form as first shown).
    pub fn fresh(&self) -> bool {
        self.values.0.is_empty()
    }

    /// A line's quantity as the form shows it: what was sent, or at first what is still to
    /// come.
    pub fn quantity(&self, line_id: Uuid, remaining: Quantity) -> String {
        if self.fresh() {
            remaining.to_string()
        } else {
            self.values.text(&quantity_field(line_id))
        }
    }

    /// The error on a field, to show beside it.
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(str::to_owned)
    }
}
