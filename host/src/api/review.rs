//! The operator's review of a release application: the product's saved
//! cases are replayed against the plugin versions submitted, and the active
//! review rule plugins check the listing. Approval waits until neither a
//! blocker finding nor a failing case remains.

use super::cases::case_of;
use super::{ApiError, AppState};
use crate::cases;
use crate::domain::catalog::{FieldError, ProductDraft};
use crate::domain::release_cases::{self, Required};
use crate::ids::seed_of;
use crate::runtime::{CallBudget, CallContext, MemoryKv, World};
use crate::store::{ApplicationRow, ReviewRow};
use serde_json::{Value, json};
use std::sync::Arc;

/// The required cases `draft` lacks among `seller`'s successful cases.
pub(super) async fn missing_cases(
    state: &AppState,
    seller: &str,
    draft: &ProductDraft,
) -> Result<Vec<FieldError>, ApiError> {
    let required: Vec<Required> = release_cases::required(draft);
    let mut saved = Vec::new();
    for plugin in plugins_of(draft) {
        for row in state.store.cases(Some(seller), Some(&plugin)).await? {
            if row.succeeded {
                saved.push((row.plugin, row.scenario));
            }
        }
    }
    Ok(release_cases::missing(&required, &saved))
}

/// The plugin versions a draft names, each once (a saas plugin may serve as
/// both lifecycle and metering plugin).
pub(super) fn plugins_of(draft: &ProductDraft) -> Vec<String> {
    let mut shas = vec![draft.lifecycle_plugin.clone()];
    if let Some(m) = draft.metering_plugin.as_ref().filter(|m| **m != shas[0]) {
        shas.push(m.clone());
    }
    shas
}

/// The listing a review rule sees, from the submitted definition. Fields
/// the definition does not hold yet (logo, EULA, categories, support) are
/// reported empty, so rules about them flag them.
fn listing(app: &ApplicationRow, draft: &ProductDraft) -> Value {
    json!({
        "product-id": app.product_id,
        "delivery-method": "saas",
        "name": draft.name,
        "version": draft.version,
        "overview": "",
        "description": draft.description,
        "highlights": draft.highlights,
        "categories": [],
        "logo": null,
        "specification-names": draft.specifications.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "support": "",
        "has-eula": false,
    })
}

/// Runs the review of `app` and stores it.
pub(super) async fn run(state: &AppState, app: &ApplicationRow) -> Result<ReviewRow, ApiError> {
    let draft: ProductDraft = serde_json::from_str(&app.snapshot)?;
    let mut replays = Vec::new();
    for sha in plugins_of(&draft) {
        let plugin = state.runtime.get(&sha).ok_or_else(|| {
            ApiError::Conflict(format!("plugin version {sha} is no longer loaded"))
        })?;
        for row in state.store.cases(Some(&app.seller_id), Some(&sha)).await? {
            replays.push((row.clone(), case_of(&row)?, plugin.clone()));
        }
    }
    let rules = state.store.active_rules(Some("review")).await?;
    let rt = state.runtime.clone();
    let listing = listing(app, &draft);
    let now_ms = state.clock.now_ms();
    let seed = seed_of(&app.id);
    let (case_results, findings, used) = tokio::task::spawn_blocking(move || {
        let case_results: Vec<Value> = replays
            .iter()
            .map(|(row, case, plugin)| {
                let mut v =
                    serde_json::to_value(cases::replay(&rt, plugin, case)).unwrap_or(Value::Null);
                v["case"] = json!(row.id);
                v["name"] = json!(row.name);
                v["scenario"] = json!(row.scenario);
                v
            })
            .collect();
        let mut findings = Vec::new();
        let mut used = Vec::new();
        for rule in &rules {
            let sha = rule.plugin.clone().unwrap_or_default();
            used.push(json!({"name": rule.name, "plugin": sha}));
            let finding = |message: String| {
                json!({"rule": rule.name, "plugin": sha, "rule-id": "review.rule-failed",
                       "severity": "blocker", "field": "", "message": message})
            };
            let Some(plugin) = rt.get(&sha) else {
                findings.push(finding(format!("rule plugin {sha} is not loaded")));
                continue;
            };
            let ctx = CallContext {
                now_ms,
                seed,
                config: Default::default(),
                kv: Arc::new(MemoryKv::new()),
            };
            let input = json!({ "listing": listing });
            match rt.call(
                &plugin,
                World::Review,
                "check-listing",
                &input,
                ctx,
                &CallBudget::default(),
            ) {
                Ok(outcome) => {
                    for mut f in outcome.output.as_array().cloned().unwrap_or_default() {
                        f["rule"] = json!(rule.name);
                        f["plugin"] = json!(sha);
                        findings.push(f);
                    }
                }
                // A broken rule must not wave a listing through.
                Err(failure) => findings.push(finding(format!(
                    "rule `{}` failed: {}; re-activate a working version and re-run the review",
                    rule.name, failure.error
                ))),
            }
        }
        (case_results, findings, used)
    })
    .await?;
    let blockers = findings
        .iter()
        .filter(|f| f["severity"] == "blocker")
        .count();
    let failing = case_results
        .iter()
        .filter(|c| c["result"] != "pass")
        .count();
    let report = json!({"findings": findings, "cases": case_results, "rules": used});
    let row = ReviewRow {
        application_id: app.id.clone(),
        blockers: blockers as i64,
        failing_cases: failing as i64,
        report: report.to_string(),
        reviewed_at: now_ms,
    };
    state.store.put_review(&row).await?;
    Ok(row)
}

/// The review as the API shows it.
pub(super) fn review_json(row: &ReviewRow) -> Value {
    let mut v: Value = serde_json::from_str(&row.report).unwrap_or(json!({}));
    v["blockers"] = json!(row.blockers);
    v["failing-cases"] = json!(row.failing_cases);
    v["reviewed-at"] = json!(row.reviewed_at);
    v
}

/// Why `row` keeps its application from approval, if it does.
pub(super) fn refusal(row: &ReviewRow) -> Option<String> {
    if row.blockers == 0 && row.failing_cases == 0 {
        return None;
    }
    let report = review_json(row);
    let blockers: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "blocker")
        .map(|f| {
            format!(
                "{} ({})",
                f["rule-id"].as_str().unwrap_or("?"),
                f["field"].as_str().unwrap_or("")
            )
        })
        .collect();
    let failing: Vec<String> = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["result"] != "pass")
        .map(|c| {
            format!(
                "{} ({})",
                c["case"].as_str().unwrap_or("?"),
                c["scenario"].as_str().unwrap_or("")
            )
        })
        .collect();
    Some(format!(
        "application {} cannot be approved: {} blocker finding(s) [{}] and {} failing case(s) [{}]; \
         the seller must fix them and resubmit, or re-run the review after changing the rules",
        row.application_id,
        blockers.len(),
        blockers.join(", "),
        failing.len(),
        failing.join(", ")
    ))
}
