//! Activity feeds: what happened on a project, or on one task, scope item, drawing or
//! specification, newest first, in sentences ("Hannah Keller approved SD-101 rev B as
//! noted"), from the audit trail and the comments. Consecutive alike changes by one person in
//! one minute are one line ("Hannah Keller moved 3 items to In progress").
//!
//! Whoever sees a project reads its feed. Client users read their part only, chosen in the
//! query itself (`Audience::Client`): the changes `activity::CLIENT_VISIBLE` lists and the
//! comments visible to the client, on records shared with them; never an entry's details.

use std::collections::HashSet;

use formula_domain::activity::{self, Phrase, comment_phrase, same_minute};
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::comment::{RecordKind, Visibility};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::repos::{Audience, FeedCursor, FeedEntry, FeedOf, FeedQuery, FeedRow};
use crate::services::{Services, ensure};

/// Most lines a page may ask for.
pub const MAX_ACTIVITY_LIMIT: u32 = 100;
/// Lines per page unless asked.
pub const DEFAULT_ACTIVITY_LIMIT: u32 = 30;
/// Rows read by the largest query while lines are gathered: the first reads twice the
/// lines asked for, each next one twice as many as the last (a bulk change of hundreds of
/// rows is read in a few queries, a page of single changes in one).
const MAX_CHUNK: u32 = 1_000;
/// Rows read at most for one page: a bulk change larger than this is told in several lines.
const MAX_SCAN: usize = 5_000;
/// Longest comment excerpt, in characters.
const EXCERPT: usize = 200;

/// A change or a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Change,
    Comment,
}

/// One line of a feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityItem {
    /// The newest entry the line tells (an audit entry's or a comment's id).
    pub id: Uuid,
    /// When (the newest entry of the line).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub kind: ActivityKind,
    /// What was done: the audit action (`create`, `status_change`, `review`, `submit`, …) or
    /// `comment`.
    pub action: String,
    /// `project`, `task`, `scope_group`, `scope_item`, `drawing`, `drawing_revision` or
    /// `spec`.
    pub record_type: String,
    /// The record, when the line tells of one.
    pub record_id: Option<Uuid>,
    pub record_label: Option<String>,
    /// How many records the line tells of (alike changes by one person in one minute).
    #[schema(minimum = 1)]
    pub count: u32,
    /// The sentence, e.g. "Hannah Keller approved SD-101 rev B as noted".
    pub text: String,
    /// The page to read more on, while the record exists and the reader may open it.
    pub href: Option<String>,
    /// A comment's text as one plain line (at most 200 characters).
    pub excerpt: Option<String>,
    /// A comment's visibility.
    pub visibility: Option<Visibility>,
    /// The sentence in parts, for pages that link the record: what comes before its label,
    /// the label as shown, and what follows.
    #[serde(skip)]
    pub parts: (String, String, String),
}

/// One page of a feed, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityPage {
    pub items: Vec<ActivityItem>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A page's place as text: microseconds since 1970 and the row's id (`1767609300000000-0194…`).
pub fn cursor_token(c: FeedCursor) -> String {
    let micros = c.at.unix_timestamp_nanos() / 1_000;
    format!("{micros}-{}", c.id.simple())
}

