//! Transaction details (§7.3): one row per paid order, refund, usage
//! package or pay-per-use charge, with what settled it (its bill line) if anything
//! did, newest first, filtered by seller, time and bill category.

use super::pages::{Page, PageRequest};
use super::{Pool, Store, StoreError};

/// One transaction, before its figures.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransactionRow {
    /// `order`, `refund`, `package` or `usage-charge`.
    pub kind: String,
    /// The order or charge id.
    pub id: String,
    /// The seller.
    pub seller_id: String,
    /// The customer.
    pub customer_id: String,
    /// The product.
    pub product_id: String,
    /// Sales amount (an order's amount, a refund's negative amount, a
    /// charge's amount).
    pub amount: String,
    /// An order's payment state; a charge's `paid` or `unpaid`.
    pub payment: String,
    /// The order's service flow (JSON), for supervised orders.
    pub service_flow: Option<String>,
    /// The order's state (`completed` for charges).
    pub state: String,
    /// When it happened (ms).
    pub at: i64,
    /// When it takes effect (ms): an order's effective time, a charge's
    /// cycle start.
    pub effective_at: i64,
    /// The bill (`YYYYMM`) that settled it.
    pub bill_id: Option<String>,
    /// That bill line's platform fee.
    pub platform_fee: Option<String>,
    /// That bill line's settlement amount.
    pub settlement: Option<String>,
}

/// What transactions to list.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    /// One seller's (`None`: everyone's).
    pub seller_id: Option<String>,
    /// From this time (ms, inclusive).
    pub from: Option<i64>,
    /// Until this time (ms, exclusive).
    pub to: Option<i64>,
    /// `Some(true)`: billed only; `Some(false)`: unbilled only.
    pub billed: Option<bool>,
}

impl Store {
    /// A page of transactions, newest first.
    pub async fn transactions(
        &self,
        f: &TransactionFilter,
        page: &PageRequest,
    ) -> Result<Page<TransactionRow>, StoreError> {
        let q = "SELECT t.*, l.platform_fee, l.settlement FROM ( \
              SELECT CASE WHEN o.kind = 'unsubscribe' THEN 'refund' ELSE 'order' END AS kind, o.id, o.seller_id, \
                     o.customer_id, i.product_id, o.amount, o.payment, o.service_flow, o.state, o.created_at AS at, \
                     COALESCE(o.effective_at, o.created_at) AS effective_at, o.bill_id \
              FROM orders o JOIN instances i ON i.id = o.instance_id \
              WHERE o.payment <> 'none' OR (o.kind = 'unsubscribe' AND o.amount LIKE '-%') \
              UNION ALL \
              SELECT 'usage-charge', c.id, c.seller_id, c.customer_id, i.product_id, c.amount, c.state, NULL, \
                     'completed', c.created_at, c.cycle_start, c.bill_id \
              FROM usage_charges c JOIN instances i ON i.id = c.instance_id WHERE c.amount <> '0.00' \
              UNION ALL \
              SELECT 'package', p.id, i.seller_id, p.customer_id, i.product_id, p.price, 'paid', NULL, \
                     'completed', p.created_at, p.starts_at, p.bill_id \
              FROM packages p JOIN instances i ON i.id = p.instance_id \
            ) t LEFT JOIN bill_lines l ON l.source_id = t.id AND l.seller_id = t.seller_id AND l.period = t.bill_id \
            WHERE ($1 IS NULL OR t.seller_id = $1) AND ($2 IS NULL OR t.at >= $2) AND ($3 IS NULL OR t.at < $3) \
              AND ($4 IS NULL OR ($4 = 1 AND t.bill_id IS NOT NULL) OR ($4 = 0 AND t.bill_id IS NULL)) \
              AND ($5 IS NULL OR t.at < $5 OR (t.at = $5 AND t.id < $6)) \
            ORDER BY t.at DESC, t.id DESC LIMIT $7";
        let (at, id) = page.binds();
        let billed = f.billed.map(i64::from);
        let rows = on_pool!(self, pool => sqlx::query_as(q)
            .bind(&f.seller_id).bind(f.from).bind(f.to).bind(billed).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |t: &TransactionRow| (t.at, t.id.as_str())))
    }
}
