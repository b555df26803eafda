//! Graduated price tiers and their configuration syntax.
//!
//! `tiers` is a comma-separated list of `from-to:unit-price` with the last
//! tier open-ended (`from-:unit-price`), e.g. `0-3:0.30,3-:0.20`. Tiers must
//! start at 0 and be contiguous, so that every unit falls in exactly one
//! tier.

use bazaar_sdk::{Decimal, decimal};

/// One tier: units in `(from, to]` cost `unit_price` each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tier {
    pub from: Decimal,
    /// `None` for the last, open-ended tier.
    pub to: Option<Decimal>,
    pub unit_price: Decimal,
}

impl Tier {
    /// How many of `quantity` units fall in this tier.
    pub(crate) fn units_of(&self, quantity: Decimal) -> Decimal {
        let top = self.to.map_or(quantity, |to| quantity.min(to));
        (top - self.from).max(Decimal::ZERO)
    }

    /// `0-3`, or `3+` for the open-ended tier.
    pub(crate) fn range_label(&self) -> String {
        match self.to {
            Some(to) => format!("{}-{}", self.from, to),
            None => format!("{}+", self.from),
        }
    }
}

/// The tiers used when the seller configured none: the first 3 units at 0.30,
/// every further unit at 0.20.
pub(crate) const DEFAULT_TIERS: &str = "0-3:0.30,3-:0.20";

/// Parses the `tiers` syntax; the error says what is wrong, for the seller.
pub(crate) fn parse(text: &str) -> Result<Vec<Tier>, String> {
    let mut tiers: Vec<Tier> = Vec::new();
    for (i, spec) in text.split(',').map(str::trim).enumerate() {
        if tiers.last().is_some_and(|t| t.to.is_none()) {
            return Err(format!("tier {} follows the open-ended tier", i + 1));
        }
        let (range, price) = spec
            .split_once(':')
            .ok_or_else(|| format!("tier `{spec}` has no `:unit-price`"))?;
        let (from, to) = range
            .split_once('-')
            .ok_or_else(|| format!("tier `{spec}` has no `from-to` range"))?;
        let number = |what: &str, text: &str| {
            decimal::parse(what, text.trim())
                .map_err(|_| format!("{what} `{text}` of tier `{spec}` is not a decimal"))
        };
        let tier = Tier {
            from: number("start", from)?,
            to: match to.trim() {
                "" => None,
                to => Some(number("end", to)?),
            },
            unit_price: number("unit price", price)?,
        };
        let expected_from = tiers.last().and_then(|t| t.to).unwrap_or(Decimal::ZERO);
        if tier.from != expected_from {
            return Err(format!(
                "tier `{spec}` starts at {} instead of {expected_from}",
                tier.from
            ));
        }
        if tier.to.is_some_and(|to| to <= tier.from) {
            return Err(format!("tier `{spec}` is empty"));
        }
        if tier.unit_price < Decimal::ZERO {
            return Err(format!("tier `{spec}` has a negative unit price"));
        }
        tiers.push(tier);
    }
    if tiers.last().is_some_and(|t| t.to.is_some()) {
        return Err("the last tier must be open-ended (`from-:price`)".to_owned());
    }
    Ok(tiers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        decimal::parse("test", text).unwrap()
    }

    #[test]
    fn parses_the_default() {
        let tiers = parse(DEFAULT_TIERS).unwrap();
        assert_eq!(tiers.len(), 2);
        assert_eq!(tiers[0].range_label(), "0-3");
        assert_eq!(tiers[1].range_label(), "3+");
        assert_eq!(tiers[0].unit_price, d("0.30"));
        assert_eq!(tiers[0].units_of(d("8")), d("3"));
        assert_eq!(tiers[1].units_of(d("8")), d("5"));
        assert_eq!(tiers[1].units_of(d("2")), d("0"));
    }

    #[test]
    fn accepts_spaces_and_fractional_bounds() {
        let tiers = parse(" 0-2.5 : 1 , 2.5-10:0.5, 10-:0 ").unwrap();
        assert_eq!(tiers.len(), 3);
        assert_eq!(tiers[1].units_of(d("4")), d("1.5"));
    }

    #[test]
    fn rejects_malformed_tiers() {
        for bad in [
            "",
            "0-3",
            "0-3:0.30",
            "1-:0.2",
            "0-3:0.30,4-:0.20",
            "0-3:0.30,3-:0.20,5-:0.1",
            "0-0:1,0-:1",
            "0-3:-0.30,3-:0.20",
            "0-3:x,3-:0.20",
            "0-3:0.30;3-:0.20",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
