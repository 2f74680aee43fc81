//! The Snags tab, phone first: the project's snags as cards with filters (status, level,
//! room, overdue, shared with the client), the exports, and, filtered to one room, the
//! room's sign-off with what blocks it; the raise-a-snag form (room picker by level, item,
//! photo straight from the camera, an idempotency key so a retried form raises one snag);
//! and a snag's page with its moves as big buttons, its details and its photos.

use askama::Template;
use axum::extract::{Multipart, RawQuery, State};
use axum::response::Response;
use formula_app::AppError;
use formula_app::idempotency::{Fingerprint, IdempotencyKey, Once};
use formula_app::repos::SnagFilter;
use formula_app::signoff::{SignOffInput, SignOffState};
use formula_app::snags::{NewSnag, SnagAbilities, SnagMoveInput, SnagPatch};
use formula_domain::attachment::{OwnerKind, Purpose};
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::location::{Location, LocationKind};
use formula_domain::snag::{Snag, SnagCategory, SnagStatus, Transition};
use formula_domain::user::Role;
use uuid::Uuid;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};
use crate::uploads;

/// The Snags tab's routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/projects/{id}/snags", get(list))
        .route(
            "/projects/{id}/snags/new",
            get(new_page)
                .post(create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/projects/{id}/snags.xlsx", get(export_xlsx))
        .route("/projects/{id}/snags.pdf", get(export_pdf))
        .route("/snags/{id}", get(show))
        .route("/snags/{id}/move", post(move_snag))
        .route("/snags/{id}/edit", post(update))
        .route("/rooms/{id}/sign-off", post(sign_off))
        .route("/rooms/{id}/sign-off/withdraw", post(withdraw))
}

const NEW_FIELDS: &[&str] = &[
    "room_id",
    "scope_item_id",
    "title",
    "description",
    "category",
    "responsible_user_id",
    "responsible_trade",
    "due_on",
    "client_visible",
    "file",
];
const EDIT_FIELDS: &[&str] = &[
    "title",
    "description",
    "category",
    "responsible_user_id",
    "responsible_trade",
    "due_on",
    "client_visible",
    "scope_item_id",
];
const MOVE_FIELDS: &[&str] = &["reason"];
const SIGN_FIELDS: &[&str] = &["client_name", "note"];

/// A group of rooms in a picker: a level (or the rooms outside levels).
pub struct RoomGroup {
    pub label: String,
    pub rooms: Vec<Opt>,
}

/// The project's rooms grouped by level, in the tree's order.
fn room_groups(all: &[Location]) -> Vec<RoomGroup> {
    let mut groups: Vec<RoomGroup> = all
        .iter()
        .filter(|l| l.kind == LocationKind::Level)
        .map(|lv| RoomGroup {
            label: format!("{} · {}", lv.code, lv.name),
            rooms: all
                .iter()
                .filter(|r| r.kind == LocationKind::Room && r.level_id == Some(lv.id))
                .map(|r| Opt::new(r.id.to_string(), format!("{} · {}", r.code, r.name)))
                .collect(),
        })
        .filter(|g| !g.rooms.is_empty())
        .collect();
    let loose: Vec<Opt> = all
        .iter()
        .filter(|r| r.kind == LocationKind::Room && r.level_id.is_none())
        .map(|r| Opt::new(r.id.to_string(), format!("{} · {}", r.code, r.name)))
        .collect();
    if !loose.is_empty() {
        groups.push(RoomGroup {
            label: "Other rooms".into(),
            rooms: loose,
        });
    }
    groups
}

fn category_opts() -> Vec<Opt> {
    SnagCategory::ALL
        .iter()
        .map(|c| Opt::new(c.as_str(), c.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "snags/list.html", whitespace = "minimize")]
struct ListPage {
    layout: crate::ui::layout::Layout,
    head: ProjectHeader,
    snags: Vec<Snag>,
    total: i64,
    filters: FormState,
    statuses: Vec<Opt>,
    levels: Vec<Opt>,
    room_groups: Vec<RoomGroup>,
    /// The query string of the filters, for the export links.
    query: String,
    filtered: bool,
    can_raise: bool,
    is_client: bool,
    /// Filtered to one room: its sign-off.
    signoff: Option<SignOffState>,
    sign_form: FormState,
}

const FILTER_FIELDS: &[&str] = &[
    "status",
    "level_id",
    "room_id",
    "overdue",
    "client_visible",
    "q",
];

/// Reads the list's filters from the query string (a value that does not parse is left
/// out, as a filter form cannot send one).
fn filters_of(q: &FormData, today: time::Date) -> SnagFilter {
    let mut ignored = FieldErrors::new();
    SnagFilter {
        status: q.choice("status", &mut ignored),
        room_id: q.uuid("room_id", &mut ignored),
        level_id: q.uuid("level_id", &mut ignored),
        overdue_on: (q.raw("overdue") == "1").then_some(today),
        client_visible: match q.raw("client_visible") {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        q: q.opt("q"),
        ..SnagFilter::default()
    }
}

/// The query string the API's exports read for the same filters.
fn export_query(f: &SnagFilter) -> String {
    let mut parts = Vec::new();
    if let Some(s) = f.status {
        parts.push(format!("status={s}"));
    }
    if let Some(r) = f.room_id {
        parts.push(format!("room_id={r}"));
    }
    if let Some(l) = f.level_id {
        parts.push(format!("level_id={l}"));
    }
    if f.overdue_on.is_some() {
        parts.push("overdue=true".into());
    }
    if let Some(v) = f.client_visible {
        parts.push(format!("client_visible={v}"));
    }
    if let Some(q) = &f.q {
        parts.push(format!(
            "q={}",
            serde_urlencoded::to_string([("", q)])
                .unwrap_or_default()
                .trim_start_matches('=')
        ));
    }
    parts.join("&")
}

async fn list_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: FormData,
    sign_form: FormState,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let filter = filters_of(&query, s.today());
    // A page shows at most this many (the rest through the filters or the exports), so a
    // phone never loads a whole hotel's snags at once.
    let shown = formula_app::query::Paging {
        limit: formula_app::query::MAX_LIMIT,
        offset: 0,
    };
    let (snags, total, _) = s
        .list_snags(&page.caller, id, filter.clone(), Some(shown))
        .await?;
    let (locations, _) = s.project_locations(&page.caller, id).await?;
    let signoff = match filter.room_id {
        Some(room) => Some(s.signoff_state(&page.caller, room).await?),
        None => None,
    };
    let filtered = filter != SnagFilter::default();
    let status = sign_form.status();
    let view = ListPage {
        layout: page.layout(Section::Projects, format!("Snags · {}", project.code)),
        can_raise: s.may_raise_snags(&page.caller, access),
        head: ProjectHeader::new(project, access, page, state, "snags"),
        is_client: page.caller.actor.role == Role::Client,
        total,
        snags,
        filters: FormState::submitted(FILTER_FIELDS, query).prefixed("q-"),
        statuses: SnagStatus::ALL
            .iter()
            .map(|s| Opt::new(s.as_str(), s.label()))
            .collect(),
        levels: locations
            .locations
            .iter()
            .filter(|l| l.kind == LocationKind::Level)
            .map(|l| Opt::new(l.id.to_string(), format!("{} · {}", l.code, l.name)))
            .collect(),
        room_groups: room_groups(&locations.locations),
        query: export_query(&filter),
        filtered,
        signoff,
        sign_form,
    };
    render(status, &view)
}

/// The Snags tab.
pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = FormData::from_query(query.as_deref());
    list_page(
        &state,
        &page,
        id,
        query,
        FormState::new(SIGN_FIELDS).prefixed("s-"),
    )
    .await
}

#[derive(Template)]
#[template(path = "snags/new.html", whitespace = "minimize")]
struct NewPage {
    layout: crate::ui::layout::Layout,
    head: ProjectHeader,
    form: FormState,
    room_groups: Vec<RoomGroup>,
    items: Vec<Opt>,
    people: Vec<Opt>,
    categories: Vec<Opt>,
    is_client: bool,
    form_key: String,
}

async fn new_form(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: FormState,
    form_key: String,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    if !s.may_raise_snags(&page.caller, access) {
        return Err(AppError::Forbidden.into());
    }
    let (locations, _) = s.project_locations(&page.caller, id).await?;
    let is_client = page.caller.actor.role == Role::Client;
    let (items, people) = if is_client {
        (Vec::new(), Vec::new())
    } else {
        let items = if s.may(&page.caller, Action::ViewScope, access) {
            s.scope_overview(&page.caller, id)
                .await?
                .2
                .items
                .into_iter()
                .filter(|i| i.placement.room_id.is_some() || i.placement.room_type_id.is_some())
                .map(|i| {
                    let at = i
                        .placement
                        .room_code
                        .clone()
                        .or(i.placement.room_type_code.clone())
                        .unwrap_or_default();
                    Opt::new(i.id.to_string(), format!("{} · {} ({at})", i.code, i.name))
                })
                .collect()
        } else {
            Vec::new()
        };
        let people = s
            .list_members(&page.caller, id)
            .await?
            .into_iter()
            .filter(|m| m.user_role != Role::Client)
            .map(|m| Opt::new(m.user_id.to_string(), m.name))
            .collect();
        (items, people)
    };
    let status = form.status();
    let view = NewPage {
        layout: page.layout(
            Section::Projects,
            format!("Raise a snag · {}", project.code),
        ),
        head: ProjectHeader::new(project, access, page, state, "snags"),
        form,
        room_groups: room_groups(&locations.locations),
        items,
        people,
        categories: category_opts(),
        is_client,
        form_key,
    };
    render(status, &view)
}

/// The raise-a-snag form (`?room_id=` picks the room).
pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(query.as_deref());
    let form = FormState::new(NEW_FIELDS)
        .with("room_id", q.raw("room_id"))
        .with("category", "other");
    new_form(
        &state,
        &page,
        id,
        form,
        formula_domain::new_id().to_string(),
    )
    .await
}

