//! Lists answer pages (issue 13 item 15): `limit` rows at most, newest
//! first, and a `next` cursor to pass as `after` until it is null. Walking
//! a list page by page sees every row once, in the order of the whole list,
//! even when rows are added in front of it meanwhile; a bad cursor or limit
//! is a 400 naming the parameter.

use bazaar_tests::market::{listed_product, product_draft, record_cases, wait_order};
use bazaar_tests::{TestApp, plugin_bytes, spawn_app};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Every row of `path`'s list `field`, walked `limit` at a time; also how
/// many pages it took. Each page holds at most `limit` rows, only the last
/// may hold fewer, and only the last has a null `next`.
async fn walk(
    app: &TestApp,
    token: &str,
    path: &str,
    field: &str,
    limit: u32,
) -> (Vec<Value>, usize) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    for pages in 1.. {
        let url = match &after {
            None => format!("{path}{sep}limit={limit}"),
            Some(a) => format!("{path}{sep}limit={limit}&after={a}"),
        };
        let (status, body) = app.get_as(token, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        let page = body[field].as_array().expect(field).clone();
        assert!(page.len() <= limit as usize, "{url}: {body}");
        rows.extend(page.iter().cloned());
        match &body["next"] {
            Value::Null => return (rows, pages),
            Value::String(next) => {
                assert_eq!(
                    page.len(),
                    limit as usize,
                    "a short page has a next: {body}"
                );
                after = Some(next.clone());
            }
            other => panic!("next is {other}"),
        }
        assert!(pages < 100, "the walk does not end");
    }
    unreachable!()
}

/// The list as one page (all of it fits), to compare a walk against.
async fn whole(app: &TestApp, token: &str, path: &str, field: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, body) = app.get_as(token, &format!("{path}{sep}limit=500")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next"], Value::Null, "{body}");
    body[field].as_array().expect(field).clone()
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// Each id once, and newest first by `created-at`.
fn assert_once_newest_first(rows: &[Value]) {
    let ids = ids(rows);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a row repeats: {ids:?}");
    let times: Vec<i64> = rows
        .iter()
        .map(|r| r["created-at"].as_i64().expect("created-at"))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {times:?}"
    );
}

