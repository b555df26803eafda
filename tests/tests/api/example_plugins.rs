//! The example plugins do what the marketplace expects of them, called
//! through the service's debug-call API.

use bazaar_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn ok(app: &TestApp, sha: &str, world: &str, function: &str, input: Value) -> Value {
    let (status, body) = app
        .call(
            sha,
            json!({"world": world, "function": function, "input": input, "seed": 9, "now-ms": 1_760_000_000_000i64, "commit": true}),
        )
        .await;
    assert_eq!(status, 200, "{function}: {body}");
    body["output"].clone()
}

#[tokio::test]
async fn saas_lifecycle_walks_an_instance_from_create_to_release() {
    let app = spawn_app().await;
    let sha = app.upload_new("saas_lifecycle").await;
    let sub = json!({
        "order-id": "order-1", "customer-id": "c1", "customer-name": "Acme", "product-id": "p1",
        "sku-code": "pro-monthly", "billing-mode": "monthly", "attributes": [], "quantity": "5",
        "period-count": 1, "trial": true, "expires-at": 1_761_000_000_000i64
    });
    let created = ok(
        &app,
        &sha,
        "lifecycle",
        "create-instance",
        json!({"subscription": sub}),
    )
    .await;
    let id = created["ok"]["instance-id"].as_str().unwrap().to_string();
    assert!(id.starts_with("inst-"), "{created}");

    let status = ok(
        &app,
        &sha,
        "lifecycle",
        "query-instance",
        json!({"instance-ids": [id, "nope"]}),
    )
    .await;
    assert_eq!(status["ok"][0]["state"], "running", "{status}");
    assert_eq!(status["ok"][1]["state"], "unknown", "{status}");

    for change in [
        json!({"trial-to-formal": 1_790_000_000_000i64}),
        json!({"freeze": "arrears"}),
        json!("unfreeze"),
        json!({"renew": 1_800_000_000_000i64}),
        json!({"upgrade": {"order-id": "order-2", "sku-code": "max-monthly", "attributes": [], "quantity": "10"}}),
    ] {
        let out = ok(
            &app,
            &sha,
            "lifecycle",
            "update-instance",
            json!({"change": {"instance-id": id, "order-id": "order-1", "change": change}}),
        )
        .await;
        assert_eq!(out, json!({"ok": null}), "{change}: {out}");
    }
    let frozen = ok(
        &app,
        &sha,
        "lifecycle",
        "update-instance",
        json!({"change": {"instance-id": id, "order-id": "o", "change": {"freeze": "expired"}}}),
    )
    .await;
    assert_eq!(frozen, json!({"ok": null}));
    let status = ok(
        &app,
        &sha,
        "lifecycle",
        "query-instance",
        json!({"instance-ids": [id]}),
    )
    .await;
    assert_eq!(status["ok"][0]["state"], "frozen", "{status}");

    let released = ok(
        &app,
        &sha,
        "lifecycle",
        "release-instance",
        json!({"instance-id": id, "reason": "unsubscribed"}),
    )
    .await;
    assert_eq!(released, json!({"ok": null}));
    // Releasing twice is harmless; changing a released instance is refused.
    let again = ok(
        &app,
        &sha,
        "lifecycle",
        "release-instance",
        json!({"instance-id": id, "reason": "unsubscribed"}),
    )
    .await;
    assert_eq!(again, json!({"ok": null}));
    let refused = ok(
        &app,
        &sha,
        "lifecycle",
        "update-instance",
        json!({"change": {"instance-id": id, "order-id": "o", "change": "unfreeze"}}),
    )
    .await;
    assert!(refused["err"]["refused"].is_string(), "{refused}");

    let unknown = ok(
        &app,
        &sha,
        "lifecycle",
        "update-instance",
        json!({"change": {"instance-id": "inst-missing", "order-id": "o", "change": "unfreeze"}}),
    )
    .await;
    assert_eq!(
        unknown["err"]["invalid-input"]["field"], "change.instance-id",
        "{unknown}"
    );

    let usage = ok(
        &app,
        &sha,
        "metering",
        "collect-usage",
        json!({"window": {"start": 0, "end": 90_000}, "instances": [{"instance-id": id, "sku-code": "pro-monthly"}]}),
    )
    .await;
    assert_eq!(usage["ok"][0]["value"], "1.50", "{usage}");
    assert_eq!(usage["ok"][0]["metering-id"], format!("{id}:0"));
    app.stop().await;
}

