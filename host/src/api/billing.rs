//! Customers' balances and pay-per-use charges. A top-up pays unpaid
//! charges oldest first; an instance whose arrears are paid is unfrozen by
//! the worker, which the top-up wakes.

use super::auth::Actor;
use super::extract::idempotency_key;
use super::instances::visible_instance;
use super::{ApiError, AppState};
use crate::domain::catalog::{ProductDraft, add_period};
use crate::domain::instance::{FreezeReason, InstanceState, JobAction};
use crate::domain::pricing::money::is_cents;
use crate::lifecycle::decision_job;
use crate::store::{ChargeRow, InstanceGuard, PackageRow, Role};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use bytes::Bytes;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/balance", get(balance))
        .route("/balance/top-up", post(top_up))
        .route("/instances/{id}/charges", get(charges))
        .route("/instances/{id}/packages", get(packages).post(buy_package))
}

/// The largest single top-up.
const TOP_UP_MAX: i64 = 1_000_000;

fn charge_json(c: &ChargeRow) -> Value {
    json!({
        "id": c.id, "instance-id": c.instance_id, "cycle-start": c.cycle_start, "cycle-end": c.cycle_end,
        "usage": c.usage, "billed-usage": c.billed_usage, "amount": c.amount, "state": c.state,
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
    let req: TopUpRequest = super::extract::parse(&body)?;
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

fn package_json(p: &PackageRow) -> Value {
    json!({
        "id": p.id, "offer": p.offer_id, "billing-item": p.billing_item, "quota": p.quota,
        "used": p.used, "period": p.period, "reset": p.reset,
        "stop-before-excess": p.stop_before_excess, "price": p.price,
        "starts-at": p.starts_at, "expires-at": p.expires_at,
    })
}

async fn packages(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let i = visible_instance(&state, &actor, &id).await?;
    let rows = state.store.packages_of(&i.id).await?;
    Ok(Json(
        json!({"packages": rows.iter().map(package_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct BuyPackage {
    package: String,
    #[serde(default = "super::instances::one")]
    periods: u32,
}

/// Buys a package offered on the instance's specification, paid from the
/// balance; an instance stopped because its stop-before-excess quota ran
/// out serves again.
async fn buy_package(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    actor.require(&[Role::Customer])?;
    let i = visible_instance(&state, &actor, &id).await?;
    let req: BuyPackage = super::extract::parse(&body)?;
    if !(1..=36).contains(&req.periods) {
        return Err(ApiError::bad("periods", "buy 1 to 36 periods"));
    }
    if !matches!(i.state, InstanceState::Active | InstanceState::Frozen) {
        return Err(ApiError::Conflict(format!(
            "the instance is {}",
            i.state.as_str()
        )));
    }
    let product = state
        .store
        .product(&i.product_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instance {id}")))?;
    let live: ProductDraft = serde_json::from_str(product.live.as_deref().unwrap_or("null"))?;
    let offer = live
        .spec(&i.spec_id)
        .and_then(|s| s.packages.iter().find(|o| o.id == req.package))
        .ok_or_else(|| {
            ApiError::bad(
                "package",
                format!("the specification offers no package `{}`", req.package),
            )
        })?;
    if offer.billing_item != i.sku_id {
        return Err(ApiError::bad(
            "package",
            "the package covers another billing item",
        ));
    }
    let now = state.clock.now_ms();
    let expires_at = add_period(now, offer.period, req.periods)
        .ok_or_else(|| ApiError::bad("periods", "out of range"))?;
    let row = state
        .store
        .buy_package(actor.id(), &i.id, offer, req.periods, expires_at, now)
        .await?;
    if i.state == InstanceState::Frozen
        && i.freeze_reason.as_deref() == Some(FreezeReason::QuotaExhausted.as_str())
    {
        let guard = InstanceGuard {
            id: &i.id,
            states: &[InstanceState::Frozen],
            new_state: Some(InstanceState::Active),
            freeze_reason: None,
        };
        let job = decision_job(
            &i.id,
            &JobAction::Unfreeze,
            &format!("{}:{now}:package", i.id),
        );
        if state.store.decide(guard, job, now).await? {
            state.wake.notify_one();
        }
    }
    Ok((axum::http::StatusCode::CREATED, Json(package_json(&row))))
}
