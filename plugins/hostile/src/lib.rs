//! `hostile`: a lifecycle plugin (world `lifecycle-plugin`) that misbehaves
//! on request, for the host's sandbox tests. `create-instance` dispatches on
//! `subscription.customer-name`:
//!
//! | customer-name | behaviour |
//! |---|---|
//! | `loop` | spins forever in pure computation (fuel/epoch limits must stop it) |
//! | `memory` | allocates and touches 1 MiB blocks forever (memory limits must stop it) |
//! | `recurse` | recurses without bound, not in tail position (stack limits must stop it) |
//! | `panic` | panics with `hostile plugin panicked on purpose` (a trap) |
//! | `big-output` | succeeds with an 8 MiB memo of `x` (output limits must catch it) |
//! | `clock-random` | succeeds with an instance id reporting host time and randomness and WASI clocks and hash seeds (see `probes.rs`) |
//! | `env` | succeeds with a memo reporting environment variables, filesystem and network access (see `probes.rs`) |
//! | `hoard-state` | writes 64 key-value values of 16 KiB (keys under the order id) and reports in its memo how many it stored before `quota-exceeded` |
//! | `remember` | succeeds with a memo `seen N`: N is a static that starts at 7 and that every call increments, so a call that sees anything but 7 ran in memory a previous call left behind |
//! | anything else | succeeds normally |
//!
//! The other lifecycle functions keep the SDK's defaults.
//!
//! It also exports `metering` (world `saas-plugin`): `collect-usage` fails
//! with a `transient` error when any instance runs the SKU `fail`, and
//! otherwise reports, per instance, one good record (1 unit), one record of
//! 0 units (which the host must refuse) and one for an instance `ghost` that
//! does not exist.

mod probes;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use bazaar_sdk::{
    AppInfo, Decimal, Lifecycle, MeteredInstance, Metering, PluginError, Provisioned, Subscription,
    UsageRecord, UsageWindow, log,
};

/// Size of the blocks `memory` allocates.
const BLOCK_BYTES: usize = 1 << 20;

/// Length of the `big-output` memo.
const BIG_OUTPUT_BYTES: usize = 8 << 20;

/// Touching one byte per page is enough to make the pages resident.
const PAGE_BYTES: usize = 4096;

/// Starts at 7 (a data segment, not zeroed memory), incremented per call.
static SEEN: AtomicU64 = AtomicU64::new(7);

struct Hostile;

impl Lifecycle for Hostile {
    fn create_instance(subscription: Subscription) -> Result<Provisioned, PluginError> {
        let behaviour = subscription.customer_name.as_str();
        match behaviour {
            "loop" => spin(),
            "memory" => hoard(),
            "recurse" => {
                let depth = recurse(black_box(0));
                Ok(provisioned(
                    &subscription,
                    format!("recursed {depth}"),
                    None,
                ))
            }
            "panic" => panic!("hostile plugin panicked on purpose"),
            "big-output" => Ok(provisioned(
                &subscription,
                format!("hostile-{}", subscription.order_id),
                Some("x".repeat(BIG_OUTPUT_BYTES)),
            )),
            "clock-random" => {
                let report = probes::clock_random();
                Ok(provisioned(&subscription, report.clone(), Some(report)))
            }
            "env" => Ok(provisioned(
                &subscription,
                format!("hostile-{}", subscription.order_id),
                Some(probes::environment()),
            )),
            "refuse" => Err(PluginError::refused("hostile plugin refuses every order")),
            "hoard-state" => {
                let mut stored = 0;
                let mut memo = String::new();
                for i in 0..64 {
                    let key = format!("hoard/{}/{i}", subscription.order_id);
                    match bazaar_sdk::kv::set(&key, vec![b'x'; 16 << 10]) {
                        Ok(()) => stored += 1,
                        Err(e) => {
                            memo = format!("then {e}");
                            break;
                        }
                    }
                }
                Ok(provisioned(
                    &subscription,
                    format!("hostile-{}", subscription.order_id),
                    Some(format!("stored {stored} {memo}")),
                ))
            }
            "remember" => {
                let seen = SEEN.fetch_add(1, Ordering::Relaxed);
                // Dirty a heap page too, for the next instance to inherit if
                // memory were not reset.
                let mut scratch = vec![0u8; 64 << 10];
                let at = seen as usize % scratch.len();
                scratch[at] = 1;
                black_box(&scratch);
                Ok(provisioned(
                    &subscription,
                    format!("hostile-{}", subscription.order_id),
                    Some(format!("seen {seen}")),
                ))
            }
            // Transient until the host's logical clock reaches the given
            // time: lets tests watch the host retry and then succeed.
            b if b.starts_with("transient-until:") => {
                let until: i64 = b["transient-until:".len()..].parse().unwrap_or(i64::MAX);
                if bazaar_sdk::now() < until {
                    Err(PluginError::transient(format!("not ready until {until}")))
                } else {
                    Ok(provisioned(
                        &subscription,
                        format!("hostile-{}", subscription.order_id),
                        None,
                    ))
                }
            }
            _ => {
                log::info(format!(
                    "create-instance {}: behaving",
                    subscription.order_id
                ));
                Ok(provisioned(
                    &subscription,
                    format!("hostile-{}", subscription.order_id),
                    None,
                ))
            }
        }
    }
}

