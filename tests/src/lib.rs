//! Helpers for black-box tests: start a real Bazaar service on port 0 with a
//! fresh data directory, and find the example plugins built by
//! `cargo xtask test`. [`market`] has the marketplace fixtures, [`clock`] the
//! simulated clock; the tests themselves are the `api` binary
//! (`tests/api/main.rs`).

pub mod clock;
pub mod contract;
pub mod market;
pub mod money;

use bazaar_host::app::plugin_pool::PoolConfig;
use bazaar_host::runtime::{Limits, RuntimeConfig};
use bazaar_host::startup::{Application, Settings};
use std::path::PathBuf;

/// Where the built example plugins are (`BAZAAR_PLUGINS_DIR`, set by
/// `cargo xtask test`, or `target/plugins`).
pub fn plugins_dir() -> PathBuf {
    std::env::var_os("BAZAAR_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
}

/// The bytes of the example or test-fixture plugin `name` (e.g.
/// `saas_lifecycle`, `hostile`).
pub fn plugin_bytes(name: &str) -> Vec<u8> {
    let file = format!("{name}.wasm");
    let top = plugins_dir().join(&file);
    let path = if top.exists() {
        top
    } else {
        plugins_dir().join("fixtures").join(&file)
    };
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; build the plugins with `cargo xtask plugins` (or run the tests with `cargo xtask test`)",
            path.display()
        )
    })
}

/// Limits tight enough that hostile plugins fail fast in tests.
pub fn test_limits() -> Limits {
    Limits {
        fuel: 500_000_000,
        timeout_ms: 1_500,
        memory_bytes: 96 << 20,
        // Small enough for a test to fill in one call.
        kv_state_bytes: 512 << 10,
        ..Limits::default()
    }
}

