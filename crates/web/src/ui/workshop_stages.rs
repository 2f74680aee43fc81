//! The stage lists as pages: the company's list (Administration → Workshop stages,
//! administrators) and a project's own list (its manager). One form edits the whole list:
//! up, down, remove and add change the form only; **Save** saves the list in one go, checked
//! by the domain's rules, with each error beside its row.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::workshop::StageListInput;
use formula_domain::authz::Action;
use formula_domain::workshop::{StageInput, StageKind};
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};

/// The most rows the form reads back (the domain allows 30).
const ROWS_MAX: usize = 40;

/// One row of the form.
pub struct Row {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub error: Option<String>,
}

/// What the whole form shows.
pub struct StageForm {
    pub action: String,
    pub rows: Vec<Row>,
    /// Errors about the list as a whole.
    pub errors: Vec<String>,
    pub can_manage: bool,
    /// Stages taken off a project's list after they held quantities.
    pub archived: Vec<String>,
    /// The company's list is the built-in one.
    pub is_default: bool,
    pub company: bool,
}

impl StageForm {
    fn kinds(&self) -> [(&'static str, &'static str); 3] {
        [("work", "Work"), ("qa", "QA"), ("packed", "Packed")]
    }
}

#[derive(Template)]
#[template(path = "workshop/stages_company.html", whitespace = "minimize")]
struct CompanyPage {
    layout: Layout,
    form: StageForm,
}

#[derive(Template)]
#[template(path = "workshop/stages_project.html", whitespace = "minimize")]
struct ProjectPage {
    layout: Layout,
    head: ProjectHeader,
    form: StageForm,
}

fn rows_of(stages: &[StageInput]) -> Vec<Row> {
    stages
        .iter()
        .map(|s| Row {
            key: s.key.clone(),
            name: s.name.clone(),
            kind: s.kind.as_str().to_owned(),
            error: None,
        })
        .collect()
}

/// The rows as submitted.
fn read_rows(input: &FormData) -> Vec<Row> {
    let n = input
        .raw("rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(ROWS_MAX);
    (0..n)
        .map(|i| Row {
            key: input.text(&format!("key_{i}")).trim().to_owned(),
            name: input.text(&format!("name_{i}")),
            kind: input.text(&format!("kind_{i}")),
            error: None,
        })
        .collect()
}

/// A key for a new stage, from its name: `Spray booth 2` → `spray_booth_2`.
fn key_from(name: &str) -> String {
    let mut key = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let mut key = key.trim_end_matches('_').to_owned();
    if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        key.insert_str(0, "stage_");
    }
    key.truncate(40);
    key
}

/// Applies an up/down/remove/add button; `None` for Save.
fn apply(rows: &mut Vec<Row>, op: &str) -> Option<Flash> {
    let (verb, at) = op.split_once(':').unwrap_or((op, ""));
    let at = at.parse::<usize>().ok().filter(|i| *i < rows.len());
    match (verb, at) {
        ("up", Some(i)) if i > 0 => rows.swap(i - 1, i),
        ("down", Some(i)) if i + 1 < rows.len() => rows.swap(i, i + 1),
        ("remove", Some(i)) => {
            rows.remove(i);
        }
        ("add", _) => {
            // Before the packed stage, which stays last.
            let at = match rows.last() {
                Some(r) if r.kind == "packed" => rows.len() - 1,
                _ => rows.len(),
            };
            rows.insert(
                at,
                Row {
                    key: String::new(),
                    name: String::new(),
                    kind: "work".into(),
                    error: None,
                },
            );
        }
        _ => return None,
    }
    Some(Flash::info(
        "Not saved yet: press Save list to keep the changes.",
    ))
}

/// The list to save, or the form's rows with what is wrong.
fn to_input(rows: &mut [Row], errors: &mut Vec<String>) -> Option<StageListInput> {
    let mut stages = Vec::new();
    let mut ok = true;
    for r in rows.iter_mut() {
        if r.key.is_empty() {
            r.key = key_from(&r.name);
        }
        let Some(kind) = StageKind::parse(&r.kind) else {
            r.error = Some("Choose work, QA or packed.".into());
            ok = false;
            continue;
        };
        stages.push(StageInput {
            key: r.key.clone(),
            name: r.name.trim().to_owned(),
            kind,
        });
    }
    if rows.is_empty() {
        errors.push("The list must hold at least the packed stage.".into());
        ok = false;
    }
    ok.then_some(StageListInput { stages })
}

/// Puts the domain's errors beside their rows (`stages[2].name`) or above the list.
fn absorb(e: AppError, rows: &mut [Row], errors: &mut Vec<String>) -> Result<(), PageError> {
    let AppError::Validation(fields) = e else {
        return match e {
            AppError::Conflict { message, .. } => {
                errors.push(message);
                Ok(())
            }
            other => Err(other.into()),
        };
    };
    for f in fields.0 {
        let row = f
            .field
            .strip_prefix("stages[")
            .and_then(|r| r.split_once(']'))
            .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest.trim_start_matches('.'))));
        match row {
            Some((i, what)) if i < rows.len() => {
                let text = format!(
                    "{} {}",
                    if what == "key" { "Key" } else { "Name" },
                    f.message
                );
                rows[i].error = Some(match rows[i].error.take() {
                    Some(before) => format!("{before}; {text}"),
                    None => text,
                });
            }
            _ => errors.push(format!("The list {}.", f.message)),
        }
    }
    Ok(())
}

