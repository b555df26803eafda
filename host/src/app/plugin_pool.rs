//! The one way plugin code runs in the service: a fixed set of OS threads
//! at a lower scheduling priority, so plugin calls cannot take the CPU or
//! the async runtime's blocking threads from the HTTP side. Who may start a
//! call is decided first (`admission.rs`): a share of the threads per
//! seller, fewer still for debug calls, a reserve for the lifecycle worker,
//! and a bounded wait after which a call is refused as busy. Every call's
//! fuel and CPU time are charged to its seller (`usage.rs`).

mod admission;
mod os;
mod usage;

pub use usage::SellerUsage;

use super::{App, AppError, Caller};
use crate::store::Role;
use admission::Admission;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::time::{Duration, Instant};
use usage::{Charge, Usage};

/// How the pool shares its threads out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Threads running plugin calls: the most calls that run at once (and
    /// the runtime's instance slots).
    pub threads: usize,
    /// Threads only the lifecycle worker may use, so orders keep moving
    /// while sellers' calls fill the rest.
    pub worker_reserve: usize,
    /// The most calls of one seller (debug, pricing, replays, reviews) that
    /// run at once.
    pub seller_share: usize,
    /// The most debug calls of one seller (or operator) that run at once.
    pub debug_per_seller: usize,
    /// How long a call waits for a thread before it is refused as busy.
    pub queue_wait: Duration,
    /// The nice value of the threads sellers' calls run on (0: the normal
    /// priority; higher yields the CPU to the HTTP side; 19 is `SCHED_IDLE`).
    /// The worker's calls run at this value but at most [`WORKER_NICE`]. Epoch deadlines are wall-clock, so
    /// a starved plugin thread reaches its deadline with less work done.
    pub nice: i32,
}

impl PoolConfig {
    /// The defaults for a machine with `cores` cores: twice as many threads
    /// (at least 4, at most 16; they are niced, so more threads than cores
    /// only share the plugins' part of the CPU), a quarter of them reserved
    /// for the worker, half the rest per seller, 2 debug calls per seller,
    /// 2 s of queueing, sellers' calls at nice 19 (Linux's `SCHED_IDLE`;
    /// the worker's calls at most nice 10).
    pub fn for_cores(cores: usize) -> Self {
        Self::for_threads((2 * cores).clamp(4, 16))
    }

    /// The defaults around `threads` plugin threads.
    pub fn for_threads(threads: usize) -> Self {
        let worker_reserve = if threads > 1 { (threads / 4).max(1) } else { 0 };
        let seller_share = threads.saturating_sub(worker_reserve).div_ceil(2).max(1);
        Self {
            threads,
            worker_reserve,
            seller_share,
            debug_per_seller: seller_share.min(2),
            queue_wait: Duration::from_secs(2),
            nice: os::IDLE_NICE,
        }
    }

    /// Threads calls other than the worker's may use.
    pub fn shared_threads(&self) -> usize {
        self.threads.saturating_sub(self.worker_reserve)
    }

    /// Says what is wrong with these settings, if anything.
    pub fn check(&self) -> Result<(), String> {
        if self.threads == 0 {
            return Err("plugin threads must be at least 1".into());
        }
        if self.worker_reserve >= self.threads {
            return Err(format!(
                "the worker's reserve ({}) must leave at least one of the {} plugin threads to sellers",
                self.worker_reserve, self.threads
            ));
        }
        if self.seller_share == 0 || self.debug_per_seller == 0 {
            return Err(
                "the per-seller share and debug calls per seller must be at least 1".into(),
            );
        }
        if !(0..=19).contains(&self.nice) {
            return Err(format!(
                "plugin thread nice value must be 0 to 19, not {}",
                self.nice
            ));
        }
        Ok(())
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::for_cores(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// What a call is, for its share of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A seller's or operator's debug call.
    Debug,
    /// Work for a seller's request: pricing, replays, reviews.
    Seller,
    /// The lifecycle worker's calls (lifecycle, usage collection).
    Worker,
}

/// Whom a call is charged to and what kind it is.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// The seller (or operator, for their debug calls) the call runs for.
    pub seller: String,
    /// Its kind.
    pub kind: CallKind,
}

impl Ticket {
    /// A call of `kind` for `seller`.
    pub fn new(seller: impl Into<String>, kind: CallKind) -> Self {
        Self {
            seller: seller.into(),
            kind,
        }
    }
}

/// Why a job did not run to completion.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// No thread was free for this call within the queue wait.
    #[error("plugin calls are busy; retry in {retry_after_s} s")]
    Busy {
        /// When a retry may find a thread.
        retry_after_s: u64,
    },
    /// The job panicked (a bug of the host, not of the plugin).
    #[error("a plugin call panicked")]
    Panicked,
}

impl From<PoolError> for AppError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy { retry_after_s } => AppError::Busy { retry_after_s },
            PoolError::Panicked => AppError::Internal(e.into()),
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The pool; shared behind an `Arc`, its threads end when it is dropped.
pub struct PluginPool {
    config: PoolConfig,
    admission: Arc<Admission>,
    /// Sellers' and operators' calls, on threads at `config.nice`.
    jobs: mpsc::Sender<Job>,
    /// The lifecycle worker's calls, on threads at the normal priority.
    worker_jobs: mpsc::Sender<Job>,
    usage: Arc<Usage>,
    /// Set when a job ends; the trimmer gives freed heap back after it.
    dirty: Arc<AtomicBool>,
}

