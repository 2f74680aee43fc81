//! The company settings page (administrators): the letterhead printed on documents, the
//! default terms, and the logo.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use formula_app::AppError;
use formula_domain::authz::Action;
use formula_domain::company::{CompanyInput, CompanySettings};
use formula_domain::errors::FieldErrors;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::{render, see_other};
use crate::uploads;

const FIELDS: &[&str] = &[
    "name",
    "address",
    "tax_number",
    "phone",
    "email",
    "website",
    "document_terms",
    "version",
    "file",
];

#[derive(Template)]
#[template(path = "company/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    form: FormState,
    settings: CompanySettings,
}

fn edit_page(
    page: &Page,
    form: FormState,
    settings: CompanySettings,
) -> Result<Response, PageError> {
    let view = EditPage {
        layout: page.layout(Section::System, "Company settings"),
        form,
        settings,
    };
    render(view.form.status(), &view)
}

fn filled(s: &CompanySettings) -> FormState {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    FormState::new(FIELDS)
        .with("name", s.name.clone())
        .with("address", o(&s.address))
        .with("tax_number", o(&s.tax_number))
        .with("phone", o(&s.phone))
        .with("email", o(&s.email))
        .with("website", o(&s.website))
        .with("document_terms", o(&s.document_terms))
        .with("version", s.version.to_string())
}

pub async fn show(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    if !page.can(Action::ManageCompany) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let s = state.services.company_settings(&page.caller).await?;
    edit_page(&page, filled(&s), s)
}

pub async fn save(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let company = CompanyInput {
        name: input.text("name"),
        address: input.opt("address"),
        tax_number: input.opt("tax_number"),
        phone: input.opt("phone"),
        email: input.opt("email"),
        website: input.opt("website"),
        document_terms: input.opt("document_terms"),
        version: None,
    };
    let mut form = FormState::submitted(FIELDS, input);
    if errors.is_empty() {
        match state
            .services
            .save_company_settings(&page.caller, version, company)
            .await
        {
            Ok(_) => return Ok(see_other(false, "/admin/company?m=saved")),
            Err(e) => form.absorb(e, &[], "/admin/company")?,
        }
    } else {
        form.add_errors(errors, &[]);
    }
    let current = state.services.company_settings(&page.caller).await?;
    edit_page(&page, form, current)
}

/// Uploads the logo (a multipart form, so the CSRF token is checked here); a refused file
/// is shown beside the file field.
pub async fn upload_logo(
    State(state): State<AppState>,
    page: Page,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let s = &state.services;
    s.may_manage_company(&page.caller)?;
    let current = s.company_settings(&page.caller).await?;
    let limit = formula_domain::company::MAX_LOGO_BYTES + 64 * 1024;
    let form = match uploads::spool_multipart(multipart, &s.blobs.spool_dir(), limit).await {
        Ok(f) => f,
        Err(e) => {
            let mut f = filled(&current);
            f.errors.add("file", e.message());
            return edit_page(&page, f, current);
        }
    };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let version = form
        .field("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let mut f = filled(&current);
    let Some(file) = form.file() else {
        f.errors.add("file", "choose a PNG or JPEG picture");
        return edit_page(&page, f, current);
    };
    let result = s
        .set_company_logo(&page.caller, version, &file.0, |bytes| {
            formula_reports::pdf::check_image(bytes)
                .map(|_| ())
                .map_err(|e| e.0)
        })
        .await;
    match result {
        Ok(_) => Ok(see_other(false, "/admin/company?m=saved")),
        Err(e) => {
            f.absorb(e, &[], "/admin/company")?;
            edit_page(&page, f, current)
        }
    }
}

pub async fn remove_logo(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    if !errors.is_empty() {
        return Err(PageError::bad_request(
            "The form does not say which version it removes from.",
        ));
    }
    state
        .services
        .remove_company_logo(&page.caller, version)
        .await?;
    Ok(see_other(false, "/admin/company?m=saved"))
}

/// The logo, for the settings page's preview (any internal user may read it).
pub async fn logo(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    match state.services.company_logo(&page.caller).await? {
        Some((bytes, mime)) => Ok(crate::api::company::logo_response(bytes, &mime)),
        None => Err(PageError::App(AppError::NotFound("company logo"))),
    }
}
