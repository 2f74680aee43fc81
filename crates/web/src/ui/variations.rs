//! The Commercial tab's variations: the register (number, title, reason, status, total,
//! decided), the new-variation form (prefilled from an RFI with `?rfi=`), and a variation's
//! page: its header, the lines editor (a new item into a group; an existing item omitted or
//! changed), submit and withdraw, the client's decision card and the decision history, the
//! PDF. A scope item's page lists the variations behind it ([`item_card`]).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::AppError;
use formula_app::repos::ItemVariation;
use formula_app::variations::{
    LineInput, NewVariation, VariationDecisionInput, VariationDetails, VariationPatch,
    WithdrawInput,
};
use formula_domain::errors::FieldErrors;
use formula_domain::money::format_amount;
use formula_domain::scope::{Quantity, ScopeStatus};
use formula_domain::variation::{
    LineKind, Variation, VariationDecision, VariationLine, VariationReason, VariationStatus,
};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, IdPair, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::review::{self, Entry, History, Posted, Ready, Step, StepKind};
use crate::ui::{render, see_other};

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/projects/{id}/variations", get(list))
        .route("/projects/{id}/variations/new", get(new_page).post(create))
        .route("/projects/{id}/variations.xlsx", get(export_xlsx))
        .route("/variations/{id}", get(show))
        .route("/variations/{id}/pdf", get(pdf))
        .route("/variations/{id}/edit", post(update))
        .route("/variations/{id}/lines", post(add_line))
        .route("/variations/{id}/lines/{line_id}/delete", post(remove_line))
        .route("/variations/{id}/submit", post(submit))
        .route("/variations/{id}/withdraw", post(withdraw))
        .route("/variations/{id}/review", post(decide))
}

/// `12,345.67`, signed, in the currency's decimals.
pub fn amount(minor: &i64, currency: &str) -> String {
    format_amount(*minor, currency)
}

/// The chip class and label of where a variation is (withdrawn over its review state).
pub fn state_chip(v: &Variation) -> (&'static str, &'static str) {
    (v.state_word(), v.state_label())
}

// ---- The register ----

#[derive(Template)]
#[template(path = "variations/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    head: ProjectHeader,
    section: &'static str,
    items: Vec<Variation>,
    total: i64,
    statuses: Vec<Opt>,
    filters: FormState,
    filtered: bool,
    can_raise: bool,
    is_client: bool,
    /// The approved total and the pending (submitted) total, for those who see prices.
    approved_minor: i64,
    pending_minor: i64,
    currency: String,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let s = &state.services;
    let data = FormData::from_query(query.as_deref());
    let mut errors = FieldErrors::new();
    let status: Option<VariationStatus> = data.choice("status", &mut errors);
    let (project, access) = s.project_for(&page.caller, id).await?;
    let (items, total, _) = s.list_variations(&page.caller, id, status, None).await?;
    let sum = |st: VariationStatus| -> i64 {
        items
            .iter()
            .filter(|v| v.status == st && !v.is_withdrawn())
            .filter_map(|v| v.total_minor)
            .sum()
    };
    let (approved_minor, pending_minor) = (
        sum(VariationStatus::Approved),
        sum(VariationStatus::Submitted),
    );
    let view = ListPage {
        layout: page.layout(Section::Projects, format!("Variations · {}", project.code)),
        section: "variations",
        can_raise: s.may_raise_variations(&page.caller, access),
        is_client: page.caller.actor.role == formula_domain::user::Role::Client,
        currency: project.currency.clone(),
        head: ProjectHeader::new(project, access, &page, &state, "commercial"),
        items,
        total,
        statuses: enum_options!(VariationStatus),
        filtered: status.is_some(),
        filters: FormState::submitted(&["status"], data),
        approved_minor,
        pending_minor,
    };
    render(axum::http::StatusCode::OK, &view)
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    Ok(crate::variation_exports::xlsx(&state, &page.caller, id).await?)
}

// ---- A new variation ----

const NEW_FIELDS: &[&str] = &[
    "title",
    "description",
    "reason",
    "time_impact_days",
    "rfi_id",
];

#[derive(Template)]
#[template(path = "variations/new.html", whitespace = "minimize")]
struct NewPage {
    layout: Layout,
    head: ProjectHeader,
    section: &'static str,
    form: FormState,
    reasons: Vec<Opt>,
    is_client: bool,
}

async fn new_form(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: FormState,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    if !s.may_raise_variations(&page.caller, access) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let status = form.status();
    let view = NewPage {
        layout: page.layout(
            Section::Projects,
            format!("New variation · {}", project.code),
        ),
        section: "variations",
        head: ProjectHeader::new(project, access, page, state, "commercial"),
        form,
        reasons: enum_options!(VariationReason),
        is_client: page.caller.actor.role == formula_domain::user::Role::Client,
    };
    render(status, &view)
}