fn quote_request(quantity: &str, periods: u32, trial: bool) -> Value {
    json!({"request": {
        "product-id": "p", "sku-code": "s", "billing-mode": "monthly", "attributes": [],
        "quantity": quantity, "period-count": periods, "trial": trial, "currency": "CNY"
    }})
}

#[tokio::test]
async fn tiered_pricing_reproduces_the_seeds_example_and_refuses_bad_quantities() {
    let app = spawn_app().await;
    let sha = app.upload_new("tiered_pricing").await;
    let quote = ok(&app, &sha, "pricing", "quote", quote_request("8", 1, false)).await;
    assert_eq!(quote["ok"]["total"], "1.90", "{quote}");
    let lines = quote["ok"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["amount"].as_str(), lines[1]["amount"].as_str()),
        (Some("0.90"), Some("1.00"))
    );

    let trial = ok(&app, &sha, "pricing", "quote", quote_request("8", 1, true)).await;
    assert_eq!(trial["ok"]["total"], "0.00");

    let bad = ok(
        &app,
        &sha,
        "pricing",
        "quote",
        quote_request("-1", 1, false),
    )
    .await;
    assert_eq!(
        bad["err"]["invalid-input"]["field"], "request.quantity",
        "{bad}"
    );
    let bad = ok(
        &app,
        &sha,
        "pricing",
        "quote",
        quote_request("1e3", 1, false),
    )
    .await;
    assert_eq!(
        bad["err"]["invalid-input"]["field"], "request.quantity",
        "{bad}"
    );
    app.stop().await;
}

fn listing(description_len: usize) -> Value {
    json!({"listing": {
        "product-id": "p", "delivery-method": "saas", "name": "Acme CRM", "version": "V1.0",
        "overview": "A CRM.", "description": "x".repeat(description_len),
        "highlights": ["fast"], "categories": ["software", "crm"],
        "logo": {"format": "png", "width": 120, "height": 120, "size-bytes": 10_000},
        "specification-names": ["Standard edition"],
        "support": "Mon-Fri 9:00-18:00 (GMT+08:00), hotline 400-000-0000", "has-eula": true
    }})
}

#[tokio::test]
async fn listing_rules_find_what_section_3_1_forbids() {
    let app = spawn_app().await;
    let sha = app.upload_new("listing_rules").await;
    let clean = ok(&app, &sha, "review", "check-listing", listing(1000)).await;
    assert_eq!(
        clean,
        json!([]),
        "a listing that follows every rule: {clean}"
    );

    let mut bad = listing(999);
    bad["listing"]["name"] = json!("");
    bad["listing"]["version"] = json!("First Version");
    bad["listing"]["highlights"] = json!(["1", "2", "3", "4", "5", "6"]);
    bad["listing"]["logo"] =
        json!({"format": "jpeg", "width": 100, "height": 120, "size-bytes": 6 << 20});
    bad["listing"]["has-eula"] = json!(false);
    let findings = ok(&app, &sha, "review", "check-listing", bad).await;
    let blockers: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "blocker")
        .map(|f| f["rule-id"].as_str().unwrap())
        .collect();
    for rule in [
        "listing.name.length",
        "listing.version.format",
        "listing.description.length",
        "listing.highlights.count",
        "listing.logo.format",
        "listing.logo.dimensions",
        "listing.logo.size",
        "listing.eula.present",
    ] {
        assert!(blockers.contains(&rule), "{rule} missing from {findings}");
    }
    app.stop().await;
}
