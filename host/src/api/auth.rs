//! Who is calling: every route but the health check and the OpenAPI
//! document takes an [`Actor`], resolved from `Authorization: Bearer <token>`.
//! Handlers then check the role with [`Actor::require`] and ownership by
//! answering 404 for other accounts' ids, so ids cannot be probed.

use super::{ApiError, AppState};
use crate::store::{Account, Role};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The authenticated account of a request.
#[derive(Debug, Clone)]
pub struct Actor(pub Account);

impl Actor {
    /// The account id.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.0.role
    }

    /// Fails with 403 unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "this route is for {}; you are a {}",
                names.join(" or "),
                self.0.role.as_str()
            )))
        }
    }

    /// Whether the actor may see something owned by `owner_id`: its owner
    /// and operators.
    pub fn may_see(&self, owner_id: &str) -> bool {
        self.0.role == Role::Operator || self.0.id == owner_id
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
            return Ok(Actor(account));
        }
        let account = state
            .store
            .account_by_token(&hash)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token".into()))?;
        state.tokens.put(hash, account.clone());
        Ok(Actor(account))
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
