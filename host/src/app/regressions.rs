//! Regression check of a new plugin version: the previous version's cases
//! are replayed against the new bytes at upload. Cases that still pass are
//! carried over to the new version (so the seller re-records only what
//! changed); the others are reported as regressions.

use super::cases::{replay_all, save};
use super::{App, AppError};
use crate::cases::CaseRun;
use crate::runtime::Plugin;
use crate::store::{CaseRow, SellerPlugin};
use std::sync::Arc;

/// What replaying the previous version's cases found.
pub struct Regressions {
    /// The version before the new one.
    pub previous: SellerPlugin,
    /// How many cases were replayed.
    pub replayed: usize,
    /// How many passed.
    pub passed: usize,
    /// The passing cases, saved for the new version.
    pub carried: Vec<CaseRow>,
    /// The failing cases and how they failed.
    pub regressions: Vec<(CaseRow, CaseRun)>,
}

/// Replays the cases of the version before `owned` (of `seller`) against
/// `plugin`; `None` when there is no previous version.
pub async fn check_new_version(
    app: &App,
    seller: &str,
    owned: &SellerPlugin,
    plugin: &Arc<Plugin>,
) -> Result<Option<Regressions>, AppError> {
    let versions = app.store.seller_plugins(Some(seller)).await?;
    let Some(previous) = versions
        .into_iter()
        .find(|v| v.name == owned.name && v.version == owned.version - 1)
    else {
        return Ok(None);
    };
    let rows = app
        .store
        .cases(Some(seller), Some(&previous.sha256))
        .await?;
    let replayed = rows.len();
    let runs = rows.into_iter().map(|r| (r, plugin.clone())).collect();
    let mut out = Regressions {
        previous,
        replayed,
        passed: 0,
        carried: Vec::new(),
        regressions: Vec::new(),
    };
    for (row, mut case, run) in replay_all(app, runs).await? {
        if run.diff.is_none() {
            out.passed += 1;
            case.plugin.clone_from(&plugin.sha256);
            let (saved, _) = save(app, seller, case, Some(row.id.clone())).await?;
            out.carried.push(saved);
        } else {
            out.regressions.push((row, run));
        }
    }
    Ok(Some(out))
}
