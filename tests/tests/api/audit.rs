//! The audit log (issue 14 §7): every `/v1` request that may change state,
//! answered or refused, leaves an entry — who, what, when, from where and
//! what came of it — that operators read at `GET /v1/audit`, filtered and
//! paged; no body, token or secret is ever in it.

use bazaar_tests::clock::{advance, now};
use bazaar_tests::market::listed_product_with;
use bazaar_tests::{TEST_OPERATOR_TOKEN, TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Every entry `query` (`actor=...&...`) selects, walking every page.
async fn entries(app: &TestApp, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/audit?limit=500&{query}");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let (status, body) = app.get_as(&app.operator, &path).await;
        assert_eq!(status, 200, "{path}: {}", body["message"]);
        all.extend(body["entries"].as_array().expect("entries").iter().cloned());
        match body["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => return all,
        }
    }
}

/// The one entry of `action` that `pick` accepts.
fn find<'a>(all: &'a [Value], action: &str, pick: impl Fn(&Value) -> bool) -> &'a Value {
    all.iter()
        .find(|e| e["action"] == action && pick(e))
        .unwrap_or_else(|| panic!("no {action} entry among {} entries", all.len()))
}

async fn account_id(app: &TestApp, token: &str) -> String {
    let (_, me) = app.get_as(token, "/v1/me").await;
    me["account"]["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn state_changes_are_recorded_with_who_what_and_the_result() {
    let app = spawn_app().await;
    let operator = account_id(&app, &app.operator).await;
    let (customer, carol) = app.account("customer", "Carol").await;

    // Tokens: made and revoked, the secret shown once.
    let (status, made) = app
        .post_as(&carol, "/v1/tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(status, 201);
    let token_id = made["token"]["id"].as_str().expect("id").to_string();
    let secret = made["secret"].as_str().expect("secret").to_string();
    let (status, _) = app
        .send_as(
            &carol,
            Method::DELETE,
            &format!("/v1/tokens/{token_id}"),
            json!({}),
            None,
        )
        .await;
    assert_eq!(status, 200);

    // A plugin, a product with a secret config value, its review decision.
    let (seller_token, product, _) = listed_product_with(&app, "saas_lifecycle", |d| {
        d["plugin-config"]["api-key"] = json!("sk-live-audit-secret");
        d["plugin-config-secrets"] = json!(["api-key"]);
    })
    .await;
    let seller = account_id(&app, &seller_token).await;
    let (status, _) = app
        .post_as(
            &seller_token,
            &format!("/v1/products/{product}/status"),
            json!({"status": "hidden"}),
        )
        .await;
    assert_eq!(status, 200);

    // The clock, moved by the operator and refused to a customer; a
    // request without a token; one carrying a request id.
    advance(&app, 1_000).await;
    let (status, _) = app
        .post_as(&carol, "/v1/clock/advance", json!({"ms": 5}))
        .await;
    assert_eq!(status, 403);
    let res = app
        .client
        .post(app.url("/v1/tokens"))
        .header("x-request-id", "req-audit-1")
        .json(&json!({"name": "nobody"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);

    let all = entries(&app, "").await;
    let created = find(&all, "accounts.create", |e| e["actor"] == operator.as_str());
    assert_eq!(created["role"], "operator");
    assert_eq!(created["status"], 201);
    assert_eq!(created["method"], "POST");
    assert_eq!(created["route"], "/v1/accounts");
    assert!(created["error"].is_null());
    assert!(created["at"].as_i64().is_some_and(|t| t > 0));
    assert!(
        created["wall-at"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000_000)
    );
    assert!(
        created["client"]
            .as_str()
            .is_some_and(|c| c.starts_with("127.0.0.1:"))
    );

    let token = find(&all, "tokens.create", |e| e["actor"] == customer.as_str());
    assert_eq!(
        (token["role"].as_str(), token["status"].as_i64()),
        (Some("customer"), Some(201))
    );
    let revoked = find(&all, "tokens.delete", |e| {
        e["resource"] == token_id.as_str()
    });
    assert_eq!(revoked["status"], 200);
    assert_eq!(revoked["route"], "/v1/tokens/{id}");

    let upload = find(&all, "plugins.create", |e| e["actor"] == seller.as_str());
    assert_eq!(upload["status"], 201);
    find(&all, "products.create", |e| {
        e["actor"] == seller.as_str() && e["status"] == 201
    });
    let status_change = find(&all, "products.status", |e| {
        e["resource"] == product.as_str()
    });
    assert_eq!(status_change["status"], 200);
    let approved = find(&all, "release-applications.approve", |e| e["status"] == 200);
    assert_eq!(approved["actor"], operator.as_str());

    find(&all, "clock.advance", |e| {
        e["status"] == 200 && e["actor"] == operator.as_str()
    });
    let refused = find(&all, "clock.advance", |e| e["status"] == 403);
    assert_eq!(refused["actor"], customer.as_str());
    assert_eq!(refused["error"], "forbidden");
    let anonymous = find(&all, "tokens.create", |e| e["status"] == 401);
    assert_eq!(
        (anonymous["actor"].as_str(), anonymous["role"].as_str()),
        (Some("anonymous"), Some("anonymous"))
    );
    assert_eq!(anonymous["error"], "unauthorized");
    assert_eq!(anonymous["request-id"], "req-audit-1");

    // Reads are not state changes; no token or secret is ever kept.
    assert!(
        all.iter().all(|e| e["method"] != "GET"),
        "GETs are not audited"
    );
    let text = serde_json::to_string(&all).expect("JSON");
    for kept_out in [
        secret.as_str(),
        carol.as_str(),
        seller_token.as_str(),
        TEST_OPERATOR_TOKEN,
        "sk-live-audit-secret",
        "crm.acme.test",
    ] {
        assert!(
            !text.contains(kept_out),
            "the audit log holds a secret or a body"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_is_filtered_and_paged() {
    let app = spawn_app().await;
    let (customer, carol) = app.account("customer", "Carol").await;
    for i in 0..4 {
        app.account("seller", &format!("Seller {i}")).await;
    }
    for _ in 0..3 {
        let (status, _) = app
            .post_as(
                &carol,
                "/v1/accounts",
                json!({"role": "seller", "name": "x"}),
            )
            .await;
        assert_eq!(status, 403);
    }
    let start = now(&app).await;
    advance(&app, 60_000).await;
    let later = now(&app).await;
    app.account("customer", "Dave").await;

    // By actor, action, route, status and outcome.
    let mine = entries(&app, &format!("actor={customer}")).await;
    assert_eq!(mine.len(), 3, "the customer's three refusals");
    assert!(
        mine.iter()
            .all(|e| e["status"] == 403 && e["error"] == "forbidden")
    );
    let made = entries(&app, "action=accounts.create").await;
    // The test seller, Carol, four sellers, Dave, and the three refusals.
    assert_eq!(made.len(), 10);
    assert_eq!(entries(&app, "route=/v1/accounts").await.len(), 10);
    let refused = entries(&app, "action=accounts.create&outcome=refused").await;
    assert_eq!(refused.len(), 3);
    let ok = entries(&app, "action=accounts.create&outcome=success").await;
    assert_eq!(ok.len(), 7);
    assert!(ok.iter().all(|e| e["status"] == 201));
    assert_eq!(
        entries(&app, "status-min=403&status-max=403").await.len(),
        3
    );
    assert_eq!(entries(&app, "status-min=500").await.len(), 0);
    assert_eq!(entries(&app, "resource=nothing-here").await.len(), 0);

    // By service time: the clock's move, then Dave.
    let since = entries(&app, &format!("since={later}&action=accounts.create")).await;
    assert_eq!(since.len(), 1, "only Dave's account was made since");
    let until = entries(&app, &format!("until={start}&action=accounts.create")).await;
    assert_eq!(until.len(), 9);

    // Pages of two: newest first, every entry once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = "/v1/audit?action=accounts.create&limit=2".to_string();
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let (status, body) = app.get_as(&app.operator, &path).await;
        assert_eq!(status, 200);
        let page = body["entries"].as_array().expect("entries");
        assert!(page.len() <= 2);
        seen.extend(page.iter().cloned());
        match body["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    let ids: Vec<&str> = seen.iter().filter_map(|e| e["id"].as_str()).collect();
    let expected: Vec<&str> = made.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(
        ids, expected,
        "pages walk the same entries in the same order"
    );
    let times: Vec<i64> = seen.iter().filter_map(|e| e["at"].as_i64()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let (status, body) = app.get_as(&app.operator, "/v1/audit?after=nonsense").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("after")));
    let (status, body) = app.get_as(&app.operator, "/v1/audit?outcome=maybe").await;
    assert_eq!(status, 400, "{}", body["message"]);
    app.stop().await;
}

#[tokio::test]
async fn only_operators_read_the_audit_log() {
    let app = spawn_app().await;
    let (_, carol) = app.account("customer", "Carol").await;
    for token in [app.seller.as_str(), carol.as_str()] {
        let (status, body) = app.get_as(token, "/v1/audit").await;
        assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    }
    let res = app
        .client
        .get(app.url("/v1/audit"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
    app.stop().await;
}
