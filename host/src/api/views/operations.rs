//! How the API shows the feed, service flows, the clock, balances, charges,
//! packages and usage.
//!
//! Fields are declared in the order the JSON has always had them
//! (alphabetical), so bodies stay byte-identical.

use super::ordering::app_info;
use crate::app::App;
use crate::app::service_flow::FlowStatus;
use crate::app::usage::{Collection, Ingested};
use crate::domain::supervision::Party;
use crate::metering::Outcome;
use crate::store::{ChargeRow, EventRow, InstanceRow, PackageRow, TopUp, UsageRow};
use serde::Serialize;
use serde_json::Value;

/// `POST /v1/usage`: one result per record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestView {
    /// Records stored.
    pub accepted: usize,
    /// Records already stored (or repeated in the batch).
    pub duplicates: usize,
    /// Records refused.
    pub refused: usize,
    /// One outcome per record, in order.
    pub results: Vec<Outcome>,
}

impl From<Ingested> for IngestView {
    fn from(i: Ingested) -> Self {
        IngestView {
            accepted: i.accepted,
            duplicates: i.duplicates,
            refused: i.refused,
            results: i.results,
        }
    }
}

/// One stored usage record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct UsageRecordView {
    /// Start, ms.
    pub begin: i64,
    /// The billing item.
    pub billing_item: String,
    /// End, ms.
    pub end: i64,
    /// The seller's dedup key.
    pub metering_id: String,
    /// When Bazaar stored it (ms).
    pub received_at: i64,
    /// `api` or `plugin`.
    pub source: String,
    /// The usage, a decimal string.
    pub value: String,
    /// The package it names to be deducted from first (§3.5.4.2), if any.
    pub package: Option<String>,
}

/// `GET /v1/instances/{id}/usage`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsagePage {
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
    /// Oldest first (by end, then metering id).
    pub records: Vec<UsageRecordView>,
}

impl UsagePage {
    /// A page of `rows`, with the page's `next`.
    pub fn new(rows: &[UsageRow], next: Option<String>) -> Self {
        UsagePage {
            next,
            records: rows
                .iter()
                .map(|r| UsageRecordView {
                    begin: r.begin_ms,
                    billing_item: r.billing_item.clone(),
                    end: r.end_ms,
                    metering_id: r.metering_id.clone(),
                    received_at: r.received_at,
                    source: r.source.clone(),
                    value: r.value.clone(),
                    package: r.package_id.clone(),
                })
                .collect(),
        }
    }
}

/// `GET /v1/products/{id}/metering`: how usage collection stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MeteringView {
    /// Windows before this are collected; null before the first collection.
    pub collected_until: Option<i64>,
    /// Failed collections since the last one that succeeded.
    pub consecutive_failures: i64,
    /// Why the last failed collection failed.
    pub last_error: Option<String>,
    /// The live definition's metering plugin.
    pub metering_plugin: Option<String>,
    /// The product.
    pub product: String,
    /// When the failing plugin is called again, while in the future.
    pub retry_at: Option<i64>,
    /// When the status last changed.
    pub updated_at: Option<i64>,
}

impl From<Collection> for MeteringView {
    fn from(c: Collection) -> Self {
        let s = c.status.as_ref();
        MeteringView {
            collected_until: s.map(|s| s.collected_until),
            consecutive_failures: s.map_or(0, |s| s.failures),
            last_error: s.and_then(|s| s.last_error.clone()),
            metering_plugin: c.plugin,
            product: c.product_id,
            retry_at: s.map(|s| s.retry_at).filter(|at| *at > c.now_ms),
            updated_at: s.map(|s| s.updated_at),
        }
    }
}

/// A pay-per-use charge.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ChargeView {
    /// The amount charged, a decimal string.
    pub amount: String,
    /// The usage charged after packages were deducted.
    pub billed_usage: String,
    /// When it was charged (ms).
    pub created_at: i64,
    /// End of the billing cycle (ms, exclusive).
    pub cycle_end: i64,
    /// Start of the billing cycle (ms).
    pub cycle_start: i64,
    /// Its id.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// When the balance paid it (ms).
    pub paid_at: Option<i64>,
    /// The itemised quote it was priced with.
    #[schema(value_type = Object)]
    pub quote: Value,
    /// unpaid | paid.
    pub state: String,
    /// The usage in the cycle.
    pub usage: String,
}

impl From<&ChargeRow> for ChargeView {
    fn from(c: &ChargeRow) -> Self {
        ChargeView {
            amount: c.amount.clone(),
            billed_usage: c.billed_usage.clone(),
            created_at: c.created_at,
            cycle_end: c.cycle_end,
            cycle_start: c.cycle_start,
            id: c.id.clone(),
            instance_id: c.instance_id.clone(),
            paid_at: c.paid_at,
            quote: serde_json::from_str(&c.quote).unwrap_or(Value::Null),
            state: c.state.clone(),
            usage: c.usage.clone(),
        }
    }
}

/// Charges in order.
pub fn charge_views(rows: &[ChargeRow]) -> Vec<ChargeView> {
    rows.iter().map(ChargeView::from).collect()
}

