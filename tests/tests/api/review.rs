//! The release review: required cases before submission, cases replayed
//! and review rule plugins run on submission, approval refused while a
//! blocker or a failing case remains; rule plugins activated, rolled back
//! and deactivated at run time; cases of released products kept.

use bazaar_tests::market::{
    plugin_variant as rebuilt, product_draft, record_cases, upload_plugin as upload,
};
use bazaar_tests::{plugin_bytes, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_needs_cases_and_review_findings_and_failing_cases_block_approval() {
    let app = spawn_app().await;
    let seller = app.seller.clone();
    let sha = upload(&app, &seller, "life", plugin_bytes("saas_lifecycle")).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, product) = app
        .post_as(&seller, "/v1/products", product_draft(&sha))
        .await;
    assert_eq!(status, 201, "{product}");
    let submit = format!(
        "/v1/products/{}/release-applications",
        product["id"].as_str().unwrap()
    );

    // No cases: refused, every missing scenario named.
    let (status, refused) = app.post_as(&seller, &submit, json!({})).await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "cases.create",
            "cases.renew",
            "cases.freeze",
            "cases.unfreeze",
            "cases.upgrade",
            "cases.release"
        ]
    );
    let ids = record_cases(&app, &seller, &sha).await;
    let (status, listed) = app
        .get_as(
            &seller,
            &format!("/v1/cases?product={}", product["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["cases"].as_array().unwrap().len(),
        6,
        "the product's cases"
    );

    // A case whose expectation no longer holds fails the review.
    let (_, file) = app
        .get_as(&seller, &format!("/v1/cases/export?plugin={sha}"))
        .await;
    let mut stale = json!({"format": "bazaar-cases/1", "cases": [file["cases"][0].clone()]});
    stale["cases"][0]["expected"]["ok"]["instance-id"] = json!("elsewhere");
    let (status, imported) = app.post_as(&seller, "/v1/cases/import", stale).await;
    assert_eq!(status, 200, "{imported}");
    let stale_id = imported["cases"][0]["id"].as_str().unwrap().to_string();

    let (status, application) = app.post_as(&seller, &submit, json!({})).await;
    assert_eq!(status, 201, "{application}");
    let app_id = application["id"].as_str().unwrap().to_string();
    let review = &application["review"];
    assert_eq!(review["cases"].as_array().unwrap().len(), 7, "{review}");
    assert_eq!(review["failing-cases"], 1, "{review}");
    let failing: Vec<&Value> = review["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["result"] == "fail")
        .collect();
    assert_eq!(failing[0]["case"], stale_id.as_str());
    assert_eq!(failing[0]["diff"]["path"], "ok.instance-id");
    let approve = format!("/v1/release-applications/{app_id}/approve");
    let (status, body) = app.post_as(&app.operator, &approve, json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains(&stale_id),
        "{body}"
    );

    // The operator activates the listing rules: blockers appear.
    let rules = upload(
        &app,
        &app.operator,
        "listing-rules",
        plugin_bytes("listing_rules"),
    )
    .await;
    let rules_v1 = rules["sha256"].as_str().unwrap().to_string();
    let rules_v2 = upload(
        &app,
        &app.operator,
        "listing-rules",
        rebuilt("listing_rules", "v2"),
    )
    .await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/review/listing/activate",
            json!({"plugin": sha}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("plugin")),
        "a lifecycle plugin is no review rule: {body}"
    );
    for v in [&rules_v2, &rules_v1] {
        let (status, body) = app
            .post_as(
                &app.operator,
                "/v1/rules/review/listing/activate",
                json!({"plugin": v}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // Pricing rules are registered the same way (their use is the pricing engine's).
    let pricing = upload(&app, &app.operator, "tiers", plugin_bytes("tiered_pricing")).await;
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/pricing/tiers/activate",
            json!({"plugin": pricing["sha256"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/shipping/x/activate",
            json!({"plugin": pricing["sha256"]}),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("kind")));
    let (status, _) = app
        .post_as(
            &seller,
            "/v1/rules/review/listing/activate",
            json!({"plugin": rules_v1}),
        )
        .await;
    assert_eq!(status, 403, "sellers do not change the rules");
    let (_, listed) = app.get_as(&app.operator, "/v1/rules").await;
    let active: Vec<(&str, &str, &str)> = listed["active"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["name"].as_str().unwrap(),
                r["plugin"].as_str().unwrap(),
            )
        })
        .collect();
    let pricing_sha = pricing["sha256"].as_str().unwrap();
    assert_eq!(
        active,
        [
            ("pricing", "tiers", pricing_sha),
            ("review", "listing", rules_v1.as_str())
        ],
        "the re-activated version is the active one: {listed}"
    );
    assert_eq!(listed["history"].as_array().unwrap().len(), 3);

    let rereview = format!("/v1/release-applications/{app_id}/review");
    let (status, reviewed) = app.post_as(&app.operator, &rereview, json!({})).await;
    assert_eq!(status, 200, "{reviewed}");
    let findings = reviewed["review"]["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule-id"] == "listing.description.length" && f["severity"] == "blocker"),
        "{reviewed}"
    );
    assert!(reviewed["review"]["blockers"].as_i64().unwrap() > 0);
    let (status, body) = app.post_as(&app.operator, &approve, json!({})).await;
    assert_eq!(status, 409);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("listing.description.length"),
        "{body}"
    );

    // Rules off, stale case gone: the next review is clean and approval works.
    let (status, _) = app
        .post_as(
            &app.operator,
            "/v1/rules/review/listing/deactivate",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send_as(
            &seller,
            Method::DELETE,
            &format!("/v1/cases/{stale_id}"),
            json!({}),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, reviewed) = app.post_as(&app.operator, &rereview, json!({})).await;
    assert_eq!(
        (
            reviewed["review"]["blockers"].as_i64(),
            reviewed["review"]["failing-cases"].as_i64()
        ),
        (Some(0), Some(0)),
        "{reviewed}"
    );
    let (status, body) = app.post_as(&app.operator, &approve, json!({})).await;
    assert_eq!(status, 200, "{body}");

    // The product is released: its cases can no longer be deleted.
    let (status, body) = app
        .send_as(
            &seller,
            Method::DELETE,
            &format!("/v1/cases/{}", ids[0]),
            json!({}),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("released product"),
        "{body}"
    );
    app.stop().await;
}
