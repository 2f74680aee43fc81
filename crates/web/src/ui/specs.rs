//! A project's Materials tab (specifications with costs by category, late materials, and
//! the add form) and the specification page: submit, approve, its purchase orders (and
//! raising one), installed, link.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::AppError;
use formula_app::drawings::DrawingQuery;
use formula_app::query::ScopeQuery;
use formula_app::specs::{
    ProcurementInput, SpecDetail, SpecInput, SpecList, SpecOrders, SpecQuery, SpecReviewInput,
    SpecRights,
};
use formula_domain::comment::RecordKind;
use formula_domain::errors::FieldErrors;
use formula_domain::money::format_amount;
use formula_domain::scope::Quantity;
use formula_domain::spec::{Procurement, SpecCategory, SpecDecision};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::comments::CommentsCard;
use crate::ui::forms::{FormData, FormState, Id, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::review::{self, Entry, History, Posted, Ready, Step, StepKind};
use crate::ui::{render, see_other};
use formula_domain::attachment::OwnerKind;

const NEW_FIELDS: &[&str] = &[
    "code",
    "description",
    "category",
    "material",
    "finish",
    "colour",
    "quantity",
    "unit",
    "unit_cost",
    "supplier_id",
    "lead_time_days",
    "needed_on",
];
const PROCURE_FIELDS: &[&str] = &["status"];

/// The directory's active suppliers for a select (nothing for those who may not read it),
/// with `current` first, marked archived, when it is no longer active.
async fn supplier_options(
    state: &AppState,
    page: &Page,
    current: Option<(Uuid, &str)>,
) -> Result<Vec<Opt>, PageError> {
    let mut out: Vec<Opt> = match state.services.active_suppliers(&page.caller).await {
        Ok(list) => list
            .into_iter()
            .map(|x| Opt::new(x.id.to_string(), x.name))
            .collect(),
        Err(AppError::Forbidden) => Vec::new(),
        Err(e) => return Err(PageError::App(e)),
    };
    if let Some((id, name)) = current
        && !out.iter().any(|o| o.value == id.to_string())
    {
        out.insert(0, Opt::new(id.to_string(), format!("{name} (archived)")));
    }
    Ok(out)
}

/// Money of the project's currency for tables.
pub fn money(minor: impl std::borrow::Borrow<i64>, currency: &str) -> String {
    format_amount(*minor.borrow(), currency)
}

#[derive(Template)]
#[template(path = "specs/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    head: ProjectHeader,
    list: SpecList,
    today: time::Date,
    rights: SpecRights,
    categories: Vec<Opt>,
    units: Vec<Opt>,
    /// The directory's active suppliers.
    suppliers: Vec<Opt>,
    may_add_supplier: bool,
    form: FormState,
    /// The place filters (building, level, room, room type) and their choices.
    filters: FormState,
    place: crate::ui::place_filter::PlaceOptions,
}

