//! A project's Scope tab: groups with their items, subtotals and totals, the add-item
//! form, reordering (buttons, and drag and drop where JavaScript runs), group management,
//! and the page that edits one item.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::AppError;
use formula_app::drawings::DrawingQuery;
use formula_app::goods_receipts::{CostControl, ProjectCosts};
use formula_app::scope::{
    MoveTo, NewScopeGroup, NewScopeItem, ScopeGroupPatch, ScopeItemPatch, ScopeOverview,
};
use formula_app::specs::SpecQuery;
use formula_domain::comment::RecordKind;
use formula_domain::errors::FieldErrors;
use formula_domain::money::format_amount;
use formula_domain::scope::{Quantity, ScopeItem, ScopeStatus};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::comments::CommentsCard;
use crate::ui::forms::{FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};
use formula_domain::attachment::OwnerKind;

const NEW_FIELDS: &[&str] = &[
    "group_id",
    "code",
    "name",
    "location",
    "quantity",
    "unit",
    "unit_price",
    "install_on",
];
const GROUP_FIELDS: &[&str] = &["group_name"];
const EDIT_FIELDS: &[&str] = &[
    "code",
    "name",
    "description",
    "location",
    "placement",
    "quantity_per_room",
    "quantity",
    "unit",
    "unit_price",
    "budget_cost",
    "actual_cost",
    "status",
    "progress",
    "drawing_required",
    "spec_required",
    "install_on",
];
/// App field names → form field names.
const ALIASES: &[(&str, &str)] = &[
    ("unit_price_minor", "unit_price"),
    ("budget_cost_minor", "budget_cost"),
    ("actual_cost_minor", "actual_cost"),
    ("name", "name"),
    ("room_id", "placement"),
    ("room_type_id", "placement"),
];
const GROUP_ALIASES: &[(&str, &str)] = &[("name", "group_name"), ("letter", "group_name")];

/// Money of a project's currency, as shown in tables.
pub fn money(minor: Option<i64>, currency: &str) -> String {
    minor.map_or_else(String::new, |m| format_amount(m, currency))
}

/// One item row.
pub struct Row {
    pub i: ScopeItem,
    /// 0-based index within its group, and whether it is last there (for move buttons).
    pub index: usize,
    pub last: bool,
}

impl Row {
    pub fn price(&self) -> String {
        money(self.i.unit_price_minor, &self.i.currency)
    }
    pub fn total(&self) -> String {
        money(self.i.total_minor, &self.i.currency)
    }
    pub fn budget(&self) -> String {
        money(self.i.budget_cost_minor, &self.i.currency)
    }
    pub fn actual(&self) -> String {
        money(self.i.actual_cost_minor, &self.i.currency)
    }
}

/// Beyond this many items the Scope tab lists the items of one group at a time (the others
/// show their subtotals), which keeps the page within its size budget (DESIGN.md §9).
const ALL_ITEMS_UP_TO: i64 = 60;

/// One group section.
pub struct GroupView {
    /// Its items are listed (all are, unless the scope is large).
    pub open: bool,
    pub id: Uuid,
    pub name: String,
    pub letter: String,
    pub version: i64,
    pub index: usize,
    pub last: bool,
    pub rows: Vec<Row>,
    pub total: String,
    pub budget: String,
    pub actual: String,
    pub progress: i32,
}

