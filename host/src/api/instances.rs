//! Instances and the orders that change them: renew, convert a trial,
//! upgrade, unsubscribe. Credentials are decrypted only for the instance's
//! customer and seller.

use super::auth::Actor;
use super::extract::idempotency_key;
use super::orders::{answer, fingerprint, guard, owner};
use super::quotes::{MAX_PERIODS, UpgradeRequest, mode, price_periods, price_upgrade};
use super::views::ordering::{instance_json, order_json};
use super::{ApiError, AppState};
use crate::domain::catalog::{ProductDraft, ProductStatus};
use crate::domain::instance::{InstanceState, JobAction, ReleaseReason};
use crate::domain::pricing::Quote;
use crate::ids::{new_id, seed_of};
use crate::store::{InstanceGuard, InstanceRow, NewJob, OrderRow, Role};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/instances", get(list))
        .route("/instances/{id}", get(show))
        .route("/instances/{id}/orders", get(orders))
        .route("/instances/{id}/renew", post(renew))
        .route("/instances/{id}/convert", post(convert))
        .route("/instances/{id}/upgrade", post(upgrade))
        .route("/instances/{id}/unsubscribe", post(unsubscribe))
}

pub(super) async fn visible_instance(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<InstanceRow, ApiError> {
    state
        .store
        .instance(id)
        .await?
        .filter(|i| {
            actor.role() == Role::Operator
                || i.customer_id == actor.id()
                || i.seller_id == actor.id()
        })
        .ok_or_else(|| ApiError::NotFound(format!("no instance {id}")))
}

async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let rows = state.store.instances(owner(&actor), 500).await?;
    Ok(Json(
        json!({"instances": rows.iter().map(|i| instance_json(&state, i, false)).collect::<Vec<_>>()}),
    ))
}

async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let i = visible_instance(&state, &actor, &id).await?;
    // Operators supervise; they do not need customers' passwords.
    let secrets = actor.role() != Role::Operator;
    Ok(Json(instance_json(&state, &i, secrets)))
}

async fn orders(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let i = visible_instance(&state, &actor, &id).await?;
    let rows = state.store.orders(owner(&actor), Some(&i.id), 500).await?;
    Ok(Json(
        json!({"orders": rows.iter().map(order_json).collect::<Vec<_>>()}),
    ))
}

