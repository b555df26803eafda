//! Attribute, quantity and SKU rules of a specification (seller guide §3.8, §5.9).

use std::collections::{BTreeMap, BTreeSet};

use super::errors::{Errors, is_slug};
use super::{BillingMode, Specification};
use crate::price_model::price_problems;

const ATTRIBUTES_MAX: usize = 5;
const VALUES_MAX: usize = 10;
const SKUS_MAX: usize = 100;
/// Sane caps; the guide gives none for attribute texts.
const ATTRIBUTE_TEXT_MAX: usize = 64;
const UNIT_MAX: usize = 32;

/// §5.9: custom attributes may not reuse the names of KooGallery's preset attributes.
const RESERVED_NAMES: [&str; 4] = ["appName", "version", "os", "mode"];

/// Enumeration attributes: at most five, unique unreserved names, 1–10 distinct values
/// each, and at most 100 value combinations.
pub(super) fn check_attributes(p: &str, spec: &Specification, e: &mut Errors) {
    let attrs = &spec.attributes;
    if attrs.len() > ATTRIBUTES_MAX {
        e.at(
            format!("{p}.attributes"),
            format!("at most {ATTRIBUTES_MAX} enumeration attributes"),
        );
    }
    for (k, attr) in attrs.iter().enumerate() {
        let ap = format!("{p}.attributes[{k}]");
        check_attribute_name(format!("{ap}.name"), &attr.name, e);
        if attr.values.is_empty() || attr.values.len() > VALUES_MAX {
            e.at(
                format!("{ap}.values"),
                format!("must have 1 to {VALUES_MAX} values"),
            );
        }
        for (v, value) in attr.values.iter().enumerate() {
            e.text(format!("{ap}.values[{v}]"), value, ATTRIBUTE_TEXT_MAX);
        }
        e.duplicates(
            attr.values
                .iter()
                .enumerate()
                .map(|(v, x)| (format!("{ap}.values[{v}]"), x.as_str())),
            "value",
        );
    }
    e.duplicates(
        attrs
            .iter()
            .enumerate()
            .map(|(k, a)| (format!("{p}.attributes[{k}].name"), a.name.as_str())),
        "attribute name",
    );
    // §3.8: the product of the value counts may not exceed the SKU maximum.
    let combinations = attrs
        .iter()
        .fold(1usize, |acc, a| acc.saturating_mul(a.values.len().max(1)));
    if combinations > SKUS_MAX {
        e.at(
            format!("{p}.attributes"),
            format!("{combinations} value combinations exceed the maximum of {SKUS_MAX} SKUs"),
        );
    }
}

/// The quantity attribute: a free, unreserved name, 1 ≤ min ≤ max, step ≥ 1 landing on max.
pub(super) fn check_quantity(p: &str, spec: &Specification, e: &mut Errors) {
    let Some(q) = &spec.quantity else { return };
    let qp = format!("{p}.quantity");
    check_attribute_name(format!("{qp}.name"), &q.name, e);
    if spec.attributes.iter().any(|a| a.name == q.name) {
        e.at(
            format!("{qp}.name"),
            "must differ from the enumeration attribute names",
        );
    }
    if q.unit.chars().count() > UNIT_MAX {
        e.at(
            format!("{qp}.unit"),
            format!("must be at most {UNIT_MAX} characters"),
        );
    }
    if q.min < 1 {
        e.at(format!("{qp}.min"), "must be at least 1");
    }
    if q.max < q.min {
        e.at(format!("{qp}.max"), "must not be less than min");
    }
    if q.step < 1 {
        e.at(format!("{qp}.step"), "must be at least 1");
    } else if q.max >= q.min && !(q.max - q.min).is_multiple_of(q.step) {
        e.at(format!("{qp}.step"), "max - min must be a multiple of step");
    }
}

fn check_attribute_name(field: String, name: &str, e: &mut Errors) {
    if RESERVED_NAMES.contains(&name) {
        e.at(field, format!("{name} is a reserved attribute name"));
    } else {
        e.text(field, name, ATTRIBUTE_TEXT_MAX);
    }
}

