//! The project's Purchasing tab: the purchase order register (number, supplier, status,
//! total, required and sent dates), raising an order from approved specifications or by
//! hand (a supplier of the directory and the header, then its lines), and an order's page:
//! its lines (added while a draft: a specification, a scope item or a free description),
//! its header edited while a draft, approve, send, cancel and close as the caller may, the
//! PDF, and the link to receiving goods while it is sent.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::AppError;
use formula_app::purchase_orders::{
    NewPurchaseOrder, PoLineInput, PurchaseOrderDetails, PurchaseOrderPatch,
};
use formula_app::query::ScopeQuery;
use formula_app::repos::{PoFilter, SpecForPo};
use formula_app::specs::SpecQuery;
use formula_domain::attachment::OwnerKind;
use formula_domain::errors::FieldErrors;
use formula_domain::money::format_amount;
use formula_domain::purchase_order::{PoStatus, PurchaseOrder};
use formula_domain::scope::Quantity;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::attachments::{AttachmentsCard, card};
use crate::ui::forms::{FormData, FormState, Id, IdPair, Opt, enum_options};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::review;
use crate::ui::{render, see_other};

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/projects/{id}/purchasing", get(list))
        .route("/projects/{id}/purchasing/raise", post(raise))
        .route(
            "/projects/{id}/purchase-orders/new",
            get(new_page).post(create),
        )
        .route("/purchase-orders/{id}/edit", get(edit_page).post(update))
        .route("/projects/{id}/purchase-orders.xlsx", get(export_xlsx))
        .route("/purchase-orders/{id}", get(show))
        .route("/purchase-orders/{id}/pdf", get(pdf))
        .route("/purchase-orders/{id}/lines", post(add_line))
        .route(
            "/purchase-orders/{id}/lines/{line_id}/delete",
            post(remove_line),
        )
        .route("/purchase-orders/{id}/approve", post(approve))
        .route("/purchase-orders/{id}/send", post(send))
        .route("/purchase-orders/{id}/cancel", post(cancel))
        .route("/purchase-orders/{id}/close", post(close))
}

/// `12,345.67 EUR`.
pub fn money(minor: &i64, currency: &str) -> String {
    format!("{} {currency}", format_amount(*minor, currency))
}

// ---- The register ----

#[derive(Template)]
#[template(path = "purchase_orders/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    head: ProjectHeader,
    items: Vec<PurchaseOrder>,
    total: i64,
    statuses: Vec<Opt>,
    filters: FormState,
    filtered: bool,
    can_raise: bool,
    prices: bool,
    /// Approved specifications not ordered yet, to raise an order from.
    specs: Vec<SpecForPo>,
    raise: FormState,
}

async fn list_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    data: FormData,
    raise: FormState,
) -> Result<Response, PageError> {
    let s = &state.services;
    let mut errors = FieldErrors::new();
    let status: Option<PoStatus> = data.choice("status", &mut errors);
    let (project, access) = s.project_for(&page.caller, id).await?;
    let filter = PoFilter {
        status,
        supplier_id: None,
    };
    let (items, total, prices) = s
        .list_purchase_orders(&page.caller, id, &filter, None)
        .await?;
    let can_raise = s.may_raise_purchase_orders(&page.caller, access);
    let specs = if can_raise {
        s.specs_to_order(&page.caller, id).await?
    } else {
        Vec::new()
    };
    let view = ListPage {
        layout: page.layout(Section::Projects, format!("Purchasing · {}", project.code)),
        head: ProjectHeader::new(project, access, page, state, "purchasing"),
        items,
        total,
        statuses: enum_options!(PoStatus),
        filtered: status.is_some(),
        filters: FormState::submitted(&["status"], data),
        can_raise,
        prices,
        specs,
        raise,
    };
    let code = view.raise.status();
    render(code, &view)
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let data = FormData::from_query(query.as_deref());
    list_page(&state, &page, id, data, FormState::new(&["spec_ids"])).await
}

