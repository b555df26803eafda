//! Upgrade and capacity-expansion fees (seller guide §5.3).
//!
//! - Upgrade, and capacity expansion under linear or tiered pricing:
//!   `new price × remaining × discount − old price × remaining × discount`.
//! - Capacity expansion under volume pricing (the rule since 12 June 2023):
//!   `unit price of the tier of the new total × added units × remaining × discount`.
//!
//! "Remaining" is the fraction of periods left by the day count in
//! [`super::proration`]. The fee is itemised: whole periods at the period
//! price, then the remaining days at the daily rate (period price ÷ the
//! period's days, to 6 places), and for an upgrade the same for the old
//! configuration as credit lines. The fee itself is the formula computed
//! exactly and rounded once by the one rule; where the rounded lines do not
//! add up to it, a last `rounding difference` line says by how much (§5.3:
//! 30 × (2 + 18/28) = 79.2857 → 79.29, where the lines alone give 79.28).

use rust_decimal::Decimal;

use super::model::{PriceError, PricingModel, tier_unit_price};
use super::money::{money, rate};
use super::proration::Remaining;
use super::quote::{Quote, QuoteLine};
use crate::catalog::{BillingMode, Sku, Specification, sku_period_price};

/// What a change is charged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeBasis {
    /// The difference of the new and the old period price.
    Difference {
        /// The old configuration's period price.
        old: Decimal,
        /// The new configuration's period price.
        new: Decimal,
    },
    /// Volume expansion: only the added units, at the new total's tier price.
    AddedUnits {
        /// The unit price of the tier the new total falls in.
        unit_price: Decimal,
        /// Units added.
        added: u32,
    },
}

/// How the built-in models charge a change from `from` × `q_from` to `to` ×
/// `q_to`.
pub fn fee_basis(
    spec: &Specification,
    from: &Sku,
    to: &Sku,
    mode: BillingMode,
    q_from: u32,
    q_to: u32,
) -> Result<FeeBasis, PriceError> {
    if spec.pricing_model == PricingModel::Volume && from.id == to.id && q_to > q_from {
        let price = to
            .prices
            .get(&mode)
            .ok_or_else(|| PriceError::NoPrice(mode.to_string()))?;
        let unit_price = tier_unit_price(price, Decimal::from(q_to))
            .ok_or_else(|| PriceError::BadTiers("no tier holds the new quantity".into()))?;
        return Ok(FeeBasis::AddedUnits {
            unit_price,
            added: q_to - q_from,
        });
    }
    Ok(FeeBasis::Difference {
        old: sku_period_price(spec, from, mode, q_from)?,
        new: sku_period_price(spec, to, mode, q_to)?,
    })
}

/// The terms of an upgrade or expansion fee.
#[derive(Debug, Clone)]
pub struct UpgradeTerms {
    /// Describes the old configuration, e.g. `basic × 5 users`.
    pub from_label: String,
    /// Describes the new configuration.
    pub to_label: String,
    /// Monthly or yearly.
    pub mode: BillingMode,
    /// What is charged.
    pub basis: FeeBasis,
    /// What is left of the subscription.
    pub remaining: Remaining,
    /// The customer's discount factor, in (0, 1]; 1 when there is none.
    pub discount: Decimal,
}

/// The itemised fee of a change.
pub fn upgrade_quote(currency: &str, t: &UpgradeTerms, priced_by: String) -> Quote {
    let unit = if t.mode == BillingMode::Yearly {
        "year"
    } else {
        "month"
    };
    let mut lines = Vec::new();
    let left = Decimal::from(t.remaining.whole_periods)
        + Decimal::from(t.remaining.days) / Decimal::from(t.remaining.period_days.max(1));
    let exact = match t.basis {
        FeeBasis::Difference { old, new } => (new - old) * t.discount * left,
        FeeBasis::AddedUnits { unit_price, added } => {
            unit_price * Decimal::from(added) * t.discount * left
        }
    };
    match t.basis {
        FeeBasis::Difference { old, new } => {
            prorate(&mut lines, &t.to_label, new * t.discount, t.remaining, unit);
            let credit = format!("credit for {}", t.from_label);
            prorate(&mut lines, &credit, -old * t.discount, t.remaining, unit);
        }
        FeeBasis::AddedUnits { unit_price, added } => {
            let item = format!("{} ({added} added at {unit_price})", t.to_label);
            let price = unit_price * Decimal::from(added) * t.discount;
            prorate(&mut lines, &item, price, t.remaining, unit);
        }
    }
    let fee = money(exact);
    let itemised: Decimal = lines.iter().map(|l| l.amount).sum();
    if itemised != fee {
        lines.push(QuoteLine::new(
            "rounding difference",
            Decimal::ONE,
            fee - itemised,
        ));
    }
    Quote::new(currency, lines, priced_by)
}

