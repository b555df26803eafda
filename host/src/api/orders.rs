//! `/v1/orders`: a customer subscribes (answered `202 Accepted`, or `200`
//! with the first order when an `Idempotency-Key` is retried); orders are
//! listed and shown to their customer, their seller and operators.

use super::auth::Actor;
use super::extract::{Query, idempotency_key, parse};
use super::pages::{PageQuery, next};
use super::views::ordering::{OrderAccepted, OrderList, OrderView};
use super::{ApiError, AppState};
use crate::app::ordering::{self, Accepted, Idempotency};
use crate::app::quotes::SubscriptionRequest;
use crate::domain::instance::OrderKind;
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, subscribe))
        .routes(routes!(show))
}

/// An accepted order as answered: `202` when new, `200` for a retry.
pub(super) fn accepted(a: &Accepted, viewer: Role) -> (StatusCode, Json<OrderAccepted>) {
    let status = if a.new {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    (status, Json(OrderAccepted::new(a, viewer)))
}

/// Subscribe to a SKU (or its trial).
#[utoipa::path(
    post,
    path = "/orders",
    tag = "orders",
    request_body = SubscriptionRequest,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[ \\t]*[!-~]([ -~\\t]{0,198}[!-~])?[ \\t]*$", description = "Makes a retry answer the first order")),
    responses(
        (status = 202, description = "Accepted; the worker completes it", body = OrderAccepted),
        (status = 200, description = "A retry: the order this key placed", body = OrderAccepted),
        (status = 400, description = "Malformed request"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "Not a customer, or a trial limited to listed customers"),
        (status = 404, description = "No such product"),
        (status = 402, description = "the balance does not cover the price: `missing` says how much to top up"),
        (status = 409, description = "Not on sale, already bought or trialled, or the key was used for another request"),
        (status = 422, description = "The pricing plugin failed"),
    )
)]
async fn subscribe(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    actor.require(&[Role::Customer])?;
    let key = idempotency_key(&headers)?;
    let req: SubscriptionRequest = parse(&body)?;
    let idem = Idempotency::new(key, OrderKind::Subscribe, None, &body);
    let a = ordering::subscribe(&state.app, &actor, &req, idem).await?;
    Ok(accepted(&a, actor.role))
}

/// One order.
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "The order")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 401, description = "No or a bad token"),
        (status = 404, description = "No such order (or not yours)"),
    )
)]
async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(OrderView::new(
        &ordering::order(&state.app, &actor, &id).await?,
        actor.role,
    )))
}

/// The orders the actor may see, newest first.
#[utoipa::path(
    get,
    path = "/orders",
    tag = "orders",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the orders", body = OrderList),
        (status = 400, description = "A bad `after` or `limit`"),
        (status = 401, description = "No or a bad token"),
    )
)]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PageQuery>,
) -> Result<Json<OrderList>, ApiError> {
    let page = ordering::orders(&state.app, &actor, &q.request()?).await?;
    Ok(Json(OrderList::new(&page.rows, next(&page), actor.role)))
}