/// Reads a `cursor`; `None` when it is not one this API gives out: exactly
/// `^[0-9]{1,17}-[0-9a-fA-F]{32}$` (the pattern the API document states; at most 17 digits,
/// so always a representable time).
pub fn parse_cursor(token: &str) -> Option<FeedCursor> {
    let (micros, id) = token.split_once('-')?;
    let digits = |s: &str, max: usize, hex: bool| {
        !s.is_empty()
            && s.len() <= max
            && s.chars().all(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    if !digits(micros, 17, false) || id.len() != 32 || !digits(id, 32, true) {
        return None;
    }
    let micros: i64 = micros.parse().ok()?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).ok()?;
    let id = Uuid::try_parse(id).ok()?;
    Some(FeedCursor { at, id })
}

/// Rows told as one line.
struct Line {
    rows: Vec<FeedRow>,
    /// The phrase of a change (comments have none: each is its own line).
    phrase: Option<Phrase>,
    key: Option<String>,
    entities: Vec<Uuid>,
}

impl Line {
    fn new(row: FeedRow) -> Self {
        let (phrase, entities) = match &row.entry {
            FeedEntry::Change {
                action,
                entity_type,
                entity_id,
                changes,
                ..
            } => (
                Some(activity::phrase(action, entity_type, changes)),
                vec![*entity_id],
            ),
            FeedEntry::Comment { .. } => (None, Vec::new()),
        };
        Line {
            key: phrase.as_ref().map(Phrase::key),
            rows: vec![row],
            phrase,
            entities,
        }
    }

    /// Whether `row` is one more alike change: same person, same phrase but for the record
    /// (a record not yet in the line), same minute.
    fn takes(&self, row: &FeedRow) -> bool {
        let (Some(key), Some(first)) = (&self.key, self.rows.first()) else {
            return false;
        };
        let FeedEntry::Change {
            action,
            entity_type,
            entity_id,
            changes,
            ..
        } = &row.entry
        else {
            return false;
        };
        first.actor_id.is_some()
            && first.actor_id == row.actor_id
            && same_minute(first.at, row.at)
            && matches!(&first.entry, FeedEntry::Change { entity_type: t, .. } if t == entity_type)
            && !self.entities.contains(entity_id)
            && activity::phrase(action, entity_type, changes).key() == *key
    }

    fn push(&mut self, row: FeedRow) {
        if let FeedEntry::Change { entity_id, .. } = &row.entry {
            self.entities.push(*entity_id);
        }
        self.rows.push(row);
    }

    fn last_cursor(&self) -> Option<FeedCursor> {
        self.rows.last().map(FeedRow::cursor)
    }
}

/// The page of `kind` `id` (on `project_id`), for a reader who may open what they read of.
fn href_of(kind: &str, id: Uuid, project_id: Uuid, parent: Option<Uuid>) -> Option<String> {
    Some(match kind {
        "project" => format!("/projects/{id}"),
        "task" => format!("/tasks/{id}"),
        "scope_item" => format!("/scope-items/{id}/edit"),
        "scope_group" => format!("/projects/{project_id}/scope"),
        "drawing" => format!("/drawings/{id}"),
        "drawing_revision" => format!("/drawings/{}", parent?),
        "spec" => format!("/specs/{id}"),
        "variation" => format!("/variations/{id}"),
        "purchase_order" => format!("/purchase-orders/{id}"),
        _ => return None,
    })
}

/// Where a line about several records of a kind points: the project's list of them.
fn list_of(kind: &str, project_id: Uuid) -> Option<String> {
    let tab = match kind {
        "task" => "tasks",
        "scope_item" | "scope_group" => "scope",
        "drawing" => "drawings",
        "spec" => "materials",
        "variation" => "variations",
        "purchase_order" => "purchasing",
        _ => return None,
    };
    Some(format!("/projects/{project_id}/{tab}"))
}

/// Tells one line; `live` holds the records (of those the lines name) that still exist.
fn tell(line: Line, project_id: Uuid, live: &HashSet<Uuid>) -> Option<ActivityItem> {
    let count = u32::try_from(line.entities.len().max(1)).unwrap_or(u32::MAX);
    let Line { rows, phrase, .. } = line;
    let first = rows.into_iter().next()?;
    let actor = first
        .actor_name
        .clone()
        .unwrap_or_else(|| "Someone".to_owned());
    let item =
        |kind, action: String, record_type: String, parts: (String, String, String)| ActivityItem {
            id: first.id,
            at: first.at,
            actor_id: first.actor_id,
            actor_name: first.actor_name.clone(),
            kind,
            action,
            record_type,
            record_id: None,
            record_label: None,
            count,
            text: format!("{actor} {}{}{}", parts.0, parts.1, parts.2),
            href: None,
            excerpt: None,
            visibility: None,
            parts,
        };
    Some(match &first.entry {
        FeedEntry::Change {
            action,
            entity_type,
            entity_id,
            label,
            ..
        } => {
            let phrase = phrase?;
            if count > 1 {
                let mut it = item(
                    ActivityKind::Change,
                    action.clone(),
                    entity_type.clone(),
                    (phrase.many(count as usize), String::new(), String::new()),
                );
                it.href = list_of(entity_type, project_id);
                it
            } else {
                let shown = phrase.label(label);
                let parts = if shown.is_empty() {
                    (phrase.one(label), String::new(), String::new())
                } else {
                    (phrase.before(), shown, phrase.tail.clone())
                };
                let mut it = item(
                    ActivityKind::Change,
                    action.clone(),
                    entity_type.clone(),
                    parts,
                );
                it.record_id = Some(*entity_id);
                it.record_label = Some(label.clone());
                if live.contains(entity_id) && action != "delete" {
                    it.href = href_of(entity_type, *entity_id, project_id, None);
                }
                it
            }
        }
        FeedEntry::Comment {
            record_kind,
            record_id,
            parent_id,
            label,
            visibility,
            body,
        } => {
            let phrase = comment_phrase(*record_kind);
            let mut it = item(
                ActivityKind::Comment,
                "comment".to_owned(),
                record_kind.as_str().to_owned(),
                (phrase.before(), phrase.label(label), String::new()),
            );
            it.record_id = Some(*record_id);
            it.record_label = Some(label.clone());
            it.href = href_of(record_kind.as_str(), *record_id, project_id, *parent_id).map(|h| {
                match record_kind {
                    // Revisions' comments are not on the drawing's page.
                    RecordKind::DrawingRevision => h,
                    _ => format!("{h}#comment-{}", first.id),
                }
            });
            it.excerpt = Some(activity::excerpt(body, EXCERPT));
            it.visibility = Some(*visibility);
            it
        }
    })
}

impl Services {
    /// A project's feed, newest first, from `cursor` (a page's `next_cursor`).
    pub async fn project_activity(
        &self,
        caller: &Caller,
        project_id: Uuid,
        cursor: Option<FeedCursor>,
        limit: u32,
    ) -> AppResult<ActivityPage> {
        let (_, access) = self.project_for(caller, project_id).await?;
        let audience = audience(caller, access)?;
        self.feed(
            FeedOf::Project(project_id),
            project_id,
            audience,
            cursor,
            limit,
            true,
        )
        .await
    }

    /// The feed of one task, scope item, drawing (with its revisions) or specification; a
    /// project's is [`Services::project_activity`]. Not found when the caller cannot see it.
    pub async fn record_activity(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
        cursor: Option<FeedCursor>,
        limit: u32,
    ) -> AppResult<ActivityPage> {
        match kind {
            RecordKind::Project => {
                return self.project_activity(caller, id, cursor, limit).await;
            }
            RecordKind::DrawingRevision => {
                return Err(AppError::field(
                    "record_type",
                    "must be project, task, scope_item, drawing or spec (a revision's activity is its drawing's)",
                ));
            }
            _ => {}
        }
        let subject = self.subject(caller, kind, id).await?;
        let audience = audience(caller, subject.access)?;
        self.feed(
            FeedOf::Record(kind, id),
            subject.key.project_id,
            audience,
            cursor,
            limit,
            true,
        )
        .await
    }

    /// The newest changes to a record, without its comments: for its page, where the
    /// discussion is shown beside them. As [`Services::record_activity`] otherwise.
    pub async fn record_changes(
        &self,
        caller: &Caller,
        kind: RecordKind,
        id: Uuid,
        limit: u32,
    ) -> AppResult<ActivityPage> {
        if matches!(kind, RecordKind::Project | RecordKind::DrawingRevision) {
            return self.record_activity(caller, kind, id, None, limit).await;
        }
        let subject = self.subject(caller, kind, id).await?;
        let audience = audience(caller, subject.access)?;
        self.feed(
            FeedOf::Record(kind, id),
            subject.key.project_id,
            audience,
            None,
            limit,
            false,
        )
        .await
    }

    /// Gathers lines from the rows after `cursor` until `limit` lines are complete.
    async fn feed(
        &self,
        of: FeedOf,
        project_id: Uuid,
        audience: Audience,
        cursor: Option<FeedCursor>,
        limit: u32,
        with_comments: bool,
    ) -> AppResult<ActivityPage> {
        let limit = limit.clamp(1, MAX_ACTIVITY_LIMIT) as usize;
        let mut lines: Vec<Line> = Vec::new();
        let mut before = cursor;
        let mut scanned = 0;
        // Whether rows may remain after the last line.
        let mut more = true;
        let mut chunk = u32::try_from(limit * 2)
            .unwrap_or(MAX_CHUNK)
            .clamp(20, MAX_CHUNK);
        'pages: loop {
            let rows = self
                .store
                .activity(&FeedQuery {
                    of,
                    audience,
                    before,
                    limit: chunk,
                    with_comments,
                })
                .await?;
            let n = rows.len();
            for row in rows {
                before = Some(row.cursor());
                let full = lines.len() == limit;
                match lines.last_mut() {
                    Some(line) if line.takes(&row) => line.push(row),
                    // The next page starts with this row.
                    _ if full => break 'pages,
                    _ => lines.push(Line::new(row)),
                }
            }
            scanned += n;
            if n < chunk as usize {
                more = false;
                break;
            }
            if scanned >= MAX_SCAN {
                break;
            }
            chunk = (chunk * 2).min(MAX_CHUNK);
        }
        let next_cursor = if more {
            lines.last().and_then(Line::last_cursor).map(cursor_token)
        } else {
            None
        };
        // Which of the records told one by one still exist, to link them (one query).
        let named: Vec<Uuid> = lines
            .iter()
            .filter(|l| l.entities.len() == 1)
            .flat_map(|l| l.entities.iter().copied())
            .collect();
        let live: HashSet<Uuid> = self
            .store
            .names_of(&named)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        Ok(ActivityPage {
            items: lines
                .into_iter()
                .filter_map(|l| tell(l, project_id, &live))
                .collect(),
            next_cursor,
        })
    }
}

/// Who the caller reads a project's feed as; forbidden when they may not read it.
fn audience(caller: &Caller, access: ProjectAccess) -> AppResult<Audience> {
    let project = Resource::Project(access);
    ensure(caller, Action::ViewActivity, &project)?;
    Ok(
        if authorize(&caller.actor, Action::ViewInternalActivity, &project) {
            Audience::Team
        } else {
            Audience::Client
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = FeedCursor {
            at: OffsetDateTime::from_unix_timestamp_nanos(1_767_609_300_123_456_000).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(parse_cursor(&cursor_token(c)), Some(c));
        let hex = "0194f0c2a7b87d3e9c1f2a3b4c5d6e7f";
        assert!(parse_cursor(&format!("99999999999999999-{hex}")).is_some());
        let bad: Vec<String> = vec![
            String::new(),
            "x".into(),
            "12-".into(),
            "-abc".into(),
            "12-nothex".into(),
            format!("+12-{hex}"),
            format!("-12-{hex}"),
            format!("999999999999999999-{hex}"),
            "12-0194f0c2-a7b8-7d3e-9c1f-2a3b4c5d6e7f".into(),
        ];
        for b in &bad {
            assert_eq!(parse_cursor(b), None, "{b}");
        }
    }
}
