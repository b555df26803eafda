//! Orders: a customer subscribes to a SKU (or a trial), and later renews,
//! converts a trial, upgrades or unsubscribes. Each order is accepted in one
//! transaction with its instance and its queued plugin call; the lifecycle
//! worker completes it. An idempotency key makes a retried request answer
//! the first order.

mod placing;

use super::access::{own_instance, owner, visible_instance, visible_order};
use super::quotes::{
    PricedSubscription, SubscriptionRequest, UpgradeRequest, check_periods, conversion_start, one,
    price_periods, price_refund, price_subscription, price_upgrade, renewal_start,
};
use super::{App, AppError, Caller};
use crate::domain::instance::{InstanceState, JobAction, OrderKind, OrderState, ReleaseReason};
use crate::domain::supervision::Flow;
use crate::ids::new_id;
use crate::store::{InstanceRow, OrderRow, Page, PageRequest, Role};
use serde::Deserialize;
use serde_json::{Value, json};

pub use placing::{Accepted, Idempotency, OrderChange, answer, replayed};
use placing::{job_of, payment_of, place};

/// States in which an instance can be renewed, converted or unsubscribed.
const LIVE: &[InstanceState] = &[InstanceState::Active, InstanceState::Frozen];

/// A customer subscribes (paying for it from the balance as the order is
/// accepted): the instance, the order and its creation job.
pub async fn subscribe(
    app: &App,
    caller: &Caller,
    req: &SubscriptionRequest,
    idem: Idempotency,
) -> Result<Accepted, AppError> {
    caller.require(&[Role::Customer])?;
    if let Some(first) = replayed(app, caller, &idem).await? {
        return Ok(first);
    }
    let now = app.clock.now_ms();
    let PricedSubscription {
        product,
        live,
        spec,
        sku,
        quantity,
        periods,
        expires_at,
        quote,
    } = price_subscription(app, caller, req, now).await?;
    // One trial, and where the seller says so one purchase, per customer
    // and specification: unique keys the store enforces.
    let once = format!("{}:{}:{}", caller.id(), product.id, spec.id);
    let trial_key = req.trial.then(|| once.clone());
    let purchase_key = spec
        .purchase_limit
        .as_ref()
        .filter(|l| l.once_per_customer && !req.trial)
        .map(|_| once.clone());
    let instance = InstanceRow {
        id: new_id("ins"),
        seller_id: product.seller_id.clone(),
        customer_id: caller.id().into(),
        product_id: product.id.clone(),
        product_version: product.live_version,
        spec_id: spec.id.clone(),
        sku_id: sku.id.clone(),
        billing_mode: req.billing_mode,
        quantity: i64::from(quantity),
        trial: req.trial,
        state: InstanceState::Provisioning,
        freeze_reason: None,
        expires_at,
        seller_instance_id: None,
        app_info: None,
        failure: None,
        created_at: now,
        updated_at: now,
    };
    let order = OrderRow {
        id: new_id("ord"),
        customer_id: caller.id().into(),
        seller_id: product.seller_id.clone(),
        instance_id: instance.id.clone(),
        kind: OrderKind::Subscribe,
        state: OrderState::Processing,
        amount: quote.total.to_string(),
        detail: json!({
            "request": idem.request,
            "product": product.id, "product-version": product.live_version,
            "specification": spec.id, "sku": sku.id, "billing-mode": req.billing_mode,
            "periods": periods, "quantity": quantity, "trial": req.trial,
            "expires-at": expires_at, "quote": quote,
        })
        .to_string(),
        idempotency_key: idem.key,
        failure: None,
        service_flow: live
            .supervised
            .then(|| serde_json::to_string(&Flow::new(now)))
            .transpose()?,
        purchase_key,
        trial_key,
        payment: payment_of(&quote),
        refunded: "0.00".into(),
        effective_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let job = job_of(
        &order,
        &JobAction::Create {
            periods,
            customer_name: caller.name.clone(),
            supervised: live.supervised,
        },
    )?;
    let placed = app
        .store
        .place_order(&order, Some(&instance), None, &[job])
        .await?;
    answer(app, placed, order, &idem.request, Some(instance)).await
}

/// The body of a renewal or a conversion (an empty body buys one period).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PeriodsRequest {
    /// Periods to buy, 1 to [`super::quotes::MAX_PERIODS`].
    #[serde(default = "one")]
    pub periods: u32,
}

impl Default for PeriodsRequest {
    fn default() -> Self {
        PeriodsRequest { periods: 1 }
    }
}

/// The customer buys more periods of an instance.
pub async fn renew(
    app: &App,
    caller: &Caller,
    id: &str,
    req: PeriodsRequest,
    idem: Idempotency,
) -> Result<Accepted, AppError> {
    if let Some(first) = replayed(app, caller, &idem).await? {
        return Ok(first);
    }
    let (i, live, status) = own_instance(app, caller, id).await?;
    let periods = check_periods(req.periods)?;
    let from = renewal_start(&i, &status, app.clock.now_ms())?;
    let (quote, expires_at) = price_periods(app, &i, &live, from, periods).await?;
    let change = OrderChange {
        instance: &i,
        kind: OrderKind::Renew,
        effective_at: from,
        quote,
        detail: json!({"periods": periods, "expires-at": expires_at}),
        states: LIVE,
        decision: None,
        action: JobAction::Renew { expires_at },
        then: thaw_after(&i),
    };
    place(app, caller, change, idem).await
}

