//! The ledger over HTTP: every movement of a customer's balance with its
//! cause (`GET /v1/ledger`), and the reconciliation of stored balances with
//! it (`GET /v1/ledger/check`, operators).

use super::auth::Actor;
use super::extract::Query;
use super::pages::{PageQuery, next};
use super::{ApiError, AppState};
use crate::app::billing;
use crate::store::{LedgerCheck, LedgerRow};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(check))
}

/// One movement of a balance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LedgerEntryView {
    /// Its place in the ledger.
    pub seq: i64,
    /// Whose balance moved.
    pub account_id: String,
    /// `opening`, `top-up`, `order-payment`, `usage-charge`, `package`,
    /// `refund` or `settlement`.
    pub kind: String,
    /// What moved it: an order, charge or package id, or the top-up's
    /// idempotency key.
    pub cause: String,
    /// Signed, two places: + into the balance, − out of it.
    pub amount: String,
    /// The balance after it.
    pub balance: String,
    /// When (ms).
    pub at: i64,
}

impl From<&LedgerRow> for LedgerEntryView {
    fn from(r: &LedgerRow) -> Self {
        LedgerEntryView {
            seq: r.seq,
            account_id: r.account_id.clone(),
            kind: r.kind.clone(),
            cause: r.cause.clone(),
            amount: r.amount.clone(),
            balance: r.balance.clone(),
            at: r.at,
        }
    }
}

/// A page of the ledger, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerList {
    /// The rows.
    pub entries: Vec<LedgerEntryView>,
    /// The cursor of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The query of `GET /v1/ledger`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// Operators: one account's rows (every row when absent). Customers
    /// read only their own.
    #[param(min_length = 1, max_length = 200)]
    pub account: Option<String>,
    /// The `next` of the previous page (opaque).
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    pub after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// An account whose stored balance is not what its ledger adds up to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LedgerDifference {
    /// The account.
    pub account_id: String,
    /// The sum of its ledger rows.
    pub from_ledger: String,
    /// Its stored balance.
    pub stored: String,
}

/// The reconciliation of every balance with the ledger.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerCheckView {
    /// True when every stored balance is the sum of its ledger rows.
    pub consistent: bool,
    /// The accounts where it is not (none when consistent).
    pub differences: Vec<LedgerDifference>,
}

impl From<&LedgerCheck> for LedgerDifference {
    fn from(c: &LedgerCheck) -> Self {
        LedgerDifference {
            account_id: c.account_id.clone(),
            from_ledger: format!("{:.2}", c.from_ledger),
            stored: format!("{:.2}", c.stored),
        }
    }
}

/// Movements of balances, oldest first: a customer's own, or (operators)
/// one account's or all.
#[utoipa::path(get, path = "/ledger", tag = "billing",
    params(LedgerQuery),
    responses(
        (status = 200, body = LedgerList),
        (status = 400, description = "a bad `after` or `limit`, or a customer naming another account"),
        (status = 403, description = "a seller"),
    ))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<LedgerList>, ApiError> {
    let page = PageQuery {
        after: q.after,
        limit: q.limit,
    }
    .request()?;
    let page = billing::ledger(&state.app, &actor, q.account.as_deref(), &page).await?;
    Ok(Json(LedgerList {
        entries: page.rows.iter().map(LedgerEntryView::from).collect(),
        next: next(&page),
    }))
}

/// Recomputes every customer's balance from the ledger and lists where the
/// stored balance differs (operators).
#[utoipa::path(get, path = "/ledger/check", tag = "billing",
    responses((status = 200, body = LedgerCheckView), (status = 403, description = "not an operator")))]
async fn check(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<LedgerCheckView>, ApiError> {
    let differences = billing::check_ledger(&state.app, &actor).await?;
    Ok(Json(LedgerCheckView {
        consistent: differences.is_empty(),
        differences: differences.iter().map(LedgerDifference::from).collect(),
    }))
}
