//! Orders to provisioned instances per second, end to end over HTTP: the
//! service (SQLite, the `saas_lifecycle` plugin, the lifecycle worker) and
//! the client share one 2-thread tokio runtime in this process. Prints the
//! rate, the latency of accepting an order, and where the worker's time
//! went (plugin calls vs commits).
//!
//! `cargo bench -p bazaar-host --bench orders` (after `cargo xtask plugins`).
//! `BAZAAR_BENCH_ORDERS` (default 4000) and `BAZAAR_BENCH_CONCURRENCY`
//! (default 64) tune the run.
//! `BAZAAR_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` runs
//! it on a fresh database of that PostgreSQL server instead of SQLite.

#![allow(missing_docs)]

mod common;

use bazaar_host::startup::Application;
use common::{Client, env_usize};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const OPERATOR: &str = "bz_bench_operator_token_00000000000000000";

async fn wait_for_jobs(c: &Client, jobs: u64) -> Value {
    loop {
        let stats = c.get(OPERATOR, "/v1/stats").await;
        if stats["worker"]["jobs"].as_u64() >= Some(jobs) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn place(
    c: &Client,
    customers: &[String],
    product: &str,
    n: usize,
    concurrency: usize,
) -> Vec<Duration> {
    let mut set = tokio::task::JoinSet::new();
    let per = n.div_ceil(concurrency);
    for t in 0..concurrency {
        let http = c.http.clone();
        let base = c.base.clone();
        let token = customers[t % customers.len()].clone();
        let product = product.to_string();
        set.spawn(async move {
            let c = Client { http, base };
            let mut latencies = Vec::with_capacity(per);
            for _ in 0..per {
                let started = Instant::now();
                c.post(&token, "/v1/orders", json!({"product": product, "specification": "std", "sku": "one", "billing-mode": "monthly"})).await;
                latencies.push(started.elapsed());
            }
            latencies
        });
    }
    let mut all: Vec<Duration> = set.join_all().await.into_iter().flatten().collect();
    all.sort();
    all
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let n = env_usize("BAZAAR_BENCH_ORDERS", 4000);
    let concurrency = env_usize("BAZAAR_BENCH_CONCURRENCY", 64);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut settings = common::service_settings(dir.path(), OPERATOR);
        let backend = common::use_bench_database(&mut settings).await;
        let app = Application::build(settings).await.expect("service");
        let c = Client { http: reqwest::Client::new(), base: format!("http://127.0.0.1:{}", app.port()) };
        tokio::spawn(app.run_until_stopped(std::future::pending()));

        let seller = c.post(OPERATOR, "/v1/accounts", json!({"role": "seller", "name": "S"})).await["token"].as_str().unwrap().to_string();
        let mut customers = Vec::new();
        for i in 0..concurrency.min(64) {
            let token = c.post(OPERATOR, "/v1/accounts", json!({"role": "customer", "name": format!("c{i}")})).await["token"].as_str().unwrap().to_string();
            // Orders are paid from the balance as they are accepted.
            c.post(&token, "/v1/balance/top-up", json!({"amount": "1000000"})).await;
            customers.push(token);
        }
        let wasm = std::fs::read(root.join("target/plugins/saas_lifecycle.wasm")).expect("run `cargo xtask plugins` first");
        let res = c.http.post(format!("{}/v1/plugins?name=life", c.base)).bearer_auth(&seller).body(wasm).send().await.unwrap();
        let sha = res.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_string();
        let product = c.post(&seller, "/v1/products", json!({
            "name": "Bench", "version": "V1.0", "description": "d", "supervised": false, "lifecycle-plugin": sha,
            "specifications": [{"id": "std", "name": "Std", "billing-modes": ["monthly"], "skus": [{"id": "one", "prices": {"monthly": "1.00"}}]}]
        })).await["id"].as_str().unwrap().to_string();
        // A release needs saved cases of every lifecycle call the product uses.
        let calls = format!("/v1/plugins/{sha}/calls");
        let call = |function: &str, input: Value| json!({"world": "lifecycle", "function": function, "input": input, "now-ms": 0, "seed": 1, "commit": true, "save": true});
        let created = c.post(&seller, &calls, call("create-instance", json!({"subscription": {"order-id": "case-1", "customer-id": "c", "customer-name": "C", "product-id": "p", "sku-code": "one", "billing-mode": "monthly", "attributes": [], "quantity": "1", "period-count": 1, "trial": false, "expires-at": null}}))).await;
        let instance = created["output"]["ok"]["instance-id"].clone();
        for change in [json!({"renew": 1}), json!({"freeze": "expired"}), json!("unfreeze")] {
            c.post(&seller, &calls, call("update-instance", json!({"change": {"instance-id": instance, "order-id": "case-2", "change": change}}))).await;
        }
        c.post(&seller, &calls, call("release-instance", json!({"instance-id": instance, "reason": "unsubscribed"}))).await;
        let application = c.post(&seller, &format!("/v1/products/{product}/release-applications"), json!({})).await;
        c.post(OPERATOR, &format!("/v1/release-applications/{}/approve", application["id"].as_str().unwrap()), json!({})).await;

        // Warm up: compile caches, connection pools, SQLite pages.
        let warm = 200;
        place(&c, &customers, &product, warm, concurrency).await;
        let before = wait_for_jobs(&c, warm as u64).await;

        let started = Instant::now();
        let latencies = place(&c, &customers, &product, n, concurrency).await;
        let accepted = started.elapsed();
        let total = latencies.len() as u64;
        let after = wait_for_jobs(&c, warm as u64 + total).await;
        let elapsed = started.elapsed();

        let delta = |k: &str| after["worker"][k].as_u64().unwrap() - before["worker"][k].as_u64().unwrap();
        let wall_us = elapsed.as_micros() as f64;
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!("orders: {total} placed by {concurrency} concurrent clients, {backend}, 2 runtime threads");
        println!("accepted in {:.2} s ({:.0} orders/s accepted)", accepted.as_secs_f64(), total as f64 / accepted.as_secs_f64());
        println!("provisioned in {:.2} s: {:.0} orders/s end to end", elapsed.as_secs_f64(), total as f64 / elapsed.as_secs_f64());
        println!("accept latency p50 {:?} p99 {:?}", pct(0.5), pct(0.99));
        println!(
            "worker: plugin call {:.0} us/order ({:.1}% of the 2 cores' time), commit {:.0} us/order (with SQLite, queueing for the writer included; overlaps the next round's calls)",
            delta("plugin-us") as f64 / total as f64,
            100.0 * delta("plugin-us") as f64 / (2.0 * wall_us),
            delta("commit-us") as f64 / total as f64,
        );
    });
}
