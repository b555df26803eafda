//! `POST /v1/accounts` and `GET /v1/me`.

use super::auth::Actor;
use super::views::catalog::{AccountCreated, AccountView, Me};
use super::{ApiError, AppState};
use crate::app::accounts::{self, NewAccount};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(me))
}

/// Create an account (operators); its token is shown once.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "accounts",
    request_body = NewAccount,
    responses(
        (status = 201, description = "The account and its token", body = AccountCreated),
        (status = 400, description = "Malformed request or a bad name"),
        (status = 403, description = "Not an operator"),
    )
)]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    actor.require(&[crate::store::Role::Operator])?;
    let req: NewAccount = super::extract::parse(&body)?;
    let (account, token) = accounts::create(&state.app, &actor, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            account: AccountView::from(&account),
            token,
        }),
    ))
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/me",
    tag = "accounts",
    responses((status = 200, description = "The caller's account", body = Me))
)]
async fn me(actor: Actor) -> Json<Me> {
    Json(Me {
        account: AccountView::from(&actor.account),
    })
}
