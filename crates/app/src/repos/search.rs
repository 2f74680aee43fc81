//! Global search: the index of every searchable record, read with the caller's visibility
//! applied in the query itself.

use async_trait::async_trait;
use formula_domain::comment::RecordKind;
use formula_domain::search::{SearchKind, SearchScope, Terms};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// One record found, with what is needed to show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: Uuid,
    /// The project it belongs to (a project: itself); none for clients and people.
    pub project_id: Option<Uuid>,
    pub project_code: Option<String>,
    pub project_name: Option<String>,
    /// The indexed title (empty for comments) and body.
    pub title: String,
    pub body: String,
    /// How many records of this kind match that the caller may see (the same on every hit
    /// of the kind; the hits are the best ranked of them).
    pub total: i64,
    /// A comment's author, when it was written, and the record it is on.
    pub author_name: Option<String>,
    pub created_at: Option<OffsetDateTime>,
    pub on: Option<CommentedRecord>,
}

/// The record a comment is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentedRecord {
    pub kind: RecordKind,
    pub id: Uuid,
    /// Its code and name, number and title, or title.
    pub label: String,
    /// The page that shows it: the drawing of a drawing revision; the record itself otherwise.
    pub page_id: Uuid,
}

/// Searching.
#[async_trait]
pub trait SearchRepo: Send + Sync {
    /// The best `limit` hits of each of `kinds` (all kinds when empty) for `terms`, that
    /// `scope` may see, ranked best first within each kind, each carrying the number of
    /// visible hits of its kind. Everything `scope` may not see is left out in the query,
    /// before ranking and counting.
    async fn search(
        &self,
        terms: &Terms,
        scope: &SearchScope,
        kinds: &[SearchKind],
        limit: u32,
    ) -> AppResult<Vec<SearchHit>>;
}
