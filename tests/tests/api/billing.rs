//! Pay-per-use billing: closed cycles are rated by the specification's
//! pricing model and paid from the balance; late records make a charge of
//! their own; unpaid charges lead through grace, freeze and retention to
//! release, and paying thaws the instance. Charges are settled once paid,
//! packages at once.

use bazaar_tests::clock::{DAY, HOUR, advance, advance_to, bill_day_after, month_id, now};
use bazaar_tests::market::{buy_active, listed_product_with, wait_instance};
use bazaar_tests::{TestApp, spawn_app};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A product with an hourly pay-per-use specification priced by the seeds'
/// tiers (0.30 a minute up to 3, then 0.20), usage sent by API only.
async fn metered(app: &TestApp) -> (String, String) {
    metered_with(app, |_| {}).await
}

async fn metered_with(app: &TestApp, edit: impl FnOnce(&mut Value)) -> (String, String) {
    let (seller, product, _) = listed_product_with(app, "saas_lifecycle", |d| {
        d["metering-plugin"] = d["lifecycle-plugin"].clone();
        d["plugin-config"]["report-usage"] = json!("false");
        d["specifications"].as_array_mut().unwrap().push(json!({
            "id": "metered", "name": "Metered", "billing-modes": ["pay-per-use"],
            "pricing-model": "tiered", "billing-cycle": "hourly",
            "skus": [{"id": "calls", "prices": {"pay-per-use": [
                {"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}]}}]
        }));
        edit(
            d.get_mut("specifications")
                .and_then(|s| s.as_array_mut())
                .and_then(|s| s.last_mut())
                .unwrap(),
        );
    })
    .await;
    (seller, product)
}

/// Sends one record of `value` ending a minute from now.
async fn usage(app: &TestApp, seller: &str, instance: &str, id: &str, value: &str) {
    let t = now(app).await;
    let (_, reply) = app
        .post_as(
            seller,
            "/v1/usage",
            json!({"records": [{"metering-id": id, "instance-id": instance,
            "billing-item": "calls", "begin": t, "end": t + 60_000, "value": value}]}),
        )
        .await;
    assert_eq!(reply["accepted"], 1, "{reply}");
}

async fn charges_until(app: &TestApp, token: &str, instance: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = app
            .get_as(token, &format!("/v1/instances/{instance}/charges"))
            .await;
        assert_eq!(status, 200, "{body}");
        let charges = body["charges"].as_array().unwrap().clone();
        if charges.len() >= n {
            return charges;
        }
        assert!(Instant::now() < deadline, "charges never came: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn top_up(app: &TestApp, customer: &str, amount: &str, key: &str) -> Value {
    let (status, body) = app
        .send_as(
            customer,
            reqwest::Method::POST,
            "/v1/balance/top-up",
            json!({"amount": amount}),
            Some(key),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn closed_cycles_are_rated_and_paid_from_the_balance() {
    let app = spawn_app().await;
    let (seller, product) = metered(&app).await;
    let (_, customer) = app.account("customer", "Carol").await;
    assert_eq!(
        top_up(&app, &customer, "5.00", "k1").await["amount"],
        "5.00"
    );
    let again = top_up(&app, &customer, "5.00", "k1").await;
    assert_eq!(
        (again["amount"].as_str(), again["replayed"].as_bool()),
        (Some("5.00"), Some(true))
    );

    let iid = subscribe_metered(&app, &customer, &product).await;

    // 8 minutes in one hour: 3 × 0.30 + 5 × 0.20 = 1.90 (the seeds' example).
    usage(&app, &seller, &iid, "u-1", "8").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 1).await;
    assert_eq!(
        (
            charges[0]["usage"].as_str(),
            charges[0]["amount"].as_str(),
            charges[0]["state"].as_str()
        ),
        (Some("8"), Some("1.90"), Some("paid")),
        "{charges:?}"
    );
    assert_eq!(charges[0]["quote"]["lines"].as_array().unwrap().len(), 2);
    let (_, balance) = app.get_as(&customer, "/v1/balance").await;
    assert_eq!(balance["amount"], "3.10", "{balance}");

    // A late record of the same hour is charged on its own: 2 × 0.30.
    let cycle_end = charges[0]["cycle-end"].as_i64().unwrap();
    let (_, reply) = app
        .post_as(&seller, "/v1/usage", json!({"records": [{"metering-id": "u-2", "instance-id": iid,
            "billing-item": "calls", "begin": cycle_end - 120_000, "end": cycle_end - 60_000, "value": "2"}]}))
        .await;
    assert_eq!(reply["accepted"], 1, "{reply}");
    let charges = charges_until(&app, &customer, &iid, 2).await;
    assert_eq!(charges[1]["amount"], "0.60", "{charges:?}");
    assert_eq!(charges[1]["cycle-start"], charges[0]["cycle-start"]);
    let (_, balance) = app.get_as(&customer, "/v1/balance").await;
    assert_eq!(balance["amount"], "2.50", "{balance}");

    // Page by page, a cycle's late charge still follows its first one.
    let path = format!("/v1/instances/{iid}/charges?limit=1");
    let (_, first) = app.get_as(&customer, &path).await;
    assert_eq!(first["charges"][0]["id"], charges[0]["id"], "{first}");
    let next = first["next"].as_str().expect("a second page");
    let (_, second) = app.get_as(&customer, &format!("{path}&after={next}")).await;
    assert_eq!(second["charges"][0]["id"], charges[1]["id"], "{second}");

    // Bad top-ups are refused with the field.
    for amount in ["0", "-1", "1.001", "2000000"] {
        let (status, body) = app
            .post_as(&customer, "/v1/balance/top-up", json!({"amount": amount}))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("amount")),
            "{amount}: {body}"
        );
    }
}

#[tokio::test]
async fn arrears_freeze_after_grace_thaw_when_paid_and_release_after_retention() {
    let app = spawn_app().await;
    let (seller, product) = metered(&app).await;
    let (_, customer) = app.account("customer", "Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;

    // Unpaid: the instance keeps serving through the grace period (a day).
    usage(&app, &seller, &iid, "u-1", "8").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 1).await;
    assert_eq!(charges[0]["state"], "unpaid", "{charges:?}");
    let (_, balance) = app.get_as(&customer, "/v1/balance").await;
    assert_eq!(balance["unpaid"].as_array().unwrap().len(), 1, "{balance}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, inst) = app.get_as(&customer, &format!("/v1/instances/{iid}")).await;
    assert_eq!(inst["state"], "active", "still in grace: {inst}");

    // Grace over: frozen for arrears, through the seller's plugin.
    advance(&app, DAY).await;
    let inst = wait_instance(&app, &customer, &iid, |i| i["state"] == "frozen").await;
    assert_eq!(inst["freeze-reason"], "arrears");

    // Paying part of it changes nothing; paying all of it thaws the instance.
    let part = top_up(&app, &customer, "1.00", "p1").await;
    assert!(part["paid"].as_array().unwrap().is_empty(), "{part}");
    let rest = top_up(&app, &customer, "1.00", "p2").await;
    assert_eq!(
        (rest["amount"].as_str(), rest["cleared"][0].as_str()),
        (Some("0.10"), Some(iid.as_str())),
        "{rest}"
    );
    wait_instance(&app, &customer, &iid, |i| i["state"] == "active").await;

    // Unpaid again, and left unpaid through grace and retention: released.
    usage(&app, &seller, &iid, "u-2", "8").await;
    advance(&app, 2 * HOUR).await;
    charges_until(&app, &customer, &iid, 2).await;
    advance(&app, DAY).await;
    wait_instance(&app, &customer, &iid, |i| i["state"] == "frozen").await;
    advance(&app, 15 * DAY).await;
    wait_instance(&app, &customer, &iid, |i| i["state"] == "released").await;
    // The state changes when the marketplace decides; the feed event when the
    // seller's plugin has done the release.
    let deadline = Instant::now() + Duration::from_secs(10);
    let feed = loop {
        let (_, feed) = app.get_as(&seller, "/v1/feed?after=0&limit=100").await;
        if feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "instance.released")
        {
            break feed;
        }
        assert!(
            Instant::now() < deadline,
            "the release never reached the feed: {feed}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "instance.frozen").count(),
        2,
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"instance.unfrozen") && kinds.contains(&"instance.released"),
        "{kinds:?}"
    );
}

/// A product whose hourly pay-per-use minutes cost 0.20 each, with a
/// 10-minute monthly package (resets every month, 5.00 a month) and a
/// 10-minute stop-before-excess package (3.00).
async fn packaged(app: &TestApp) -> (String, String) {
    let (seller, product, _) = listed_product_with(app, "saas_lifecycle", |d| {
        d["metering-plugin"] = d["lifecycle-plugin"].clone();
        d["plugin-config"]["report-usage"] = json!("false");
        d["specifications"].as_array_mut().unwrap().push(json!({
            "id": "metered", "name": "Metered", "billing-modes": ["pay-per-use"], "billing-cycle": "hourly",
            "skus": [{"id": "calls", "prices": {"pay-per-use": "0.20"}}],
            "packages": [
                {"id": "m10", "name": "10 minutes a month", "billing-item": "calls", "quota": "10",
                 "period": "monthly", "reset": true, "price": "5.00"},
                {"id": "stop10", "name": "10 minutes, then stop", "billing-item": "calls", "quota": "10",
                 "period": "monthly", "price": "3.00", "stop-before-excess": true}
            ]
        }));
    })
    .await;
    (seller, product)
}

async fn subscribe_metered(app: &TestApp, customer: &str, product: &str) -> String {
    buy_active(app, customer, product, "metered", "calls", "pay-per-use").await
}

#[tokio::test]
async fn packages_are_deducted_first_and_reset_monthly() {
    let app = spawn_app().await;
    let (seller, product) = packaged(&app).await;
    let (_, customer) = app.account("customer", "Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;
    let path = format!("/v1/instances/{iid}/packages");
    let (status, body) = app
        .post_as(&customer, &path, json!({"package": "m10", "periods": 3}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (402, Some("payment-required")),
        "no balance yet: {body}"
    );
    top_up(&app, &customer, "20.00", "t1").await;
    let (status, bought) = app
        .post_as(&customer, &path, json!({"package": "m10", "periods": 3}))
        .await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["price"], "15.00");
    let (status, body) = app
        .post_as(&customer, &path, json!({"package": "nope"}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("package")),
        "{body}"
    );

    // 8 minutes: all from the package.
    usage(&app, &seller, &iid, "u-1", "8").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 1).await;
    assert_eq!(charges[0]["amount"], "0.00", "{charges:?}");
    assert_eq!(charges[0]["quote"]["lines"][0]["quantity"], "8");
    // 5 more: 2 left in the package, 3 × 0.20 charged.
    usage(&app, &seller, &iid, "u-2", "5").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 2).await;
    assert_eq!(charges[1]["amount"], "0.60", "{charges:?}");
    let (_, balance) = app.get_as(&customer, "/v1/balance").await;
    assert_eq!(balance["amount"], "4.40", "{balance}");
    // Next month the quota is back.
    advance(&app, 31 * DAY).await;
    usage(&app, &seller, &iid, "u-3", "4").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 3).await;
    assert_eq!(charges[2]["amount"], "0.00", "{charges:?}");
    let (_, held) = app.get_as(&customer, &path).await;
    assert_eq!(held["packages"][0]["used"], "4", "{held}");
}

#[tokio::test]
async fn a_used_up_stop_before_excess_package_stops_the_instance_until_another_is_bought() {
    let app = spawn_app().await;
    let (seller, product) = packaged(&app).await;
    let (_, customer) = app.account("customer", "Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;
    top_up(&app, &customer, "10.00", "t1").await;
    let path = format!("/v1/instances/{iid}/packages");
    let (status, body) = app
        .post_as(&customer, &path, json!({"package": "stop10"}))
        .await;
    assert_eq!(status, 201, "{body}");

    usage(&app, &seller, &iid, "u-1", "12").await;
    advance(&app, 2 * HOUR).await;
    let inst = wait_instance(&app, &customer, &iid, |i| i["state"] == "frozen").await;
    assert_eq!(inst["freeze-reason"], "quota-exhausted");
    let charges = charges_until(&app, &customer, &iid, 1).await;
    assert_eq!(
        charges[0]["amount"], "0.40",
        "the 2 minutes beyond the quota: {charges:?}"
    );

    let (status, body) = app
        .post_as(&customer, &path, json!({"package": "stop10"}))
        .await;
    assert_eq!(status, 201, "{body}");
    wait_instance(&app, &customer, &iid, |i| i["state"] == "active").await;
    let (_, balance) = app.get_as(&customer, "/v1/balance").await;
    assert_eq!(balance["amount"], "3.60", "10 - 3 - 0.40 - 3: {balance}");
}

#[tokio::test]
async fn tiered_usage_accumulates_over_the_month() {
    let app = spawn_app().await;
    let (seller, product) =
        metered_with(&app, |spec| spec["accumulation-cycle"] = json!("monthly")).await;
    let (_, customer) = app.account("customer", "Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;
    top_up(&app, &customer, "10.00", "t1").await;
    // Hour one: 2 minutes in the first tier (0.60). Hour two: the tiers go on
    // from 2, so 1 more at 0.30 and 2 at 0.20 (0.70, not 0.90).
    usage(&app, &seller, &iid, "u-1", "2").await;
    advance(&app, HOUR).await;
    usage(&app, &seller, &iid, "u-2", "3").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 2).await;
    let amounts: Vec<&str> = charges
        .iter()
        .map(|c| c["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["0.60", "0.70"], "{charges:?}");
}

#[tokio::test]
async fn usage_records_ending_together_are_not_lost_between_pages() {
    let app = spawn_app().await;
    let (seller, product) = metered(&app).await;
    let (_, customer) = app.account("customer", "Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;
    // Five records with the same end: a cursor of the end alone would skip
    // the rest of them after the first page.
    let t = now(&app).await;
    let records: Vec<Value> = (1..=5)
        .map(|n| {
            json!({"metering-id": format!("same-{n}"), "instance-id": iid,
            "billing-item": "calls", "begin": t, "end": t + 60_000, "value": "1"})
        })
        .collect();
    let (_, reply) = app
        .post_as(&seller, "/v1/usage", json!({"records": records}))
        .await;
    assert_eq!(reply["accepted"], 5, "{reply}");

    let mut seen = Vec::new();
    let mut path = format!("/v1/instances/{iid}/usage?limit=2");
    loop {
        let (status, page) = app.get_as(&customer, &path).await;
        assert_eq!(status, 200, "{page}");
        for r in page["records"].as_array().unwrap() {
            seen.push(r["metering-id"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/instances/{iid}/usage?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["same-1", "same-2", "same-3", "same-4", "same-5"]);
    let (status, body) = app
        .get_as(&customer, &format!("/v1/instances/{iid}/usage?limit=1001"))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("limit")),
        "{body}"
    );
}

/// §8.1: a usage package is settled on the bill of the month it was bought;
/// a charge only once it is paid, on the bill of the month it was paid in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_settle_at_once_and_charges_once_paid() {
    let app = spawn_app().await;
    let (seller, product) = packaged(&app).await;
    let (_, customer) = app.account("customer", "Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;
    let start = now(&app).await;
    top_up(&app, &customer, "5.00", "t1").await;
    let (status, body) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{iid}/packages"),
            json!({"package": "m10"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // 15 minutes: 10 from the package, 5 × 0.20 = 1.00 charged, unpaid (the
    // balance is spent): arrears.
    usage(&app, &seller, &iid, "u-1", "15").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 1).await;
    assert_eq!(
        (charges[0]["amount"].as_str(), charges[0]["state"].as_str()),
        (Some("1.00"), Some("unpaid"))
    );

    advance_to(&app, bill_day_after(start)).await;
    let first = super::settlement::bill_of(&app, &seller, &month_id(start)).await;
    let lines = first["lines"].as_array().unwrap();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["package"], "the unpaid charge waits: {first}");
    super::settlement::check_line(&lines[0], "5.00".parse().unwrap(), 13.into());

    // Paid now: on this month's bill.
    let paid_at = now(&app).await;
    let paid = top_up(&app, &customer, "1.00", "t2").await;
    assert_eq!(paid["paid"].as_array().unwrap().len(), 1, "{paid}");
    advance_to(&app, bill_day_after(paid_at)).await;
    let second = super::settlement::bill_of(&app, &seller, &month_id(paid_at)).await;
    let lines = second["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{second}");
    assert_eq!(lines[0]["kind"], "usage-charge");
    assert_eq!(lines[0]["source-id"], charges[0]["id"]);
    super::settlement::check_line(&lines[0], "1.00".parse().unwrap(), 13.into());
    app.assert_reconciled().await;
}

/// §3.5.4.2: a usage record may name the package it is to be deducted from;
/// a package that is not the instance's is refused, record by record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_naming_a_package_is_deducted_from_it_first() {
    let app = spawn_app().await;
    let (seller, product) = packaged(&app).await;
    let (_, customer) = app.customer("Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;
    let path = format!("/v1/instances/{iid}/packages");
    let mut ids = Vec::new();
    for package in ["m10", "stop10"] {
        let (status, body) = app
            .post_as(&customer, &path, json!({"package": package}))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push((
            body["expires-at"].as_i64().unwrap(),
            body["id"].as_str().unwrap().to_string(),
        ));
    }
    // By default the earliest-expiring package (then the smaller id) goes
    // first: name the other.
    ids.sort();
    let ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    let (first, named) = (ids[0].clone(), ids[1].clone());
    let t = now(&app).await;
    let record = |id: &str, value: &str, package: Option<&str>| {
        let mut r = json!({"metering-id": id, "instance-id": iid, "billing-item": "calls",
            "begin": t, "end": t + 60_000, "value": value});
        if let Some(p) = package {
            r["package"] = json!(p);
        }
        r
    };
    let (status, reply) = app
        .post_as(
            &seller,
            "/v1/usage",
            json!({"records": [
                record("n-1", "4", Some(&named)),
                record("n-2", "3", None),
                record("n-3", "1", Some("pkg_nobody")),
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let results: Vec<&str> = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["accepted", "accepted", "unknown-package"],
        "{reply}"
    );
    let (_, usage) = app
        .get_as(&seller, &format!("/v1/instances/{iid}/usage"))
        .await;
    assert_eq!(usage["records"][0]["package"], json!(named), "{usage}");
    advance(&app, 2 * HOUR).await;
    charges_until(&app, &customer, &iid, 1).await;
    let (_, packages) = app.get_as(&customer, &path).await;
    let used = |id: &str| {
        packages["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == json!(id))
            .unwrap()["used"]
            .clone()
    };
    assert_eq!(
        (used(&named), used(&first)),
        (json!("4"), json!("3")),
        "{packages}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_specifications_pricing_plugin_prices_its_usage_cycles() {
    let app = spawn_app().await;
    // A second product of a seller whose metered spec names the tiered
    // pricing plugin, configured 1.00 a call up to 5, then 0.50.
    let (seller, first) = metered(&app).await;
    let (status, body) = app
        .upload_as(
            &seller,
            "tiers",
            bazaar_tests::plugin_bytes("tiered_pricing"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let pricing = body["sha256"].as_str().unwrap().to_string();
    let (_, shown) = app.get_as(&seller, &format!("/v1/products/{first}")).await;
    let mut draft = shown["draft"].clone();
    draft["name"] = json!("Acme Calls");
    draft["plugin-config"]["tiers"] = json!("0-5:1.00,5-:0.50");
    let specs = draft["specifications"].as_array_mut().unwrap();
    specs.last_mut().unwrap()["pricing-plugin"] = json!(pricing);
    let product = bazaar_tests::market::submit_and_approve(&app, &seller, draft).await;
    let (_, customer) = app.customer("Carol").await;
    let iid = subscribe_metered(&app, &customer, &product).await;

    // 8 calls in one hour: 5 × 1.00 + 3 × 0.50 = 6.50 by the plugin (the
    // built-in tiers would have charged 1.90).
    usage(&app, &seller, &iid, "u-1", "8").await;
    advance(&app, 2 * HOUR).await;
    let charges = charges_until(&app, &customer, &iid, 1).await;
    assert_eq!(
        (charges[0]["amount"].as_str(), charges[0]["state"].as_str()),
        (Some("6.50"), Some("paid")),
        "{charges:?}"
    );
    assert_eq!(
        charges[0]["quote"]["priced-by"],
        format!("plugin:{pricing}"),
        "{charges:?}"
    );
    let (_, balance) = app.get_as(&customer, "/v1/balance").await;
    assert_eq!(balance["amount"], "9993.50", "{balance}");
    app.assert_reconciled().await;
    app.stop().await;
}
