//! Compile time and precompiled-load time of each example component.
//!
//! - `compile/<plugin>`: [`Runtime::load`] in a fresh runtime without an
//!   artifact cache, so cranelift compiles the component (sha256, precheck,
//!   compile and link are all inside the timing; creating and dropping the
//!   runtime are not).
//! - `load-precompiled/<plugin>`: [`Runtime::load`] in a fresh runtime whose
//!   cache directory already holds the artifact, so it is deserialised
//!   (mmapped) instead of compiled.
//! - `flat_pricing_py` (18 MB, componentize-py) takes tens of seconds to
//!   compile, so its compile time is timed [`PY_COMPILES`] times and printed
//!   (`BAZAAR_BENCH_PY_COMPILES` overrides); its precompiled load goes through
//!   criterion like the others.
//!
//! - the Python component's three variants (other bytes, the same code)
//!   compiled one after the other by one runtime: the first fills
//!   Cranelift's in-memory function cache, the next two compile from it.
//!
//! - `baseline/flat_pricing_py`: the Python component compiled by Winch
//!   first, timed to its first answer, its calls against the optimized
//!   code's.
//! - `upload/flat_pricing_py`: the same over HTTP against a running service:
//!   the upload's `202`, the first call answered `200` (calls before get
//!   `409`), and when the optimized code took over.
//!
//! Run: `cargo bench -p bazaar-host --bench components` (about 3 minutes on
//! 2 cores, two thirds of it compiling the Python component twice).

mod common;

use bazaar_host::runtime::{Runtime, RuntimeConfig, World, sha256_hex};
use criterion::{Criterion, SamplingMode};
use std::path::Path;
use std::time::{Duration, Instant};

/// The components that load (the other two in `target/plugins` are meant to
/// be rejected).
const RUST_PLUGINS: [&str; 4] = [
    "saas_lifecycle",
    "tiered_pricing",
    "listing_rules",
    "hostile",
];

/// The componentize-py component.
const PY_PLUGIN: &str = "flat_pricing_py";

/// Default number of timed compiles of the Python component.
const PY_COMPILES: u32 = 1;

fn cached_runtime(dir: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.to_path_buf()),
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// `iters` loads of `bytes`, each in a fresh runtime made by `make`; only the
/// loads are timed.
fn timed_loads(iters: u64, bytes: &[u8], make: impl Fn() -> Runtime, cached: bool) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let runtime = make();
        let started = Instant::now();
        let plugin = runtime.load(bytes).expect("the component loads");
        total += started.elapsed();
        assert_eq!(plugin.from_cache, cached);
        drop(plugin);
        drop(runtime);
    }
    total
}

fn artifact_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("cache dir")
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn benches(c: &mut Criterion) {
    let full = common::benchmarking();
    let cache = tempfile::tempdir().expect("temp dir");

    let mut compile = c.benchmark_group("compile");
    compile
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for name in RUST_PLUGINS {
        let bytes = common::plugin_bytes(name);
        compile.bench_function(name, |b| {
            b.iter_custom(|iters| timed_loads(iters, &bytes, common::runtime, false))
        });
    }
    compile.finish();

    // The Python component: a few one-shot compiles, printed.
    let py = common::plugin_bytes(PY_PLUGIN);
    let n: u32 = std::env::var("BAZAAR_BENCH_PY_COMPILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PY_COMPILES);
    if full {
        let times: Vec<f64> = (0..n)
            .map(|_| timed_loads(1, &py, common::runtime, false).as_secs_f64())
            .collect();
        println!(
            "compile/{PY_PLUGIN} ({} bytes): {} compile(s), seconds: {times:.2?}",
            py.len(),
            n
        );
    }

    // Cranelift's function cache: a second componentize-py component (other
    // bytes, the same interpreter) compiled by the same runtime.
    if full {
        let runtime = common::runtime();
        let variant = |tag: &[u8]| {
            let mut bytes = py.clone();
            bytes.extend([0, tag.len() as u8 + 1, tag.len() as u8]);
            bytes.extend(tag);
            bytes
        };
        let mut took = Vec::new();
        for tag in [b"first".as_slice(), b"second", b"third"] {
            let bytes = variant(tag);
            let started = Instant::now();
            runtime.load(&bytes).expect("the component loads");
            took.push(started.elapsed().as_secs_f64());
        }
        println!(
            "compile/{PY_PLUGIN} three variants in one runtime (the function cache warm after \
             the first), seconds: {took:.2?}"
        );
    }

    // The baseline tier (issue 17 §4): how soon an uploaded Python component
    // answers its first call when Winch compiles it first, then how much
    // slower its calls are until the optimized code replaces it.
    if full {
        let runtime = common::runtime();
        let started = Instant::now();
        let baseline = runtime.load_baseline(&py).expect("winch compiles it");
        let compiled = started.elapsed();
        let first = quote(&runtime, &baseline);
        let to_first_answer = started.elapsed();
        let per_call = |p| {
            let calls = 20;
            let t = Instant::now();
            for _ in 0..calls {
                quote(&runtime, p);
            }
            t.elapsed() / calls
        };
        let baseline_call = per_call(&baseline);
        let started = Instant::now();
        let optimized = runtime.load(&py).expect("cranelift compiles it");
        let optimized_compile = started.elapsed();
        assert_eq!(
            quote(&runtime, &optimized),
            first,
            "the same answer on both tiers"
        );
        let optimized_call = per_call(&optimized);
        println!(
            "baseline/{PY_PLUGIN}: winch compile {:.2} s, upload-to-first-answer {:.2} s, then \
             cranelift (function cache cold) {:.2} s; a quote call {:.2} ms on baseline code, \
             {:.2} ms optimized",
            compiled.as_secs_f64(),
            to_first_answer.as_secs_f64(),
            optimized_compile.as_secs_f64(),
            baseline_call.as_secs_f64() * 1e3,
            optimized_call.as_secs_f64() * 1e3,
        );
    }

    // The same over HTTP, as a seller sees it: the upload's answer, the
    // first call answered 200 (calls before get 409), the optimized code.
    if full {
        upload_to_first_answer(&py);
    }

    // Warm the cache with every component, then time loads from it.
    let mut sizes = Vec::new();
    for name in RUST_PLUGINS.iter().chain([&PY_PLUGIN]) {
        if *name == PY_PLUGIN && !full {
            continue;
        }
        let bytes = common::plugin_bytes(name);
        let before = artifact_bytes(cache.path());
        let started = Instant::now();
        let plugin = cached_runtime(cache.path())
            .load(&bytes)
            .expect("the component loads");
        assert!(!plugin.from_cache);
        sizes.push((
            *name,
            bytes.len(),
            artifact_bytes(cache.path()) - before,
            started.elapsed(),
        ));
    }
    for (name, source, artifact, took) in &sizes {
        println!(
            "artifact/{name}: component {source} bytes, precompiled artifact {artifact} bytes \
             (precompile + write took {:.3} s)",
            took.as_secs_f64()
        );
    }

    let mut load = c.benchmark_group("load-precompiled");
    load.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, _, _, _) in &sizes {
        let bytes = common::plugin_bytes(name);
        load.bench_function(*name, |b| {
            b.iter_custom(|iters| timed_loads(iters, &bytes, || cached_runtime(cache.path()), true))
        });
    }
    load.finish();

    // Part of every load, cached or not: hashing the source bytes.
    let mut hash = c.benchmark_group("sha256");
    hash.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for name in ["saas_lifecycle", PY_PLUGIN] {
        let bytes = common::plugin_bytes(name);
        hash.bench_function(name, |b| b.iter(|| sha256_hex(&bytes)));
    }
    hash.finish();
}

