//! Start-up, zero-to-production style: [`Settings`] say how to run,
//! [`Application::build`] opens the data directory and the store, builds the
//! runtime, loads plugins, wires the use cases ([`App`]) to the HTTP router
//! and the lifecycle worker, and binds the listener; `run_until_stopped`
//! serves.

use crate::api::{self, AppState, Guards};
use crate::app::audit::AuditLog;
use crate::app::plugin_pool::{PluginPool, PoolConfig};
use crate::app::{App, accounts};
use crate::clock::Clock;
use crate::lifecycle::{Worker, WorkerConfig, WorkerStats};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::secrets::SecretBox;
use crate::serve::{ReloadingCert, ServeConfig};
use crate::store::Store;
use axum::Router;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;

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
    /// The plugin runtime's settings; its cache dir defaults to
    /// `data_dir/artifacts`, and its instance slots are the pool's threads.
    pub runtime: RuntimeConfig,
    /// How plugin calls share their threads.
    pub plugin_pool: PoolConfig,
    /// AES-256 key (64 hex digits) for credentials at rest; without one a key
    /// file is generated in `data_dir`.
    pub secret_key: Option<String>,
    /// The first operator's token on first start; generated when `None`.
    pub operator_token: Option<String>,
    /// Whether operators may move the clock (tests, demos).
    pub simulated_clock: bool,
    /// Whether this process runs the lifecycle worker.
    pub run_worker: bool,
    /// The worker's tuning.
    pub worker: WorkerConfig,
    /// Usage records ending longer ago than this are refused as late.
    pub usage_late_window_ms: i64,
    /// How long a node trusts a token it has looked up before looking again:
    /// the bound on how long a token revoked through another node keeps
    /// working here.
    pub token_cache_ttl: std::time::Duration,
    /// Connection limits, TLS and the shutdown grace period.
    pub serve: ServeConfig,
    /// Request and rate limits.
    pub guards: Guards,
    /// Where to serve `GET /metrics` to anyone, instead of to operators on
    /// `addr`; port 0 picks a free port.
    pub metrics_addr: Option<SocketAddr>,
}

impl Settings {
    /// Defaults around a data directory: SQLite inside it, no preloads, the
    /// real clock, the worker on.
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            addr,
            data_dir,
            database_url: None,
            preload_dirs: Vec::new(),
            runtime: RuntimeConfig::default(),
            plugin_pool: PoolConfig::default(),
            secret_key: None,
            operator_token: None,
            simulated_clock: false,
            run_worker: true,
            worker: WorkerConfig::default(),
            usage_late_window_ms: crate::domain::usage::DEFAULT_LATE_WINDOW_MS,
            token_cache_ttl: std::time::Duration::from_millis(DEFAULT_TOKEN_CACHE_TTL_MS),
            serve: ServeConfig::default(),
            guards: Guards::default(),
            metrics_addr: None,
        }
    }
}

/// How long a token lookup is trusted by default, in ms: a revoked token
/// stops working on every node within 5 s.
pub const DEFAULT_TOKEN_CACHE_TTL_MS: u64 = 5_000;

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    router: Router,
    worker: Option<Worker>,
    operator_token: Option<String>,
    serve: ServeConfig,
    tls: Option<Arc<ReloadingCert>>,
    store: Store,
    /// The lease prefix of this node's claims, released at shutdown.
    node: Option<String>,
    /// The separate metrics address's listener and router, if any.
    metrics: Option<(TcpListener, Router)>,
    /// Flushed once the server has stopped, so no audit entry is lost.
    audit: AuditLog,
}

/// The `service_state` entry naming the key that seals secrets at rest.
const KEY_FINGERPRINT: &str = "secret-key-fingerprint";

