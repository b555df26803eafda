//! Settlement bills over HTTP: the list and one bill with its lines (JSON,
//! or CSV for spreadsheets with `?format=csv` or `Accept: text/csv`), the
//! workflow (send, confirm), operator adjustments and platform fees.

use super::auth::Actor;
use super::csv::{self, field};
use super::extract::{Query, parse};
use super::{ApiError, AppState};
use crate::app::settlement;
use crate::store::{BillLineRow, BillRow};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(send))
        .routes(routes!(confirm))
        .routes(routes!(adjust))
        .routes(routes!(platform_fee))
        .routes(routes!(reconciliation))
}

/// A bill.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct BillView {
    /// `YYYYMM`: the month it covers.
    pub id: String,
    /// The seller it pays.
    pub seller_id: String,
    /// `generated` → `sent` (by an operator) → `confirmed` (by the seller).
    pub state: String,
    /// How many lines.
    pub lines: i64,
    /// Sum of the sales amounts (excluding VAT).
    pub sales: String,
    /// Sum of the taxes (customer and seller WHT and DST).
    pub taxes: String,
    /// Sum of the platform fees.
    pub platform_fee: String,
    /// What the seller is paid: the sum of the lines' settlement amounts.
    pub settlement: String,
    /// When it was generated (ms, service clock).
    pub generated_at: i64,
    /// When it was sent.
    pub sent_at: Option<i64>,
    /// When it was confirmed.
    pub confirmed_at: Option<i64>,
}

impl From<&BillRow> for BillView {
    fn from(b: &BillRow) -> Self {
        BillView {
            id: b.period.clone(),
            seller_id: b.seller_id.clone(),
            state: b.state.clone(),
            lines: b.lines,
            sales: b.sales.clone(),
            taxes: b.taxes.clone(),
            platform_fee: b.platform_fee.clone(),
            settlement: b.settlement.clone(),
            generated_at: b.generated_at,
            sent_at: b.sent_at,
            confirmed_at: b.confirmed_at,
        }
    }
}

/// One line of a bill.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct BillLineView {
    /// Its place, from 1.
    pub line: i64,
    /// `order`, `usage-charge`, `package` (a usage package, settled at
    /// once), `refund` (negative: an unsubscription's refund, deducted) or
    /// `adjustment` (an operator's, as it stands).
    pub kind: String,
    /// The order, charge or adjustment it settles.
    pub source_id: String,
    /// The product.
    pub product_id: Option<String>,
    /// The customer.
    pub customer_id: Option<String>,
    /// What it is.
    pub description: String,
    /// When the transaction happened (ms).
    pub transaction_at: i64,
    /// When it took effect (ms).
    pub effective_at: i64,
    /// Sales amount, excluding VAT.
    pub sales: String,
    /// Customer withholding tax.
    pub customer_wht: String,
    /// Customer digital service tax.
    pub customer_dst: String,
    /// Platform fee proportion, percent.
    pub fee_percent: String,
    /// `(sales − customer taxes) × fee`, rounded once.
    pub platform_fee: String,
    /// Seller withholding tax.
    pub seller_wht: String,
    /// Seller digital service tax.
    pub seller_dst: String,
    /// `(sales − customer taxes) × (1 − fee) − seller taxes`, rounded once.
    pub settlement: String,
}

impl From<&BillLineRow> for BillLineView {
    fn from(l: &BillLineRow) -> Self {
        BillLineView {
            line: l.line,
            kind: l.kind.clone(),
            source_id: l.source_id.clone(),
            product_id: l.product_id.clone(),
            customer_id: l.customer_id.clone(),
            description: l.description.clone(),
            transaction_at: l.transaction_at,
            effective_at: l.effective_at,
            sales: l.sales.clone(),
            customer_wht: l.customer_wht.clone(),
            customer_dst: l.customer_dst.clone(),
            fee_percent: l.fee_percent.clone(),
            platform_fee: l.platform_fee.clone(),
            seller_wht: l.seller_wht.clone(),
            seller_dst: l.seller_dst.clone(),
            settlement: l.settlement.clone(),
        }
    }
}

/// Bills, newest month first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillList {
    /// The bills.
    pub bills: Vec<BillView>,
}

/// A bill and its lines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillDetail {
    /// The bill.
    pub bill: BillView,
    /// Its lines, in order.
    pub lines: Vec<BillLineView>,
}

