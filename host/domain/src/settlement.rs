//! Seller settlement (seller guide §8.1–§8.4, §9): which month a bill
//! covers, its id, the platform fee, and the amount of each bill line.
//!
//! **Formula** (§8.1): a line settles
//! `(sales − customer WHT − customer DST) × (1 − platform fee) − seller WHT
//! − seller DST`; a bill settles the sum of its lines. **Rounding**: each
//! line's platform fee and settlement amount are computed exactly and
//! rounded once, half-even to cents ([`crate::money`]); the bill's totals
//! are sums of rounded lines, so they need no rounding of their own.

use rust_decimal::Decimal;

use crate::catalog::{civil_date, date_ms};
use crate::money::money;

/// The day of the month bills for the previous month are generated on.
pub const BILL_DAY: u32 = 7;

/// The platform fee, in percent, of a product without a negotiated one
/// (§8.3: SaaS 13%, the only delivery method Bazaar sells).
pub fn default_fee_percent() -> Decimal {
    Decimal::from(13)
}

/// A calendar month a bill covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillMonth {
    /// The year.
    pub year: i64,
    /// 1–12.
    pub month: u32,
}

impl BillMonth {
    /// The bill id of the month, `YYYYMM` (§8.1: "the billing cycle ID is
    /// 201901").
    pub fn id(&self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    /// The month a `YYYYMM` id names, if it is one.
    pub fn parse(id: &str) -> Option<BillMonth> {
        if id.len() != 6 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (id[..4].parse().ok()?, id[4..].parse().ok()?);
        (1..=12)
            .contains(&month)
            .then_some(BillMonth { year, month })
    }

    /// Midnight UTC on its first day (ms).
    pub fn start_ms(&self) -> i64 {
        date_ms(self.year, self.month, 1)
    }

    /// Midnight UTC on the first day of the next month (ms): the month is
    /// `[start, end)`.
    pub fn end_ms(&self) -> i64 {
        let (year, month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        date_ms(year, month, 1)
    }

    /// The month before the one `now_ms` falls in, once its bill day has
    /// come (`None` before the 7th): the month whose bills are due.
    pub fn due_at(now_ms: i64) -> Option<BillMonth> {
        let (year, month, day) = civil_date(now_ms);
        if day < BILL_DAY {
            return None;
        }
        Some(if month == 1 {
            BillMonth {
                year: year - 1,
                month: 12,
            }
        } else {
            BillMonth {
                year,
                month: month - 1,
            }
        })
    }
}

/// The taxes on one line (from the platform's settlement rule; zero
/// without one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taxes {
    /// Withholding tax on the customer's purchase.
    pub customer_wht: Decimal,
    /// Digital service tax on the customer's purchase.
    pub customer_dst: Decimal,
    /// Withholding tax on the settlement to the seller.
    pub seller_wht: Decimal,
    /// Digital service tax imposed on the seller.
    pub seller_dst: Decimal,
}

/// Whose share a tax comes out of (§8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxPayer {
    /// Deducted from the sale before the platform fee.
    Customer,
    /// Deducted from the seller's share after it.
    Seller,
}

/// Which tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxKind {
    /// Withholding tax.
    Wht,
    /// Digital services tax.
    Dst,
}

impl Taxes {
    /// A line's taxes from a rule's amounts: each amount rounded once,
    /// half-even to cents, and added to its payer's and kind's total.
    /// Refused when an amount's sign is not the sale's (a refund's taxes are
    /// negative) or one payer's taxes exceed the sale.
    pub fn from_rule(
        sales: Decimal,
        amounts: impl IntoIterator<Item = (TaxPayer, TaxKind, Decimal)>,
    ) -> Result<Taxes, String> {
        let mut t = Taxes::default();
        for (payer, kind, amount) in amounts {
            let amount = money(amount);
            if !amount.is_zero() && amount.is_sign_negative() != sales.is_sign_negative() {
                return Err(format!(
                    "a tax of {amount} on a sale of {sales}: a tax has the sale's sign"
                ));
            }
            *match (payer, kind) {
                (TaxPayer::Customer, TaxKind::Wht) => &mut t.customer_wht,
                (TaxPayer::Customer, TaxKind::Dst) => &mut t.customer_dst,
                (TaxPayer::Seller, TaxKind::Wht) => &mut t.seller_wht,
                (TaxPayer::Seller, TaxKind::Dst) => &mut t.seller_dst,
            } += amount;
        }
        for (who, sum) in [
            ("customer", t.customer_wht + t.customer_dst),
            ("seller", t.seller_wht + t.seller_dst),
        ] {
            if sum.abs() > sales.abs() {
                return Err(format!("{who} taxes of {sum} exceed the sale of {sales}"));
            }
        }
        Ok(t)
    }

