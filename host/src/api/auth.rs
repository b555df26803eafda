//! Who is calling: every route but the health check and the OpenAPI
//! document takes an [`Actor`], resolved from `Authorization: Bearer <token>`.
//! Handlers then check the role with [`Caller::require`] and look records up
//! through `app::access`, which answers 404 for other accounts' ids.

use super::{ApiError, AppState};
use crate::app::{Caller, tokens};
use crate::store::{Account, Credential};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

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
        let app = &state.app;
        let credential = match state.tokens.get(&hash) {
            // Expiry is checked on cached entries too: it is exact everywhere.
            Some(cached) => tokens::check_expiry(app, cached),
            None => {
                let found = tokens::authenticate(app, &hash).await?;
                if let Ok(c) = &found {
                    state.tokens.put(hash, c.clone());
                }
                found
            }
        }
        .map_err(|refused| ApiError::Unauthorized(refused.to_string()))?;
        let actor = Actor::new(credential.account);
        if let Some(slot) = parts.extensions.get::<CallerSlot>() {
            let _ = slot.0.set(actor.caller.clone());
        }
        Ok(actor)
    }
}

/// Where the extractor leaves the authenticated caller for the layers
/// around the handler (the audit log): a middleware puts an empty slot in
/// the request's extensions, and the request's extensions do not travel
/// back up with the response, so the slot is shared.
#[derive(Clone, Default)]
pub struct CallerSlot(std::sync::Arc<std::sync::OnceLock<Caller>>);

impl CallerSlot {
    /// The caller, once a handler authenticated one.
    pub fn caller(&self) -> Option<Caller> {
        self.0.get().cloned()
    }
}

/// Credentials by token hash, so most requests cost no database query.
///
/// An entry lives at most `ttl` (real time): a token revoked through
/// another node (or deleted from the database) stops working here within
/// that bound, and a revocation through this node evicts it at once. The map
/// is emptied when it grows past its bound rather than tracking recency.
pub struct TokenCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Credential, Instant)>>,
}

/// Entries kept before the cache starts over.
const TOKEN_CACHE_MAX: usize = 10_000;

impl TokenCache {
    /// A cache whose entries live at most `ttl`; zero disables it.
    pub fn new(ttl: Duration) -> Self {
        TokenCache {
            ttl,
            entries: RwLock::default(),
        }
    }

    fn get(&self, hash: &str) -> Option<Credential> {
        let map = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (credential, at) = map.get(hash)?;
        (at.elapsed() < self.ttl).then(|| credential.clone())
    }

    fn put(&self, hash: String, credential: Credential) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= TOKEN_CACHE_MAX {
            map.clear();
        }
        map.insert(hash, (credential, Instant::now()));
    }

    /// Forgets the token `token_id` (it was revoked), so this node refuses
    /// it from the next request on.
    pub fn evict(&self, token_id: &str) {
        let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (c, _)| c.token_id != token_id);
    }
}
