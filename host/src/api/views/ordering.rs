//! How orders, instances and quotes are shown.

use crate::app::App;
use crate::app::ordering::{Accepted, credentials};
use crate::app::quotes::{ChangeQuote, SubscriptionQuote};
use crate::domain::catalog::BillingMode;
use crate::domain::instance::{InstanceState, OrderKind, OrderState};
use crate::domain::pricing::Quote;
use crate::store::{InstanceRow, OrderRow, Role};
use serde::Serialize;
use serde_json::Value;

/// An order as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct OrderView {
    /// Marketplace id.
    pub id: String,
    /// The buyer.
    pub customer_id: String,
    /// The seller.
    pub seller_id: String,
    /// The instance it creates or changes.
    pub instance_id: String,
    /// What it does to its instance.
    pub kind: OrderKind,
    /// Where it is.
    pub state: OrderState,
    /// Amount charged, a decimal string; negative for an unsubscription's
    /// refund.
    pub amount: String,
    /// `none` (nothing to pay), `paid` (from the balance, as the order was
    /// accepted), `partially-refunded` or `refunded`.
    pub payment: String,
    /// How much of the payment went back to the balance.
    pub refunded: String,
    /// When what it bought takes effect (ms): acceptance, or for a renewal
    /// or a conversion the start of the periods bought.
    pub effective_at: Option<i64>,
    /// What was ordered.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// Why it failed.
    pub failure: Option<String>,
    /// The service supervision flow, for supervised products.
    #[schema(value_type = Option<Object>)]
    pub service_flow: Option<Value>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// What a customer reads where the seller and operator read a plugin's
/// failure: its detail (stderr, panics, the seller's code) is not theirs.
const NEUTRAL_ORDER_FAILURE: &str =
    "the seller's service could not complete this order; the seller has been told why";
const NEUTRAL_INSTANCE_FAILURE: &str =
    "the seller's service could not set up this instance; the seller has been told why";

/// `failure` as `viewer` may read it.
fn failure_for(failure: &Option<String>, viewer: Role, neutral: &str) -> Option<String> {
    match (failure, viewer) {
        (Some(_), Role::Customer) => Some(neutral.to_string()),
        (f, _) => f.clone(),
    }
}

