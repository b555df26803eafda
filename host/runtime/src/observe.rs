//! What every plugin call reports to the `metrics` facade: a count by
//! world, function and outcome, the fuel it burned and how long it took.
//! Recorded here, at the runtime's entry points ([`crate::Runtime::call`],
//! [`crate::Runtime::replay`] and the typed `call_*` functions), so debug
//! calls, replays, pricing, review rules and the worker are counted alike;
//! through the facade so the runtime does not depend on whichever exporter
//! the host installs (without one, these are no-ops).

use crate::call::{CallFailure, CallOutcome};
use crate::{Plugin, World};

/// Plugin calls, labelled `world`, `function`, `outcome`.
pub const CALLS: &str = "bazaar_plugin_calls_total";
/// Fuel burned per call, labelled `world`, `function`.
pub const FUEL: &str = "bazaar_plugin_call_fuel";
/// Wall-clock time per call in seconds, labelled `world`, `function`.
pub const DURATION: &str = "bazaar_plugin_call_duration_seconds";

/// Records one finished call: `outcome` is `ok` when the function returned
/// (whatever it answered) and the failure's kind (`out-of-fuel`, `trap`,
/// `busy`...) otherwise.
pub(crate) fn call<O>(
    plugin: &Plugin,
    world: World,
    function: &str,
    result: &Result<CallOutcome<O>, CallFailure>,
) {
    // A debug call names its function in the request; only exported names
    // become labels, so a caller cannot grow the label set without bound.
    let function = if plugin.exports(world, function) {
        function.to_string()
    } else {
        "unknown".to_string()
    };
    let (outcome, fuel, duration_us) = match result {
        Ok(o) => ("ok".to_string(), o.fuel_used, o.duration_us),
        Err(f) => (f.error.kind(), f.fuel_used, f.duration_us),
    };
    let world = world.interface();
    metrics::counter!(CALLS, "world" => world, "function" => function.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!(FUEL, "world" => world, "function" => function.clone()).record(fuel as f64);
    metrics::histogram!(DURATION, "world" => world, "function" => function)
        .record(duration_us as f64 / 1e6);
}
