//! One plugin call: a fresh store, the budgets, the call, and the
//! classification of whatever went wrong into a typed [`CallError`].

use super::error::CallError;
use super::plugin::{ExportedFunc, Plugin};
use super::replay::Replayer;
use super::sandbox::{CallContext, CallState};
use super::transcript::{HostCall, LogLine};
use super::values::{json_to_val, named_json_len, to_val, val_size, val_to_json, wit_json};
use super::{Limits, World, deadline_ticks};
use serde::Serialize;
use std::time::Instant;
use wasmtime::component::{Instance, Val};
use wasmtime::{Engine, Store, Trap};

/// A write a successful call made to its key-value state; the caller commits
/// these (all or none) once it has accepted the call's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct KvWrite {
    /// The key.
    pub key: String,
    /// The new value, as `value-hex`; `None` (null) deletes.
    #[serde(rename = "value-hex", with = "opt_hex")]
    pub value: Option<Vec<u8>>,
}

/// What a call that returned produced. `O` is the function's result: JSON
/// through [`crate::Runtime::call`], the generated Rust type through the
/// typed `Runtime::call_*` functions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CallOutcome<O = serde_json::Value> {
    /// The function's result (as JSON: `{"ok": ...}`/`{"err": ...}` for results).
    pub output: O,
    /// Log lines, including what the plugin printed to stdout/stderr.
    pub logs: Vec<LogLine>,
    /// Log lines dropped: `host.log` lines past `log-lines`, and lines of
    /// stdout and stderr past `stdio-bytes` (a line cut short counts).
    pub dropped_logs: u32,
    /// Every host call and its answer, in order.
    pub transcript: Vec<HostCall>,
    /// Key-value writes to commit.
    pub kv_writes: Vec<KvWrite>,
    /// Fuel burned, instantiation included.
    pub fuel_used: u64,
    /// Wall-clock time of instantiation and call, in microseconds.
    pub duration_us: u64,
}

/// A call that produced no output, with what is known of it.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
#[error("{error}")]
pub struct CallFailure {
    /// What went wrong.
    pub error: CallError,
    /// Log lines up to the failure.
    pub logs: Vec<LogLine>,
    /// Host calls up to the failure.
    pub transcript: Vec<HostCall>,
    /// Fuel burned.
    pub fuel_used: u64,
    /// Wall-clock time spent, in microseconds.
    pub duration_us: u64,
}

impl<O: Serialize> CallOutcome<O> {
    /// The output as JSON, as [`crate::Runtime::call`] gives it.
    pub fn output_json(&self) -> serde_json::Value {
        wit_json(&self.output)
    }
}

impl CallFailure {
    pub(crate) fn busy() -> Self {
        Self::early(CallError::Busy)
    }

    fn early(error: CallError) -> Self {
        Self {
            error,
            logs: Vec::new(),
            transcript: Vec::new(),
            fuel_used: 0,
            duration_us: 0,
        }
    }
}

pub(crate) fn run(
    engine: &Engine,
    plugin: &Plugin,
    world: World,
    function: &str,
    input: &serde_json::Value,
    ctx: CallContext,
    limits: &Limits,
) -> Result<CallOutcome, CallFailure> {
    run_with(engine, plugin, world, function, input, ctx, limits, None).0
}

/// [`run`], optionally answering host calls from a recording; hands the
/// replayer back so its caller can ask where the call diverged.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_with(
    engine: &Engine,
    plugin: &Plugin,
    world: World,
    function: &str,
    input: &serde_json::Value,
    ctx: CallContext,
    limits: &Limits,
    replay: Option<Replayer>,
) -> (Result<CallOutcome, CallFailure>, Option<Replayer>) {
    let mut replay = replay;
    let result = run_inner(
        engine,
        plugin,
        world,
        function,
        input,
        ctx,
        limits,
        &mut replay,
    );
    (result, replay)
}

#[allow(clippy::too_many_arguments)]
fn run_inner(
    engine: &Engine,
    plugin: &Plugin,
    world: World,
    function: &str,
    input: &serde_json::Value,
    ctx: CallContext,
    limits: &Limits,
    replay: &mut Option<Replayer>,
) -> Result<CallOutcome, CallFailure> {
    // Held aside so a call refused before it starts hands no replayer back:
    // it replayed nothing, so it cannot have diverged.
    let pending = replay.take();
    let export = find(plugin, world, function)?;
    let params = params_from_json(input, &export.params, limits).map_err(CallFailure::early)?;
    let mut results = vec![Val::Bool(false); usize::from(export.result.is_some())];
    let ((), ended) = sandboxed(
        engine,
        plugin,
        ctx,
        limits,
        pending,
        replay,
        |store, instance| {
            let func = instance
                .get_func(&mut *store, export.index)
                .ok_or_else(|| wasmtime::format_err!("export vanished from its own component"))?;
            func.call(&mut *store, &params, &mut results)
        },
    )?;
    let size: u64 = results.iter().map(val_size).sum();
    ended.check_output(size, limits)?;
    let output = results
        .first()
        .map(val_to_json)
        .unwrap_or(serde_json::Value::Null);
    Ok(ended.outcome(output))
}

