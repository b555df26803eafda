//! Restart with stored plugin versions (issue 17 goal 5: 100 versions ready
//! in ≤ 1 s from the precompiled cache).
//!
//! Fills a data directory the way sellers do: `bazaar serve` (this build's
//! binary) is started on it, `BAZAAR_BENCH_VERSIONS` (100) distinct plugin
//! versions are uploaded over HTTP (variants of the four Rust example
//! plugins, each made distinct by a custom section, so every one is its own
//! sha256, its own stored row and its own cached artifact; the 18 MB Python
//! component is left out), and the service is stopped with SIGTERM. Then,
//! `BAZAAR_BENCH_RESTARTS` (7) times each:
//!
//! - `serve`: `bazaar serve` started on that directory, timed from spawning
//!   the process to the first `200` of `GET /healthz` (the listener is bound
//!   only after every stored version is loaded, so that answer means all are
//!   ready to call); then each version is asked for (`GET
//!   /v1/plugins/{sha256}`) to check it is loaded and came from the cache,
//!   and the process is stopped with SIGTERM.
//! - `serve-empty`: the same on a data directory with no plugins: the fixed
//!   cost of a start, so that the difference is what the versions cost.
//! - in-process parts of the same start: `Application::build` (what `serve`
//!   runs before it listens), and inside it the store's read of every
//!   version (`Store::connect` + `Store::plugins`) and `Runtime::new` plus
//!   one `Runtime::load` per version.
//!
//! Medians are printed, with every run's figure. Under `cargo test
//! --benches` it runs 3 versions once, as a check that it works.
//!
//! Run: `cargo bench -p bazaar-host --bench restart`.

mod common;

use bazaar_host::runtime::{Runtime, RuntimeConfig};
use bazaar_host::startup::{Application, Settings};
use bazaar_host::store::Store;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OPERATOR: &str = "bench-operator-token-restart";

/// The example plugins whose variants are stored, in turn.
const PLUGINS: [&str; 4] = [
    "saas_lifecycle",
    "tiered_pricing",
    "listing_rules",
    "tax_rules",
];

/// `bytes` with a custom section naming `tag` appended: the same plugin, a
/// different sha256 (as `tests/src/market.rs::plugin_variant` makes them).
fn variant(bytes: &[u8], tag: &str) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut payload = vec![u8::try_from(tag.len()).expect("a short tag")];
    payload.extend(tag.as_bytes());
    out.push(0);
    out.push(u8::try_from(payload.len()).expect("a one-byte LEB128 size"));
    out.extend(payload);
    out
}

/// A port free a moment ago, for a child process to bind.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running `bazaar serve`.
struct Served {
    child: Child,
    base: String,
    /// From spawning the process to its first healthy answer.
    ready: Duration,
}

/// Starts `bazaar serve` on `dir` and waits until `/healthz` answers.
async fn serve(dir: &Path, http: &reqwest::Client) -> Served {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .arg("serve")
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--operator-token")
        .arg(OPERATOR)
        .env_remove("BAZAAR_PLUGINS")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting bazaar serve");
    let health = format!("{base}/healthz");
    loop {
        if let Ok(res) = http.get(&health).send().await
            && res.status() == 200
        {
            break;
        }
        if let Some(status) = child.try_wait().expect("the child's status") {
            panic!("bazaar serve exited early: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "bazaar serve not ready after 120 s"
        );
        // Short enough not to add to the figure, long enough not to keep a
        // core from the child.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Served {
        ready: started.elapsed(),
        child,
        base,
    }
}

impl Served {
    /// SIGTERM, as an operator's restart sends, and the exit waited for.
    fn stop(mut self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: `pid` is this process's own child, not yet waited for, so
        // the id cannot have been reused.
        #[allow(unsafe_code)]
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "signalling bazaar serve");
        let status = self.child.wait().expect("waiting for bazaar serve");
        assert!(status.success(), "bazaar serve stopped with {status}");
    }
}

/// Uploads `n` distinct plugin versions through a service on `dir` (which
/// compiles each and fills the artifact cache); returns their sha256s.
async fn fill(dir: &Path, n: usize, http: &reqwest::Client) -> Vec<String> {
    let served = serve(dir, http).await;
    let c = common::Client {
        http: http.clone(),
        base: served.base.clone(),
    };
    let seller = c
        .post(
            OPERATOR,
            "/v1/accounts",
            serde_json::json!({"role": "seller", "name": "Restart bench"}),
        )
        .await["token"]
        .as_str()
        .expect("a seller token")
        .to_string();
    let sources: Vec<Vec<u8>> = PLUGINS.iter().map(|p| common::plugin_bytes(p)).collect();
    let mut shas = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let bytes = variant(&sources[i % sources.len()], &format!("restart-bench-{i}"));
        let res = http
            .post(format!("{}/v1/plugins?name=v{i}", served.base))
            .bearer_auth(&seller)
            .body(bytes)
            .send()
            .await
            .expect("uploading");
        let status = res.status();
        let body: Value = res.json().await.expect("JSON");
        assert_eq!(status, 201, "upload {i}: {body}");
        shas.push(body["sha256"].as_str().expect("a sha256").to_string());
    }
    println!(
        "filled: {n} versions uploaded (compiled, stored, cached) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    served.stop();
    shas
}

