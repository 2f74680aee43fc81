//! Attachments in the UI: the card on project, task, scope item, drawing and specification
//! pages (list, upload, remove), the upload's own page when a file is refused, and downloads.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use formula_app::AppError;
use formula_app::attachments::AttachmentList;
use formula_domain::attachment::{OwnerKind, Purpose};
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
    })
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
            return refused_page(&page, f, e.status(), "", "", "/");
        }
    };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let field = |name: &str| form.field(name).unwrap_or_default().to_owned();
    let back = local_path(form.field("back"));
    let (owner_type, owner_id) = (field("owner_type"), field("owner_id"));
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
    let Some(file) = form.file() else {
        f.errors.add("file", "choose the file to attach");
        return refused_page(
            &page,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            &owner_type,
            &owner_id,
            &back,
        );
    };
    if !f.errors.is_empty() {
        return refused_page(
            &page,
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
            &owner_type,
            &owner_id,
            &back,
        );
    }
    let caption = form.field("caption").map(str::to_owned);
    match s
        .add_attachment(&page.caller, kind, id, purpose, caption, &file.0)
        .await
    {
        Ok(_) => Ok(see_other(false, &format!("{back}#attachments"))),
        Err(e @ AppError::Validation(_)) => {
            f.absorb(e, &[], &back)?;
            let status = f.status();
            refused_page(&page, f, status, &owner_type, &owner_id, &back)
        }
        Err(e) => Err(e.into()),
    }
}

fn refused_page(
    page: &Page,
    form: FormState,
    status: StatusCode,
    owner_type: &str,
    owner_id: &str,
    back: &str,
) -> Result<Response, PageError> {
    let view = UploadPage {
        layout: page.layout(Section::Projects, "Attach a file"),
        form,
        owner_type: owner_type.to_owned(),
        owner_id: owner_id.to_owned(),
        back: back.to_owned(),
        purposes: Purpose::ALL,
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

/// Streams an attachment's file (PDFs and images open in the browser).
pub async fn file(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (attachment, read) = state
        .services
        .open_attachment_file(&page.caller, id, range)
        .await?;
    Ok(uploads::download(&attachment.file, read))
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
