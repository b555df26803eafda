//! Pricing through the API: the seeds' worked examples, quotes that equal the
//! charge of the order placed after them, pricing plugins replacing the
//! built-in models, and plugin answers that must not become charges.

use bazaar_tests::market::{
    listed_product_with, product_draft, submit_and_approve, wait_instance, wait_order,
};
use bazaar_tests::{TestApp, plugin_bytes, spawn_app};
use serde_json::{Value, json};

/// The seeds' tiers: calls within 3 minutes at 0.30, beyond at 0.20.
fn seed_tiers() -> Value {
    json!([{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}])
}

/// A specification priced per minute with `model` and the seeds' tiers.
fn minutes_spec(id: &str, model: &str) -> Value {
    json!({
        "id": id,
        "name": format!("Minutes {model}"),
        "billing-modes": ["monthly", "yearly"],
        "pricing-model": model,
        "quantity": {"name": "minutes", "unit": "min", "min": 1, "max": 1000, "step": 1},
        "skus": [{"id": "calls", "prices": {"monthly": seed_tiers(), "yearly": seed_tiers()}}],
        "upgradable": true
    })
}

async fn tiered_product(app: &TestApp) -> (String, String) {
    let (seller, product, _) = listed_product_with(app, "saas_lifecycle", |d| {
        let specs = d["specifications"].as_array_mut().unwrap();
        specs.push(minutes_spec("tiered", "tiered"));
        specs.push(minutes_spec("volume", "volume"));
    })
    .await;
    (seller, product)
}

fn subscription(product: &str, spec: &str, sku: &str, mode: &str, quantity: u32) -> Value {
    json!({"product": product, "specification": spec, "sku": sku, "billing-mode": mode, "quantity": quantity})
}

async fn quote(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, reply) = app.post_as(token, "/v1/quotes", body).await;
    assert_eq!(status, 200, "{reply}");
    reply["quote"].clone()
}

#[tokio::test]
async fn the_seeds_worked_examples() {
    let app = spawn_app().await;
    let (_, product) = tiered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;

    let tiered = quote(
        &app,
        &customer,
        subscription(&product, "tiered", "calls", "monthly", 8),
    )
    .await;
    assert_eq!(tiered["total"], "1.90", "{tiered}");
    assert_eq!(tiered["priced-by"], "built-in:tiered");
    let lines: Vec<_> = tiered["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["quantity"].as_str().unwrap(),
                l["unit-price"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("3", "0.30", "0.90"), ("5", "0.20", "1.00")]);

    let volume = quote(
        &app,
        &customer,
        subscription(&product, "volume", "calls", "monthly", 8),
    )
    .await;
    assert_eq!(volume["total"], "1.60", "{volume}");
    assert_eq!(volume["lines"].as_array().unwrap().len(), 1);

    // `up-to` is inclusive: 3 minutes are still in the first tier.
    for (spec, minutes, total) in [
        ("volume", 3, "0.90"),
        ("volume", 4, "0.80"),
        ("tiered", 3, "0.90"),
        ("tiered", 4, "1.10"),
    ] {
        let q = quote(
            &app,
            &customer,
            subscription(&product, spec, "calls", "monthly", minutes),
        )
        .await;
        assert_eq!(q["total"], total, "{spec} × {minutes}: {q}");
    }
}