#[derive(Template)]
#[template(path = "scope/tab.html", whitespace = "minimize")]
struct ScopeTab {
    layout: Layout,
    head: ProjectHeader,
    /// The place filters (building, level, room, room type), their choices, and whether one
    /// is in use (the groups then list only the items placed there).
    filters: FormState,
    place: crate::ui::place_filter::PlaceOptions,
    in_place: bool,
    currency: String,
    groups: Vec<GroupView>,
    /// Too many items to list at once: one group at a time.
    large: bool,
    items: i64,
    /// The sum of the items (the bill of quantities), in the scope's currency.
    total: String,
    /// The project's contract value (an em dash when none is set) and its currency: a
    /// figure of its own, agreed with the client, which the BOQ total may not match.
    contract_value: String,
    contract_currency: String,
    budget: String,
    actual: String,
    progress: i32,
    can_manage: bool,
    /// May print item labels (sees the workshop).
    can_label: bool,
    group_opts: Vec<Opt>,
    units: Vec<Opt>,
    new_form: FormState,
    group_form: FormState,
    code_hint: String,
    /// Committed and received cost per item, group and project, for those who may see
    /// purchase prices (`None` for the others: no column at all).
    costs: Option<ProjectCosts>,
}

impl ScopeTab {
    fn cost_of(&self, map: impl Fn(&ProjectCosts) -> Option<CostControl>) -> CostControl {
        self.costs.as_ref().and_then(map).unwrap_or_default()
    }
    /// An item's (or group's, or with `None` the project's) committed cost.
    pub fn committed(&self, id: Option<&Uuid>) -> String {
        let c = self.cost(id);
        format_amount(c.committed_minor, &self.currency)
    }
    /// What has arrived of it, at the order lines' prices.
    pub fn received(&self, id: Option<&Uuid>) -> String {
        let c = self.cost(id);
        format_amount(c.actual_minor, &self.currency)
    }
    /// Committed against budget, coloured by the scope's thresholds.
    pub fn committed_deviation(
        &self,
        id: Option<&Uuid>,
    ) -> Option<formula_domain::scope::Deviation> {
        self.cost(id).deviation()
    }
    fn cost(&self, id: Option<&Uuid>) -> CostControl {
        match id {
            None => self.cost_of(|c| Some(c.total)),
            Some(id) => self.cost_of(|c| c.items.get(id).or_else(|| c.groups.get(id)).copied()),
        }
    }
}

fn views(o: &ScopeOverview, open: Option<Uuid>) -> Vec<GroupView> {
    let n = o.groups.len();
    let all = o.totals.items <= ALL_ITEMS_UP_TO;
    o.groups
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let items: Vec<&ScopeItem> = o.items_of(g.group.id).collect();
            let count = items.len();
            GroupView {
                open: all || open == Some(g.group.id),
                id: g.group.id,
                name: g.group.name.clone(),
                letter: g.group.letter.clone(),
                version: g.group.version,
                index: gi,
                last: gi + 1 == n,
                rows: items
                    .into_iter()
                    .enumerate()
                    .map(|(index, i)| Row {
                        i: i.clone(),
                        index,
                        last: index + 1 == count,
                    })
                    .collect(),
                total: format_amount(g.totals.total_minor, &o.currency),
                budget: format_amount(g.totals.budget_cost_minor, &o.currency),
                actual: format_amount(g.totals.actual_cost_minor, &o.currency),
                progress: g.totals.progress,
            }
        })
        .collect()
}

