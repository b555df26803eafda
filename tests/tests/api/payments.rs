//! Paying for orders (issue 15 §1–2): an order that costs money is paid
//! from the customer's balance as it is accepted, or refused with what is
//! missing and nothing written; unsubscribing refunds the unused part by the
//! upgrade day count; a failed order's payment goes back; every movement is
//! a ledger row, and the ledger adds up to every balance.

use bazaar_tests::clock::{DAY, advance};
use bazaar_tests::market::{buy_active, listed_product, wait_instance, wait_order};
use bazaar_tests::money::{cents, d};
use bazaar_tests::{TestApp, spawn_app};
use rust_decimal::Decimal;
use serde_json::{Value, json};

async fn balance(app: &TestApp, customer: &str) -> Decimal {
    let (status, body) = app.get_as(customer, "/v1/balance").await;
    assert_eq!(status, 200, "{body}");
    d(&body["amount"])
}

async fn ledger(app: &TestApp, customer: &str) -> Vec<Value> {
    let (status, body) = app.get_as(customer, "/v1/ledger?limit=500").await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

async fn top_up(app: &TestApp, customer: &str, amount: &str) {
    let (status, body) = app
        .post_as(customer, "/v1/balance/top-up", json!({"amount": amount}))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The ledger adds up to the balance, each row's `balance` is the running
/// sum, and the operator's reconciliation finds no difference anywhere.
async fn reconciles(app: &TestApp, customer: &str) {
    let rows = ledger(app, customer).await;
    let mut running = Decimal::ZERO;
    for r in &rows {
        running += d(&r["amount"]);
        assert_eq!(d(&r["balance"]), running, "running balance: {r}");
    }
    assert_eq!(running, balance(app, customer).await);
    let (status, check) = app.get_as(&app.operator, "/v1/ledger/check").await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["consistent"], true, "{check}");
    app.assert_reconciled().await;
}

fn monthly(product: &str, sku: &str) -> Value {
    json!({"product": product, "specification": "standard", "sku": sku, "billing-mode": "monthly"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_paid_as_it_is_accepted_or_refused_with_what_is_missing() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.account("customer", "Poor").await;

    // No balance: 402 naming the balance and what is missing; nothing written.
    let (status, body) = app
        .post_as(&customer, "/v1/orders", monthly(&product, "basic"))
        .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"], "payment-required");
    assert_eq!(body["field"], "balance");
    assert_eq!(body["missing"], "10.00");
    assert_eq!(body["amount"], "10.00");
    let (_, orders) = app.get_as(&customer, "/v1/orders").await;
    assert_eq!(orders["orders"].as_array().unwrap().len(), 0, "{orders}");
    let (_, instances) = app.get_as(&customer, "/v1/instances").await;
    assert_eq!(instances["instances"].as_array().unwrap().len(), 0);
    assert!(ledger(&app, &customer).await.is_empty());

    // 15.00 pays for one month of basic (10.00), once however often the
    // request is retried.
    top_up(&app, &customer, "15.00").await;
    let mut placed = Vec::new();
    for expected in [202, 200] {
        let (status, body) = app
            .send_as(
                &customer,
                reqwest::Method::POST,
                "/v1/orders",
                monthly(&product, "basic"),
                Some("pay-once"),
            )
            .await;
        assert_eq!(status, expected, "{body}");
        placed.push(body);
    }
    assert_eq!(placed[0]["order"]["id"], placed[1]["order"]["id"]);
    let order = &placed[0]["order"];
    assert_eq!(order["payment"], "paid");
    assert_eq!(order["amount"], "10.00");
    assert_eq!(order["refunded"], "0.00");
    assert_eq!(order["effective-at"], order["created-at"]);
    assert_eq!(balance(&app, &customer).await, Decimal::new(500, 2));

    // A yearly pro subscription (250.00) is 245.00 short.
    let (status, body) = app
        .post_as(&customer, "/v1/orders", json!({"product": product, "specification": "standard", "sku": "pro", "billing-mode": "yearly"}))
        .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["missing"], "245.00");
    assert_eq!(balance(&app, &customer).await, Decimal::new(500, 2));

    let rows = ledger(&app, &customer).await;
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("top-up", "15.00"), ("order-payment", "-10.00")]);
    assert_eq!(rows[1]["cause"], order["id"]);
    reconciles(&app, &customer).await;

    // A customer reads only their own ledger; a seller has none here.
    let (status, body) = app
        .get_as(&customer, "/v1/ledger?account=acc_someone_else")
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "account");
    let (status, _) = app.get_as(&app.seller, "/v1/ledger").await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_refunds_the_unused_days_and_renewals_take_effect_at_the_old_expiry() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.account("customer", "Carol").await;
    top_up(&app, &customer, "100.00").await;
    let id = buy_active(&app, &customer, &product, "standard", "basic", "monthly").await;
    let (_, i) = app.get_as(&customer, &format!("/v1/instances/{id}")).await;
    let expires = i["expires-at"].as_i64().unwrap();

    // A renewal of 2 months (20.00) starts where the paid month ends.
    let (status, renewal) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{id}/renew"),
            json!({"periods": 2}),
        )
        .await;
    assert_eq!(status, 202, "{renewal}");
    assert_eq!(renewal["order"]["amount"], "20.00");
    assert_eq!(renewal["order"]["payment"], "paid");
    assert_eq!(renewal["order"]["effective-at"], json!(expires));
    let renewal_id = renewal["order"]["id"].as_str().unwrap().to_string();
    wait_order(&app, &customer, &renewal_id).await;
    assert_eq!(balance(&app, &customer).await, Decimal::new(7000, 2));

    // Ten days later: the month then running has its days after today left,
    // counted as upgrades count them (a started day counts), plus the two
    // renewed months. Computed here by hand: P days in the current month,
    // P − 10 of them left, at 10.00 a month.
    advance(&app, 10 * DAY).await;
    let (_, i) = app.get_as(&customer, &format!("/v1/instances/{id}")).await;
    let created = i["created-at"].as_i64().unwrap();
    let period_days = (expires - created) / DAY;
    assert!((28..=31).contains(&period_days), "{period_days}");
    let left = Decimal::from(period_days - 10) / Decimal::from(period_days);
    let expected = cents(Decimal::from(10) * (Decimal::from(2) + left));

    let (status, quote) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{id}/quote"),
            json!({"action": "unsubscribe"}),
        )
        .await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(d(&quote["quote"]["total"]), -expected, "{quote}");
    let lines: Decimal = quote["quote"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| d(&l["amount"]))
        .sum();
    assert_eq!(lines, -expected, "the lines add up to the total");

    let (status, gone) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{id}/unsubscribe"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{gone}");
    assert_eq!(d(&gone["order"]["amount"]), -expected);
    assert_eq!(balance(&app, &customer).await, Decimal::from(70) + expected);

    // The renewal is refunded first (its months were never used), the rest
    // from the first month's payment.
    let (_, renewal) = app
        .get_as(&customer, &format!("/v1/orders/{renewal_id}"))
        .await;
    assert_eq!(renewal["payment"], "refunded", "{renewal}");
    assert_eq!(renewal["refunded"], "20.00");
    let (_, orders) = app
        .get_as(&customer, &format!("/v1/instances/{id}/orders"))
        .await;
    let first = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "subscribe")
        .unwrap()
        .clone();
    assert_eq!(first["payment"], "partially-refunded", "{first}");
    assert_eq!(d(&first["refunded"]), expected - Decimal::from(20));
    let rows = ledger(&app, &customer).await;
    let last = rows.last().unwrap();
    assert_eq!(last["kind"], "refund");
    assert_eq!(last["cause"], gone["order"]["id"]);
    assert_eq!(d(&last["amount"]), expected);
    reconciles(&app, &customer).await;

    // Nothing is left to refund a second time.
    let (status, _) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{id}/quote"),
            json!({"action": "unsubscribe"}),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_refunds_nothing_and_a_failed_order_gets_its_payment_back() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.account("customer", "Tess").await;
    let (status, trial) = app
        .post_as(&customer, "/v1/orders", json!({"product": product, "specification": "standard", "sku": "basic", "billing-mode": "monthly", "trial": true}))
        .await;
    assert_eq!(status, 202, "{trial}");
    assert_eq!(trial["order"]["payment"], "none");
    let id = trial["instance"]["id"].as_str().unwrap().to_string();
    wait_instance(&app, &customer, &id, |i| i["state"] == "active").await;
    let (status, quote) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{id}/quote"),
            json!({"action": "unsubscribe"}),
        )
        .await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(quote["quote"]["total"], "0.00");
    let (status, gone) = app
        .post_as(
            &customer,
            &format!("/v1/instances/{id}/unsubscribe"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{gone}");
    assert_eq!(gone["order"]["amount"], "0.00");
    assert!(ledger(&app, &customer).await.is_empty());

    // A plugin that refuses the creation fails the order: the 10.00 paid
    // for it goes back to the balance, as a ledger row of its own.
    let (_, hostile, _) = listed_product(&app, "hostile", false).await;
    let (_, refused) = app.account("customer", "refuse").await;
    top_up(&app, &refused, "10.00").await;
    let (status, placed) = app
        .post_as(&refused, "/v1/orders", monthly(&hostile, "basic"))
        .await;
    assert_eq!(status, 202, "{placed}");
    assert_eq!(balance(&app, &refused).await, Decimal::ZERO);
    let order_id = placed["order"]["id"].as_str().unwrap();
    let done = wait_order(&app, &refused, order_id).await;
    assert_eq!(done["state"], "failed");
    assert_eq!(done["payment"], "refunded");
    assert_eq!(done["refunded"], "10.00");
    assert_eq!(balance(&app, &refused).await, Decimal::new(1000, 2));
    let kinds: Vec<String> = ledger(&app, &refused)
        .await
        .iter()
        .map(|r| format!("{} {} {}", r["kind"], r["amount"], r["cause"] == *order_id))
        .collect();
    assert_eq!(
        kinds,
        [
            "\"top-up\" \"10.00\" false",
            "\"order-payment\" \"-10.00\" true",
            "\"refund\" \"10.00\" true"
        ]
    );
    reconciles(&app, &refused).await;
}

/// Orders arriving together are accepted in one transaction (group commit);
/// each still pays exactly once from what its customer's balance holds at
/// that moment, a top-up landing meanwhile is never lost, and a
/// once-per-customer order repeated in the same burst is accepted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_accepted_together_pay_exactly_what_the_balances_hold() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, exact) = app.account("customer", "Exact").await;
    let (_, topped) = app.account("customer", "Topped").await;
    let (_, big) = app.account("customer", "Big").await;
    top_up(&app, &exact, "30.00").await;
    top_up(&app, &topped, "25.00").await;
    top_up(&app, &big, "10000.00").await;

    let post = |token: &str, body: Value| {
        let (client, url, token) = (app.client.clone(), app.url("/v1/orders"), token.to_string());
        async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            bazaar_tests::reply("post", res).await
        }
    };
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..5 {
        burst.spawn(post(&exact, monthly(&product, "basic")));
        burst.spawn(post(&topped, monthly(&product, "basic")));
    }
    let enterprise = json!({"product": product, "specification": "enterprise", "sku": "ent", "billing-mode": "yearly"});
    for _ in 0..2 {
        burst.spawn(post(&big, enterprise.clone()));
    }
    let (client, url, token) = (
        app.client.clone(),
        app.url("/v1/balance/top-up"),
        topped.clone(),
    );
    burst.spawn(async move {
        let res = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({"amount": "10.00"}))
            .send()
            .await
            .expect("request");
        let (status, body) = bazaar_tests::reply("post", res).await;
        (status, json!({"top-up": body}))
    });
    let answers = burst.join_all().await;

    let mut accepted = std::collections::BTreeMap::<String, u32>::new();
    let mut refused = 0;
    for (status, body) in &answers {
        match status {
            202 => {
                assert_eq!(body["order"]["payment"], "paid", "{body}");
                *accepted
                    .entry(body["order"]["customer-id"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            402 => {
                assert_eq!(body["error"], "payment-required", "{body}");
                refused += 1;
            }
            409 => assert!(body["error"].is_string(), "{body}"),
            200 => assert!(body.get("top-up").is_some(), "{body}"),
            _ => panic!("{status}: {body}"),
        }
    }
    let id_of = async |token: &str| {
        let (_, me) = app.get_as(token, "/v1/me").await;
        me["account"]["id"].as_str().expect("id").to_string()
    };
    let count = |id: &str| accepted.get(id).copied().unwrap_or(0);
    let (exact_id, topped_id, big_id) =
        (id_of(&exact).await, id_of(&topped).await, id_of(&big).await);
    // 30.00 pays for exactly three; 25.00 (+10.00 meanwhile) for two or three.
    assert_eq!(count(&exact_id), 3, "{answers:?}");
    let t = count(&topped_id);
    assert!(t == 2 || t == 3, "{answers:?}");
    assert_eq!(refused, 2 + (5 - t), "{answers:?}");
    assert_eq!(count(&big_id), 1, "once per customer: {answers:?}");
    assert_eq!(balance(&app, &exact).await, Decimal::ZERO);
    assert_eq!(balance(&app, &topped).await, Decimal::from(35 - 10 * t));
    assert_eq!(balance(&app, &big).await, Decimal::from(5000));
    for customer in [&exact, &topped, &big] {
        let (_, instances) = app.get_as(customer, "/v1/instances").await;
        let n = instances["instances"].as_array().unwrap().len();
        let expected = [(&exact, 3), (&topped, t), (&big, 1)];
        assert_eq!(
            n as u32,
            expected.iter().find(|(c, _)| *c == customer).unwrap().1,
            "{instances}"
        );
        reconciles(&app, customer).await;
    }
    app.stop().await;
}
