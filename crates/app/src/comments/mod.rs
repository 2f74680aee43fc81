//! Discussion on records: reading and writing comments (internal unless marked visible to
//! the client), their mentions and code references, earlier wordings, and following a
//! record. Whoever may see a record may read its discussion; client users read only what is
//! marked visible to them, filtered in the query itself.

mod render;

use std::collections::HashMap;

use formula_domain::attachment::{Attachment, OwnerKind, Purpose};
use formula_domain::authz::{Action, Actor, ProjectAccess, Resource, authorize};
use formula_domain::comment::{
    self, Comment, CommentEdit, RecordKind, Visibility, handle_matches, handle_of,
};
use formula_domain::errors::FieldErrors;
use formula_domain::notification::Event;
use formula_domain::review::{StatusWord as _, shown_to};
use formula_domain::user::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use render::{Words, to_html};

use crate::attachments::{Checked, MAX_COMMENT_FILES, Owner};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::repos::{Person, RecordKey};
use crate::services::{Services, audit, ensure};

/// One comment as a reader sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub record_kind: RecordKind,
    pub record_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub visibility: Visibility,
    /// The text as written (Markdown); absent once the comment is deleted.
    pub body: Option<String>,
    /// The text as safe HTML, with mentions and links to the codes it names; empty once
    /// deleted.
    pub body_html: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the text was last changed (the earlier wordings are kept).
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
    pub version: i64,
    /// The reader may change the text (their own comment).
    pub can_edit: bool,
    /// The reader may delete it (their own, or any for an administrator).
    pub can_delete: bool,
    /// Its files (photos, PDFs), oldest first: readable by whoever reads the comment; none
    /// once it is deleted. Its author adds and removes them (`/attachments` with
    /// `owner_type=comment`).
    pub attachments: Vec<Attachment>,
}

/// A record's discussion as the reader sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Discussion {
    pub record_kind: RecordKind,
    pub record_id: Uuid,
    pub project_id: Uuid,
    pub comments: Vec<CommentView>,
    /// The reader may comment.
    pub can_comment: bool,
    /// The reader may post internal comments (the contractor's team). A client user's
    /// comments are always visible to the client.
    pub can_comment_internally: bool,
    /// The record can be shown to the client's users at all (so a comment can be marked
    /// visible to them).
    pub client_can_see: bool,
    /// The reader follows the record.
    pub following: bool,
}

/// A new comment.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewComment {
    /// Markdown: bold, italics, lists, quotes, code and links; `@handle` mentions a person,
    /// and item codes, drawing numbers and specification codes become links.
    pub body: String,
    /// `internal` (the default for the contractor's team) or `client`. A client user's
    /// comment is always `client`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// The new comment's id, chosen by the client so that sending it again (after a lost
    /// answer) is safe: the same text on the same record by the same person is the comment
    /// already posted, not a second one.
    #[serde(default)]
    pub id: Option<Uuid>,
}

/// Someone who can be mentioned in a comment on a record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mentionable {
    pub name: String,
    /// What to type after `@`.
    pub handle: String,
    /// A client user (who can be mentioned only in comments visible to the client).
    pub client: bool,
}

/// A record being discussed, as the caller may see it.
pub(crate) struct Subject {
    pub(crate) key: RecordKey,
    pub(crate) access: ProjectAccess,
    pub(crate) label: String,
    /// The client's users can see this record (so comments on it may be shown to them).
    pub(crate) client_sees: bool,
}

impl Subject {
    pub(crate) fn project(&self) -> Resource {
        Resource::Project(self.access)
    }

    /// Whether `person` can see the record.
    fn seen_by(&self, person: &Person) -> bool {
        person_sees(
            person,
            self.access.client_id,
            self.key.kind,
            self.client_sees,
        )
    }
}

