//! Usage ingestion: per-record results for every kind of bad record,
//! deduplication by metering id, replayed batches that change nothing, and
//! the batch limit.

use bazaar_tests::clock::{self, HOUR};
use bazaar_tests::market::{buy_active as buy, listed_product_with};
use bazaar_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

/// A listed product with a pay-per-use specification `usage` (SKU `calls` at
/// 0.30 a unit) next to the monthly ones; returns (seller, product).
async fn metered_product(app: &TestApp) -> (String, String) {
    let (seller, product, _) = listed_product_with(app, "saas_lifecycle", |d| {
        d["metering-plugin"] = d["lifecycle-plugin"].clone();
        d["specifications"].as_array_mut().unwrap().push(json!({
            "id": "usage", "name": "Usage", "billing-modes": ["pay-per-use"],
            "skus": [{"id": "calls", "prices": {"pay-per-use": "0.30"}}]
        }));
    })
    .await;
    (seller, product)
}

fn record(id: &str, instance: &str, item: &str, end: i64, value: &str) -> Value {
    json!({"metering-id": id, "instance-id": instance, "billing-item": item,
           "begin": end - 60_000, "end": end, "value": value})
}

#[tokio::test]
async fn every_record_gets_a_result_and_replays_change_nothing() {
    let app = spawn_app().await;
    let (seller, product) = metered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;
    let metered = buy(&app, &customer, &product, "usage", "calls", "pay-per-use").await;
    let monthly = buy(&app, &customer, &product, "standard", "basic", "monthly").await;
    let now = clock::now(&app).await;
    // Usage is recorded after the purchase.
    clock::advance(&app, HOUR).await;
    let now = now + HOUR;

    // Begins before the instance was bought.
    let mut early = record("a-11", &metered, "calls", now, "1");
    early["begin"] = json!(now - 2 * HOUR);
    let batch = json!({"records": [
        record("a-1", &metered, "calls", now - 1_000, "8"),
        record("a-2", &metered, "calls", now - 2_000, "0.5"),
        record("a-1", &metered, "calls", now - 3_000, "9"),
        record("a-3", "ins_missing", "calls", now, "1"),
        record("a-4", &monthly, "basic", now, "1"),
        record("a-5", &metered, "minutes", now, "1"),
        record("a-6", &metered, "calls", now, "0"),
        record("a-7", &metered, "calls", now, "1e3"),
        record("a-8", &metered, "calls", now + HOUR, "1"),
        record("a-9", &metered, "calls", now - 8 * 24 * HOUR, "1"),
        json!({"metering-id": "a-10", "instance-id": metered, "value": 3}),
        early,
    ]});
    let (status, reply) = app.post_as(&seller, "/v1/usage", batch.clone()).await;
    assert_eq!(status, 200, "{reply}");
    let statuses: Vec<&str> = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "accepted",
            "accepted",
            "duplicate",
            "unknown-instance",
            "not-pay-per-use",
            "unknown-billing-item",
            "bad-value",
            "bad-value",
            "bad-time",
            "too-late",
            "invalid",
            "bad-time",
        ],
        "{reply}"
    );
    assert_eq!(
        (
            reply["accepted"].as_u64(),
            reply["duplicates"].as_u64(),
            reply["refused"].as_u64()
        ),
        (Some(2), Some(1), Some(9))
    );
    assert!(
        reply["results"][9]["message"]
            .as_str()
            .unwrap()
            .contains("late"),
        "{reply}"
    );

    // The same batch again: the two stored records are duplicates, nothing new.
    let (status, again) = app.post_as(&seller, "/v1/usage", batch).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(3)),
        "{again}"
    );

    // The customer sees the two records, with their values as sent (next to
    // what the metering plugin reported for the hour that has passed).
    let (status, usage) = app
        .get_as(&customer, &format!("/v1/instances/{metered}/usage"))
        .await;
    assert_eq!(status, 200, "{usage}");
    let values: Vec<&str> = usage["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "api")
        .map(|r| r["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["0.5", "8"], "{usage}");

    // Another seller cannot charge this instance, nor read its usage.
    let (other, _) = metered_product(&app).await;
    let (_, theirs) = app
        .post_as(
            &other,
            "/v1/usage",
            json!({"records": [record("b-1", &metered, "calls", now, "1")]}),
        )
        .await;
    assert_eq!(
        theirs["results"][0]["status"], "not-your-instance",
        "{theirs}"
    );
    let (status, _) = app
        .get_as(&other, &format!("/v1/instances/{metered}/usage"))
        .await;
    assert_eq!(status, 404);
    // Metering ids are per seller: the same id from another seller is not a duplicate.
    let (_, own) = app
        .post_as(
            &other,
            "/v1/usage",
            json!({"records": [record("a-1", "ins_missing", "calls", now, "1")]}),
        )
        .await;
    assert_eq!(own["results"][0]["status"], "unknown-instance");
}

/// Batches arriving together that share new metering ids store each id
/// once and answer `accepted` for it exactly once. On PostgreSQL this is the
/// path where a batch's `COPY` meets an id a concurrent batch stored first.
#[tokio::test]
async fn concurrent_batches_store_each_metering_id_once() {
    let app = spawn_app().await;
    let (seller, product) = metered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;
    let metered = buy(&app, &customer, &product, "usage", "calls", "pay-per-use").await;
    clock::advance(&app, HOUR).await;
    let now = clock::now(&app).await;
    const SENDERS: usize = 10;
    const SHARED: usize = 150;
    const OWN: usize = 20;
    // Backslashes and quotes go through the databases' escaping untouched.
    let shared = |n: usize| format!("s\\{n}\"q");
    let mut set = tokio::task::JoinSet::new();
    for k in 0..SENDERS {
        let mut records: Vec<Value> = (0..SHARED)
            .map(|n| record(&shared(n), &metered, "calls", now - 1_000, "1"))
            .collect();
        records
            .extend((0..OWN).map(|n| record(&format!("own-{k}-{n}"), &metered, "calls", now, "2")));
        // Each sender lists the shared ids in a different order.
        records.rotate_left(k * 17 % (SHARED + OWN));
        let req = app
            .client
            .post(app.url("/v1/usage"))
            .bearer_auth(&seller)
            .json(&json!({"records": records}));
        set.spawn(async move {
            let res = req.send().await.expect("request");
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.expect("json")
        });
    }
    let replies = set.join_all().await;
    let mut accepted = std::collections::HashMap::<String, usize>::new();
    for reply in &replies {
        assert_eq!(reply["refused"], 0, "{reply}");
        for r in reply["results"].as_array().unwrap() {
            let id = r["metering-id"].as_str().unwrap().to_string();
            match r["status"].as_str().unwrap() {
                "accepted" => *accepted.entry(id).or_default() += 1,
                "duplicate" => assert!(id.starts_with('s'), "{r}"),
                other => panic!("{other}: {r}"),
            }
        }
    }
    assert_eq!(accepted.len(), SHARED + SENDERS * OWN);
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");

    let (status, usage) = app
        .get_as(
            &customer,
            &format!("/v1/instances/{metered}/usage?limit=1000"),
        )
        .await;
    assert_eq!(status, 200, "{usage}");
    let ids: std::collections::HashSet<&str> = usage["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "api")
        .map(|r| r["metering-id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), SHARED + SENDERS * OWN);
    assert!(ids.contains(shared(7).as_str()), "{usage}");

    // NUL cannot be stored (PostgreSQL text refuses it), so it is refused
    // per record on both databases, and anywhere else in a body.
    let (_, reply) = app
        .post_as(
            &seller,
            "/v1/usage",
            json!({"records": [record("nul\u{0}", &metered, "calls", now, "1")]}),
        )
        .await;
    assert_eq!(reply["results"][0]["status"], "invalid", "{reply}");
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/accounts",
            json!({"role": "seller", "name": "a\u{0}b"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("bad-request")),
        "{body}"
    );
    let (status, body) = app.get_as(&customer, "/v1/instances/ins%00x").await;
    assert!(status == 400 || status == 404, "{status} {body}");
}

#[tokio::test]
async fn batches_are_bounded_and_only_sellers_send_them() {
    let app = spawn_app().await;
    let (seller, _) = metered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;
    let many: Vec<Value> = (0..1001)
        .map(|n| record(&format!("m-{n}"), "ins_x", "calls", 0, "1"))
        .collect();
    let (status, body) = app
        .post_as(&seller, "/v1/usage", json!({"records": many}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("records")),
        "{body}"
    );
    let (status, body) = app
        .post_as(&seller, "/v1/usage", json!({"records": []}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.post_as(&seller, "/v1/usage", json!({"rows": []})).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app
        .post_as(
            &customer,
            "/v1/usage",
            json!({"records": [record("c", "ins_x", "calls", 0, "1")]}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_metering_plugin_reports_each_hour_once() {
    let app = spawn_app().await;
    let (seller, product) = metered_product(&app).await;
    let (_, customer) = app.customer("Carol").await;
    let metered = buy(&app, &customer, &product, "usage", "calls", "pay-per-use").await;
    // Two hours later the purchase hour and the next one are collected.
    clock::advance(&app, 2 * HOUR + 1).await;
    let path = format!("/v1/instances/{metered}/usage");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let records = loop {
        let (status, usage) = app.get_as(&customer, &path).await;
        assert_eq!(status, 200, "{usage}");
        let records = usage["records"].as_array().unwrap().clone();
        if records.len() >= 2 {
            break records;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no usage collected: {usage}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        assert_eq!(r["source"], "plugin", "{r}");
        assert_eq!(r["billing-item"], "calls");
        assert_eq!(r["value"], "60", "an hour is 60 minutes: {r}");
        let (begin, end) = (r["begin"].as_i64().unwrap(), r["end"].as_i64().unwrap());
        assert_eq!((begin % HOUR, end - begin), (0, HOUR), "{r}");
    }
    assert_eq!(
        records[1]["begin"].as_i64(),
        records[0]["end"].as_i64(),
        "consecutive windows"
    );
    // Nothing was refused, and the seller re-sending the plugin's records
    // stores nothing twice.
    let (_, feed) = app.get_as(&seller, "/v1/feed?after=0&limit=100").await;
    assert!(
        !feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "usage.refused"),
        "{feed}"
    );
    let (_, inst) = app
        .get_as(&seller, &format!("/v1/instances/{metered}"))
        .await;
    let seller_id = inst["seller-instance-id"].as_str().unwrap();
    let again: Vec<Value> = records
        .iter()
        .map(|r| json!({"metering-id": format!("{seller_id}:{}", r["begin"]), "instance-id": metered,
                        "billing-item": "calls", "begin": r["begin"], "end": r["end"], "value": "60"}))
        .collect();
    let (_, reply) = app
        .post_as(&seller, "/v1/usage", json!({"records": again}))
        .await;
    assert_eq!(reply["duplicates"], 2, "{reply}");
}

/// A product metered by the hostile plugin, its pay-per-use SKU `sku`.
async fn hostile_metered(app: &TestApp, sku: &'static str) -> (String, String) {
    let (seller, product, _) = listed_product_with(app, "hostile", move |d| {
        d["metering-plugin"] = d["lifecycle-plugin"].clone();
        d["specifications"].as_array_mut().unwrap().push(json!({
            "id": "usage", "name": "Usage", "billing-modes": ["pay-per-use"],
            "skus": [{"id": sku, "prices": {"pay-per-use": "0.30"}}]
        }));
    })
    .await;
    (seller, product)
}

#[tokio::test]
async fn plugin_usage_is_checked_like_any_other_and_a_failing_plugin_holds_up_only_its_product() {
    let app = spawn_app().await;
    let (seller, good) = hostile_metered(&app, "calls").await;
    let (_, failing) = hostile_metered(&app, "fail").await;
    let (_, customer) = app.customer("Carol").await;
    let metered = buy(&app, &customer, &good, "usage", "calls", "pay-per-use").await;
    let stuck = buy(&app, &customer, &failing, "usage", "fail", "pay-per-use").await;
    clock::advance(&app, 2 * HOUR + 1).await;

    // Per hour the plugin reports a good record, a zero one and one for an
    // instance that does not exist: only the good ones are stored, and the
    // zero ones are reported to the seller on the feed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let path = format!("/v1/instances/{metered}/usage");
    loop {
        let (_, usage) = app.get_as(&customer, &path).await;
        let records = usage["records"].as_array().unwrap();
        if records.len() >= 2 {
            assert_eq!(records.len(), 2, "{usage}");
            assert!(
                records
                    .iter()
                    .all(|r| r["value"] == "1" && r["source"] == "plugin"),
                "{usage}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no usage collected: {usage}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The refusals are reported with the window's records; poll until both
    // are visible (the records above may be read before the events commit).
    let feed = loop {
        let (_, feed) = app.get_as(&seller, "/v1/feed?after=0&limit=100").await;
        let n = feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "usage.refused")
            .count();
        if n >= 2 || std::time::Instant::now() >= deadline {
            break feed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let refused: Vec<&Value> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "usage.refused")
        .collect();
    assert_eq!(refused.len(), 2, "{feed}");
    assert_eq!(refused[0]["instance-id"], metered.as_str());
    assert_eq!(
        refused[0]["detail"]["record"]["status"], "bad-value",
        "{feed}"
    );

    // The product whose plugin fails has nothing collected, and its failure
    // held up nobody else; the service keeps serving.
    let (status, usage) = app
        .get_as(&customer, &format!("/v1/instances/{stuck}/usage"))
        .await;
    assert_eq!(status, 200);
    assert!(usage["records"].as_array().unwrap().is_empty(), "{usage}");
}

/// Polls the product's metering status until `until` holds (10 s at most).
async fn metering_status(
    app: &TestApp,
    seller: &str,
    product: &str,
    until: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, body) = app
            .get_as(seller, &format!("/v1/products/{product}/metering"))
            .await;
        assert_eq!(status, 200, "{body}");
        if until(&body) {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A metering plugin that keeps failing is called again after 1 minute,
/// then 2 (simulated time), never in between however often the worker
/// polls, and its seller can read how many calls failed and why. A working
/// plugin's product shows its progress and no failures.
#[tokio::test]
async fn a_failing_metering_plugin_backs_off_and_its_seller_sees_why() {
    let app = spawn_app().await;
    let (seller, failing) = hostile_metered(&app, "fail").await;
    let (good_seller, good) = hostile_metered(&app, "calls").await;
    let (_, customer) = app.customer("Carol").await;
    buy(&app, &customer, &failing, "usage", "fail", "pay-per-use").await;
    buy(&app, &customer, &good, "usage", "calls", "pay-per-use").await;
    let before = metering_status(&app, &seller, &failing, |_| true).await;
    assert_eq!(before["collected-until"], Value::Null, "{before}");
    assert_eq!(before["consecutive-failures"], 0, "{before}");
    clock::advance(&app, 2 * HOUR).await;

    let first = metering_status(&app, &seller, &failing, |s| s["consecutive-failures"] == 1).await;
    let failed_at = first["updated-at"].as_i64().unwrap();
    assert_eq!(
        first["retry-at"].as_i64(),
        Some(failed_at + 60_000),
        "{first}"
    );
    // The window that failed is the first: nothing before it collected.
    assert!(
        first["collected-until"].as_i64().unwrap() <= failed_at - HOUR,
        "{first}"
    );
    assert!(
        first["last-error"]
            .as_str()
            .is_some_and(|e| e.contains("returned an error") && e.contains("backend is down")),
        "{first}"
    );
    // Many polls of the worker, and 59 simulated seconds: no second call.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    clock::advance(&app, 59_000).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let waiting = metering_status(&app, &seller, &failing, |_| true).await;
    assert_eq!(waiting["consecutive-failures"], 1, "{waiting}");
    // Past the minute: called again, failing again, and now waits two.
    clock::advance(&app, 2_000).await;
    let second = metering_status(&app, &seller, &failing, |s| s["consecutive-failures"] == 2).await;
    assert_eq!(
        second["retry-at"].as_i64(),
        Some(second["updated-at"].as_i64().unwrap() + 120_000),
        "{second}"
    );

    // The working product collected both hours and has no failures.
    let fine = metering_status(&app, &good_seller, &good, |s| {
        !s["collected-until"].is_null()
    })
    .await;
    assert_eq!(fine["consecutive-failures"], 0, "{fine}");
    assert_eq!(fine["last-error"], Value::Null, "{fine}");
    assert_eq!(fine["retry-at"], Value::Null, "{fine}");

    // Customers and other sellers cannot read it; operators can.
    let (status, _) = app
        .get_as(&app.operator, &format!("/v1/products/{failing}/metering"))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .get_as(&customer, &format!("/v1/products/{failing}/metering"))
        .await;
    assert_eq!(status, 403);
    let (_, other) = app.account("seller", "Other").await;
    let (status, _) = app
        .get_as(&other, &format!("/v1/products/{failing}/metering"))
        .await;
    assert_eq!(status, 404);
}
