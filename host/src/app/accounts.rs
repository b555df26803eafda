//! Accounts: the first operator at start-up; operators create sellers,
//! customers and other operators, each with an API token shown once.

use super::{App, AppError, Caller};
use crate::ids::{new_id, token_hash};
use crate::store::{Account, Role, Store, StoreError};
use serde::Deserialize;

/// Longest account name.
pub const MAX_NAME: usize = 100;

/// The name of the token an account is created with.
pub const DEFAULT_TOKEN: &str = "default";

/// `POST /v1/accounts`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewAccount {
    /// The new account's role.
    pub role: Role,
    /// Its display name, 1 to [`MAX_NAME`] characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Its country, ISO 3166-1 alpha-2 in capitals (`DE`): settlement tax
    /// rules read it.
    #[schema(pattern = "^[A-Z]{2}$")]
    #[serde(default)]
    pub country: Option<String>,
}

/// An operator creates an account; answers it with its one-time token.
pub async fn create(
    app: &App,
    caller: &Caller,
    req: NewAccount,
) -> Result<(Account, String), AppError> {
    caller.require(&[Role::Operator])?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::bad(
            "name",
            format!("give a name of 1 to {MAX_NAME} characters"),
        ));
    }
    if let Some(c) = &req.country
        && (c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(AppError::bad(
            "country",
            "an ISO 3166-1 alpha-2 code in capitals, e.g. DE",
        ));
    }
    Ok(create_account(
        &app.store,
        req.role,
        name,
        req.country.as_deref(),
        app.clock.now_ms(),
    )
    .await?)
}

/// Creates an account and returns it with its one-time token (also used by
/// the CLI and test fixtures, which have no caller).
pub async fn create_account(
    store: &Store,
    role: Role,
    name: &str,
    country: Option<&str>,
    now_ms: i64,
) -> Result<(Account, String), StoreError> {
    let prefix = match role {
        Role::Operator => "op",
        Role::Seller => "sel",
        Role::Customer => "cus",
    };
    let account = Account {
        id: new_id(prefix),
        role,
        name: name.to_string(),
        country: country.map(str::to_string),
        created_at: now_ms,
    };
    let (row, token, hash) = super::tokens::issue(&account.id, DEFAULT_TOKEN, now_ms, None);
    store.create_account(&account, &row, &hash).await?;
    Ok((account, token))
}

/// On first start, creates the operator: with `token` when configured,
/// otherwise a fresh one, which is returned so it can be printed once.
pub async fn bootstrap_operator(
    store: &Store,
    token: Option<&str>,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    if store.has_operator().await? {
        return Ok(None);
    }
    let account = Account {
        id: new_id("op"),
        role: Role::Operator,
        name: "operator".into(),
        country: None,
        created_at: now_ms,
    };
    let (row, generated, hash) = super::tokens::issue(&account.id, DEFAULT_TOKEN, now_ms, None);
    let (token, hash) = match token {
        Some(t) => (t.to_string(), token_hash(t)),
        None => (generated, hash),
    };
    store.create_account(&account, &row, &hash).await?;
    Ok(Some(token))
}
