//! Discussion in the UI: the card on project, task, scope item, drawing and specification
//! pages (comments with their files, the form, follow/unfollow), posting with photos and PDFs
//! (a refused comment comes back on a page of its own with the text kept; the form carries
//! the new comment's id, so sending it twice posts it once), editing with the earlier
//! wordings and the files, and deleting.

use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header;
use axum::response::Response;
use formula_app::AppError;
use formula_app::comments::{CommentView, Discussion, NewComment};
use formula_app::idempotency::{Fingerprint, IdempotencyKey, Once};
use formula_domain::comment::{CommentEdit, RecordKind, Visibility};
use uuid::Uuid;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::{render, see_other};
use crate::uploads::{self, Spooled};

const FIELDS: &[&str] = &["body", "visibility", "file"];

/// The discussion card of one page (`templates/_comments.html`).
pub struct CommentsCard {
    pub record_type: &'static str,
    pub record_id: Uuid,
    pub discussion: Discussion,
    /// The page to come back to after posting, editing or deleting.
    pub back: String,
    /// The id the next comment posted from this page will have (sending the form twice
    /// posts it once).
    pub new_id: Uuid,
}

impl CommentsCard {
    /// Where the `@` autocomplete asks who can be mentioned.
    pub fn mention_source(&self) -> String {
        format!(
            "/api/v1/mentionable?record_type={}&record_id={}",
            self.record_type, self.record_id
        )
    }
}

/// The card for a record, shown on the page at `back`.
pub async fn card(
    state: &AppState,
    page: &Page,
    kind: RecordKind,
    id: Uuid,
    back: String,
) -> Result<CommentsCard, PageError> {
    let discussion = state.services.discussion(&page.caller, kind, id).await?;
    Ok(CommentsCard {
        record_type: kind.as_str(),
        record_id: id,
        discussion,
        back,
        new_id: formula_domain::new_id(),
    })
}

/// Only a path on this site may be returned to (never another origin).
fn local_path(back: &str) -> String {
    crate::ui::attachments::local_path(Some(back))
}

fn record_of(input: &FormData) -> Result<(RecordKind, Uuid), PageError> {
    match (
        input.raw("record_type").parse::<RecordKind>(),
        input.raw("record_id").parse::<Uuid>(),
    ) {
        (Ok(kind), Ok(id)) => Ok((kind, id)),
        _ => Err(PageError::bad_request(
            "The form does not say which record the comment is on.",
        )),
    }
}

#[derive(Template)]
#[template(path = "comments/post.html", whitespace = "minimize")]
struct PostPage {
    layout: Layout,
    form: FormState,
    record_type: String,
    record_id: String,
    back: String,
    /// The writer chooses who reads it (the contractor's team, where the client can see the
    /// record).
    can_share: bool,
    /// The id the comment will have once posted.
    new_id: String,
    /// How many files were sent (they must be chosen again).
    files_sent: usize,
}

/// A posted comment form: its fields and the files it carried.
struct Posted {
    input: FormData,
    files: Vec<Spooled>,
}

/// Reads the comment form: `multipart/form-data` (with photos and PDFs, each at most
/// `MAX_UPLOAD_SIZE`, all together too) or URL-encoded (text only, within the general body
/// limit). The CSRF token is checked either way.
async fn read_posted(state: &AppState, page: &Page, req: Request) -> Result<Posted, PageError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let limit = state.web.max_body_bytes;
        let req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, limit)));
        let CsrfForm(input) = CsrfForm::<FormData>::from_request(req, state).await?;
        return Ok(Posted {
            input,
            files: Vec::new(),
        });
    }
    let multipart = Multipart::from_request(req, state)
        .await
        .map_err(|_| PageError::bad_request("The form could not be read: send it again."))?;
    let form = uploads::spool_multipart(
        multipart,
        &state.services.blobs.spool_dir(),
        state.web.max_upload_bytes,
    )
    .await
    .map_err(|e| {
        PageError::Status(
            e.status(),
            format!("The comment was not posted: {}.", e.message()),
        )
    })?;
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    Ok(Posted {
        input: FormData(form.fields),
        files: form.files,
    })
}

