//! The workshop: the company's and each project's stages, the board, moving quantities
//! through the stages (the production ledger), undoing a move, QA checks and an item's
//! workshop history. A QA check's photos are attachments (`POST /attachments` with
//! `owner_type=qa_check`).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use formula_app::workshop::{
    BoardFilter, CompanyBoard, CompanyBoardFilter, CompanyStages, ItemWorkshop, MoveInput, Moved,
    ProjectStages, QaInput, QaRecorded, StageListInput, UndoInput, WorkshopBoard,
};
use formula_domain::workshop::{ItemPositions, QaCheck, WorkshopMove};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::attachments::idempotency_key;
use super::extract::{PathId, created};
use super::params::{ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use super::{ApiResult, PREFIX};
use crate::auth::ApiCaller;
use crate::error::{ApiJson, Problem};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(company_stages, replace_company_stages))
        .routes(routes!(project_stages, replace_project_stages))
        .routes(routes!(board))
        .routes(routes!(company_board))
        .routes(routes!(project_positions))
        .routes(routes!(move_quantity))
        .routes(routes!(get_move))
        .routes(routes!(undo_move))
        .routes(routes!(record_qa_check))
        .routes(routes!(get_qa_check))
        .routes(routes!(item_workshop))
}

/// Filters of `GET /projects/{id}/workshop/board`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct BoardParams {
    /// Items in a room of this level (or on a room type with rooms there).
    pub level_id: Option<uuid::Uuid>,
    /// Code or name contains this.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Items late in the workshop, due (to be packed by) this week or in 2 weeks, or without
    /// an installation date, as of today (docs/workshop.md, "Late in the workshop").
    #[param(inline)]
    pub due: Option<formula_domain::workshop_due::Due>,
}

impl ListFilter for BoardParams {
    type Query = BoardFilter;
    fn read(p: &mut QueryParams) -> BoardFilter {
        BoardFilter {
            level_id: p.id("level_id"),
            q: p.text("q"),
            due: p.choice("due"),
        }
    }
}

/// Filters of `GET /workshop/board`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct CompanyBoardParams {
    /// One project only.
    pub project_id: Option<uuid::Uuid>,
    /// Items in a room of this level (or on a room type with rooms there).
    pub level_id: Option<uuid::Uuid>,
    /// Code or name contains this.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Items late in the workshop, due (to be packed by) this week or in 2 weeks, or without
    /// an installation date.
    #[param(inline)]
    pub due: Option<formula_domain::workshop_due::Due>,
}

impl ListFilter for CompanyBoardParams {
    type Query = CompanyBoardFilter;
    fn read(p: &mut QueryParams) -> CompanyBoardFilter {
        CompanyBoardFilter {
            project_id: p.id("project_id"),
            level_id: p.id("level_id"),
            q: p.text("q"),
            due: p.choice("due"),
        }
    }
}

/// The company-wide workshop board
///
/// The boards of every project whose workshop the caller may see, on one board: a column
/// per stage key ("not started" first, in the projects' order), each card with its project
/// and the stage of its project it moves through next. Staff only (403 for client users);
/// a project the caller is not on (and may not see as an administrator or executive) is
/// not there.
#[utoipa::path(
    get,
    path = "/workshop/board",
    tag = "workshop",
    params(CompanyBoardParams),
    responses((status = 200, body = CompanyBoard), Forbidden, Invalid)
)]
pub async fn company_board(
    State(state): State<AppState>,
    caller: ApiCaller,
    Parsed(filter, _): Parsed<CompanyBoardParams>,
) -> ApiResult<Json<CompanyBoard>> {
    Ok(Json(
        state
            .services
            .company_workshop_board(&caller.caller, filter)
            .await?,
    ))
}

