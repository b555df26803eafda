//! The per-call state a plugin runs against: WASI with nothing granted, a
//! memory cap, and clocks and randomness that depend only on the call's
//! logical time and seed.

use super::kv::{KvOverlay, KvStore};
use super::stdio::KeptOutput;
use super::transcript::{HostCall, LogLine};
use crate::Limits;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// What the caller supplies for one call besides its input.
#[derive(Clone)]
pub struct CallContext {
    /// The logical time of the call, in milliseconds since the epoch. Every
    /// clock the plugin can read returns this.
    pub now_ms: i64,
    /// Seeds every random number generator the plugin can reach.
    pub seed: u64,
    /// The seller's configuration for this plugin.
    pub config: BTreeMap<String, String>,
    /// The plugin's committed key-value state.
    pub kv: Arc<dyn KvStore>,
}

/// Everything a [`wasmtime::Store`] holds for one call.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryCap,
    pub(crate) host: HostState,
    stdout: KeptOutput,
    stderr: KeptOutput,
}

/// The host-import side of a call: answers and the transcript of them.
pub struct HostState {
    pub(crate) ctx: CallContext,
    pub(crate) rng: ChaCha20Rng,
    pub(crate) overlay: KvOverlay,
    pub(crate) transcript: Vec<HostCall>,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) dropped_logs: u32,
    pub(crate) limits: Limits,
    pub(crate) host_calls_exceeded: bool,
    /// The namespace's size as this call sees it, once a write needed it.
    pub(crate) kv_usage: Option<crate::kv::KvUsage>,
    /// When replaying a case: the recording that answers every host call.
    pub(crate) replay: Option<super::replay::Replayer>,
}

impl CallState {
    /// Fresh state for one call.
    pub fn new(ctx: CallContext, limits: &Limits) -> Self {
        let stdio_cap = usize::try_from(limits.stdio_bytes).unwrap_or(usize::MAX);
        let stdout = KeptOutput::new(stdio_cap);
        let stderr = KeptOutput::new(stdio_cap);
        let wasi = sandboxed_wasi(&ctx, stdout.clone(), stderr.clone());
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryCap::new(limits.memory_bytes),
            host: HostState {
                rng: ChaCha20Rng::seed_from_u64(ctx.seed),
                ctx,
                overlay: KvOverlay::default(),
                transcript: Vec::new(),
                logs: Vec::new(),
                dropped_logs: 0,
                kv_usage: None,
                limits: limits.clone(),
                host_calls_exceeded: false,
                replay: None,
            },
            stdout,
            stderr,
        }
    }

    /// What was kept of the plugin's stdout and stderr, lossily decoded,
    /// and how many lines of the two were cut.
    pub fn stdio(&self) -> (String, String, u32) {
        let (stdout, cut_out) = self.stdout.contents();
        let (stderr, cut_err) = self.stderr.contents();
        (stdout, stderr, cut_out.saturating_add(cut_err))
    }

    /// Splits the finished call's state into what the caller keeps.
    pub fn into_host(self) -> HostState {
        self.host
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// WASI with no files, no environment, no arguments, no network, no stdin,
/// and clocks and randomness derived from the call's logical time and seed.
fn sandboxed_wasi(ctx: &CallContext, stdout: KeptOutput, stderr: KeptOutput) -> WasiCtx {
    let now = Duration::from_millis(u64::try_from(ctx.now_ms).unwrap_or(0));
    // Distinct streams for the secure and insecure generators, both from the seed.
    let secure = SeededRng(ChaCha20Rng::seed_from_u64(ctx.seed ^ 0x5ec0_0000_0000_0001));
    let insecure = SeededRng(ChaCha20Rng::seed_from_u64(ctx.seed ^ 0x1175_0000_0000_0002));
    WasiCtx::builder()
        .stdout(stdout)
        .stderr(stderr)
        .wall_clock(FrozenWallClock(now))
        .monotonic_clock(FrozenMonotonicClock(now.as_nanos() as u64))
        .secure_random(secure)
        .insecure_random(insecure)
        .insecure_random_seed(u128::from(ctx.seed))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}

/// A wall clock stopped at the call's logical time.
struct FrozenWallClock(Duration);

impl HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// A monotonic clock that does not move during a call, so elapsed-time
/// measurements inside a plugin are always zero and never leak host timing.
struct FrozenMonotonicClock(u64);

impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }
    fn now(&self) -> u64 {
        self.0
    }
}

/// Adapts a seeded ChaCha generator to the `rand_core` 0.10 traits WASI wants.
struct SeededRng(ChaCha20Rng);

impl rand_core::TryRng for SeededRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

/// Caps the linear memory of one call's instance and remembers whether the
/// plugin hit the cap, so an allocation failure is reported as exhaustion
/// rather than as the trap the plugin's allocator turns it into.
pub struct MemoryCap {
    limit: u64,
    used: u64,
    pub(crate) denied: bool,
}

impl MemoryCap {
    fn new(limit: u64) -> Self {
        Self {
            limit,
            used: 0,
            denied: false,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // The cap covers all memories of the instance together.
        let growth = (desired - current) as u64;
        if self.used.saturating_add(growth) > self.limit {
            self.denied = true;
            return Ok(false);
        }
        self.used += growth;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}
