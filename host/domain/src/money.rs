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

/// A decimal string in the WIT's canonical form (`"12.50"`, `"-3"`): an
/// optional `-`, digits, optionally `.` and digits; no exponent, `+`,
/// spaces or separators. `None` for anything else.
pub fn parse_canonical(s: &str) -> Option<Decimal> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    s.parse().ok()
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

    #[test]
    fn canonical_decimals_only() {
        assert_eq!(parse_canonical("-12.50"), Some(d("-12.50")));
        assert_eq!(parse_canonical("7"), Some(d("7")));
        for bad in ["", "-", "1e3", "+1", "1,000", " 1", "1.", ".5", "NaN"] {
            assert_eq!(parse_canonical(bad), None, "{bad:?}");
        }
    }
}