/// The customer's own instance, the live product definition it belongs to,
/// and the product's status.
pub(super) async fn own(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<(InstanceRow, ProductDraft, ProductStatus), ApiError> {
    actor.require(&[Role::Customer])?;
    let i = visible_instance(state, actor, id).await?;
    let p = state
        .store
        .product(&i.product_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instance {id}")))?;
    let live: ProductDraft = serde_json::from_str(p.live.as_deref().unwrap_or("null"))?;
    Ok((i, live, p.status))
}

#[allow(clippy::too_many_arguments)]
async fn place(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    body: &[u8],
    i: &InstanceRow,
    kind: &str,
    quote: Quote,
    detail: Value,
    states: &[&str],
    decision: Option<(&str, Option<&str>)>,
    action: JobAction,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = idempotency_key(headers)?;
    let request = fingerprint(&format!("{kind}:{}", i.id), body);
    let now = state.clock.now_ms();
    let mut detail = detail;
    detail["request"] = json!(request);
    detail["quote"] = serde_json::to_value(&quote)?;
    let order = OrderRow {
        id: new_id("ord"),
        customer_id: actor.id().into(),
        seller_id: i.seller_id.clone(),
        instance_id: i.id.clone(),
        kind: kind.into(),
        state: "processing".into(),
        amount: quote.total.to_string(),
        detail: detail.to_string(),
        idempotency_key: key,
        failure: None,
        service_flow: None,
        purchase_key: None,
        trial_key: None,
        created_at: now,
        updated_at: now,
    };
    let job = NewJob {
        instance_id: i.id.clone(),
        order_id: Some(order.id.clone()),
        action: serde_json::to_string(&action)?,
        seed: seed_of(&order.id),
    };
    let g = InstanceGuard {
        new_state: decision.map(|d| d.0),
        freeze_reason: decision.and_then(|d| d.1),
        ..guard(&i.id, states)
    };
    let placed = state
        .store
        .place_order(&order, None, Some(g), &[job])
        .await?;
    answer(state, placed, order, &request).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Periods {
    #[serde(default = "one")]
    periods: u32,
}

/// The serde default of a count of periods.
pub(super) fn one() -> u32 {
    1
}

/// The periods a renewal or conversion buys (an empty body buys one).
fn periods_of(body: &[u8]) -> Result<u32, ApiError> {
    let req: Periods = if body.is_empty() {
        Periods { periods: 1 }
    } else {
        super::extract::parse(body)?
    };
    check_periods(req.periods)
}

pub(super) fn check_periods(p: u32) -> Result<u32, ApiError> {
    if (1..=MAX_PERIODS).contains(&p) {
        Ok(p)
    } else {
        Err(ApiError::bad(
            "periods",
            format!("buy 1 to {MAX_PERIODS} periods"),
        ))
    }
}

const LIVE: &[&str] = &["active", "frozen"];

/// Where a trial's paid period starts (now), after checking `i` is a trial.
pub(super) fn conversion_start(i: &InstanceRow, now: i64) -> Result<i64, ApiError> {
    if !i.trial {
        return Err(ApiError::Conflict("only a trial can be converted".into()));
    }
    Ok(now)
}

/// Where a renewal of `i` starts, after checking it can be renewed: an active
/// instance's period is extended; an expired one starts anew now.
pub(super) fn renewal_start(
    i: &InstanceRow,
    product_status: ProductStatus,
    now: i64,
) -> Result<i64, ApiError> {
    let m = mode(i)?;
    if !m.is_periodic() {
        return Err(ApiError::Conflict(format!(
            "a {m} instance has nothing to renew"
        )));
    }
    if i.trial {
        return Err(ApiError::Conflict(
            "a trial is converted (`/convert`), not renewed".into(),
        ));
    }
    if product_status.is_removed() {
        return Err(ApiError::Conflict(
            "the product was removed; it cannot be renewed".into(),
        ));
    }
    Ok(i.expires_at.unwrap_or(now).max(now))
}

async fn renew(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (i, live, status) = own(&state, &actor, &id).await?;
    let periods = periods_of(&body)?;
    let from = renewal_start(&i, status, state.clock.now_ms())?;
    let (quote, expires_at) = price_periods(&state, &i, &live, from, periods).await?;
    let detail = json!({"periods": periods, "expires-at": expires_at});
    place(
        &state,
        &actor,
        &headers,
        &body,
        &i,
        "renew",
        quote,
        detail,
        LIVE,
        None,
        JobAction::Renew { expires_at },
    )
    .await
}

async fn convert(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (i, live, _) = own(&state, &actor, &id).await?;
    let periods = periods_of(&body)?;
    let from = conversion_start(&i, state.clock.now_ms())?;
    let (quote, expires_at) = price_periods(&state, &i, &live, from, periods).await?;
    let detail = json!({"periods": periods, "expires-at": expires_at});
    place(
        &state,
        &actor,
        &headers,
        &body,
        &i,
        "trial-to-formal",
        quote,
        detail,
        LIVE,
        None,
        JobAction::TrialToFormal { expires_at },
    )
    .await
}

async fn upgrade(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (i, live, _) = own(&state, &actor, &id).await?;
    let req: UpgradeRequest = super::extract::parse(&body)?;
    let up = price_upgrade(&state, &i, &live, &req).await?;
    let detail = json!({"sku": up.sku, "quantity": up.quantity, "remaining-ms": up.remaining_ms});
    place(
        &state,
        &actor,
        &headers,
        &body,
        &i,
        "upgrade",
        up.quote,
        detail,
        &["active"],
        None,
        JobAction::Upgrade {
            sku_id: up.sku,
            quantity: up.quantity,
        },
    )
    .await
}

async fn unsubscribe(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (i, live, _) = own(&state, &actor, &id).await?;
    let action = JobAction::Release {
        reason: ReleaseReason::Unsubscribed,
    };
    let decision = Some((InstanceState::Released.as_str(), None));
    place(
        &state,
        &actor,
        &headers,
        &body,
        &i,
        "unsubscribe",
        Quote::new(&live.currency, Vec::new(), "none".into()),
        json!({}),
        LIVE,
        decision,
        action,
    )
    .await
}
