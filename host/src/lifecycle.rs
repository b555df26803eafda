//! The lifecycle worker: takes queued jobs, calls the seller's lifecycle
//! plugin for each and commits what it answered. Jobs survive crashes (they
//! are rows); a call repeated after a crash gets the same seed, and the
//! plugin's key-value writes commit in the same transaction as the job's
//! completion, so an order yields exactly one instance however often the
//! process dies in between.

mod billing;
mod bills;
mod calls;
mod collect;
mod settle;
mod sweep;

use crate::app::plugin_pool::{CallKind, PluginPool, PoolError, Ticket};
use crate::clock::Clock;
use crate::domain::catalog::ProductDraft;
use crate::domain::instance::{JobAction, MAX_ATTEMPTS, retry_delay_ms};
use crate::runtime::{CallBudget, CallContext, Runtime};
use crate::secrets::SecretBox;
use crate::store::{Completion, InstanceRow, JobRow, Store, StoreKv};
use calls::{Answer, Call, interpret};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tracing::Instrument;

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs claimed per round.
    pub batch: i64,
    /// How long a claim is exclusive; must exceed a plugin call's deadline.
    pub lease_ms: i64,
    /// How often to look for due jobs and expired instances when nothing
    /// wakes the worker.
    pub poll: Duration,
    /// How long an expired instance stays frozen before it is released.
    pub retention_ms: i64,
    /// Usage records ending longer ago than this are refused as late.
    pub usage_late_window_ms: i64,
    /// How long an instance with unpaid charges keeps serving before it is
    /// frozen; `retention_ms` later it is released.
    pub arrears_grace_ms: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            batch: 64,
            lease_ms: 30_000,
            poll: Duration::from_millis(250),
            retention_ms: 15 * 86_400_000,
            usage_late_window_ms: crate::domain::usage::DEFAULT_LATE_WINDOW_MS,
            arrears_grace_ms: 86_400_000,
        }
    }
}

/// Counters of the worker's work, for operators and benchmarks.
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// Jobs finished (committed, retried or given up).
    pub jobs: AtomicU64,
    /// Microseconds spent inside plugin calls (instantiation included).
    pub plugin_us: AtomicU64,
    /// Microseconds spent committing job outcomes.
    pub commit_us: AtomicU64,
}

impl WorkerStats {
    /// A JSON snapshot.
    pub fn snapshot(&self) -> serde_json::Value {
        json!({
            "jobs": self.jobs.load(Ordering::Relaxed),
            "plugin-us": self.plugin_us.load(Ordering::Relaxed),
            "commit-us": self.commit_us.load(Ordering::Relaxed),
        })
    }
}

/// What the worker needs; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    /// `<node id>:<boot id>`: whose claims these are.
    pub(crate) lease: String,
    pub(crate) store: Store,
    pub(crate) runtime: Arc<Runtime>,
    /// The threads plugin calls run on; the worker's have their reserve.
    pub(crate) plugins: Arc<PluginPool>,
    pub(crate) secrets: SecretBox,
    pub(crate) clock: Clock,
    pub(crate) wake: Arc<Notify>,
    pub(crate) config: WorkerConfig,
    pub(crate) stats: Arc<WorkerStats>,
    /// Plugin calls in flight at once: one per core; more only make each
    /// call slower and hold more database connections.
    pub(crate) calls: Arc<tokio::sync::Semaphore>,
    /// Bills the settlement rules could not tax: not retried until the
    /// active rules change or a minute passes (`lifecycle/bills.rs`).
    pub(crate) held_bills: Arc<std::sync::Mutex<HashMap<String, (String, Instant)>>>,
}

/// The key-value namespace of a product's plugins: instance state belongs to
/// the product, so it survives the seller moving to a new plugin version.
pub fn product_namespace(product_id: &str) -> String {
    format!("product:{product_id}")
}

pub use crate::app::decisions::decision_job;

/// The live product definitions a round needs, read once per round: a batch
/// of 64 orders of one product parses its definition once, not 64 times.
#[derive(Default)]
pub(crate) struct ProductCache(tokio::sync::Mutex<HashMap<String, Option<Arc<ProductDraft>>>>);

impl ProductCache {
    async fn get(
        &self,
        store: &Store,
        id: &str,
    ) -> Result<Option<Arc<ProductDraft>>, crate::store::StoreError> {
        let mut map = self.0.lock().await;
        if let Some(p) = map.get(id) {
            return Ok(p.clone());
        }
        let live = store
            .product(id)
            .await?
            .and_then(|row| row.live_draft())
            .map(Arc::new);
        map.insert(id.to_string(), live.clone());
        Ok(live)
    }
}

