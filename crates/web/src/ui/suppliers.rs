//! The supplier directory: the list with search and category filter, the add and edit
//! forms, and the supplier page with its details, contacts, the specifications and
//! purchase orders that use it, and its figures.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::repos::SupplierFilter;
use formula_app::suppliers::{NewSupplier, SupplierContactInput, SupplierDetails, SupplierPatch};
use formula_domain::errors::FieldErrors;
use formula_domain::supplier::{Supplier, category_label, split_categories, suggested_categories};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, IdPair, Opt};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::lists::{ListUrl, Pager, paging};
use crate::ui::{render, see_other};

const PAGE_SIZE: u32 = 50;
const FIELDS: &[&str] = &[
    "name",
    "categories",
    "email",
    "phone",
    "website",
    "address",
    "tax_number",
    "payment_terms",
    "lead_time_days",
    "notes",
];
const CONTACT_FIELDS: &[&str] = &["name", "role", "email", "phone"];

/// The supplier pages' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/suppliers", get(list))
        .route("/suppliers/new", get(new_page).post(create))
        .route("/suppliers/{id}", get(show))
        .route("/suppliers/{id}/edit", get(edit_page).post(update))
        .route("/suppliers/{id}/archive", post(archive))
        .route("/suppliers/{id}/unarchive", post(unarchive))
        .route("/suppliers/{id}/contacts", post(add_contact))
        .route(
            "/suppliers/{id}/contacts/{contact_id}/delete",
            post(remove_contact),
        )
        .route("/suppliers/{id}/contacts/{contact_id}/up", post(move_up))
        .route(
            "/admin/company/purchasing",
            get(settings).post(save_settings),
        )
}

/// A category word with its label, for templates.
pub struct Category {
    pub word: String,
    pub label: String,
}

fn categories_of(s: &Supplier) -> Vec<Category> {
    s.categories
        .iter()
        .map(|w| Category {
            word: w.clone(),
            label: category_label(w),
        })
        .collect()
}

/// The suggested categories, as one line for a form's hint.
fn suggestions() -> String {
    let words: Vec<&str> = suggested_categories().iter().map(|(w, _)| *w).collect();
    format!(
        "Separate with commas, e.g. {}; any other trade is fine too.",
        words.join(", ")
    )
}

// ---- List ----

struct Row {
    s: Supplier,
    categories: Vec<Category>,
}

struct ListView {
    rows: Vec<Row>,
    pager: Pager,
    filtered: bool,
    can_create: bool,
}

#[derive(Template)]
#[template(path = "suppliers/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    form: FormState,
    categories: Vec<Opt>,
    archived: Vec<Opt>,
    view: ListView,
}

#[derive(Template)]
#[template(path = "suppliers/_results.html", whitespace = "minimize")]
struct ListResults<'a> {
    view: &'a ListView,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(raw.as_deref());
    let url = ListUrl::new("/suppliers", &q, &["q", "category", "archived"]);
    let archived = match q.raw("archived") {
        "true" => Some(true),
        "all" => None,
        _ => Some(false),
    };
    let filter = SupplierFilter {
        q: q.opt("q"),
        category: q
            .opt("category")
            .and_then(|c| formula_domain::supplier::parse_category(&c).ok()),
        archived,
        paging: paging(&q, PAGE_SIZE),
    };
    let result = state.services.list_suppliers(&page.caller, &filter).await?;
    let view = ListView {
        pager: Pager::new(&result, &url),
        rows: result
            .items
            .into_iter()
            .map(|s| Row {
                categories: categories_of(&s),
                s,
            })
            .collect(),
        filtered: url.filtered(),
        can_create: state.services.may_manage_suppliers(&page.caller),
    };
    if page.htmx {
        return render(StatusCode::OK, &ListResults { view: &view });
    }
    let categories = state
        .services
        .supplier_categories(&page.caller)
        .await?
        .into_iter()
        .map(|w| {
            let label = category_label(&w);
            Opt::new(w, label)
        })
        .collect();
    let list = ListPage {
        layout: page.layout(Section::Suppliers, "Suppliers"),
        form: FormState::submitted(&["q", "category", "archived"], q),
        categories,
        archived: vec![
            Opt::new("true", "Archived"),
            Opt::new("all", "Active and archived"),
        ],
        view,
    };
    render(StatusCode::OK, &list)
}

