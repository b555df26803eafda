//! Settlement bills driven by the service clock: from the 7th of a month
//! (§8.1), every seller with something to settle gets one bill for the
//! previous month. Each bill is one transaction that claims its
//! `(seller, month)` key first, so a crash mid-way, a restart or a second
//! node produces each bill exactly once. The active settlement rules tax
//! the lines (`app::taxes`).

use super::{Worker, failpoint};
use crate::app::taxes::taxer_of;
use crate::domain::settlement::BillMonth;
use crate::store::StoreError;
use std::time::{Duration, Instant};

/// Bills generated per sweep at most; the next sweep goes on.
const LIMIT: usize = 200;

/// How long a bill the rules could not tax waits before it is tried again
/// with the same rules (a change of rules retries it at once).
const HELD_RETRY: Duration = Duration::from_secs(60);

impl Worker {
    /// Generates the bills due now; answers how many.
    pub async fn generate_bills(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let Some(month) = BillMonth::due_at(now) else {
            return Ok(0);
        };
        let due = self.store.sellers_due(month).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let active = self.store.active_rules(Some("settlement")).await?;
        // Which rules tax now: a bill held under other rules is retried.
        let rules = active
            .iter()
            .map(|r| format!("{}={}", r.name, r.plugin.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(",");
        let taxer = taxer_of(
            active,
            &self.store,
            self.runtime.clone(),
            self.plugins.clone(),
        );
        let mut made = 0;
        for seller in due.iter().take(LIMIT) {
            let key = format!("{seller}:{}", month.id());
            let held = self
                .held_bills
                .lock()
                .ok()
                .and_then(|h| h.get(&key).cloned());
            if held.is_some_and(|(r, at)| r == rules && at.elapsed() < HELD_RETRY) {
                continue;
            }
            let bill = match self
                .store
                .generate_bill(seller, month, now, taxer.as_deref())
                .await
            {
                Ok(bill) => bill,
                // One seller's bill waits for a working tax rule; the
                // others go on.
                Err(StoreError::Rule(why)) => {
                    tracing::error!(seller = %seller, month = %month.id(), %why,
                        "bill not generated: the settlement rules could not tax it");
                    if let Ok(mut h) = self.held_bills.lock() {
                        h.insert(key, (rules.clone(), Instant::now()));
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Ok(mut h) = self.held_bills.lock() {
                h.remove(&key);
            }
            if let Some(bill) = bill {
                tracing::info!(seller = %bill.seller_id, bill = %bill.period, lines = bill.lines,
                    settlement = %bill.settlement, "bill generated");
                made += 1;
                // The crash tests stop the process between two bills.
                failpoint("during-bills");
            }
        }
        Ok(made)
    }
}
