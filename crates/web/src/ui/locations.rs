//! The Locations tab: a project's buildings, levels, zones and rooms grouped as a tree
//! (rooms listed compactly), its room types with their room counts, and the forms that add
//! places one by one or from a pattern; and the page that edits or deletes one location.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::locations::{LocationPatch, NewLocation, NewRoomType, PatternPreview};
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::location::{
    DEFAULT_LEVEL_CODE, DEFAULT_LEVEL_NAME, DEFAULT_ROOM_CODE, DEFAULT_ROOM_NAME, Location,
    LocationKind, RoomPattern, RoomType,
};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

const NEW_FIELDS: &[&str] = &["kind", "parent_id", "code", "name", "room_type_id"];
const TYPE_FIELDS: &[&str] = &["code", "name", "description"];
const PATTERN_FIELDS: &[&str] = &[
    "building_id",
    "levels_from",
    "levels_to",
    "rooms_from",
    "rooms_to",
    "level_code",
    "level_name",
    "room_code",
    "room_name",
    "room_type_id",
];
const EDIT_FIELDS: &[&str] = &["code", "name", "position", "room_type_id"];
const MAP_FIELDS: &[&str] = &["location", "placement"];
/// Up to this many rooms every level is shown open.
const OPEN_LEVELS_UP_TO: usize = 60;

/// A room as the tree lists it: its code, with its type's code beside it.
pub struct RoomChip {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub type_code: Option<String>,
}

pub struct ZoneView {
    pub l: Location,
    pub rooms: Vec<RoomChip>,
}

pub struct LevelView {
    pub l: Location,
    /// Rooms straight on the level, then its zones with theirs.
    pub rooms: Vec<RoomChip>,
    pub zones: Vec<ZoneView>,
    pub room_count: usize,
}

pub struct BuildingView {
    pub l: Location,
    pub levels: Vec<LevelView>,
    pub room_count: usize,
}

#[derive(Template)]
#[template(path = "locations/tab.html", whitespace = "minimize")]
struct LocationsTab {
    layout: Layout,
    head: ProjectHeader,
    can_manage: bool,
    /// Rooms open their room page (installation), for those who see installations.
    can_view_rooms: bool,
    buildings: Vec<BuildingView>,
    room_types: Vec<RoomType>,
    rooms: usize,
    /// Levels are listed open while the project is small; past [`OPEN_LEVELS_UP_TO`] rooms
    /// each opens on demand, so a phone scrolls past a 142-key hotel in a few screens.
    open_levels: bool,
    kinds: Vec<Opt>,
    parents: Vec<Opt>,
    building_opts: Vec<Opt>,
    type_opts: Vec<Opt>,
    new_form: FormState,
    type_form: FormState,
    pattern_form: FormState,
    preview: Option<PatternPreview>,
    /// Free-text locations of scope items placed nowhere yet, with counts (for those who see
    /// the scope), and whether the caller may map them.
    unmapped: Vec<(String, i64)>,
    can_map: bool,
    unmapped_opts: Vec<Opt>,
    placements: Vec<Opt>,
    map_form: FormState,
}

/// Groups the flat list (siblings already in order) into buildings → levels → zones → rooms.
fn tree(all: &[Location], types: &[RoomType]) -> Vec<BuildingView> {
    let chip = |r: &Location| RoomChip {
        id: r.id,
        code: r.code.clone(),
        name: r.name.clone(),
        type_code: r
            .room_type_id
            .and_then(|t| types.iter().find(|x| x.id == t))
            .map(|t| t.code.clone()),
    };
    let children = |parent: Uuid, kind: LocationKind| {
        all.iter()
            .filter(move |l| l.parent_id == Some(parent) && l.kind == kind)
    };
    all.iter()
        .filter(|l| l.kind == LocationKind::Building)
        .map(|b| {
            let levels: Vec<LevelView> = children(b.id, LocationKind::Level)
                .map(|level| {
                    let rooms: Vec<RoomChip> =
                        children(level.id, LocationKind::Room).map(chip).collect();
                    let zones: Vec<ZoneView> = children(level.id, LocationKind::Zone)
                        .map(|z| ZoneView {
                            l: z.clone(),
                            rooms: children(z.id, LocationKind::Room).map(chip).collect(),
                        })
                        .collect();
                    let room_count =
                        rooms.len() + zones.iter().map(|z| z.rooms.len()).sum::<usize>();
                    LevelView {
                        l: level.clone(),
                        rooms,
                        zones,
                        room_count,
                    }
                })
                .collect();
            BuildingView {
                l: b.clone(),
                room_count: levels.iter().map(|l| l.room_count).sum(),
                levels,
            }
        })
        .collect()
}

