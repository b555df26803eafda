//! Quotes: what a subscription or a change to an instance costs, itemised.
//! Order taking prices through exactly these functions, so a quote and the
//! order placed right after it charge the same lines and total.

use std::sync::Arc;

use super::access::visible_product;
use super::plugin_pool::{CallKind, Ticket};
use super::{App, AppError, Caller};
use crate::domain::catalog::ProductStatus;
use crate::domain::catalog::{
    BillingMode, ProductDraft, Sku, Specification, add_period, price_must_rise, upgrade_rules,
};
use crate::domain::pricing::{
    FeeBasis, Quote, RefundTerms, SubscriptionTerms, refund_quote, remaining,
};
use crate::quoting::{Pricing, QuoteError};
use crate::store::{InstanceRow, ProductRow};
use serde::Deserialize;

/// Most periods one order may buy: months for monthly, years for yearly.
pub const MAX_PERIODS: u32 = 60;

/// A subscription as a customer asks for it (`POST /v1/orders`, `POST /v1/quotes`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// The product.
    pub product: String,
    /// The specification of the product.
    pub specification: String,
    /// The SKU of the specification.
    pub sku: String,
    /// How it is charged; one of the specification's modes.
    pub billing_mode: BillingMode,
    /// Periods to buy (monthly and yearly only; 1 by default).
    pub periods: Option<u32>,
    /// Units of the quantity attribute (the specification's minimum by default).
    pub quantity: Option<u32>,
    /// A free trial instead of a paid period.
    #[serde(default)]
    pub trial: bool,
}

/// A subscription request checked against the live product, and its price.
pub struct PricedSubscription {
    /// The product.
    pub product: ProductRow,
    /// Its live definition.
    pub live: ProductDraft,
    /// The specification bought.
    pub spec: Specification,
    /// The SKU bought.
    pub sku: Sku,
    /// Units bought.
    pub quantity: u32,
    /// Periods bought; 0 for one-time and pay-per-use.
    pub periods: u32,
    /// End of the paid (or trial) period.
    pub expires_at: Option<i64>,
    /// The price.
    pub quote: Quote,
}

/// A quote for a subscription, as `POST /v1/quotes` answers it.
pub struct SubscriptionQuote {
    /// The priced subscription.
    pub priced: PricedSubscription,
    /// When it was priced (ms).
    pub quoted_at: i64,
}

/// Prices a subscription without ordering it.
pub async fn quote_subscription(
    app: &App,
    caller: &Caller,
    req: &SubscriptionRequest,
) -> Result<SubscriptionQuote, AppError> {
    let now = app.clock.now_ms();
    let priced = price_subscription(app, caller, req, now).await?;
    Ok(SubscriptionQuote {
        priced,
        quoted_at: now,
    })
}

/// Checks `req` against the product the customer may buy and prices it.
pub async fn price_subscription(
    app: &App,
    caller: &Caller,
    req: &SubscriptionRequest,
    now: i64,
) -> Result<PricedSubscription, AppError> {
    let product = visible_product(app, caller, &req.product).await?;
    // The seller previews the prices of the definition being prepared (a
    // product never released has nothing else); everyone else prices what is
    // on sale, listed or hidden (§5.4: a hidden product is bought by its URL).
    let live: ProductDraft = if caller.id == product.seller_id {
        serde_json::from_str(&product.draft)?
    } else if product.status.takes_orders() {
        serde_json::from_str(product.live.as_deref().unwrap_or("null"))?
    } else {
        return Err(AppError::Conflict(format!(
            "product {} is not on sale",
            product.id
        )));
    };
    let spec = live.spec(&req.specification).cloned().ok_or_else(|| {
        AppError::bad(
            "specification",
            format!("the product has no specification `{}`", req.specification),
        )
    })?;
    let sku = spec.sku(&req.sku).cloned().ok_or_else(|| {
        AppError::bad(
            "sku",
            format!("specification `{}` has no SKU `{}`", spec.id, req.sku),
        )
    })?;
    let mode = req.billing_mode;
    if !spec.billing_modes.contains(&mode) {
        return Err(AppError::bad(
            "billing-mode",
            format!("specification `{}` is not sold {mode}", spec.id),
        ));
    }
    let quantity = req
        .quantity
        .unwrap_or_else(|| spec.quantity.as_ref().map_or(1, |q| q.min));
    spec.check_quantity(quantity)
        .map_err(|m| AppError::bad("quantity", m))?;
    let periodic = mode.is_periodic();
    let periods = match (periodic, req.periods) {
        (true, None) => 1,
        (true, Some(p)) => check_periods(p)?,
        (false, None | Some(1)) => 0,
        (false, Some(_)) => {
            return Err(AppError::bad(
                "periods",
                "only monthly and yearly orders have periods",
            ));
        }
    };
    let (trial_days, expires_at) = if req.trial {
        let trial = spec.trial.filter(|_| periodic).ok_or_else(|| {
            AppError::bad(
                "trial",
                format!("specification `{}` offers no trial for {mode}", spec.id),
            )
        })?;
        if !spec.trial_allowed(caller.id()) {
            return Err(AppError::Forbidden(
                "the seller limits this trial to listed customers".into(),
            ));
        }
        (
            Some(trial.days),
            Some(now + i64::from(trial.days) * 86_400_000),
        )
    } else {
        (None, add_period(now, mode, periods))
    };
    let (s, k) = (spec.clone(), sku.clone());
    let quote = run(app, &product.seller_id, &product.id, &live, now, move |p| {
        p.subscription(&SubscriptionTerms {
            spec: &s,
            sku: &k,
            mode,
            quantity,
            periods,
            trial_days,
        })
    })
    .await?;
    Ok(PricedSubscription {
        product,
        live,
        spec,
        sku,
        quantity,
        periods,
        expires_at,
        quote,
    })
}

