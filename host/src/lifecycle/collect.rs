//! Hourly usage collection, the second source of usage records: each
//! product's metering plugin is asked for the usage of its live pay-per-use
//! instances in the oldest whole hour not yet collected, and what it reports
//! goes through the same intake as sellers' batches (`metering::ingest`).
//! Records it refuses are reported on the seller's feed as `usage.refused`;
//! a window collected twice (a crash before it was marked done) stores
//! nothing new, because the plugin's metering ids are the dedup key.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::{ProductCache, Worker, product_namespace};
use crate::app::plugin_pool::{CallKind, PoolError, Ticket};
use crate::domain::usage::{RawRecord, RecordStatus};
use crate::ids::seed_of;
use crate::metering;
use crate::runtime::wit::latest::metering::{MeteredInstance, UsageWindow};
use crate::runtime::{CallBudget, CallContext, wit_json};
use crate::store::{InstanceRow, MeteredProduct, StoreError, StoreKv};

/// Usage is collected in windows of an hour, aligned to the hour (UTC).
pub const WINDOW_MS: i64 = crate::domain::usage::COLLECTION_WINDOW_MS;
/// A product whose plugin failed is asked again after this long, doubled
/// for each further failure in a row up to [`RETRY_MAX_MS`].
const RETRY_MS: i64 = 60_000;
/// The longest wait between two calls of a failing metering plugin.
const RETRY_MAX_MS: i64 = WINDOW_MS;
/// At most this many characters of a failed collection's error are kept.
const ERROR_SHOWN_MAX: usize = 500;
/// At most this many refused records per window become feed events.
const REFUSALS_REPORTED: usize = 20;

impl Worker {
    /// Collects one due window per product; answers how many windows.
    pub async fn collect_usage(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let boundary = now - now.rem_euclid(WINDOW_MS);
        let mut done = 0;
        let products = ProductCache::default();
        for p in self.store.metered_products(now).await? {
            let start = p
                .collected_until
                .unwrap_or(p.first_bought - p.first_bought.rem_euclid(WINDOW_MS));
            if start + WINDOW_MS > boundary {
                continue;
            }
            match self.collect_window(&products, &p, start, now).await {
                Ok(()) => done += 1,
                Err(failure) => {
                    let wait = retry_delay(p.failures + 1);
                    let (Failure::Plugin(why) | Failure::Internal(why)) = &failure;
                    tracing::warn!(product = %p.product_id, start, error = %why, wait, "usage collection failed; retrying later");
                    // The seller sees what their plugin did, not the
                    // service's own faults.
                    let shown = match &failure {
                        Failure::Plugin(why) => why.as_str(),
                        Failure::Internal(_) => {
                            "the service could not collect this window; it retries on its own"
                        }
                    };
                    // A garbage answer can be as large as a plugin's output.
                    let shown: String = shown.chars().take(ERROR_SHOWN_MAX).collect();
                    self.store
                        .metering_failed(&p.product_id, start, now + wait, &shown, now)
                        .await?;
                }
            }
        }
        Ok(done)
    }