/// Raises a draft from the chosen approved specifications.
pub async fn raise(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let mut spec_ids = Vec::new();
    for (k, v) in &input.0 {
        if k == "spec_id" {
            match Uuid::parse_str(v) {
                Ok(u) => spec_ids.push(u),
                Err(_) => errors.add("spec_ids", "is not a specification of this project"),
            }
        }
    }
    if spec_ids.is_empty() && errors.is_empty() {
        errors.add("spec_ids", "choose at least one approved specification");
    }
    let mut form = FormState::submitted(&["spec_ids"], input.clone());
    if errors.is_empty() {
        let new = NewPurchaseOrder {
            spec_ids,
            ..NewPurchaseOrder::default()
        };
        match state
            .services
            .create_purchase_order(&page.caller, id, new)
            .await
        {
            Ok(d) => {
                return Ok(see_other(
                    false,
                    &format!("/purchase-orders/{}?m=po_created", d.order.id),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/purchasing"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    list_page(&state, &page, id, FormData(Vec::new()), form).await
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    Ok(crate::po_documents::xlsx(&state, &page.caller, id).await?)
}

// ---- Raising one by hand, and a draft's header ----

const HEADER_FIELDS: &[&str] = &[
    "supplier_id",
    "delivery_address",
    "required_on",
    "terms",
    "notes",
];

#[derive(Template)]
#[template(path = "purchase_orders/header.html", whitespace = "minimize")]
struct HeaderPage {
    layout: Layout,
    head: ProjectHeader,
    form: FormState,
    suppliers: Vec<Opt>,
    /// The draft whose header is edited; `None` when raising a new order.
    order: Option<PurchaseOrder>,
    may_add_supplier: bool,
}

/// The directory's active suppliers to choose from, and the draft's own when archived since.
async fn supplier_options(
    state: &AppState,
    page: &Page,
    order: Option<&PurchaseOrder>,
) -> Result<Vec<Opt>, PageError> {
    let mut suppliers: Vec<Opt> = state
        .services
        .active_suppliers(&page.caller)
        .await?
        .into_iter()
        .map(|x| Opt::new(x.id.to_string(), x.name))
        .collect();
    if let Some(o) = order
        && !suppliers
            .iter()
            .any(|x| x.value == o.supplier_id.to_string())
    {
        suppliers.insert(
            0,
            Opt::new(
                o.supplier_id.to_string(),
                format!("{} (archived)", o.supplier_name),
            ),
        );
    }
    Ok(suppliers)
}

async fn header_page(
    state: &AppState,
    page: &Page,
    project_id: Uuid,
    order: Option<PurchaseOrder>,
    form: FormState,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, project_id).await?;
    if !s.may_raise_purchase_orders(&page.caller, access) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let title = match &order {
        Some(o) => format!("Edit {} · {}", o.number, o.supplier_name),
        None => format!("New purchase order · {}", project.code),
    };
    let view = HeaderPage {
        suppliers: supplier_options(state, page, order.as_ref()).await?,
        may_add_supplier: s.may_manage_suppliers(&page.caller),
        layout: page.layout(Section::Projects, title),
        head: ProjectHeader::new(project, access, page, state, "purchasing"),
        form,
        order,
    };
    render(view.form.status(), &view)
}

/// The new order's form: the delivery address starts as the project's site.
pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let (project, _) = state.services.project_for(&page.caller, id).await?;
    let form = FormState::new(HEADER_FIELDS).with(
        "delivery_address",
        project.location.clone().unwrap_or_default(),
    );
    header_page(&state, &page, id, None, form).await
}

fn supplier_of(input: &FormData, errors: &mut FieldErrors) -> Option<Uuid> {
    let v = input.opt("supplier_id")?;
    match Uuid::parse_str(&v) {
        Ok(u) => Some(u),
        Err(_) => {
            errors.add("supplier_id", "must be a supplier of the directory");
            None
        }
    }
}

/// Raises a draft by hand: its header now, its lines on its page.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let supplier_id = supplier_of(&input, &mut errors);
    let required_on = input.date("required_on", &mut errors);
    let mut form = FormState::submitted(HEADER_FIELDS, input.clone());
    if errors.is_empty() {
        let new = NewPurchaseOrder {
            supplier_id,
            required_on,
            delivery_address: input.opt("delivery_address"),
            terms: input.opt("terms"),
            notes: input.opt("notes"),
            ..NewPurchaseOrder::default()
        };
        match state
            .services
            .create_purchase_order(&page.caller, id, new)
            .await
        {
            Ok(d) => {
                return Ok(see_other(
                    false,
                    &format!("/purchase-orders/{}?m=po_created#add-h", d.order.id),
                ));
            }
            Err(e) => form.absorb(e, &[], &format!("/projects/{id}/purchase-orders/new"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    header_page(&state, &page, id, None, form).await
}

/// A draft's header, to edit.
pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let d = state.services.get_purchase_order(&page.caller, id).await?;
    let o = d.order;
    let form = FormState::new(HEADER_FIELDS)
        .with("supplier_id", o.supplier_id.to_string())
        .with(
            "delivery_address",
            o.delivery_address.clone().unwrap_or_default(),
        )
        .with(
            "required_on",
            o.required_on.map(|d| d.to_string()).unwrap_or_default(),
        )
        .with("terms", o.terms.clone().unwrap_or_default())
        .with("notes", o.notes.clone().unwrap_or_default())
        .with("version", o.version.to_string());
    let project_id = o.project_id;
    header_page(&state, &page, project_id, Some(o), form).await
}

/// Saves a draft's header (every field as the form shows it; an empty one is cleared).
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let supplier_id = supplier_of(&input, &mut errors);
    if supplier_id.is_none() && !errors.0.iter().any(|e| e.field == "supplier_id") {
        errors.add(
            "supplier_id",
            "is required: choose the supplier to order from",
        );
    }
    let required_on = input.date("required_on", &mut errors);
    let mut form = FormState::submitted(HEADER_FIELDS, input.clone());
    if errors.is_empty() {
        let patch = PurchaseOrderPatch {
            supplier_id,
            required_on: Some(required_on),
            delivery_address: Some(input.opt("delivery_address")),
            terms: Some(input.opt("terms")),
            notes: Some(input.opt("notes")),
            version: None,
        };
        match s
            .update_purchase_order(&page.caller, id, version, patch)
            .await
        {
            Ok(_) => {
                return Ok(see_other(false, &format!("/purchase-orders/{id}?m=saved")));
            }
            Err(e) => form.absorb(e, &[], &format!("/purchase-orders/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let d = s.get_purchase_order(&page.caller, id).await?;
    let project_id = d.order.project_id;
    header_page(&state, &page, project_id, Some(d.order), form).await
}

// ---- An order ----

const LINE_FIELDS: &[&str] = &[
    "orders",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "required_on",
];

#[derive(Template)]
#[template(path = "purchase_orders/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: Layout,
    head: ProjectHeader,
    d: PurchaseOrderDetails,
    /// Its files (the PDF as sent), for those who see its prices (the PDF prints them).
    files: Option<AttachmentsCard>,
    line: FormState,
    cancel: FormState,
    send: FormState,
    /// What a new line may order: the project's specifications and scope items.
    orders: Vec<Opt>,
}

struct Forms {
    line: FormState,
    cancel: FormState,
    send: FormState,
}

impl Forms {
    fn fresh() -> Forms {
        Forms {
            line: FormState::new(LINE_FIELDS)
                .prefixed("l-")
                .with("unit", "pcs")
                .with("quantity", "1"),
            cancel: FormState::new(&["reason"]).prefixed("x-"),
            send: FormState::new(&["to"]).prefixed("s-"),
        }
    }

    fn status(&self) -> axum::http::StatusCode {
        [&self.line, &self.cancel, &self.send]
            .into_iter()
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
    let d = s.get_purchase_order(&page.caller, id).await?;
    let (project, access) = s.project_for(&page.caller, d.order.project_id).await?;
    let files = if d.abilities.see_prices {
        Some(
            card(
                state,
                page,
                OwnerKind::PurchaseOrder,
                id,
                format!("/purchase-orders/{id}"),
            )
            .await?,
        )
    } else {
        None
    };
    let status = if flash.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        forms.status()
    };
    let orders = if d.abilities.edit {
        line_choices(state, page, d.order.project_id)
            .await?
            .into_iter()
            .map(|c| Opt::new(c.value, c.label))
            .collect()
    } else {
        Vec::new()
    };
    let view = ShowPage {
        layout: page.layout_with(
            Section::Projects,
            format!("{} · {}", d.order.number, d.order.supplier_name),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "purchasing"),
        d,
        files,
        line: forms.line,
        cancel: forms.cancel,
        send: forms.send,
        orders,
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
    Ok(crate::po_documents::pdf(&state, &page.caller, id).await?)
}

async fn refused(
    state: &AppState,
    page: &Page,
    id: Uuid,
    e: AppError,
) -> Result<Response, PageError> {
    let flash = review::refusal(
        e,
        &format!("/purchase-orders/{id}"),
        "changed this purchase order first; the page now shows their version.",
    )?;
    show_page(state, page, id, Forms::fresh(), Some(flash)).await
}

/// Something of the project a line may order.
struct LineChoice {
    /// `spec:<id>` or `item:<id>`.
    value: String,
    label: String,
    /// The line's description when none is typed.
    description: String,
}

/// The project's specifications (not rejected) and scope items, for a new line.
async fn line_choices(
    state: &AppState,
    page: &Page,
    project_id: Uuid,
) -> Result<Vec<LineChoice>, PageError> {
    let s = &state.services;
    let specs = s
        .list_specs(&page.caller, project_id, &SpecQuery::default())
        .await?
        .items;
    let items = s
        .list_scope_items(&page.caller, project_id, ScopeQuery::all(project_id))
        .await?
        .items;
    let mut out = Vec::with_capacity(specs.len() + items.len());
    for sp in specs
        .into_iter()
        .filter(|x| x.status != formula_domain::spec::SpecStatus::Rejected)
    {
        let description = format!("{} {}", sp.code, sp.description);
        out.push(LineChoice {
            value: format!("spec:{}", sp.id),
            label: format!("Specification {description}"),
            description,
        });
    }
    for it in items {
        let description = format!("{} {}", it.code, it.name);
        out.push(LineChoice {
            value: format!("item:{}", it.id),
            label: format!("Scope item {description}"),
            description,
        });
    }
    Ok(out)
}

pub async fn add_line(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let d = s.get_purchase_order(&page.caller, id).await?;
    let cur = d.order.currency.clone();
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let quantity = match Quantity::parse(&input.text("quantity")) {
        Ok(q) => Some(q),
        Err(e) => {
            errors.add("quantity", e);
            None
        }
    };
    let price = input.amount("unit_price", &cur, &mut errors);
    if price.is_none() && !errors.0.iter().any(|e| e.field == "unit_price") {
        errors.add("unit_price", "is required (0 for a free line)");
    }
    let required_on = input.date("required_on", &mut errors);
    // What it orders: a specification or a scope item of the project, or nothing (a free
    // description); without a description typed, the chosen one's code and name.
    let (mut spec_id, mut scope_item_id) = (None, None);
    let mut description = input.text("description");
    if let Some(chosen) = input.opt("orders") {
        let choices = line_choices(&state, &page, d.order.project_id).await?;
        let found = choices.iter().find(|c| c.value == chosen);
        let parsed = chosen
            .split_once(':')
            .and_then(|(kind, id)| Some((kind, Uuid::parse_str(id).ok()?)));
        match (found, parsed) {
            (Some(c), Some(("spec", id))) => {
                spec_id = Some(id);
                if description.trim().is_empty() {
                    description = c.description.clone();
                }
            }
            (Some(c), Some(("item", id))) => {
                scope_item_id = Some(id);
                if description.trim().is_empty() {
                    description = c.description.clone();
                }
            }
            _ => errors.add(
                "orders",
                "must be a specification or a scope item of this project",
            ),
        }
    }
    let mut form = FormState::submitted(LINE_FIELDS, input.clone()).prefixed("l-");
    if let (true, Some(quantity), Some(price)) = (errors.is_empty(), quantity, price) {
        let line = PoLineInput {
            spec_id,
            scope_item_id,
            description,
            quantity,
            unit: input.text("unit"),
            unit_price_minor: price,
            required_on,
            version: None,
        };
        match s.add_po_line(&page.caller, id, version, line).await {
            Ok(_) => {
                return Ok(see_other(
                    false,
                    &format!("/purchase-orders/{id}?m=line_added#lines-h"),
                ));
            }
            Err(e @ AppError::Validation(_)) => form.absorb(
                e,
                &[
                    ("unit_price_minor", "unit_price"),
                    ("spec_id", "orders"),
                    ("scope_item_id", "orders"),
                ],
                &format!("/purchase-orders/{id}"),
            )?,
            Err(e) => return refused(&state, &page, id, e).await,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let forms = Forms {
        line: form,
        ..Forms::fresh()
    };
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
        .remove_po_line(&page.caller, id, line_id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}?m=line_removed#lines-h"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .approve_purchase_order(&page.caller, id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}?m=po_approved"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn send(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .send_purchase_order(
            &page.caller,
            id,
            version,
            input.opt("to"),
            crate::po_documents::render_po,
        )
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}?m=po_sent"),
        )),
        Err(e @ AppError::Validation(_)) => {
            let mut form = FormState::submitted(&["to"], input.clone()).prefixed("s-");
            form.absorb(e, &[], &format!("/purchase-orders/{id}"))?;
            let forms = Forms {
                send: form,
                ..Forms::fresh()
            };
            show_page(&state, &page, id, forms, None).await
        }
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .cancel_purchase_order(&page.caller, id, version, &input.text("reason"))
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}?m=po_cancelled"),
        )),
        Err(e @ AppError::Validation(_)) => {
            let mut form = FormState::submitted(&["reason"], input.clone()).prefixed("x-");
            form.absorb(e, &[], &format!("/purchase-orders/{id}"))?;
            let forms = Forms {
                cancel: form,
                ..Forms::fresh()
            };
            show_page(&state, &page, id, forms, None).await
        }
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn close(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .close_purchase_order(&page.caller, id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}?m=po_closed"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}
