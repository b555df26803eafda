//! The seller's change feed (a cursor over instance events, so the seller's
//! own systems pull what to provision instead of exposing an endpoint), the
//! service supervision flow of supervised orders, and the simulated clock.

use super::auth::Actor;
use super::orders::visible_order;
use super::views::ordering::{app_info, order_json};
use super::{ApiError, AppState};
use crate::domain::catalog::{BillingMode, add_period};
use crate::domain::instance::{InstanceState, JobAction, OrderState, ReleaseReason};
use crate::domain::supervision::{Action, Flow, FlowError, FlowState, Party};
use crate::lifecycle::decision_job;
use crate::store::InstanceGuard;
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/feed", get(feed))
        .route("/orders/{id}/service-flow", get(flow).post(act))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/stats", get(stats))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FeedQuery {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
}

/// Most events per page.
const MAX_PAGE: i64 = 1000;

async fn feed(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<FeedQuery>,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller])?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad("limit", format!("1 to {MAX_PAGE}")));
    }
    let rows = state
        .store
        .events(actor.id(), q.after.max(0), limit)
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for e in &rows {
        let mut v = json!({
            "seq": e.seq, "kind": e.kind, "instance-id": e.instance_id, "customer-id": e.customer_id,
            "order-id": e.order_id, "at": e.at,
            "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
        });
        // What the seller's systems need to set the customer up.
        if e.kind == "instance.provisioned"
            && let Some(i) = state.store.instance(&e.instance_id).await?
        {
            v["app"] = app_info(&state, &i);
        }
        events.push(v);
    }
    let next = rows.last().map_or(q.after.max(0), |e| e.seq);
    Ok(Json(json!({"events": events, "next": next})))
}

fn party(actor: &Actor, order: &crate::store::OrderRow) -> Party {
    match actor.role() {
        Role::Operator => Party::Operator,
        _ if actor.id() == order.seller_id => Party::Seller,
        _ => Party::Customer,
    }
}

async fn flow(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let order = visible_order(&state, &actor, &id).await?;
    let flow = order
        .service_flow
        .as_deref()
        .ok_or_else(|| ApiError::NotFound(format!("order {id} has no service supervision")))?;
    let flow: Flow = serde_json::from_str(flow)?;
    let now = state.clock.now_ms();
    let me = party(&actor, &order);
    Ok(Json(json!({
        "flow": flow,
        "whose-turn": flow.whose_turn(),
        "may-appeal": flow.appeal_allowed(me, now).is_ok(),
        "completes-at": flow.order_completes_at_ms(),
    })))
}

async fn act(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let action: Action = super::extract::parse(&body)?;
    let order = visible_order(&state, &actor, &id).await?;
    let stored = order
        .service_flow
        .clone()
        .ok_or_else(|| ApiError::NotFound(format!("order {id} has no service supervision")))?;
    let mut flow: Flow = serde_json::from_str(&stored)?;
    let now = state.clock.now_ms();
    let was_complete = flow.is_complete();
    flow.apply(party(&actor, &order), action, now)
        .map_err(|e| match (&e, e.field()) {
            // Not yet allowed is about the flow's state, not the input.
            (FlowError::AppealNotAllowed { .. }, _) | (_, None) => {
                ApiError::Conflict(e.to_string())
            }
            (_, Some(field)) => ApiError::bad(field, e.to_string()),
        })?;
    let next = serde_json::to_string(&flow)?;
    if !state
        .store
        .set_service_flow(&id, &stored, &next, now)
        .await?
    {
        return Err(ApiError::Conflict(
            "the service flow changed meanwhile; read it again".into(),
        ));
    }
    // Seeds §6.2: a supervised yearly/monthly subscription starts when the
    // customer accepts the delivery, not when it was paid.
    if !was_complete
        && flow.is_complete()
        && let (Some(accepted), Some(i)) = (
            flow.accepted_at_ms,
            state.store.instance(&order.instance_id).await?,
        )
    {
        let mode: Option<BillingMode> = Some(i.billing_mode);
        let detail: Value = serde_json::from_str(&order.detail).unwrap_or(Value::Null);
        let periods = detail["periods"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(1);
        if let (Some(mode), false) = (mode, i.trial)
            && let Some(expires) = add_period(accepted, mode, periods)
        {
            state.store.restart_period(&i.id, expires, now).await?;
        }
    }
    if !was_complete && flow.is_complete() {
        state
            .store
            .end_order(&id, OrderState::Completed, None, now)
            .await?;
    }
    // An appeal the operator closed cancels the order: the customer's
    // instance is released and the order ends as failed (refunded).
    if matches!(flow.state, FlowState::Closed) && order.state == OrderState::Processing {
        state
            .store
            .end_order(
                &id,
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
        let job = decision_job(&order.instance_id, &action, &format!("{id}:closed"));
        state.store.decide(guard, job, now).await?;
        state.wake.notify_one();
    }
    let order = visible_order(&state, &actor, &id).await?;
    Ok(Json(json!({"order": order_json(&order), "flow": flow})))
}

async fn clock(State(state): State<AppState>, actor: Actor) -> Json<Value> {
    let _ = actor;
    Json(json!({"now-ms": state.clock.now_ms(), "simulated": state.clock.is_simulated()}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Advance {
    ms: i64,
}

async fn advance(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    let req: Advance = super::extract::parse(&body)?;
    if req.ms <= 0 {
        return Err(ApiError::bad(
            "ms",
            "advance by a positive number of milliseconds",
        ));
    }
    let now = state.clock.advance(req.ms).ok_or_else(|| {
        ApiError::Conflict(
            "the clock is real; start the service with --simulated-clock to move it".into(),
        )
    })?;
    state.wake.notify_one();
    Ok(Json(json!({"now-ms": now, "simulated": true})))
}

/// The lifecycle worker's counters and the queue length (operators).
async fn stats(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Operator])?;
    Ok(Json(json!({
        "worker": state.stats.snapshot(),
        "queued-jobs": state.store.queued_jobs().await?,
    })))
}
