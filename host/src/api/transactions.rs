//! Transaction details over HTTP (§7.3): `GET /v1/transactions`, one row per
//! paid order, refund, usage package or pay-per-use charge, billed or not,
//! as JSON or CSV.

use super::auth::Actor;
use super::csv::{self, field};
use super::extract::Query;
use super::pages::{next, request};
use super::{ApiError, AppState};
use crate::app::settlement::{self, Transaction};
use crate::store::TransactionFilter;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One transaction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct TransactionView {
    /// `order`, `refund` (an unsubscription's, negative), `package` or
    /// `usage-charge`.
    pub kind: String,
    /// The order or charge id.
    pub id: String,
    /// The seller.
    pub seller_id: String,
    /// The customer.
    pub customer_id: String,
    /// The product.
    pub product_id: String,
    /// `billed` or `unbilled`.
    pub bill_category: String,
    /// The bill (`YYYYMM`) that settled it.
    pub bill_id: Option<String>,
    /// Sales amount.
    pub sales: String,
    /// The platform's fee (the bill line's, or at the product's fee now).
    pub platform_fee: String,
    /// The seller's amount (likewise).
    pub settlement: String,
    /// An order's `paid`, `partially-refunded` or `refunded`; a refund's
    /// `none`; a charge's `paid` or `unpaid`.
    pub payment_status: String,
    /// `n/a`, `in-progress`, `completed` or `closed`.
    pub supervision_status: String,
    /// When it happened (ms).
    pub transaction_at: i64,
    /// When it takes effect (ms).
    pub effective_at: i64,
}

impl From<&Transaction> for TransactionView {
    fn from(t: &Transaction) -> Self {
        let r = &t.row;
        TransactionView {
            kind: r.kind.clone(),
            id: r.id.clone(),
            seller_id: r.seller_id.clone(),
            customer_id: r.customer_id.clone(),
            product_id: r.product_id.clone(),
            bill_category: if r.bill_id.is_some() {
                "billed"
            } else {
                "unbilled"
            }
            .into(),
            bill_id: r.bill_id.clone(),
            sales: r.amount.clone(),
            platform_fee: format!("{:.2}", t.platform_fee),
            settlement: format!("{:.2}", t.settlement),
            payment_status: r.payment.clone(),
            supervision_status: t.supervision.into(),
            transaction_at: r.at,
            effective_at: r.effective_at,
        }
    }
}

/// A page of transactions, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TransactionList {
    /// The rows.
    pub transactions: Vec<TransactionView>,
    /// The cursor of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The query of `GET /v1/transactions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransactionQuery {
    /// Operators: one seller's (everyone's when absent).
    #[param(min_length = 1, max_length = 200)]
    pub seller: Option<String>,
    /// From this time (ms, inclusive).
    #[param(minimum = 0)]
    pub from: Option<i64>,
    /// Until this time (ms, exclusive).
    #[param(minimum = 0)]
    pub to: Option<i64>,
    /// `billed` or `unbilled`.
    #[param(pattern = "^(billed|unbilled)$")]
    pub status: Option<String>,
    /// `csv` for a spreadsheet (or send `Accept: text/csv`).
    #[param(pattern = "^(csv|json)$")]
    pub format: Option<String>,
    /// The `next` of the previous page (opaque).
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    pub after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Transaction details: a seller's own, or (operators) one seller's or all.
#[utoipa::path(get, path = "/transactions", tag = "settlement",
    params(TransactionQuery),
    responses(
        (status = 200, description = "the transactions", content((TransactionList = "application/json"), (String = "text/csv"))),
        (status = 400, description = "a bad filter, cursor or limit, or a seller naming another"),
        (status = 403, description = "a customer"),
    ))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Query(q): Query<TransactionQuery>,
) -> Result<Response, ApiError> {
    let as_csv = csv::wanted(q.format.as_deref(), &headers)?;
    let billed = match q.status.as_deref() {
        None => None,
        Some("billed") => Some(true),
        Some("unbilled") => Some(false),
        Some(_) => return Err(ApiError::bad("status", "`billed` or `unbilled`")),
    };
    let page = request(q.after.as_deref(), q.limit)?;
    let filter = TransactionFilter {
        seller_id: q.seller,
        from: q.from,
        to: q.to,
        billed,
    };
    let rows = settlement::transactions(&state.app, &actor, filter, &page).await?;
    let views: Vec<TransactionView> = rows.rows.iter().map(TransactionView::from).collect();
    if as_csv {
        let rows = views.iter().map(|v| {
            [
                v.kind.clone(),
                field(&v.id, true),
                field(&v.seller_id, true),
                field(&v.customer_id, true),
                field(&v.product_id, true),
                v.bill_category.clone(),
                v.bill_id.clone().unwrap_or_default(),
                v.sales.clone(),
                v.platform_fee.clone(),
                v.settlement.clone(),
                v.payment_status.clone(),
                v.supervision_status.clone(),
                v.transaction_at.to_string(),
                v.effective_at.to_string(),
            ]
            .join(",")
        });
        return Ok(csv::answer(
            "kind,id,seller-id,customer-id,product-id,bill-category,bill-id,sales,platform-fee,settlement,\
             payment-status,supervision-status,transaction-at,effective-at",
            rows,
        ));
    }
    Ok(Json(TransactionList {
        transactions: views,
        next: next(&rows),
    })
    .into_response())
}