/// Raises a snag, with its photo (a multipart form, so the CSRF token is checked here). The
/// form's idempotency key makes a form sent twice raise one snag.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let s = &state.services;
    let spooled =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes).await;
    let form = match spooled {
        Ok(f) => f,
        Err(e) => {
            let mut f = FormState::new(NEW_FIELDS);
            f.errors.add("file", e.message());
            return new_form(&state, &page, id, f, formula_domain::new_id().to_string()).await;
        }
    };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let values = FormData(
        NEW_FIELDS
            .iter()
            .filter(|f| **f != "file")
            .map(|f| {
                (
                    (*f).to_owned(),
                    form.field(f).unwrap_or_default().to_owned(),
                )
            })
            .collect(),
    );
    let form_key = form.field("idempotency_key").unwrap_or_default().to_owned();
    let mut f = FormState::submitted(NEW_FIELDS, values.clone());
    let mut errors = FieldErrors::new();
    let room_id = values.required_uuid("room_id", &mut errors);
    let scope_item_id = values.uuid("scope_item_id", &mut errors);
    let responsible_user_id = values.uuid("responsible_user_id", &mut errors);
    let due_on = values.date("due_on", &mut errors);
    let category = values.choice("category", &mut errors);
    if form.files.len() > 1 {
        errors.add(
            "file",
            "add one photo here; more can be added on the snag's page",
        );
    }
    let Some(room_id) = room_id.filter(|_| errors.is_empty()) else {
        f.add_errors(errors, &[]);
        return new_form(&state, &page, id, f, form_key).await;
    };
    let input = NewSnag {
        room_id,
        scope_item_id,
        title: values.text("title"),
        description: values.opt("description"),
        category,
        responsible_user_id,
        responsible_trade: values.opt("responsible_trade"),
        due_on,
        client_visible: Some(values.raw("client_visible") == "1"),
    };
    let file = form.file();
    let key = IdempotencyKey::from_raw(Some(&form_key));
    let request = Fingerprint::new("snag_form")
        .part(id.as_bytes())
        .part(room_id.as_bytes())
        .part(&input.title)
        .opt(input.description.as_deref())
        .opt(file.map(|f| f.0.sha256.as_str()));
    let raised = s
        .once(
            &page.caller,
            key.as_ref(),
            "snag",
            request,
            |(snag, _): &(Snag, Option<String>)| snag.id,
            || async {
                let snag = s.raise_snag(&page.caller, id, input).await?;
                // The snag stands whatever becomes of its photo; a refused photo is said on
                // its page, where another can be added.
                let refused = match file {
                    Some(file) => s
                        .add_snag_photo(&page.caller, snag.id, None, &file.0)
                        .await
                        .err()
                        .map(|e| e.to_string()),
                    None => None,
                };
                Ok((snag, refused))
            },
        )
        .await;
    match raised {
        Ok(Once::New((snag, None))) => {
            Ok(see_other(false, &format!("/snags/{}?m=created", snag.id)))
        }
        Ok(Once::New((snag, Some(_)))) => Ok(see_other(
            false,
            &format!("/snags/{}?m=photo-refused#attachments", snag.id),
        )),
        Ok(Once::Earlier(snag)) => Ok(see_other(false, &format!("/snags/{snag}"))),
        Err(e) => {
            f.absorb(e, &[], &format!("/projects/{id}/snags/new"))?;
            new_form(&state, &page, id, f, form_key).await
        }
    }
}

