//! Settlement bills: generating a seller's bill for a month in one
//! transaction (the bill, its lines, and the `bill_id` marks on every order,
//! charge and adjustment it settles), reading bills and their lines, the
//! bill workflow, operator adjustments and per-product platform fees.
//!
//! What a month's bill settles (§8.1, §8.4), all by times before the
//! month's end `E`, so the bill depends on nothing that happened after it:
//! paid orders that took effect (`effective_at < E`) and completed (for a
//! supervised order: its service flow) before `E`; unsubscriptions' refunds
//! accepted before `E` (negative lines: a refund of an order already settled
//! is deducted from this bill); pay-per-use charges of cycles ended and paid
//! before `E`; usage packages bought before `E` (settled at one go, §8.1);
//! pending adjustments made before `E`. Everything earlier that
//! was never settled comes along.

use super::write_tx::BeginWrite;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use super::balances::{cents, dec};
use super::{Pool, Store, StoreError};
use crate::domain::settlement::{BillMonth, Taxes, default_fee_percent, line_amounts};

/// A bill.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillRow {
    /// The seller paid.
    pub seller_id: String,
    /// `YYYYMM`: the month it covers, and its id.
    pub period: String,
    /// `generated`, `sent` or `confirmed`.
    pub state: String,
    /// How many lines.
    pub lines: i64,
    /// Sum of the lines' sales amounts.
    pub sales: String,
    /// Sum of the lines' taxes.
    pub taxes: String,
    /// Sum of the lines' platform fees.
    pub platform_fee: String,
    /// Sum of the lines' settlement amounts: what the seller is paid.
    pub settlement: String,
    /// When it was generated (ms).
    pub generated_at: i64,
    /// When the operator sent it (ms).
    pub sent_at: Option<i64>,
    /// When the seller confirmed it (ms).
    pub confirmed_at: Option<i64>,
}

pub(super) const BILL: &str = "seller_id, period, state, lines, sales, taxes, platform_fee, settlement, generated_at, sent_at, confirmed_at";

/// One line of a bill.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillLineRow {
    /// Its place in the bill, from 1.
    pub line: i64,
    /// `order`, `usage-charge`, `package`, `refund` or `adjustment`.
    pub kind: String,
    /// The order, charge or adjustment it settles.
    pub source_id: String,
    /// The product, for orders and charges.
    pub product_id: Option<String>,
    /// The customer, for orders and charges.
    pub customer_id: Option<String>,
    /// What it is.
    pub description: String,
    /// When the transaction happened (ms).
    pub transaction_at: i64,
    /// When it took effect (ms).
    pub effective_at: i64,
    /// Sales amount excluding VAT.
    pub sales: String,
    /// Customer withholding tax.
    pub customer_wht: String,
    /// Customer digital service tax.
    pub customer_dst: String,
    /// Platform fee proportion, percent.
    pub fee_percent: String,
    /// The platform's fee.
    pub platform_fee: String,
    /// Seller withholding tax.
    pub seller_wht: String,
    /// Seller digital service tax.
    pub seller_dst: String,
    /// What the seller is paid for it.
    pub settlement: String,
}

const LINE: &str = "line, kind, source_id, product_id, customer_id, description, transaction_at, effective_at, \
    sales, customer_wht, customer_dst, fee_percent, platform_fee, seller_wht, seller_dst, settlement";

/// Rows per multi-row statement (SQLite allows 32,766 parameters).
const CHUNK: usize = 1000;

/// What can go on a bill, before its figures.
struct Source {
    kind: &'static str,
    id: String,
    product_id: Option<String>,
    customer_id: Option<String>,
    customer_country: Option<String>,
    description: String,
    transaction_at: i64,
    effective_at: i64,
    amount: Decimal,
}

