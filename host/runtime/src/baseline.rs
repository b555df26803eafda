//! The baseline tier: a second engine that compiles with Winch, wasmtime's
//! single-pass compiler, so a big component can be called seconds after
//! upload instead of after Cranelift's tens of seconds (issue 17 §4). Its
//! code runs slower; the runtime swaps in the Cranelift-compiled version of
//! the same bytes as soon as that is done ([`super::Runtime::load`]).
//!
//! Everything that makes a call safe holds on both tiers: the same fuel
//! costs per operator (Winch follows Cranelift's accounting), epoch
//! deadlines, the per-call memory cap (the store's limiter), and the same
//! imports. Instances are allocated on demand rather than from a pool: the
//! tier serves one component for a few seconds, and the instance slots the
//! two engines share already bound how many calls run at once.

use super::RuntimeError;
use super::sandbox::CallState;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Strategy};

/// The Winch engine and its linker.
pub(crate) struct Baseline {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<CallState>,
}

impl Baseline {
    /// Builds the engine with the optimized engine's sandbox settings.
    pub(crate) fn new(max_wasm_stack: usize) -> Result<Self, RuntimeError> {
        let mut c = Config::new();
        c.strategy(Strategy::Winch)
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(max_wasm_stack)
            .allocation_strategy(InstanceAllocationStrategy::OnDemand);
        let engine = Engine::new(&c).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let linker = super::linker(&engine)?;
        Ok(Self { engine, linker })
    }

    /// Compiles `bytes` with Winch.
    pub(crate) fn compile(&self, bytes: &[u8]) -> wasmtime::Result<Component> {
        Component::new(&self.engine, bytes)
    }
}
