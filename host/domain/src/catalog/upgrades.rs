//! Upgrade eligibility (seller guide §5.3): which changes of SKU and quantity are upgrades.

use rust_decimal::Decimal;

use super::{BillingMode, Sku, Specification};
use crate::price_model::{PriceError, period_price};

/// Whether a subscription to `from` × `quantity_from` may be upgraded to `to` ×
/// `quantity_to` under `mode`; a refusal says why.
///
/// Per §5.3 only monthly/yearly subscriptions upgrade, only within one specification, only
/// when the seller made the specification upgradable, and only to a strictly higher period
/// price. The target quantity must also be orderable ([`Specification::check_quantity`]);
/// the current one need only be within the quantity attribute, since purchase limits bind
/// new purchases and may have changed since.
pub fn upgrade_allowed(
    spec: &Specification,
    from: &Sku,
    to: &Sku,
    mode: BillingMode,
    quantity_from: u32,
    quantity_to: u32,
) -> Result<(), String> {
    upgrade_rules(spec, from, to, mode, quantity_from, quantity_to)?;
    let price = |sku: &Sku, quantity| {
        sku_period_price(spec, sku, mode, quantity)
            .map_err(|e| format!("SKU {} × {quantity}: {e}", sku.id))
    };
    price_must_rise(
        &format!("{} × {quantity_from}", from.id),
        &format!("{} × {quantity_to}", to.id),
        mode,
        price(from, quantity_from)?,
        price(to, quantity_to)?,
    )
}

/// The rules of [`upgrade_allowed`] apart from the price rise, for callers
/// whose prices come from a pricing plugin.
pub fn upgrade_rules(
    spec: &Specification,
    from: &Sku,
    to: &Sku,
    mode: BillingMode,
    quantity_from: u32,
    quantity_to: u32,
) -> Result<(), String> {
    if !mode.is_periodic() {
        return Err(format!(
            "only monthly or yearly subscriptions can be upgraded, not {mode}"
        ));
    }
    if !spec.upgradable {
        return Err(format!("specification {} is not upgradable", spec.id));
    }
    if !spec.billing_modes.contains(&mode) {
        return Err(format!("specification {} is not sold {mode}", spec.id));
    }
    for sku in [from, to] {
        if spec.sku(&sku.id) != Some(sku) {
            return Err(format!(
                "SKU {} is not part of specification {}; upgrades stay within one specification",
                sku.id, spec.id
            ));
        }
    }
    spec.check_quantity_range(quantity_from)
        .map_err(|e| format!("current quantity: {e}"))?;
    spec.check_quantity(quantity_to)
        .map_err(|e| format!("new quantity: {e}"))
}

/// The exact price of one `mode` period of `quantity` units of `sku`.
pub fn sku_period_price(
    spec: &Specification,
    sku: &Sku,
    mode: BillingMode,
    quantity: u32,
) -> Result<Decimal, PriceError> {
    let price = sku
        .prices
        .get(&mode)
        .ok_or_else(|| PriceError::NoPrice(mode.to_string()))?;
    period_price(spec.pricing_model, price, Decimal::from(quantity))
}

/// An upgrade must raise the period price (§5.3: a price conflict voids the rule).
pub fn price_must_rise(
    from: &str,
    to: &str,
    mode: BillingMode,
    old: Decimal,
    new: Decimal,
) -> Result<(), String> {
    if new <= old {
        return Err(format!(
            "an upgrade must raise the {mode} price: {to} costs {new}, not more than {from} at {old}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ProductDraft, PurchaseLimit, example_draft};
    use super::*;

    fn draft() -> ProductDraft {
        example_draft("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    }

    fn standard() -> Specification {
        let mut spec = draft().spec("standard").cloned().expect("spec");
        spec.upgradable = true;
        spec
    }

    fn sku<'a>(spec: &'a Specification, id: &str) -> &'a Sku {
        spec.sku(id).expect("sku")
    }

    #[test]
    fn upgrade_to_dearer_edition_or_more_users() {
        let spec = standard();
        let (basic, pro) = (sku(&spec, "basic"), sku(&spec, "pro"));
        assert_eq!(
            upgrade_allowed(&spec, basic, pro, BillingMode::Monthly, 5, 5),
            Ok(())
        );
        assert_eq!(
            upgrade_allowed(&spec, basic, basic, BillingMode::Yearly, 5, 6),
            Ok(())
        );
        // A dearer edition may pay for fewer users as long as the total rises.
        assert_eq!(
            upgrade_allowed(&spec, basic, pro, BillingMode::Monthly, 10, 6),
            Ok(())
        );
    }

    #[test]
    fn upgrade_refused_when_price_does_not_rise() {
        let spec = standard();
        let (basic, pro) = (sku(&spec, "basic"), sku(&spec, "pro"));
        let err = upgrade_allowed(&spec, pro, basic, BillingMode::Monthly, 5, 5).expect_err("down");
        assert!(err.contains("raise"), "{err}");
        let err =
            upgrade_allowed(&spec, basic, basic, BillingMode::Monthly, 5, 5).expect_err("same");
        assert!(err.contains("raise"), "{err}");
        let err =
            upgrade_allowed(&spec, basic, pro, BillingMode::Monthly, 10, 4).expect_err("less");
        assert!(err.contains("raise"), "{err}");
    }

    #[test]
    fn upgrade_refused_outside_the_rules() {
        let mut spec = standard();
        let (basic, pro) = (sku(&spec, "basic").clone(), sku(&spec, "pro").clone());
        let up = |spec: &Specification, mode| upgrade_allowed(spec, &basic, &pro, mode, 1, 1);

        assert!(
            up(&spec, BillingMode::OneTime)
                .expect_err("one-time")
                .contains("only monthly")
        );
        assert!(up(&spec, BillingMode::PayPerUse).is_err());

        spec.billing_modes = vec![BillingMode::Monthly];
        assert!(
            up(&spec, BillingMode::Yearly)
                .expect_err("yearly")
                .contains("not sold")
        );

        spec.upgradable = false;
        assert!(
            up(&spec, BillingMode::Monthly)
                .expect_err("flag")
                .contains("not upgradable")
        );

        let enterprise = draft().spec("enterprise").cloned().expect("spec");
        let err = upgrade_allowed(&enterprise, &basic, &pro, BillingMode::Yearly, 1, 1)
            .expect_err("foreign SKUs");
        assert!(err.contains("not part of specification"), "{err}");
    }

    #[test]
    fn upgrade_refused_for_unorderable_quantities() {
        let mut spec = standard();
        let (basic, pro) = (sku(&spec, "basic").clone(), sku(&spec, "pro").clone());
        let err = upgrade_allowed(&spec, &basic, &pro, BillingMode::Monthly, 1, 101)
            .expect_err("above max");
        assert!(err.starts_with("new quantity"), "{err}");
        let err = upgrade_allowed(&spec, &basic, &pro, BillingMode::Monthly, 0, 2)
            .expect_err("below min");
        assert!(err.starts_with("current quantity"), "{err}");

        // The purchase limit binds the new quantity only: 20 basic users (199.80) bought
        // before the limit may become 10 pro users (199.90).
        spec.purchase_limit = Some(PurchaseLimit {
            once_per_customer: false,
            max_quantity: Some(10),
        });
        assert_eq!(
            upgrade_allowed(&spec, &basic, &pro, BillingMode::Monthly, 20, 10),
            Ok(())
        );
        assert!(upgrade_allowed(&spec, &basic, &pro, BillingMode::Monthly, 5, 11).is_err());
    }
}
