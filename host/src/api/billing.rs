//! Customers' balances and pay-per-use charges, and usage packages. A
//! top-up pays unpaid charges oldest first; an instance whose arrears are
//! paid is unfrozen by the worker, which the top-up wakes.

use super::auth::Actor;
use super::extract::{Query, idempotency_key, parse};
use super::pages::{PageQuery, next};
use super::views::operations::{
    BalanceView, ChargeList, PackageList, PackageView, TopUpView, charge_views,
};
use super::{ApiError, AppState};
use crate::app::{access, billing};
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(top_up))
        .routes(routes!(charges))
        .routes(routes!(packages, buy_package))
}

/// The calling customer's balance and unpaid charges.
#[utoipa::path(get, path = "/balance", tag = "billing",
    responses((status = 200, body = BalanceView), (status = 403, description = "not a customer")))]
async fn balance(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<BalanceView>, ApiError> {
    let (amount, unpaid) = billing::balance(&state.app, &actor).await?;
    Ok(Json(BalanceView {
        amount: amount.round_dp(2).to_string(),
        unpaid: charge_views(&unpaid),
    }))
}

/// Adds to the calling customer's balance; unpaid charges are paid oldest
/// first.
#[utoipa::path(post, path = "/balance/top-up", tag = "billing",
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[ \\t]*[!-~]([ -~\\t]{0,198}[!-~])?[ \\t]*$", description = "a retry with the same key answers the first top-up")),
    request_body = billing::TopUpRequest,
    responses(
        (status = 200, body = TopUpView),
        (status = 400, description = "not a positive amount in cents"),
        (status = 403, description = "not a customer"),
    ))]
async fn top_up(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TopUpView>, ApiError> {
    actor.require(&[Role::Customer])?;
    let key = idempotency_key(&headers)?;
    let req: billing::TopUpRequest = parse(&body)?;
    let done = billing::top_up(&state.app, &actor, req, key.as_deref()).await?;
    Ok(Json(done.into()))
}

/// The pay-per-use charges of an instance.
#[utoipa::path(get, path = "/instances/{id}/charges", tag = "billing",
    params(("id" = String, Path, description = "instance id"), PageQuery),
    responses((status = 200, body = ChargeList), (status = 400, description = "a bad `after` or `limit`"), (status = 404, description = "no such instance")))]
async fn charges(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<ChargeList>, ApiError> {
    let page = billing::charges(&state.app, &actor, &id, &q.request()?).await?;
    Ok(Json(ChargeList {
        charges: charge_views(&page.rows),
        next: next(&page),
    }))
}

/// The usage packages bought for an instance.
#[utoipa::path(get, path = "/instances/{id}/packages", tag = "billing",
    params(("id" = String, Path, description = "instance id"), PageQuery),
    responses((status = 200, body = PackageList), (status = 400, description = "a bad `after` or `limit`"), (status = 404, description = "no such instance")))]
async fn packages(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<PackageList>, ApiError> {
    let page = billing::packages(&state.app, &actor, &id, &q.request()?).await?;
    Ok(Json(PackageList {
        packages: page.rows.iter().map(PackageView::from).collect(),
        next: next(&page),
    }))
}

/// Buys a package offered on the instance's specification, paid from the
/// balance; an instance stopped because its stop-before-excess quota ran
/// out serves again.
#[utoipa::path(post, path = "/instances/{id}/packages", tag = "billing",
    params(("id" = String, Path, description = "instance id")),
    request_body = billing::BuyPackage,
    responses(
        (status = 201, body = PackageView),
        (status = 400, description = "no such package, or periods out of range"),
        (status = 403, description = "not a customer"),
        (status = 404, description = "no such instance"),
        (status = 402, description = "the balance does not cover the price: `missing` says how much to top up"),
        (status = 409, description = "the instance is not active or frozen"),
    ))]
async fn buy_package(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<PackageView>), ApiError> {
    actor.require(&[Role::Customer])?;
    let i = access::visible_instance(&state.app, &actor, &id).await?;
    let req: billing::BuyPackage = parse(&body)?;
    let row = billing::buy_package(&state.app, &actor, i, req).await?;
    Ok((StatusCode::CREATED, Json(PackageView::from(&row))))
}
