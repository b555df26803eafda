//! A seller's SaaS product definition: the draft a seller submits as JSON, its validation,
//! and the few pure helpers order-taking needs (quantity checks, trial eligibility, period
//! upgrade eligibility and subscription expiry dates); amounts live in `domain::pricing`.
//!
//! The rules follow the KooGallery seller guide (§3.5.1 release, §3.8 multi-SKU
//! specifications, §5.3 upgrades, §5.9 product attributes, §7.2 sales configurations,
//! §11.20 trials). Marketing rules such as the minimum description length belong to the
//! review plugins, not to this module.
//!
//! A product has 1–30 [`Specification`]s. A specification offers one or more
//! [`BillingMode`]s and prices each of its [`Sku`]s in every one of them. A SKU is one
//! combination of enumeration-attribute values (for example `edition = pro`); the optional
//! quantity attribute (for example `users`) is chosen by the customer at order time and is
//! priced by the specification's pricing model (`domain::pricing`).

mod calendar;
mod errors;
mod example;
mod skus;
mod spec_rules;
mod status;
mod upgrades;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use calendar::{
    MS_PER_DAY, add_months, add_period, civil_date, date_ms, month_start, months_per_period,
};
pub use example::example_draft;
pub use status::{Mover, ProductStatus, UnknownStatus};
pub use upgrades::{price_must_rise, sku_period_price, upgrade_allowed, upgrade_rules};

use super::billing::{AccumulationCycle, BillingCycle};
use super::price_model::{Price, PricingModel};
pub use errors::FieldError;
pub use validate::validate;

/// How a specification is charged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BillingMode {
    /// Charged per calendar month, paid in advance.
    Monthly,
    /// Charged per calendar year, paid in advance.
    Yearly,
    /// Charged once for a perpetual entitlement.
    OneTime,
    /// Charged afterwards from usage records reported by the metering plugin.
    PayPerUse,
}

impl TryFrom<String> for BillingMode {
    type Error = String;

    /// Parses a stored name (the store's rows read through this).
    fn try_from(s: String) -> Result<Self, String> {
        [
            BillingMode::Monthly,
            BillingMode::Yearly,
            BillingMode::OneTime,
            BillingMode::PayPerUse,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
        .ok_or_else(|| format!("unknown billing mode `{s}`"))
    }
}

impl BillingMode {
    /// The mode's JSON spelling, also used in validation field paths.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Monthly => "monthly",
            BillingMode::Yearly => "yearly",
            BillingMode::OneTime => "one-time",
            BillingMode::PayPerUse => "pay-per-use",
        }
    }

    /// Whether the mode is a prepaid subscription (monthly or yearly), the only kind that
    /// supports trials and upgrades.
    pub fn is_periodic(self) -> bool {
        matches!(self, BillingMode::Monthly | BillingMode::Yearly)
    }
}

impl fmt::Display for BillingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A seller's product definition as submitted for release review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProductDraft {
    /// Display name, 1–50 characters.
    pub name: String,
    /// Version such as `V1.0` or `V2.1.1`.
    pub version: String,
    /// Long description shown on the product page.
    pub description: String,
    /// Up to five short selling points.
    #[serde(default)]
    pub highlights: Vec<String>,
    /// The short overview shown in the catalogue (at most 200 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overview: String,
    /// Level-1 and level-2 category, e.g. `["software", "crm"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// After-sales support: hours, channels, response times.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub support: String,
    /// Up to five customer success stories shown on the product page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_cases: Vec<String>,
    /// The uploaded logo (`PUT /v1/products/{id}/logo`); set by the host,
    /// kept when a draft is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Asset>,
    /// The uploaded end-user license agreement (`PUT
    /// /v1/products/{id}/eula`); set by the host, kept when a draft is
    /// replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eula: Option<Asset>,
    /// Whether orders go through service supervision (request, delivery, acceptance) before
    /// they are settled; fixed once the product is released.
    pub supervised: bool,
    /// SHA-256 (lowercase hex) of the lifecycle plugin version that provisions instances.
    pub lifecycle_plugin: String,
    /// SHA-256 (lowercase hex) of the metering plugin version; required for pay-per-use.
    #[serde(default)]
    pub metering_plugin: Option<String>,
    /// The purchasable specifications, 1–30.
    pub specifications: Vec<Specification>,
    /// ISO 4217 code of the currency every price is in; `USD` when absent.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Seller configuration handed to the product's plugins (`config.get`):
    /// URLs, tenant names; at most 50 entries.
    #[serde(default)]
    pub plugin_config: BTreeMap<String, String>,
    /// Keys of `plugin-config` whose values are secrets (API keys,
    /// passwords): write-only, shown as `********` once saved; sending
    /// `********` back keeps the stored value.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub plugin_config_secrets: BTreeSet<String>,
}

