//! Cases: debug calls saved once, replayed exactly (pass or a precise diff),
//! exported and imported as files, replayed against new plugin versions and
//! on another database.

use bazaar_tests::market::{
    create_case_call, plugin_variant as rebuilt, record_cases, upload_plugin as upload,
};
use bazaar_tests::{TestApp, plugin_bytes, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// Replays case `case` (against `plugin` if given) and expects a 200.
async fn replay(app: &TestApp, token: &str, case: &str, plugin: Option<&str>) -> Value {
    let body = plugin.map_or(json!({}), |p| json!({"plugin": p}));
    let (status, run) = app
        .post_as(token, &format!("/v1/cases/{case}/replay"), body)
        .await;
    assert_eq!(status, 200, "{run}");
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_case_replays_and_every_kind_of_difference_is_located() {
    let app = spawn_app().await;
    let seller = app.seller.clone();
    let sha = upload(&app, &seller, "life", plugin_bytes("saas_lifecycle")).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let mut call = create_case_call("order-1");
    call["config"] = json!({"base-url": "https://crm.example"});
    call["name"] = json!("first order");
    let (status, done) = app.call(&sha, call).await;
    assert_eq!(status, 200, "{done}");
    let id = done["case"]["id"].as_str().unwrap().to_string();
    assert_eq!(done["case"]["scenario"], "create");
    // The debug run reports the full transcript: clock, random, kv, config.
    let kinds: Vec<&str> = done["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call"].as_str().unwrap())
        .collect();
    for kind in ["log", "kv-get", "random-bytes", "config-get", "kv-set"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let (status, shown) = app.get_as(&seller, &format!("/v1/cases/{id}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["transcript"], done["transcript"]);
    assert_eq!(shown["expected"], done["output"]);
    assert_eq!(shown["name"], "first order");

    // The same version: pass, twice the same (deterministic).
    let first = replay(&app, &seller, &id, None).await;
    assert_eq!(first["result"], "pass", "{first}");
    assert_eq!(replay(&app, &seller, &id, None).await, first);

    // Another plugin asks the host for other things: the first diverging call.
    let hostile = upload(&app, &seller, "other", plugin_bytes("hostile")).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let run = replay(&app, &seller, &id, Some(&hostile)).await;
    assert_eq!(run["result"], "fail", "{run}");
    assert_eq!(run["diff"]["kind"], "host-call", "{run}");
    assert_eq!(run["diff"]["index"], 0, "{run}");
    assert_eq!(run["diff"]["expected"]["call"], "log", "{run}");
    assert!(
        run["diff"]["actual"]["message"]
            .as_str()
            .unwrap()
            .contains("behaving"),
        "{run}"
    );

    // A changed expectation: the output path, both values.
    let (status, file) = app
        .get_as(&seller, &format!("/v1/cases/export?plugin={sha}"))
        .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["format"], "bazaar-cases/1");
    assert_eq!(file["cases"].as_array().unwrap().len(), 1);
    let mut tampered = file.clone();
    tampered["cases"][0]["expected"]["ok"]["app"]["username"] = json!("root");
    let (status, imported) = app
        .post_as(&seller, "/v1/cases/import", tampered.clone())
        .await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(
        (imported["imported"].as_u64(), imported["existing"].as_u64()),
        (Some(1), Some(0))
    );
    let tampered_id = imported["cases"][0]["id"].as_str().unwrap().to_string();
    let run = replay(&app, &seller, &tampered_id, None).await;
    assert_eq!(
        (run["diff"]["kind"].as_str(), run["diff"]["path"].as_str()),
        (Some("output"), Some("ok.app.username")),
        "{run}"
    );
    assert_eq!(
        (
            run["diff"]["expected"].as_str(),
            run["diff"]["actual"].as_str()
        ),
        (Some("root"), Some("admin"))
    );

    // Import is idempotent: the exported case is the saved one.
    let (status, again) = app.post_as(&seller, "/v1/cases/import", file).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["imported"].as_u64(), again["existing"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(again["cases"][0]["id"], id.as_str());
    let (_, listed) = app
        .get_as(&seller, &format!("/v1/cases?plugin={sha}"))
        .await;
    assert_eq!(listed["cases"].as_array().unwrap().len(), 2);

    // Delete: gone, then 404.
    let path = format!("/v1/cases/{tampered_id}");
    let (status, _) = app
        .send_as(&seller, Method::DELETE, &path, json!({}), None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .send_as(&seller, Method::DELETE, &path, json!({}), None)
        .await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not-found")));
    // Other sellers see nothing of it.
    let (_, other) = app.account("seller", "Other").await;
    let (status, _) = app.get_as(&other, &format!("/v1/cases/{id}")).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_case_files_are_refused_with_where_and_nothing_is_saved() {
    let app = spawn_app().await;
    let seller = app.seller.clone();
    let sha = upload(&app, &seller, "life", plugin_bytes("saas_lifecycle")).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, done) = app.call(&sha, create_case_call("o-1")).await;
    let (_, file) = app.get_as(&seller, "/v1/cases/export").await;
    let good = file["cases"][0].clone();
    assert_eq!(good["id"], done["case"]["id"]);

    let mut bad_world = good.clone();
    bad_world["world"] = json!("nope");
    let mut foreign = good.clone();
    foreign["plugin"] = json!("a".repeat(64));
    let mut no_function = good.clone();
    no_function["function"] = json!("quote");
    let mut changed = good.clone();
    changed["seed"] = json!(8);
    let body =
        json!({"format": "bazaar-cases/1", "cases": [changed, bad_world, foreign, no_function]});
    let (status, refused) = app.post_as(&seller, "/v1/cases/import", body).await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["cases[1].world", "cases[2].plugin", "cases[3].function"]
    );
    let (_, listed) = app.get_as(&seller, "/v1/cases").await;
    assert_eq!(
        listed["cases"].as_array().unwrap().len(),
        1,
        "the good case was not saved either"
    );

    let (status, body) = app
        .post_as(
            &seller,
            "/v1/cases/import",
            json!({"format": "other", "cases": []}),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("format")));
    let (status, body) = app
        .post_as(
            &seller,
            "/v1/cases/import",
            json!({"format": "bazaar-cases/1", "cases": [{"plugin": 1}]}),
        )
        .await;
    // A case that does not read is a case with problems, like the others.
    assert_eq!(status, 422, "{body}");
    assert!(
        body["field"].as_str().unwrap().starts_with("cases[0]"),
        "{body}"
    );
    let (status, body) = app
        .post_as(&seller, "/v1/cases/nope/replay", json!({}))
        .await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not-found")));
    let id = done["case"]["id"].as_str().unwrap();
    let (status, body) = app
        .post_as(
            &seller,
            &format!("/v1/cases/{id}/replay"),
            json!({"plugin": "b".repeat(64)}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("plugin")),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_is_checked_against_the_previous_versions_cases() {
    let app = spawn_app().await;
    let seller = app.seller.clone();
    let v1 = upload(&app, &seller, "life", plugin_bytes("saas_lifecycle")).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let ids = record_cases(&app, &seller, &v1).await;
    assert_eq!(ids.len(), 6);

    // Same behaviour, other bytes: every case passes and is carried over.
    let v2 = upload(&app, &seller, "life", rebuilt("saas_lifecycle", "v2")).await;
    assert_eq!(v2["version"], 2, "{v2}");
    assert_eq!(v2["cases"]["replayed"], 6, "{v2}");
    assert_eq!(v2["cases"]["passed"], 6, "{v2}");
    assert_eq!(v2["cases"]["regressions"], json!([]), "{v2}");
    let v2_sha = v2["sha256"].as_str().unwrap();
    let (_, carried) = app
        .get_as(&seller, &format!("/v1/cases?plugin={v2_sha}"))
        .await;
    assert_eq!(carried["cases"].as_array().unwrap().len(), 6);
    assert!(carried["cases"][0]["origin"].is_string());

    // Other behaviour: the regressions are reported with their diffs.
    let v3 = upload(&app, &seller, "life", plugin_bytes("hostile")).await;
    assert_eq!(v3["version"], 3, "{v3}");
    assert_eq!(v3["cases"]["previous"]["sha256"], v2_sha);
    let regressions = v3["cases"]["regressions"].as_array().unwrap();
    assert!(!regressions.is_empty(), "{v3}");
    assert!(
        regressions
            .iter()
            .all(|r| r["result"] == "fail" && r["diff"]["kind"].is_string())
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_recorded_on_sqlite_replays_identically_on_another_database() {
    // Recorded on SQLite...
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bazaar.db").display());
    let first = spawn_app_with(
        Vec::new(),
        Some(dir),
        Some(bazaar_tests::shared_cache_dir()),
        Some(sqlite),
    )
    .await;
    let sha = upload(
        &first,
        &first.seller,
        "life",
        plugin_bytes("saas_lifecycle"),
    )
    .await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let ids = record_cases(&first, &first.seller, &sha).await;
    let mut here = Vec::new();
    for id in &ids {
        here.push(replay(&first, &first.seller, id, None).await);
    }
    let (_, file) = first.get_as(&first.seller, "/v1/cases/export").await;
    first.stop().await;

    // ...imported from the exported file on the database of this test run
    // (PostgreSQL in the second pass of `cargo xtask test`).
    let second = spawn_app().await;
    upload(
        &second,
        &second.seller,
        "life",
        plugin_bytes("saas_lifecycle"),
    )
    .await;
    let (status, imported) = second
        .post_as(&second.seller, "/v1/cases/import", file)
        .await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["imported"], 6);
    for (i, case) in imported["cases"].as_array().unwrap().iter().enumerate() {
        let mut there = replay(&second, &second.seller, case["id"].as_str().unwrap(), None).await;
        assert_eq!(there["result"], "pass", "{there}");
        there["case"] = here[i]["case"].clone();
        assert_eq!(there, here[i], "same result, same fuel");
    }
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_state_is_private_to_the_caller_even_for_the_same_bytes() {
    let app = spawn_app().await;
    let (_, other) = app.account("seller", "Other").await;
    let bytes = plugin_bytes("saas_lifecycle");
    let sha = upload(&app, &app.seller, "life", bytes.clone()).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    upload(&app, &other, "life", bytes).await;
    let path = format!("/v1/plugins/{sha}/calls");
    // The first seller commits an instance for order o-1...
    let (status, first) = app
        .post_as(&app.seller, &path, create_case_call("o-1"))
        .await;
    assert_eq!(status, 200, "{first}");
    let (_, again) = app
        .post_as(&app.seller, &path, create_case_call("o-1"))
        .await;
    assert_eq!(
        again["output"]["ok"]["instance-id"], first["output"]["ok"]["instance-id"],
        "the seller's own state is kept: {first} vs {again}"
    );
    assert_eq!(again["transcript"][1]["call"], "kv-get");
    assert!(
        again["transcript"][1]["result"]["ok"]["value-hex"].is_string(),
        "{again}"
    );
    // ...which the other seller's debug calls do not see.
    let (_, theirs) = app.post_as(&other, &path, create_case_call("o-1")).await;
    assert_eq!(theirs["transcript"][1]["call"], "kv-get");
    assert!(
        theirs["transcript"][1]["result"]["ok"].is_null(),
        "{theirs}"
    );
    app.stop().await;
}