    async fn collect_window(
        &self,
        products: &ProductCache,
        p: &MeteredProduct,
        start: i64,
        now: i64,
    ) -> Result<(), Failure> {
        let end = start + WINDOW_MS;
        let live = products
            .get(&self.store, &p.product_id)
            .await
            .map_err(Failure::internal)?;
        let Some(live) = live else {
            return Err(Failure::internal("the product has no live definition"));
        };
        let Some(sha) = live.metering_plugin.clone() else {
            // Nothing can report usage; sellers send it by API instead.
            return self.advance(p, end, now).await;
        };
        let plugin = self
            .runtime
            .get(&sha)
            .ok_or_else(|| Failure::internal(format!("metering plugin {sha} is not loaded")))?;
        let instances = self
            .store
            .metered_instances(&p.product_id)
            .await
            .map_err(Failure::internal)?;
        if instances.is_empty() {
            return self.advance(p, end, now).await;
        }
        let by_seller_id: HashMap<&str, &InstanceRow> = instances
            .iter()
            .filter_map(|i| Some((i.seller_instance_id.as_deref()?, i)))
            .collect();
        let window = UsageWindow { start, end };
        let metered: Vec<MeteredInstance> = instances
            .iter()
            .map(|i| MeteredInstance {
                // `metered_instances` returns only instances the seller named.
                instance_id: i.seller_instance_id.clone().unwrap_or_default(),
                sku_code: i.sku_id.clone(),
            })
            .collect();
        let namespace = product_namespace(&p.product_id);
        let ctx = CallContext {
            now_ms: now,
            seed: seed_of(&format!("collect:{}:{start}", p.product_id)),
            config: self.secrets.open_config(&p.product_id, &live.plugin_config),
            kv: Arc::new(StoreKv::new(self.store.clone(), namespace.clone())),
        };
        let runtime = self.runtime.clone();
        let _permit = self.calls.acquire().await.map_err(Failure::internal)?;
        let ticket = Ticket::new(p.seller_id.clone(), CallKind::Worker);
        let outcome = self
            .plugins
            .run(ticket, move || {
                runtime.call_collect_usage(&plugin, window, &metered, ctx, &CallBudget::default())
            })
            .await
            .map_err(|e| match e {
                // Backs off like a failed call, and says why.
                PoolError::Busy { .. } => Failure::Plugin(e.to_string()),
                PoolError::Panicked => Failure::internal(e),
            })?
            .map_err(|f| Failure::Plugin(f.error.to_string()))?;
        let records = match &outcome.output {
            Ok(records) => records,
            Err(e) => {
                return Err(Failure::Plugin(format!(
                    "collect-usage returned an error: {}",
                    wit_json(e)
                )));
            }
        };
        let raw = records
            .iter()
            .map(|r| {
                // The plugin names instances by the seller's ids.
                let instance_id = by_seller_id
                    .get(r.instance_id.as_str())
                    .map_or_else(|| r.instance_id.clone(), |i| i.id.clone());
                Ok(RawRecord {
                    metering_id: Some(r.metering_id.clone()),
                    instance_id: Some(instance_id),
                    billing_item: Some(r.billing_item.clone()),
                    begin: Some(r.begin),
                    end: Some(r.end),
                    value: Some(r.value.clone()),
                    // 0.1.0 plugins name none (their records convert with `None`).
                    package: r.package.clone(),
                })
            })
            .collect();
        let late = self.config.usage_late_window_ms;
        let outcomes = metering::ingest(&self.store, &p.seller_id, raw, now, late, "plugin")
            .await
            .map_err(Failure::internal)?;
        let by_id: HashMap<&str, &InstanceRow> =
            instances.iter().map(|i| (i.id.as_str(), i)).collect();
        let refused = outcomes
            .iter()
            .filter(|o| !matches!(o.status, RecordStatus::Accepted | RecordStatus::Duplicate));
        for o in refused.take(REFUSALS_REPORTED) {
            let id = records[o.index].instance_id.as_str();
            let instance = by_seller_id.get(id).or_else(|| by_id.get(id));
            match instance {
                Some(i) => {
                    let detail =
                        json!({"window": {"start": start, "end": end}, "record": o}).to_string();
                    self.store
                        .append_event(i, "usage.refused", &detail, now)
                        .await
                        .map_err(Failure::internal)?;
                }
                None => {
                    tracing::warn!(product = %p.product_id, outcome = ?o, "metering plugin reported usage of an unknown instance")
                }
            }
        }
        let writes: Vec<_> = outcome
            .kv_writes
            .into_iter()
            .map(|w| (w.key, w.value))
            .collect();
        self.store
            .kv_commit(&namespace, &writes)
            .await
            .map_err(Failure::internal)?;
        self.advance(p, end, now).await
    }

    async fn advance(&self, p: &MeteredProduct, until: i64, now: i64) -> Result<(), Failure> {
        self.store
            .advance_metering(&p.product_id, until, now)
            .await
            .map_err(Failure::internal)
    }
}

/// Why a window was not collected.
enum Failure {
    /// The metering plugin trapped, ran out of budget or answered garbage.
    Plugin(String),
    /// The service's own machinery failed.
    Internal(String),
}

impl Failure {
    fn internal(e: impl std::fmt::Display) -> Self {
        Failure::Internal(e.to_string())
    }
}

/// How long to wait after the `failures`-th failure in a row.
fn retry_delay(failures: i64) -> i64 {
    let doublings = failures.clamp(1, 16) - 1;
    (RETRY_MS << doublings).min(RETRY_MAX_MS)
}

#[cfg(test)]
mod tests {
    use super::{RETRY_MAX_MS, retry_delay};

    #[test]
    fn the_retry_delay_doubles_up_to_an_hour() {
        let minutes: Vec<i64> = (1..=8).map(|n| retry_delay(n) / 60_000).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry_delay(i64::MAX), RETRY_MAX_MS);
        assert_eq!(retry_delay(0), 60_000);
    }
}
