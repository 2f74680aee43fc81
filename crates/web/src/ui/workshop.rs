//! The Workshop tab and the company-wide board (`/workshop`): columns by stage, cards by
//! item with the quantity at that position. A card's button (or a drag onto the next
//! column) opens one of the page's two shared dialogs — move on, or QA pass and fail with
//! photos — filled by app.js from the card's `data-ws-*` attributes; without JavaScript the
//! button is a link to the card's own page with the same form. Undo is on the item's page.
//! Other people's moves arrive live (`workshop.moved`).

use askama::Template;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::workshop::{
    BoardColumn, BoardFilter, CardChoice, CompanyBoard, CompanyBoardFilter, MoveInput, QaInput,
    UndoInput, WorkshopBoard,
};
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
    /// Back to the company-wide board after a move (always false here).
    to_all: bool,
}

impl BoardPage {
    fn due_filters(&self) -> &'static [Due] {
        Due::ALL
    }

    fn qa_next(&self, next: &Option<StageKind>) -> bool {
        *next == Some(StageKind::Qa)
    }

    /// Whether the caller may move a card of this column on (or check it, QA being next).
    fn can_act(&self, col: &BoardColumn) -> bool {
        match col.next_kind {
            None => false,
            Some(StageKind::Qa) => self.board.can_run_qa,
            Some(_) => self.board.can_move,
        }
    }

    /// The column a card of `col` moves into.
    fn next_col(&self, col: &BoardColumn) -> Option<&BoardColumn> {
        let next = col.next_stage_id?;
        self.board.columns.iter().find(|c| c.stage_id == Some(next))
    }

    /// The QA dialog's "back to" choices (project, stage, name); one project here.
    fn rework_options(&self) -> Vec<(String, Uuid, String)> {
        self.board
            .rework_stages
            .iter()
            .map(|s| (String::new(), s.id, s.name.clone()))
            .collect()
    }

    /// A fresh idempotency key for each rendered form: the same form sent twice (a double
    /// click, a resend after a lost answer) moves once.
    fn form_key(&self) -> String {
        formula_domain::new_id().to_string()
    }
}

#[derive(Template)]
#[template(path = "workshop/company.html", whitespace = "minimize")]
struct CompanyPage {
    layout: crate::ui::layout::Layout,
    board: CompanyBoard,
    project_id: String,
    level_id: String,
    q: String,
    /// The due filter's value, as on a project's board.
    due: String,
    back: String,
    to_all: bool,
}

impl CompanyPage {
    fn due_filters(&self) -> &'static [Due] {
        Due::ALL
    }

    fn qa_next(&self, next: &Option<StageKind>) -> bool {
        *next == Some(StageKind::Qa)
    }

    /// The live-update names of the board: a move in any of its projects refreshes it.
    fn live_tokens(&self) -> String {
        self.board
            .projects
            .iter()
            .map(|p| format!("workshop:{}", p.id))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The QA dialog's "back to" choices (project, stage, name) of every project shown;
    /// app.js offers those of the card's project.
    fn rework_options(&self) -> Vec<(String, Uuid, String)> {
        self.board
            .projects
            .iter()
            .flat_map(|p| {
                p.rework_stages
                    .iter()
                    .map(|s| (p.id.to_string(), s.id, s.name.clone()))
            })
            .collect()
    }

    fn form_key(&self) -> String {
        formula_domain::new_id().to_string()
    }
}

/// A card's own page: what its button opens without JavaScript.
#[derive(Template)]
#[template(path = "workshop/card.html", whitespace = "minimize")]
struct CardPage {
    layout: crate::ui::layout::Layout,
    c: CardChoice,
    to_all: bool,
    back_href: String,
}

impl CardPage {
    fn qa_next(&self) -> bool {
        self.c.next_kind == Some(StageKind::Qa)
    }

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
        to_all: false,
        board,
    };
    render(status, &view)
}

fn read_company_filter(q: &FormData) -> CompanyBoardFilter {
    CompanyBoardFilter {
        project_id: q.opt("project_id").and_then(|v| v.parse().ok()),
        level_id: q.opt("level_id").and_then(|v| v.parse().ok()),
        q: q.opt("q"),
        due: q.opt("due").and_then(|v| v.parse().ok()),
    }
}

