//! Release application routes: submit, list, show, approve, reject,
//! withdraw and re-review (the use cases are in `app::releases`).

use super::auth::Actor;
use super::views::releases::{application_json, reviewed_json};
use super::{ApiError, AppState};
use crate::app::releases::{self, Decision};
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/products/{id}/release-applications", post(submit))
        .route("/release-applications", get(applications))
        .route("/release-applications/{id}", get(application))
        .route("/release-applications/{id}/approve", post(approve))
        .route("/release-applications/{id}/reject", post(reject))
        .route("/release-applications/{id}/withdraw", post(withdraw))
        .route("/release-applications/{id}/review", post(rereview))
}

async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (a, review) = releases::submit(&state.app, &actor, &id).await?;
    Ok((StatusCode::CREATED, Json(reviewed_json(&a, Some(&review)))))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ApplicationQuery {
    state: Option<String>,
}

async fn applications(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ApplicationQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = releases::list(&state.app, &actor, q.state.as_deref()).await?;
    let applications: Vec<Value> = rows
        .iter()
        .map(|(a, r)| reviewed_json(a, r.as_ref()))
        .collect();
    Ok(Json(json!({ "applications": applications })))
}

async fn application(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (a, r) = releases::show(&state.app, &actor, &id).await?;
    Ok(Json(reviewed_json(&a, r.as_ref())))
}

/// Runs the review again, e.g. after the operator changed the review rules.
async fn rereview(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (a, r) = releases::rereview(&state.app, &actor, &id).await?;
    Ok(Json(reviewed_json(&a, r.as_ref())))
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    body: &[u8],
    approve: bool,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    let req: Decision = if body.is_empty() {
        Decision::default()
    } else {
        super::extract::parse(body)?
    };
    let (a, r) = releases::decide(&state.app, actor, id, req, approve).await?;
    Ok(Json(reviewed_json(&a, r.as_ref())))
}

async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(&state, &actor, &id, &body, true).await
}

async fn reject(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(&state, &actor, &id, &body, false).await
}

async fn withdraw(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let a = releases::withdraw(&state.app, &actor, &id).await?;
    Ok(Json(application_json(&a)))
}
