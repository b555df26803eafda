//! The one pricing module: every amount the marketplace shows or charges is
//! computed here, exact to the cent with `rust_decimal`.
//!
//! - [`model`]: how a SKU's price turns a quantity into a period price
//!   (linear, tiered/graduated, volume; seller guide §3.8, §3.5.4.3);
//! - [`quote`]: itemised quotes for subscriptions, renewals, conversions and
//!   usage, built from those prices;
//! - [`proration`]: the day count for the rest of a subscription period;
//! - [`fees`]: upgrade and capacity-expansion fees (§5.3);
//! - [`money`]: the single rounding rule.
//!
//! **Rounding**: each quote line's amount is rounded once, half-even to two
//! decimal places ([`money::money`]); a total is the exact sum of its rounded
//! lines. Nothing else in the host rounds money.
//!
//! **Tier boundaries**: a tier's `up-to` is inclusive. With tiers
//! `[{up-to 3, 0.30}, {0.20}]` units 1–3 are in the first tier and unit 4
//! onwards in the second; a volume quantity of exactly 3 is priced at 0.30.

pub mod fees;
pub mod proration;
pub mod quote;
pub mod refunds;

// The price model and the rounding rule sit below the catalogue, which
// validates prices with them; re-exported so `pricing::model` and
// `pricing::money` keep their paths.
pub use crate::money;
pub use crate::price_model as model;

pub use crate::catalog::sku_period_price;
pub use fees::{FeeBasis, UpgradeTerms, fee_basis, upgrade_quote};
pub use model::{Price, PriceError, PricingModel, Tier, period_price};
pub use money::money;
pub use proration::{Remaining, remaining};
pub use quote::{Quote, QuoteLine, SubscriptionTerms, subscription_quote, usage_quote};
pub use refunds::{RefundTerms, refund_quote};
