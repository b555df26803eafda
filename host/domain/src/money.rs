//! The marketplace's one rounding rule for money.

use rust_decimal::{Decimal, RoundingStrategy};

/// Money is charged to the cent.
pub const MONEY_SCALE: u32 = 2;

/// Rounds half-even (banker's rounding) to two decimal places and always
/// keeps two places, so `1.9` is shown as `1.90` and `0.125` becomes `0.12`.
///
/// Half-even rather than half-up so that rounding many lines does not drift
/// upwards on average.
pub fn money(value: Decimal) -> Decimal {
    let mut rounded =
        value.round_dp_with_strategy(MONEY_SCALE, RoundingStrategy::MidpointNearestEven);
    rounded.rescale(MONEY_SCALE);
    rounded
}

/// Decimal places of a prorated daily rate shown as a quote line's unit price.
pub const RATE_SCALE: u32 = 6;

/// A daily rate for a prorated quote line: half-even to [`RATE_SCALE`]
/// places, so that the line's amount is still `money(quantity × unit price)`.
pub fn rate(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(RATE_SCALE, RoundingStrategy::MidpointNearestEven)
}

/// Whether `value` is already a whole number of cents (`1.5` and `1.50` are;
/// `1.505` is not).
pub fn is_cents(value: Decimal) -> bool {
    value.normalize().scale() <= MONEY_SCALE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn half_even_to_cents() {
        assert_eq!(money(d("0.125")).to_string(), "0.12");
        assert_eq!(money(d("0.135")).to_string(), "0.14");
        assert_eq!(money(d("0.1351")).to_string(), "0.14");
        assert_eq!(money(d("-0.125")).to_string(), "-0.12");
        assert_eq!(money(d("1.9")).to_string(), "1.90");
        assert_eq!(money(Decimal::ZERO).to_string(), "0.00");
    }

    #[test]
    fn cents() {
        assert!(is_cents(d("1.50")));
        assert!(is_cents(d("1.500")));
        assert!(!is_cents(d("1.505")));
    }
}