/// Posts a comment with its files, then returns to it on its page. A refused one (a mention
/// of someone who can't see the record, a file that is not what its name says) comes back
/// with the text kept and the reason beside it.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    req: Request,
) -> Result<Response, PageError> {
    let Posted { input, files } = read_posted(&state, &page, req).await?;
    let (kind, id) = record_of(&input)?;
    let back = local_path(input.raw("back"));
    let visibility = if input.raw("visibility") == "client" {
        Visibility::Client
    } else {
        Visibility::Internal
    };
    let new_id = input.raw("id").parse::<Uuid>().ok();
    let uploads: Vec<_> = files.iter().map(|f| f.0.clone()).collect();
    // The form's idempotency key (fresh per rendered form): a form sent twice posts once.
    let key = IdempotencyKey::from_raw(Some(input.raw("idempotency_key")));
    let mut request = Fingerprint::new("comment")
        .part(kind.as_str())
        .part(id.as_bytes())
        .part(input.raw("body"))
        .part(visibility.as_str())
        .opt(new_id.map(|i| i.into_bytes()));
    for u in &uploads {
        request = request.part(&u.name).part(&u.sha256);
    }
    let s = &state.services;
    let posted = s
        .once(
            &page.caller,
            key.as_ref(),
            "comment",
            request,
            |c: &CommentView| c.id,
            || {
                s.add_comment(
                    &page.caller,
                    kind,
                    id,
                    NewComment {
                        body: input.raw("body").to_owned(),
                        visibility: Some(visibility),
                        id: new_id,
                    },
                    &uploads,
                )
            },
        )
        .await;
    match posted {
        Ok(Once::New(c)) => Ok(see_other(false, &format!("{back}#comment-{}", c.id))),
        Ok(Once::Earlier(c)) => Ok(see_other(false, &format!("{back}#comment-{c}"))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            // A key (or id) already used for another comment: the corrected form is a new one.
            let new_id = match e {
                AppError::Conflict { .. } => None,
                _ => new_id,
            };
            let mut form = FormState::submitted(FIELDS, input.clone());
            form.absorb(e, &[], &back)?;
            let status = form.status();
            let discussion = state.services.discussion(&page.caller, kind, id).await?;
            let view = PostPage {
                layout: page.layout(Section::Projects, "Post a comment"),
                form,
                record_type: kind.as_str().to_owned(),
                record_id: id.to_string(),
                back,
                can_share: discussion.can_comment_internally && discussion.client_can_see,
                new_id: new_id.unwrap_or_else(formula_domain::new_id).to_string(),
                files_sent: files.len(),
            };
            render(status, &view)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "comments/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    form: FormState,
    comment: CommentView,
    back: String,
}

/// The page to change one's own comment.
pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let comment = state.services.get_comment(&page.caller, id).await?;
    if !comment.can_edit {
        return Err(AppError::Forbidden.into());
    }
    let back = local_path(FormData::from_query(query.as_deref()).raw("back"));
    let form = FormState::new(FIELDS).with("body", comment.body.clone().unwrap_or_default());
    let view = EditPage {
        layout: page.layout(Section::Projects, "Edit comment"),
        form,
        comment,
        back,
    };
    render(axum::http::StatusCode::OK, &view)
}

/// Saves a new wording (compare-and-set: someone else's newer save is shown, not lost).
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let back = local_path(input.raw("back"));
    let mut form = FormState::submitted(FIELDS, input.clone());
    let version = input.version(&mut form.errors);
    if form.errors.is_empty() {
        match state
            .services
            .edit_comment(&page.caller, id, input.raw("body"), version)
            .await
        {
            Ok(c) => return Ok(see_other(false, &format!("{back}#comment-{}", c.id))),
            Err(e) => form.absorb(e, &[], &format!("/comments/{id}/edit?back={back}"))?,
        }
    }
    let comment = state.services.get_comment(&page.caller, id).await?;
    let status = form.status();
    let view = EditPage {
        layout: page.layout(Section::Projects, "Edit comment"),
        form,
        comment,
        back,
    };
    render(status, &view)
}

/// Deletes a comment softly and returns to its place.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let back = local_path(input.raw("back"));
    let mut errors = formula_domain::errors::FieldErrors::new();
    let version = input.version(&mut errors);
    errors.into_result().map_err(AppError::Validation)?;
    state
        .services
        .delete_comment(&page.caller, id, version)
        .await?;
    Ok(see_other(false, &format!("{back}#comment-{id}")))
}

#[derive(Template)]
#[template(path = "comments/history.html", whitespace = "minimize")]
struct HistoryPage {
    layout: Layout,
    comment: CommentView,
    edits: Vec<CommentEdit>,
    back: String,
}

/// A comment's earlier wordings, as plain text.
pub async fn history(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let comment = state.services.get_comment(&page.caller, id).await?;
    let edits = state.services.comment_history(&page.caller, id).await?;
    let view = HistoryPage {
        layout: page.layout(Section::Projects, "Comment history"),
        comment,
        edits,
        back: local_path(FormData::from_query(query.as_deref()).raw("back")),
    };
    render(axum::http::StatusCode::OK, &view)
}

/// Follows or unfollows a record, then returns to its page.
pub async fn follow(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let (kind, id) = record_of(&input)?;
    let following = input.raw("following") == "true";
    state
        .services
        .follow(&page.caller, kind, id, following)
        .await?;
    let back = local_path(input.raw("back"));
    Ok(see_other(false, &format!("{back}#comments")))
}

/// Whether a comment's file is a picture the browser shows (a thumbnail in the discussion).
pub fn shown_inline(a: &formula_domain::attachment::Attachment) -> bool {
    matches!(
        a.file.mime.as_str(),
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// Where a shown picture's preview comes from: a JPEG or PNG photo's thumbnail (made by the
/// server, without metadata), or the file itself (GIF, WebP).
pub fn preview(a: &formula_domain::attachment::Attachment) -> &'static str {
    if formula_domain::attachment::makes_copies(&a.file.mime) {
        "thumbnail"
    } else {
        "file"
    }
}

/// What clicking a shown picture opens: a photo's display copy, or the file itself.
pub fn opened(a: &formula_domain::attachment::Attachment) -> &'static str {
    if formula_domain::attachment::makes_copies(&a.file.mime) {
        "display"
    } else {
        "file"
    }
}

/// What kind of file a comment's file is, in a word (`PDF`, or its extension).
pub fn file_kind(a: &formula_domain::attachment::Attachment) -> String {
    if a.file.mime == "application/pdf" {
        return "PDF".into();
    }
    match a.file.name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.len() <= 5 => ext.to_uppercase(),
        _ => "File".into(),
    }
}

/// A file's size as people read it: "70 bytes", "12 KiB", "3.4 MiB".
pub fn file_size(bytes: &i64) -> String {
    let bytes = *bytes;
    const KIB: i64 = 1024;
    match bytes {
        b if b < KIB => format!("{b} bytes"),
        b if b < KIB * KIB => format!("{} KiB", b / KIB),
        b => format!(
            "{}.{} MiB",
            b / (KIB * KIB),
            (b % (KIB * KIB)) * 10 / (KIB * KIB)
        ),
    }
}