// ---- Add and edit ----

#[derive(Template)]
#[template(path = "suppliers/form.html", whitespace = "minimize")]
struct FormPage {
    layout: Layout,
    form: FormState,
    supplier: Option<Supplier>,
    hint: String,
    back: String,
}

fn form_page(
    page: &Page,
    form: FormState,
    supplier: Option<Supplier>,
    back: String,
) -> Result<Response, PageError> {
    let title = match &supplier {
        Some(s) => format!("Edit {}", s.name),
        None => "New supplier".to_owned(),
    };
    let view = FormPage {
        layout: page.layout(Section::Suppliers, title),
        form,
        supplier,
        hint: suggestions(),
        back,
    };
    render(view.form.status(), &view)
}

/// Where to go once a supplier is added: back to a specification form (`?back=`, a local
/// path only), or to the new supplier's page.
fn back_of(q: &FormData) -> String {
    let b = q.raw("back");
    if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') {
        b.to_owned()
    } else {
        String::new()
    }
}

pub async fn new_page(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if !state.services.may_manage_suppliers(&page.caller) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let q = FormData::from_query(raw.as_deref());
    form_page(&page, FormState::new(FIELDS), None, back_of(&q))
}

fn lead_time(input: &FormData, errors: &mut FieldErrors) -> Option<i64> {
    input.int("lead_time_days", errors)
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let new = NewSupplier {
        name: input.text("name"),
        categories: split_categories(input.raw("categories")),
        email: input.opt("email"),
        phone: input.opt("phone"),
        website: input.opt("website"),
        address: input.opt("address"),
        tax_number: input.opt("tax_number"),
        payment_terms: input.opt("payment_terms"),
        lead_time_days: lead_time(&input, &mut errors),
        notes: input.opt("notes"),
    };
    let back = back_of(&input);
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state.services.create_supplier(&page.caller, new).await {
            Ok(s) => {
                let to = if back.is_empty() {
                    format!("/suppliers/{}?m=created", s.id)
                } else {
                    back
                };
                return Ok(see_other(false, &to));
            }
            Err(e) => form.absorb(e, &[], "/suppliers/new")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&page, form, None, back)
}

pub async fn edit_page(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let s = state.services.get_supplier(&page.caller, id).await?;
    if !state.services.may_manage_suppliers(&page.caller) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let form = FormState::new(FIELDS)
        .with("name", s.name.clone())
        .with("categories", s.categories.join(", "))
        .with("email", s.email.clone().unwrap_or_default())
        .with("phone", s.phone.clone().unwrap_or_default())
        .with("website", s.website.clone().unwrap_or_default())
        .with("address", s.address.clone().unwrap_or_default())
        .with("tax_number", s.tax_number.clone().unwrap_or_default())
        .with("payment_terms", s.payment_terms.clone().unwrap_or_default())
        .with(
            "lead_time_days",
            s.lead_time_days.map(|d| d.to_string()).unwrap_or_default(),
        )
        .with("notes", s.notes.clone().unwrap_or_default())
        .with("version", s.version.to_string());
    form_page(&page, form, Some(s), String::new())
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let current = state.services.get_supplier(&page.caller, id).await?;
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let patch = SupplierPatch {
        name: Some(input.text("name")),
        categories: Some(split_categories(input.raw("categories"))),
        email: Some(input.opt("email")),
        phone: Some(input.opt("phone")),
        website: Some(input.opt("website")),
        address: Some(input.opt("address")),
        tax_number: Some(input.opt("tax_number")),
        payment_terms: Some(input.opt("payment_terms")),
        lead_time_days: Some(lead_time(&input, &mut errors)),
        notes: Some(input.opt("notes")),
        version: None,
    };
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state
            .services
            .update_supplier(&page.caller, id, version, patch)
            .await
        {
            Ok(s) => return Ok(see_other(false, &format!("/suppliers/{}?m=saved", s.id))),
            Err(e) => form.absorb(e, &[], &format!("/suppliers/{id}/edit"))?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    form_page(&page, form, Some(current), String::new())
}

// ---- The supplier page ----

#[derive(Template)]
#[template(path = "suppliers/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: Layout,
    d: SupplierDetails,
    categories: Vec<Category>,
    contact_form: FormState,
    can_edit: bool,
}