/// The most the worker's plugin threads are niced: they yield to HTTP (at
/// normal priority they slowed order acceptance by a third) but are never
/// starved.
pub const WORKER_NICE: i32 = 10;

/// How often freed heap is given back after calls ran.
const TRIM_EVERY: Duration = Duration::from_secs(1);

impl PluginPool {
    /// Starts `config.threads` threads at `config.nice` for sellers' calls,
    /// as many at most [`WORKER_NICE`] for the lifecycle worker's (admission
    /// still lets at most `config.threads` calls run at once), and the heap
    /// trimmer. The worker's threads are never `SCHED_IDLE`, which would
    /// stop provisioning whenever HTTP keeps the CPU busy; a flood of
    /// sellers' calls should yield to HTTP entirely.
    pub fn new(config: PoolConfig) -> std::io::Result<Arc<Self>> {
        config.check().map_err(std::io::Error::other)?;
        let jobs = spawn_threads("bazaar-plugin", config.threads, config.nice)?;
        let worker_nice = config.nice.min(WORKER_NICE);
        let worker_jobs = spawn_threads("bazaar-worker-plugin", config.threads, worker_nice)?;
        let dirty = Arc::new(AtomicBool::new(false));
        spawn_trimmer(Arc::downgrade(&dirty))?;
        Ok(Arc::new(Self {
            admission: Admission::new(config.clone()),
            config,
            jobs,
            worker_jobs,
            usage: Arc::new(Usage::default()),
            dirty,
        }))
    }

    /// Its settings.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Runs `f` (which calls plugins) on a pool thread once `ticket` is
    /// admitted, charging its fuel and CPU time to the ticket's seller.
    pub async fn run<T, F>(&self, ticket: Ticket, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let Some(permit) = self.admission.admit(&ticket, self.config.queue_wait).await else {
            self.usage.refused(&ticket.seller);
            return Err(PoolError::Busy {
                retry_after_s: self.config.queue_wait.as_secs().max(1),
            });
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ticket_kind = ticket.kind;
        let (usage, dirty) = (self.usage.clone(), self.dirty.clone());
        // The call's log lines stay inside the request (or job) that asked
        // for it, request id and all.
        let span = tracing::info_span!("plugin_call", seller = %ticket.seller, kind = ?ticket.kind);
        let job: Job = Box::new(move || {
            let _entered = span.enter();
            let (cpu, fuel, started) = (
                os::thread_cpu_time(),
                crate::runtime::thread_fuel_used(),
                Instant::now(),
            );
            let out = std::panic::catch_unwind(AssertUnwindSafe(f));
            let charge = Charge {
                fuel: crate::runtime::thread_fuel_used().saturating_sub(fuel),
                cpu: os::thread_cpu_time().saturating_sub(cpu),
                wall: started.elapsed(),
            };
            usage.charge(&ticket.seller, ticket.kind, &charge);
            dirty.store(true, Ordering::Relaxed);
            drop(permit);
            // The caller may have gone away (a dropped request); the call
            // still ran to its end, and its permit is back.
            let _ = tx.send(out);
        });
        let queue = match ticket_kind {
            CallKind::Worker => &self.worker_jobs,
            CallKind::Debug | CallKind::Seller => &self.jobs,
        };
        queue.send(job).map_err(|_| PoolError::Panicked)?;
        match rx.await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(_)) | Err(_) => Err(PoolError::Panicked),
        }
    }

    /// Every seller's counters, with what runs and waits now.
    pub fn usage(&self) -> Vec<SellerUsage> {
        let mut all = self.usage.snapshot();
        for u in &mut all {
            let (running, queued) = self.admission.lane_load(&u.seller);
            u.running = running as u64;
            u.queued = queued as u64;
        }
        all
    }
}

/// Starts `n` threads named `name-{i}` at `nice`, serving one queue of jobs
/// until the pool (the queue's sender) is dropped.
fn spawn_threads(name: &str, n: usize, nice: i32) -> std::io::Result<mpsc::Sender<Job>> {
    let (jobs, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..n {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                if !os::lower_priority(nice) {
                    tracing::warn!(nice, "cannot lower the plugin thread's priority");
                }
                loop {
                    let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => break,
                    }
                }
            })?;
    }
    Ok(jobs)
}

/// Gives freed heap back to the OS once a second after calls ran, until the
/// pool is gone.
fn spawn_trimmer(dirty: Weak<AtomicBool>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("bazaar-trim".into())
        .spawn(move || {
            loop {
                std::thread::sleep(TRIM_EVERY);
                let Some(dirty) = dirty.upgrade() else {
                    break;
                };
                if dirty.swap(false, Ordering::Relaxed) {
                    os::trim_heap();
                }
            }
        })
        .map(|_| ())
}

/// The pool's settings and every seller's plugin usage (operators).
pub fn usage(app: &App, caller: &Caller) -> Result<(PoolConfig, Vec<SellerUsage>), AppError> {
    caller.require(&[Role::Operator])?;
    Ok((app.plugins.config().clone(), app.plugins.usage()))
}
