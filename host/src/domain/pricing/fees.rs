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
//! configuration as credit lines. Every line is rounded by the one rule.

use rust_decimal::Decimal;

use super::model::{PriceError, PricingModel, tier_unit_price};
use super::money::rate;
use super::proration::Remaining;
use super::quote::{Quote, QuoteLine, sku_period_price};
use crate::domain::catalog::{BillingMode, Sku, Specification};

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
