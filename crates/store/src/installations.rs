//! The installation ledger: movements added one at a time, each in a transaction that locks
//! its scope item's row (PostgreSQL: `FOR UPDATE`; SQLite has one writer, `BEGIN IMMEDIATE`),
//! sums what is installed of the item in the room, and checks the new balance against what
//! the room may hold before the row goes in. Two installers taking the last unit at once are
//! thereby served one after the other, and the second is told what is left.

use formula_app::error::AppError;
use formula_app::query::Page;
use formula_app::repos::{InstallationQuery, InstallationRepo, InstalledSum, Moved, RoomItemRow};
use formula_domain::audit::AuditEntry;
use formula_domain::errors::FieldErrors;
use formula_domain::installation::{
    Balance, Installation, ItemPlace, ItemStage, NewInstallation, check_movement, room_limit,
};
use formula_domain::scope::Quantity;
use formula_store_macros::repo;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit;
use crate::error::{DbError, DbResult};
use crate::pool::{Backend, Db};
use crate::sql::{Filter, Stmt, limit_offset};

const COLUMNS: &str = "n.id, n.project_id, n.scope_item_id, i.code AS item_code, \
     i.name AS item_name, i.unit, n.room_id, l.code AS room_code, l.name AS room_name, \
     n.quantity_milli, n.installed_on, n.installer, n.note, n.reverses_id, \
     (SELECT r.id FROM installations r WHERE r.reverses_id = n.id) AS reversed_by_id, \
     u.name AS recorded_by_name, n.recorded_at";

const FROM: &str = " FROM installations n JOIN scope_items i ON i.id = n.scope_item_id \
     JOIN locations l ON l.id = n.room_id LEFT JOIN users u ON u.id = n.recorded_by";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    project_id: Uuid,
    scope_item_id: Uuid,
    item_code: String,
    item_name: String,
    unit: String,
    room_id: Uuid,
    room_code: String,
    room_name: String,
    quantity_milli: i64,
    installed_on: Date,
    installer: Option<String>,
    note: Option<String>,
    reverses_id: Option<Uuid>,
    reversed_by_id: Option<Uuid>,
    recorded_by_name: Option<String>,
    recorded_at: OffsetDateTime,
}

impl From<Row> for Installation {
    fn from(r: Row) -> Self {
        Installation {
            id: r.id,
            project_id: r.project_id,
            scope_item_id: r.scope_item_id,
            item_code: r.item_code,
            item_name: r.item_name,
            unit: r.unit,
            room_id: r.room_id,
            room_code: r.room_code,
            room_name: r.room_name,
            quantity: Quantity(r.quantity_milli),
            installed_on: r.installed_on,
            installer: r.installer,
            note: r.note,
            reverses_id: r.reverses_id,
            reversed_by_id: r.reversed_by_id,
            recorded_by_name: r.recorded_by_name,
            recorded_at: r.recorded_at,
            photo: None,
        }
    }
}

