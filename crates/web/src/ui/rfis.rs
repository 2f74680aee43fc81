//! The RFIs section of the Commercial tab: the register (number, subject, to, required by
//! with overdue in red, ball in court, status) with its filters and the xlsx export; the
//! raise-an-RFI form (to a user or an outside address, with its links); and an RFI's page
//! with its question, links, files, the answer form (with the cost and time impact), close,
//! reopen, the PDF, "send again" for an outside addressee, and "Start a variation" when the
//! answer has an impact.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use formula_app::AppError;
use formula_app::repos::RfiFilter;
use formula_app::rfis::{NewRfi, RfiAbilities, RfiAnswerInput, RfiLinksInput, RfiPatch};
use formula_domain::attachment::OwnerKind;
use formula_domain::authz::Action;
use formula_domain::errors::FieldErrors;
use formula_domain::location::LocationKind;
use formula_domain::rfi::{Rfi, RfiLinks, RfiMove, RfiStatus};
use formula_domain::user::Role;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::rfi_documents::render_rfi;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

/// The RFI pages' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/projects/{id}/rfis", get(list))
        .route("/projects/{id}/rfis/new", get(new_page).post(create))
        .route("/projects/{id}/rfis.xlsx", get(export_xlsx))
        .route("/rfis/{id}", get(show))
        .route("/rfis/{id}/answer", post(answer))
        .route("/rfis/{id}/move", post(move_rfi))
        .route("/rfis/{id}/send", post(send))
        .route("/rfis/{id}/edit", post(edit))
        .route("/rfis/{id}/links", post(relink))
        .route("/rfis/{id}/pdf", get(pdf))
}

const NEW_FIELDS: &[&str] = &[
    "subject",
    "question",
    "addressed_to_user_id",
    "addressed_to_email",
    "addressed_to_name",
    "required_by",
    "client_visible",
    "drawing_ids",
    "scope_item_ids",
    "room_ids",
];
const ANSWER_FIELDS: &[&str] = &["answer", "cost_impact", "time_impact"];
const EDIT_FIELDS: &[&str] = &[
    "subject",
    "question",
    "addressed_to_user_id",
    "addressed_to_email",
    "addressed_to_name",
    "required_by",
    "client_visible",
];
const LINK_FIELDS: &[&str] = &["drawing_ids", "scope_item_ids", "room_ids"];
const FILTER_FIELDS: &[&str] = &["status", "overdue", "mine", "q"];

/// A choice of a multiple select, and whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "rfis/list.html", whitespace = "minimize")]
struct ListPage {
    layout: crate::ui::layout::Layout,
    head: ProjectHeader,
    section: &'static str,
    rfis: Vec<Rfi>,
    total: i64,
    filters: FormState,
    statuses: Vec<Opt>,
    query: String,
    filtered: bool,
    can_raise: bool,
}

/// Reads the register's filters from the query string (a value that does not parse is
/// left out, as a filter form cannot send one).
fn filters_of(q: &FormData, today: time::Date, me: Uuid) -> RfiFilter {
    let mut ignored = FieldErrors::new();
    RfiFilter {
        status: q.choice("status", &mut ignored),
        overdue_on: (q.raw("overdue") == "1").then_some(today),
        ball_with: (q.raw("mine") == "ball").then_some(me),
        addressed_to: (q.raw("mine") == "to").then_some(me),
        q: q.opt("q"),
        ..RfiFilter::default()
    }
}

