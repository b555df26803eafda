//! An `Idempotency-Key` makes every order retryable: a retry answers the
//! first order (200) whatever happened to it since, and the same JSON with
//! other whitespace or key order is the same request.

use bazaar_tests::market::{buy_active, listed_product, wait_order};
use bazaar_tests::{TestApp, reply, spawn_app};
use serde_json::Value;

/// POSTs the raw JSON `body` to `path` as `token` with `key`.
async fn post(app: &TestApp, token: &str, path: &str, body: &str, key: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    reply("post", res).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_instance_actions_answer_their_first_order_whatever_its_state() {
    let app = spawn_app().await;
    let (_, pid, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let iid = buy_active(&app, &customer, &pid, "standard", "basic", "monthly").await;
    let path = |action: &str| format!("/v1/instances/{iid}/{action}");

    // Renew: the first try and two immediate retries (one spelled
    // differently), then one after it completed.
    let (status, first) = post(&app, &customer, &path("renew"), r#"{"periods": 2}"#, "r-1").await;
    assert_eq!(status, 202, "{first}");
    let id = first["order"]["id"].as_str().unwrap().to_string();
    for body in [r#"{"periods": 2}"#, "{\n  \"periods\":2\n}"] {
        let (status, again) = post(&app, &customer, &path("renew"), body, "r-1").await;
        assert_eq!(status, 200, "an immediate retry: {again}");
        assert_eq!(again["order"]["id"], id.as_str());
    }
    assert_eq!(wait_order(&app, &customer, &id).await["state"], "completed");
    let (status, again) = post(&app, &customer, &path("renew"), r#"{"periods":2}"#, "r-1").await;
    assert_eq!(status, 200, "a retry after completion: {again}");
    assert_eq!(again["order"]["id"], id.as_str());
    assert_eq!(again["order"]["state"], "completed");
    // The same key for another request is refused.
    let (status, body) = post(&app, &customer, &path("renew"), r#"{"periods":3}"#, "r-1").await;
    assert_eq!(status, 409, "{body}");

    // Upgrade: a retry after completion would no longer raise the price.
    let up = r#"{"sku": "pro", "quantity": 2}"#;
    let reordered = r#"{"quantity": 2, "sku": "pro"}"#;
    let (status, first) = post(&app, &customer, &path("upgrade"), up, "u-1").await;
    assert_eq!(status, 202, "{first}");
    let id = first["order"]["id"].as_str().unwrap().to_string();
    let (status, again) = post(&app, &customer, &path("upgrade"), reordered, "u-1").await;
    assert_eq!(
        (status, again["order"]["id"].as_str()),
        (200, Some(id.as_str())),
        "{again}"
    );
    assert_eq!(wait_order(&app, &customer, &id).await["state"], "completed");
    let (status, again) = post(&app, &customer, &path("upgrade"), up, "u-1").await;
    assert_eq!(
        (status, again["order"]["id"].as_str()),
        (200, Some(id.as_str())),
        "{again}"
    );

    // Unsubscribe: a retry after the instance is released.
    let (status, first) = post(&app, &customer, &path("unsubscribe"), "{}", "x-1").await;
    assert_eq!(status, 202, "{first}");
    let id = first["order"]["id"].as_str().unwrap().to_string();
    wait_order(&app, &customer, &id).await;
    let (status, again) = post(&app, &customer, &path("unsubscribe"), " {} ", "x-1").await;
    assert_eq!(
        (status, again["order"]["id"].as_str()),
        (200, Some(id.as_str())),
        "{again}"
    );
    assert_eq!(again["instance"]["state"], "released", "{again}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_renewal_all_get_its_order() {
    let app = spawn_app().await;
    let (_, pid, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let iid = buy_active(&app, &customer, &pid, "standard", "basic", "monthly").await;
    let url = app.url(&format!("/v1/instances/{iid}/renew"));
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url, token) = (app.client.clone(), url.clone(), customer.clone());
        tries.spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("idempotency-key", "same")
                .body(r#"{"periods":1}"#)
                .send()
                .await
                .expect("request");
            reply("post", res).await
        });
    }
    let answers = tries.join_all().await;
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|(status, body)| {
            assert!(*status == 202 || *status == 200, "{status}: {body}");
            body["order"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one order for one key: {ids:?}");
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 202).count(),
        1,
        "exactly one try placed it"
    );
    app.stop().await;
}
