//! Importing a scope spreadsheet in the browser: upload, a preview that lists every row
//! and what is wrong with the bad ones, and a confirmation that imports all or nothing.
//! Exports and the template are downloads of `crate::scope_files`.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::scope_import::{ImportPreview, Sheet};
use uuid::Uuid;

use crate::csrf::{CsrfForm, CsrfUpload};
use crate::error::PageError;
use crate::scope_files::{self, Format};
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

#[derive(Template)]
#[template(path = "scope/import.html", whitespace = "minimize")]
struct ImportPage {
    layout: Layout,
    head: ProjectHeader,
    /// Why the last upload could not be read at all.
    problem: Option<String>,
    /// The checked file, its name and its rows for the confirmation.
    preview: Option<(ImportPreview, String, String)>,
}

async fn import_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    problem: Option<String>,
    preview: Option<(ImportPreview, String, String)>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    if !s.may_manage_scope(&page.caller, access) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let status = match (&problem, &preview) {
        (Some(_), _) => StatusCode::UNPROCESSABLE_ENTITY,
        (None, Some((p, _, _))) if !p.valid => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let view = ImportPage {
        layout: page.layout(
            Section::Projects,
            format!("Import scope · {}", project.code),
        ),
        head: ProjectHeader::new(project, access, page, state, "scope"),
        problem,
        preview,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    import_page(&state, &page, id, None, None).await
}

/// Checks an uploaded file and shows what importing it would do.
pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    let Some((name, bytes)) = upload.file else {
        let problem = "Choose a spreadsheet file (.xlsx or .csv) to import.".to_owned();
        return import_page(&state, &page, id, Some(problem), None).await;
    };
    let sheet = match scope_files::read_upload(&bytes, &name) {
        Ok(sheet) => sheet,
        Err(e) => {
            let problem = format!("{name}: {e}.");
            return import_page(&state, &page, id, Some(problem), None).await;
        }
    };
    let preview = state
        .services
        .preview_scope_import(&page.caller, id, &sheet)
        .await?;
    let rows = serde_json::to_string(&sheet)
        .map_err(|e| PageError::App(AppError::Internal(e.to_string())))?;
    import_page(&state, &page, id, None, Some((preview, name, rows))).await
}

/// Imports the rows the preview showed (checked again: the scope may have changed since).
pub async fn confirm(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let sheet: Sheet = serde_json::from_str(input.raw("rows")).map_err(|_| {
        PageError::bad_request("The import form is incomplete; upload the file again.")
    })?;
    let name = input.text("file_name");
    let s = &state.services;
    match s.apply_scope_import(&page.caller, id, &sheet).await {
        Ok(p) => Ok(see_other(
            false,
            &format!(
                "/projects/{id}/scope?m={}",
                if p.creates + p.updates == 0 {
                    "import_unchanged"
                } else {
                    "imported"
                }
            ),
        )),
        Err(AppError::Validation(_)) | Err(AppError::Stale { .. }) => {
            // Something changed since the preview: show the file checked against today's scope.
            let preview = s.preview_scope_import(&page.caller, id, &sheet).await?;
            let rows = input.text("rows");
            import_page(&state, &page, id, None, Some((preview, name, rows))).await
        }
        Err(e) => Err(PageError::App(e)),
    }
}

fn format_of(query: Option<String>) -> Result<Format, PageError> {
    let q = FormData::from_query(query.as_deref());
    match q.opt("format") {
        None => Ok(Format::Xlsx),
        Some(f) => f
            .parse()
            .map_err(|_| PageError::bad_request("Choose the xlsx or csv format.")),
    }
}

/// The scope as `.xlsx` or `.csv`.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let format = format_of(query)?;
    let (project, _, overview) = state.services.scope_overview(&page.caller, id).await?;
    scope_files::export(&overview, &project.code, format)
        .map_err(|e| PageError::App(AppError::Internal(e)))
}

/// The empty import template.
pub async fn template(_page: Page, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    scope_files::template(format_of(query)?).map_err(|e| PageError::App(AppError::Internal(e)))
}
