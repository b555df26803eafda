//! The plugin runtime: one wasmtime engine with a pooling allocator, one
//! `InstancePre` per plugin version, and a fresh store per call running under
//! fuel, an epoch deadline and a memory cap. A second, baseline-compiling
//! engine (`baseline.rs`) serves big components until they are optimized.

mod artifact_cache;
mod baseline;
mod call;
pub mod cases;
mod error;
mod function_cache;
mod host_api;
mod kv;
mod limits;
pub mod observe;
mod plugin;
mod replay;
mod sandbox;
mod slots;
mod stdio;
mod transcript;
mod typed;
mod values;
pub mod wit;
mod worlds;

pub use call::{CallFailure, CallOutcome, KvWrite, thread_fuel_used};
pub use error::{CallError, LoadError};
pub use kv::{KvBackendError, KvStore, KvUsage, MemoryKv};
pub use limits::{CallBudget, Limits};
pub use plugin::{FunctionInfo, Plugin, precheck, sha256_hex};
pub use replay::Divergence;
pub use sandbox::CallContext;
pub use transcript::{HostCall, LogLine};
pub use typed::Answer;
pub use values::wit_json;
pub use worlds::{WIT_PACKAGE, WIT_VERSION, World};

use artifact_cache::ArtifactCache;
use sandbox::CallState;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; the granularity of call deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// How to build a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Budgets of every call.
    pub limits: Limits,
    /// Where precompiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Plugin instances that may be alive at once (pooling allocator slots).
    pub max_instances: u32,
    /// Bytes at the start of each instance's linear memory and tables that
    /// are zeroed in place and kept mapped when a call ends, instead of being
    /// returned to the OS and faulted in again by the next call; 0 returns
    /// everything. Either way the next instance starts from the module's
    /// initial memory.
    pub keep_resident_bytes: usize,
    /// Instance regions (memories, tables) whose freed pages are queued
    /// before they are returned to the OS together. 1 returns them as each
    /// call ends, so the resident set falls back right after a burst of
    /// memory-heavy calls; larger batches save a `madvise` per call but keep
    /// up to `batch - 1` freed memories resident per thread until more calls
    /// end.
    pub decommit_batch_size: usize,
    /// The most linear memory all concurrent calls may hold together:
    /// `max_instances × limits.memory_bytes` must not exceed it, so the
    /// configuration cannot promise more memory than the host has.
    pub total_memory_bytes: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            cache_dir: None,
            max_instances: 16,
            // Two threads calling plugins made ~1.3x the calls/s with this
            // than with every page decommitted (TLB shoot-downs between the
            // cores); 1 MiB was slower than both (BENCHMARKS §1, §3).
            keep_resident_bytes: 256 << 10,
            decommit_batch_size: 1,
            total_memory_bytes: DEFAULT_TOTAL_MEMORY_BYTES,
        }
    }
}

/// The default [`RuntimeConfig::total_memory_bytes`]: 2 GiB, e.g. 16
/// concurrent calls of 128 MiB.
pub const DEFAULT_TOTAL_MEMORY_BYTES: u64 = 2 << 30;

impl RuntimeConfig {
    /// The memory concurrent calls may hold at most, `max_instances ×
    /// memory_bytes`; refused when it exceeds `total_memory_bytes`.
    pub fn check_memory(&self) -> Result<u64, RuntimeError> {
        let slots = u64::from(self.max_instances.max(1));
        let promised = slots.saturating_mul(self.limits.memory_bytes);
        if promised > self.total_memory_bytes {
            return Err(RuntimeError::MemoryOvercommitted {
                slots,
                memory_bytes: self.limits.memory_bytes,
                promised,
                total: self.total_memory_bytes,
            });
        }
        Ok(promised)
    }
}

