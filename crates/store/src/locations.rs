//! A project's locations (one tree table) and room types, and the re-derivation of
//! room-type items' quantities whenever the rooms of a type change.

use formula_app::error::AppError;
use formula_app::repos::LocationRepo;
use formula_app::scope::MONEY_MAX_MINOR;
use formula_domain::audit::AuditEntry;
use formula_domain::location::{Location, RoomType, effective_quantity};
use formula_domain::scope::Quantity;
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult, has_dependents};
use crate::pool::Db;
use crate::rows::{convert, parse_enum};
use crate::sql::Stmt;

/// Re-derives, inside the open transaction `$tx`, the quantity and line total of every scope
/// item placed on each of the room types `$type_ids`, from the rooms the type has now.
/// Every write that changes a type's rooms or a room-type item calls it before committing,
/// so stored quantities and totals (which every rollup reads) never disagree with the rooms.
macro_rules! refresh_room_type_items {
    ($tx:ident, $type_ids:expr) => {{
        for type_id in $type_ids {
            let type_id: uuid::Uuid = type_id;
            let rooms = fetch_scalar!(
                &mut *$tx,
                i64,
                $crate::sql::Stmt::new("SELECT COUNT(*) FROM locations WHERE room_type_id = $1")
                    .bind(type_id)
            )?;
            let items = fetch_all!(
                &mut *$tx,
                $crate::locations::PlacedRow,
                $crate::sql::Stmt::new(
                    "SELECT id, quantity_per_room_milli, unit_price_minor FROM scope_items \
                     WHERE room_type_id = $1"
                )
                .bind(type_id)
            )?;
            for item in items {
                let (quantity, total) = $crate::locations::derived(&item, rooms);
                exec!(
                    &mut *$tx,
                    $crate::sql::Stmt::new(
                        "UPDATE scope_items SET quantity_milli = $1, total_minor = $2 WHERE id = $3"
                    )
                    .bind(quantity)
                    .bind(total)
                    .bind(item.id)
                )?;
            }
        }
    }};
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlacedRow {
    pub(crate) id: Uuid,
    pub(crate) quantity_per_room_milli: Option<i64>,
    pub(crate) unit_price_minor: Option<i64>,
}

/// A room-type item's effective quantity (thousandths) and line total for `rooms` rooms.
/// Past the largest storable amount the total is left unknown rather than wrong.
pub(crate) fn derived(item: &PlacedRow, rooms: i64) -> (i64, Option<i64>) {
    let per_room = Quantity(item.quantity_per_room_milli.unwrap_or(0));
    let quantity = effective_quantity(per_room, rooms).unwrap_or(Quantity(i64::MAX));
    let total = item
        .unit_price_minor
        .and_then(|price| quantity.times(price))
        .filter(|t| *t <= MONEY_MAX_MINOR);
    (quantity.0, total)
}

const LOCATION_COLUMNS: &str = "l.id, l.project_id, l.kind, l.parent_id, l.building_id, l.level_id, \
     l.room_type_id, l.code, l.name, l.position, l.created_at, l.updated_at, l.version";

#[derive(sqlx::FromRow)]
struct LocationRow {
    id: Uuid,
    project_id: Uuid,
    kind: String,
    parent_id: Option<Uuid>,
    building_id: Option<Uuid>,
    level_id: Option<Uuid>,
    room_type_id: Option<Uuid>,
    code: String,
    name: String,
    position: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl TryFrom<LocationRow> for Location {
    type Error = DbError;
    fn try_from(r: LocationRow) -> DbResult<Self> {
        Ok(Location {
            id: r.id,
            project_id: r.project_id,
            kind: parse_enum(&r.kind, "locations.kind")?,
            parent_id: r.parent_id,
            building_id: r.building_id,
            level_id: r.level_id,
            room_type_id: r.room_type_id,
            code: r.code,
            name: r.name,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TextCount {
    location: String,
    n: i64,
}

const TYPE_COLUMNS: &str = "t.id, t.project_id, t.code, t.name, t.description, t.position, \
     (SELECT COUNT(*) FROM locations c WHERE c.room_type_id = t.id) AS room_count, \
     t.created_at, t.updated_at, t.version";

#[derive(sqlx::FromRow)]
struct TypeRow {
    id: Uuid,
    project_id: Uuid,
    code: String,
    name: String,
    description: Option<String>,
    position: i64,
    room_count: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl From<TypeRow> for RoomType {
    fn from(r: TypeRow) -> Self {
        RoomType {
            id: r.id,
            project_id: r.project_id,
            code: r.code,
            name: r.name,
            description: r.description,
            position: r.position,
            room_count: r.room_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

fn location_by_id(id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {LOCATION_COLUMNS} FROM locations l WHERE l.id = $1"
    ))
    .bind(id)
}

fn type_by_id(id: Uuid) -> Stmt {
    Stmt::new(format!(
        "SELECT {TYPE_COLUMNS} FROM room_types t WHERE t.id = $1"
    ))
    .bind(id)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    updated_at: OffsetDateTime,
}

fn stale(current: Option<VersionRow>, what: &'static str) -> DbError {
    match current {
        Some(v) => DbError::App(AppError::Stale {
            current_version: v.version,
            updated_by: None,
            updated_at: Some(v.updated_at),
        }),
        None => DbError::App(AppError::NotFound(what)),
    }
}

fn location_version(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at FROM locations WHERE id = $1").bind(id)
}

fn type_version(id: Uuid) -> Stmt {
    Stmt::new("SELECT version, updated_at FROM room_types WHERE id = $1").bind(id)
}

/// "T1-L01, T1-L02 and 3 more": the first few codes of what is in the way.
fn some_codes(codes: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = codes
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > SHOWN {
        s.push_str(&format!(" and {} more", codes.len() - SHOWN));
    }
    s
}

fn insert_location(l: &Location) -> Stmt {
    Stmt::new(
        "INSERT INTO locations (id, project_id, kind, parent_id, building_id, level_id, room_type_id, \
         code, name, position, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(l.id)
    .bind(l.project_id)
    .bind(l.kind.as_str())
    .bind(l.parent_id)
    .bind(l.building_id)
    .bind(l.level_id)
    .bind(l.room_type_id)
    .bind(&l.code)
    .bind(&l.name)
    .bind(l.position)
    .bind(l.created_at)
    .bind(l.updated_at)
    .bind(l.version)
}

#[repo]
impl LocationRepo for Db {
    async fn list_locations(&self, project_id: Uuid) -> DbResult<Vec<Location>> {
        let stmt = Stmt::new(format!(
            "SELECT {LOCATION_COLUMNS} FROM locations l WHERE l.project_id = $1 \
             ORDER BY l.position, l.code, l.id"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, LocationRow, stmt)?);
        convert(rows)
    }

    async fn get_location(&self, id: Uuid) -> DbResult<Option<Location>> {
        let row = on_reader!(self, |pool| fetch_optional!(
            pool,
            LocationRow,
            location_by_id(id)
        )?);
        row.map(Location::try_from).transpose()
    }

    async fn location_codes(&self, project_id: Uuid) -> DbResult<Vec<String>> {
        let stmt = Stmt::new("SELECT code FROM locations WHERE project_id = $1").bind(project_id);
        Ok(on_reader!(self, |pool| fetch_scalars!(pool, String, stmt)?))
    }

    async fn insert_locations(
        &self,
        locations: &[Location],
        entries: &[AuditEntry],
    ) -> DbResult<()> {
        let mut types: Vec<Uuid> = locations.iter().filter_map(|l| l.room_type_id).collect();
        types.sort_unstable();
        types.dedup();
        in_tx!(self, |tx| {
            for l in locations {
                exec!(&mut *tx, insert_location(l))?;
            }
            for e in entries {
                exec!(&mut *tx, audit::insert(e))?;
            }
            refresh_room_type_items!(tx, types.iter().copied());
        });
        Ok(())
    }

    async fn update_location(
        &self,
        l: &Location,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<Location> {
        let before = Stmt::new("SELECT room_type_id FROM locations WHERE id = $1").bind(l.id);
        let stmt = Stmt::new(
            "UPDATE locations SET code = $1, name = $2, position = $3, room_type_id = $4, \
             updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(&l.code)
        .bind(&l.name)
        .bind(l.position)
        .bind(l.room_type_id)
        .bind(l.updated_at)
        .bind(l.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            let old_type = fetch_scalars!(&mut *tx, Option<Uuid>, before)?
                .into_iter()
                .next()
                .flatten();
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, location_version(l.id))?,
                    "location",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            if old_type != l.room_type_id {
                refresh_room_type_items!(tx, old_type.into_iter().chain(l.room_type_id));
                // A room given another type no longer holds its old type's items.
                let over = fetch_all!(
                    &mut *tx,
                    crate::installations::OverRow,
                    crate::installations::over_installed(true, l.id)
                )?;
                if !over.is_empty() {
                    return Err(crate::installations::over_installed_error(&over));
                }
            }
            fetch_optional!(&mut *tx, LocationRow, location_by_id(l.id))?
        });
        row.ok_or(DbError::App(AppError::NotFound("location")))
            .and_then(Location::try_from)
    }

    async fn delete_location(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let children =
            Stmt::new("SELECT code FROM locations WHERE parent_id = $1 ORDER BY position, code")
                .bind(id);
        let items =
            Stmt::new("SELECT code FROM scope_items WHERE room_id = $1 ORDER BY code").bind(id);
        let room_type = Stmt::new("SELECT room_type_id FROM locations WHERE id = $1").bind(id);
        let stmt = Stmt::new("DELETE FROM locations WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            let inside = fetch_scalars!(&mut *tx, String, children)?;
            if !inside.is_empty() {
                return Err(DbError::App(has_dependents(format!(
                    "it still holds {} location(s) ({}); delete those first",
                    inside.len(),
                    some_codes(&inside)
                ))));
            }
            let placed = fetch_scalars!(&mut *tx, String, items)?;
            if !placed.is_empty() {
                return Err(DbError::App(has_dependents(format!(
                    "{} scope item(s) are placed in it ({}); place them elsewhere first",
                    placed.len(),
                    some_codes(&placed)
                ))));
            }
            let installed = fetch_scalars!(
                &mut *tx,
                String,
                crate::installations::items_installed_in(id)
            )?;
            if !installed.is_empty() {
                return Err(DbError::App(has_dependents(format!(
                    "it has installation records of {} item(s) ({}); the ledger keeps them, so the room stays",
                    installed.len(),
                    some_codes(&installed)
                ))));
            }
            let old_type = fetch_scalars!(&mut *tx, Option<Uuid>, room_type)?
                .into_iter()
                .next()
                .flatten();
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, location_version(id))?,
                    "location",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            refresh_room_type_items!(tx, old_type.into_iter());
        });
        Ok(())
    }

    async fn unmapped_locations(&self, project_id: Uuid) -> DbResult<Vec<(String, i64)>> {
        let stmt = Stmt::new(
            "SELECT location, COUNT(*) AS n FROM scope_items WHERE project_id = $1 \
             AND location IS NOT NULL AND room_id IS NULL AND room_type_id IS NULL \
             GROUP BY location ORDER BY location",
        )
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, TextCount, stmt)?);
        Ok(rows.into_iter().map(|r| (r.location, r.n)).collect())
    }

    async fn map_free_text(
        &self,
        project_id: Uuid,
        text: &str,
        room_id: Option<Uuid>,
        room_type_id: Option<Uuid>,
        entry: &AuditEntry,
    ) -> DbResult<u64> {
        // On a room type, what the line said for its one place becomes the quantity per room.
        let per_room = if room_type_id.is_some() {
            "quantity_milli"
        } else {
            "NULL"
        };
        let stmt = Stmt::new(format!(
            "UPDATE scope_items SET room_id = $1, room_type_id = $2, quantity_per_room_milli = {per_room}, \
             updated_at = $3, updated_by = $4, version = version + 1 \
             WHERE project_id = $5 AND location = $6 AND room_id IS NULL AND room_type_id IS NULL"
        ))
        .bind(room_id)
        .bind(room_type_id)
        .bind(entry.at)
        .bind(entry.actor_id)
        .bind(project_id)
        .bind(text.to_owned());
        let n = in_tx!(self, |tx| {
            let n = exec!(&mut *tx, stmt)?.rows_affected();
            exec!(&mut *tx, audit::insert(entry))?;
            refresh_room_type_items!(tx, room_type_id.into_iter());
            n
        });
        Ok(n)
    }

    async fn list_room_types(&self, project_id: Uuid) -> DbResult<Vec<RoomType>> {
        let stmt = Stmt::new(format!(
            "SELECT {TYPE_COLUMNS} FROM room_types t WHERE t.project_id = $1 \
             ORDER BY t.position, t.code, t.id"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, TypeRow, stmt)?);
        Ok(rows.into_iter().map(RoomType::from).collect())
    }

    async fn get_room_type(&self, id: Uuid) -> DbResult<Option<RoomType>> {
        let row = on_reader!(self, |pool| fetch_optional!(pool, TypeRow, type_by_id(id))?);
        Ok(row.map(RoomType::from))
    }

    async fn insert_room_type(&self, t: &RoomType, entry: &AuditEntry) -> DbResult<()> {
        let stmt = Stmt::new(
            "INSERT INTO room_types (id, project_id, code, name, description, position, created_at, \
             updated_at, version) VALUES ($1, $2, $3, $4, $5, \
             (SELECT COALESCE(MAX(position) + 1, 0) FROM room_types WHERE project_id = $2), $6, $7, $8)",
        )
        .bind(t.id)
        .bind(t.project_id)
        .bind(&t.code)
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.created_at)
        .bind(t.updated_at)
        .bind(t.version);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }

    async fn update_room_type(
        &self,
        t: &RoomType,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<RoomType> {
        let stmt = Stmt::new(
            "UPDATE room_types SET code = $1, name = $2, description = $3, updated_at = $4, \
             version = version + 1 WHERE id = $5 AND version = $6",
        )
        .bind(&t.code)
        .bind(&t.name)
        .bind(&t.description)
        .bind(t.updated_at)
        .bind(t.id)
        .bind(expected_version);
        let row = in_tx!(self, |tx| {
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, type_version(t.id))?,
                    "room type",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
            fetch_optional!(&mut *tx, TypeRow, type_by_id(t.id))?
        });
        row.map(RoomType::from)
            .ok_or(DbError::App(AppError::NotFound("room type")))
    }

    async fn delete_room_type(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let rooms =
            Stmt::new("SELECT code FROM locations WHERE room_type_id = $1 ORDER BY code").bind(id);
        let items = Stmt::new("SELECT code FROM scope_items WHERE room_type_id = $1 ORDER BY code")
            .bind(id);
        let stmt = Stmt::new("DELETE FROM room_types WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected_version);
        in_tx!(self, |tx| {
            let placed = fetch_scalars!(&mut *tx, String, items)?;
            if !placed.is_empty() {
                return Err(DbError::App(has_dependents(format!(
                    "{} scope item(s) are placed on this room type ({}); place them elsewhere first",
                    placed.len(),
                    some_codes(&placed)
                ))));
            }
            let of_type = fetch_scalars!(&mut *tx, String, rooms)?;
            if !of_type.is_empty() {
                return Err(DbError::App(has_dependents(format!(
                    "{} room(s) are of this type ({}); give them another type or none first",
                    of_type.len(),
                    some_codes(&of_type)
                ))));
            }
            if exec!(&mut *tx, stmt)?.rows_affected() == 0 {
                return Err(stale(
                    fetch_optional!(&mut *tx, VersionRow, type_version(id))?,
                    "room type",
                ));
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }
}
