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

impl HostCall {
    /// Whether `other` asks the host for the same thing, answers aside. Writes
    /// compare their values too: a replay checks what the plugin would store.
    pub fn same_request(&self, other: &HostCall) -> bool {
        use HostCall::*;
        match (self, other) {
            (
                Log { level, message },
                Log {
                    level: l,
                    message: m,
                },
            ) => level == l && message == m,
            (Now { .. }, Now { .. }) | (RandomU64 { .. }, RandomU64 { .. }) => true,
            (RandomBytes { result }, RandomBytes { result: r }) => result.len() == r.len(),
            (KvGet { key, .. }, KvGet { key: k, .. })
            | (KvDelete { key, .. }, KvDelete { key: k, .. })
            | (ConfigGet { key, .. }, ConfigGet { key: k, .. }) => key == k,
            (
                KvSet { key, value, .. },
                KvSet {
                    key: k, value: v, ..
                },
            ) => key == k && value == v,
            (
                KvListKeys { prefix, limit, .. },
                KvListKeys {
                    prefix: p,
                    limit: l,
                    ..
                },
            ) => prefix == p && limit == l,
            _ => false,
        }
    }

    /// The request part of the call as JSON (what was asked, not answered).
    pub fn request_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = v.as_object_mut() {
            if let (HostCall::RandomBytes { result }, Some(_)) = (self, obj.remove("result")) {
                obj.insert("len".into(), (result.len() / 2).into());
            }
            obj.remove("result");
        }
        v
    }
}
