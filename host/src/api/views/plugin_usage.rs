//! The body of `GET /v1/plugin-usage`.

use crate::app::plugin_pool::{PoolConfig, SellerUsage};
use serde::Serialize;

/// How plugin calls share the pool's threads, and each seller's usage.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PluginUsageView {
    /// The pool's settings.
    pub pool: PoolView,
    /// Every seller (or operator) whose calls ran or were refused since the
    /// service started, by id.
    pub sellers: Vec<SellerUsageView>,
}

/// The pool's settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PoolView {
    /// Threads running plugin calls (the most calls at once).
    pub threads: u64,
    /// Threads only the lifecycle worker may use.
    pub worker_reserve: u64,
    /// The most calls of one seller at once.
    pub seller_share: u64,
    /// The most debug calls of one seller at once.
    pub debug_per_seller: u64,
    /// How long a call waits for a thread before it is refused as busy, ms.
    pub queue_wait_ms: u64,
    /// The plugin threads' nice value.
    pub nice: i32,
}

/// One seller's plugin calls since the service started.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SellerUsageView {
    /// The seller's (or operator's) account id.
    pub seller: String,
    /// Jobs run: debug calls, pricing, replays, reviews and worker calls (a
    /// replay of several cases is one).
    pub calls: u64,
    /// Of those, debug calls.
    pub debug_calls: u64,
    /// Of those, the lifecycle worker's (lifecycle, usage collection).
    pub worker_calls: u64,
    /// Calls refused as busy (`429`) after waiting their turn.
    pub busy: u64,
    /// Fuel burned.
    pub fuel: u64,
    /// CPU time of the threads running them, µs.
    pub cpu_us: u64,
    /// Time they ran, µs (waiting for a thread not included).
    pub wall_us: u64,
    /// Calls running now (the worker's not included).
    pub running: u64,
    /// Calls waiting for a thread now (the worker's not included).
    pub queued: u64,
}

impl PluginUsageView {
    /// The view of `config` and `sellers`.
    pub fn new(config: &PoolConfig, sellers: Vec<SellerUsage>) -> Self {
        Self {
            pool: PoolView {
                threads: config.threads as u64,
                worker_reserve: config.worker_reserve as u64,
                seller_share: config.seller_share as u64,
                debug_per_seller: config.debug_per_seller as u64,
                queue_wait_ms: config.queue_wait.as_millis() as u64,
                nice: config.nice,
            },
            sellers: sellers
                .into_iter()
                .map(|u| SellerUsageView {
                    seller: u.seller,
                    calls: u.calls,
                    debug_calls: u.debug_calls,
                    worker_calls: u.worker_calls,
                    busy: u.busy,
                    fuel: u.fuel,
                    cpu_us: u.cpu_us,
                    wall_us: u.wall_us,
                    running: u.running,
                    queued: u.queued,
                })
                .collect(),
        }
    }
}
