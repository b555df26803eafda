//! The black-box suite, one test binary: each module starts real Bazaar
//! services (`bazaar_tests::spawn_app`) and talks to them over HTTP as
//! sellers, customers and the operator do. One binary rather than one per
//! area, so wasmtime and sqlx are linked once.
//!
//! Run one area with a filter, e.g. `cargo test -p bazaar-tests --test api
//! billing::`.

mod audit;
mod billing;
mod call_answers;
mod cases;
mod console;
mod edge;
mod errors;
mod example_plugins;
mod feed;
mod idempotency;
mod listing;
mod marketplace;
mod observability;
mod pagination;
mod payments;
mod plugins_api;
mod pricing;
mod review;
mod sandbox;
mod scheduling;
mod schemathesis;
mod secrets;
mod service_state;
mod settlement;
mod store;
mod tokens;
mod usage;
mod wit_versions;
