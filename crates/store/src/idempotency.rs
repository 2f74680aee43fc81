//! Idempotency keys (migration 0022): claimed before a request creates anything, finished
//! with the record it created, released when it failed, deleted after 24 hours.

use formula_app::repos::{Claim, IdempotencyRepo, KeyUse};
use formula_store_macros::repo;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::DbResult;
use crate::pool::Db;
use crate::sql::Stmt;

#[derive(sqlx::FromRow)]
struct KeyRow {
    request_hash: String,
    record_kind: String,
    record_id: Option<Uuid>,
}

#[repo]
impl IdempotencyRepo for Db {
    async fn claim_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        use_: &KeyUse,
        now: OffsetDateTime,
        expired_before: OffsetDateTime,
        abandoned_before: OffsetDateTime,
    ) -> DbResult<Claim> {
        let forget = Stmt::new(
            "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 \
             AND (created_at < $3 OR (record_id IS NULL AND created_at < $4))",
        )
        .bind(user_id)
        .bind(key)
        .bind(expired_before)
        .bind(abandoned_before);
        // Two requests with one key race on the primary key: one inserts, the other sees it.
        let claim = Stmt::new(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, record_kind, record_id, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(user_id)
        .bind(key)
        .bind(&use_.request_hash)
        .bind(&use_.record_kind)
        .bind(now);
        let read = Stmt::new(
            "SELECT request_hash, record_kind, record_id FROM idempotency_keys \
             WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key);
        Ok(in_tx!(self, |tx| {
            exec!(&mut *tx, forget)?;
            if exec!(&mut *tx, claim)?.rows_affected() == 1 {
                Claim::Claimed
            } else {
                match fetch_optional!(&mut *tx, KeyRow, read)? {
                    Some(r) => Claim::Taken(KeyUse {
                        request_hash: r.request_hash,
                        record_kind: r.record_kind,
                        record_id: r.record_id,
                    }),
                    // Deleted between the two statements cannot happen inside the
                    // transaction; treat it as free all the same.
                    None => Claim::Claimed,
                }
            }
        }))
    }

    async fn finish_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        record_id: Uuid,
    ) -> DbResult<()> {
        let stmt =
            Stmt::new("UPDATE idempotency_keys SET record_id = $3 WHERE user_id = $1 AND key = $2")
                .bind(user_id)
                .bind(key)
                .bind(record_id);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn release_idempotency_key(&self, user_id: Uuid, key: &str) -> DbResult<()> {
        let stmt = Stmt::new(
            "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND record_id IS NULL",
        )
        .bind(user_id)
        .bind(key);
        in_tx!(self, |tx| {
            exec!(&mut *tx, stmt)?;
        });
        Ok(())
    }

    async fn delete_expired_idempotency_keys(&self, before: OffsetDateTime) -> DbResult<u64> {
        let stmt = Stmt::new("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before);
        Ok(in_tx!(self, |tx| exec!(&mut *tx, stmt)?.rows_affected()))
    }
}
