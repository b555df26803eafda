//! Seller settlement (issue 15 §3, §5): on the 7th, by the service clock, one
//! bill per seller for the previous month, every line by the §8.1 formula and
//! checked here against amounts computed by hand; renewals by their
//! effective time; a refund deducted from the next bill; operator
//! adjustments and negotiated platform fees; the workflow; CSV exports.

use bazaar_tests::clock::{HOUR, advance, advance_to, bill_day_after, month_id, now};
use bazaar_tests::market::{buy_active, listed_product, wait_order};
use bazaar_tests::money::{cents, d};
use bazaar_tests::{TestApp, spawn_app};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Waits for the worker to generate `seller`'s bill `id`.
pub async fn bill_of(app: &TestApp, seller: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = app.get_as(seller, &format!("/v1/bills/{id}")).await;
        if status == 200 {
            return body;
        }
        assert_eq!(status, 404, "{body}");
        assert!(Instant::now() < deadline, "bill {id} never generated");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks one line against the §8.1 formula with no taxes.
pub fn check_line(line: &Value, sales: Decimal, fee_percent: Decimal) {
    let fee = fee_percent / Decimal::from(100);
    assert_eq!(d(&line["sales"]), sales, "{line}");
    assert_eq!(d(&line["fee-percent"]), fee_percent, "{line}");
    assert_eq!(d(&line["platform-fee"]), cents(sales * fee), "{line}");
    assert_eq!(
        d(&line["settlement"]),
        cents(sales * (Decimal::ONE - fee)),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_month_settles_to_the_cent_and_the_next_bill_deducts_the_refund() {
    let app = spawn_app().await;
    let (acme, acme_product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (beta, beta_product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let (acme_id, beta_id) = {
        let a = app.get_as(&acme, "/v1/bills").await;
        assert_eq!(a.0, 200, "{}", a.1);
        assert_eq!(a.1["bills"], json!([]));
        let (_, p) = app
            .get_as(&acme, &format!("/v1/products/{acme_product}"))
            .await;
        let (_, q) = app
            .get_as(&beta, &format!("/v1/products/{beta_product}"))
            .await;
        (
            p["seller-id"].as_str().unwrap().to_string(),
            q["seller-id"].as_str().unwrap().to_string(),
        )
    };

    // Beta negotiated 15%; Acme keeps SaaS's 13%. Out-of-range fees change nothing.
    for bad in ["100.01", "-1", "12.345"] {
        let (status, body) = app
            .send_as(
                &app.operator,
                reqwest::Method::PUT,
                &format!("/v1/products/{beta_product}/platform-fee"),
                json!({"percent": bad}),
                None,
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("percent")),
            "{bad}: {body}"
        );
    }
    let (status, fee) = app
        .send_as(
            &app.operator,
            reqwest::Method::PUT,
            &format!("/v1/products/{beta_product}/platform-fee"),
            json!({"percent": "15"}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{fee}");
    assert_eq!(fee["percent"], "15.00");

    // The month: Acme basic monthly (10.00), renewed for one more month
    // (10.00, effective at the first month's end: next month's bill); Beta
    // pro yearly (250.00); an adjustment of 5.00 owed to Acme.
    let start = now(&app).await;
    let acme_instance = buy_active(
        &app,
        &customer,
        &acme_product,
        "standard",
        "basic",
        "monthly",
    )
    .await;
    let (status, renewal) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{acme_instance}/renew"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{renewal}");
    wait_order(&app, &customer, renewal["order"]["id"].as_str().unwrap()).await;
    buy_active(&app, &customer, &beta_product, "standard", "pro", "yearly").await;
    for (amount, field) in [("1.005", "amount"), ("0", "amount")] {
        let (status, body) = app
            .post_as(
                &app.operator,
                "/v1/bill-adjustments",
                json!({"seller": acme_id, "amount": amount, "reason": "x"}),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{body}"
        );
    }
    let (status, body) = app
        .post_as(&app.operator, "/v1/bill-adjustments", json!({"seller": acme_id, "amount": "5.00", "reason": "credit for the outage of the 3rd"}))
        .await;
    assert_eq!(status, 201, "{body}");

    // The 7th of next month: both bills, the month's id.
    advance(&app, bill_day_after(start) - now(&app).await).await;
    let id = month_id(start);
    let acme_bill = bill_of(&app, &acme, &id).await;
    let lines = acme_bill["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{acme_bill}");
    assert_eq!(lines[0]["kind"], "order");
    check_line(&lines[0], Decimal::from(10), Decimal::from(13));
    assert_eq!(lines[1]["kind"], "adjustment");
    assert_eq!(lines[1]["settlement"], "5.00");
    // 10.00 × 0.87 = 8.70, + 5.00.
    assert_eq!(acme_bill["bill"]["settlement"], "13.70");
    assert_eq!(acme_bill["bill"]["platform-fee"], "1.30");
    assert_eq!(acme_bill["bill"]["sales"], "10.00");
    assert_eq!(acme_bill["bill"]["state"], "generated");
    let beta_bill = bill_of(&app, &beta, &id).await;
    let lines = beta_bill["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{beta_bill}");
    check_line(&lines[0], Decimal::from(250), Decimal::from(15));
    // 250.00 × 0.85.
    assert_eq!(beta_bill["bill"]["settlement"], "212.50");

    // Who may read what.
    let (status, body) = app
        .get_as(&beta, &format!("/v1/bills/{id}?seller={acme_id}"))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("seller")),
        "{body}"
    );
    let (status, _) = app.get_as(&customer, "/v1/bills").await;
    assert_eq!(status, 403);
    let (status, body) = app.get_as(&app.operator, &format!("/v1/bills/{id}")).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("seller")),
        "{body}"
    );
    let (status, all) = app.get_as(&app.operator, "/v1/bills").await;
    assert_eq!(status, 200);
    assert_eq!(all["bills"].as_array().unwrap().len(), 2, "{all}");
    let (status, body) = app.get_as(&acme, "/v1/bills/2026-1").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("id")),
        "{body}"
    );

    // generated → sent (operator) → confirmed (seller), in that order only.
    let confirm = format!("/v1/bills/{id}/confirm");
    let (status, _) = app.post_as(&acme, &confirm, json!({})).await;
    assert_eq!(status, 409, "not sent yet");
    let (status, sent) = app
        .post_as(
            &app.operator,
            &format!("/v1/bills/{id}/send"),
            json!({"seller": acme_id}),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["state"], "sent");
    let (status, done) = app.post_as(&acme, &confirm, json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["state"], "confirmed");
    let (status, _) = app.post_as(&acme, &confirm, json!({})).await;
    assert_eq!(status, 409, "confirmed once");
    let (status, _) = app.post_as(&beta, &confirm, json!({})).await;
    assert_eq!(status, 409, "Beta's own bill was not sent");

    // CSV of the details: a header row and one row per line, the same bytes
    // by `?format=csv` and by `Accept`, and on every read.
    let csv = |path: String, accept: bool| {
        let req = app.client.get(app.url(&path)).bearer_auth(&acme);
        let req = if accept {
            req.header("accept", "text/csv")
        } else {
            req
        };
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            res.text().await.unwrap()
        }
    };
    let by_format = csv(format!("/v1/bills/{id}?format=csv"), false).await;
    let by_accept = csv(format!("/v1/bills/{id}"), true).await;
    assert_eq!(by_format, by_accept);
    let rows: Vec<&str> = by_format.lines().collect();
    assert_eq!(rows.len(), 3, "{by_format}");
    assert!(rows[0].starts_with("line,kind,source-id,"), "{by_format}");
    assert!(
        rows[1].ends_with(",10.00,0.00,0.00,13.00,1.30,0.00,0.00,8.70"),
        "{by_format}"
    );
    assert!(
        rows[2].contains(",adjustment,") && rows[2].ends_with(",5.00"),
        "{by_format}"
    );
    let list = csv("/v1/bills?format=csv".into(), false).await;
    assert_eq!(list.lines().count(), 2, "{list}");

    // Transaction details: the first order billed on this bill, the renewal
    // not yet; filters by bill category; a CSV with a header row.
    let (status, t) = app.get_as(&acme, "/v1/transactions").await;
    assert_eq!(status, 200, "{t}");
    let rows = t["transactions"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{t}");
    let renewal_row = rows
        .iter()
        .find(|r| r["id"] == renewal["order"]["id"])
        .unwrap();
    assert_eq!(renewal_row["bill-category"], "unbilled");
    assert_eq!(renewal_row["settlement"], "8.70");
    assert_eq!(renewal_row["payment-status"], "paid");
    assert_eq!(renewal_row["supervision-status"], "n/a");
    let first = rows
        .iter()
        .find(|r| r["id"] != renewal["order"]["id"])
        .unwrap();
    assert_eq!(
        (first["bill-category"].as_str(), first["bill-id"].as_str()),
        (Some("billed"), Some(id.as_str()))
    );
    assert_eq!(first["platform-fee"], "1.30");
    let (_, billed) = app.get_as(&acme, "/v1/transactions?status=billed").await;
    assert_eq!(
        billed["transactions"].as_array().unwrap().len(),
        1,
        "{billed}"
    );
    let (status, body) = app.get_as(&acme, "/v1/transactions?status=paid").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("status")),
        "{body}"
    );
    let (_, none) = app
        .get_as(&acme, &format!("/v1/transactions?to={start}"))
        .await;
    assert_eq!(
        none["transactions"],
        json!([]),
        "nothing before the month began"
    );
    let export = csv("/v1/transactions?format=csv".into(), false).await;
    assert_eq!(export.lines().count(), 3, "{export}");
    assert!(export.starts_with("kind,id,seller-id,"), "{export}");

    // Next month: the renewal takes effect, and the customer unsubscribes
    // with a refund; the refund is deducted on the next bill.
    let (status, gone) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{acme_instance}/unsubscribe"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{gone}");
    let refund = -d(&gone["order"]["amount"]);
    assert!(refund > Decimal::ZERO, "{gone}");
    let later = now(&app).await;
    advance(&app, bill_day_after(later) - later).await;
    let next = bill_of(&app, &acme, &month_id(later)).await;
    let lines = next["lines"].as_array().unwrap();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["order", "refund"], "{next}");
    check_line(&lines[0], Decimal::from(10), Decimal::from(13));
    assert_eq!(lines[0]["source-id"], renewal["order"]["id"]);
    check_line(&lines[1], -refund, Decimal::from(13));
    let expected =
        cents(Decimal::from(10) * d(&json!("0.87"))) + cents(-refund * d(&json!("0.87")));
    assert_eq!(d(&next["bill"]["settlement"]), expected, "{next}");
    // Beta had nothing new: no bill for that month.
    let (status, _) = app
        .get_as(&beta, &format!("/v1/bills/{}", month_id(later)))
        .await;
    assert_eq!(status, 404);
    let (_, beta_bills) = app.get_as(&beta, "/v1/bills").await;
    assert_eq!(beta_bills["bills"].as_array().unwrap().len(), 1);
    let _ = beta_id;
    app.assert_reconciled().await;

    // Reconciliation finds a line that no longer says what its order does.
    tamper(
        &app.database_url,
        "UPDATE bill_lines SET settlement = '9.99' WHERE line = 1 AND kind = 'order'",
    )
    .await;
    let (status, found) = app.get_as(&app.operator, "/v1/reconciliation").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["consistent"], false, "{found}");
    let said = found["bills"].to_string();
    assert!(
        said.contains("settlement 9.99, the formula gives"),
        "{said}"
    );
    assert!(said.contains("its lines add up to"), "{said}");
}

