//! What each seller's plugin calls have cost since the service started:
//! calls, refusals, fuel, CPU and wall-clock time, kept in memory for
//! operators (`GET /v1/plugin-usage`).

use super::CallKind;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One seller's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SellerUsage {
    /// The seller (or operator) the calls ran for.
    pub seller: String,
    /// Jobs run: debug calls, pricing, replays and reviews, worker calls.
    pub calls: u64,
    /// Of those, debug calls.
    pub debug_calls: u64,
    /// Of those, the lifecycle worker's.
    pub worker_calls: u64,
    /// Calls refused as busy after waiting their turn.
    pub busy: u64,
    /// Fuel burned.
    pub fuel: u64,
    /// CPU time of the pool threads running them, in microseconds.
    pub cpu_us: u64,
    /// Wall-clock time they ran, in microseconds (queueing not included).
    pub wall_us: u64,
    /// Calls running now (not the worker's).
    pub running: u64,
    /// Calls waiting for a thread now (not the worker's).
    pub queued: u64,
}

/// What one job cost.
pub(super) struct Charge {
    pub(super) fuel: u64,
    pub(super) cpu: Duration,
    pub(super) wall: Duration,
}

/// The counters of every seller that called.
#[derive(Default)]
pub(super) struct Usage(Mutex<HashMap<String, SellerUsage>>);

impl Usage {
    fn with(&self, seller: &str, f: impl FnOnce(&mut SellerUsage)) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map
            .entry(seller.to_string())
            .or_insert_with(|| SellerUsage {
                seller: seller.to_string(),
                ..SellerUsage::default()
            });
        f(entry);
    }

    pub(super) fn charge(&self, seller: &str, kind: CallKind, c: &Charge) {
        self.with(seller, |u| {
            u.calls += 1;
            match kind {
                CallKind::Debug => u.debug_calls += 1,
                CallKind::Worker => u.worker_calls += 1,
                CallKind::Seller => {}
            }
            u.fuel = u.fuel.saturating_add(c.fuel);
            u.cpu_us = u.cpu_us.saturating_add(c.cpu.as_micros() as u64);
            u.wall_us = u.wall_us.saturating_add(c.wall.as_micros() as u64);
        });
    }

    pub(super) fn refused(&self, seller: &str) {
        self.with(seller, |u| u.busy += 1);
    }

    /// Every seller's counters, by seller id.
    pub(super) fn snapshot(&self) -> Vec<SellerUsage> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = map.values().cloned().collect();
        all.sort_by(|a, b| a.seller.cmp(&b.seller));
        all
    }
}
