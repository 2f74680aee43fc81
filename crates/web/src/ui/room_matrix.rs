//! The Site tab: the room matrix (rooms by level × the items expected in them, each cell
//! coloured by its state and printing a symbol for it), filters by building, level and room
//! type, a level picker for phones (one level at a time), the legend, and the project's
//! progress weights. Also the "progress by level" and "workshop throughput" cards of the
//! project overview.
//!
//! A 300-room × 30-item matrix is 9,000 cells, so cell markup is kept to a class, a link
//! and a symbol: each cell links to its room's page (`/rooms/{id}`), which repeats along the
//! row and compresses to almost nothing; a snagged cell links to the snags of that item in
//! that room instead.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::repos::MatrixFilter;
use formula_app::room_matrix::{LevelProgress, MatrixCell, RoomMatrix, SiteProgress};
use formula_domain::errors::FieldErrors;
use formula_domain::location::LocationKind;
use formula_domain::room_matrix::{CellState, ProgressWeights};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

const FILTERS: &[&str] = &["building_id", "level_id", "room_type_id"];
const WEIGHT_FIELDS: &[&str] = &[
    "released",
    "production",
    "delivery",
    "installed",
    "signed_off",
];

/// One cell as the page prints it.
pub struct CellView {
    pub class: &'static str,
    pub text: String,
    /// For a snagged cell: the item, so the link opens its snags in this room.
    pub snag_item: Option<Uuid>,
}

pub struct RoomView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub progress: Option<i32>,
    pub signed_off: bool,
    pub cells: Vec<Option<CellView>>,
}

pub struct LevelView {
    pub label: String,
    pub progress: Option<i32>,
    pub signed_off_rooms: usize,
    pub rooms: Vec<RoomView>,
}

/// A run of columns under one heading (a room type, or "Single rooms").
pub struct ColumnGroup {
    pub label: String,
    pub span: usize,
}

pub struct ColumnView {
    pub code: String,
    pub name: String,
    pub unit: String,
}

pub struct LegendEntry {
    pub class: &'static str,
    pub symbol: &'static str,
    pub label: &'static str,
    pub cells: usize,
}

/// A level the picker offers.
pub struct LevelLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "site/matrix.html", whitespace = "minimize")]
struct MatrixPage {
    layout: Layout,
    head: ProjectHeader,
    filters: FormState,
    buildings: Vec<Opt>,
    level_opts: Vec<Opt>,
    room_types: Vec<Opt>,
    /// The picker: every level (of the chosen building and type), "All levels" first.
    picker: Vec<LevelLink>,
    one_level: bool,
    groups: Vec<ColumnGroup>,
    columns: Vec<ColumnView>,
    levels: Vec<LevelView>,
    legend: Vec<LegendEntry>,
    rooms: usize,
    weights: ProgressWeights,
    can_set_weights: bool,
    weights_form: FormState,
}

/// `1`, `1.5`, `0.25`: a quantity in thousandths, as few digits as it needs.
fn qty(milli: i64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        let s = format!("{}.{:03}", milli / 1000, (milli % 1000).abs());
        s.trim_end_matches('0').to_owned()
    }
}

fn cell_view(c: &MatrixCell, item: Uuid) -> CellView {
    let text = match c.state {
        CellState::PartlyInstalled => {
            format!("{}/{}", qty(c.installed_milli), qty(c.quantity_milli))
        }
        s => s.symbol().to_owned(),
    };
    CellView {
        class: c.state.class(),
        text,
        snag_item: (c.state == CellState::Snagged).then_some(item),
    }
}

/// "T1-L03 · Level 3", with the building's code first when the level's does not say it.
fn level_label(code: &str, name: &str, building: Option<&str>) -> String {
    match building {
        Some(b) if !code.starts_with(b) => format!("{b} · {code} · {name}"),
        _ => format!("{code} · {name}"),
    }
}

fn read_filter(q: &FormData) -> MatrixFilter {
    MatrixFilter {
        building_id: q.opt("building_id").and_then(|v| v.parse().ok()),
        level_id: q.opt("level_id").and_then(|v| v.parse().ok()),
        room_type_id: q.opt("room_type_id").and_then(|v| v.parse().ok()),
    }
}

/// `?building_id=…&room_type_id=…&level_id=…` with the given level (none: all levels).
fn picker_href(project: Uuid, f: &MatrixFilter, level: Option<Uuid>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(b) = f.building_id {
        parts.push(format!("building_id={b}"));
    }
    if let Some(t) = f.room_type_id {
        parts.push(format!("room_type_id={t}"));
    }
    if let Some(l) = level {
        parts.push(format!("level_id={l}"));
    }
    if parts.is_empty() {
        format!("/projects/{project}/site")
    } else {
        format!("/projects/{project}/site?{}", parts.join("&"))
    }
}

