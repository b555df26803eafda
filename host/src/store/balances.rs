//! Customers' balances and the ledger: every movement of a balance (a
//! top-up, an order's payment, a usage charge, a package, a refund) is one
//! append-only ledger row with its cause, written in the transaction that
//! moves the money, so any balance can be recomputed from the ledger. The
//! movement is a macro because the two databases' transactions are
//! different types; charging, packages and orders all use it and none
//! imports another.

use rust_decimal::Decimal;

use super::pages::{Page, PageRequest};
use super::{Pool, Store, StoreError};

/// Sets a customer's balance (`$1` customer, `$2` amount, `$3` time).
pub(super) const SET_BALANCE: &str = "INSERT INTO balances (customer_id, amount, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (customer_id) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at";

/// Makes sure the account `$1` has a balance row (zero, at `$2`) to lock.
pub(super) const OPEN_BALANCE: &str = "INSERT INTO balances (customer_id, amount, updated_at) VALUES ($1, '0', $2) \
     ON CONFLICT (customer_id) DO NOTHING";

/// Appends one ledger row (`$1` account, `$2` kind, `$3` cause, `$4`
/// signed amount, `$5` balance after, `$6` time).
pub(super) const LEDGER_ROW: &str = "INSERT INTO ledger (account_id, kind, cause, amount, balance, at) VALUES ($1, $2, $3, $4, $5, $6)";

/// A ledger amount or balance as stored and shown: cents, two places.
pub(super) fn cents(d: Decimal) -> String {
    format!("{:.2}", d)
}

/// A stored decimal string (an amount, a balance, a value) as a `Decimal`;
/// only this crate writes them, so an unreadable one counts as zero.
pub(super) fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or(Decimal::ZERO)
}

/// Moves `$delta` (a signed `Decimal`: + into the balance, − out of it) on
/// the balance of `$account` inside the transaction `$tx`, appending one
/// ledger row of kind `$kind` caused by `$cause`. Evaluates to `Ok(balance
/// after)`, or, when a debit would take the balance below zero,
/// `Err(balance before)` with nothing written. `$lock` is the store's
/// [`row_lock`](super::Store::row_lock).
macro_rules! move_balance {
    ($tx:expr, $lock:expr, $account:expr, $delta:expr, $kind:expr, $cause:expr, $now:expr) => {{
        if !$lock.is_empty() {
            // PostgreSQL: `FOR UPDATE` locks only a row that exists; without
            // this, two first moves of one account both read no row and the
            // later write overwrites the earlier (a lost top-up). The insert
            // waits for a concurrent one to commit, and the read then sees
            // its row. SQLite's writer holds the whole file already.
            sqlx::query($crate::store::balances::OPEN_BALANCE)
                .bind($account)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        let row: Option<(String,)> = sqlx::query_as(&format!(
            "SELECT amount FROM balances WHERE customer_id = $1{}",
            $lock
        ))
        .bind($account)
        .fetch_optional(&mut *$tx)
        .await?;
        let before = row.map_or(rust_decimal::Decimal::ZERO, |(a,)| {
            $crate::store::balances::dec(&a)
        });
        let delta: rust_decimal::Decimal = $delta;
        let after = before + delta;
        if after < rust_decimal::Decimal::ZERO {
            Err(before)
        } else {
            sqlx::query($crate::store::balances::SET_BALANCE)
                .bind($account)
                .bind(after.to_string())
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            sqlx::query($crate::store::balances::LEDGER_ROW)
                .bind($account)
                .bind($kind)
                .bind($cause)
                .bind($crate::store::balances::cents(delta))
                .bind($crate::store::balances::cents(after))
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            Ok(after)
        }
    }};
}

/// [`move_balance!`] for a credit (`$amount` ≥ 0: a top-up, a refund),
/// which cannot overdraw: evaluates to the balance after.
macro_rules! credit_balance {
    ($tx:expr, $lock:expr, $account:expr, $amount:expr, $kind:expr, $cause:expr, $now:expr) => {
        match move_balance!($tx, $lock, $account, $amount, $kind, $cause, $now) {
            Ok(after) => after,
            Err(_) => {
                return Err(StoreError::Conflict(format!(
                    "a {} must not be negative",
                    $kind
                )))
            }
        }
    };
}

/// Gives back the payment of each failed order among `$failed` (`(order
/// id, time)` pairs) that was paid: the order reads `refunded` and its
/// customer's balance gets the amount back, as one `refund` ledger row. A
/// failed order bought nothing; the worker's batch commit and a supervised
/// order closed after an appeal both end orders this way.
macro_rules! refund_failed_orders {
    ($tx:expr, $lock:expr, $failed:expr) => {{
        let failed: &[(&str, i64)] = $failed;
        if !failed.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "UPDATE orders SET payment = 'refunded', refunded = amount WHERE payment = 'paid' AND id IN (",
            );
            let mut sep = q.separated(", ");
            for (id, _) in failed {
                sep.push_bind(*id);
            }
            q.push(") RETURNING id, customer_id, amount");
            let refunds: Vec<(String, String, String)> = q.build_query_as().fetch_all(&mut *$tx).await?;
            for (id, customer, amount) in &refunds {
                let at = failed.iter().find(|(f, _)| f == id).map_or(0, |(_, at)| *at);
                let amount = $crate::store::balances::dec(amount);
                credit_balance!($tx, $lock, customer, amount, "refund", id, at);
            }
        }
    }};
}

