//! Metrics (issue 14 §6): `GET /metrics` in the Prometheus text format,
//! for operators on the main address or for anyone on `--metrics-addr`;
//! requests counted and timed by route template, plugin calls by world,
//! function and outcome, and the sampled gauges.
//!
//! The tests of this binary share one process and so one recorder: counters
//! add up every service's requests, so these tests compare before and after
//! rather than expect exact values.

use bazaar_tests::market::create_case_call;
use bazaar_tests::{TestApp, spawn_app, spawn_configured, test_settings};
use serde_json::json;

/// The metrics page as `token` (none: anonymous) on the main address;
/// returns the status, content type and text.
async fn scrape_as(app: &TestApp, token: Option<&str>) -> (u16, String, String) {
    let mut req = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, res.text().await.expect("body"))
}

async fn scrape(app: &TestApp) -> String {
    let (status, _, text) = scrape_as(app, Some(&app.operator)).await;
    assert_eq!(status, 200, "an operator reads /metrics");
    text
}

/// The sum of the samples of `name` whose labels include every one of
/// `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().ok())
            .flatten()
        })
        .sum()
}

fn has_series(text: &str, name: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
}

#[tokio::test]
async fn requests_and_plugin_calls_are_counted() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    let missing = "prd_0123456789abcdef";
    for _ in 0..2 {
        let (status, _) = app.get(&format!("/v1/products/{missing}")).await;
        assert_eq!(status, 404);
    }
    assert_eq!(app.get("/v1/me").await.0, 200);
    assert_eq!(app.get("/v1/no-such-route").await.0, 404);
    let sha = app.upload_new("saas_lifecycle").await;
    let (status, _) = app.call(&sha, create_case_call("metrics-order")).await;
    assert_eq!(status, 200, "the debug call returns");
    let (status, _) = app
        .call(
            &sha,
            json!({"world": "lifecycle", "function": "create-instance", "input": {}}),
        )
        .await;
    assert_eq!(status, 422, "a call without its input fails with bad-input");
    let end = bazaar_tests::clock::now(&app).await - 60_000;
    let (status, _) = app
        .post_as(
            &app.seller,
            "/v1/usage",
            json!({"records": [{"metering-id": "metrics-1", "instance-id": "ins_none",
                "billing-item": "calls", "begin": end - 60_000, "end": end, "value": "1"}]}),
        )
        .await;
    assert_eq!(status, 200, "a batch answers per record");
    let after = scrape(&app).await;

    let product = [("route", "/v1/products/{id}"), ("status", "404")];
    let moved = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    assert!(moved("bazaar_http_requests_total", &product) >= 2.0);
    assert!(!after.contains(missing), "raw paths never become labels");
    assert!(moved("bazaar_http_requests_total", &[("route", "unmatched")]) >= 1.0);
    let me = [("route", "/v1/me"), ("method", "GET"), ("status", "200")];
    assert!(moved("bazaar_http_request_duration_seconds_count", &me) >= 1.0);
    assert!(has_series(
        &after,
        "bazaar_http_request_duration_seconds_bucket"
    ));
    assert!(after.contains("# TYPE bazaar_http_request_duration_seconds histogram"));

    let call = [("world", "lifecycle"), ("function", "create-instance")];
    let ok = [call[0], call[1], ("outcome", "ok")];
    let bad = [call[0], call[1], ("outcome", "bad-input")];
    assert!(moved("bazaar_plugin_calls_total", &ok) >= 1.0);
    assert!(moved("bazaar_plugin_calls_total", &bad) >= 1.0);
    assert!(moved("bazaar_plugin_call_fuel_count", &call) >= 2.0);
    assert!(sample(&after, "bazaar_plugin_call_fuel_sum", &call) > 0.0);
    assert!(moved("bazaar_plugin_call_duration_seconds_count", &call) >= 2.0);

    let unknown = [
        ("source", "api"),
        ("outcome", "refused"),
        ("reason", "unknown-instance"),
    ];
    assert!(moved("bazaar_usage_records_total", &unknown) >= 1.0);

    for gauge in [
        "bazaar_db_pool_connections",
        "bazaar_db_pool_idle_connections",
        "bazaar_db_pool_max_connections",
        "bazaar_jobs_queued",
        "bazaar_jobs_due",
    ] {
        assert!(has_series(&after, gauge), "{gauge} is sampled at scrape");
    }
    assert!(sample(&after, "bazaar_db_pool_max_connections", &[]) >= 1.0);
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_for_operators_only() {
    let app = spawn_app().await;
    let (status, kind, text) = scrape_as(&app, Some(&app.seller)).await;
    assert_eq!(status, 403);
    assert!(kind.starts_with("application/json"), "{kind}");
    let body: serde_json::Value = serde_json::from_str(&text).expect("JSON refusal");
    assert_eq!(body["error"], "forbidden");

    let (status, kind, text) = scrape_as(&app, None).await;
    assert_eq!(status, 401);
    assert!(kind.starts_with("application/json"), "{kind}");
    let body: serde_json::Value = serde_json::from_str(&text).expect("JSON refusal");
    assert_eq!(body["error"], "unauthorized");

    let (status, kind, text) = scrape_as(&app, Some(&app.operator)).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain"), "{kind}");
    assert!(text.contains("bazaar_http_requests_total"));
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_have_an_address_of_their_own() {
    let (mut settings, dir) = test_settings(Vec::new(), None, None, None).await;
    settings.metrics_addr = Some("127.0.0.1:0".parse().expect("address"));
    let app = spawn_configured(settings, dir).await.expect("starts");
    let metrics = app.metrics_base.clone().expect("a metrics address");
    assert_ne!(metrics, app.base);

    assert_eq!(app.get("/v1/me").await.0, 200);
    let res = app
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 200, "no token needed there");
    let text = res.text().await.expect("body");
    assert!(sample(&text, "bazaar_http_requests_total", &[("route", "/v1/me")]) >= 1.0);
    assert!(has_series(&text, "bazaar_jobs_due"));

    // Only /metrics there, and no /metrics on the main address.
    let res = app
        .client
        .get(format!("{metrics}/v1/me"))
        .bearer_auth(&app.seller)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 404);
    let (status, _, _) = scrape_as(&app, Some(&app.operator)).await;
    assert_eq!(status, 404, "with a metrics address, the main one has none");
    app.stop().await;
}
