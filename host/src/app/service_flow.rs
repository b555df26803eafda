//! Service supervision of supervised orders (seeds §6.2): the customer
//! requests, the seller delivers, the customer accepts, and an operator
//! settles appeals. The flow's rules are `domain::supervision`; this use case
//! stores each step and carries out what a step decides: accepting the
//! delivery starts a periodic subscription's period and completes the order,
//! and an appeal the operator closes ends the order and releases the
//! instance.

use super::access::visible_order;
use super::decisions::decision_job;
use super::{App, AppError, Caller};
use crate::domain::catalog::{BillingMode, add_period};
use crate::domain::instance::{InstanceState, JobAction, OrderState, ReleaseReason};
use crate::domain::supervision::{Action, Flow, FlowError, FlowState, Party};
use crate::store::{InstanceGuard, OrderRow, Role};
use serde_json::Value;

/// A supervised order's flow as one party sees it.
#[derive(Debug)]
pub struct FlowStatus {
    /// The flow.
    pub flow: Flow,
    /// Who must act next; `None` once it ended.
    pub whose_turn: Option<Party>,
    /// Whether the caller may appeal now.
    pub may_appeal: bool,
    /// When the order completes if nobody acts.
    pub completes_at: Option<i64>,
}

/// The caller's part in `order`.
fn party(caller: &Caller, order: &OrderRow) -> Party {
    match caller.role {
        Role::Operator => Party::Operator,
        _ if caller.id == order.seller_id => Party::Seller,
        _ => Party::Customer,
    }
}

fn stored_flow(order: &OrderRow) -> Result<(String, Flow), AppError> {
    let stored = order.service_flow.clone().ok_or_else(|| {
        AppError::NotFound(format!("order {} has no service supervision", order.id))
    })?;
    let flow = serde_json::from_str(&stored)?;
    Ok((stored, flow))
}

/// The flow of an order the caller may see.
pub async fn flow(app: &App, caller: &Caller, order_id: &str) -> Result<FlowStatus, AppError> {
    let order = visible_order(app, caller, order_id).await?;
    let (_, flow) = stored_flow(&order)?;
    let now = app.clock.now_ms();
    let me = party(caller, &order);
    Ok(FlowStatus {
        whose_turn: flow.whose_turn(),
        may_appeal: flow.appeal_allowed(me, now).is_ok(),
        completes_at: flow.order_completes_at_ms(),
        flow,
    })
}

/// The caller takes `action` in an order's flow; answers the order as it
/// now is and the flow.
pub async fn act(
    app: &App,
    caller: &Caller,
    order_id: &str,
    action: Action,
) -> Result<(OrderRow, Flow), AppError> {
    let order = visible_order(app, caller, order_id).await?;
    let (stored, mut flow) = stored_flow(&order)?;
    let now = app.clock.now_ms();
    let was_complete = flow.is_complete();
    flow.apply(party(caller, &order), action, now)
        .map_err(|e| match (&e, e.field()) {
            // Not yet allowed is about the flow's state, not the input.
            (FlowError::AppealNotAllowed { .. }, _) | (_, None) => {
                AppError::Conflict(e.to_string())
            }
            (_, Some(field)) => AppError::bad(field, e.to_string()),
        })?;
    let next = serde_json::to_string(&flow)?;
    let completes_at = (!was_complete)
        .then(|| flow.order_completes_at_ms())
        .flatten();
    if !app
        .store
        .set_service_flow(order_id, &stored, &next, completes_at, now)
        .await?
    {
        return Err(AppError::Conflict(
            "the service flow changed meanwhile; read it again".into(),
        ));
    }
    // The period starts at acceptance; the order completes at
    // `completes_at` (§6.2: acceptance + 3 h), when the worker's sweep
    // reaches it.
    if !was_complete && flow.is_complete() {
        start_period(app, &order, &flow, now).await?;
        app.wake.notify_one();
    }
    if matches!(flow.state, FlowState::Closed) && order.state == OrderState::Processing {
        cancel(app, &order, now).await?;
    }
    let order = visible_order(app, caller, order_id).await?;
    Ok((order, flow))
}

/// Seeds §6.2: a supervised yearly/monthly subscription starts when the
/// customer accepts the delivery, not when it was paid.
async fn start_period(app: &App, order: &OrderRow, flow: &Flow, now: i64) -> Result<(), AppError> {
    let (Some(accepted), Some(i)) = (
        flow.accepted_at_ms,
        app.store.instance(&order.instance_id).await?,
    ) else {
        return Ok(());
    };
    let mode: Option<BillingMode> = Some(i.billing_mode);
    let detail: Value = serde_json::from_str(&order.detail).unwrap_or(Value::Null);
    let periods = detail["periods"]
        .as_u64()
        .and_then(|p| u32::try_from(p).ok())
        .unwrap_or(1);
    if let (Some(mode), false) = (mode, i.trial)
        && let Some(expires) = add_period(accepted, mode, periods)
    {
        app.store.restart_period(&i.id, expires, now).await?;
    }
    Ok(())
}

/// An appeal the operator closed cancels the order: the customer's instance
/// is released and the order ends as failed (refunded).
async fn cancel(app: &App, order: &OrderRow, now: i64) -> Result<(), AppError> {
    app.store
        .end_order(
            &order.id,
            OrderState::Failed,
            Some("closed by the operator after an appeal"),
            now,
        )
        .await?;
    let action = JobAction::Release {
        reason: ReleaseReason::Unsubscribed,
    };
    let guard = InstanceGuard {
        id: &order.instance_id,
        states: &[
            InstanceState::Active,
            InstanceState::Frozen,
            InstanceState::Provisioning,
        ],
        new_state: Some(InstanceState::Released),
        freeze_reason: None,
    };
    let job = decision_job(&order.instance_id, &action, &format!("{}:closed", order.id));
    app.store.decide(guard, job, now).await?;
    app.wake.notify_one();
    Ok(())
}