/// A typed call: `params` (a tuple of the function's arguments, measured
/// against the input cap as the JSON path measures its input) and `body`,
/// which calls the generated binding, in the same sandbox as [`run`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_typed<P: Serialize, R: Serialize>(
    engine: &Engine,
    plugin: &Plugin,
    world: World,
    function: &str,
    params: &P,
    ctx: CallContext,
    limits: &Limits,
    body: impl FnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<R>,
) -> Result<CallOutcome<R>, CallFailure> {
    let export = find(plugin, world, function)?;
    check_input(params, &export.params, limits).map_err(CallFailure::early)?;
    let (output, ended) = sandboxed(engine, plugin, ctx, limits, None, &mut None, body)?;
    let size = match to_val(&output) {
        Ok(val) => val_size(&val),
        Err(e) => {
            return Err(ended.fail(CallError::Trap {
                message: format!("the plugin's answer has no WIT form: {e}"),
            }));
        }
    };
    ended.check_output(size, limits)?;
    Ok(ended.outcome(output))
}

fn find<'p>(
    plugin: &'p Plugin,
    world: World,
    function: &str,
) -> Result<&'p ExportedFunc, CallFailure> {
    plugin.export(world, function).ok_or_else(|| {
        CallFailure::early(CallError::UnknownFunction {
            world: world.to_string(),
            function: function.to_string(),
        })
    })
}

/// What a call that ran left besides its output.
struct Ended {
    logs: Vec<LogLine>,
    dropped_logs: u32,
    transcript: Vec<HostCall>,
    overlay: super::kv::KvOverlay,
    fuel_used: u64,
    duration_us: u64,
}

impl Ended {
    fn fail(&self, error: CallError) -> CallFailure {
        CallFailure {
            error,
            logs: self.logs.clone(),
            transcript: self.transcript.clone(),
            fuel_used: self.fuel_used,
            duration_us: self.duration_us,
        }
    }

    fn check_output(&self, size: u64, limits: &Limits) -> Result<(), CallFailure> {
        if size > limits.output_bytes {
            return Err(self.fail(CallError::OutputTooLarge {
                size,
                limit: limits.output_bytes,
            }));
        }
        Ok(())
    }

    fn outcome<O>(self, output: O) -> CallOutcome<O> {
        CallOutcome {
            output,
            logs: self.logs,
            dropped_logs: self.dropped_logs,
            transcript: self.transcript,
            kv_writes: self
                .overlay
                .into_writes()
                .into_iter()
                .map(|(key, value)| KvWrite { key, value })
                .collect(),
            fuel_used: self.fuel_used,
            duration_us: self.duration_us,
        }
    }
}

