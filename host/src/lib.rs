//! The Bazaar marketplace host.
//!
//! Sellers upload WebAssembly components instead of hosting HTTPS callbacks;
//! this crate loads them into a sandbox ([`runtime`]), serves the HTTP API
//! ([`api`]) and drives the command line ([`cli`]).

pub mod api;
pub mod cli;
pub mod runtime;
pub mod store;

/// The service clock in milliseconds since the Unix epoch: the default
/// logical time of a call when the caller names none.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
