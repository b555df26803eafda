//! Money in the tests: reading the service's decimal strings and rounding
//! expected amounts the way the service does, so a test computes by hand
//! what the service must answer.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// A decimal string of an answer (`"10.00"`) as a `Decimal`; panics on
/// anything else.
pub fn d(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// Half-even to cents, the service's one rounding rule.
pub fn cents(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}
