//! The dashboard: my next tasks, my projects, projects by status, overdue work.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::query::{Dir, Paging, ProjectQuery, ProjectSort};
use formula_domain::authz::Action;
use formula_domain::project::ProjectStatus;
use formula_domain::task::Task;
use formula_domain::user::Role;
use time::Date;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::activity::WaitingCard;
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectRow;
use crate::ui::render;

/// How many of my open tasks the dashboard lists.
const MY_TASKS: usize = 10;

struct StatusCount {
    status: ProjectStatus,
    count: i64,
    href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html", whitespace = "minimize")]
struct DashboardPage {
    layout: Layout,
    today: Date,
    my_tasks: Vec<Task>,
    my_open: i64,
    my_overdue: i64,
    my_projects: Vec<ProjectRow>,
    by_status: Vec<StatusCount>,
    overdue_total: i64,
    open_total: i64,
    can_create_project: bool,
    can_create_client: bool,
    /// Reviews to decide and mentions to answer, the oldest first.
    waiting: WaitingCard,
}

pub async fn show(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let s = &state.services;
    let caller = &page.caller;
    let today = s.today();
    let work = s.my_work(caller, MY_TASKS as u32).await?;
    let t = work.totals;
    let my_open = t.overdue + t.due_this_week + t.later;
    let my_overdue = t.overdue;
    // my_work lists each group by due date, so overdue → this week → later is date order.
    let my_tasks: Vec<Task> = work
        .overdue
        .into_iter()
        .chain(work.due_this_week)
        .chain(work.later)
        .take(MY_TASKS)
        .collect();

    // Administrators and executives see every project; "mine" are the ones they manage.
    let manager_id =
        matches!(page.user.role, Role::Admin | Role::Executive).then_some(caller.actor.user_id);
    let query = ProjectQuery {
        manager_id,
        sort: Some((ProjectSort::EndDate, Dir::Asc)),
        paging: Paging {
            limit: 10,
            offset: 0,
        },
        ..Default::default()
    };
    let my_projects = s
        .list_projects(caller, &query)
        .await?
        .items
        .into_iter()
        .map(|p| ProjectRow::new(p, today))
        .collect();

    let counts = s.dashboard(caller).await?;
    let by_status = ProjectStatus::ALL
        .iter()
        .map(|st| StatusCount {
            status: *st,
            count: counts
                .projects_by_status
                .iter()
                .find(|(k, _)| k == st)
                .map_or(0, |(_, n)| *n),
            href: format!("/projects?status={}", st.as_str()),
        })
        .collect();

    let waiting = WaitingCard::load(&state, &page, false).await?;
    let view = DashboardPage {
        layout: page.layout(Section::Dashboard, "Dashboard"),
        today,
        my_tasks,
        my_open,
        my_overdue,
        my_projects,
        by_status,
        overdue_total: counts.overdue_tasks,
        open_total: counts.open_tasks,
        can_create_project: page.can(Action::CreateProject),
        can_create_client: page.can(Action::CreateClient),
        waiting,
    };
    render(StatusCode::OK, &view)
}