/// The query of the bill routes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BillQuery {
    /// Operators: the seller (required for one bill). Sellers read only
    /// their own.
    #[param(min_length = 1, max_length = 200)]
    pub seller: Option<String>,
    /// `csv` for a spreadsheet (or send `Accept: text/csv`); JSON otherwise.
    #[param(pattern = "^(csv|json)$")]
    pub format: Option<String>,
}

/// The body of `POST /v1/bills/{id}/send`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The seller whose bill it is.
    #[schema(min_length = 1, max_length = 200)]
    pub seller: String,
}

/// An adjustment recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdjustmentView {
    /// `adj_...`.
    pub id: String,
}

/// A product's platform fee proportion now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformFeeView {
    /// The product.
    pub product: String,
    /// Percent, two places.
    pub percent: String,
}

fn bill_csv(b: &BillRow) -> String {
    [
        field(&b.period, false),
        field(&b.seller_id, true),
        field(&b.state, false),
        b.lines.to_string(),
        b.sales.clone(),
        b.taxes.clone(),
        b.platform_fee.clone(),
        b.settlement.clone(),
        b.generated_at.to_string(),
    ]
    .join(",")
}

fn line_csv(l: &BillLineRow) -> String {
    [
        l.line.to_string(),
        field(&l.kind, false),
        field(&l.source_id, true),
        field(l.product_id.as_deref().unwrap_or(""), true),
        field(l.customer_id.as_deref().unwrap_or(""), true),
        field(&l.description, true),
        l.transaction_at.to_string(),
        l.effective_at.to_string(),
        l.sales.clone(),
        l.customer_wht.clone(),
        l.customer_dst.clone(),
        l.fee_percent.clone(),
        l.platform_fee.clone(),
        l.seller_wht.clone(),
        l.seller_dst.clone(),
        l.settlement.clone(),
    ]
    .join(",")
}

/// Settlement bills: a seller's own, or (operators) one seller's or all.
#[utoipa::path(get, path = "/bills", tag = "settlement",
    params(BillQuery),
    responses(
        (status = 200, description = "the bills", content((BillList = "application/json"), (String = "text/csv"))),
        (status = 400, description = "a seller naming another seller, or a bad `format`"),
        (status = 403, description = "a customer"),
    ))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Query(q): Query<BillQuery>,
) -> Result<Response, ApiError> {
    let as_csv = csv::wanted(q.format.as_deref(), &headers)?;
    let bills = settlement::bills(&state.app, &actor, q.seller.as_deref()).await?;
    if as_csv {
        return Ok(csv::answer(
            "id,seller-id,state,lines,sales,taxes,platform-fee,settlement,generated-at",
            bills.iter().map(bill_csv),
        ));
    }
    Ok(Json(BillList {
        bills: bills.iter().map(BillView::from).collect(),
    })
    .into_response())
}

/// One bill and its lines; as CSV, the lines (the bill's details).
#[utoipa::path(get, path = "/bills/{id}", tag = "settlement",
    params(("id" = String, Path, pattern = "^[0-9]{4}(0[1-9]|1[0-2])$", description = "the month, YYYYMM"), BillQuery),
    responses(
        (status = 200, description = "the bill", content((BillDetail = "application/json"), (String = "text/csv"))),
        (status = 400, description = "not a YYYYMM id, an operator not naming the seller, or a seller naming another"),
        (status = 403, description = "a customer"),
        (status = 404, description = "no such bill"),
    ))]
async fn one(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BillQuery>,
) -> Result<Response, ApiError> {
    let as_csv = csv::wanted(q.format.as_deref(), &headers)?;
    let (bill, lines) = settlement::bill(&state.app, &actor, &id, q.seller.as_deref()).await?;
    if as_csv {
        return Ok(csv::answer(
            "line,kind,source-id,product-id,customer-id,description,transaction-at,effective-at,sales,\
             customer-wht,customer-dst,fee-percent,platform-fee,seller-wht,seller-dst,settlement",
            lines.iter().map(line_csv),
        ));
    }
    Ok(Json(BillDetail {
        bill: BillView::from(&bill),
        lines: lines.iter().map(BillLineView::from).collect(),
    })
    .into_response())
}