fn map_form() -> FormState {
    FormState::new(MAP_FIELDS).prefixed("m-")
}

/// Maps one free-text location to a room or a room type, for every unplaced item with it.
pub async fn map_free_text(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let text = input.text("location");
    let (room_id, room_type_id) = match input
        .opt("placement")
        .as_deref()
        .and_then(|v| v.split_once(':'))
    {
        Some(("room", v)) => (v.parse().ok(), None),
        Some(("type", v)) => (None, v.parse().ok()),
        _ => {
            errors.add("placement", "choose a room type or a room from the list");
            (None, None)
        }
    };
    let mut form = FormState::submitted(MAP_FIELDS, input.clone()).prefixed("m-");
    if errors.is_empty() {
        match state
            .services
            .map_free_text(&page.caller, id, &text, room_id, room_type_id)
            .await
        {
            Ok(_) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{id}/locations?m=saved#free-text"),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/locations"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    tab(
        &state,
        &page,
        id,
        Forms {
            map: form,
            ..Forms::fresh()
        },
    )
    .await
}

fn new_form() -> FormState {
    FormState::new(NEW_FIELDS)
        .prefixed("n-")
        .with("kind", "room")
}

fn type_form() -> FormState {
    FormState::new(TYPE_FIELDS).prefixed("t-")
}

fn pattern_form() -> FormState {
    FormState::new(PATTERN_FIELDS)
        .prefixed("p-")
        .with("levels_from", "1")
        .with("levels_to", "2")
        .with("rooms_from", "1")
        .with("rooms_to", "10")
        .with("level_code", DEFAULT_LEVEL_CODE)
        .with("level_name", DEFAULT_LEVEL_NAME)
        .with("room_code", DEFAULT_ROOM_CODE)
        .with("room_name", DEFAULT_ROOM_NAME)
}

/// The forms of the tab (each fresh unless being re-shown with what was submitted) and a
/// pattern's preview.
struct Forms {
    new: FormState,
    room_type: FormState,
    pattern: FormState,
    preview: Option<PatternPreview>,
    map: FormState,
}

impl Forms {
    fn fresh() -> Forms {
        Forms {
            new: new_form(),
            room_type: type_form(),
            pattern: pattern_form(),
            preview: None,
            map: map_form(),
        }
    }
}

async fn tab(state: &AppState, page: &Page, id: Uuid, forms: Forms) -> Result<Response, PageError> {
    let Forms {
        new: new_form,
        room_type: type_form,
        pattern: pattern_form,
        preview,
        map: map_form,
    } = forms;
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let (l, _) = s.project_locations(&page.caller, id).await?;
    let unmapped = if s.may(&page.caller, Action::ViewScope, access) {
        s.unmapped_locations(&page.caller, id).await?
    } else {
        Vec::new()
    };
    let placements = l
        .room_types
        .iter()
        .map(|t| {
            Opt::new(
                format!("type:{}", t.id),
                format!("Every {} ({} · {} rooms)", t.name, t.code, t.room_count),
            )
        })
        .chain(
            l.locations
                .iter()
                .filter(|x| x.kind == LocationKind::Room)
                .map(|x| {
                    Opt::new(
                        format!("room:{}", x.id),
                        format!("Room {} · {}", x.code, x.name),
                    )
                }),
        )
        .collect();
    let status = [&new_form, &type_form, &pattern_form, &map_form]
        .iter()
        .map(|f| f.status())
        .max()
        .unwrap_or_default();
    let type_opts: Vec<Opt> = l
        .room_types
        .iter()
        .map(|t| Opt::new(t.id.to_string(), format!("{} · {}", t.code, t.name)))
        .collect();
    let parents = l
        .locations
        .iter()
        .filter(|x| x.kind != LocationKind::Room)
        .map(|x| {
            Opt::new(
                x.id.to_string(),
                format!("{} {} · {}", x.kind.label(), x.code, x.name),
            )
        })
        .collect();
    let building_opts = l
        .locations
        .iter()
        .filter(|x| x.kind == LocationKind::Building)
        .map(|x| Opt::new(x.id.to_string(), format!("{} · {}", x.code, x.name)))
        .collect();
    let rooms = l
        .locations
        .iter()
        .filter(|x| x.kind == LocationKind::Room)
        .count();
    let view = LocationsTab {
        layout: page.layout(Section::Projects, format!("Locations · {}", project.code)),
        can_manage: s.may_manage_locations(&page.caller, access),
        can_view_rooms: s.may(&page.caller, Action::ViewInstallations, access),
        head: ProjectHeader::new(project, access, page, state, "locations"),
        buildings: tree(&l.locations, &l.room_types),
        room_types: l.room_types,
        rooms,
        open_levels: rooms <= OPEN_LEVELS_UP_TO,
        kinds: LocationKind::ALL
            .iter()
            .map(|k| Opt::new(k.as_str(), k.label()))
            .collect(),
        parents,
        building_opts,
        type_opts,
        new_form,
        type_form,
        pattern_form,
        preview,
        can_map: s.may_manage_scope(&page.caller, access),
        unmapped_opts: unmapped
            .iter()
            .map(|(t, n)| Opt::new(t.clone(), format!("{t} ({n})")))
            .collect(),
        unmapped,
        placements,
        map_form,
    };
    render(status, &view)
}

/// The Locations tab.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    tab(&state, &page, id, Forms::fresh()).await
}