/// One line of a bill being generated, as the settlement tax rules see it.
#[derive(Debug, Clone)]
pub struct TaxLine {
    /// The order, charge or package settled.
    pub id: String,
    /// `order`, `usage-charge`, `package` or `refund`.
    pub kind: &'static str,
    /// The customer who paid.
    pub customer_id: String,
    /// Their country, if known.
    pub customer_country: Option<String>,
    /// The product sold.
    pub product_id: String,
    /// The sales amount (negative for a refund).
    pub sales: Decimal,
    /// The platform fee proportion, percent.
    pub fee_percent: Decimal,
    /// When it took effect (ms).
    pub effective_at: i64,
}

/// The lines of one bill whose taxes the rules are asked for.
#[derive(Debug, Clone)]
pub struct TaxRequest {
    /// The seller paid.
    pub seller_id: String,
    /// Their country, if known.
    pub seller_country: Option<String>,
    /// The bill's month.
    pub month: BillMonth,
    /// Every line but adjustments, in bill order.
    pub lines: Vec<TaxLine>,
}

/// What a [`Taxer`] answers: one [`Taxes`] per line, in order, or why the
/// rules could not tax the bill.
pub type TaxFuture = Pin<Box<dyn Future<Output = Result<Vec<Taxes>, String>> + Send>>;

/// The taxes of a bill's lines: the active settlement rules, which the app
/// supplies (the store calls no plugin itself).
pub type Taxer = dyn Fn(TaxRequest) -> TaxFuture + Send + Sync;

/// The condition on orders a bill ending at `$2` settles (`o` aliased).
const BILLABLE_ORDER: &str = "o.bill_id IS NULL AND o.effective_at < $2 AND \
    ((o.payment <> 'none' AND o.state = 'completed' AND o.updated_at < $2) \
     OR (o.kind = 'unsubscribe' AND o.amount LIKE '-%' AND o.created_at < $2))";
/// The condition on charges (`c` aliased).
const BILLABLE_CHARGE: &str = "c.bill_id IS NULL AND c.state = 'paid' AND c.cycle_end <= $2 \
    AND c.paid_at < $2 AND c.amount <> '0.00'";

