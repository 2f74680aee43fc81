//! The 142-key hotel's structure: a tower of six guest-room levels (120 King rooms on
//! levels 2–6, 22 Twin rooms on level 1), a corridor per level and the lobby, a pool
//! pavilion beside it, and guest-room joinery placed on the room types (one line per type
//! covering every room of it) or in single rooms.

use formula_app::context::Caller;
use formula_app::locations::{NewLocation, NewRoomType};
use formula_app::scope::NewScopeItem;
use formula_app::{AppError, Services};
use formula_domain::location::{LocationKind, RoomPattern};
use formula_domain::scope::Quantity;
use uuid::Uuid;

/// A scope line placed on a room type (`per_room` in each) or in one room (`per_room` is
/// then its quantity).
struct Placed {
    group: &'static str,
    name: &'static str,
    on: &'static str,
    per_room: &'static str,
    unit: &'static str,
    unit_price: i64,
}

const PLACED: &[Placed] = &[
    Placed {
        group: "Millwork",
        name: "Wardrobe with sliding doors, King room",
        on: "KING",
        per_room: "1",
        unit: "pcs",
        unit_price: 4_200,
    },
    Placed {
        group: "Millwork",
        name: "Upholstered headboard panel, King room",
        on: "KING",
        per_room: "1",
        unit: "pcs",
        unit_price: 1_850,
    },
    Placed {
        group: "Millwork",
        name: "Luggage rack and minibar unit",
        on: "KING",
        per_room: "1",
        unit: "set",
        unit_price: 1_120,
    },
    Placed {
        group: "Millwork",
        name: "Wardrobe, Twin room",
        on: "TWIN",
        per_room: "1",
        unit: "pcs",
        unit_price: 3_900,
    },
    Placed {
        group: "Millwork",
        name: "Writing desk, Twin room",
        on: "TWIN",
        per_room: "2",
        unit: "pcs",
        unit_price: 950,
    },
    Placed {
        group: "Construction",
        name: "Corridor wall panelling, oak veneer",
        on: "CORR",
        per_room: "42.5",
        unit: "m²",
        unit_price: 240,
    },
    Placed {
        group: "Millwork",
        name: "Reception desk, Old Town lobby",
        on: "OT-L01-LOBBY",
        per_room: "1",
        unit: "pcs",
        unit_price: 68_000,
    },
    Placed {
        group: "Millwork",
        name: "Pool bar counter",
        on: "PP-L00-BAR",
        per_room: "1",
        unit: "pcs",
        unit_price: 27_500,
    },
];

fn refused(what: &str, e: AppError) -> AppError {
    AppError::Internal(format!("demo locations: {what}: {e}"))
}

fn place(
    kind: LocationKind,
    parent: Option<Uuid>,
    code: &str,
    name: &str,
    room_type_id: Option<Uuid>,
) -> NewLocation {
    NewLocation {
        kind,
        parent_id: parent,
        code: code.to_owned(),
        name: name.to_owned(),
        room_type_id,
    }
}

async fn add(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    input: NewLocation,
) -> Result<Uuid, AppError> {
    let code = input.code.clone();
    Ok(s.create_location(pm, project_id, input)
        .await
        .map_err(|e| refused(&code, e))?
        .id)
}