impl OrderView {
    /// The order as `viewer` sees it.
    pub fn new(o: &OrderRow, viewer: Role) -> Self {
        let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
        OrderView {
            id: o.id.clone(),
            customer_id: o.customer_id.clone(),
            seller_id: o.seller_id.clone(),
            instance_id: o.instance_id.clone(),
            kind: o.kind,
            state: o.state,
            amount: o.amount.clone(),
            payment: o.payment.clone(),
            refunded: o.refunded.clone(),
            effective_at: o.effective_at,
            detail: parse(&o.detail),
            failure: failure_for(&o.failure, viewer, NEUTRAL_ORDER_FAILURE),
            service_flow: o.service_flow.as_deref().map(parse),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// An instance as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct InstanceView {
    /// Marketplace id.
    pub id: String,
    /// The product's seller.
    pub seller_id: String,
    /// The buyer.
    pub customer_id: String,
    /// The product.
    pub product_id: String,
    /// The approved product version it was bought from.
    pub product_version: i64,
    /// The specification.
    pub specification: String,
    /// The SKU.
    pub sku: String,
    /// How it is charged.
    pub billing_mode: BillingMode,
    /// Units of the quantity attribute.
    pub quantity: i64,
    /// A free trial.
    pub trial: bool,
    /// Where it is in its life.
    pub state: InstanceState,
    /// Why frozen.
    pub freeze_reason: Option<String>,
    /// End of the paid (or trial) period (ms).
    pub expires_at: Option<i64>,
    /// The plugin's id for it.
    pub seller_instance_id: Option<String>,
    /// Why provisioning failed.
    pub failure: Option<String>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// The decrypted app info (credentials), shown to the instance's
    /// customer and seller only (null when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub app: Option<Value>,
}

impl InstanceView {
    /// The instance as `viewer` sees it, with `app` (its decrypted app info)
    /// when given.
    pub fn new(i: &InstanceRow, app: Option<Value>, viewer: Role) -> Self {
        InstanceView {
            id: i.id.clone(),
            seller_id: i.seller_id.clone(),
            customer_id: i.customer_id.clone(),
            product_id: i.product_id.clone(),
            product_version: i.product_version,
            specification: i.spec_id.clone(),
            sku: i.sku_id.clone(),
            billing_mode: i.billing_mode,
            quantity: i.quantity,
            trial: i.trial,
            state: i.state,
            freeze_reason: i.freeze_reason.clone(),
            expires_at: i.expires_at,
            seller_instance_id: i.seller_instance_id.clone(),
            failure: failure_for(&i.failure, viewer, NEUTRAL_INSTANCE_FAILURE),
            created_at: i.created_at,
            updated_at: i.updated_at,
            app,
        }
    }
}

/// An accepted order and its instance (`POST /v1/orders`, the changes of
/// `/v1/instances/{id}/...`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderAccepted {
    /// The order.
    pub order: OrderView,
    /// Its instance.
    pub instance: Option<InstanceView>,
}

impl OrderAccepted {
    /// The accepted order as `viewer` sees it.
    pub fn new(a: &Accepted, viewer: Role) -> Self {
        OrderAccepted {
            order: OrderView::new(&a.order, viewer),
            instance: a
                .instance
                .as_ref()
                .map(|i| InstanceView::new(i, None, viewer)),
        }
    }
}

/// A list of orders.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderList {
    /// Newest first.
    pub orders: Vec<OrderView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

impl OrderList {
    /// The page of `rows` as `viewer` sees it, with the page's `next`.
    pub fn new(rows: &[OrderRow], next: Option<String>, viewer: Role) -> Self {
        OrderList {
            orders: rows.iter().map(|o| OrderView::new(o, viewer)).collect(),
            next,
        }
    }
}

/// A list of instances.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstanceList {
    /// Newest first.
    pub instances: Vec<InstanceView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// The price of a subscription (`POST /v1/quotes`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SubscriptionQuoteView {
    /// The itemised price.
    pub quote: Quote,
    /// Units.
    pub quantity: u32,
    /// Periods; 0 for one-time and pay-per-use.
    pub periods: u32,
    /// End of the paid (or trial) period.
    pub expires_at: Option<i64>,
    /// When it was priced (ms).
    pub quoted_at: i64,
}

impl From<SubscriptionQuote> for SubscriptionQuoteView {
    fn from(q: SubscriptionQuote) -> Self {
        SubscriptionQuoteView {
            quote: q.priced.quote,
            quantity: q.priced.quantity,
            periods: q.priced.periods,
            expires_at: q.priced.expires_at,
            quoted_at: q.quoted_at,
        }
    }
}

/// The price of a change to an instance (`POST /v1/instances/{id}/quote`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ChangeQuoteView {
    /// The itemised price.
    pub quote: Quote,
    /// The expiry after the change.
    pub expires_at: Option<i64>,
    /// When it was priced (ms).
    pub quoted_at: i64,
}

impl From<ChangeQuote> for ChangeQuoteView {
    fn from(q: ChangeQuote) -> Self {
        ChangeQuoteView {
            quote: q.quote,
            expires_at: q.expires_at,
            quoted_at: q.quoted_at,
        }
    }
}

/// An order as JSON (the seller's feed embeds it).
pub fn order_json(o: &OrderRow) -> Value {
    // The feed is the seller's.
    serde_json::to_value(OrderView::new(o, Role::Seller)).unwrap_or(Value::Null)
}

/// The decrypted app info of an instance, or null (the seller's feed shows
/// it to the seller).
pub fn app_info(app: &App, i: &InstanceRow) -> Value {
    credentials(app, i)
}
