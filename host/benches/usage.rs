//! Usage ingestion over HTTP: batches of 1,000 usage records (SDRs) sent by
//! concurrent seller clients to the real service, each batch validated,
//! checked against its instances and deduplicated in one statement. A tenth
//! of every batch repeats metering ids already sent, so dedup is exercised.
//! Prints records/s and batch latency p50/p99.
//!
//! `cargo bench -p bazaar-host --bench usage` (after `cargo xtask plugins`);
//! `BAZAAR_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` runs
//! it on PostgreSQL (a fresh database is created). `BAZAAR_BENCH_BATCHES`
//! (default 200) and `BAZAAR_BENCH_CONCURRENCY` (default 4) tune the run.

#![allow(missing_docs)]

mod common;

use bazaar_host::startup::Application;
use common::{Client, env_usize};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const OPERATOR: &str = "bz_bench_operator_token_00000000000000000";
const BATCH: usize = 1_000;
const INSTANCES: usize = 50;

fn main() {
    let batches = env_usize("BAZAAR_BENCH_BATCHES", 200);
    let concurrency = env_usize("BAZAAR_BENCH_CONCURRENCY", 4);
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
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let http = reqwest::Client::new();
        let c = Client { http: http.clone(), base: base.clone() };

        let seller = c.post(OPERATOR, "/v1/accounts", json!({"role": "seller", "name": "S"})).await["token"].as_str().unwrap().to_string();
        let customer = c.post(OPERATOR, "/v1/accounts", json!({"role": "customer", "name": "C"})).await["token"].as_str().unwrap().to_string();
        let wasm = std::fs::read(root.join("target/plugins/saas_lifecycle.wasm")).expect("run `cargo xtask plugins` first");
        let res = http.post(format!("{base}/v1/plugins?name=life")).bearer_auth(&seller).body(wasm).send().await.unwrap();
        let sha = res.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().to_string();
        let product = c.post(&seller, "/v1/products", json!({
            "name": "Bench", "version": "V1.0", "description": "d", "supervised": false,
            "lifecycle-plugin": sha, "metering-plugin": sha,
            "specifications": [{"id": "use", "name": "Use", "billing-modes": ["pay-per-use"], "skus": [{"id": "calls", "prices": {"pay-per-use": "0.01"}}]}]
        })).await["id"].as_str().unwrap().to_string();
        // A release needs saved cases of the calls the product uses.
        let calls = format!("/v1/plugins/{sha}/calls");
        let call = |world: &str, function: &str, input: Value| json!({"world": world, "function": function, "input": input, "now-ms": 0, "seed": 1, "commit": true, "save": true});
        let created = c.post(&seller, &calls, call("lifecycle", "create-instance", json!({"subscription": {"order-id": "case-1", "customer-id": "c", "customer-name": "C", "product-id": "p", "sku-code": "calls", "billing-mode": "pay-per-use", "attributes": [], "quantity": "1", "period-count": 0, "trial": false, "expires-at": null}}))).await;
        let instance = created["output"]["ok"]["instance-id"].clone();
        c.post(&seller, &calls, call("lifecycle", "release-instance", json!({"instance-id": instance, "reason": "unsubscribed"}))).await;
        c.post(&seller, &calls, call("metering", "collect-usage", json!({"window": {"start": 0, "end": 3_600_000}, "instances": [{"instance-id": "i", "sku-code": "calls"}]}))).await;
        let application = c.post(&seller, &format!("/v1/products/{product}/release-applications"), json!({})).await;
        c.post(OPERATOR, &format!("/v1/release-applications/{}/approve", application["id"].as_str().unwrap()), json!({})).await;
        let mut instances = Vec::new();
        for _ in 0..INSTANCES {
            let placed = c.post(&customer, "/v1/orders", json!({"product": product, "specification": "use", "sku": "calls", "billing-mode": "pay-per-use"})).await;
            instances.push(placed["instance"]["id"].as_str().unwrap().to_string());
        }
        // Usage must begin after the purchase and end before now.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;

        // Bodies are built before the clock starts: the bench times the
        // service, not the client's JSON encoding.
        let bodies: Vec<Vec<u8>> = (0..batches)
            .map(|b| {
                let records: Vec<Value> = (0..BATCH)
                    .map(|k| {
                        // Every tenth record repeats one sent in an earlier batch.
                        let id = if k % 10 == 9 && b >= concurrency { (b - concurrency) * BATCH + k - 1 } else { b * BATCH + k };
                        json!({"metering-id": format!("sdr-{id}"), "instance-id": instances[id % instances.len()],
                               "billing-item": "calls", "begin": now - 1_000, "end": now - 500, "value": "1.5"})
                    })
                    .collect();
                serde_json::to_vec(&json!({"records": records})).expect("json")
            })
            .collect();
        let mut per_client: Vec<Vec<Vec<u8>>> = vec![Vec::new(); concurrency];
        for (b, body) in bodies.into_iter().enumerate() {
            per_client[b % concurrency].push(body);
        }
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for bodies in per_client {
            let (http, base, seller) = (http.clone(), base.clone(), seller.clone());
            set.spawn(async move {
                let mut latencies = Vec::new();
                let (mut accepted, mut duplicates) = (0u64, 0u64);
                for body in bodies {
                    let t = Instant::now();
                    let res = http.post(format!("{base}/v1/usage")).bearer_auth(&seller)
                        .header("content-type", "application/json").body(body).send().await.expect("request");
                    assert!(res.status().is_success(), "{}", res.status());
                    let reply: Value = res.json().await.expect("json");
                    latencies.push(t.elapsed());
                    accepted += reply["accepted"].as_u64().unwrap();
                    duplicates += reply["duplicates"].as_u64().unwrap();
                    assert_eq!(reply["refused"], 0, "{}", reply["results"][0]);
                }
                (latencies, accepted, duplicates)
            });
        }
        let mut latencies = Vec::new();
        let (mut accepted, mut duplicates) = (0, 0);
        for (l, a, d) in set.join_all().await {
            latencies.extend(l);
            accepted += a;
            duplicates += d;
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        let records = batches * BATCH;
        println!("usage: {records} records in {batches} batches of {BATCH} from {concurrency} concurrent clients, {backend}, 2 runtime threads");
        println!("accepted {accepted}, duplicates {duplicates}");
        println!("{:.0} records/s ({:.2} s)", records as f64 / elapsed.as_secs_f64(), elapsed.as_secs_f64());
        println!("batch latency p50 {:?} p99 {:?} max {:?}", pct(0.5), pct(0.99), latencies[latencies.len() - 1]);
    });
}
