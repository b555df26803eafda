//! The versions of the `bazaar:plugin` WIT this host implements, one module
//! each, and `latest`, the one the host's own callers are written against.
//!
//! Each version module holds the one `bindgen!` of its package: the import
//! traits [`crate::host_api`] implements and the typed export bindings the
//! `Runtime::call_*` functions call. When a second version arrives, its
//! module comes next to `since_v0_1_0`, `latest` moves to it, and the typed
//! calls convert `latest`'s values for plugins built against the older one.

pub mod since_v0_1_0;

pub use since_v0_1_0 as latest;
