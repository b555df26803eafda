//! The HTTP API: an axum application built zero-to-production style
//! (`Application::build` → `port` → `run_until_stopped`).

mod error;
mod json;
mod plugins;

pub use error::ApiError;
pub use plugins::plugin_report;

use crate::runtime::{MemoryKv, Runtime, RuntimeConfig};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Where the service keeps its data (uploaded plugins, compiled artifacts).
    pub data_dir: PathBuf,
    /// Directories of `.wasm` plugins to load at start-up (the examples).
    pub preload_dirs: Vec<PathBuf>,
    /// The plugin runtime's settings; its cache dir defaults to `data_dir/artifacts`.
    pub runtime: RuntimeConfig,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) plugin_dir: PathBuf,
    /// Committed key-value state per plugin version used by debug calls.
    pub(crate) kv: Arc<Mutex<HashMap<String, MemoryKv>>>,
}

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Opens the data directory, builds the runtime, loads the preloaded and
    /// previously uploaded plugins, and binds the listener.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        let plugin_dir = settings.data_dir.join("plugins");
        std::fs::create_dir_all(&plugin_dir)?;
        if settings.runtime.cache_dir.is_none() {
            settings.runtime.cache_dir = Some(settings.data_dir.join("artifacts"));
        }
        let runtime = Arc::new(Runtime::new(settings.runtime.clone())?);
        let mut dirs = settings.preload_dirs.clone();
        dirs.push(plugin_dir.clone());
        let rt = runtime.clone();
        tokio::task::spawn_blocking(move || preload(&rt, &dirs)).await??;

        let state = AppState {
            runtime: runtime.clone(),
            plugin_dir,
            kv: Arc::default(),
        };
        let body_limit =
            usize::try_from(runtime.limits().component_bytes).unwrap_or(usize::MAX) + 4096;
        let router = Router::new()
            .route(
                "/healthz",
                get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
            )
            .nest("/v1", plugins::routes())
            .fallback(|| async { ApiError::NotFound("no such route".into()) })
            .layer(DefaultBodyLimit::max(body_limit))
            .layer(tower_http::trace::TraceLayer::new_for_http())
            .with_state(state);
        let listener = TcpListener::bind(settings.addr).await?;
        Ok(Self { listener, router })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Loads every `.wasm` in `dirs`; a bad file is logged and skipped so one
/// broken example cannot keep the service from starting.
fn preload(runtime: &Runtime, dirs: &[PathBuf]) -> anyhow::Result<()> {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            tracing::warn!(dir = %dir.display(), "plugin directory not found; skipping");
            continue;
        };
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path)?;
            match runtime.load(&bytes) {
                Ok(p) => tracing::info!(
                    file = %path.display(),
                    sha256 = %p.sha256,
                    worlds = ?p.worlds,
                    load_ms = p.load_ms,
                    cached = p.from_cache,
                    "plugin loaded"
                ),
                Err(e) => tracing::warn!(file = %path.display(), error = %e, "plugin rejected"),
            }
        }
    }
    Ok(())
}
