//! Property tests of the pricing module: tier boundaries are inclusive,
//! volume and tiered prices stay within the tier prices, tiered prices have no
//! jumps, a quote's lines add up to the charge, fees follow §5.3 to the cent,
//! and the day count gives back whole periods.

use bazaar_domain::catalog::{BillingMode, Specification, add_period, date_ms, example_draft};
use bazaar_domain::pricing::fees::{FeeBasis, UpgradeTerms};
use bazaar_domain::pricing::{
    Price, PricingModel, SubscriptionTerms, Tier, money, period_price, remaining,
    subscription_quote, upgrade_quote,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// 1–6 tiers with strictly increasing whole-number bounds and cent prices.
fn tiers() -> impl Strategy<Value = Vec<Tier>> {
    prop::collection::vec((1u32..40, 0i64..10_000), 1..6).prop_map(|steps| {
        let mut bound = 0u32;
        let n = steps.len();
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (step, cents))| {
                bound += step;
                Tier {
                    up_to: (i + 1 < n).then(|| Decimal::from(bound)),
                    unit_price: Decimal::new(cents, 2),
                }
            })
            .collect()
    })
}

fn max_price(t: &[Tier]) -> Decimal {
    t.iter().map(|t| t.unit_price).max().unwrap_or_default()
}

fn min_price(t: &[Tier]) -> Decimal {
    t.iter().map(|t| t.unit_price).min().unwrap_or_default()
}

fn price(model: PricingModel, t: &[Tier], q: Decimal) -> Decimal {
    period_price(model, &Price::Tiers(t.to_vec()), q).expect("priced")
}

fn spec_with(model: PricingModel, t: &[Tier]) -> Specification {
    let mut spec = example_draft(&"0".repeat(64))
        .spec("standard")
        .cloned()
        .expect("spec");
    spec.pricing_model = model;
    for sku in &mut spec.skus {
        sku.prices
            .insert(BillingMode::Monthly, Price::Tiers(t.to_vec()));
        sku.prices
            .insert(BillingMode::Yearly, Price::Tiers(t.to_vec()));
    }
    spec
}

proptest! {
    #[test]
    fn tier_boundaries_are_inclusive(t in tiers()) {
        for i in 0..t.len() - 1 {
            let b = t[i].up_to.expect("bounded");
            // The boundary itself is in tier i, the next unit in tier i + 1.
            prop_assert_eq!(price(PricingModel::Volume, &t, b), b * t[i].unit_price);
            prop_assert_eq!(
                price(PricingModel::Volume, &t, b + Decimal::ONE),
                (b + Decimal::ONE) * t[i + 1].unit_price
            );
            prop_assert_eq!(
                price(PricingModel::Tiered, &t, b + Decimal::ONE) - price(PricingModel::Tiered, &t, b),
                t[i + 1].unit_price
            );
        }
    }

    #[test]
    fn volume_and_tiered_stay_within_the_tier_prices(t in tiers(), q in 0u32..300) {
        let q = Decimal::from(q);
        for model in [PricingModel::Volume, PricingModel::Tiered] {
            let p = price(model, &t, q);
            prop_assert!(p <= q * max_price(&t), "{model:?} {p} above linear at the highest price");
            prop_assert!(p >= q * min_price(&t), "{model:?} {p} below linear at the lowest price");
        }
    }

    #[test]
    fn tiered_is_continuous_and_never_falls(t in tiers(), q in 0u32..30_000, delta in 1u32..=100) {
        // Quantities in hundredths, so steps straddle the boundaries.
        let q = Decimal::new(i64::from(q), 2);
        let delta = Decimal::new(i64::from(delta), 2);
        let step = price(PricingModel::Tiered, &t, q + delta) - price(PricingModel::Tiered, &t, q);
        prop_assert!(step >= Decimal::ZERO);
        prop_assert!(step <= delta * max_price(&t), "a jump of {step} over {delta}");
    }

    #[test]
    fn a_quote_adds_up_to_its_charge(
        t in tiers(),
        volume in any::<bool>(),
        q in 1u32..=100,
        periods in 1u32..=60,
        yearly in any::<bool>(),
    ) {
        let model = if volume { PricingModel::Volume } else { PricingModel::Tiered };
        let spec = spec_with(model, &t);
        let mode = if yearly { BillingMode::Yearly } else { BillingMode::Monthly };
        let terms = SubscriptionTerms {
            spec: &spec,
            sku: &spec.skus[0],
            mode,
            quantity: q,
            periods,
            trial_days: None,
        };
        let quote = subscription_quote("USD", &terms).expect("quote");
        let sum: Decimal = quote.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(quote.total, sum);
        for line in &quote.lines {
            prop_assert_eq!(line.amount, money(line.quantity * line.unit_price));
        }
        let exact = price(model, &t, Decimal::from(q)) * Decimal::from(periods);
        prop_assert_eq!(quote.total, money(exact));
    }

    #[test]
    fn upgrade_fees_follow_the_formula_to_the_cent(
        old in 0i64..100_000,
        extra in 1i64..100_000,
        start_day in 0i64..3_000,
        periods in 1u32..=24,
        elapsed_permille in 0i64..1_000,
        yearly in any::<bool>(),
    ) {
        let mode = if yearly { BillingMode::Yearly } else { BillingMode::Monthly };
        let start = date_ms(2023, 1, 1) + start_day * 86_400_000;
        let expires = add_period(start, mode, periods).expect("expiry");
        let now = start + (expires - start) * elapsed_permille / 1_000;
        let left = remaining(now, expires, mode).expect("left");
        let (old, new) = (Decimal::new(old, 2), Decimal::new(old + extra, 2));
        let terms = UpgradeTerms {
            from_label: "old".into(),
            to_label: "new".into(),
            mode,
            basis: FeeBasis::Difference { old, new },
            remaining: left,
            discount: Decimal::ONE,
        };
        let fee = upgrade_quote("USD", &terms, "test".into()).total;
        let exact = (new - old) * left.factor();
        prop_assert!(fee >= Decimal::ZERO);
        prop_assert!((fee - exact).abs() <= Decimal::new(2, 2), "fee {fee} vs exact {exact}");
        prop_assert!(left.factor() <= Decimal::from(periods));
    }

    #[test]
    fn a_new_subscription_has_exactly_its_periods_left(
        year in 1990i64..2100,
        month in 1u32..=12,
        day in 1u32..=28,
        periods in 1u32..=60,
        yearly in any::<bool>(),
    ) {
        let mode = if yearly { BillingMode::Yearly } else { BillingMode::Monthly };
        let start = date_ms(year, month, day);
        let expires = add_period(start, mode, periods).expect("expiry");
        let left = remaining(start, expires, mode).expect("left");
        prop_assert_eq!((left.whole_periods, left.days), (periods, 0));
    }
}
