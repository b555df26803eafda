//! A realistic, valid product draft shared by documentation and tests.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{
    BillingMode, EnumAttribute, ProductDraft, PurchaseLimit, QuantityAttribute, Sku, Specification,
    Trial,
};
use crate::price_model::PricingModel;

/// A valid two-specification example used by docs and tests.
///
/// * `standard`: monthly and yearly, enumeration attribute `edition` (`basic`, `pro`),
///   quantity attribute `users` 1–100 in steps of 1 (prices are per user), 7-day trial.
/// * `enterprise`: yearly only, enumeration attribute `support` (`business-hours`,
///   `24x7`), once per customer, upgradable.
///
/// `lifecycle_sha` becomes the lifecycle plugin hash; it must be 64 lowercase hex digits
/// for the draft to validate.
pub fn example_draft(lifecycle_sha: &str) -> ProductDraft {
    ProductDraft {
        name: "Acme Helpdesk".into(),
        version: "V2.1.0".into(),
        description: "Ticketing, live chat and a knowledge base for support teams.".into(),
        highlights: vec![
            "Omnichannel inbox for email, chat and web forms".into(),
            "SLA timers with escalation rules".into(),
        ],
        supervised: false,
        lifecycle_plugin: lifecycle_sha.into(),
        metering_plugin: None,
        specifications: vec![standard(), enterprise()],
        plugin_config: Default::default(),
        plugin_config_secrets: Default::default(),
        overview: String::new(),
        categories: Vec::new(),
        support: String::new(),
        customer_cases: Vec::new(),
        logo: None,
        eula: None,
        currency: "USD".into(),
    }
}

fn standard() -> Specification {
    Specification {
        id: "standard".into(),
        name: "Standard".into(),
        billing_modes: vec![BillingMode::Monthly, BillingMode::Yearly],
        attributes: vec![EnumAttribute {
            name: "edition".into(),
            values: vec!["basic".into(), "pro".into()],
        }],
        quantity: Some(QuantityAttribute {
            name: "users".into(),
            unit: "users".into(),
            min: 1,
            max: 100,
            step: 1,
        }),
        skus: vec![
            sku(
                "basic",
                "edition",
                "basic",
                &[(BillingMode::Monthly, 999), (BillingMode::Yearly, 9990)],
            ),
            sku(
                "pro",
                "edition",
                "pro",
                &[(BillingMode::Monthly, 1999), (BillingMode::Yearly, 19990)],
            ),
        ],
        trial: Some(Trial { days: 7 }),
        purchase_limit: None,
        trial_allow_list: Vec::new(),
        upgradable: false,
        pricing_model: PricingModel::Linear,
        pricing_plugin: None,
        billing_cycle: None,
        accumulation_cycle: None,
        packages: Vec::new(),
    }
}

fn enterprise() -> Specification {
    Specification {
        id: "enterprise".into(),
        name: "Enterprise".into(),
        billing_modes: vec![BillingMode::Yearly],
        attributes: vec![EnumAttribute {
            name: "support".into(),
            values: vec!["business-hours".into(), "24x7".into()],
        }],
        quantity: None,
        skus: vec![
            sku(
                "business-hours",
                "support",
                "business-hours",
                &[(BillingMode::Yearly, 499_900)],
            ),
            sku(
                "around-the-clock",
                "support",
                "24x7",
                &[(BillingMode::Yearly, 799_900)],
            ),
        ],
        trial: None,
        purchase_limit: Some(PurchaseLimit {
            once_per_customer: true,
            max_quantity: None,
        }),
        trial_allow_list: Vec::new(),
        upgradable: true,
        pricing_model: PricingModel::Linear,
        pricing_plugin: None,
        billing_cycle: None,
        accumulation_cycle: None,
        packages: Vec::new(),
    }
}

/// A SKU with one attribute value and prices given in cents.
fn sku(id: &str, attribute: &str, value: &str, cents: &[(BillingMode, i64)]) -> Sku {
    Sku {
        id: id.into(),
        values: BTreeMap::from([(attribute.into(), value.into())]),
        prices: cents
            .iter()
            .map(|&(mode, c)| (mode, Decimal::new(c, 2).into()))
            .collect(),
    }
}

/// Test support: the example draft after `mutate`, and the field paths validation reports.
#[cfg(test)]
pub(super) fn error_paths(mutate: impl FnOnce(&mut ProductDraft)) -> Vec<String> {
    let mut draft = example_draft(TEST_SHA);
    mutate(&mut draft);
    match super::validate(&draft) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
    }
}

/// Test support: asserts that validation of the mutated example reports `path`.
#[cfg(test)]
#[track_caller]
pub(super) fn assert_error_at(path: &str, mutate: impl FnOnce(&mut ProductDraft)) {
    let paths = error_paths(mutate);
    assert!(
        paths.iter().any(|p| p == path),
        "expected an error at {path}, got {paths:?}"
    );
}

/// Test support: switches the example's enterprise specification to pay-per-use, leaving
/// it valid apart from the product's missing metering plugin.
#[cfg(test)]
pub(super) fn pay_per_use(d: &mut ProductDraft) {
    let spec = &mut d.specifications[1];
    spec.billing_modes = vec![BillingMode::PayPerUse];
    spec.upgradable = false;
    spec.purchase_limit = None;
    for sku in &mut spec.skus {
        let price = sku
            .prices
            .remove(&BillingMode::Yearly)
            .expect("yearly price");
        sku.prices.insert(BillingMode::PayPerUse, price);
    }
}

/// A well-formed plugin hash for tests.
#[cfg(test)]
pub(super) const TEST_SHA: &str =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_is_valid() {
        assert_eq!(super::super::validate(&example_draft(TEST_SHA)), Ok(()));
    }

    #[test]
    fn example_round_trips_through_kebab_case_json() {
        let draft = example_draft(TEST_SHA);
        let json = serde_json::to_value(&draft).expect("serialize");
        assert_eq!(json["lifecycle-plugin"], TEST_SHA);
        assert_eq!(json["specifications"][0]["billing-modes"][1], "yearly");
        assert_eq!(
            json["specifications"][0]["skus"][0]["prices"]["monthly"],
            "9.99"
        );
        assert_eq!(
            json["specifications"][1]["purchase-limit"]["once-per-customer"],
            true
        );
        let back: ProductDraft = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, draft);
    }

    #[test]
    fn seller_json_with_defaults_parses_and_unknown_fields_are_rejected() {
        let json = serde_json::json!({
            "name": "Tiny", "version": "V1.0", "description": "", "supervised": false,
            "lifecycle-plugin": TEST_SHA,
            "specifications": [{
                "id": "test", "name": "Test", "billing-modes": ["monthly"],
                "skus": [{"id": "test", "prices": {"monthly": "0"}}]
            }]
        });
        let draft: ProductDraft = serde_json::from_value(json.clone()).expect("parse");
        assert_eq!(super::super::validate(&draft), Ok(()));

        let mut extra = json;
        extra["specifications"][0]["colour"] = "red".into();
        assert!(serde_json::from_value::<ProductDraft>(extra).is_err());
    }
}
