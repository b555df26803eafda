//! Quotes: what a subscription or a change to an instance costs, itemised,
//! priced exactly as the order placed right after it would be.

use super::auth::Actor;
use super::extract::parse;
use super::views::ordering::{ChangeQuoteView, SubscriptionQuoteView};
use super::{ApiError, AppState};
use crate::app::quotes::{self, QuoteChange, SubscriptionRequest};
use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(quote_subscription))
        .routes(routes!(quote_change))
}

/// Price a subscription without ordering it.
#[utoipa::path(
    post,
    path = "/quotes",
    tag = "quotes",
    request_body = SubscriptionRequest,
    responses(
        (status = 200, description = "The price", body = SubscriptionQuoteView),
        (status = 400, description = "Malformed request"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "A trial limited to listed customers"),
        (status = 404, description = "No such product"),
        (status = 409, description = "Not on sale, or cannot be priced"),
        (status = 422, description = "The pricing plugin failed"),
    )
)]
async fn quote_subscription(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<SubscriptionQuoteView>, ApiError> {
    let req: SubscriptionRequest = parse(&body)?;
    let q = quotes::quote_subscription(&state.app, &actor, &req).await?;
    Ok(Json(q.into()))
}

/// Price a renewal, a conversion or an upgrade of an instance.
#[utoipa::path(
    post,
    path = "/instances/{id}/quote",
    tag = "quotes",
    request_body = QuoteChange,
    params(("id" = String, Path, description = "The instance")),
    responses(
        (status = 200, description = "The price", body = ChangeQuoteView),
        (status = 400, description = "Malformed request"),
        (status = 401, description = "No or a bad token"),
        (status = 403, description = "Not a customer"),
        (status = 404, description = "No such instance (or not yours)"),
        (status = 409, description = "The change is not possible now"),
        (status = 422, description = "The pricing plugin failed"),
    )
)]
async fn quote_change(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ChangeQuoteView>, ApiError> {
    let change = parse_change(&state, &actor, &id, &body).await?;
    Ok(Json(
        quotes::quote_change(&state.app, &actor, &id, change)
            .await?
            .into(),
    ))
}

/// The change's body, parsed after checking the instance is the caller's
/// (a stranger's id answers 404 whatever the body).
async fn parse_change(
    state: &AppState,
    actor: &Actor,
    id: &str,
    body: &[u8],
) -> Result<QuoteChange, ApiError> {
    crate::app::access::own_instance(&state.app, actor, id).await?;
    parse(body)
}
