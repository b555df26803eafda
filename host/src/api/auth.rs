//! Who is calling: every route but the health check and the OpenAPI
//! document takes an [`Actor`], resolved from `Authorization: Bearer <token>`.
//! Handlers then check the role with [`Caller::require`] and look records up
//! through `app::access`, which answers 404 for other accounts' ids.

use super::{ApiError, AppState};
use crate::app::Caller;
use crate::store::Account;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The authenticated account of a request; it derefs to the use cases'
/// [`Caller`].
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account as stored (what `GET /v1/me` shows).
    pub account: Account,
    caller: Caller,
}

impl Actor {
    fn new(account: Account) -> Self {
        Actor {
            caller: Caller::from(account.clone()),
            account,
        }
    }
}

impl std::ops::Deref for Actor {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("send `Authorization: Bearer <token>`".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        let hash = crate::ids::token_hash(token);
        if let Some(account) = state.tokens.get(&hash) {
            return Ok(Actor::new(account));
        }
        let account = state
            .app
            .store
            .account_by_token(&hash)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token".into()))?;
        state.tokens.put(hash, account.clone());
        Ok(Actor::new(account))
    }
}

/// Accounts by token hash, so a request does not cost a database query.
/// Tokens are never reassigned and accounts never change role, so an entry
/// stays true; the map is emptied when it grows past its bound rather than
/// tracking recency.
#[derive(Default)]
pub struct TokenCache(std::sync::RwLock<std::collections::HashMap<String, Account>>);

/// Entries kept before the cache starts over.
const TOKEN_CACHE_MAX: usize = 10_000;

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Account> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(hash)
            .cloned()
    }

    fn put(&self, hash: String, account: Account) {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= TOKEN_CACHE_MAX {
            map.clear();
        }
        map.insert(hash, account);
    }
}
