//! Activity in the UI: a project's Activity tab, the Activity card beside the discussion on
//! task, scope item, drawing and specification pages (with a page of its own for the older
//! lines), and the "Waiting for me" card on My work and the dashboard.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::activity::{ActivityPage, DEFAULT_ACTIVITY_LIMIT, parse_cursor};
use formula_app::repos::FeedCursor;
use formula_app::waiting::Waiting;
use formula_domain::comment::RecordKind;
use uuid::Uuid;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::render;

/// Lines the card on a record's page shows before "Older activity".
const CARD_LINES: u32 = 8;
/// Items the waiting card shows before "Show all".
pub const WAITING_SHOWN: usize = 10;

/// The Activity card of one record's page (`templates/_activity.html`): its latest changes
/// (its comments are in the discussion just above).
#[derive(Clone)]
pub struct ActivityCard {
    pub feed: ActivityPage,
    /// The record's whole feed, comments included.
    pub all: String,
}

/// The card for a record the caller can see (whoever sees a record reads its feed).
pub async fn card(
    state: &AppState,
    page: &Page,
    kind: RecordKind,
    id: Uuid,
) -> Result<ActivityCard, PageError> {
    let feed = state
        .services
        .record_changes(&page.caller, kind, id, CARD_LINES)
        .await?;
    Ok(ActivityCard {
        feed,
        all: record_page(kind, id, None),
    })
}

fn record_page(kind: RecordKind, id: Uuid, cursor: Option<&String>) -> String {
    let mut href = format!("/activity?record_type={}&record_id={id}", kind.as_str());
    if let Some(c) = cursor {
        href.push_str("&cursor=");
        href.push_str(c);
    }
    href
}

/// `?cursor=`: a bad one is a clear 400, not the first page again.
fn cursor_of(input: &FormData) -> Result<Option<FeedCursor>, PageError> {
    match input.raw("cursor") {
        "" => Ok(None),
        raw => parse_cursor(raw).map(Some).ok_or_else(|| {
            PageError::bad_request(
                "This link to older activity is not valid. Open the activity from its page again.",
            )
        }),
    }
}

#[derive(Template)]
#[template(path = "projects/activity.html", whitespace = "minimize")]
struct ProjectActivityPage {
    layout: Layout,
    head: ProjectHeader,
    feed: ActivityPage,
    /// This is a later page (a link back to the newest is shown).
    older: bool,
}

/// A project's Activity tab, newest first, paged with `?cursor=`.
pub async fn project(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let cursor = cursor_of(&FormData::from_query(raw.as_deref()))?;
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let feed = s
        .project_activity(&page.caller, id, cursor, DEFAULT_ACTIVITY_LIMIT)
        .await?;
    let title = format!("{} · Activity", project.code);
    let view = ProjectActivityPage {
        head: ProjectHeader::new(project, access, &page, &state, "activity"),
        layout: page.layout(Section::Projects, title),
        feed,
        older: cursor.is_some(),
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "activity/record.html", whitespace = "minimize")]
struct RecordActivityPage {
    layout: Layout,
    feed: ActivityPage,
    noun: &'static str,
    back: String,
    newest: String,
    older: bool,
    kind: RecordKind,
    id: Uuid,
}

/// The older activity of one record (`?record_type=&record_id=&cursor=`).
pub async fn record(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let input = FormData::from_query(raw.as_deref());
    let (Ok(kind), Ok(id)) = (
        input.raw("record_type").parse::<RecordKind>(),
        input.raw("record_id").parse::<Uuid>(),
    ) else {
        return Err(PageError::bad_request(
            "The link does not say whose activity to show.",
        ));
    };
    let cursor = cursor_of(&input)?;
    let feed = state
        .services
        .record_activity(&page.caller, kind, id, cursor, DEFAULT_ACTIVITY_LIMIT)
        .await?;
    let back = match kind {
        RecordKind::Project => format!("/projects/{id}"),
        RecordKind::Task => format!("/tasks/{id}"),
        RecordKind::ScopeItem => format!("/scope-items/{id}/edit"),
        RecordKind::Drawing | RecordKind::DrawingRevision => format!("/drawings/{id}"),
        RecordKind::Spec => format!("/specs/{id}"),
    };
    let view = RecordActivityPage {
        layout: page.layout(Section::Projects, "Activity"),
        feed,
        noun: kind.noun(),
        back,
        newest: record_page(kind, id, None),
        older: cursor.is_some(),
        kind,
        id,
    };
    render(StatusCode::OK, &view)
}

impl RecordActivityPage {
    fn next_href(&self) -> Option<String> {
        self.feed
            .next_cursor
            .as_ref()
            .map(|c| record_page(self.kind, self.id, Some(c)))
    }
}

/// The "Waiting for me" card (`templates/_waiting.html`).
pub struct WaitingCard {
    pub waiting: Waiting,
    /// Show every item rather than the first [`WAITING_SHOWN`].
    pub all: bool,
}

impl WaitingCard {
    pub async fn load(state: &AppState, page: &Page, all: bool) -> Result<Self, PageError> {
        Ok(WaitingCard {
            waiting: state.services.waiting_for_me(&page.caller).await?,
            all,
        })
    }

    /// The items shown.
    pub fn shown(&self) -> &[formula_domain::waiting::WaitingItem] {
        let items = &self.waiting.items;
        if self.all {
            items
        } else {
            &items[..items.len().min(WAITING_SHOWN)]
        }
    }

    pub fn total(&self) -> usize {
        self.waiting.items.len()
    }
}
