//! Helpers shared by the benches: where the example plugins are, the inputs
//! every bench sends, and the call context.

#![allow(dead_code)]

use bazaar_host::runtime::{
    CallContext, KvBackendError, KvStore, KvUsage, KvWrite, MemoryKv, Runtime, RuntimeConfig,
};
use bazaar_host::startup::Settings;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The settings of a service a bench starts in-process: SQLite in `dir`,
/// `operator` as the first operator's token, no rate limits (a bench
/// measures the service, not its per-token limit), the shared artifact
/// cache, and the plugin threads' nice value from `BAZAAR_BENCH_NICE` when
/// set.
pub fn service_settings(dir: &std::path::Path, operator: &str) -> Settings {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut settings = Settings::new("127.0.0.1:0".parse().expect("address"), dir.to_path_buf());
    settings.operator_token = Some(operator.into());
    settings.guards.rates = bazaar_host::api::rate_limits::RateLimits::off();
    if let Ok(nice) = std::env::var("BAZAAR_BENCH_NICE") {
        settings.plugin_pool.nice = nice.parse().expect("BAZAAR_BENCH_NICE: 0 to 19");
    }
    settings.runtime = RuntimeConfig {
        cache_dir: Some(root.join("target/bench-artifact-cache")),
        ..RuntimeConfig::default()
    };
    settings
}

/// The logical time of every benchmarked call (2025-10-09T08:53:20Z).
pub const NOW_MS: i64 = 1_760_000_000_000;

/// Where the built example plugins are (`BAZAAR_PLUGINS_DIR` or
/// `target/plugins`, as `cargo xtask plugins` leaves them).
pub fn plugins_dir() -> PathBuf {
    std::env::var_os("BAZAAR_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
}

/// The bytes of the example or test-fixture plugin `name` (e.g.
/// `saas_lifecycle`, `hostile`).
pub fn plugin_bytes(name: &str) -> Vec<u8> {
    let top = plugins_dir().join(format!("{name}.wasm"));
    let path = if top.exists() {
        top
    } else {
        plugins_dir().join("fixtures").join(format!("{name}.wasm"))
    };
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; build the plugins first with `cargo xtask plugins`",
            path.display()
        )
    })
}

/// A runtime with the default limits and no artifact cache.
/// `BAZAAR_BENCH_KEEP_RESIDENT_KIB` sets `RuntimeConfig::keep_resident_bytes`.
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        keep_resident_bytes: std::env::var("BAZAAR_BENCH_KEEP_RESIDENT_KIB")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(RuntimeConfig::default().keep_resident_bytes, |kib| {
                kib << 10
            }),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// The `subscription` record of `lifecycle.create-instance` for `order_id`.
pub fn subscription(order_id: &str) -> Value {
    json!({
        "order-id": order_id,
        "customer-id": "cust-1",
        "customer-name": "Alice",
        "product-id": "prod-1",
        "sku-code": "basic-monthly",
        "billing-mode": "monthly",
        "attributes": [{"code": "edition", "value": "basic"}],
        "quantity": "1",
        "period-count": 1,
        "trial": false,
        "expires-at": 1_767_225_600_000i64
    })
}

/// [`subscription`] as the generated WIT type, for the typed call.
pub fn typed_subscription(
    order_id: &str,
) -> bazaar_host::runtime::wit::latest::lifecycle::Subscription {
    use bazaar_host::runtime::wit::latest::{Attribute, BillingMode, lifecycle};
    lifecycle::Subscription {
        order_id: order_id.into(),
        customer_id: "cust-1".into(),
        customer_name: "Alice".into(),
        product_id: "prod-1".into(),
        sku_code: "basic-monthly".into(),
        billing_mode: BillingMode::Monthly,
        attributes: vec![Attribute {
            code: "edition".into(),
            value: "basic".into(),
        }],
        quantity: "1".into(),
        period_count: 1,
        trial: false,
        expires_at: Some(1_767_225_600_000),
    }
}

/// The input of `lifecycle.create-instance` for `order_id`.
pub fn create_input(order_id: &str) -> Value {
    json!({ "subscription": subscription(order_id) })
}

/// The input of `pricing.quote`: 8 units, one month (the README's example).
pub fn quote_input() -> Value {
    json!({"request": {
        "product-id": "p", "sku-code": "s", "billing-mode": "monthly", "attributes": [],
        "quantity": "8", "period-count": 1, "trial": false, "currency": "CNY"
    }})
}