impl ShowPage {
    fn order_value(&self) -> Option<String> {
        let v = self.d.figures.order_value.as_ref()?;
        if v.is_empty() {
            return Some("—".to_owned());
        }
        Some(
            v.iter()
                .map(|m| {
                    format!(
                        "{} {}",
                        m.currency,
                        formula_domain::money::format_amount(m.amount_minor, &m.currency)
                    )
                })
                .collect::<Vec<_>>()
                .join(" · "),
        )
    }

    fn status_label(status: &str) -> String {
        let s = status.replace('_', " ");
        let mut c = s.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => s,
        }
    }
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    contact_form: FormState,
) -> Result<Response, PageError> {
    let d = state.services.supplier_details(&page.caller, id).await?;
    let status = contact_form.status();
    let view = ShowPage {
        layout: page.layout(Section::Suppliers, d.supplier.name.clone()),
        categories: categories_of(&d.supplier),
        can_edit: state.services.may_manage_suppliers(&page.caller),
        d,
        contact_form,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show_page(&state, &page, id, FormState::new(CONTACT_FIELDS)).await
}

async fn set_archived(
    state: AppState,
    page: Page,
    id: Uuid,
    input: FormData,
    archived: bool,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .set_supplier_archived(&page.caller, id, version, archived)
        .await
    {
        Ok(_) => Ok(see_other(false, &format!("/suppliers/{id}?m=saved"))),
        Err(AppError::Stale { .. }) => Ok(see_other(false, &format!("/suppliers/{id}"))),
        Err(e) => Err(e.into()),
    }
}

pub async fn archive(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    set_archived(state, page, id, input, true).await
}

pub async fn unarchive(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    set_archived(state, page, id, input, false).await
}

pub async fn add_contact(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let new = SupplierContactInput {
        name: input.text("name"),
        role: input.opt("role"),
        email: input.opt("email"),
        phone: input.opt("phone"),
        position: None,
    };
    let mut form = FormState::submitted(CONTACT_FIELDS, input);
    match state
        .services
        .add_supplier_contact(&page.caller, id, new)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/suppliers/{id}?m=contact_added#contacts"),
        )),
        Err(e) => {
            form.absorb(e, &[], &format!("/suppliers/{id}"))?;
            show_page(&state, &page, id, form).await
        }
    }
}

pub async fn remove_contact(
    State(state): State<AppState>,
    page: Page,
    IdPair(id, contact_id): IdPair,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    state
        .services
        .remove_supplier_contact(&page.caller, id, contact_id)
        .await?;
    Ok(see_other(
        false,
        &format!("/suppliers/{id}?m=contact_removed#contacts"),
    ))
}

/// Moves a contact one place up the list.
pub async fn move_up(
    State(state): State<AppState>,
    page: Page,
    IdPair(id, contact_id): IdPair,
    CsrfForm(_): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let contacts = state
        .services
        .list_supplier_contacts(&page.caller, id)
        .await?;
    let c = contacts
        .iter()
        .find(|c| c.id == contact_id)
        .ok_or(AppError::NotFound("contact"))?;
    let input = SupplierContactInput {
        name: c.name.clone(),
        role: c.role.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        position: Some((c.position - 1).max(0)),
    };
    state
        .services
        .update_supplier_contact(&page.caller, id, contact_id, input)
        .await?;
    Ok(see_other(false, &format!("/suppliers/{id}#contacts")))
}

// ---- Purchasing settings (administrators) ----