/// Runs a pricing, on the plugin pool (charged to the product's seller)
/// when a plugin may be called.
async fn run<T, F>(
    app: &App,
    seller_id: &str,
    product_id: &str,
    live: &ProductDraft,
    now_ms: i64,
    f: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Pricing) -> Result<T, QuoteError> + Send + 'static,
{
    if live
        .specifications
        .iter()
        .all(|s| s.pricing_plugin.is_none())
    {
        let p = Pricing {
            runtime: &app.runtime,
            product_id,
            product: live,
            now_ms,
        };
        return Ok(f(&p)?);
    }
    // Pricing plugins get the seller's configuration as it was entered.
    let mut opened = live.clone();
    opened.plugin_config = app.secrets.open_config(product_id, &live.plugin_config);
    let (runtime, live, id) = (
        app.runtime.clone(),
        Arc::new(opened),
        product_id.to_string(),
    );
    let ticket = Ticket::new(seller_id, CallKind::Seller);
    let result = app
        .plugins
        .run(ticket, move || {
            f(&Pricing {
                runtime: &runtime,
                product_id: &id,
                product: &live,
                now_ms,
            })
        })
        .await?;
    Ok(result?)
}

/// The instance's specification and SKU as sold now.
fn sold<'a>(
    i: &InstanceRow,
    live: &'a ProductDraft,
) -> Result<(&'a Specification, &'a Sku), AppError> {
    live.spec(&i.spec_id)
        .and_then(|s| Some((s, s.sku(&i.sku_id)?)))
        .ok_or_else(|| AppError::Conflict("the SKU is no longer sold".into()))
}

/// The instance's billing mode.
pub fn mode(i: &InstanceRow) -> Result<BillingMode, AppError> {
    Ok(i.billing_mode)
}

/// Checks a count of periods to buy.
pub fn check_periods(p: u32) -> Result<u32, AppError> {
    if (1..=MAX_PERIODS).contains(&p) {
        Ok(p)
    } else {
        Err(AppError::bad(
            "periods",
            format!("buy 1 to {MAX_PERIODS} periods"),
        ))
    }
}

/// Where a trial's paid period starts (now), after checking `i` is a trial.
pub fn conversion_start(i: &InstanceRow, now: i64) -> Result<i64, AppError> {
    if !i.trial {
        return Err(AppError::Conflict("only a trial can be converted".into()));
    }
    Ok(now)
}

/// Where a renewal of `i` starts, after checking it can be renewed: an active
/// instance's period is extended; an expired one starts anew now.
pub fn renewal_start(
    i: &InstanceRow,
    product_status: &ProductStatus,
    now: i64,
) -> Result<i64, AppError> {
    let m = mode(i)?;
    if !m.is_periodic() {
        return Err(AppError::Conflict(format!(
            "a {m} instance has nothing to renew"
        )));
    }
    if i.trial {
        return Err(AppError::Conflict(
            "a trial is converted (`/convert`), not renewed".into(),
        ));
    }
    if product_status.is_removed() {
        return Err(AppError::Conflict(
            "the product was removed; it cannot be renewed".into(),
        ));
    }
    Ok(i.expires_at.unwrap_or(now).max(now))
}

