//! Uploading and inspecting plugins over HTTP, and what the service says
//! about components it will not accept.

use bazaar_tests::{plugin_bytes, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn example_plugins_upload_and_report_their_worlds() {
    let app = spawn_app().await;
    for (name, worlds) in [
        ("saas_lifecycle", json!(["lifecycle", "metering"])),
        ("tiered_pricing", json!(["pricing"])),
        ("listing_rules", json!(["review"])),
        ("hostile", json!(["lifecycle", "metering"])),
        ("flat_pricing_py", json!(["pricing"])),
        ("tax_rules", json!(["settlement"])),
    ] {
        let (status, body) = app.upload(plugin_bytes(name)).await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["worlds"], worlds, "{name}");
        assert_eq!(body["wit"], "bazaar:plugin@0.2.0");
        assert_eq!(body["sha256"].as_str().map(str::len), Some(64));
        let sha = body["sha256"].as_str().unwrap().to_string();
        let (_, shown) = app.get(&format!("/v1/plugins/{sha}")).await;
        assert_eq!(shown["sha256"], sha.as_str());
        assert!(shown["limits"]["fuel"].as_u64().unwrap() > 0);
    }
    let (_, listed) = app.get("/v1/plugins").await;
    assert_eq!(listed["plugins"].as_array().unwrap().len(), 6);
    app.stop().await;
}

#[tokio::test]
async fn uploading_the_same_bytes_twice_is_the_same_version() {
    let app = spawn_app().await;
    let (first, a) = app.upload(plugin_bytes("tiered_pricing")).await;
    let (again, b) = app.upload(plugin_bytes("tiered_pricing")).await;
    assert_eq!((first, again), (201, 200), "{a} {b}");
    assert_eq!(a["sha256"], b["sha256"]);
    assert_eq!(
        (a["version"].clone(), b["version"].clone()),
        (json!(1), json!(1))
    );
    // A different component under the same name is the next version.
    let (status, c) = app.upload(plugin_bytes("listing_rules")).await;
    assert_eq!(status, 201);
    assert_eq!(c["version"], 2);
    app.stop().await;
}

