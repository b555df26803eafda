//! The service's simulated clock (test services start with
//! `simulated_clock`), read and moved by the operator.

use crate::TestApp;
use serde_json::json;

/// An hour in milliseconds.
pub const HOUR: i64 = 3_600_000;
/// A day in milliseconds.
pub const DAY: i64 = 24 * HOUR;

/// The service's current time (`GET /v1/clock`), in Unix milliseconds.
pub async fn now(app: &TestApp) -> i64 {
    app.get_as(&app.operator, "/v1/clock").await.1["now-ms"]
        .as_i64()
        .unwrap()
}

/// Moves the service's clock `ms` milliseconds forward.
pub async fn advance(app: &TestApp, ms: i64) {
    let (status, body) = app
        .post_as(&app.operator, "/v1/clock/advance", json!({"ms": ms}))
        .await;
    assert_eq!(status, 200, "{body}");
}
