//! Regression check of a new plugin version: the previous version's cases
//! are replayed against the new bytes at upload. Cases that still pass are
//! carried over to the new version (so the seller re-records only what
//! changed); the others are reported as regressions in the upload answer.

use super::auth::Actor;
use super::cases::{case_of, save, summary};
use super::{ApiError, AppState};
use crate::cases;
use crate::runtime::Plugin;
use crate::store::SellerPlugin;
use serde_json::{Value, json};
use std::sync::Arc;

/// Replays the cases of the version before `owned` against `plugin`.
pub(super) async fn check_new_version(
    state: &AppState,
    actor: &Actor,
    owned: &SellerPlugin,
    plugin: &Arc<Plugin>,
) -> Result<Value, ApiError> {
    let versions = state.store.seller_plugins(Some(actor.id())).await?;
    let Some(previous) = versions
        .into_iter()
        .find(|v| v.name == owned.name && v.version == owned.version - 1)
    else {
        return Ok(Value::Null);
    };
    let rows = state
        .store
        .cases(Some(actor.id()), Some(&previous.sha256))
        .await?;
    let mut runs = Vec::new();
    for row in &rows {
        runs.push((row.clone(), case_of(row)?));
    }
    let rt = state.runtime.clone();
    let target = plugin.clone();
    let results = tokio::task::spawn_blocking(move || {
        runs.into_iter()
            .map(|(row, case)| {
                let run = cases::replay(&rt, &target, &case);
                (row, case, run)
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let (mut passed, mut carried, mut regressions) = (0, Vec::new(), Vec::new());
    for (row, mut case, run) in results {
        if run.diff.is_none() {
            passed += 1;
            case.plugin.clone_from(&plugin.sha256);
            let (saved, _) = save(state, actor.id(), case, Some(row.id.clone())).await?;
            carried.push(summary(&saved));
        } else {
            let mut v = serde_json::to_value(&run)?;
            v["case"] = json!(row.id);
            v["scenario"] = json!(row.scenario);
            regressions.push(v);
        }
    }
    Ok(json!({
        "previous": {"version": previous.version, "sha256": previous.sha256},
        "replayed": rows.len(),
        "passed": passed,
        "carried": carried,
        "regressions": regressions,
    }))
}
