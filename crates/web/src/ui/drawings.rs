//! A project's Drawings tab (the register, with filters and the add-drawing form) and the
//! drawing page: upload a revision, submit it, review it, download any revision, and set
//! the scope items the drawing covers.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use formula_app::AppError;
use formula_app::context::Caller;
use formula_app::drawings::{
    DrawingChange, DrawingDetail, DrawingQuery, DrawingRights, NewDrawing, ReviewInput,
};
use formula_app::query::ScopeQuery;
use formula_domain::comment::RecordKind;
use formula_domain::drawing::{Decision, Drawing, DrawingKind, RevisionScheme, RevisionStatus};
use formula_domain::errors::FieldErrors;
use uuid::Uuid;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::comments::CommentsCard;
use crate::ui::forms::{FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::review::{self, Entry, History, Posted, Ready, Reviewers, Step, StepKind};
use crate::ui::{render, see_other};
use crate::uploads;
use formula_domain::attachment::OwnerKind;

const NEW_FIELDS: &[&str] = &["number", "title", "kind", "area", "scheme"];
const FILTERS: &[&str] = &[
    "status",
    "area",
    "scope_item_id",
    "overdue",
    "q",
    "building_id",
    "level_id",
    "room_id",
    "room_type_id",
];
const UPLOAD_FIELDS: &[&str] = &["file", "notes"];

/// One register row.
pub struct RegisterRow {
    pub d: Drawing,
    pub overdue: bool,
    pub items: String,
}

#[derive(Template)]
#[template(path = "drawings/register.html", whitespace = "minimize")]
struct RegisterPage {
    layout: Layout,
    head: ProjectHeader,
    rows: Vec<RegisterRow>,
    filters: FormState,
    /// The place filters' choices.
    place: crate::ui::place_filter::PlaceOptions,
    filtered: bool,
    statuses: Vec<Opt>,
    items: Vec<Opt>,
    kinds: Vec<Opt>,
    schemes: Vec<Opt>,
    rights: DrawingRights,
    form: FormState,
    /// For project managers: who reviews.
    review: Option<Reviewers>,
}

/// Scope items of a project as options, and their codes by id.
async fn item_options(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
) -> Result<(Vec<Opt>, HashMap<Uuid, String>), PageError> {
    let items = state
        .services
        .list_scope_items(caller, project_id, ScopeQuery::all(project_id))
        .await?
        .items;
    let opts = items
        .iter()
        .map(|i| Opt::new(i.id.to_string(), format!("{} · {}", i.code, i.name)))
        .collect();
    Ok((opts, items.into_iter().map(|i| (i.id, i.code)).collect()))
}

fn read_filters(query: Option<&str>) -> (FormState, DrawingQuery) {
    let data = FormData::from_query(query);
    let mut errors = FieldErrors::new();
    let q = DrawingQuery {
        status: data.choice("status", &mut errors),
        area: data.opt("area"),
        scope_item_id: data.uuid("scope_item_id", &mut errors),
        overdue: data.opt("overdue").is_some(),
        q: data.opt("q"),
        place: crate::ui::place_filter::read(&data),
    };
    let mut form = FormState::submitted(FILTERS, data);
    form.add_errors(errors, &[]);
    (form, q)
}

async fn register(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: Option<String>,
    form: FormState,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let (filters, q) = read_filters(query.as_deref());
    let drawings = s.list_drawings(&page.caller, id, &q).await?;
    let (items, codes) = if s.may(
        &page.caller,
        formula_domain::authz::Action::ViewScope,
        access,
    ) {
        item_options(state, &page.caller, id).await?
    } else {
        (Vec::new(), HashMap::new())
    };
    let now = s.now();
    let rows = drawings
        .into_iter()
        .map(|d| RegisterRow {
            overdue: d.review_overdue(now, s.config.review_overdue_days),
            items: d
                .scope_item_ids
                .iter()
                .filter_map(|i| codes.get(i).cloned())
                .collect::<Vec<_>>()
                .join(", "),
            d,
        })
        .collect();
    let review = if s.may(
        &page.caller,
        formula_domain::authz::Action::ManageTeam,
        access,
    ) {
        Some(review::reviewers(state, &page.caller, id).await?)
    } else {
        None
    };
    let status = form.status();
    let view = RegisterPage {
        review,
        layout: page.layout(Section::Projects, format!("Drawings · {}", project.code)),
        rights: s.drawing_rights(&page.caller, id, access).await?,
        head: ProjectHeader::new(project, access, page, state, "drawings"),
        rows,
        filtered: FILTERS.iter().any(|f| !filters.value(f).is_empty()),
        filters,
        place: crate::ui::place_filter::options(state, page, id).await?,
        statuses: enum_options!(RevisionStatus),
        items,
        kinds: enum_options!(DrawingKind),
        schemes: enum_options!(RevisionScheme),
        form,
    };
    render(status, &view)
}

fn new_form() -> FormState {
    FormState::new(NEW_FIELDS)
        .with("kind", DrawingKind::Detail.as_str())
        .with("scheme", RevisionScheme::Letters.as_str())
        .prefixed("n-")
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    register(&state, &page, id, query, new_form()).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let kind = input.choice("kind", &mut errors);
    let scheme = input.choice("scheme", &mut errors);
    let mut form = FormState::submitted(NEW_FIELDS, input.clone()).prefixed("n-");
    if errors.is_empty() {
        let new = NewDrawing {
            number: input.text("number"),
            title: input.text("title"),
            kind,
            area: input.opt("area"),
            scheme,
            scope_item_ids: Vec::new(),
        };
        match state.services.create_drawing(&page.caller, id, new).await {
            Ok(d) => return Ok(see_other(false, &format!("/drawings/{}?m=created", d.id))),
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/drawings"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    register(&state, &page, id, None, form).await
}

/// The drawing log as `.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let drawings = s
        .list_drawings(&page.caller, id, &DrawingQuery::default())
        .await?;
    let codes = if s.may(
        &page.caller,
        formula_domain::authz::Action::ViewScope,
        access,
    ) {
        item_options(&state, &page.caller, id).await?.1
    } else {
        HashMap::new()
    };
    crate::scope_files::drawing_log(&drawings, &codes, &project.code)
        .map_err(|e| PageError::App(AppError::Internal(e)))
}

// ---- One drawing ----

#[derive(Template)]
#[template(path = "drawings/show.html", whitespace = "minimize")]
struct DrawingPage {
    layout: Layout,
    head: ProjectHeader,
    x: DrawingDetail,
    rights: DrawingRights,
    /// Waiting for review longer than the installation allows.
    overdue: bool,
    upload: FormState,
    /// Submitting or reviewing the current revision, when the caller may.
    step: Option<Step>,
    history: History,
    /// Every scope item of the project, and whether the drawing covers it.
    items: Vec<(Opt, bool)>,
    places: crate::ui::places::PlacesCard,
    attachments: AttachmentsCard,
    comments: CommentsCard,
    activity: crate::ui::activity::ActivityCard,
}

async fn drawing_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    upload: FormState,
    review: FormState,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (x, access) = s.get_drawing(&page.caller, id).await?;
    let (project, _) = s.project_for(&page.caller, x.drawing.project_id).await?;
    let rights = s
        .drawing_rights(&page.caller, x.drawing.project_id, access)
        .await?;
    let items = if rights.manage {
        item_options(state, &page.caller, project.id)
            .await?
            .0
            .into_iter()
            .map(|o| {
                let on = x
                    .drawing
                    .scope_item_ids
                    .iter()
                    .any(|i| i.to_string() == o.value);
                (o, on)
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = if flash.is_some() {
        StatusCode::CONFLICT
    } else if upload.failed() {
        upload.status()
    } else {
        review.status()
    };
    let attachments = card(
        state,
        page,
        OwnerKind::Drawing,
        id,
        format!("/drawings/{id}"),
    )
    .await?;
    let comments = crate::ui::comments::card(
        state,
        page,
        RecordKind::Drawing,
        id,
        format!("/drawings/{id}"),
    )
    .await?;
    let activity = crate::ui::activity::card(state, page, RecordKind::Drawing, id).await?;
    let places = crate::ui::places::PlacesCard {
        action: format!("/drawings/{id}/places"),
        places: s.drawing_places(&page.caller, id).await?,
        can_manage: rights.manage,
    };
    let step = x.revisions.first().and_then(|r| {
        let kind = match review::ready(r, rights.manage, rights.review)? {
            Ready::Submit => StepKind::Submit {
                heading: format!("Revision {} is a draft", r.label),
                button: format!("Submit revision {} for review", r.label),
            },
            Ready::Decide => StepKind::Decide {
                id: "review-h",
                heading: format!("Review revision {}", r.label),
                open: Some((
                    format!("/drawing-revisions/{}/file", r.id),
                    r.file.name.clone(),
                )),
                hint: "Required unless you simply approve: say what has to change.",
                form: Box::new(review),
                decisions: enum_options!(Decision),
            },
        };
        Some(Step {
            base: format!("/drawing-revisions/{}", r.id),
            version: r.version,
            with: Some(("drawing_id", id)),
            kind,
        })
    });
    let history = History {
        heading: "Review decisions",
        entries: x
            .reviews
            .iter()
            .map(|v| Entry {
                decision: v.decision.label(),
                on: x
                    .revisions
                    .iter()
                    .find(|r| r.id == v.revision_id)
                    .map(|r| format!("revision {}", r.label)),
                by: v.reviewer_name.clone(),
                at: v.at,
                comments: v.comments.clone(),
            })
            .collect(),
    };
    let view = DrawingPage {
        attachments,
        comments,
        activity,
        layout: page.layout_with(
            Section::Projects,
            format!("{} · {}", x.drawing.number, x.drawing.title),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "drawings"),
        rights,
        overdue: x
            .drawing
            .review_overdue(s.now(), s.config.review_overdue_days),
        x,
        upload,
        step,
        history,
        items,
        places,
    };
    render(status, &view)
}

fn upload_form() -> FormState {
    FormState::new(UPLOAD_FIELDS).prefixed("u-")
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    drawing_page(&state, &page, id, upload_form(), review::form(), None).await
}

/// Uploads the next revision (a multipart form, so the CSRF token is checked here).
pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let s = &state.services;
    let form =
        match uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes)
            .await
        {
            Ok(f) => f,
            Err(e) => {
                let mut f = upload_form();
                f.errors.add("file", e.message());
                let mut resp = drawing_page(&state, &page, id, f, review::form(), None).await?;
                *resp.status_mut() = e.status();
                return Ok(resp);
            }
        };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let notes = form.field("notes").map(str::to_owned);
    let mut f = FormState::submitted(
        UPLOAD_FIELDS,
        FormData(vec![("notes".into(), notes.clone().unwrap_or_default())]),
    )
    .prefixed("u-");
    let Some(file) = form.file() else {
        f.errors.add("file", "choose the drawing file to upload");
        return drawing_page(&state, &page, id, f, review::form(), None).await;
    };
    match s.add_revision(&page.caller, id, notes, &file.0).await {
        Ok(_) => Ok(see_other(false, &format!("/drawings/{id}?m=uploaded"))),
        Err(e) => {
            f.absorb(e, &[], &format!("/drawings/{id}"))?;
            drawing_page(&state, &page, id, f, review::form(), None).await
        }
    }
}

/// Re-renders the drawing page with a message after an action that could not be done.
async fn refused(
    state: &AppState,
    page: &Page,
    drawing: Uuid,
    e: AppError,
) -> Result<Response, PageError> {
    let flash = review::refusal(
        e,
        &format!("/drawings/{drawing}"),
        "acted on this revision first; the page now shows what they did.",
    )?;
    drawing_page(
        state,
        page,
        drawing,
        upload_form(),
        review::form(),
        Some(flash),
    )
    .await
}

/// The drawing a revision's form comes back to.
fn drawing_of(input: &FormData) -> Result<Uuid, PageError> {
    input
        .required_uuid("drawing_id", &mut FieldErrors::new())
        .ok_or_else(|| PageError::bad_request("The form is missing its drawing."))
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let version = input.version(&mut FieldErrors::new());
    let drawing = drawing_of(&input)?;
    match state
        .services
        .submit_revision(&page.caller, id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/drawings/{drawing}?m=submitted"),
        )),
        Err(e) => refused(&state, &page, drawing, e).await,
    }
}

