//! `/v1/instances`: instances shown to their customer and seller (with the
//! credentials) and operators, and the orders that change them: renew,
//! convert a trial, upgrade, unsubscribe.

use super::auth::Actor;
use super::extract::{Query, idempotency_key, parse};
use super::orders::accepted;
use super::pages::{PageQuery, next};
use super::views::ordering::{InstanceList, InstanceView, OrderAccepted, OrderList};
use super::{ApiError, AppState};
use crate::app::ordering::{self, Idempotency, PeriodsRequest};
use crate::app::quotes::UpgradeRequest;
use crate::domain::instance::OrderKind;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(orders))
        .routes(routes!(renew))
        .routes(routes!(convert))
        .routes(routes!(upgrade))
        .routes(routes!(unsubscribe))
}

/// The instances the actor may see, newest first (without credentials).
#[utoipa::path(
    get,
    path = "/instances",
    tag = "instances",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the instances", body = InstanceList),
        (status = 400, description = "A bad `after` or `limit`"),
        (status = 401, description = "No or a bad token"),
    )
)]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PageQuery>,
) -> Result<Json<InstanceList>, ApiError> {
    let page = ordering::instances(&state.app, &actor, &q.request()?).await?;
    Ok(Json(InstanceList {
        instances: page
            .rows
            .iter()
            .map(|i| InstanceView::new(i, None, actor.role))
            .collect(),
        next: next(&page),
    }))
}

/// One instance; its customer and seller also see its credentials (`app`).
#[utoipa::path(
    get,
    path = "/instances/{id}",
    tag = "instances",
    params(("id" = String, Path, description = "The instance")),
    responses(
        (status = 200, description = "The instance", body = InstanceView),
        (status = 401, description = "No or a bad token"),
        (status = 404, description = "No such instance (or not yours)"),
    )
)]
async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<InstanceView>, ApiError> {
    let (i, app) = ordering::instance(&state.app, &actor, &id).await?;
    Ok(Json(InstanceView::new(&i, app, actor.role)))
}

/// The orders of one instance, newest first.
#[utoipa::path(
    get,
    path = "/instances/{id}/orders",
    tag = "instances",
    params(("id" = String, Path, description = "The instance"), PageQuery),
    responses(
        (status = 200, description = "A page of its orders", body = OrderList),
        (status = 400, description = "A bad `after` or `limit`"),
        (status = 401, description = "No or a bad token"),
        (status = 404, description = "No such instance (or not yours)"),
    )
)]
async fn orders(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<OrderList>, ApiError> {
    let page = ordering::instance_orders(&state.app, &actor, &id, &q.request()?).await?;
    Ok(Json(OrderList::new(&page.rows, next(&page), actor.role)))
}

/// The periods a renewal or conversion buys (an empty body buys one).
fn periods_of(body: &[u8]) -> Result<PeriodsRequest, ApiError> {
    super::extract::parse_or_default(body)
}

/// Buy more periods.
#[utoipa::path(
    post,
    path = "/instances/{id}/renew",
    tag = "instances",
    request_body(content = Option<PeriodsRequest>, description = "Empty buys one period"),
    params(
        ("id" = String, Path, description = "The instance"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[ \\t]*[!-~]([ -~\\t]{0,198}[!-~])?[ \\t]*$", description = "Makes a retry answer the first order"),
    ),
    responses(
        (status = 202, description = "Accepted; the worker completes it", body = OrderAccepted),
        (status = 200, description = "A retry: the order this key placed", body = OrderAccepted),
        (status = 400, description = "Malformed request"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "Not a customer"),
        (status = 404, description = "No such instance (or not yours)"),
        (status = 402, description = "the balance does not cover the price: `missing` says how much to top up"),
        (status = 409, description = "Nothing to renew, or another order in progress"),
        (status = 422, description = "The pricing plugin failed"),
    )
)]
async fn renew(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    let req = periods_of(&body)?;
    let idem = Idempotency::new(
        idempotency_key(&headers)?,
        OrderKind::Renew,
        Some(&id),
        &body,
    );
    Ok(accepted(
        &ordering::renew(&state.app, &actor, &id, req, idem).await?,
        actor.role,
    ))
}

