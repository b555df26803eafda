//! The Bazaar marketplace host.
//!
//! Sellers upload WebAssembly components instead of hosting HTTPS callbacks;
//! this crate loads them into a sandbox ([`runtime`]), keeps the marketplace
//! ([`domain`], [`store`]), drives sellers' lifecycle plugins from a durable
//! job queue ([`lifecycle`]), serves the HTTP API ([`api`]) and the command
//! line ([`cli`]).

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod ids;
pub mod lifecycle;
pub mod metering;
pub mod quoting;
pub mod secrets;
pub mod serve;
pub mod startup;
pub mod store;
pub mod telemetry;

// The bottom layers are crates of their own, so the compiler enforces that
// they import nothing above them; these aliases keep one path to each.
pub use bazaar_domain as domain;
pub use bazaar_runtime as runtime;
pub use bazaar_runtime::cases;

/// The system clock in milliseconds since the Unix epoch; domain code reads
/// [`clock::Clock`] instead, which tests can move.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
