//! Importing a spreadsheet in the browser — a scope of work, material specifications, or a
//! project's locations:
//! upload, a preview that lists every row and what is wrong with the bad ones, and a
//! confirmation that imports all or nothing. Exports and templates are downloads of
//! `crate::scope_files`, `crate::spec_files` and `crate::location_files`.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::scope_import::{ImportPreview, Sheet};
use formula_domain::authz::{Action, ProjectAccess};
use uuid::Uuid;

use crate::csrf::{CsrfForm, CsrfUpload};
use crate::error::PageError;
use crate::scope_files::{self, Format, NumberChoice, UploadError};
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

/// What is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Scope,
    Materials,
    Locations,
}

impl ImportKind {
    /// The project tab, which is also the URL segment (`/projects/{id}/scope/import`).
    pub fn tab(self) -> &'static str {
        match self {
            ImportKind::Scope => "scope",
            ImportKind::Materials => "materials",
            ImportKind::Locations => "locations",
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            ImportKind::Scope => "Import a scope spreadsheet",
            ImportKind::Materials => "Import a materials spreadsheet",
            ImportKind::Locations => "Import a locations spreadsheet",
        }
    }

    pub fn template_path(self) -> &'static str {
        match self {
            ImportKind::Scope => "/scope/template",
            ImportKind::Materials => "/materials/template",
            ImportKind::Locations => "/locations/template",
        }
    }

    /// Which columns to use, in words.
    pub fn columns_hint(self) -> &'static str {
        match self {
            ImportKind::Scope => {
                "headers such as Group, Item code, Name, Qty, Unit, Rate. Group and Name are required"
            }
            ImportKind::Materials => {
                "headers such as Code, Description, Category, Supplier, Qty, Unit cost, Lead time, Needed on site. Code and Description are required"
            }
            ImportKind::Locations => {
                "the headers Code, Name, Kind (Building, Level, Zone or Room), Parent (the code of the building, level or zone it sits in) and Room type (a room type's code). Code, Name and Kind are required; a row may sit in a place on an earlier line"
            }
        }
    }

    /// How rows match what is there, in words.
    pub fn matching_hint(self) -> &'static str {
        match self {
            ImportKind::Scope => {
                "Rows whose item code already exists update that item, so importing the same file again changes nothing."
            }
            ImportKind::Materials => {
                "Rows whose code already exists update that specification, so importing the same file again changes nothing; a submitted or approved specification cannot be changed this way."
            }
            ImportKind::Locations => {
                "Rows whose code already exists must say the same as that place (an export imports back unchanged); rename or move a place on the Locations tab."
            }
        }
    }

    /// The preview's name column.
    pub fn name_header(self) -> &'static str {
        match self {
            ImportKind::Materials => "Description",
            ImportKind::Scope | ImportKind::Locations => "Name",
        }
    }

    /// The preview's third column: what the row's group says.
    pub fn group_header(self) -> &'static str {
        match self {
            ImportKind::Scope => "Group",
            ImportKind::Materials => "Category",
            ImportKind::Locations => "Kind",
        }
    }

    fn may(self, state: &AppState, page: &Page, access: ProjectAccess) -> bool {
        let action = match self {
            ImportKind::Scope => Action::ManageScope,
            ImportKind::Materials => Action::ManageSpecs,
            ImportKind::Locations => Action::ManageLocations,
        };
        state.services.may(&page.caller, action, access)
    }

    async fn preview(
        self,
        state: &AppState,
        page: &Page,
        id: Uuid,
        sheet: &Sheet,
    ) -> Result<ImportPreview, AppError> {
        let s = &state.services;
        match self {
            ImportKind::Scope => s.preview_scope_import(&page.caller, id, sheet).await,
            ImportKind::Materials => s.preview_spec_import(&page.caller, id, sheet).await,
            ImportKind::Locations => s.preview_location_import(&page.caller, id, sheet).await,
        }
    }

    async fn apply(
        self,
        state: &AppState,
        page: &Page,
        id: Uuid,
        sheet: &Sheet,
    ) -> Result<ImportPreview, AppError> {
        let s = &state.services;
        match self {
            ImportKind::Scope => s.apply_scope_import(&page.caller, id, sheet).await,
            ImportKind::Materials => s.apply_spec_import(&page.caller, id, sheet).await,
            ImportKind::Locations => s.apply_location_import(&page.caller, id, sheet).await,
        }
    }
}

#[derive(Template)]
#[template(path = "import.html", whitespace = "minimize")]
struct ImportPage {
    layout: Layout,
    head: ProjectHeader,
    kind: ImportKind,
    /// Why the last upload could not be read at all.
    problem: Option<String>,
    /// The number format chosen for the last upload: `auto`, `decimal_point` or `decimal_comma`.
    number_format: &'static str,
    /// The checked file, its name and its rows for the confirmation.
    preview: Option<(ImportPreview, String, String)>,
}

async fn import_page(
    state: &AppState,
    page: &Page,
    kind: ImportKind,
    numbers: NumberChoice,
    id: Uuid,
    problem: Option<String>,
    preview: Option<(ImportPreview, String, String)>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let (project, access) = s.project_for(&page.caller, id).await?;
    if !kind.may(state, page, access) {
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
            format!("{} · {}", kind.heading(), project.code),
        ),
        head: ProjectHeader::new(project, access, page, state, kind.tab()),
        kind,
        problem,
        number_format: numbers.0.map_or("auto", |m| m.as_str()),
        preview,
    };
    render(status, &view)
}

