//! The Bazaar marketplace host.
//!
//! Sellers upload WebAssembly components instead of hosting HTTPS callbacks;
//! this crate loads them into a sandbox ([`runtime`]), serves the HTTP API
//! ([`api`]) and drives the command line ([`cli`]).

pub mod api;
pub mod cli;
pub mod runtime;
pub mod store;