std::thread_local! {
    static FUEL_USED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Fuel burned by every call made on this thread so far: a scheduler that
/// runs several calls (a batch of replays, the review's rules) as one job
/// reads it before and after to charge the job's fuel to its owner.
pub fn thread_fuel_used() -> u64 {
    FUEL_USED.with(|f| f.get())
}

/// Runs `body` against a fresh instance of `plugin` in a fresh store under
/// the budgets (fuel, epoch deadline, memory cap), the call's logical time,
/// seed and key-value overlay; classifies a failure into a [`CallError`].
/// The replayer, if any, is handed back through `replay`.
fn sandboxed<R>(
    engine: &Engine,
    plugin: &Plugin,
    ctx: CallContext,
    limits: &Limits,
    pending: Option<Replayer>,
    replay: &mut Option<Replayer>,
    body: impl FnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<R>,
) -> Result<(R, Ended), CallFailure> {
    let started = Instant::now();
    let mut store = Store::new(engine, CallState::new(ctx, limits));
    store.data_mut().host.replay = pending;
    store.limiter(|s| &mut s.limiter);
    store
        .set_fuel(limits.fuel)
        .expect("fuel is enabled on the engine");
    store.set_epoch_deadline(deadline_ticks(limits.timeout()));

    let outcome = plugin
        .pre
        .instantiate(&mut store)
        .and_then(|instance| body(&mut store, &instance));
    let fuel_used = limits.fuel - store.get_fuel().unwrap_or(0);
    FUEL_USED.with(|f| f.set(f.get().saturating_add(fuel_used)));
    let duration_us = started.elapsed().as_micros() as u64;

    let (stdout, stderr, stdio_cut) = store.data().stdio();
    let memory_denied = store.data().limiter.denied;
    let mut host = store.into_data().into_host();
    *replay = host.replay.take();
    let mut logs = host.logs;
    push_stdio(&mut logs, "stdout", &stdout);
    push_stdio(&mut logs, "stderr", &stderr);
    let ended = Ended {
        logs,
        dropped_logs: host.dropped_logs.saturating_add(stdio_cut),
        transcript: host.transcript,
        overlay: host.overlay,
        fuel_used,
        duration_us,
    };
    match outcome {
        Ok(output) => Ok((output, ended)),
        Err(e) => {
            let error = classify(&e, limits, memory_denied, host.host_calls_exceeded, &stderr);
            Err(ended.fail(error))
        }
    }
}

/// Checks typed arguments against the input cap: their size as the JSON
/// object keyed by parameter name that the JSON path would have been given.
fn check_input<P: Serialize>(
    params: &P,
    names: &[(String, wasmtime::component::Type)],
    limits: &Limits,
) -> Result<(), CallError> {
    let bad = |message: String| CallError::BadInput {
        field: String::new(),
        message,
    };
    let values = match to_val(params).map_err(|e| bad(e.to_string()))? {
        Val::Tuple(values) => values,
        one => vec![one],
    };
    if values.len() != names.len() {
        return Err(bad(format!(
            "{} arguments for {} parameters",
            values.len(),
            names.len()
        )));
    }
    let size = named_json_len(
        names
            .iter()
            .zip(&values)
            .map(|((name, _), v)| (name.as_str(), v)),
    );
    if size > limits.input_bytes {
        return Err(CallError::InputTooLarge {
            size,
            limit: limits.input_bytes,
        });
    }
    Ok(())
}

/// Builds the parameter list from an object keyed by parameter name.
fn params_from_json(
    input: &serde_json::Value,
    params: &[(String, wasmtime::component::Type)],
    limits: &Limits,
) -> Result<Vec<Val>, CallError> {
    let size = serde_json::to_vec(input).map(|v| v.len()).unwrap_or(0) as u64;
    if size > limits.input_bytes {
        return Err(CallError::InputTooLarge {
            size,
            limit: limits.input_bytes,
        });
    }
    let obj = input.as_object().ok_or_else(|| CallError::BadInput {
        field: String::new(),
        message: format!(
            "input must be an object keyed by parameter name ({})",
            params
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    if let Some(unknown) = obj.keys().find(|k| !params.iter().any(|(n, _)| n == *k)) {
        return Err(CallError::BadInput {
            field: unknown.clone(),
            message: "unknown parameter".into(),
        });
    }
    params
        .iter()
        .map(|(name, ty)| match obj.get(name) {
            Some(v) => json_to_val(v, ty, name),
            None if matches!(ty, wasmtime::component::Type::Option(_)) => Ok(Val::Option(None)),
            None => Err(CallError::BadInput {
                field: name.clone(),
                message: "missing parameter".into(),
            }),
        })
        .collect()
}

fn classify(
    e: &wasmtime::Error,
    limits: &Limits,
    memory_denied: bool,
    host_calls_exceeded: bool,
    stderr: &str,
) -> CallError {
    if host_calls_exceeded {
        return CallError::TooManyHostCalls {
            limit: limits.host_calls,
        };
    }
    if let Some(kv) = e.downcast_ref::<super::kv::KvBackendError>() {
        tracing::warn!(error = %kv, "plugin call lost its key-value store");
        return CallError::StoreUnavailable;
    }
    if e.is::<wasmtime::PoolConcurrencyLimitError>() {
        return CallError::Busy;
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallError::OutOfFuel { fuel: limits.fuel },
        Some(Trap::Interrupt) => CallError::Deadline {
            timeout_ms: limits.timeout_ms,
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(Trap::MemoryOutOfBounds) if looks_recursive(e) => CallError::StackOverflow,
        // An allocator that cannot grow memory aborts; report the cause.
        _ if memory_denied => CallError::MemoryExhausted {
            limit_bytes: limits.memory_bytes,
        },
        Some(trap) => CallError::Trap {
            message: with_stderr(trap.to_string(), stderr),
        },
        None => CallError::Trap {
            message: with_stderr(format!("{e}"), stderr),
        },
    }
}

/// Rust and C plugins keep a shadow stack in linear memory; unbounded
/// recursion runs it off the bottom of memory, which traps as an
/// out-of-bounds access before the wasm stack is exhausted. A trap whose
/// (truncated) backtrace is dominated by one function is that overflow.
fn looks_recursive(e: &wasmtime::Error) -> bool {
    let Some(bt) = e.downcast_ref::<wasmtime::WasmBacktrace>() else {
        return false;
    };
    let frames = bt.frames();
    if frames.len() < 16 {
        return false;
    }
    let mut counts = std::collections::HashMap::new();
    for f in frames {
        *counts.entry(f.func_index()).or_insert(0usize) += 1;
    }
    counts.values().any(|&n| n * 2 >= frames.len())
}

/// The trap message followed by the last lines the plugin printed to stderr,
/// which is where a Rust or Python plugin's panic message goes.
fn with_stderr(message: String, stderr: &str) -> String {
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    if tail.is_empty() {
        return message;
    }
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!("{message}; stderr: {}", tail.join(" | "))
}

fn push_stdio(logs: &mut Vec<LogLine>, level: &str, text: &str) {
    logs.extend(text.lines().map(|line| LogLine {
        level: level.to_string(),
        message: line.to_string(),
    }));
}

mod opt_hex {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_some(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }
}
