//! The millwork chain of a project's scope items (docs/schedule.md, "The millwork chain"):
//! the company's workflow template applied to items as linked tasks worked back from their
//! installation dates, what has happened to each item since (drawings, specifications,
//! orders, completed steps), and whether its chain still fits: at risk, with the reasons.
//! The arithmetic is `formula_domain::schedule::chain`; this module gathers its inputs.

use std::collections::{HashMap, HashSet};

use formula_domain::audit::{AuditEntry, FieldChange};
use formula_domain::authz::{Action, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::drawing::Drawing;
use formula_domain::enums::Priority;
use formula_domain::notification::Event;
use formula_domain::planning::{ConstraintKind, Dependency};
use formula_domain::schedule::{
    ChainProgress, ChainStep, LinkKind, WorkCalendar, WorkflowTemplate, forecast, latest_dates,
};
use formula_domain::scope::{ScopeItem, ScopeStatus};
use formula_domain::spec::{Procurement, Spec, SpecStatus};
use formula_domain::task::{Task, TaskStatus};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::location_filter::LocationFilter;
use crate::notifications::Happening;
use crate::notifications::reminders::open;
use crate::query::ScopeQuery;
use crate::repos::{ChainMove, ChainTask, ChainWrite, DateChange, RecordKey, ReviewDates};
use crate::services::{Services, audit, ensure};

/// Most items one application of the template may cover.
pub const CHAIN_ITEMS_MAX: usize = 500;
/// The procurement lead time, in calendar days, of an item no specification gives one for.
pub const ASSUMED_LEAD_DAYS: u32 = 28;

/// One step of an item's chain: its latest dates, the dates it is now forecast on, and
/// whether it is done.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainStepView {
    pub step: ChainStep,
    pub latest_start: Date,
    pub latest_finish: Date,
    pub forecast_start: Date,
    pub forecast_finish: Date,
    pub done: bool,
    /// The step's task, once the template was applied to the item.
    pub task_id: Option<Uuid>,
}

/// A scope item's chain: the latest dates that still meet its installation date, and whether
/// what happened so far still fits.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemChain {
    pub scope_item_id: Uuid,
    pub code: String,
    pub name: String,
    pub group_name: String,
    /// The date everything works back from; without it the item has no chain.
    pub install_on: Option<Date>,
    /// The procurement lead time used (calendar days): the longest of the item's
    /// specifications, or [`ASSUMED_LEAD_DAYS`] when none gives one.
    pub lead_time_days: u32,
    pub lead_time_assumed: bool,
    /// The template was applied: the steps are tasks on the programme.
    pub applied: bool,
    pub steps: Vec<ChainStepView>,
    /// The chain no longer fits before the installation date.
    pub at_risk: bool,
    /// What is late, in words ("drawing SD-104 approved 6 working days late; order-by passed").
    pub reasons: Vec<String>,
    /// The item's version (applying the template sets its installation date).
    pub version: i64,
}

impl ItemChain {
    /// The latest day the step may start, when the item has a chain.
    pub fn latest_start(&self, step: ChainStep) -> Option<Date> {
        self.steps
            .iter()
            .find(|s| s.step == step)
            .map(|s| s.latest_start)
    }
}

/// Apply the workflow template: to the items listed, to every item on a level, or both.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyChain {
    #[serde(default)]
    pub scope_item_ids: Vec<Uuid>,
    /// Every scope item placed on this level (in a room there, or on a room type with rooms
    /// there).
    #[serde(default)]
    pub level_id: Option<Uuid>,
    /// Every scope item placed in this room (itself, or on its room type).
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// The installation date for all of them; without it, each item's own.
    #[serde(default)]
    pub install_on: Option<Date>,
}

/// Where the template may be applied at once: the project's levels and rooms.
#[derive(Debug, Clone, Default)]
pub struct ChainPlaces {
    pub levels: Vec<crate::workshop::BoardLevel>,
    pub rooms: Vec<crate::workshop::BoardLevel>,
}

