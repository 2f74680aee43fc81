//! The Workshop tab: the board (columns by stage, cards by item with the quantity at that
//! position), moving a card's quantity through the next stage (a form per card: the
//! keyboard's way, and what a drag submits), QA pass and fail with photos, and undo.
//! Other people's moves arrive live (`workshop.moved`).

use askama::Template;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::workshop::{BoardFilter, MoveInput, QaInput, UndoInput, WorkshopBoard};
use formula_domain::scope::Quantity;
use formula_domain::workshop::{QaResult, StageKind};
use formula_domain::workshop_due::Due;
use uuid::Uuid;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Flash, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::{render, see_other};
use crate::uploads;

#[derive(Template)]
#[template(path = "workshop/board.html", whitespace = "minimize")]
struct BoardPage {
    layout: crate::ui::layout::Layout,
    head: ProjectHeader,
    board: WorkshopBoard,
    level_id: String,
    q: String,
    /// The due filter's value (`late`, `this_week`, `two_weeks`, `no_date`; empty: all).
    due: String,
    /// The query string to come back to after a move.
    back: String,
}

impl BoardPage {
    fn due_filters(&self) -> &'static [Due] {
        Due::ALL
    }

    fn qa_next(&self, next: &Option<StageKind>) -> bool {
        *next == Some(StageKind::Qa)
    }

    /// A fresh idempotency key for each rendered form: the same form sent twice (a double
    /// click, a resend after a lost answer) moves once.
    fn form_key(&self) -> String {
        formula_domain::new_id().to_string()
    }
}

fn read_filter(q: &FormData) -> BoardFilter {
    BoardFilter {
        level_id: q.opt("level_id").and_then(|v| v.parse().ok()),
        q: q.opt("q"),
        due: q.opt("due").and_then(|v| v.parse().ok()),
    }
}

fn back_query(q: &FormData) -> String {
    let mut parts = Vec::new();
    if let Some(l) = q.opt("level_id").and_then(|v| v.parse::<Uuid>().ok()) {
        parts.push(format!("level_id={l}"));
    }
    if let Some(t) = q.opt("q") {
        parts.push(format!("q={}", urlencoding(&t)));
    }
    if let Some(d) = q.opt("due").and_then(|v| v.parse::<Due>().ok()) {
        parts.push(format!("due={d}"));
    }
    parts.join("&")
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn board_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: FormData,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let s = &state.services;
    let board = s
        .workshop_board(&page.caller, id, read_filter(&query))
        .await?;
    let (project, access) = s.project_for(&page.caller, id).await?;
    let flash = flash.or_else(|| match query.opt("m").as_deref() {
        Some("moved") => Some(Flash::success("Moved.")),
        Some("checked") => Some(Flash::success("QA check recorded.")),
        _ => None,
    });
    let view = BoardPage {
        layout: page.layout_with(
            Section::Projects,
            format!("Workshop · {}", project.code),
            flash,
        ),
        head: ProjectHeader::new(project, access, page, state, "workshop"),
        level_id: query.opt("level_id").unwrap_or_default(),
        q: query.opt("q").unwrap_or_default(),
        due: query
            .opt("due")
            .and_then(|v| v.parse::<Due>().ok())
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        back: back_query(&query),
        board,
    };
    render(status, &view)
}

/// The workshop board.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let query = FormData::from_query(raw.as_deref());
    board_page(&state, &page, id, query, None, StatusCode::OK).await
}

fn back_to(id: Uuid, back: Option<&str>, m: &str) -> String {
    match back.filter(|b| !b.is_empty()) {
        Some(b) => format!("/projects/{id}/workshop?{b}&m={m}"),
        None => format!("/projects/{id}/workshop?m={m}"),
    }
}