/// Crash-test hook: `BAZAAR_FAILPOINT=before-plugin-call` or
/// `after-plugin-call` aborts the process there, as a power cut would, so
/// the black-box tests can prove a restarted service finishes the job once.
fn failpoint(name: &str) {
    static FAILPOINT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let armed = FAILPOINT.get_or_init(|| std::env::var("BAZAAR_FAILPOINT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        // The worker can reach this before the answer to the order that woke
        // it has left the socket; the test needs that answer, and the pause
        // changes nothing about what is committed (this task is stopped here).
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::process::abort();
    }
}

impl Worker {
    /// Runs until `stop` turns true (or the task is dropped): sweeps
    /// expiries, then works off due jobs, then sleeps until woken or the
    /// poll interval passes. A stop lets the round in progress commit, so
    /// the jobs it claimed are finished, not left leased.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let lease = self.lease.clone();
        let mut next_billing = Instant::now();
        let mut committing: Option<tokio::task::JoinHandle<()>> = None;
        let mut next_sweep = Instant::now();
        let mut busy = false;
        loop {
            if *stop.borrow() {
                if let Some(commit) = committing.take() {
                    let _ = commit.await;
                }
                return;
            }
            // After a wake-up (a clock moved, an order placed) at once;
            // between the rounds of a busy queue once per poll interval,
            // since its three statements found nothing new in most of them.
            if !busy || Instant::now() >= next_sweep {
                next_sweep = Instant::now() + self.config.poll;
                if let Err(e) = self.sweep().await {
                    tracing::warn!(error = %e, "expiry sweep failed");
                }
            }
            // Pay-per-use work follows the clock, not orders: once per poll
            // interval keeps its queries out of every round of a busy queue.
            if Instant::now() >= next_billing {
                next_billing = Instant::now() + self.config.poll;
                if let Err(e) = self.collect_usage().await {
                    tracing::warn!(error = %e, "usage collection failed");
                }
                if let Err(e) = self.bill_usage().await {
                    tracing::warn!(error = %e, "usage billing failed");
                }
                if let Err(e) = self.arrears_sweep().await {
                    tracing::warn!(error = %e, "arrears sweep failed");
                }
                if let Err(e) = self.generate_bills().await {
                    tracing::warn!(error = %e, "bill generation failed");
                }
            }
            let worked = match self.round(&lease, &mut committing).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "lifecycle round failed");
                    0
                }
            };
            busy = worked > 0;
            // Nothing to claim may only mean the jobs due are queued behind
            // ones whose commit is still in flight: they are claimable once
            // it lands.
            if worked == 0
                && let Some(commit) = committing.take()
            {
                let _ = commit.await;
                continue;
            }
            if worked == 0 {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Claims and runs one batch; returns how many jobs it ran. What the
    /// jobs did commits in one transaction on a task of its own, left in
    /// `committing`, while the next round claims and calls: the two never
    /// touch one instance, since only an instance's first queued job is
    /// claimable and a job stays queued (leased) until its commit. One
    /// commit is in flight at a time, so rounds commit in order.
    async fn round(
        &self,
        lease: &str,
        committing: &mut Option<tokio::task::JoinHandle<()>>,
    ) -> Result<usize, crate::store::StoreError> {
        let now = self.clock.now_ms();
        let jobs = self
            .store
            .claim_jobs(lease, now, self.config.lease_ms, self.config.batch)
            .await?;
        let n = jobs.len();
        if n == 0 {
            return Ok(0);
        }
        let ids: Vec<&str> = jobs.iter().map(|j| j.instance_id.as_str()).collect();
        let mut instances: HashMap<String, InstanceRow> = self
            .store
            .instances_by_id(&ids)
            .await?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
        let products = Arc::new(ProductCache::default());
        let mut set = tokio::task::JoinSet::new();
        for job in jobs {
            let Some(instance) = instances.remove(&job.instance_id) else {
                continue;
            };
            let me = self.clone();
            let lease = lease.to_string();
            let products = products.clone();
            set.spawn(async move {
                let id = job.id;
                match me.run_job(job, instance, &lease, &products).await {
                    Ok(done) => done,
                    Err(e) => {
                        tracing::warn!(job = id, error = %e, "job failed; it will be retried");
                        None
                    }
                }
            });
        }
        let batch: Vec<Completion> = set.join_all().await.into_iter().flatten().collect();
        if let Some(previous) = committing.take() {
            let _ = previous.await;
        }
        if !batch.is_empty() {
            let me = self.clone();
            *committing = Some(tokio::spawn(async move { me.commit(batch).await }));
        }
        Ok(n)
    }

    /// Commits a round's finished jobs; a failure leaves them leased, to be
    /// run again when their lease runs out.
    async fn commit(&self, batch: Vec<Completion>) {
        let started = Instant::now();
        let done = match self.store.complete_jobs(&batch).await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "committing a lifecycle round failed");
                return;
            }
        };
        self.stats
            .commit_us
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        self.stats
            .jobs
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (c, ok) in batch.iter().zip(done) {
            if !ok {
                tracing::warn!(
                    job = c.job_id,
                    "lost the job's lease; another worker finishes it"
                );
            }
        }
    }

    async fn run_job(
        &self,
        job: JobRow,
        instance: InstanceRow,
        lease: &str,
        products: &ProductCache,
    ) -> Result<Option<Completion>, crate::store::StoreError> {
        let action: JobAction = match serde_json::from_str(&job.action) {
            Ok(a) => a,
            Err(e) => {
                // Only this binary writes jobs; an unreadable one is a bug, and
                // parking it keeps it from blocking the instance's queue forever.
                tracing::error!(job = job.id, error = %e, "unreadable job; parking it");
                let at = self.clock.now_ms() + retry_delay_ms(MAX_ATTEMPTS);
                self.store
                    .retry_job(job.id, lease, at, &e.to_string())
                    .await?;
                return Ok(None);
            }
        };
        let product = products.get(&self.store, &instance.product_id).await?;
        // Attached to the call's future, not entered: a guard held across
        // an await leaves the span on whichever thread resumes the task, and
        // tracing-subscriber 0.3.23 then panics cloning it once it closed
        // (tokio-rs/tracing#3514; seen in the SIGTERM-under-load test).
        let span = tracing::info_span!("lifecycle", job = job.id, instance = %instance.id, action = action.event_kind());
        failpoint("before-plugin-call");
        let answer = match &product {
            Some(product) => {
                self.call_plugin(&job, &action, &instance, product)
                    .instrument(span)
                    .await?
            }
            None => Answer::Failed("the product has no approved version".into()),
        };
        failpoint("after-plugin-call");
        self.settle(job, lease, action, instance, answer).await
    }

    async fn call_plugin(
        &self,
        job: &JobRow,
        action: &JobAction,
        instance: &InstanceRow,
        product: &ProductDraft,
    ) -> Result<Answer, crate::store::StoreError> {
        let Some(plugin) = self.runtime.get(&product.lifecycle_plugin) else {
            return Ok(Answer::Transient(format!(
                "lifecycle plugin {} is not loaded",
                product.lifecycle_plugin
            )));
        };
        let call = match calls::call(job, action, instance, product) {
            Ok(call) => call,
            Err(why) => return Ok(Answer::Failed(why)),
        };
        let ctx = CallContext {
            now_ms: self.clock.now_ms(),
            seed: job.seed as u64,
            config: self
                .secrets
                .open_config(&instance.product_id, &product.plugin_config),
            kv: Arc::new(StoreKv::new(
                self.store.clone(),
                product_namespace(&instance.product_id),
            )),
        };
        let _permit = self.calls.acquire().await;
        let rt = self.runtime.clone();
        let stats = self.stats.clone();
        let ticket = Ticket::new(instance.seller_id.clone(), CallKind::Worker);
        let answer = self
            .plugins
            .run(ticket, move || {
                let started = Instant::now();
                let budget = CallBudget::default();
                let answer = match &call {
                    Call::Create(subscription) => interpret(
                        rt.call_create_instance(&plugin, subscription, ctx, &budget),
                        Some,
                    ),
                    Call::Update(change) => interpret(
                        rt.call_update_instance(&plugin, change, ctx, &budget),
                        |()| None,
                    ),
                    Call::Release {
                        instance_id,
                        reason,
                    } => interpret(
                        rt.call_release_instance(&plugin, instance_id, *reason, ctx, &budget),
                        |()| None,
                    ),
                };
                stats
                    .plugin_us
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                answer
            })
            .await;
        Ok(match answer {
            Ok(answer) => answer,
            // Retried like a busy runtime: the pool may have room later.
            Err(PoolError::Busy { .. }) => {
                Answer::Transient("plugin call failed (busy): the plugin pool is busy".into())
            }
            Err(e @ PoolError::Panicked) => {
                return Err(crate::store::StoreError::Conflict(e.to_string()));
            }
        })
    }
}
