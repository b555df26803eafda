//! The `pricing` interface: custom pricing that replaces the built-in
//! pricing of a specification.

use rust_decimal::Decimal;

use crate::bindings::imports::bazaar::plugin::types::PluginError as WitPluginError;
use crate::bindings::pricing_plugin::exports::bazaar::plugin::pricing as wit;
// The WIT calls both the record and the function `quote`; the record's
// generated name is the only line here that depends on how that is resolved.
use crate::register::Export;
use crate::types::attributes_from;
use crate::{Attribute, BillingMode, PluginError, decimal};
use wit::Quotation as WitQuote;

/// What is being priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRequest {
    /// The product.
    pub product_id: String,
    /// The SKU.
    pub sku_code: String,
    /// How it is billed.
    pub billing_mode: BillingMode,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Units of the quantity attribute, or of usage for pay-per-use.
    pub quantity: Decimal,
    /// Billing periods (months or years); 0 for one-time and pay-per-use.
    pub period_count: u32,
    /// Whether this is a trial, which the marketplace prices at zero.
    pub trial: bool,
    /// ISO 4217 currency code, e.g. `CNY`.
    pub currency: String,
}

/// One itemised line of a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteLine {
    /// What the line charges for.
    pub item: String,
    /// How many units.
    pub quantity: Decimal,
    /// The price of one unit.
    pub unit_price: Decimal,
    /// The line's amount; the host checks it is not negative.
    pub amount: Decimal,
}

/// A priced request. The host checks that the lines add up to the total and
/// that the currency matches the request's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// ISO 4217 currency code; must match the request.
    pub currency: String,
    /// The itemised lines.
    pub lines: Vec<QuoteLine>,
    /// The sum of the lines' amounts.
    pub total: Decimal,
}

impl Quote {
    /// A quote of `lines` whose total is their sum, so it always adds up.
    pub fn from_lines(currency: impl Into<String>, lines: Vec<QuoteLine>) -> Self {
        let total = lines.iter().map(|l| l.amount).sum();
        Self {
            currency: currency.into(),
            lines,
            total,
        }
    }
}

/// A custom pricing plugin. Register it with
/// [`register_pricing!`](crate::register_pricing).
pub trait Pricing {
    /// Prices a request.
    fn quote(request: QuoteRequest) -> Result<Quote, PluginError>;
}

impl<T: Pricing> wit::Guest for Export<T> {
    fn quote(request: wit::QuoteRequest) -> Result<WitQuote, WitPluginError> {
        let request = request_from(request)?;
        Ok(quote_into(T::quote(request)?))
    }
}

fn request_from(r: wit::QuoteRequest) -> Result<QuoteRequest, PluginError> {
    Ok(QuoteRequest {
        quantity: decimal::parse("request.quantity", &r.quantity)?,
        product_id: r.product_id,
        sku_code: r.sku_code,
        billing_mode: r.billing_mode.into(),
        attributes: attributes_from(r.attributes),
        period_count: r.period_count,
        trial: r.trial,
        currency: r.currency,
    })
}

fn quote_into(q: Quote) -> WitQuote {
    WitQuote {
        currency: q.currency,
        lines: q
            .lines
            .into_iter()
            .map(|l| wit::QuoteLine {
                item: l.item,
                quantity: decimal::format(l.quantity),
                unit_price: decimal::format(l.unit_price),
                amount: decimal::format(l.amount),
            })
            .collect(),
        total: decimal::format(q.total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::imports::bazaar::plugin::types as wit_types;

    fn request(quantity: &str) -> wit::QuoteRequest {
        wit::QuoteRequest {
            product_id: "p".into(),
            sku_code: "s".into(),
            billing_mode: wit_types::BillingMode::Monthly,
            attributes: vec![],
            quantity: quantity.into(),
            period_count: 2,
            trial: false,
            currency: "CNY".into(),
        }
    }

    #[test]
    fn parses_the_request_quantity() {
        let r = request_from(request("8")).unwrap();
        assert_eq!(r.quantity, Decimal::new(8, 0));
        assert_eq!(r.billing_mode, BillingMode::Monthly);
    }

    #[test]
    fn an_unparsable_quantity_names_request_quantity() {
        let error = request_from(request("8 units")).unwrap_err();
        assert!(
            matches!(&error, PluginError::InvalidInput { field, .. } if field == "request.quantity"),
            "{error:?}"
        );
    }

    #[test]
    fn renders_quote_decimals_canonically() {
        let quote = Quote::from_lines(
            "CNY",
            vec![
                QuoteLine {
                    item: "a".into(),
                    quantity: Decimal::new(3, 0),
                    unit_price: Decimal::new(30, 2),
                    amount: Decimal::new(90, 2),
                },
                QuoteLine {
                    item: "b".into(),
                    quantity: Decimal::new(5, 0),
                    unit_price: Decimal::new(20, 2),
                    amount: Decimal::new(100, 2),
                },
            ],
        );
        let wit_quote = quote_into(quote);
        assert_eq!(wit_quote.total, "1.90");
        assert_eq!(wit_quote.lines[0].unit_price, "0.30");
        assert_eq!(wit_quote.lines[1].amount, "1.00");
    }
}