/// Errors building the runtime itself (not plugin errors).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine or linker could not be set up.
    #[error("cannot set up the wasm engine: {0}")]
    Engine(String),
    /// The artifact cache directory is unusable.
    #[error("cannot open the artifact cache: {0}")]
    Cache(#[from] std::io::Error),
    /// Concurrent calls could together hold more memory than allowed.
    #[error(
        "plugin memory overcommitted: {slots} concurrent calls × {} MiB each = {} MiB, \
         more than the total of {} MiB allowed for plugins; lower the concurrent calls \
         or the memory per call, or raise the total",
        memory_bytes >> 20, promised >> 20, total >> 20
    )]
    MemoryOvercommitted {
        /// Calls that may run at once (instance slots).
        slots: u64,
        /// Memory cap of one call.
        memory_bytes: u64,
        /// `slots × memory_bytes`.
        promised: u64,
        /// The allowed total.
        total: u64,
    },
}

/// Which compiler a load uses.
#[derive(Clone, Copy)]
enum Tier {
    /// Cranelift (or its precompiled artifact); `hashed` says whether the
    /// version's sha256 was computed from the bytes (if not, they are hashed
    /// before they are compiled).
    Optimized { hashed: bool },
    /// Winch, until the optimized code replaces it.
    Baseline,
}

/// Loads and calls plugins. Cheap to share behind an `Arc`; calls block, so
/// async callers run them on blocking threads.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    /// `None` when this CPU cannot run Winch's code (it wants AVX):
    /// every component then waits for its optimized compile.
    baseline: Option<baseline::Baseline>,
    limits: Limits,
    cache: Option<ArtifactCache>,
    plugins: RwLock<HashMap<String, Arc<Plugin>>>,
    ticker_stop: Arc<AtomicBool>,
    slots: slots::Slots,
}

impl Runtime {
    /// Builds the engine, the linker with WASI and the Bazaar imports, the
    /// epoch ticker and the artifact cache.
    pub fn new(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        config.check_memory()?;
        let limits = config.limits.clone();
        let engine = Engine::new(&engine_config(&config))
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let linker = linker(&engine)?;
        let baseline =
            baseline::Baseline::new(usize::try_from(limits.wasm_stack_bytes).unwrap_or(1 << 20))
                .inspect_err(|e| tracing::warn!(error = %e, "no baseline compiler; big components wait for the optimized compile"))
                .ok();
        let cache = match &config.cache_dir {
            Some(dir) => Some(ArtifactCache::open(dir, &engine)?),
            None => None,
        };
        let ticker_stop = Arc::new(AtomicBool::new(false));
        let ticked = std::iter::once(engine.clone())
            .chain(baseline.as_ref().map(|b| b.engine.clone()))
            .collect();
        spawn_epoch_ticker(ticked, ticker_stop.clone());
        Ok(Self {
            engine,
            linker,
            baseline,
            limits,
            cache,
            plugins: RwLock::new(HashMap::new()),
            ticker_stop,
            slots: slots::Slots::new(config.max_instances.max(1)),
        })
    }