/// Lines for `period_price` over `left`: whole periods, then days.
fn prorate(
    out: &mut Vec<QuoteLine>,
    item: &str,
    period_price: Decimal,
    left: Remaining,
    unit: &str,
) {
    if left.whole_periods > 0 {
        let n = left.whole_periods;
        out.push(QuoteLine::new(
            format!("{item}, {n} {unit}{}", if n == 1 { "" } else { "s" }),
            Decimal::from(n),
            period_price,
        ));
    }
    if left.days > 0 {
        out.push(QuoteLine::new(
            format!("{item}, {} of {} days", left.days, left.period_days),
            Decimal::from(left.days),
            rate(period_price / Decimal::from(left.period_days.max(1))),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{date_ms, example_draft};
    use crate::pricing::{PricingModel, remaining};

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn terms(basis: FeeBasis, left: Remaining) -> UpgradeTerms {
        UpgradeTerms {
            from_label: "basic × 5".into(),
            to_label: "pro × 5".into(),
            mode: BillingMode::Monthly,
            basis,
            remaining: left,
            discount: Decimal::ONE,
        }
    }

    #[test]
    fn upgrade_fee_is_new_minus_old_over_the_remaining_days() {
        // 15 of the 31 days of 29 Feb → 31 Mar 2024 remain: 25.00 and 10.00 a month.
        let left = remaining(
            date_ms(2024, 3, 16),
            date_ms(2024, 3, 31),
            BillingMode::Monthly,
        )
        .expect("left");
        let basis = FeeBasis::Difference {
            old: d("10.00"),
            new: d("25.00"),
        };
        let q = upgrade_quote("USD", &terms(basis, left), "built-in:linear".into());
        let amounts: Vec<String> = q.lines.iter().map(|l| l.amount.to_string()).collect();
        // 15 × 0.806452 = 12.10; 15 × -0.322581 = -4.84.
        assert_eq!(amounts, ["12.10", "-4.84"]);
        assert_eq!(q.total.to_string(), "7.26");
        assert_eq!(q.lines[0].unit_price, d("0.806452"));
        for line in &q.lines {
            assert_eq!(
                line.amount,
                crate::pricing::money(line.quantity * line.unit_price)
            );
        }
    }

    #[test]
    fn the_fee_is_the_formula_rounded_once_as_the_guide_computes_it() {
        // §5.3: 2 months and 18 of 28 days left, basic 30.00 → pro 60.00:
        // 30 × (2 + 18/28) = 79.2857… → 79.29. Rounding each line gives
        // 120.00 + 38.57 − 60.00 − 19.29 = 79.28.
        let left = Remaining {
            whole_periods: 2,
            days: 18,
            period_days: 28,
        };
        let basis = FeeBasis::Difference {
            old: d("30.00"),
            new: d("60.00"),
        };
        let q = upgrade_quote("CNY", &terms(basis, left), "built-in:linear".into());
        assert_eq!(q.total.to_string(), "79.29");
        let last = q.lines.last().expect("lines");
        assert_eq!(last.item, "rounding difference");
        assert_eq!(last.amount.to_string(), "0.01");
        let sum: Decimal = q.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, q.total);
    }

    #[test]
    fn whole_periods_are_charged_at_the_period_price_and_discount_applies() {
        let left = Remaining {
            whole_periods: 2,
            days: 0,
            period_days: 30,
        };
        let basis = FeeBasis::Difference {
            old: d("10.00"),
            new: d("25.00"),
        };
        let mut t = terms(basis, left);
        t.discount = d("0.8");
        let q = upgrade_quote("USD", &t, "x".into());
        assert_eq!(q.total.to_string(), "24.00");
    }

    #[test]
    fn volume_expansion_charges_added_units_at_the_new_tier() {
        let mut spec = example_draft(&"0".repeat(64))
            .spec("standard")
            .cloned()
            .expect("spec");
        spec.pricing_model = PricingModel::Volume;
        let tiers: crate::pricing::Price = serde_json::from_str(
            r#"[{"up-to": "10", "unit-price": "10.00"}, {"unit-price": "8.00"}]"#,
        )
        .expect("tiers");
        spec.skus[0].prices.insert(BillingMode::Monthly, tiers);
        let sku = spec.skus[0].clone();
        let basis = fee_basis(&spec, &sku, &sku, BillingMode::Monthly, 8, 12).expect("basis");
        assert_eq!(
            basis,
            FeeBasis::AddedUnits {
                unit_price: d("8.00"),
                added: 4
            }
        );
        let left = Remaining {
            whole_periods: 1,
            days: 0,
            period_days: 31,
        };
        let q = upgrade_quote("USD", &terms(basis, left), "x".into());
        assert_eq!(q.total.to_string(), "32.00");
        // Tiered expansion is the difference of the two graduated prices.
        spec.pricing_model = PricingModel::Tiered;
        let basis = fee_basis(&spec, &sku, &sku, BillingMode::Monthly, 8, 12).expect("basis");
        assert_eq!(
            basis,
            FeeBasis::Difference {
                old: d("80.00"),
                new: d("116.00")
            }
        );
    }
}