#[tokio::test]
async fn orders_charge_exactly_what_was_quoted() {
    let app = spawn_app().await;
    let (_, product) = tiered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;

    let mut cases = vec![
        json!({"specification": "tiered", "sku": "calls", "billing-mode": "monthly", "quantity": 8, "periods": 3}),
        json!({"specification": "volume", "sku": "calls", "billing-mode": "yearly", "quantity": 12, "periods": 2}),
        json!({"specification": "standard", "sku": "pro", "billing-mode": "monthly", "quantity": 7}),
        json!({"specification": "standard", "sku": "basic", "billing-mode": "monthly", "quantity": 2, "trial": true}),
    ];
    let mut orders = Vec::new();
    for case in &mut cases {
        case["product"] = json!(product);
        let q = quote(&app, &customer, case.clone()).await;
        let (status, placed) = app.post_as(&customer, "/v1/orders", case.clone()).await;
        assert_eq!(status, 202, "{placed}");
        assert_eq!(placed["order"]["amount"], q["total"], "{case}");
        assert_eq!(placed["order"]["detail"]["quote"], q, "{case}");
        orders.push(placed);
    }
    assert_eq!(orders[0]["order"]["amount"], "5.70");
    assert_eq!(orders[1]["order"]["amount"], "4.80");
    assert_eq!(orders[2]["order"]["amount"], "175.00");
    assert_eq!(orders[3]["order"]["amount"], "0.00");

    // Renewals and upgrades of the tiered instance: the quote is the charge.
    let iid = orders[0]["instance"]["id"].as_str().unwrap().to_string();
    wait_instance(&app, &customer, &iid, |i| i["state"] == "active").await;
    let path = format!("/v1/instances/{iid}");
    for (change, endpoint, body) in [
        (
            json!({"action": "renew", "periods": 2}),
            "renew",
            json!({"periods": 2}),
        ),
        (
            json!({"action": "upgrade", "sku": "calls", "quantity": 20}),
            "upgrade",
            json!({"sku": "calls", "quantity": 20}),
        ),
    ] {
        let (status, q) = app
            .post_as(&customer, &format!("{path}/quote"), change)
            .await;
        assert_eq!(status, 200, "{q}");
        let (status, placed) = app
            .post_as(&customer, &format!("{path}/{endpoint}"), body)
            .await;
        assert_eq!(status, 202, "{placed}");
        assert_eq!(placed["order"]["amount"], q["quote"]["total"], "{endpoint}");
        assert_eq!(placed["order"]["detail"]["quote"], q["quote"]);
        let order = placed["order"]["id"].as_str().unwrap();
        assert_eq!(
            wait_order(&app, &customer, order).await["state"],
            "completed"
        );
    }
    // Renewing 2 months of 8 tiered minutes costs 2 × 1.90.
    let (_, history) = app.get_as(&customer, &format!("{path}/orders")).await;
    let amounts: Vec<_> = history["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["kind"].clone(), o["amount"].clone()))
        .collect();
    assert!(
        amounts.contains(&(json!("renew"), json!("3.80"))),
        "{amounts:?}"
    );

    // A downgrade is refused with the reason; nothing is charged.
    let (status, body) = app
        .post_as(
            &customer,
            &format!("{path}/quote"),
            json!({"action": "upgrade", "sku": "calls", "quantity": 2}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("sku")),
        "{body}"
    );
}

#[tokio::test]
async fn volume_expansion_charges_only_the_added_units() {
    let app = spawn_app().await;
    let (_, product) = tiered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;
    let (status, placed) = app
        .post_as(&customer, "/v1/orders", {
            let mut s = subscription(&product, "volume", "calls", "monthly", 2);
            s["periods"] = json!(3);
            s
        })
        .await;
    assert_eq!(status, 202, "{placed}");
    let iid = placed["instance"]["id"].as_str().unwrap();
    wait_instance(&app, &customer, iid, |i| i["state"] == "active").await;
    // From 2 minutes (0.30 each) to 10 (0.20 each): the volume price of the
    // whole falls, but §5.3 charges the 8 added minutes at 0.20 for the rest
    // of the subscription (3 whole months as no time has passed).
    let (status, q) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{iid}/quote"),
            json!({"action": "upgrade", "sku": "calls", "quantity": 10}),
        )
        .await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["quote"]["total"], "4.80", "{q}");
    assert!(
        q["quote"]["lines"][0]["item"]
            .as_str()
            .unwrap()
            .contains("8 added at 0.20"),
        "{q}"
    );
}

