//! Saved cases: saving a debug call or an imported case, listing (by plugin
//! version or by product), export, replay against any plugin version, and
//! the deletion rule (cases of a released product stay).

use super::access::visible_plugin;
use super::plugin_pool::{CallKind, Ticket};
use super::{App, AppError, Caller};
use crate::cases::{self, CASE_FORMAT, Case, CaseFile, CaseRun, MAX_CASES_PER_FILE};
use crate::domain::catalog::{FieldError, ProductDraft};
use crate::domain::release_cases;
use crate::ids::new_id;
use crate::runtime::{Plugin, World};
use crate::store::{CaseRow, Page, PageRequest, Role};
use std::sync::Arc;

/// The stored case as a [`Case`] document, with its id, name and scenario.
pub fn case_of(row: &CaseRow) -> Result<Case, AppError> {
    let mut case: Case = serde_json::from_str(&row.document)?;
    case.id = Some(row.id.clone());
    case.name.clone_from(&row.name);
    case.scenario = Some(row.scenario.clone());
    Ok(case)
}

/// Saves `case` for `owner`; the same case saved again is found, not
/// duplicated (false).
pub async fn save(
    app: &App,
    owner: &str,
    mut case: Case,
    origin: Option<String>,
) -> Result<(CaseRow, bool), AppError> {
    let name = case.name.take();
    case.id = None;
    case.scenario = None;
    let row = CaseRow {
        id: new_id("case"),
        seller_id: owner.to_string(),
        plugin: case.plugin.clone(),
        name,
        world: case.world.clone(),
        function: case.function.clone(),
        scenario: cases::scenario(&case.function, &case.input),
        succeeded: cases::succeeded(&case.expected),
        digest: cases::digest(&case),
        document: serde_json::to_string(&case)?,
        origin,
        created_at: app.clock.now_ms(),
    };
    Ok(app.store.insert_case(&row).await?)
}

/// Replays every `(row, plugin)` pair on the plugin pool.
pub async fn replay_all(
    app: &App,
    runs: Vec<(CaseRow, Arc<Plugin>)>,
) -> Result<Vec<(CaseRow, Case, CaseRun)>, AppError> {
    let mut prepared = Vec::with_capacity(runs.len());
    for (row, plugin) in runs {
        let case = case_of(&row)?;
        prepared.push((row, case, plugin));
    }
    // The cases of one replay are one seller's (their owner's); the batch
    // is charged to them and runs as one job of their share.
    let Some(owner) = prepared.first().map(|(row, _, _)| row.seller_id.clone()) else {
        return Ok(Vec::new());
    };
    let rt = app.runtime.clone();
    Ok(app
        .plugins
        .run(Ticket::new(owner, CallKind::Seller), move || {
            prepared
                .into_iter()
                .map(|(row, case, plugin)| {
                    let run = cases::replay(&rt, &plugin, &case);
                    (row, case, run)
                })
                .collect()
        })
        .await?)
}

/// Which cases a list or an export means: whose (`None`: everyone's, for
/// operators) and of which plugin versions (`None`: any).
async fn selection(
    app: &App,
    caller: &Caller,
    plugin: Option<&str>,
    product: Option<&str>,
) -> Result<(Option<String>, Option<Vec<String>>), AppError> {
    caller.require(&[Role::Seller, Role::Operator])?;
    let owner = (caller.role == Role::Seller).then(|| caller.id.clone());
    let Some(product) = product else {
        return Ok((owner, plugin.map(|p| vec![p.to_string()])));
    };
    let p = super::access::visible_product(app, caller, product).await?;
    let draft: ProductDraft = serde_json::from_str(&p.draft)?;
    let shas = release_cases::plugins(&draft)
        .into_iter()
        .filter(|sha| plugin.is_none_or(|only| only == sha))
        .collect();
    Ok((Some(p.seller_id), Some(shas)))
}

/// A page of cases, oldest first: sellers' own, operators' all; of one
/// plugin version if given, or of one product: its seller's cases of the
/// plugin versions its draft names (what its next review replays).
pub async fn list(
    app: &App,
    caller: &Caller,
    plugin: Option<&str>,
    product: Option<&str>,
    page: &PageRequest,
) -> Result<Page<CaseRow>, AppError> {
    let (owner, plugins) = selection(app, caller, plugin, product).await?;
    if plugins.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Page::empty());
    }
    Ok(app
        .store
        .cases_page(owner.as_deref(), plugins.as_deref(), page)
        .await?)
}

/// The cases a list would show, as one case file: a file is one document,
/// so it is not paged (`Store::cases` reads at most 5,000 for it).
pub async fn export(
    app: &App,
    caller: &Caller,
    plugin: Option<&str>,
    product: Option<&str>,
) -> Result<CaseFile, AppError> {
    let (owner, plugins) = selection(app, caller, plugin, product).await?;
    let rows = match plugins {
        None => app.store.cases(owner.as_deref(), None).await?,
        Some(shas) => {
            let mut rows = Vec::new();
            for sha in shas {
                rows.extend(app.store.cases(owner.as_deref(), Some(&sha)).await?);
            }
            rows
        }
    };
    let cases = rows.iter().map(case_of).collect::<Result<Vec<_>, _>>()?;
    Ok(CaseFile::new(cases))
}