fn company_back_query(q: &FormData) -> String {
    let mut parts = Vec::new();
    if let Some(p) = q.opt("project_id").and_then(|v| v.parse::<Uuid>().ok()) {
        parts.push(format!("project_id={p}"));
    }
    let rest = back_query(q);
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts.join("&")
}

async fn company_page(
    state: &AppState,
    page: &Page,
    query: FormData,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let board = state
        .services
        .company_workshop_board(&page.caller, read_company_filter(&query))
        .await?;
    let flash = flash.or_else(|| match query.opt("m").as_deref() {
        Some("moved") => Some(Flash::success("Moved.")),
        Some("checked") => Some(Flash::success("QA check recorded.")),
        _ => None,
    });
    let view = CompanyPage {
        layout: page.layout_with(Section::Workshop, "Workshop", flash),
        project_id: query.opt("project_id").unwrap_or_default(),
        level_id: query.opt("level_id").unwrap_or_default(),
        q: query.opt("q").unwrap_or_default(),
        due: query
            .opt("due")
            .and_then(|v| v.parse::<Due>().ok())
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        back: company_back_query(&query),
        to_all: true,
        board,
    };
    render(status, &view)
}

/// The company-wide board: every project whose workshop the caller may see.
pub async fn company(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let query = FormData::from_query(raw.as_deref());
    company_page(&state, &page, query, None, StatusCode::OK).await
}

/// A card's own page (`?item=…&at=<stage>`, no `at` for "not started"): the move or QA
/// form the board's dialog holds, for a browser without JavaScript.
pub async fn card(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let query = FormData::from_query(raw.as_deref());
    let Some(item) = query.opt("item").and_then(|v| v.parse().ok()) else {
        return Err(PageError::bad_request(
            "The address does not say which item (item=…).",
        ));
    };
    let at = match query.opt("at") {
        None => None,
        Some(v) => match v.parse() {
            Ok(s) => Some(s),
            Err(_) => {
                return Err(PageError::bad_request("The address names no stage (at=…)."));
            }
        },
    };
    let c = state
        .services
        .workshop_card(&page.caller, id, item, at)
        .await?;
    let to_all = query.opt("to").as_deref() == Some("all");
    let view = CardPage {
        layout: page.layout(Section::Projects, format!("Workshop · {}", c.code)),
        back_href: if to_all {
            "/workshop".to_owned()
        } else {
            format!("/projects/{id}/workshop")
        },
        to_all,
        c,
    };
    render(StatusCode::OK, &view)
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

/// Where a move or check goes back to: the project's board, or the company's (`to=all`).
fn back_to(id: Uuid, to_all: bool, back: Option<&str>, m: &str) -> String {
    let board = if to_all {
        "/workshop".to_owned()
    } else {
        format!("/projects/{id}/workshop")
    };
    match back.filter(|b| !b.is_empty()) {
        Some(b) => format!("{board}?{b}&m={m}"),
        None => format!("{board}?m={m}"),
    }
}

/// A refused move or check: the board again, saying why.
async fn refused(
    state: &AppState,
    page: &Page,
    id: Uuid,
    to_all: bool,
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
    if to_all {
        return company_page(state, page, query, Some(Flash::error(message)), status).await;
    }
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
    let to_all = input.opt("to").as_deref() == Some("all");
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
                to_all,
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
        Ok(_) => Ok(see_other(
            page.htmx,
            &back_to(id, to_all, back.as_deref(), "moved"),
        )),
        Err(e) => refused(&state, &page, id, to_all, back.as_deref(), e).await,
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
    let to_all = form.field("to") == Some("all");
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
                to_all,
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
                notes: form
                    .field("notes")
                    .filter(|n| !n.trim().is_empty())
                    .map(str::to_owned),
            },
            &photos,
            key.as_ref(),
        )
        .await;
    match done {
        Ok(_) => Ok(see_other(
            page.htmx,
            &back_to(id, to_all, back.as_deref(), "checked"),
        )),
        Err(e) => refused(&state, &page, id, to_all, back.as_deref(), e).await,
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