/// A running service and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// An HTTP client.
    pub client: reqwest::Client,
    /// The service's data directory, removed on drop.
    pub data_dir: tempfile::TempDir,
    /// The database the service uses.
    pub database_url: String,
    /// The operator's token.
    pub operator: String,
    /// A seller's token, used by [`TestApp::get`], [`TestApp::upload`] and
    /// [`TestApp::call`].
    pub seller: String,
    /// `http://127.0.0.1:PORT` of the separate metrics address, when the
    /// settings gave one.
    pub metrics_base: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs `path` as the default seller; returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.get_as(&self.seller, path).await
    }

    /// GETs `path` with `token`; returns status and JSON body.
    pub async fn get_as(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        reply("get", res).await
    }

    /// POSTs JSON to `path` with `token`; returns status and JSON body.
    pub async fn post_as(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send_as(token, reqwest::Method::POST, path, body, None)
            .await
    }

    /// Sends JSON with `method` to `path` with `token` and an optional
    /// idempotency key; returns status and JSON body.
    pub async fn send_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
        idempotency_key: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .request(method.clone(), self.url(path))
            .bearer_auth(token)
            .json(&body);
        if let Some(key) = idempotency_key {
            req = req.header("idempotency-key", key);
        }
        reply(method.as_str(), req.send().await.expect("request")).await
    }

    /// Creates an account (as the operator); returns its id and token.
    pub async fn account(&self, role: &str, name: &str) -> (String, String) {
        let (status, body) = self
            .post_as(
                &self.operator,
                "/v1/accounts",
                serde_json::json!({"role": role, "name": name}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["account"]["id"].as_str().expect("id").to_string(),
            body["token"].as_str().expect("token").to_string(),
        )
    }

    /// Creates a customer with 10,000.00 on their balance (orders are paid
    /// from it as they are accepted); returns its id and token.
    pub async fn customer(&self, name: &str) -> (String, String) {
        let (id, token) = self.account("customer", name).await;
        let (status, body) = self
            .post_as(
                &token,
                "/v1/balance/top-up",
                serde_json::json!({"amount": "10000.00"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (id, token)
    }

    /// Checks, as the operator, that every balance is its ledger's sum and
    /// every bill what its sources and the §8.1 formula give
    /// (`GET /v1/reconciliation`).
    pub async fn assert_reconciled(&self) {
        let (status, body) = self.get_as(&self.operator, "/v1/reconciliation").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["consistent"], true, "reconciliation: {body}");
    }

    /// Uploads a component as the default seller; returns status and JSON body.
    pub async fn upload(&self, bytes: Vec<u8>) -> (u16, serde_json::Value) {
        self.upload_as(&self.seller, "plugin", bytes).await
    }

    /// Uploads a component as `token` under `name`; a big component the
    /// service compiles in the background (`202`) is waited for, and
    /// answered as `201` with the ready version, as the tests of what a
    /// plugin does need it. [`Self::upload_raw`] shows the `202` itself.
    pub async fn upload_as(
        &self,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let (status, body) = self.upload_raw(token, name, bytes).await;
        if status != 202 {
            return (status, body);
        }
        let sha = body["sha256"].as_str().expect("sha256").to_string();
        let ready = self.wait_plugin(token, &sha).await;
        (201, ready)
    }

    /// Uploads a component as `token` under `name`, answering the upload's
    /// own status and body.
    pub async fn upload_raw(
        &self,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(self.url(&format!("/v1/plugins?name={name}")))
            .bearer_auth(token)
            .header("content-type", "application/wasm")
            .body(bytes)
            .send()
            .await
            .expect("request");
        reply("post", res).await
    }

    /// Polls plugin version `sha` until it is no longer compiling; answers
    /// it (`state: ready` or `failed`).
    pub async fn wait_plugin(&self, token: &str, sha: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        loop {
            let (status, body) = self.get_as(token, &format!("/v1/plugins/{sha}")).await;
            assert_eq!(status, 200, "{body}");
            if body["state"] != "compiling" {
                return body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "plugin {sha} still compiling after 180 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Uploads the example or fixture plugin `name` as the default seller,
    /// expecting a new version (201); returns its sha256.
    pub async fn upload_new(&self, name: &str) -> String {
        let (status, body) = self.upload(plugin_bytes(name)).await;
        assert_eq!(status, 201, "{body}");
        body["sha256"].as_str().unwrap().to_string()
    }

    /// Runs a debug call as the default seller; returns status and JSON body.
    pub async fn call(&self, sha256: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.post_as(&self.seller, &format!("/v1/plugins/{sha256}/calls"), body)
            .await
    }

    /// Stops the service gracefully, waits for it, and hands back its data
    /// directory (for a restart).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task").expect("server");
        }
        self.data_dir
    }
}

/// The service's OpenAPI document, every answer is checked against.
static CONTRACT: std::sync::LazyLock<contract::Contract> =
    std::sync::LazyLock::new(|| contract::Contract::new(bazaar_host::api::openapi_document()));

/// Status and JSON body of `res`, checked against the OpenAPI document.
pub async fn reply(method: &str, res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let path = res.url().path().to_string();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text}"));
    CONTRACT.check(method, &path, status, &body);
    (status, body)
}

/// A precompiled-artifact cache shared by the tests of one checkout, so a
/// large component (the Python one) is compiled once per test run rather
/// than once per test. Sharing is safe: entries are keyed by content and
/// engine, and written atomically.
pub fn shared_cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifact-cache")
}

/// Starts the service on port 0 with a fresh data directory, the shared
/// artifact cache and no preloaded plugins.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new(), None, Some(shared_cache_dir()), None).await
}

/// The database for a new test service: a fresh PostgreSQL database when
/// `BAZAAR_TEST_DATABASE=postgres` (created on `BAZAAR_TEST_POSTGRES_URL`),
/// otherwise a SQLite file in the service's data directory.
pub async fn fresh_database_url(data_dir: &std::path::Path) -> String {
    match std::env::var("BAZAAR_TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            use sqlx::Connection;
            let admin = std::env::var("BAZAAR_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!("BAZAAR_TEST_DATABASE=postgres but {admin} is unreachable: {e}")
                });
            let name = format!("bazaar_test_{}", uuid_like());
            let create = format!("CREATE DATABASE {name}");
            sqlx::query(&create)
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
        Ok("sqlite") | Err(_) => format!("sqlite://{}", data_dir.join("bazaar.db").display()),
        Ok(other) => panic!("BAZAAR_TEST_DATABASE must be sqlite or postgres, not {other}"),
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    // Two tests of one process can read the same clock value; the counter
    // keeps their databases apart.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:x}_{:x}_{n}", nanos, std::process::id())
}

