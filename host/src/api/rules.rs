//! Rule routes: operators list, activate and deactivate review and pricing
//! rule plugins (the use cases are in `app::rules`).

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::app::rules::{self, Activation};
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/rules", get(list))
        .route("/rules/{kind}/{name}/activate", post(activate))
        .route("/rules/{kind}/{name}/deactivate", post(deactivate))
}

async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let (active, history) = rules::list(&state.app, &actor).await?;
    Ok(Json(json!({"active": active, "history": history})))
}

async fn activate(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    rules::check_rule(&kind, &name)?;
    let req: Activation = super::extract::parse(&body)?;
    let now = rules::activate(&state.app, &actor, &kind, &name, &req).await?;
    Ok(Json(
        json!({"kind": kind, "name": name, "plugin": req.plugin, "activated-at": now}),
    ))
}

async fn deactivate(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let now = rules::deactivate(&state.app, &actor, &kind, &name).await?;
    Ok(Json(
        json!({"kind": kind, "name": name, "plugin": null, "activated-at": now}),
    ))
}
