//! Typed entry points for the plugin functions the host calls itself: the
//! arguments and answers are the Rust types generated from the WIT
//! ([`crate::wit::latest`]), so no caller spells a WIT record as JSON. Each
//! runs in the same sandbox as [`Runtime::call`] (a fresh store, the budgets,
//! the logical time and seed, the key-value overlay, the transcript) and
//! fails with the same [`crate::CallError`]s; [`CallOutcome::output_json`]
//! shows the answer as the JSON path would have.

use crate::call::{self, CallFailure, CallOutcome};
use crate::sandbox::{CallContext, CallState};
use crate::wit::latest::{PluginError, lifecycle, metering, pricing, review};
use crate::{CallBudget, Plugin, Runtime, World};
use serde::Serialize;
use wasmtime::Store;
use wasmtime::component::Instance;

/// What a typed call of a function returning `result<T, plugin-error>` gives.
pub type Answer<T> = Result<CallOutcome<Result<T, PluginError>>, CallFailure>;

fn not_exported(interface: &str) -> wasmtime::Error {
    wasmtime::format_err!("the component does not export `{interface}`")
}

impl Runtime {
    #[allow(clippy::too_many_arguments)]
    fn typed<P: Serialize, R: Serialize>(
        &self,
        plugin: &Plugin,
        world: World,
        function: &str,
        params: &P,
        ctx: CallContext,
        budget: &CallBudget,
        body: impl FnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<CallOutcome<R>, CallFailure> {
        let _span = tracing::debug_span!(
            "plugin_call",
            sha256 = %plugin.sha256,
            world = world.interface(),
            function
        )
        .entered();
        let limits = self.limits.tightened(budget);
        let result = match self.slots.acquire(limits.timeout()) {
            Some(_slot) => call::run_typed(
                &self.engine,
                plugin,
                world,
                function,
                params,
                ctx,
                &limits,
                body,
            ),
            None => Err(CallFailure::busy()),
        };
        crate::observe::call(plugin, world, function, &result);
        result
    }

    /// `lifecycle.create-instance(subscription)`.
    pub fn call_create_instance(
        &self,
        plugin: &Plugin,
        subscription: &lifecycle::Subscription,
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<lifecycle::Provisioned> {
        let guest = plugin.guests.lifecycle.as_ref();
        self.typed(
            plugin,
            World::Lifecycle,
            "create-instance",
            &(subscription,),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("lifecycle"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_create_instance(store, subscription)
            },
        )
    }

    /// `lifecycle.query-instance(instance-ids)`.
    pub fn call_query_instance(
        &self,
        plugin: &Plugin,
        instance_ids: &[String],
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<Vec<lifecycle::InstanceStatus>> {
        let guest = plugin.guests.lifecycle.as_ref();
        self.typed(
            plugin,
            World::Lifecycle,
            "query-instance",
            &(instance_ids,),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("lifecycle"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_query_instance(store, instance_ids)
            },
        )
    }

    /// `lifecycle.update-instance(change)`.
    pub fn call_update_instance(
        &self,
        plugin: &Plugin,
        change: &lifecycle::InstanceChange,
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<()> {
        let guest = plugin.guests.lifecycle.as_ref();
        self.typed(
            plugin,
            World::Lifecycle,
            "update-instance",
            &(change,),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("lifecycle"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_update_instance(store, change)
            },
        )
    }

    /// `lifecycle.release-instance(instance-id, reason)`.
    pub fn call_release_instance(
        &self,
        plugin: &Plugin,
        instance_id: &str,
        reason: lifecycle::ReleaseReason,
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<()> {
        let guest = plugin.guests.lifecycle.as_ref();
        self.typed(
            plugin,
            World::Lifecycle,
            "release-instance",
            &(instance_id, reason),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("lifecycle"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_release_instance(store, instance_id, reason)
            },
        )
    }

    /// `metering.collect-usage(window, instances)`.
    pub fn call_collect_usage(
        &self,
        plugin: &Plugin,
        window: metering::UsageWindow,
        instances: &[metering::MeteredInstance],
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<Vec<metering::UsageRecord>> {
        let guest = plugin.guests.metering.as_ref();
        self.typed(
            plugin,
            World::Metering,
            "collect-usage",
            &(window, instances),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("metering"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_collect_usage(store, window, instances)
            },
        )
    }

    /// `pricing.quote(request)`.
    pub fn call_quote(
        &self,
        plugin: &Plugin,
        request: &pricing::QuoteRequest,
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<pricing::Quotation> {
        let guest = plugin.guests.pricing.as_ref();
        self.typed(
            plugin,
            World::Pricing,
            "quote",
            &(request,),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("pricing"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_quote(store, request)
            },
        )
    }

    /// `review.check-listing(listing)`.
    pub fn call_check_listing(
        &self,
        plugin: &Plugin,
        listing: &review::Listing,
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Result<CallOutcome<Vec<review::Finding>>, CallFailure> {
        let guest = plugin.guests.review.as_ref();
        self.typed(
            plugin,
            World::Review,
            "check-listing",
            &(listing,),
            ctx,
            budget,
            |store, instance| {
                let guest = guest.ok_or_else(|| not_exported("review"))?;
                guest
                    .load(&mut *store, instance)?
                    .call_check_listing(store, listing)
            },
        )
    }
}