    /// The budgets of every call.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Validates, compiles (or loads precompiled) and links a component. The
    /// same bytes are compiled once per runtime and once per cache directory.
    /// A version serving from the baseline tier is compiled again, optimized,
    /// and replaces it: calls already running finish on the baseline code.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        self.load_as(sha256_hex(bytes), bytes, Tier::Optimized { hashed: true })
    }

    /// [`Runtime::load`] of a version whose sha256 is already known (the
    /// store keys components by it): when its precompiled artifact is in the
    /// cache, the artifact is loaded by that name without hashing the bytes
    /// again (10 ms for an 18 MB component). Bytes that have to be compiled
    /// are hashed, so they can only ever be registered under their own
    /// sha256.
    pub fn load_known(&self, sha256: &str, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        if self.has_artifact(sha256) {
            self.load_as(sha256.to_string(), bytes, Tier::Optimized { hashed: false })
        } else {
            self.load(bytes)
        }
    }

    /// Compiles a component with the baseline compiler (Winch): callable in
    /// a fraction of the optimized compile's time, running slower, until
    /// [`Runtime::load`] of the same bytes replaces it. A version already
    /// loaded is returned as it is.
    pub fn load_baseline(&self, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        self.load_as(sha256_hex(bytes), bytes, Tier::Baseline)
    }

    /// Loads `bytes` as version `sha256` on `tier`, unless a version already
    /// loaded serves: any one for the baseline, an optimized one otherwise.
    fn load_as(&self, sha256: String, bytes: &[u8], tier: Tier) -> Result<Arc<Plugin>, LoadError> {
        let optimized = matches!(tier, Tier::Optimized { .. });
        if let Some(p) = self.get(&sha256).filter(|p| p.optimized || !optimized) {
            return Ok(p);
        }
        plugin::precheck(bytes, self.limits.component_bytes)?;
        let started = Instant::now();
        let (engine, linker, component, from_cache) = match tier {
            Tier::Optimized { hashed } => {
                let (component, from_cache) = self.compile(&sha256, bytes, hashed)?;
                (&self.engine, &self.linker, component, from_cache)
            }
            Tier::Baseline => {
                let Some(baseline) = &self.baseline else {
                    return Err(LoadError::Invalid {
                        reason: "this host has no baseline compiler".into(),
                    });
                };
                let component = baseline.compile(bytes).map_err(|e| LoadError::Invalid {
                    reason: format!("{e:#}"),
                })?;
                (&baseline.engine, &baseline.linker, component, false)
            }
        };
        let mut plugin = plugin::link(engine, linker, component, sha256, bytes.len() as u64)?;
        plugin.from_cache = from_cache;
        plugin.optimized = optimized;
        plugin.load_ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(self.insert(plugin))
    }

    /// Whether the optimized artifact of `sha256` is in the precompiled
    /// cache (loading it takes milliseconds, so no baseline is needed).
    pub fn has_artifact(&self, sha256: &str) -> bool {
        self.cache.as_ref().is_some_and(|c| c.has(sha256))
    }

    /// Registers `plugin`, unless it is baseline code and optimized code of
    /// the same version got there first (a baseline compile that finished
    /// after the optimized one never takes its place).
    fn insert(&self, plugin: Plugin) -> Arc<Plugin> {
        let mut plugins = self.plugins.write().unwrap_or_else(|e| e.into_inner());
        if let Some(optimized) = plugins.get(&plugin.sha256).filter(|p| p.optimized)
            && !plugin.optimized
        {
            return optimized.clone();
        }
        let plugin = Arc::new(plugin);
        plugins.insert(plugin.sha256.clone(), plugin.clone());
        plugin
    }

    /// A plugin already loaded, by sha256.
    pub fn get(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(sha256)
            .cloned()
    }

    /// Every loaded plugin.
    pub fn all(&self) -> Vec<Arc<Plugin>> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn compile(
        &self,
        sha256: &str,
        bytes: &[u8],
        hashed: bool,
    ) -> Result<(wasmtime::component::Component, bool), LoadError> {
        let invalid = |e: wasmtime::Error| LoadError::Invalid {
            reason: format!("{e:#}"),
        };
        let Some(cache) = &self.cache else {
            return wasmtime::component::Component::new(&self.engine, bytes)
                .map(|c| (c, false))
                .map_err(invalid);
        };
        if let Some(component) = cache.load(&self.engine, sha256) {
            return Ok((component, true));
        }
        // The artifact was unusable: compile, but only bytes that are what
        // their name says.
        if !hashed && sha256_hex(bytes) != sha256 {
            return Err(LoadError::Invalid {
                reason: format!("the component's bytes are not those of sha256 {sha256}"),
            });
        }
        let artifact = self.engine.precompile_component(bytes).map_err(invalid)?;
        if let Err(e) = cache.store(sha256, &artifact) {
            tracing::warn!(error = %e, "cannot write the artifact cache; continuing without it");
        }
        // SAFETY: `artifact` was produced just above by this engine's own
        // `precompile_component`; it never left this process.
        #[allow(unsafe_code)]
        let component =
            unsafe { wasmtime::component::Component::deserialize(&self.engine, &artifact) };
        component.map(|c| (c, false)).map_err(invalid)
    }

    /// Calls `world.function` of `plugin` with a JSON `input` object keyed by
    /// parameter name, in a fresh sandbox.
    pub fn call(
        &self,
        plugin: &Plugin,
        world: World,
        function: &str,
        input: &serde_json::Value,
        ctx: CallContext,
        budget: &CallBudget,
    ) -> Result<CallOutcome, CallFailure> {
        // Queue for an instance slot rather than failing when the pool is
        // momentarily full; only a wait longer than a call's own deadline
        // turns into `busy`.
        let _span = tracing::debug_span!(
            "plugin_call",
            sha256 = %plugin.sha256,
            world = world.interface(),
            function
        )
        .entered();
        let limits = self.limits.tightened(budget);
        let result = match self.slots.acquire(limits.timeout()) {
            Some(_slot) => call::run(
                plugin.engine(),
                plugin,
                world,
                function,
                input,
                ctx,
                &limits,
            ),
            None => Err(CallFailure::busy()),
        };
        observe::call(plugin, world, function, &result);
        result
    }

    /// Calls `world.function` of `plugin` the way a recorded call went: the
    /// logical time and seed of the recording (which WASI clocks and random
    /// sources derive from), every host import answered from `recorded`.
    /// Returns the outcome and the first host call that diverged, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn replay(
        &self,
        plugin: &Plugin,
        world: World,
        function: &str,
        input: &serde_json::Value,
        now_ms: i64,
        seed: u64,
        recorded: Vec<HostCall>,
        budget: &CallBudget,
    ) -> (Result<CallOutcome, CallFailure>, Option<Divergence>) {
        let limits = self.limits.tightened(budget);
        let Some(_slot) = self.slots.acquire(limits.timeout()) else {
            let busy = Err(CallFailure::busy());
            observe::call(plugin, world, function, &busy);
            return (busy, None);
        };
        // Nothing live is reachable: the key-value store and configuration
        // are empty, and every answer comes from the recording.
        let ctx = CallContext {
            now_ms,
            seed,
            config: Default::default(),
            kv: Arc::new(MemoryKv::new()),
        };
        let replayer = replay::Replayer::new(recorded);
        let (result, replayer) = call::run_with(
            plugin.engine(),
            plugin,
            world,
            function,
            input,
            ctx,
            &limits,
            Some(replayer),
        );
        observe::call(plugin, world, function, &result);
        (result, replayer.and_then(replay::Replayer::finish))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn engine_config(config: &RuntimeConfig) -> Config {
    let limits = &config.limits;
    let n = config.max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        // Components built by other toolchains (componentize-py) carry a
        // dozen core modules and several memories and tables.
        .total_core_instances(n * 32)
        .max_core_instances_per_component(64)
        .total_memories(n * 4)
        .max_memories_per_component(8)
        .total_tables(n * 16)
        .max_tables_per_component(32)
        .table_elements(200_000)
        .max_core_instance_size(4 << 20)
        .max_component_instance_size(4 << 20)
        .max_memory_size(usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX))
        // Batching returns freed memory with fewer madvise calls (and TLB
        // shoot-downs), at the price of holding it until the batch fills.
        .decommit_batch_size(config.decommit_batch_size.max(1))
        .linear_memory_keep_resident(config.keep_resident_bytes)
        .table_keep_resident(config.keep_resident_bytes);
    let mut c = Config::new();
    if let Err(e) =
        c.enable_incremental_compilation(Arc::new(function_cache::FunctionCache::default()))
    {
        tracing::warn!(error = %e, "compiling without the function cache");
    }
    c.wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(usize::try_from(limits.wasm_stack_bytes).unwrap_or(1 << 20))
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    c
}

/// The linker of `engine`: WASI and the Bazaar imports.
fn linker(engine: &Engine) -> Result<Linker<CallState>, RuntimeError> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
        .and_then(|()| host_api::add_to_linker(&mut linker))
        .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
    Ok(linker)
}

/// Advances the engines' epochs every [`EPOCH_TICK`] until the runtime is
/// dropped, so deadlines fire even in loops that never call the host.
fn spawn_epoch_ticker(engines: Vec<Engine>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("bazaar-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                for engine in &engines {
                    engine.increment_epoch();
                }
            }
        })
        .expect("spawning the epoch thread");
}

/// Epoch ticks that make up `timeout`, rounded up, plus one so a call never
/// gets less than its budget.
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    (timeout.as_millis() as u64).div_ceil(EPOCH_TICK.as_millis() as u64) + 1
}