/// The unfreeze a paid renewal of `i` needs: an instance its expiry froze
/// runs again, and the plugin and the feed hear it (`instance.unfrozen`).
fn thaw_after(i: &InstanceRow) -> Option<JobAction> {
    (i.state == InstanceState::Frozen && i.freeze_reason.as_deref() == Some("expired"))
        .then_some(JobAction::Unfreeze)
}

/// The customer turns a trial into a paid subscription.
pub async fn convert(
    app: &App,
    caller: &Caller,
    id: &str,
    req: PeriodsRequest,
    idem: Idempotency,
) -> Result<Accepted, AppError> {
    if let Some(first) = replayed(app, caller, &idem).await? {
        return Ok(first);
    }
    let (i, live, _) = own_instance(app, caller, id).await?;
    let periods = check_periods(req.periods)?;
    let from = conversion_start(&i, app.clock.now_ms())?;
    let (quote, expires_at) = price_periods(app, &i, &live, from, periods).await?;
    let change = OrderChange {
        instance: &i,
        kind: OrderKind::TrialToFormal,
        effective_at: from,
        quote,
        detail: json!({"periods": periods, "expires-at": expires_at}),
        states: LIVE,
        decision: None,
        action: JobAction::TrialToFormal { expires_at },
        then: thaw_after(&i),
    };
    place(app, caller, change, idem).await
}

/// The customer moves an active instance to another SKU or quantity.
pub async fn upgrade(
    app: &App,
    caller: &Caller,
    id: &str,
    req: UpgradeRequest,
    idem: Idempotency,
) -> Result<Accepted, AppError> {
    if let Some(first) = replayed(app, caller, &idem).await? {
        return Ok(first);
    }
    let (i, live, _) = own_instance(app, caller, id).await?;
    let up = price_upgrade(app, &i, &live, &req).await?;
    let change = OrderChange {
        instance: &i,
        kind: OrderKind::Upgrade,
        effective_at: app.clock.now_ms(),
        quote: up.quote,
        detail: json!({"sku": up.sku, "quantity": up.quantity, "remaining-ms": up.remaining_ms}),
        states: &[InstanceState::Active],
        decision: None,
        action: JobAction::Upgrade {
            sku_id: up.sku,
            quantity: up.quantity,
        },
        then: None,
    };
    place(app, caller, change, idem).await
}

/// The customer ends a subscription: released at once, the unused part of
/// a paid monthly or yearly subscription refunded to the balance in the
/// same transaction, the plugin told afterwards (a seller cannot veto it).
pub async fn unsubscribe(
    app: &App,
    caller: &Caller,
    id: &str,
    idem: Idempotency,
) -> Result<Accepted, AppError> {
    if let Some(first) = replayed(app, caller, &idem).await? {
        return Ok(first);
    }
    let (i, live, _) = own_instance(app, caller, id).await?;
    let refund = price_refund(app, &i, &live).await?;
    let change = OrderChange {
        instance: &i,
        kind: OrderKind::Unsubscribe,
        effective_at: app.clock.now_ms(),
        detail: json!({"refund": (-refund.total).to_string()}),
        quote: refund,
        states: LIVE,
        decision: Some(InstanceState::Released),
        action: JobAction::Release {
            reason: ReleaseReason::Unsubscribed,
        },
        then: None,
    };
    place(app, caller, change, idem).await
}

/// A page of the orders the caller may see, newest first.
pub async fn orders(
    app: &App,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<OrderRow>, AppError> {
    Ok(app.store.orders(owner(caller), None, page).await?)
}

/// One order the caller may see.
pub async fn order(app: &App, caller: &Caller, id: &str) -> Result<OrderRow, AppError> {
    visible_order(app, caller, id).await
}

/// A page of the instances the caller may see, newest first.
pub async fn instances(
    app: &App,
    caller: &Caller,
    page: &PageRequest,
) -> Result<Page<InstanceRow>, AppError> {
    Ok(app.store.instances(owner(caller), page).await?)
}

/// One instance the caller may see, with its credentials when the caller
/// may read them.
pub async fn instance(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<(InstanceRow, Option<Value>), AppError> {
    let i = visible_instance(app, caller, id).await?;
    let app_info = may_open(caller, &i).then(|| credentials(app, &i));
    Ok((i, app_info))
}

/// A page of the orders of one instance the caller may see, newest first.
pub async fn instance_orders(
    app: &App,
    caller: &Caller,
    id: &str,
    page: &PageRequest,
) -> Result<Page<OrderRow>, AppError> {
    let i = visible_instance(app, caller, id).await?;
    Ok(app.store.orders(owner(caller), Some(&i.id), page).await?)
}

/// Whether `caller` may read the instance's credentials: its customer and
/// its seller. Operators supervise; they do not need customers' passwords.
pub fn may_open(caller: &Caller, i: &InstanceRow) -> bool {
    caller.role != Role::Operator && (caller.id == i.customer_id || caller.id == i.seller_id)
}

/// The decrypted app info (credentials) of an instance, or null. Callers
/// check [`may_open`] (or, in the seller's feed, that the seller reads).
pub fn credentials(app: &App, i: &InstanceRow) -> Value {
    let Some(sealed) = &i.app_info else {
        return Value::Null;
    };
    match app.secrets.open(&i.id, sealed) {
        Ok(plain) => serde_json::from_slice(&plain).unwrap_or(Value::Null),
        Err(e) => {
            tracing::error!(instance = %i.id, error = %e, "cannot decrypt app info");
            Value::Null
        }
    }
}
