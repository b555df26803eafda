//! Placing an order: the order row and its job built from a typed change,
//! accepted in one transaction, and the answer to an idempotent retry.

use crate::app::{App, AppError, Caller};
use crate::domain::instance::{InstanceState, JobAction, OrderKind, OrderState};
use crate::domain::pricing::Quote;
use crate::ids::{new_id, seed_of};
use crate::store::{InstanceGuard, InstanceRow, NewJob, OrderRow, Placed};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// What makes a request idempotent: the client's key and the fingerprint of
/// the request, so a reused key with a different request is refused instead
/// of silently answered with the first order.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The client's `Idempotency-Key`, if it sent one.
    pub key: Option<String>,
    /// The request's fingerprint.
    pub request: String,
}

impl Idempotency {
    /// The idempotency of an order of `kind` (of the instance `instance_id`,
    /// for a change) whose request body is `body`, sent with `key`.
    pub fn new(
        key: Option<String>,
        kind: OrderKind,
        instance_id: Option<&str>,
        body: &[u8],
    ) -> Self {
        let scope = match instance_id {
            Some(id) => format!("{}:{id}", kind.as_str()),
            None => kind.as_str().to_string(),
        };
        // The parsed request, re-serialised with sorted keys and no spaces:
        // the same JSON sent with other whitespace or key order is the same
        // request. (Handlers only get here with a body that parsed.)
        let canonical = serde_json::from_slice::<Value>(body)
            .map(|v| v.to_string().into_bytes())
            .unwrap_or_else(|_| body.to_vec());
        let mut h = Sha256::new();
        h.update(scope.as_bytes());
        h.update([0]);
        h.update(&canonical);
        Idempotency {
            key,
            request: hex::encode(h.finalize()),
        }
    }
}

/// An accepted order and its instance.
#[derive(Debug)]
pub struct Accepted {
    /// True when the order was accepted now; false when an idempotency key
    /// named an order accepted before.
    pub new: bool,
    /// The order.
    pub order: OrderRow,
    /// Its instance.
    pub instance: Option<InstanceRow>,
}

/// The order an idempotency key already placed, if any: a retry is answered
/// with it whatever happened since (completed, failed, the instance moved
/// on), before any check that only the first attempt could pass.
pub async fn replayed(
    app: &App,
    caller: &Caller,
    idem: &Idempotency,
) -> Result<Option<Accepted>, AppError> {
    let Some(key) = &idem.key else {
        return Ok(None);
    };
    let Some(first) = app.store.order_by_key(caller.id(), key).await? else {
        return Ok(None);
    };
    let order = first.clone();
    answer(
        app,
        Placed::Existing(Box::new(first)),
        order,
        &idem.request,
        None,
    )
    .await
    .map(Some)
}

/// Answers a placed order: the new one (and wakes the worker) or the one an
/// idempotency key already names, after checking it was the same request.
pub async fn answer(
    app: &App,
    placed: Placed,
    order: OrderRow,
    request: &str,
    new_instance: Option<InstanceRow>,
) -> Result<Accepted, AppError> {
    let (new, order) = match placed {
        Placed::New => {
            app.wake.notify_one();
            (true, order)
        }
        Placed::Existing(first) => {
            let detail: Value = serde_json::from_str(&first.detail).unwrap_or(Value::Null);
            if detail["request"].as_str() != Some(request) {
                return Err(AppError::Conflict(
                    "this Idempotency-Key was used for a different request".into(),
                ));
            }
            (false, *first)
        }
    };
    let instance = match new_instance {
        Some(i) if new => Some(i),
        _ => app.store.instance(&order.instance_id).await?,
    };
    Ok(Accepted {
        new,
        order,
        instance,
    })
}

/// The payment state an order priced at `quote` starts in: `paid` when it
/// costs something (the store takes the money as it accepts the order),
/// `none` when it costs nothing or gives money back.
pub(super) fn payment_of(quote: &Quote) -> String {
    if quote.total > rust_decimal::Decimal::ZERO {
        "paid"
    } else {
        "none"
    }
    .into()
}

/// The job that completes `order`: its seed is the order's, so every attempt
/// of the plugin call draws the same randomness.
pub(super) fn job_of(order: &OrderRow, action: &JobAction) -> Result<NewJob, AppError> {
    Ok(NewJob {
        instance_id: order.instance_id.clone(),
        order_id: Some(order.id.clone()),
        action: serde_json::to_string(action)?,
        seed: seed_of(&order.id),
    })
}

/// A change to an existing instance, ready to be ordered.
#[derive(Debug)]
pub struct OrderChange<'a> {
    /// The instance it changes.
    pub instance: &'a InstanceRow,
    /// What kind of order it is.
    pub kind: OrderKind,
    /// When what it buys takes effect (ms).
    pub effective_at: i64,
    /// Its price (negative: a refund).
    pub quote: Quote,
    /// What was ordered, besides the request's fingerprint and the quote.
    pub detail: Value,
    /// The states the instance must be in.
    pub states: &'a [InstanceState],
    /// A move the marketplace makes at once (unsubscription releases).
    pub decision: Option<InstanceState>,
    /// The plugin call that completes it.
    pub action: JobAction,
    /// A call queued right behind it (the unfreeze after a renewal of an
    /// instance its expiry froze).
    pub then: Option<JobAction>,
}

/// Places `change` for `caller`: the order and its job in one transaction,
/// with the instance checked (and moved) under a guard.
pub async fn place(
    app: &App,
    caller: &Caller,
    change: OrderChange<'_>,
    idem: Idempotency,
) -> Result<Accepted, AppError> {
    let i = change.instance;
    let now = app.clock.now_ms();
    let mut detail = change.detail;
    detail["request"] = json!(idem.request);
    detail["quote"] = serde_json::to_value(&change.quote)?;
    let order = OrderRow {
        id: new_id("ord"),
        customer_id: caller.id().into(),
        seller_id: i.seller_id.clone(),
        instance_id: i.id.clone(),
        kind: change.kind,
        state: OrderState::Processing,
        amount: change.quote.total.to_string(),
        detail: detail.to_string(),
        idempotency_key: idem.key,
        failure: None,
        service_flow: None,
        purchase_key: None,
        trial_key: None,
        payment: payment_of(&change.quote),
        refunded: "0.00".into(),
        effective_at: Some(change.effective_at),
        created_at: now,
        updated_at: now,
    };
    let mut jobs = vec![job_of(&order, &change.action)?];
    if let Some(then) = &change.then {
        let mut next = job_of(&order, then)?;
        next.seed = seed_of(&format!("{}:{}", order.id, then.event_kind()));
        jobs.push(next);
    }
    let guard = InstanceGuard {
        id: &i.id,
        states: change.states,
        new_state: change.decision,
        freeze_reason: None,
    };
    let placed = app
        .store
        .place_order(&order, None, Some(guard), &jobs)
        .await?;
    answer(app, placed, order, &idem.request, None).await
}
