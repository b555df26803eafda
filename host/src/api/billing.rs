//! Customers' balances and pay-per-use charges. A top-up pays unpaid
//! charges oldest first; an instance whose arrears are paid is unfrozen by
//! the worker, which the top-up wakes.

use super::auth::Actor;
use super::instances::visible_instance;
use super::orders::idempotency_key;
use super::{ApiError, AppState};
use crate::domain::pricing::money::is_cents;
use crate::store::{ChargeRow, Role};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/balance", get(balance))
        .route("/balance/top-up", post(top_up))
        .route("/instances/{id}/charges", get(charges))
}

/// The largest single top-up.
const TOP_UP_MAX: i64 = 1_000_000;

fn charge_json(c: &ChargeRow) -> Value {
    json!({
        "id": c.id, "instance-id": c.instance_id, "cycle-start": c.cycle_start, "cycle-end": c.cycle_end,
        "usage": c.usage, "amount": c.amount, "state": c.state,
        "quote": serde_json::from_str::<Value>(&c.quote).unwrap_or(Value::Null),
        "created-at": c.created_at, "paid-at": c.paid_at,
    })
}

async fn balance(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Customer])?;
    let amount = state.store.balance(actor.id()).await?;
    let unpaid = state.store.charges(None, Some(actor.id())).await?;
    Ok(Json(json!({
        "amount": amount.round_dp(2).to_string(),
        "unpaid": unpaid.iter().map(charge_json).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopUpRequest {
    amount: Decimal,
}

async fn top_up(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Customer])?;
    let key = idempotency_key(&headers)?;
    let req: TopUpRequest = super::json::parse(&body)?;
    if req.amount <= Decimal::ZERO
        || req.amount > Decimal::from(TOP_UP_MAX)
        || !is_cents(req.amount)
    {
        return Err(ApiError::bad(
            "amount",
            format!("a positive amount in cents, at most {TOP_UP_MAX}"),
        ));
    }
    let done = state
        .store
        .top_up(actor.id(), req.amount, key.as_deref(), state.clock.now_ms())
        .await?;
    if !done.cleared.is_empty() {
        state.wake.notify_one();
    }
    Ok(Json(json!({
        "amount": done.balance.round_dp(2).to_string(),
        "paid": done.paid,
        "cleared": done.cleared,
        "replayed": done.replayed,
    })))
}

async fn charges(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let i = visible_instance(&state, &actor, &id).await?;
    let rows = state.store.charges(Some(&i.id), None).await?;
    Ok(Json(
        json!({"charges": rows.iter().map(charge_json).collect::<Vec<_>>()}),
    ))
}
