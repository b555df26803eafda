//! Typed entry points for the plugin functions the host calls itself: the
//! arguments and answers are the Rust types generated from the WIT
//! ([`crate::wit::latest`]), so no caller spells a WIT record as JSON. Each
//! runs in the same sandbox as [`Runtime::call`] (a fresh store, the budgets,
//! the logical time and seed, the key-value overlay, the transcript) and
//! fails with the same [`crate::CallError`]s; [`CallOutcome::output_json`]
//! shows the answer as the JSON path would have. A plugin built against an
//! older WIT version is called through that version's forwarding
//! ([`crate::wit::since_v0_1_0`]), with the same types on this side.

use crate::call::{self, CallFailure, CallOutcome};
use crate::plugin::Guests;
use crate::sandbox::{CallContext, CallState};
use crate::wit::latest::{PluginError, lifecycle, metering, pricing, review, settlement};
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
                plugin.engine(),
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
        self.typed(
            plugin,
            World::Lifecycle,
            "create-instance",
            &(subscription,),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .lifecycle
                    .as_ref()
                    .ok_or_else(|| not_exported("lifecycle"))?
                    .load(&mut *store, instance)?
                    .call_create_instance(store, subscription),
                Guests::V0_1(g) => g.create_instance(store, instance, subscription),
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
        self.typed(
            plugin,
            World::Lifecycle,
            "query-instance",
            &(instance_ids,),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .lifecycle
                    .as_ref()
                    .ok_or_else(|| not_exported("lifecycle"))?
                    .load(&mut *store, instance)?
                    .call_query_instance(store, instance_ids),
                Guests::V0_1(g) => g.query_instance(store, instance, instance_ids),
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
        self.typed(
            plugin,
            World::Lifecycle,
            "update-instance",
            &(change,),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .lifecycle
                    .as_ref()
                    .ok_or_else(|| not_exported("lifecycle"))?
                    .load(&mut *store, instance)?
                    .call_update_instance(store, change),
                Guests::V0_1(g) => g.update_instance(store, instance, change),
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
        self.typed(
            plugin,
            World::Lifecycle,
            "release-instance",
            &(instance_id, reason),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .lifecycle
                    .as_ref()
                    .ok_or_else(|| not_exported("lifecycle"))?
                    .load(&mut *store, instance)?
                    .call_release_instance(store, instance_id, reason),
                Guests::V0_1(g) => g.release_instance(store, instance, instance_id, reason),
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
        self.typed(
            plugin,
            World::Metering,
            "collect-usage",
            &(window, instances),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .metering
                    .as_ref()
                    .ok_or_else(|| not_exported("metering"))?
                    .load(&mut *store, instance)?
                    .call_collect_usage(store, window, instances),
                Guests::V0_1(g) => g.collect_usage(store, instance, window, instances),
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
        self.typed(
            plugin,
            World::Pricing,
            "quote",
            &(request,),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .pricing
                    .as_ref()
                    .ok_or_else(|| not_exported("pricing"))?
                    .load(&mut *store, instance)?
                    .call_quote(store, request),
                Guests::V0_1(g) => g.quote(store, instance, request),
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
        self.typed(
            plugin,
            World::Review,
            "check-listing",
            &(listing,),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .review
                    .as_ref()
                    .ok_or_else(|| not_exported("review"))?
                    .load(&mut *store, instance)?
                    .call_check_listing(store, listing),
                Guests::V0_1(g) => g.check_listing(store, instance, listing),
            },
        )
    }

    /// `settlement.tax-lines(lines)` (plugins of 0.2.0 and later).
    pub fn call_tax_lines(
        &self,
        plugin: &Plugin,
        lines: &[settlement::BillLine],
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Answer<Vec<settlement::LineTaxes>> {
        self.typed(
            plugin,
            World::Settlement,
            "tax-lines",
            &(lines,),
            ctx,
            budget,
            |store, instance| match &plugin.guests {
                Guests::Latest(g) => g
                    .settlement
                    .as_ref()
                    .ok_or_else(|| not_exported("settlement"))?
                    .load(&mut *store, instance)?
                    .call_tax_lines(store, lines),
                Guests::V0_1(_) => Err(not_exported("settlement")),
            },
        )
    }
}
