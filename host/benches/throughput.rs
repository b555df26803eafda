//! Calls per second through one shared [`Runtime`] on 1 and 2 OS threads.
//!
//! Each thread calls in a loop for a fixed time (after a warm-up) and counts
//! the calls that succeeded:
//!
//! - `saas_lifecycle` `lifecycle.create-instance`, a distinct order id per
//!   call, writes committed to one shared [`MemoryKv`];
//! - `tiered_pricing` `pricing.quote` (8 units, default tiers);
//! - `listing_rules` `review.check-listing` (a clean 1000-character listing);
//! - the first two again through the typed `Runtime::call_*` functions, as
//!   the host's own callers (the worker, quotes) make them: no JSON in or out.
//!
//! Not a criterion bench: it prints `calls/s` per case. `BAZAAR_BENCH_SECS`
//! sets the measured seconds per case (default 5). Under `cargo test
//! --benches` it runs each case for a fraction of a second.
//!
//! Run: `cargo bench -p bazaar-host --bench throughput`.

mod common;

use bazaar_host::runtime::{CallBudget, MemoryKv, Plugin, Runtime, World};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// One kind of call to repeat.
struct Case {
    name: &'static str,
    plugin: Arc<Plugin>,
    how: How,
}

enum How {
    /// Through `Runtime::call` with a JSON input.
    Json {
        world: World,
        function: &'static str,
        /// The input of call `i` on thread `t`.
        input: fn(usize, u64) -> Value,
        /// Whether to commit the call's kv writes.
        commit: bool,
    },
    /// Through a typed `Runtime::call_*`: call `i` on thread `t`, its
    /// writes committed to the store.
    Typed(fn(&Runtime, &Plugin, &MemoryKv, usize, u64)),
}

fn typed_create(runtime: &Runtime, plugin: &Plugin, kv: &MemoryKv, t: usize, i: u64) {
    let outcome = runtime
        .call_create_instance(
            plugin,
            &common::typed_subscription(&format!("typed-{t}-{i}")),
            common::context(kv, i),
            &CallBudget::default(),
        )
        .unwrap_or_else(|e| panic!("create-instance: {e}"));
    assert!(outcome.output.is_ok(), "{:?}", outcome.output);
    common::commit(kv, outcome.kv_writes);
}

fn typed_quote(runtime: &Runtime, plugin: &Plugin, kv: &MemoryKv, _: usize, i: u64) {
    use bazaar_host::runtime::wit::latest::{BillingMode, pricing};
    let request = pricing::QuoteRequest {
        product_id: "p".into(),
        sku_code: "s".into(),
        billing_mode: BillingMode::Monthly,
        attributes: Vec::new(),
        quantity: "8".into(),
        period_count: 1,
        trial: false,
        currency: "CNY".into(),
    };
    let outcome = runtime
        .call_quote(
            plugin,
            &request,
            common::context(kv, i),
            &CallBudget::default(),
        )
        .unwrap_or_else(|e| panic!("quote: {e}"));
    assert!(outcome.output.is_ok(), "{:?}", outcome.output);
}

fn create_input(thread: usize, i: u64) -> Value {
    common::create_input(&format!("order-{thread}-{i}"))
}

fn quote_input(_: usize, _: u64) -> Value {
    common::quote_input()
}

fn listing_input(_: usize, _: u64) -> Value {
    common::listing_input()
}

/// Calls `case` in a loop on `threads` threads, `warm_up` then `measure`
/// long; returns calls/s over the measured part.
fn run(
    runtime: &Arc<Runtime>,
    case: &Arc<Case>,
    threads: usize,
    warm_up: Duration,
    measure: Duration,
) -> f64 {
    let kv = MemoryKv::new();
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (runtime, case, kv) = (runtime.clone(), case.clone(), kv.clone());
            let (measuring, stop, barrier) = (measuring.clone(), stop.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut counted = 0u64;
                let mut i = 0u64;
                barrier.wait();
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    match &case.how {
                        How::Typed(call) => call(&runtime, &case.plugin, &kv, t, i),
                        How::Json {
                            world,
                            function,
                            input,
                            commit,
                        } => {
                            let outcome = runtime
                                .call(
                                    &case.plugin,
                                    *world,
                                    function,
                                    &input(t, i),
                                    common::context(&kv, i),
                                    &CallBudget::default(),
                                )
                                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                            if *commit {
                                common::commit(&kv, outcome.kv_writes);
                            }
                            assert!(outcome.output.get("err").is_none(), "{}", outcome.output);
                        }
                    }
                    if measuring.load(Ordering::Relaxed) {
                        counted += 1;
                    }
                }
                counted
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(warm_up);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(measure);
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let calls: u64 = handles
        .into_iter()
        .map(|h| h.join().expect("a bench thread"))
        .sum();
    calls as f64 / elapsed.as_secs_f64()
}

fn main() {
    let full = common::benchmarking();
    let secs: f64 = std::env::var("BAZAAR_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5.0);
    let (warm_up, measure) = if full {
        (Duration::from_secs(1), Duration::from_secs_f64(secs))
    } else {
        (Duration::from_millis(50), Duration::from_millis(200))
    };
    let runtime = Arc::new(common::runtime());
    let load = |name: &str| {
        runtime
            .load(&common::plugin_bytes(name))
            .unwrap_or_else(|e| panic!("loading {name}: {e}"))
    };
    let cases = [
        Case {
            name: "saas_lifecycle create-instance",
            plugin: load("saas_lifecycle"),
            how: How::Json {
                world: World::Lifecycle,
                function: "create-instance",
                input: create_input,
                commit: true,
            },
        },
        Case {
            name: "tiered_pricing quote",
            plugin: load("tiered_pricing"),
            how: How::Json {
                world: World::Pricing,
                function: "quote",
                input: quote_input,
                commit: false,
            },
        },
        Case {
            name: "listing_rules check-listing",
            plugin: load("listing_rules"),
            how: How::Json {
                world: World::Review,
                function: "check-listing",
                input: listing_input,
                commit: false,
            },
        },
        Case {
            name: "saas_lifecycle create-instance typed",
            plugin: load("saas_lifecycle"),
            how: How::Typed(typed_create),
        },
        Case {
            name: "tiered_pricing quote typed",
            plugin: load("tiered_pricing"),
            how: How::Typed(typed_quote),
        },
    ];
    println!(
        "throughput: {} s per case after {} s warm-up, {} CPUs",
        measure.as_secs_f64(),
        warm_up.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for case in cases.map(Arc::new) {
        let one = run(&runtime, &case, 1, warm_up, measure);
        let two = run(&runtime, &case, 2, warm_up, measure);
        println!(
            "throughput/{:<38} 1 thread: {:>8.0} calls/s ({:>6.1} us/call)   2 threads: {:>8.0} calls/s   scaling x{:.2}",
            case.name,
            one,
            1e6 / one,
            two,
            two / one
        );
    }
}
