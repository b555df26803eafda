//! The first change to the WIT contract (issue 15 §4): `bazaar:plugin@0.2.0`
//! adds `settlement`, and a component built against 0.1.0 keeps loading and
//! working unchanged next to 0.2.0 components in one service: its typed
//! lifecycle calls from the worker, its debug calls, and its `host`, `kv`
//! and `config` imports all go through the host's 0.1.0 forwarding.

use bazaar_tests::market::{buy_active, listed_product};
use bazaar_tests::{plugin_bytes, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_1_0_and_a_0_2_0_component_run_side_by_side() {
    let app = spawn_app().await;
    for (name, wit, worlds) in [
        (
            "legacy_lifecycle",
            "bazaar:plugin@0.1.0",
            json!(["lifecycle"]),
        ),
        (
            "saas_lifecycle",
            "bazaar:plugin@0.2.0",
            json!(["lifecycle", "metering"]),
        ),
        ("tax_rules", "bazaar:plugin@0.2.0", json!(["settlement"])),
    ] {
        let (status, body) = app.upload(plugin_bytes(name)).await;
        assert!(status == 201 || status == 200, "{name}: {body}");
        assert_eq!(body["wit"], wit, "{name}");
        assert_eq!(body["worlds"], worlds, "{name}");
    }

    // Both products on sale in one service; the worker provisions each
    // through its own version's bindings.
    let (_, legacy_product, legacy_sha) = listed_product(&app, "legacy_lifecycle", false).await;
    let (_, current_product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let legacy = buy_active(
        &app,
        &customer,
        &legacy_product,
        "standard",
        "basic",
        "monthly",
    )
    .await;
    let current = buy_active(
        &app,
        &customer,
        &current_product,
        "standard",
        "basic",
        "monthly",
    )
    .await;
    let (status, shown) = app
        .get_as(&customer, &format!("/v1/instances/{legacy}"))
        .await;
    assert_eq!(status, 200, "{shown}");
    let text = shown.to_string();
    assert!(
        text.contains("provisioned by a bazaar:plugin@0.1.0 component"),
        "the 0.1.0 plugin's app info reaches the customer: {shown}"
    );
    assert!(text.contains("https://legacy.example/legacy-"), "{shown}");
    let (status, other) = app
        .get_as(&customer, &format!("/v1/instances/{current}"))
        .await;
    assert_eq!(
        (status, other["state"].as_str()),
        (200, Some("active")),
        "{other}"
    );

    // A debug call of the 0.1.0 plugin: every import it uses answered and
    // recorded, the same call twice the same answer.
    let call = json!({"world": "lifecycle", "function": "create-instance", "now-ms": 1_760_000_000_000i64,
        "seed": 3, "config": {"frontend-url": "https://old.test"},
        "input": {"subscription": bazaar_tests::market::subscription("Dana", "ord-legacy-1")}});
    let (status, first) = app.call(&legacy_sha, call.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["output"]["ok"]["app"]["frontend-url"], "https://old.test/legacy-ord-legacy-1",
        "{first}"
    );
    let calls: Vec<&str> = first["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .filter_map(|c| c["call"].as_str())
        .collect();
    for import in ["now", "kv-set", "config-get", "log", "random-u64"] {
        assert!(calls.contains(&import), "{import} missing from {calls:?}");
    }
    let (_, again) = app.call(&legacy_sha, call).await;
    assert_eq!(again["output"], first["output"]);

    // `settlement` exists from 0.2.0 on: a 0.1.0 component cannot be a tax
    // rule, a 0.2.0 one can.
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/settlement/taxes/activate",
            json!({"plugin": legacy_sha}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("plugin")),
        "{body}"
    );
    app.stop().await;
}
