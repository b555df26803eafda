//! Validation of a whole draft: the product-level rules. The error type and collector
//! live in `errors`;
//! Specification rules live in `spec_rules`, attribute and SKU rules in `skus`.

use super::errors::{Errors, FieldError, NAME_MAX};
use super::{BillingMode, ProductDraft, spec_rules};

const DESCRIPTION_MAX: usize = 20_000;
const HIGHLIGHTS_MAX: usize = 5;
const HIGHLIGHT_MAX: usize = 500;
const OVERVIEW_MAX: usize = 200;
const VERSION_MAX: usize = 32;
const SPECS_MAX: usize = 30;

/// Most plugin configuration entries, and their key and value sizes.
const CONFIG_ENTRIES_MAX: usize = 50;
const CONFIG_KEY_MAX: usize = 64;
const CONFIG_VALUE_MAX: usize = 4096;

/// Checks `draft` against the catalog rules, returning every problem found.
pub fn validate(draft: &ProductDraft) -> Result<(), Vec<FieldError>> {
    let mut e = Errors::default();
    e.text("name".into(), &draft.name, NAME_MAX);
    if !is_version(&draft.version) {
        e.at(
            "version",
            "must look like V1.0 or V2.1.1: uppercase V, then dot-separated numbers",
        );
    }
    if draft.description.chars().count() > DESCRIPTION_MAX {
        e.at(
            "description",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        );
    }
    if draft.highlights.len() > HIGHLIGHTS_MAX {
        e.at("highlights", format!("at most {HIGHLIGHTS_MAX} highlights"));
    }
    for (i, h) in draft.highlights.iter().enumerate() {
        e.text(format!("highlights[{i}]"), h, HIGHLIGHT_MAX);
    }
    if draft.overview.chars().count() > OVERVIEW_MAX {
        e.at(
            "overview",
            format!("must be at most {OVERVIEW_MAX} characters"),
        );
    }
    if draft.categories.len() > 2 {
        e.at("categories", "a level-1 and at most one level-2 category");
    }
    for (i, c) in draft.categories.iter().enumerate() {
        e.text(format!("categories[{i}]"), c, NAME_MAX);
    }
    if draft.support.chars().count() > DESCRIPTION_MAX {
        e.at(
            "support",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        );
    }
    if draft.customer_cases.len() > HIGHLIGHTS_MAX {
        e.at(
            "customer-cases",
            format!("at most {HIGHLIGHTS_MAX} customer cases"),
        );
    }
    for (i, c) in draft.customer_cases.iter().enumerate() {
        e.text(format!("customer-cases[{i}]"), c, DESCRIPTION_MAX);
    }
    if draft.plugin_config.len() > CONFIG_ENTRIES_MAX {
        e.at(
            "plugin-config",
            format!("at most {CONFIG_ENTRIES_MAX} entries"),
        );
    }
    for (k, v) in &draft.plugin_config {
        if k.is_empty() || k.len() > CONFIG_KEY_MAX {
            e.at(
                format!("plugin-config.{k}"),
                format!("keys are 1 to {CONFIG_KEY_MAX} bytes"),
            );
        }
        if v.len() > CONFIG_VALUE_MAX {
            e.at(
                format!("plugin-config.{k}"),
                format!("values are at most {CONFIG_VALUE_MAX} bytes"),
            );
        }
    }
    for k in &draft.plugin_config_secrets {
        if !draft.plugin_config.contains_key(k) {
            e.at(
                "plugin-config-secrets",
                format!("`{k}` is not a key of plugin-config"),
            );
        }
    }
    if draft.currency.len() != 3 || !draft.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        e.at("currency", "must be an ISO 4217 code such as USD");
    }
    for (i, spec) in draft.specifications.iter().enumerate() {
        if let Some(sha) = &spec.pricing_plugin
            && !is_sha256(sha)
        {
            e.at(
                format!("specifications[{i}].pricing-plugin"),
                "must be a SHA-256 in 64 lowercase hex digits",
            );
        }
    }
    if !is_sha256(&draft.lifecycle_plugin) {
        e.at(
            "lifecycle-plugin",
            "must be a SHA-256 in 64 lowercase hex digits",
        );
    }
    match &draft.metering_plugin {
        Some(sha) if !is_sha256(sha) => {
            e.at(
                "metering-plugin",
                "must be a SHA-256 in 64 lowercase hex digits",
            );
        }
        Some(_) => {}
        None => {
            if let Some(i) = draft
                .specifications
                .iter()
                .position(|s| s.billing_modes.contains(&BillingMode::PayPerUse))
            {
                e.at(
                    "metering-plugin",
                    format!("required: specifications[{i}] is billed pay-per-use"),
                );
            }
        }
    }

    match draft.specifications.len() {
        0 => e.at("specifications", "at least one specification is required"),
        n if n > SPECS_MAX => e.at(
            "specifications",
            format!("at most {SPECS_MAX} specifications"),
        ),
        _ => {}
    }
    e.duplicates(
        draft
            .specifications
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("specifications[{i}].id"), s.id.as_str())),
        "specification id",
    );
    for (i, spec) in draft.specifications.iter().enumerate() {
        spec_rules::check_spec(&format!("specifications[{i}]"), spec, &mut e);
    }

    e.finish()
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `V` followed by at least two dot-separated numbers, as in the guide's V1.0 and V2.1.1.
fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('V') else {
        return false;
    };
    s.len() <= VERSION_MAX
        && rest.split('.').count() >= 2
        && rest
            .split('.')
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::super::Specification;
    use super::super::example::{TEST_SHA, assert_error_at, error_paths, pay_per_use};
    use super::*;

    #[test]
    fn all_problems_are_reported_together() {
        let paths = error_paths(|d| {
            d.name.clear();
            d.version = "v1".into();
            d.specifications[1].id = "Bad Id".into();
        });
        assert_eq!(paths, ["name", "version", "specifications[1].id"]);
    }

    #[test]
    fn field_error_displays_path_and_message() {
        let err = FieldError {
            field: "name".into(),
            message: "must not be blank".into(),
        };
        assert_eq!(err.to_string(), "name: must not be blank");
    }

    #[test]
    fn product_name() {
        assert_error_at("name", |d| d.name = "   ".into());
        assert_error_at("name", |d| d.name = "x".repeat(51));
        assert!(error_paths(|d| d.name = "é".repeat(50)).is_empty());
    }

    #[test]
    fn version_format() {
        for bad in [
            "",
            "V1",
            "v1.0",
            "1.0",
            "V1.",
            "V.1",
            "V1..0",
            "V1.0-beta",
            "First Version",
        ] {
            assert_error_at("version", |d| d.version = bad.into());
        }
        for good in ["V1.0", "V2.1.1", "V10.20.30"] {
            assert!(
                error_paths(|d| d.version = good.into()).is_empty(),
                "{good}"
            );
        }
    }

    #[test]
    fn text_caps() {
        assert_error_at("description", |d| d.description = "x".repeat(20_001));
        assert!(error_paths(|d| d.description.clear()).is_empty());
        assert_error_at("highlights", |d| d.highlights = vec!["h".into(); 6]);
        assert_error_at("highlights[1]", |d| d.highlights[1] = " ".into());
        assert_error_at("highlights[0]", |d| d.highlights[0] = "x".repeat(501));
    }

    #[test]
    fn plugin_hashes() {
        assert_error_at("lifecycle-plugin", |d| {
            d.lifecycle_plugin = TEST_SHA.to_uppercase()
        });
        assert_error_at("lifecycle-plugin", |d| {
            d.lifecycle_plugin.pop();
        });
        assert_error_at("metering-plugin", |d| {
            d.metering_plugin = Some("abc".into())
        });
        assert_error_at("specifications[1].pricing-plugin", |d| {
            d.specifications[1].pricing_plugin = Some("abc".into())
        });
        assert_error_at("currency", |d| d.currency = "usd".into());
    }

    #[test]
    fn specification_count_and_ids() {
        assert_error_at("specifications", |d| d.specifications.clear());
        assert_error_at("specifications", |d| {
            let spec = d.specifications[0].clone();
            d.specifications = (0..31)
                .map(|i| Specification {
                    id: format!("s{i}"),
                    ..spec.clone()
                })
                .collect();
        });
        assert_error_at("specifications[1].id", |d| {
            d.specifications[1].id = "standard".into()
        });
        assert_error_at("specifications[0].id", |d| {
            d.specifications[0].id = "x".repeat(41)
        });
        assert_error_at("specifications[0].name", |d| {
            d.specifications[0].name = "x".repeat(51)
        });
    }

    #[test]
    fn pay_per_use_needs_a_metering_plugin() {
        assert_eq!(error_paths(pay_per_use), ["metering-plugin"]);
        assert!(
            error_paths(|d| {
                pay_per_use(d);
                d.metering_plugin = Some(TEST_SHA.into());
            })
            .is_empty()
        );
    }
}