/// Whether `person` can see a record of `kind` in a project of the client `client_id`;
/// `client_sees` says whether the client's users may see this record at all.
pub(crate) fn person_sees(
    person: &Person,
    client_id: Uuid,
    kind: RecordKind,
    client_sees: bool,
) -> bool {
    let actor = Actor {
        user_id: person.id,
        name: person.name.clone(),
        role: person.role,
        client_id: person.client_id,
    };
    let access = ProjectAccess {
        client_id,
        membership: person.membership,
    };
    let kind_visible = match kind {
        RecordKind::ScopeItem => authorize(&actor, Action::ViewScope, &Resource::Project(access)),
        _ => person.role != Role::Client || client_sees,
    };
    kind_visible && authorize(&actor, Action::ViewProject, &Resource::Project(access))
}

impl Services {
    /// The record `kind`/`id`, if the caller may see it ("not found" otherwise).
    pub(crate) async fn subject(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
    ) -> AppResult<Subject> {
        let key = |project_id| RecordKey {
            kind,
            id,
            project_id,
        };
        Ok(match kind {
            RecordKind::Project => {
                let (project, access) = self.project_for(caller, id).await?;
                Subject {
                    key: key(project.id),
                    access,
                    label: project.code,
                    client_sees: true,
                }
            }
            RecordKind::Task => {
                let (task, access) = self.task_for(caller, id).await?;
                ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
                Subject {
                    key: key(task.project_id),
                    access,
                    label: task.title,
                    client_sees: true,
                }
            }
            RecordKind::ScopeItem => {
                let (item, access) = self
                    .scope_item_for(caller, id, Action::ViewScope)
                    .await
                    .map_err(|e| match e {
                        // The scope is internal: to a client user it does not exist.
                        AppError::Forbidden => AppError::NotFound("scope item"),
                        other => other,
                    })?;
                Subject {
                    key: key(item.project_id),
                    access,
                    label: item.code,
                    client_sees: false,
                }
            }
            RecordKind::Drawing => {
                let (drawing, access) = self.drawing_for(caller, id, Action::ViewDrawings).await?;
                Subject {
                    key: key(drawing.project_id),
                    access,
                    client_sees: drawing.clone().seen_by(Role::Client).is_some(),
                    label: drawing.number,
                }
            }
            RecordKind::DrawingRevision => {
                let (rev, drawing, access) =
                    self.revision_for(caller, id, Action::ViewDrawings).await?;
                Subject {
                    key: key(drawing.project_id),
                    access,
                    client_sees: shown_to(Role::Client, rev.status.state()),
                    label: format!("{} rev {}", drawing.number, rev.label),
                }
            }
            RecordKind::Spec => {
                let (spec, access) = self.spec_for(caller, id, Action::ViewSpecs).await?;
                Subject {
                    key: key(spec.project_id),
                    access,
                    client_sees: shown_to(Role::Client, spec.status.state()),
                    label: spec.code,
                }
            }
        })
    }

    /// The discussion of a record: its comments (client users: only those visible to the
    /// client), and what the caller may do there.
    pub async fn discussion(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
    ) -> AppResult<Discussion> {
        let subject = self.subject(caller, kind, id).await?;
        let internal = authorize(
            &caller.actor,
            Action::ViewInternalComments,
            &subject.project(),
        );
        let comments = self.store.list_comments(id, !internal).await?;
        let comments = self.comment_views(caller, &subject, comments).await?;
        let can_comment = authorize(&caller.actor, Action::PostComment, &subject.project());
        let following = self.store.is_following(id, caller.actor.user_id).await?;
        Ok(Discussion {
            record_kind: kind,
            record_id: id,
            project_id: subject.key.project_id,
            comments,
            can_comment: can_comment && (internal || subject.client_sees),
            can_comment_internally: can_comment && internal,
            client_can_see: subject.client_sees,
            following,
        })
    }

