//! Rules of one specification: id and name, billing modes, trial, purchase limit and
//! upgradability. Attribute and SKU rules are delegated to `skus`.

use super::errors::{Errors, NAME_MAX, is_slug};
use super::{BillingMode, Specification, skus};

const TRIAL_DAYS: std::ops::RangeInclusive<u32> = 3..=180;

/// Checks the specification at JSON path `p`.
pub(super) fn check_spec(p: &str, spec: &Specification, e: &mut Errors) {
    if !is_slug(&spec.id) {
        e.at(
            format!("{p}.id"),
            "must be 1-40 characters of a-z, 0-9 and -",
        );
    }
    e.text(format!("{p}.name"), &spec.name, NAME_MAX);

    let modes = &spec.billing_modes;
    if modes.is_empty() {
        e.at(
            format!("{p}.billing-modes"),
            "at least one billing mode is required",
        );
    }
    e.duplicates(
        modes
            .iter()
            .enumerate()
            .map(|(j, m)| (format!("{p}.billing-modes[{j}]"), *m)),
        "billing mode",
    );
    let pay_per_use = modes.contains(&BillingMode::PayPerUse);
    if pay_per_use && modes.iter().any(|m| *m != BillingMode::PayPerUse) {
        e.at(
            format!("{p}.billing-modes"),
            "pay-per-use cannot be combined with other billing modes",
        );
    }
    let periodic = modes.iter().any(|m| m.is_periodic());
    check_packages(p, spec, pay_per_use, e);
    if spec.accumulation_cycle.is_some()
        && !(pay_per_use && spec.pricing_model == crate::price_model::PricingModel::Tiered)
    {
        e.at(
            format!("{p}.accumulation-cycle"),
            "only tiered pay-per-use prices accumulate",
        );
    }
    if spec.billing_cycle.is_some() && !pay_per_use {
        e.at(
            format!("{p}.billing-cycle"),
            "only pay-per-use specifications have a billing cycle",
        );
    }

    skus::check_attributes(p, spec, e);
    skus::check_quantity(p, spec, e);
    skus::check_skus(p, spec, e);

    // §11.20: trials are for yearly/monthly specifications only.
    if let Some(trial) = &spec.trial {
        if !periodic {
            e.at(
                format!("{p}.trial"),
                "a trial needs monthly or yearly billing",
            );
        }
        if !TRIAL_DAYS.contains(&trial.days) {
            e.at(
                format!("{p}.trial.days"),
                format!(
                    "must be {} to {} days",
                    TRIAL_DAYS.start(),
                    TRIAL_DAYS.end()
                ),
            );
        }
    } else if !spec.trial_allow_list.is_empty() {
        e.at(
            format!("{p}.trial-allow-list"),
            "only allowed when a trial is offered",
        );
    }
    for (k, customer) in spec.trial_allow_list.iter().enumerate() {
        if customer.trim().is_empty() {
            e.at(format!("{p}.trial-allow-list[{k}]"), "must not be blank");
        }
    }
    e.duplicates(
        spec.trial_allow_list
            .iter()
            .enumerate()
            .map(|(k, c)| (format!("{p}.trial-allow-list[{k}]"), c.as_str())),
        "customer id",
    );

    if let Some(limit) = &spec.purchase_limit {
        // §7.2.1: purchase limits apply only to non-pay-per-use specifications.
        if pay_per_use {
            e.at(
                format!("{p}.purchase-limit"),
                "purchase limits do not apply to pay-per-use",
            );
        }
        match (limit.max_quantity, &spec.quantity) {
            (Some(0), _) => e.at(
                format!("{p}.purchase-limit.max-quantity"),
                "must be at least 1",
            ),
            (Some(max), Some(q)) if max < q.min || max > q.max => e.at(
                format!("{p}.purchase-limit.max-quantity"),
                format!("must be within the quantity range {} to {}", q.min, q.max),
            ),
            _ => {}
        }
    }

    // §5.3: only yearly/monthly SKUs can be upgraded.
    if spec.upgradable && !periodic {
        e.at(
            format!("{p}.upgradable"),
            "upgrades need monthly or yearly billing",
        );
    }
}

