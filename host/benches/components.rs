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
//! Run: `cargo bench -p bazaar-host --bench components` (about 3 minutes on
//! 2 cores, two thirds of it compiling the Python component twice).

mod common;

use bazaar_host::runtime::{Runtime, RuntimeConfig, sha256_hex};
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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