async fn matrix_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: FormData,
    weights_form: Option<FormState>,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let s = &state.services;
    let filter = read_filter(&query);
    let (m, access) = s.room_matrix(&page.caller, id, filter).await?;
    let (project, _) = s.project_for(&page.caller, id).await?;
    let (locs, _) = s.project_locations(&page.caller, id).await?;
    let code_of: HashMap<Uuid, &str> = locs
        .locations
        .iter()
        .map(|l| (l.id, l.code.as_str()))
        .collect();
    let buildings = locs
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Building)
        .map(|l| Opt::new(l.id.to_string(), format!("{} · {}", l.code, l.name)))
        .collect();
    let level_opts = locs
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Level)
        .filter(|l| filter.building_id.is_none_or(|b| l.building_id == Some(b)))
        .map(|l| {
            let b = l.building_id.and_then(|b| code_of.get(&b).copied());
            Opt::new(l.id.to_string(), level_label(&l.code, &l.name, b))
        })
        .collect();
    let room_types = locs
        .room_types
        .iter()
        .map(|t| Opt::new(t.id.to_string(), format!("{} · {}", t.code, t.name)))
        .collect();
    let mut picker = vec![LevelLink {
        href: picker_href(id, &filter, None),
        label: "All levels".to_owned(),
        current: filter.level_id.is_none(),
    }];
    // The picker lists the levels of the chosen building (with rooms of the chosen type),
    // whatever level is shown, from the locations already read.
    picker.extend(
        locs.locations
            .iter()
            .filter(|l| l.kind == LocationKind::Level)
            .filter(|l| filter.building_id.is_none_or(|b| l.building_id == Some(b)))
            .filter(|l| {
                filter.room_type_id.is_none_or(|t| {
                    locs.locations
                        .iter()
                        .any(|r| r.level_id == Some(l.id) && r.room_type_id == Some(t))
                })
            })
            .map(|l| LevelLink {
                href: picker_href(id, &filter, Some(l.id)),
                label: l.code.clone(),
                current: filter.level_id == Some(l.id),
            }),
    );
    // Item codes start with the project's code ("FPM-26-003-M-001"); the headers leave it out.
    let prefix = format!("{}-", project.code);
    let view = MatrixPage {
        layout: page.layout_with(Section::Projects, format!("Site · {}", project.code), flash),
        head: ProjectHeader::new(project, access, page, state, "site"),
        filters: FormState::submitted(FILTERS, query),
        buildings,
        level_opts,
        room_types,
        picker,
        one_level: filter.level_id.is_some(),
        groups: groups(&m),
        columns: m
            .columns
            .iter()
            .map(|c| ColumnView {
                code: c.code.strip_prefix(&prefix).unwrap_or(&c.code).to_owned(),
                name: c.name.clone(),
                unit: c.unit.clone(),
            })
            .collect(),
        rooms: m.levels.iter().map(|l| l.rooms.len()).sum(),
        legend: m
            .counts
            .iter()
            .map(|c| LegendEntry {
                class: c.state.class(),
                symbol: c.state.symbol(),
                label: c.state.label(),
                cells: c.cells,
            })
            .collect(),
        weights: m.weights,
        can_set_weights: s.may_set_progress_weights(&page.caller, access),
        weights_form: weights_form.unwrap_or_else(|| {
            FormState::new(WEIGHT_FIELDS)
                .prefixed("w-")
                .with("released", m.weights.released.to_string())
                .with("production", m.weights.production.to_string())
                .with("delivery", m.weights.delivery.to_string())
                .with("installed", m.weights.installed.to_string())
                .with("signed_off", m.weights.signed_off.to_string())
        }),
        levels: levels(&m),
    };
    render(status, &view)
}

fn groups(m: &RoomMatrix) -> Vec<ColumnGroup> {
    let mut out: Vec<ColumnGroup> = Vec::new();
    let mut last: Option<Option<Uuid>> = None;
    for c in &m.columns {
        if last == Some(c.room_type_id) {
            if let Some(g) = out.last_mut() {
                g.span += 1;
            }
        } else {
            out.push(ColumnGroup {
                label: c
                    .room_type_code
                    .clone()
                    .unwrap_or_else(|| "Single rooms".to_owned()),
                span: 1,
            });
            last = Some(c.room_type_id);
        }
    }
    out
}

