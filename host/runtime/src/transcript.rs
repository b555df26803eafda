//! The record of everything a plugin asked of the host during one call.
//!
//! A transcript is what makes a call replayable: given the same input and the
//! same answers to these host calls, a deterministic plugin produces the same
//! output.
//!
//! Its JSON follows the WIT's conventions, like every value the host shows:
//! kebab-case names, results as `{"ok": v}` or `{"err": e}`, and bytes as hex
//! in fields that say so (`value-hex`, `result-hex`). Cases saved before
//! these spellings (`{"Ok": v}`, `value`, a bare hex `result`) still load.

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
        #[serde(rename = "result-hex", alias = "result")]
        result: String,
    },
    /// `kv.get`.
    KvGet {
        /// The key.
        key: String,
        /// `{"ok": {"value-hex": ...}}`, `{"ok": null}` when absent, or
        /// `{"err": text}` (held as the hex of the value).
        #[serde(with = "kv_get_result")]
        result: Result<Option<String>, String>,
    },
    /// `kv.set`.
    KvSet {
        /// The key.
        key: String,
        /// Hex of the value.
        #[serde(rename = "value-hex", alias = "value")]
        value: String,
        /// `{"ok": null}` or `{"err": text}`.
        #[serde(with = "wit_result")]
        result: Result<(), String>,
    },
    /// `kv.delete`.
    KvDelete {
        /// The key.
        key: String,
        /// Whether it existed (`{"ok": bool}`), or `{"err": text}`.
        #[serde(with = "wit_result")]
        result: Result<bool, String>,
    },
    /// `kv.list-keys`.
    KvListKeys {
        /// The prefix.
        prefix: String,
        /// The limit asked for.
        limit: u32,
        /// The keys returned (`{"ok": [...]}`), or `{"err": text}`.
        #[serde(with = "wit_result")]
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
            if let (HostCall::RandomBytes { result }, Some(_)) = (self, obj.remove("result-hex")) {
                obj.insert("len".into(), (result.len() / 2).into());
            }
            obj.remove("result");
        }
        v
    }
}

/// A `Result` as the WIT's JSON spells it, `{"ok": v}` or `{"err": e}`;
/// reads serde's default `{"Ok": v}`/`{"Err": e}` too, which cases saved
/// before were written in.
pub(crate) mod wit_result {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    enum Wit<T, E> {
        #[serde(rename = "ok", alias = "Ok")]
        Ok(T),
        #[serde(rename = "err", alias = "Err")]
        Err(E),
    }

    pub fn serialize<S: Serializer, T: Serialize, E: Serialize>(
        r: &Result<T, E>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match r {
            Ok(v) => Wit::<&T, &E>::Ok(v).serialize(s),
            Err(e) => Wit::<&T, &E>::Err(e).serialize(s),
        }
    }

    pub fn deserialize<'de, D, T, E>(d: D) -> Result<Result<T, E>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
        E: Deserialize<'de>,
    {
        Ok(match Wit::deserialize(d)? {
            Wit::Ok(v) => Ok(v),
            Wit::Err(e) => Err(e),
        })
    }
}

/// `kv.get`'s answer: the value, when there is one, as `{"value-hex": ...}`;
/// also reads the bare hex string cases saved before were written with.
mod kv_get_result {
    use super::wit_result;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Value {
        Hex {
            #[serde(rename = "value-hex")]
            value_hex: String,
        },
        Bare(String),
    }

    pub fn serialize<S: Serializer>(
        r: &Result<Option<String>, String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let r = r.as_ref().map(|v| {
            v.as_ref().map(|hex| Value::Hex {
                value_hex: hex.clone(),
            })
        });
        wit_result::serialize(&r, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Option<String>, String>, D::Error> {
        let r: Result<Option<Value>, String> = wit_result::deserialize(d)?;
        Ok(r.map(|v| {
            v.map(|v| match v {
                Value::Hex { value_hex } | Value::Bare(value_hex) => value_hex,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_calls_are_spelt_as_the_wit_and_say_their_encoding() {
        let calls = vec![
            HostCall::KvGet {
                key: "k".into(),
                result: Ok(Some("6869".into())),
            },
            HostCall::KvGet {
                key: "k".into(),
                result: Ok(None),
            },
            HostCall::KvSet {
                key: "k".into(),
                value: "6869".into(),
                result: Err("too-large".into()),
            },
            HostCall::RandomBytes {
                result: "00ff".into(),
            },
        ];
        let spelt = json!([
            {"call": "kv-get", "key": "k", "result": {"ok": {"value-hex": "6869"}}},
            {"call": "kv-get", "key": "k", "result": {"ok": null}},
            {"call": "kv-set", "key": "k", "value-hex": "6869", "result": {"err": "too-large"}},
            {"call": "random-bytes", "result-hex": "00ff"},
        ]);
        assert_eq!(serde_json::to_value(&calls).unwrap(), spelt);
        let back: Vec<HostCall> = serde_json::from_value(spelt).unwrap();
        assert_eq!(back, calls);
    }

    #[test]
    fn transcripts_saved_in_the_old_spelling_still_load() {
        let old = json!([
            {"call": "kv-get", "key": "k", "result": {"Ok": "6869"}},
            {"call": "kv-get", "key": "k", "result": {"Ok": null}},
            {"call": "kv-set", "key": "k", "value": "6869", "result": {"Err": "too-large"}},
            {"call": "kv-delete", "key": "k", "result": {"Ok": true}},
            {"call": "random-bytes", "result": "00ff"},
        ]);
        let calls: Vec<HostCall> = serde_json::from_value(old).unwrap();
        assert_eq!(
            calls[0],
            HostCall::KvGet {
                key: "k".into(),
                result: Ok(Some("6869".into()))
            }
        );
        assert_eq!(
            calls[1],
            HostCall::KvGet {
                key: "k".into(),
                result: Ok(None)
            }
        );
        assert!(
            matches!(&calls[2], HostCall::KvSet { value, result: Err(_), .. } if value == "6869")
        );
        assert!(matches!(
            calls[3],
            HostCall::KvDelete {
                result: Ok(true),
                ..
            }
        ));
        assert_eq!(
            calls[4],
            HostCall::RandomBytes {
                result: "00ff".into()
            }
        );
    }
}
