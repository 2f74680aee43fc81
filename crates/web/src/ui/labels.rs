//! The Labels page of a project: choose items (by group, place and release, then one by
//! one), the stock (A4 sheet or thermal) and one label per item or per unit, and download
//! the PDF. Reached from the Scope tab and from an item's page (`?item=<id>`: that item).
//!
//! Both forms are GET: choosing changes nothing, and the PDF is a link like any download.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::labels::{LabelQuery, MAX_ITEMS, MAX_LABELS};
use formula_domain::scope::ScopeItem;
use uuid::Uuid;

use crate::error::PageError;
use crate::labels::LabelStock;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::place_filter::{self, PLACE_FIELDS};
use crate::ui::projects::ProjectHeader;
use crate::ui::render;

const FIELDS: &[&str] = &[
    "group_id",
    "building_id",
    "level_id",
    "room_id",
    "room_type_id",
    "released",
    "layout",
    "per_unit",
    "items",
];

/// Beyond this many matching items the page lists none (it would outgrow its size budget):
/// it asks for a narrower filter, or prints them all.
const LIST_UP_TO: usize = 200;

pub struct ItemRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub place: String,
    pub quantity: String,
    pub released: bool,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "labels/page.html", whitespace = "minimize")]
struct LabelsPage {
    layout: Layout,
    head: ProjectHeader,
    filters: FormState,
    groups: Vec<Opt>,
    place: place_filter::PlaceOptions,
    /// The filters as hidden fields of the download form.
    hidden: Vec<(String, String)>,
    rows: Vec<ItemRow>,
    /// How many items match (all of them are listed when `listed`).
    matching: usize,
    listed: bool,
    /// Opened from one item's page: just that item.
    single: Option<String>,
    units: i64,
    max_labels: usize,
}

/// The query's filters (the page's and the download's are the same names as the API's).
fn read(data: &FormData) -> LabelQuery {
    let items = data
        .0
        .iter()
        .filter(|(k, _)| k == "item")
        .filter_map(|(_, v)| v.trim().parse::<Uuid>().ok())
        .take(MAX_ITEMS + 1)
        .collect();
    LabelQuery {
        items,
        group_id: data.opt("group_id").and_then(|v| v.parse().ok()),
        place: place_filter::read(data),
        released_only: data.opt("released").is_some(),
        per_unit: data.opt("per_unit").is_some(),
    }
}

fn row(i: &ScopeItem, checked: bool) -> ItemRow {
    let p = &i.placement;
    let place = match (&p.room_code, &p.room_type_code) {
        (Some(room), _) => room.clone(),
        (None, Some(t)) => format!(
            "{t} {} (× {} rooms)",
            p.room_type_name.clone().unwrap_or_default(),
            p.room_count.unwrap_or(0)
        ),
        (None, None) => i.location.clone().unwrap_or_default(),
    };
    ItemRow {
        id: i.id,
        code: i.code.clone(),
        name: i.name.clone(),
        place,
        quantity: format!("{} {}", i.quantity, i.unit),
        released: i.released_at.is_some(),
        checked,
    }
}

async fn page_view(
    state: &AppState,
    page: &Page,
    id: Uuid,
    data: FormData,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let mut query = read(&data);
    // From an item's page: that item alone, and the list shows it ticked.
    let single = data.opt("item").filter(|_| query.items.len() == 1);
    let ticked = query.items.clone();
    if single.is_none() {
        query.items.clear();
    }
    let choices = s.label_choices(&page.caller, id, &query).await?;
    let matching = choices.items.len();
    let listed = matching <= LIST_UP_TO;
    let rows: Vec<ItemRow> = if listed {
        choices
            .items
            .iter()
            .map(|i| row(i, ticked.is_empty() || ticked.contains(&i.id)))
            .collect()
    } else {
        Vec::new()
    };
    let units = choices
        .items
        .iter()
        .map(|i| {
            if i.quantity.0 >= 1000 && i.quantity.0 % 1000 == 0 {
                i.quantity.0 / 1000
            } else {
                1
            }
        })
        .sum();
    let mut hidden = Vec::new();
    for name in ["group_id"].iter().chain(PLACE_FIELDS) {
        if let Some(v) = data.opt(name) {
            hidden.push(((*name).to_owned(), v));
        }
    }
    if query.released_only {
        hidden.push(("released".into(), "1".into()));
    }
    let mut filters = FormState::submitted(FIELDS, data);
    if filters.value("layout").is_empty() {
        filters = filters.with("layout", LabelStock::A4.as_str());
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    filters.notice = error;
    let place = place_filter::options(state, page, id).await?;
    let groups = choices
        .groups
        .iter()
        .map(|g| Opt::new(g.id.to_string(), format!("{} ({})", g.name, g.letter)))
        .collect();
    let view = LabelsPage {
        layout: page.layout(
            Section::Projects,
            format!("Labels · {}", choices.project.code),
        ),
        head: ProjectHeader::new(choices.project, choices.access, page, state, "scope"),
        filters,
        groups,
        place,
        hidden,
        rows,
        matching,
        listed,
        single: single.and(choices.items.first().map(|i| i.code.clone())),
        units,
        max_labels: MAX_LABELS,
    };
    render(status, &view)
}

/// The Labels page.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    page_view(
        &state,
        &page,
        id,
        FormData::from_query(query.as_deref()),
        None,
    )
    .await
}

/// The PDF of the labels chosen on the page; a choice that makes none, or too many, shows
/// the page again with the reason.
pub async fn pdf(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let data = FormData::from_query(query.as_deref());
    let stock = data
        .opt("layout")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let query = read(&data);
    // The page always sends its list; ticking nothing is not "everything".
    let picked = data.opt("pick").is_some();
    let error = if picked && query.items.is_empty() {
        Some("Tick at least one item to print its labels.".to_owned())
    } else {
        match crate::labels::pdf(&state, &page.caller, id, &query, stock).await {
            Ok(resp) => return Ok(resp),
            Err(AppError::Validation(e)) => Some(
                e.0.iter()
                    .map(|f| format!("Items {}.", f.message))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Err(e) => return Err(e.into()),
        }
    };
    page_view(&state, &page, id, data, error).await
}