impl Store {
    /// Sellers with something to settle in a bill for `month` and no bill
    /// for it yet.
    pub async fn sellers_due(&self, month: BillMonth) -> Result<Vec<String>, StoreError> {
        // The conditions name the month's end `$2` (in `generate_bill`, `$1`
        // is the seller); here `$1` is the bill id, used only to fill the slot.
        let q = format!(
            "SELECT DISTINCT o.seller_id FROM orders o WHERE $1 = $1 AND {BILLABLE_ORDER} \
             UNION SELECT DISTINCT c.seller_id FROM usage_charges c WHERE {BILLABLE_CHARGE} \
             UNION SELECT DISTINCT i.seller_id FROM packages p JOIN instances i ON i.id = p.instance_id \
               WHERE p.bill_id IS NULL AND p.created_at < $2 \
             UNION SELECT DISTINCT seller_id FROM bill_adjustments WHERE bill_id IS NULL AND created_at < $2"
        );
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(&q)
            .bind(month.id()).bind(month.end_ms()).fetch_all(pool).await)?;
        let have: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as("SELECT seller_id FROM bills WHERE period = $1")
            .bind(month.id()).fetch_all(pool).await)?;
        let mut due: Vec<String> = rows
            .into_iter()
            .map(|(s,)| s)
            .filter(|s| !have.iter().any(|(h,)| h == s))
            .collect();
        due.sort();
        Ok(due)
    }

    /// Generates `seller`'s bill for `month` in one transaction; `None` when
    /// it exists already (each bill is generated exactly once, whoever
    /// races) or there is nothing to settle. `taxer`, when there are active
    /// settlement rules, taxes the lines inside the transaction, so the taxes
    /// are of exactly the lines written; when it fails nothing is written.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "generate_bill")
    )]
    pub async fn generate_bill(
        &self,
        seller_id: &str,
        month: BillMonth,
        now_ms: i64,
        taxer: Option<&Taxer>,
    ) -> Result<Option<BillRow>, StoreError> {
        let (period, end) = (month.id(), month.end_ms());
        let _turn = self.write_turn().await;
        let bill = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Claim the bill first: a second generation stops here.
            let claimed = sqlx::query(&format!(
                "INSERT INTO bills ({BILL}) VALUES ($1, $2, 'generated', 0, '0.00', '0.00', '0.00', '0.00', $3, NULL, NULL) \
                 ON CONFLICT (seller_id, period) DO NOTHING"
            ))
            .bind(seller_id).bind(&period).bind(now_ms)
            .execute(&mut *tx).await?.rows_affected();
            if claimed == 0 {
                return Ok(None);
            }
            let fees: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT id, platform_fee FROM products WHERE seller_id = $1",
            )
            .bind(seller_id).fetch_all(&mut *tx).await?;
            let fees: HashMap<String, Decimal> = fees
                .into_iter()
                .map(|(id, f)| (id, f.as_deref().map_or_else(default_fee_percent, dec)))
                .collect();
            let mut sources: Vec<Source> = Vec::new();
            #[allow(clippy::type_complexity)]
            let orders: Vec<(String, String, Option<String>, String, String, String, i64, i64)> = sqlx::query_as(&format!(
                "SELECT o.id, o.customer_id, cu.country, i.product_id, o.kind, o.amount, o.created_at, o.effective_at \
                 FROM orders o JOIN instances i ON i.id = o.instance_id LEFT JOIN accounts cu ON cu.id = o.customer_id \
                 WHERE o.seller_id = $1 AND {BILLABLE_ORDER} ORDER BY o.effective_at, o.id"
            ))
            .bind(seller_id).bind(end).fetch_all(&mut *tx).await?;
            for (id, customer, country, product, kind, amount, at, effective) in orders {
                let refund = kind == "unsubscribe";
                sources.push(Source {
                    kind: if refund { "refund" } else { "order" },
                    description: if refund { "refund of an unsubscription".into() } else { format!("{kind} order") },
                    id, product_id: Some(product), customer_id: Some(customer), customer_country: country,
                    transaction_at: at, effective_at: effective, amount: dec(&amount),
                });
            }
            #[allow(clippy::type_complexity)]
            let charges: Vec<(String, String, Option<String>, String, String, i64, i64)> = sqlx::query_as(&format!(
                "SELECT c.id, c.customer_id, cu.country, i.product_id, c.amount, c.cycle_start, c.paid_at \
                 FROM usage_charges c JOIN instances i ON i.id = c.instance_id LEFT JOIN accounts cu ON cu.id = c.customer_id \
                 WHERE c.seller_id = $1 AND {BILLABLE_CHARGE} ORDER BY c.cycle_start, c.id"
            ))
            .bind(seller_id).bind(end).fetch_all(&mut *tx).await?;
            for (id, customer, country, product, amount, start, paid) in charges {
                sources.push(Source {
                    kind: "usage-charge", description: "pay-per-use charge".into(),
                    id, product_id: Some(product), customer_id: Some(customer), customer_country: country,
                    transaction_at: paid, effective_at: start, amount: dec(&amount),
                });
            }
            #[allow(clippy::type_complexity)]
            let packages: Vec<(String, String, Option<String>, String, String, i64)> = sqlx::query_as(
                "SELECT p.id, p.customer_id, cu.country, i.product_id, p.price, p.created_at \
                 FROM packages p JOIN instances i ON i.id = p.instance_id LEFT JOIN accounts cu ON cu.id = p.customer_id \
                 WHERE i.seller_id = $1 AND p.bill_id IS NULL AND p.created_at < $2 ORDER BY p.created_at, p.id",
            )
            .bind(seller_id).bind(end).fetch_all(&mut *tx).await?;
            for (id, customer, country, product, price, at) in packages {
                sources.push(Source {
                    kind: "package", description: "usage package".into(),
                    id, product_id: Some(product), customer_id: Some(customer), customer_country: country,
                    transaction_at: at, effective_at: at, amount: dec(&price),
                });
            }
            let adjustments: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT id, amount, reason, created_at FROM bill_adjustments \
                 WHERE seller_id = $1 AND bill_id IS NULL AND created_at < $2 ORDER BY created_at, id",
            )
            .bind(seller_id).bind(end).fetch_all(&mut *tx).await?;
            for (id, amount, reason, at) in adjustments {
                sources.push(Source {
                    kind: "adjustment", description: reason, id, product_id: None, customer_id: None,
                    customer_country: None, transaction_at: at, effective_at: at, amount: dec(&amount),
                });
            }
            if sources.is_empty() {
                // Nothing to settle: no bill (the claim rolls back).
                return Ok(None);
            }
            let percent_of = |s: &Source| s.product_id.as_ref().and_then(|p| fees.get(p)).copied()
                .unwrap_or_else(default_fee_percent);
            // Adjustments are not sales: the rules never see them.
            let mut taxes: Vec<Taxes> = vec![Taxes::default(); sources.len()];
            if let Some(taxer) = taxer {
                let taxed: Vec<usize> = (0..sources.len()).filter(|&i| sources[i].kind != "adjustment").collect();
                let seller_country: Option<(Option<String>,)> = sqlx::query_as("SELECT country FROM accounts WHERE id = $1")
                    .bind(seller_id).fetch_optional(&mut *tx).await?;
                let request = TaxRequest {
                    seller_id: seller_id.to_string(),
                    seller_country: seller_country.and_then(|(c,)| c),
                    month,
                    lines: taxed.iter().map(|&i| {
                        let s = &sources[i];
                        TaxLine {
                            id: s.id.clone(), kind: s.kind,
                            customer_id: s.customer_id.clone().unwrap_or_default(),
                            customer_country: s.customer_country.clone(),
                            product_id: s.product_id.clone().unwrap_or_default(),
                            sales: s.amount, fee_percent: percent_of(s), effective_at: s.effective_at,
                        }
                    }).collect(),
                };
                let answer = taxer(request).await.map_err(StoreError::Rule)?;
                if answer.len() != taxed.len() {
                    return Err(StoreError::Rule(format!(
                        "the settlement rules taxed {} of {} lines", answer.len(), taxed.len()
                    )));
                }
                for (i, t) in taxed.into_iter().zip(answer) {
                    taxes[i] = t;
                }
            }
            let mut totals = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            let mut lines: Vec<(i64, &Source, [String; 8])> = Vec::with_capacity(sources.len());
            for (n, s) in sources.iter().enumerate() {
                let taxes = taxes[n];
                // An adjustment is an amount owed to (or by) the seller as
                // it stands: no sales, no fee.
                let (sales, fee, settlement, percent) = if s.kind == "adjustment" {
                    (Decimal::ZERO, Decimal::ZERO, s.amount, Decimal::ZERO)
                } else {
                    let percent = percent_of(s);
                    let a = line_amounts(s.amount, taxes, percent);
                    (a.sales, a.platform_fee, a.settlement, percent)
                };
                let tax_sum = taxes.total();
                totals.0 += sales;
                totals.1 += tax_sum;
                totals.2 += fee;
                totals.3 += settlement;
                lines.push((n as i64 + 1, s, [
                    cents(sales), cents(taxes.customer_wht), cents(taxes.customer_dst),
                    format!("{:.2}", percent), cents(fee), cents(taxes.seller_wht),
                    cents(taxes.seller_dst), cents(settlement),
                ]));
            }
            for chunk in lines.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO bill_lines (seller_id, period, {LINE}) "));
                q.push_values(chunk, |mut b, (n, s, f)| {
                    b.push_bind(seller_id).push_bind(&period).push_bind(*n).push_bind(s.kind).push_bind(&s.id)
                        .push_bind(&s.product_id).push_bind(&s.customer_id).push_bind(&s.description)
                        .push_bind(s.transaction_at).push_bind(s.effective_at);
                    for figure in f {
                        b.push_bind(figure.clone());
                    }
                });
                q.build().execute(&mut *tx).await?;
            }
            for (table, kinds) in [("orders", &["order", "refund"][..]), ("usage_charges", &["usage-charge"][..]), ("packages", &["package"][..]), ("bill_adjustments", &["adjustment"][..])] {
                let ids: Vec<&str> = sources.iter().filter(|s| kinds.contains(&s.kind)).map(|s| s.id.as_str()).collect();
                for chunk in ids.chunks(CHUNK) {
                    let mut q = sqlx::QueryBuilder::new(format!("UPDATE {table} SET bill_id = "));
                    q.push_bind(&period).push(" WHERE id IN (");
                    let mut sep = q.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut *tx).await?;
                }
            }
            let bill = BillRow {
                seller_id: seller_id.into(), period: period.clone(), state: "generated".into(),
                lines: lines.len() as i64, sales: cents(totals.0), taxes: cents(totals.1),
                platform_fee: cents(totals.2), settlement: cents(totals.3),
                generated_at: now_ms, sent_at: None, confirmed_at: None,
            };
            sqlx::query("UPDATE bills SET lines = $3, sales = $4, taxes = $5, platform_fee = $6, settlement = $7 \
                         WHERE seller_id = $1 AND period = $2")
                .bind(seller_id).bind(&period).bind(bill.lines).bind(&bill.sales).bind(&bill.taxes)
                .bind(&bill.platform_fee).bind(&bill.settlement)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            bill
        });
        Ok(Some(bill))
    }

    /// Bills, newest month first: one seller's, or every seller's.
    pub async fn bills(&self, seller_id: Option<&str>) -> Result<Vec<BillRow>, StoreError> {
        let q = format!(
            "SELECT {BILL} FROM bills WHERE ($1 IS NULL OR seller_id = $1) \
             ORDER BY period DESC, seller_id LIMIT 1000"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).fetch_all(pool).await)?)
    }

    /// One bill.
    pub async fn bill(&self, seller_id: &str, period: &str) -> Result<Option<BillRow>, StoreError> {
        let q = format!("SELECT {BILL} FROM bills WHERE seller_id = $1 AND period = $2");
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(period).fetch_optional(pool).await)?,
        )
    }

    /// A bill's lines, in order.
    pub async fn bill_lines(
        &self,
        seller_id: &str,
        period: &str,
    ) -> Result<Vec<BillLineRow>, StoreError> {
        let q = format!(
            "SELECT {LINE} FROM bill_lines WHERE seller_id = $1 AND period = $2 ORDER BY line"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(period).fetch_all(pool).await)?,
        )
    }

    /// Moves a bill from `from` to `to`, stamping `column`; false when it was
    /// not in `from`.
    pub async fn move_bill(
        &self,
        seller_id: &str,
        period: &str,
        from: &str,
        to: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let column = if to == "sent" {
            "sent_at"
        } else {
            "confirmed_at"
        };
        let q = format!(
            "UPDATE bills SET state = $4, {column} = $5 WHERE seller_id = $1 AND period = $2 AND state = $3"
        );
        let _turn = self.write_turn().await;
        let done = on_pool!(self, pool => sqlx::query(&q).bind(seller_id).bind(period).bind(from).bind(to)
            .bind(now_ms).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Records an operator's adjustment for the seller's next bill.
    pub async fn add_adjustment(
        &self,
        id: &str,
        seller_id: &str,
        amount: Decimal,
        reason: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO bill_adjustments (id, seller_id, amount, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id).bind(seller_id).bind(cents(amount)).bind(reason).bind(by).bind(now_ms)
        .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Sets (or, with `None`, clears back to the default) a product's
    /// platform fee proportion, in percent.
    pub async fn set_platform_fee(
        &self,
        product_id: &str,
        percent: Option<Decimal>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = on_pool!(self, pool => sqlx::query("UPDATE products SET platform_fee = $2 WHERE id = $1")
            .bind(product_id).bind(percent.map(|p| format!("{p:.2}"))).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// A product's platform fee proportion, percent (the default when none
    /// was negotiated); `None` for no such product.
    pub async fn platform_fee(&self, product_id: &str) -> Result<Option<Decimal>, StoreError> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => sqlx::query_as("SELECT platform_fee FROM products WHERE id = $1")
            .bind(product_id).fetch_optional(pool).await)?;
        Ok(row.map(|(f,)| f.as_deref().map_or_else(default_fee_percent, dec)))
    }
}
