//! Attachments in the UI: the card on project, task, scope item, drawing and specification
//! pages (list with photo thumbnails, upload with a "take photo" control, remove), the
//! upload's own page when a file is refused, and downloads (a photo's original, display copy
//! and thumbnail). Every upload form carries a fresh idempotency key, so a form sent twice
//! (a retry on a flaky connection, a double tap) attaches the file once.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use formula_app::AppError;
use formula_app::attachments::AttachmentList;
use formula_app::idempotency::{IdempotencyKey, Once};
use formula_domain::attachment::{Attachment, OwnerKind, Purpose, Variant};
use uuid::Uuid;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::{render, see_other};
use crate::uploads;

const FIELDS: &[&str] = &["file", "purpose", "caption"];

/// The attachments card of one page (`templates/_attachments.html`).
pub struct AttachmentsCard {
    pub owner_type: &'static str,
    pub owner_id: Uuid,
    pub list: AttachmentList,
    /// The page to come back to after adding or removing a file.
    pub back: String,
    pub purposes: &'static [Purpose],
    /// The upload form's idempotency key (new for every rendered form).
    pub form_key: Uuid,
}

/// The card for `owner`, shown on the page at `back`.
pub async fn card(
    state: &AppState,
    page: &Page,
    kind: OwnerKind,
    owner_id: Uuid,
    back: String,
) -> Result<AttachmentsCard, PageError> {
    let list = state
        .services
        .list_attachments(&page.caller, kind, owner_id)
        .await?;
    Ok(AttachmentsCard {
        owner_type: kind.as_str(),
        owner_id,
        list,
        back,
        purposes: Purpose::ALL,
        form_key: formula_domain::new_id(),
    })
}

/// The thumbnail's size for an image attachment's `<img>` (`None` for other files). An image
/// attached before copies were made gets its copies on first view; until then it is
/// shown at a thumbnail's usual proportions.
pub fn thumb_size(a: &Attachment) -> Option<(u32, u32)> {
    match &a.image {
        Some(copies) => Some(copies.thumb_size()),
        None => formula_domain::attachment::makes_copies(&a.file.mime).then_some((320, 240)),
    }
}

/// Only a path on this site may be returned to (never another origin).
pub(crate) fn local_path(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "attachments/upload.html", whitespace = "minimize")]
struct UploadPage {
    layout: Layout,
    form: FormState,
    owner_type: String,
    owner_id: String,
    back: String,
    purposes: &'static [Purpose],
    /// A fresh idempotency key: the refused request created nothing (its key was freed),
    /// and the corrected form is a new request.
    form_key: String,
}

/// Adds an attachment (a multipart form, so the CSRF token is checked here). A refused file
/// is shown again on a page of its own, with the reason beside the file field.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let s = &state.services;
    let spooled =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes).await;
    let form = match spooled {
        Ok(f) => f,
        Err(e) => {
            let mut f = FormState::new(FIELDS);
            f.errors.add("file", e.message());
            return refused_page(&page, f, e.status(), ("", ""), "/");
        }
    };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let field = |name: &str| form.field(name).unwrap_or_default().to_owned();
    let back = local_path(form.field("back"));
    let (owner_type, owner_id) = (field("owner_type"), field("owner_id"));
    let form_key = field("idempotency_key");
    let owner = (owner_type.as_str(), owner_id.as_str());
    let (Ok(kind), Ok(id)) = (owner_type.parse::<OwnerKind>(), owner_id.parse::<Uuid>()) else {
        return Err(PageError::bad_request(
            "The form does not say what the file is for.",
        ));
    };
    let mut f = FormState::submitted(
        FIELDS,
        FormData(vec![
            ("purpose".into(), field("purpose")),
            ("caption".into(), field("caption")),
        ]),
    );
    let purpose = match field("purpose").as_str() {
        "" => None,
        p => match p.parse::<Purpose>() {
            Ok(p) => Some(p),
            Err(e) => {
                f.errors.add("purpose", e.to_string());
                None
            }
        },
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(file) = form.file() else {
        f.errors
            .add("file", "choose the file to attach, or take a photo");
        return refused_page(&page, f, unprocessable, owner, &back);
    };
    if form.files.len() > 1 {
        f.errors.add(
            "file",
            "attach one file at a time: either take a photo or choose a file",
        );
    }
    if !f.errors.is_empty() {
        return refused_page(&page, f, unprocessable, owner, &back);
    }
    let caption = form.field("caption").map(str::to_owned);
    let key = IdempotencyKey::from_raw(Some(&form_key));
    let request = crate::api::attachments::attachment_fingerprint(
        kind,
        id,
        purpose,
        caption.as_deref(),
        &file.0,
    );
    let added = s
        .once(
            &page.caller,
            key.as_ref(),
            "attachment",
            request,
            |(a, _): &(Attachment, bool)| a.id,
            || s.add_attachment(&page.caller, kind, id, purpose, caption, &file.0),
        )
        .await;
    match added {
        // A form sent again lands where the first one did.
        Ok(Once::New(_) | Once::Earlier(_)) => Ok(see_other(false, &format!("{back}#attachments"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            f.absorb(e, &[], &back)?;
            let status = f.status();
            refused_page(&page, f, status, owner, &back)
        }
        Err(e) => Err(e.into()),
    }
}

fn refused_page(
    page: &Page,
    form: FormState,
    status: StatusCode,
    (owner_type, owner_id): (&str, &str),
    back: &str,
) -> Result<Response, PageError> {
    let view = UploadPage {
        layout: page.layout(Section::Projects, "Attach a file"),
        form,
        owner_type: owner_type.to_owned(),
        owner_id: owner_id.to_owned(),
        back: back.to_owned(),
        purposes: Purpose::ALL,
        form_key: formula_domain::new_id().to_string(),
    };
    render(status, &view)
}

/// Removes an attachment and its file, then returns to the page it was on.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state.services.delete_attachment(&page.caller, id).await?;
    let back = local_path(Some(input.raw("back")));
    Ok(see_other(false, &format!("{back}#attachments")))
}

/// Streams an attachment's file (PDFs and images open in the browser; a client user gets a
/// photo's display copy, never its original).
pub async fn file(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    variant(&state, &page, id, Variant::Original, &headers).await
}

/// A photo's display copy (upright, at most 2048 px, no metadata).
pub async fn display(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    variant(&state, &page, id, Variant::Display, &headers).await
}

/// A photo's thumbnail (at most 320 px, no metadata).
pub async fn thumbnail(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    variant(&state, &page, id, Variant::Thumbnail, &headers).await
}

async fn variant(
    state: &AppState,
    page: &Page,
    id: Uuid,
    variant: Variant,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (served, read) = state
        .services
        .open_attachment_variant(&page.caller, id, variant, range)
        .await?;
    Ok(uploads::served(&served, read, headers))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path(Some("/tasks/1")), "/tasks/1");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