fn saved_flash(query: &FormData) -> Option<Flash> {
    (query.opt("m").as_deref() == Some("saved")).then(|| Flash::success("Stages saved."))
}

fn company_page(
    page: &Page,
    form: StageForm,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let view = CompanyPage {
        layout: page.layout_with(Section::System, "Workshop stages", flash),
        form,
    };
    render(status, &view)
}

/// The company's list (administrators).
pub async fn company(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    if !page.can(Action::ManageWorkshopStages) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let list = state.services.company_stages(&page.caller).await?;
    let form = StageForm {
        action: "/admin/company/workshop-stages".into(),
        rows: rows_of(&list.stages),
        errors: Vec::new(),
        can_manage: true,
        archived: Vec::new(),
        is_default: list.is_default,
        company: true,
    };
    let flash = saved_flash(&FormData::from_query(raw.as_deref()));
    company_page(&page, form, flash, StatusCode::OK)
}

/// Edits or saves the company's list.
pub async fn save_company(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    if !page.can(Action::ManageWorkshopStages) {
        return Err(PageError::App(AppError::Forbidden));
    }
    let mut rows = read_rows(&input);
    let mut errors = Vec::new();
    let op = input.text("op");
    let s = &state.services;
    let form = |rows, errors, is_default| StageForm {
        action: "/admin/company/workshop-stages".into(),
        rows,
        errors,
        can_manage: true,
        archived: Vec::new(),
        is_default,
        company: true,
    };
    if op == "defaults" {
        s.replace_company_stages(&page.caller, StageListInput { stages: Vec::new() })
            .await?;
        return Ok(see_other(
            page.htmx,
            "/admin/company/workshop-stages?m=saved",
        ));
    }
    if let Some(flash) = apply(&mut rows, &op) {
        return company_page(
            &page,
            form(rows, errors, false),
            Some(flash),
            StatusCode::OK,
        );
    }
    if let Some(list) = to_input(&mut rows, &mut errors) {
        match s.replace_company_stages(&page.caller, list).await {
            Ok(_) => {
                return Ok(see_other(
                    page.htmx,
                    "/admin/company/workshop-stages?m=saved",
                ));
            }
            Err(e) => absorb(e, &mut rows, &mut errors)?,
        }
    }
    company_page(
        &page,
        form(rows, errors, false),
        Some(Flash::error(
            "The stages were not saved: see what is wrong below.",
        )),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

async fn project_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    form: StageForm,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (project, access) = state.services.project_for(&page.caller, id).await?;
    let view = ProjectPage {
        layout: page.layout_with(
            Section::Projects,
            format!("Workshop stages · {}", project.code),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "workshop"),
        form,
    };
    render(status, &view)
}

/// A project's own list (whoever sees its workshop; its manager changes it).
pub async fn project(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let list = state.services.project_stages(&page.caller, id).await?;
    let form = StageForm {
        action: format!("/projects/{id}/workshop/stages"),
        rows: list
            .stages
            .iter()
            .filter(|s| !s.archived)
            .map(|s| Row {
                key: s.key.clone(),
                name: s.name.clone(),
                kind: s.kind.as_str().to_owned(),
                error: None,
            })
            .collect(),
        errors: Vec::new(),
        can_manage: list.can_manage,
        archived: list
            .stages
            .iter()
            .filter(|s| s.archived)
            .map(|s| s.name.clone())
            .collect(),
        is_default: false,
        company: false,
    };
    let flash = saved_flash(&FormData::from_query(raw.as_deref()));
    project_page(&state, &page, id, form, flash, StatusCode::OK).await
}

/// Edits or saves a project's list.
pub async fn save_project(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let current = state.services.project_stages(&page.caller, id).await?;
    if !current.can_manage {
        return Err(PageError::App(AppError::Forbidden));
    }
    let archived: Vec<String> = current
        .stages
        .iter()
        .filter(|s| s.archived)
        .map(|s| s.name.clone())
        .collect();
    let mut rows = read_rows(&input);
    let mut errors = Vec::new();
    let op = input.text("op");
    let form = |rows, errors| StageForm {
        action: format!("/projects/{id}/workshop/stages"),
        rows,
        errors,
        can_manage: true,
        archived: archived.clone(),
        is_default: false,
        company: false,
    };
    if let Some(flash) = apply(&mut rows, &op) {
        return project_page(
            &state,
            &page,
            id,
            form(rows, errors),
            Some(flash),
            StatusCode::OK,
        )
        .await;
    }
    if let Some(list) = to_input(&mut rows, &mut errors) {
        match state
            .services
            .replace_project_stages(&page.caller, id, list)
            .await
        {
            Ok(_) => {
                return Ok(see_other(
                    page.htmx,
                    &format!("/projects/{id}/workshop/stages?m=saved"),
                ));
            }
            Err(e) => absorb(e, &mut rows, &mut errors)?,
        }
    }
    project_page(
        &state,
        &page,
        id,
        form(rows, errors),
        Some(Flash::error(
            "The stages were not saved: see what is wrong below.",
        )),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::key_from;

    #[test]
    fn keys_come_from_names() {
        assert_eq!(key_from("Spray booth 2"), "spray_booth_2");
        assert_eq!(key_from("  Veneer -- pressing "), "veneer_pressing");
        assert_eq!(key_from("3D routing"), "stage_3d_routing");
        assert_eq!(key_from(""), "stage_");
    }
}
