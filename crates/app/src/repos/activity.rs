//! Read models for the activity feeds (a project's, a record's) and for "waiting for me".

use async_trait::async_trait;
use formula_domain::audit::FieldChange;
use formula_domain::authz::ProjectScope;
use formula_domain::comment::{RecordKind, Visibility};
use formula_domain::waiting::WaitingKind;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// Whose feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOf {
    /// Everything on a project.
    Project(Uuid),
    /// One task, scope item, drawing or specification: its audit entries and its comments
    /// (a drawing's include the comments on its revisions).
    Record(RecordKind, Uuid),
}

/// Who reads a feed, which decides what it may hold. The store filters in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The contractor's side: every change and every comment.
    Team,
    /// A client user: the changes `formula_domain::activity::CLIENT_VISIBLE` lists, and the
    /// comments marked visible to the client on records shared with them.
    Client,
}

/// A place in a feed: the newest-first order is by time, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    pub at: OffsetDateTime,
    pub id: Uuid,
}

/// One page of raw feed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedQuery {
    pub of: FeedOf,
    pub audience: Audience,
    /// Only rows older than this place.
    pub before: Option<FeedCursor>,
    pub limit: u32,
    /// Comments too (a record's page shows its changes beside its discussion).
    pub with_comments: bool,
}

/// What a feed row is.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEntry {
    /// An audit entry.
    Change {
        action: String,
        entity_type: String,
        entity_id: Uuid,
        /// The record's label when it was written.
        label: String,
        changes: Vec<FieldChange>,
    },
    /// A comment (never a deleted one).
    Comment {
        record_kind: RecordKind,
        record_id: Uuid,
        /// A revision's drawing.
        parent_id: Option<Uuid>,
        /// The record's label now.
        label: String,
        visibility: Visibility,
        body: String,
    },
}

/// One feed row, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub entry: FeedEntry,
}

impl FeedRow {
    /// The place just after this row.
    pub fn cursor(&self) -> FeedCursor {
        FeedCursor {
            at: self.at,
            id: self.id,
        }
    }
}

/// Whose "waiting for me" list, with what their role decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingFor {
    pub user_id: Uuid,
    /// A client user's organisation: they decide where the project lets clients approve, and
    /// read only comments visible to the client.
    pub client_id: Option<Uuid>,
    /// The projects they see.
    pub scope: ProjectScope,
    /// They may see scope items (so mentions there count).
    pub sees_scope: bool,
    /// On a team with no designated reviewers, their role decides drawings / specifications
    /// (project managers, administrators).
    pub decides_drawings: bool,
    pub decides_specs: bool,
    /// At most this many of each source.
    pub limit: u32,
}

/// One thing waiting, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingRow {
    pub kind: WaitingKind,
    pub id: Uuid,
    pub record_kind: RecordKind,
    pub record_id: Uuid,
    /// A revision's drawing (for a mention on a revision).
    pub parent_id: Option<Uuid>,
    pub label: String,
    /// A drawing's title, a specification's description, or a comment's text.
    pub title: Option<String>,
    pub project_id: Uuid,
    pub project_code: String,
    pub from_name: Option<String>,
    pub since: OffsetDateTime,
}

/// Activity feeds and what waits for someone.
#[async_trait]
pub trait ActivityRepo: Send + Sync {
    /// Up to `limit` feed rows before the cursor, newest first: audit entries (never those
    /// of comments) and comments, merged.
    async fn activity(&self, query: &FeedQuery) -> AppResult<Vec<FeedRow>>;
    /// Drawing revisions and specifications submitted and awaiting this person's decision,
    /// oldest first.
    async fn reviews_waiting(&self, who: &WaitingFor) -> AppResult<Vec<WaitingRow>>;
    /// Comments mentioning this person, in a thread where they have not commented since,
    /// that they can still see; oldest first.
    async fn mentions_waiting(&self, who: &WaitingFor) -> AppResult<Vec<WaitingRow>>;
}
