//! Price models: how a SKU's price turns a quantity into the price of one
//! period (seller guide §3.8 for subscriptions, §3.5.4.3 for usage).
//!
//! - **linear**: quantity × unit price;
//! - **tiered** (graduated): each unit is priced by the tier it falls in and
//!   the tiers' amounts are added: 3 min at 0.30 + 5 min at 0.20 = 1.90;
//! - **volume**: every unit is priced at the tier the whole quantity falls
//!   in: 8 min at 0.20 = 1.60.
//!
//! A tier's `up-to` is inclusive and the last tier is open-ended.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::money::is_cents;

/// At most this many tiers per price; the guide sets no limit.
pub const TIERS_MAX: usize = 20;

/// How a specification's SKU prices apply to the ordered quantity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PricingModel {
    /// Quantity × one unit price.
    #[default]
    Linear,
    /// Graduated: the sum over tiers of the units in each tier × its price.
    Tiered,
    /// All units at the price of the tier the quantity falls in.
    Volume,
}

impl PricingModel {
    /// The model's JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PricingModel::Linear => "linear",
            PricingModel::Tiered => "tiered",
            PricingModel::Volume => "volume",
        }
    }
}

/// One tier of a tiered or volume price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tier {
    /// The last quantity in this tier (inclusive); absent on the last tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^-?[0-9]{1,18}(\\.[0-9]{1,10})?$"))]
    pub up_to: Option<Decimal>,
    /// The price of one unit in this tier, per period.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^-?[0-9]{1,18}(\\.[0-9]{1,10})?$"))]
    pub unit_price: Decimal,
}

/// A SKU's price in one billing mode: a unit price (JSON `"9.99"`) or a list
/// of tiers (JSON `[{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Price {
    /// One price per unit.
    Unit(Decimal),
    /// Tiers in ascending order of `up-to`.
    Tiers(Vec<Tier>),
}

/// Written by hand so the unit price says which strings are decimals (the
/// derive cannot put a pattern on a newtype variant).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Price {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .description(Some(
                "One price per unit (a decimal string), or tiers in ascending order of `up-to`",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^-?[0-9]{1,18}(\.[0-9]{1,10})?$")),
            )
            .item(ArrayBuilder::new().items(<Tier as utoipa::PartialSchema>::schema()))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Price {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            <Tier as utoipa::ToSchema>::name().into(),
            <Tier as utoipa::PartialSchema>::schema(),
        ));
    }
}

impl From<Decimal> for Price {
    fn from(d: Decimal) -> Self {
        Price::Unit(d)
    }
}

// By hand rather than `untagged` so that a bad price says what is wrong
// instead of "did not match any variant".
impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PriceVisitor;
        impl<'de> Visitor<'de> for PriceVisitor {
            type Value = Price;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string such as \"9.99\" or a list of tiers")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Price, E> {
                v.parse::<Decimal>()
                    .map(Price::Unit)
                    .map_err(|_| E::custom(format!("{v:?} is not a decimal such as \"9.99\"")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Price, A::Error> {
                Vec::<Tier>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Price::Tiers)
            }
        }
        d.deserialize_any(PriceVisitor)
    }
}

/// The units of a quantity that one tier prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portion {
    /// The tier's exclusive lower bound (0 for the first tier).
    pub above: Decimal,
    /// The tier's inclusive upper bound; `None` when open-ended.
    pub up_to: Option<Decimal>,
    /// Units priced at `unit_price`.
    pub units: Decimal,
    /// The tier's unit price.
    pub unit_price: Decimal,
}

impl Portion {
    /// The exact amount of the portion, before rounding.
    pub fn amount(&self) -> Decimal {
        self.units * self.unit_price
    }

    /// `1–3`, `4+` style label of the tier, for quote lines; `None` for a
    /// single unbounded tier.
    pub fn range_label(&self) -> Option<String> {
        match (self.above.is_zero(), self.up_to) {
            (true, None) => None,
            (_, Some(to)) => Some(format!("{}–{}", self.above.normalize(), to.normalize())),
            (false, None) => Some(format!("over {}", self.above.normalize())),
        }
    }
}

