//! A seller's way from plugin upload to a customer's released instance, and
//! the rules of ownership, idempotency and release review on the way.

use bazaar_tests::clock;
use bazaar_tests::market::{
    feed, listed_product, product_draft, record_cases, wait_instance, wait_order,
};
use bazaar_tests::{plugin_bytes, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_goes_from_upload_to_a_released_instance() {
    let app = spawn_app().await;
    let (_, seller) = app.account("seller", "Acme").await;
    let (status, body) = app
        .upload_as(&seller, "crm-lifecycle", plugin_bytes("saas_lifecycle"))
        .await;
    assert_eq!(status, 201, "{body}");
    let sha = body["sha256"].as_str().unwrap().to_string();

    // A broken definition: every problem comes back with where it is.
    let mut bad = product_draft(&sha);
    bad["name"] = json!("");
    bad["specifications"][0]["trial"] = json!({"days": 200});
    let (status, body) = app.post_as(&seller, "/v1/products", bad).await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"name"), "{body}");
    assert!(fields.contains(&"specifications[0].trial.days"), "{body}");
    // A plugin the seller does not own.
    let (status, body) = app
        .post_as(&seller, "/v1/products", product_draft(&"a".repeat(64)))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "lifecycle-plugin", "{body}");

    let (status, product) = app
        .post_as(&seller, "/v1/products", product_draft(&sha))
        .await;
    assert_eq!(status, 201, "{product}");
    let pid = product["id"].as_str().unwrap().to_string();
    assert_eq!(product["status"], "unlisted");

    // Customers see nothing before release.
    let (_, customer) = app.customer("Alice").await;
    let (status, _) = app.get_as(&customer, &format!("/v1/products/{pid}")).await;
    assert_eq!(status, 404);

    // Review: a rejection needs a reason; the seller resubmits; approval lists it.
    let submit = format!("/v1/products/{pid}/release-applications");
    record_cases(&app, &seller, &sha).await;
    let (status, first) = app.post_as(&seller, &submit, json!({})).await;
    assert_eq!(status, 201, "{first}");
    let (status, _) = app.post_as(&seller, &submit, json!({})).await;
    assert_eq!(status, 409, "one pending application per product");
    let first_id = first["id"].as_str().unwrap();
    let (status, body) = app
        .post_as(
            &app.operator,
            &format!("/v1/release-applications/{first_id}/reject"),
            json!({}),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    let (status, body) = app
        .post_as(
            &seller,
            &format!("/v1/release-applications/{first_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "sellers do not approve: {body}");
    let (status, body) = app
        .post_as(
            &app.operator,
            &format!("/v1/release-applications/{first_id}/reject"),
            json!({"reason": "logo missing"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = app
        .get_as(&seller, &format!("/v1/release-applications/{first_id}"))
        .await;
    assert_eq!(
        (body["state"].as_str(), body["reason"].as_str()),
        (Some("rejected"), Some("logo missing"))
    );
    let (status, second) = app.post_as(&seller, &submit, json!({})).await;
    assert_eq!(status, 201);
    assert_eq!(second["version"], 1);
    let (_, pending) = app
        .get_as(&app.operator, "/v1/release-applications?state=pending")
        .await;
    assert_eq!(pending["applications"].as_array().unwrap().len(), 1);
    let second_id = second["id"].as_str().unwrap();
    let (status, _) = app
        .post_as(
            &app.operator,
            &format!("/v1/release-applications/{second_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, listed) = app.get_as(&customer, "/v1/products").await;
    assert_eq!(listed["products"][0]["id"], pid.as_str());
    assert!(
        listed["products"][0].get("draft").is_none(),
        "customers see the live version only"
    );

    // Subscribe, with an idempotency key: a retry returns the same order.
    let order = json!({"product": pid, "specification": "standard", "sku": "basic",
                       "billing-mode": "monthly", "periods": 2, "quantity": 5});
    let (status, placed) = app
        .send_as(
            &customer,
            Method::POST,
            "/v1/orders",
            order.clone(),
            Some("k-1"),
        )
        .await;
    assert_eq!(status, 202, "{placed}");
    assert_eq!(
        placed["order"]["amount"], "100.00",
        "10.00 x 5 users x 2 months"
    );
    let (status, again) = app
        .send_as(
            &customer,
            Method::POST,
            "/v1/orders",
            order.clone(),
            Some("k-1"),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["order"]["id"], placed["order"]["id"]);
    let mut other = order.clone();
    other["quantity"] = json!(6);
    let (status, _) = app
        .send_as(&customer, Method::POST, "/v1/orders", other, Some("k-1"))
        .await;
    assert_eq!(status, 409, "a reused key with another request is refused");

    let iid = placed["instance"]["id"].as_str().unwrap().to_string();
    let oid = placed["order"]["id"].as_str().unwrap().to_string();
    let inst = wait_instance(&app, &customer, &iid, |i| i["state"] == "active").await;
    assert_eq!(
        wait_order(&app, &customer, &oid).await["state"],
        "completed"
    );
    let password = inst["app"]["password"].as_str().unwrap().to_string();
    assert!(
        inst["app"]["frontend-url"]
            .as_str()
            .unwrap()
            .starts_with("https://crm.acme.test/"),
        "{inst}"
    );
    let seller_instance = inst["seller-instance-id"].as_str().unwrap().to_string();
    assert!(seller_instance.starts_with("inst-"));

    // The seller's systems learn about it from the feed, credentials included.
    let events = feed(&app, &seller).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "instance.provisioned");
    assert_eq!(events[0]["app"]["password"], password.as_str());
    assert_eq!(
        events[0]["detail"]["seller-instance-id"],
        seller_instance.as_str()
    );

    // Nobody else sees any of it: 404, not 403.
    let (_, intruder) = app.account("seller", "Mallory").await;
    let (_, snoop) = app.customer("Eve").await;
    for (token, path) in [
        (&intruder, format!("/v1/products/{pid}")),
        (&intruder, format!("/v1/instances/{iid}")),
        (&intruder, format!("/v1/orders/{oid}")),
        (&intruder, format!("/v1/plugins/{sha}")),
        (&snoop, format!("/v1/instances/{iid}")),
        (&snoop, format!("/v1/orders/{oid}")),
    ] {
        let (status, body) = app.get_as(token, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    assert!(feed(&app, &intruder).await.is_empty());
    let (_, theirs) = app.get_as(&snoop, "/v1/instances").await;
    assert!(theirs["instances"].as_array().unwrap().is_empty());
    let (status, _) = app
        .post_as(&snoop, &format!("/v1/instances/{iid}/renew"), json!({}))
        .await;
    assert_eq!(status, 404);

    // Renew one month: the period extends from the old expiry.
    let expires = inst["expires-at"].as_i64().unwrap();
    let (status, renewal) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{iid}/renew"),
            json!({"periods": 1}),
        )
        .await;
    assert_eq!(status, 202, "{renewal}");
    assert_eq!(
        wait_order(&app, &customer, renewal["order"]["id"].as_str().unwrap()).await["state"],
        "completed"
    );
    let inst = wait_instance(&app, &customer, &iid, |i| {
        i["expires-at"].as_i64() > Some(expires)
    })
    .await;
    let renewed_until = inst["expires-at"].as_i64().unwrap();

    // Upgrades go up only.
    let (status, body) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{iid}/upgrade"),
            json!({"sku": "basic", "quantity": 4}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("sku")),
        "{body}"
    );
    let (status, up) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{iid}/upgrade"),
            json!({"sku": "pro"}),
        )
        .await;
    assert_eq!(status, 202, "{up}");
    assert!(
        up["order"]["amount"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    let inst = wait_instance(&app, &customer, &iid, |i| i["sku"] == "pro").await;
    assert_eq!(inst["quantity"], 5);

    // Time passes beyond the paid period: the instance freezes; a renewal thaws it.
    let now = clock::now(&app).await;
    clock::advance(&app, renewed_until - now + 1000).await;
    let inst = wait_instance(&app, &customer, &iid, |i| i["state"] == "frozen").await;
    assert_eq!(inst["freeze-reason"], "expired");
    let (status, renewal) = app
        .post_as(&customer, &format!("/v1/instances/{iid}/renew"), json!({}))
        .await;
    assert_eq!(status, 202, "{renewal}");
    // Renewed, then thawed: the plugin hears `renew` and then `unfreeze`
    // (both in the feed, below), and the instance runs again.
    wait_instance(&app, &customer, &iid, |i| i["state"] == "active").await;

    // Unsubscribe releases it at once; the plugin is told.
    let (status, gone) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{iid}/unsubscribe"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{gone}");
    assert_eq!(gone["instance"]["state"], "released");
    wait_order(&app, &customer, gone["order"]["id"].as_str().unwrap()).await;
    let kinds: Vec<String> = feed(&app, &seller)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "instance.provisioned",
            "instance.renewed",
            "instance.upgraded",
            "instance.frozen",
            "instance.renewed",
            "instance.unfrozen",
            "instance.released"
        ],
    );
    let (status, body) = app
        .post_as(&customer, &format!("/v1/instances/{iid}/renew"), json!({}))
        .await;
    assert_eq!(status, 409, "a released instance cannot be renewed: {body}");

    // The credentials are encrypted at rest.
    let raw = raw_app_info(&app.database_url, &iid).await;
    assert!(!raw.is_empty());
    assert!(
        !String::from_utf8_lossy(&raw).contains(&password),
        "password stored in clear"
    );
    app.stop().await;
}

async fn raw_app_info(url: &str, id: &str) -> Vec<u8> {
    use sqlx::Connection;
    let q = "SELECT app_info FROM instances WHERE id = $1";
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(q)
            .bind(id)
            .fetch_one(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(q)
            .bind(id)
            .fetch_one(&mut c)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_plugin_fails_the_order_cleanly_and_transient_errors_are_retried() {
    let app = spawn_app().await;
    let (seller, pid, _) = listed_product(&app, "hostile", false).await;
    let order = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});

    let (_, refused) = app.customer("refuse").await;
    let (status, placed) = app.post_as(&refused, "/v1/orders", order.clone()).await;
    assert_eq!(status, 202, "{placed}");
    let done = wait_order(&app, &refused, placed["order"]["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "failed");
    // The customer reads a neutral reason; the seller and the operator read
    // what the plugin said.
    let neutral = done["failure"].as_str().unwrap();
    assert!(neutral.contains("the seller has been told why"), "{done}");
    assert!(!neutral.contains("refuses"), "{done}");
    for token in [&seller, &app.operator] {
        let (status, seen) = app
            .get_as(
                token,
                &format!("/v1/orders/{}", done["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(status, 200, "{seen}");
        assert!(
            seen["failure"].as_str().unwrap().contains("refuses"),
            "{seen}"
        );
    }
    let inst = wait_instance(
        &app,
        &refused,
        placed["instance"]["id"].as_str().unwrap(),
        |i| i["state"] == "failed",
    )
    .await;
    assert!(inst["app"].is_null());

    // Transient until the clock reaches an hour from now: retried with
    // backoff, then provisioned once time has moved.
    let now = clock::now(&app).await;
    let (_, patient) = app
        .customer(&format!("transient-until:{}", now + 3_600_000))
        .await;
    let (status, placed) = app.post_as(&patient, "/v1/orders", order.clone()).await;
    assert_eq!(status, 202);
    let iid = placed["instance"]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, still) = app.get_as(&patient, &format!("/v1/instances/{iid}")).await;
    assert_eq!(still["state"], "provisioning", "{still}");
    clock::advance(&app, 7_200_000).await;
    wait_instance(&app, &patient, &iid, |i| i["state"] == "active").await;

    let kinds: Vec<Value> = feed(&app, &seller)
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("order.failed"), json!("instance.provisioned")]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_limits_trials_and_bad_orders_are_refused_with_reasons() {
    let app = spawn_app().await;
    let (_, pid, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Bob").await;
    let ent = json!({"product": pid, "specification": "enterprise", "sku": "ent", "billing-mode": "yearly"});
    let (status, first) = app.post_as(&customer, "/v1/orders", ent.clone()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["order"]["amount"], "5000.00");
    let (status, body) = app.post_as(&customer, "/v1/orders", ent.clone()).await;
    assert_eq!(status, 409, "once per customer: {body}");

    let trial = json!({"product": pid, "specification": "standard", "sku": "pro", "billing-mode": "yearly", "trial": true});
    let (status, t) = app.post_as(&customer, "/v1/orders", trial.clone()).await;
    assert_eq!(status, 202, "{t}");
    assert_eq!(t["order"]["amount"], "0.00");
    let (status, _) = app.post_as(&customer, "/v1/orders", trial.clone()).await;
    assert_eq!(status, 409, "one trial per customer and specification");

    for (patch, field) in [
        (json!({"specification": "nope"}), "specification"),
        (json!({"sku": "nope"}), "sku"),
        (json!({"quantity": 101}), "quantity"),
        (json!({"billing-mode": "one-time"}), "billing-mode"),
        (json!({"periods": 0}), "periods"),
        (json!({"billing-mode": "weekly"}), "billing-mode"),
        (json!({"quantity": -1}), "quantity"),
    ] {
        let mut body = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, reply) = app.post_as(&customer, "/v1/orders", body).await;
        assert_eq!(
            (status, reply["field"].as_str()),
            (400, Some(field)),
            "{reply}"
        );
    }
    let (status, reply) = app.post_as(&customer, "/v1/orders", json!({"product": "prod_nope", "specification": "s", "sku": "s", "billing-mode": "monthly"})).await;
    assert_eq!(status, 404, "{reply}");
    let (status, _) = app.post_as(&app.seller, "/v1/orders", ent).await;
    assert_eq!(status, 403, "sellers do not buy");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervised_orders_walk_the_service_flow() {
    let app = spawn_app().await;
    let (seller, pid, _) = listed_product(&app, "saas_lifecycle", true).await;
    let (_, customer) = app.customer("Dana").await;
    let order = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});
    let (_, placed) = app.post_as(&customer, "/v1/orders", order.clone()).await;
    let oid = placed["order"]["id"].as_str().unwrap().to_string();
    let iid = placed["instance"]["id"].as_str().unwrap().to_string();
    wait_instance(&app, &customer, &iid, |i| i["state"] == "active").await;
    // Provisioned, but the order waits for the service flow (seeds §6.2).
    let (_, o) = app.get_as(&customer, &format!("/v1/orders/{oid}")).await;
    assert_eq!(o["state"], "processing", "{o}");
    let (status, _) = app
        .post_as(&customer, &format!("/v1/instances/{iid}/renew"), json!({}))
        .await;
    assert_eq!(status, 409, "no renewal while the order is in supervision");

    let path = format!("/v1/orders/{oid}/service-flow");
    let (status, body) = app
        .post_as(&seller, &path, json!({"action": "accept-request"}))
        .await;
    assert_eq!(status, 409, "nothing to accept yet: {body}");
    let (status, body) = app
        .post_as(
            &customer,
            &path,
            json!({"action": "submit-request", "details": "  "}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let steps = [
        (
            &customer,
            json!({"action": "submit-request", "details": "Tenant acme, 5 users"}),
        ),
        (&seller, json!({"action": "accept-request"})),
        (
            &seller,
            json!({"action": "deliver", "details": "Tenant ready"}),
        ),
        (&customer, json!({"action": "accept-delivery"})),
    ];
    for (token, step) in steps {
        let (status, body) = app.post_as(token, &path, step).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, flow) = app.get_as(&customer, &path).await;
    assert_eq!(flow["flow"]["state"]["state"], "completed", "{flow}");
    // §6.2: the order completes three hours after the acceptance.
    let completes_at = flow["completes-at"].as_i64().expect("completes-at");
    let accepted_at = clock::now(&app).await;
    assert!(
        completes_at > accepted_at + 3_600_000 * 3 - 60_000,
        "{flow}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, still) = app.get_as(&customer, &format!("/v1/orders/{oid}")).await;
    assert_eq!(
        still["state"], "processing",
        "completed at acceptance: {still}"
    );
    clock::advance(&app, completes_at - accepted_at + 1_000).await;
    assert_eq!(
        wait_order(&app, &customer, &oid).await["state"],
        "completed"
    );
    let (status, _) = app
        .post_as(&customer, &format!("/v1/instances/{iid}/renew"), json!({}))
        .await;
    assert_eq!(status, 202, "renewals carry no service flow");

    // Three rejected requests let the customer appeal; the operator closes
    // the order: it fails and the instance is released.
    let (_, second) = app.post_as(&customer, "/v1/orders", order).await;
    let oid2 = second["order"]["id"].as_str().unwrap().to_string();
    let iid2 = second["instance"]["id"].as_str().unwrap().to_string();
    let path = format!("/v1/orders/{oid2}/service-flow");
    let (status, _) = app
        .post_as(
            &customer,
            &path,
            json!({"action": "appeal", "reason": "too early"}),
        )
        .await;
    assert_eq!(status, 409);
    for _ in 0..3 {
        app.post_as(
            &customer,
            &path,
            json!({"action": "submit-request", "details": "please"}),
        )
        .await;
        let (status, body) = app
            .post_as(
                &seller,
                &path,
                json!({"action": "reject-request", "reason": "not now"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = app
        .post_as(
            &customer,
            &path,
            json!({"action": "appeal", "reason": "the seller refuses"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .post_as(&seller, &path, json!({"action": "accept-request"}))
        .await;
    assert_eq!(status, 409, "an appealed flow is frozen");
    let (status, body) = app
        .post_as(
            &app.operator,
            &path,
            json!({"action": "resolve-appeal", "resume": false, "note": "refunded"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["state"], "failed");
    wait_instance(&app, &customer, &iid2, |i| i["state"] == "released").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trial_allow_lists_and_quantity_caps_hold() {
    let app = spawn_app().await;
    let (vip_id, vip) = app.customer("Vip").await;
    let (_, other) = app.customer("Other").await;
    let (seller, pid, _) = bazaar_tests::market::listed_product_with(&app, "saas_lifecycle", |d| {
        d["specifications"][0]["trial-allow-list"] = json!([vip_id]);
        d["specifications"][0]["purchase-limit"] =
            json!({"once-per-customer": false, "max-quantity": 10});
    })
    .await;
    let trial = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly", "trial": true});
    let (status, body) = app.post_as(&other, "/v1/orders", trial.clone()).await;
    assert_eq!(status, 403, "not on the allow-list: {body}");
    let (status, body) = app.post_as(&vip, "/v1/orders", trial).await;
    assert_eq!(status, 202, "{body}");

    let many = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly", "quantity": 11});
    let (status, body) = app.post_as(&other, "/v1/orders", many).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("quantity")),
        "{body}"
    );

    // Hidden (§5.4): out of the catalogue, still bought through its id;
    // removed: gone.
    let status_path = format!("/v1/products/{pid}/status");
    let (status, body) = app
        .post_as(&seller, &status_path, json!({"status": "hidden"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, catalogue) = app.get_as(&other, "/v1/products").await;
    assert!(
        !catalogue.to_string().contains(&pid),
        "a hidden product is not in the catalogue: {catalogue}"
    );
    let order = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});
    let (status, body) = app.post_as(&other, "/v1/quotes", order.clone()).await;
    assert_eq!(status, 200, "a hidden product is quoted by id: {body}");
    let (status, body) = app.post_as(&other, "/v1/orders", order.clone()).await;
    assert_eq!(status, 202, "a hidden product is bought by id: {body}");
    let (status, _) = app.get_as(&other, &format!("/v1/products/{pid}")).await;
    assert_eq!(status, 200);

    let (status, _) = app
        .post_as(
            &app.operator,
            &format!("/v1/products/{pid}/status"),
            json!({"status": "removed"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get_as(&other, &format!("/v1/products/{pid}")).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .post_as(
            &seller,
            &format!("/v1/products/{pid}/status"),
            json!({"status": "listed"}),
        )
        .await;
    assert_eq!(status, 409, "a removed product stays removed: {body}");
    app.stop().await;
}

/// A seller previews the prices of a product never released, as the draft
/// defines them; customers cannot see it at all.
#[tokio::test]
async fn a_seller_quotes_their_own_unreleased_product() {
    let app = spawn_app().await;
    let (_, seller) = app.account("seller", "Acme").await;
    let (_, customer) = app.customer("Carol").await;
    let (_, other_seller) = app.account("seller", "Rival").await;
    let sha = bazaar_tests::market::upload_plugin(
        &app,
        &seller,
        "lifecycle",
        bazaar_tests::plugin_bytes("saas_lifecycle"),
    )
    .await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .post_as(
            &seller,
            "/v1/products",
            bazaar_tests::market::product_draft(&sha),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let pid = body["id"].as_str().unwrap().to_string();
    let ask = json!({"product": pid, "specification": "standard", "sku": "pro",
                     "billing-mode": "monthly", "periods": 3, "quantity": 2});
    let (status, body) = app.post_as(&seller, "/v1/quotes", ask.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["quote"]["total"], "150.00",
        "25.00 x 2 users x 3 months: {body}"
    );
    for token in [&customer, &other_seller] {
        let (status, body) = app.post_as(token, "/v1/quotes", ask.clone()).await;
        assert_eq!(status, 404, "{body}");
    }
    let (status, body) = app.post_as(&seller, "/v1/orders", ask).await;
    assert_eq!(status, 403, "a seller previews, never buys: {body}");
    app.stop().await;
}

/// A plugin call that exhausts its memory or stack, traps or answers too
/// much fails the same way on every retry: its order fails at once with the
/// failure's kind, instead of provisioning for half an hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_a_retry_cannot_change_fail_the_order_at_once() {
    let app = spawn_app().await;
    let (seller, pid, _) = listed_product(&app, "hostile", false).await;
    let order = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});
    for (mode, kind) in [
        ("memory", "memory-exhausted"),
        ("recurse", "stack-overflow"),
        ("panic", "trap"),
        ("big-output", "output-too-large"),
    ] {
        let (_, customer) = app.customer(mode).await;
        let (status, placed) = app.post_as(&customer, "/v1/orders", order.clone()).await;
        assert_eq!(status, 202, "{placed}");
        let id = placed["order"]["id"].as_str().unwrap();
        let done = wait_order(&app, &customer, id).await;
        assert_eq!(done["state"], "failed", "{mode}: {done}");
        let (_, seen) = app.get_as(&seller, &format!("/v1/orders/{id}")).await;
        let why = seen["failure"].as_str().unwrap_or_default();
        assert!(why.contains(kind), "{mode}: the seller reads {why:?}");
    }
    app.stop().await;
}

/// Each node keeps the products it read for a second: a product removed on
/// one node is refused at once there and within that second (plus slack for
/// a loaded machine) on another sharing the database, and for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_removed_on_one_node_stops_selling_on_another_within_a_second() {
    use std::time::{Duration, Instant};
    let (a, b) = bazaar_tests::spawn_two_nodes(|_| {}).await;

    let (_, pid, _) = listed_product(&a, "saas_lifecycle", false).await;
    let (_, customer) = a.customer("Carol").await;
    let (status, body) = a
        .post_as(&customer, "/v1/balance/top-up", json!({"amount": "100.00"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let order = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});
    // Both nodes sell it (and have read it).
    for node in [&a, &b] {
        let (status, body) = node.post_as(&customer, "/v1/orders", order.clone()).await;
        assert_eq!(status, 202, "{body}");
    }

    let (status, body) = a
        .post_as(
            &a.operator,
            &format!("/v1/products/{pid}/status"),
            json!({"status": "removed"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let removed = Instant::now();
    let (status, body) = a.post_as(&customer, "/v1/orders", order.clone()).await;
    assert_eq!(status, 404, "node A sells a product it removed: {body}");
    loop {
        let (status, body) = b.post_as(&customer, "/v1/orders", order.clone()).await;
        if status == 404 {
            break;
        }
        assert_eq!(status, 202, "{body}");
        assert!(
            removed.elapsed() < Duration::from_secs(3),
            "node B still sells the product {:?} after its removal",
            removed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = b.post_as(&customer, "/v1/orders", order).await;
    assert_eq!(status, 404, "{body}");
}
