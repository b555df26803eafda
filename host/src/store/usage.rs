//! Usage records: stored once per (seller, metering id), whichever source
//! sent them first.

use std::collections::HashSet;

use super::{Pool, Store, StoreError};
use crate::domain::usage::UsageRecord;

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
        let values: Vec<String> = records.iter().map(|r| r.value.to_string()).collect();
        let _turn = self.write_turn().await;
        let inserted: Vec<(String,)> = on_pool!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO usage_records (seller_id, metering_id, instance_id, billing_item, \
                 begin_ms, end_ms, value, source, received_at) ",
            );
            q.push_values(records.iter().zip(&values), |mut b, (r, value)| {
                b.push_bind(seller_id)
                    .push_bind(&r.metering_id)
                    .push_bind(&r.instance_id)
                    .push_bind(&r.billing_item)
                    .push_bind(r.begin_ms)
                    .push_bind(r.end_ms)
                    .push_bind(value)
                    .push_bind(source)
                    .push_bind(now_ms);
            });
            q.push(" ON CONFLICT (seller_id, metering_id) DO NOTHING RETURNING metering_id");
            q.build_query_as().fetch_all(pool).await
        })?;
        let new: HashSet<&str> = inserted.iter().map(|(m,)| m.as_str()).collect();
        Ok(records
            .iter()
            .map(|r| new.contains(r.metering_id.as_str()))
            .collect())
    }

    /// An instance's usage records, oldest first, after `after_end_ms`.
    pub async fn usage_of(
        &self,
        instance_id: &str,
        after_end_ms: i64,
        limit: i64,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let q = "SELECT metering_id, instance_id, billing_item, begin_ms, end_ms, value, source, received_at \
                 FROM usage_records WHERE instance_id = $1 AND end_ms > $2 \
                 ORDER BY end_ms, metering_id LIMIT $3";
        Ok(
            on_pool!(self, pool => sqlx::query_as(q).bind(instance_id).bind(after_end_ms).bind(limit).fetch_all(pool).await)?,
        )
    }

    /// How many usage records an instance has (tests, status pages).
    pub async fn usage_count(&self, instance_id: &str) -> Result<i64, StoreError> {
        let q = "SELECT COUNT(*) FROM usage_records WHERE instance_id = $1";
        let (n,): (i64,) =
            on_pool!(self, pool => sqlx::query_as(q).bind(instance_id).fetch_one(pool).await)?;
        Ok(n)
    }
}
