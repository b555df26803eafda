//! `tiered-pricing`: a custom pricing plugin (world `pricing-plugin`) with
//! graduated tiers: each unit is priced by the tier it falls in, like income
//! tax brackets.
//!
//! Tiers come from the config key `tiers` (syntax in `tiers.rs`), by default
//! `0-3:0.30,3-:0.20`, so 8 units cost 3 × 0.30 + 5 × 0.20 = 1.90 per period.
//! Monthly and yearly requests multiply by `period-count` (which must then be
//! at least 1); one-time and pay-per-use requests ignore it. A trial is quoted
//! at zero. Every line's amount is rounded half-even to 2 places and the total
//! is the sum of the lines.

mod tiers;

use bazaar_sdk::rust_decimal::RoundingStrategy;
use bazaar_sdk::{Decimal, PluginError, Pricing, Quote, QuoteLine, QuoteRequest, config, log};

use crate::tiers::Tier;

/// Money is quoted to the cent.
const MONEY_SCALE: u32 = 2;

struct TieredPricing;

impl Pricing for TieredPricing {
    fn quote(request: QuoteRequest) -> Result<Quote, PluginError> {
        log::info(format!(
            "quote {} x {} ({}, {} periods, trial {})",
            request.sku_code,
            request.quantity,
            request.billing_mode.as_str(),
            request.period_count,
            request.trial
        ));
        let configured = config::get("tiers");
        let tiers = tiers::parse(configured.as_deref().unwrap_or(tiers::DEFAULT_TIERS))
            .map_err(|e| PluginError::refused(format!("misconfigured config.tiers: {e}")))?;
        price(&request, &tiers)
    }
}

bazaar_sdk::register_pricing!(TieredPricing);

/// Prices `request` with `tiers`, without touching the host.
fn price(request: &QuoteRequest, tiers: &[Tier]) -> Result<Quote, PluginError> {
    let quantity = request.quantity;
    if quantity < Decimal::ZERO {
        return Err(PluginError::invalid_input(
            "request.quantity",
            "must not be negative",
        ));
    }
    if quantity.normalize().scale() > MONEY_SCALE {
        return Err(PluginError::invalid_input(
            "request.quantity",
            "must have at most 2 decimal places",
        ));
    }
    if request.trial {
        return Ok(with_money_total(Quote::from_lines(
            request.currency.clone(),
            vec![QuoteLine {
                item: "trial".to_owned(),
                quantity,
                unit_price: money(Decimal::ZERO),
                amount: money(Decimal::ZERO),
            }],
        )));
    }
    let (periods, period_label) = if request.billing_mode.is_periodic() {
        if request.period_count == 0 {
            return Err(PluginError::invalid_input(
                "request.period-count",
                format!(
                    "a {} purchase needs at least 1 period",
                    request.billing_mode.as_str()
                ),
            ));
        }
        let unit = if request.billing_mode == bazaar_sdk::BillingMode::Monthly {
            "month"
        } else {
            "year"
        };
        let plural = if request.period_count == 1 { "" } else { "s" };
        (
            Decimal::from(request.period_count),
            format!(" for {} {unit}{plural}", request.period_count),
        )
    } else {
        (Decimal::ONE, String::new())
    };

    let lines = tiers
        .iter()
        .filter_map(|tier| {
            let units = tier.units_of(quantity);
            (units > Decimal::ZERO).then(|| {
                let line_quantity = units * periods;
                QuoteLine {
                    item: format!("units {}{period_label}", tier.range_label()),
                    quantity: line_quantity,
                    unit_price: tier.unit_price,
                    amount: money(line_quantity * tier.unit_price),
                }
            })
        })
        .collect();
    Ok(with_money_total(Quote::from_lines(
        request.currency.clone(),
        lines,
    )))
}

/// Rounds half-even to cents and always shows two places (`1.9` → `1.90`).
fn money(value: Decimal) -> Decimal {
    let mut rounded =
        value.round_dp_with_strategy(MONEY_SCALE, RoundingStrategy::MidpointNearestEven);
    rounded.rescale(MONEY_SCALE);
    rounded
}