/// A file uploaded for a product listing (its logo, its EULA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Asset {
    /// SHA-256 (lowercase hex) of the file.
    pub sha256: String,
    /// Its media type, e.g. `image/png`, `application/pdf`.
    pub content_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Width in pixels (images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels (images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

fn default_currency() -> String {
    "USD".into()
}

impl ProductDraft {
    /// The specification with the given id, if any.
    pub fn spec(&self, id: &str) -> Option<&Specification> {
        self.specifications.iter().find(|s| s.id == id)
    }
}

/// One purchasable specification of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Specification {
    /// Seller-chosen slug (`[a-z0-9-]{1,40}`), unique within the product.
    pub id: String,
    /// Display name, 1–50 characters.
    pub name: String,
    /// The billing modes offered; pay-per-use cannot be combined with the others.
    pub billing_modes: Vec<BillingMode>,
    /// Enumeration attributes (at most five) whose value combinations form the SKUs.
    #[serde(default)]
    pub attributes: Vec<EnumAttribute>,
    /// The optional quantity attribute the customer picks at order time.
    #[serde(default)]
    pub quantity: Option<QuantityAttribute>,
    /// The priced attribute-value combinations, 1–100.
    pub skus: Vec<Sku>,
    /// Free trial offered on the monthly/yearly SKUs.
    #[serde(default)]
    pub trial: Option<Trial>,
    /// Per-customer purchase restrictions (not for pay-per-use).
    #[serde(default)]
    pub purchase_limit: Option<PurchaseLimit>,
    /// Customer ids allowed to take the trial; empty means every customer.
    #[serde(default)]
    pub trial_allow_list: Vec<String>,
    /// Whether subscriptions may move to a dearer SKU or quantity of this specification.
    #[serde(default)]
    pub upgradable: bool,
    /// How SKU prices apply to the quantity: `linear` (the default), `tiered` or `volume`.
    #[serde(default)]
    pub pricing_model: PricingModel,
    /// SHA-256 of the seller's pricing plugin whose `quote` replaces the built-in
    /// pricing of this specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_plugin: Option<String>,
    /// How often pay-per-use usage is charged: `hourly` or `daily` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<BillingCycle>,
    /// For tiered pay-per-use prices: the tiers run over this cycle instead of
    /// restarting every billing cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulation_cycle: Option<AccumulationCycle>,
    /// Usage packages offered on a pay-per-use specification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageOffer>,
}

impl Specification {
    /// The SKU with the given id, if any.
    pub fn sku(&self, id: &str) -> Option<&Sku> {
        self.skus.iter().find(|s| s.id == id)
    }

    /// Checks that `q` may be ordered: within the quantity attribute's min/max on its step
    /// grid (or exactly 1 when there is no quantity attribute), and not above the purchase
    /// limit's `max_quantity`.
    pub fn check_quantity(&self, q: u32) -> Result<(), String> {
        self.check_quantity_range(q)?;
        if let Some(max) = self.purchase_limit.as_ref().and_then(|l| l.max_quantity)
            && q > max
        {
            return Err(format!("quantity {q} exceeds the purchase limit of {max}"));
        }
        Ok(())
    }

    /// The attribute part of [`Specification::check_quantity`], without the purchase limit,
    /// which only binds new purchases.
    pub(crate) fn check_quantity_range(&self, q: u32) -> Result<(), String> {
        let Some(attr) = &self.quantity else {
            return if q == 1 {
                Ok(())
            } else {
                Err(format!(
                    "quantity must be 1: specification {} has no quantity attribute",
                    self.id
                ))
            };
        };
        if q < attr.min || q > attr.max {
            return Err(format!(
                "{} must be between {} and {}, got {q}",
                attr.name, attr.min, attr.max
            ));
        }
        // An unvalidated step of 0 must not panic; treat it as "any whole number".
        let step = attr.step.max(1);
        if !(q - attr.min).is_multiple_of(step) {
            return Err(format!(
                "{} must be {} plus a multiple of {step}, got {q}",
                attr.name, attr.min
            ));
        }
        Ok(())
    }

    /// Whether `customer_id` may start a trial of this specification: a trial must be
    /// offered, and the allow-list, when not empty, must name the customer.
    pub fn trial_allowed(&self, customer_id: &str) -> bool {
        self.trial.is_some()
            && (self.trial_allow_list.is_empty()
                || self.trial_allow_list.iter().any(|c| c == customer_id))
    }
}

/// An enumeration attribute, such as an edition, whose values distinguish SKUs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EnumAttribute {
    /// Attribute name, unique within the specification.
    pub name: String,
    /// The 1–10 distinct values, in display order.
    pub values: Vec<String>,
}