/// A refused move or check: the board again, saying why.
async fn refused(
    state: &AppState,
    page: &Page,
    id: Uuid,
    back: Option<&str>,
    e: AppError,
) -> Result<Response, PageError> {
    let (message, status) = match &e {
        AppError::Conflict { message, .. } => (message.clone(), StatusCode::CONFLICT),
        AppError::Validation(fields) => (
            fields
                .0
                .iter()
                .map(|f| format!("{}: {}", f.field.replace('_', " "), f.message))
                .collect::<Vec<_>>()
                .join("; "),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        _ => return Err(e.into()),
    };
    let query = FormData::from_query(back);
    board_page(state, page, id, query, Some(Flash::error(message)), status).await
}

/// Moves a card's quantity through the next stage.
pub async fn move_card(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let back = input.opt("back");
    let (Some(item), Some(stage)) = (
        input.opt("scope_item_id").and_then(|v| v.parse().ok()),
        input.opt("stage_id").and_then(|v| v.parse().ok()),
    ) else {
        return Err(PageError::bad_request(
            "The form does not say which item moves through which stage.",
        ));
    };
    let quantity = match Quantity::parse(input.opt("quantity").unwrap_or_default().trim()) {
        Ok(q) => q,
        Err(m) => {
            return refused(
                &state,
                &page,
                id,
                back.as_deref(),
                AppError::field("quantity", m),
            )
            .await;
        }
    };
    let key =
        formula_app::idempotency::IdempotencyKey::from_raw(input.opt("idempotency_key").as_deref());
    let moved = state
        .services
        .move_workshop_once(
            &page.caller,
            id,
            MoveInput {
                scope_item_id: item,
                stage_id: stage,
                quantity,
                note: None,
            },
            key.as_ref(),
        )
        .await;
    match moved {
        Ok(_) => Ok(see_other(page.htmx, &back_to(id, back.as_deref(), "moved"))),
        Err(e) => refused(&state, &page, id, back.as_deref(), e).await,
    }
}

/// Records a QA check (with photos from the phone's camera).
pub async fn qa_check(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let s = &state.services;
    let form =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes)
            .await
            .map_err(|e| PageError::App(AppError::field("photos", e.message())))?;
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let back = form.field("back").map(str::to_owned);
    let Some(item) = form.field("scope_item_id").and_then(|v| v.parse().ok()) else {
        return Err(PageError::bad_request(
            "The form does not say which item was checked.",
        ));
    };
    let result = match form.field("result") {
        Some("pass") => QaResult::Pass,
        _ => QaResult::Fail,
    };
    let quantity = match Quantity::parse(form.field("quantity").unwrap_or_default().trim()) {
        Ok(q) => q,
        Err(m) => {
            return refused(
                &state,
                &page,
                id,
                back.as_deref(),
                AppError::field("quantity", m),
            )
            .await;
        }
    };
    let photos: Vec<_> = form.files.iter().map(|f| f.0.clone()).collect();
    let key = formula_app::idempotency::IdempotencyKey::from_raw(form.field("idempotency_key"));
    let done = s
        .record_qa_check_once(
            &page.caller,
            id,
            QaInput {
                scope_item_id: item,
                quantity,
                result,
                rework_stage_id: form
                    .field("rework_stage_id")
                    .and_then(|v| v.parse().ok())
                    .filter(|_| result == QaResult::Fail),
                notes: form.field("notes").map(str::to_owned),
            },
            &photos,
            key.as_ref(),
        )
        .await;
    match done {
        Ok(_) => Ok(see_other(
            page.htmx,
            &back_to(id, back.as_deref(), "checked"),
        )),
        Err(e) => refused(&state, &page, id, back.as_deref(), e).await,
    }
}

/// Undoes a move (from the item's workshop history).
pub async fn undo(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(_input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let moved = state
        .services
        .undo_workshop_move(&page.caller, id, UndoInput::default())
        .await;
    match moved {
        Ok(m) => Ok(see_other(
            page.htmx,
            &format!("/scope-items/{}/edit#workshop", m.moved.scope_item_id),
        )),
        Err(AppError::Conflict { message, .. }) => Err(PageError::App(AppError::Conflict {
            code: "not_undoable",
            message,
            fields: formula_domain::errors::FieldErrors::new(),
        })),
        Err(e) => Err(e.into()),
    }
}
