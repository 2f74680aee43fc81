//! Item labels for the workshop as a PDF (`GET /projects/{id}/labels.pdf`).

use axum::extract::State;
use axum::response::Response;
use formula_app::labels::{LabelQuery, MAX_ITEMS};
use uuid::Uuid;

use super::ApiResult;
use super::extract::PathId;
use super::params::{ListFilter, Parsed, QueryParams};
use super::problems::{Forbidden, Invalid};
use crate::auth::ApiCaller;
use crate::labels::LabelStock;
use crate::state::AppState;

/// What to label and on which stock (`GET /projects/{id}/labels.pdf`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Describes the parameters for the document; `read` parses them.
pub struct LabelParams {
    /// The items to label, in this order, as ids separated by commas (at most 500); without
    /// it, every item of the project the filters let through (cancelled ones left out).
    #[param(style = Form, explode = false, max_items = 500)]
    pub items: Option<Vec<Uuid>>,
    /// Items of this group.
    pub group_id: Option<Uuid>,
    /// Items in a room of this building, or on a room type with rooms in it.
    pub building_id: Option<Uuid>,
    /// Items in a room of this level, or on a room type with rooms on it (one label per
    /// unit: only the units for rooms on the level).
    pub level_id: Option<Uuid>,
    /// Items in this room, or on its room type (one per unit: the units for this room).
    pub room_id: Option<Uuid>,
    /// Items placed on this room type.
    pub room_type_id: Option<Uuid>,
    /// `true`: only items released to production. Default `false`.
    pub released: Option<bool>,
    /// `a4` (default): A4 sheets of 2 × 7 labels of 99.1 × 38.1 mm (Avery L7163);
    /// `thermal`: 100 × 50 mm labels, one a page.
    #[param(inline)]
    pub layout: Option<LabelStock>,
    /// `true`: one label per unit ("Unit 3 of 12") for items counted in whole units; an item
    /// placed on a room type gets each unit's room. Default `false`: one label per item.
    pub per_unit: Option<bool>,
}

/// The request as read.
pub struct LabelRequest {
    pub query: LabelQuery,
    pub stock: LabelStock,
}

impl ListFilter for LabelParams {
    type Query = LabelRequest;
    fn read(p: &mut QueryParams) -> LabelRequest {
        let items = p.ids("items", MAX_ITEMS);
        LabelRequest {
            query: LabelQuery {
                items,
                group_id: p.id("group_id"),
                place: p.place(),
                released_only: p.flag("released").unwrap_or(false),
                per_unit: p.flag("per_unit").unwrap_or(false),
            },
            stock: p.choice("layout").unwrap_or_default(),
        }
    }
}

/// Item labels as PDF
///
/// One label per item, or per unit, with the item's code, name, project, where it goes
/// (room and level, or room type) and quantity, and a QR code holding the address of the
/// item's page (from `PUBLIC_URL`). At most 1,000 labels a request (422 beyond, and when no
/// item matches or a named item is not the project's). For those who see the workshop,
/// never client users.
#[utoipa::path(
    get,
    path = "/projects/{id}/labels.pdf",
    tag = "labels",
    params(("id" = Uuid, Path, description = "Project id"), LabelParams),
    responses(
        (status = 200, description = "The PDF, as an attachment", content(("application/pdf"))),
        Forbidden,
        Invalid,
    )
)]
pub async fn labels_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    PathId(id): PathId,
    Parsed(req, _): Parsed<LabelParams>,
) -> ApiResult<Response> {
    Ok(crate::labels::pdf(&state, &caller.caller, id, &req.query, req.stock).await?)
}
