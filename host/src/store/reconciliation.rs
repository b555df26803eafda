//! Reconciliation of bills: every bill recomputed from its sources (the
//! orders, charges, packages and adjustments it settled) and the §8.1
//! formula, each difference described. There must be none; the tests run it
//! after every money scenario (`GET /v1/reconciliation`).

use rust_decimal::Decimal;
use std::collections::HashMap;

use super::balances::dec;
use super::bills::{BILL, BillRow};
use super::{Pool, Store, StoreError};
use crate::domain::settlement::{Taxes, line_amounts};

/// One line of a bill as reconciliation reads it, with what its source
/// says now.
#[derive(Debug, Clone, sqlx::FromRow)]
struct CheckedLine {
    seller_id: String,
    period: String,
    line: i64,
    kind: String,
    source_id: String,
    sales: String,
    fee_percent: String,
    platform_fee: String,
    settlement: String,
    customer_wht: String,
    customer_dst: String,
    seller_wht: String,
    seller_dst: String,
    /// The source's amount now (`None`: no such source).
    source_amount: Option<String>,
    /// The bill the source says settled it.
    source_bill: Option<String>,
}

impl Store {
    /// Recomputes the bills of `period` (every bill with `None`) from their
    /// sources and the §8.1 formula, and describes each difference: a line
    /// whose sales amount is not its order's, charge's, package's or
    /// adjustment's; a source not marked with the bill; a fee or settlement
    /// the formula does not give; a bill whose totals are not its lines'
    /// sums. There must be none.
    pub async fn check_bills(&self, period: Option<&str>) -> Result<Vec<String>, StoreError> {
        let q = "SELECT l.seller_id, l.period, l.line, l.kind, l.source_id, l.sales, l.fee_percent, \
                   l.platform_fee, l.settlement, l.customer_wht, l.customer_dst, l.seller_wht, l.seller_dst, \
                   COALESCE(o.amount, c.amount, p.price, a.amount) AS source_amount, \
                   COALESCE(o.bill_id, c.bill_id, p.bill_id, a.bill_id) AS source_bill \
                 FROM bill_lines l \
                 LEFT JOIN orders o ON l.kind IN ('order', 'refund') AND o.id = l.source_id \
                 LEFT JOIN usage_charges c ON l.kind = 'usage-charge' AND c.id = l.source_id \
                 LEFT JOIN packages p ON l.kind = 'package' AND p.id = l.source_id \
                 LEFT JOIN bill_adjustments a ON l.kind = 'adjustment' AND a.id = l.source_id \
                 WHERE $1 IS NULL OR l.period = $1 ORDER BY l.seller_id, l.period, l.line";
        let lines: Vec<CheckedLine> =
            on_pool!(self, pool => sqlx::query_as(q).bind(period).fetch_all(pool).await)?;
        let bills: Vec<BillRow> = on_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {BILL} FROM bills WHERE $1 IS NULL OR period = $1 ORDER BY seller_id, period"
        ))
        .bind(period).fetch_all(pool).await)?;
        let mut out = Vec::new();
        let mut sums: HashMap<(&str, &str), [Decimal; 4]> = HashMap::new();
        for l in &lines {
            let at = format!("bill {} of {}, line {}", l.period, l.seller_id, l.line);
            let taxes = Taxes {
                customer_wht: dec(&l.customer_wht),
                customer_dst: dec(&l.customer_dst),
                seller_wht: dec(&l.seller_wht),
                seller_dst: dec(&l.seller_dst),
            };
            let (sales, fee, settlement) =
                (dec(&l.sales), dec(&l.platform_fee), dec(&l.settlement));
            let from_source = l.source_amount.as_deref().map(dec);
            let expected = if l.kind == "adjustment" {
                (Decimal::ZERO, Decimal::ZERO, from_source)
            } else {
                let a = line_amounts(from_source.unwrap_or(sales), taxes, dec(&l.fee_percent));
                (
                    from_source.unwrap_or(sales),
                    a.platform_fee,
                    Some(a.settlement),
                )
            };
            match (&l.source_amount, &l.source_bill) {
                (None, _) => out.push(format!(
                    "{at}: its {} {} does not exist",
                    l.kind, l.source_id
                )),
                (_, b) if b.as_deref() != Some(l.period.as_str()) => out.push(format!(
                    "{at}: {} {} is marked settled by {:?}",
                    l.kind, l.source_id, b
                )),
                _ => {}
            }
            if sales != expected.0 {
                out.push(format!(
                    "{at}: sales {sales}, its source says {}",
                    expected.0
                ));
            }
            if fee != expected.1 || Some(settlement) != expected.2 {
                out.push(format!(
                    "{at}: fee {fee} and settlement {settlement}, the formula gives {} and {:?}",
                    expected.1, expected.2
                ));
            }
            let s = sums
                .entry((l.seller_id.as_str(), l.period.as_str()))
                .or_default();
            s[0] += sales;
            s[1] += taxes.customer_wht + taxes.customer_dst + taxes.seller_wht + taxes.seller_dst;
            s[2] += fee;
            s[3] += settlement;
        }
        for b in &bills {
            let s = sums
                .get(&(b.seller_id.as_str(), b.period.as_str()))
                .copied()
                .unwrap_or_default();
            let totals = [
                dec(&b.sales),
                dec(&b.taxes),
                dec(&b.platform_fee),
                dec(&b.settlement),
            ];
            if totals != s {
                out.push(format!(
                    "bill {} of {}: totals {totals:?}, its lines add up to {s:?}",
                    b.period, b.seller_id
                ));
            }
        }
        Ok(out)
    }
}