/// The query string the API's export reads for the same filters.
fn export_query(f: &RfiFilter) -> String {
    let mut parts = Vec::new();
    if let Some(s) = f.status {
        parts.push(format!("status={s}"));
    }
    if f.overdue_on.is_some() {
        parts.push("overdue=true".into());
    }
    if f.ball_with.is_some() {
        parts.push("ball_in_my_court=true".into());
    }
    if f.addressed_to.is_some() {
        parts.push("addressed_to_me=true".into());
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

/// The register.
pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let s = &state.services;
    let query = FormData::from_query(query.as_deref());
    let (project, access) = s.project_for(&page.caller, id).await?;
    let filter = filters_of(&query, s.today(), page.caller.actor.user_id);
    let shown = formula_app::query::Paging {
        limit: formula_app::query::MAX_LIMIT,
        offset: 0,
    };
    let (rfis, total, _) = s
        .list_rfis(&page.caller, id, filter.clone(), Some(shown))
        .await?;
    let view = ListPage {
        layout: page.layout(Section::Projects, format!("RFIs · {}", project.code)),
        can_raise: s.may_raise_rfis(&page.caller, access),
        head: ProjectHeader::new(project, access, &page, &state, "commercial"),
        section: "rfis",
        filtered: filter != RfiFilter::default(),
        query: export_query(&filter),
        rfis,
        total,
        filters: FormState::submitted(FILTER_FIELDS, query).prefixed("q-"),
        statuses: RfiStatus::ALL
            .iter()
            .map(|s| Opt::new(s.as_str(), s.label()))
            .collect(),
    };
    render(axum::http::StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "rfis/new.html", whitespace = "minimize")]
struct NewPage {
    layout: crate::ui::layout::Layout,
    head: ProjectHeader,
    section: &'static str,
    form: FormState,
    people: Vec<Opt>,
    drawings: Vec<Choice>,
    items: Vec<Choice>,
    rooms: Vec<Choice>,
}

fn chosen(values: &FormData, name: &str) -> Vec<String> {
    values
        .0
        .iter()
        .filter(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

fn choices(opts: Vec<Opt>, selected: &[String]) -> Vec<Choice> {
    opts.into_iter()
        .map(|o| Choice {
            selected: selected.contains(&o.value),
            value: o.value,
            label: o.label,
        })
        .collect()
}

/// What an RFI may be addressed to and linked to, with the chosen ones marked.
struct Pickers {
    people: Vec<Opt>,
    drawings: Vec<Choice>,
    items: Vec<Choice>,
    rooms: Vec<Choice>,
}

async fn pickers(
    state: &AppState,
    page: &Page,
    (id, access): (Uuid, formula_domain::authz::ProjectAccess),
    values: &FormData,
) -> Result<Pickers, PageError> {
    let s = &state.services;
    let people = s
        .rfi_addressees(&page.caller, id)
        .await?
        .into_iter()
        .map(|(id, name)| Opt::new(id.to_string(), name))
        .collect();
    let drawings = if s.may(&page.caller, Action::ViewDrawings, access) {
        s.list_drawings(&page.caller, id, &Default::default())
            .await?
            .into_iter()
            .map(|d| Opt::new(d.id.to_string(), format!("{} · {}", d.number, d.title)))
            .collect()
    } else {
        Vec::new()
    };
    let items = if s.may(&page.caller, Action::ViewScope, access) {
        s.scope_overview(&page.caller, id)
            .await?
            .2
            .items
            .into_iter()
            .map(|i| Opt::new(i.id.to_string(), format!("{} · {}", i.code, i.name)))
            .collect()
    } else {
        Vec::new()
    };
    let (locations, _) = s.project_locations(&page.caller, id).await?;
    let rooms = locations
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Room)
        .map(|r| Opt::new(r.id.to_string(), format!("{} · {}", r.code, r.name)))
        .collect();
    Ok(Pickers {
        people,
        drawings: choices(drawings, &chosen(values, "drawing_ids")),
        items: choices(items, &chosen(values, "scope_item_ids")),
        rooms: choices(rooms, &chosen(values, "room_ids")),
    })
}

async fn new_form(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: FormState,
    values: &FormData,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    if !s.may_raise_rfis(&page.caller, access) {
        return Err(AppError::Forbidden.into());
    }
    let pick = pickers(state, page, (id, access), values).await?;
    let status = form.status();
    let view = NewPage {
        layout: page.layout(
            Section::Projects,
            format!("Raise an RFI · {}", project.code),
        ),
        head: ProjectHeader::new(project, access, page, state, "commercial"),
        section: "rfis",
        form,
        people: pick.people,
        drawings: pick.drawings,
        items: pick.items,
        rooms: pick.rooms,
    };
    render(status, &view)
}

/// The raise-an-RFI form.
pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    new_form(
        &state,
        &page,
        id,
        FormState::new(NEW_FIELDS),
        &FormData(Vec::new()),
    )
    .await
}

fn ids(values: &FormData, name: &str, errors: &mut FieldErrors) -> Vec<Uuid> {
    let mut out = Vec::new();
    for v in chosen(values, name) {
        match v.parse() {
            Ok(id) => out.push(id),
            Err(_) => errors.add(name, "choose from the list"),
        }
    }
    out
}

/// Raises an RFI (an outside addressee is mailed it with its PDF).
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(values): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let user = values.uuid("addressed_to_user_id", &mut errors);
    let required_by = values.date("required_by", &mut errors);
    let drawing_ids = ids(&values, "drawing_ids", &mut errors);
    let scope_item_ids = ids(&values, "scope_item_ids", &mut errors);
    let room_ids = ids(&values, "room_ids", &mut errors);
    let mut form = FormState::submitted(NEW_FIELDS, values.clone());
    if !errors.is_empty() {
        form.add_errors(errors, &[]);
        return new_form(&state, &page, id, form, &values).await;
    }
    let input = NewRfi {
        subject: values.text("subject"),
        question: values.text("question"),
        addressed_to_user_id: user,
        addressed_to_email: values.opt("addressed_to_email"),
        addressed_to_name: values.opt("addressed_to_name"),
        required_by,
        client_visible: Some(values.raw("client_visible") == "1"),
        drawing_ids,
        scope_item_ids,
        room_ids,
    };
    match state
        .services
        .raise_rfi(&page.caller, id, input, render_rfi)
        .await
    {
        Ok(rfi) => Ok(see_other(
            false,
            &format!(
                "/rfis/{}?m={}",
                rfi.id,
                if rfi.is_external() { "sent" } else { "created" }
            ),
        )),
        Err(e) => {
            form.absorb(e, &[], &format!("/projects/{id}/rfis/new"))?;
            new_form(&state, &page, id, form, &values).await
        }
    }
}