async fn scope_tab(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: Option<&str>,
    new_form: FormState,
    group_form: FormState,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access, mut overview) = s.scope_overview(&page.caller, id).await?;
    let data = FormData::from_query(query);
    // `?group=ID` lists that group's items when the scope is large.
    let open: Option<Uuid> = data.opt("group").and_then(|g| g.parse().ok());
    let where_ = crate::ui::place_filter::read(&data);
    let in_place = !where_.is_empty();
    if in_place {
        let placed = s
            .list_scope_items(
                &page.caller,
                id,
                formula_app::query::ScopeQuery {
                    building_id: where_.building_id,
                    level_id: where_.level_id,
                    room_id: where_.room_id,
                    room_type_id: where_.room_type_id,
                    ..formula_app::query::ScopeQuery::all(id)
                },
            )
            .await?;
        let ids: std::collections::HashSet<Uuid> = placed.items.iter().map(|i| i.id).collect();
        overview.items.retain(|i| ids.contains(&i.id));
    }
    let filters = FormState::submitted(crate::ui::place_filter::PLACE_FIELDS, data).prefixed("f-");
    let place = crate::ui::place_filter::options(state, page, id).await?;
    let status = if group_form.failed() {
        group_form.status()
    } else {
        new_form.status()
    };
    let project_code = project.code.clone();
    // Cost control for those who may see purchase prices; a project whose orders mix
    // currencies shows none (the API says why) rather than a wrong sum.
    let costs = match s.project_costs(&page.caller, id).await {
        Ok(c) => c,
        Err(AppError::Conflict { message, .. }) => {
            tracing::warn!(project = %id, %message, "cost control left out");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let (contract_value, contract_currency) = match &project.contract_value {
        Some(m) => (
            format_amount(m.amount_minor, &m.currency),
            m.currency.clone(),
        ),
        None => ("—".to_owned(), overview.currency.clone()),
    };
    let view = ScopeTab {
        filters,
        place,
        in_place,
        layout: page.layout_with(
            Section::Projects,
            format!("Scope · {}", project.code),
            flash,
        ),
        can_manage: s.may_manage_scope(&page.caller, access),
        can_label: s.may(
            &page.caller,
            formula_domain::authz::Action::ViewWorkshop,
            access,
        ),
        head: ProjectHeader::new(project, access, page, state, "scope"),
        currency: overview.currency.clone(),
        groups: views(&overview, open),
        large: overview.totals.items > ALL_ITEMS_UP_TO,
        items: overview.totals.items,
        total: format_amount(overview.totals.total_minor, &overview.currency),
        contract_value,
        contract_currency,
        budget: format_amount(overview.totals.budget_cost_minor, &overview.currency),
        actual: format_amount(overview.totals.actual_cost_minor, &overview.currency),
        progress: overview.totals.progress,
        group_opts: overview
            .groups
            .iter()
            .map(|g| Opt::new(g.group.id.to_string(), g.group.name.clone()))
            .collect(),
        units: overview
            .units
            .iter()
            .map(|u| Opt::new(u.clone(), u.clone()))
            .collect(),
        code_hint: format!(
            "Left empty, the group's next code is used, like {}-M-001.",
            project_code
        ),
        new_form,
        group_form,
        costs,
    };
    render(status, &view)
}

fn new_item_form() -> FormState {
    FormState::new(NEW_FIELDS)
        .with("quantity", "1")
        .with("unit", "pcs")
}

fn group_form() -> FormState {
    FormState::new(GROUP_FIELDS).prefixed("g-")
}

/// The Scope tab; `?group=ID` lists that group's items when the scope is large.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    scope_tab(
        &state,
        &page,
        id,
        query.as_deref(),
        new_item_form(),
        group_form(),
        None,
    )
    .await
}

/// Reads the money and quantity fields of an item form.
struct Numbers {
    quantity: Option<Quantity>,
    unit_price: Option<i64>,
    budget: Option<i64>,
    actual: Option<i64>,
}

fn numbers(input: &FormData, currency: &str, errors: &mut FieldErrors) -> Numbers {
    let quantity = input
        .opt("quantity")
        .and_then(|q| match Quantity::parse(&q) {
            Ok(q) => Some(q),
            Err(e) => {
                errors.add("quantity", e);
                None
            }
        });
    Numbers {
        quantity,
        unit_price: input.amount("unit_price", currency, errors),
        budget: input.amount("budget_cost", currency, errors),
        actual: input.amount("actual_cost", currency, errors),
    }
}

