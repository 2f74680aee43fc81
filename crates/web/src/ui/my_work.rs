//! My work: the signed-in user's tasks across projects, grouped the way people
//! plan a week (overdue, due this week, later, done recently).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::tasks::{MY_WORK_GROUP_LIMIT, MY_WORK_GROUP_MAX};
use formula_domain::task::Task;
use time::Date;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::activity::WaitingCard;
use crate::ui::forms::FormData;
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::render;

struct Group {
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    tasks: Vec<Task>,
    /// Tasks in the group; `tasks` holds the first of them.
    total: i64,
}

#[derive(Template)]
#[template(path = "tasks/my_work.html", whitespace = "minimize")]
struct MyWorkPage {
    layout: Layout,
    groups: Vec<Group>,
    today: Date,
    total: i64,
    /// Listing the most per group (`?all=1`), not the first few.
    all: bool,
    /// Reviews to decide and mentions to answer, all of them.
    waiting: WaitingCard,
}

/// `?all=1` lists up to [`MY_WORK_GROUP_MAX`] tasks per group instead of the first few.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let all = FormData::from_query(raw.as_deref()).raw("all") == "1";
    let per_group = if all {
        MY_WORK_GROUP_MAX
    } else {
        MY_WORK_GROUP_LIMIT
    };
    let work = state.services.my_work(&page.caller, per_group).await?;
    let groups = vec![
        Group {
            id: "overdue",
            title: "Overdue",
            empty: "Nothing overdue. Well done.",
            tasks: work.overdue,
            total: work.totals.overdue,
        },
        Group {
            id: "this-week",
            title: "Due this week",
            empty: "Nothing due in the next seven days.",
            tasks: work.due_this_week,
            total: work.totals.due_this_week,
        },
        Group {
            id: "later",
            title: "Later",
            empty: "Nothing further out, and no undated tasks.",
            tasks: work.later,
            total: work.totals.later,
        },
        Group {
            id: "done",
            title: "Done recently",
            empty: "Nothing completed in the last 14 days.",
            tasks: work.done_recently,
            total: work.totals.done_recently,
        },
    ];
    let total = groups.iter().map(|g| g.total).sum();
    let waiting = WaitingCard::load(&state, &page, true).await?;
    let view = MyWorkPage {
        layout: page.layout(Section::MyWork, "My work"),
        groups,
        today: state.services.today(),
        total,
        all,
        waiting,
    };
    render(StatusCode::OK, &view)
}