#[derive(Template)]
#[template(path = "rfis/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: crate::ui::layout::Layout,
    rfi: Rfi,
    links: RfiLinks,
    project_code: String,
    abilities: RfiAbilities,
    answer_form: FormState,
    move_form: FormState,
    /// The edit and link forms, with the choices (for those who keep RFIs).
    edit_form: FormState,
    links_form: FormState,
    people: Vec<Opt>,
    drawings: Vec<Choice>,
    items: Vec<Choice>,
    rooms: Vec<Choice>,
    attachments: AttachmentsCard,
    /// The variation form prefilled from this RFI, when its answer has an impact and the
    /// caller may raise variations.
    variation_link: Option<String>,
    message: Option<&'static str>,
}

/// The forms of an RFI's page, as submitted when one was refused.
#[derive(Default)]
struct Forms {
    answer: Option<FormState>,
    moves: Option<FormState>,
    edit: Option<FormState>,
    links: Option<FormState>,
}

fn edit_values(r: &Rfi) -> FormState {
    FormState::new(EDIT_FIELDS)
        .prefixed("e-")
        .with("subject", &r.subject)
        .with("question", &r.question)
        .with(
            "addressed_to_user_id",
            r.addressed_to_user_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
        )
        .with(
            "addressed_to_email",
            r.addressed_to_email.clone().unwrap_or_default(),
        )
        .with(
            "addressed_to_name",
            r.addressed_to_name.clone().unwrap_or_default(),
        )
        .with(
            "required_by",
            r.required_by.map(|d| d.to_string()).unwrap_or_default(),
        )
        .with("client_visible", if r.client_visible { "1" } else { "" })
}