pub async fn create_item(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let (project, _) = state.services.project_for(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let group_id = input.required_uuid("group_id", &mut errors);
    let n = numbers(&input, &project.currency, &mut errors);
    let install_on = input.date("install_on", &mut errors);
    let mut form = FormState::submitted(NEW_FIELDS, input.clone());
    if let (Some(group_id), true) = (group_id, errors.is_empty()) {
        let new = NewScopeItem {
            group_id,
            code: input.opt("code"),
            name: input.text("name"),
            location: input.opt("location"),
            quantity: n.quantity,
            unit: input.opt("unit"),
            unit_price_minor: n.unit_price,
            install_on,
            ..Default::default()
        };
        match state
            .services
            .create_scope_item(&page.caller, id, new)
            .await
        {
            Ok(item) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{id}/scope?m=created#item-{}", item.id),
                ));
            }
            Err(e) => form.absorb(e, ALIASES, &format!("/projects/{id}/scope"))?,
        }
    } else {
        form.add_errors(errors, ALIASES);
    }
    scope_tab(&state, &page, id, None, form, group_form(), None).await
}

pub async fn create_group(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let new = NewScopeGroup {
        name: input.text("group_name"),
        letter: None,
    };
    match state
        .services
        .create_scope_group(&page.caller, id, new)
        .await
    {
        Ok(_) => Ok(see_other(false, &format!("/projects/{id}/scope?m=created"))),
        Err(e) => {
            let mut form = FormState::submitted(GROUP_FIELDS, input).prefixed("g-");
            form.absorb(e, GROUP_ALIASES, &format!("/projects/{id}/scope"))?;
            scope_tab(&state, &page, id, None, new_item_form(), form, None).await
        }
    }
}

/// Adds the default groups to a project that has none (the button of the empty state).
pub async fn add_default_groups(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    match state
        .services
        .add_default_scope_groups(&page.caller, id)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/projects/{id}/scope?m=groups_added"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

/// Re-renders the tab with a message after a row action that could not be done.
async fn refused(
    state: &AppState,
    page: &Page,
    project_id: Uuid,
    e: formula_app::AppError,
) -> Result<Response, PageError> {
    let mut form = FormState::new(&[]);
    form.absorb(e, &[], &format!("/projects/{project_id}/scope"))?;
    let status = if form.errors.is_empty() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let message = match (form.conflict, form.notice) {
        (Some(c), _) => format!(
            "{} changed this first; the page now shows their version.",
            c.who
        ),
        (None, Some(n)) => n,
        (None, None) => "That could not be done.".into(),
    };
    let mut resp = scope_tab(
        state,
        page,
        project_id,
        None,
        new_item_form(),
        group_form(),
        Some(Flash::error(message)),
    )
    .await?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// The ↑ ↓ buttons of the Scope tab: `move=<item id>:up|down`.
pub async fn move_button(
    State(state): State<AppState>,
    page: Page,
    Id(project_id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let (id, dir) = input
        .raw("move")
        .split_once(':')
        .and_then(|(id, dir)| Some((Uuid::parse_str(id).ok()?, dir)))
        .ok_or_else(|| PageError::bad_request("Say which item to move, and up or down."))?;
    let s = &state.services;
    let (item, _) = s.get_scope_item(&page.caller, id).await?;
    if item.project_id != project_id {
        return Err(PageError::bad_request(
            "That item belongs to another project.",
        ));
    }
    let index = match dir {
        "up" => u32::try_from(item.position - 1).unwrap_or(0),
        "down" => u32::try_from(item.position + 1).unwrap_or(u32::MAX),
        _ => return Err(PageError::bad_request("Move an item up or down.")),
    };
    let to = MoveTo {
        group_id: None,
        index,
        version: None,
    };
    // A button moves what is there now, so the current version is the expected one.
    match s.move_scope_item(&page.caller, id, item.version, to).await {
        Ok(_) => Ok(see_other(
            false,
            &format!("/projects/{project_id}/scope#item-{id}"),
        )),
        Err(e) => refused(&state, &page, project_id, e).await,
    }
}

/// Drag and drop: moves an item to `index` in `group_id` (its own group when absent), from
/// the `version` the page showed.
pub async fn move_item(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (item, _) = s.get_scope_item(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let index = input.int::<u32>("index", &mut errors);
    let group_id = input.uuid("group_id", &mut errors);
    let version = input
        .int::<i64>("version", &mut errors)
        .unwrap_or(item.version);
    let Some(index) = index.filter(|_| errors.is_empty()) else {
        return Err(PageError::bad_request(
            "Say where to move the item: index (and group_id).",
        ));
    };
    let to = MoveTo {
        group_id,
        index,
        version: None,
    };
    match s.move_scope_item(&page.caller, id, version, to).await {
        Ok(_) => Ok(see_other(
            page.htmx,
            &format!("/projects/{}/scope#item-{id}", item.project_id),
        )),
        Err(e) => refused(&state, &page, item.project_id, e).await,
    }
}

/// Moves a group one place up or down.
pub async fn move_group(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let index = input.int::<u32>("index", &mut errors);
    let project_id = input.required_uuid("project_id", &mut errors);
    let (Some(index), Some(project_id)) = (index, project_id) else {
        return Err(PageError::bad_request(
            "The form is missing where to move the group.",
        ));
    };
    match state
        .services
        .move_scope_group(&page.caller, id, index)
        .await
    {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{project_id}/scope#group-{id}"),
        )),
        Err(e) => refused(&state, &page, project_id, e).await,
    }
}

/// Renames a group.
pub async fn rename_group(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let project_id = input.required_uuid("project_id", &mut errors);
    let Some(project_id) = project_id else {
        return Err(PageError::bad_request("The form is missing its project."));
    };
    let patch = ScopeGroupPatch {
        name: Some(input.text("group_name")),
        ..Default::default()
    };
    match state
        .services
        .update_scope_group(&page.caller, id, version, patch)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/projects/{project_id}/scope?m=saved"),
        )),
        Err(e) => refused(&state, &page, project_id, e).await,
    }
}