/// The input of `review.check-listing`: a listing that follows every rule.
pub fn listing_input() -> Value {
    json!({"listing": {
        "product-id": "p", "delivery-method": "saas", "name": "Acme CRM", "version": "V1.0",
        "overview": "A CRM.", "description": "x".repeat(1000),
        "highlights": ["fast"], "categories": ["software", "crm"],
        "logo": {"format": "png", "width": 120, "height": 120, "size-bytes": 10_000},
        "specification-names": ["Standard edition"],
        "support": "Mon-Fri 9:00-18:00 (GMT+08:00), hotline 400-000-0000", "has-eula": true
    }})
}

/// A call context at [`NOW_MS`] with `seed`, no config and `kv`.
pub fn context(kv: &MemoryKv, seed: u64) -> CallContext {
    CallContext {
        now_ms: NOW_MS,
        seed,
        config: BTreeMap::new(),
        kv: Arc::new(kv.clone()) as Arc<dyn KvStore>,
    }
}

/// Whether this process was started by `cargo bench` (`--bench`) rather than
/// by `cargo test --benches`, which only checks that the bench runs.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A `usize` from the environment variable `name`, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An HTTP client of a service under bench.
pub struct Client {
    /// The connection pool.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Client {
    /// POSTs JSON as `token`; panics unless the answer is a success.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let body: Value = res.json().await.expect("json");
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// GETs JSON as `token`.
    pub async fn get(&self, token: &str, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }
}

/// A call context at [`NOW_MS`] with `seed`, no config and `kv`.
pub fn context_in(kv: Arc<dyn KvStore>, seed: u64) -> CallContext {
    CallContext {
        now_ms: NOW_MS,
        seed,
        config: BTreeMap::new(),
        kv,
    }
}

/// An in-memory [`KvStore`] that keeps its quota usage as running totals, as
/// the host's database store keeps one row per namespace. [`MemoryKv`] sums
/// its whole map for every call that writes, which in a bench whose state
/// grows by every iteration measures that sum, not the call.
#[derive(Default)]
pub struct CountedKv {
    inner: Mutex<(BTreeMap<String, Vec<u8>>, KvUsage)>,
}

impl KvStore for CountedKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Ok(inner.0.get(key).cloned())
    }

    fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Ok(inner
            .0
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn commit(&self, writes: &[(String, Option<Vec<u8>>)]) -> Result<(), KvBackendError> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, usage) = &mut *inner;
        for (k, v) in writes {
            let old = match v {
                Some(v) => map.insert(k.clone(), v.clone()),
                None => map.remove(k),
            };
            if let Some(old) = old {
                usage.keys -= 1;
                usage.bytes -= (k.len() + old.len()) as u64;
            }
            if let Some(v) = v {
                usage.keys += 1;
                usage.bytes += (k.len() + v.len()) as u64;
            }
        }
        Ok(())
    }

    fn usage(&self) -> Result<KvUsage, KvBackendError> {
        Ok(self.inner.lock().unwrap_or_else(|e| e.into_inner()).1)
    }
}

/// Commits a successful call's key-value writes, as the host does once it
/// accepts the call's answer.
pub fn commit(kv: &dyn KvStore, writes: Vec<KvWrite>) {
    let writes: Vec<_> = writes.into_iter().map(|w| (w.key, w.value)).collect();
    kv.commit(&writes).expect("committing the writes");
}

/// Points `settings` at a fresh PostgreSQL database next to
/// `BAZAAR_BENCH_DATABASE_URL` when that is set (SQLite in the data
/// directory otherwise); the backend's name, for the bench's report.
pub async fn use_bench_database(settings: &mut Settings) -> &'static str {
    match std::env::var("BAZAAR_BENCH_DATABASE_URL") {
        Ok(url) => {
            settings.database_url = Some(fresh_postgres(&url).await);
            "PostgreSQL"
        }
        Err(_) => "SQLite",
    }
}

/// A fresh PostgreSQL database next to the one in `url`.
pub async fn fresh_postgres(url: &str) -> String {
    use sqlx::Connection;
    let name = format!("bazaar_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(url).await.expect("postgres");
    // Earlier runs' databases (each run makes its own) are dropped first.
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'bazaar\\_bench\\_%'",
    )
    .fetch_all(&mut admin)
    .await
    .expect("list databases");
    for db in old {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .expect("drop");
    }
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create");
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{name}")
}
