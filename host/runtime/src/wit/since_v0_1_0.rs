//! `bazaar:plugin@0.1.0`, frozen in `wit/v0.1.0/plugin.wit`: its bindings,
//! and the forwarding that keeps its components working unchanged on a host
//! written against [`latest`](super::latest).
//!
//! Its import traits call `latest`'s implementations (`host_api`), and its
//! exports are called with `latest`'s values converted to its own types and
//! the answers converted back ([`super::convert`]): 0.2.0 only added an
//! interface, so every 0.1.0 type has a 0.2.0 twin of the same shape.

// The generated code documents what the WIT documents and no more.
#![allow(missing_docs)]

use super::{convert, latest};
use crate::World;
use crate::sandbox::{CallState, HostState};
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

wasmtime::component::bindgen!({
    path: "../../wit/v0.1.0",
    world: "bazaar:plugin/host-view",
    imports: { default: trappable },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

/// The version of `bazaar:plugin` these bindings are of.
pub const VERSION: &str = "0.1.0";

use bazaar::plugin::{config, host, kv};
pub use exports::bazaar::plugin::{lifecycle, metering, pricing, review};

/// Where the functions of each 0.1.0 interface a component exports are.
#[derive(Clone, Default)]
pub struct Guests {
    lifecycle: Option<lifecycle::GuestIndices>,
    metering: Option<metering::GuestIndices>,
    pricing: Option<pricing::GuestIndices>,
    review: Option<review::GuestIndices>,
}

fn not_exported(interface: &str) -> wasmtime::Error {
    wasmtime::format_err!("the component does not export `{interface}`")
}

/// A latest-version answer from this version's.
type Answer<T> = wasmtime::Result<Result<T, latest::PluginError>>;

impl Guests {
    /// Looks up the exports of `world`'s interface; `settlement` is not part
    /// of 0.1.0.
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
            World::Settlement => {
                wasmtime::bail!("`settlement` exists from bazaar:plugin@0.2.0 on")
            }
        }
        Ok(())
    }

    fn lifecycle(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<lifecycle::Guest> {
        let guest = self
            .lifecycle
            .as_ref()
            .ok_or_else(|| not_exported("lifecycle"))?;
        guest.load(store, instance)
    }

    pub(crate) fn create_instance(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        subscription: &latest::lifecycle::Subscription,
    ) -> Answer<latest::lifecycle::Provisioned> {
        let subscription: lifecycle::Subscription = convert(subscription)?;
        let guest = self.lifecycle(&mut *store, instance)?;
        convert(&guest.call_create_instance(store, &subscription)?)
    }

    pub(crate) fn query_instance(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        instance_ids: &[String],
    ) -> Answer<Vec<latest::lifecycle::InstanceStatus>> {
        let guest = self.lifecycle(&mut *store, instance)?;
        convert(&guest.call_query_instance(store, instance_ids)?)
    }

    pub(crate) fn update_instance(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        change: &latest::lifecycle::InstanceChange,
    ) -> Answer<()> {
        let change: lifecycle::InstanceChange = convert(change)?;
        let guest = self.lifecycle(&mut *store, instance)?;
        convert(&guest.call_update_instance(store, &change)?)
    }

    pub(crate) fn release_instance(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        instance_id: &str,
        reason: latest::lifecycle::ReleaseReason,
    ) -> Answer<()> {
        let reason: lifecycle::ReleaseReason = convert(&reason)?;
        let guest = self.lifecycle(&mut *store, instance)?;
        convert(&guest.call_release_instance(store, instance_id, reason)?)
    }

    pub(crate) fn collect_usage(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        window: latest::metering::UsageWindow,
        instances: &[latest::metering::MeteredInstance],
    ) -> Answer<Vec<latest::metering::UsageRecord>> {
        let window: metering::UsageWindow = convert(&window)?;
        let instances: Vec<metering::MeteredInstance> = convert(instances)?;
        let guest = self
            .metering
            .as_ref()
            .ok_or_else(|| not_exported("metering"))?;
        let guest = guest.load(&mut *store, instance)?;
        convert(&guest.call_collect_usage(store, window, &instances)?)
    }

    pub(crate) fn quote(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        request: &latest::pricing::QuoteRequest,
    ) -> Answer<latest::pricing::Quotation> {
        let request: pricing::QuoteRequest = convert(request)?;
        let guest = self
            .pricing
            .as_ref()
            .ok_or_else(|| not_exported("pricing"))?;
        let guest = guest.load(&mut *store, instance)?;
        convert(&guest.call_quote(store, &request)?)
    }

    pub(crate) fn check_listing(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        listing: &latest::review::Listing,
    ) -> wasmtime::Result<Vec<latest::review::Finding>> {
        let listing: review::Listing = convert(listing)?;
        let guest = self.review.as_ref().ok_or_else(|| not_exported("review"))?;
        let guest = guest.load(&mut *store, instance)?;
        convert(&guest.call_check_listing(store, &listing)?)
    }
}

// The imports: each forwards to `latest`'s implementation, so 0.1.0 and
// 0.2.0 plugins share one host, one transcript format and one set of limits.

impl bazaar::plugin::types::Host for HostState {}

impl host::Host for HostState {
    fn log(&mut self, level: host::LogLevel, message: String) -> wasmtime::Result<()> {
        latest::bazaar::plugin::host::Host::log(self, convert(&level)?, message)
    }

    fn now(&mut self) -> wasmtime::Result<i64> {
        latest::bazaar::plugin::host::Host::now(self)
    }

    fn random_u64(&mut self) -> wasmtime::Result<u64> {
        latest::bazaar::plugin::host::Host::random_u64(self)
    }

    fn random_bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        latest::bazaar::plugin::host::Host::random_bytes(self, len)
    }
}

impl kv::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, kv::KvError>> {
        convert(&latest::bazaar::plugin::kv::Host::get(self, key)?)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), kv::KvError>> {
        convert(&latest::bazaar::plugin::kv::Host::set(self, key, value)?)
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, kv::KvError>> {
        convert(&latest::bazaar::plugin::kv::Host::delete(self, key)?)
    }

    fn list_keys(
        &mut self,
        prefix: String,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<String>, kv::KvError>> {
        convert(&latest::bazaar::plugin::kv::Host::list_keys(
            self, prefix, limit,
        )?)
    }
}

impl config::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        latest::bazaar::plugin::config::Host::get(self, key)
    }
}