/// Deletes an empty group.
pub async fn delete_group(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let Some(project_id) = input.required_uuid("project_id", &mut errors) else {
        return Err(PageError::bad_request("The form is missing its project."));
    };
    match state
        .services
        .delete_scope_group(&page.caller, id, version)
        .await
    {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{project_id}/scope?m=deleted"),
        )),
        Err(e) => refused(&state, &page, project_id, e).await,
    }
}

// ---- One item ----

#[derive(Template)]
#[template(path = "scope/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    i: ScopeItem,
    /// The item's project, named in the breadcrumbs.
    project_code: String,
    project_name: String,
    /// Drawings and specifications linked to the item, and its readiness.
    drawings: Vec<formula_domain::drawing::Drawing>,
    specs: Vec<formula_domain::spec::Spec>,
    readiness: Option<formula_domain::readiness::ItemReadiness>,
    can_manage: bool,
    /// May print the item's labels (sees the workshop).
    can_label: bool,
    form: FormState,
    units: Vec<Opt>,
    statuses: Vec<Opt>,
    /// Where the item may be placed: its project's room types, then its rooms.
    placements: Vec<Opt>,
    attachments: AttachmentsCard,
    comments: CommentsCard,
    activity: crate::ui::activity::ActivityCard,
    /// The variations that added, changed or omitted the item.
    variations: Vec<formula_app::repos::ItemVariation>,
    /// A released item's workshop: quantities per position, moves and QA checks (staff).
    workshop: Option<formula_app::workshop::ItemWorkshop>,
    /// The item's millwork chain, once it has an installation date (staff).
    chain: Option<formula_app::chains::ItemChain>,
}

/// The placement select's value for an item: `type:<id>`, `room:<id>` or empty.
fn placement_value(i: &ScopeItem) -> String {
    match (i.placement.room_type_id, i.placement.room_id) {
        (Some(t), _) => format!("type:{t}"),
        (None, Some(r)) => format!("room:{r}"),
        (None, None) => String::new(),
    }
}

