//! Pay-per-use billing driven by time: closed cycles of usage are rated and
//! charged (`Store::charge_usage`), unpaid charges put an instance through
//! grace, a freeze (reason `arrears`), retention and release, and an
//! instance whose arrears were paid is unfrozen. Each step is a guarded,
//! idempotent write, so a crash between steps is picked up by the next
//! sweep.

use super::{ProductCache, Worker, decision_job};
use crate::app::plugin_pool::{CallKind, Ticket};
use crate::domain::billing::{AccumulationCycle, ArrearsStep, BillingCycle, arrears_step};
use crate::domain::catalog::ProductDraft;
use crate::domain::catalog::month_start;
use crate::domain::instance::{FreezeReason, InstanceState, JobAction, ReleaseReason};
use crate::quoting::Pricing;
use crate::store::{InstanceGuard, StoreError};
use crate::store::{InstanceRow, PriceFuture};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Instances rated, and arrears handled, per sweep.
const LIMIT: i64 = 100;
/// The shortest billing cycle. A cycle is rated as soon as it closes; records
/// arriving later (within the late-data window) make a charge of their own.
const HOUR_MS: i64 = 3_600_000;

impl Worker {
    /// Rates every closed cycle with unrated usage; answers how many charges.
    pub async fn bill_usage(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let mut charged = 0;
        // No cycle is shorter than an hour, so nothing ending after the last
        // full hour can be in a closed cycle.
        let before = now - now.rem_euclid(HOUR_MS);
        let products = ProductCache::default();
        for id in self.store.unrated_instances(before, LIMIT).await? {
            let Some(i) = self.store.instance(&id).await? else {
                continue;
            };
            let Some(live) = products.get(&self.store, &i.product_id).await? else {
                continue;
            };
            let Some(spec) = live.spec(&i.spec_id).filter(|s| s.sku(&i.sku_id).is_some()) else {
                tracing::warn!(instance = %i.id, "usage of a SKU no longer sold stays unrated");
                continue;
            };
            let cycle = spec.billing_cycle.unwrap_or(BillingCycle::Daily);
            let mut cycles: Vec<(i64, i64)> = self
                .store
                .unrated_ends(&i.id)
                .await?
                .into_iter()
                .map(|end| cycle.cycle_of(end))
                .filter(|(_, end)| *end <= now)
                .collect();
            cycles.sort_unstable();
            cycles.dedup();
            for c in cycles {
                let from = spec
                    .accumulation_cycle
                    .map(|AccumulationCycle::Monthly| month_start(c.0));
                let price = self.usage_price(&live, &i, c);
                let Some(done) = self.store.charge_usage(&i, c, from, &price, now).await? else {
                    continue;
                };
                charged += 1;
                if done.exhausted {
                    let action = JobAction::Freeze {
                        reason: FreezeReason::QuotaExhausted,
                    };
                    let guard = InstanceGuard {
                        id: &i.id,
                        states: &[InstanceState::Active],
                        new_state: Some(InstanceState::Frozen),
                        freeze_reason: Some(FreezeReason::QuotaExhausted.as_str()),
                    };
                    let job = decision_job(&i.id, &action, &format!("{}:{now}:quota", i.id));
                    if self.store.decide(guard, job, now).await? {
                        self.wake.notify_one();
                    }
                }
            }
        }
        Ok(charged)
    }