/// The quantity attribute, such as a number of users, chosen by the customer at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct QuantityAttribute {
    /// Attribute name, distinct from the enumeration attribute names.
    pub name: String,
    /// Unit shown after the quantity, e.g. `users`; may be empty.
    pub unit: String,
    /// Smallest orderable quantity, at least 1.
    pub min: u32,
    /// Largest orderable quantity.
    pub max: u32,
    /// Increment between orderable quantities; `max - min` must be a multiple of it.
    pub step: u32,
}

/// One priced combination of enumeration-attribute values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Sku {
    /// Seller-chosen slug (`[a-z0-9-]{1,40}`), unique within the specification.
    pub id: String,
    /// Enumeration attribute name → chosen value; names every attribute exactly once.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Price per billing mode: per period (and per quantity unit when the specification has
    /// a quantity attribute); for one-time the whole price; for pay-per-use the usage price.
    /// A unit price is a decimal string such as `"9.99"`, never a float; tiered and volume
    /// specifications give a list of tiers instead.
    pub prices: BTreeMap<BillingMode, Price>,
}

/// A free trial offered on a specification's monthly/yearly SKUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Trial {
    /// Trial length, 3–180 days.
    pub days: u32,
}

/// Per-customer purchase restrictions on a specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PurchaseLimit {
    /// A customer may hold only one (non-cancelled, unexpired) order of the specification.
    #[serde(default)]
    pub once_per_customer: bool,
    /// Largest quantity one order may have.
    #[serde(default)]
    pub max_quantity: Option<u32>,
}

/// A package a pay-per-use specification offers (`domain::packages` holds their
/// deduction); defined with the rest of the definition so the catalog needs no
/// import from `packages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PackageOffer {
    /// Slug, unique within the specification.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The billing item (SKU) whose usage it covers.
    pub billing_item: String,
    /// Usage included: per period when `reset` is true, else for the whole term.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^-?[0-9]{1,18}(\\.[0-9]{1,10})?$"))]
    pub quota: Decimal,
    /// The package's period: monthly or yearly.
    pub period: BillingMode,
    /// Whether the quota is restored at the start of every period.
    #[serde(default)]
    pub reset: bool,
    /// Price per period, in cents.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^-?[0-9]{1,18}(\\.[0-9]{1,10})?$"))]
    pub price: Decimal,
    /// When its quota is used up the instance is frozen (`quota-exhausted`)
    /// until another package is bought.
    #[serde(default)]
    pub stop_before_excess: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn spec_and_sku_lookup() {
        let draft = example_draft(SHA);
        let standard = draft.spec("standard").expect("standard spec");
        assert!(standard.sku("pro").is_some());
        assert!(standard.sku("missing").is_none());
        assert!(draft.spec("missing").is_none());
    }

    #[test]
    fn check_quantity_with_quantity_attribute() {
        let mut spec = example_draft(SHA).spec("standard").cloned().expect("spec");
        spec.quantity = Some(QuantityAttribute {
            name: "users".into(),
            unit: "users".into(),
            min: 5,
            max: 50,
            step: 5,
        });
        assert_eq!(spec.check_quantity(5), Ok(()));
        assert_eq!(spec.check_quantity(50), Ok(()));
        assert!(spec.check_quantity(0).is_err());
        assert!(spec.check_quantity(4).is_err());
        assert!(spec.check_quantity(7).is_err());
        assert!(spec.check_quantity(55).is_err());

        spec.purchase_limit = Some(PurchaseLimit {
            once_per_customer: false,
            max_quantity: Some(20),
        });
        assert_eq!(spec.check_quantity(20), Ok(()));
        let err = spec.check_quantity(25).expect_err("over the limit");
        assert!(err.contains("purchase limit"), "{err}");
    }

    #[test]
    fn check_quantity_without_quantity_attribute_is_exactly_one() {
        let draft = example_draft(SHA);
        let enterprise = draft.spec("enterprise").expect("spec");
        assert_eq!(enterprise.check_quantity(1), Ok(()));
        assert!(enterprise.check_quantity(0).is_err());
        assert!(enterprise.check_quantity(2).is_err());
    }

    #[test]
    fn trial_allowed_follows_the_allow_list() {
        let draft = example_draft(SHA);
        let mut standard = draft.spec("standard").cloned().expect("spec");
        assert!(standard.trial_allowed("anyone"));
        standard.trial_allow_list = vec!["cust-1".into()];
        assert!(standard.trial_allowed("cust-1"));
        assert!(!standard.trial_allowed("cust-2"));
        standard.trial = None;
        assert!(!standard.trial_allowed("cust-1"));
        assert!(!draft.spec("enterprise").expect("spec").trial_allowed("x"));
    }

    #[test]
    fn billing_mode_spelling_matches_serde() {
        for mode in [
            BillingMode::Monthly,
            BillingMode::Yearly,
            BillingMode::OneTime,
            BillingMode::PayPerUse,
        ] {
            let json = serde_json::to_string(&mode).expect("serialize");
            assert_eq!(json, format!("\"{mode}\""));
        }
    }
}