impl Metering for Hostile {
    fn collect_usage(
        window: UsageWindow,
        instances: Vec<MeteredInstance>,
    ) -> Result<Vec<UsageRecord>, PluginError> {
        if instances.iter().any(|i| i.sku_code == "fail") {
            return Err(PluginError::transient("hostile metering backend is down"));
        }
        let record = |instance: &str, item: &str, tag: &str, value: Decimal| UsageRecord {
            metering_id: format!("{instance}:{}:{tag}", window.start),
            instance_id: instance.to_owned(),
            billing_item: item.to_owned(),
            begin: window.start,
            end: window.end,
            value,
            package: None,
        };
        Ok(instances
            .iter()
            .flat_map(|i| {
                [
                    record(&i.instance_id, &i.sku_code, "good", Decimal::ONE),
                    record(&i.instance_id, &i.sku_code, "zero", Decimal::ZERO),
                    record("ghost", &i.sku_code, "ghost", Decimal::ONE),
                ]
            })
            .collect())
    }
}

bazaar_sdk::register_saas!(Hostile);

fn provisioned(
    subscription: &Subscription,
    instance_id: String,
    memo: Option<String>,
) -> Provisioned {
    Provisioned {
        app: AppInfo {
            frontend_url: format!("https://hostile.example/{instance_id}"),
            admin_url: None,
            username: subscription.customer_id.clone(),
            password: "hostile".to_owned(),
            memo,
        },
        instance_id,
    }
}

/// Pure computation that never ends. `black_box` hides the counter from the
/// optimiser, so the loop cannot be proven side-effect free and removed, and
/// nothing in it calls the host, so only the host's fuel or epoch deadline
/// can interrupt it.
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter).wrapping_add(1);
    }
}

/// Keeps every block alive and writes to each of its pages, so the memory is
/// really committed rather than merely reserved. Ends in an allocation
/// failure (a trap) once the host's memory limit is reached.
fn hoard() -> ! {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; BLOCK_BYTES];
        for byte in block.iter_mut().step_by(PAGE_BYTES) {
            *byte = 1;
        }
        blocks.push(black_box(block));
        black_box(&blocks);
    }
}

/// Recursion whose result is used after the call returns, so it is not a
/// tail call, and whose frame holds an opaque buffer, so each level consumes
/// real stack. The exit condition can never hold; it only keeps rustc from
/// flagging the function as unconditionally recursive.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    if black_box(depth) == u64::MAX {
        return 0;
    }
    let below = recurse(black_box(depth + 1));
    black_box(below.wrapping_add(frame[black_box(3)]))
}
