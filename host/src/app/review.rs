//! The operator's review of a release application: the product's saved
//! cases are replayed against the plugin versions submitted, and the active
//! review rule plugins check the listing. Approval waits until neither a
//! blocker finding nor a failing case remains.

use super::cases::replay_all;
use super::plugin_pool::{CallKind, Ticket};
use super::{App, AppError};
use crate::domain::catalog::ProductDraft;
use crate::domain::release_cases;
use crate::ids::seed_of;
use crate::runtime::wit::latest::review::{ImageInfo, Listing};
use crate::runtime::{CallBudget, CallContext, MemoryKv, wit_json};
use crate::store::{ApplicationRow, ReviewRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// A review's findings, case results and the rules that ran, as stored.
/// Fields are alphabetical: the stored and shown JSON has always been.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// Every case replayed.
    pub cases: Vec<CaseResult>,
    /// The rules' findings (`rule`, `plugin`, `rule-id`, `severity`,
    /// `field`, `message`).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Value>,
    /// The rules that ran.
    pub rules: Vec<RuleUsed>,
}

/// One replayed case of a review.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CaseResult {
    /// The case id.
    pub case: String,
    /// What differed, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub diff: Option<Value>,
    /// Fuel the replay burned.
    pub fuel_used: u64,
    /// The case's label.
    pub name: Option<String>,
    /// The plugin version replayed against.
    pub plugin: String,
    /// `pass` or `fail`.
    pub result: String,
    /// `create`, `renew`...
    pub scenario: String,
}

/// A rule that ran in a review.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RuleUsed {
    /// The rule's name.
    pub name: String,
    /// Its plugin version.
    pub plugin: String,
}

/// The listing a review rule sees, from the submitted definition. Fields
/// the definition does not hold yet (logo, EULA, categories, support) are
/// reported empty, so rules about them flag them.
fn listing(app: &ApplicationRow, draft: &ProductDraft) -> Listing {
    Listing {
        product_id: app.product_id.clone(),
        delivery_method: "saas".into(),
        name: draft.name.clone(),
        version: draft.version.clone(),
        overview: draft.overview.clone(),
        description: draft.description.clone(),
        highlights: draft.highlights.clone(),
        categories: draft.categories.clone(),
        logo: draft.logo.as_ref().map(|logo| ImageInfo {
            format: logo
                .content_type
                .strip_prefix("image/")
                .unwrap_or(&logo.content_type)
                .to_string(),
            width: logo.width.unwrap_or(0),
            height: logo.height.unwrap_or(0),
            size_bytes: logo.size_bytes,
        }),
        specification_names: draft
            .specifications
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        support: draft.support.clone(),
        has_eula: draft.eula.is_some(),
    }
}

/// Runs the review of `application` and stores it.
pub async fn run(app: &App, application: &ApplicationRow) -> Result<ReviewRow, AppError> {
    let draft: ProductDraft = serde_json::from_str(&application.snapshot)?;
    let mut replays = Vec::new();
    for sha in release_cases::plugins(&draft) {
        let plugin = app.runtime.get(&sha).ok_or_else(|| {
            AppError::Conflict(format!("plugin version {sha} is no longer loaded"))
        })?;
        for row in app
            .store
            .cases(Some(&application.seller_id), Some(&sha))
            .await?
        {
            replays.push((row, plugin.clone()));
        }
    }
    let cases: Vec<CaseResult> = replay_all(app, replays)
        .await?
        .into_iter()
        .map(|(row, _, run)| CaseResult {
            case: row.id,
            diff: run
                .diff
                .as_ref()
                .map(|d| serde_json::to_value(d).unwrap_or(Value::Null)),
            fuel_used: run.fuel_used,
            name: row.name,
            plugin: run.plugin,
            result: run.result.into(),
            scenario: row.scenario,
        })
        .collect();
    let rules = app.store.active_rules(Some("review")).await?;
    let rt = app.runtime.clone();
    let listing = listing(application, &draft);
    let now_ms = app.clock.now_ms();
    let seed = seed_of(&application.id);
    let ticket = Ticket::new(application.seller_id.clone(), CallKind::Seller);
    let (findings, used) = app
        .plugins
        .run(ticket, move || {
            let mut findings = Vec::new();
            let mut used = Vec::new();
            for rule in &rules {
                let sha = rule.plugin.clone().unwrap_or_default();
                used.push(RuleUsed {
                    name: rule.name.clone(),
                    plugin: sha.clone(),
                });
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
                match rt.call_check_listing(&plugin, &listing, ctx, &CallBudget::default()) {
                    Ok(outcome) => {
                        // Stored as the JSON path showed a finding (WIT names,
                        // severity as its case name), so reports read the same
                        // before and after the typed call.
                        for finding in &outcome.output {
                            let mut f = wit_json(finding);
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
            (findings, used)
        })
        .await?;
    let blockers = findings
        .iter()
        .filter(|f| f["severity"] == "blocker")
        .count();
    let failing = cases.iter().filter(|c| c.result != "pass").count();
    let report = Report {
        cases,
        findings,
        rules: used,
    };
    let row = ReviewRow {
        application_id: application.id.clone(),
        blockers: blockers as i64,
        failing_cases: failing as i64,
        report: serde_json::to_string(&report)?,
        reviewed_at: now_ms,
    };
    app.store.put_review(&row).await?;
    Ok(row)
}

/// The stored report of `row` (empty if it cannot be read).
pub fn report(row: &ReviewRow) -> Report {
    serde_json::from_str(&row.report).unwrap_or_default()
}

/// Why `row` keeps its application from approval, if it does.
pub fn refusal(row: &ReviewRow) -> Option<String> {
    if row.blockers == 0 && row.failing_cases == 0 {
        return None;
    }
    let report = report(row);
    let blockers: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f["severity"] == "blocker")
        .map(|f| {
            format!(
                "{} ({})",
                f["rule-id"].as_str().unwrap_or("?"),
                f["field"].as_str().unwrap_or("")
            )
        })
        .collect();
    let failing: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.result != "pass")
        .map(|c| format!("{} ({})", c.case, c.scenario))
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