#[derive(Template)]
#[template(path = "snags/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: crate::ui::layout::Layout,
    snag: Snag,
    project_code: String,
    abilities: SnagAbilities,
    /// The moves shown as buttons (reject has its own form, with its reason).
    buttons: Vec<Transition>,
    can_reject: bool,
    move_form: FormState,
    edit: FormState,
    people: Vec<Opt>,
    /// The items expected in the snag's room, for the team to say which one the snag is on.
    items: Vec<Opt>,
    categories: Vec<Opt>,
    attachments: AttachmentsCard,
    message: Option<&'static str>,
}

fn edit_form(s: &Snag) -> FormState {
    FormState::new(EDIT_FIELDS)
        .prefixed("e-")
        .with("title", &s.title)
        .with("description", s.description.clone().unwrap_or_default())
        .with("category", s.category.as_str())
        .with(
            "responsible_user_id",
            s.responsible_user_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
        )
        .with(
            "responsible_trade",
            s.responsible_trade.clone().unwrap_or_default(),
        )
        .with(
            "due_on",
            s.due_on.map(|d| d.to_string()).unwrap_or_default(),
        )
        .with("client_visible", if s.client_visible { "1" } else { "" })
        .with(
            "scope_item_id",
            s.scope_item_id.map(|i| i.to_string()).unwrap_or_default(),
        )
        .with("version", s.version.to_string())
}