/// What applying the template did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppliedChain {
    pub items: usize,
    pub tasks_created: usize,
    /// Steps that existed, not yet started, moved to the new latest dates.
    pub tasks_moved: usize,
    pub chains: Vec<ItemChain>,
}

/// A drawing's first submission and first approval.
#[derive(Debug, Clone, Copy, Default)]
struct DrawingDates {
    submitted: Option<Date>,
    approved: Option<Date>,
}

/// The latest of the dates when every one is known: the day all of them were done.
fn all_done<T>(
    records: &[T],
    date: impl Fn(&T) -> Option<Date>,
    name: impl Fn(&T) -> String,
) -> (Option<Date>, Option<String>) {
    let mut latest: Option<(Date, String)> = None;
    for r in records {
        let Some(d) = date(r) else {
            return (None, None);
        };
        if latest.as_ref().is_none_or(|(l, _)| d >= *l) {
            latest = Some((d, name(r)));
        }
    }
    match latest {
        Some((d, n)) => (Some(d), Some(n)),
        None => (None, None),
    }
}

fn day(at: OffsetDateTime) -> Date {
    at.date()
}

/// What has happened to one item, from its drawings, specifications and completed steps.
fn progress_of(
    item: &ScopeItem,
    drawings: &[(&Drawing, DrawingDates)],
    specs: &[(&Spec, Option<Date>)],
    tasks: &[&ChainTask],
) -> ChainProgress {
    let mut p = ChainProgress::default();
    let mine: Vec<&(&Drawing, DrawingDates)> = drawings
        .iter()
        .filter(|(d, _)| d.scope_item_ids.contains(&item.id))
        .collect();
    let (submitted, name) = all_done(&mine, |(_, d)| d.submitted, |(d, _)| d.number.clone());
    p.drawing_submitted_on = submitted;
    let (approved, approved_name) = all_done(&mine, |(_, d)| d.approved, |(d, _)| d.number.clone());
    p.drawing_approved_on = approved;
    p.drawing = approved_name
        .or(name)
        .or_else(|| mine.first().map(|(d, _)| d.number.clone()));

    let specs: Vec<&(&Spec, Option<Date>)> = specs
        .iter()
        .filter(|(s, _)| s.scope_item_ids.contains(&item.id))
        .collect();
    let submitted_on = |(s, approved): &&(&Spec, Option<Date>)| match s.status {
        SpecStatus::Draft => None,
        SpecStatus::Approved => approved.or(Some(day(s.updated_at))),
        _ => Some(day(s.updated_at)),
    };
    let (spec_submitted, spec_name) = all_done(&specs, submitted_on, |(s, _)| s.code.clone());
    p.spec_submitted_on = spec_submitted;
    let (spec_approved, approved_spec) = all_done(
        &specs,
        |(s, approved)| {
            (s.status == SpecStatus::Approved).then(|| approved.unwrap_or(day(s.updated_at)))
        },
        |(s, _)| s.code.clone(),
    );
    p.spec_approved_on = spec_approved;
    p.spec = approved_spec
        .or(spec_name)
        .or_else(|| specs.first().map(|(s, _)| s.code.clone()));
    let ordered = |s: &Spec| {
        matches!(
            s.procurement,
            Some(
                Procurement::Ordered
                    | Procurement::PartiallyDelivered
                    | Procurement::Delivered
                    | Procurement::Installed
            )
        )
    };
    let order_name =
        |(s, _): &&(&Spec, Option<Date>)| s.po_number.clone().unwrap_or_else(|| s.code.clone());
    let (ordered_on, order) = all_done(
        &specs,
        |(s, _)| ordered(s).then(|| s.order_date.unwrap_or(day(s.updated_at))),
        order_name,
    );
    p.ordered_on = ordered_on;
    p.order = order;
    if ordered_on.is_some() {
        p.expected_on = specs.iter().filter_map(|(s, _)| s.expected_delivery).max();
    }
    let (received_on, _) = all_done(
        &specs,
        |(s, _)| {
            matches!(
                s.procurement,
                Some(Procurement::Delivered | Procurement::Installed)
            )
            .then(|| {
                s.expected_delivery
                    .or(s.order_date)
                    .unwrap_or(day(s.updated_at))
            })
        },
        order_name,
    );
    p.received_on = received_on;

    // A completed item is installed, whatever its tasks say.
    if item.status == ScopeStatus::Completed {
        p.installed_on = Some(day(item.updated_at));
    }
    // A step its records do not show done is done when its task was completed.
    for t in tasks {
        let Some(done) = t.completed_at.filter(|_| t.status == TaskStatus::Completed) else {
            continue;
        };
        let on = t.due.unwrap_or(day(done));
        let slot = match t.step {
            ChainStep::SiteMeasure => &mut p.measured_on,
            ChainStep::ShopDrawing => &mut p.drawing_submitted_on,
            ChainStep::ClientApproval => &mut p.drawing_approved_on,
            ChainStep::MaterialSpec => &mut p.spec_submitted_on,
            ChainStep::SpecApproval => &mut p.spec_approved_on,
            ChainStep::Procurement => &mut p.received_on,
            ChainStep::Production => &mut p.produced_on,
            ChainStep::Delivery => &mut p.delivered_on,
            ChainStep::Installation => &mut p.installed_on,
        };
        slot.get_or_insert(on);
    }
    p
}

