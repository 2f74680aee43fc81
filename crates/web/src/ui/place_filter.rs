//! The place filters of list pages (drawings, materials, readiness): select boxes for the
//! building, level, room and room type, read from the query string with the page's other
//! filters so each keeps the others.

use formula_app::location_filter::LocationFilter;
use formula_domain::location::LocationKind;
use uuid::Uuid;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Opt};
use crate::ui::layout::Page;

/// The query-string names of the place filters.
pub const PLACE_FIELDS: &[&str] = &["building_id", "level_id", "room_id", "room_type_id"];

/// One select box: its field name, label, the "any" choice and the places.
pub struct PlaceSelect {
    pub name: &'static str,
    pub label: &'static str,
    pub blank: &'static str,
    pub options: Vec<Opt>,
}

/// The select boxes that have choices; none when the project has no locations (then the
/// page shows no place filter).
#[derive(Default)]
pub struct PlaceOptions {
    pub selects: Vec<PlaceSelect>,
}

impl PlaceOptions {
    pub fn is_empty(&self) -> bool {
        self.selects.is_empty()
    }
}

/// The place asked for (a value that is not an id is ignored, as by the other filters).
pub fn read(data: &FormData) -> LocationFilter {
    let id = |name: &str| data.opt(name).and_then(|v| v.parse::<Uuid>().ok());
    LocationFilter {
        building_id: id("building_id"),
        level_id: id("level_id"),
        room_id: id("room_id"),
        room_type_id: id("room_type_id"),
    }
}

/// The project's places as options.
pub async fn options(
    state: &AppState,
    page: &Page,
    project: Uuid,
) -> Result<PlaceOptions, PageError> {
    let (locs, _) = match state
        .services
        .project_locations(&page.caller, project)
        .await
    {
        Ok(l) => l,
        Err(formula_app::AppError::Forbidden) => return Ok(PlaceOptions::default()),
        Err(e) => return Err(e.into()),
    };
    let of = |kind: LocationKind| -> Vec<Opt> {
        locs.locations
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| Opt::new(l.id.to_string(), format!("{} · {}", l.code, l.name)))
            .collect()
    };
    let rooms = locs
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Room)
        .map(|l| Opt::new(l.id.to_string(), l.code.clone()))
        .collect();
    let room_types = locs
        .room_types
        .iter()
        .map(|t| Opt::new(t.id.to_string(), format!("{} · {}", t.code, t.name)))
        .collect();
    let selects = [
        (
            "building_id",
            "Building",
            "Any building",
            of(LocationKind::Building),
        ),
        ("level_id", "Level", "Any level", of(LocationKind::Level)),
        ("room_id", "Room", "Any room", rooms),
        ("room_type_id", "Room type", "Any room type", room_types),
    ]
    .into_iter()
    .filter(|(_, _, _, options)| !options.is_empty())
    .map(|(name, label, blank, options)| PlaceSelect {
        name,
        label,
        blank,
        options,
    })
    .collect();
    Ok(PlaceOptions { selects })
}