/// Sends a generated bill to its seller (operators).
#[utoipa::path(post, path = "/bills/{id}/send", tag = "settlement",
    params(("id" = String, Path, pattern = "^[0-9]{4}(0[1-9]|1[0-2])$", description = "the month, YYYYMM")),
    request_body = SendRequest,
    responses(
        (status = 200, body = BillView),
        (status = 400, description = "not a YYYYMM id, or no seller"),
        (status = 403, description = "not an operator"),
        (status = 404, description = "no such bill"),
        (status = 409, description = "the bill was already sent"),
    ))]
async fn send(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<BillView>, ApiError> {
    actor.require(&[crate::store::Role::Operator])?;
    let req: SendRequest = parse(&body)?;
    let bill = settlement::send(&state.app, &actor, &id, &req.seller).await?;
    Ok(Json(BillView::from(&bill)))
}

/// Confirms a bill the seller was sent (sellers, their own).
#[utoipa::path(post, path = "/bills/{id}/confirm", tag = "settlement",
    params(("id" = String, Path, pattern = "^[0-9]{4}(0[1-9]|1[0-2])$", description = "the month, YYYYMM")),
    responses(
        (status = 200, body = BillView),
        (status = 400, description = "not a YYYYMM id"),
        (status = 403, description = "not a seller"),
        (status = 404, description = "no such bill of yours"),
        (status = 409, description = "the bill was not sent yet, or is confirmed"),
    ))]
async fn confirm(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    let bill = settlement::confirm(&state.app, &actor, &id).await?;
    Ok(Json(BillView::from(&bill)))
}

/// Records an adjustment for a seller's next bill (operators).
#[utoipa::path(post, path = "/bill-adjustments", tag = "settlement",
    request_body = settlement::AdjustmentRequest,
    responses(
        (status = 201, body = AdjustmentView),
        (status = 400, description = "a zero, 3-decimal or too large amount, or no reason"),
        (status = 403, description = "not an operator"),
        (status = 404, description = "no such seller"),
    ))]
async fn adjust(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<AdjustmentView>), ApiError> {
    actor.require(&[crate::store::Role::Operator])?;
    let req: settlement::AdjustmentRequest = parse(&body)?;
    let id = settlement::adjust(&state.app, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(AdjustmentView { id })))
}

/// Sets a product's negotiated platform fee proportion, or with null goes
/// back to the default (operators); bills generated from now on use it.
#[utoipa::path(put, path = "/products/{id}/platform-fee", tag = "settlement",
    params(("id" = String, Path, description = "product id")),
    request_body = settlement::PlatformFeeRequest,
    responses(
        (status = 200, body = PlatformFeeView),
        (status = 400, description = "a proportion outside 0–100%"),
        (status = 403, description = "not an operator"),
        (status = 404, description = "no such product"),
    ))]
async fn platform_fee(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PlatformFeeView>, ApiError> {
    actor.require(&[crate::store::Role::Operator])?;
    let req: settlement::PlatformFeeRequest = parse(&body)?;
    let percent = settlement::set_platform_fee(&state.app, &actor, &id, req).await?;
    Ok(Json(PlatformFeeView {
        product: id,
        percent: format!("{percent:.2}"),
    }))
}

/// The query of `GET /v1/reconciliation`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationQuery {
    /// One month's bills (`YYYYMM`); every bill when absent.
    #[param(pattern = "^[0-9]{4}(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

/// What reconciliation found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReconciliationView {
    /// True when nothing differs.
    pub consistent: bool,
    /// Accounts whose stored balance is not the sum of their ledger rows.
    pub ledger: Vec<super::ledger::LedgerDifference>,
    /// Bill lines or totals that their sources and the §8.1 formula do not
    /// give, each described.
    pub bills: Vec<String>,
}

/// Recomputes the balances from the ledger and the bills from their orders,
/// charges, packages and adjustments, and lists every difference (there
/// must be none; operators).
#[utoipa::path(get, path = "/reconciliation", tag = "settlement",
    params(ReconciliationQuery),
    responses(
        (status = 200, body = ReconciliationView),
        (status = 400, description = "not a YYYYMM month"),
        (status = 403, description = "not an operator"),
    ))]
async fn reconciliation(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ReconciliationQuery>,
) -> Result<Json<ReconciliationView>, ApiError> {
    let (ledger, bills) = settlement::reconcile(&state.app, &actor, q.month.as_deref()).await?;
    Ok(Json(ReconciliationView {
        consistent: ledger.is_empty() && bills.is_empty(),
        ledger: ledger
            .iter()
            .map(super::ledger::LedgerDifference::from)
            .collect(),
        bills,
    }))
}
