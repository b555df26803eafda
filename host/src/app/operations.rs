//! The seller's change feed (a cursor over instance events, so the seller's
//! own systems pull what to provision instead of exposing an endpoint), the
//! simulated clock and the job queue's length.

use super::{App, AppError, Caller};
use crate::store::{EventRow, InstanceRow, Role};

/// Most events per page.
pub const MAX_PAGE: i64 = 1000;

/// The event kind whose page entry carries the instance's app info.
const PROVISIONED: &str = "instance.provisioned";

/// A page of the feed.
#[derive(Debug)]
pub struct FeedPage {
    /// Events in order, each with its instance when the seller's systems
    /// need it to set the customer up (`instance.provisioned`).
    pub events: Vec<(EventRow, Option<InstanceRow>)>,
    /// The cursor of the next page.
    pub next: i64,
}

/// The calling seller's events after `after`, at most `limit` (1 to
/// [`MAX_PAGE`], 100 when absent): the oldest of them, or with `latest` the
/// newest (in order either way).
pub async fn feed(
    app: &App,
    caller: &Caller,
    after: i64,
    limit: Option<i64>,
    latest: bool,
) -> Result<FeedPage, AppError> {
    caller.require(&[Role::Seller])?;
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::bad("limit", format!("1 to {MAX_PAGE}")));
    }
    let after = after.max(0);
    let rows = if latest {
        app.store.latest_events(&caller.id, after, limit).await?
    } else {
        app.store.events(&caller.id, after, limit).await?
    };
    let next = rows.last().map_or(after, |e| e.seq);
    let mut events = Vec::with_capacity(rows.len());
    for e in rows {
        let instance = if e.kind == PROVISIONED {
            app.store.instance(&e.instance_id).await?
        } else {
            None
        };
        events.push((e, instance));
    }
    Ok(FeedPage { events, next })
}

/// The `service_state` entry holding how far the simulated clock was moved.
pub const CLOCK_OFFSET: &str = "clock-offset-ms";

/// An operator moves the simulated clock `ms` forward; answers the new time.
pub async fn advance(app: &App, caller: &Caller, ms: i64) -> Result<i64, AppError> {
    caller.require(&[Role::Operator])?;
    if ms <= 0 {
        return Err(AppError::bad(
            "ms",
            "advance by a positive number of milliseconds",
        ));
    }
    let now = app.clock.advance(ms).ok_or_else(|| {
        AppError::Conflict(
            "the clock is real; start the service with --simulated-clock to move it".into(),
        )
    })?;
    // Kept, so a restart does not take time back (stored expiries would
    // otherwise lie in the future again).
    if let Some(offset) = app.clock.offset_ms() {
        app.store.raise_service_int(CLOCK_OFFSET, offset).await?;
    }
    app.wake.notify_one();
    Ok(now)
}

/// How many jobs wait for the worker (operators).
pub async fn queued_jobs(app: &App, caller: &Caller) -> Result<i64, AppError> {
    caller.require(&[Role::Operator])?;
    Ok(app.store.queued_jobs().await?)
}

/// The metrics page, in the Prometheus text format (operators).
pub async fn metrics(app: &App, caller: &Caller) -> Result<String, AppError> {
    caller.require(&[Role::Operator])?;
    metrics_page(app).await
}

/// The metrics page for the separate metrics address, which has no caller:
/// whoever can reach that address may read it (`--metrics-addr`).
pub async fn metrics_page(app: &App) -> Result<String, AppError> {
    Ok(crate::telemetry::render(&app.store, app.clock.now_ms()).await?)
}
