//! Prices requests for the API: the built-in models of `domain::pricing`, or a
//! specification's pricing plugin, whose answer is checked before anyone is
//! charged by it.
//!
//! Pricing calls are side-effect free: a plugin gets an empty key-value store
//! whose writes are discarded, the product's plugin config, the request's
//! logical time and a seed derived from the request, so the same request at
//! the same time gets the same quote, and the order charges exactly it.

mod answer;

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::domain::catalog::{BillingMode, ProductDraft, Sku, Specification};
use crate::domain::pricing::{
    FeeBasis, PriceError, Quote, Remaining, SubscriptionTerms, UpgradeTerms, fee_basis,
    subscription_quote, upgrade_quote, usage_quote,
};
use crate::ids::seed_of;
use crate::runtime::wit::latest::pricing::QuoteRequest;
use crate::runtime::wit::latest::{Attribute, types};
use crate::runtime::{CallBudget, CallContext, CallFailure, MemoryKv, Runtime, wit_json};

pub use answer::check_answer;

/// Why a request could not be priced.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    /// The built-in model cannot price it.
    #[error(transparent)]
    Price(#[from] PriceError),
    /// The specification's pricing plugin is not loaded.
    #[error("the pricing plugin {0} is not loaded")]
    PluginMissing(String),
    /// The pricing plugin trapped, ran out of budget or was given bad input.
    #[error("the pricing plugin failed: {}", .0.error)]
    Call(Box<CallFailure>),
    /// The pricing plugin answered with an error.
    #[error("the pricing plugin declined: {0}")]
    Declined(String),
    /// The pricing plugin's answer is not a valid quote.
    #[error("the pricing plugin's quote is invalid at {field}: {message}")]
    BadAnswer {
        /// JSON path into the quotation.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// The product being priced and the moment of pricing.
#[derive(Clone, Copy)]
pub struct Pricing<'a> {
    /// Runs pricing plugins.
    pub runtime: &'a Runtime,
    /// The product's id, passed to plugins.
    pub product_id: &'a str,
    /// The live definition.
    pub product: &'a ProductDraft,
    /// Logical time of the pricing.
    pub now_ms: i64,
}

impl Pricing<'_> {
    /// The quote for a subscription, renewal or conversion.
    pub fn subscription(&self, t: &SubscriptionTerms) -> Result<Quote, QuoteError> {
        match (&t.spec.pricing_plugin, t.trial_days) {
            (Some(sha), None) if t.mode != BillingMode::PayPerUse => self.plugin_quote(sha, t),
            _ => Ok(subscription_quote(&self.product.currency, t)?),
        }
    }

    /// What a change from `from` × `q_from` to `to` × `q_to` is charged on;
    /// plugin-priced specifications use the plugin's one-period prices.
    pub fn fee_basis(
        &self,
        spec: &Specification,
        (from, q_from): (&Sku, u32),
        (to, q_to): (&Sku, u32),
        mode: BillingMode,
    ) -> Result<FeeBasis, QuoteError> {
        let Some(sha) = &spec.pricing_plugin else {
            return Ok(fee_basis(spec, from, to, mode, q_from, q_to)?);
        };
        let period = |sku, quantity| {
            let terms = SubscriptionTerms {
                spec,
                sku,
                mode,
                quantity,
                periods: 1,
                trial_days: None,
            };
            self.plugin_quote(sha, &terms).map(|q| q.total)
        };
        Ok(FeeBasis::Difference {
            old: period(from, q_from)?,
            new: period(to, q_to)?,
        })
    }

    /// The itemised fee of a change over what is left of the subscription.
    pub fn upgrade(
        &self,
        spec: &Specification,
        labels: (String, String),
        mode: BillingMode,
        basis: FeeBasis,
        remaining: Remaining,
    ) -> Quote {
        let priced_by = match &spec.pricing_plugin {
            Some(sha) => format!("plugin:{sha}"),
            None => format!("built-in:{}", spec.pricing_model.as_str()),
        };
        let terms = UpgradeTerms {
            from_label: labels.0,
            to_label: labels.1,
            mode,
            basis,
            remaining,
            // Bazaar has no customer discounts yet; §5.3's formula keeps the factor.
            discount: Decimal::ONE,
        };
        upgrade_quote(&self.product.currency, &terms, priced_by)
    }

    /// The charge of one closed pay-per-use cycle: `parts` are its billable
    /// records (what packages did not cover), `before` the usage already
    /// billed in the accumulation cycle. A specification's pricing plugin
    /// gets a `pay-per-use` request for the cycle's billable quantity; the
    /// built-in models price the parts themselves.
    pub fn usage(
        &self,
        spec: &Specification,
        sku: &Sku,
        parts: &[Decimal],
        before: Decimal,
    ) -> Result<Quote, QuoteError> {
        let Some(sha) = &spec.pricing_plugin else {
            return Ok(usage_quote(
                &self.product.currency,
                spec,
                sku,
                parts,
                before,
            )?);
        };
        let quantity: Decimal = parts.iter().sum();
        if quantity.is_zero() {
            // Packages covered it all: nothing to ask the plugin.
            return Ok(Quote::new(
                &self.product.currency,
                Vec::new(),
                format!("plugin:{sha}"),
            ));
        }
        let mut request = quote_request(
            self.product_id,
            &self.product.currency,
            &SubscriptionTerms {
                spec,
                sku,
                mode: BillingMode::PayPerUse,
                quantity: 1,
                periods: 0,
                trial_days: None,
            },
        );
        request.quantity = quantity.normalize().to_string();
        request
            .attributes
            .retain(|a| spec.quantity.as_ref().is_none_or(|q| q.name != a.code));
        self.call_plugin(sha, &request)
    }

    fn plugin_quote(&self, sha: &str, t: &SubscriptionTerms) -> Result<Quote, QuoteError> {
        let request = quote_request(self.product_id, &self.product.currency, t);
        self.call_plugin(sha, &request)
    }

    fn call_plugin(&self, sha: &str, request: &QuoteRequest) -> Result<Quote, QuoteError> {
        let plugin = self
            .runtime
            .get(sha)
            .ok_or_else(|| QuoteError::PluginMissing(sha.into()))?;
        let ctx = CallContext {
            now_ms: self.now_ms,
            // Seeded by the request's JSON form, as when it was sent as JSON.
            seed: seed_of(&format!("quote:{}:{}", wit_json(request), self.now_ms)),
            config: self.product.plugin_config.clone(),
            kv: Arc::new(MemoryKv::new()),
        };
        let outcome = self
            .runtime
            .call_quote(&plugin, request, ctx, &CallBudget::default())
            .map_err(|f| QuoteError::Call(Box::new(f)))?;
        check_answer(&outcome.output, &self.product.currency, sha)
    }
}

