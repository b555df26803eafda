//! Which cases a product needs before its release application can be
//! submitted. The seeds (§3.5) require every interface a product's billing
//! uses to be debugged successfully and saved as a case: subscription and
//! release always; renewal and expiration (freeze, and unfreeze on renewal)
//! for yearly/monthly; upgrade when a specification is upgradable; usage
//! collection for pay-per-use.

use crate::catalog::{BillingMode, FieldError, ProductDraft};

/// One case a product needs: a successful call of `scenario` recorded with
/// the plugin version the draft names in `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    /// `lifecycle-plugin` or `metering-plugin`.
    pub field: &'static str,
    /// The plugin version.
    pub plugin: String,
    /// `create`, `renew`, `freeze`, `unfreeze`, `upgrade`, `release`, `collect-usage`.
    pub scenario: &'static str,
}

/// The cases `draft` needs, in a fixed order.
pub fn required(draft: &ProductDraft) -> Vec<Required> {
    let specs = &draft.specifications;
    let periodic = specs
        .iter()
        .any(|s| s.billing_modes.iter().any(|m| m.is_periodic()));
    let upgradable = specs.iter().any(|s| s.upgradable);
    let metered = specs
        .iter()
        .any(|s| s.billing_modes.contains(&BillingMode::PayPerUse));
    let mut scenarios = vec!["create"];
    if periodic {
        scenarios.extend(["renew", "freeze", "unfreeze"]);
    }
    if upgradable {
        scenarios.push("upgrade");
    }
    scenarios.push("release");
    let lifecycle = |scenario| Required {
        field: "lifecycle-plugin",
        plugin: draft.lifecycle_plugin.clone(),
        scenario,
    };
    let mut out: Vec<Required> = scenarios.into_iter().map(lifecycle).collect();
    if metered {
        out.push(Required {
            field: "metering-plugin",
            plugin: draft
                .metering_plugin
                .clone()
                .unwrap_or_else(|| draft.lifecycle_plugin.clone()),
            scenario: "collect-usage",
        });
    }
    out
}

/// The plugin versions a draft names whose cases its review replays, each
/// once (a saas plugin may serve as both lifecycle and metering plugin).
pub fn plugins(draft: &ProductDraft) -> Vec<String> {
    let mut shas = vec![draft.lifecycle_plugin.clone()];
    if let Some(m) = draft.metering_plugin.as_ref().filter(|m| **m != shas[0]) {
        shas.push(m.clone());
    }
    shas
}

/// The required cases without a successful saved case; `saved` lists
/// `(plugin, scenario)` of the seller's successful cases.
pub fn missing(required: &[Required], saved: &[(String, String)]) -> Vec<FieldError> {
    required
        .iter()
        .filter(|r| {
            !saved
                .iter()
                .any(|(p, s)| *p == r.plugin && s == r.scenario)
        })
        .map(|r| FieldError {
            field: format!("cases.{}", r.scenario),
            message: format!(
                "no successful `{}` case recorded with {} {}: run it as a debug call with \"save\": true",
                r.scenario, r.field, r.plugin
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::example_draft;

    #[test]
    fn periodic_upgradable_products_need_six_cases() {
        let sha = "a".repeat(64);
        let draft = example_draft(&sha);
        let need = required(&draft);
        let names: Vec<_> = need.iter().map(|r| r.scenario).collect();
        assert!(names.starts_with(&["create", "renew", "freeze", "unfreeze"]));
        assert_eq!(names.last(), Some(&"release"));
        let saved = vec![(sha.clone(), "create".to_string())];
        let gaps = missing(&need, &saved);
        assert_eq!(gaps.len(), need.len() - 1);
        assert!(gaps.iter().all(|e| e.field != "cases.create"));
        let other = vec![("b".repeat(64), "renew".to_string())];
        assert_eq!(missing(&need, &other).len(), need.len());
    }
}