/// The company's workshop stages
///
/// The list new projects copy (the built-in defaults while nobody changed it:
/// cutting, edge-banding, machining, assembly, finishing, QA, packed). Administrators.
#[utoipa::path(
    get,
    path = "/company/workshop-stages",
    tag = "workshop",
    responses((status = 200, body = CompanyStages), Forbidden)
)]
pub async fn company_stages(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<CompanyStages>> {
    Ok(Json(state.services.company_stages(&caller.caller).await?))
}

/// Replace the company's workshop stages
///
/// In order; exactly one `packed` stage and it is the last; at most one `qa` stage, not the
/// first; keys and names unique. An empty list goes back to the defaults. Projects that
/// already have their stages keep them. Administrators.
#[utoipa::path(
    put,
    path = "/company/workshop-stages",
    tag = "workshop",
    request_body = StageListInput,
    responses((status = 200, body = CompanyStages), Forbidden, Invalid)
)]
pub async fn replace_company_stages(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(input): ApiJson<StageListInput>,
) -> ApiResult<Json<CompanyStages>> {
    Ok(Json(
        state
            .services
            .replace_company_stages(&caller.caller, input)
            .await?,
    ))
}

/// A project's workshop stages
///
/// Copied from the company's list the first time the project's workshop is touched (this
/// call included). Archived stages (taken off the list after they held quantities) come
/// last.
#[utoipa::path(
    get,
    path = "/projects/{id}/workshop/stages",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = ProjectStages), Forbidden)
)]
pub async fn project_stages(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ProjectStages>> {
    Ok(Json(
        state.services.project_stages(&caller.caller, id).await?,
    ))
}

/// Change a project's workshop stages
///
/// The whole list, in order, under the same rules as the company's. Stages are matched by
/// `key` (renamed, reordered); a stage left out is deleted if it was never used, archived
/// if it was, and refused (409 `stage_holds_quantities`) while it holds quantities. The
/// project's manager.
#[utoipa::path(
    put,
    path = "/projects/{id}/workshop/stages",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Project id")),
    request_body = StageListInput,
    responses(
        (status = 200, body = ProjectStages),
        (status = 409, description = "A stage left out holds quantities", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn replace_project_stages(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<StageListInput>,
) -> ApiResult<Json<ProjectStages>> {
    Ok(Json(
        state
            .services
            .replace_project_stages(&caller.caller, id, input)
            .await?,
    ))
}

/// The workshop board
///
/// Columns by position ("released, not started", then each stage), cards by item with the
/// quantity at that position; each column says which stage its cards move through next.
/// Each card carries the item's installation date, the day it must be packed by (5 working
/// days before) and whether it is late in the workshop; `due` filters on them.
#[utoipa::path(
    get,
    path = "/projects/{id}/workshop/board",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Project id"), BoardParams),
    responses((status = 200, body = WorkshopBoard), Forbidden, Invalid)
)]
pub async fn board(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(filter, _): Parsed<BoardParams>,
) -> ApiResult<Json<WorkshopBoard>> {
    Ok(Json(
        state
            .services
            .workshop_board(&caller.caller, id, filter)
            .await?,
    ))
}

/// Quantities per position
///
/// Every released item of the project with what is at each position (derived from the
/// ledger), what is packed and what was dispatched from packed.
#[utoipa::path(
    get,
    path = "/projects/{id}/workshop/positions",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Project id")),
    responses((status = 200, body = Vec<ItemPositions>), Forbidden)
)]
pub async fn project_positions(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<ItemPositions>>> {
    Ok(Json(
        state.services.project_positions(&caller.caller, id).await?,
    ))
}

/// Move a quantity through a stage
///
/// "`quantity` more of an item through `stage_id`": a ledger row from the stage before it
/// (or from "released, not started" for the first). Refused with 409 and a sentence that
/// says what can go (e.g. "only 4 of 12 are through assembly; 4 can go through
/// finishing"), even with several people moving the same item at once; also for an item
/// not released. The QA stage is passed by a QA check.
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours moves
/// nothing and answers with the move the first request made (200).
#[utoipa::path(
    post,
    path = "/projects/{id}/workshop/moves",
    tag = "workshop",
    params(
        ("id" = Uuid, Path, description = "Project id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per move: a retry with the same key moves nothing more"),
    ),
    request_body = MoveInput,
    responses(
        (status = 201, body = Moved, headers(("location" = String))),
        (status = 200, description = "This `Idempotency-Key` was sent before (a retry after a lost answer): the move the first request made, and nothing new", body = Moved),
        (status = 409, description = "More than is at the stage before, the item is not released, or the `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn move_quantity(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers);
    let (moved, new) = state
        .services
        .move_workshop_once(&caller.caller, id, input, key.as_ref())
        .await?;
    if !new {
        return Ok(Json(moved).into_response());
    }
    Ok(created(
        format!("{PREFIX}/workshop/moves/{}", moved.moved.id),
        None,
        Json(moved),
    ))
}

/// A workshop move
#[utoipa::path(
    get,
    path = "/workshop/moves/{id}",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Move id")),
    responses((status = 200, body = WorkshopMove), Forbidden)
)]
pub async fn get_move(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<WorkshopMove>> {
    Ok(Json(
        state.services.get_workshop_move(&caller.caller, id).await?,
    ))
}

/// Undo a workshop move
///
/// A new row moves the same quantity back (a move is undone once; an undo and a QA
/// check's row are not undone). Refused (409) when what it reached has moved on since, or
/// was dispatched from the packed stage.
#[utoipa::path(
    post,
    path = "/workshop/moves/{id}/undo",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Move id")),
    request_body = UndoInput,
    responses(
        (status = 201, description = "The row that undoes it", body = Moved, headers(("location" = String))),
        (status = 409, description = "Undone already, not undoable, or moved on since", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn undo_move(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<UndoInput>,
) -> ApiResult<Response> {
    let moved = state
        .services
        .undo_workshop_move(&caller.caller, id, input)
        .await?;
    Ok(created(
        format!("{PREFIX}/workshop/moves/{}", moved.moved.id),
        None,
        Json(moved),
    ))
}

/// Record a QA check
///
/// At the QA stage: a `pass` moves the quantity through QA; a `fail` (with `notes`) sends
/// it back to before `rework_stage_id` (a stage before QA), counted as rework, and tells
/// the project's managers and coordinators. Photos: `POST /attachments` with
/// `owner_type=qa_check`.
///
/// With an `Idempotency-Key` header, a retry by the same user within 24 hours records
/// nothing and answers with the check the first request made (200).
#[utoipa::path(
    post,
    path = "/projects/{id}/workshop/qa-checks",
    tag = "workshop",
    params(
        ("id" = Uuid, Path, description = "Project id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), fresh per check: a retry with the same key records nothing more"),
    ),
    request_body = QaInput,
    responses(
        (status = 201, body = QaRecorded, headers(("location" = String))),
        (status = 200, description = "This `Idempotency-Key` was sent before (a retry after a lost answer): the check the first request made, and nothing new", body = QaRecorded),
        (status = 409, description = "More than waits for QA, the item is not released, the project has no QA stage, or the `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        Forbidden,
        Invalid,
    )
)]
pub async fn record_qa_check(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<QaInput>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers);
    let (done, new) = state
        .services
        .record_qa_check_once(&caller.caller, id, input, &[], key.as_ref())
        .await?;
    if !new {
        return Ok(Json(done).into_response());
    }
    Ok(created(
        format!("{PREFIX}/workshop/qa-checks/{}", done.check.id),
        None,
        Json(done),
    ))
}

/// A QA check, with its photos
#[utoipa::path(
    get,
    path = "/workshop/qa-checks/{id}",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "QA check id")),
    responses((status = 200, body = QaCheck), Forbidden)
)]
pub async fn get_qa_check(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<QaCheck>> {
    Ok(Json(state.services.get_qa_check(&caller.caller, id).await?))
}

/// A scope item's workshop
///
/// Its quantities per position, every move (who, when) and QA check with photos, and the
/// rework counted.
#[utoipa::path(
    get,
    path = "/scope-items/{id}/workshop",
    tag = "workshop",
    params(("id" = Uuid, Path, description = "Scope item id")),
    responses((status = 200, body = ItemWorkshop), Forbidden)
)]
pub async fn item_workshop(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
) -> ApiResult<Json<ItemWorkshop>> {
    Ok(Json(
        state.services.item_workshop(&caller.caller, id).await?,
    ))
}