/// An empty quote's total would otherwise render as `0`.
fn with_money_total(mut quote: Quote) -> Quote {
    quote.total = money(quote.total);
    quote
}

#[cfg(test)]
mod tests {
    use super::*;
    use bazaar_sdk::{BillingMode, decimal};

    fn d(text: &str) -> Decimal {
        decimal::parse("test", text).unwrap()
    }

    fn request(quantity: &str, mode: BillingMode, periods: u32) -> QuoteRequest {
        QuoteRequest {
            product_id: "p".into(),
            sku_code: "s".into(),
            billing_mode: mode,
            attributes: vec![],
            quantity: d(quantity),
            period_count: periods,
            trial: false,
            currency: "CNY".into(),
        }
    }

    fn default_tiers() -> Vec<Tier> {
        tiers::parse(tiers::DEFAULT_TIERS).unwrap()
    }

    fn total(quantity: &str, mode: BillingMode, periods: u32) -> String {
        let quote = price(&request(quantity, mode, periods), &default_tiers()).unwrap();
        assert_eq!(
            quote.total,
            quote.lines.iter().map(|l| l.amount).sum::<Decimal>()
        );
        decimal::format(quote.total)
    }

    #[test]
    fn graduates_across_tiers() {
        let quote = price(&request("8", BillingMode::OneTime, 0), &default_tiers()).unwrap();
        let lines: Vec<_> = quote
            .lines
            .iter()
            .map(|l| {
                (
                    l.item.as_str(),
                    decimal::format(l.quantity),
                    decimal::format(l.unit_price),
                    decimal::format(l.amount),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("units 0-3", "3".into(), "0.30".into(), "0.90".into()),
                ("units 3+", "5".into(), "0.20".into(), "1.00".into()),
            ]
        );
        assert_eq!(decimal::format(quote.total), "1.90");
        assert_eq!(quote.currency, "CNY");
    }

    #[test]
    fn multiplies_by_periods_only_when_periodic() {
        assert_eq!(total("8", BillingMode::Monthly, 1), "1.90");
        assert_eq!(total("8", BillingMode::Yearly, 3), "5.70");
        assert_eq!(total("8", BillingMode::PayPerUse, 0), "1.90");
        assert_eq!(total("2", BillingMode::Monthly, 2), "1.20");
        assert_eq!(total("0", BillingMode::Monthly, 2), "0.00");
    }

    #[test]
    fn rounds_half_even_to_cents() {
        // 0.05 x 0.30 = 0.015 -> 0.02; 0.25 x 0.30 = 0.075 -> 0.08; 0.15 x 0.30 = 0.045 -> 0.04.
        assert_eq!(total("0.05", BillingMode::OneTime, 0), "0.02");
        assert_eq!(total("0.25", BillingMode::OneTime, 0), "0.08");
        assert_eq!(total("0.15", BillingMode::OneTime, 0), "0.04");
    }

    #[test]
    fn quotes_trials_at_zero() {
        let mut r = request("8", BillingMode::Monthly, 1);
        r.trial = true;
        let quote = price(&r, &default_tiers()).unwrap();
        assert_eq!(decimal::format(quote.total), "0.00");
        assert_eq!(quote.lines.len(), 1);
        assert_eq!(decimal::format(quote.lines[0].amount), "0.00");
    }

    #[test]
    fn rejects_bad_quantities_and_periods() {
        for (quantity, mode, periods, field) in [
            ("-1", BillingMode::OneTime, 0, "request.quantity"),
            ("1.005", BillingMode::OneTime, 0, "request.quantity"),
            ("1", BillingMode::Monthly, 0, "request.period-count"),
        ] {
            let error = price(&request(quantity, mode, periods), &default_tiers()).unwrap_err();
            assert!(
                matches!(&error, PluginError::InvalidInput { field: f, .. } if f == field),
                "{quantity}: {error:?}"
            );
        }
        // Trailing zeros are not extra precision.
        assert_eq!(total("1.500", BillingMode::OneTime, 0), "0.45");
    }
}