impl Application {
    /// Opens the data directory and the database (migrating it), builds the
    /// runtime, loads the preloaded and previously uploaded plugins, and binds
    /// the listener.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        // Only the pool's threads call plugins, so they are all the
        // instances that can be alive at once, and the memory concurrent
        // calls can hold is theirs: refused before anything is opened.
        settings.plugin_pool.check().map_err(anyhow::Error::msg)?;
        settings.runtime.max_instances = u32::try_from(settings.plugin_pool.threads)
            .map_err(|_| anyhow::anyhow!("too many plugin threads"))?;
        settings.runtime.check_memory().map_err(|e| {
            anyhow::anyhow!(
                "{e} (plugin threads: --plugin-threads, memory per call: --plugin-memory-mib, \
                 total: --plugin-memory-total-mib)"
            )
        })?;
        create_private_dir(&settings.data_dir)?;
        // Before anything slow: a bad certificate path should fail at once.
        let tls = match &settings.serve.tls {
            Some(source) => Some(ReloadingCert::open(source, &settings.data_dir)?),
            None => None,
        };
        // Before anything records a metric, or it would go nowhere.
        crate::telemetry::handle();
        if settings.runtime.cache_dir.is_none() {
            settings.runtime.cache_dir = Some(settings.data_dir.join("artifacts"));
        }
        let url = settings.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", settings.data_dir.join("bazaar.db").display())
        });
        let mut store = Store::connect(&url).await?;
        tracing::info!(backend = store.backend(), "store ready");
        let secrets =
            SecretBox::from_config_or_file(settings.secret_key.as_deref(), &settings.data_dir)?;
        let sealed_with = store
            .claim_service_text(KEY_FINGERPRINT, secrets.fingerprint())
            .await?;
        if sealed_with != secrets.fingerprint() {
            anyhow::bail!(
                "this database's secrets were sealed with another key (fingerprint {sealed_with}); \
                 this node's key has fingerprint {}. Start every node of one database with the same \
                 BAZAAR_SECRET_KEY (64 hex digits)",
                secrets.fingerprint()
            );
        }
        store.seal_kv_with(secrets.clone());
        let clock = if settings.simulated_clock {
            let offset = store
                .service_int(crate::app::operations::CLOCK_OFFSET)
                .await?;
            Clock::simulated_from(offset.unwrap_or(0))
        } else {
            Clock::system()
        };
        let operator_token = accounts::bootstrap_operator(
            &store,
            settings.operator_token.as_deref(),
            clock.now_ms(),
        )
        .await?;
        // Jobs this node claimed before it died are free again at once; with
        // SQLite, one process owns the file, so every lease is this node's.
        let node = node_id(&settings.data_dir)?;
        let single = store.backend() == "sqlite";
        let freed = store
            .release_leases((!single).then_some(node.as_str()))
            .await?;
        if freed > 0 {
            tracing::info!(jobs = freed, "took back jobs interrupted by the last stop");
        }
        let runtime = Arc::new(Runtime::new(settings.runtime.clone())?);
        let plugins = PluginPool::new(settings.plugin_pool.clone())?;
        let stored = store.plugins().await?;
        let rt = runtime.clone();
        let dirs = settings.preload_dirs.clone();
        tokio::task::spawn_blocking(move || preload(&rt, &dirs, &stored)).await??;

        let wake = Arc::new(Notify::new());
        let stats = Arc::new(WorkerStats::default());
        let app_store = store.clone();
        let audit = AuditLog::spawn(store.clone());
        let app = App {
            audit: audit.clone(),
            runtime: runtime.clone(),
            plugins: plugins.clone(),
            store: store.clone(),
            clock: clock.clone(),
            secrets: secrets.clone(),
            wake: wake.clone(),
            usage_late_window_ms: settings.usage_late_window_ms,
            compiles: Default::default(),
        };
        let state = AppState::new(app, stats.clone(), settings.token_cache_ttl);
        let worker = settings.run_worker.then(|| Worker {
            lease: format!("{node}:{}", crate::ids::new_id("boot")),
            store,
            runtime: runtime.clone(),
            plugins,
            secrets,
            clock,
            wake,
            config: WorkerConfig {
                usage_late_window_ms: settings.usage_late_window_ms,
                ..settings.worker.clone()
            },
            stats,
            calls: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            held_bills: Default::default(),
        });
        let metrics = match settings.metrics_addr {
            Some(addr) => Some((
                TcpListener::bind(addr).await?,
                api::metrics_router(state.clone()),
            )),
            None => None,
        };
        let router = api::router(state, &runtime, &settings.guards, metrics.is_none());
        let listener = TcpListener::bind(settings.addr).await?;
        Ok(Self {
            listener,
            router,
            worker,
            operator_token,
            serve: settings.serve,
            tls,
            store: app_store,
            node: (!single).then_some(node),
            metrics,
            audit,
        })
    }

    /// The operator token created by this first start, to be shown once;
    /// `None` when an operator already existed.
    pub fn operator_token(&self) -> Option<&str> {
        self.operator_token.as_deref()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Whether the service speaks HTTPS, and with which certificate file.
    pub fn tls_cert(&self) -> Option<&Path> {
        self.tls.as_deref().map(ReloadingCert::cert_path)
    }

    /// The separate metrics address actually bound, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves (and runs the lifecycle worker) until `shutdown` resolves,
    /// then shuts down in order: stops accepting, lets in-flight requests
    /// finish within the grace period, lets the worker commit the round it
    /// is in (its plugin calls have their own deadlines), and releases this
    /// node's job leases so another node takes the jobs over at once.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // The metrics address stops with the process; it holds no requests
        // worth draining.
        let metrics = self.metrics.map(|(listener, router)| {
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self.worker.map(|w| tokio::spawn(w.run(stop_rx)));
        let (begun_tx, begun_rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            shutdown.await;
            let _ = begun_tx.send(());
        };
        let grace = self.serve.shutdown_grace;
        let serving = tokio::spawn(crate::serve::serve(
            self.listener,
            self.router,
            self.serve,
            self.tls,
            shutdown,
        ));
        let stop_worker = async {
            if begun_rx.await.is_ok() {
                let _ = stop_tx.send(true);
            }
        };
        let (served, ()) = tokio::join!(serving, stop_worker);
        let served = served.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if let Some(mut w) = worker {
            match tokio::time::timeout(grace, &mut w).await {
                Ok(_) => {}
                Err(_) => {
                    tracing::warn!("the worker did not finish its round in time; stopping it");
                    w.abort();
                }
            }
            match self.store.release_leases(self.node.as_deref()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "released this node's job leases"),
                Err(e) => tracing::warn!(error = %e, "could not release this node's job leases"),
            }
        }
        if let Some(m) = metrics {
            m.abort();
        }
        self.audit.flush().await;
        served
    }
}

/// This node's stable id, kept in its data directory: job leases carry it so
/// a restarted node can recognise its own interrupted claims.
fn node_id(data_dir: &std::path::Path) -> std::io::Result<String> {
    let path = data_dir.join("node.id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        _ => {
            let id = crate::ids::new_id("node");
            std::fs::write(&path, &id)?;
            Ok(id)
        }
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
        if let Err(e) = runtime.load_known(&p.sha256, &p.component) {
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

/// Creates `dir` (and its parents) if needed and makes it owner-only: it
/// holds the database, the generated key and compiled plugins.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
