//! `tax-rules`: an example settlement rule plugin (`settlement-plugin`
//! world, `bazaar:plugin@0.2.0`) giving the withholding and digital services
//! taxes of each bill line by the customer's country.
//!
//! The rates are illustrative, not tax advice; they use ISO 3166 codes
//! reserved for private use (`XA`, `XB`) so no real country's law is implied.
//! `XA` reproduces the seller guide's §8.1 example: on a 1,000.00 sale the
//! customer bears 150.00 WHT and 50.00 DST, the seller 100.00 WHT and 20.00
//! DST, so at a 15% platform fee the seller settles 560.00.

use bazaar_sdk::{
    BillLine, Decimal, LineTaxes, PluginError, Settlement, Tax, TaxKind, TaxPayer,
    register_settlement,
};

/// The rates of one jurisdiction, in percent of the sales amount.
struct Rates {
    customer_wht: i64,
    customer_dst: i64,
    seller_wht: i64,
    seller_dst: i64,
}

/// The rates applying to a customer of `country`, if any.
fn rates(country: Option<&str>) -> Option<Rates> {
    match country? {
        "XA" => Some(Rates {
            customer_wht: 15,
            customer_dst: 5,
            seller_wht: 10,
            seller_dst: 2,
        }),
        "XB" => Some(Rates {
            customer_wht: 10,
            customer_dst: 0,
            seller_wht: 0,
            seller_dst: 0,
        }),
        _ => None,
    }
}

/// `percent`% of `amount`, unrounded: the host rounds each tax once.
fn share(amount: Decimal, percent: i64) -> Decimal {
    amount * Decimal::from(percent) / Decimal::from(100)
}

struct TaxRules;

impl Settlement for TaxRules {
    fn tax_lines(lines: Vec<BillLine>) -> Result<Vec<LineTaxes>, PluginError> {
        let taxed = lines
            .iter()
            .map(|line| {
                let mut taxes = Vec::new();
                if let Some(r) = rates(line.customer_country.as_deref()) {
                    for (kind, payer, percent) in [
                        (TaxKind::Wht, TaxPayer::Customer, r.customer_wht),
                        (TaxKind::Dst, TaxPayer::Customer, r.customer_dst),
                        (TaxKind::Wht, TaxPayer::Seller, r.seller_wht),
                        (TaxKind::Dst, TaxPayer::Seller, r.seller_dst),
                    ] {
                        if percent != 0 {
                            taxes.push(Tax {
                                kind,
                                payer,
                                amount: share(line.sales_amount, percent),
                            });
                        }
                    }
                }
                LineTaxes {
                    line_id: line.line_id.clone(),
                    taxes,
                }
            })
            .collect::<Vec<_>>();
        let with_tax = taxed.iter().filter(|t| !t.taxes.is_empty()).count();
        bazaar_sdk::log::info(format!("{} lines, {with_tax} taxed", lines.len()));
        Ok(taxed)
    }
}

register_settlement!(TaxRules);