/// Why a price cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// Linear pricing was given tiers.
    #[error("linear pricing takes one unit price, not tiers")]
    TiersForLinear,
    /// No tier, or tiers not ascending (validation keeps these out).
    #[error("the price tiers are not usable: {0}")]
    BadTiers(String),
    /// Negative quantities are never priced.
    #[error("quantity must not be negative")]
    NegativeQuantity,
    /// The SKU is not sold in the billing mode asked for.
    #[error("the SKU has no {0} price")]
    NoPrice(String),
    /// The amount does not fit.
    #[error("the amount overflows")]
    Overflow,
}

/// Splits `quantity` into the portions `model` prices it by.
pub fn portions(
    model: PricingModel,
    price: &Price,
    quantity: Decimal,
) -> Result<Vec<Portion>, PriceError> {
    if quantity.is_sign_negative() && !quantity.is_zero() {
        return Err(PriceError::NegativeQuantity);
    }
    let tiers = match price {
        Price::Unit(p) => {
            return Ok(vec![Portion {
                above: Decimal::ZERO,
                up_to: None,
                units: quantity,
                unit_price: *p,
            }]);
        }
        Price::Tiers(_) if model == PricingModel::Linear => return Err(PriceError::TiersForLinear),
        Price::Tiers(t) => t,
    };
    if let Some(problem) = tier_problems(tiers).into_iter().next() {
        return Err(PriceError::BadTiers(problem.1));
    }
    let mut above = Decimal::ZERO;
    let mut out = Vec::new();
    for tier in tiers {
        let top = tier.up_to.map_or(quantity, |to| quantity.min(to));
        match model {
            PricingModel::Volume => {
                if tier.up_to.is_none_or(|to| quantity <= to) {
                    return Ok(vec![Portion {
                        above,
                        up_to: tier.up_to,
                        units: quantity,
                        unit_price: tier.unit_price,
                    }]);
                }
            }
            _ => {
                if top > above {
                    out.push(Portion {
                        above,
                        up_to: tier.up_to,
                        units: top - above,
                        unit_price: tier.unit_price,
                    });
                }
            }
        }
        match tier.up_to {
            Some(to) => above = to,
            None => break,
        }
    }
    Ok(out)
}

/// The exact (unrounded) price of `quantity` units for one period.
pub fn period_price(
    model: PricingModel,
    price: &Price,
    quantity: Decimal,
) -> Result<Decimal, PriceError> {
    portions(model, price, quantity)?
        .iter()
        .try_fold(Decimal::ZERO, |sum, p| {
            p.units
                .checked_mul(p.unit_price)
                .and_then(|a| sum.checked_add(a))
        })
        .ok_or(PriceError::Overflow)
}

/// The unit price of the tier `quantity` falls in (a volume price's unit
/// price; the single price of a unit price).
pub fn tier_unit_price(price: &Price, quantity: Decimal) -> Option<Decimal> {
    match price {
        Price::Unit(p) => Some(*p),
        Price::Tiers(tiers) => tiers
            .iter()
            .find(|t| t.up_to.is_none_or(|to| quantity <= to))
            .map(|t| t.unit_price),
    }
}

/// Problems with `price` under `model`, each with a path relative to the
/// price (`""` for the price itself, `[1].up-to` for a tier's bound).
pub fn price_problems(model: PricingModel, price: &Price) -> Vec<(String, String)> {
    match price {
        Price::Unit(p) => unit_price_problem(*p)
            .map(|m| vec![(String::new(), m)])
            .unwrap_or_default(),
        Price::Tiers(_) if model == PricingModel::Linear => vec![(
            String::new(),
            "linear pricing takes one unit price; set pricing-model to tiered or volume for tiers"
                .into(),
        )],
        Price::Tiers(tiers) => tier_problems(tiers),
    }
}

fn unit_price_problem(p: Decimal) -> Option<String> {
    if p.is_sign_negative() && !p.is_zero() {
        Some("must not be negative".into())
    } else if !is_cents(p) {
        Some("at most 2 decimal places".into())
    } else {
        None
    }
}

