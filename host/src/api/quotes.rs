//! Quotes: what a subscription or a change to an instance costs, itemised.
//! Order taking prices through exactly these functions, so a quote and the
//! order placed right after it charge the same lines and total.

use std::sync::Arc;

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::app::access::visible_product;
use crate::domain::catalog::{
    BillingMode, ProductDraft, Sku, Specification, add_period, price_must_rise, upgrade_rules,
};
use crate::domain::pricing::{FeeBasis, Quote, SubscriptionTerms, remaining};
use crate::quoting::{Pricing, QuoteError};
use crate::store::{InstanceRow, ProductRow};
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::post;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/quotes", post(quote_subscription))
        .route("/instances/{id}/quote", post(quote_change))
}

/// Most periods one order may buy: months for monthly, years for yearly.
pub(super) const MAX_PERIODS: u32 = 60;

/// A subscription as a customer asks for it (`POST /v1/orders`, `POST /v1/quotes`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct SubscriptionRequest {
    pub product: String,
    pub specification: String,
    pub sku: String,
    pub billing_mode: BillingMode,
    pub periods: Option<u32>,
    pub quantity: Option<u32>,
    #[serde(default)]
    pub trial: bool,
}

/// A subscription request checked against the live product, and its price.
pub(super) struct PricedSubscription {
    pub product: ProductRow,
    pub live: ProductDraft,
    pub spec: Specification,
    pub sku: Sku,
    pub quantity: u32,
    /// Periods bought; 0 for one-time and pay-per-use.
    pub periods: u32,
    pub expires_at: Option<i64>,
    pub quote: Quote,
}

