//! The project's Gantt chart (`/projects/{id}/gantt`): the tasks and milestones as the plan
//! has them now, grouped by scope group, with their dependencies, the critical path and a
//! baseline's ghost bars, zoomed by week, month or quarter. The task names are an HTML list
//! beside the chart, with each task's dates that a phone shows instead of the chart.

mod layout;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use formula_app::schedule::ScheduleRow;
use formula_domain::errors::FieldErrors;
use formula_domain::planning::Baseline;
use time::Date;
use uuid::Uuid;

pub use layout::{Chart, GanttLink, GanttTask, Zoom};

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::render;

/// The heading of tasks that are for no scope item.
const OTHER: &str = "Other tasks";

/// One line of the phone's list.
pub struct ListRow {
    /// Its place among all the rows: the chart's bar of the same place is labelled by it.
    pub n: usize,
    pub id: Uuid,
    pub title: String,
    pub start: Date,
    pub finish: Date,
    pub milestone: bool,
    pub critical: bool,
    pub float: i32,
}

pub struct ListGroup {
    pub label: String,
    pub rows: Vec<ListRow>,
}

#[derive(Template)]
#[template(path = "schedule/gantt.html")]
struct GanttPage {
    layout: Layout,
    head: ProjectHeader,
    chart: Chart,
    zoom: Zoom,
    /// Grouped by scope group (else one list).
    grouped: bool,
    baselines: Vec<Baseline>,
    baseline: Option<Uuid>,
    list: Vec<ListGroup>,
    finish: Date,
    critical: usize,
    header: i64,
    row: i64,
}

impl GanttPage {
    /// The link to this chart with another zoom, keeping the baseline.
    fn zoom_href(&self, z: &Zoom) -> String {
        let mut href = format!("/projects/{}/gantt?zoom={}", self.head.p.id, z.as_str());
        if let Some(b) = self.baseline {
            href.push_str(&format!("&baseline={b}"));
        }
        href
    }

    fn picked(&self, id: &Uuid) -> bool {
        self.baseline == Some(*id)
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let s = &state.services;
    let q = FormData::from_query(raw.as_deref());
    let zoom = Zoom::parse(q.raw("zoom")).unwrap_or_default();
    let (project, access) = s.project_for(&page.caller, id).await?;
    let plan = s.schedule_proposal(&page.caller, id).await?;
    let links = s.list_dependencies(&page.caller, id).await?;
    let baselines = s.list_baselines(&page.caller, id).await?;
    let mut ignored = FieldErrors::new();
    let baseline = q
        .uuid("baseline", &mut ignored)
        .filter(|b| baselines.iter().any(|x| x.id == *b));
    let ghosts: HashMap<Uuid, (Date, Date)> = match baseline {
        Some(b) => s
            .compare_baseline(&page.caller, b)
            .await?
            .rows
            .into_iter()
            .filter_map(|r| Some((r.task_id, (r.baseline_start?, r.baseline_finish?))))
            .collect(),
        None => HashMap::new(),
    };
    let head = ProjectHeader::new(project, access, &page, &state, "tasks");
    // Scope groups, in the scope's order, for those who may see the scope; otherwise one list.
    let (group_of, order): (HashMap<Uuid, String>, Vec<String>) = if head.can_view_scope {
        let (_, _, scope) = s.scope_overview(&page.caller, id).await?;
        (
            scope
                .items
                .iter()
                .map(|i| (i.id, i.group_name.clone()))
                .collect(),
            scope.groups.iter().map(|g| g.group.name.clone()).collect(),
        )
    } else {
        (HashMap::new(), Vec::new())
    };
    let grouped = plan
        .rows
        .iter()
        .any(|r| r.scope_item_id.is_some_and(|i| group_of.contains_key(&i)));
    let group = |r: &ScheduleRow| -> String {
        if !grouped {
            return String::new();
        }
        r.scope_item_id
            .and_then(|i| group_of.get(&i).cloned())
            .unwrap_or_else(|| OTHER.to_owned())
    };
    let rank = |g: &str| order.iter().position(|o| o == g).unwrap_or(order.len());
    let mut rows: Vec<&ScheduleRow> = plan.rows.iter().collect();
    // The plan comes by early start; keep that order within each group.
    rows.sort_by_key(|r| rank(&group(r)));
    let tasks: Vec<GanttTask> = rows
        .iter()
        .map(|r| {
            let (start, finish) = dates_now(r);
            GanttTask {
                id: r.task_id,
                label: r.title.clone(),
                group: group(r),
                start,
                finish,
                milestone: r.is_milestone,
                critical: r.critical,
                done: !r.status.is_open(),
                baseline: ghosts.get(&r.task_id).copied(),
                float: Some(r.total_float),
                version: r.version,
            }
        })
        .collect();
    let mut list: Vec<ListGroup> = Vec::new();
    for (n, t) in tasks.iter().enumerate() {
        if list.last().is_none_or(|g| g.label != t.group) {
            list.push(ListGroup {
                label: t.group.clone(),
                rows: Vec::new(),
            });
        }
        if let Some(g) = list.last_mut() {
            g.rows.push(ListRow {
                n,
                id: t.id,
                title: t.label.clone(),
                start: t.start,
                finish: t.finish,
                milestone: t.milestone,
                critical: t.critical,
                float: t.float.unwrap_or(0),
            });
        }
    }
    let links: Vec<GanttLink> = links
        .iter()
        .map(|d| GanttLink {
            from: d.predecessor_id,
            to: d.successor_id,
            kind: d.kind,
        })
        .collect();
    let chart = layout::layout(&tasks, &links, zoom, s.today());
    let view = GanttPage {
        layout: page.layout(Section::Projects, format!("Gantt · {}", head.p.code)),
        critical: tasks.iter().filter(|t| t.critical).count(),
        head,
        chart,
        zoom,
        grouped,
        baselines,
        baseline,
        list,
        finish: plan.finish,
        header: layout::HEADER,
        row: layout::ROW,
    };
    render(axum::http::StatusCode::OK, &view)
}

/// The dates a task has now; where it has none, where the scheduler would put it.
fn dates_now(r: &ScheduleRow) -> (Date, Date) {
    if r.is_milestone {
        let day = r
            .current_due
            .or(r.current_start)
            .unwrap_or(r.proposed_start);
        return (day, day);
    }
    let start = r
        .current_start
        .or(r.current_due)
        .unwrap_or(r.proposed_start);
    let finish = r.current_due.unwrap_or(r.proposed_due).max(start);
    (start, finish)
}
