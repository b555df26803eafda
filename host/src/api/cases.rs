//! Case routes: list, show, delete, export and import saved cases, and
//! replay one against any plugin version. Cases are saved from a debug call
//! (`POST /v1/plugins/{sha256}/calls` with `"save": true`, see `plugins.rs`).

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::cases::{self, CASE_FORMAT, Case, CaseFile, MAX_CASES_PER_FILE};
use crate::domain::catalog::{FieldError, ProductDraft};
use crate::ids::new_id;
use crate::runtime::World;
use crate::store::{CaseRow, Role};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/cases", get(list))
        .route("/cases/export", get(export))
        .route("/cases/import", post(import))
        .route("/cases/{id}", get(show).delete(remove))
        .route("/cases/{id}/replay", post(replay))
}

/// The stored case as a [`Case`] document, with its id, name and scenario.
pub(super) fn case_of(row: &CaseRow) -> Result<Case, ApiError> {
    let mut case: Case = serde_json::from_str(&row.document)?;
    case.id = Some(row.id.clone());
    case.name.clone_from(&row.name);
    case.scenario = Some(row.scenario.clone());
    Ok(case)
}

/// A case without its bulky parts (input, transcript, output).
pub(super) fn summary(row: &CaseRow) -> Value {
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

/// Saves `case` for `owner`; the same case saved again is found, not
/// duplicated (false).
pub(super) async fn save(
    state: &AppState,
    owner: &str,
    mut case: Case,
    origin: Option<String>,
) -> Result<(CaseRow, bool), ApiError> {
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
        created_at: state.clock.now_ms(),
    };
    Ok(state.store.insert_case(&row).await?)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CaseQuery {
    /// Only cases recorded with this plugin version.
    plugin: Option<String>,
    /// Only the product's cases: its seller's cases of the plugin versions
    /// its draft names (what its next review replays).
    product: Option<String>,
}

/// Sellers' own cases; operators see every case.
async fn visible_cases(
    state: &AppState,
    actor: &Actor,
    q: &CaseQuery,
) -> Result<Vec<CaseRow>, ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    let owner = (actor.role() == Role::Seller).then(|| actor.id());
    let Some(product) = &q.product else {
        return Ok(state.store.cases(owner, q.plugin.as_deref()).await?);
    };
    let p = crate::app::access::visible_product(state, actor, product).await?;
    let draft: ProductDraft = serde_json::from_str(&p.draft)?;
    let mut rows = Vec::new();
    for plugin in super::review::plugins_of(&draft) {
        if q.plugin.as_ref().is_none_or(|only| *only == plugin) {
            rows.extend(state.store.cases(Some(&p.seller_id), Some(&plugin)).await?);
        }
    }
    Ok(rows)
}

async fn visible_case(state: &AppState, actor: &Actor, id: &str) -> Result<CaseRow, ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    state
        .store
        .case(id)
        .await?
        .filter(|c| actor.may_see(&c.seller_id))
        .ok_or_else(|| ApiError::NotFound(format!("no case {id}")))
}

async fn list(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<Query<CaseQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad("query", e.body_text()))?;
    let rows = visible_cases(&state, &actor, &q).await?;
    Ok(Json(
        json!({"cases": rows.iter().map(summary).collect::<Vec<_>>()}),
    ))
}

async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = visible_case(&state, &actor, &id).await?;
    let mut v = summary(&row);
    let case = serde_json::to_value(case_of(&row)?)?;
    for key in [
        "input",
        "now-ms",
        "seed",
        "config",
        "transcript",
        "expected",
    ] {
        v[key] = case[key].clone();
    }
    Ok(Json(v))
}

/// Seeds §3.5: cases of a released product cannot be deleted. A product is
/// released while its approved (live) definition names the plugin version
/// and it has not been removed.
async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = visible_case(&state, &actor, &id).await?;
    let products = state.store.products(Some(&row.seller_id), None).await?;
    let depends = products.iter().find(|p| {
        !p.status.is_removed()
            && p.live_draft().is_some_and(|d| {
                d.lifecycle_plugin == row.plugin
                    || d.metering_plugin.as_deref() == Some(&row.plugin)
            })
    });
    if let Some(p) = depends {
        return Err(ApiError::Conflict(format!(
            "case {id} cannot be deleted: released product {} ({}) uses plugin version {}",
            p.id, p.status, row.plugin
        )));
    }
    if !state.store.delete_case(&id).await? {
        return Err(ApiError::NotFound(format!("no case {id}")));
    }
    Ok(Json(json!({"deleted": id})))
}

async fn export(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<Query<CaseQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad("query", e.body_text()))?;
    let rows = visible_cases(&state, &actor, &q).await?;
    let cases = rows.iter().map(case_of).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(serde_json::to_value(CaseFile::new(cases))?))
}

/// Imports a case file: every case is checked first (shape, a plugin
/// version the caller may use that exports the function) and nothing is
/// saved unless all are fine; cases already saved are found, not copied.
async fn import(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    let file: CaseFile = super::extract::parse(&body)?;
    if file.format != CASE_FORMAT {
        return Err(ApiError::bad(
            "format",
            format!(
                "unknown case file format `{}`; expected {CASE_FORMAT}",
                file.format
            ),
        ));
    }
    if file.cases.is_empty() || file.cases.len() > MAX_CASES_PER_FILE {
        return Err(ApiError::bad(
            "cases",
            format!("1 to {MAX_CASES_PER_FILE} cases per file"),
        ));
    }
    let host_calls = state.runtime.limits().host_calls as usize;
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
        if let Some(e) = usable(&state, &actor, case, &at).await? {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid {
            message: format!("the case file has {} problem(s)", errors.len()),
            errors,
        });
    }
    let (mut imported, mut existing, mut saved) = (0, 0, Vec::new());
    for case in file.cases {
        let (row, new) = save(&state, actor.id(), case, None).await?;
        if new {
            imported += 1
        } else {
            existing += 1
        }
        saved.push(summary(&row));
    }
    Ok(Json(
        json!({"imported": imported, "existing": existing, "cases": saved}),
    ))
}

/// Why the caller cannot keep `case`, if they cannot: the plugin version is
/// not theirs (or not loaded), or does not export the function.
async fn usable(
    state: &AppState,
    actor: &Actor,
    case: &Case,
    at: &str,
) -> Result<Option<FieldError>, ApiError> {
    let err = |field: &str, message: String| {
        Some(FieldError {
            field: format!("{at}{field}"),
            message,
        })
    };
    let owned = actor.role() == Role::Operator
        || state
            .store
            .seller_plugin(actor.id(), &case.plugin)
            .await?
            .is_some();
    let Some(plugin) = state.runtime.get(&case.plugin).filter(|_| owned) else {
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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ReplayRequest {
    /// The plugin version to replay against; the recorded one by default.
    plugin: Option<String>,
}

async fn replay(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let row = visible_case(&state, &actor, &id).await?;
    let req: ReplayRequest = if body.is_empty() {
        ReplayRequest::default()
    } else {
        super::extract::parse(&body)?
    };
    let target = req.plugin.unwrap_or_else(|| row.plugin.clone());
    let (plugin, _) = super::plugins::find(&state, &actor, &target)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(m) => ApiError::bad("plugin", m),
            other => other,
        })?;
    let case = case_of(&row)?;
    let rt = state.runtime.clone();
    let run = tokio::task::spawn_blocking(move || cases::replay(&rt, &plugin, &case)).await?;
    let mut v = serde_json::to_value(&run)?;
    v["case"] = json!(row.id);
    v["scenario"] = json!(row.scenario);
    Ok(Json(v))
}