#[tokio::test]
async fn a_pricing_plugin_replaces_the_built_in_price() {
    let app = spawn_app().await;
    let (_, customer) = app.customer("Carol").await;
    let mut pricing_sha = String::new();
    let (seller, product, _) = listed_product_with(&app, "saas_lifecycle", |_| {}).await;
    let (status, body) = app
        .upload_as(&seller, "tiers", plugin_bytes("tiered_pricing"))
        .await;
    assert_eq!(status, 201, "{body}");
    pricing_sha.push_str(body["sha256"].as_str().unwrap());

    // A second product of the same seller whose minutes are plugin-priced.
    let (_, lifecycle) = app
        .get_as(&seller, &format!("/v1/products/{product}"))
        .await;
    let lifecycle_sha = lifecycle["draft"]["lifecycle-plugin"]
        .as_str()
        .unwrap()
        .to_string();
    let mut draft = product_draft(&lifecycle_sha);
    let mut spec = minutes_spec("plugin", "linear");
    spec["pricing-plugin"] = json!(pricing_sha);
    spec["skus"][0]["prices"] = json!({"monthly": "1.00", "yearly": "10.00"});
    draft["specifications"] = json!([spec]);
    let product = submit_and_approve(&app, &seller, draft).await;

    let q = quote(
        &app,
        &customer,
        subscription(&product, "plugin", "calls", "monthly", 8),
    )
    .await;
    assert_eq!(q["total"], "1.90", "{q}");
    assert_eq!(q["priced-by"], format!("plugin:{pricing_sha}"));
    let (status, placed) = app
        .post_as(
            &customer,
            "/v1/orders",
            subscription(&product, "plugin", "calls", "monthly", 8),
        )
        .await;
    assert_eq!(status, 202, "{placed}");
    assert_eq!(placed["order"]["amount"], "1.90");
    assert_eq!(placed["order"]["detail"]["quote"], q);

    // A lifecycle plugin cannot price.
    let mut bad = product_draft(&lifecycle_sha);
    bad["specifications"][0]["pricing-plugin"] = json!(lifecycle_sha);
    let (status, body) = app.post_as(&seller, "/v1/products", bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "specifications[0].pricing-plugin");
}

#[tokio::test]
async fn bad_plugin_quotes_are_errors_never_charges() {
    let app = spawn_app().await;
    let (_, customer) = app.customer("Carol").await;
    let (seller, product, _) = listed_product_with(&app, "saas_lifecycle", |_| {}).await;
    let (status, body) = app
        .upload_as(&seller, "bad-pricing", plugin_bytes("bad_pricing"))
        .await;
    assert_eq!(status, 201, "{body}");
    let pricing_sha = body["sha256"].as_str().unwrap().to_string();
    let (_, p) = app
        .get_as(&seller, &format!("/v1/products/{product}"))
        .await;
    let mut draft = product_draft(p["draft"]["lifecycle-plugin"].as_str().unwrap());
    let skus = [
        "negative", "mismatch", "fraction", "currency", "refuse", "loop", "fine",
    ];
    draft["specifications"] = json!([{
        "id": "odd", "name": "Odd", "billing-modes": ["monthly"],
        "attributes": [{"name": "kind", "values": skus}],
        "skus": skus.iter().map(|s| json!({"id": s, "values": {"kind": s}, "prices": {"monthly": "1.00"}})).collect::<Vec<_>>(),
        "pricing-plugin": pricing_sha,
    }]);
    let product = submit_and_approve(&app, &seller, draft).await;

    for (sku, status, error, field) in [
        ("negative", 422, "pricing-failed", Some("lines[0].amount")),
        ("mismatch", 422, "pricing-failed", Some("total")),
        ("fraction", 422, "pricing-failed", Some("lines[0].amount")),
        ("currency", 422, "pricing-failed", Some("currency")),
        ("refuse", 422, "pricing-failed", None),
        ("loop", 422, "call-failed", None),
    ] {
        let body = subscription(&product, "odd", sku, "monthly", 1);
        for path in ["/v1/quotes", "/v1/orders"] {
            let (got, reply) = app.post_as(&customer, path, body.clone()).await;
            assert_eq!(
                (got, reply["error"].as_str()),
                (status, Some(error)),
                "{sku} {path}: {reply}"
            );
            if let Some(field) = field {
                assert_eq!(reply["field"], field, "{sku}: {reply}");
            }
        }
    }
    let (_, orders) = app.get_as(&customer, "/v1/orders").await;
    assert!(orders["orders"].as_array().unwrap().is_empty(), "{orders}");
    let q = quote(
        &app,
        &customer,
        subscription(&product, "odd", "fine", "monthly", 1),
    )
    .await;
    assert_eq!(q["total"], "1.00");
}
