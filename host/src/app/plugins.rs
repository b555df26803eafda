//! Plugin versions: upload (load in the runtime, keep the bytes, number the
//! version, replay the previous version's cases) and debug calls in the
//! sandbox, optionally keeping their key-value writes or saving them as a
//! case.

use super::access::visible_plugin;
use super::compiles::{BACKGROUND_BYTES, Compile};
use super::plugin_pool::{CallKind, Ticket};
use super::regressions::{Regressions, check_new_version};
use super::{App, AppError, Caller, cases};
use crate::cases::Case;
use crate::runtime::{CallBudget, CallContext, CallOutcome, Plugin, World};
use crate::store::{CaseRow, Page, PageRequest, Role, SellerPlugin, StoreKv};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Longest plugin name.
pub const MAX_NAME: usize = 64;

/// An upload's outcome.
pub struct Uploaded {
    /// The loaded plugin; `None` while it compiles in the background.
    pub plugin: Option<Arc<Plugin>>,
    /// The uploader's version record.
    pub owned: SellerPlugin,
    /// Whether the version is new (false: the uploader had these bytes).
    pub new: bool,
    /// For a new version after the first: the previous version's cases
    /// replayed (`Some(None)` when there was no previous version).
    pub cases: Option<Option<Regressions>>,
}

/// A page of plugin versions: sellers' own with their records, newest
/// uploaded first; operators' every loaded one, the preloaded examples
/// included, by sha256 (they are in memory and have no upload time, so the
/// cursor's time is 0 and the sha256 alone orders them).
pub async fn list(
    app: &App,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<(Arc<Plugin>, Option<SellerPlugin>)>, AppError> {
    if caller.role == Role::Operator {
        let mut plugins = app.runtime.all();
        plugins.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        let from = page.after.as_ref().map(|c| c.id.as_str());
        let rows: Vec<_> = plugins
            .into_iter()
            .filter(|p| from.is_none_or(|f| p.sha256.as_str() > f))
            .take(
                usize::try_from(page.limit)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1),
            )
            .map(|p| (p, None))
            .collect();
        return Ok(page.page(rows, |(p, _)| (0, p.sha256.as_str())));
    }
    caller.require(&[Role::Seller])?;
    let owned = app.store.seller_plugins_page(&caller.id, page).await?;
    // A version stored but not loaded (it failed to load at start) is left
    // out; its page may then be short, and the cursor still moves past it.
    Ok(Page {
        rows: owned
            .rows
            .into_iter()
            .filter_map(|o| app.runtime.get(&o.sha256).map(|p| (p, Some(o))))
            .collect(),
        next: owned.next,
    })
}

/// Uploads `bytes` as the next version of the caller's plugin `name`.
pub async fn upload(
    app: &App,
    caller: &Caller,
    name: &str,
    bytes: bytes::Bytes,
) -> Result<Uploaded, AppError> {
    caller.require(&[Role::Seller, Role::Operator])?;
    let name = name.trim().to_string();
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::bad(
            "name",
            format!("1 to {MAX_NAME} letters, digits, `-` or `_`"),
        ));
    }
    if bytes.is_empty() {
        return Err(AppError::bad(
            "body",
            "send the component's bytes as the request body",
        ));
    }
    if bytes.len() >= BACKGROUND_BYTES {
        let sha = crate::runtime::sha256_hex(&bytes);
        if app.runtime.get(&sha).is_none() {
            return upload_in_background(app, caller, &name, bytes, sha).await;
        }
    }
    let rt = app.runtime.clone();
    let body = bytes.clone();
    let plugin = tokio::task::spawn_blocking(move || rt.load(&body)).await??;
    // Keep the bytes so the plugin survives a restart.
    let worlds = serde_json::to_string(&plugin.worlds)?;
    let now = app.clock.now_ms();
    app.store
        .put_plugin(&plugin.sha256, &worlds, &bytes, now)
        .await?;
    let (owned, new) = app
        .store
        .add_seller_plugin(&caller.id, &name, &plugin.sha256, now)
        .await?;
    let cases = if new && owned.version > 1 {
        Some(check_new_version(app, &caller.id, &owned, &plugin).await?)
    } else {
        None
    };
    Ok(Uploaded {
        plugin: Some(plugin),
        owned,
        new,
        cases,
    })
}

/// A big component: checked, stored and numbered now, compiled in the
/// background ([`super::compiles`]).
async fn upload_in_background(
    app: &App,
    caller: &Caller,
    name: &str,
    bytes: bytes::Bytes,
    sha: String,
) -> Result<Uploaded, AppError> {
    crate::runtime::precheck(&bytes, app.runtime.limits().component_bytes)?;
    if let Some(Compile::Failed { error, .. }) = app.compiles.get(&sha) {
        return Err(AppError::PluginRejected(error));
    }
    let now = app.clock.now_ms();
    // The worlds are known once compiled; a restart loads the bytes anyway.
    app.store.put_plugin(&sha, "[]", &bytes, now).await?;
    let (owned, new) = app
        .store
        .add_seller_plugin(&caller.id, name, &sha, now)
        .await?;
    if app.compiles.start(&sha, bytes.len() as u64, now) {
        super::compiles::spawn(app, bytes, owned.clone(), new);
    }
    Ok(Uploaded {
        plugin: None,
        owned,
        new,
        cases: None,
    })
}

