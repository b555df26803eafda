//! `bazaar:plugin@0.2.0`, the latest: the bindings generated from
//! `wit/plugin.wit`, the one place its records, variants and functions appear
//! in Rust.
//!
//! The `host-view` world imports every host interface and exports every plugin
//! interface, so one `bindgen!` covers both sides: the import traits that
//! `host_api` implements and, per export interface, the `GuestIndices` the
//! host looks up when it links a component and the `Guest` whose `call_*`
//! functions the typed calls go through. A component need not export every
//! interface: [`Guests`] holds the indices of those it does.
//!
//! The generated types also derive `serde::Serialize`, which is how a typed
//! value is measured against the output cap and shown as JSON, the same JSON
//! `Runtime::call` produces (see `values::typed`).

// The generated code documents what the WIT documents and no more.
#![allow(missing_docs)]

use crate::World;
use crate::sandbox::CallState;
use wasmtime::component::InstancePre;

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "bazaar:plugin/host-view",
    imports: { default: trappable },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

/// The version of `bazaar:plugin` these bindings are of.
pub const VERSION: &str = "0.2.0";

pub use bazaar::plugin::types;
pub use exports::bazaar::plugin::{lifecycle, metering, pricing, review, settlement};
pub use types::{Attribute, BillingMode, FieldError, PluginError};

/// Where the functions of each plugin interface a component exports are,
/// found once when the component is linked. An interface the component does
/// not export is `None`.
#[derive(Clone, Default)]
pub struct Guests {
    /// `lifecycle`.
    pub(crate) lifecycle: Option<lifecycle::GuestIndices>,
    /// `metering`.
    pub(crate) metering: Option<metering::GuestIndices>,
    /// `pricing`.
    pub(crate) pricing: Option<pricing::GuestIndices>,
    /// `review`.
    pub(crate) review: Option<review::GuestIndices>,
    /// `settlement`.
    pub(crate) settlement: Option<settlement::GuestIndices>,
}

impl Guests {
    /// Looks up the exports of `world`'s interface, checking that they have
    /// exactly the WIT's signatures.
    pub(crate) fn link(
        &mut self,
        world: World,
        pre: &InstancePre<CallState>,
    ) -> wasmtime::Result<()> {
        match world {
            World::Lifecycle => self.lifecycle = Some(lifecycle::GuestIndices::new(pre)?),
            World::Metering => self.metering = Some(metering::GuestIndices::new(pre)?),
            World::Pricing => self.pricing = Some(pricing::GuestIndices::new(pre)?),
            World::Review => self.review = Some(review::GuestIndices::new(pre)?),
            World::Settlement => self.settlement = Some(settlement::GuestIndices::new(pre)?),
        }
        Ok(())
    }
}
