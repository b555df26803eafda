//! The service's metrics, in the Prometheus text format: the names (all
//! `bazaar_`), the one recorder per process, and the gauges sampled when
//! `/metrics` is read. Code everywhere records through the `metrics` facade
//! (`metrics::counter!` with a name from here or from
//! `bazaar_runtime::observe`); only this module knows the exporter.
//!
//! One recorder per process because the facade has one global slot, and
//! tests start several services in one process: the first service installs
//! it and the others share it, so a counter adds up every service of the
//! process.

use crate::store::{PoolStats, Store, StoreError};
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// HTTP requests answered, labelled `method`, `route` (the matched route
/// template, or [`UNMATCHED`]) and `status`.
pub const HTTP_REQUESTS: &str = "bazaar_http_requests_total";
/// Time to answer an HTTP request in seconds, labelled like
/// [`HTTP_REQUESTS`].
pub const HTTP_DURATION: &str = "bazaar_http_request_duration_seconds";
/// The `route` label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";
/// Lifecycle jobs waiting, sampled at each scrape.
pub const JOBS_QUEUED: &str = "bazaar_jobs_queued";
/// Lifecycle jobs due now and not claimed by a worker: the backlog.
pub const JOBS_DUE: &str = "bazaar_jobs_due";
/// Jobs put back for another attempt, labelled `action`.
pub const JOB_RETRIES: &str = "bazaar_job_retries_total";
/// Jobs that failed for good, labelled `action` and `reason` (`refused`
/// by the plugin, or `gave-up` after the last retry).
pub const JOB_FAILURES: &str = "bazaar_job_failures_total";
/// Usage records judged, labelled `source` (`api`, `plugin`), `outcome`
/// (`accepted`, `duplicate`, `refused`) and `reason` (the record's status).
pub const USAGE_RECORDS: &str = "bazaar_usage_records_total";
/// Connections the database pool holds, sampled at each scrape.
pub const DB_POOL_SIZE: &str = "bazaar_db_pool_connections";
/// Of those, the idle ones.
pub const DB_POOL_IDLE: &str = "bazaar_db_pool_idle_connections";
/// The most connections the pool opens.
pub const DB_POOL_MAX: &str = "bazaar_db_pool_max_connections";
/// Audit entries that could not be written (the request was answered).
pub const AUDIT_WRITE_FAILURES: &str = "bazaar_audit_write_failures_total";

/// Histogram buckets of request and call durations, in seconds.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Histogram buckets of fuel per call (the default budget is 10^9).
const FUEL: &[f64] = &[1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/// The process's recorder: installed by the first caller, shared after.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(install)
}

fn install() -> PrometheusHandle {
    // Buckets rather than the exporter's default summaries: histograms can
    // be added up across nodes, quantiles cannot.
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(bazaar_runtime::observe::FUEL.into()), FUEL)
        })
        .expect("bucket lists are not empty");
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        // Something else in the process took the slot (an embedding
        // program); `/metrics` then shows only what is sampled on scrape.
        tracing::warn!("a metrics recorder was already installed; /metrics shows gauges only");
    }
    describe();
    handle
}

fn describe() {
    use bazaar_runtime::observe;
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request"
    );
    describe_counter!(
        observe::CALLS,
        "Plugin calls by world, function and outcome (ok or the failure kind)"
    );
    describe_histogram!(observe::FUEL, "Fuel burned per plugin call");
    describe_histogram!(
        observe::DURATION,
        Unit::Seconds,
        "Wall-clock time of a plugin call"
    );
    describe_gauge!(JOBS_QUEUED, "Lifecycle jobs waiting (sampled at scrape)");
    describe_gauge!(
        JOBS_DUE,
        "Lifecycle jobs due and not claimed (sampled at scrape)"
    );
    describe_counter!(JOB_RETRIES, "Lifecycle jobs put back for another attempt");
    describe_counter!(JOB_FAILURES, "Lifecycle jobs failed for good");
    describe_counter!(
        USAGE_RECORDS,
        "Usage records judged, by source, outcome and reason"
    );
    describe_gauge!(
        DB_POOL_SIZE,
        "Connections the database pool holds (sampled at scrape)"
    );
    describe_gauge!(
        DB_POOL_IDLE,
        "Idle connections of the database pool (sampled at scrape)"
    );
    describe_gauge!(DB_POOL_MAX, "Most connections the database pool opens");
    describe_counter!(
        AUDIT_WRITE_FAILURES,
        "Audit entries that could not be written"
    );
}

/// The metrics page: samples the gauges that are read rather than counted
/// (pool, queue) from `store` at `now_ms`, then renders everything.
pub async fn render(store: &Store, now_ms: i64) -> Result<String, StoreError> {
    let handle = handle();
    let PoolStats { size, idle, max } = store.pool_stats();
    let backend = store.backend();
    metrics::gauge!(DB_POOL_SIZE, "backend" => backend).set(f64::from(size));
    metrics::gauge!(DB_POOL_IDLE, "backend" => backend).set(idle as f64);
    metrics::gauge!(DB_POOL_MAX, "backend" => backend).set(f64::from(max));
    let (queued, due) = store.job_backlog(now_ms).await?;
    metrics::gauge!(JOBS_QUEUED).set(queued as f64);
    metrics::gauge!(JOBS_DUE).set(due as f64);
    Ok(handle.render())
}