/// Reads an optional id field; a value that is not an id is a field error.
fn opt_id(input: &FormData, name: &str, errors: &mut FieldErrors) -> Option<Uuid> {
    input.opt(name).and_then(|v| match v.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(name, "choose one from the list");
            None
        }
    })
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let kind: Option<LocationKind> = input.required_choice("kind", &mut errors);
    let parent_id = opt_id(&input, "parent_id", &mut errors);
    let room_type_id = opt_id(&input, "room_type_id", &mut errors);
    let mut form = FormState::submitted(NEW_FIELDS, input.clone()).prefixed("n-");
    match kind {
        Some(kind) if errors.is_empty() => {
            let new = NewLocation {
                kind,
                parent_id,
                code: input.text("code"),
                name: input.text("name"),
                room_type_id,
            };
            match state.services.create_location(&page.caller, id, new).await {
                Ok(l) => {
                    return Ok(see_other(
                        false,
                        &format!("/projects/{id}/locations?m=created#loc-{}", l.id),
                    ));
                }
                Err(e) => form.absorb(e, &[], &format!("/projects/{id}/locations"))?,
            }
        }
        _ => form.add_errors(errors, &[]),
    }
    tab(
        &state,
        &page,
        id,
        Forms {
            new: form,
            ..Forms::fresh()
        },
    )
    .await
}

pub async fn create_type(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let new = NewRoomType {
        code: input.text("code"),
        name: input.text("name"),
        description: input.opt("description"),
    };
    let mut form = FormState::submitted(TYPE_FIELDS, input.clone()).prefixed("t-");
    match state.services.create_room_type(&page.caller, id, new).await {
        Ok(_) => {
            return Ok(see_other(
                false,
                &format!("/projects/{id}/locations?m=created#room-types"),
            ));
        }
        Err(e) => form.absorb(e, &[], &format!("/projects/{id}/locations"))?,
    }
    tab(
        &state,
        &page,
        id,
        Forms {
            room_type: form,
            ..Forms::fresh()
        },
    )
    .await
}

