//! What the `clock-random` and `env` behaviours report: the sources of
//! nondeterminism and of ambient authority a sandbox must pin down or deny.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Keys inserted into a `HashMap` to expose its hasher's random seed: their
/// iteration order depends on it.
const HASH_KEYS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/// One line of `;`-separated `name=value` pairs:
///
/// - `now`: `bazaar_sdk::now()`, the host's logical time (ms);
/// - `random`: `bazaar_sdk::random_u64()`;
/// - `system-time`: `SystemTime::now()` in ms since the epoch (negative if
///   before it), i.e. WASI's wall clock;
/// - `instant-ns`: nanoseconds between two `Instant::now()` readings around
///   a little work, i.e. WASI's monotonic clock;
/// - `hash-order`: the iteration order of [`HASH_KEYS`] in a std `HashMap`,
///   i.e. WASI's random seed (`wasi:random/insecure-seed`).
///
/// A deterministic host gives the same line for the same call and seed.
pub(crate) fn clock_random() -> String {
    let now = bazaar_sdk::now();
    let random = bazaar_sdk::random_u64();
    let system_ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_millis()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_millis()).unwrap_or(i128::MAX),
    };
    let start = Instant::now();
    let work: u64 = (0..1000u64).map(std::hint::black_box).sum();
    std::hint::black_box(work);
    let instant_ns = start.elapsed().as_nanos();
    let map: HashMap<&str, usize> = HASH_KEYS.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let hash_order: Vec<&str> = map.keys().copied().collect();
    format!(
        "now={now};random={random};system-time={system_ms};instant-ns={instant_ns};hash-order={}",
        hash_order.join(",")
    )
}

/// Three lines, `name=value`:
///
/// - `env-vars`: `std::env::vars().count()`, expected `0`;
/// - `read-dir`: `std::fs::read_dir("/")`'s error text, or `ok:<entries>` if
///   the root was readable;
/// - `tcp`: `TcpStream::connect("127.0.0.1:80")`'s error text, or
///   `connected` if it was not denied.
pub(crate) fn environment() -> String {
    let env_vars = std::env::vars().count();
    let read_dir = match std::fs::read_dir("/") {
        Ok(entries) => format!("ok:{}", entries.count()),
        Err(e) => e.to_string(),
    };
    let tcp = match std::net::TcpStream::connect("127.0.0.1:80") {
        Ok(_) => "connected".to_owned(),
        Err(e) => e.to_string(),
    };
    format!("env-vars={env_vars}\nread-dir={read_dir}\ntcp={tcp}")
}
