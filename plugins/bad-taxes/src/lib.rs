//! `bad-taxes`: a test fixture settlement rule that answers taxes no bill
//! may carry — a customer withholding tax of twice the sale on every line —
//! so the host must hold the bill back rather than settle it.

use bazaar_sdk::{
    BillLine, Decimal, LineTaxes, PluginError, Settlement, Tax, TaxKind, TaxPayer,
    register_settlement,
};

struct BadTaxes;

impl Settlement for BadTaxes {
    fn tax_lines(lines: Vec<BillLine>) -> Result<Vec<LineTaxes>, PluginError> {
        Ok(lines
            .into_iter()
            .map(|line| LineTaxes {
                taxes: vec![Tax {
                    kind: TaxKind::Wht,
                    payer: TaxPayer::Customer,
                    amount: line.sales_amount * Decimal::TWO,
                }],
                line_id: line.line_id,
            })
            .collect())
    }
}

register_settlement!(BadTaxes);
