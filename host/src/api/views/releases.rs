//! How the API shows plugins, cases, release applications, reviews and rules.

use crate::app::regressions::Regressions;
use crate::app::review;
use crate::cases::CaseRun;
use crate::runtime::{Limits, Plugin};
use crate::store::{ApplicationRow, CaseRow, ReviewRow, SellerPlugin};
use serde_json::{Value, json};

/// A plugin version as the API (and `bazaar plugin check`) reports it.
pub fn plugin_report(p: &Plugin, limits: &Limits) -> Value {
    json!({
        "sha256": p.sha256,
        "size": p.size,
        "wit": format!("{}@{}", crate::runtime::WIT_PACKAGE, crate::runtime::WIT_VERSION),
        "worlds": p.worlds,
        "functions": p.functions(),
        "imports": p.imports,
        "load-ms": p.load_ms,
        "from-cache": p.from_cache,
        "limits": limits,
    })
}

/// A plugin version with the uploader's record, when there is one.
pub fn owned_report(p: &Plugin, owned: Option<&SellerPlugin>, limits: &Limits) -> Value {
    let mut v = plugin_report(p, limits);
    if let Some(owned) = owned {
        v["name"] = json!(owned.name);
        v["version"] = json!(owned.version);
        v["seller-id"] = json!(owned.seller_id);
        v["uploaded-at"] = json!(owned.created_at);
    }
    v
}

/// A case without its bulky parts (input, transcript, output).
pub fn case_summary(row: &CaseRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "plugin": row.plugin,
        "world": row.world,
        "function": row.function,
        "scenario": row.scenario,
        "succeeded": row.succeeded,
        "origin": row.origin,
        "created-at": row.created_at,
    })
}

/// One replay of a saved case.
pub fn replay_json(row: &CaseRow, run: &CaseRun) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(run)?;
    v["case"] = json!(row.id);
    v["scenario"] = json!(row.scenario);
    Ok(v)
}

/// The regression check of an upload.
pub fn regressions_json(r: &Regressions) -> Result<Value, serde_json::Error> {
    let regressions = r
        .regressions
        .iter()
        .map(|(row, run)| replay_json(row, run))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "previous": {"version": r.previous.version, "sha256": r.previous.sha256},
        "replayed": r.replayed,
        "passed": r.passed,
        "carried": r.carried.iter().map(case_summary).collect::<Vec<_>>(),
        "regressions": regressions,
    }))
}

/// A release application as the API shows it.
pub fn application_json(a: &ApplicationRow) -> Value {
    json!({
        "id": a.id,
        "product-id": a.product_id,
        "seller-id": a.seller_id,
        "version": a.version,
        "snapshot": serde_json::from_str::<Value>(&a.snapshot).unwrap_or(Value::Null),
        "state": a.state,
        "reason": a.reason,
        "submitted-at": a.submitted_at,
        "decided-at": a.decided_at,
        "decided-by": a.decided_by,
    })
}

/// The review as the API shows it.
pub fn review_json(row: &ReviewRow) -> Value {
    let mut v = serde_json::to_value(review::report(row)).unwrap_or(json!({}));
    v["blockers"] = json!(row.blockers);
    v["failing-cases"] = json!(row.failing_cases);
    v["reviewed-at"] = json!(row.reviewed_at);
    v
}

/// An application with its review (null when not reviewed).
pub fn reviewed_json(a: &ApplicationRow, review: Option<&ReviewRow>) -> Value {
    let mut v = application_json(a);
    v["review"] = review.map_or(Value::Null, review_json);
    v
}