/// The scope item as a movement is checked against it (its row locked on PostgreSQL).
#[derive(sqlx::FromRow)]
struct ItemRow {
    project_id: Uuid,
    code: String,
    room_id: Option<Uuid>,
    room_type_id: Option<Uuid>,
    quantity_milli: i64,
    quantity_per_room_milli: Option<i64>,
    released_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct RoomRow {
    project_id: Uuid,
    kind: String,
    code: String,
    room_type_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct ReversedRow {
    scope_item_id: Uuid,
    room_id: Uuid,
    quantity_milli: i64,
    reverses_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct SheetRow {
    scope_item_id: Uuid,
    code: String,
    name: String,
    unit: String,
    room_id: Option<Uuid>,
    room_type_id: Option<Uuid>,
    quantity_milli: i64,
    quantity_per_room_milli: Option<i64>,
    released_at: Option<OffsetDateTime>,
    installed_milli: i64,
    received_milli: i64,
    installed_total_milli: i64,
}

#[derive(sqlx::FromRow)]
struct SumRow {
    scope_item_id: Uuid,
    room_id: Uuid,
    installed_milli: i64,
}

/// A refusal of the ledger, as a conflict on the `quantity` field.
fn refused(code: &'static str, message: String) -> DbError {
    let mut fields = FieldErrors::new();
    fields.add("quantity", message.clone());
    DbError::App(AppError::Conflict {
        code,
        message,
        fields,
    })
}

/// What is installed of `item` in `room`, summed over the ledger.
/// What was received on site of an item (`i`), over its delivery notes.
const RECEIVED: &str = "CAST(COALESCE((SELECT SUM(dl.received_milli) FROM delivery_note_lines dl \
     WHERE dl.scope_item_id = i.id), 0) AS BIGINT)";

/// What is installed of an item (`i`), over every room.
const INSTALLED_TOTAL: &str = "CAST(COALESCE((SELECT SUM(t.quantity_milli) FROM installations t \
     WHERE t.scope_item_id = i.id), 0) AS BIGINT)";

#[derive(sqlx::FromRow)]
struct OnSiteRow {
    received_milli: i64,
    installed_total_milli: i64,
}

fn installed_sum(item: Uuid, room: Uuid) -> Stmt {
    Stmt::new(
        "SELECT CAST(COALESCE(SUM(quantity_milli), 0) AS BIGINT) FROM installations \
         WHERE scope_item_id = $1 AND room_id = $2",
    )
    .bind(item)
    .bind(room)
}

fn insert(n: &NewInstallation) -> Stmt {
    Stmt::new(
        "INSERT INTO installations (id, project_id, scope_item_id, room_id, quantity_milli, \
         installed_on, installer, note, reverses_id, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(n.id)
    .bind(n.project_id)
    .bind(n.scope_item_id)
    .bind(n.room_id)
    .bind(n.quantity.0)
    .bind(n.installed_on)
    .bind(&n.installer)
    .bind(&n.note)
    .bind(n.reverses_id)
    .bind(n.recorded_by)
    .bind(n.recorded_at)
}

/// The codes of the rooms where the scope item has installation records.
pub(crate) fn rooms_with_records(item: Uuid) -> Stmt {
    Stmt::new(
        "SELECT l.code FROM locations l WHERE l.id IN \
         (SELECT n.room_id FROM installations n WHERE n.scope_item_id = $1) ORDER BY l.code",
    )
    .bind(item)
}

/// The codes of the scope items with installation records in the room.
pub(crate) fn items_installed_in(room: Uuid) -> Stmt {
    Stmt::new(
        "SELECT i.code FROM scope_items i WHERE i.id IN \
         (SELECT n.scope_item_id FROM installations n WHERE n.room_id = $1) ORDER BY i.code",
    )
    .bind(room)
}

/// A room holding more of an item than it now may (after a change to the item or the room).
#[derive(sqlx::FromRow)]
pub(crate) struct OverRow {
    room_code: String,
    item_code: String,
    installed_milli: i64,
    holds_milli: i64,
}

/// The rooms where what is installed of an item is more than the room now holds of it,
/// for the items (`by_room` false) or the room (`by_room` true) with id `id`; run in the
/// transaction that changed them, after the change.
pub(crate) fn over_installed(by_room: bool, id: Uuid) -> Stmt {
    let column = if by_room { "room_id" } else { "scope_item_id" };
    Stmt::new(format!(
        "SELECT room_code, item_code, installed_milli, holds_milli FROM (\
         SELECT l.code AS room_code, i.code AS item_code, s.installed_milli, \
         CAST(CASE WHEN i.room_id = s.room_id THEN i.quantity_milli \
             WHEN i.room_type_id IS NOT NULL AND i.room_type_id = l.room_type_id \
             THEN COALESCE(i.quantity_per_room_milli, 0) ELSE 0 END AS BIGINT) AS holds_milli \
         FROM (SELECT scope_item_id, room_id, CAST(SUM(quantity_milli) AS BIGINT) AS installed_milli \
             FROM installations WHERE {column} = $1 GROUP BY scope_item_id, room_id) s \
         JOIN scope_items i ON i.id = s.scope_item_id JOIN locations l ON l.id = s.room_id\
         ) x WHERE installed_milli > holds_milli ORDER BY room_code, item_code"
    ))
    .bind(id)
}

/// The refusal of a change that would leave rooms holding more than they may: a ledger
/// balance never exceeds what its room holds.
pub(crate) fn over_installed_error(rows: &[OverRow]) -> DbError {
    let said: Vec<String> = rows
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "{} has {} of {} installed, more than the {} it would hold",
                r.room_code,
                Quantity(r.installed_milli),
                r.item_code,
                Quantity(r.holds_milli)
            )
        })
        .collect();
    let more = if rows.len() > 3 {
        format!(" (and {} more)", rows.len() - 3)
    } else {
        String::new()
    };
    DbError::App(AppError::Conflict {
        code: "installed_exceeds",
        message: format!(
            "{}{more}; reverse those installations first",
            said.join("; ")
        ),
        fields: FieldErrors::new(),
    })
}

/// "T1-L01-0101, T1-L01-0102 and 3 more".
pub(crate) fn some(codes: &[String]) -> String {
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

#[repo]
impl InstallationRepo for Db {
    async fn record_movement(&self, new: &NewInstallation, entry: &AuditEntry) -> DbResult<Moved> {
        if new.quantity.0 == 0 {
            return Err(DbError::App(AppError::field(
                "quantity",
                "must be more than 0",
            )));
        }
        // The item's row is locked first, so every movement of the item waits for the one
        // before it to commit and then sums what that one left.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let item = Stmt::new(format!(
            "SELECT project_id, code, room_id, room_type_id, quantity_milli, \
             quantity_per_room_milli, released_at FROM scope_items WHERE id = $1{lock}"
        ))
        .bind(new.scope_item_id);
        let room =
            Stmt::new("SELECT project_id, kind, code, room_type_id FROM locations WHERE id = $1")
                .bind(new.room_id);
        let moved = in_tx!(self, |tx| {
            let Some(item) = fetch_optional!(&mut *tx, ItemRow, item)? else {
                return Err(DbError::App(AppError::NotFound("scope item")));
            };
            let Some(room) = fetch_optional!(&mut *tx, RoomRow, room)? else {
                return Err(DbError::App(AppError::NotFound("room")));
            };
            if item.project_id != new.project_id
                || room.project_id != new.project_id
                || room.kind != "room"
            {
                return Err(DbError::App(AppError::field(
                    "scope_item_id",
                    "must be one of the project's scope items, recorded in one of its rooms",
                )));
            }
            if let Some(target) = new.reverses_id {
                let earlier = Stmt::new(
                    "SELECT scope_item_id, room_id, quantity_milli, reverses_id \
                     FROM installations WHERE id = $1",
                )
                .bind(target);
                let Some(earlier) = fetch_optional!(&mut *tx, ReversedRow, earlier)? else {
                    return Err(DbError::App(AppError::NotFound("installation")));
                };
                if earlier.scope_item_id != new.scope_item_id
                    || earlier.room_id != new.room_id
                    || earlier.reverses_id.is_some()
                    || earlier.quantity_milli != -new.quantity.0
                {
                    return Err(refused(
                        "not_reversible",
                        "only an installation is reversed, by the same quantity of the same item in the same room".into(),
                    ));
                }
                let again = Stmt::new("SELECT COUNT(*) FROM installations WHERE reverses_id = $1")
                    .bind(target);
                if fetch_scalar!(&mut *tx, i64, again)? > 0 {
                    return Err(refused(
                        "already_reversed",
                        "this installation was reversed already".into(),
                    ));
                }
            }
            let installed = Quantity(fetch_scalar!(
                &mut *tx,
                i64,
                installed_sum(new.scope_item_id, new.room_id)
            )?);
            // What arrived on site and what is installed of the item over every room, read
            // with the item's row locked (a receipt only ever adds to the first).
            let on_site = fetch_optional!(
                &mut *tx,
                OnSiteRow,
                Stmt::new(format!(
                    "SELECT {RECEIVED} AS received_milli, {INSTALLED_TOTAL} AS installed_total_milli \
                     FROM scope_items i WHERE i.id = $1"
                ))
                .bind(new.scope_item_id)
            )?
            .unwrap_or(OnSiteRow {
                received_milli: 0,
                installed_total_milli: 0,
            });
            let place = ItemPlace {
                room_id: item.room_id,
                room_type_id: item.room_type_id,
                quantity: Quantity(item.quantity_milli),
                quantity_per_room: item.quantity_per_room_milli.map(Quantity),
            };
            let limit = room_limit(&place, new.room_id, room.room_type_id);
            let balance = Balance {
                item_code: &item.code,
                room_code: &room.code,
                limit,
                stage: ItemStage {
                    released: item.released_at.is_some(),
                    received: Quantity(on_site.received_milli),
                    installed: Quantity(on_site.installed_total_milli),
                },
                installed,
            };
            // A record that reverses an earlier one only ever takes back what it put in,
            // even from an item no longer placed in the room.
            if new.reverses_id.is_none()
                && let Err(why) = check_movement(&balance, new.quantity)
            {
                return Err(refused(why.code(), why.message().to_owned()));
            }
            let after = Quantity(installed.0 + new.quantity.0);
            if after.0 < 0 {
                return Err(refused(
                    "not_installed",
                    format!("only {installed} installed; cannot take back more"),
                ));
            }
            exec!(&mut *tx, insert(new))?;
            exec!(&mut *tx, audit::insert(entry))?;
            Moved {
                installed: after,
                limit: limit.unwrap_or_default(),
            }
        });
        Ok(moved)
    }