/// Creates the structure and the placed scope lines; returns how many lines.
pub async fn seed(
    s: &Services,
    pm: &Caller,
    project_id: Uuid,
    scale: i64,
) -> Result<usize, AppError> {
    let mut types = Vec::new();
    for (code, name, description) in [
        (
            "KING",
            "King guest room",
            "32 m², king bed, wardrobe by the entrance",
        ),
        (
            "TWIN",
            "Twin guest room",
            "30 m², two single beds and two desks",
        ),
        (
            "CORR",
            "Corridor type B",
            "Guest corridor of a typical level",
        ),
    ] {
        let t = s
            .create_room_type(
                pm,
                project_id,
                NewRoomType {
                    code: code.into(),
                    name: name.into(),
                    description: Some(description.into()),
                },
            )
            .await
            .map_err(|e| refused(code, e))?;
        types.push((code, t.id));
    }
    let type_id = |code: &str| types.iter().find(|(c, _)| *c == code).map(|(_, id)| *id);

    let tower = add(
        s,
        pm,
        project_id,
        place(
            LocationKind::Building,
            None,
            "OT",
            "Old Town Suites tower",
            None,
        ),
    )
    .await?;
    let pattern = |levels: (u32, u32), rooms: (u32, u32), room_type: &str| RoomPattern {
        building_id: tower,
        levels_from: levels.0,
        levels_to: levels.1,
        rooms_from: rooms.0,
        rooms_to: rooms.1,
        level_code: None,
        level_name: None,
        room_code: None,
        room_name: None,
        room_type_id: type_id(room_type),
    };
    s.create_from_pattern(pm, project_id, &pattern((1, 1), (1, 22), "TWIN"))
        .await
        .map_err(|e| refused("level 1 rooms", e))?;
    s.create_from_pattern(pm, project_id, &pattern((2, 6), (1, 24), "KING"))
        .await
        .map_err(|e| refused("levels 2-6 rooms", e))?;
    let tree = s
        .project_locations(pm, project_id)
        .await
        .map_err(|e| refused("read back", e))?
        .0;
    for level in tree
        .locations
        .iter()
        .filter(|l| l.kind == LocationKind::Level)
    {
        add(
            s,
            pm,
            project_id,
            place(
                LocationKind::Room,
                Some(level.id),
                &format!("{}-COR", level.code),
                &format!("Corridor, {}", level.name),
                type_id("CORR"),
            ),
        )
        .await?;
        if level.code == "OT-L01" {
            add(
                s,
                pm,
                project_id,
                place(
                    LocationKind::Room,
                    Some(level.id),
                    "OT-L01-LOBBY",
                    "Lobby and reception",
                    None,
                ),
            )
            .await?;
        }
    }
    let pavilion = add(
        s,
        pm,
        project_id,
        place(LocationKind::Building, None, "PP", "Pool pavilion", None),
    )
    .await?;
    let ground = add(
        s,
        pm,
        project_id,
        place(
            LocationKind::Level,
            Some(pavilion),
            "PP-L00",
            "Ground",
            None,
        ),
    )
    .await?;
    add(
        s,
        pm,
        project_id,
        place(
            LocationKind::Room,
            Some(ground),
            "PP-L00-BAR",
            "Pool bar",
            None,
        ),
    )
    .await?;
    add(
        s,
        pm,
        project_id,
        place(
            LocationKind::Room,
            Some(ground),
            "PP-L00-WC",
            "Washrooms",
            None,
        ),
    )
    .await?;

    let rooms = s
        .project_locations(pm, project_id)
        .await
        .map_err(|e| refused("read back", e))?
        .0
        .locations;
    let (_, _, overview) = s.scope_overview(pm, project_id).await?;
    for p in PLACED {
        let group = overview
            .groups
            .iter()
            .find(|g| g.group.name == p.group)
            .ok_or_else(|| {
                AppError::Internal(format!("demo scope names an unknown group {}", p.group))
            })?;
        let q = Quantity::parse(p.per_room).map_err(|e| AppError::field("quantity", e))?;
        let room = rooms.iter().find(|l| l.code == p.on).map(|l| l.id);
        let input = NewScopeItem {
            group_id: group.group.id,
            name: p.name.to_owned(),
            unit: Some(p.unit.to_owned()),
            unit_price_minor: Some(p.unit_price * scale),
            room_type_id: type_id(p.on),
            quantity_per_room: type_id(p.on).map(|_| q),
            room_id: room,
            quantity: Some(q),
            ..NewScopeItem::default()
        };
        s.create_scope_item(pm, project_id, input)
            .await
            .map_err(|e| refused(p.name, e))?;
    }
    Ok(PLACED.len())
}
