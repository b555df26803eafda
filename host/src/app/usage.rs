//! Usage: sellers send batches of usage records of their pay-per-use
//! instances (judged by the intake the worker's metering plugins also go
//! through, `crate::metering`), and read them back; how a product's usage
//! collection stands.

use super::access::{visible_instance, visible_product};
use super::{App, AppError, Caller, pages};
use crate::domain::usage::{BATCH_MAX, RawRecord, RecordStatus};
use crate::metering::{self, Outcome};
use crate::store::{MeteringStatus, Page, Role, UsageRow};

/// What became of a seller's batch.
#[derive(Debug)]
pub struct Ingested {
    /// Records stored.
    pub accepted: usize,
    /// Records already stored (or repeated in the batch).
    pub duplicates: usize,
    /// Records refused.
    pub refused: usize,
    /// One outcome per record, in order.
    pub results: Vec<Outcome>,
}

/// A seller's batch: each record parsed, or why it did not parse.
pub async fn ingest(
    app: &App,
    caller: &Caller,
    records: Vec<Result<RawRecord, String>>,
) -> Result<Ingested, AppError> {
    caller.require(&[Role::Seller])?;
    if records.is_empty() || records.len() > BATCH_MAX {
        return Err(AppError::bad(
            "records",
            format!("send 1 to {BATCH_MAX} records per batch"),
        ));
    }
    let results = metering::ingest(
        &app.store,
        &caller.id,
        records,
        app.clock.now_ms(),
        app.usage_late_window_ms,
        "api",
    )
    .await?;
    let count = |s: RecordStatus| results.iter().filter(|o| o.status == s).count();
    let (accepted, duplicates) = (
        count(RecordStatus::Accepted),
        count(RecordStatus::Duplicate),
    );
    Ok(Ingested {
        accepted,
        duplicates,
        refused: results.len() - accepted - duplicates,
        results,
    })
}

/// Most records per page.
pub const PAGE_MAX: i64 = 1000;

/// Records per page when the caller does not say.
pub const PAGE_DEFAULT: i64 = 500;

/// A page of an instance's usage records the caller may see, oldest
/// first (by end, then metering id); `after` and `limit` as every list
/// takes them, with this list's own bounds (1 to [`PAGE_MAX`],
/// [`PAGE_DEFAULT`] when absent).
pub async fn records(
    app: &App,
    caller: &Caller,
    instance_id: &str,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<UsageRow>, AppError> {
    let page = pages::request_within(after, limit, PAGE_DEFAULT, PAGE_MAX)?;
    let i = visible_instance(app, caller, instance_id).await?;
    Ok(app.store.usage_of(&i.id, &page).await?)
}

/// How a product's usage collection stands, for its seller and operators.
#[derive(Debug)]
pub struct Collection {
    /// The product.
    pub product_id: String,
    /// The live definition's metering plugin.
    pub plugin: Option<String>,
    /// `None` before the first collection.
    pub status: Option<MeteringStatus>,
    /// When it was read (ms).
    pub now_ms: i64,
}

/// The collection status of a product the caller sells (or any, operators).
pub async fn collection(app: &App, caller: &Caller, id: &str) -> Result<Collection, AppError> {
    caller.require(&[Role::Seller, Role::Operator])?;
    let p = visible_product(app, caller, id).await?;
    let plugin = p.live_draft().and_then(|live| live.metering_plugin);
    let status = app.store.metering_status(&p.id).await?;
    Ok(Collection {
        product_id: p.id,
        plugin,
        status,
        now_ms: app.clock.now_ms(),
    })
}
