//! Seller settlement as use cases: reading bills and their lines, the bill
//! workflow (`generated → sent → confirmed`: the operator sends, the seller
//! confirms, §8.2), operator adjustments that land on the seller's next
//! bill, and negotiated platform fees. The worker generates the bills
//! (`lifecycle/bills.rs`).

use super::{App, AppError, Caller};
use crate::domain::money::is_cents;
use crate::domain::settlement::{BillMonth, valid_fee_percent};
use crate::domain::settlement::{Taxes, line_amounts};
use crate::ids::new_id;
use crate::store::{
    BillLineRow, BillRow, Page, PageRequest, Role, TransactionFilter, TransactionRow,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;

/// The largest adjustment either way.
pub const ADJUSTMENT_MAX: i64 = 1_000_000;

/// `POST /v1/bill-adjustments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    /// The seller whose next bill carries it.
    #[schema(min_length = 1, max_length = 200)]
    pub seller: String,
    /// Signed, in cents, non-zero, at most 1,000,000 either way: + owed to
    /// the seller, − owed by them (decimal string).
    #[schema(value_type = String, pattern = "^-?(1000000(\\.00?)?|[1-9][0-9]{0,5}(\\.[0-9]{1,2})?|0?\\.(0[1-9]|[1-9][0-9]?))$")]
    pub amount: Decimal,
    /// Why, 1 to 500 characters, not all blank (shown on the bill line).
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// `PUT /v1/products/{id}/platform-fee`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformFeeRequest {
    /// The negotiated proportion in percent, 0 to 100 in hundredths
    /// (decimal string); null goes back to the default (SaaS: 13).
    #[schema(value_type = Option<String>, pattern = "^(100(\\.00?)?|[0-9]{1,2}(\\.[0-9]{1,2})?)$")]
    pub percent: Option<Decimal>,
}

/// Whose bills `caller` reads: a seller their own (naming another seller is
/// refused), an operator the one named or everyone's.
fn whose<'a>(caller: &'a Caller, seller: Option<&'a str>) -> Result<Option<&'a str>, AppError> {
    caller.require(&[Role::Seller, Role::Operator])?;
    if seller.is_some_and(|s| s.is_empty() || s.len() > 200) {
        return Err(AppError::bad(
            "seller",
            "a seller id of 1 to 200 characters",
        ));
    }
    match caller.role {
        Role::Operator => Ok(seller),
        _ => match seller {
            Some(s) if s != caller.id => Err(AppError::bad(
                "seller",
                "a seller reads only their own bills",
            )),
            _ => Ok(Some(&caller.id)),
        },
    }
}

fn period(id: &str) -> Result<BillMonth, AppError> {
    BillMonth::parse(id).ok_or_else(|| AppError::bad("id", "a bill id is a month, YYYYMM"))
}

/// The bills `caller` may read, newest month first.
pub async fn bills(
    app: &App,
    caller: &Caller,
    seller: Option<&str>,
) -> Result<Vec<BillRow>, AppError> {
    let seller = whose(caller, seller)?;
    Ok(app.store.bills(seller).await?)
}

/// One bill and its lines: a seller's own by its id, an operator's by id
/// and seller.
pub async fn bill(
    app: &App,
    caller: &Caller,
    id: &str,
    seller: Option<&str>,
) -> Result<(BillRow, Vec<BillLineRow>), AppError> {
    let month = period(id)?;
    let Some(seller) = whose(caller, seller)? else {
        return Err(AppError::bad(
            "seller",
            "name the seller whose bill to read",
        ));
    };
    let bill = app
        .store
        .bill(seller, &month.id())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no bill {id} of seller {seller}")))?;
    let lines = app.store.bill_lines(seller, &bill.period).await?;
    Ok((bill, lines))
}

/// The operator sends a generated bill to its seller.
pub async fn send(app: &App, caller: &Caller, id: &str, seller: &str) -> Result<BillRow, AppError> {
    caller.require(&[Role::Operator])?;
    step(app, caller, id, Some(seller), "generated", "sent").await
}

/// The seller confirms a bill they were sent.
pub async fn confirm(app: &App, caller: &Caller, id: &str) -> Result<BillRow, AppError> {
    caller.require(&[Role::Seller])?;
    step(app, caller, id, None, "sent", "confirmed").await
}

async fn step(
    app: &App,
    caller: &Caller,
    id: &str,
    seller: Option<&str>,
    from: &str,
    to: &str,
) -> Result<BillRow, AppError> {
    let (bill, _) = self::bill(app, caller, id, seller).await?;
    if !app
        .store
        .move_bill(&bill.seller_id, &bill.period, from, to, app.clock.now_ms())
        .await?
    {
        return Err(AppError::Conflict(format!(
            "bill {id} is {}; only a {from} bill can be {to}",
            bill.state
        )));
    }
    let (bill, _) = self::bill(app, caller, id, Some(&bill.seller_id)).await?;
    Ok(bill)
}