/// Uploads bytes no cache has seen of the Python component to a running
/// service and calls it every 20 ms until it answers; prints the times.
fn upload_to_first_answer(py: &[u8]) {
    const OPERATOR: &str = "bz_bench_operator_token_00000000000000000";
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = common::service_settings(dir.path(), OPERATOR);
        let app = bazaar_host::startup::Application::build(settings)
            .await
            .expect("service");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let c = common::Client {
            http: reqwest::Client::new(),
            base: base.clone(),
        };
        let seller = c
            .post(
                OPERATOR,
                "/v1/accounts",
                serde_json::json!({"role": "seller", "name": "S"}),
            )
            .await["token"]
            .as_str()
            .unwrap()
            .to_string();
        let mut bytes = py.to_vec();
        let tag = format!(
            "e2e-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        );
        bytes.extend([0, tag.len() as u8 + 1, tag.len() as u8]);
        bytes.extend(tag.as_bytes());
        let started = Instant::now();
        let res = c
            .http
            .post(format!("{base}/v1/plugins?name=big"))
            .bearer_auth(&seller)
            .body(bytes)
            .send()
            .await
            .expect("upload");
        let status = res.status();
        let body: serde_json::Value = res.json().await.expect("json");
        let answered = started.elapsed();
        assert_eq!(status, 202, "{body}");
        let sha = body["sha256"].as_str().unwrap().to_string();
        let call =
            serde_json::json!({"world": "pricing", "function": "quote", "input": quote_request()});
        let first = loop {
            let res = c
                .http
                .post(format!("{base}/v1/plugins/{sha}/calls"))
                .bearer_auth(&seller)
                .json(&call)
                .send()
                .await
                .expect("call");
            match res.status().as_u16() {
                200 => break started.elapsed(),
                409 => tokio::time::sleep(Duration::from_millis(20)).await,
                other => panic!(
                    "call answered {other}: {}",
                    res.text().await.unwrap_or_default()
                ),
            }
        };
        let optimized = loop {
            let shown = c.get(&seller, &format!("/v1/plugins/{sha}")).await;
            if shown["compiler"] == "optimized" {
                break started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        println!(
            "upload/{PY_PLUGIN} over HTTP: upload answered 202 in {:.3} s, first call answered \
             200 at {:.2} s after the upload began, optimized code serving at {:.2} s",
            answered.as_secs_f64(),
            first.as_secs_f64(),
            optimized.as_secs_f64(),
        );
    });
}

/// The `pricing.quote` input both the runtime and the HTTP timings send:
/// 3 units for 2 months (the big-component test's quote).
fn quote_request() -> serde_json::Value {
    serde_json::json!({"request": {"product-id": "p", "sku-code": "s", "billing-mode": "monthly",
        "attributes": [], "quantity": "3", "period-count": 2, "trial": false, "currency": "CNY"}})
}

/// A quote by `plugin`; its output as JSON.
fn quote(runtime: &Runtime, plugin: &bazaar_host::runtime::Plugin) -> serde_json::Value {
    let input = quote_request();
    let ctx = common::context_in(
        std::sync::Arc::new(bazaar_host::runtime::MemoryKv::new()),
        1,
    );
    runtime
        .call(
            plugin,
            World::Pricing,
            "quote",
            &input,
            ctx,
            &Default::default(),
        )
        .expect("the quote runs")
        .output
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
