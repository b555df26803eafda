//! The lifecycle worker: takes queued jobs, calls the seller's lifecycle
//! plugin for each and commits what it answered. Jobs survive crashes (they
//! are rows); a call repeated after a crash gets the same seed, and the
//! plugin's key-value writes commit in the same transaction as the job's
//! completion, so an order yields exactly one instance however often the
//! process dies in between.

mod calls;
mod sweep;

use crate::clock::Clock;
use crate::domain::catalog::ProductDraft;
use crate::domain::instance::{InstanceState, JobAction, MAX_ATTEMPTS, retry_delay_ms};
use crate::runtime::{CallBudget, CallContext, Runtime, World};
use crate::secrets::SecretBox;
use crate::store::{Completion, InstanceRow, JobRow, NewEvent, Store, StoreKv};
use calls::{Answer, interpret};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

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
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            batch: 64,
            lease_ms: 30_000,
            poll: Duration::from_millis(250),
            retention_ms: 15 * 86_400_000,
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
    pub(crate) secrets: SecretBox,
    pub(crate) clock: Clock,
    pub(crate) wake: Arc<Notify>,
    pub(crate) config: WorkerConfig,
    pub(crate) stats: Arc<WorkerStats>,
    /// Plugin calls in flight at once: one per core; more only make each
    /// call slower and hold more database connections.
    pub(crate) calls: Arc<tokio::sync::Semaphore>,
}

/// The key-value namespace of a product's plugins: instance state belongs to
/// the product, so it survives the seller moving to a new plugin version.
pub fn product_namespace(product_id: &str) -> String {
    format!("product:{product_id}")
}