/// A customer's subscription to the standard spec; answers (order, instance).
async fn subscribe(app: &TestApp, customer: &str, product: &str) -> (String, String) {
    let (status, body) = app
        .post_as(
            customer,
            "/v1/orders",
            json!({"product": product, "specification": "standard", "sku": "basic", "billing-mode": "monthly"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    (
        body["order"]["id"].as_str().expect("order id").to_string(),
        body["instance"]["id"]
            .as_str()
            .expect("instance id")
            .to_string(),
    )
}

#[tokio::test]
async fn orders_and_instances_are_walked_page_by_page() {
    let app = spawn_app().await;
    let (seller, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let mut placed = Vec::new();
    for _ in 0..5 {
        placed.push(subscribe(&app, &customer, &product).await);
    }

    for token in [&customer, &seller, &app.operator] {
        for (path, field) in [("/v1/orders", "orders"), ("/v1/instances", "instances")] {
            let (walked, pages) = walk(&app, token, path, field, 2).await;
            assert_eq!(pages, 3, "{path}: 5 rows in pages of 2");
            assert_once_newest_first(&walked);
            assert_eq!(
                ids(&walked),
                ids(&whole(&app, token, path, field).await),
                "{path}"
            );
        }
    }
    let (orders, _) = walk(&app, &customer, "/v1/orders", "orders", 2).await;
    let mut expected: Vec<String> = placed.iter().map(|(o, _)| o.clone()).collect();
    let mut got = ids(&orders);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);

    // Exactly one page's worth: the page is full and the next is empty.
    let (status, body) = app.get_as(&customer, "/v1/orders?limit=5").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orders"].as_array().unwrap().len(), 5);
    assert_eq!(body["next"], Value::Null, "{body}");

    // Another customer's rows are not on anyone else's pages.
    let (_, other) = app.customer("Dave").await;
    let (status, body) = app.get_as(&other, "/v1/orders?limit=2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"orders": [], "next": null}));
}

#[tokio::test]
async fn rows_added_in_front_do_not_shift_later_pages() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    for _ in 0..4 {
        subscribe(&app, &customer, &product).await;
    }
    let before = ids(&whole(&app, &customer, "/v1/instances", "instances").await);

    let (status, first) = app.get_as(&customer, "/v1/instances?limit=2").await;
    assert_eq!(status, 200, "{first}");
    // A new instance lands in front of the first page; an offset would now
    // show the first page's last row again.
    subscribe(&app, &customer, &product).await;
    let next = first["next"].as_str().expect("next");
    let (status, second) = app
        .get_as(&customer, &format!("/v1/instances?limit=2&after={next}"))
        .await;
    assert_eq!(status, 200, "{second}");
    let mut seen = ids(first["instances"].as_array().unwrap());
    seen.extend(ids(second["instances"].as_array().unwrap()));
    assert_eq!(seen, before);
}

#[tokio::test]
async fn an_instances_orders_are_paged() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let (order, instance) = subscribe(&app, &customer, &product).await;
    wait_order(&app, &customer, &order).await;
    let mut placed = vec![order];
    for _ in 0..2 {
        let (status, body) = app
            .post_as(
                &customer,
                &format!("/v1/instances/{instance}/renew"),
                json!({}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let id = body["order"]["id"].as_str().expect("id").to_string();
        wait_order(&app, &customer, &id).await;
        placed.push(id);
    }
    let path = format!("/v1/instances/{instance}/orders");
    let (walked, pages) = walk(&app, &customer, &path, "orders", 1).await;
    assert_eq!(pages, 3);
    assert_once_newest_first(&walked);
    placed.reverse();
    assert_eq!(ids(&walked), placed, "newest first");
}

#[tokio::test]
async fn products_are_walked_page_by_page() {
    let app = spawn_app().await;
    let (_, seller) = app.account("seller", "Acme").await;
    let (status, body) = app
        .upload_as(&seller, "lifecycle", plugin_bytes("saas_lifecycle"))
        .await;
    assert_eq!(status, 201, "{body}");
    let sha = body["sha256"].as_str().expect("sha256").to_string();
    let mut made = Vec::new();
    for _ in 0..5 {
        let (status, body) = app
            .post_as(&seller, "/v1/products", product_draft(&sha))
            .await;
        assert_eq!(status, 201, "{body}");
        made.push(body["id"].as_str().unwrap().to_string());
    }
    for limit in [1, 2, 3] {
        let (walked, pages) = walk(&app, &seller, "/v1/products", "products", limit).await;
        assert_eq!(pages, 5usize.div_ceil(limit as usize), "limit {limit}");
        assert_once_newest_first(&walked);
        assert_eq!(
            ids(&walked),
            ids(&whole(&app, &seller, "/v1/products", "products").await)
        );
    }
    // A filter and the cursor go together.
    let (walked, _) = walk(&app, &seller, "/v1/products?status=unlisted", "products", 2).await;
    let mut got = ids(&walked);
    got.sort();
    made.sort();
    assert_eq!(got, made);
}

#[tokio::test]
async fn cases_are_walked_oldest_first() {
    let app = spawn_app().await;
    let (_, seller) = app.account("seller", "Acme").await;
    let (status, body) = app
        .upload_as(&seller, "lifecycle", plugin_bytes("saas_lifecycle"))
        .await;
    assert_eq!(status, 201, "{body}");
    let sha = body["sha256"].as_str().expect("sha256").to_string();
    let recorded = record_cases(&app, &seller, &sha).await;
    assert!(recorded.len() > 2, "{recorded:?}");
    let (status, body) = app
        .post_as(&seller, "/v1/products", product_draft(&sha))
        .await;
    assert_eq!(status, 201, "{body}");
    let product = body["id"].as_str().expect("id").to_string();

    for path in [
        "/v1/cases".to_string(),
        format!("/v1/cases?plugin={sha}"),
        format!("/v1/cases?product={product}"),
    ] {
        let (walked, pages) = walk(&app, &seller, &path, "cases", 2).await;
        assert_eq!(pages, recorded.len().div_ceil(2), "{path}");
        let times: Vec<i64> = walked
            .iter()
            .map(|c| c["created-at"].as_i64().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "not oldest first: {times:?}"
        );
        assert_eq!(
            ids(&walked),
            recorded,
            "{path}: in the order they were saved"
        );
        assert_eq!(
            ids(&walked),
            ids(&whole(&app, &seller, &path, "cases").await)
        );
    }
    let (status, body) = app.get_as(&seller, "/v1/cases?after=00").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "after", "{body}");
}

#[tokio::test]
async fn tokens_are_walked_newest_first() {
    let app = spawn_app().await;
    let (_, customer) = app.customer("Carol").await;
    for name in ["ci", "laptop", "phone"] {
        let (status, body) = app
            .post_as(&customer, "/v1/tokens", json!({"name": name}))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (walked, pages) = walk(&app, &customer, "/v1/tokens", "tokens", 3).await;
    assert_eq!(
        (walked.len(), pages),
        (4, 2),
        "the first token and three more"
    );
    assert_once_newest_first(&walked);
}

#[tokio::test]
async fn an_instances_charges_and_packages_are_paged_too() {
    let app = spawn_app().await;
    let (_, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    let (_, instance) = subscribe(&app, &customer, &product).await;
    for list in ["charges", "packages"] {
        let path = format!("/v1/instances/{instance}/{list}");
        let (status, body) = app.get_as(&customer, &format!("{path}?limit=1")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({list: [], "next": null}));
        let (status, body) = app.get_as(&customer, &format!("{path}?limit=0")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["field"], "limit", "{body}");
    }
}

#[tokio::test]
async fn plugins_are_walked_page_by_page() {
    let app = spawn_app().await;
    let (_, seller) = app.account("seller", "Acme").await;
    let mut uploaded = Vec::new();
    for name in ["saas_lifecycle", "tiered_pricing", "hostile"] {
        let (status, body) = app.upload_as(&seller, name, plugin_bytes(name)).await;
        assert_eq!(status, 201, "{body}");
        uploaded.push(body["sha256"].as_str().expect("sha256").to_string());
    }
    let (walked, pages) = walk(&app, &seller, "/v1/plugins", "plugins", 2).await;
    assert_eq!(pages, 2);
    let mut got: Vec<String> = walked
        .iter()
        .map(|p| p["sha256"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    uploaded.sort();
    assert_eq!(got, uploaded);

    // Operators page through every loaded version, by sha256.
    let (walked, _) = walk(&app, &app.operator, "/v1/plugins", "plugins", 2).await;
    let shas: Vec<&str> = walked
        .iter()
        .map(|p| p["sha256"].as_str().unwrap())
        .collect();
    assert!(shas.windows(2).all(|w| w[0] < w[1]), "{shas:?}");
    assert!(
        uploaded.iter().all(|u| shas.contains(&u.as_str())),
        "{shas:?}"
    );
}

#[tokio::test]
async fn a_bad_cursor_or_limit_names_the_parameter() {
    let app = spawn_app().await;
    let (_, customer) = app.customer("Carol").await;
    let cases = [
        ("/v1/orders?limit=0", "limit"),
        ("/v1/orders?limit=501", "limit"),
        ("/v1/orders?limit=ten", "limit"),
        ("/v1/orders?after=not-a-cursor", "after"),
        // Hex, but not of a cursor.
        ("/v1/orders?after=6869", "after"),
        ("/v1/instances?limit=-1", "limit"),
        ("/v1/instances?after=", "after"),
        ("/v1/products?after=zz", "after"),
        ("/v1/products?status=listed&limit=1000", "limit"),
        ("/v1/plugins?after=zz", "after"),
    ];
    for (path, field) in cases {
        let (status, body) = app.get_as(&customer, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
    }
    let (status, body) = app.get_as(&customer, "/v1/orders?limit=500").await;
    assert_eq!(status, 200, "{body}");
}
