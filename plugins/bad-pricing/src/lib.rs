//! `bad-pricing`: a pricing plugin (world `pricing-plugin`) whose answers the
//! host must refuse to charge, for the pricing tests. `quote` dispatches on
//! the request's `sku-code`:
//!
//! | sku-code | answer |
//! |---|---|
//! | `negative` | a line with a negative amount |
//! | `mismatch` | lines that do not add up to the total |
//! | `fraction` | an amount of 1.005, not whole cents |
//! | `currency` | a quote in another currency than asked |
//! | `refuse` | a `refused` error |
//! | `loop` | never answers (the sandbox's budget must stop it) |
//! | anything else | 1.00 per unit and period, correctly |

use std::hint::black_box;

use bazaar_sdk::{Decimal, PluginError, Pricing, Quote, QuoteLine, QuoteRequest};

struct BadPricing;

impl Pricing for BadPricing {
    fn quote(request: QuoteRequest) -> Result<Quote, PluginError> {
        let line = |amount: Decimal| QuoteLine {
            item: format!("{} units", request.sku_code),
            quantity: request.quantity,
            unit_price: Decimal::ONE,
            amount,
        };
        let periods = Decimal::from(request.period_count.max(1));
        let fair = request.quantity * periods;
        let currency = request.currency.clone();
        match request.sku_code.as_str() {
            "negative" => Ok(Quote::from_lines(currency, vec![line(-fair)])),
            "mismatch" => {
                let mut quote = Quote::from_lines(currency, vec![line(fair)]);
                quote.total += Decimal::ONE;
                Ok(quote)
            }
            "fraction" => Ok(Quote::from_lines(
                currency,
                vec![line(Decimal::new(1005, 3))],
            )),
            "currency" => Ok(Quote::from_lines("XXX", vec![line(fair)])),
            "refuse" => Err(PluginError::refused("this SKU cannot be priced")),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            _ => Ok(Quote::from_lines(currency, vec![line(fair)])),
        }
    }
}

bazaar_sdk::register_pricing!(BadPricing);
