//! Settlement bills driven by the service clock: from the 7th of a month
//! (§8.1), every seller with something to settle gets one bill for the
//! previous month. Each bill is one transaction that claims its
//! `(seller, month)` key first, so a crash mid-way, a restart or a second
//! node produces each bill exactly once.

use super::Worker;
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
            failpoint_bill();
            if let Some(bill) = self.store.generate_bill(seller, month, now).await? {
                tracing::info!(seller = %bill.seller_id, bill = %bill.period, lines = bill.lines,
                    settlement = %bill.settlement, "bill generated");
                made += 1;
            }
        }
        Ok(made)
    }
}

/// `BAZAAR_FAILPOINT=during-bills` aborts the process between two sellers'
/// bills (the crash tests).
fn failpoint_bill() {
    static SEEN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    if std::env::var("BAZAAR_FAILPOINT").as_deref() == Ok("during-bills")
        && SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 1
    {
        eprintln!("failpoint during-bills: aborting");
        std::process::abort();
    }
}
