//! Running one case against a plugin version and judging the result.

use super::{Case, first_difference};
use crate::{CallBudget, CallError, Divergence, Plugin, Runtime, World};
use serde::Serialize;
use serde_json::Value;

/// How a replay went: `pass`, or the first thing that differed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Verdict {
    /// Same host calls, same output.
    Pass,
    /// The plugin asked the host for something else than when recorded (or
    /// made fewer or more calls).
    HostCall(Divergence),
    /// Same host calls, another output: the first differing JSON path.
    Output {
        /// E.g. `ok.app.frontend-url`; `$` for the whole output.
        path: String,
        /// The recorded value there.
        expected: Value,
        /// The replayed value there.
        actual: Value,
    },
    /// The replayed call did not return (trap, fuel, unknown function...).
    CallFailed {
        /// Why.
        error: CallError,
    },
}

impl Verdict {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass)
    }
}

/// One replay of one case against one plugin version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CaseRun {
    /// The plugin version replayed against.
    pub plugin: String,
    /// `pass` or `fail`.
    pub result: &'static str,
    /// What differed, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<Verdict>,
    /// Fuel the replay burned (deterministic for a given version).
    pub fuel_used: u64,
}

/// Replays `case` against `plugin`: recorded time and seed, host calls
/// answered from the transcript, writes compared against it, output
/// compared with the recorded one. Blocks; run it on a blocking thread.
pub fn replay(runtime: &Runtime, plugin: &Plugin, case: &Case) -> CaseRun {
    let verdict_of = |verdict: Verdict, fuel_used| CaseRun {
        plugin: plugin.sha256.clone(),
        result: if verdict.passed() { "pass" } else { "fail" },
        diff: (!verdict.passed()).then_some(verdict),
        fuel_used,
    };
    let Some(world) = World::parse(&case.world) else {
        let error = CallError::UnknownFunction {
            world: case.world.clone(),
            function: case.function.clone(),
        };
        return verdict_of(Verdict::CallFailed { error }, 0);
    };
    let (result, divergence) = runtime.replay(
        plugin,
        world,
        &case.function,
        &case.input,
        case.now_ms,
        case.seed,
        case.transcript.clone(),
        &CallBudget::default(),
    );
    // A divergence is the root cause of whatever followed it (the trap that
    // stopped the call, or an output computed from other answers).
    if let Some(d) = divergence {
        let fuel = result
            .as_ref()
            .map_or_else(|f| f.fuel_used, |o| o.fuel_used);
        return verdict_of(Verdict::HostCall(d), fuel);
    }
    match result {
        Err(f) => verdict_of(Verdict::CallFailed { error: f.error }, f.fuel_used),
        Ok(outcome) => {
            let verdict = match first_difference(&case.expected, &outcome.output) {
                None => Verdict::Pass,
                Some((path, expected, actual)) => Verdict::Output {
                    path,
                    expected,
                    actual,
                },
            };
            verdict_of(verdict, outcome.fuel_used)
        }
    }
}
