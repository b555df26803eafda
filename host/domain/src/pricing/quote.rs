//! Itemised quotes: what a purchase, renewal, conversion or usage costs, line
//! by line. Order taking charges exactly the quote these functions return.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::PricingModel;
use super::model::{PriceError, portions};
use super::money::{MONEY_SCALE, money};
use crate::catalog::{BillingMode, Sku, Specification};

/// One itemised line. Every line's amount is `money(quantity × unit price)`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct QuoteLine {
    /// What the line charges for.
    pub item: String,
    /// How many units (units × periods, days, ...).
    pub quantity: Decimal,
    /// The price of one unit; negative on a credit line.
    pub unit_price: Decimal,
    /// The line's amount, in cents.
    pub amount: Decimal,
}

impl QuoteLine {
    /// A line of `quantity` at `unit_price`, rounded by the one rule.
    pub fn new(item: impl Into<String>, quantity: Decimal, unit_price: Decimal) -> Self {
        Self {
            item: item.into(),
            quantity,
            unit_price,
            amount: money(quantity * unit_price),
        }
    }
}

/// An itemised price.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Quote {
    /// ISO 4217 currency code.
    pub currency: String,
    /// The lines, in order.
    pub lines: Vec<QuoteLine>,
    /// The sum of the lines' amounts.
    pub total: Decimal,
    /// `built-in:<model>` or `plugin:<sha256>`.
    pub priced_by: String,
}

impl Quote {
    /// A quote whose total is the sum of `lines`.
    pub fn new(currency: &str, lines: Vec<QuoteLine>, priced_by: String) -> Self {
        let mut total: Decimal = lines.iter().map(|l| l.amount).sum();
        total.rescale(MONEY_SCALE);
        Self {
            currency: currency.into(),
            lines,
            total,
            priced_by,
        }
    }
}

/// What a subscription (or its renewal or conversion) buys.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionTerms<'a> {
    /// The specification.
    pub spec: &'a Specification,
    /// The SKU.
    pub sku: &'a Sku,
    /// How it is billed.
    pub mode: BillingMode,
    /// Units of the quantity attribute (1 without one).
    pub quantity: u32,
    /// Periods bought (monthly/yearly); ignored otherwise.
    pub periods: u32,
    /// A free trial of this many days, priced at zero.
    pub trial_days: Option<u32>,
}

/// The price of a subscription: one line per tier the quantity reaches, each
/// for `units × periods` at the tier's unit price. A trial is one zero line;
/// pay-per-use costs nothing up front (usage is priced per cycle).
pub fn subscription_quote(currency: &str, t: &SubscriptionTerms) -> Result<Quote, PriceError> {
    let model = t.spec.pricing_model;
    let by = format!("built-in:{}", model.as_str());
    if let Some(days) = t.trial_days {
        let line = QuoteLine::new(
            format!("{} free trial, {days} days", t.sku.id),
            Decimal::ONE,
            Decimal::ZERO,
        );
        return Ok(Quote::new(currency, vec![line], by));
    }
    if t.mode == BillingMode::PayPerUse {
        return Ok(Quote::new(currency, Vec::new(), by));
    }
    let price = t
        .sku
        .prices
        .get(&t.mode)
        .ok_or_else(|| PriceError::NoPrice(t.mode.to_string()))?;
    let periods = if t.mode.is_periodic() { t.periods } else { 1 };
    let per = match t.mode {
        BillingMode::Monthly => format!(" × {periods} month{}", plural(periods)),
        BillingMode::Yearly => format!(" × {periods} year{}", plural(periods)),
        _ => String::new(),
    };
    let unit = t.spec.quantity.as_ref().map(|q| q.name.as_str());
    let lines = portions(model, price, Decimal::from(t.quantity))?
        .into_iter()
        .map(|p| {
            let what = match (unit, p.range_label()) {
                (Some(u), Some(range)) => format!("{} {u} {range}", t.sku.id),
                (Some(u), None) => format!("{} {u}", t.sku.id),
                (None, _) => t.sku.id.clone(),
            };
            QuoteLine::new(
                format!("{what}{per}"),
                p.units * Decimal::from(periods),
                p.unit_price,
            )
        })
        .collect();
    Ok(Quote::new(currency, lines, by))
}