    /// Both rules' taxes, for lines more than one rule taxes.
    pub fn plus(self, other: Taxes) -> Taxes {
        Taxes {
            customer_wht: self.customer_wht + other.customer_wht,
            customer_dst: self.customer_dst + other.customer_dst,
            seller_wht: self.seller_wht + other.seller_wht,
            seller_dst: self.seller_dst + other.seller_dst,
        }
    }

    /// The four taxes' sum.
    pub fn total(&self) -> Decimal {
        self.customer_wht + self.customer_dst + self.seller_wht + self.seller_dst
    }
}

/// One bill line's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    /// Sales amount excluding VAT (negative for a refund).
    pub sales: Decimal,
    /// Its taxes.
    pub taxes: Taxes,
    /// The platform fee proportion, in percent (0–100).
    pub fee_percent: Decimal,
    /// The platform's fee: `(sales − customer taxes) × fee`, rounded once.
    pub platform_fee: Decimal,
    /// The seller's amount by the §8.1 formula, rounded once.
    pub settlement: Decimal,
}

/// A line's figures by the §8.1 formula.
pub fn line_amounts(sales: Decimal, taxes: Taxes, fee_percent: Decimal) -> LineAmounts {
    let fee = fee_percent / Decimal::from(100);
    let base = sales - taxes.customer_wht - taxes.customer_dst;
    LineAmounts {
        sales,
        taxes,
        fee_percent,
        platform_fee: money(base * fee),
        settlement: money(base * (Decimal::ONE - fee) - taxes.seller_wht - taxes.seller_dst),
    }
}

/// Whether `percent` is a platform fee proportion an operator may set:
/// 0 to 100, in hundredths at most.
pub fn valid_fee_percent(percent: Decimal) -> bool {
    percent >= Decimal::ZERO && percent <= Decimal::from(100) && percent.normalize().scale() <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn the_guides_example_settles_560() {
        let taxes = Taxes {
            customer_wht: d("150"),
            customer_dst: d("50"),
            seller_wht: d("100"),
            seller_dst: d("20"),
        };
        let line = line_amounts(d("1000.00"), taxes, d("15"));
        assert_eq!(line.settlement.to_string(), "560.00");
        assert_eq!(line.platform_fee.to_string(), "120.00");
    }

    #[test]
    fn rule_taxes_are_rounded_to_cents_and_keep_the_sales_sign() {
        use TaxKind::{Dst, Wht};
        use TaxPayer::{Customer, Seller};
        let t = Taxes::from_rule(
            d("1000.00"),
            [
                (Customer, Wht, d("150")),
                (Customer, Dst, d("50")),
                (Seller, Wht, d("100.005")),
                (Seller, Dst, d("20")),
            ],
        )
        .expect("taxes");
        assert_eq!(t.seller_wht.to_string(), "100.00");
        assert_eq!(t.total().to_string(), "320.00");
        let line = line_amounts(d("1000.00"), t, d("15"));
        assert_eq!(line.settlement.to_string(), "560.00");
        assert!(Taxes::from_rule(d("-10.00"), [(Customer, Wht, d("1.50"))]).is_err());
        assert!(Taxes::from_rule(d("-10.00"), [(Customer, Wht, d("-1.50"))]).is_ok());
        assert!(Taxes::from_rule(d("10.00"), [(Seller, Dst, d("10.01"))]).is_err());
    }

    #[test]
    fn each_amount_is_rounded_once_half_even() {
        // 10.05 × 0.87 = 8.7435 → 8.74; the fee 1.3065 → 1.31.
        let line = line_amounts(d("10.05"), Taxes::default(), default_fee_percent());
        assert_eq!(line.settlement.to_string(), "8.74");
        assert_eq!(line.platform_fee.to_string(), "1.31");
        // A refund settles negatively.
        let refund = line_amounts(d("-20.00"), Taxes::default(), d("13"));
        assert_eq!(refund.settlement.to_string(), "-17.40");
    }

    #[test]
    fn bills_of_last_month_are_due_from_the_seventh() {
        assert_eq!(BillMonth::due_at(date_ms(2019, 2, 6)), None);
        let due = BillMonth::due_at(date_ms(2019, 2, 7)).expect("due");
        assert_eq!(due.id(), "201901");
        assert_eq!(due.start_ms(), date_ms(2019, 1, 1));
        assert_eq!(due.end_ms(), date_ms(2019, 2, 1));
        assert_eq!(
            BillMonth::due_at(date_ms(2020, 1, 9)).map(|m| m.id()),
            Some("201912".into())
        );
        assert_eq!(BillMonth::parse("201913"), None);
        assert_eq!(
            BillMonth::parse("202003").map(|m| m.end_ms()),
            Some(date_ms(2020, 4, 1))
        );
    }

    #[test]
    fn fee_proportions_are_0_to_100_in_hundredths() {
        assert!(valid_fee_percent(d("0")));
        assert!(valid_fee_percent(d("12.50")));
        assert!(!valid_fee_percent(d("100.01")));
        assert!(!valid_fee_percent(d("-1")));
        assert!(!valid_fee_percent(d("1.005")));
    }
}
