//! What a debug call's answer carries (issue 13 §19, §20): the logs and
//! transcript of a noisy call are shown up to a cap with the bytes cut
//! counted, saved cases keep everything, and error details, transcripts and
//! key-value writes follow one spelling.

use bazaar_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

/// Bytes of each stream an answer shows (the service's `SHOWN_BYTES`).
const SHOWN: u64 = 64 << 10;

/// `create-instance` of the hostile plugin behaving normally: it logs
/// `create-instance {order-id}: behaving` and answers an instance id and a
/// front-end URL that both contain the order id.
async fn create(app: &TestApp, sha: &str, order_id: &str, save: bool) -> (u16, Value) {
    app.call(
        sha,
        json!({
            "world": "lifecycle",
            "function": "create-instance",
            "input": {"subscription": {
                "order-id": order_id, "customer-id": "cust-1", "customer-name": "Alice",
                "product-id": "prod-1", "sku-code": "basic-monthly", "billing-mode": "monthly",
                "attributes": [], "quantity": "1", "period-count": 1, "trial": false,
                "expires-at": 1_767_225_600_000i64}},
            "now-ms": 1_760_000_000_000i64,
            "seed": 1,
            "save": save,
        }),
    )
    .await
}

fn len(v: &Value) -> u64 {
    serde_json::to_vec(v).unwrap().len() as u64
}

/// A failing call whose log line and transcript are 600 KB each answers a
/// few hundred KiB at most, not the whole of both, and says how much it cut.
#[tokio::test]
async fn a_failed_call_shows_its_logs_and_transcript_up_to_a_cap() {
    let app = spawn_app().await;
    let sha = app.upload_new("hostile").await;
    // 600 KB of order id: the input fits (1 MiB), the output (instance id
    // and URL, 1.2 MB) does not.
    let order = "o".repeat(600_000);
    let (status, body) = create(&app, &sha, &order, false).await;
    assert_eq!(status, 422);
    let detail = &body["detail"];
    assert_eq!(detail["error"]["kind"], "output-too-large", "{detail:.300}");
    assert!(len(&body) < 4 * SHOWN, "answer of {} bytes", len(&body));

    let line = detail["logs"][0]["message"].as_str().unwrap();
    assert!(line.starts_with("create-instance ooo"), "{line:.100}");
    assert_eq!(line.len() as u64, SHOWN, "the line is cut at the cap");
    let message_bytes = format!("create-instance {order}: behaving").len() as u64;
    let cut = &detail["cut-bytes"];
    assert_eq!(cut["log"], message_bytes - SHOWN, "{cut}");
    assert_eq!(cut["stdout"], 0, "{cut}");
    let shown = len(&detail["transcript"]);
    assert!(shown <= SHOWN + 16, "transcript shown: {shown} bytes");
    assert!(
        cut["transcript"].as_u64().unwrap() + shown > message_bytes,
        "the transcript's cut and shown bytes add up to its size: {cut}"
    );
    app.stop().await;
}

/// A call that returns is shown the same way; the case saved from it keeps
/// the whole transcript and still replays.
#[tokio::test]
async fn a_returned_call_is_shown_capped_and_saved_whole() {
    let app = spawn_app().await;
    let sha = app.upload_new("hostile").await;
    let order = "o".repeat(200_000);
    let (status, body) = create(&app, &sha, &order, true).await;
    assert_eq!(status, 200, "{body:.300}");
    assert!(len(&body) < 2 * SHOWN + len(&body["output"]) + 4096);
    let cut = &body["cut-bytes"];
    assert!(cut["log"].as_u64().unwrap() > 100_000, "{cut}");
    assert!(cut["transcript"].as_u64().unwrap() > 100_000, "{cut}");

    let id = body["case"]["id"].as_str().unwrap();
    let (status, case) = app.get(&format!("/v1/cases/{id}")).await;
    assert_eq!(status, 200);
    let message = case["transcript"][0]["message"].as_str().unwrap();
    assert_eq!(message, format!("create-instance {order}: behaving"));
    let (status, replay) = app
        .post_as(&app.seller, &format!("/v1/cases/{id}/replay"), json!({}))
        .await;
    assert_eq!(
        (status, &replay["result"]),
        (200, &json!("pass")),
        "{replay:.300}"
    );
    app.stop().await;
}