/// The placement select's choices: room types (with their room counts), then rooms.
async fn placement_options(
    state: &AppState,
    page: &Page,
    project_id: Uuid,
) -> Result<Vec<Opt>, PageError> {
    let (l, _) = state
        .services
        .project_locations(&page.caller, project_id)
        .await?;
    let types = l.room_types.iter().map(|t| {
        Opt::new(
            format!("type:{}", t.id),
            format!("Every {} ({} · {} rooms)", t.name, t.code, t.room_count),
        )
    });
    let rooms = l
        .locations
        .iter()
        .filter(|x| x.kind == formula_domain::location::LocationKind::Room)
        .map(|x| {
            Opt::new(
                format!("room:{}", x.id),
                format!("Room {} · {}", x.code, x.name),
            )
        });
    Ok(types.chain(rooms).collect())
}

/// Reads the placement select into (room, room type); a value naming neither is a field error.
fn read_placement(value: Option<String>, errors: &mut FieldErrors) -> (Option<Uuid>, Option<Uuid>) {
    let Some(v) = value else {
        return (None, None);
    };
    let parsed = |s: &str| s.parse::<Uuid>().ok();
    match v.split_once(':') {
        Some(("room", id)) if parsed(id).is_some() => (parsed(id), None),
        Some(("type", id)) if parsed(id).is_some() => (None, parsed(id)),
        _ => {
            errors.add("placement", "choose a room type or a room from the list");
            (None, None)
        }
    }
}

fn item_form(i: &ScopeItem) -> FormState {
    let amount = |m: Option<i64>| money(m, &i.currency).replace(',', "");
    let mut form = FormState::new(EDIT_FIELDS)
        .with("code", i.code.clone())
        .with("name", i.name.clone())
        .with("description", i.description.clone().unwrap_or_default())
        .with("location", i.location.clone().unwrap_or_default())
        .with("placement", placement_value(i))
        .with(
            "quantity_per_room",
            i.placement
                .quantity_per_room
                .map(|q| q.to_string())
                .unwrap_or_default(),
        )
        .with("quantity", i.quantity.to_string())
        .with("unit", i.unit.clone())
        .with("unit_price", amount(i.unit_price_minor))
        .with("budget_cost", amount(i.budget_cost_minor))
        .with("actual_cost", amount(i.actual_cost_minor))
        .with("status", i.status.as_str())
        .with("progress", i.progress.to_string())
        .with("install_on", crate::ui::format::date_input(&i.install_on))
        .with("version", i.version.to_string());
    if i.drawing_required {
        form = form.with("drawing_required", "1");
    }
    if i.spec_required {
        form = form.with("spec_required", "1");
    }
    form
}