async fn list_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: FormState,
    query: Option<&str>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let data = FormData::from_query(query);
    let list = s
        .list_specs(
            &page.caller,
            id,
            &SpecQuery {
                place: crate::ui::place_filter::read(&data),
                ..SpecQuery::default()
            },
        )
        .await?;
    let filters = FormState::submitted(crate::ui::place_filter::PLACE_FIELDS, data).prefixed("f-");
    let place = crate::ui::place_filter::options(state, page, id).await?;
    let status = form.status();
    let rights = s.spec_rights(&page.caller, id, access).await?;
    let suppliers = if rights.manage {
        supplier_options(state, page, None).await?
    } else {
        Vec::new()
    };
    let view = ListPage {
        layout: page.layout(Section::Projects, format!("Materials · {}", project.code)),
        rights,
        suppliers,
        may_add_supplier: s.may_manage_suppliers(&page.caller),
        head: ProjectHeader::new(project, access, page, state, "materials"),
        list,
        today: s.today(),
        categories: enum_options!(SpecCategory),
        units: s
            .config
            .scope_units
            .iter()
            .map(|u| Opt::new(u.clone(), u.clone()))
            .collect(),
        form,
        filters,
        place,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let form = FormState::new(NEW_FIELDS)
        .with("quantity", "1")
        .with("unit", "pcs")
        .with("category", "other");
    list_page(&state, &page, id, form, query.as_deref()).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let (project, _) = state.services.project_for(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let category = input.choice("category", &mut errors);
    let quantity = input.opt("quantity").and_then(|q| {
        Quantity::parse(&q)
            .map_err(|e| errors.add("quantity", e))
            .ok()
    });
    let unit_cost = input.amount("unit_cost", &project.currency, &mut errors);
    let lead = input.int::<i32>("lead_time_days", &mut errors);
    let needed_on = input.date("needed_on", &mut errors);
    let supplier_id = input.uuid("supplier_id", &mut errors);
    let mut form = FormState::submitted(NEW_FIELDS, input.clone());
    if errors.is_empty() {
        let new = SpecInput {
            code: Some(input.text("code")),
            description: Some(input.text("description")),
            category,
            material: Some(input.opt("material")),
            finish: Some(input.opt("finish")),
            colour: Some(input.opt("colour")),
            quantity,
            unit: input.opt("unit"),
            unit_cost_minor: Some(unit_cost),
            supplier_id: Some(supplier_id),
            lead_time_days: Some(lead),
            needed_on: Some(needed_on),
            ..Default::default()
        };
        match state.services.create_spec(&page.caller, id, new).await {
            Ok(s) => return Ok(see_other(false, &format!("/specs/{}?m=created", s.id))),
            Err(e) => form.absorb(
                e,
                &[("unit_cost_minor", "unit_cost")],
                &format!("/projects/{id}/materials"),
            )?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    list_page(&state, &page, id, form, None).await
}

// ---- One specification ----

#[derive(Template)]
#[template(path = "specs/show.html", whitespace = "minimize")]
struct SpecPage {
    layout: Layout,
    head: ProjectHeader,
    x: SpecDetail,
    rights: SpecRights,
    /// Submitting or approving the specification, when the caller may.
    step: Option<Step>,
    history: History,
    procure: FormState,
    /// Its purchase orders (for those who see them) and whether one may be raised.
    orders: SpecOrders,
    /// Whether the viewer reads the supplier directory (the supplier links to its page).
    see_suppliers: bool,
    /// Delivered, and the viewer may record it installed.
    installable: bool,
    items: Vec<(Opt, bool)>,
    drawings: Vec<(Opt, bool)>,
    places: crate::ui::places::PlacesCard,
    attachments: AttachmentsCard,
    comments: CommentsCard,
    activity: crate::ui::activity::ActivityCard,
}

async fn spec_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    review: FormState,
    procure: FormState,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (x, access) = s.get_spec(&page.caller, id).await?;
    let (project, _) = s.project_for(&page.caller, x.spec.project_id).await?;
    let rights = s
        .spec_rights(&page.caller, x.spec.project_id, access)
        .await?;
    let items = if rights.manage {
        s.list_scope_items(&page.caller, project.id, ScopeQuery::all(project.id))
            .await?
            .items
            .into_iter()
            .map(|i| {
                let on = x.spec.scope_item_ids.contains(&i.id);
                (
                    Opt::new(i.id.to_string(), format!("{} · {}", i.code, i.name)),
                    on,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let drawings = if rights.manage {
        s.list_drawings(&page.caller, project.id, &DrawingQuery::default())
            .await?
            .into_iter()
            .map(|d| {
                let on = x.spec.drawing_ids.contains(&d.id);
                (
                    Opt::new(d.id.to_string(), format!("{} · {}", d.number, d.title)),
                    on,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let orders = s.spec_orders(&page.caller, id).await?;
    let installable = rights.procure && x.spec.procurement == Some(Procurement::Delivered);
    let see_suppliers = formula_domain::authz::authorize(
        &page.caller.actor,
        formula_domain::authz::Action::ViewSuppliers,
        &formula_domain::authz::Resource::Global,
    );
    let status = if flash.is_some() {
        axum::http::StatusCode::CONFLICT
    } else if review.failed() {
        review.status()
    } else {
        procure.status()
    };
    let attachments = card(state, page, OwnerKind::Spec, id, format!("/specs/{id}")).await?;
    let comments =
        crate::ui::comments::card(state, page, RecordKind::Spec, id, format!("/specs/{id}"))
            .await?;
    let activity = crate::ui::activity::card(state, page, RecordKind::Spec, id).await?;
    let places = crate::ui::places::PlacesCard {
        action: format!("/specs/{id}/places"),
        places: s.spec_places(&page.caller, id).await?,
        can_manage: rights.manage,
    };
    let step = review::ready(&x.spec, rights.manage, rights.approve).map(|ready| Step {
        base: format!("/specs/{id}"),
        version: x.spec.version,
        with: None,
        kind: match ready {
            Ready::Submit => StepKind::Submit {
                heading: "Submit for approval".into(),
                button: format!("Submit {} for approval", x.spec.code),
            },
            Ready::Decide => StepKind::Decide {
                id: "approve-h",
                heading: format!("Approve {}", x.spec.code),
                open: None,
                hint: "Required unless you approve.",
                form: Box::new(review),
                decisions: enum_options!(SpecDecision),
            },
        },
    });
    let history = History {
        heading: "Approval decisions",
        entries: x
            .reviews
            .iter()
            .map(|v| Entry {
                decision: v.decision.label(),
                on: None,
                by: v.reviewer_name.clone(),
                at: v.at,
                comments: v.comments.clone(),
            })
            .collect(),
    };
    let view = SpecPage {
        attachments,
        comments,
        activity,
        layout: page.layout_with(
            Section::Projects,
            format!("{} · {}", x.spec.code, x.spec.description),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "materials"),
        rights,
        x,
        step,
        history,
        procure,
        orders,
        see_suppliers,
        installable,
        items,
        drawings,
        places,
    };
    render(status, &view)
}

fn procure_form() -> FormState {
    FormState::new(PROCURE_FIELDS).prefixed("p-")
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    spec_page(&state, &page, id, review::form(), procure_form(), None).await
}

async fn refused(
    state: &AppState,
    page: &Page,
    id: Uuid,
    e: AppError,
) -> Result<Response, PageError> {
    let flash = review::refusal(
        e,
        &format!("/specs/{id}"),
        "changed this specification first; the page now shows their version.",
    )?;
    spec_page(state, page, id, review::form(), procure_form(), Some(flash)).await
}

/// Sets the places the specification refers to, from their codes.
pub async fn places(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (x, _) = s.get_spec(&page.caller, id).await?;
    let result = match s
        .place_ids_from_codes(&page.caller, x.spec.project_id, input.raw("places"))
        .await
    {
        Ok(ids) => s.set_spec_places(&page.caller, id, ids).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(false, &format!("/specs/{id}?m=saved#places-h"))),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state.services.submit_spec(&page.caller, id, version).await {
        Ok(_) => Ok(see_other(false, &format!("/specs/{id}?m=spec_submitted"))),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn review(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let back = format!("/specs/{id}");
    let posted = review::post(&input, &back, |version, decision, comments| {
        let input = SpecReviewInput {
            decision,
            comments,
            version: None,
        };
        state.services.review_spec(&page.caller, id, version, input)
    })
    .await?;
    match posted {
        Posted::Recorded => Ok(see_other(false, &format!("{back}?m=reviewed"))),
        Posted::Invalid(form) => spec_page(&state, &page, id, form, procure_form(), None).await,
        Posted::Refused(e) => refused(&state, &page, id, e).await,
    }
}

/// Records the one procurement step kept on the specification: installed. Ordering and
/// delivery come from its purchase orders and their goods receipts.
pub async fn procure(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let status: Option<Procurement> = input.required_choice("status", &mut errors);
    let mut form = FormState::submitted(PROCURE_FIELDS, input.clone()).prefixed("p-");
    match status {
        Some(status) if errors.is_empty() => {
            let p = ProcurementInput {
                status,
                version: None,
            };
            match state
                .services
                .procure_spec(&page.caller, id, version, p)
                .await
            {
                Ok(_) => return Ok(see_other(false, &format!("/specs/{id}?m=saved"))),
                Err(e @ AppError::Validation(_)) => form.absorb(e, &[], &format!("/specs/{id}"))?,
                Err(e) => return refused(&state, &page, id, e).await,
            }
        }
        _ => form.add_errors(errors, &[]),
    }
    spec_page(&state, &page, id, review::form(), form, None).await
}

pub async fn link(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let ids = |name: &str| -> Vec<Uuid> {
        input
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| Uuid::parse_str(v).ok())
            .collect()
    };
    let change = SpecInput {
        scope_item_ids: Some(ids("scope_item_id")),
        drawing_ids: Some(ids("drawing_id")),
        ..Default::default()
    };
    match state
        .services
        .update_spec(&page.caller, id, version, change)
        .await
    {
        Ok(_) => Ok(see_other(false, &format!("/specs/{id}?m=saved"))),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

/// The materials as `.xlsx` or `.csv` (`?format=`).
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(query.as_deref());
    let format = match q.opt("format") {
        None => crate::scope_files::Format::Xlsx,
        Some(f) => f
            .parse()
            .map_err(|_| PageError::bad_request("Choose the xlsx or csv format."))?,
    };
    let s = &state.services;
    let (project, _) = s.project_for(&page.caller, id).await?;
    let list = s
        .list_specs(&page.caller, id, &SpecQuery::default())
        .await?;
    crate::spec_files::export(&list, &project.code, s.today(), format)
        .map_err(|e| PageError::App(AppError::Internal(e)))
}

// ---- Editing a specification ----

/// Every field of a specification the API can change (links have their own form).
const EDIT_FIELDS: &[&str] = &[
    "version",
    "code",
    "description",
    "category",
    "material",
    "finish",
    "colour",
    "dimensions",
    "hardware",
    "quantity",
    "unit",
    "unit_cost",
    "supplier_id",
    "supplier_contact_id",
    "part_number",
    "lead_time_days",
    "location",
    "phase",
    "needed_on",
];

#[derive(Template)]
#[template(path = "specs/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    head: ProjectHeader,
    spec: formula_domain::spec::Spec,
    categories: Vec<Opt>,
    units: Vec<Opt>,
    /// The directory's active suppliers (and the specification's own, if archived).
    suppliers: Vec<Opt>,
    /// The contacts of the specification's supplier.
    contacts: Vec<Opt>,
    may_add_supplier: bool,
    form: FormState,
}

async fn edit_form_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: Option<FormState>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (x, access) = s.get_spec(&page.caller, id).await?;
    let rights = s
        .spec_rights(&page.caller, x.spec.project_id, access)
        .await?;
    if !rights.manage {
        return Err(PageError::App(AppError::Forbidden));
    }
    let (project, _) = s.project_for(&page.caller, x.spec.project_id).await?;
    let sp = x.spec;
    let form = match form {
        Some(f) => f,
        None => {
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            FormState::new(EDIT_FIELDS)
                .with("version", sp.version.to_string())
                .with("code", sp.code.clone())
                .with("description", sp.description.clone())
                .with("category", sp.category.as_str())
                .with("material", o(&sp.material))
                .with("finish", o(&sp.finish))
                .with("colour", o(&sp.colour))
                .with("dimensions", o(&sp.dimensions))
                .with("hardware", o(&sp.hardware))
                .with("quantity", sp.quantity.to_string())
                .with("unit", sp.unit.clone())
                .with(
                    "unit_cost",
                    sp.unit_cost_minor
                        .map(|m| format_amount(m, &sp.currency).replace(',', ""))
                        .unwrap_or_default(),
                )
                .with(
                    "supplier_id",
                    sp.supplier_id.map(|i| i.to_string()).unwrap_or_default(),
                )
                .with(
                    "supplier_contact_id",
                    sp.supplier_contact_id
                        .map(|i| i.to_string())
                        .unwrap_or_default(),
                )
                .with("part_number", o(&sp.part_number))
                .with(
                    "lead_time_days",
                    sp.lead_time_days.map(|d| d.to_string()).unwrap_or_default(),
                )
                .with("location", o(&sp.location))
                .with("phase", o(&sp.phase))
                .with(
                    "needed_on",
                    sp.needed_on.map(|d| d.to_string()).unwrap_or_default(),
                )
        }
    };
    let status = form.status();
    let current = sp.supplier_id.zip(sp.supplier_name.as_deref());
    let suppliers = supplier_options(state, page, current).await?;
    let contacts = match sp.supplier_id {
        Some(sup) => s
            .list_supplier_contacts(&page.caller, sup)
            .await?
            .into_iter()
            .map(|c| {
                let label = match &c.role {
                    Some(r) => format!("{} ({r})", c.name),
                    None => c.name.clone(),
                };
                Opt::new(c.id.to_string(), label)
            })
            .collect(),
        None => Vec::new(),
    };
    let view = EditPage {
        suppliers,
        contacts,
        may_add_supplier: s.may_manage_suppliers(&page.caller),
        layout: page.layout(
            Section::Projects,
            format!("Edit {} · {}", sp.code, sp.description),
        ),
        head: ProjectHeader::new(project, access, page, state, "materials"),
        spec: sp,
        categories: enum_options!(SpecCategory),
        units: s
            .config
            .scope_units
            .iter()
            .map(|u| Opt::new(u.clone(), u.clone()))
            .collect(),
        form,
    };
    render(status, &view)
}

/// The edit form of a specification (draft, or sent back for revision).
pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    edit_form_page(&state, &page, id, None).await
}

/// Saves the edit form: compare-and-set on the version the form was based on.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let (x, _) = state.services.get_spec(&page.caller, id).await?;
    let currency = x.spec.currency;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let category = input.required_choice("category", &mut errors);
    let quantity = match input.opt("quantity") {
        Some(q) => Quantity::parse(&q)
            .map_err(|e| errors.add("quantity", e))
            .ok(),
        None => {
            errors.add("quantity", "is required");
            None
        }
    };
    let unit_cost = input.amount("unit_cost", &currency, &mut errors);
    let lead = input.int::<i32>("lead_time_days", &mut errors);
    let needed_on = input.date("needed_on", &mut errors);
    let supplier_id = input.uuid("supplier_id", &mut errors);
    // A contact chosen among the previous supplier's people does not follow a new supplier:
    // the contact is chosen once the new supplier is saved.
    let contact_id = input.uuid("supplier_contact_id", &mut errors);
    let supplier_contact_id = (supplier_id == x.spec.supplier_id).then_some(contact_id);
    let mut form = FormState::submitted(EDIT_FIELDS, input.clone());
    form.values.set("version", version.to_string());
    if errors.is_empty() {
        let change = SpecInput {
            code: Some(input.text("code")),
            description: Some(input.text("description")),
            category,
            material: Some(input.opt("material")),
            finish: Some(input.opt("finish")),
            colour: Some(input.opt("colour")),
            dimensions: Some(input.opt("dimensions")),
            hardware: Some(input.opt("hardware")),
            quantity,
            unit: input.opt("unit"),
            unit_cost_minor: Some(unit_cost),
            supplier_id: Some(supplier_id),
            supplier_contact_id,
            part_number: Some(input.opt("part_number")),
            lead_time_days: Some(lead),
            location: Some(input.opt("location")),
            phase: Some(input.opt("phase")),
            needed_on: Some(needed_on),
            ..Default::default()
        };
        match state
            .services
            .update_spec(&page.caller, id, version, change)
            .await
        {
            Ok(s) => return Ok(see_other(false, &format!("/specs/{}?m=saved", s.id))),
            Err(e) => form.absorb(
                e,
                &[("unit_cost_minor", "unit_cost")],
                &format!("/specs/{id}/edit"),
            )?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    edit_form_page(&state, &page, id, Some(form)).await
}
