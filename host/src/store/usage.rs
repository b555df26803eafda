//! Usage records: stored once per (seller, metering id), whichever source
//! sent them first.

use super::orders::{INSTANCE, InstanceRow};
use super::pages::{Order, Page, PageRequest};
use super::{Pool, Store, StoreError};
use crate::domain::usage::UsageRecord;

mod postgres;
mod sqlite;

/// A stored usage record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsageRow {
    /// The seller's dedup key.
    pub metering_id: String,
    /// The instance.
    pub instance_id: String,
    /// The billing item.
    pub billing_item: String,
    /// Start, ms.
    pub begin_ms: i64,
    /// End, ms.
    pub end_ms: i64,
    /// The usage, a decimal string.
    pub value: String,
    /// `api` or `plugin`.
    pub source: String,
    /// When Bazaar stored it.
    pub received_at: i64,
    /// The package it names to be deducted from first.
    pub package_id: Option<String>,
}

/// A product with live pay-per-use instances, and how far its metering
/// plugin has reported usage.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeteredProduct {
    /// The product.
    pub product_id: String,
    /// Its seller.
    pub seller_id: String,
    /// Windows before this are collected; `None` before the first.
    pub collected_until: Option<i64>,
    /// When its oldest live pay-per-use instance was bought.
    pub first_bought: i64,
    /// Failed collections since the last one that succeeded.
    pub failures: i64,
}

/// How a product's usage collection stands, for its seller.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeteringStatus {
    /// Windows before this are collected.
    pub collected_until: i64,
    /// No call before this, after a failure; 0 when none failed.
    pub retry_at: i64,
    /// Failed collections since the last one that succeeded.
    pub failures: i64,
    /// Why the last failed collection failed, until one succeeds.
    pub last_error: Option<String>,
    /// When this last changed.
    pub updated_at: i64,
}

impl Store {
    /// Stores `records` of `seller_id` in one transaction, skipping metering
    /// ids already stored, and answers which of them were new (in order).
    /// `records` must not repeat a metering id.
    pub async fn insert_usage(
        &self,
        seller_id: &str,
        records: &[&UsageRecord],
        source: &str,
        now_ms: i64,
    ) -> Result<Vec<bool>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        match (&self.pool, &self.sqlite_file) {
            (Pool::Postgres(pool), _) => {
                Ok(postgres::insert(pool, seller_id, records, source, now_ms).await?)
            }
            (Pool::Sqlite(_), Some(file)) => {
                // Owned, to cross to a blocking thread.
                let records: Vec<UsageRecord> = records.iter().map(|r| (*r).clone()).collect();
                let (file, seller, source) =
                    (file.clone(), seller_id.to_string(), source.to_string());
                let _turn = self.write_turn().await;
                tokio::task::spawn_blocking(move || {
                    sqlite::insert(&file, &seller, &records, &source, now_ms)
                })
                .await
                .map_err(|e| StoreError::Direct(format!("usage insert task: {e}")))?
                .map_err(|e| match e.sqlite_error_code() {
                    Some(
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked,
                    ) => StoreError::Busy,
                    _ => StoreError::Direct(e.to_string()),
                })
            }
            (Pool::Sqlite(_), None) => {
                Err(StoreError::Direct("a SQLite store without its file".into()))
            }
        }
    }

    /// A page of an instance's usage records, oldest first by end, then
    /// metering id (unique per seller, so per instance).
    pub async fn usage_of(
        &self,
        instance_id: &str,
        page: &PageRequest,
    ) -> Result<Page<UsageRow>, StoreError> {
        let q = format!(
            "SELECT metering_id, instance_id, billing_item, begin_ms, end_ms, value, source, received_at, package_id \
             FROM usage_records WHERE instance_id = $1 AND {} {} LIMIT $4",
            Order::OldestFirst.after("end_ms", "metering_id", 2),
            Order::OldestFirst.by("end_ms", "metering_id"),
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(instance_id).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |r: &UsageRow| (r.end_ms, &r.metering_id)))
    }

    /// How many usage records an instance has (tests, status pages).
    pub async fn usage_count(&self, instance_id: &str) -> Result<i64, StoreError> {
        let q = "SELECT COUNT(*) FROM usage_records WHERE instance_id = $1";
        let (n,): (i64,) =
            on_pool!(self, pool => sqlx::query_as(q).bind(instance_id).fetch_one(pool).await)?;
        Ok(n)
    }

    /// Products with live pay-per-use instances whose collection is not
    /// backing off at `now_ms`.
    pub async fn metered_products(&self, now_ms: i64) -> Result<Vec<MeteredProduct>, StoreError> {
        let q = "SELECT i.product_id, i.seller_id, w.collected_until, MIN(i.created_at) AS first_bought, \
                 COALESCE(w.failures, 0) AS failures \
                 FROM instances i LEFT JOIN metering_windows w ON w.product_id = i.product_id \
                 WHERE i.billing_mode = 'pay-per-use' AND i.state IN ('active', 'frozen') \
                 AND (w.retry_at IS NULL OR w.retry_at <= $1) \
                 GROUP BY i.product_id, i.seller_id, w.collected_until, w.failures";
        Ok(on_pool!(self, pool => sqlx::query_as(q).bind(now_ms).fetch_all(pool).await)?)
    }

    /// A product's live pay-per-use instances that the seller has provisioned.
    pub async fn metered_instances(
        &self,
        product_id: &str,
    ) -> Result<Vec<InstanceRow>, StoreError> {
        let q = format!(
            "SELECT {INSTANCE} FROM instances WHERE product_id = $1 AND billing_mode = 'pay-per-use' \
             AND state IN ('active', 'frozen') AND seller_instance_id IS NOT NULL ORDER BY id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(product_id).fetch_all(pool).await)?)
    }

    /// Records that `product_id`'s usage is collected up to `until`.
    pub async fn advance_metering(
        &self,
        product_id: &str,
        until: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let q = "INSERT INTO metering_windows (product_id, collected_until, retry_at, updated_at) VALUES ($1, $2, 0, $3) \
                 ON CONFLICT (product_id) DO UPDATE SET collected_until = excluded.collected_until, \
                 retry_at = 0, failures = 0, last_error = NULL, updated_at = excluded.updated_at";
        on_pool!(self, pool => sqlx::query(q).bind(product_id).bind(until).bind(now_ms).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Postpones `product_id`'s collection of the window at `from` until
    /// `retry_at` after a failed plugin call, counting the failure and
    /// keeping `error` for the seller.
    pub async fn metering_failed(
        &self,
        product_id: &str,
        from: i64,
        retry_at: i64,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let q = "INSERT INTO metering_windows (product_id, collected_until, retry_at, updated_at, failures, last_error) \
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (product_id) DO UPDATE SET retry_at = excluded.retry_at, \
                 updated_at = excluded.updated_at, failures = metering_windows.failures + 1, \
                 last_error = excluded.last_error";
        on_pool!(self, pool => sqlx::query(q).bind(product_id).bind(from).bind(retry_at).bind(now_ms).bind(error)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// How `product_id`'s usage collection stands; `None` before its first.
    pub async fn metering_status(
        &self,
        product_id: &str,
    ) -> Result<Option<MeteringStatus>, StoreError> {
        let q = "SELECT collected_until, retry_at, failures, last_error, updated_at \
                 FROM metering_windows WHERE product_id = $1";
        Ok(on_pool!(self, pool => sqlx::query_as(q).bind(product_id).fetch_optional(pool).await)?)
    }
}