/// The price of `periods` more periods of the instance (a renewal, or a
/// trial's conversion starting `from`) and the new expiry.
pub async fn price_periods(
    app: &App,
    i: &InstanceRow,
    live: &ProductDraft,
    from: i64,
    periods: u32,
) -> Result<(Quote, i64), AppError> {
    let m = mode(i)?;
    let (spec, sku) = sold(i, live)?;
    let expires_at =
        add_period(from, m, periods).ok_or_else(|| AppError::bad("periods", "out of range"))?;
    let quantity = u32::try_from(i.quantity).unwrap_or(1);
    let (s, k) = (spec.clone(), sku.clone());
    let quote = run(
        app,
        &i.seller_id,
        &i.product_id,
        live,
        app.clock.now_ms(),
        move |p| {
            p.subscription(&SubscriptionTerms {
                spec: &s,
                sku: &k,
                mode: m,
                quantity,
                periods,
                trial_days: None,
            })
        },
    )
    .await?;
    Ok((quote, expires_at))
}

/// An upgrade as a customer asks for it (`POST /v1/instances/{id}/upgrade`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UpgradeRequest {
    /// The SKU to move to, in the same specification.
    pub sku: String,
    /// The new quantity (unchanged by default).
    pub quantity: Option<u32>,
}

/// An upgrade checked against §5.3 and priced.
pub struct PricedUpgrade {
    /// The new SKU.
    pub sku: String,
    /// The new quantity.
    pub quantity: u32,
    /// What is left of the period (ms).
    pub remaining_ms: i64,
    /// The price.
    pub quote: Quote,
}

/// Checks an upgrade of `i` and prices it over what is left of its period.
pub async fn price_upgrade(
    app: &App,
    i: &InstanceRow,
    live: &ProductDraft,
    req: &UpgradeRequest,
) -> Result<PricedUpgrade, AppError> {
    let m = mode(i)?;
    let (spec, from) = sold(i, live)?;
    let to = spec.sku(&req.sku).ok_or_else(|| {
        AppError::bad(
            "sku",
            format!("specification `{}` has no SKU `{}`", spec.id, req.sku),
        )
    })?;
    let q_from = u32::try_from(i.quantity).unwrap_or(1);
    let q_to = req.quantity.unwrap_or(q_from);
    spec.check_quantity(q_to)
        .map_err(|msg| AppError::bad("quantity", msg))?;
    if i.trial {
        return Err(AppError::Conflict(
            "convert the trial before upgrading it".into(),
        ));
    }
    upgrade_rules(spec, from, to, m, q_from, q_to).map_err(|msg| AppError::bad("sku", msg))?;
    let now = app.clock.now_ms();
    let expires = i.expires_at.unwrap_or(now);
    let left = remaining(now, expires, m)
        .filter(|r| !r.is_none())
        .ok_or_else(|| AppError::Conflict("the subscription has run out; renew it first".into()))?;
    let unit = spec.quantity.as_ref().map_or("", |q| q.name.as_str());
    let label = |sku: &Sku, q: u32| format!("{} × {q} {unit}", sku.id).trim_end().to_string();
    let labels = (label(from, q_from), label(to, q_to));
    let (s, f, t, l) = (spec.clone(), from.clone(), to.clone(), labels.clone());
    let (basis, quote) = run(app, &i.seller_id, &i.product_id, live, now, move |p| {
        let basis = p.fee_basis(&s, (&f, q_from), (&t, q_to), m)?;
        Ok((basis, p.upgrade(&s, l, m, basis, left)))
    })
    .await?;
    // Volume expansion charges only the added units, whatever the new total.
    if let FeeBasis::Difference { old, new } = basis {
        price_must_rise(&labels.0, &labels.1, m, old, new)
            .map_err(|msg| AppError::bad("sku", msg))?;
    }
    Ok(PricedUpgrade {
        sku: to.id.clone(),
        quantity: q_to,
        remaining_ms: expires - now,
        quote,
    })
}