/// Turn a trial into a paid subscription.
#[utoipa::path(
    post,
    path = "/instances/{id}/convert",
    tag = "instances",
    request_body(content = Option<PeriodsRequest>, description = "Empty buys one period"),
    params(
        ("id" = String, Path, description = "The instance"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[ \\t]*[!-~]([ -~\\t]{0,198}[!-~])?[ \\t]*$", description = "Makes a retry answer the first order"),
    ),
    responses(
        (status = 202, description = "Accepted; the worker completes it", body = OrderAccepted),
        (status = 200, description = "A retry: the order this key placed", body = OrderAccepted),
        (status = 400, description = "Malformed request"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "Not a customer"),
        (status = 404, description = "No such instance (or not yours)"),
        (status = 402, description = "the balance does not cover the price: `missing` says how much to top up"),
        (status = 409, description = "Not a trial, or another order in progress"),
        (status = 422, description = "The pricing plugin failed"),
    )
)]
async fn convert(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    let req = periods_of(&body)?;
    let idem = Idempotency::new(
        idempotency_key(&headers)?,
        OrderKind::TrialToFormal,
        Some(&id),
        &body,
    );
    Ok(accepted(
        &ordering::convert(&state.app, &actor, &id, req, idem).await?,
        actor.role,
    ))
}

/// Move to another SKU or quantity for the rest of the period.
#[utoipa::path(
    post,
    path = "/instances/{id}/upgrade",
    tag = "instances",
    request_body = UpgradeRequest,
    params(
        ("id" = String, Path, description = "The instance"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[ \\t]*[!-~]([ -~\\t]{0,198}[!-~])?[ \\t]*$", description = "Makes a retry answer the first order"),
    ),
    responses(
        (status = 202, description = "Accepted; the worker completes it", body = OrderAccepted),
        (status = 200, description = "A retry: the order this key placed", body = OrderAccepted),
        (status = 400, description = "Malformed request or an upgrade the rules refuse"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "Not a customer"),
        (status = 404, description = "No such instance (or not yours)"),
        (status = 402, description = "the balance does not cover the price: `missing` says how much to top up"),
        (status = 409, description = "A trial, run out, or another order in progress"),
        (status = 422, description = "The pricing plugin failed"),
    )
)]
async fn upgrade(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    let req: UpgradeRequest = parse(&body)?;
    let idem = Idempotency::new(
        idempotency_key(&headers)?,
        OrderKind::Upgrade,
        Some(&id),
        &body,
    );
    Ok(accepted(
        &ordering::upgrade(&state.app, &actor, &id, req, idem).await?,
        actor.role,
    ))
}

/// End the subscription: released at once.
#[utoipa::path(
    post,
    path = "/instances/{id}/unsubscribe",
    tag = "instances",
    request_body(content = Option<serde_json::Value>, description = "Ignored, or empty"),
    params(
        ("id" = String, Path, description = "The instance"),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[ \\t]*[!-~]([ -~\\t]{0,198}[!-~])?[ \\t]*$", description = "Makes a retry answer the first order"),
    ),
    responses(
        (status = 202, description = "Accepted; the instance is released", body = OrderAccepted),
        (status = 200, description = "A retry: the order this key placed", body = OrderAccepted),
        (status = 400, description = "Malformed request"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "Not a customer"),
        (status = 404, description = "No such instance (or not yours)"),
        (status = 409, description = "Not live, or another order in progress"),
    )
)]
async fn unsubscribe(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    let idem = Idempotency::new(
        idempotency_key(&headers)?,
        OrderKind::Unsubscribe,
        Some(&id),
        &body,
    );
    Ok(accepted(
        &ordering::unsubscribe(&state.app, &actor, &id, idem).await?,
        actor.role,
    ))
}
