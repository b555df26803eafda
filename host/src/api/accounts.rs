//! Accounts: operators create sellers, customers and other operators; each
//! gets an API token shown once.

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::ids::{new_id, new_token, token_hash};
use crate::store::{Account, Role, Store};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", post(create))
        .route("/me", get(me))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct NewAccount {
    role: Role,
    name: String,
}

/// Longest account name.
const MAX_NAME: usize = 100;

async fn create(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    actor.require(&[Role::Operator])?;
    let req: NewAccount = super::json::parse(&body)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::bad(
            "name",
            format!("give a name of 1 to {MAX_NAME} characters"),
        ));
    }
    let (account, token) =
        create_account(&state.store, req.role, name, state.clock.now_ms()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"account": account, "token": token})),
    ))
}

async fn me(actor: Actor) -> Json<Value> {
    Json(json!({"account": actor.0}))
}

/// Creates an account and returns it with its one-time token.
pub async fn create_account(
    store: &Store,
    role: Role,
    name: &str,
    now_ms: i64,
) -> Result<(Account, String), crate::store::StoreError> {
    let prefix = match role {
        Role::Operator => "op",
        Role::Seller => "sel",
        Role::Customer => "cus",
    };
    let account = Account {
        id: new_id(prefix),
        role,
        name: name.to_string(),
        created_at: now_ms,
    };
    let token = new_token();
    store.create_account(&account, &token_hash(&token)).await?;
    Ok((account, token))
}

/// On first start, creates the operator: with `token` when configured,
/// otherwise a fresh one, which is returned so it can be printed once.
pub async fn bootstrap_operator(
    store: &Store,
    token: Option<&str>,
    now_ms: i64,
) -> Result<Option<String>, crate::store::StoreError> {
    if store.has_operator().await? {
        return Ok(None);
    }
    let token = token.map_or_else(new_token, str::to_string);
    let account = Account {
        id: new_id("op"),
        role: Role::Operator,
        name: "operator".into(),
        created_at: now_ms,
    };
    store.create_account(&account, &token_hash(&token)).await?;
    Ok(Some(token))
}
