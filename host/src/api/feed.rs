//! The seller's change feed, the service supervision flow of supervised
//! orders, the simulated clock and the worker's counters.

use super::auth::Actor;
use super::extract::Query;
use super::extract::parse;
use super::views::operations::{
    ClockView, FeedEventView, FeedView, FlowActed, FlowView, StatsView,
};
use super::views::ordering::order_json;
use super::{ApiError, AppState};
use crate::app::{operations, service_flow};
use crate::domain::supervision::Action;
use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feed))
        .routes(routes!(flow, act))
        .routes(routes!(clock))
        .routes(routes!(advance))
        .routes(routes!(stats))
}

/// A page of the feed.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// Events after this `seq` (0 from the start).
    #[serde(default)]
    after: i64,
    /// 1 to 1000; 100 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// The newest `limit` events after `after` instead of the oldest (still
    /// in order), `next` the last one's `seq`: where a console starts
    /// before following with `after=next`.
    #[serde(default)]
    latest: bool,
}

/// The calling seller's instance events after a cursor.
#[utoipa::path(get, path = "/feed", tag = "feed",
    params(FeedQuery),
    responses(
        (status = 200, body = FeedView),
        (status = 400, description = "limit out of range"),
        (status = 403, description = "not a seller"),
    ))]
async fn feed(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<FeedQuery>,
) -> Result<Json<FeedView>, ApiError> {
    let page = operations::feed(&state.app, &actor, q.after, q.limit, q.latest).await?;
    Ok(Json(FeedView {
        events: page
            .events
            .iter()
            .map(|(e, i)| FeedEventView::new(&state.app, e, i.as_ref()))
            .collect(),
        next: page.next,
    }))
}

/// The service flow of a supervised order.
#[utoipa::path(get, path = "/orders/{id}/service-flow", tag = "service-flow",
    params(("id" = String, Path, description = "order id")),
    responses(
        (status = 200, body = FlowView),
        (status = 404, description = "no such order, or it is not supervised"),
    ))]
async fn flow(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    let status = service_flow::flow(&state.app, &actor, &id).await?;
    Ok(Json(FlowView::new(&status)?))
}

/// Takes a step in a supervised order's flow: request, accept or reject the
/// request, deliver, accept or reject the delivery, appeal, resolve.
#[utoipa::path(post, path = "/orders/{id}/service-flow", tag = "service-flow",
    params(("id" = String, Path, description = "order id")),
    request_body = Action,
    responses(
        (status = 200, body = FlowActed),
        (status = 400, description = "a malformed action or text"),
        (status = 404, description = "no such order, or it is not supervised"),
        (status = 409, description = "not the caller's turn, or not allowed yet"),
    ))]
async fn act(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<FlowActed>, ApiError> {
    let action: Action = parse(&body)?;
    let (order, flow) = service_flow::act(&state.app, &actor, &id, action).await?;
    Ok(Json(FlowActed {
        flow: serde_json::to_value(&flow)?,
        order: order_json(&order),
    }))
}

/// The service's time.
#[utoipa::path(get, path = "/clock", tag = "clock",
    responses((status = 200, body = ClockView)))]
async fn clock(State(state): State<AppState>, actor: Actor) -> Json<ClockView> {
    let _ = actor;
    Json(ClockView {
        now_ms: state.app.clock.now_ms(),
        simulated: state.app.clock.is_simulated(),
    })
}

/// `POST /v1/clock/advance`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Advance {
    /// Milliseconds, positive.
    #[schema(minimum = 1)]
    ms: i64,
}

/// Moves the simulated clock forward (operators).
#[utoipa::path(post, path = "/clock/advance", tag = "clock",
    request_body = Advance,
    responses(
        (status = 200, body = ClockView),
        (status = 400, description = "not a positive number of milliseconds"),
        (status = 403, description = "not an operator"),
        (status = 409, description = "the clock is real"),
    ))]
async fn advance(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<ClockView>, ApiError> {
    actor.require(&[crate::store::Role::Operator])?;
    let req: Advance = parse(&body)?;
    let now = operations::advance(&state.app, &actor, req.ms).await?;
    Ok(Json(ClockView {
        now_ms: now,
        simulated: true,
    }))
}

/// The lifecycle worker's counters and the queue length (operators).
#[utoipa::path(get, path = "/stats", tag = "operations",
    responses((status = 200, body = StatsView), (status = 403, description = "not an operator")))]
async fn stats(State(state): State<AppState>, actor: Actor) -> Result<Json<StatsView>, ApiError> {
    let queued_jobs = operations::queued_jobs(&state.app, &actor).await?;
    Ok(Json(StatsView {
        queued_jobs,
        worker: state.stats.snapshot(),
    }))
}
