//! Instances prepared ahead of their calls, and finished stores dropped, on
//! a thread of their own, so a caller waits for neither.
//!
//! Instantiating a component and giving its memory back to the OS are most
//! of a short call's time (BENCHMARKS §17): page-table work, not the
//! plugin's. A prepared instance is still used by one call only and is
//! indistinguishable from one made for the call: it is instantiated with
//! no guest code run (a component whose instantiation burns any fuel runs
//! start functions, which could read the placeholder clock or seed, so it is
//! never prepared), and the call's own state (clocks, seed, configuration,
//! key-value store, budgets) replaces the placeholder before the first guest
//! instruction.
//!
//! The pooling allocator has room for [`EXTRA_SLOTS`] instances beyond the
//! calls that may run at once: the ready ones and the finished ones waiting
//! to be dropped, so neither ever takes a slot a call needs.

use crate::sandbox::{CallContext, CallState};
use crate::{Limits, MemoryKv};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use wasmtime::component::{Instance, InstancePre};
use wasmtime::{Engine, Store};

/// Plugins (the most recently called) that get instances prepared.
const PLUGINS: usize = 4;
/// Instances kept ready per plugin.
const DEPTH: usize = 2;
/// Finished stores that may wait to be dropped; past it, callers drop their own.
const DEAD: usize = 8;
/// Pooling-allocator instance slots used by this module at most: every ready
/// instance, one being prepared, and the finished ones waiting.
pub(crate) const EXTRA_SLOTS: u32 = (PLUGINS * DEPTH + 1 + DEAD) as u32;

/// Fuel a preparation gets: any use of it means guest code ran.
const PROBE_FUEL: u64 = 1 << 40;

/// An instance in a store of its own, not yet called.
pub(crate) struct Ready {
    pub(crate) store: Store<CallState>,
    pub(crate) instance: Instance,
}

pub(crate) struct Prepared {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Engine,
    limits: Limits,
    state: Mutex<State>,
    wake: Condvar,
    stop: AtomicBool,
}

#[derive(Default)]
struct State {
    /// Plugins to keep instances ready for, least recently called first.
    wanted: VecDeque<(String, InstancePre<CallState>)>,
    ready: HashMap<String, Vec<Ready>>,
    /// Plugins whose instantiation runs guest code.
    unpreparable: HashSet<String>,
    dead: Vec<Store<CallState>>,
}

impl State {
    /// A wanted plugin short of ready instances, most recently called first.
    fn next_job(&self) -> Option<(String, InstancePre<CallState>)> {
        self.wanted
            .iter()
            .rev()
            .find(|(sha, _)| self.ready.get(sha).map_or(0, Vec::len) < DEPTH)
            .cloned()
    }
}

impl Prepared {
    /// Starts the preparing thread; `enabled: false` prepares nothing and
    /// drops stores on the caller's thread, as without this module.
    pub(crate) fn new(engine: Engine, limits: Limits, enabled: bool) -> Self {
        let shared = Arc::new(Shared {
            engine,
            limits,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            stop: AtomicBool::new(!enabled),
        });
        if enabled {
            let worker = shared.clone();
            std::thread::Builder::new()
                .name("bazaar-prepare".into())
                .spawn(move || worker.run())
                .expect("spawning the instance-preparing thread");
        }
        Self { shared }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// A ready instance of the plugin `sha256` (`pre`), if one is; notes the
    /// plugin as called either way, so the next call of it finds one.
    pub(crate) fn take(&self, sha256: &str, pre: &InstancePre<CallState>) -> Option<Ready> {
        if self.shared.stop.load(Ordering::Relaxed) {
            return None;
        }
        let mut state = self.shared.lock();
        if state.unpreparable.contains(sha256) {
            return None;
        }
        let ready = state.ready.get_mut(sha256).and_then(Vec::pop);
        match state.wanted.iter().position(|(sha, _)| sha == sha256) {
            Some(i) if i + 1 == state.wanted.len() => {}
            Some(i) => {
                let entry = state.wanted.remove(i).expect("just found");
                state.wanted.push_back(entry);
            }
            None => {
                state.wanted.push_back((sha256.to_string(), pre.clone()));
                if state.wanted.len() > PLUGINS {
                    let (old, _) = state.wanted.pop_front().expect("more than one");
                    let stale = state.ready.remove(&old).unwrap_or_default();
                    state.dead.extend(stale.into_iter().map(|r| r.store));
                }
            }
        }
        drop(state);
        self.shared.wake.notify_one();
        ready
    }

    /// Hands a finished store over to be dropped off the caller's thread.
    pub(crate) fn retire(&self, store: Store<CallState>) {
        if self.shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let mut state = self.shared.lock();
        if state.dead.len() >= DEAD {
            drop(state);
            drop(store);
            return;
        }
        state.dead.push(store);
        drop(state);
        self.shared.wake.notify_one();
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        loop {
            let mut state = self.lock();
            let job = loop {
                if self.stop.load(Ordering::Relaxed) {
                    // Instances hold pool slots and compiled code; give them back.
                    let ready = std::mem::take(&mut state.ready);
                    let dead = std::mem::take(&mut state.dead);
                    drop(state);
                    drop((ready, dead));
                    return;
                }
                if !state.dead.is_empty() {
                    break None;
                }
                if let Some(job) = state.next_job() {
                    break Some(job);
                }
                state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            };
            // Freed slots first: a caller may be waiting for one.
            let dead = std::mem::take(&mut state.dead);
            drop(state);
            drop(dead);
            let Some((sha256, pre)) = job else { continue };
            let prepared = self.prepare(&pre);
            let mut state = self.lock();
            match prepared {
                Some(ready) if state.wanted.iter().any(|(sha, _)| *sha == sha256) => {
                    state.ready.entry(sha256).or_default().push(ready);
                }
                Some(ready) => state.dead.push(ready.store),
                None => {
                    tracing::debug!(%sha256, "instantiation runs guest code; not prepared ahead");
                    state.unpreparable.insert(sha256.clone());
                    state.wanted.retain(|(sha, _)| *sha != sha256);
                }
            }
        }
    }

    /// A fresh instance with placeholder state, or `None` when instantiating
    /// ran guest code (or failed: the call itself will then report why).
    fn prepare(&self, pre: &InstancePre<CallState>) -> Option<Ready> {
        let ctx = CallContext {
            now_ms: 0,
            seed: 0,
            config: Default::default(),
            kv: Arc::new(MemoryKv::new()),
        };
        let mut store = Store::new(&self.engine, CallState::new(ctx, &self.limits));
        store.limiter(|s| &mut s.limiter);
        store.set_fuel(PROBE_FUEL).ok()?;
        // Guest code that ran now would be stopped at its first epoch check.
        store.set_epoch_deadline(0);
        let instance = pre.instantiate(&mut store).ok()?;
        (store.get_fuel().ok()? == PROBE_FUEL).then_some(Ready { store, instance })
    }
}
