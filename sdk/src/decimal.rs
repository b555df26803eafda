//! Conversions between [`Decimal`] and the WIT's canonical decimal strings.
//!
//! The contract only admits `-?digits(.digits)?`; `rust_decimal`'s own parser
//! is more lenient (it accepts `+1`, `1_000` and rounds away excess digits), so
//! the grammar is checked here first and the value parsed exactly. A host that
//! sends anything else gets `invalid-input` rather than a silently different
//! number.

use rust_decimal::Decimal;

use crate::PluginError;

/// Parses a canonical decimal string such as `"12.50"`.
///
/// `field` names the input the text came from (e.g. `request.quantity`) and
/// ends up in the [`PluginError::InvalidInput`] returned when the text is not
/// canonical or does not fit a [`Decimal`] without rounding.
pub fn parse(field: &str, text: &str) -> Result<Decimal, PluginError> {
    if !is_canonical(text) {
        return Err(PluginError::invalid_input(
            field,
            format!(
                "`{text}` is not a canonical decimal (expected digits with an optional `-` and `.digits`)"
            ),
        ));
    }
    Decimal::from_str_exact(text).map_err(|e| {
        PluginError::invalid_input(field, format!("`{text}` is not representable exactly: {e}"))
    })
}

/// Renders a decimal canonically: plain digits, never an exponent, keeping the
/// value's scale (`1.90` stays `"1.90"`).
///
/// Negative zero is rendered as zero because the host rejects negative amounts
/// and `-0.00` would look like one.
pub fn format(value: Decimal) -> String {
    let mut value = value;
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    value.to_string()
}

/// Whether `text` matches `-?[0-9]+(\.[0-9]+)?`.
fn is_canonical(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ok(text: &str) -> Decimal {
        parse("x", text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_canonical_strings_exactly() {
        assert_eq!(ok("12.50"), Decimal::from_str("12.5").unwrap());
        assert_eq!(ok("12.50").scale(), 2);
        assert_eq!(ok("0.3"), Decimal::new(3, 1));
        assert_eq!(ok("1000"), Decimal::new(1000, 0));
        assert_eq!(ok("-1.5"), Decimal::new(-15, 1));
        assert_eq!(ok("007"), Decimal::new(7, 0));
        assert_eq!(ok("-0"), Decimal::ZERO);
        assert_eq!(
            ok("79228162514264337593543950335"),
            Decimal::MAX,
            "the largest representable value parses"
        );
    }

    #[test]
    fn rejects_non_canonical_strings_naming_the_field() {
        for text in [
            "", "-", "+1", " 1", "1 ", "1.", ".5", "1e3", "1E3", "1_000", "1,000", "0x10", "NaN",
            "inf", "1.2.3", "--1", "١",
        ] {
            match parse("request.quantity", text) {
                Err(PluginError::InvalidInput { field, message }) => {
                    assert_eq!(field, "request.quantity", "{text:?}");
                    assert!(message.contains("canonical"), "{text:?}: {message}");
                }
                other => panic!("{text:?} was accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_values_that_would_need_rounding() {
        // One more than Decimal::MAX, and more fractional digits than fit.
        for text in [
            "79228162514264337593543950336",
            "0.12345678901234567890123456789",
        ] {
            assert!(
                matches!(parse("f", text), Err(PluginError::InvalidInput { ref field, .. }) if field == "f"),
                "{text} was accepted"
            );
        }
    }

    #[test]
    fn formats_without_exponent_keeping_scale() {
        assert_eq!(format(Decimal::new(190, 2)), "1.90");
        assert_eq!(format(Decimal::new(3, 1)), "0.3");
        assert_eq!(format(Decimal::new(1000, 0)), "1000");
        assert_eq!(format(Decimal::new(-15, 1)), "-1.5");
        assert_eq!(
            format(Decimal::from_str("1e-10").unwrap_or(Decimal::new(1, 10))),
            "0.0000000001"
        );
        assert_eq!(
            format(Decimal::from_scientific("1.5e20").unwrap()),
            "150000000000000000000"
        );
        assert_eq!(format(Decimal::MAX), "79228162514264337593543950335");
    }

    #[test]
    fn formats_negative_zero_as_zero() {
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        assert_eq!(format(negative_zero), "0.00");
        assert_eq!(format(ok("-0.00")), "0.00");
    }

    #[test]
    fn round_trips() {
        for text in [
            "0",
            "0.00",
            "12.50",
            "-3.125",
            "123456789012345678901234.5678",
        ] {
            assert_eq!(format(ok(text)), text);
        }
    }
}