/// The WIT `quote-request` of a subscription.
fn quote_request(product_id: &str, currency: &str, t: &SubscriptionTerms) -> QuoteRequest {
    let mut attributes: Vec<Attribute> = t
        .sku
        .values
        .iter()
        .map(|(code, value)| Attribute {
            code: code.clone(),
            value: value.clone(),
        })
        .collect();
    if let Some(q) = &t.spec.quantity {
        attributes.push(Attribute {
            code: q.name.clone(),
            value: t.quantity.to_string(),
        });
    }
    QuoteRequest {
        product_id: product_id.to_string(),
        sku_code: t.sku.id.clone(),
        billing_mode: wit_billing_mode(t.mode),
        attributes,
        quantity: t.quantity.to_string(),
        period_count: if t.mode.is_periodic() { t.periods } else { 0 },
        trial: false,
        currency: currency.to_string(),
    }
}

/// A billing mode as the WIT's.
pub(crate) fn wit_billing_mode(mode: BillingMode) -> types::BillingMode {
    match mode {
        BillingMode::Monthly => types::BillingMode::Monthly,
        BillingMode::Yearly => types::BillingMode::Yearly,
        BillingMode::OneTime => types::BillingMode::OneTime,
        BillingMode::PayPerUse => types::BillingMode::PayPerUse,
    }
}
