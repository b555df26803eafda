//! Types shared by several interfaces: [`BillingMode`] and [`Attribute`].

use crate::bindings::imports::bazaar::plugin::types as wit;

/// How a SKU is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingMode {
    /// Charged per calendar month, paid in advance.
    Monthly,
    /// Charged per year, paid in advance.
    Yearly,
    /// Charged once, never renewed.
    OneTime,
    /// Charged per billing cycle from usage records.
    PayPerUse,
}

impl BillingMode {
    /// Whether the price is multiplied by a number of periods (months or
    /// years).
    pub fn is_periodic(self) -> bool {
        matches!(self, Self::Monthly | Self::Yearly)
    }

    /// The WIT name of the mode, e.g. `pay-per-use`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
            Self::OneTime => "one-time",
            Self::PayPerUse => "pay-per-use",
        }
    }
}

impl From<wit::BillingMode> for BillingMode {
    fn from(mode: wit::BillingMode) -> Self {
        match mode {
            wit::BillingMode::Monthly => Self::Monthly,
            wit::BillingMode::Yearly => Self::Yearly,
            wit::BillingMode::OneTime => Self::OneTime,
            wit::BillingMode::PayPerUse => Self::PayPerUse,
        }
    }
}

/// One attribute of a SKU: an enumeration value (`edition = "pro"`) or the
/// quantity attribute (`users = "20"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// The attribute's code, as declared on the specification.
    pub code: String,
    /// The chosen value; a decimal string for the quantity attribute.
    pub value: String,
}

impl From<wit::Attribute> for Attribute {
    fn from(attribute: wit::Attribute) -> Self {
        Self {
            code: attribute.code,
            value: attribute.value,
        }
    }
}

/// The value of the attribute with `code`, if there is one.
pub fn attribute<'a>(attributes: &'a [Attribute], code: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.code == code)
        .map(|a| a.value.as_str())
}

pub(crate) fn attributes_from(attributes: Vec<wit::Attribute>) -> Vec<Attribute> {
    attributes.into_iter().map(Attribute::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_billing_mode() {
        for (wit_mode, mode, name) in [
            (wit::BillingMode::Monthly, BillingMode::Monthly, "monthly"),
            (wit::BillingMode::Yearly, BillingMode::Yearly, "yearly"),
            (wit::BillingMode::OneTime, BillingMode::OneTime, "one-time"),
            (
                wit::BillingMode::PayPerUse,
                BillingMode::PayPerUse,
                "pay-per-use",
            ),
        ] {
            assert_eq!(BillingMode::from(wit_mode), mode);
            assert_eq!(mode.as_str(), name);
        }
        assert!(BillingMode::Yearly.is_periodic());
        assert!(!BillingMode::PayPerUse.is_periodic());
    }

    #[test]
    fn finds_attributes_by_code() {
        let attributes = attributes_from(vec![
            wit::Attribute {
                code: "edition".into(),
                value: "pro".into(),
            },
            wit::Attribute {
                code: "users".into(),
                value: "20".into(),
            },
        ]);
        assert_eq!(attribute(&attributes, "users"), Some("20"));
        assert_eq!(attribute(&attributes, "region"), None);
    }
}
