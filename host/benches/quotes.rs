//! Quotes per second: the built-in pricing models against a pricing plugin.
//!
//! - `builtin/tiered`: `subscription_quote` of 8 units × 3 months under the
//!   seeds' tiers (two lines), the work `POST /v1/quotes` does besides HTTP;
//! - `builtin/upgrade-fee`: the day count and the itemised §5.3 fee;
//! - `plugin/tiered-pricing`: the same subscription priced by the
//!   `tiered_pricing` example plugin through `quoting::Pricing`: a fresh
//!   sandboxed instance per quote, the call, and the answer's validation.
//!
//! Run: `cargo xtask plugins && cargo bench -p bazaar-host --bench quotes`.

mod common;

use bazaar_host::domain::catalog::{BillingMode, ProductDraft, date_ms, example_draft};
use bazaar_host::domain::pricing::fees::{FeeBasis, UpgradeTerms};
use bazaar_host::domain::pricing::{
    Price, PricingModel, SubscriptionTerms, remaining, subscription_quote, upgrade_quote,
};
use bazaar_host::quoting::Pricing;
use criterion::Criterion;
use rust_decimal::Decimal;
use std::hint::black_box;

fn product(plugin: Option<String>) -> ProductDraft {
    let mut draft = example_draft(&"0".repeat(64));
    let tiers: Price =
        serde_json::from_str(r#"[{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}]"#)
            .expect("tiers");
    let spec = &mut draft.specifications[0];
    spec.pricing_model = PricingModel::Tiered;
    spec.pricing_plugin = plugin;
    for sku in &mut spec.skus {
        sku.prices.insert(BillingMode::Monthly, tiers.clone());
        sku.prices.insert(BillingMode::Yearly, tiers.clone());
    }
    draft
}

fn terms(draft: &ProductDraft) -> SubscriptionTerms<'_> {
    let spec = &draft.specifications[0];
    SubscriptionTerms {
        spec,
        sku: &spec.skus[0],
        mode: BillingMode::Monthly,
        quantity: 8,
        periods: 3,
        trial_days: None,
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let builtin = product(None);
    c.bench_function("builtin/tiered", |b| {
        b.iter(|| subscription_quote("USD", black_box(&terms(&builtin))).expect("quote"))
    });
    c.bench_function("builtin/upgrade-fee", |b| {
        b.iter(|| {
            let left = remaining(
                black_box(date_ms(2024, 3, 16)),
                date_ms(2024, 3, 31),
                BillingMode::Monthly,
            )
            .expect("left");
            let t = UpgradeTerms {
                from_label: "basic × 5".into(),
                to_label: "pro × 5".into(),
                mode: BillingMode::Monthly,
                basis: FeeBasis::Difference {
                    old: Decimal::new(1000, 2),
                    new: Decimal::new(2500, 2),
                },
                remaining: left,
                discount: Decimal::ONE,
            };
            upgrade_quote("USD", &t, "built-in:linear".into())
        })
    });

    let runtime = common::runtime();
    let plugin = runtime
        .load(&common::plugin_bytes("tiered_pricing"))
        .expect("tiered_pricing loads");
    let priced = product(Some(plugin.sha256.clone()));
    let pricing = Pricing {
        runtime: &runtime,
        product_id: "prod-bench",
        product: &priced,
        now_ms: common::NOW_MS,
    };
    let check = pricing.subscription(&terms(&priced)).expect("plugin quote");
    assert_eq!(check.total.to_string(), "5.70", "{check:?}");
    assert_eq!(
        subscription_quote("USD", &terms(&builtin))
            .expect("quote")
            .total,
        check.total,
        "the plugin and the built-in model agree on the seeds' tiers"
    );
    c.bench_function("plugin/tiered-pricing", |b| {
        b.iter(|| {
            pricing
                .subscription(black_box(&terms(&priced)))
                .expect("quote")
        })
    });
    c.final_summary();
}