    async fn get_installation(&self, id: Uuid) -> DbResult<Option<Installation>> {
        let stmt = Stmt::new(format!("SELECT {COLUMNS}{FROM} WHERE n.id = $1")).bind(id);
        let row = on_reader!(self, |pool| fetch_optional!(pool, Row, stmt)?);
        Ok(row.map(Installation::from))
    }

    async fn list_installations(&self, query: &InstallationQuery) -> DbResult<Page<Installation>> {
        let mut f = Filter::new();
        let p = f.arg(query.project_id);
        f.and(format!("n.project_id = {p}"));
        if let Some(v) = query.room_id {
            let p = f.arg(v);
            f.and(format!("n.room_id = {p}"));
        }
        if let Some(v) = query.scope_item_id {
            let p = f.arg(v);
            f.and(format!("n.scope_item_id = {p}"));
        }
        if let Some(v) = query.building_id {
            let p = f.arg(v);
            f.and(format!("l.building_id = {p}"));
        }
        if let Some(v) = query.level_id {
            let p = f.arg(v);
            f.and(format!("l.level_id = {p}"));
        }
        let where_sql = f.where_sql();
        let count = Stmt {
            sql: format!(
                "SELECT COUNT(*) FROM installations n JOIN locations l ON l.id = n.room_id{where_sql}"
            ),
            args: f.stmt.args.clone(),
        };
        let mut page = f.stmt;
        let limit = limit_offset(&query.paging);
        page.sql = format!(
            "SELECT {COLUMNS}{FROM}{where_sql} ORDER BY n.recorded_at DESC, n.id DESC{limit}"
        );
        let (total, rows) = on_reader!(self, |pool| {
            let total = fetch_scalar!(pool, i64, count)?;
            (total, fetch_all!(pool, Row, page)?)
        });
        Ok(Page::new(
            rows.into_iter().map(Installation::from).collect(),
            total,
            query.paging,
        ))
    }