/// Changes the database behind the service's back.
async fn tamper(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervised_order_settles_in_the_month_its_service_flow_completes() {
    let app = spawn_app().await;
    let (seller, product, _) = listed_product(&app, "saas_lifecycle", true).await;
    let (_, p) = app
        .get_as(&seller, &format!("/v1/products/{product}"))
        .await;
    let seller_id = p["seller-id"].as_str().unwrap().to_string();
    let (_, customer) = app.customer("Dana").await;
    let start = now(&app).await;
    let (status, placed) = app
        .post_as(&customer, "/v1/orders", json!({"product": product, "specification": "standard", "sku": "basic", "billing-mode": "yearly"}))
        .await;
    assert_eq!(status, 202, "{placed}");
    let (order, instance) = (
        placed["order"]["id"].as_str().unwrap().to_string(),
        placed["instance"]["id"].as_str().unwrap().to_string(),
    );
    bazaar_tests::market::wait_instance(&app, &customer, &instance, |i| i["state"] == "active")
        .await;
    let flow = format!("/v1/orders/{order}/service-flow");
    for (token, step) in [
        (
            &customer,
            json!({"action": "submit-request", "details": "Tenant acme"}),
        ),
        (&seller, json!({"action": "accept-request"})),
        (
            &seller,
            json!({"action": "deliver", "details": "Tenant ready"}),
        ),
    ] {
        let (status, body) = app.post_as(token, &flow, step).await;
        assert_eq!(status, 200, "{body}");
    }
    // An adjustment makes this month's bill; the order, still in
    // supervision, is not on it.
    let (status, _) = app
        .post_as(
            &app.operator,
            "/v1/bill-adjustments",
            json!({"seller": seller_id, "amount": "-2.50", "reason": "late delivery"}),
        )
        .await;
    assert_eq!(status, 201);
    advance_to(&app, bill_day_after(start)).await;
    let first = bill_of(&app, &seller, &month_id(start)).await;
    let kinds: Vec<&str> = first["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["adjustment"], "{first}");
    assert_eq!(first["bill"]["settlement"], "-2.50");

    // Accepted now, completed three hours later: next month's bill, with an
    // upgrade to pro made after it (a yearly subscription, still running).
    let (status, body) = app
        .post_as(&customer, &flow, json!({"action": "accept-delivery"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let accepted = now(&app).await;
    advance(&app, 4 * HOUR).await;
    assert_eq!(
        wait_order(&app, &customer, &order).await["state"],
        "completed"
    );
    let (status, up) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{instance}/upgrade"),
            json!({"sku": "pro"}),
        )
        .await;
    assert_eq!(status, 202, "{up}");
    let fee = d(&up["order"]["amount"]);
    assert!(fee > Decimal::ZERO, "{up}");
    assert_eq!(
        wait_order(&app, &customer, up["order"]["id"].as_str().unwrap()).await["state"],
        "completed"
    );
    advance_to(&app, bill_day_after(accepted)).await;
    let second = bill_of(&app, &seller, &month_id(accepted)).await;
    let lines = second["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{second}");
    assert_eq!(lines[0]["source-id"], json!(order));
    check_line(&lines[0], Decimal::from(100), Decimal::from(13));
    assert_eq!(lines[1]["source-id"], up["order"]["id"]);
    check_line(&lines[1], fee, Decimal::from(13));
    let (_, t) = app.get_as(&seller, "/v1/transactions").await;
    let row = t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == json!(order))
        .unwrap()
        .clone();
    assert_eq!(row["supervision-status"], "completed", "{row}");
    assert_eq!(row["bill-id"], json!(month_id(accepted)));
    app.assert_reconciled().await;
    let (status, body) = app
        .get_as(&app.operator, "/v1/reconciliation?month=2026-01")
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("month")),
        "{body}"
    );
    let (status, _) = app.get_as(&seller, "/v1/reconciliation").await;
    assert_eq!(status, 403);
}

/// A customer of `country` with 10,000.00 on their balance; answers its id
/// and token.
async fn customer_in(app: &TestApp, name: &str, country: Option<&str>) -> (String, String) {
    let mut body = json!({"role": "customer", "name": name});
    if let Some(c) = country {
        body["country"] = json!(c);
    }
    let (status, created) = app.post_as(&app.operator, "/v1/accounts", body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["account"]["country"].as_str(), country);
    let token = created["token"].as_str().unwrap().to_string();
    let (status, body) = app
        .post_as(&token, "/v1/balance/top-up", json!({"amount": "10000.00"}))
        .await;
    assert_eq!(status, 200, "{body}");
    (
        created["account"]["id"].as_str().unwrap().to_string(),
        token,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_tax_rule_plugin_taxes_the_guides_example_to_560() {
    let app = spawn_app().await;
    // The enterprise SKU at the guide's 1,000.00; a 15% negotiated fee.
    let (seller, product, _) =
        bazaar_tests::market::listed_product_with(&app, "saas_lifecycle", |draft| {
            draft["specifications"][1]["skus"][0]["prices"]["yearly"] = json!("1000.00")
        })
        .await;
    let (status, body) = app
        .send_as(
            &app.operator,
            reqwest::Method::PUT,
            &format!("/v1/products/{product}/platform-fee"),
            json!({"percent": "15"}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for bad in ["de", "DEU", "1A"] {
        let (status, body) = app
            .post_as(
                &app.operator,
                "/v1/accounts",
                json!({"role": "customer", "name": "X", "country": bad}),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("country")),
            "{bad}: {body}"
        );
    }

    // The operator activates the example tax rule (customers in `XA` bear
    // 15% WHT and 5% DST, their sellers 10% WHT and 2% DST).
    let (status, rule) = app.upload(bazaar_tests::plugin_bytes("tax_rules")).await;
    assert!(status == 201 || status == 200, "{rule}");
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/settlement/example-taxes/activate",
            json!({"plugin": rule["sha256"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let start = now(&app).await;
    let (taxed_id, taxed) = customer_in(&app, "Xavier", Some("XA")).await;
    let (_, untaxed) = customer_in(&app, "Ulla", None).await;
    buy_active(&app, &taxed, &product, "enterprise", "ent", "yearly").await;
    buy_active(&app, &untaxed, &product, "enterprise", "ent", "yearly").await;

    advance(&app, bill_day_after(start) - now(&app).await).await;
    let bill = bill_of(&app, &seller, &month_id(start)).await;
    let lines = bill["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{bill}");
    let line = lines
        .iter()
        .find(|l| l["customer-id"] == taxed_id.as_str())
        .expect("the taxed customer's line");
    // (1,000 − 150 − 50) × (1 − 15%) − 100 − 20 = 560.00; the fee 120.00.
    for (field, want) in [
        ("sales", "1000.00"),
        ("customer-wht", "150.00"),
        ("customer-dst", "50.00"),
        ("fee-percent", "15.00"),
        ("platform-fee", "120.00"),
        ("seller-wht", "100.00"),
        ("seller-dst", "20.00"),
        ("settlement", "560.00"),
    ] {
        assert_eq!(line[field], want, "{field}: {line}");
    }
    let other = lines
        .iter()
        .find(|l| l["customer-id"] != taxed_id.as_str())
        .unwrap();
    check_line(other, Decimal::from(1000), Decimal::from(15));
    assert_eq!(other["customer-wht"], "0.00", "{other}");
    // 560.00 + 850.00; the taxes 320.00.
    assert_eq!(bill["bill"]["settlement"], "1410.00", "{bill}");
    assert_eq!(bill["bill"]["taxes"], "320.00", "{bill}");
    app.assert_reconciled().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tax_rule_giving_impossible_taxes_holds_the_bill_until_rolled_back() {
    let app = spawn_app().await;
    let (seller, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (status, rule) = app.upload(bazaar_tests::plugin_bytes("bad_taxes")).await;
    assert!(status == 201 || status == 200, "{rule}");
    let path = "/v1/rules/settlement/broken/activate";
    let (status, body) = app
        .post_as(&app.operator, path, json!({"plugin": rule["sha256"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    let start = now(&app).await;
    let (_, customer) = app.customer("Carol").await;
    buy_active(&app, &customer, &product, "standard", "basic", "monthly").await;

    // The 7th: the rule's taxes exceed the sale, so no bill is written.
    advance(&app, bill_day_after(start) - now(&app).await).await;
    let id = month_id(start);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = app.get_as(&seller, &format!("/v1/bills/{id}")).await;
    assert_eq!(status, 404, "a bill with impossible taxes went out: {body}");
    let (_, listed) = app.get_as(&seller, "/v1/bills").await;
    assert_eq!(listed["bills"], json!([]), "{listed}");

    // Rolled back (deactivated), the bill comes with zero taxes.
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/settlement/broken/deactivate",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    advance(&app, HOUR).await;
    let bill = bill_of(&app, &seller, &id).await;
    assert_eq!(bill["bill"]["taxes"], "0.00", "{bill}");
    check_line(&bill["lines"][0], Decimal::from(10), Decimal::from(13));
    app.assert_reconciled().await;
    app.stop().await;
}