/// What unsubscribing `i` now gives back (a quote with negative lines and
/// total): the unused part of one period's price at the instance's SKU and
/// quantity as its pricing prices it, by the upgrade day count, rounded
/// once, at most what its orders paid and was not refunded. Nothing for a
/// trial, pay-per-use or one-time instance, or a subscription run out.
pub async fn price_refund(
    app: &App,
    i: &InstanceRow,
    live: &ProductDraft,
) -> Result<Quote, AppError> {
    use crate::domain::instance::InstanceState;
    if !matches!(i.state, InstanceState::Active | InstanceState::Frozen) {
        return Err(AppError::Conflict(format!(
            "the instance is {}",
            i.state.as_str()
        )));
    }
    let m = mode(i)?;
    let nothing = || Quote::new(&live.currency, Vec::new(), "none".into());
    let now = app.clock.now_ms();
    let Some(left) = i
        .expires_at
        .and_then(|e| remaining(now, e, m))
        .filter(|r| !i.trial && m.is_periodic() && !r.is_none())
    else {
        return Ok(nothing());
    };
    let refundable = app.store.refundable(&i.id).await?;
    if refundable <= rust_decimal::Decimal::ZERO {
        return Ok(nothing());
    }
    let (spec, sku) = sold(i, live)?;
    let quantity = u32::try_from(i.quantity).unwrap_or(1);
    let unit = spec.quantity.as_ref().map_or("", |q| q.name.as_str());
    let label = format!("{} × {quantity} {unit}", sku.id)
        .trim_end()
        .to_string();
    let (s, k, currency) = (spec.clone(), sku.clone(), live.currency.clone());
    run(app, &i.seller_id, &i.product_id, live, now, move |p| {
        let period = p.subscription(&SubscriptionTerms {
            spec: &s,
            sku: &k,
            mode: m,
            quantity,
            periods: 1,
            trial_days: None,
        })?;
        let terms = RefundTerms {
            label,
            mode: m,
            period_price: period.total,
            remaining: left,
            refundable,
        };
        Ok(refund_quote(&currency, &terms, period.priced_by))
    })
    .await
}

/// The serde default of a count of periods.
pub fn one() -> u32 {
    1
}

/// A change to price: the body of `POST /v1/instances/{id}/quote`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum QuoteChange {
    /// More periods.
    Renew {
        /// How many (1 by default).
        #[serde(default = "one")]
        periods: u32,
    },
    /// A trial's conversion.
    Convert {
        /// How many periods (1 by default).
        #[serde(default = "one")]
        periods: u32,
    },
    /// Another SKU or quantity.
    Upgrade {
        /// The new SKU.
        sku: String,
        /// The new quantity.
        quantity: Option<u32>,
    },
    /// Ending the subscription: what it refunds (negative lines and total).
    Unsubscribe,
}

/// A quote for a change to an instance.
pub struct ChangeQuote {
    /// The price.
    pub quote: Quote,
    /// The expiry after the change.
    pub expires_at: Option<i64>,
    /// When it was priced (ms).
    pub quoted_at: i64,
}

/// Prices a change to the caller's instance without ordering it.
pub async fn quote_change(
    app: &App,
    caller: &Caller,
    instance_id: &str,
    change: QuoteChange,
) -> Result<ChangeQuote, AppError> {
    let (i, live, status) = super::access::own_instance(app, caller, instance_id).await?;
    let now = app.clock.now_ms();
    let (quote, expires_at) = match change {
        QuoteChange::Renew { periods } => {
            check_periods(periods)?;
            let from = renewal_start(&i, &status, now)?;
            let (q, e) = price_periods(app, &i, &live, from, periods).await?;
            (q, Some(e))
        }
        QuoteChange::Convert { periods } => {
            check_periods(periods)?;
            let from = conversion_start(&i, now)?;
            let (q, e) = price_periods(app, &i, &live, from, periods).await?;
            (q, Some(e))
        }
        QuoteChange::Upgrade { sku, quantity } => {
            let up = price_upgrade(app, &i, &live, &UpgradeRequest { sku, quantity }).await?;
            (up.quote, i.expires_at)
        }
        QuoteChange::Unsubscribe => (price_refund(app, &i, &live).await?, Some(now)),
    };
    Ok(ChangeQuote {
        quote,
        expires_at,
        quoted_at: now,
    })
}

impl From<QuoteError> for AppError {
    fn from(e: QuoteError) -> Self {
        match e {
            QuoteError::Call(f) => AppError::CallFailed(f),
            QuoteError::Price(p) => AppError::Conflict(format!("cannot price this: {p}")),
            other => AppError::Pricing {
                field: match &other {
                    QuoteError::BadAnswer { field, .. } => Some(field.clone()),
                    _ => None,
                },
                message: other.to_string(),
            },
        }
    }
}
