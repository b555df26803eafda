//! Marketplace fixtures: a product definition, the cases a release needs, a
//! released product, orders and waiting for the lifecycle worker.

use crate::TestApp;
use serde_json::{Value, json};
use std::time::Duration;

/// A `create-instance` subscription for debug calls, with `customer_name`
/// (which picks the hostile fixture's mode) and `order_id`.
pub fn subscription(customer_name: &str, order_id: &str) -> Value {
    json!({
        "order-id": order_id,
        "customer-id": "cust-1",
        "customer-name": customer_name,
        "product-id": "prod-1",
        "sku-code": "basic-monthly",
        "billing-mode": "monthly",
        "attributes": [{"code": "edition", "value": "basic"}],
        "quantity": "1",
        "period-count": 1,
        "trial": false,
        "expires-at": 1_767_225_600_000i64
    })
}

/// A valid product draft whose lifecycle plugin is `lifecycle_sha`: spec
/// `standard` (monthly and yearly, editions basic/pro, 1–100 users, 7-day
/// trial, upgradable) and spec `enterprise` (yearly, once per customer).
pub fn product_draft(lifecycle_sha: &str) -> Value {
    json!({
        "name": "Acme CRM",
        "version": "V1.0",
        "description": "A customer relationship manager.",
        "highlights": ["Fast", "Friendly"],
        "supervised": false,
        "lifecycle-plugin": lifecycle_sha,
        "plugin-config": {"base-url": "https://crm.acme.test"},
        "specifications": [
            {
                "id": "standard",
                "name": "Standard",
                "billing-modes": ["monthly", "yearly"],
                "attributes": [{"name": "edition", "values": ["basic", "pro"]}],
                "quantity": {"name": "users", "unit": "user", "min": 1, "max": 100, "step": 1},
                "skus": [
                    {"id": "basic", "values": {"edition": "basic"}, "prices": {"monthly": "10.00", "yearly": "100.00"}},
                    {"id": "pro", "values": {"edition": "pro"}, "prices": {"monthly": "25.00", "yearly": "250.00"}}
                ],
                "trial": {"days": 7},
                "upgradable": true
            },
            {
                "id": "enterprise",
                "name": "Enterprise",
                "billing-modes": ["yearly"],
                "skus": [{"id": "ent", "prices": {"yearly": "5000.00"}}],
                "purchase-limit": {"once-per-customer": true}
            }
        ]
    })
}

/// A seller with `plugin` uploaded and a product around it approved and
/// listed; returns (seller token, product id, plugin sha256).
pub async fn listed_product(
    app: &TestApp,
    plugin: &str,
    supervised: bool,
) -> (String, String, String) {
    listed_product_with(app, plugin, |draft| draft["supervised"] = json!(supervised)).await
}

/// [`listed_product`] with the definition changed by `edit` first.
pub async fn listed_product_with(
    app: &TestApp,
    plugin: &str,
    edit: impl FnOnce(&mut Value),
) -> (String, String, String) {
    let (_, seller) = app.account("seller", "Acme").await;
    let (status, body) = app
        .upload_as(&seller, "lifecycle", crate::plugin_bytes(plugin))
        .await;
    assert!(status == 201 || status == 200, "{body}");
    let sha = body["sha256"].as_str().expect("sha").to_string();
    let mut draft = product_draft(&sha);
    edit(&mut draft);
    record_cases(app, &seller, &sha).await;
    if draft["metering-plugin"].as_str() == Some(sha.as_str()) {
        record_usage_case(app, &seller, &sha).await;
    }
    let product = submit_and_approve(app, &seller, draft).await;
    (seller, product, sha)
}

