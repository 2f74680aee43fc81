//! "Waiting for me": one list, oldest first, of what the signed-in person has to act on,
//! gathered from several sources: drawing revisions and specifications awaiting their
//! decision (as the review workflow chooses who decides), and mentions they have not
//! answered. A new source (RFIs, variations) is a `WaitingKind`, a store query, and one line
//! in [`Services::waiting_for_me`].

use formula_domain::activity::{age, excerpt};
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize, project_scope};
use formula_domain::comment::RecordKind;
use formula_domain::project::ProjectRole;
use formula_domain::user::Role;
use formula_domain::waiting::{self, WaitingItem, WaitingKind};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::AppResult;
use crate::repos::{WaitingFor, WaitingRow};
use crate::services::{Services, ensure};

/// Most items of each source listed.
pub const WAITING_MAX: u32 = 200;
/// Longest excerpt of a mentioning comment.
const EXCERPT: usize = 140;

/// What waits for the caller, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Waiting {
    pub items: Vec<WaitingItem>,
    /// How many reviews await the caller's decision (of `items`).
    pub reviews: i64,
    /// How many mentions await an answer (of `items`).
    pub mentions: i64,
}

impl Services {
    /// What waits for the caller: reviews to decide and mentions to answer, oldest first.
    pub async fn waiting_for_me(&self, caller: &Caller) -> AppResult<Waiting> {
        ensure(caller, Action::ViewWaiting, &Resource::Global)?;
        let actor = &caller.actor;
        let client_id = match (actor.role, actor.client_id) {
            (Role::Client, None) => {
                return Ok(Waiting {
                    items: Vec::new(),
                    reviews: 0,
                    mentions: 0,
                });
            }
            (Role::Client, c) => c,
            _ => None,
        };
        // What the caller's role decides on a team that names no reviewers, and whether it
        // reads the scope of work, asked of a project they are on.
        let on_team = Resource::Project(ProjectAccess {
            client_id: Uuid::nil(),
            membership: Some(ProjectRole::Member),
        });
        let who = WaitingFor {
            user_id: actor.user_id,
            client_id,
            scope: project_scope(actor),
            sees_scope: authorize(actor, Action::ViewScope, &on_team),
            decides_drawings: authorize(actor, Action::ReviewDrawings, &on_team),
            decides_specs: authorize(actor, Action::ApproveSpecs, &on_team),
            limit: WAITING_MAX,
        };
        let mut reviews = self.store.reviews_waiting(&who).await?;
        // Variations submitted to the client wait for the client's users (the team's project
        // managers may record a decision given outside the app, but it is not theirs to take).
        reviews.extend(self.store.variations_waiting(&who, false).await?);
        let mentions = self.store.mentions_waiting(&who).await?;
        let now = self.now();
        let count = |rows: &[WaitingRow]| i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let (r, m) = (count(&reviews), count(&mentions));
        let mut items: Vec<WaitingItem> = reviews
            .into_iter()
            .chain(mentions)
            .map(|row| item(row, now))
            .collect();
        waiting::sort(&mut items);
        Ok(Waiting {
            items,
            reviews: r,
            mentions: m,
        })
    }
}

fn item(row: WaitingRow, now: time::OffsetDateTime) -> WaitingItem {
    let page = match row.record_kind {
        RecordKind::Project => format!("/projects/{}", row.record_id),
        RecordKind::Task => format!("/tasks/{}", row.record_id),
        RecordKind::ScopeItem => format!("/scope-items/{}/edit", row.record_id),
        RecordKind::Drawing => format!("/drawings/{}", row.record_id),
        RecordKind::DrawingRevision => {
            format!("/drawings/{}", row.parent_id.unwrap_or(row.record_id))
        }
        RecordKind::Spec => format!("/specs/{}", row.record_id),
    };
    let (href, title) = match row.kind {
        WaitingKind::Mention => {
            let anchor = if row.record_kind == RecordKind::DrawingRevision {
                String::new()
            } else {
                format!("#comment-{}", row.id)
            };
            (
                format!("{page}{anchor}"),
                row.title.as_deref().map(|t| excerpt(t, EXCERPT)),
            )
        }
        WaitingKind::DrawingReview => (format!("{page}#review-h"), row.title),
        WaitingKind::SpecReview => (format!("{page}#approve-h"), row.title),
        WaitingKind::VariationDecision => (format!("/variations/{}#decide-h", row.id), row.title),
    };
    WaitingItem {
        kind: row.kind,
        id: row.id,
        record_kind: row.record_kind,
        record_id: row.record_id,
        label: row.label,
        title,
        project_id: row.project_id,
        project_code: row.project_code,
        from_name: row.from_name,
        age: age(row.since, now),
        since: row.since,
        href,
    }
}
