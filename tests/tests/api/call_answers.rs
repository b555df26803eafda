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
