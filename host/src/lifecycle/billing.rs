//! Pay-per-use billing driven by time: closed cycles of usage are rated and
//! charged (`Store::charge_usage`), unpaid charges put an instance through
//! grace, a freeze (reason `arrears`), retention and release, and an
//! instance whose arrears were paid is unfrozen. Each step is a guarded,
//! idempotent write, so a crash between steps is picked up by the next
//! sweep.

use super::{ProductCache, Worker, decision_job};
use crate::domain::billing::{AccumulationCycle, ArrearsStep, BillingCycle, arrears_step};
use crate::domain::catalog::month_start;
use crate::domain::instance::{FreezeReason, InstanceState, JobAction, ReleaseReason};
use crate::domain::pricing::usage_quote;
use crate::store::{InstanceGuard, StoreError};

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
            let Some((spec, sku)) = live
                .spec(&i.spec_id)
                .and_then(|s| Some((s, s.sku(&i.sku_id)?)))
            else {
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
            let price = |parts: &[rust_decimal::Decimal], before| match usage_quote(
                &live.currency,
                spec,
                sku,
                parts,
                before,
            ) {
                Ok(q) => Some(q),
                Err(e) => {
                    tracing::warn!(instance = %i.id, error = %e, "usage cannot be priced; left unrated");
                    None
                }
            };
            for c in cycles {
                let from = spec
                    .accumulation_cycle
                    .map(|AccumulationCycle::Monthly| month_start(c.0));
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
