//! `GET /v1/tokens`, `POST /v1/tokens`, `DELETE /v1/tokens/{id}`: an
//! account's API tokens. A revocation evicts the token from this node's
//! cache at once; other nodes drop it when their cached entry ages out
//! (`Settings::token_cache_ttl`).

use super::auth::Actor;
use super::extract::Query;
use super::pages;
use super::views::tokens::{TokenCreated, TokenList, TokenRevoked, TokenView};
use super::{ApiError, AppState};
use crate::app::tokens::{self, NewToken};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// Operators: another account's tokens.
    account: Option<String>,
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// The caller's tokens (operators: `?account=` for anyone's).
#[utoipa::path(get, path = "/tokens", tag = "accounts",
    params(TokenQuery),
    responses((status = 200, description = "a page of the tokens not revoked, newest first", body = TokenList), (status = 400, description = "a bad `after` or `limit`"), (status = 404, description = "another account, asked by a non-operator")))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<TokenQuery>,
) -> Result<Json<TokenList>, ApiError> {
    let page = pages::request(q.after.as_deref(), q.limit)?;
    let page = tokens::list(&state.app, &actor, q.account.as_deref(), &page).await?;
    Ok(Json(TokenList {
        tokens: page.rows.iter().map(TokenView::from).collect(),
        next: pages::next(&page),
    }))
}

/// Make a named token for the caller; its secret is shown once.
#[utoipa::path(post, path = "/tokens", tag = "accounts",
    request_body = NewToken,
    responses((status = 201, description = "the token and its secret", body = TokenCreated), (status = 400, description = "bad name or expiry"), (status = 409, description = "the account holds the most tokens it may")))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let req: NewToken = super::extract::parse(&body)?;
    let (row, secret) = tokens::create(&state.app, &actor, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            token: TokenView::from(&row),
            secret,
        }),
    ))
}

/// Revoke a token: this node refuses it from the next request, every node
/// within the token cache's lifetime.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "accounts",
    params(("id" = String, Path, description = "token id")),
    responses((status = 200, description = "revoked", body = TokenRevoked), (status = 404, description = "no such token, another account's, or already revoked"), (status = 409, description = "the caller's own only working token")))]
async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<TokenRevoked>, ApiError> {
    let token = tokens::revoke(&state.app, &actor, &id).await?;
    state.tokens.evict(&token.id);
    Ok(Json(TokenRevoked { revoked: token.id }))
}
