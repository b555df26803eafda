//! Platform rule plugins without a redeploy: operators upload a review or
//! pricing rule as a plugin (`POST /v1/plugins?name=...`), then activate a
//! version under a rule name here. The next review uses the active review
//! rules; activating an older version rolls back. How pricing rules price
//! belongs to the pricing engine; this is only their registry.

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::runtime::World;
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/rules", get(list))
        .route("/rules/{kind}/{name}/activate", post(activate))
        .route("/rules/{kind}/{name}/deactivate", post(deactivate))
}

/// The world a rule kind's plugins must export.
fn world_of(kind: &str) -> Result<World, ApiError> {
    match kind {
        "review" => Ok(World::Review),
        "pricing" => Ok(World::Pricing),
        other => Err(ApiError::bad(
            "kind",
            format!("unknown rule kind `{other}`; expected review or pricing"),
        )),
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad("name", "1 to 64 letters, digits, `-` or `_`"))
    }
}

async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    let active = state.store.active_rules(None).await?;
    let history = state.store.rule_history().await?;
    Ok(Json(json!({"active": active, "history": history})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Activation {
    /// sha256 of an uploaded plugin version.
    plugin: String,
}

async fn activate(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    let world = world_of(&kind)?;
    check_name(&name)?;
    let req: Activation = super::extract::parse(&body)?;
    let plugin = state.runtime.get(&req.plugin).ok_or_else(|| {
        ApiError::bad(
            "plugin",
            format!("no plugin version {}; upload it first", req.plugin),
        )
    })?;
    if !plugin.worlds.contains(&world) {
        return Err(ApiError::bad(
            "plugin",
            format!(
                "plugin {} does not export the {} world a {kind} rule needs",
                req.plugin,
                world.interface()
            ),
        ));
    }
    let now = state.clock.now_ms();
    state
        .store
        .activate_rule(&kind, &name, Some(&req.plugin), actor.id(), now)
        .await?;
    Ok(Json(
        json!({"kind": kind, "name": name, "plugin": req.plugin, "activated-at": now}),
    ))
}

async fn deactivate(
    State(state): State<AppState>,
    actor: Actor,
    Path((kind, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    world_of(&kind)?;
    check_name(&name)?;
    let active = state.store.active_rules(Some(&kind)).await?;
    if !active.iter().any(|r| r.name == name) {
        return Err(ApiError::NotFound(format!("no active {kind} rule {name}")));
    }
    let now = state.clock.now_ms();
    state
        .store
        .activate_rule(&kind, &name, None, actor.id(), now)
        .await?;
    Ok(Json(
        json!({"kind": kind, "name": name, "plugin": null, "activated-at": now}),
    ))
}