/// `POST /v1/plugins/{sha256}/calls`: a debug call of one exported function.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CallRequest {
    /// `lifecycle`, `metering`, `pricing` or `review`.
    pub world: String,
    /// The function, e.g. `create-instance`.
    pub function: String,
    /// The input, an object keyed by parameter name.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub input: Value,
    /// Logical time of the call; defaults to the service's clock.
    pub now_ms: Option<i64>,
    /// Random seed; defaults to a fresh random one (reported back).
    pub seed: Option<u64>,
    /// Configuration the plugin may read.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Budgets tighter than the host's (`fuel`, `timeout-ms`, `memory-bytes`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub budget: CallBudget,
    /// Whether the call's key-value writes are kept for later debug calls.
    #[serde(default)]
    pub commit: bool,
    /// Whether a successful call is saved as a case.
    #[serde(default)]
    pub save: bool,
    /// The saved case's label.
    pub name: Option<String>,
}

fn empty_object() -> Value {
    json!({})
}

/// A debug call's outcome.
pub struct DebugCall {
    /// What the call produced.
    pub outcome: CallOutcome,
    /// The logical time it ran at.
    pub now_ms: i64,
    /// Its seed.
    pub seed: u64,
    /// The saved case, when asked for.
    pub case: Option<CaseRow>,
}

/// Runs a debug call of `plugin` (one from [`visible_plugin`]).
pub async fn debug_call(
    app: &App,
    caller: &Caller,
    plugin: Arc<Plugin>,
    req: CallRequest,
) -> Result<DebugCall, AppError> {
    let world = World::parse(&req.world).ok_or_else(|| {
        AppError::bad(
            "world",
            format!(
                "unknown world `{}`; expected lifecycle, metering, pricing or review",
                req.world
            ),
        )
    })?;
    if req.name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return Err(AppError::bad("name", "at most 100 characters"));
    }
    // Debug calls get a key-value namespace of their own per caller and
    // plugin version, apart from any real customer's state and from other
    // sellers who uploaded the same bytes.
    let namespace = format!("debug:{}:{}", caller.id, plugin.sha256);
    let kv = StoreKv::new(app.store.clone(), namespace.clone());
    let now_ms = req.now_ms.unwrap_or_else(|| app.clock.now_ms());
    let seed = req.seed.unwrap_or_else(rand::random);
    let ctx = CallContext {
        now_ms,
        seed,
        config: req.config,
        kv: Arc::new(kv),
    };
    let rt = app.runtime.clone();
    let function = req.function.clone();
    let budget = req.budget;
    let input = req.input.clone();
    let config = ctx.config.clone();
    let sha256 = plugin.sha256.clone();
    let ticket = Ticket::new(caller.id.clone(), CallKind::Debug);
    let result = app
        .plugins
        .run(ticket, move || {
            rt.call(&plugin, world, &function, &input, ctx, &budget)
        })
        .await?;
    let outcome = result.map_err(|f| AppError::CallFailed(Box::new(f)))?;
    if req.commit {
        let writes: Vec<_> = outcome
            .kv_writes
            .iter()
            .map(|w| (w.key.clone(), w.value.clone()))
            .collect();
        app.store.kv_commit(&namespace, &writes).await?;
    }
    let mut case = None;
    if req.save {
        let doc = Case {
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
            transcript: outcome.transcript.clone(),
            expected: outcome.output.clone(),
        };
        case = Some(cases::save(app, &caller.id, doc, None).await?.0);
    }
    Ok(DebugCall {
        outcome,
        now_ms,
        seed,
        case,
    })
}

/// A plugin version as shown: loaded, or compiling or refused in the
/// background.
pub struct Shown {
    /// The loaded plugin; `None` while compiling or once refused.
    pub plugin: Option<Arc<Plugin>>,
    /// The caller's own record of it.
    pub owned: Option<SellerPlugin>,
    /// Its background compilation, if it had one in this process.
    pub compile: Option<Compile>,
}

/// The plugin version `sha256` as the caller may see it.
pub async fn show(app: &App, caller: &Caller, sha256: &str) -> Result<Shown, AppError> {
    match visible_plugin(app, caller, sha256).await {
        Ok((plugin, owned)) => Ok(Shown {
            plugin: Some(plugin),
            owned,
            compile: app.compiles.get(sha256),
        }),
        // Past the ownership check: compiling or refused.
        Err(AppError::Conflict(_) | AppError::PluginRejected(_)) => {
            let owned = match caller.role {
                Role::Seller => app.store.seller_plugin(&caller.id, sha256).await?,
                _ => None,
            };
            Ok(Shown {
                plugin: None,
                owned,
                compile: app.compiles.get(sha256),
            })
        }
        Err(e) => Err(e),
    }
}
