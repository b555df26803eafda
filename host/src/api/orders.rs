//! Orders: a customer subscribes to a SKU (or a trial), and later renews,
//! converts a trial, upgrades or unsubscribes. Each order is accepted in one
//! transaction with its instance and its queued plugin call and answered
//! `202 Accepted`; the lifecycle worker completes it. An `Idempotency-Key`
//! header makes a retried request return the first order.

use super::auth::Actor;
use super::extract::idempotency_key;
use super::quotes::{PricedSubscription, SubscriptionRequest, price_subscription};
use super::views::ordering::{instance_json, order_json};
use super::{ApiError, AppState};
use crate::domain::instance::{InstanceState, JobAction};
use crate::domain::supervision::Flow;
use crate::ids::{new_id, seed_of};
use crate::store::{InstanceGuard, InstanceRow, NewJob, OrderRow, Owner, Placed, Role};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/orders", get(list).post(subscribe))
        .route("/orders/{id}", get(show))
}

/// Fingerprint of a request, so a reused idempotency key with a different
/// request is refused instead of silently answered with the first order.
pub(super) fn fingerprint(path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

/// Answers a placed order: the new one (202) or the one an idempotency key
/// already names (200), after checking it was the same request.
pub(super) async fn answer(
    state: &AppState,
    placed: Placed,
    order: OrderRow,
    request: &str,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    answer_with(state, placed, order, request, None).await
}

/// [`answer`], given the new instance row when the caller has it.
pub(super) async fn answer_with(
    state: &AppState,
    placed: Placed,
    order: OrderRow,
    request: &str,
    new_instance: Option<&InstanceRow>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = matches!(placed, Placed::New);
    let (status, order) = match placed {
        Placed::New => {
            state.wake.notify_one();
            (StatusCode::ACCEPTED, order)
        }
        Placed::Existing(first) => {
            let detail: Value = serde_json::from_str(&first.detail).unwrap_or(Value::Null);
            if detail["request"].as_str() != Some(request) {
                return Err(ApiError::Conflict(
                    "this Idempotency-Key was used for a different request".into(),
                ));
            }
            (StatusCode::OK, *first)
        }
    };
    let instance = match new_instance {
        Some(i) if new => Some(i.clone()),
        _ => state.store.instance(&order.instance_id).await?,
    };
    Ok((
        status,
        Json(json!({
            "order": order_json(&order),
            "instance": instance.map(|i| instance_json(state, &i, false)),
        })),
    ))
}

async fn subscribe(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    actor.require(&[Role::Customer])?;
    let key = idempotency_key(&headers)?;
    let req: SubscriptionRequest = super::extract::parse(&body)?;
    let now = state.clock.now_ms();
    let PricedSubscription {
        product,
        live,
        spec,
        sku,
        quantity,
        periods,
        expires_at,
        quote,
    } = price_subscription(&state, &actor, &req, now).await?;
    let trial_key = req
        .trial
        .then(|| format!("{}:{}:{}", actor.id(), product.id, spec.id));
    let purchase_key = spec
        .purchase_limit
        .as_ref()
        .filter(|l| l.once_per_customer && !req.trial)
        .map(|_| format!("{}:{}:{}", actor.id(), product.id, spec.id));
    let instance = InstanceRow {
        id: new_id("ins"),
        seller_id: product.seller_id.clone(),
        customer_id: actor.id().into(),
        product_id: product.id.clone(),
        product_version: product.live_version,
        spec_id: spec.id.clone(),
        sku_id: sku.id.clone(),
        billing_mode: req.billing_mode.as_str().into(),
        quantity: i64::from(quantity),
        trial: req.trial,
        state: InstanceState::Provisioning.as_str().into(),
        freeze_reason: None,
        expires_at,
        seller_instance_id: None,
        app_info: None,
        failure: None,
        created_at: now,
        updated_at: now,
    };
    let request = fingerprint("subscribe", &body);
    let order = OrderRow {
        id: new_id("ord"),
        customer_id: actor.id().into(),
        seller_id: product.seller_id.clone(),
        instance_id: instance.id.clone(),
        kind: "subscribe".into(),
        state: "processing".into(),
        amount: quote.total.to_string(),
        detail: json!({
            "request": request,
            "product": product.id, "product-version": product.live_version,
            "specification": spec.id, "sku": sku.id, "billing-mode": req.billing_mode,
            "periods": periods, "quantity": quantity, "trial": req.trial,
            "expires-at": expires_at, "quote": quote,
        })
        .to_string(),
        idempotency_key: key,
        failure: None,
        service_flow: live
            .supervised
            .then(|| serde_json::to_string(&Flow::new(now)))
            .transpose()?,
        purchase_key,
        trial_key,
        created_at: now,
        updated_at: now,
    };
    let job = NewJob {
        instance_id: instance.id.clone(),
        order_id: Some(order.id.clone()),
        action: serde_json::to_string(&JobAction::Create {
            periods,
            customer_name: actor.name.clone(),
            supervised: live.supervised,
        })?,
        seed: seed_of(&order.id),
    };
    let placed = state
        .store
        .place_order(&order, Some(&instance), None, &[job])
        .await?;
    answer_with(&state, placed, order, &request, Some(&instance)).await
}

/// An order the actor may see: the customer's or the seller's own; any for
/// operators. Others' ids are 404.
pub(super) async fn visible_order(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<OrderRow, ApiError> {
    state
        .store
        .order(id)
        .await?
        .filter(|o| {
            actor.role() == Role::Operator
                || o.customer_id == actor.id()
                || o.seller_id == actor.id()
        })
        .ok_or_else(|| ApiError::NotFound(format!("no order {id}")))
}

async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(order_json(&visible_order(&state, &actor, &id).await?)))
}

pub(super) fn owner(actor: &Actor) -> Owner<'_> {
    match actor.role() {
        Role::Customer => Owner::Customer(actor.id()),
        Role::Seller => Owner::Seller(actor.id()),
        Role::Operator => Owner::All,
    }
}

async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, ApiError> {
    let rows = state.store.orders(owner(&actor), None, 500).await?;
    Ok(Json(
        json!({"orders": rows.iter().map(order_json).collect::<Vec<_>>()}),
    ))
}

/// Guards an instance change: the instance must be in one of `states`.
pub(super) fn guard<'a>(id: &'a str, states: &'a [&'a str]) -> InstanceGuard<'a> {
    InstanceGuard {
        id,
        states,
        new_state: None,
        freeze_reason: None,
    }
}