pub async fn review(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let drawing = drawing_of(&input)?;
    let back = format!("/drawings/{drawing}");
    let posted = review::post(&input, &back, |version, decision, comments| {
        let input = ReviewInput {
            decision,
            comments,
            version: None,
        };
        state
            .services
            .review_revision(&page.caller, id, version, input)
    })
    .await?;
    match posted {
        Posted::Recorded => Ok(see_other(false, &format!("{back}?m=reviewed"))),
        Posted::Invalid(form) => {
            drawing_page(&state, &page, drawing, upload_form(), form, None).await
        }
        Posted::Refused(e) => refused(&state, &page, drawing, e).await,
    }
}

/// Sets the scope items the drawing covers (checkboxes).
pub async fn link(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let ids: Vec<Uuid> = input
        .0
        .iter()
        .filter(|(k, _)| k == "scope_item_id")
        .filter_map(|(_, v)| Uuid::parse_str(v).ok())
        .collect();
    match state
        .services
        .link_drawing_items(&page.caller, id, version, ids)
        .await
    {
        Ok(_) => Ok(see_other(false, &format!("/drawings/{id}?m=saved"))),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

/// Sets the places the drawing refers to, from their codes.
pub async fn places(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (d, _) = s.get_drawing(&page.caller, id).await?;
    let result = match s
        .place_ids_from_codes(&page.caller, d.drawing.project_id, input.raw("places"))
        .await
    {
        Ok(ids) => s
            .set_drawing_places(&page.caller, id, ids)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(
            false,
            &format!("/drawings/{id}?m=saved#places-h"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

/// A revision's file, for the browser.
pub async fn file(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (rev, read) = state
        .services
        .open_revision_file(&page.caller, id, range)
        .await?;
    Ok(uploads::download(&rev.file, read))
}

// ---- Editing a drawing's details ----

const EDIT_FIELDS: &[&str] = &["version", "title", "kind", "area"];

#[derive(Template)]
#[template(path = "drawings/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    head: ProjectHeader,
    d: Drawing,
    kinds: Vec<Opt>,
    form: FormState,
}

async fn edit_form_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (x, access) = s.get_drawing(&page.caller, id).await?;
    let rights = s
        .drawing_rights(&page.caller, x.drawing.project_id, access)
        .await?;
    if !rights.manage {
        return Err(PageError::App(AppError::Forbidden));
    }
    let (project, _) = s.project_for(&page.caller, x.drawing.project_id).await?;
    let d = x.drawing;
    let form = form.unwrap_or_else(|| {
        FormState::new(EDIT_FIELDS)
            .with("version", d.version.to_string())
            .with("title", d.title.clone())
            .with("kind", d.kind.as_str())
            .with("area", d.area.clone().unwrap_or_default())
    });
    let view = EditPage {
        layout: page.layout(
            Section::Projects,
            format!("Edit {} · {}", d.number, d.title),
        ),
        head: ProjectHeader::new(project, access, page, state, "drawings"),
        d,
        kinds: enum_options!(DrawingKind),
        form,
    };
    render(view.form.status(), &view)
}

/// The form for a drawing's title, type and room.
pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    edit_form_page(&state, &page, id, None).await
}

/// Saves a drawing's details, compare-and-set on the version the form showed.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let kind = input.required_choice("kind", &mut errors);
    let mut form = FormState::submitted(EDIT_FIELDS, input.clone());
    form.values.set("version", version.to_string());
    if errors.is_empty() {
        let change = DrawingChange {
            title: Some(input.text("title")),
            kind,
            area: Some(input.opt("area")),
            version: None,
        };
        match state
            .services
            .update_drawing(&page.caller, id, version, change)
            .await
        {
            Ok(d) => return Ok(see_other(false, &format!("/drawings/{}?m=saved", d.id))),
            Err(e) => form.absorb(e, &[], &format!("/drawings/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    edit_form_page(&state, &page, id, Some(form)).await
}
