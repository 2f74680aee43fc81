//! Collaboration: the discussion of records (comments, their earlier wordings and mentions)
//! and who follows which record.

use async_trait::async_trait;
use formula_domain::audit::AuditEntry;
use formula_domain::comment::{Comment, CommentEdit, RecordKind};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// A record that is discussed or followed: its kind, its id and its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordKey {
    pub kind: RecordKind,
    pub id: Uuid,
    pub project_id: Uuid,
}

/// A code of the project found in a comment's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub code: String,
    pub kind: RecordKind,
    pub id: Uuid,
}

/// An active user who may be able to see a project's records: its team, administrators,
/// executives, and its client's users. Who of them can see a given record is decided in `app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: formula_domain::user::Role,
    pub client_id: Option<Uuid>,
    /// Their role on the project's team, if they are on it.
    pub membership: Option<formula_domain::project::ProjectRole>,
}

/// Comments and followers.
#[async_trait]
pub trait CommentRepo: Send + Sync {
    /// The comments on a record, oldest first, deleted ones included (their text is the
    /// caller's to hide); `client_only` leaves out internal comments in the query itself.
    async fn list_comments(&self, record_id: Uuid, client_only: bool) -> AppResult<Vec<Comment>>;
    async fn get_comment(&self, id: Uuid) -> AppResult<Option<Comment>>;
    /// In one transaction: the record's thread if it has none yet, the comment, its mentions,
    /// `followers` following the record (unless they unfollowed it), and the audit entry.
    async fn insert_comment(
        &self,
        record: RecordKey,
        comment: &Comment,
        mentions: &[Uuid],
        followers: &[Uuid],
        audit: &AuditEntry,
    ) -> AppResult<()>;
    /// Saves a new wording compare-and-set on `version`, keeping the replaced one, and
    /// replaces the comment's mentions; `followers` follow as on insert.
    async fn edit_comment(
        &self,
        comment: &Comment,
        expected_version: i64,
        mentions: &[Uuid],
        followers: &[Uuid],
        audit: &AuditEntry,
    ) -> AppResult<Comment>;
    /// Marks a comment deleted, compare-and-set on `version`.
    async fn delete_comment(
        &self,
        id: Uuid,
        expected_version: i64,
        deleted_by: Uuid,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> AppResult<Comment>;
    /// A comment's earlier wordings, oldest first.
    async fn comment_edits(&self, id: Uuid) -> AppResult<Vec<CommentEdit>>;
    /// Follows (`true`) or unfollows a record explicitly; an unfollow is remembered.
    async fn set_following(
        &self,
        record: RecordKey,
        user_id: Uuid,
        following: bool,
        at: OffsetDateTime,
    ) -> AppResult<()>;
    /// Makes `users` follow a record unless they unfollowed it (creators, assignees,
    /// uploaders, reviewers, commenters and the people mentioned).
    async fn auto_follow(
        &self,
        record: RecordKey,
        users: &[Uuid],
        at: OffsetDateTime,
    ) -> AppResult<()>;
    async fn is_following(&self, record_id: Uuid, user_id: Uuid) -> AppResult<bool>;
    /// Who follows a record.
    async fn followers(&self, record_id: Uuid) -> AppResult<Vec<Uuid>>;
    /// Which of `codes` are item codes, drawing numbers or specification codes in the project.
    async fn find_references(
        &self,
        project_id: Uuid,
        codes: &[String],
    ) -> AppResult<Vec<Reference>>;
    /// The active people who may see the project's records (see [`Person`]).
    async fn project_people(&self, project_id: Uuid) -> AppResult<Vec<Person>>;
}