fn levels(m: &RoomMatrix) -> Vec<LevelView> {
    m.levels
        .iter()
        .map(|l| LevelView {
            label: level_label(&l.code, &l.name, l.building_code.as_deref()),
            progress: l.progress,
            signed_off_rooms: l.signed_off_rooms,
            rooms: l
                .rooms
                .iter()
                .map(|r| RoomView {
                    id: r.id,
                    code: r.code.clone(),
                    name: r.name.clone(),
                    progress: r.progress,
                    signed_off: r.signed_off,
                    cells: r
                        .cells
                        .iter()
                        .zip(&m.columns)
                        .map(|(c, col)| c.as_ref().map(|c| cell_view(c, col.id)))
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// The Site tab.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let query = FormData::from_query(raw.as_deref());
    matrix_page(&state, &page, id, query, None, None, StatusCode::OK).await
}

/// Saves the progress weights.
pub async fn set_weights(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let mut read = |name: &str| match input.opt(name).map(|v| v.trim().parse::<i32>()) {
        Some(Ok(v)) => v,
        _ => {
            errors.add(name, "enter a whole percentage from 0 to 100");
            0
        }
    };
    let weights = ProgressWeights {
        released: read("released"),
        production: read("production"),
        delivery: read("delivery"),
        installed: read("installed"),
        signed_off: read("signed_off"),
    };
    let mut form = FormState::submitted(WEIGHT_FIELDS, input.clone()).prefixed("w-");
    if errors.is_empty() {
        match state
            .services
            .set_progress_weights(&page.caller, id, weights)
            .await
        {
            Ok(_) => {
                return Ok(see_other(
                    page.htmx,
                    &format!("/projects/{id}/site?m=saved#weights"),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/site"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    matrix_page(
        &state,
        &page,
        id,
        FormData::from_query(None),
        Some(form),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The overview's "progress by level" card: the levels with their bars, when the project
/// has items placed in rooms and the caller may see site progress.
pub struct LevelBars {
    pub levels: Vec<LevelProgress>,
    pub weights: ProgressWeights,
}

/// Site progress for the overview, or `None` (no placed items, or not allowed).
pub async fn level_bars(
    state: &AppState,
    page: &Page,
    id: Uuid,
) -> Result<Option<LevelBars>, PageError> {
    match state.services.site_progress(&page.caller, id).await {
        Ok(SiteProgress {
            has_locations: true,
            levels,
            weights,
            ..
        }) => Ok(Some(LevelBars { levels, weights })),
        Ok(_) | Err(formula_app::AppError::Forbidden) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// One week of the overview's throughput card.
pub struct WeekBar {
    /// `2026-W49`.
    pub week: String,
    /// Its Monday, `30 Nov`.
    pub starts_on: String,
    pub packed_milli: i64,
    pub packed: String,
    pub items: usize,
    pub rework_moves: usize,
    pub rework: String,
    /// The current, unfinished week.
    pub current: bool,
}

/// The overview's "workshop throughput" card: quantity packed per ISO week as bars (HTML
/// `<progress>`, scaled to the busiest week), items packed and rework.
pub struct ThroughputCard {
    pub weeks: Vec<WeekBar>,
    /// The busiest week's packed quantity (the bars' maximum), at least 1.
    pub max: i64,
    pub packed: String,
    pub rework_moves: usize,
}

/// The throughput card for callers who may see the workshop (staff, never client users),
/// or `None` when they may not or nothing was packed or reworked in the weeks shown.
pub async fn throughput_card(
    state: &AppState,
    page: &Page,
    id: Uuid,
    access: formula_domain::authz::ProjectAccess,
) -> Result<Option<ThroughputCard>, PageError> {
    if !state.services.may_view_workshop(&page.caller, access) {
        return Ok(None);
    }
    let t = state
        .services
        .workshop_throughput(&page.caller, id, None)
        .await?;
    if t.is_empty() {
        return Ok(None);
    }
    let last = t.weeks.len().saturating_sub(1);
    Ok(Some(ThroughputCard {
        max: t.busiest_milli(),
        packed: qty(t.packed_milli),
        rework_moves: t.rework_moves,
        weeks: t
            .weeks
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let month = w.starts_on.month().to_string();
                WeekBar {
                    week: w.week.clone(),
                    starts_on: format!("{} {}", w.starts_on.day(), &month[..3.min(month.len())]),
                    packed_milli: w.packed_milli,
                    packed: qty(w.packed_milli),
                    items: w.packed_items,
                    rework_moves: w.rework_moves,
                    rework: qty(w.rework_milli),
                    current: k == last,
                }
            })
            .collect(),
    }))
}
