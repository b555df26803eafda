//! Fair plugin scheduling and memory given back, end to end over HTTP: the
//! service (SQLite, default plugin pool settings) and its clients share one
//! 2-thread tokio runtime in this process.
//!
//! 1. `GET /v1/products` (the operator's first page of 50 of 50 products)
//!    from 8 clients in a loop: requests/s and p99, quiet; then again while
//!    32 hostile callers of one seller hammer debug calls that spin until
//!    their fuel or deadline runs out (retrying a `429` at once). Prints
//!    both sides and the ratios (the goal: ≥ 80% of the quiet rate, p99 ≤ 2×).
//! 2. Resident memory (`VmRSS`): idle, the peak during a burst of
//!    memory-hoarding calls (each fills its whole memory cap), right after
//!    it, and every second for 5 s after.
//!
//! `cargo bench -p bazaar-host --bench fair_scheduling` (after `cargo xtask
//! plugins`); `BAZAAR_BENCH_SECS` sets each measured phase (default 10 s,
//! about 45 s in all); `BAZAAR_BENCH_SMOKE=1` runs every part briefly, to
//! check the bench works.

#![allow(missing_docs)]

mod common;

use bazaar_host::runtime::RuntimeConfig;
use bazaar_host::startup::Application;
use common::{Client, env_usize};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const OPERATOR: &str = "bz_bench_operator_token_00000000000000000";

fn subscription(customer_name: &str, i: u64) -> Value {
    json!({"world": "lifecycle", "function": "create-instance", "now-ms": 0, "seed": i,
        "input": {"subscription": {"order-id": format!("o-{i}"), "customer-id": "c", "customer-name": customer_name,
            "product-id": "p", "sku-code": "one", "billing-mode": "monthly", "attributes": [], "quantity": "1",
            "period-count": 1, "trial": false, "expires-at": null}}})
}