    /// Renders comments for the caller: mentions with names, and links to the codes the
    /// caller may open.
    async fn comment_views(
        &self,
        caller: &Caller,
        subject: &Subject,
        comments: Vec<Comment>,
    ) -> AppResult<Vec<CommentView>> {
        let live: Vec<&str> = comments
            .iter()
            .filter(|c| c.deleted_at.is_none())
            .map(|c| c.body.as_str())
            .collect();
        let people = if live.iter().any(|b| b.contains('@')) {
            self.store.project_people(subject.key.project_id).await?
        } else {
            Vec::new()
        };
        let codes = render::codes_in(live.iter().copied());
        let mut references: HashMap<&str, String> = HashMap::new();
        let found = self
            .store
            .find_references(subject.key.project_id, &codes)
            .await?;
        for r in &found {
            if let Some(href) = self.reference_href(caller, r.kind, r.id).await? {
                references.insert(r.code.as_str(), href);
            }
        }
        let live_ids: Vec<Uuid> = comments
            .iter()
            .filter(|c| c.deleted_at.is_none())
            .map(|c| c.id)
            .collect();
        let mut files: HashMap<Uuid, Vec<Attachment>> = HashMap::new();
        if !live_ids.is_empty() {
            for a in self
                .store
                .list_attachments_of(OwnerKind::Comment, &live_ids)
                .await?
            {
                files.entry(a.owner_id).or_default().push(a);
            }
        }
        let mut words = Words {
            mentions: HashMap::new(),
            references,
        };
        for person in &people {
            words
                .mentions
                .insert(handle_of(&person.email), person.name.as_str());
            words
                .mentions
                .insert(person.email.to_lowercase(), person.name.as_str());
        }
        Ok(comments
            .into_iter()
            .map(|c| {
                let resource = Resource::Comment {
                    project: subject.access,
                    author: c.author_id,
                };
                let deleted = c.deleted_at.is_some();
                let can_edit = !deleted && authorize(&caller.actor, Action::EditComment, &resource);
                let can_delete =
                    !deleted && authorize(&caller.actor, Action::DeleteComment, &resource);
                CommentView {
                    id: c.id,
                    record_kind: c.record_kind,
                    record_id: c.record_id,
                    author_id: c.author_id,
                    author_name: c.author_name,
                    visibility: c.visibility,
                    body_html: if deleted {
                        String::new()
                    } else {
                        to_html(&c.body, &words)
                    },
                    body: (!deleted).then_some(c.body),
                    created_at: c.created_at,
                    edited_at: c.edited_at,
                    deleted,
                    version: c.version,
                    can_edit,
                    can_delete,
                    attachments: files.remove(&c.id).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The page a code in a comment links to, if the caller may open it.
    async fn reference_href(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
    ) -> AppResult<Option<String>> {
        let visible = match self.subject(caller, kind, id).await {
            Ok(_) => true,
            Err(AppError::NotFound(_) | AppError::Forbidden) => false,
            Err(e) => return Err(e),
        };
        Ok(visible.then(|| crate::notifications::link_to(kind, id)))
    }

    /// The people `body` mentions, each of whom must be able to see the record (and, in an
    /// internal comment, be on the contractor's side). Errors name the mention to fix.
    async fn mentioned_people(
        &self,
        subject: &Subject,
        body: &str,
        visibility: Visibility,
        errors: &mut FieldErrors,
    ) -> AppResult<Vec<Uuid>> {
        let handles = comment::mentions(body);
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let people = self.store.project_people(subject.key.project_id).await?;
        let noun = subject.key.kind.noun();
        let mut ids = Vec::new();
        for handle in handles {
            let matching: Vec<&Person> = people
                .iter()
                .filter(|p| handle_matches(&handle, &p.email))
                .collect();
            match matching.as_slice() {
                [] => errors.add(
                    "body",
                    format!(
                        "@{handle} is not someone who can see this {noun}: check the spelling, \
                         or add them to the project team first."
                    ),
                ),
                [person] if !subject.seen_by(person) => errors.add(
                    "body",
                    format!(
                        "{} can't see this {noun}, so they can't be mentioned here.",
                        person.name
                    ),
                ),
                [person] if person.role == Role::Client && visibility == Visibility::Internal => {
                    errors.add(
                        "body",
                        format!(
                            "{} is a client user and can't be mentioned in an internal comment: \
                             mark it visible to the client, or remove @{handle}.",
                            person.name
                        ),
                    )
                }
                [person] => ids.push(person.id),
                several => errors.add(
                    "body",
                    format!(
                        "@{handle} could be {}: write the whole e-mail address after the @.",
                        several
                            .iter()
                            .map(|p| format!("{} ({})", p.name, p.email))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                ),
            }
        }
        Ok(ids)
    }

    /// Posts a comment on a record the caller can see, with its files (photos, PDFs: at most
    /// [`MAX_COMMENT_FILES`], each checked like any attachment). Everything is checked before
    /// anything is stored. With an `id` of the client's choosing, sending the same comment
    /// again (after a lost answer, or a failure while its files were stored) is safe: it is
    /// the comment already posted, and only the files it lacks are added.
    pub async fn add_comment(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
        input: NewComment,
        files: &[Upload],
    ) -> AppResult<CommentView> {
        let subject = self.subject(caller, kind, id).await?;
        ensure(caller, Action::PostComment, &subject.project())?;
        let staff = authorize(
            &caller.actor,
            Action::ViewInternalComments,
            &subject.project(),
        );
        let mut errors = FieldErrors::new();
        let visibility = if staff {
            input.visibility.unwrap_or_default()
        } else {
            Visibility::Client
        };
        if visibility == Visibility::Client && !subject.client_sees {
            errors.add(
                "visibility",
                format!(
                    "The client can't see this {}, so a comment on it can't be shown to them.",
                    kind.noun()
                ),
            );
        }
        let body = comment::check_body(&mut errors, &input.body);
        let checked = check_files(&mut errors, files);
        let mentioned = self
            .mentioned_people(&subject, &body, visibility, &mut errors)
            .await?;
        errors.into_result()?;
        if let Some(earlier) = self
            .posted_before(caller, &subject, input.id, &body)
            .await?
        {
            let owner = files_owner(&subject, &earlier);
            if self
                .attach_all(caller, &owner, earlier.id, files, checked)
                .await?
            {
                self.comment_changed(caller, "comment.files_added", &subject, &earlier)
                    .await;
            }
            let mut views = self.comment_views(caller, &subject, vec![earlier]).await?;
            return views.pop().ok_or(AppError::NotFound("comment"));
        }
        let now = self.now();
        let c = Comment {
            id: input.id.unwrap_or_else(formula_domain::new_id),
            record_kind: kind,
            record_id: id,
            project_id: subject.key.project_id,
            author_id: Some(caller.actor.user_id),
            author_name: Some(caller.actor.name.clone()),
            visibility,
            body,
            created_at: now,
            edited_at: None,
            deleted_at: None,
            version: 1,
        };
        let mut followers = vec![caller.actor.user_id];
        followers.extend(mentioned.iter().copied());
        let entry = audit(
            caller,
            "comment",
            kind.as_str(),
            id,
            &subject.label,
            vec![formula_domain::audit::FieldChange {
                field: format!("comment ({})", visibility.as_str()),
                old: serde_json::Value::Null,
                new: serde_json::Value::String(c.id.to_string()),
            }],
        )
        .in_project(subject.key.project_id);
        self.store
            .insert_comment(subject.key, &c, &mentioned, &followers, &entry)
            .await?;
        // Announced once its files are stored too, so readers fetch it whole.
        let owner = files_owner(&subject, &c);
        let attached = self.attach_all(caller, &owner, c.id, files, checked).await;
        self.comment_changed(caller, "comment.added", &subject, &c)
            .await;
        self.comment_told(caller, &subject, &c, &mentioned, true)
            .await;
        attached?;
        let mut views = self.comment_views(caller, &subject, vec![c]).await?;
        views.pop().ok_or(AppError::NotFound("comment"))
    }

    /// The comment a retried post made already: the same id, by the caller, on the same
    /// record, with the same text. An id used for anything else is refused.
    async fn posted_before(
        &self,
        caller: &Caller,
        subject: &Subject,
        id: Option<Uuid>,
        body: &str,
    ) -> AppResult<Option<Comment>> {
        let Some(id) = id else {
            return Ok(None);
        };
        let Some(earlier) = self.store.get_comment(id).await? else {
            return Ok(None);
        };
        let same = earlier.author_id == Some(caller.actor.user_id)
            && earlier.record_kind == subject.key.kind
            && earlier.record_id == subject.key.id
            && earlier.body == body
            && earlier.deleted_at.is_none();
        if same {
            Ok(Some(earlier))
        } else {
            Err(AppError::duplicate(
                "id",
                "this id belongs to another comment: leave it out, or choose a new one",
            ))
        }
    }

    /// Stores a comment's checked files (those it has already are skipped); whether any
    /// was new.
    async fn attach_all(
        &self,
        caller: &Caller,
        owner: &Owner,
        comment_id: Uuid,
        files: &[Upload],
        checked: Vec<Checked>,
    ) -> AppResult<bool> {
        let mut any = false;
        for (upload, file) in files.iter().zip(checked) {
            let purpose = file.mime.starts_with("image/").then_some(Purpose::Photo);
            let (_, new) = self
                .store_attachment(
                    caller,
                    owner,
                    (OwnerKind::Comment, comment_id),
                    purpose,
                    None,
                    upload,
                    file,
                )
                .await?;
            any |= new;
        }
        Ok(any)
    }

    /// A comment the caller may see, with the record it is on.
    async fn comment_for(&self, caller: &Caller, id: Uuid) -> AppResult<(Comment, Subject)> {
        let c = self
            .store
            .get_comment(id)
            .await?
            .ok_or(AppError::NotFound("comment"))?;
        let subject = self
            .subject(caller, c.record_kind, c.record_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) | AppError::Forbidden => AppError::NotFound("comment"),
                other => other,
            })?;
        let internal = authorize(
            &caller.actor,
            Action::ViewInternalComments,
            &subject.project(),
        );
        if c.visibility == Visibility::Internal && !internal {
            return Err(AppError::NotFound("comment"));
        }
        Ok((c, subject))
    }

    /// One comment as the caller sees it.
    pub async fn get_comment(&self, caller: &Caller, id: Uuid) -> AppResult<CommentView> {
        let (c, subject) = self.comment_for(caller, id).await?;
        let mut views = self.comment_views(caller, &subject, vec![c]).await?;
        views.pop().ok_or(AppError::NotFound("comment"))
    }

    /// Changes the text of one's own comment; the earlier wording is kept.
    pub async fn edit_comment(
        &self,
        caller: &Caller,
        id: Uuid,
        body: &str,
        expected_version: i64,
    ) -> AppResult<CommentView> {
        let (mut c, subject) = self.comment_for(caller, id).await?;
        if c.deleted_at.is_some() {
            return Err(AppError::NotFound("comment"));
        }
        ensure(
            caller,
            Action::EditComment,
            &Resource::Comment {
                project: subject.access,
                author: c.author_id,
            },
        )?;
        let mut errors = FieldErrors::new();
        let body = comment::check_body(&mut errors, body);
        let mentioned = self
            .mentioned_people(&subject, &body, c.visibility, &mut errors)
            .await?;
        errors.into_result()?;
        if body == c.body {
            let mut views = self.comment_views(caller, &subject, vec![c]).await?;
            return views.pop().ok_or(AppError::NotFound("comment"));
        }
        let old = std::mem::replace(&mut c.body, body);
        c.edited_at = Some(self.now());
        let entry = audit(
            caller,
            "edit comment",
            subject.key.kind.as_str(),
            subject.key.id,
            &subject.label,
            vec![formula_domain::audit::FieldChange {
                field: "comment".into(),
                old: serde_json::Value::String(old),
                new: serde_json::Value::String(c.body.clone()),
            }],
        )
        .in_project(subject.key.project_id);
        let saved = self
            .store
            .edit_comment(&c, expected_version, &mentioned, &mentioned, &entry)
            .await?;
        self.comment_changed(caller, "comment.edited", &subject, &saved)
            .await;
        // Only the people the new wording mentions for the first time are told.
        self.comment_told(caller, &subject, &saved, &mentioned, false)
            .await;
        let mut views = self.comment_views(caller, &subject, vec![saved]).await?;
        views.pop().ok_or(AppError::NotFound("comment"))
    }

    /// Deletes a comment softly: it keeps its place, its text is no longer shown.
    pub async fn delete_comment(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<CommentView> {
        let (c, subject) = self.comment_for(caller, id).await?;
        if c.deleted_at.is_some() {
            return Err(AppError::NotFound("comment"));
        }
        ensure(
            caller,
            Action::DeleteComment,
            &Resource::Comment {
                project: subject.access,
                author: c.author_id,
            },
        )?;
        let entry = audit(
            caller,
            "delete comment",
            subject.key.kind.as_str(),
            subject.key.id,
            &subject.label,
            vec![formula_domain::audit::FieldChange {
                field: "comment".into(),
                old: serde_json::Value::String(c.id.to_string()),
                new: serde_json::Value::Null,
            }],
        )
        .in_project(subject.key.project_id);
        let saved = self
            .store
            .delete_comment(
                id,
                expected_version,
                caller.actor.user_id,
                self.now(),
                &entry,
            )
            .await?;
        self.comment_changed(caller, "comment.deleted", &subject, &saved)
            .await;
        let mut views = self.comment_views(caller, &subject, vec![saved]).await?;
        views.pop().ok_or(AppError::NotFound("comment"))
    }

    /// The earlier wordings of a comment the caller can see (none once it is deleted).
    pub async fn comment_history(&self, caller: &Caller, id: Uuid) -> AppResult<Vec<CommentEdit>> {
        let (c, _) = self.comment_for(caller, id).await?;
        if c.deleted_at.is_some() {
            return Ok(Vec::new());
        }
        self.store.comment_edits(id).await
    }

    /// Follows or unfollows a record the caller can see.
    pub async fn follow(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
        following: bool,
    ) -> AppResult<()> {
        let subject = self.subject(caller, kind, id).await?;
        ensure(caller, Action::FollowRecords, &subject.project())?;
        self.store
            .set_following(subject.key, caller.actor.user_id, following, self.now())
            .await
    }

    /// Makes people follow a record they are now involved in (its creator, assignee,
    /// uploader or reviewer), unless they unfollowed it. Called after the change committed;
    /// a failure is logged, never the change's.
    pub(crate) async fn involve(
        &self,
        kind: RecordKind,
        id: Uuid,
        project_id: Uuid,
        users: &[Uuid],
    ) {
        let key = RecordKey {
            kind,
            id,
            project_id,
        };
        if let Err(e) = self.store.auto_follow(key, users, self.now()).await {
            tracing::warn!(record = %id, error = %e, "could not make people follow a record");
        }
    }

    /// The people who can be mentioned on a record: those who can see it (client users only
    /// for comments visible to the client), whose name or handle starts with `prefix`.
    pub async fn mentionable(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
        prefix: &str,
    ) -> AppResult<Vec<Mentionable>> {
        let subject = self.subject(caller, kind, id).await?;
        ensure(caller, Action::PostComment, &subject.project())?;
        let prefix = prefix.trim().to_lowercase();
        let people = self.store.project_people(subject.key.project_id).await?;
        Ok(people
            .iter()
            .filter(|p| p.id != caller.actor.user_id && subject.seen_by(p))
            .filter(|p| {
                prefix.is_empty()
                    || handle_of(&p.email).starts_with(&prefix)
                    || p.name
                        .to_lowercase()
                        .split_whitespace()
                        .any(|w| w.starts_with(&prefix))
            })
            .take(20)
            .map(|p| Mentionable {
                name: p.name.clone(),
                handle: handle_of(&p.email),
                client: p.role == Role::Client,
            })
            .collect())
    }

    /// Tells the people a comment mentions, and (for a new comment) the record's followers.
    async fn comment_told(
        &self,
        caller: &Caller,
        subject: &Subject,
        c: &Comment,
        mentioned: &[Uuid],
        new: bool,
    ) {
        let base = |event, title: String| {
            let mut h =
                Happening::new(event, subject.key, subject.access.client_id, title).by(caller);
            h.client_sees = subject.client_sees;
            h.internal = c.visibility == Visibility::Internal;
            h.comment_id = Some(c.id);
            h.excerpt = Some(crate::notifications::excerpt(&c.body));
            h.link = format!(
                "{}#comment-{}",
                crate::notifications::link_to(subject.key.kind, subject.key.id),
                c.id
            );
            h.occurrence = c.id.to_string();
            h
        };
        let mut told = Vec::new();
        if !mentioned.is_empty() {
            let mut h = base(
                Event::Mentioned,
                format!("{} mentioned you on {}", caller.actor.name, subject.label),
            );
            h.parties.mentioned = mentioned.to_vec();
            told.push(h);
        }
        if new {
            let mut h = base(
                Event::Commented,
                format!("{} commented on {}", caller.actor.name, subject.label),
            );
            h.except = mentioned.to_vec();
            told.push(h);
        }
        self.notify_all(told).await;
    }

    /// A comment as the owner of files: the caller must be able to read it (and, with
    /// `manage`, be its author); a deleted comment's files are not shown to anyone.
    pub(crate) async fn comment_as_owner(
        &self,
        caller: &Caller,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let (c, subject) = self.comment_for(caller, id).await?;
        if c.deleted_at.is_some() {
            return Err(AppError::NotFound("comment"));
        }
        if manage {
            ensure(
                caller,
                Action::EditComment,
                &Resource::Comment {
                    project: subject.access,
                    author: c.author_id,
                },
            )?;
        }
        Ok(files_owner(&subject, &c))
    }

    /// Announces a change to a discussion; internal comments are never announced to client
    /// users' live-update streams.
    async fn comment_changed(&self, caller: &Caller, kind: &str, subject: &Subject, c: &Comment) {
        self.announce(
            caller,
            kind,
            subject.key.project_id,
            subject.key.id,
            Some(c.version),
            c.visibility == Visibility::Internal,
        )
        .await;
    }
}

/// A comment as the owner of its files.
fn files_owner(subject: &Subject, c: &Comment) -> Owner {
    Owner {
        project_id: subject.key.project_id,
        label: format!("comment on {}", subject.label),
        comment: Some((subject.key.id, c.visibility == Visibility::Internal)),
    }
}

/// Checks the files of a new comment like any attachment (each problem under `file`,
/// naming the file), at most [`MAX_COMMENT_FILES`] of them.
fn check_files(errors: &mut FieldErrors, files: &[Upload]) -> Vec<Checked> {
    if files.len() > MAX_COMMENT_FILES {
        errors.add(
            "file",
            format!(
                "a comment carries at most {MAX_COMMENT_FILES} files; attach the others to a \
                 second comment"
            ),
        );
        return Vec::new();
    }
    files
        .iter()
        .map(|upload| {
            let mut own = FieldErrors::new();
            let (name, mime) = upload.check(&mut own, formula_domain::files::check_attachment_file);
            for e in own.0 {
                let shown = if name.is_empty() { &upload.name } else { &name };
                errors.add("file", format!("{shown}: {}", e.message));
            }
            Checked { name, mime }
        })
        .collect()
}