/// Package offers: pay-per-use only, at most ten, unique slugs, a SKU of the
/// specification as billing item, a positive quota, a monthly or yearly
/// period and a price in cents.
fn check_packages(p: &str, spec: &Specification, pay_per_use: bool, e: &mut Errors) {
    if spec.packages.is_empty() {
        return;
    }
    if !pay_per_use {
        e.at(
            format!("{p}.packages"),
            "only pay-per-use specifications offer packages",
        );
    }
    if spec.packages.len() > 10 {
        e.at(format!("{p}.packages"), "at most 10 packages");
    }
    e.duplicates(
        spec.packages
            .iter()
            .enumerate()
            .map(|(k, o)| (format!("{p}.packages[{k}].id"), o.id.as_str())),
        "package id",
    );
    for (k, o) in spec.packages.iter().enumerate() {
        let at = format!("{p}.packages[{k}]");
        if !is_slug(&o.id) {
            e.at(
                format!("{at}.id"),
                "must be 1-40 characters of a-z, 0-9 and -",
            );
        }
        e.text(format!("{at}.name"), &o.name, NAME_MAX);
        if spec.sku(&o.billing_item).is_none() {
            e.at(
                format!("{at}.billing-item"),
                "must be a SKU of this specification",
            );
        }
        if o.quota <= rust_decimal::Decimal::ZERO {
            e.at(format!("{at}.quota"), "must be positive");
        }
        if !o.period.is_periodic() {
            e.at(format!("{at}.period"), "must be monthly or yearly");
        }
        if o.price.is_sign_negative() || !crate::money::is_cents(o.price) {
            e.at(format!("{at}.price"), "a non-negative amount in cents");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::example::{TEST_SHA, assert_error_at, error_paths, pay_per_use};
    use super::super::{PurchaseLimit, Trial};
    use super::*;
    use rust_decimal::Decimal;

    const S0: &str = "specifications[0]";

    #[test]
    fn billing_modes() {
        assert_error_at("specifications[1].billing-modes", |d| {
            d.specifications[1].billing_modes.clear();
            d.specifications[1]
                .skus
                .iter_mut()
                .for_each(|s| s.prices.clear());
        });
        assert_error_at("specifications[0].billing-modes[2]", |d| {
            d.specifications[0].billing_modes.push(BillingMode::Monthly);
        });
        assert_error_at("specifications[0].billing-modes", |d| {
            d.metering_plugin = Some(TEST_SHA.into());
            d.specifications[0]
                .billing_modes
                .push(BillingMode::PayPerUse);
        });
    }

    #[test]
    fn trial_rules() {
        assert_error_at("specifications[0].trial.days", |d| {
            d.specifications[0].trial = Some(Trial { days: 2 });
        });
        assert_error_at("specifications[0].trial.days", |d| {
            d.specifications[0].trial = Some(Trial { days: 181 });
        });
        for days in [3, 180] {
            assert!(error_paths(|d| d.specifications[0].trial = Some(Trial { days })).is_empty());
        }
        assert_error_at("specifications[1].trial", |d| {
            d.metering_plugin = Some(TEST_SHA.into());
            pay_per_use(d);
            d.specifications[1].trial = Some(Trial { days: 7 });
        });
        assert_error_at("specifications[0].trial", |d| {
            let spec = &mut d.specifications[0];
            spec.billing_modes = vec![BillingMode::OneTime];
            for sku in &mut spec.skus {
                sku.prices = [(BillingMode::OneTime, Decimal::from(100).into())].into();
            }
        });
    }

    #[test]
    fn trial_allow_list() {
        assert_error_at("specifications[1].trial-allow-list", |d| {
            d.specifications[1].trial_allow_list = vec!["cust-1".into()];
        });
        assert_error_at("specifications[0].trial-allow-list[1]", |d| {
            d.specifications[0].trial_allow_list = vec!["cust-1".into(), "cust-1".into()];
        });
        assert_error_at("specifications[0].trial-allow-list[0]", |d| {
            d.specifications[0].trial_allow_list = vec![String::new()];
        });
    }

    #[test]
    fn purchase_limit() {
        let limit = |max| {
            Some(PurchaseLimit {
                once_per_customer: false,
                max_quantity: Some(max),
            })
        };
        let at = format!("{S0}.purchase-limit.max-quantity");
        assert_error_at(&at, |d| d.specifications[0].purchase_limit = limit(0));
        assert_error_at(&at, |d| d.specifications[0].purchase_limit = limit(101));
        assert!(error_paths(|d| d.specifications[0].purchase_limit = limit(100)).is_empty());
        assert_error_at(&at, |d| {
            d.specifications[0].quantity.as_mut().expect("quantity").min = 5;
            d.specifications[0].purchase_limit = limit(4);
        });
        assert_error_at("specifications[1].purchase-limit", |d| {
            pay_per_use(d);
            d.metering_plugin = Some(TEST_SHA.into());
            d.specifications[1].purchase_limit = limit(1);
        });
    }

    #[test]
    fn upgradable_needs_periodic_billing() {
        assert_error_at("specifications[1].upgradable", |d| {
            d.metering_plugin = Some(TEST_SHA.into());
            pay_per_use(d);
            d.specifications[1].upgradable = true;
        });
    }

    #[test]
    fn zero_priced_test_specification_is_allowed() {
        assert!(
            error_paths(|d| {
                for sku in &mut d.specifications[0].skus {
                    sku.prices
                        .values_mut()
                        .for_each(|p| *p = Decimal::ZERO.into());
                }
                d.specifications[0].trial = Some(Trial { days: 3 });
            })
            .is_empty()
        );
    }
}
