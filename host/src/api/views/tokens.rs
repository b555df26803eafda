//! How the API shows API tokens: never their secret or hash, except the
//! secret once, in the answer that made it.

use crate::store::TokenRow;
use serde::Serialize;

/// A token as its holder (or an operator) sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct TokenView {
    /// Its id, for `DELETE /v1/tokens/{id}`.
    pub id: String,
    /// The account it authenticates.
    pub account_id: String,
    /// The holder's label (`default`: the one made with the account).
    pub name: String,
    /// When it was made (ms).
    pub created_at: i64,
    /// When it stops working (ms, service clock); `null`: until revoked.
    pub expires_at: Option<i64>,
}

impl From<&TokenRow> for TokenView {
    fn from(t: &TokenRow) -> Self {
        TokenView {
            id: t.id.clone(),
            account_id: t.account_id.clone(),
            name: t.name.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

/// `GET /v1/tokens`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenList {
    /// The tokens not revoked (expired ones included), newest first.
    pub tokens: Vec<TokenView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}

/// `POST /v1/tokens`: the new token and its secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    /// The token.
    pub token: TokenView,
    /// What to send as `Authorization: Bearer <secret>`; only its hash is
    /// kept.
    pub secret: String,
}

/// `DELETE /v1/tokens/{id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenRevoked {
    /// The id of the token revoked.
    pub revoked: String,
}