fn tier_problems(tiers: &[Tier]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if tiers.is_empty() || tiers.len() > TIERS_MAX {
        out.push((String::new(), format!("must have 1 to {TIERS_MAX} tiers")));
    }
    let mut above = Decimal::ZERO;
    for (i, tier) in tiers.iter().enumerate() {
        let last = i + 1 == tiers.len();
        if let Some(m) = unit_price_problem(tier.unit_price) {
            out.push((format!("[{i}].unit-price"), m));
        }
        match tier.up_to {
            None if !last => out.push((
                format!("[{i}].up-to"),
                "only the last tier may be open-ended".into(),
            )),
            Some(_) if last => out.push((
                format!("[{i}].up-to"),
                "the last tier must be open-ended (no up-to)".into(),
            )),
            Some(to) if to <= above => out.push((
                format!("[{i}].up-to"),
                format!("must be greater than {}", above.normalize()),
            )),
            Some(to) => above = to,
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    /// The seeds' tiers (§3.5.4.3): within 3 minutes 0.30 a minute, beyond 0.20.
    fn seeds() -> Price {
        Price::Tiers(vec![
            Tier {
                up_to: Some(d("3")),
                unit_price: d("0.30"),
            },
            Tier {
                up_to: None,
                unit_price: d("0.20"),
            },
        ])
    }

    #[test]
    fn seeds_tiered_example_is_1_90() {
        let p = period_price(PricingModel::Tiered, &seeds(), d("8")).expect("price");
        assert_eq!(p, d("1.90"));
        let parts = portions(PricingModel::Tiered, &seeds(), d("8")).expect("portions");
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].units, parts[0].unit_price), (d("3"), d("0.30")));
        assert_eq!((parts[1].units, parts[1].unit_price), (d("5"), d("0.20")));
        assert_eq!(parts[1].range_label().as_deref(), Some("over 3"));
    }

    #[test]
    fn seeds_volume_example_is_1_60() {
        let p = period_price(PricingModel::Volume, &seeds(), d("8")).expect("price");
        assert_eq!(p, d("1.60"));
    }

    #[test]
    fn boundaries_are_inclusive() {
        let at = |model, q: &str| period_price(model, &seeds(), d(q)).expect("price");
        assert_eq!(at(PricingModel::Volume, "3"), d("0.90"));
        assert_eq!(at(PricingModel::Volume, "3.01"), d("0.602"));
        assert_eq!(at(PricingModel::Tiered, "3"), d("0.90"));
        assert_eq!(at(PricingModel::Tiered, "4"), d("1.10"));
        assert_eq!(at(PricingModel::Tiered, "0"), Decimal::ZERO);
    }

    #[test]
    fn linear_is_quantity_times_unit_price() {
        let unit = Price::Unit(d("9.99"));
        for model in [
            PricingModel::Linear,
            PricingModel::Tiered,
            PricingModel::Volume,
        ] {
            assert_eq!(period_price(model, &unit, d("5")), Ok(d("49.95")));
        }
        assert_eq!(
            period_price(PricingModel::Linear, &seeds(), d("5")),
            Err(PriceError::TiersForLinear)
        );
        assert_eq!(
            period_price(PricingModel::Tiered, &unit, d("-1")),
            Err(PriceError::NegativeQuantity)
        );
    }

    #[test]
    fn prices_parse_from_strings_or_tier_lists() {
        let unit: Price = serde_json::from_str(r#""9.99""#).expect("unit");
        assert_eq!(unit, Price::Unit(d("9.99")));
        let tiers: Price = serde_json::from_str(
            r#"[{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}]"#,
        )
        .expect("tiers");
        assert_eq!(tiers, seeds());
        let err = serde_json::from_str::<Price>(r#""nine""#).expect_err("bad");
        assert!(err.to_string().contains("not a decimal"), "{err}");
        assert!(
            serde_json::from_str::<Price>("9.99").is_err(),
            "floats are refused"
        );
        assert_eq!(
            serde_json::to_value(&tiers).expect("json"),
            serde_json::json!([{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}])
        );
    }
}
