//! The `settlement` interface (since `bazaar:plugin@0.2.0`): the platform's
//! tax rules on sellers' settlement bills.

use crate::PluginError;
use crate::bindings::settlement_plugin::exports::bazaar::plugin::settlement as wit;
use crate::decimal;
use crate::host::Timestamp;
use crate::register::Export;
use rust_decimal::Decimal;

use crate::bindings::imports::bazaar::plugin::types::PluginError as WitPluginError;

/// What a bill line settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// A paid subscription, renewal, conversion or upgrade order.
    Order,
    /// A paid pay-per-use cycle.
    UsageCharge,
    /// A usage package bought.
    Package,
    /// The refund of an unsubscription (negative sales amount).
    Refund,
}

/// One line of a seller's bill, before taxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    /// The order, charge or package settled; unique within the bill.
    pub line_id: String,
    /// What it settles.
    pub kind: LineKind,
    /// The seller paid.
    pub seller_id: String,
    /// The seller's country (ISO 3166-1 alpha-2), if known.
    pub seller_country: Option<String>,
    /// The customer who paid.
    pub customer_id: String,
    /// The customer's country (ISO 3166-1 alpha-2), if known.
    pub customer_country: Option<String>,
    /// The product sold.
    pub product_id: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Sales amount excluding VAT; negative for a refund.
    pub sales_amount: Decimal,
    /// The platform fee proportion in percent.
    pub platform_fee_percent: Decimal,
    /// When the transaction took effect.
    pub effective_at: Timestamp,
}

/// A kind of tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxKind {
    /// Withholding tax.
    Wht,
    /// Digital services tax.
    Dst,
}

/// Whose share a tax comes out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxPayer {
    /// Deducted from the customer's purchase, before the platform fee.
    Customer,
    /// Deducted from the seller's settlement, after the platform fee.
    Seller,
}

/// One tax on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tax {
    /// Which tax.
    pub kind: TaxKind,
    /// Whose share it comes out of.
    pub payer: TaxPayer,
    /// The amount, with the sign of the line's sales amount; the host
    /// rounds it half-even to cents.
    pub amount: Decimal,
}

/// The taxes of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTaxes {
    /// The line's `line_id`.
    pub line_id: String,
    /// Its taxes; empty when none applies.
    pub taxes: Vec<Tax>,
}

/// A settlement tax rule. Register it with
/// [`register_settlement!`](crate::register_settlement).
pub trait Settlement {
    /// The taxes of each line of one bill, one entry per line in order.
    fn tax_lines(lines: Vec<BillLine>) -> Result<Vec<LineTaxes>, PluginError>;
}

impl<T: Settlement> wit::Guest for Export<T> {
    fn tax_lines(lines: Vec<wit::BillLine>) -> Result<Vec<wit::LineTaxes>, WitPluginError> {
        let lines = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| line_from(i, l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(T::tax_lines(lines)?.into_iter().map(taxes_into).collect())
    }
}

fn line_from(i: usize, l: wit::BillLine) -> Result<BillLine, PluginError> {
    Ok(BillLine {
        sales_amount: decimal::parse(&format!("lines[{i}].sales-amount"), &l.sales_amount)?,
        platform_fee_percent: decimal::parse(
            &format!("lines[{i}].platform-fee-percent"),
            &l.platform_fee_percent,
        )?,
        kind: match l.kind {
            wit::LineKind::Order => LineKind::Order,
            wit::LineKind::UsageCharge => LineKind::UsageCharge,
            wit::LineKind::Package => LineKind::Package,
            wit::LineKind::Refund => LineKind::Refund,
        },
        line_id: l.line_id,
        seller_id: l.seller_id,
        seller_country: l.seller_country,
        customer_id: l.customer_id,
        customer_country: l.customer_country,
        product_id: l.product_id,
        currency: l.currency,
        effective_at: l.effective_at,
    })
}

fn taxes_into(t: LineTaxes) -> wit::LineTaxes {
    wit::LineTaxes {
        line_id: t.line_id,
        taxes: t
            .taxes
            .into_iter()
            .map(|x| wit::Tax {
                kind: match x.kind {
                    TaxKind::Wht => wit::TaxKind::Wht,
                    TaxKind::Dst => wit::TaxKind::Dst,
                },
                payer: match x.payer {
                    TaxPayer::Customer => wit::TaxPayer::Customer,
                    TaxPayer::Seller => wit::TaxPayer::Seller,
                },
                amount: decimal::format(x.amount),
            })
            .collect(),
    }
}
