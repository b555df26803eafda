//! `POST /v1/accounts` and `GET /v1/me`.

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::app::accounts;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/accounts", post(create))
        .route("/me", get(me))
}

async fn create(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    actor.require(&[crate::store::Role::Operator])?;
    let req: accounts::NewAccount = super::extract::parse(&body)?;
    let (account, token) = accounts::create(&state.app, &actor, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"account": account, "token": token})),
    ))
}

async fn me(actor: Actor) -> Json<Value> {
    Json(json!({"account": actor.account}))
}