/// The scope items expected in a room (placed in it, or on its room type), as choices.
async fn room_item_opts(
    state: &AppState,
    page: &Page,
    (project_id, access): (Uuid, formula_domain::authz::ProjectAccess),
    room_id: Uuid,
) -> Result<Vec<Opt>, PageError> {
    let s = &state.services;
    if !s.may(&page.caller, Action::ViewScope, access) {
        return Ok(Vec::new());
    }
    let room = s.get_location(&page.caller, room_id).await?;
    Ok(s.scope_overview(&page.caller, project_id)
        .await?
        .2
        .items
        .into_iter()
        .filter(|i| {
            i.placement.room_id == Some(room_id)
                || (room.room_type_id.is_some() && i.placement.room_type_id == room.room_type_id)
        })
        .map(|i| Opt::new(i.id.to_string(), format!("{} · {}", i.code, i.name)))
        .collect())
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    move_form: FormState,
    edit: Option<FormState>,
    message: Option<&'static str>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (snag, abilities, _) = s.snag_page(&page.caller, id).await?;
    let (project, access) = s.project_for(&page.caller, snag.project_id).await?;
    let people = if abilities.edit {
        s.list_members(&page.caller, snag.project_id)
            .await?
            .into_iter()
            .filter(|m| m.user_role != Role::Client)
            .map(|m| Opt::new(m.user_id.to_string(), m.name))
            .collect()
    } else {
        Vec::new()
    };
    let items = if abilities.edit {
        room_item_opts(state, page, (snag.project_id, access), snag.room_id).await?
    } else {
        Vec::new()
    };
    let mut photos = card(state, page, OwnerKind::Snag, id, format!("/snags/{id}")).await?;
    photos.purposes = &[Purpose::Photo];
    let status = move_form
        .status()
        .max(edit.as_ref().map(FormState::status).unwrap_or_default());
    let view = ShowPage {
        layout: page.layout(
            Section::Projects,
            format!("{} · {}", snag.code, project.code),
        ),
        project_code: project.code,
        buttons: abilities
            .transitions
            .iter()
            .copied()
            .filter(|t| *t != Transition::Reject)
            .collect(),
        can_reject: abilities.transitions.contains(&Transition::Reject),
        edit: edit.unwrap_or_else(|| edit_form(&snag)),
        snag,
        abilities,
        move_form,
        people,
        items,
        categories: category_opts(),
        attachments: photos,
        message,
    };
    render(status, &view)
}

/// A snag's page.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(query.as_deref());
    let message = match q.raw("m") {
        "created" => Some("Snag raised."),
        "photo-refused" => Some(
            "Snag raised, but its photo was refused: add it again below (a JPEG or PNG from the camera).",
        ),
        "moved" => Some("Saved."),
        _ => None,
    };
    show_page(
        &state,
        &page,
        id,
        FormState::new(MOVE_FIELDS).prefixed("m-"),
        None,
        message,
    )
    .await
}