/// The date the records (not the tasks) say a step was done, for completing its task.
fn recorded(p: &ChainProgress, step: ChainStep) -> Option<Date> {
    match step {
        ChainStep::ShopDrawing => p.drawing_submitted_on,
        ChainStep::ClientApproval => p.drawing_approved_on,
        ChainStep::MaterialSpec => p.spec_submitted_on,
        ChainStep::SpecApproval => p.spec_approved_on,
        ChainStep::Procurement => p.received_on,
        _ => None,
    }
}

/// Everything the chains of one project are computed from.
struct ChainInputs {
    template: WorkflowTemplate,
    calendar: WorkCalendar,
    items: Vec<ScopeItem>,
    drawings: Vec<Drawing>,
    specs: Vec<Spec>,
    review: ReviewDates,
    tasks: Vec<ChainTask>,
}

impl ChainInputs {
    /// Every item's chain (items without an installation date have no steps), with the
    /// progress each was judged on; records alone, without the tasks, when `records_only`.
    fn chains(&self, today: Date, records_only: bool) -> Vec<(ItemChain, ChainProgress)> {
        let mut drawing_dates: HashMap<Uuid, DrawingDates> = HashMap::new();
        for (drawing, submitted, approved) in &self.review.revisions {
            let d = drawing_dates.entry(*drawing).or_default();
            let min = |a: Option<Date>, b: Option<OffsetDateTime>| match (a, b.map(day)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            d.submitted = min(d.submitted, *submitted);
            d.approved = min(d.approved, *approved);
        }
        let drawings: Vec<(&Drawing, DrawingDates)> = self
            .drawings
            .iter()
            .map(|d| (d, drawing_dates.get(&d.id).copied().unwrap_or_default()))
            .collect();
        let mut approvals: HashMap<Uuid, Date> = HashMap::new();
        for (spec, at) in &self.review.spec_approvals {
            let d = approvals.entry(*spec).or_insert(day(*at));
            *d = (*d).min(day(*at));
        }
        let specs: Vec<(&Spec, Option<Date>)> = self
            .specs
            .iter()
            .map(|s| (s, approvals.get(&s.id).copied()))
            .collect();
        let mut tasks_of: HashMap<Uuid, Vec<&ChainTask>> = HashMap::new();
        for t in &self.tasks {
            tasks_of.entry(t.scope_item_id).or_default().push(t);
        }
        self.items
            .iter()
            .map(|item| {
                let tasks = tasks_of.get(&item.id).cloned().unwrap_or_default();
                let used: &[&ChainTask] = if records_only { &[] } else { &tasks };
                let progress = progress_of(item, &drawings, &specs, used);
                let (lead, assumed) = lead_time(item, &self.specs);
                let mut chain = ItemChain {
                    scope_item_id: item.id,
                    code: item.code.clone(),
                    name: item.name.clone(),
                    group_name: item.group_name.clone(),
                    install_on: item.install_on,
                    lead_time_days: lead,
                    lead_time_assumed: assumed,
                    applied: !tasks.is_empty(),
                    steps: Vec::new(),
                    at_risk: false,
                    reasons: Vec::new(),
                    version: item.version,
                };
                let cancelled = item.status == ScopeStatus::Cancelled;
                if let Some(install) = item.install_on.filter(|_| !cancelled) {
                    let template = item_template(&self.template, item, &self.drawings, &self.specs);
                    let latest = latest_dates(&template, install, lead, &self.calendar);
                    let f = forecast(&template, &latest, lead, &progress, today, &self.calendar);
                    chain.steps = f
                        .steps
                        .iter()
                        .map(|s| ChainStepView {
                            step: s.latest.step,
                            latest_start: s.latest.start,
                            latest_finish: s.latest.finish,
                            forecast_start: s.start,
                            forecast_finish: s.finish,
                            done: s.done,
                            task_id: tasks
                                .iter()
                                .find(|t| t.step == s.latest.step)
                                .map(|t| t.task_id),
                        })
                        .collect();
                    chain.at_risk = f.at_risk;
                    chain.reasons = f.reasons;
                }
                (chain, progress)
            })
            .collect()
    }
}

/// The steps that apply to the item: without a drawing required or linked, no shop drawing
/// or approval; without a specification required or linked, no specification or approval.
fn item_template(
    template: &WorkflowTemplate,
    item: &ScopeItem,
    drawings: &[Drawing],
    specs: &[Spec],
) -> WorkflowTemplate {
    let has_drawing =
        item.drawing_required || drawings.iter().any(|d| d.scope_item_ids.contains(&item.id));
    let has_spec = item.spec_required || specs.iter().any(|s| s.scope_item_ids.contains(&item.id));
    let steps = template
        .steps()
        .iter()
        .filter(|s| match s.step {
            ChainStep::ShopDrawing | ChainStep::ClientApproval => has_drawing,
            ChainStep::MaterialSpec | ChainStep::SpecApproval => has_spec,
            _ => true,
        })
        .copied()
        .collect();
    WorkflowTemplate::new(steps).unwrap_or_else(|_| template.clone())
}

/// The item's lead time: the longest its specifications give, or the assumed one.
fn lead_time(item: &ScopeItem, specs: &[Spec]) -> (u32, bool) {
    specs
        .iter()
        .filter(|s| s.scope_item_ids.contains(&item.id))
        .filter_map(|s| s.lead_time_days)
        .filter_map(|d| u32::try_from(d).ok())
        .max()
        .map_or((ASSUMED_LEAD_DAYS, true), |d| (d, false))
}

/// "Shop drawing: WD-01 Wardrobe": the step first, so the Gantt's narrow name column shows it.
fn step_title(item: &ScopeItem, step: ChainStep) -> String {
    let name: String = item.name.chars().take(60).collect();
    format!("{}: {} {}", step.label(), item.code, name)
}

/// The audit entry of a step the records showed done: made by no one (the records did it).
fn step_done_audit(t: &ChainTask, on: Date, at: OffsetDateTime, project_id: Uuid) -> AuditEntry {
    AuditEntry {
        id: formula_domain::new_id(),
        at,
        actor_id: None,
        actor_name: None,
        action: "complete".into(),
        entity_type: "task".into(),
        entity_id: t.task_id,
        entity_label: t.title.clone(),
        changes: vec![FieldChange {
            field: "status".into(),
            old: serde_json::Value::String(t.status.as_str().into()),
            new: serde_json::Value::String(format!(
                "{} ({} done on {on})",
                TaskStatus::Completed.as_str(),
                t.step.label()
            )),
        }],
        request_id: None,
        ip: None,
        user_agent: None,
        project_id: Some(project_id),
    }
}

impl Services {
    async fn chain_inputs(&self, project_id: Uuid) -> AppResult<ChainInputs> {
        Ok(ChainInputs {
            template: self.chain_template().await?,
            calendar: self.work_calendar_of(project_id).await?,
            items: self
                .store
                .list_scope_items(&ScopeQuery::all(project_id))
                .await?
                .items,
            drawings: self.store.list_drawings(project_id).await?,
            specs: self.store.list_specs(project_id).await?,
            review: self.store.review_dates(project_id).await?,
            tasks: self.store.chain_tasks(project_id).await?,
        })
    }

