//! The HTTP API: an axum application built zero-to-production style
//! (`Application::build` → `port` → `run_until_stopped`).

mod error;
mod json;
mod plugins;

pub use error::ApiError;
pub use plugins::plugin_report;

use crate::runtime::{Runtime, RuntimeConfig};
use crate::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Where the service keeps its files (the SQLite database by default,
    /// compiled artifacts).
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to `data_dir/bazaar.db`.
    pub database_url: Option<String>,
    /// Directories of `.wasm` plugins to load at start-up (the examples).
    pub preload_dirs: Vec<PathBuf>,
    /// The plugin runtime's settings; its cache dir defaults to `data_dir/artifacts`.
    pub runtime: RuntimeConfig,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) store: Store,
}

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Opens the data directory and the database (migrating it), builds the
    /// runtime, loads the preloaded and previously uploaded plugins, and binds
    /// the listener.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir)?;
        if settings.runtime.cache_dir.is_none() {
            settings.runtime.cache_dir = Some(settings.data_dir.join("artifacts"));
        }
        let url = settings.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", settings.data_dir.join("bazaar.db").display())
        });
        let store = Store::connect(&url).await?;
        tracing::info!(backend = store.backend(), "store ready");
        let runtime = Arc::new(Runtime::new(settings.runtime.clone())?);
        let stored = store.plugins().await?;
        let rt = runtime.clone();
        let dirs = settings.preload_dirs.clone();
        tokio::task::spawn_blocking(move || preload(&rt, &dirs, &stored)).await??;

        let state = AppState {
            runtime: runtime.clone(),
            store,
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

/// Loads the stored plugin versions and every `.wasm` in `dirs`; a bad file
/// is logged and skipped so one broken example cannot keep the service from
/// starting.
fn preload(
    runtime: &Runtime,
    dirs: &[PathBuf],
    stored: &[crate::store::StoredPlugin],
) -> anyhow::Result<()> {
    for p in stored {
        if let Err(e) = runtime.load(&p.component) {
            tracing::warn!(sha256 = %p.sha256, error = %e, "stored plugin no longer loads");
        }
    }
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
