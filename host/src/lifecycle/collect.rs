//! Hourly usage collection, the second source of usage records: each
//! product's metering plugin is asked for the usage of its live pay-per-use
//! instances in the oldest whole hour not yet collected, and what it reports
//! goes through the same intake as sellers' batches (`metering::ingest`).
//! Records it refuses are reported on the seller's feed as `usage.refused`;
//! a window collected twice (a crash before it was marked done) stores
//! nothing new, because the plugin's metering ids are the dedup key.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Worker, product_namespace};
use crate::domain::catalog::ProductDraft;
use crate::domain::usage::{RawRecord, RecordStatus};
use crate::ids::seed_of;
use crate::metering;
use crate::runtime::{CallBudget, CallContext, World};
use crate::store::{InstanceRow, MeteredProduct, StoreError, StoreKv};

/// Usage is collected in windows of an hour, aligned to the hour (UTC).
pub const WINDOW_MS: i64 = 3_600_000;
/// A product whose plugin failed is asked again after this long.
const RETRY_MS: i64 = 60_000;
/// At most this many refused records per window become feed events.
const REFUSALS_REPORTED: usize = 20;

impl Worker {
    /// Collects one due window per product; answers how many windows.
    pub async fn collect_usage(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let boundary = now - now.rem_euclid(WINDOW_MS);
        let mut done = 0;
        for p in self.store.metered_products(now).await? {
            let start = p
                .collected_until
                .unwrap_or(p.first_bought - p.first_bought.rem_euclid(WINDOW_MS));
            if start + WINDOW_MS > boundary {
                continue;
            }
            match self.collect_window(&p, start, now).await {
                Ok(()) => done += 1,
                Err(why) => {
                    tracing::warn!(product = %p.product_id, start, error = %why, "usage collection failed; retrying later");
                    self.store
                        .metering_failed(&p.product_id, start, now + RETRY_MS, now)
                        .await?;
                }
            }
        }
        Ok(done)
    }

    async fn collect_window(&self, p: &MeteredProduct, start: i64, now: i64) -> Result<(), String> {
        let end = start + WINDOW_MS;
        let product = self
            .store
            .product(&p.product_id)
            .await
            .map_err(|e| e.to_string())?;
        let live: Option<ProductDraft> = product
            .and_then(|row| row.live)
            .and_then(|live| serde_json::from_str(&live).ok());
        let Some(live) = live else {
            return Err("the product has no live definition".into());
        };
        let Some(sha) = live.metering_plugin.clone() else {
            // Nothing can report usage; sellers send it by API instead.
            return self.advance(p, end, now).await;
        };
        let plugin = self
            .runtime
            .get(&sha)
            .ok_or_else(|| format!("metering plugin {sha} is not loaded"))?;
        let instances = self
            .store
            .metered_instances(&p.product_id)
            .await
            .map_err(|e| e.to_string())?;
        if instances.is_empty() {
            return self.advance(p, end, now).await;
        }
        let by_seller_id: HashMap<&str, &InstanceRow> = instances
            .iter()
            .filter_map(|i| Some((i.seller_instance_id.as_deref()?, i)))
            .collect();
        let input = json!({
            "window": {"start": start, "end": end},
            "instances": instances.iter().map(|i| json!({
                "instance-id": i.seller_instance_id, "sku-code": i.sku_id,
            })).collect::<Vec<_>>(),
        });
        let namespace = product_namespace(&p.product_id);
        let ctx = CallContext {
            now_ms: now,
            seed: seed_of(&format!("collect:{}:{start}", p.product_id)),
            config: live.plugin_config.clone(),
            kv: Arc::new(StoreKv::new(self.store.clone(), namespace.clone())),
        };
        let runtime = self.runtime.clone();
        let _permit = self.calls.acquire().await.map_err(|e| e.to_string())?;
        let outcome = tokio::task::spawn_blocking(move || {
            runtime.call(
                &plugin,
                World::Metering,
                "collect-usage",
                &input,
                ctx,
                &CallBudget::default(),
            )
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|f| f.error.to_string())?;
        let Some(Value::Array(records)) = outcome.output.get("ok") else {
            return Err(format!("the plugin answered {}", outcome.output));
        };
        let raw = records
            .iter()
            .map(|r| {
                let mut r = r.clone();
                // The plugin names instances by the seller's ids.
                if let Some(i) = r["instance-id"]
                    .as_str()
                    .and_then(|id| by_seller_id.get(id))
                {
                    r["instance-id"] = json!(i.id);
                }
                serde_json::from_value::<RawRecord>(r).map_err(|e| e.to_string())
            })
            .collect();
        let late = self.config.usage_late_window_ms;
        let outcomes = metering::ingest(&self.store, &p.seller_id, raw, now, late, "plugin")
            .await
            .map_err(|e| e.to_string())?;
        let by_id: HashMap<&str, &InstanceRow> =
            instances.iter().map(|i| (i.id.as_str(), i)).collect();
        let refused = outcomes
            .iter()
            .filter(|o| !matches!(o.status, RecordStatus::Accepted | RecordStatus::Duplicate));
        for o in refused.take(REFUSALS_REPORTED) {
            let instance = records[o.index]["instance-id"]
                .as_str()
                .and_then(|id| by_seller_id.get(id).or_else(|| by_id.get(id)));
            match instance {
                Some(i) => {
                    let detail =
                        json!({"window": {"start": start, "end": end}, "record": o}).to_string();
                    self.store
                        .append_event(i, "usage.refused", &detail, now)
                        .await
                        .map_err(|e| e.to_string())?;
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
            .map_err(|e| e.to_string())?;
        self.advance(p, end, now).await
    }

    async fn advance(&self, p: &MeteredProduct, until: i64, now: i64) -> Result<(), String> {
        self.store
            .advance_metering(&p.product_id, until, now)
            .await
            .map_err(|e| e.to_string())
    }
}