/// The operator records an adjustment for a seller's next bill; answers
/// its id.
pub async fn adjust(
    app: &App,
    caller: &Caller,
    req: AdjustmentRequest,
) -> Result<String, AppError> {
    caller.require(&[Role::Operator])?;
    if req.amount.is_zero()
        || req.amount.abs() > Decimal::from(ADJUSTMENT_MAX)
        || !is_cents(req.amount)
    {
        return Err(AppError::bad(
            "amount",
            format!("a non-zero amount in cents, at most {ADJUSTMENT_MAX} either way"),
        ));
    }
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::bad("reason", "say why, in 1 to 500 characters"));
    }
    let seller = app.store.account(&req.seller).await?;
    if seller.is_none_or(|a| a.role != Role::Seller) {
        return Err(AppError::NotFound(format!("no seller {}", req.seller)));
    }
    let id = new_id("adj");
    app.store
        .add_adjustment(
            &id,
            &req.seller,
            req.amount,
            reason,
            &caller.id,
            app.clock.now_ms(),
        )
        .await?;
    Ok(id)
}

/// The operator sets a product's negotiated platform fee (or clears it);
/// answers the proportion now in force. Bills generated from now on use it.
pub async fn set_platform_fee(
    app: &App,
    caller: &Caller,
    product_id: &str,
    req: PlatformFeeRequest,
) -> Result<Decimal, AppError> {
    caller.require(&[Role::Operator])?;
    if let Some(p) = req.percent
        && !valid_fee_percent(p)
    {
        return Err(AppError::bad(
            "percent",
            "a proportion of 0 to 100 percent, in hundredths",
        ));
    }
    if !app.store.set_platform_fee(product_id, req.percent).await? {
        return Err(AppError::NotFound(format!("no product {product_id}")));
    }
    app.store
        .platform_fee(product_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no product {product_id}")))
}

/// A transaction with its figures: the bill line's when a bill settled it,
/// otherwise what it would settle at the product's platform fee now.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// The row.
    pub row: TransactionRow,
    /// The platform's fee.
    pub platform_fee: Decimal,
    /// The seller's amount.
    pub settlement: Decimal,
    /// `n/a` (not supervised), `in-progress`, `completed` or `closed`.
    pub supervision: &'static str,
}

/// A page of transaction details: a seller's own, or (operators) one
/// seller's or everyone's.
pub async fn transactions(
    app: &App,
    caller: &Caller,
    mut filter: TransactionFilter,
    page: &PageRequest,
) -> Result<Page<Transaction>, AppError> {
    filter.seller_id = whose(caller, filter.seller_id.as_deref())?.map(str::to_string);
    for (field, v) in [("from", filter.from), ("to", filter.to)] {
        if v.is_some_and(|v| v < 0) {
            return Err(AppError::bad(
                field,
                "a time in Unix milliseconds, not negative",
            ));
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(AppError::bad("to", "`to` must be after `from`"));
    }
    let rows = app.store.transactions(&filter, page).await?;
    let mut fees: HashMap<String, Decimal> = HashMap::new();
    for r in rows.rows.iter().filter(|r| r.bill_id.is_none()) {
        if !fees.contains_key(&r.product_id) {
            let fee = app.store.platform_fee(&r.product_id).await?;
            fees.insert(
                r.product_id.clone(),
                fee.unwrap_or_else(crate::domain::settlement::default_fee_percent),
            );
        }
    }
    let parse = |s: &str| s.parse::<Decimal>().unwrap_or(Decimal::ZERO);
    Ok(rows.map(|row| {
        let (platform_fee, settlement) = match (&row.platform_fee, &row.settlement) {
            (Some(f), Some(s)) => (parse(f), parse(s)),
            _ => {
                let percent = fees.get(&row.product_id).copied().unwrap_or_default();
                let a = line_amounts(parse(&row.amount), Taxes::default(), percent);
                (a.platform_fee, a.settlement)
            }
        };
        let supervision = match (&row.service_flow, row.state.as_str()) {
            (None, _) => "n/a",
            (Some(_), "completed") => "completed",
            (Some(_), "failed") => "closed",
            (Some(_), _) => "in-progress",
        };
        Transaction {
            row,
            platform_fee,
            settlement,
            supervision,
        }
    }))
}

/// What reconciliation found (operators): balances that are not their
/// ledger's sum, and bill lines or totals that their sources and the
/// formula do not give, for one month's bills (`YYYYMM`) or all.
pub async fn reconcile(
    app: &App,
    caller: &Caller,
    month: Option<&str>,
) -> Result<(Vec<crate::store::LedgerCheck>, Vec<String>), AppError> {
    caller.require(&[Role::Operator])?;
    let month = month
        .map(|m| {
            BillMonth::parse(m)
                .map(|p| p.id())
                .ok_or_else(|| AppError::bad("month", "a month, YYYYMM"))
        })
        .transpose()?;
    let ledger = app.store.check_ledger(None).await?;
    let bills = app.store.check_bills(month.as_deref()).await?;
    Ok((ledger, bills))
}