/// Checks that every version is loaded in the service and came from the
/// cache; returns the sum of their `load-ms`.
async fn check_loaded(served: &Served, shas: &[String], http: &reqwest::Client) -> f64 {
    let mut load_ms = 0.0;
    for sha in shas {
        let res = http
            .get(format!("{}/v1/plugins/{sha}", served.base))
            .bearer_auth(OPERATOR)
            .send()
            .await
            .expect("asking for a version");
        assert_eq!(res.status(), 200, "version {sha} not loaded");
        let view: Value = res.json().await.expect("JSON");
        assert_eq!(
            view["from-cache"], true,
            "version {sha} was compiled again: {view}"
        );
        load_ms += view["load-ms"].as_f64().expect("load-ms");
    }
    load_ms
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn report(what: &str, ms: &[f64]) {
    let all: Vec<String> = ms.iter().map(|m| format!("{m:.1}")).collect();
    println!(
        "{what}: median {:.1} ms (runs: {})",
        median(ms),
        all.join(", ")
    );
}

/// The settings `bazaar serve --data-dir dir --operator-token …` builds.
fn settings(dir: &Path) -> Settings {
    let mut settings = Settings::new("127.0.0.1:0".parse().expect("address"), dir.to_path_buf());
    settings.operator_token = Some(OPERATOR.into());
    settings
}

fn main() {
    let benchmarking = common::benchmarking();
    let n = if benchmarking {
        common::env_usize("BAZAAR_BENCH_VERSIONS", 100)
    } else {
        3
    };
    let runs = if benchmarking {
        common::env_usize("BAZAAR_BENCH_RESTARTS", 7)
    } else {
        1
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = tempfile::tempdir().expect("tempdir");
    let shas = rt.block_on(fill(dir.path(), n, &http));
    // The empty directory gets its database, key and operator once, so its
    // restarts compare like for like with the filled one's.
    rt.block_on(async { serve(empty.path(), &http).await.stop() });

    let (mut ready, mut ready_empty, mut loads) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let served = rt.block_on(serve(dir.path(), &http));
        ready.push(served.ready.as_secs_f64() * 1e3);
        loads.push(rt.block_on(check_loaded(&served, &shas, &http)));
        served.stop();
        let served = rt.block_on(serve(empty.path(), &http));
        ready_empty.push(served.ready.as_secs_f64() * 1e3);
        served.stop();
    }
    println!("restart of `bazaar serve` with {n} stored plugin versions:");
    report("  serve: spawn to first healthy answer", &ready);
    report("  serve-empty: the same, no plugins", &ready_empty);
    report(
        "  sum of the versions' load-ms (Runtime::load each)",
        &loads,
    );
    println!(
        "  per version: {:.2} ms ((serve - serve-empty) / {n}), {:.2} ms (load-ms)",
        (median(&ready) - median(&ready_empty)) / n as f64,
        median(&loads) / n as f64
    );

    // The same start in process, and its parts; each in a fresh tokio
    // runtime, as a new process would have.
    let url = format!("sqlite://{}", dir.path().join("bazaar.db").display());
    let (mut build, mut read, mut runtime_load) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let fresh = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let started = Instant::now();
        let app = fresh
            .block_on(Application::build(settings(dir.path())))
            .expect("building the service");
        build.push(started.elapsed().as_secs_f64() * 1e3);
        drop(app);
        drop(fresh);

        let fresh = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let started = Instant::now();
        let stored = fresh.block_on(async {
            let store = Store::connect(&url).await.expect("the store");
            store.plugins().await.expect("the stored versions")
        });
        read.push(started.elapsed().as_secs_f64() * 1e3);
        drop(fresh);
        assert_eq!(stored.len(), n);

        let started = Instant::now();
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: Some(dir.path().join("artifacts")),
            ..RuntimeConfig::default()
        })
        .expect("runtime");
        for p in &stored {
            let plugin = runtime
                .load(&p.component)
                .expect("loading a stored version");
            assert!(plugin.from_cache, "{} compiled again", p.sha256);
        }
        runtime_load.push(started.elapsed().as_secs_f64() * 1e3);
    }
    println!("in process:");
    report("  Application::build", &build);
    report("  Store::connect + Store::plugins", &read);
    report(
        &format!("  Runtime::new + {n} × Runtime::load"),
        &runtime_load,
    );
}