    async fn room_items(&self, room_id: Uuid) -> DbResult<Vec<RoomItemRow>> {
        // Items placed in the room or on its type, and any other item with records there
        // (placed elsewhere since), so nothing installed drops out of sight.
        let stmt = Stmt::new(format!(
            "SELECT i.id AS scope_item_id, i.code, i.name, i.unit, i.room_id, i.room_type_id, \
             i.quantity_milli, i.quantity_per_room_milli, i.released_at, \
             CAST(COALESCE((SELECT SUM(n.quantity_milli) FROM installations n \
                 WHERE n.scope_item_id = i.id AND n.room_id = $1), 0) AS BIGINT) AS installed_milli, \
             {RECEIVED} AS received_milli, {INSTALLED_TOTAL} AS installed_total_milli \
             FROM scope_items i \
             WHERE i.project_id = (SELECT l.project_id FROM locations l WHERE l.id = $1) \
             AND (i.room_id = $1 \
             OR i.room_type_id = (SELECT l.room_type_id FROM locations l WHERE l.id = $1) \
             OR EXISTS (SELECT 1 FROM installations n WHERE n.scope_item_id = i.id AND n.room_id = $1)) \
             ORDER BY i.code, i.id"
        ))
        .bind(room_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, SheetRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| RoomItemRow {
                scope_item_id: r.scope_item_id,
                code: r.code,
                name: r.name,
                unit: r.unit,
                room_id: r.room_id,
                room_type_id: r.room_type_id,
                quantity: Quantity(r.quantity_milli),
                quantity_per_room: r.quantity_per_room_milli.map(Quantity),
                released_at: r.released_at,
                installed: Quantity(r.installed_milli),
                received: Quantity(r.received_milli),
                installed_total: Quantity(r.installed_total_milli),
            })
            .collect())
    }

    async fn installed_in_project(&self, project_id: Uuid) -> DbResult<Vec<InstalledSum>> {
        let stmt = Stmt::new(
            "SELECT scope_item_id, room_id, CAST(SUM(quantity_milli) AS BIGINT) AS installed_milli \
             FROM installations WHERE project_id = $1 GROUP BY scope_item_id, room_id \
             HAVING SUM(quantity_milli) <> 0",
        )
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, SumRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| InstalledSum {
                scope_item_id: r.scope_item_id,
                room_id: r.room_id,
                installed: Quantity(r.installed_milli),
            })
            .collect())
    }

    async fn open_snags_in_room(&self, room_id: Uuid) -> DbResult<i64> {
        // Open and fixed (not yet verified) snags both keep a room from being signed off.
        let stmt = Stmt::new(
            "SELECT COUNT(*) FROM snags WHERE room_id = $1 AND status IN ('open', 'fixed')",
        )
        .bind(room_id);
        Ok(on_reader!(self, |pool| fetch_scalar!(pool, i64, stmt)?))
    }
}
