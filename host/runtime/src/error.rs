//! Typed errors of loading and calling plugins.

use serde::Serialize;

/// Why a component was not accepted as a plugin. Kinds and fields are
/// kebab-case in JSON, like everything the host shows.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
pub enum LoadError {
    /// Larger than the host accepts.
    #[error("component is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A core module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: build for wasm32-wasip2 (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule,
    /// Not WebAssembly, or not valid.
    #[error("not a valid WebAssembly component: {reason}")]
    Invalid {
        /// What the validator said.
        reason: String,
    },
    /// Imports something the host does not provide.
    #[error("component imports `{name}`, which the host does not provide{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    MissingImport {
        /// The import's name.
        name: String,
        /// How to build the plugin without it, when the host knows.
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    /// Targets a version of the Bazaar WIT the host does not know.
    #[error("component uses `{name}`, but this host implements bazaar:plugin versions {supported}")]
    UnsupportedVersion {
        /// The import or export naming the version.
        name: String,
        /// The versions the host implements, e.g. `0.1.0, 0.2.0`.
        supported: String,
    },
    /// Exports a Bazaar interface with the wrong shape.
    #[error("component exports `{name}` with a signature that does not match the WIT: {reason}")]
    SignatureMismatch {
        /// The export.
        name: String,
        /// What does not match.
        reason: String,
    },
    /// Exports none of the plugin interfaces.
    #[error(
        "component exports none of the plugin interfaces (lifecycle, metering, pricing, review, settlement) of bazaar:plugin versions {supported}"
    )]
    NoWorlds {
        /// The versions the host implements.
        supported: String,
    },
}

/// Why a plugin call produced no output. A plugin that returns its own
/// `plugin-error` is not a `CallError`: that is an output like any other.
/// Kinds and fields are kebab-case in JSON (`{"kind": "deadline",
/// "timeout-ms": 20}`).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
pub enum CallError {
    /// The plugin does not export that function.
    #[error("plugin does not export `{world}.{function}`")]
    UnknownFunction {
        /// The interface asked for.
        world: String,
        /// The function asked for.
        function: String,
    },
    /// The input does not fit the function's parameters.
    #[error("invalid input at `{field}`: {message}")]
    BadInput {
        /// Where in the input.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The input is larger than allowed.
    #[error("input is {size} bytes; the limit is {limit}")]
    InputTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Burned all its fuel.
    #[error("plugin ran out of fuel after {fuel} units")]
    OutOfFuel {
        /// The budget it had.
        fuel: u64,
    },
    /// Ran past its wall-clock budget.
    #[error("plugin exceeded its {timeout_ms} ms deadline")]
    Deadline {
        /// The budget it had.
        timeout_ms: u64,
    },
    /// Tried to grow memory past its cap.
    #[error("plugin exhausted its {limit_bytes}-byte memory cap")]
    MemoryExhausted {
        /// The cap.
        limit_bytes: u64,
    },
    /// Recursed past the stack limit.
    #[error("plugin overflowed its stack")]
    StackOverflow,
    /// Trapped (a panic, an unreachable, a bad memory access...).
    #[error("plugin trapped: {message}")]
    Trap {
        /// The trap and whatever the plugin printed before it.
        message: String,
    },
    /// Made more host calls than allowed.
    #[error("plugin made more than {limit} host calls")]
    TooManyHostCalls {
        /// The limit.
        limit: u32,
    },
    /// Returned more than allowed.
    #[error("plugin output is {size} bytes; the limit is {limit}")]
    OutputTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The plugin's key-value state could not be reached; try again.
    #[error("the plugin's key-value store is unavailable; retry shortly")]
    StoreUnavailable,
    /// Every instance slot is in use; try again.
    #[error("the host is at its concurrent plugin call capacity; retry shortly")]
    Busy,
}

impl CallError {
    /// Whether the same call might succeed if simply tried again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, CallError::Busy | CallError::StoreUnavailable)
    }

    /// Whether a retry of the same call (same input, same seed) can come out
    /// otherwise: the host was busy or its store away, or a deadline passed
    /// that a less loaded host may meet. Fuel, memory, stack, output size,
    /// traps and bad input are properties of the call itself and fail the
    /// same way every time.
    pub fn may_pass_on_retry(&self) -> bool {
        self.is_transient() || matches!(self, CallError::Deadline { .. })
    }

    /// The failure's kind, as its JSON `kind` spells it (`out-of-fuel`...).
    pub fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v["kind"].as_str().map(String::from))
            .unwrap_or_else(|| "call-failed".into())
    }
}

/// What to change in a plugin's build so it does not import `name`: plugins
/// get no network, and the usual toolchains import it by default.
pub fn import_hint(name: &str) -> Option<String> {
    if name.starts_with("wasi:http") {
        Some(
            "plugins have no network; componentize-js adds wasi:http unless told not to: \
             build with `--disable http --disable fetch-event` (`-d http -d fetch-event`)"
                .into(),
        )
    } else if name.starts_with("wasi:sockets") {
        Some("plugins have no network; build without sockets (no TCP/UDP or name lookups)".into())
    } else {
        None
    }
}

#[cfg(test)]
mod import_hint_tests {
    use super::*;

    #[test]
    fn refused_network_imports_say_how_to_build_without_them() {
        let e = LoadError::MissingImport {
            name: "wasi:http/outgoing-handler@0.2.3".into(),
            hint: import_hint("wasi:http/outgoing-handler@0.2.3"),
        };
        assert!(e.to_string().contains("-d http -d fetch-event"), "{e}");
        assert!(import_hint("bazaar:plugin/ledger@0.1.0").is_none());
    }
}