async fn edit_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (item, access) = s.get_scope_item(&page.caller, id).await?;
    let (project, _) = s.project_for(&page.caller, item.project_id).await?;
    let form = form.unwrap_or_else(|| item_form(&item));
    let mut units: Vec<Opt> = s
        .config
        .scope_units
        .iter()
        .map(|u| Opt::new(u.clone(), u.clone()))
        .collect();
    if !units.iter().any(|u| u.value == item.unit) {
        units.push(Opt::new(item.unit.clone(), item.unit.clone()));
    }
    let placements = placement_options(state, page, item.project_id).await?;
    let status = form.status();
    let linked = DrawingQuery {
        scope_item_id: Some(item.id),
        ..DrawingQuery::default()
    };
    let drawings = s
        .list_drawings(&page.caller, item.project_id, &linked)
        .await?;
    let specs = s
        .list_specs(&page.caller, item.project_id, &SpecQuery::default())
        .await?
        .items
        .into_iter()
        .filter(|x| x.scope_item_ids.contains(&item.id))
        .collect();
    let (_, _, r) = s
        .readiness(&page.caller, item.project_id, &Default::default())
        .await?;
    let readiness = r.items.into_iter().find(|x| x.item_id == item.id);
    let attachments = card(
        state,
        page,
        OwnerKind::ScopeItem,
        item.id,
        format!("/scope-items/{}/edit", item.id),
    )
    .await?;
    let comments = crate::ui::comments::card(
        state,
        page,
        RecordKind::ScopeItem,
        item.id,
        format!("/scope-items/{}/edit", item.id),
    )
    .await?;
    let activity = crate::ui::activity::card(state, page, RecordKind::ScopeItem, item.id).await?;
    let variations = crate::ui::variations::item_card(state, page, item.id).await?;
    let workshop = if item.released_at.is_some() {
        match s.item_workshop(&page.caller, item.id).await {
            Ok(w) => Some(w),
            Err(formula_app::AppError::Forbidden | formula_app::AppError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let chain = match s.item_chains(&page.caller, item.project_id).await {
        Ok(chains) => chains
            .into_iter()
            .find(|c| c.scope_item_id == item.id && c.install_on.is_some()),
        Err(formula_app::AppError::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    let view = EditPage {
        chain,
        workshop,
        attachments,
        comments,
        activity,
        variations,
        layout: page.layout(Section::Projects, format!("{} · {}", item.code, item.name)),
        drawings,
        specs,
        readiness,
        can_manage: s.may_manage_scope(&page.caller, access),
        can_label: s.may(
            &page.caller,
            formula_domain::authz::Action::ViewWorkshop,
            access,
        ),
        units,
        statuses: enum_options!(ScopeStatus),
        placements,
        i: item,
        project_code: project.code,
        project_name: project.name,
        form,
    };
    render(status, &view)
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    edit_page(&state, &page, id, None).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (item, _) = s.get_scope_item(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let n = numbers(&input, &item.currency, &mut errors);
    let status: Option<ScopeStatus> = input.required_choice("status", &mut errors);
    let progress = input.int::<i32>("progress", &mut errors);
    let install_on = input.date("install_on", &mut errors);
    let (room_id, room_type_id) = read_placement(input.opt("placement"), &mut errors);
    let quantity_per_room = match input.opt("quantity_per_room") {
        Some(v) => match Quantity::parse(&v) {
            Ok(q) => Some(q),
            Err(m) => {
                errors.add("quantity_per_room", m);
                None
            }
        },
        None => None,
    };
    if input.opt("quantity").is_none() && room_type_id.is_none() {
        errors.add("quantity", "is required");
    }
    let mut form = FormState::submitted(EDIT_FIELDS, input.clone());
    form.values.set("version", version.to_string());
    if errors.is_empty() {
        let patch = ScopeItemPatch {
            code: Some(input.text("code")),
            name: Some(input.text("name")),
            description: Some(input.opt("description")),
            location: Some(input.opt("location")),
            quantity: n.quantity,
            unit: Some(input.text("unit")),
            unit_price_minor: Some(n.unit_price),
            budget_cost_minor: Some(n.budget),
            actual_cost_minor: Some(n.actual),
            status,
            progress: Some(progress.unwrap_or(0)),
            drawing_required: Some(input.opt("drawing_required").is_some()),
            spec_required: Some(input.opt("spec_required").is_some()),
            install_on: Some(install_on),
            room_id: Some(room_id),
            room_type_id: Some(room_type_id),
            quantity_per_room,
            version: None,
        };
        match s.update_scope_item(&page.caller, id, version, patch).await {
            Ok(saved) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{}/scope?m=saved#item-{id}", saved.project_id),
                ));
            }
            Err(e) => form.absorb(e, ALIASES, &format!("/scope-items/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, ALIASES);
    }
    edit_page(&state, &page, id, Some(form)).await
}

pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (item, _) = s.get_scope_item(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match s.delete_scope_item(&page.caller, id, version).await {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{}/scope?m=deleted", item.project_id),
        )),
        Err(e) => {
            let mut form = item_form(&item);
            form.absorb(e, ALIASES, &format!("/scope-items/{id}/edit"))?;
            edit_page(&state, &page, id, Some(form)).await
        }
    }
}
