//! A product's place in the catalogue and who may move it where (§5.4):
//! sellers hide and re-list their listed products, sellers and operators
//! remove; approval of the first release lists an unlisted product.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a product stands in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ProductStatus {
    /// Never released: only its seller and operators see it.
    Unlisted,
    /// Offered in the catalogue.
    Listed,
    /// Not offered to new customers; existing subscribers still reach it.
    Hidden,
    /// Withdrawn for good; it cannot change any more.
    Removed,
}

/// Who asks to move a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// The product's seller.
    Seller,
    /// An operator.
    Operator,
}

/// A status text that is none of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown product status `{0}`")]
pub struct UnknownStatus(pub String);

impl ProductStatus {
    /// Every status.
    pub const ALL: [ProductStatus; 4] = [
        ProductStatus::Unlisted,
        ProductStatus::Listed,
        ProductStatus::Hidden,
        ProductStatus::Removed,
    ];

    /// The stored and JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Unlisted => "unlisted",
            ProductStatus::Listed => "listed",
            ProductStatus::Hidden => "hidden",
            ProductStatus::Removed => "removed",
        }
    }

    /// The status spelled `s`, if any.
    pub fn parse(s: &str) -> Option<ProductStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether customers reach the product: listed, or hidden (hidden
    /// products stay reachable for existing subscribers).
    pub fn is_offered(self) -> bool {
        matches!(self, ProductStatus::Listed | ProductStatus::Hidden)
    }

    /// Whether new orders and quotes are taken: listed, or hidden from the
    /// catalogue but bought through the product's URL (§5.4).
    pub fn takes_orders(self) -> bool {
        self.is_offered()
    }

    /// Whether the product was removed.
    pub fn is_removed(self) -> bool {
        self == ProductStatus::Removed
    }

    /// The statuses `by` may move a product from to make it `self`, or
    /// `None` when `by` may not ask for `self` at all.
    pub fn reachable_from(self, by: Mover) -> Option<&'static [ProductStatus]> {
        use ProductStatus::*;
        match (self, by) {
            (Hidden, Mover::Seller) => Some(&[Listed]),
            (Listed, Mover::Seller) => Some(&[Hidden]),
            (Removed, _) => Some(&[Unlisted, Listed, Hidden]),
            _ => None,
        }
    }
}

impl fmt::Display for ProductStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ProductStatus {
    type Error = UnknownStatus;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProductStatus::parse(&s).ok_or(UnknownStatus(s))
    }
}

#[cfg(test)]
mod tests {
    use super::{Mover, ProductStatus};

    #[test]
    fn spellings_round_trip() {
        for s in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ProductStatus::parse("gone"), None);
    }

    #[test]
    fn only_removal_is_open_to_operators() {
        use ProductStatus::*;
        assert_eq!(Hidden.reachable_from(Mover::Operator), None);
        assert_eq!(Listed.reachable_from(Mover::Operator), None);
        assert_eq!(Unlisted.reachable_from(Mover::Seller), None);
        assert_eq!(
            Removed.reachable_from(Mover::Operator),
            Some(&[Unlisted, Listed, Hidden][..])
        );
        assert_eq!(Hidden.reachable_from(Mover::Seller), Some(&[Listed][..]));
    }
}
