//! Write Bazaar marketplace plugins in Rust: implement a trait, call one
//! macro.
//!
//! A plugin is a WebAssembly component that exports one or more of the
//! interfaces of `wit/plugin.wit`. This crate hides wit-bindgen: plugins see
//! plain Rust types, with every amount and quantity a
//! [`rust_decimal::Decimal`] and every timestamp an `i64` of milliseconds
//! since the Unix epoch.
//!
//! # Writing a plugin
//!
//! 1. Make a `cdylib` crate depending on `bazaar-sdk`.
//! 2. Implement one trait per interface the plugin serves: [`Lifecycle`],
//!    [`Metering`], [`Pricing`], [`Review`] or [`Settlement`]. Trait
//!    functions are associated functions (no `self`): a plugin keeps no state
//!    in memory between calls, only in [`kv`].
//! 3. Register the type with the macro of its world: [`register_lifecycle!`],
//!    [`register_metering!`], [`register_pricing!`], [`register_review!`],
//!    [`register_settlement!`], or
//!    [`register_saas!`] for lifecycle and metering together. Call exactly one
//!    of them: the component exports what the macro registers and nothing
//!    else, and the host decides what the plugin is from its exports.
//! 4. Build with `cargo build --release --target wasm32-wasip2`; the
//!    `.wasm` in `target/wasm32-wasip2/release/` is the component to upload.
//!    Link with a 64 KiB stack (`rustflags = ["-C",
//!    "link-arg=-zstack-size=65536"]` under `[target.wasm32-wasip2]` in
//!    `.cargo/config.toml`): rustc's default 1 MiB stack makes every call
//!    touch memory the host must clear again, and calls take about twice as
//!    long (the repository's README, "Writing a plugin").
//!
//! ```ignore
//! use bazaar_sdk::{Decimal, PluginError, Pricing, Quote, QuoteLine, QuoteRequest};
//!
//! struct FlatRate;
//!
//! impl Pricing for FlatRate {
//!     fn quote(request: QuoteRequest) -> Result<Quote, PluginError> {
//!         let unit_price = bazaar_sdk::config::get_decimal("unit-price")?
//!             .unwrap_or(Decimal::new(990, 2));
//!         bazaar_sdk::log::info(format!("pricing {}", request.sku_code));
//!         let line = QuoteLine {
//!             item: request.sku_code.clone(),
//!             quantity: request.quantity,
//!             unit_price,
//!             amount: (request.quantity * unit_price).round_dp(2),
//!         };
//!         Ok(Quote::from_lines(request.currency, vec![line]))
//!     }
//! }
//!
//! bazaar_sdk::register_pricing!(FlatRate);
//! ```
//!
//! # Host services
//!
//! [`log`](mod@log) writes to the call's log; [`now`], [`random_u64`] and
//! [`random_bytes`] give the call's logical time and seeded randomness (use
//! them rather than `std::time` or OS randomness so a call can be replayed);
//! [`kv`] is the plugin's private state, committed only when a call returns;
//! [`config`] is what the seller configured. These call into the host and
//! only work inside a component: on other targets they panic.
//!
//! # Errors
//!
//! Every fallible function returns [`PluginError`]. An input decimal that is
//! not canonical never reaches the plugin: the SDK answers
//! [`PluginError::InvalidInput`] naming the field (e.g. `request.quantity`).

pub mod config;
pub mod decimal;
mod error;
mod host;
pub mod kv;
mod lifecycle;
pub mod log;
mod metering;
mod pricing;
mod register;
mod review;
mod settlement;
mod types;

// The raw wit-bindgen output; public only so that the `register_*!` macros,
// which expand in plugin crates, can reach it.
#[doc(hidden)]
pub mod bindings;

pub use error::PluginError;
pub use host::{Timestamp, now, random_below, random_bytes, random_u64};
pub use lifecycle::{
    AppInfo, Change, FreezeReason, InstanceChange, InstanceState, InstanceStatus, Lifecycle,
    Provisioned, ReleaseReason, Subscription, Upgrade,
};
pub use metering::{MeteredInstance, Metering, UsageRecord, UsageWindow};
pub use pricing::{Pricing, Quote, QuoteLine, QuoteRequest};
pub use review::{Finding, ImageInfo, Listing, Review, Severity};
pub use rust_decimal::{self, Decimal};
pub use settlement::{BillLine, LineKind, LineTaxes, Settlement, Tax, TaxKind, TaxPayer};
pub use types::{Attribute, BillingMode, attribute};

/// What the `register_*!` macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::{
        lifecycle_plugin, metering_plugin, pricing_plugin, review_plugin, settlement_plugin,
    };
    pub use crate::register::Export;
}
