//! A seller's plugin configuration is theirs: customers never see it (nor
//! the plugin versions behind a product), secret keys are write-only, and
//! every value is encrypted at rest.

use bazaar_tests::market::{listed_product_with, wait_instance};
use bazaar_tests::spawn_app;
use reqwest::Method;
use serde_json::{Value, json};

/// Every text value stored in the `products` and `release_applications`
/// tables, concatenated.
async fn stored_products(url: &str) -> String {
    use sqlx::Connection;
    let q = "SELECT draft || COALESCE(live, '') FROM products \
             UNION ALL SELECT snapshot FROM release_applications";
    let rows: Vec<String> = if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap()
    };
    rows.concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_never_see_plugin_config_and_secrets_are_write_only() {
    let app = spawn_app().await;
    let (seller, pid, sha) = listed_product_with(&app, "saas_lifecycle", |d| {
        d["plugin-config"] = json!({
            "base-url": "https://crm.acme.test",
            "api-key": "sk-live-4242",
            "tenant": "acme"
        });
        d["plugin-config-secrets"] = json!(["api-key", "base-url"]);
    })
    .await;
    let (_, customer) = app.customer("Carol").await;

    // Customers: no configuration, no plugin ids, in the list or the page.
    for path in ["/v1/products".to_string(), format!("/v1/products/{pid}")] {
        let (status, body) = app.get_as(&customer, &path).await;
        assert_eq!(status, 200, "{body}");
        let text = body.to_string();
        for leak in [
            "sk-live",
            "crm.acme.test",
            "plugin-config",
            sha.as_str(),
            "acme\"",
        ] {
            assert!(
                !text.contains(leak),
                "{path} shows a customer {leak:?}: {text}"
            );
        }
    }

    // The seller sees secrets masked and the rest as entered.
    let (_, mine) = app.get_as(&seller, &format!("/v1/products/{pid}")).await;
    for def in ["draft", "live"] {
        let config = &mine[def]["plugin-config"];
        assert_eq!(config["api-key"], "********", "{def}: {mine}");
        assert_eq!(config["base-url"], "********", "{def}: {mine}");
        assert_eq!(config["tenant"], "acme", "{def}: {mine}");
    }
    assert!(!mine.to_string().contains("sk-live"), "{mine}");

    // Nothing is stored in clear.
    let stored = stored_products(&app.database_url).await;
    for clear in ["sk-live-4242", "crm.acme.test", "\"acme\""] {
        assert!(!stored.contains(clear), "{clear} stored in clear");
    }

    // The plugin still gets the real values: the instance's address is
    // built from the secret base URL.
    let order = json!({"product": pid, "specification": "standard", "sku": "basic", "billing-mode": "monthly"});
    let (status, placed) = app.post_as(&customer, "/v1/orders", order).await;
    assert_eq!(status, 202, "{placed}");
    let iid = placed["instance"]["id"].as_str().unwrap();
    let inst = wait_instance(&app, &customer, iid, |i| i["state"] == "active").await;
    let url = inst["app"]["frontend-url"].as_str().unwrap_or_default();
    assert!(url.starts_with("https://crm.acme.test/"), "{inst}");

    // Sending the draft back as shown keeps the secrets; a mask on a key
    // that has no saved secret is refused.
    let mut draft: Value = mine["draft"].clone();
    draft["version"] = json!("V1.1");
    let path = format!("/v1/products/{pid}/draft");
    let (status, body) = app
        .send_as(&seller, Method::PUT, &path, draft.clone(), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, again) = app.get_as(&seller, &format!("/v1/products/{pid}")).await;
    assert_eq!(again["draft"]["version"], "V1.1");
    assert_eq!(again["draft"]["plugin-config"]["api-key"], "********");
    draft["plugin-config"]["tenant"] = json!("********");
    let (status, body) = app.send_as(&seller, Method::PUT, &path, draft, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "plugin-config.tenant", "{body}");
    app.stop().await;
}

/// Plugin key-value state is sealed at rest with the service's key: the
/// database holds none of what the plugin wrote in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_state_is_encrypted_at_rest() {
    use sqlx::Connection;
    let app = spawn_app().await;
    let (_, pid, _) = bazaar_tests::market::listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let iid =
        bazaar_tests::market::buy_active(&app, &customer, &pid, "standard", "basic", "monthly")
            .await;
    let (_, inst) = app.get_as(&customer, &format!("/v1/instances/{iid}")).await;
    let seller_id = inst["seller-instance-id"].as_str().unwrap().to_string();
    let q = "SELECT value FROM plugin_kv";
    let values: Vec<Vec<u8>> = if app.database_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap()
    };
    assert!(
        values.len() >= 2,
        "the plugin keeps an order and an instance record"
    );
    for v in &values {
        let text = String::from_utf8_lossy(v);
        for clear in [seller_id.as_str(), "frontend-url", "state=running"] {
            assert!(!text.contains(clear), "plugin state in clear: {text}");
        }
    }
    // ...and the plugin still reads it: a renewal finds its record.
    let (status, renewal) = app
        .post_as(&customer, &format!("/v1/instances/{iid}/renew"), json!({}))
        .await;
    assert_eq!(status, 202, "{renewal}");
    let done =
        bazaar_tests::market::wait_order(&app, &customer, renewal["order"]["id"].as_str().unwrap())
            .await;
    assert_eq!(done["state"], "completed", "{done}");
    app.stop().await;
}