/// `GET /v1/balance`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BalanceView {
    /// The balance, a decimal string with two places.
    pub amount: String,
    /// Unpaid charges, oldest first.
    pub unpaid: Vec<ChargeView>,
}

/// `POST /v1/balance/top-up`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopUpView {
    /// The balance after it, two decimal places.
    pub amount: String,
    /// Instances whose arrears it cleared (the worker unfreezes them).
    pub cleared: Vec<String>,
    /// Charges it paid.
    pub paid: Vec<String>,
    /// Whether this answers an earlier top-up with the same idempotency key.
    pub replayed: bool,
}

impl From<TopUp> for TopUpView {
    fn from(t: TopUp) -> Self {
        TopUpView {
            amount: t.balance.round_dp(2).to_string(),
            cleared: t.cleared,
            paid: t.paid,
            replayed: t.replayed,
        }
    }
}

/// `GET /v1/instances/{id}/charges`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChargeList {
    /// By billing cycle, oldest first.
    pub charges: Vec<ChargeView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// A bought usage package.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PackageView {
    /// The billing item whose usage it covers.
    pub billing_item: String,
    /// When it ends (ms).
    pub expires_at: i64,
    /// Its id.
    pub id: String,
    /// The offer it was bought from.
    pub offer: String,
    /// monthly | yearly.
    pub period: String,
    /// Price per period.
    pub price: String,
    /// Usage included (per period when it resets).
    pub quota: String,
    /// Whether the quota is restored each period.
    pub reset: bool,
    /// When it started (ms).
    pub starts_at: i64,
    /// Whether the instance stops when the quota is gone.
    pub stop_before_excess: bool,
    /// Usage deducted in the current period.
    pub used: String,
}

impl From<&PackageRow> for PackageView {
    fn from(p: &PackageRow) -> Self {
        PackageView {
            billing_item: p.billing_item.clone(),
            expires_at: p.expires_at,
            id: p.id.clone(),
            offer: p.offer_id.clone(),
            period: p.period.clone(),
            price: p.price.clone(),
            quota: p.quota.clone(),
            reset: p.reset,
            starts_at: p.starts_at,
            stop_before_excess: p.stop_before_excess,
            used: p.used.clone(),
        }
    }
}

/// `GET /v1/instances/{id}/packages`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PackageList {
    /// Oldest first.
    pub packages: Vec<PackageView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// One event of the seller's feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct FeedEventView {
    /// For `instance.provisioned`: the instance's app info (credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub app: Option<Value>,
    /// When it happened (ms).
    pub at: i64,
    /// The instance's customer.
    pub customer_id: String,
    /// What the event carries, by kind.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// The instance.
    pub instance_id: String,
    /// `instance.provisioned`, `instance.frozen`...
    pub kind: String,
    /// The order behind it, if any.
    pub order_id: Option<String>,
    /// Its position in the feed: the cursor.
    pub seq: i64,
}

impl FeedEventView {
    /// `e`, with its instance's app info when `instance` is given.
    pub fn new(app: &App, e: &EventRow, instance: Option<&InstanceRow>) -> Self {
        FeedEventView {
            app: instance.map(|i| app_info(app, i)),
            at: e.at,
            customer_id: e.customer_id.clone(),
            detail: serde_json::from_str(&e.detail).unwrap_or(Value::Null),
            instance_id: e.instance_id.clone(),
            kind: e.kind.clone(),
            order_id: e.order_id.clone(),
            seq: e.seq,
        }
    }
}

/// `GET /v1/feed`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedView {
    /// In order.
    pub events: Vec<FeedEventView>,
    /// The `after` of the next page.
    pub next: i64,
}

/// `GET /v1/orders/{id}/service-flow`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct FlowView {
    /// When the order completes if nobody acts.
    pub completes_at: Option<i64>,
    /// The flow: state, rejections, last activity, acceptance, history.
    #[schema(value_type = Object)]
    pub flow: Value,
    /// Whether the caller may appeal now.
    pub may_appeal: bool,
    /// Who must act next; null once the flow ended.
    pub whose_turn: Option<Party>,
}

impl FlowView {
    /// The view of `s`.
    pub fn new(s: &FlowStatus) -> Result<Self, serde_json::Error> {
        Ok(FlowView {
            completes_at: s.completes_at,
            flow: serde_json::to_value(&s.flow)?,
            may_appeal: s.may_appeal,
            whose_turn: s.whose_turn,
        })
    }
}

/// `POST /v1/orders/{id}/service-flow`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowActed {
    /// The flow after the action.
    #[schema(value_type = Object)]
    pub flow: Value,
    /// The order as it now is.
    #[schema(value_type = Object)]
    pub order: Value,
}

/// `GET /v1/clock` and `POST /v1/clock/advance`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ClockView {
    /// The service's time (ms).
    pub now_ms: i64,
    /// Whether it is simulated (and operators may move it).
    pub simulated: bool,
}

/// `GET /v1/stats`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StatsView {
    /// Jobs waiting for the worker.
    pub queued_jobs: i64,
    /// The worker's counters.
    #[schema(value_type = Object)]
    pub worker: Value,
}
