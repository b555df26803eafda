//! Case routes: list, show, delete, export and import saved cases, and
//! replay one against any plugin version. Cases are saved from a debug call
//! (`POST /v1/plugins/{sha256}/calls` with `"save": true`, see `plugins.rs`).

use super::auth::Actor;
use super::views::releases::{case_summary, replay_json};
use super::{ApiError, AppState};
use crate::app::{access, cases};
use crate::cases::CaseFile;
use crate::store::Role;
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CaseQuery {
    /// Only cases recorded with this plugin version.
    plugin: Option<String>,
    /// Only the product's cases: its seller's cases of the plugin versions
    /// its draft names (what its next review replays).
    product: Option<String>,
}

type QueryResult = Result<Query<CaseQuery>, axum::extract::rejection::QueryRejection>;

async fn list(
    State(state): State<AppState>,
    actor: Actor,
    query: QueryResult,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad("query", e.body_text()))?;
    let rows = cases::list(
        &state.app,
        &actor,
        q.plugin.as_deref(),
        q.product.as_deref(),
    )
    .await?;
    Ok(Json(
        json!({"cases": rows.iter().map(case_summary).collect::<Vec<_>>()}),
    ))
}

async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = access::visible_case(&state.app, &actor, &id).await?;
    let mut v = case_summary(&row);
    let case = serde_json::to_value(cases::case_of(&row)?)?;
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

async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    cases::delete(&state.app, &actor, &id).await?;
    Ok(Json(json!({"deleted": id})))
}

async fn export(
    State(state): State<AppState>,
    actor: Actor,
    query: QueryResult,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad("query", e.body_text()))?;
    let file = cases::export(
        &state.app,
        &actor,
        q.plugin.as_deref(),
        q.product.as_deref(),
    )
    .await?;
    Ok(Json(serde_json::to_value(file)?))
}

async fn import(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    let file: CaseFile = super::extract::parse(&body)?;
    let out = cases::import(&state.app, &actor, file).await?;
    Ok(Json(json!({
        "imported": out.imported,
        "existing": out.existing,
        "cases": out.cases.iter().map(case_summary).collect::<Vec<_>>(),
    })))
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
    let row = access::visible_case(&state.app, &actor, &id).await?;
    let req: ReplayRequest = if body.is_empty() {
        ReplayRequest::default()
    } else {
        super::extract::parse(&body)?
    };
    let (row, run) = cases::replay(&state.app, &actor, row, req.plugin).await?;
    Ok(Json(replay_json(&row, &run)?))
}
