//! Replaying saved cases: 1,000 `create-instance` cases of the
//! `saas_lifecycle` plugin (each with its own order, seed and recorded
//! transcript of log, kv, random and config calls) replayed against the
//! same version on every core. Prints the wall time for all of them.
//!
//! `cargo bench -p bazaar-host --bench cases` (after `cargo xtask plugins`).
//! `BAZAAR_BENCH_CASES` (default 1000) sets the number of cases.

#![allow(missing_docs)]

mod common;

use bazaar_host::cases::{Case, replay};
use bazaar_host::runtime::{CallBudget, MemoryKv, World};
use std::time::Instant;

fn main() {
    let n: usize = if common::benchmarking() {
        std::env::var("BAZAAR_BENCH_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000)
    } else {
        20
    };
    let runtime = common::runtime();
    let plugin = runtime
        .load(&common::plugin_bytes("saas_lifecycle"))
        .expect("plugin loads");

    // Record: one live call per case, as a seller's debug run would.
    let started = Instant::now();
    let cases: Vec<Case> = (0..n)
        .map(|i| {
            let input = common::create_input(&format!("order-{i}"));
            let kv = MemoryKv::new();
            let mut ctx = common::context(&kv, i as u64);
            ctx.config
                .insert("base-url".into(), "https://crm.example".into());
            let outcome = runtime
                .call(
                    &plugin,
                    World::Lifecycle,
                    "create-instance",
                    &input,
                    ctx,
                    &CallBudget::default(),
                )
                .expect("call succeeds");
            Case {
                id: None,
                name: None,
                plugin: plugin.sha256.clone(),
                world: "lifecycle".into(),
                function: "create-instance".into(),
                scenario: None,
                input,
                now_ms: common::NOW_MS,
                seed: i as u64,
                config: [("base-url".to_string(), "https://crm.example".to_string())].into(),
                transcript: outcome.transcript,
                expected: outcome.output,
            }
        })
        .collect();
    let recorded = started.elapsed();

    // Replay: split over the cores, as the review does case by case.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let failed: usize = std::thread::scope(|s| {
        let chunks: Vec<_> = cases
            .chunks(n.div_ceil(threads).max(1))
            .map(|chunk| {
                let (runtime, plugin) = (&runtime, &plugin);
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter(|c| replay(runtime, plugin, c).diff.is_some())
                        .count()
                })
            })
            .collect();
        chunks
            .into_iter()
            .map(|h| h.join().expect("replay thread"))
            .sum()
    });
    let replayed = started.elapsed();
    assert_eq!(failed, 0, "every case replays");
    println!(
        "cases: recorded {n} in {:.1} ms; replayed {n} on {threads} threads in {:.1} ms ({:.1} µs per case, {:.0} cases/s)",
        recorded.as_secs_f64() * 1e3,
        replayed.as_secs_f64() * 1e3,
        replayed.as_secs_f64() * 1e6 / n as f64,
        n as f64 / replayed.as_secs_f64()
    );
}