/// Checks `req` against the product the customer may buy and prices it.
pub(super) async fn price_subscription(
    state: &AppState,
    actor: &Actor,
    req: &SubscriptionRequest,
    now: i64,
) -> Result<PricedSubscription, ApiError> {
    let product = visible_product(state, actor, &req.product).await?;
    if !product.status.is_listed() {
        return Err(ApiError::Conflict(format!(
            "product {} is not on sale",
            product.id
        )));
    }
    let live: ProductDraft = serde_json::from_str(product.live.as_deref().unwrap_or("null"))?;
    let spec = live.spec(&req.specification).cloned().ok_or_else(|| {
        ApiError::bad(
            "specification",
            format!("the product has no specification `{}`", req.specification),
        )
    })?;
    let sku = spec.sku(&req.sku).cloned().ok_or_else(|| {
        ApiError::bad(
            "sku",
            format!("specification `{}` has no SKU `{}`", spec.id, req.sku),
        )
    })?;
    let mode = req.billing_mode;
    if !spec.billing_modes.contains(&mode) {
        return Err(ApiError::bad(
            "billing-mode",
            format!("specification `{}` is not sold {mode}", spec.id),
        ));
    }
    let quantity = req
        .quantity
        .unwrap_or_else(|| spec.quantity.as_ref().map_or(1, |q| q.min));
    spec.check_quantity(quantity)
        .map_err(|m| ApiError::bad("quantity", m))?;
    let periodic = mode.is_periodic();
    let periods = match (periodic, req.periods) {
        (true, None) => 1,
        (true, Some(p)) if (1..=MAX_PERIODS).contains(&p) => p,
        (true, Some(_)) => {
            return Err(ApiError::bad(
                "periods",
                format!("buy 1 to {MAX_PERIODS} periods"),
            ));
        }
        (false, None | Some(1)) => 0,
        (false, Some(_)) => {
            return Err(ApiError::bad(
                "periods",
                "only monthly and yearly orders have periods",
            ));
        }
    };
    let (trial_days, expires_at) = if req.trial {
        let trial = spec.trial.filter(|_| periodic).ok_or_else(|| {
            ApiError::bad(
                "trial",
                format!("specification `{}` offers no trial for {mode}", spec.id),
            )
        })?;
        if !spec.trial_allowed(actor.id()) {
            return Err(ApiError::Forbidden(
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
    let quote = run(state, &product.id, &live, now, move |p| {
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

/// Runs a pricing, on a blocking thread when a plugin may be called.
async fn run<T, F>(
    state: &AppState,
    product_id: &str,
    live: &ProductDraft,
    now_ms: i64,
    f: F,
) -> Result<T, ApiError>
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
            runtime: &state.runtime,
            product_id,
            product: live,
            now_ms,
        };
        return Ok(f(&p)?);
    }
    let (runtime, live, id) = (
        state.runtime.clone(),
        Arc::new(live.clone()),
        product_id.to_string(),
    );
    let result = tokio::task::spawn_blocking(move || {
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
) -> Result<(&'a Specification, &'a Sku), ApiError> {
    live.spec(&i.spec_id)
        .and_then(|s| Some((s, s.sku(&i.sku_id)?)))
        .ok_or_else(|| ApiError::Conflict("the SKU is no longer sold".into()))
}

pub(super) fn mode(i: &InstanceRow) -> Result<BillingMode, ApiError> {
    Ok(serde_json::from_value(json!(i.billing_mode))?)
}

/// The price of `periods` more periods of the instance (a renewal, or a
/// trial's conversion starting `from`) and the new expiry.
pub(super) async fn price_periods(
    state: &AppState,
    i: &InstanceRow,
    live: &ProductDraft,
    from: i64,
    periods: u32,
) -> Result<(Quote, i64), ApiError> {
    let m = mode(i)?;
    let (spec, sku) = sold(i, live)?;
    let expires_at =
        add_period(from, m, periods).ok_or_else(|| ApiError::bad("periods", "out of range"))?;
    let quantity = u32::try_from(i.quantity).unwrap_or(1);
    let (s, k) = (spec.clone(), sku.clone());
    let quote = run(state, &i.product_id, live, state.clock.now_ms(), move |p| {
        p.subscription(&SubscriptionTerms {
            spec: &s,
            sku: &k,
            mode: m,
            quantity,
            periods,
            trial_days: None,
        })
    })
    .await?;
    Ok((quote, expires_at))
}

/// An upgrade as a customer asks for it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct UpgradeRequest {
    pub sku: String,
    pub quantity: Option<u32>,
}

/// An upgrade checked against §5.3 and priced.
pub(super) struct PricedUpgrade {
    pub sku: String,
    pub quantity: u32,
    pub remaining_ms: i64,
    pub quote: Quote,
}

/// Checks an upgrade of `i` and prices it over what is left of its period.
pub(super) async fn price_upgrade(
    state: &AppState,
    i: &InstanceRow,
    live: &ProductDraft,
    req: &UpgradeRequest,
) -> Result<PricedUpgrade, ApiError> {
    let m = mode(i)?;
    let (spec, from) = sold(i, live)?;
    let to = spec.sku(&req.sku).ok_or_else(|| {
        ApiError::bad(
            "sku",
            format!("specification `{}` has no SKU `{}`", spec.id, req.sku),
        )
    })?;
    let q_from = u32::try_from(i.quantity).unwrap_or(1);
    let q_to = req.quantity.unwrap_or(q_from);
    spec.check_quantity(q_to)
        .map_err(|msg| ApiError::bad("quantity", msg))?;
    if i.trial {
        return Err(ApiError::Conflict(
            "convert the trial before upgrading it".into(),
        ));
    }
    upgrade_rules(spec, from, to, m, q_from, q_to).map_err(|msg| ApiError::bad("sku", msg))?;
    let now = state.clock.now_ms();
    let expires = i.expires_at.unwrap_or(now);
    let left = remaining(now, expires, m)
        .filter(|r| !r.is_none())
        .ok_or_else(|| ApiError::Conflict("the subscription has run out; renew it first".into()))?;
    let unit = spec.quantity.as_ref().map_or("", |q| q.name.as_str());
    let label = |sku: &Sku, q: u32| format!("{} × {q} {unit}", sku.id).trim_end().to_string();
    let labels = (label(from, q_from), label(to, q_to));
    let (s, f, t, l) = (spec.clone(), from.clone(), to.clone(), labels.clone());
    let (basis, quote) = run(state, &i.product_id, live, now, move |p| {
        let basis = p.fee_basis(&s, (&f, q_from), (&t, q_to), m)?;
        Ok((basis, p.upgrade(&s, l, m, basis, left)))
    })
    .await?;
    // Volume expansion charges only the added units, whatever the new total.
    if let FeeBasis::Difference { old, new } = basis {
        price_must_rise(&labels.0, &labels.1, m, old, new)
            .map_err(|msg| ApiError::bad("sku", msg))?;
    }
    Ok(PricedUpgrade {
        sku: to.id.clone(),
        quantity: q_to,
        remaining_ms: expires - now,
        quote,
    })
}

async fn quote_subscription(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: SubscriptionRequest = super::extract::parse(&body)?;
    let now = state.clock.now_ms();
    let priced = price_subscription(&state, &actor, &req, now).await?;
    Ok(Json(json!({
        "quote": priced.quote,
        "quantity": priced.quantity,
        "periods": priced.periods,
        "expires-at": priced.expires_at,
        "quoted-at": now,
    })))
}

/// A change to price: the body of `POST /v1/instances/{id}/quote`.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
enum Change {
    Renew {
        #[serde(default = "super::instances::one")]
        periods: u32,
    },
    Convert {
        #[serde(default = "super::instances::one")]
        periods: u32,
    },
    Upgrade {
        sku: String,
        quantity: Option<u32>,
    },
}

async fn quote_change(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (i, live, status) = super::instances::own(&state, &actor, &id).await?;
    let now = state.clock.now_ms();
    let change: Change = super::extract::parse(&body)?;
    let (quote, expires_at) = match change {
        Change::Renew { periods } => {
            super::instances::check_periods(periods)?;
            let from = super::instances::renewal_start(&i, status, now)?;
            let (q, e) = price_periods(&state, &i, &live, from, periods).await?;
            (q, Some(e))
        }
        Change::Convert { periods } => {
            super::instances::check_periods(periods)?;
            let from = super::instances::conversion_start(&i, now)?;
            let (q, e) = price_periods(&state, &i, &live, from, periods).await?;
            (q, Some(e))
        }
        Change::Upgrade { sku, quantity } => {
            let up = price_upgrade(&state, &i, &live, &UpgradeRequest { sku, quantity }).await?;
            (up.quote, i.expires_at)
        }
    };
    Ok(Json(
        json!({"quote": quote, "expires-at": expires_at, "quoted-at": now}),
    ))
}

impl From<QuoteError> for ApiError {
    fn from(e: QuoteError) -> Self {
        match e {
            QuoteError::Call(f) => ApiError::CallFailed(f),
            QuoteError::Price(p) => ApiError::Conflict(format!("cannot price this: {p}")),
            other => ApiError::Pricing {
                field: match &other {
                    QuoteError::BadAnswer { field, .. } => Some(field.clone()),
                    _ => None,
                },
                message: other.to_string(),
            },
        }
    }
}