async fn show(
    kind: ImportKind,
    state: AppState,
    page: Page,
    id: Uuid,
) -> Result<Response, PageError> {
    import_page(&state, &page, kind, NumberChoice(None), id, None, None).await
}

/// Checks an uploaded file and shows what importing it would do.
async fn upload(
    kind: ImportKind,
    state: AppState,
    page: Page,
    id: Uuid,
    upload: CsrfUpload,
) -> Result<Response, PageError> {
    let chosen = upload
        .fields
        .iter()
        .find(|(k, _)| k == "number_format")
        .map_or("", |(_, v)| v.as_str());
    let Ok(numbers) = chosen.parse::<NumberChoice>() else {
        let problem = "Choose a number format from the list.".to_owned();
        let choice = NumberChoice(None);
        return import_page(&state, &page, kind, choice, id, Some(problem), None).await;
    };
    let Some((name, bytes)) = upload.file else {
        let problem = "Choose a spreadsheet file (.xlsx or .csv) to import.".to_owned();
        return import_page(&state, &page, kind, numbers, id, Some(problem), None).await;
    };
    let sheet = match scope_files::read_upload(&state.read_pool, bytes, &name, numbers.0).await {
        Ok(sheet) => sheet,
        Err(e) => {
            let problem = format!("{name}: {}.", e.message());
            let mut page =
                import_page(&state, &page, kind, numbers, id, Some(problem), None).await?;
            *page.status_mut() = e.status();
            if e.status() == StatusCode::SERVICE_UNAVAILABLE {
                page.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(UploadError::RETRY_AFTER_SECS),
                );
            }
            return Ok(page);
        }
    };
    let preview = kind.preview(&state, &page, id, &sheet).await?;
    let rows = serde_json::to_string(&sheet)
        .map_err(|e| PageError::App(AppError::Internal(e.to_string())))?;
    import_page(
        &state,
        &page,
        kind,
        numbers,
        id,
        None,
        Some((preview, name, rows)),
    )
    .await
}

/// Imports the rows the preview showed (checked again: things may have changed since).
async fn confirm(
    kind: ImportKind,
    state: AppState,
    page: Page,
    id: Uuid,
    input: FormData,
) -> Result<Response, PageError> {
    let sheet: Sheet = serde_json::from_str(input.raw("rows")).map_err(|_| {
        PageError::bad_request("The import form is incomplete; upload the file again.")
    })?;
    let name = input.text("file_name");
    match kind.apply(&state, &page, id, &sheet).await {
        Ok(p) => Ok(see_other(
            false,
            &format!(
                "/projects/{id}/{}?m={}",
                kind.tab(),
                if p.creates + p.updates == 0 {
                    "import_unchanged"
                } else {
                    "imported"
                }
            ),
        )),
        Err(AppError::Validation(_)) | Err(AppError::Stale { .. }) => {
            // Something changed since the preview: show the file checked against today's data.
            let preview = kind.preview(&state, &page, id, &sheet).await?;
            let rows = input.text("rows");
            let numbers = NumberChoice((!sheet.numbers.inferred).then_some(sheet.numbers.mark));
            import_page(
                &state,
                &page,
                kind,
                numbers,
                id,
                None,
                Some((preview, name, rows)),
            )
            .await
        }
        Err(e) => Err(PageError::App(e)),
    }
}

pub async fn show_scope(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show(ImportKind::Scope, state, page, id).await
}

pub async fn upload_scope(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    file: CsrfUpload,
) -> Result<Response, PageError> {
    upload(ImportKind::Scope, state, page, id, file).await
}

pub async fn confirm_scope(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    confirm(ImportKind::Scope, state, page, id, input).await
}

pub async fn show_materials(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show(ImportKind::Materials, state, page, id).await
}

pub async fn upload_materials(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    file: CsrfUpload,
) -> Result<Response, PageError> {
    upload(ImportKind::Materials, state, page, id, file).await
}

pub async fn confirm_materials(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    confirm(ImportKind::Materials, state, page, id, input).await
}

pub async fn show_locations(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show(ImportKind::Locations, state, page, id).await
}

pub async fn upload_locations(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    file: CsrfUpload,
) -> Result<Response, PageError> {
    upload(ImportKind::Locations, state, page, id, file).await
}

pub async fn confirm_locations(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    confirm(ImportKind::Locations, state, page, id, input).await
}

/// The project's locations as `.xlsx` or `.csv`.
pub async fn export_locations(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let format = format_of(query)?;
    let (project, _) = state.services.project_for(&page.caller, id).await?;
    let (tree, _) = state.services.project_locations(&page.caller, id).await?;
    crate::location_files::export(&tree, &project.code, format)
        .map_err(|e| PageError::App(AppError::Internal(e)))
}

/// The empty locations import template.
pub async fn locations_template(
    _page: Page,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    crate::location_files::template(format_of(query)?)
        .map_err(|e| PageError::App(AppError::Internal(e)))
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

/// The priced scope as PDF (the export menu's third choice).
pub async fn export_pdf(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    Ok(crate::documents::scope_pdf(&state, &page.caller, id).await?)
}

/// The empty scope import template.
pub async fn template(_page: Page, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    scope_files::template(format_of(query)?).map_err(|e| PageError::App(AppError::Internal(e)))
}

/// The empty materials import template.
pub async fn materials_template(
    _page: Page,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    crate::spec_files::template(format_of(query)?)
        .map_err(|e| PageError::App(AppError::Internal(e)))
}
