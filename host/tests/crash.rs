//! Killing the real `bazaar` binary in the middle of provisioning, then
//! starting it again, completes the order exactly once: one instance, one
//! provisioned event, one set of plugin state. Runs on SQLite, and on
//! PostgreSQL when `BAZAAR_TEST_DATABASE=postgres`.

#[path = "support/common.rs"]
mod common;
#[path = "support/shutdown.rs"]
mod shutdown;

use common::plugin;
use reqwest::Client;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OPERATOR: &str = "bz_crash_test_operator_000000000000000000";
const SECRET_KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";

async fn database_url(dir: &Path, tag: &str) -> String {
    if std::env::var("BAZAAR_TEST_DATABASE").as_deref() != Ok("postgres") {
        return format!("sqlite://{}", dir.join("bazaar.db").display());
    }
    use sqlx::Connection;
    let admin = std::env::var("BAZAAR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("postgres");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("bazaar_test_crash_{tag}_{nanos:x}");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(dir: &Path, url: &str, failpoint: Option<&str>) -> Server {
    start_node(dir, url, failpoint, &[], None).await
}

/// Starts the binary with extra `args`, its stderr going to `log` (or
/// nowhere).
async fn start_node(
    dir: &Path,
    url: &str,
    failpoint: Option<&str>,
    args: &[&str],
    log: Option<&Path>,
) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bazaar"));
    cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("DATABASE_URL", url)
        .env("BAZAAR_OPERATOR_TOKEN", OPERATOR)
        // Nodes of one PostgreSQL database share the key.
        .env("BAZAAR_SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
        .env_remove("BAZAAR_PLUGINS")
        .stdout(Stdio::null());
    match log {
        Some(path) => cmd.stderr(std::fs::File::create(path).expect("log file")),
        None => cmd.stderr(Stdio::null()),
    };
    match failpoint {
        Some(f) => cmd.env("BAZAAR_FAILPOINT", f),
        None => cmd.env_remove("BAZAAR_FAILPOINT"),
    };
    let server = Server {
        child: cmd.spawn().expect("bazaar starts"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{}/healthz", server.base))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the service did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn send(
    c: &Client,
    token: &str,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
    key: Option<&str>,
) -> (u16, Value) {
    let mut req = c.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post(c: &Client, s: &Server, token: &str, path: &str, body: Value) -> Value {
    let (status, body) = send(
        c,
        token,
        reqwest::Method::POST,
        format!("{}{path}", s.base),
        Some(body),
        None,
    )
    .await;
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

async fn get(c: &Client, s: &Server, token: &str, path: &str) -> Value {
    let (status, body) = send(
        c,
        token,
        reqwest::Method::GET,
        format!("{}{path}", s.base),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn draft(sha: &str) -> Value {
    json!({
        "name": "Crash CRM", "version": "V1.0", "description": "d", "supervised": false,
        "lifecycle-plugin": sha,
        "specifications": [{"id": "std", "name": "Standard", "billing-modes": ["monthly"],
            "skus": [{"id": "one", "prices": {"monthly": "9.90"}}]}]
    })
}

/// Saves the cases a monthly product's release needs (create, renew,
/// freeze, unfreeze, release) as debug calls of plugin version `sha`.
async fn record_cases(c: &Client, s: &Server, token: &str, sha: &str) {
    let path = format!("/v1/plugins/{sha}/calls");
    let call = |function: &str, input: Value| {
        json!({"world": "lifecycle", "function": function, "input": input,
               "now-ms": 0, "seed": 1, "commit": true, "save": true})
    };
    let created = post(
        c,
        s,
        token,
        &path,
        call(
            "create-instance",
            json!({"subscription": {
        "order-id": "case-1", "customer-id": "c", "customer-name": "C", "product-id": "p",
        "sku-code": "one", "billing-mode": "monthly", "attributes": [], "quantity": "1",
        "period-count": 1, "trial": false, "expires-at": null}}),
        ),
    )
    .await;
    let instance = created["output"]["ok"]["instance-id"].clone();
    for change in [
        json!({"renew": 1}),
        json!({"freeze": "expired"}),
        json!("unfreeze"),
    ] {
        let input =
            json!({"change": {"instance-id": instance, "order-id": "case-2", "change": change}});
        post(c, s, token, &path, call("update-instance", input)).await;
    }
    let input = json!({"instance-id": instance, "reason": "unsubscribed"});
    post(c, s, token, &path, call("release-instance", input)).await;
}

async fn count(url: &str, sql: &str) -> i64 {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    }
}

/// A seller, a customer and an approved monthly product of the example
/// lifecycle plugin, on `server`.
async fn open_market(c: &Client, server: &Server) -> (String, String, String) {
    let seller = post(
        c,
        server,
        OPERATOR,
        "/v1/accounts",
        json!({"role": "seller", "name": "S"}),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let customer = post(
        c,
        server,
        OPERATOR,
        "/v1/accounts",
        json!({"role": "customer", "name": "C"}),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    // Orders are paid from the balance as they are accepted.
    post(
        c,
        server,
        &customer,
        "/v1/balance/top-up",
        json!({"amount": "10000.00"}),
    )
    .await;
    let bytes = std::fs::read(plugin("saas_lifecycle"))
        .expect("build the plugins with `cargo xtask plugins`");
    let res = c
        .post(format!("{}/v1/plugins?name=life", server.base))
        .bearer_auth(&seller)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let sha = res.json::<Value>().await.unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    record_cases(c, server, &seller, &sha).await;
    let product = post(c, server, &seller, "/v1/products", draft(&sha)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let app = post(
        c,
        server,
        &seller,
        &format!("/v1/products/{product}/release-applications"),
        json!({}),
    )
    .await;
    post(
        c,
        server,
        OPERATOR,
        &format!(
            "/v1/release-applications/{}/approve",
            app["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;

    (seller, customer, product)
}

async fn crash_and_restart(failpoint: &str) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path(), &failpoint.replace('-', "_")).await;
    let c = Client::new();
    let server = start(dir.path(), &url, Some(failpoint)).await;
    let (seller, customer, product) = open_market(&c, &server).await;
    let order = json!({"product": product, "specification": "std", "sku": "one", "billing-mode": "monthly"});
    let (status, placed) = send(
        &c,
        &customer,
        reqwest::Method::POST,
        format!("{}/v1/orders", server.base),
        Some(order.clone()),
        Some("crash-1"),
    )
    .await;
    assert_eq!(status, 202, "{placed}");
    let instance = placed["instance"]["id"].as_str().unwrap().to_string();

    // The worker reaches the failpoint and the process dies.
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the failpoint {failpoint} never fired"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(!exit.success(), "aborted at {failpoint}");
    drop(server);
    let ns = format!("product:{product}");
    assert_eq!(
        count(
            &url,
            &format!("SELECT COUNT(*) FROM plugin_kv WHERE namespace = '{ns}'")
        )
        .await,
        0,
        "nothing of the interrupted call was committed"
    );

    // Restarted: the job is taken up again and completes once.
    let server = start(dir.path(), &url, None).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let inst = loop {
        let inst = get(&c, &server, &customer, &format!("/v1/instances/{instance}")).await;
        if inst["state"] == "active" {
            break inst;
        }
        assert!(
            Instant::now() < deadline,
            "never provisioned after restart: {inst}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(inst["app"]["password"].as_str().is_some(), "{inst}");
    // A client retrying its request gets the same order back.
    let (status, again) = send(
        &c,
        &customer,
        reqwest::Method::POST,
        format!("{}/v1/orders", server.base),
        Some(order),
        Some("crash-1"),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["instance"]["id"], instance.as_str());

    let feed = get(&c, &server, &seller, "/v1/feed").await;
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["instance.provisioned"], "{failpoint}");
    // Paid once, and the balance is what the ledger says.
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM ledger WHERE kind = 'order-payment'"
        )
        .await,
        1
    );
    let check = get(&c, &server, OPERATOR, "/v1/ledger/check").await;
    assert_eq!(check["consistent"], true, "{check}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM instances").await, 1);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM lifecycle_jobs").await, 0);
    assert_eq!(
        count(
            &url,
            &format!(
                "SELECT COUNT(*) FROM plugin_kv WHERE namespace = '{ns}' AND key LIKE 'order/%'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &url,
            &format!(
                "SELECT COUNT(*) FROM plugin_kv WHERE namespace = '{ns}' AND key LIKE 'instance/%'"
            )
        )
        .await,
        1
    );
    drop(server);
}

#[tokio::test]
async fn killed_before_the_plugin_call_the_restart_provisions_once() {
    crash_and_restart("before-plugin-call").await;
}

#[tokio::test]
async fn killed_after_the_plugin_call_before_commit_the_restart_provisions_once() {
    crash_and_restart("after-plugin-call").await;
}

/// Killed between two sellers' bills (issue 15): started again, every bill
/// exists exactly once, each with its line, and every order is settled once.
#[tokio::test]
async fn killed_during_bill_generation_the_restart_generates_each_bill_once() {
    use bazaar_host::domain::catalog::{civil_date, date_ms};
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path(), "during_bills").await;
    let c = Client::new();
    let args = ["--simulated-clock"];
    let server = start_node(dir.path(), &url, Some("during-bills"), &args, None).await;
    let mut sellers = Vec::new();
    for _ in 0..3 {
        let (seller, customer, product) = open_market(&c, &server).await;
        let order = json!({"product": product, "specification": "std", "sku": "one", "billing-mode": "monthly"});
        let placed = post(&c, &server, &customer, "/v1/orders", order).await;
        let instance = placed["instance"]["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(&c, &server, &customer, &format!("/v1/instances/{instance}")).await["state"]
            != "active"
        {
            assert!(Instant::now() < deadline, "never provisioned");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sellers.push(seller);
    }
    // To the 7th of next month: the worker starts on the bills and dies.
    let now = get(&c, &server, OPERATOR, "/v1/clock").await["now-ms"]
        .as_i64()
        .unwrap();
    let (y, m, _) = civil_date(now);
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let ms = date_ms(y, m, 7) + 3_600_000 - now;
    post(
        &c,
        &server,
        OPERATOR,
        "/v1/clock/advance",
        json!({"ms": ms}),
    )
    .await;
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the failpoint never fired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(server);
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM bills").await,
        1,
        "one bill before the crash"
    );

    let server = start_node(dir.path(), &url, None, &args, None).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&url, "SELECT COUNT(*) FROM bills").await < 3 {
        assert!(
            Instant::now() < deadline,
            "bills never generated after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(count(&url, "SELECT COUNT(*) FROM bills").await, 3);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM bill_lines").await, 3);
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM orders WHERE bill_id IS NOT NULL"
        )
        .await,
        3
    );
    for seller in &sellers {
        let bills = get(&c, &server, seller, "/v1/bills").await;
        let bills = bills["bills"].as_array().unwrap();
        assert_eq!(bills.len(), 1, "{bills:?}");
        assert_eq!(
            (bills[0]["lines"].as_i64(), bills[0]["settlement"].as_str()),
            (Some(1), Some("8.61")),
            "9.90 × 0.87 = 8.613"
        );
    }
}