/// Crash-test hook: `BAZAAR_FAILPOINT=before-plugin-call` or
/// `after-plugin-call` aborts the process there, as a power cut would, so
/// the black-box tests can prove a restarted service finishes the job once.
fn failpoint(name: &str) {
    static FAILPOINT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let armed = FAILPOINT.get_or_init(|| std::env::var("BAZAAR_FAILPOINT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

impl Worker {
    /// Runs until the task is dropped: sweeps expiries, then works off due
    /// jobs, then sleeps until woken or the poll interval passes.
    pub async fn run(self) {
        let lease = self.lease.clone();
        loop {
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "expiry sweep failed");
            }
            let worked = match self.round(&lease).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "lifecycle round failed");
                    0
                }
            };
            if worked == 0 {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    /// Claims and runs one batch; returns how many jobs it ran.
    pub async fn round(&self, lease: &str) -> Result<usize, crate::store::StoreError> {
        let now = self.clock.now_ms();
        let jobs = self
            .store
            .claim_jobs(lease, now, self.config.lease_ms, self.config.batch)
            .await?;
        let n = jobs.len();
        let mut set = tokio::task::JoinSet::new();
        for job in jobs {
            let me = self.clone();
            let lease = lease.to_string();
            set.spawn(async move {
                let id = job.id;
                if let Err(e) = me.run_job(job, &lease).await {
                    tracing::warn!(job = id, error = %e, "job failed to commit; it will be retried");
                }
            });
        }
        while set.join_next().await.is_some() {}
        Ok(n)
    }

    async fn run_job(&self, job: JobRow, lease: &str) -> Result<(), crate::store::StoreError> {
        let action: JobAction = match serde_json::from_str(&job.action) {
            Ok(a) => a,
            Err(e) => {
                // Only this binary writes jobs; an unreadable one is a bug, and
                // parking it keeps it from blocking the instance's queue forever.
                tracing::error!(job = job.id, error = %e, "unreadable job; parking it");
                let at = self.clock.now_ms() + retry_delay_ms(MAX_ATTEMPTS);
                return self
                    .store
                    .retry_job(job.id, lease, at, &e.to_string())
                    .await;
            }
        };
        let Some(instance) = self.store.instance(&job.instance_id).await? else {
            return Ok(());
        };
        let product = self.live_product(&instance.product_id).await?;
        let span = tracing::info_span!("lifecycle", job = job.id, instance = %instance.id, action = action.event_kind());
        let _enter = span.enter();
        failpoint("before-plugin-call");
        let answer = match &product {
            Some(product) => self.call_plugin(&job, &action, &instance, product).await?,
            None => Answer::Failed("the product has no approved version".into()),
        };
        drop(_enter);
        failpoint("after-plugin-call");
        self.settle(job, lease, action, instance, answer).await
    }

    async fn live_product(
        &self,
        id: &str,
    ) -> Result<Option<ProductDraft>, crate::store::StoreError> {
        let Some(row) = self.store.product(id).await? else {
            return Ok(None);
        };
        Ok(row.live.and_then(|live| serde_json::from_str(&live).ok()))
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
        let order = match &job.order_id {
            Some(id) => self.store.order(id).await?,
            None => None,
        };
        let customer = self.store.account(&instance.customer_id).await?;
        let (function, input) = calls::input(
            job,
            action,
            instance,
            product,
            order.as_ref(),
            customer.as_ref().map_or("", |c| c.name.as_str()),
        );
        let ctx = CallContext {
            now_ms: self.clock.now_ms(),
            seed: job.seed as u64,
            config: product.plugin_config.clone(),
            kv: Arc::new(StoreKv::new(
                self.store.clone(),
                product_namespace(&instance.product_id),
            )),
        };
        let _permit = self.calls.acquire().await;
        let rt = self.runtime.clone();
        let stats = self.stats.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let outcome = rt.call(
                &plugin,
                World::Lifecycle,
                function,
                &input,
                ctx,
                &CallBudget::default(),
            );
            stats
                .plugin_us
                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            outcome
        })
        .await
        .map_err(|e| crate::store::StoreError::Conflict(format!("plugin call panicked: {e}")))?;
        Ok(interpret(outcome))
    }

    async fn settle(
        &self,
        job: JobRow,
        lease: &str,
        action: JobAction,
        instance: InstanceRow,
        answer: Answer,
    ) -> Result<(), crate::store::StoreError> {
        let now = self.clock.now_ms();
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        let (kv_writes, success, failure) = match answer {
            Answer::Ok { output, kv_writes } => (kv_writes, Some(output), None),
            Answer::Transient(why) if attempts < MAX_ATTEMPTS => {
                tracing::info!(attempts, error = %why, "transient failure; will retry");
                let at = now + retry_delay_ms(attempts);
                return self.store.retry_job(job.id, lease, at, &why).await;
            }
            Answer::Transient(why) => (
                Vec::new(),
                None,
                Some(format!("gave up after {attempts} attempts: {why}")),
            ),
            Answer::Failed(why) => (Vec::new(), None, Some(why)),
        };
        let namespace = product_namespace(&instance.product_id);
        let mut detail = json!({ "action": action, "attempts": attempts });
        let secrets = self.secrets.clone();
        let failed_order = failure.is_some() && action.refusal_fails_order();
        let (kind, order) = match (&failure, failed_order) {
            (None, _) => (action.event_kind().to_string(), Some(("completed", None))),
            (Some(why), true) => {
                detail["failure"] = json!(why);
                (
                    "order.failed".to_string(),
                    Some(("failed", Some(why.clone()))),
                )
            }
            (Some(why), false) => {
                // A marketplace decision stands; the seller sees the refusal.
                detail["failure"] = json!(why);
                ("plugin.refused".to_string(), Some(("completed", None)))
            }
        };
        if let Some(sid) = success.as_ref().and_then(|o| o.get("instance-id")) {
            detail["seller-instance-id"] = sid.clone();
        }
        let create_failed = failed_order && action == JobAction::Create;
        let patch_action = action.clone();
        let patch = Box::new(move |i: &mut InstanceRow| {
            if let Some(output) = success {
                calls::apply_success(&patch_action, &output, i, &secrets);
            } else if create_failed {
                i.state = InstanceState::Failed.as_str().into();
                i.failure = failure;
            }
        });
        if let (Some(sid), None) = (
            &instance.seller_instance_id,
            detail.get("seller-instance-id"),
        ) {
            detail["seller-instance-id"] = json!(sid);
        }
        let started = Instant::now();
        let completed = self
            .store
            .complete_job(Completion {
                job_id: job.id,
                lease,
                kv_namespace: &namespace,
                kv_writes,
                patch,
                order,
                drop_later_jobs: create_failed,
                event: NewEvent {
                    kind,
                    order_id: job.order_id.clone(),
                    detail: detail.to_string(),
                },
                now_ms: now,
            })
            .await?;
        self.stats
            .commit_us
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        self.stats.jobs.fetch_add(1, Ordering::Relaxed);
        if !completed {
            tracing::warn!(
                job = job.id,
                "lost the job's lease; another worker finishes it"
            );
        }
        Ok(())
    }
}