/// The form; `?rfi=<id>` prefills it from an RFI of the project.
pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(query.as_deref());
    let mut form = FormState::new(NEW_FIELDS).with("reason", "client_request");
    if let Some(rfi) = q.opt("rfi") {
        let Ok(rfi) = Uuid::parse_str(&rfi) else {
            return Err(PageError::bad_request("That RFI link is not valid."));
        };
        let pre = state
            .services
            .variation_from_rfi(&page.caller, id, rfi)
            .await?;
        form = form
            .with("title", pre.title.unwrap_or_default())
            .with("description", pre.description.unwrap_or_default())
            .with("reason", "rfi")
            .with("rfi_id", rfi.to_string());
    }
    new_form(&state, &page, id, form).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let reason: Option<VariationReason> = input.choice("reason", &mut errors);
    let days = input.int::<i32>("time_impact_days", &mut errors);
    let rfi_id = input.uuid("rfi_id", &mut errors);
    let mut form = FormState::submitted(NEW_FIELDS, input.clone());
    if errors.is_empty() {
        let client = page.caller.actor.role == formula_domain::user::Role::Client;
        let new = NewVariation {
            title: Some(input.text("title")),
            description: input.opt("description"),
            reason: if client { None } else { reason },
            rfi_id,
            time_impact_days: days,
        };
        match state.services.create_variation(&page.caller, id, new).await {
            Ok(v) => {
                return Ok(see_other(
                    false,
                    &format!("/variations/{}?m=variation_created", v.id),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/variations/new"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    new_form(&state, &page, id, form).await
}

// ---- A variation ----

const HEADER_FIELDS: &[&str] = &["title", "description", "reason", "time_impact_days"];
const ADD_FIELDS: &[&str] = &[
    "group_id",
    "name",
    "unit",
    "quantity",
    "rate",
    "code",
    "description",
];
const CHANGE_FIELDS: &[&str] = &["kind", "scope_item_id", "quantity", "rate"];
const WITHDRAW_FIELDS: &[&str] = &["reason"];

#[derive(Template)]
#[template(path = "variations/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: Layout,
    head: ProjectHeader,
    section: &'static str,
    d: VariationDetails,
    step: Option<Step>,
    history: History,
    header: FormState,
    add: FormState,
    change: FormState,
    withdraw: FormState,
    reasons: Vec<Opt>,
    groups: Vec<Opt>,
    units: Vec<Opt>,
    /// The project's items that may be omitted or changed, with their quantity and rate.
    items: Vec<Opt>,
    kinds: Vec<Opt>,
}

struct Forms {
    review: FormState,
    header: Option<FormState>,
    add: FormState,
    change: FormState,
    withdraw: FormState,
}

impl Forms {
    fn fresh() -> Forms {
        Forms {
            review: review::form(),
            header: None,
            add: FormState::new(ADD_FIELDS)
                .prefixed("a-")
                .with("unit", "pcs")
                .with("quantity", "1"),
            change: FormState::new(CHANGE_FIELDS)
                .prefixed("c-")
                .with("kind", "change"),
            withdraw: FormState::new(WITHDRAW_FIELDS).prefixed("w-"),
        }
    }

    fn status(&self) -> axum::http::StatusCode {
        [&self.review, &self.add, &self.change, &self.withdraw]
            .into_iter()
            .chain(self.header.as_ref())
            .find(|f| f.failed())
            .map_or(axum::http::StatusCode::OK, |f| f.status())
    }
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    forms: Forms,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let d = s.get_variation(&page.caller, id).await?;
    let v = &d.variation;
    let (project, access) = s.project_for(&page.caller, v.project_id).await?;
    let status = if flash.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        forms.status()
    };
    let cur = v.currency.clone();
    let (groups, items) = if d.abilities.edit {
        let (_, _, o) = s.scope_overview(&page.caller, project.id).await?;
        let groups = o
            .groups
            .iter()
            .map(|g| Opt::new(g.group.id.to_string(), g.group.name.clone()))
            .collect();
        let items = o
            .items
            .into_iter()
            .filter(|i| i.status != ScopeStatus::Cancelled)
            .map(|i| {
                let rate = i
                    .unit_price_minor
                    .map(|r| format!(" at {}", format_amount(r, &cur)))
                    .unwrap_or_else(|| " (no rate)".into());
                Opt::new(
                    i.id.to_string(),
                    format!("{} · {} — {} {}{rate}", i.code, i.name, i.quantity, i.unit),
                )
            })
            .collect();
        (groups, items)
    } else {
        (Vec::new(), Vec::new())
    };
    let step = review::ready(v, d.abilities.submit, d.abilities.decide).map(|ready| Step {
        base: format!("/variations/{id}"),
        version: v.version,
        with: None,
        kind: match ready {
            Ready::Submit => StepKind::Submit {
                heading: "Submit to the client".into(),
                button: format!("Submit {} to the client", v.code),
            },
            Ready::Decide => StepKind::Decide {
                id: "decide-h",
                heading: if page.caller.actor.role == formula_domain::user::Role::Client {
                    format!("Your decision on {}", v.code)
                } else {
                    format!("Record the client's decision on {}", v.code)
                },
                open: Some((format!("/variations/{id}/pdf"), "the PDF".into())),
                hint: "Required to reject.",
                form: Box::new(forms.review),
                decisions: enum_options!(VariationDecision),
            },
        },
    });
    let history = History {
        heading: "Decision",
        entries: d
            .reviews
            .iter()
            .map(|r| Entry {
                decision: match r.decision {
                    VariationDecision::Approved => "Approved",
                    VariationDecision::Rejected => "Rejected",
                },
                on: None,
                by: r.reviewer_name.clone(),
                at: r.at,
                comments: r.comments.clone(),
            })
            .collect(),
    };
    let header = forms.header.unwrap_or_else(|| {
        FormState::new(HEADER_FIELDS)
            .prefixed("h-")
            .with("title", v.title.clone())
            .with("description", v.description.clone().unwrap_or_default())
            .with("reason", v.reason.as_str())
            .with(
                "time_impact_days",
                v.time_impact_days
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            )
    });
    let view = ShowPage {
        layout: page.layout_with(
            Section::Projects,
            format!("{} · {}", v.code, v.title),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "commercial"),
        section: "variations",
        step,
        history,
        header,
        add: forms.add,
        change: forms.change,
        withdraw: forms.withdraw,
        reasons: enum_options!(VariationReason),
        groups,
        units: s
            .config
            .scope_units
            .iter()
            .map(|u| Opt::new(u.clone(), u.clone()))
            .collect(),
        items,
        kinds: vec![
            Opt::new("change", "Change quantity or rate"),
            Opt::new("omit", "Omit the item"),
        ],
        d,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show_page(&state, &page, id, Forms::fresh(), None).await
}

pub async fn pdf(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    Ok(crate::variation_exports::pdf(&state, &page.caller, id).await?)
}

async fn refused(
    state: &AppState,
    page: &Page,
    id: Uuid,
    e: AppError,
) -> Result<Response, PageError> {
    let flash = review::refusal(
        e,
        &format!("/variations/{id}"),
        "changed this variation first; the page now shows their version.",
    )?;
    show_page(state, page, id, Forms::fresh(), Some(flash)).await
}

/// Saves the header of a draft.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let reason: Option<VariationReason> = input.choice("reason", &mut errors);
    let days = input.int::<i32>("time_impact_days", &mut errors);
    let mut form = FormState::submitted(HEADER_FIELDS, input.clone()).prefixed("h-");
    if errors.is_empty() {
        let patch = VariationPatch {
            title: Some(input.text("title")),
            description: Some(input.opt("description")),
            reason,
            time_impact_days: Some(days),
            version: None,
        };
        match state
            .services
            .update_variation(&page.caller, id, version, patch)
            .await
        {
            Ok(_) => return Ok(see_other(false, &format!("/variations/{id}?m=saved"))),
            Err(e @ AppError::Validation(_)) => {
                form.absorb(e, &[], &format!("/variations/{id}"))?
            }
            Err(e) => return refused(&state, &page, id, e).await,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let forms = Forms {
        header: Some(form),
        ..Forms::fresh()
    };
    show_page(&state, &page, id, forms, None).await
}

/// Adds a line: a new item (`kind=add`), or an existing item omitted or changed.
pub async fn add_line(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let d = s.get_variation(&page.caller, id).await?;
    let cur = d.variation.currency.clone();
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let kind: Option<LineKind> = input.required_choice("kind", &mut errors);
    let adding = kind == Some(LineKind::Add);
    let quantity = input.opt("quantity").and_then(|q| {
        Quantity::parse(&q)
            .map_err(|e| errors.add("quantity", e))
            .ok()
    });
    let rate = input.amount("rate", &cur, &mut errors);
    let (fields, prefix) = if adding {
        (ADD_FIELDS, "a-")
    } else {
        (CHANGE_FIELDS, "c-")
    };
    let mut form = FormState::submitted(fields, input.clone()).prefixed(prefix);
    if errors.is_empty() {
        let line = if adding {
            LineInput {
                kind,
                group_id: input.uuid("group_id", &mut errors),
                code: input.opt("code"),
                name: Some(input.text("name")),
                unit: input.opt("unit"),
                description: input.opt("description"),
                quantity,
                unit_price_minor: rate,
                ..LineInput::default()
            }
        } else {
            LineInput {
                kind,
                scope_item_id: input.uuid("scope_item_id", &mut errors),
                quantity: quantity.filter(|_| kind == Some(LineKind::Change)),
                unit_price_minor: rate.filter(|_| kind == Some(LineKind::Change)),
                ..LineInput::default()
            }
        };
        match s.add_variation_line(&page.caller, id, version, line).await {
            Ok(_) => {
                return Ok(see_other(
                    false,
                    &format!("/variations/{id}?m=line_added#lines-h"),
                ));
            }
            Err(e @ AppError::Validation(_)) => form.absorb(
                e,
                &[("unit_price_minor", "rate")],
                &format!("/variations/{id}"),
            )?,
            Err(e) => return refused(&state, &page, id, e).await,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let mut forms = Forms::fresh();
    if adding {
        forms.add = form;
    } else {
        forms.change = form;
    }
    show_page(&state, &page, id, forms, None).await
}

pub async fn remove_line(
    State(state): State<AppState>,
    page: Page,
    IdPair(id, line_id): IdPair,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .remove_variation_line(&page.caller, id, line_id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/variations/{id}?m=line_removed#lines-h"),
        )),
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
    match state
        .services
        .submit_variation(&page.caller, id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/variations/{id}?m=variation_submitted"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let w = WithdrawInput {
        reason: input.opt("reason"),
        version: None,
    };
    match state
        .services
        .withdraw_variation(&page.caller, id, version, w)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/variations/{id}?m=variation_withdrawn"),
        )),
        Err(e @ AppError::Validation(_)) => {
            let mut form = FormState::submitted(WITHDRAW_FIELDS, input.clone()).prefixed("w-");
            form.absorb(e, &[], &format!("/variations/{id}"))?;
            let forms = Forms {
                withdraw: form,
                ..Forms::fresh()
            };
            show_page(&state, &page, id, forms, None).await
        }
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn decide(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let back = format!("/variations/{id}");
    let posted = review::post(&input, &back, |version, decision, comments| {
        let input = VariationDecisionInput {
            decision,
            comments,
            version: None,
        };
        state
            .services
            .decide_variation(&page.caller, id, version, input)
    })
    .await?;
    match posted {
        Posted::Recorded => Ok(see_other(false, &format!("{back}?m=reviewed"))),
        Posted::Invalid(form) => {
            let forms = Forms {
                review: form,
                ..Forms::fresh()
            };
            show_page(&state, &page, id, forms, None).await
        }
        Posted::Refused(e) => refused(&state, &page, id, e).await,
    }
}

/// What a line shows in the quantity column: the new quantity, or "was → now".
pub fn line_quantity(l: &VariationLine) -> String {
    match l.kind {
        LineKind::Add => l.quantity.map(|q| q.to_string()).unwrap_or_default(),
        LineKind::Omit => l
            .quantity_before
            .map(|q| format!("{q} → 0"))
            .unwrap_or_default(),
        LineKind::Change => match (l.quantity_before, l.quantity) {
            (Some(b), Some(a)) if a != b => format!("{b} → {a}"),
            (_, Some(a)) => a.to_string(),
            _ => String::new(),
        },
    }
}

/// What a line shows in the rate column.
pub fn line_rate(l: &VariationLine, currency: &str) -> String {
    let r = |m: Option<i64>| m.map(|m| format_amount(m, currency)).unwrap_or_default();
    match l.kind {
        LineKind::Add => r(l.unit_price_minor),
        LineKind::Omit => r(l.unit_price_before_minor),
        LineKind::Change if l.unit_price_minor != l.unit_price_before_minor => format!(
            "{} → {}",
            r(l.unit_price_before_minor),
            r(l.unit_price_minor)
        ),
        LineKind::Change => r(l.unit_price_minor),
    }
}

// ---- On a scope item's page ----

/// The variations that added, changed or omitted a scope item, for its page.
pub async fn item_card(
    state: &AppState,
    page: &Page,
    item_id: Uuid,
) -> Result<Vec<ItemVariation>, PageError> {
    Ok(state
        .services
        .item_variations(&page.caller, item_id)
        .await?)
}