#[tokio::test]
async fn components_the_host_cannot_serve_are_rejected_with_the_reason() {
    let app = spawn_app().await;

    let (status, body) = app.upload(b"definitely not wasm".to_vec()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "plugin-rejected");
    assert_eq!(body["detail"]["kind"], "invalid");

    // A core module (the 8-byte header of an empty one).
    let (status, body) = app.upload(b"\0asm\x01\0\0\0".to_vec()).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"]["kind"], "core-module", "{body}");

    let (status, body) = app.upload(plugin_bytes("bad_import")).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"]["kind"], "missing-import", "{body}");
    assert!(
        body["detail"]["name"]
            .as_str()
            .unwrap()
            .starts_with("evil:net/socket"),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("evil:net/socket")
    );

    let (status, body) = app.upload(plugin_bytes("future_version")).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"]["kind"], "unsupported-version", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("@0.9.0"),
        "{body}"
    );

    let (status, body) = app.upload(Vec::new()).await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "body");

    // Without a token, or with a bad one, nothing is uploaded.
    let res = app
        .client
        .post(app.url("/v1/plugins?name=x"))
        .body(plugin_bytes("tiered_pricing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let (status, body) = app
        .upload_as("bz_not_a_token", "x", plugin_bytes("tiered_pricing"))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    // Customers do not upload plugins.
    let (_, customer) = app.customer("Carol").await;
    let (status, _) = app
        .upload_as(&customer, "x", plugin_bytes("tiered_pricing"))
        .await;
    assert_eq!(status, 403);

    // Nothing rejected was kept.
    let (_, listed) = app.get("/v1/plugins").await;
    assert_eq!(listed["plugins"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn uploaded_plugins_survive_a_restart() {
    // Its own cache, inside the data dir, to show the restart uses it.
    let app = spawn_app_with(Vec::new(), None, None, None).await;
    let (_, body) = app.upload(plugin_bytes("listing_rules")).await;
    let sha = body["sha256"].as_str().unwrap().to_string();
    let url = app.database_url.clone();
    let seller = app.seller.clone();
    let kept = app.stop().await;

    let mut app = spawn_app_with(Vec::new(), Some(kept), None, Some(url)).await;
    app.seller = seller;
    let (status, body) = app.get(&format!("/v1/plugins/{sha}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["from-cache"], true,
        "a restart loads the precompiled artifact: {body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_plugins_and_routes_are_json_404s() {
    let app = spawn_app().await;
    let (status, body) = app
        .call(
            &"0".repeat(64),
            json!({"world": "review", "function": "check-listing"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not-found");
    let (status, body) = app.get("/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not-found");
    app.stop().await;
}

#[tokio::test]
async fn every_route_in_the_openapi_document_exists_and_checks_its_token() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let url = app.url(&path.replace('{', "x").replace('}', ""));
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app
                .client
                .request(method.clone(), url)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            if op["security"] == json!([]) {
                assert_eq!(status, 200, "{method} {path} is public");
            } else {
                // Unauthenticated: 401, which a missing route (404) would not give.
                assert_eq!(status, 401, "{method} {path}");
            }
        }
    }
    app.stop().await;
}

/// The contract check only bites where the document says what a body is:
/// every success answer of the plugin, case, release and rule routes names
/// its JSON schema (the raw wasm upload is a request, not an answer).
#[test]
fn plugin_case_release_and_rule_answers_have_schemas() {
    let doc = bazaar_host::api::openapi_document();
    let mut missing = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let tagged = op["tags"].as_array().into_iter().flatten().any(|t| {
                ["plugins", "cases", "releases", "rules"].contains(&t.as_str().unwrap_or(""))
            });
            if !tagged {
                continue;
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('2')
                    && response["content"]["application/json"]
                        .get("schema")
                        .is_none()
                {
                    missing.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "answers without a schema: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_component_is_answered_at_once_and_compiles_in_the_background() {
    let app = spawn_app().await;
    let seller = app.seller.clone();
    // The 18 MB componentize-py plugin, as bytes no artifact cache has seen.
    let tag = format!("big-{}", std::process::id());
    let bytes = bazaar_tests::market::plugin_variant("flat_pricing_py", &tag);
    let size = bytes.len();
    let (status, body) = app.upload_raw(&seller, "big", bytes).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (
            body["state"].as_str(),
            body["version"].as_i64(),
            body["size"].as_u64()
        ),
        (Some("compiling"), Some(1), Some(size as u64)),
        "{body}"
    );
    assert_eq!(body["worlds"], json!([]));
    let sha = body["sha256"].as_str().unwrap().to_string();

    // Called before it is ready: a 409 that says to wait.
    let quote = json!({"world": "pricing", "function": "quote", "seed": 1, "now-ms": 0,
        "input": {"request": {"product-id": "p", "sku-code": "s", "billing-mode": "monthly",
            "attributes": [], "quantity": "3", "period-count": 2, "trial": false, "currency": "CNY"}}});
    let (status, early) = app.call(&sha, quote.clone()).await;
    assert_eq!(status, 409, "{early}");
    assert!(
        early["message"]
            .as_str()
            .unwrap()
            .contains("still compiling"),
        "{early}"
    );

    // Ready: the same version, its worlds known, callable.
    let ready = app.wait_plugin(&seller, &sha).await;
    assert_eq!(
        (
            ready["state"].as_str(),
            ready["wit"].as_str(),
            ready["version"].as_i64()
        ),
        (Some("ready"), Some("bazaar:plugin@0.2.0"), Some(1)),
        "{ready}"
    );
    assert_eq!(ready["worlds"], json!(["pricing"]));
    let (status, out) = app.call(&sha, quote.clone()).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["output"]["ok"]["total"], "59.40", "{out}");
    // Callable first on baseline code (Winch), then the optimized code
    // replaces it: the same answer, and about the same fuel (both count
    // operators, not quite alike).
    let first_compiler = ready["compiler"].as_str().unwrap().to_string();
    assert!(
        ["baseline", "optimized"].contains(&first_compiler.as_str()),
        "{ready}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let (_, now) = app.get_as(&seller, &format!("/v1/plugins/{sha}")).await;
        if now["compiler"] == "optimized" {
            assert_eq!(now["state"], "ready", "{now}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never optimized: {now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, optimized) = app.call(&sha, quote).await;
    assert_eq!(status, 200, "{optimized}");
    assert_eq!(optimized["output"], out["output"], "{optimized}");
    if first_compiler == "baseline" {
        let (a, b) = (
            out["fuel-used"].as_f64().unwrap(),
            optimized["fuel-used"].as_f64().unwrap(),
        );
        assert!((a - b).abs() <= 0.05 * b, "fuel {a} on baseline vs {b}");
    }

    // Big bytes that are no component are refused at once; bytes with a
    // component's header that do not compile fail in the background, and
    // say why.
    let (status, body) = app.upload_raw(&seller, "zeros", vec![0; 5 << 20]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("plugin-rejected")),
        "{body}"
    );
    let mut broken = vec![0, b'a', b's', b'm', 0x0d, 0, 1, 0];
    broken.resize(5 << 20, 0x42);
    let (status, body) = app.upload_raw(&seller, "broken", broken).await;
    assert_eq!(status, 202, "{body}");
    let sha = body["sha256"].as_str().unwrap().to_string();
    let failed = app.wait_plugin(&seller, &sha).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["error"]["kind"], "invalid", "{failed}");
    let (status, body) = app
        .call(&sha, json!({"world": "pricing", "function": "quote"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("plugin-rejected")),
        "{body}"
    );
    app.stop().await;
}