/// Requests/s and p99 of `GET /v1/products` from `clients` loops over `secs`.
async fn products_load(c: &Client, clients: usize, secs: Duration) -> (f64, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (http, base, stop) = (c.http.clone(), c.base.clone(), stop.clone());
        set.spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let res = http
                    .get(format!("{base}/v1/products?limit=50"))
                    .bearer_auth(OPERATOR)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(res.status().as_u16(), 200);
                res.bytes().await.expect("body");
                latencies.push(started.elapsed());
            }
            latencies
        });
    }
    let started = Instant::now();
    tokio::time::sleep(secs).await;
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<Duration> = set.join_all().await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    all.sort();
    let p99 = all
        .get((all.len() * 99 / 100).min(all.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default();
    (all.len() as f64 / elapsed.as_secs_f64(), p99)
}

async fn account(c: &Client, name: String) -> String {
    c.post(
        OPERATOR,
        "/v1/accounts",
        json!({"role": "seller", "name": name}),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Uploads `file` as `token`'s plugin `name`; returns its sha256.
async fn upload(c: &Client, token: String, name: &str, file: PathBuf) -> String {
    let wasm = std::fs::read(&file)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask plugins` first", file.display()));
    let res = c
        .http
        .post(format!("{}/v1/plugins?name={name}", c.base))
        .bearer_auth(&token)
        .body(wasm)
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The process's resident set, MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .init();
    let smoke = std::env::var_os("BAZAAR_BENCH_SMOKE").is_some();
    let secs = Duration::from_secs(if smoke {
        1
    } else {
        env_usize("BAZAAR_BENCH_SECS", 10) as u64
    });
    let hostile_callers = if smoke { 8 } else { 32 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = common::service_settings(dir.path(), OPERATOR);
        let pool = settings.plugin_pool.clone();
        let app = Application::build(settings).await.expect("service");
        let c = Client { http: reqwest::Client::new(), base: format!("http://127.0.0.1:{}", app.port()) };
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        println!(
            "pool: {} threads (worker reserve {}, seller share {}, debug calls per seller {}), nice {}, queue wait {:?}",
            pool.threads, pool.worker_reserve, pool.seller_share, pool.debug_per_seller, pool.nice, pool.queue_wait
        );

        let plugins = common::plugins_dir();
        let seller = account(&c, "Shop".into()).await;
        let life = upload(&c, seller.clone(), "life", plugins.join("saas_lifecycle.wasm")).await;
        for i in 0..50 {
            c.post(&seller, "/v1/products", json!({
                "name": format!("Bench {i}"), "version": "V1.0", "description": "d", "supervised": false, "lifecycle-plugin": life,
                "specifications": [{"id": "std", "name": "Std", "billing-modes": ["monthly"], "skus": [{"id": "one", "prices": {"monthly": "1.00"}}]}]
            })).await;
        }
        let villain = account(&c, "Villain".into()).await;
        let hostile = upload(&c, villain.clone(), "hostile", plugins.join("fixtures/hostile.wasm")).await;

        // Warm up connections, caches and the plugin.
        products_load(&c, 8, Duration::from_millis(500)).await;
        let (quiet_rps, quiet_p99) = products_load(&c, 8, secs).await;

        let stop = Arc::new(AtomicBool::new(false));
        let (ran, busy) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let mut flood = tokio::task::JoinSet::new();
        for t in 0..hostile_callers as u64 {
            let (http, base, token, sha) = (c.http.clone(), c.base.clone(), villain.clone(), hostile.clone());
            let (stop, ran, busy) = (stop.clone(), ran.clone(), busy.clone());
            flood.spawn(async move {
                let mut i = t << 32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let res = http.post(format!("{base}/v1/plugins/{sha}/calls")).bearer_auth(&token).json(&subscription("loop", i)).send().await.expect("request");
                    let counter = if res.status().as_u16() == 429 { &busy } else { &ran };
                    counter.fetch_add(1, Ordering::Relaxed);
                    res.bytes().await.expect("body");
                }
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (flood_rps, flood_p99) = products_load(&c, 8, secs).await;
        stop.store(true, Ordering::Relaxed);
        flood.join_all().await;

        println!("GET /v1/products, 8 clients, {:?} per side", secs);
        println!("quiet:  {quiet_rps:.0} req/s, p99 {quiet_p99:?}");
        println!(
            "flood:  {flood_rps:.0} req/s, p99 {flood_p99:?} ({hostile_callers} hostile debug callers of one seller: {} calls ran, {} refused busy)",
            ran.load(Ordering::Relaxed),
            busy.load(Ordering::Relaxed)
        );
        println!(
            "ratio:  throughput {:.0}% of quiet (goal >= 80%), p99 {:.2}x quiet (goal <= 2x)",
            100.0 * flood_rps / quiet_rps,
            flood_p99.as_secs_f64() / quiet_p99.as_secs_f64().max(1e-9)
        );

        // Memory: as many hoarding calls at once as sellers' calls may run.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle = rss_mib();
        let hoarders = pool.threads - pool.worker_reserve;
        let mut tokens = Vec::new();
        for i in 0..hoarders {
            let token = account(&c, format!("Hoarder {i}")).await;
            let sha = upload(&c, token.clone(), "hostile", plugins.join("fixtures/hostile.wasm")).await;
            tokens.push((token, sha));
        }
        let peak = Arc::new(AtomicU64::new(0));
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (peak, sampling) = (peak.clone(), sampling.clone());
            tokio::spawn(async move {
                while sampling.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_mib() as u64, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let rounds = if smoke { 1 } else { 3 };
        let burst = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for (token, sha) in tokens {
            let (http, base) = (c.http.clone(), c.base.clone());
            set.spawn(async move {
                let mut kinds = Vec::new();
                for i in 0..rounds {
                    let res = http.post(format!("{base}/v1/plugins/{sha}/calls")).bearer_auth(&token).json(&subscription("memory", i)).send().await.expect("request");
                    let body: Value = res.json().await.expect("JSON");
                    kinds.push(body["detail"]["error"]["kind"].as_str().unwrap_or("?").to_string());
                }
                kinds
            });
        }
        let kinds: Vec<String> = set.join_all().await.into_iter().flatten().collect();
        let burst = burst.elapsed();
        sampling.store(false, Ordering::Relaxed);
        sampler.await.expect("sampler");
        let after = rss_mib();
        println!("memory: {} calls hoarding up to {} MiB each, {hoarders} at once, in {burst:.1?} (outcomes: {:?})",
            kinds.len(), RuntimeConfig::default().limits.memory_bytes >> 20, kinds.iter().collect::<std::collections::BTreeSet<_>>());
        println!("rss:    idle {idle:.0} MiB, peak during the burst {} MiB, right after {after:.0} MiB", peak.load(Ordering::Relaxed));
        let mut line = String::from("rss after the burst:");
        for s in 1..=5 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            line.push_str(&format!(" +{s}s {:.0} MiB", rss_mib()));
        }
        println!("{line} (goal: within ~100 MiB of idle within seconds)");
    });
}
