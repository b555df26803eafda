//! Cases: debug calls recorded once (input, every host call and its answer,
//! output) and replayed exactly against any plugin version.
//!
//! A case is a plain JSON document ([`Case`]); a case file ([`CaseFile`])
//! holds several and is what sellers export, import and replay locally with
//! `bazaar case replay`. Nothing here does I/O: the store keeps cases, the
//! API and the CLI feed them to [`replay::replay`].

mod diff;
mod replay;

pub use diff::first_difference;
pub use replay::{CaseRun, Verdict, replay};

use crate::{HostCall, World};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `format` of case files this host writes and reads.
pub const CASE_FORMAT: &str = "bazaar-cases/1";

/// Most cases one file may hold.
pub const MAX_CASES_PER_FILE: usize = 1000;

/// A problem with one field of a case, found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// JSON path of the offending field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Case {
    /// The id the case had where it was exported; ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A label chosen by the seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// sha256 of the plugin version the call was recorded with.
    pub plugin: String,
    /// `lifecycle`, `metering`, `pricing` or `review`.
    pub world: String,
    /// The function called, e.g. `create-instance`.
    pub function: String,
    /// What the call does in marketplace terms (`create`, `renew`...);
    /// derived from function and input, informational in files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// The input, an object keyed by parameter name.
    pub input: Value,
    /// The call's logical time; WASI clocks read it during a replay.
    pub now_ms: i64,
    /// The call's seed; WASI random sources derive from it during a replay.
    pub seed: u64,
    /// The configuration the call was given (its reads are in the transcript).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Every host call and its answer, in order.
    pub transcript: Vec<HostCall>,
    /// The output the call returned.
    pub expected: Value,
}

/// A file of cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CaseFile {
    /// Always [`CASE_FORMAT`].
    pub format: String,
    /// The cases.
    pub cases: Vec<Case>,
}

impl CaseFile {
    /// A file holding `cases`.
    pub fn new(cases: Vec<Case>) -> Self {
        Self {
            format: CASE_FORMAT.into(),
            cases,
        }
    }
}

/// What a call does in marketplace terms: the function, or for
/// `update-instance` the kind of change (`renew`, `freeze`, `upgrade`...).
pub fn scenario(function: &str, input: &Value) -> String {
    match function {
        "create-instance" => "create".into(),
        "query-instance" => "query".into(),
        "release-instance" => "release".into(),
        "update-instance" => match &input["change"]["change"] {
            Value::String(case) => case.clone(),
            Value::Object(o) if o.len() == 1 => o.keys().next().cloned().unwrap_or_default(),
            _ => "update".into(),
        },
        other => other.into(),
    }
}

/// Whether an output is a success: `{"ok": ...}` for functions returning a
/// result, anything for those that cannot fail (`check-listing`).
pub fn succeeded(output: &Value) -> bool {
    !output
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.contains_key("err"))
}

/// A content hash of what makes a case the case it is (not its id, name
/// or scenario), with object keys sorted: importing the same case twice
/// finds the first.
pub fn digest(case: &Case) -> String {
    let content = serde_json::json!([
        case.plugin,
        case.world,
        case.function,
        canonical(&case.input),
        case.now_ms,
        case.seed.to_string(),
        case.config,
        canonical(&serde_json::to_value(&case.transcript).unwrap_or(Value::Null)),
        canonical(&case.expected),
    ]);
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let sorted: BTreeMap<&String, Value> =
                o.iter().map(|(k, v)| (k, canonical(v))).collect();
            serde_json::to_value(sorted).unwrap_or(Value::Null)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Checks a case's shape; `at` prefixes the field paths (`cases[3]`).
/// Whether the plugin exists and exports the function is for the caller,
/// who knows the plugins.
pub fn check(case: &Case, at: &str, max_host_calls: usize) -> Vec<ShapeError> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| {
        errors.push(ShapeError {
            field: format!("{at}{field}"),
            message,
        })
    };
    if case.plugin.len() != 64
        || !case
            .plugin
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        err("plugin", "a plugin sha256: 64 lowercase hex digits".into());
    }
    if World::parse(&case.world).is_none() {
        err(
            "world",
            format!(
                "unknown world `{}`; expected lifecycle, metering, pricing or review",
                case.world
            ),
        );
    }
    if case.function.is_empty() || case.function.len() > 64 {
        err("function", "1 to 64 characters".into());
    }
    if !case.input.is_object() {
        err("input", "an object keyed by parameter name".into());
    }
    if case.transcript.len() > max_host_calls {
        err(
            "transcript",
            format!(
                "{} host calls; at most {max_host_calls}",
                case.transcript.len()
            ),
        );
    }
    if case.name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        err("name", "at most 100 characters".into());
    }
    if case.config.len() > 50 {
        err("config", "at most 50 entries".into());
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scenarios_name_the_change() {
        assert_eq!(scenario("create-instance", &json!({})), "create");
        let renew =
            json!({"change": {"instance-id": "i", "order-id": "o", "change": {"renew": 5}}});
        assert_eq!(scenario("update-instance", &renew), "renew");
        let unfreeze = json!({"change": {"change": "unfreeze"}});
        assert_eq!(scenario("update-instance", &unfreeze), "unfreeze");
        assert_eq!(scenario("collect-usage", &json!({})), "collect-usage");
    }

    #[test]
    fn digest_ignores_key_order_and_labels() {
        let case = |input: Value, name: Option<&str>| Case {
            id: None,
            name: name.map(Into::into),
            plugin: "a".repeat(64),
            world: "pricing".into(),
            function: "quote".into(),
            scenario: None,
            input,
            now_ms: 1,
            seed: u64::MAX,
            config: BTreeMap::new(),
            transcript: vec![HostCall::Now { result: 1 }],
            expected: json!({"ok": 1}),
        };
        let a = case(json!({"x": 1, "y": 2}), None);
        let b = case(json!({"y": 2, "x": 1}), Some("label"));
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&case(json!({"x": 2, "y": 2}), None)));
        assert!(check(&a, "", 10).is_empty());
        let mut bad = a.clone();
        bad.world = "nope".into();
        bad.input = json!([]);
        let fields: Vec<_> = check(&bad, "cases[0].", 10)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["cases[0].world", "cases[0].input"]);
    }
}
