//! The record of everything a plugin asked of the host during one call.
//!
//! A transcript is what makes a call replayable: given the same input and the
//! same answers to these host calls, a deterministic plugin produces the same
//! output.

use serde::{Deserialize, Serialize};

/// One host call and the answer the plugin got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "kebab-case")]
pub enum HostCall {
    /// `host.log`.
    Log {
        /// Level name.
        level: String,
        /// The message as the plugin sent it.
        message: String,
    },
    /// `host.now`.
    Now {
        /// Milliseconds since the epoch.
        result: i64,
    },
    /// `host.random-u64`.
    RandomU64 {
        /// The bits returned.
        result: u64,
    },
    /// `host.random-bytes`.
    RandomBytes {
        /// Hex of the bytes returned.
        result: String,
    },
    /// `kv.get`.
    KvGet {
        /// The key.
        key: String,
        /// Hex of the value, if any; `Err` text on error.
        result: Result<Option<String>, String>,
    },
    /// `kv.set`.
    KvSet {
        /// The key.
        key: String,
        /// Hex of the value.
        value: String,
        /// `Err` text on error.
        result: Result<(), String>,
    },
    /// `kv.delete`.
    KvDelete {
        /// The key.
        key: String,
        /// Whether it existed; `Err` text on error.
        result: Result<bool, String>,
    },
    /// `kv.list-keys`.
    KvListKeys {
        /// The prefix.
        prefix: String,
        /// The limit asked for.
        limit: u32,
        /// The keys returned; `Err` text on error.
        result: Result<Vec<String>, String>,
    },
    /// `config.get`.
    ConfigGet {
        /// The key.
        key: String,
        /// The value, if any.
        result: Option<String>,
    },
}

/// One line of a call's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LogLine {
    /// `trace`..`error`, or `stdout`/`stderr` for what the plugin printed.
    pub level: String,
    /// The text.
    pub message: String,
}