/// SKUs: 1–100 with unique ids, each naming one value of every enumeration attribute, no
/// two alike, priced in exactly the specification's billing modes.
pub(super) fn check_skus(p: &str, spec: &Specification, e: &mut Errors) {
    if spec.skus.is_empty() || spec.skus.len() > SKUS_MAX {
        e.at(
            format!("{p}.skus"),
            format!("must have 1 to {SKUS_MAX} SKUs"),
        );
    }
    e.duplicates(
        spec.skus
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{p}.skus[{i}].id"), s.id.as_str())),
        "SKU id",
    );
    e.duplicates(
        spec.skus
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{p}.skus[{i}].values"), &s.values)),
        "attribute values",
    );
    let attrs: BTreeMap<&str, &[String]> = spec
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.values.as_slice()))
        .collect();
    let modes: BTreeSet<BillingMode> = spec.billing_modes.iter().copied().collect();

    for (i, sku) in spec.skus.iter().enumerate() {
        let sp = format!("{p}.skus[{i}]");
        if !is_slug(&sku.id) {
            e.at(
                format!("{sp}.id"),
                "must be 1-40 characters of a-z, 0-9 and -",
            );
        }
        for name in attrs.keys().filter(|n| !sku.values.contains_key(**n)) {
            e.at(
                format!("{sp}.values"),
                format!("missing a value for attribute {name}"),
            );
        }
        for (name, value) in &sku.values {
            match attrs.get(name.as_str()) {
                None => e.at(
                    format!("{sp}.values.{name}"),
                    "no such enumeration attribute",
                ),
                Some(allowed) if !allowed.contains(value) => e.at(
                    format!("{sp}.values.{name}"),
                    format!("{value} is not a value of attribute {name}"),
                ),
                Some(_) => {}
            }
        }
        for mode in modes.iter().filter(|m| !sku.prices.contains_key(m)) {
            e.at(
                format!("{sp}.prices.{mode}"),
                "missing price for this billing mode",
            );
        }
        for (mode, price) in &sku.prices {
            let field = format!("{sp}.prices.{mode}");
            if !modes.contains(mode) {
                e.at(field, "the specification is not sold in this billing mode");
                continue;
            }
            for (at, message) in price_problems(spec.pricing_model, price) {
                e.at(format!("{field}{at}"), message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::super::EnumAttribute;
    use super::super::example::{assert_error_at, error_paths};
    use super::*;

    const S0: &str = "specifications[0]";

    fn attr(name: &str, n: usize) -> EnumAttribute {
        EnumAttribute {
            name: name.into(),
            values: (0..n).map(|v| format!("v{v}")).collect(),
        }
    }

    #[test]
    fn attribute_limits() {
        let at = format!("{S0}.attributes");
        assert_error_at(&at, |d| {
            d.specifications[0]
                .attributes
                .extend((0..5).map(|k| attr(&format!("a{k}"), 1)));
        });
        assert_error_at(&format!("{at}[1].values"), |d| {
            d.specifications[0].attributes.push(attr("region", 0));
        });
        assert_error_at(&format!("{at}[1].values"), |d| {
            d.specifications[0].attributes.push(attr("region", 11));
        });
        // 2 × 10 × 6 = 120 combinations.
        assert_error_at(&at, |d| {
            d.specifications[0].attributes.push(attr("region", 10));
            d.specifications[0].attributes.push(attr("tier", 6));
        });
    }

    #[test]
    fn attribute_names_and_values() {
        let at = format!("{S0}.attributes[0]");
        assert_error_at(&format!("{at}.name"), |d| {
            d.specifications[0].attributes[0].name = "os".into()
        });
        assert_error_at(&format!("{at}.name"), |d| {
            d.specifications[0].attributes[0].name = " ".into()
        });
        assert_error_at(&format!("{S0}.attributes[1].name"), |d| {
            d.specifications[0].attributes.push(attr("edition", 1));
        });
        assert_error_at(&format!("{at}.values[1]"), |d| {
            d.specifications[0].attributes[0].values[1] = "basic".into();
        });
        assert_error_at(&format!("{at}.values[2]"), |d| {
            d.specifications[0].attributes[0].values.push(String::new());
        });
    }

    #[test]
    fn quantity_attribute() {
        let q = format!("{S0}.quantity");
        let set = |f: fn(&mut super::super::QuantityAttribute)| {
            move |d: &mut super::super::ProductDraft| {
                f(d.specifications[0].quantity.as_mut().expect("q"))
            }
        };
        assert_error_at(&format!("{q}.min"), set(|q| q.min = 0));
        assert_error_at(&format!("{q}.max"), set(|q| q.max = 0));
        assert_error_at(&format!("{q}.step"), set(|q| q.step = 0));
        assert_error_at(&format!("{q}.step"), set(|q| q.step = 7));
        assert!(error_paths(set(|q| q.step = 9)).is_empty());
        assert_error_at(&format!("{q}.name"), set(|q| q.name = "edition".into()));
        assert_error_at(&format!("{q}.name"), set(|q| q.name = "mode".into()));
        assert_error_at(&format!("{q}.unit"), set(|q| q.unit = "u".repeat(33)));
    }

    #[test]
    fn sku_count_and_ids() {
        assert_error_at(&format!("{S0}.skus"), |d| d.specifications[0].skus.clear());
        assert_error_at(&format!("{S0}.skus[1].id"), |d| {
            d.specifications[0].skus[1].id = "basic".into()
        });
        assert_error_at(&format!("{S0}.skus[0].id"), |d| {
            d.specifications[0].skus[0].id = "Basic".into()
        });
        assert_error_at(&format!("{S0}.skus"), |d| {
            let spec = &mut d.specifications[0];
            spec.attributes = vec![attr("a", 10), attr("b", 10), attr("c", 2)];
            let template = spec.skus[0].clone();
            spec.skus = (0..101)
                .map(|n| super::super::Sku {
                    id: format!("sku-{n}"),
                    values: [
                        ("a".into(), format!("v{}", n % 10)),
                        ("b".into(), format!("v{}", n / 10 % 10)),
                        ("c".into(), format!("v{}", n / 100)),
                    ]
                    .into(),
                    ..template.clone()
                })
                .collect();
        });
    }

    #[test]
    fn sku_values() {
        assert_error_at(&format!("{S0}.skus[0].values"), |d| {
            d.specifications[0].skus[0].values.clear()
        });
        assert_error_at(&format!("{S0}.skus[0].values.colour"), |d| {
            d.specifications[0].skus[0]
                .values
                .insert("colour".into(), "red".into());
        });
        assert_error_at(&format!("{S0}.skus[0].values.edition"), |d| {
            d.specifications[0].skus[0]
                .values
                .insert("edition".into(), "gold".into());
        });
        assert_error_at(&format!("{S0}.skus[1].values"), |d| {
            d.specifications[0].skus[1].values = d.specifications[0].skus[0].values.clone();
        });
    }

    #[test]
    fn sku_prices() {
        let p = format!("{S0}.skus[1].prices");
        assert_error_at(&format!("{p}.monthly"), |d| {
            d.specifications[0].skus[1]
                .prices
                .remove(&BillingMode::Monthly);
        });
        assert_error_at(&format!("{p}.one-time"), |d| {
            d.specifications[0].skus[1]
                .prices
                .insert(BillingMode::OneTime, Decimal::from(5).into());
        });
        assert_error_at(&format!("{p}.yearly"), |d| {
            d.specifications[0].skus[1]
                .prices
                .insert(BillingMode::Yearly, Decimal::new(-1, 2).into());
        });
        assert_error_at(&format!("{p}.yearly"), |d| {
            d.specifications[0].skus[1]
                .prices
                .insert(BillingMode::Yearly, Decimal::new(10_001, 3).into());
        });
        // Trailing zeros beyond two places do not make a price more precise.
        assert!(
            error_paths(|d| {
                d.specifications[0].skus[1]
                    .prices
                    .insert(BillingMode::Yearly, Decimal::new(10_000, 3).into());
            })
            .is_empty()
        );
    }

    fn tiers(spec: &str) -> crate::price_model::Price {
        serde_json::from_str(spec).expect("tiers")
    }

    #[test]
    fn tier_prices() {
        use crate::price_model::PricingModel;
        let p = format!("{S0}.skus[0].prices.monthly");
        let set = |model, json: &'static str| {
            move |d: &mut super::super::ProductDraft| {
                d.specifications[0].pricing_model = model;
                for sku in &mut d.specifications[0].skus {
                    sku.prices.insert(BillingMode::Monthly, tiers(json));
                }
            }
        };
        let good = r#"[{"up-to": "10", "unit-price": "9.99"}, {"unit-price": "8.99"}]"#;
        assert!(error_paths(set(PricingModel::Tiered, good)).is_empty());
        assert!(error_paths(set(PricingModel::Volume, good)).is_empty());
        assert_error_at(&p, set(PricingModel::Linear, good));
        assert_error_at(&p, set(PricingModel::Tiered, "[]"));
        assert_error_at(
            &format!("{p}[1].up-to"),
            set(
                PricingModel::Tiered,
                r#"[{"up-to": "10", "unit-price": "1"}, {"up-to": "10", "unit-price": "1"}, {"unit-price": "1"}]"#,
            ),
        );
        assert_error_at(
            &format!("{p}[1].up-to"),
            set(
                PricingModel::Tiered,
                r#"[{"up-to": "10", "unit-price": "1"}, {"up-to": "20", "unit-price": "1"}]"#,
            ),
        );
        assert_error_at(
            &format!("{p}[0].up-to"),
            set(
                PricingModel::Volume,
                r#"[{"unit-price": "1"}, {"unit-price": "1"}]"#,
            ),
        );
        assert_error_at(
            &format!("{p}[0].unit-price"),
            set(
                PricingModel::Volume,
                r#"[{"up-to": "5", "unit-price": "-1"}, {"unit-price": "1.001"}]"#,
            ),
        );
        assert_error_at(
            &format!("{p}[0].up-to"),
            set(
                PricingModel::Volume,
                r#"[{"up-to": "0", "unit-price": "1"}, {"unit-price": "1"}]"#,
            ),
        );
        // A unit price is one open tier under any model.
        assert!(
            error_paths(|d| d.specifications[0].pricing_model = PricingModel::Volume).is_empty()
        );
    }
}
