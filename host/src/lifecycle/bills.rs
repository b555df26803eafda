//! Settlement bills driven by the service clock: from the 7th of a month
//! (§8.1), every seller with something to settle gets one bill for the
//! previous month. Each bill is one transaction that claims its
//! `(seller, month)` key first, so a crash mid-way, a restart or a second
//! node produces each bill exactly once.

use super::{Worker, failpoint};
use crate::domain::settlement::BillMonth;
use crate::store::StoreError;

/// Bills generated per sweep at most; the next sweep goes on.
const LIMIT: usize = 200;

impl Worker {
    /// Generates the bills due now; answers how many.
    pub async fn generate_bills(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let Some(month) = BillMonth::due_at(now) else {
            return Ok(0);
        };
        let mut made = 0;
        for seller in self.store.sellers_due(month).await?.iter().take(LIMIT) {
            if let Some(bill) = self.store.generate_bill(seller, month, now).await? {
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
