//! The places drawings and specifications refer to: two link tables, read and replaced
//! whole (migration 0030).

use formula_app::repos::{PlaceRepo, PlacesOf};
use formula_domain::audit::AuditEntry;
use formula_store_macros::repo;
use uuid::Uuid;

use crate::audit;
use crate::error::DbResult;
use crate::pool::Db;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct PairRow {
    record_id: Uuid,
    place_id: Uuid,
}

#[repo]
impl PlaceRepo for Db {
    async fn record_places(&self, of: PlacesOf, record_id: Uuid) -> DbResult<Vec<Uuid>> {
        let (table, column) = of.table();
        let stmt = Stmt::new(format!(
            "SELECT place_id FROM {table} WHERE {column} = $1 ORDER BY place_id"
        ))
        .bind(record_id);
        Ok(on_reader!(self, |pool| fetch_scalars!(pool, Uuid, stmt)?))
    }

    async fn project_record_places(
        &self,
        of: PlacesOf,
        project_id: Uuid,
    ) -> DbResult<Vec<(Uuid, Uuid)>> {
        let (table, column) = of.table();
        let records = match of {
            PlacesOf::Drawing => "drawings",
            PlacesOf::Spec => "specs",
        };
        let stmt = Stmt::new(format!(
            "SELECT l.{column} AS record_id, l.place_id FROM {table} l \
             JOIN {records} r ON r.id = l.{column} WHERE r.project_id = $1"
        ))
        .bind(project_id);
        let rows = on_reader!(self, |pool| fetch_all!(pool, PairRow, stmt)?);
        Ok(rows
            .into_iter()
            .map(|r| (r.record_id, r.place_id))
            .collect())
    }

    async fn set_record_places(
        &self,
        of: PlacesOf,
        record_id: Uuid,
        place_ids: &[Uuid],
        entry: &AuditEntry,
    ) -> DbResult<()> {
        let (table, column) = of.table();
        in_tx!(self, |tx| {
            exec!(
                &mut *tx,
                Stmt::new(format!("DELETE FROM {table} WHERE {column} = $1")).bind(record_id)
            )?;
            for place in place_ids {
                exec!(
                    &mut *tx,
                    Stmt::new(format!(
                        "INSERT INTO {table} ({column}, place_id) VALUES ($1, $2)"
                    ))
                    .bind(record_id)
                    .bind(*place)
                )?;
            }
            exec!(&mut *tx, audit::insert(entry))?;
        });
        Ok(())
    }
}
