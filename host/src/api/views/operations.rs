//! How the API shows the feed, service flows, the clock, balances, charges,
//! packages and usage.
//!
//! Fields are declared in the order the JSON has always had them
//! (alphabetical), so bodies stay byte-identical.

use crate::app::usage::{Collection, Ingested};
use crate::metering::Outcome;
use crate::store::UsageRow;
use serde::Serialize;

/// `POST /v1/usage`: one result per record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestView {
    /// Records stored.
    pub accepted: usize,
    /// Records already stored (or repeated in the batch).
    pub duplicates: usize,
    /// Records refused.
    pub refused: usize,
    /// One outcome per record, in order.
    pub results: Vec<Outcome>,
}

impl From<Ingested> for IngestView {
    fn from(i: Ingested) -> Self {
        IngestView {
            accepted: i.accepted,
            duplicates: i.duplicates,
            refused: i.refused,
            results: i.results,
        }
    }
}

/// One stored usage record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct UsageRecordView {
    /// Start, ms.
    pub begin: i64,
    /// The billing item.
    pub billing_item: String,
    /// End, ms.
    pub end: i64,
    /// The seller's dedup key.
    pub metering_id: String,
    /// When Bazaar stored it (ms).
    pub received_at: i64,
    /// `api` or `plugin`.
    pub source: String,
    /// The usage, a decimal string.
    pub value: String,
}

/// `GET /v1/instances/{id}/usage`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsagePage {
    /// The `after` of the next page: the last record's end, null when empty.
    pub next: Option<i64>,
    /// Oldest first.
    pub records: Vec<UsageRecordView>,
}

impl UsagePage {
    /// A page of `rows`.
    pub fn new(rows: &[UsageRow]) -> Self {
        UsagePage {
            next: rows.last().map(|r| r.end_ms),
            records: rows
                .iter()
                .map(|r| UsageRecordView {
                    begin: r.begin_ms,
                    billing_item: r.billing_item.clone(),
                    end: r.end_ms,
                    metering_id: r.metering_id.clone(),
                    received_at: r.received_at,
                    source: r.source.clone(),
                    value: r.value.clone(),
                })
                .collect(),
        }
    }
}

/// `GET /v1/products/{id}/metering`: how usage collection stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MeteringView {
    /// Windows before this are collected; null before the first collection.
    pub collected_until: Option<i64>,
    /// Failed collections since the last one that succeeded.
    pub consecutive_failures: i64,
    /// Why the last failed collection failed.
    pub last_error: Option<String>,
    /// The live definition's metering plugin.
    pub metering_plugin: Option<String>,
    /// The product.
    pub product: String,
    /// When the failing plugin is called again, while in the future.
    pub retry_at: Option<i64>,
    /// When the status last changed.
    pub updated_at: Option<i64>,
}

impl From<Collection> for MeteringView {
    fn from(c: Collection) -> Self {
        let s = c.status.as_ref();
        MeteringView {
            collected_until: s.map(|s| s.collected_until),
            consecutive_failures: s.map_or(0, |s| s.failures),
            last_error: s.and_then(|s| s.last_error.clone()),
            metering_plugin: c.plugin,
            product: c.product_id,
            retry_at: s.map(|s| s.retry_at).filter(|at| *at > c.now_ms),
            updated_at: s.map(|s| s.updated_at),
        }
    }
}