/// Moves a snag (the button's `transition`), compare-and-set on the form's version.
pub async fn move_snag(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let transition: Option<Transition> = input.required_choice("transition", &mut errors);
    let version = input.version(&mut errors);
    let mut form = FormState::submitted(MOVE_FIELDS, input.clone()).prefixed("m-");
    if let (Some(t), true) = (transition, errors.is_empty()) {
        let moved = state
            .services
            .move_snag(
                &page.caller,
                id,
                t,
                version,
                SnagMoveInput {
                    version: Some(version),
                    reason: input.opt("reason"),
                },
            )
            .await;
        match moved {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/snags/{id}?m=moved"))),
            Err(e) => form.absorb(e, &[], &format!("/snags/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    show_page(&state, &page, id, form, None, None).await
}

/// Saves a snag's details (and its assignment).
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let responsible = input.uuid("responsible_user_id", &mut errors);
    let item = input.uuid("scope_item_id", &mut errors);
    let due = input.date("due_on", &mut errors);
    let category = input.choice("category", &mut errors);
    let mut form = FormState::submitted(EDIT_FIELDS, input.clone()).prefixed("e-");
    if errors.is_empty() {
        let patch = SnagPatch {
            // The item select sends "" for the room as a whole; without it, no change.
            scope_item_id: input
                .0
                .iter()
                .any(|(k, _)| k == "scope_item_id")
                .then_some(item),
            title: Some(input.text("title")),
            description: Some(input.opt("description")),
            category,
            responsible_user_id: Some(responsible),
            responsible_trade: Some(input.opt("responsible_trade")),
            due_on: Some(due),
            client_visible: Some(input.raw("client_visible") == "1"),
            version: Some(version),
        };
        match state
            .services
            .update_snag(&page.caller, id, version, patch)
            .await
        {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/snags/{id}?m=moved"))),
            Err(e) => form.absorb(e, &[], &format!("/snags/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    show_page(
        &state,
        &page,
        id,
        FormState::new(MOVE_FIELDS).prefixed("m-"),
        Some(form),
        None,
    )
    .await
}

/// Signs a room off from the Snags tab filtered to it.
pub async fn sign_off(
    State(state): State<AppState>,
    page: Page,
    Id(room): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let project = s.get_location(&page.caller, room).await?.project_id;
    let back = format!("/projects/{project}/snags?room_id={room}");
    let signed = s
        .sign_off_room(
            &page.caller,
            room,
            SignOffInput {
                client_name: input.opt("client_name"),
                note: input.opt("note"),
            },
        )
        .await;
    match signed {
        Ok(_) => Ok(see_other(page.htmx, &format!("{back}#signoff"))),
        Err(e) => {
            let mut form = FormState::submitted(SIGN_FIELDS, input).prefixed("s-");
            form.absorb(e, &[], &back)?;
            let query = FormData(vec![("room_id".into(), room.to_string())]);
            list_page(&state, &page, project, query, form).await
        }
    }
}

/// Withdraws a room's sign-off.
pub async fn withdraw(
    State(state): State<AppState>,
    page: Page,
    Id(room): Id,
    CsrfForm(_input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let project = s.get_location(&page.caller, room).await?.project_id;
    s.withdraw_signoff(&page.caller, room).await?;
    Ok(see_other(
        page.htmx,
        &format!("/projects/{project}/snags?room_id={room}#signoff"),
    ))
}

/// The Snags tab's exports (the API's, answered for the signed-in page).
pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let filters = export_filters(query.as_deref())?;
    Ok(crate::snag_exports::xlsx(&state, &page.caller, id, filters).await?)
}

pub async fn export_pdf(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let filters = export_filters(query.as_deref())?;
    Ok(crate::snag_exports::pdf(&state, &page.caller, id, filters).await?)
}

fn export_filters(query: Option<&str>) -> Result<crate::api::snags::Filters, PageError> {
    use crate::api::params::{ListFilter, QueryParams};
    let mut p = QueryParams::parse(query)
        .map_err(|_| PageError::bad_request("The export's filters could not be read."))?;
    let filters = crate::api::snags::SnagParams::read(&mut p);
    p.finish(filters)
        .map_err(|_| PageError::bad_request("The export's filters could not be read."))
}