/// Creates a product from `draft`, submits it (its plugins' cases must be
/// recorded) and approves it; returns the product id.
pub async fn submit_and_approve(app: &TestApp, seller: &str, draft: Value) -> String {
    let (status, body) = app.post_as(seller, "/v1/products", draft).await;
    assert_eq!(status, 201, "{body}");
    let product = body["id"].as_str().expect("id").to_string();
    let (status, body) = app
        .post_as(
            seller,
            &format!("/v1/products/{product}/release-applications"),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let application = body["id"].as_str().expect("id").to_string();
    let (status, body) = app
        .post_as(
            &app.operator,
            &format!("/v1/release-applications/{application}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    product
}

/// Records a `collect-usage` case of `sha` (a plugin exporting `metering`),
/// as pay-per-use products need.
pub async fn record_usage_case(app: &TestApp, seller: &str, sha: &str) {
    let body = json!({"world": "metering", "function": "collect-usage", "now-ms": 1_760_000_000_000i64,
        "seed": 7, "save": true,
        "input": {"window": {"start": 1_759_996_400_000i64, "end": 1_760_000_000_000i64},
                  "instances": [{"instance-id": "case-instance", "sku-code": "calls"}]}});
    let (status, done) = app
        .post_as(seller, &format!("/v1/plugins/{sha}/calls"), body)
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["case"]["scenario"], "collect-usage", "{done}");
}

/// The debug-call bodies of the lifecycle scenarios a release needs
/// (create, renew, freeze, unfreeze, upgrade, release), in order, for an
/// instance the create call provisions; each commits its state so the next
/// sees the instance. `instance` is filled in after the create call.
pub fn lifecycle_case_calls(instance: &str) -> Vec<(&'static str, Value)> {
    let change = |order: &str, change: Value| {
        json!({"world": "lifecycle", "function": "update-instance", "now-ms": 1_760_000_000_000i64,
               "seed": 7, "commit": true, "save": true,
               "input": {"change": {"instance-id": instance, "order-id": order, "change": change}}})
    };
    vec![
        (
            "renew",
            change("case-order-2", json!({"renew": 1_800_000_000_000i64})),
        ),
        (
            "freeze",
            change("case-order-3", json!({"freeze": "expired"})),
        ),
        ("unfreeze", change("case-order-4", json!("unfreeze"))),
        (
            "upgrade",
            change(
                "case-order-5",
                json!({"upgrade": {"order-id": "case-order-5", "sku-code": "pro", "attributes": [], "quantity": "2"}}),
            ),
        ),
        (
            "release",
            json!({"world": "lifecycle", "function": "release-instance", "now-ms": 1_760_000_000_000i64,
                   "seed": 7, "commit": true, "save": true,
                   "input": {"instance-id": instance, "reason": "unsubscribed"}}),
        ),
    ]
}

/// The debug-call body of a `create-instance` case for `order`.
pub fn create_case_call(order: &str) -> Value {
    json!({"world": "lifecycle", "function": "create-instance", "now-ms": 1_760_000_000_000i64,
           "seed": 7, "commit": true, "save": true,
           "input": {"subscription": {"order-id": order, "customer-id": "case-customer",
               "customer-name": "Case", "product-id": "case-product", "sku-code": "basic",
               "billing-mode": "monthly", "attributes": [], "quantity": "1", "period-count": 1,
               "trial": false, "expires-at": 1_762_000_000_000i64}}})
}

/// Records, as `seller`, a successful case of every lifecycle scenario a
/// release application needs for plugin version `sha`; returns the case ids.
pub async fn record_cases(app: &TestApp, seller: &str, sha: &str) -> Vec<String> {
    let path = format!("/v1/plugins/{sha}/calls");
    let (status, created) = app
        .post_as(seller, &path, create_case_call("case-order-1"))
        .await;
    assert_eq!(status, 200, "{created}");
    let instance = created["output"]["ok"]["instance-id"]
        .as_str()
        .expect("create-instance provisions")
        .to_string();
    let mut ids = vec![created["case"]["id"].as_str().expect("saved").to_string()];
    for (scenario, body) in lifecycle_case_calls(&instance) {
        let (status, done) = app.post_as(seller, &path, body).await;
        assert_eq!(status, 200, "{scenario}: {done}");
        assert_eq!(done["case"]["scenario"], scenario, "{done}");
        ids.push(done["case"]["id"].as_str().expect("saved").to_string());
    }
    ids
}

/// The example plugin `name` with an extra custom section tagged `tag`:
/// other bytes (another sha256, so a new version), the same behaviour.
pub fn plugin_variant(name: &str, tag: &str) -> Vec<u8> {
    let mut bytes = crate::plugin_bytes(name);
    let mut payload = vec![tag.len() as u8];
    payload.extend(tag.as_bytes());
    bytes.push(0); // custom section id
    bytes.push(payload.len() as u8);
    bytes.extend(payload);
    bytes
}

/// Uploads `bytes` as plugin `name` with `token`; returns the report.
pub async fn upload_plugin(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let (status, body) = app.upload_as(token, name, bytes).await;
    assert!(status == 201 || status == 200, "{body}");
    body
}

/// Polls `GET /v1/instances/{id}` as `token` until `done` holds (10 s at most).
pub async fn wait_instance(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = app.get_as(token, &format!("/v1/instances/{id}")).await;
        assert_eq!(status, 200, "{body}");
        if done(&body) {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "instance never got there: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Places an order for `spec`/`sku` of `product` as `customer` and waits
/// for its instance to be active; returns the instance id.
pub async fn buy_active(
    app: &TestApp,
    customer: &str,
    product: &str,
    spec: &str,
    sku: &str,
    mode: &str,
) -> String {
    let (status, body) = app
        .post_as(
            customer,
            "/v1/orders",
            json!({"product": product, "specification": spec, "sku": sku, "billing-mode": mode}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["instance"]["id"].as_str().unwrap().to_string();
    wait_instance(app, customer, &id, |i| i["state"] == "active").await;
    id
}

/// Polls an order until it is no longer processing.
pub async fn wait_order(app: &TestApp, token: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = app.get_as(token, &format!("/v1/orders/{id}")).await;
        assert_eq!(status, 200, "{body}");
        if body["state"] != "processing" {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "order never finished: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every feed event of a seller.
pub async fn feed(app: &TestApp, seller: &str) -> Vec<Value> {
    let (status, body) = app.get_as(seller, "/v1/feed?after=0&limit=1000").await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}
