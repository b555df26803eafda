//! API tokens: an account lists its tokens, makes named ones (optionally
//! expiring) and revokes them; operators may do so for any account. A
//! token's secret is shown once, when it is made; only its sha256 is kept.
//!
//! Expiry is judged against the service clock on every request (so a
//! simulated clock moves it too); revocation is a row update every node
//! sees on its next look-up, which the API's token cache bounds.

use super::{App, AppError, Caller};
use crate::ids::{new_id, new_token, token_hash};
use crate::store::{Credential, Page, PageRequest, Role, TokenRow};
use serde::Deserialize;

/// Longest token name.
pub const MAX_NAME: usize = 100;

/// The longest lifetime a token may be given, in days.
pub const MAX_EXPIRY_DAYS: u32 = 365;

/// Live tokens one account may hold, so a leaked token cannot mint an
/// unbounded number of others.
pub const MAX_TOKENS: usize = 100;

const DAY_MS: i64 = 86_400_000;

/// `POST /v1/tokens`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NewToken {
    /// What the holder calls it, 1 to [`MAX_NAME`] characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Days until it stops working, 1 to 365; without it, it works until
    /// revoked.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<u32>,
}

/// A fresh token for `account_id`: its row, its secret (to show once) and
/// the hash that is stored.
pub(crate) fn issue(
    account_id: &str,
    name: &str,
    now_ms: i64,
    expires_at: Option<i64>,
) -> (TokenRow, String, String) {
    let secret = new_token();
    let hash = token_hash(&secret);
    let row = TokenRow {
        id: new_id("tok"),
        account_id: account_id.to_string(),
        name: name.to_string(),
        created_at: now_ms,
        expires_at,
        revoked_at: None,
    };
    (row, secret, hash)
}

/// The account whose tokens `caller` asks about: its own, or with
/// `account` any account's for an operator. Another account's id is
/// `404` for everyone else, like a missing one.
fn whose<'a>(caller: &'a Caller, account: Option<&'a str>) -> Result<&'a str, AppError> {
    match account {
        None => Ok(caller.id()),
        Some(id) if id == caller.id() || caller.role() == Role::Operator => Ok(id),
        Some(_) => Err(AppError::NotFound("no such account".into())),
    }
}

/// A page of the caller's tokens that are not revoked, newest first
/// (`account`: an operator lists another account's).
pub async fn list(
    app: &App,
    caller: &Caller,
    account: Option<&str>,
    page: &PageRequest,
) -> Result<Page<TokenRow>, AppError> {
    let id = whose(caller, account)?;
    Ok(app.store.tokens_page(id, page).await?)
}

/// Makes a named token for the caller; answers it with its secret, shown
/// this once.
pub async fn create(
    app: &App,
    caller: &Caller,
    req: NewToken,
) -> Result<(TokenRow, String), AppError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::bad(
            "name",
            format!("give a name of 1 to {MAX_NAME} characters"),
        ));
    }
    let now = app.clock.now_ms();
    let expires_at = match req.expires_in_days {
        None => None,
        Some(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => {
            Some(now.saturating_add(i64::from(days) * DAY_MS))
        }
        Some(_) => {
            return Err(AppError::bad(
                "expires-in-days",
                format!("give 1 to {MAX_EXPIRY_DAYS} days, or leave it out for no expiry"),
            ));
        }
    };
    if app.store.tokens_of(caller.id()).await?.len() >= MAX_TOKENS {
        return Err(AppError::Conflict(format!(
            "an account holds at most {MAX_TOKENS} tokens; revoke one first"
        )));
    }
    let (row, secret, hash) = issue(caller.id(), name, now, expires_at);
    app.store.insert_token(&row, &hash).await?;
    Ok((row, secret))
}

/// Revokes one of the caller's tokens (an operator: anyone's); answers the
/// revoked token. Another account's token, or one already revoked, is
/// `404`.
pub async fn revoke(app: &App, caller: &Caller, id: &str) -> Result<TokenRow, AppError> {
    let missing = || AppError::NotFound(format!("no token {id}"));
    let token = app.store.token(id).await?.ok_or_else(missing)?;
    if !caller.may_see(&token.account_id) {
        return Err(missing());
    }
    let now = app.clock.now_ms();
    // Revoking your own last working token locks you out for good (only an
    // operator could mint you another); an operator revoking someone
    // else's last token is a suspension, and allowed.
    if token.account_id == caller.id() && token.revoked_at.is_none() {
        let working = app
            .store
            .tokens_of(caller.id())
            .await?
            .into_iter()
            .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now))
            .count();
        if working <= 1 {
            return Err(AppError::Conflict(
                "this is your only working token: create another (POST /v1/tokens) before revoking it"
                    .into(),
            ));
        }
    }
    if !app.store.revoke_token(id, now).await? {
        return Err(missing());
    }
    Ok(token)
}

/// Why a presented token does not authenticate.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No such token, or it was revoked.
    #[error("unknown or revoked token")]
    Unknown,
    /// Its expiry has passed.
    #[error("this token expired; make a new one with POST /v1/tokens")]
    Expired,
}

/// What a presented token (by hash) authenticates, if it still works.
pub async fn authenticate(app: &App, hash: &str) -> Result<Result<Credential, Refused>, AppError> {
    Ok(match app.store.credential(hash).await? {
        None => Err(Refused::Unknown),
        Some(c) => check_expiry(app, c),
    })
}

/// `credential` unless its expiry has passed on the service clock (checked
/// for cached credentials too, so expiry is exact on every node).
pub fn check_expiry(app: &App, credential: Credential) -> Result<Credential, Refused> {
    match credential.expires_at {
        Some(at) if at <= app.clock.now_ms() => Err(Refused::Expired),
        _ => Ok(credential),
    }
}
