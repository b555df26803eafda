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

/// 01:00 UTC on the 7th of the month after the one `ms` falls in: when the
/// bills of `ms`'s month are due.
pub fn bill_day_after(ms: i64) -> i64 {
    use bazaar_host::domain::catalog::{civil_date, date_ms};
    let (y, m, _) = civil_date(ms);
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    date_ms(y, m, 7) + HOUR
}

/// The bill id (`YYYYMM`) of the month `ms` falls in.
pub fn month_id(ms: i64) -> String {
    let (y, m, _) = bazaar_host::domain::catalog::civil_date(ms);
    format!("{y:04}{m:02}")
}

/// Moves the clock to `at` (which must not be in the past).
pub async fn advance_to(app: &TestApp, at: i64) {
    let ms = at - now(app).await;
    assert!(ms >= 0, "the clock is past {at}");
    advance(app, ms).await;
}
