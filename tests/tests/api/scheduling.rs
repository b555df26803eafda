//! Plugin calls share a bounded pool fairly: one seller's flood of debug
//! calls is held to its share and refused as `429 busy` (with `Retry-After`)
//! after its queue wait, while other sellers' calls and the HTTP service go
//! on; each seller's fuel and CPU time are counted for operators; and a
//! configuration promising more plugin memory than allowed does not start.

use bazaar_host::app::plugin_pool::PoolConfig;
use bazaar_tests::market::subscription;
use bazaar_tests::{TestApp, reply, shared_cache_dir, spawn_app, spawn_configured, test_settings};
use serde_json::{Value, json};
use std::time::Duration;

fn create_body(customer_name: &str, order: u64) -> Value {
    json!({
        "world": "lifecycle",
        "function": "create-instance",
        "input": {"subscription": subscription(customer_name, &format!("order-{order}"))},
        "now-ms": 0,
        "seed": order,
    })
}

/// At most 200 characters of a body, for assertion messages.
fn short(body: &Value) -> String {
    body.to_string().chars().take(200).collect()
}

/// The account id behind `token`.
async fn id_of(app: &TestApp, token: &str) -> String {
    let (status, me) = app.get_as(token, "/v1/me").await;
    assert_eq!(status, 200, "{}", short(&me));
    me["account"]["id"].as_str().expect("id").to_string()
}

/// `seller`'s entry of `GET /v1/plugin-usage` (as the operator).
async fn usage_of(app: &TestApp, seller: &str) -> Value {
    let (status, body) = app.get_as(&app.operator, "/v1/plugin-usage").await;
    assert_eq!(status, 200, "{}", short(&body));
    body["sellers"]
        .as_array()
        .expect("sellers")
        .iter()
        .find(|u| u["seller"] == seller)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_seller_is_refused_as_busy_while_others_are_served() {
    let (mut settings, dir) = test_settings(Vec::new(), None, Some(shared_cache_dir()), None).await;
    settings.plugin_pool = PoolConfig {
        threads: 4,
        worker_reserve: 1,
        seller_share: 2,
        debug_per_seller: 2,
        queue_wait: Duration::from_millis(300),
        // As in production: the flood's spinning threads yield the CPU to
        // everything else, the other tests of this binary included (their
        // epoch tickers keep time for deadlines).
        nice: 10,
    };
    let app = spawn_configured(settings, dir).await.expect("service");
    let hostile = app.upload_new("hostile").await;
    let flooder = id_of(&app, &app.seller).await;
    let (_, quiet) = app.account("seller", "Quiet Seller").await;
    let (status, up) = app
        .upload_as(
            &quiet,
            "quiet",
            bazaar_tests::plugin_bytes("saas_lifecycle"),
        )
        .await;
    assert_eq!(status, 201, "{}", short(&up));
    let quiet_sha = up["sha256"].as_str().expect("sha256").to_string();

    // 24 spinning debug calls at once, each running until its fuel or
    // deadline runs out: far more than two at a time can finish within
    // the queue wait, however fast the machine.
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..24u64 {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/v1/plugins/{hostile}/calls")),
            app.seller.clone(),
        );
        flood.spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&create_body("loop", i))
                .send()
                .await
                .expect("request");
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let (status, body) = reply("post", res).await;
            (status, retry_after, body)
        });
    }

    // Once the flood waits in the queue, another seller's call and the
    // catalogue are still answered: they do not queue behind it.
    let mut most_running = 0;
    let mut saw_queue = false;
    for _ in 0..500 {
        let u = usage_of(&app, &flooder).await;
        most_running = most_running.max(u["running"].as_u64().unwrap_or(0));
        if u["queued"].as_u64().unwrap_or(0) > 0 {
            saw_queue = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(saw_queue, "the flood never queued");
    let (status, body) = app
        .post_as(
            &quiet,
            &format!("/v1/plugins/{quiet_sha}/calls"),
            create_body("Alice", 1),
        )
        .await;
    assert_eq!(status, 200, "the quiet seller's call: {}", short(&body));
    let (status, body) = app.get_as(&app.operator, "/v1/products").await;
    assert_eq!(status, 200, "products: {}", short(&body));
    let u = usage_of(&app, &flooder).await;
    most_running = most_running.max(u["running"].as_u64().unwrap_or(0));
    assert!(most_running <= 2, "debug calls per seller: {most_running}");

    let mut busy = 0;
    for (status, retry_after, body) in flood.join_all().await {
        match status {
            429 => {
                busy += 1;
                assert_eq!(body["error"], "busy", "{}", short(&body));
                let secs: u64 = retry_after
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("429 without a Retry-After: {retry_after:?}"));
                assert!(secs >= 1, "Retry-After {secs}");
            }
            // Those that ran were stopped by their fuel or deadline.
            422 => assert_eq!(body["error"], "call-failed", "{}", short(&body)),
            other => panic!("flood call answered {other}: {}", short(&body)),
        }
    }
    assert!(busy > 0, "no flood call was refused as busy");
    let u = usage_of(&app, &flooder).await;
    assert_eq!(u["busy"], busy, "refusals counted: {}", short(&u));
    assert_eq!(
        (u["running"].as_u64(), u["queued"].as_u64()),
        (Some(0), Some(0))
    );
    app.stop().await;
}

