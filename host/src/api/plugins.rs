//! Plugin routes: upload and inspect plugin versions, and run debug calls in
//! the sandbox.

use super::{ApiError, AppState};
use crate::now_millis;
use crate::runtime::{CallBudget, CallContext, Plugin, World};
use crate::store::StoreKv;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/plugins", get(list).post(upload))
        .route("/plugins/{sha256}", get(show))
        .route("/plugins/{sha256}/calls", post(call))
}

/// A plugin version as the API reports it.
pub fn plugin_report(p: &Plugin, limits: &crate::runtime::Limits) -> Value {
    json!({
        "sha256": p.sha256,
        "size": p.size,
        "wit": format!("{}@{}", crate::runtime::WIT_PACKAGE, crate::runtime::WIT_VERSION),
        "worlds": p.worlds,
        "functions": p.functions(),
        "imports": p.imports,
        "load-ms": p.load_ms,
        "from-cache": p.from_cache,
        "limits": limits,
    })
}

async fn list(State(state): State<AppState>) -> Json<Value> {
    let mut plugins = state.runtime.all();
    plugins.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    let limits = state.runtime.limits();
    Json(json!({ "plugins": plugins.iter().map(|p| plugin_report(p, limits)).collect::<Vec<_>>() }))
}

async fn upload(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest {
            message: "send the component's bytes as the request body".into(),
            field: Some("body".into()),
        });
    }
    let rt = state.runtime.clone();
    let bytes = body.clone();
    let plugin = tokio::task::spawn_blocking(move || rt.load(&bytes)).await??;
    // Keep the bytes so the plugin survives a restart.
    let worlds = serde_json::to_string(&plugin.worlds)?;
    state
        .store
        .put_plugin(&plugin.sha256, &worlds, &body, now_millis())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(plugin_report(&plugin, state.runtime.limits())),
    ))
}

async fn show(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let plugin = find(&state, &sha256)?;
    Ok(Json(plugin_report(&plugin, state.runtime.limits())))
}

/// A debug call of one exported function.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CallRequest {
    world: String,
    function: String,
    #[serde(default = "empty_object")]
    input: Value,
    /// Logical time of the call; defaults to the service's clock.
    now_ms: Option<i64>,
    /// Random seed; defaults to a fresh random one (reported back).
    seed: Option<u64>,
    #[serde(default)]
    config: BTreeMap<String, String>,
    #[serde(default)]
    budget: CallBudget,
    /// Whether the call's key-value writes are kept for later debug calls.
    #[serde(default)]
    commit: bool,
}

fn empty_object() -> Value {
    json!({})
}

async fn call(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let plugin = find(&state, &sha256)?;
    let req: CallRequest = super::json::parse(&body)?;
    let world = World::parse(&req.world).ok_or_else(|| ApiError::BadRequest {
        message: format!(
            "unknown world `{}`; expected lifecycle, metering, pricing or review",
            req.world
        ),
        field: Some("world".into()),
    })?;
    // Debug calls get a key-value namespace of their own per plugin version,
    // apart from any real customer's state.
    let namespace = format!("debug:{}", plugin.sha256);
    let kv = StoreKv::new(state.store.clone(), namespace.clone());
    let now_ms = req.now_ms.unwrap_or_else(now_millis);
    let seed = req.seed.unwrap_or_else(rand::random);
    let ctx = CallContext {
        now_ms,
        seed,
        config: req.config,
        kv: Arc::new(kv),
    };
    let rt = state.runtime.clone();
    let function = req.function.clone();
    let budget = req.budget;
    let input = req.input;
    let result = tokio::task::spawn_blocking(move || {
        rt.call(&plugin, world, &function, &input, ctx, &budget)
    })
    .await?;
    let outcome = result.map_err(|f| ApiError::CallFailed(Box::new(f)))?;
    if req.commit {
        let writes: Vec<_> = outcome
            .kv_writes
            .iter()
            .map(|w| (w.key.clone(), w.value.clone()))
            .collect();
        state.store.kv_commit(&namespace, &writes).await?;
    }
    let mut body = serde_json::to_value(&outcome)?;
    body["now-ms"] = json!(now_ms);
    body["seed"] = json!(seed);
    Ok(Json(body))
}

fn find(state: &AppState, sha256: &str) -> Result<Arc<Plugin>, ApiError> {
    state
        .runtime
        .get(sha256)
        .ok_or_else(|| ApiError::NotFound(format!("no plugin version {sha256}")))
}