/// Rows of approval limits the settings form shows (a currency each).
const LIMIT_ROWS: usize = 6;
const SETTINGS_FIELDS: &[&str] = &[
    "designers_see_prices",
    "craftsmen_see_prices",
    "version",
    "currency_0",
    "currency_1",
    "currency_2",
    "currency_3",
    "currency_4",
    "currency_5",
    "limit_0",
    "limit_1",
    "limit_2",
    "limit_3",
    "limit_4",
    "limit_5",
];
/// Errors of the n-th limit go beside its currency field.
const LIMIT_ALIASES: &[(&str, &str)] = &[
    ("approval_limits[0]", "currency_0"),
    ("approval_limits[1]", "currency_1"),
    ("approval_limits[2]", "currency_2"),
    ("approval_limits[3]", "currency_3"),
    ("approval_limits[4]", "currency_4"),
    ("approval_limits[5]", "currency_5"),
];

/// One row of the limits table: its field names.
pub struct LimitRow {
    pub currency: String,
    pub limit: String,
    pub n: usize,
}

#[derive(Template)]
#[template(path = "suppliers/purchasing.html", whitespace = "minimize")]
struct SettingsPage {
    layout: Layout,
    form: FormState,
    rows: Vec<LimitRow>,
}

fn settings_page(page: &Page, form: FormState) -> Result<Response, PageError> {
    let view = SettingsPage {
        layout: page.layout(Section::System, "Purchasing settings"),
        form,
        rows: (0..LIMIT_ROWS)
            .map(|n| LimitRow {
                currency: format!("currency_{n}"),
                limit: format!("limit_{n}"),
                n,
            })
            .collect(),
    };
    render(view.form.status(), &view)
}

pub async fn settings(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let s = state.services.purchasing_settings(&page.caller).await?;
    let mut form = FormState::new(SETTINGS_FIELDS).with("version", s.version.to_string());
    if s.designers_see_prices {
        form = form.with("designers_see_prices", "1");
    }
    if s.craftsmen_see_prices {
        form = form.with("craftsmen_see_prices", "1");
    }
    for (n, l) in s.approval_limits.iter().take(LIMIT_ROWS).enumerate() {
        form = form
            .with(&format!("currency_{n}"), l.currency.clone())
            .with(
                &format!("limit_{n}"),
                formula_domain::money::format_amount(l.project_manager_limit_minor, &l.currency),
            );
    }
    settings_page(&page, form)
}

pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    use formula_domain::purchasing_settings::{ApprovalLimit, PurchasingSettingsInput};
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let mut limits = Vec::new();
    for n in 0..LIMIT_ROWS {
        let currency = input.text(&format!("currency_{n}"));
        let amount = input.text(&format!("limit_{n}"));
        if currency.trim().is_empty() && amount.trim().is_empty() {
            continue;
        }
        let field = format!("currency_{n}");
        match formula_domain::money::parse_currency(&currency) {
            Ok(c) => match formula_domain::money::parse_amount(&amount, &c) {
                Ok(v) => limits.push(ApprovalLimit {
                    currency: c,
                    project_manager_limit_minor: v,
                }),
                Err(m) => errors.add(&format!("limit_{n}"), format!("the limit {m}")),
            },
            Err(m) => errors.add(&field, format!("the currency {m}")),
        }
    }
    let input_settings = PurchasingSettingsInput {
        designers_see_prices: !input.raw("designers_see_prices").is_empty(),
        craftsmen_see_prices: !input.raw("craftsmen_see_prices").is_empty(),
        approval_limits: limits,
        version: None,
    };
    let mut form = FormState::submitted(SETTINGS_FIELDS, input);
    if errors.is_empty() {
        match state
            .services
            .save_purchasing_settings(&page.caller, version, input_settings)
            .await
        {
            Ok(_) => return Ok(see_other(false, "/admin/company/purchasing?m=saved")),
            Err(e) => form.absorb(e, LIMIT_ALIASES, "/admin/company/purchasing")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    settings_page(&page, form)
}