/// Seeds §3.5: cases of a released product cannot be deleted. A product is
/// released while its approved (live) definition names the plugin version
/// and it has not been removed.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), AppError> {
    let row = super::access::visible_case(app, caller, id).await?;
    // Every one of the seller's products, page by page: a product beyond
    // the first page protects its cases too.
    let mut page = PageRequest {
        after: None,
        limit: super::pages::MAX_LIMIT,
    };
    loop {
        let products = app
            .store
            .products(Some(&row.seller_id), None, &page)
            .await?;
        let depends = products.rows.iter().find(|p| {
            !p.status.is_removed()
                && p.live_draft().is_some_and(|d| {
                    d.lifecycle_plugin == row.plugin
                        || d.metering_plugin.as_deref() == Some(&row.plugin)
                })
        });
        if let Some(p) = depends {
            return Err(AppError::Conflict(format!(
                "case {id} cannot be deleted: released product {} ({}) uses plugin version {}",
                p.id, p.status, row.plugin
            )));
        }
        match products.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    if !app.store.delete_case(id).await? {
        return Err(AppError::NotFound(format!("no case {id}")));
    }
    Ok(())
}

/// What an import did.
pub struct Imported {
    /// Cases saved anew.
    pub imported: usize,
    /// Cases that were already saved.
    pub existing: usize,
    /// Every case of the file, as saved.
    pub cases: Vec<CaseRow>,
}

/// Imports a case file: every case is checked first (shape, a plugin
/// version the caller may use that exports the function) and nothing is
/// saved unless all are fine; cases already saved are found, not copied.
pub async fn import(app: &App, caller: &Caller, file: CaseFile) -> Result<Imported, AppError> {
    caller.require(&[Role::Seller, Role::Operator])?;
    if file.format != CASE_FORMAT {
        return Err(AppError::bad(
            "format",
            format!(
                "unknown case file format `{}`; expected {CASE_FORMAT}",
                file.format
            ),
        ));
    }
    if file.cases.is_empty() || file.cases.len() > MAX_CASES_PER_FILE {
        return Err(AppError::bad(
            "cases",
            format!("1 to {MAX_CASES_PER_FILE} cases per file"),
        ));
    }
    let host_calls = app.runtime.limits().host_calls as usize;
    let mut errors = Vec::new();
    for (i, case) in file.cases.iter().enumerate() {
        let at = format!("cases[{i}].");
        let shape = cases::check(case, &at, host_calls);
        if !shape.is_empty() {
            errors.extend(shape.into_iter().map(|e| FieldError {
                field: e.field,
                message: e.message,
            }));
            continue;
        }
        if let Some(e) = usable(app, caller, case, &at).await? {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid {
            message: format!("the case file has {} problem(s)", errors.len()),
            errors,
        });
    }
    let mut out = Imported {
        imported: 0,
        existing: 0,
        cases: Vec::new(),
    };
    for case in file.cases {
        let (row, new) = save(app, &caller.id, case, None).await?;
        if new {
            out.imported += 1
        } else {
            out.existing += 1
        }
        out.cases.push(row);
    }
    Ok(out)
}

/// Why the caller cannot keep `case`, if they cannot: the plugin version is
/// not theirs (or not loaded), or does not export the function.
async fn usable(
    app: &App,
    caller: &Caller,
    case: &Case,
    at: &str,
) -> Result<Option<FieldError>, AppError> {
    let err = |field: &str, message: String| {
        Some(FieldError {
            field: format!("{at}{field}"),
            message,
        })
    };
    let owned = caller.role == Role::Operator
        || app
            .store
            .seller_plugin(&caller.id, &case.plugin)
            .await?
            .is_some();
    let Some(plugin) = app.runtime.get(&case.plugin).filter(|_| owned) else {
        return Ok(err(
            "plugin",
            format!(
                "you have no plugin version {}; upload it first",
                case.plugin
            ),
        ));
    };
    let world = World::parse(&case.world).unwrap_or(World::Lifecycle);
    if !plugin.exports(world, &case.function) {
        return Ok(err(
            "function",
            format!(
                "plugin {} does not export `{}.{}`",
                case.plugin, case.world, case.function
            ),
        ));
    }
    Ok(None)
}

/// Replays the saved case `row` (one the caller may see) against `target`,
/// the recorded plugin version by default.
pub async fn replay(
    app: &App,
    caller: &Caller,
    row: CaseRow,
    target: Option<String>,
) -> Result<(CaseRow, CaseRun), AppError> {
    let target = target.unwrap_or_else(|| row.plugin.clone());
    let (plugin, _) = visible_plugin(app, caller, &target)
        .await
        .map_err(|e| match e {
            AppError::NotFound(m) => AppError::bad("plugin", m),
            other => other,
        })?;
    let mut runs = replay_all(app, vec![(row, plugin)]).await?;
    let (row, _, run) = runs.pop().expect("one run per case");
    Ok((row, run))
}
