//! Accounts and their API tokens.

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
    /// Creation time (ms).
    pub created_at: i64,
}

type AccountRow = (String, String, String, i64);

fn account((id, role, name, created_at): AccountRow) -> Account {
    Account {
        id,
        // The CHECK constraint keeps other values out.
        role: Role::parse(&role).unwrap_or(Role::Customer),
        name,
        created_at,
    }
}

impl Store {
    /// Creates an account with one token (given as its hash) in one
    /// transaction.
    pub async fn create_account(
        &self,
        account: &Account,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let a = "INSERT INTO accounts (id, role, name, created_at) VALUES ($1, $2, $3, $4)";
        let t = "INSERT INTO api_tokens (token_hash, account_id, created_at) VALUES ($1, $2, $3)";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(a).bind(&account.id).bind(account.role.as_str()).bind(&account.name).bind(account.created_at).execute(&mut *tx).await?;
            sqlx::query(t).bind(token_hash).bind(&account.id).bind(account.created_at).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The account a token (by hash) belongs to.
    pub async fn account_by_token(&self, token_hash: &str) -> Result<Option<Account>, StoreError> {
        let q = "SELECT a.id, a.role, a.name, a.created_at FROM api_tokens t \
                 JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1";
        let row: Option<AccountRow> =
            on_pool!(self, pool => sqlx::query_as(q).bind(token_hash).fetch_optional(pool).await)?;
        Ok(row.map(account))
    }

    /// Whether any operator exists (the first start creates one).
    pub async fn has_operator(&self) -> Result<bool, StoreError> {
        let q = "SELECT COUNT(*) FROM accounts WHERE role = 'operator'";
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(q).fetch_one(pool).await)?;
        Ok(n > 0)
    }
}