/// One movement of a balance.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRow {
    /// Its place in the ledger (the page cursor).
    pub seq: i64,
    /// Whose balance moved.
    pub account_id: String,
    /// `opening`, `top-up`, `order-payment`, `usage-charge`, `package`,
    /// `refund` or `settlement`.
    pub kind: String,
    /// What moved it: an order, charge or package id, or the top-up's key.
    pub cause: String,
    /// The signed amount, two places: + into the balance, − out of it.
    pub amount: String,
    /// The balance after it.
    pub balance: String,
    /// When (ms).
    pub at: i64,
}

/// What the ledger says about one account, recomputed from its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCheck {
    /// The account.
    pub account_id: String,
    /// The sum of its ledger rows.
    pub from_ledger: Decimal,
    /// Its stored balance.
    pub stored: Decimal,
}

impl Store {
    /// A page of the ledger, oldest first: one account's rows, or every
    /// row (`None`).
    pub async fn ledger(
        &self,
        account_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<LedgerRow>, StoreError> {
        let q = "SELECT seq, account_id, kind, cause, amount, balance, at FROM ledger \
                 WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR seq > $2) \
                 ORDER BY seq LIMIT $3";
        let (after, _) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(q).bind(account_id).bind(after)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |r: &LedgerRow| (r.seq, r.account_id.as_str())))
    }

    /// Every account whose stored balance differs from the sum of its
    /// ledger rows (there must be none), or, with `account_id`, that one
    /// account's figures whether they agree or not.
    pub async fn check_ledger(
        &self,
        account_id: Option<&str>,
    ) -> Result<Vec<LedgerCheck>, StoreError> {
        // Sums in Rust: the amounts are decimal strings on both databases.
        let q = "SELECT b.customer_id, b.amount, l.amount FROM balances b \
                 LEFT JOIN ledger l ON l.account_id = b.customer_id \
                 WHERE $1 IS NULL OR b.customer_id = $1 ORDER BY b.customer_id";
        let rows: Vec<(String, String, Option<String>)> =
            on_pool!(self, pool => sqlx::query_as(q).bind(account_id).fetch_all(pool).await)?;
        let mut out: Vec<LedgerCheck> = Vec::new();
        for (account, stored, amount) in rows {
            let amount = amount.as_deref().map_or(Decimal::ZERO, dec);
            match out.last_mut() {
                Some(last) if last.account_id == account => last.from_ledger += amount,
                _ => out.push(LedgerCheck {
                    account_id: account,
                    from_ledger: amount,
                    stored: dec(&stored),
                }),
            }
        }
        if account_id.is_none() {
            out.retain(|c| c.from_ledger != c.stored);
        }
        Ok(out)
    }
}