#[tokio::test]
async fn each_sellers_fuel_and_cpu_time_are_counted_for_operators() {
    let app = spawn_app().await;
    let sha = app.upload_new("hostile").await;
    let seller = id_of(&app, &app.seller).await;
    let before = usage_of(&app, &seller).await;
    let (status, body) = app.call(&sha, create_body("friendly", 1)).await;
    assert_eq!(status, 200, "{}", short(&body));
    let fuel_of_one = body["fuel-used"].as_u64().expect("fuel-used");
    // A spin burns its whole budget: CPU time that cannot round to zero.
    let (status, body) = app.call(&sha, create_body("loop", 2)).await;
    assert_eq!(status, 422, "{}", short(&body));
    let after = usage_of(&app, &seller).await;
    let n = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
    assert_eq!(
        n(&after, "calls"),
        n(&before, "calls") + 2,
        "{}",
        short(&after)
    );
    assert_eq!(n(&after, "debug-calls"), n(&before, "debug-calls") + 2);
    assert!(
        n(&after, "fuel") > n(&before, "fuel") + fuel_of_one,
        "fuel: {}",
        short(&after)
    );
    assert!(
        n(&after, "cpu-us") > n(&before, "cpu-us"),
        "{}",
        short(&after)
    );
    assert!(
        n(&after, "wall-us") > n(&before, "wall-us"),
        "{}",
        short(&after)
    );

    // The figures are the operator's.
    let (status, body) = app.get("/v1/plugin-usage").await;
    assert_eq!(status, 403, "{}", short(&body));
    let (_, view) = app.get_as(&app.operator, "/v1/plugin-usage").await;
    assert_eq!(view["pool"]["threads"], 8, "{}", short(&view));
    app.stop().await;
}

#[tokio::test]
async fn a_config_promising_more_plugin_memory_than_the_total_does_not_start() {
    let (mut settings, dir) = test_settings(Vec::new(), None, Some(shared_cache_dir()), None).await;
    // 64 calls of 96 MiB at once would need 6 GiB; the total is 2 GiB.
    settings.plugin_pool = PoolConfig::for_threads(64);
    let Err(e) = spawn_configured(settings, dir).await else {
        panic!("a service promising 6 GiB of plugin memory started");
    };
    let message = e.to_string();
    assert!(message.contains("overcommitted"), "{message}");
    assert!(message.contains("6144 MiB"), "{message}");
    assert!(message.contains("--plugin-threads"), "{message}");

    // The same threads fit once each call gets less memory.
    let (mut settings, dir) = test_settings(Vec::new(), None, Some(shared_cache_dir()), None).await;
    settings.plugin_pool = PoolConfig {
        nice: 0,
        ..PoolConfig::for_threads(64)
    };
    settings.runtime.limits.memory_bytes = 32 << 20;
    let app = spawn_configured(settings, dir).await.expect("2 GiB fits");
    app.stop().await;
}
