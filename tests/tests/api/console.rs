//! The web console, served by the service at `/` and driven in a real
//! browser: the scripts in `console/e2e/` run Debian's Chromium through
//! playwright-core against a service started here, as a seller, the
//! operator and a customer would use it, and write a screenshot per step
//! into `target/console-screenshots/`. `cargo xtask test` builds the
//! console (which the host embeds) and installs Chromium before this runs.

use bazaar_tests::clock::{advance_to, bill_day_after, now};
use bazaar_tests::market::{product_draft, record_cases};
use bazaar_tests::{TestApp, plugin_bytes, plugins_dir, spawn_app};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is one level below the repository root")
        .to_path_buf()
}

/// Runs `console/e2e/<script>` with the service's address and `env`, and
/// fails with its output unless it exits 0.
async fn run_script(app: &TestApp, script: &str, env: &[(&str, String)]) {
    let root = root();
    let console = root.join("console");
    assert!(
        console.join("node_modules/playwright-core").exists(),
        "console/node_modules is missing: `cargo xtask test` installs it (or `npm ci` in console/)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: `cargo xtask test` installs it (apt-get install chromium)"
    );
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(console.join("e2e").join(script))
        .current_dir(&console)
        .env("BAZAAR_BASE", &app.base)
        .env(
            "BAZAAR_SCREENSHOTS",
            root.join("target/console-screenshots"),
        )
        .env("BAZAAR_PLUGINS_DIR", plugins_dir())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(240), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within 240 s"))
        .expect("node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{text}",
        out.status
    );
}

/// The page a browser gets, and what the console is not allowed to shadow.
#[tokio::test]
async fn the_console_is_served_at_the_root_and_never_shadows_the_api() {
    let app = spawn_app().await;
    let get = |path: &str, accept: &str| {
        app.client
            .get(app.url(path))
            .header("accept", accept)
            .send()
    };
    let page = get("/", "*/*").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.starts_with("default-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/assets/"),
        "the embedded page is the built console, not the placeholder (build it with `cargo xtask test`): {html}"
    );
    // Every asset the page names, with its type, cached for good.
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(!assets.is_empty(), "{html}");
    for asset in assets {
        let res = get(asset, "*/*").await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            kind.starts_with("text/javascript") || kind.starts_with("text/css"),
            "{asset}: {kind}"
        );
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    // A console URL reloaded in the browser gets the page.
    let deep = get("/cases/case_1", "text/html,application/xhtml+xml")
        .await
        .unwrap();
    assert_eq!(deep.status(), 200);
    assert_eq!(deep.text().await.unwrap(), html);
    // The API's paths, a missing asset and clients that want no page keep
    // the JSON 404.
    for (path, accept) in [
        ("/v1/nowhere", "text/html"),
        ("/healthz/x", "text/html"),
        ("/metrics/x", "text/html"),
        ("/assets/missing.js", "text/html"),
        ("/nope", "*/*"),
    ] {
        let res = get(path, accept).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "not-found", "{path}");
    }
    let post = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(post.status(), 405);
    app.stop().await;
}

/// The console's API client is generated from `console/openapi.json`; it
/// must be the document the service serves.
#[tokio::test]
async fn the_console_client_is_generated_from_the_current_openapi_document() {
    let current = bazaar_host::api::openapi_document();
    let path = root().join("console/openapi.json");
    let saved: Option<serde_json::Value> = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if saved.as_ref() != Some(&current) {
        let fresh = root().join("target/console-openapi.json");
        std::fs::write(&fresh, serde_json::to_string_pretty(&current).unwrap()).unwrap();
        panic!(
            "console/openapi.json is not the service's document: `cp {} console/openapi.json` and rebuild the console (`cargo xtask test` does)",
            fresh.display()
        );
    }
}

/// Sign in, upload by drag and drop, a debug call from the generated form,
/// typed failures, save as case, replay (pass) and a failing replay's diff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_debugs_saves_and_replays_a_call_in_the_browser() {
    let app = spawn_app().await;
    run_script(&app, "debug.mjs", &[("BAZAAR_SELLER", app.seller.clone())]).await;
    let (status, body) = app.get("/v1/cases").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cases"][0]["name"], "eight units", "{body}");
    app.stop().await;
}

/// A product from draft to an active instance: created, quoted and
/// submitted by the seller, approved by the operator, bought by a customer
/// the operator created, and seen in the seller's feed; then, on the 7th of
/// the next month, the seller's bill with that order on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_goes_from_draft_to_an_active_instance_in_the_browser() {
    let app = spawn_app().await;
    let (status, body) = app
        .upload_as(&app.seller, "lifecycle", plugin_bytes("saas_lifecycle"))
        .await;
    assert_eq!(status, 201, "{body}");
    let sha = body["sha256"].as_str().unwrap().to_string();
    // The release needs a case of every scenario; the browser test of the
    // workbench saves one through the form.
    record_cases(&app, &app.seller, &sha).await;
    let (status, body) = app
        .upload_as(
            &app.operator,
            "listing-rules",
            plugin_bytes("listing_rules"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let draft = product_draft(&sha);
    run_script(
        &app,
        "market.mjs",
        &[
            ("BAZAAR_SELLER", app.seller.clone()),
            ("BAZAAR_OPERATOR", app.operator.clone()),
            ("BAZAAR_DRAFT", draft.to_string()),
        ],
    )
    .await;
    let (status, body) = app.get("/v1/instances").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["instances"][0]["state"], "active", "{body}");
    advance_to(&app, bill_day_after(now(&app).await)).await;
    run_script(&app, "bills.mjs", &[("BAZAAR_SELLER", app.seller.clone())]).await;
    app.stop().await;
}

/// A listing the active review rule finds fault with: the operator reads
/// the findings, is refused approval while a blocker remains, and rejects
/// it with a reason the seller then reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_reviews_findings_and_rejects_with_a_reason_in_the_browser() {
    let app = spawn_app().await;
    let (status, body) = app
        .upload_as(&app.seller, "lifecycle", plugin_bytes("saas_lifecycle"))
        .await;
    assert_eq!(status, 201, "{body}");
    let sha = body["sha256"].as_str().unwrap().to_string();
    record_cases(&app, &app.seller, &sha).await;
    let (status, body) = app
        .upload_as(
            &app.operator,
            "listing-rules",
            plugin_bytes("listing_rules"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let rules = body["sha256"].as_str().unwrap().to_string();
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/review/listing/activate",
            serde_json::json!({"plugin": rules}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post_as(&app.seller, "/v1/products", product_draft(&sha))
        .await;
    assert_eq!(status, 201, "{body}");
    let product = body["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .post_as(
            &app.seller,
            &format!("/v1/products/{product}/release-applications"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    run_script(
        &app,
        "review.mjs",
        &[
            ("BAZAAR_SELLER", app.seller.clone()),
            ("BAZAAR_OPERATOR", app.operator.clone()),
        ],
    )
    .await;
    let (status, body) = app.get("/v1/release-applications").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["applications"][0]["state"], "rejected", "{body}");
    app.stop().await;
}
