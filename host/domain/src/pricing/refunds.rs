//! What an unsubscription gives back (issue 15 §2): the unused part of a
//! monthly or yearly subscription, by the same day count as upgrade fees
//! ([`super::proration`]: whole periods left, then the days left of the
//! current one, a started day counting as a whole one) and the same one
//! rounding (the exact amount rounded once,
//! half-even to cents). Never more than what the instance's orders paid and
//! was not yet refunded. Pay-per-use and packages are never refunded (§8.1
//! note); a trial paid nothing, so it gets nothing back.

use rust_decimal::Decimal;

use super::money::{money, rate};
use super::proration::Remaining;
use super::quote::{Quote, QuoteLine};
use crate::catalog::BillingMode;

/// What a refund is computed from.
#[derive(Debug, Clone)]
pub struct RefundTerms {
    /// Describes the configuration, e.g. `basic × 5 users`.
    pub label: String,
    /// Monthly or yearly.
    pub mode: BillingMode,
    /// The price of one period of it now.
    pub period_price: Decimal,
    /// What is left of the subscription, by the upgrade day count.
    pub remaining: Remaining,
    /// What the instance's orders paid and was not yet refunded.
    pub refundable: Decimal,
}

/// The itemised refund, as a quote whose lines and total are negative (money
/// going back to the balance).
pub fn refund_quote(currency: &str, t: &RefundTerms, priced_by: String) -> Quote {
    let unit = if t.mode == BillingMode::Yearly {
        "year"
    } else {
        "month"
    };
    let left = t.remaining;
    let mut lines = Vec::new();
    let item = format!("refund for {}", t.label);
    if left.whole_periods > 0 {
        let n = left.whole_periods;
        lines.push(QuoteLine::new(
            format!("{item}, {n} unused {unit}{}", if n == 1 { "" } else { "s" }),
            Decimal::from(n),
            -t.period_price,
        ));
    }
    if left.days > 0 {
        lines.push(QuoteLine::new(
            format!("{item}, {} of {} days unused", left.days, left.period_days),
            Decimal::from(left.days),
            rate(-t.period_price / Decimal::from(left.period_days.max(1))),
        ));
    }
    let exact = money(t.period_price * left.factor());
    let refund = exact.min(t.refundable.max(Decimal::ZERO));
    let itemised: Decimal = lines.iter().map(|l| l.amount).sum();
    if refund < exact {
        lines.push(QuoteLine::new(
            "limited to what was paid",
            Decimal::ONE,
            -refund - itemised,
        ));
    } else if itemised != -refund {
        lines.push(QuoteLine::new(
            "rounding difference",
            Decimal::ONE,
            -refund - itemised,
        ));
    }
    Quote::new(currency, lines, priced_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn terms(whole: u32, days: u32, period_days: u32, refundable: &str) -> RefundTerms {
        RefundTerms {
            label: "basic".into(),
            mode: BillingMode::Monthly,
            period_price: d("30.00"),
            remaining: Remaining {
                whole_periods: whole,
                days,
                period_days,
            },
            refundable: d(refundable),
        }
    }

    #[test]
    fn ten_days_into_a_thirty_day_month_refunds_twenty_days() {
        let q = refund_quote("CNY", &terms(0, 20, 30, "30.00"), "x".into());
        // 30 × 20/30 = 20.00.
        assert_eq!(q.total, d("-20.00"));
        let sum: Decimal = q.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, q.total);
    }

    #[test]
    fn whole_periods_and_days_round_once() {
        // 2 months and 18 of 28 days: 30 × (2 + 18/28) = 79.2857… → 79.29.
        let q = refund_quote("CNY", &terms(2, 18, 28, "1000.00"), "x".into());
        assert_eq!(q.total, d("-79.29"));
        let sum: Decimal = q.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, q.total);
    }

    #[test]
    fn never_more_than_was_paid_and_nothing_once_run_out() {
        let q = refund_quote("CNY", &terms(1, 10, 30, "12.34"), "x".into());
        assert_eq!(q.total, d("-12.34"));
        assert_eq!(
            q.lines.last().map(|l| l.item.as_str()),
            Some("limited to what was paid")
        );
        let q = refund_quote("CNY", &terms(0, 0, 30, "30.00"), "x".into());
        assert_eq!(q.total, d("0.00"));
        assert!(q.lines.is_empty());
    }
}
