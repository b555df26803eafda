//! Plugin routes: upload and inspect plugin versions, and run debug calls in
//! the sandbox.

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::cases::Case;
use crate::runtime::{CallBudget, CallContext, Plugin, World};
use crate::store::{Role, SellerPlugin, StoreKv};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
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

fn owned_report(p: &Plugin, owned: &SellerPlugin, limits: &crate::runtime::Limits) -> Value {
    let mut v = plugin_report(p, limits);
    v["name"] = json!(owned.name);
    v["version"] = json!(owned.version);
    v["seller-id"] = json!(owned.seller_id);
    v["uploaded-at"] = json!(owned.created_at);
    v
}

/// Sellers see their own plugin versions; operators see every loaded one,
/// the preloaded examples included.
async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let limits = state.runtime.limits();
    if actor.role() == Role::Operator {
        let mut plugins = state.runtime.all();
        plugins.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        return Ok(Json(
            json!({ "plugins": plugins.iter().map(|p| plugin_report(p, limits)).collect::<Vec<_>>() }),
        ));
    }
    actor.require(&[Role::Seller])?;
    let owned = state.store.seller_plugins(Some(actor.id())).await?;
    let plugins: Vec<Value> = owned
        .iter()
        .filter_map(|o| {
            state
                .runtime
                .get(&o.sha256)
                .map(|p| owned_report(&p, o, limits))
        })
        .collect();
    Ok(Json(json!({ "plugins": plugins })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct UploadQuery {
    /// The plugin's name; versions are numbered per name.
    name: String,
}

/// Longest plugin name.
const MAX_NAME: usize = 64;

async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    let Query(query) = query
        .map_err(|_| ApiError::bad("name", "name the plugin: POST /v1/plugins?name=my-plugin"))?;
    let name = query.name.trim().to_string();
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::bad(
            "name",
            format!("1 to {MAX_NAME} letters, digits, `-` or `_`"),
        ));
    }
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
    let now = state.clock.now_ms();
    state
        .store
        .put_plugin(&plugin.sha256, &worlds, &body, now)
        .await?;
    let (owned, new) = state
        .store
        .add_seller_plugin(actor.id(), &name, &plugin.sha256, now)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut report = owned_report(&plugin, &owned, state.runtime.limits());
    if new && owned.version > 1 {
        report["cases"] =
            super::regressions::check_new_version(&state, &actor, &owned, &plugin).await?;
    }
    Ok((status, Json(report)))
}

async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(sha256): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (plugin, owned) = find(&state, &actor, &sha256).await?;
    let limits = state.runtime.limits();
    Ok(Json(match owned {
        Some(o) => owned_report(&plugin, &o, limits),
        None => plugin_report(&plugin, limits),
    }))
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
    /// Whether a successful call is saved as a case.
    #[serde(default)]
    save: bool,
    /// The saved case's label.
    name: Option<String>,
}

fn empty_object() -> Value {
    json!({})
}

async fn call(
    State(state): State<AppState>,
    actor: Actor,
    Path(sha256): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (plugin, _) = find(&state, &actor, &sha256).await?;
    let req: CallRequest = super::extract::parse(&body)?;
    let world = World::parse(&req.world).ok_or_else(|| ApiError::BadRequest {
        message: format!(
            "unknown world `{}`; expected lifecycle, metering, pricing or review",
            req.world
        ),
        field: Some("world".into()),
    })?;
    if req.name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return Err(ApiError::bad("name", "at most 100 characters"));
    }
    // Debug calls get a key-value namespace of their own per caller and
    // plugin version, apart from any real customer's state and from other
    // sellers who uploaded the same bytes.
    let namespace = format!("debug:{}:{}", actor.id(), plugin.sha256);
    let kv = StoreKv::new(state.store.clone(), namespace.clone());
    let now_ms = req.now_ms.unwrap_or_else(|| state.clock.now_ms());
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
    let input = req.input.clone();
    let config = ctx.config.clone();
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
    if req.save {
        let case = Case {
            id: None,
            name: req.name,
            plugin: sha256,
            world: world.interface().to_string(),
            function: req.function,
            scenario: None,
            input: req.input,
            now_ms,
            seed,
            config,
            transcript: outcome.transcript,
            expected: outcome.output,
        };
        let (row, _) = super::cases::save(&state, actor.id(), case, None).await?;
        body["case"] = super::cases::summary(&row);
    }
    Ok(Json(body))
}

/// A plugin version the actor may use: a seller's own uploads; any for
/// operators. Other sellers' versions are 404, as if they did not exist.
pub(super) async fn find(
    state: &AppState,
    actor: &Actor,
    sha256: &str,
) -> Result<(Arc<Plugin>, Option<SellerPlugin>), ApiError> {
    let not_found = || ApiError::NotFound(format!("no plugin version {sha256}"));
    let owned = match actor.role() {
        Role::Operator => None,
        Role::Seller => Some(
            state
                .store
                .seller_plugin(actor.id(), sha256)
                .await?
                .ok_or_else(not_found)?,
        ),
        Role::Customer => return Err(not_found()),
    };
    let plugin = state.runtime.get(sha256).ok_or_else(not_found)?;
    Ok((plugin, owned))
}