/// Error details are kebab-case like every other field (`limit-bytes`, not
/// `limit_bytes`).
#[tokio::test]
async fn error_details_are_kebab_case() {
    let app = spawn_app().await;
    let sha = app.upload_new("hostile").await;
    let (status, body) = app
        .call(
            &sha,
            json!({"world": "lifecycle", "function": "create-instance",
                   "input": {"subscription": {
                       "order-id": "o", "customer-id": "c", "customer-name": "memory",
                       "product-id": "p", "sku-code": "s", "billing-mode": "monthly",
                       "attributes": [], "quantity": "1", "period-count": 1, "trial": false,
                       "expires-at": 1_767_225_600_000i64}}}),
        )
        .await;
    assert_eq!(status, 422);
    let error = &body["detail"]["error"];
    assert_eq!(error["kind"], "memory-exhausted", "{error}");
    assert!(error["limit-bytes"].as_u64().unwrap() > 0, "{error}");
    assert!(error.get("limit_bytes").is_none(), "{error}");
    app.stop().await;
}

/// Transcripts spell results as the WIT does (`{"ok": ...}`), and bytes
/// say they are hex (`value-hex`); a case file in the old spelling
/// (`{"Ok": ...}`, bare hex) still imports and replays.
#[tokio::test]
async fn transcripts_follow_the_wit_spelling_and_old_cases_still_load() {
    let app = spawn_app().await;
    let sha = app.upload_new("saas_lifecycle").await;
    let (status, body) = app
        .call(
            &sha,
            json!({"world": "lifecycle", "function": "create-instance",
                   "input": {"subscription": {
                       "order-id": "o-1", "customer-id": "c", "customer-name": "Alice",
                       "product-id": "p", "sku-code": "basic-monthly", "billing-mode": "monthly",
                       "attributes": [], "quantity": "1", "period-count": 1, "trial": false,
                       "expires-at": 1_767_225_600_000i64}},
                   "now-ms": 1_760_000_000_000i64, "seed": 3, "save": true}),
        )
        .await;
    assert_eq!(status, 200, "{body:.300}");
    let get = body["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call"] == "kv-get")
        .expect("the plugin reads its state");
    assert_eq!(get["result"], json!({"ok": null}), "{get}");
    assert!(body["transcript"].to_string().find("\"Ok\"").is_none());
    let write = &body["kv-writes"][0];
    assert!(write["value-hex"].is_string(), "{write}");

    // The same case in the old spelling, imported after deleting it.
    let id = body["case"]["id"].as_str().unwrap();
    let (_, file) = app.get(&format!("/v1/cases/export?plugin={sha}")).await;
    let old = file
        .to_string()
        .replace("\"ok\":{\"value-hex\":", "\"Ok\":")
        .replace("\"ok\":", "\"Ok\":")
        .replace("\"err\":", "\"Err\":")
        .replace("\"value-hex\":", "\"value\":")
        .replace("\"result-hex\":", "\"result\":");
    // Only the transcript had those spellings (the output keeps `ok`).
    let mut old: Value = serde_json::from_str(&old).unwrap();
    old["cases"][0]["expected"] = file["cases"][0]["expected"].clone();
    assert!(old.to_string().contains("\"Ok\":"), "{old}");
    let res = app
        .client
        .delete(app.url(&format!("/v1/cases/{id}")))
        .bearer_auth(&app.seller)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (status, imported) = app.post_as(&app.seller, "/v1/cases/import", old).await;
    assert_eq!(status, 200, "{imported}");
    let case = imported["cases"][0]["id"].as_str().unwrap();
    let (status, replay) = app
        .post_as(&app.seller, &format!("/v1/cases/{case}/replay"), json!({}))
        .await;
    assert_eq!(
        (status, &replay["result"]),
        (200, &json!("pass")),
        "{replay}"
    );
    app.stop().await;
}