/// The pattern form: `action=preview` shows what it would create, `action=create` creates it.
pub async fn pattern(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let building_id = input.required_uuid("building_id", &mut errors);
    let mut number = |name: &str| input.int::<u32>(name, &mut errors);
    let (lf, lt, rf, rt) = (
        number("levels_from"),
        number("levels_to"),
        number("rooms_from"),
        number("rooms_to"),
    );
    let room_type_id = opt_id(&input, "room_type_id", &mut errors);
    let mut form = FormState::submitted(PATTERN_FIELDS, input.clone()).prefixed("p-");
    let mut preview = None;
    if let (true, Some(b), Some(lf), Some(lt), Some(rf), Some(rt)) =
        (errors.is_empty(), building_id, lf, lt, rf, rt)
    {
        let p = RoomPattern {
            building_id: b,
            levels_from: lf,
            levels_to: lt,
            rooms_from: rf,
            rooms_to: rt,
            level_code: input.opt("level_code"),
            level_name: input.opt("level_name"),
            room_code: input.opt("room_code"),
            room_name: input.opt("room_name"),
            room_type_id,
        };
        let s = &state.services;
        let reload = format!("/projects/{id}/locations");
        if input.opt("action").as_deref() == Some("create") {
            match s.create_from_pattern(&page.caller, id, &p).await {
                Ok(_) => {
                    return Ok(see_other(
                        false,
                        &format!("/projects/{id}/locations?m=created"),
                    ));
                }
                Err(e) => form.absorb(e, &[], &reload)?,
            }
        } else {
            match s.preview_room_pattern(&page.caller, id, &p).await {
                Ok(v) => preview = Some(v),
                Err(e) => form.absorb(e, &[], &reload)?,
            }
        }
    } else {
        for field in ["levels_from", "levels_to", "rooms_from", "rooms_to"] {
            if input.opt(field).is_none() {
                errors.add(field, "is required");
            }
        }
        form.add_errors(errors, &[]);
    }
    tab(
        &state,
        &page,
        id,
        Forms {
            pattern: form,
            preview,
            ..Forms::fresh()
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "locations/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    l: Location,
    project_code: String,
    project_name: String,
    can_manage: bool,
    type_opts: Vec<Opt>,
    form: FormState,
}

fn edit_form(l: &Location) -> FormState {
    FormState::new(EDIT_FIELDS)
        .with("code", l.code.clone())
        .with("name", l.name.clone())
        .with("position", l.position.to_string())
        .with(
            "room_type_id",
            l.room_type_id.map(|t| t.to_string()).unwrap_or_default(),
        )
        .with("version", l.version.to_string())
}

async fn edit_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let l = s.get_location(&page.caller, id).await?;
    let (project, access) = s.project_for(&page.caller, l.project_id).await?;
    let (all, _) = s.project_locations(&page.caller, l.project_id).await?;
    let form = form.unwrap_or_else(|| edit_form(&l));
    let view = EditPage {
        layout: page.layout(Section::Projects, format!("{} · {}", l.code, l.name)),
        can_manage: s.may_manage_locations(&page.caller, access),
        type_opts: all
            .room_types
            .iter()
            .map(|t| Opt::new(t.id.to_string(), format!("{} · {}", t.code, t.name)))
            .collect(),
        project_code: project.code,
        project_name: project.name,
        l,
        form,
    };
    render(view.form.status(), &view)
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
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let position = input.int::<i64>("position", &mut errors);
    let room_type_id = opt_id(&input, "room_type_id", &mut errors);
    let l = state.services.get_location(&page.caller, id).await?;
    let mut form = FormState::submitted(EDIT_FIELDS, input.clone());
    form.values.set("version", version.to_string());
    if errors.is_empty() {
        let patch = LocationPatch {
            code: Some(input.text("code")),
            name: Some(input.text("name")),
            position,
            // Only a room has a type; other kinds' forms do not show the field.
            room_type_id: (l.kind == LocationKind::Room).then_some(room_type_id),
            version: None,
        };
        match state
            .services
            .update_location(&page.caller, id, version, patch)
            .await
        {
            Ok(saved) => {
                return Ok(see_other(
                    false,
                    &format!("/projects/{}/locations?m=saved#loc-{id}", saved.project_id),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/locations/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    edit_page(&state, &page, id, Some(form)).await
}

pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let l = state.services.get_location(&page.caller, id).await?;
    match state
        .services
        .delete_location(&page.caller, id, version)
        .await
    {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{}/locations?m=deleted", l.project_id),
        )),
        Err(e) => {
            let mut form = edit_form(&l);
            form.absorb(e, &[], &format!("/locations/{id}/edit"))?;
            edit_page(&state, &page, id, Some(form)).await
        }
    }
}

/// Deletes a room type from the tab; a type in use is refused with what uses it.
pub async fn delete_type(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let t = state.services.get_room_type(&page.caller, id).await?;
    match state
        .services
        .delete_room_type(&page.caller, id, version)
        .await
    {
        Ok(()) => Ok(see_other(
            false,
            &format!("/projects/{}/locations?m=deleted#room-types", t.project_id),
        )),
        Err(e) => {
            let mut form = type_form();
            form.absorb(e, &[], &format!("/projects/{}/locations", t.project_id))?;
            tab(
                &state,
                &page,
                t.project_id,
                Forms {
                    room_type: form,
                    ..Forms::fresh()
                },
            )
            .await
        }
    }
}
