//! The budgets every plugin call runs under.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Budgets applied to every plugin call. One set per host; a call may only
/// tighten them (see [`Limits::tightened`]), never loosen them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Limits {
    /// Wasm fuel (roughly instructions) a call may burn, instantiation included.
    pub fuel: u64,
    /// Wall-clock budget of a call in milliseconds, enforced by epoch interruption.
    pub timeout_ms: u64,
    /// Linear memory a call's instance may hold in total, in bytes.
    pub memory_bytes: u64,
    /// Size of the largest component accepted for upload, in bytes.
    pub component_bytes: u64,
    /// Size of a call's JSON input, in bytes.
    pub input_bytes: u64,
    /// Size of a call's output (strings and lists counted in bytes), in bytes.
    pub output_bytes: u64,
    /// `host.log` lines kept per call; more are counted in `dropped-logs`.
    pub log_lines: u32,
    /// Bytes kept of each of the plugin's stdout and stderr (each its own, so
    /// a noisy stdout cannot crowd out a panic message on stderr); lines past
    /// it are counted in `dropped-logs`.
    pub stdio_bytes: u64,
    /// Largest key-value key, in bytes.
    pub kv_key_bytes: u32,
    /// Largest key-value value, in bytes.
    pub kv_value_bytes: u32,
    /// Host calls (log, clock, random, kv, config) a call may make.
    pub host_calls: u32,
    /// WebAssembly stack available to a call, in bytes.
    pub wasm_stack_bytes: u64,
    /// Keys one key-value namespace (a product's plugin state, a seller's
    /// debug state of one plugin version) may hold.
    pub kv_keys: u64,
    /// Bytes of keys and values one key-value namespace may hold.
    pub kv_state_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 2_000_000_000,
            timeout_ms: 2_000,
            memory_bytes: 128 << 20,
            component_bytes: 64 << 20,
            input_bytes: 1 << 20,
            output_bytes: 1 << 20,
            log_lines: 1_000,
            stdio_bytes: 64 << 10,
            kv_key_bytes: 512,
            kv_value_bytes: 256 << 10,
            host_calls: 100_000,
            wasm_stack_bytes: 1 << 20,
            kv_keys: 1_000_000,
            kv_state_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// The wall-clock budget as a [`Duration`].
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// These limits with every per-call budget lowered to `other`'s where
    /// `other` is stricter. Engine-wide settings (stack size) stay as they are.
    pub fn tightened(&self, other: &CallBudget) -> Limits {
        let mut out = self.clone();
        if let Some(fuel) = other.fuel {
            out.fuel = out.fuel.min(fuel);
        }
        if let Some(ms) = other.timeout_ms {
            out.timeout_ms = out.timeout_ms.min(ms);
        }
        if let Some(bytes) = other.memory_bytes {
            out.memory_bytes = out.memory_bytes.min(bytes);
        }
        out
    }
}

/// Per-call overrides of [`Limits`]; each can only make a call stricter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CallBudget {
    /// Fuel for this call.
    pub fuel: Option<u64>,
    /// Wall-clock budget for this call in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Memory cap for this call in bytes.
    pub memory_bytes: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_never_loosens_the_limits() {
        let base = Limits::default();
        let loose = CallBudget {
            fuel: Some(u64::MAX),
            timeout_ms: Some(u64::MAX),
            memory_bytes: Some(u64::MAX),
        };
        assert_eq!(base.tightened(&loose), base);
        let tight = CallBudget {
            fuel: Some(10),
            timeout_ms: Some(5),
            memory_bytes: Some(1 << 16),
        };
        let t = base.tightened(&tight);
        assert_eq!((t.fuel, t.timeout_ms, t.memory_bytes), (10, 5, 1 << 16));
    }
}