    /// Every scope item's chain, in the scope's order. The chain shows order-by dates and
    /// purchase orders, so it is the contractor's: whoever reads the scope sees it.
    pub async fn item_chains(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<ItemChain>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewScope, &Resource::Project(access))?;
        let inputs = self.chain_inputs(project_id).await?;
        Ok(inputs
            .chains(self.today(), false)
            .into_iter()
            .map(|(c, _)| c)
            .collect())
    }

    /// The project's levels and rooms, to apply the template to all the items on one level
    /// or in one room.
    pub async fn chain_places(&self, caller: &Caller, project_id: Uuid) -> AppResult<ChainPlaces> {
        use formula_domain::location::LocationKind;
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewScope, &Resource::Project(access))?;
        let mut places = ChainPlaces::default();
        for l in self.store.list_locations(project_id).await? {
            let place = crate::workshop::BoardLevel {
                id: l.id,
                code: l.code,
                name: l.name,
            };
            match l.kind {
                LocationKind::Level => places.levels.push(place),
                LocationKind::Room => places.rooms.push(place),
                _ => {}
            }
        }
        Ok(places)
    }

    /// Applies the company's workflow template to items: sets their installation date (when
    /// given), creates each missing step as a task on its latest dates, linked finish to
    /// start, the installation finishing no later than planned, and moves the steps not yet
    /// started to the new latest dates. All or nothing.
    pub async fn apply_chain(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: ApplyChain,
    ) -> AppResult<AppliedChain> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageSchedule, &Resource::Project(access))?;
        let inputs = self.chain_inputs(project_id).await?;
        let mut chosen: HashSet<Uuid> = HashSet::new();
        for id in &input.scope_item_ids {
            if !inputs.items.iter().any(|i| i.id == *id) {
                return Err(AppError::field(
                    "scope_item_ids",
                    format!("{id} is not a scope item of this project"),
                ));
            }
            chosen.insert(*id);
        }
        let places = [
            (
                "level_id",
                LocationFilter {
                    level_id: input.level_id,
                    ..LocationFilter::default()
                },
            ),
            (
                "room_id",
                LocationFilter {
                    room_id: input.room_id,
                    ..LocationFilter::default()
                },
            ),
        ];
        for (field, place) in places {
            if place.is_empty() {
                continue;
            }
            let there = self
                .items_in_place(project_id, &place)
                .await?
                .unwrap_or_default();
            if there.is_empty() {
                return Err(AppError::field(
                    field,
                    "no scope item of this project is placed there",
                ));
            }
            chosen.extend(there);
        }
        if chosen.is_empty() {
            return Err(AppError::field(
                "scope_item_ids",
                "choose the items to plan: some items, a level or a room",
            ));
        }
        if chosen.len() > CHAIN_ITEMS_MAX {
            return Err(AppError::field(
                "scope_item_ids",
                format!(
                    "{} items at once; at most {CHAIN_ITEMS_MAX}: apply it level by level",
                    chosen.len()
                ),
            ));
        }
        let items: Vec<&ScopeItem> = inputs
            .items
            .iter()
            .filter(|i| chosen.contains(&i.id))
            .collect();
        let now = self.now();
        let mut write = ChainWrite::default();
        let mut audits = Vec::new();
        let existing: HashMap<(Uuid, ChainStep), &ChainTask> = inputs
            .tasks
            .iter()
            .map(|t| ((t.scope_item_id, t.step), t))
            .collect();
        for item in &items {
            let Some(install) = input.install_on.or(item.install_on) else {
                return Err(AppError::field(
                    "install_on",
                    format!(
                        "{} {} has no installation date: give one",
                        item.code, item.name
                    ),
                ));
            };
            if item.status == ScopeStatus::Cancelled {
                return Err(AppError::field(
                    "scope_item_ids",
                    format!(
                        "{} {} is cancelled: it needs no chain",
                        item.code, item.name
                    ),
                ));
            }
            if item.install_on != Some(install) {
                write.installs.push((item.id, install, item.version));
            }
            let (lead, _) = lead_time(item, &inputs.specs);
            let template = item_template(&inputs.template, item, &inputs.drawings, &inputs.specs);
            let latest = latest_dates(&template, install, lead, &inputs.calendar);
            let mut previous: Option<(Uuid, String, bool)> = None;
            for (s, l) in template.steps().iter().zip(&latest) {
                let fnlt = (s.step == ChainStep::Installation).then_some(l.finish);
                let (id, title, new) = match existing.get(&(item.id, s.step)) {
                    Some(t) => {
                        if t.status == TaskStatus::Pending
                            && (t.start, t.due) != (Some(l.start), Some(l.finish))
                        {
                            write.moves.push(ChainMove {
                                change: DateChange {
                                    task_id: t.task_id,
                                    title: t.title.clone(),
                                    version: t.version,
                                    start: l.start,
                                    due: l.finish,
                                },
                                finish_no_later_than: fnlt,
                            });
                            audits.push(
                                audit(caller, "reschedule", "task", t.task_id, &t.title, vec![])
                                    .in_project(project_id),
                            );
                        }
                        (t.task_id, t.title.clone(), false)
                    }
                    None => {
                        let task = Task {
                            id: formula_domain::new_id(),
                            project_id,
                            project_code: project.code.clone(),
                            project_name: project.name.clone(),
                            title: step_title(item, s.step),
                            description: None,
                            status: TaskStatus::Pending,
                            priority: Priority::Medium,
                            assignee_id: None,
                            assignee_name: None,
                            start_date: Some(l.start),
                            due_date: Some(l.finish),
                            estimated_hours: None,
                            actual_hours: None,
                            progress: 0,
                            completed_at: None,
                            created_at: now,
                            updated_at: now,
                            updated_by_name: Some(caller.actor.name.clone()),
                            version: 1,
                            is_milestone: s.working_days == 0 && s.step != ChainStep::Procurement,
                            constraint_kind: fnlt.map(|_| ConstraintKind::Fnlt),
                            constraint_on: fnlt,
                            scope_item_id: Some(item.id),
                            parent_id: None,
                            labels: Vec::new(),
                            checklist_done: 0,
                            checklist_total: 0,
                            subtask_count: 0,
                        };
                        audits.push(
                            audit(
                                caller,
                                "create",
                                "task",
                                task.id,
                                &task.title,
                                crate::services::created(&task),
                            )
                            .in_project(project_id),
                        );
                        let key = (task.id, task.title.clone(), true);
                        write.tasks.push((task, s.step));
                        key
                    }
                };
                if let Some((before, before_title, before_new)) = previous.take()
                    && (before_new || new)
                {
                    write.links.push(Dependency {
                        id: formula_domain::new_id(),
                        project_id,
                        predecessor_id: before,
                        predecessor_title: before_title,
                        successor_id: id,
                        successor_title: title.clone(),
                        kind: LinkKind::FinishToStart,
                        lag_days: 0,
                        created_by_name: Some(caller.actor.name.clone()),
                        created_at: now,
                    });
                }
                previous = Some((id, title, new));
            }
            audits.push(
                audit(
                    caller,
                    "apply_workflow",
                    "scope_item",
                    item.id,
                    &item.code,
                    vec![],
                )
                .in_project(project_id),
            );
        }
        self.store
            .write_chain(project_id, &write, caller.actor.user_id, now, &audits)
            .await?;
        self.changed(caller, "schedule.chain", project_id, project_id, None)
            .await;
        let chains = self
            .item_chains(caller, project_id)
            .await?
            .into_iter()
            .filter(|c| chosen.contains(&c.scope_item_id))
            .collect();
        Ok(AppliedChain {
            items: items.len(),
            tasks_created: write.tasks.len(),
            tasks_moved: write.moves.len(),
            chains,
        })
    }

    /// Completes the chain tasks whose step the records show done (a drawing approved, a
    /// specification approved, the material received), on the day it was; returns how many.
    pub async fn sync_chain_steps(&self, project_id: Uuid) -> AppResult<usize> {
        let inputs = self.chain_inputs(project_id).await?;
        self.complete_recorded_steps(project_id, &inputs).await
    }

    /// [`Services::sync_chain_steps`] on inputs already read.
    async fn complete_recorded_steps(
        &self,
        project_id: Uuid,
        inputs: &ChainInputs,
    ) -> AppResult<usize> {
        let mut done = Vec::new();
        let mut audits = Vec::new();
        let now = self.now();
        let chains = inputs.chains(self.today(), true);
        for (chain, progress) in &chains {
            for t in inputs.tasks.iter().filter(|t| {
                t.scope_item_id == chain.scope_item_id
                    && !matches!(t.status, TaskStatus::Completed | TaskStatus::Cancelled)
            }) {
                if let Some(on) = recorded(progress, t.step) {
                    done.push((t.task_id, t.version, on));
                    audits.push(step_done_audit(t, on, now, project_id));
                }
            }
        }
        if done.is_empty() {
            return Ok(0);
        }
        self.store.complete_chain_steps(&done, now, &audits).await
    }

    /// The hourly check of every project with open chains: completes the steps the records
    /// show done, then tells the project's managers (and the item's followers) of each item
    /// at risk, once per set of reasons. Returns how many items were reported.
    pub async fn chain_risk_reminders(&self, today: Date) -> AppResult<usize> {
        let mut reported = 0;
        for project_id in self.store.projects_with_chains().await? {
            let Some(project) = self.store.get_project(project_id).await? else {
                continue;
            };
            if !open(&project) {
                continue;
            }
            // Read once: the steps completed here are those the records show done, which the
            // forecast below reads from the records anyway.
            let inputs = self.chain_inputs(project_id).await?;
            self.complete_recorded_steps(project_id, &inputs).await?;
            for (chain, _) in inputs.chains(today, false) {
                if !chain.applied || !chain.at_risk {
                    continue;
                }
                let record = RecordKey {
                    kind: RecordKind::ScopeItem,
                    id: chain.scope_item_id,
                    project_id,
                };
                let reasons = if chain.reasons.is_empty() {
                    "the remaining steps no longer fit".to_owned()
                } else {
                    chain.reasons.join("; ")
                };
                let mut h = Happening::new(
                    Event::ItemAtRisk,
                    record,
                    project.client_id,
                    format!(
                        "{} {} is at risk for installation on {}: {reasons}",
                        chain.code,
                        chain.name,
                        chain.install_on.map(|d| d.to_string()).unwrap_or_default()
                    ),
                );
                // Order-by dates and purchase orders are the contractor's business.
                h.internal = true;
                h.client_sees = false;
                h.link = format!("/projects/{project_id}/schedule/chain");
                // Told again only when the reasons change.
                h.occurrence = reasons.chars().take(400).collect();
                self.notify(h).await;
                reported += 1;
            }
        }
        Ok(reported)
    }
}