    /// How one closed cycle `(start, end)` of instance `i` is priced: by the
    /// built-in model at once, or by the specification's pricing plugin on
    /// the worker's plugin threads, with the cycle's end as the logical time
    /// so a re-rating prices it the same. A price that cannot be had leaves
    /// the cycle unrated (and logged) for the next sweep.
    fn usage_price(
        &self,
        live: &Arc<ProductDraft>,
        i: &InstanceRow,
        (start, end): (i64, i64),
    ) -> impl Fn(Vec<Decimal>, Decimal) -> PriceFuture + Send + Sync + use<> {
        let by_plugin = live
            .spec(&i.spec_id)
            .is_some_and(|s| s.pricing_plugin.is_some());
        // A pricing plugin reads the seller's config opened, as at ordering;
        // the built-in models read no config.
        let live = if by_plugin {
            let mut opened = ProductDraft::clone(live);
            opened.plugin_config = self.secrets.open_config(&i.product_id, &live.plugin_config);
            Arc::new(opened)
        } else {
            live.clone()
        };
        let (runtime, plugins) = (self.runtime.clone(), self.plugins.clone());
        let (instance, product, seller) = (i.id.clone(), i.product_id.clone(), i.seller_id.clone());
        let (spec_id, sku_id) = (i.spec_id.clone(), i.sku_id.clone());
        move |parts: Vec<Decimal>, before: Decimal| -> PriceFuture {
            let (live, runtime, plugins) = (live.clone(), runtime.clone(), plugins.clone());
            let (instance, product, seller) = (instance.clone(), product.clone(), seller.clone());
            let (spec_id, sku_id) = (spec_id.clone(), sku_id.clone());
            Box::pin(async move {
                let price = move || {
                    let spec = live.spec(&spec_id)?;
                    let sku = spec.sku(&sku_id)?;
                    let pricing = Pricing {
                        runtime: &runtime,
                        product_id: &product,
                        product: &live,
                        now_ms: end,
                    };
                    Some(pricing.usage(spec, sku, &parts, before))
                };
                let answer = if by_plugin {
                    let ticket = Ticket::new(seller, CallKind::Worker);
                    match plugins.run(ticket, price).await {
                        Ok(answer) => answer,
                        Err(e) => Some(Err(crate::quoting::QuoteError::Declined(e.to_string()))),
                    }
                } else {
                    price()
                };
                match answer? {
                    Ok(q) => Some(q),
                    Err(e) => {
                        tracing::warn!(%instance, cycle_start = start, error = %e,
                            "usage cannot be priced; left unrated");
                        None
                    }
                }
            })
        }
    }

    /// Moves instances in arrears along grace → freeze → release, and
    /// unfreezes those whose arrears were paid.
    pub async fn arrears_sweep(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let job_for = |id: &str, action: &JobAction| {
            decision_job(id, action, &format!("{id}:{now}:{}", action.event_kind()))
        };
        let mut decided = 0;
        for a in self.store.arrears(LIMIT).await? {
            let step = arrears_step(
                a.since,
                now,
                self.config.arrears_grace_ms,
                self.config.retention_ms,
            );
            let (from, to, reason, action) = match (step, a.state.as_str()) {
                (ArrearsStep::Freeze | ArrearsStep::Release, "active") => (
                    InstanceState::Active,
                    InstanceState::Frozen,
                    Some(FreezeReason::Arrears.as_str()),
                    JobAction::Freeze {
                        reason: FreezeReason::Arrears,
                    },
                ),
                (ArrearsStep::Release, "frozen")
                    if a.freeze_reason.as_deref() == Some("arrears") =>
                {
                    (
                        InstanceState::Frozen,
                        InstanceState::Released,
                        None,
                        JobAction::Release {
                            reason: ReleaseReason::Arrears,
                        },
                    )
                }
                _ => continue,
            };
            let guard = InstanceGuard {
                id: &a.instance_id,
                states: &[from],
                new_state: Some(to),
                freeze_reason: reason,
            };
            if self
                .store
                .decide(guard, job_for(&a.instance_id, &action), now)
                .await?
            {
                decided += 1;
            }
        }
        for id in self.store.arrears_cleared_but_frozen(LIMIT).await? {
            let guard = InstanceGuard {
                id: &id,
                states: &[InstanceState::Frozen],
                new_state: Some(InstanceState::Active),
                freeze_reason: None,
            };
            if self
                .store
                .decide(guard, job_for(&id, &JobAction::Unfreeze), now)
                .await?
            {
                decided += 1;
            }
        }
        if decided > 0 {
            self.wake.notify_one();
        }
        Ok(decided)
    }
}