fn link_values(l: &RfiLinks) -> FormState {
    let mut values = Vec::new();
    for (name, list) in [
        ("drawing_ids", &l.drawings),
        ("scope_item_ids", &l.scope_items),
        ("room_ids", &l.rooms),
    ] {
        for link in list {
            values.push((name.to_owned(), link.id.to_string()));
        }
    }
    FormState::submitted(LINK_FIELDS, FormData(values)).prefixed("l-")
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    forms: Forms,
    message: Option<&'static str>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (rfi, links, abilities, _) = s.rfi_page(&page.caller, id).await?;
    let (project, access) = s.project_for(&page.caller, rfi.project_id).await?;
    let files = card(state, page, OwnerKind::Rfi, id, format!("/rfis/{id}")).await?;
    let variation_link = (rfi.offers_variation()
        && page.caller.actor.role != Role::Client
        && s.may(&page.caller, Action::RaiseVariation, access))
    .then(|| format!("/projects/{}/variations/new?rfi={}", rfi.project_id, rfi.id));
    let answer_form = forms
        .answer
        .unwrap_or_else(|| FormState::new(ANSWER_FIELDS).prefixed("a-"));
    let move_form = forms
        .moves
        .unwrap_or_else(|| FormState::new(&[]).prefixed("m-"));
    let edit_form = forms.edit.unwrap_or_else(|| edit_values(&rfi));
    let links_form = forms.links.unwrap_or_else(|| link_values(&links));
    let pick = if abilities.edit {
        pickers(state, page, (rfi.project_id, access), &links_form.values).await?
    } else {
        Pickers {
            people: Vec::new(),
            drawings: Vec::new(),
            items: Vec::new(),
            rooms: Vec::new(),
        }
    };
    let status = answer_form
        .status()
        .max(move_form.status())
        .max(edit_form.status())
        .max(links_form.status());
    let view = ShowPage {
        layout: page.layout(
            Section::Projects,
            format!("{} · {}", rfi.code, project.code),
        ),
        project_code: project.code,
        rfi,
        links,
        abilities,
        answer_form,
        move_form,
        edit_form,
        links_form,
        people: pick.people,
        drawings: pick.drawings,
        items: pick.items,
        rooms: pick.rooms,
        attachments: files,
        variation_link,
        message,
    };
    render(status, &view)
}

