//! The versions of the `bazaar:plugin` WIT this host implements, one module
//! each, and `latest`, the one the host's own callers are written against.
//!
//! Each version module holds the one `bindgen!` of its package: the import
//! traits [`crate::host_api`] implements and the typed export bindings the
//! `Runtime::call_*` functions call. An older version's module forwards to
//! `latest` (Spin's and Zed's pattern): its import traits call `latest`'s,
//! and its exports are called with `latest`'s values converted, so the
//! host's callers never see which version a plugin was built against.

pub mod since_v0_1_0;
pub mod since_v0_2_0;

pub use since_v0_2_0 as latest;

/// Every version a component may be built against, oldest first.
pub const VERSIONS: [&str; 2] = [since_v0_1_0::VERSION, since_v0_2_0::VERSION];

/// A value of one version's generated type as the same value of another
/// version's: the two are generated from WIT types of identical shape, so
/// their serde forms are the same.
pub(crate) fn convert<A, B>(value: &A) -> wasmtime::Result<B>
where
    A: serde::Serialize + ?Sized,
    B: serde::de::DeserializeOwned,
{
    let json = serde_json::to_value(value)?;
    Ok(serde_json::from_value(json)?)
}