/// The price of a cycle's usage of a pay-per-use SKU (seller guide
/// §3.5.4.3), `records` being the usage records' values left after packages:
///
/// - fixed (`linear`): every unit at the unit price;
/// - `volume`: each record at the price of the tier its own value falls in;
/// - `tiered`: the tiers continue from `before`, the usage already billed
///   earlier in the accumulation cycle (0 when it is the billing cycle).
///
/// Lines are grouped by tier.
pub fn usage_quote(
    currency: &str,
    spec: &Specification,
    sku: &Sku,
    records: &[Decimal],
    before: Decimal,
) -> Result<Quote, PriceError> {
    let model = spec.pricing_model;
    let price = sku
        .prices
        .get(&BillingMode::PayPerUse)
        .ok_or_else(|| PriceError::NoPrice(BillingMode::PayPerUse.to_string()))?;
    let total: Decimal = records.iter().sum();
    let mut parts: Vec<(Option<String>, Decimal, Decimal)> = Vec::new();
    let mut add = |label: Option<String>, unit: Decimal, units: Decimal| {
        if units <= Decimal::ZERO {
            return;
        }
        match parts.iter_mut().find(|(l, u, _)| *l == label && *u == unit) {
            Some(part) => part.2 += units,
            None => parts.push((label, unit, units)),
        }
    };
    match model {
        PricingModel::Linear => {
            for p in portions(model, price, total)? {
                add(p.range_label(), p.unit_price, p.units);
            }
        }
        PricingModel::Volume => {
            for r in records {
                for p in portions(model, price, *r)? {
                    add(p.range_label(), p.unit_price, p.units);
                }
            }
        }
        PricingModel::Tiered => {
            let prior = portions(model, price, before)?;
            for p in portions(model, price, before + total)? {
                let billed = prior
                    .iter()
                    .find(|q| q.above == p.above)
                    .map_or(Decimal::ZERO, |q| q.units);
                add(p.range_label(), p.unit_price, p.units - billed);
            }
        }
    }
    let lines = parts
        .into_iter()
        .map(|(label, unit, units)| {
            let what = label.map_or_else(
                || format!("{} usage", sku.id),
                |r| format!("{} usage {r}", sku.id),
            );
            QuoteLine::new(what, units, unit)
        })
        .collect();
    Ok(Quote::new(
        currency,
        lines,
        format!("built-in:{}", model.as_str()),
    ))
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::example_draft;
    use crate::pricing::PricingModel;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn standard() -> Specification {
        example_draft(&"0".repeat(64))
            .spec("standard")
            .cloned()
            .expect("spec")
    }

    fn terms<'a>(
        spec: &'a Specification,
        sku: &'a str,
        q: u32,
        periods: u32,
    ) -> SubscriptionTerms<'a> {
        SubscriptionTerms {
            spec,
            sku: spec.sku(sku).expect("sku"),
            mode: BillingMode::Monthly,
            quantity: q,
            periods,
            trial_days: None,
        }
    }

    #[test]
    fn linear_subscription_is_one_line() {
        let spec = standard();
        let q = subscription_quote("USD", &terms(&spec, "basic", 3, 2)).expect("quote");
        assert_eq!(q.lines.len(), 1);
        assert_eq!(q.lines[0].quantity, d("6"));
        assert_eq!(q.lines[0].unit_price, d("9.99"));
        assert_eq!(q.total.to_string(), "59.94");
        assert_eq!(q.priced_by, "built-in:linear");
        assert!(
            q.lines[0].item.contains("× 2 months"),
            "{}",
            q.lines[0].item
        );
    }

    #[test]
    fn trials_are_free_and_pay_per_use_has_no_upfront_charge() {
        let spec = standard();
        let mut t = terms(&spec, "pro", 5, 1);
        t.trial_days = Some(7);
        let q = subscription_quote("USD", &t).expect("trial");
        assert_eq!(q.total.to_string(), "0.00");
        assert_eq!(q.lines.len(), 1);
        t.trial_days = None;
        t.mode = BillingMode::PayPerUse;
        assert!(subscription_quote("USD", &t).expect("ppu").lines.is_empty());
        t.mode = BillingMode::OneTime;
        assert_eq!(
            subscription_quote("USD", &t),
            Err(PriceError::NoPrice("one-time".into()))
        );
    }

    #[test]
    fn usage_is_priced_by_the_model_seeds_examples() {
        let mut spec = standard();
        let tiers: crate::pricing::Price = serde_json::from_str(
            r#"[{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}]"#,
        )
        .expect("tiers");
        let mut sku = spec.skus[0].clone();
        sku.prices = [(BillingMode::PayPerUse, tiers)].into();
        spec.pricing_model = PricingModel::Tiered;
        let q = usage_quote("USD", &spec, &sku, &[d("8")], Decimal::ZERO).expect("tiered");
        assert_eq!(q.total.to_string(), "1.90");
        assert_eq!(q.lines.len(), 2);
        spec.pricing_model = PricingModel::Volume;
        let q = usage_quote("USD", &spec, &sku, &[d("8")], Decimal::ZERO).expect("volume");
        assert_eq!(q.total.to_string(), "1.60");
        // Fractions of a unit are rounded at the line: 0.125 min × 0.30 = 0.0375 → 0.04.
        spec.pricing_model = PricingModel::Tiered;
        let q = usage_quote("USD", &spec, &sku, &[d("0.125")], Decimal::ZERO).expect("fraction");
        assert_eq!(q.total.to_string(), "0.04");
        // Tiers continue over the accumulation cycle: 2 minutes billed before,
        // 3 now: 1 × 0.30 + 2 × 0.20.
        let q = usage_quote("USD", &spec, &sku, &[d("3")], d("2")).expect("accumulated");
        assert_eq!(q.total.to_string(), "0.70");
        // Volume prices each record by its own tier: 3 → 0.90, 5 → 1.00.
        spec.pricing_model = PricingModel::Volume;
        let q =
            usage_quote("USD", &spec, &sku, &[d("3"), d("5")], Decimal::ZERO).expect("per record");
        assert_eq!(q.total.to_string(), "1.90");
        assert_eq!(q.lines.len(), 2);
    }
}
