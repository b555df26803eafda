//! Helpers for black-box tests: start a real Bazaar service on port 0 with a
//! fresh data directory, and find the example plugins built by
//! `cargo xtask test`.

use bazaar_host::api::{Application, Settings};
use bazaar_host::runtime::{Limits, RuntimeConfig};
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
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs `path`; returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    /// Uploads a component; returns status and JSON body.
    pub async fn upload(&self, bytes: Vec<u8>) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(self.url("/v1/plugins"))
            .header("content-type", "application/wasm")
            .body(bytes)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    /// Runs a debug call; returns status and JSON body.
    pub async fn call(&self, sha256: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(self.url(&format!("/v1/plugins/{sha256}/calls")))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
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
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}_{:x}", nanos, std::process::id())
}

/// Starts the service preloading `preload_dirs`, reusing `data_dir` if given;
/// `cache_dir: None` keeps compiled artifacts in the data directory.
pub async fn spawn_app_with(
    preload_dirs: Vec<PathBuf>,
    data_dir: Option<tempfile::TempDir>,
    cache_dir: Option<PathBuf>,
    database_url: Option<String>,
) -> TestApp {
    let data_dir = data_dir.unwrap_or_else(|| tempfile::tempdir().expect("temp dir"));
    let database_url = match database_url {
        Some(url) => url,
        None => fresh_database_url(data_dir.path()).await,
    };
    let app = Application::build(Settings {
        addr: "127.0.0.1:0".parse().expect("address"),
        data_dir: data_dir.path().to_path_buf(),
        database_url: Some(database_url.clone()),
        preload_dirs,
        runtime: RuntimeConfig {
            limits: test_limits(),
            cache_dir,
            max_instances: 32,
        },
    })
    .await
    .expect("service builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        client: reqwest::Client::new(),
        data_dir,
        database_url,
        stop: Some(tx),
        handle: Some(handle),
    }
}
