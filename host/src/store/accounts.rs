//! Accounts and their API tokens. A token is stored as its sha256 only,
//! with a name, an optional expiry and, once revoked, when it was; revoked
//! rows are kept (never matched again) so the history of who held which
//! token survives.

use super::pages::{Order, Page, PageRequest};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use serde::Serialize;

/// Who an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Reviews listings, runs the marketplace.
    Operator,
    /// Sells products, uploads plugins.
    Seller,
    /// Buys products.
    Customer,
}

impl Role {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Seller => "seller",
            Role::Customer => "customer",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "operator" => Some(Role::Operator),
            "seller" => Some(Role::Seller),
            "customer" => Some(Role::Customer),
            _ => None,
        }
    }
}

/// An account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Account {
    /// Its id.
    pub id: String,
    /// Its role.
    pub role: Role,
    /// Display name.
    pub name: String,
    /// Country, ISO 3166-1 alpha-2, if given (settlement tax rules read it).
    pub country: Option<String>,
    /// Creation time (ms).
    pub created_at: i64,
}

type AccountRow = (String, String, String, Option<String>, i64);

fn account((id, role, name, country, created_at): AccountRow) -> Account {
    Account {
        id,
        // The CHECK constraint keeps other values out.
        role: Role::parse(&role).unwrap_or(Role::Customer),
        name,
        country,
        created_at,
    }
}

/// One API token, without its secret or hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Its id (`tok_...`), how it is named in `DELETE /v1/tokens/{id}`.
    pub id: String,
    /// The account it authenticates.
    pub account_id: String,
    /// The holder's label (`default` for the token made with the account).
    pub name: String,
    /// When it was made (ms).
    pub created_at: i64,
    /// When it stops working (ms, service clock); `None`: never.
    pub expires_at: Option<i64>,
    /// When it was revoked (ms); `None` while it is not.
    pub revoked_at: Option<i64>,
}

/// What a presented token resolves to: its account, and what decides
/// whether it still works.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The account it authenticates.
    pub account: Account,
    /// The token's id (so a revocation can find cached copies).
    pub token_id: String,
    /// When it stops working (ms); `None`: never.
    pub expires_at: Option<i64>,
}

const INSERT_TOKEN: &str = "INSERT INTO tokens (id, account_id, name, token_hash, created_at, expires_at) \
                            VALUES ($1, $2, $3, $4, $5, $6)";
const TOKEN_COLUMNS: &str = "id, account_id, name, created_at, expires_at, revoked_at";

impl Store {
    /// Creates an account with its first token (given with its hash) in one
    /// transaction.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "create_account")
    )]
    pub async fn create_account(
        &self,
        account: &Account,
        token: &TokenRow,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let a = "INSERT INTO accounts (id, role, name, created_at, country) VALUES ($1, $2, $3, $4, $5)";
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(a).bind(&account.id).bind(account.role.as_str()).bind(&account.name).bind(account.created_at).bind(&account.country).execute(&mut *tx).await?;
            sqlx::query(INSERT_TOKEN).bind(&token.id).bind(&token.account_id).bind(&token.name).bind(token_hash)
                .bind(token.created_at).bind(token.expires_at).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds a token to an existing account.
    pub async fn insert_token(&self, token: &TokenRow, token_hash: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => sqlx::query(INSERT_TOKEN).bind(&token.id).bind(&token.account_id)
            .bind(&token.name).bind(token_hash).bind(token.created_at).bind(token.expires_at)
            .execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// An account's tokens that are not revoked (expired ones included, so
    /// they can be seen and cleaned up), newest first.
    pub async fn tokens_of(&self, account_id: &str) -> Result<Vec<TokenRow>, StoreError> {
        let q = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 AND revoked_at IS NULL \
             ORDER BY created_at DESC, id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(account_id).fetch_all(pool).await)?)
    }

    /// A page of an account's tokens that are not revoked, newest first.
    pub async fn tokens_page(
        &self,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<TokenRow>, StoreError> {
        let q = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 AND revoked_at IS NULL \
             AND {} {} LIMIT $4",
            Order::NewestFirst.after("created_at", "id", 2),
            Order::NewestFirst.by("created_at", "id"),
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(account_id).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |t: &TokenRow| (t.created_at, &t.id)))
    }

    /// A token by id, revoked or not.
    pub async fn token(&self, id: &str) -> Result<Option<TokenRow>, StoreError> {
        let q = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(id).fetch_optional(pool).await)?)
    }

    /// Revokes a token; false when it was already revoked (or is unknown).
    pub async fn revoke_token(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let q = "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        let _turn = self.write_turn().await;
        let done = on_pool!(self, pool => sqlx::query(q).bind(id).bind(now_ms)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// What a token (by hash) that is not revoked authenticates; whether it
    /// has expired is the caller's to judge against the service clock.
    pub async fn credential(&self, token_hash: &str) -> Result<Option<Credential>, StoreError> {
        let q = "SELECT a.id, a.role, a.name, a.country, a.created_at, t.id, t.expires_at FROM tokens t \
                 JOIN accounts a ON a.id = t.account_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
        #[allow(clippy::type_complexity)]
        let row: Option<(
            String,
            String,
            String,
            Option<String>,
            i64,
            String,
            Option<i64>,
        )> = on_pool!(self, pool => sqlx::query_as(q).bind(token_hash).fetch_optional(pool).await)?;
        Ok(row.map(
            |(id, role, name, country, created_at, token_id, expires_at)| Credential {
                account: account((id, role, name, country, created_at)),
                token_id,
                expires_at,
            },
        ))
    }

    /// One account by its id.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, role, name, country, created_at FROM accounts WHERE id = $1",
        )
        .bind(id).fetch_optional(pool).await)?;
        Ok(row.map(account))
    }

    /// Whether any operator exists (the first start creates one).
    pub async fn has_operator(&self) -> Result<bool, StoreError> {
        let q = "SELECT COUNT(*) FROM accounts WHERE role = 'operator'";
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(q).fetch_one(pool).await)?;
        Ok(n > 0)
    }
}
