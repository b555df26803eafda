//! `bazaar serve`'s options for the plugin threads and plugin memory; each
//! also reads an environment variable. Absent options keep the defaults of
//! `PoolConfig::default` (sized from the machine's cores) and `Limits`.

use crate::startup::Settings;
use std::time::Duration;

/// How plugin calls share the machine.
#[derive(Debug, clap::Args)]
pub struct PluginPoolArgs {
    /// Threads running plugin calls: the most calls at once (default: twice
    /// the cores, 4 to 16).
    #[arg(long, env = "BAZAAR_PLUGIN_THREADS")]
    plugin_threads: Option<usize>,
    /// Of those, threads only the lifecycle worker may use (default: a
    /// quarter, at least 1).
    #[arg(long, env = "BAZAAR_PLUGIN_WORKER_RESERVE")]
    plugin_worker_reserve: Option<usize>,
    /// The most calls of one seller at once (default: half the threads the
    /// worker does not reserve, rounded up).
    #[arg(long, env = "BAZAAR_PLUGIN_SELLER_SHARE")]
    plugin_seller_share: Option<usize>,
    /// The most debug calls of one seller at once (default: 2).
    #[arg(long, env = "BAZAAR_PLUGIN_DEBUG_PER_SELLER")]
    plugin_debug_per_seller: Option<usize>,
    /// How long a plugin call waits for a thread before it is answered `429
    /// busy`, in ms.
    #[arg(long, env = "BAZAAR_PLUGIN_QUEUE_WAIT_MS", default_value_t = 2_000)]
    plugin_queue_wait_ms: u64,
    /// The nice value of the threads sellers' plugin calls run on, 0 to 19
    /// (0: normal priority; 19: Linux's `SCHED_IDLE`). The lifecycle worker's
    /// calls run at this nice value but at most 10, never `SCHED_IDLE`.
    #[arg(long, env = "BAZAAR_PLUGIN_NICE", default_value_t = 19)]
    plugin_nice: i32,
    /// Linear memory one plugin call may use, in MiB.
    #[arg(long, env = "BAZAAR_PLUGIN_MEMORY_MIB", default_value_t = 128)]
    plugin_memory_mib: u64,
    /// Memory all concurrent plugin calls may hold together, in MiB: start-up
    /// refuses threads × memory per call above it.
    #[arg(long, env = "BAZAAR_PLUGIN_MEMORY_TOTAL_MIB", default_value_t = 2_048)]
    plugin_memory_total_mib: u64,
}

impl PluginPoolArgs {
    /// Writes the options into `settings`.
    pub fn apply(&self, settings: &mut Settings) {
        let mut pool = match self.plugin_threads {
            // Shares follow the thread count unless given too.
            Some(threads) => crate::app::plugin_pool::PoolConfig::for_threads(threads),
            None => settings.plugin_pool.clone(),
        };
        if let Some(n) = self.plugin_worker_reserve {
            pool.worker_reserve = n;
        }
        if let Some(n) = self.plugin_seller_share {
            pool.seller_share = n;
        }
        if let Some(n) = self.plugin_debug_per_seller {
            pool.debug_per_seller = n;
        }
        pool.queue_wait = Duration::from_millis(self.plugin_queue_wait_ms);
        pool.nice = self.plugin_nice;
        settings.plugin_pool = pool;
        settings.runtime.limits.memory_bytes = self.plugin_memory_mib << 20;
        settings.runtime.total_memory_bytes = self.plugin_memory_total_mib << 20;
    }
}