/// Saves an RFI's subject, question, addressee, date and sharing.
pub async fn edit(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let user = input.uuid("addressed_to_user_id", &mut errors);
    let required_by = input.date("required_by", &mut errors);
    let mut form = FormState::submitted(EDIT_FIELDS, input.clone()).prefixed("e-");
    if errors.is_empty() {
        let patch = RfiPatch {
            subject: Some(input.text("subject")),
            question: Some(input.text("question")),
            addressed_to_user_id: Some(user),
            addressed_to_email: Some(input.opt("addressed_to_email")),
            addressed_to_name: Some(input.opt("addressed_to_name")),
            required_by: Some(required_by),
            client_visible: Some(input.raw("client_visible") == "1"),
            version: Some(version),
        };
        match state
            .services
            .update_rfi(&page.caller, id, version, patch)
            .await
        {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/rfis/{id}?m=moved"))),
            Err(e) => form.absorb(e, &[], &format!("/rfis/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let forms = Forms {
        edit: Some(form),
        ..Forms::default()
    };
    show_page(&state, &page, id, forms, None).await
}

/// Replaces what an RFI links to.
pub async fn relink(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let drawing_ids = ids(&input, "drawing_ids", &mut errors);
    let scope_item_ids = ids(&input, "scope_item_ids", &mut errors);
    let room_ids = ids(&input, "room_ids", &mut errors);
    let mut form = FormState::submitted(LINK_FIELDS, input.clone()).prefixed("l-");
    if errors.is_empty() {
        let linked = state
            .services
            .set_rfi_links(
                &page.caller,
                id,
                version,
                RfiLinksInput {
                    drawing_ids,
                    scope_item_ids,
                    room_ids,
                    version: Some(version),
                },
            )
            .await;
        match linked {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/rfis/{id}?m=moved"))),
            Err(e) => form.absorb(e, &[], &format!("/rfis/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let forms = Forms {
        links: Some(form),
        ..Forms::default()
    };
    show_page(&state, &page, id, forms, None).await
}

/// An RFI's page.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(query.as_deref());
    let message = match q.raw("m") {
        "created" => Some("RFI raised; its addressee is told."),
        "sent" => Some("RFI raised and mailed to its addressee with its PDF."),
        "resent" => Some("Mailed again with its PDF as it is now."),
        "answered" => Some("Answer recorded."),
        "moved" => Some("Saved."),
        _ => None,
    };
    show_page(&state, &page, id, Forms::default(), message).await
}

/// Records the answer.
pub async fn answer(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let mut form = FormState::submitted(ANSWER_FIELDS, input.clone()).prefixed("a-");
    if errors.is_empty() {
        let answered = state
            .services
            .answer_rfi(
                &page.caller,
                id,
                version,
                RfiAnswerInput {
                    answer: input.text("answer"),
                    cost_impact: input.raw("cost_impact") == "1",
                    time_impact: input.raw("time_impact") == "1",
                    version: Some(version),
                },
            )
            .await;
        match answered {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/rfis/{id}?m=answered"))),
            Err(e) => form.absorb(e, &[], &format!("/rfis/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let forms = Forms {
        answer: Some(form),
        ..Forms::default()
    };
    show_page(&state, &page, id, forms, None).await
}

/// Closes or reopens it (the button's `move`).
pub async fn move_rfi(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let m: Option<RfiMove> = input.required_choice("move", &mut errors);
    let version = input.version(&mut errors);
    let mut form = FormState::submitted(&[], input.clone()).prefixed("m-");
    if let (Some(m), true) = (m, errors.is_empty()) {
        match state.services.move_rfi(&page.caller, id, m, version).await {
            Ok(_) => return Ok(see_other(page.htmx, &format!("/rfis/{id}?m=moved"))),
            Err(e) => form.absorb(e, &[], &format!("/rfis/{id}"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let forms = Forms {
        moves: Some(form),
        ..Forms::default()
    };
    show_page(&state, &page, id, forms, None).await
}

/// Mails it again to its outside addressee.
pub async fn send(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    match state.services.send_rfi(&page.caller, id, render_rfi).await {
        Ok(_) => Ok(see_other(page.htmx, &format!("/rfis/{id}?m=resent"))),
        Err(e) => {
            let mut form = FormState::new(&[]).prefixed("m-");
            form.absorb(e, &[], &format!("/rfis/{id}"))?;
            let forms = Forms {
                moves: Some(form),
                ..Forms::default()
            };
            show_page(&state, &page, id, forms, None).await
        }
    }
}

/// The RFI's PDF.
pub async fn pdf(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let doc = state.services.rfi_document(&page.caller, id).await?;
    Ok(crate::rfi_documents::pdf(doc).await?)
}

/// The register as a spreadsheet (the API's export, answered for the signed-in page).
pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    use crate::api::params::{ListFilter, QueryParams};
    let mut p = QueryParams::parse(query.as_deref())
        .map_err(|_| PageError::bad_request("The export's filters could not be read."))?;
    let filters = crate::api::rfis::RfiParams::read(&mut p);
    let filters = p
        .finish(filters)
        .map_err(|_| PageError::bad_request("The export's filters could not be read."))?;
    let s = &state.services;
    let export = s
        .rfi_export(
            &page.caller,
            id,
            filters.resolve(s.today(), page.caller.actor.user_id),
        )
        .await?;
    Ok(crate::rfi_documents::xlsx(&export)?)
}