/// Starts the service preloading `preload_dirs`, reusing `data_dir` if given;
/// `cache_dir: None` keeps compiled artifacts in the data directory.
pub async fn spawn_app_with(
    preload_dirs: Vec<PathBuf>,
    data_dir: Option<tempfile::TempDir>,
    cache_dir: Option<PathBuf>,
    database_url: Option<String>,
) -> TestApp {
    let (settings, data_dir) = test_settings(preload_dirs, data_dir, cache_dir, database_url).await;
    spawn_configured(settings, data_dir)
        .await
        .expect("service builds")
}

/// Two nodes of one service: each its own data directory, both the same
/// fresh database and secret key, `configure` applied to both; node B runs
/// no worker.
pub async fn spawn_two_nodes(configure: impl Fn(&mut Settings)) -> (TestApp, TestApp) {
    let key: String = std::iter::repeat_n('7', 64).collect();
    let (mut settings, dir) = test_settings(Vec::new(), None, None, None).await;
    settings.secret_key = Some(key.clone());
    configure(&mut settings);
    let url = settings.database_url.clone();
    let a = spawn_configured(settings, dir).await.expect("node A");
    let (mut settings, dir) = test_settings(Vec::new(), None, None, url).await;
    settings.secret_key = Some(key);
    settings.run_worker = false;
    configure(&mut settings);
    let b = spawn_configured(settings, dir).await.expect("node B");
    (a, b)
}

/// The settings [`spawn_app_with`] starts a service with, and its data
/// directory, for a test to change before [`spawn_configured`].
pub async fn test_settings(
    preload_dirs: Vec<PathBuf>,
    data_dir: Option<tempfile::TempDir>,
    cache_dir: Option<PathBuf>,
    database_url: Option<String>,
) -> (Settings, tempfile::TempDir) {
    let data_dir = data_dir.unwrap_or_else(|| tempfile::tempdir().expect("temp dir"));
    let database_url = match database_url {
        Some(url) => url,
        None => fresh_database_url(data_dir.path()).await,
    };
    let mut settings = Settings::new(
        "127.0.0.1:0".parse().expect("address"),
        data_dir.path().to_path_buf(),
    );
    settings.database_url = Some(database_url);
    settings.preload_dirs = preload_dirs;
    settings.runtime = RuntimeConfig {
        limits: test_limits(),
        cache_dir,
        ..RuntimeConfig::default()
    };
    // The normal priority and a long queue wait: tests share a loaded
    // machine, and only `scheduling::` tests want calls refused as busy.
    settings.plugin_pool = PoolConfig {
        nice: 0,
        queue_wait: std::time::Duration::from_secs(10),
        ..PoolConfig::for_threads(8)
    };
    // The same operator token on every start, so a restarted service (which
    // finds its operator already there) is still reachable.
    settings.operator_token = Some(TEST_OPERATOR_TOKEN.into());
    settings.simulated_clock = true;
    settings.worker.poll = std::time::Duration::from_millis(50);
    (settings, data_dir)
}

/// Starts the service with `settings`, or says why it would not start.
pub async fn spawn_configured(
    settings: Settings,
    data_dir: tempfile::TempDir,
) -> anyhow::Result<TestApp> {
    // The service's warnings and errors, captured per test and shown with a
    // failure (`RUST_LOG` picks more).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let database_url = settings.database_url.clone().unwrap_or_default();
    let app = Application::build(settings).await?;
    let (base, client) = match app.tls_cert() {
        None => (
            format!("http://127.0.0.1:{}", app.port()),
            reqwest::Client::new(),
        ),
        Some(cert) => (
            format!("https://127.0.0.1:{}", app.port()),
            https_client(&std::fs::read(cert)?)?,
        ),
    };
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let mut app = TestApp {
        base,
        client,
        data_dir,
        database_url,
        operator: TEST_OPERATOR_TOKEN.into(),
        seller: String::new(),
        metrics_base,
        stop: Some(tx),
        handle: Some(handle),
    };
    app.seller = app.account("seller", "Test Seller").await.1;
    Ok(app)
}

/// A client trusting only the certificate `pem`.
pub fn https_client(pem: &[u8]) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem)?)
        .build()?)
}

/// The operator token every test service starts with.
pub const TEST_OPERATOR_TOKEN: &str = "bz_test_operator_token_0000000000000000000";
