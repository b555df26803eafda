//! Translating lifecycle jobs into typed plugin calls (the WIT `lifecycle`
//! interface's generated types) and the plugin's answers back into instance
//! changes.

use crate::domain::catalog::ProductDraft;
use crate::domain::instance::{FreezeReason, InstanceState, JobAction, ReleaseReason};
use crate::runtime::wit::latest::{Attribute, PluginError, lifecycle};
use crate::runtime::{CallFailure, CallOutcome, wit_json};
use crate::secrets::SecretBox;
use crate::store::{InstanceRow, JobRow};
use lifecycle::{Change, InstanceChange, Provisioned, Subscription};

/// What a plugin call came to.
pub(super) enum Answer {
    /// The function returned `ok`.
    Ok {
        /// What `create-instance` provisioned; `None` for the other calls.
        provisioned: Option<Provisioned>,
        /// Key-value writes to commit with the job.
        kv_writes: Vec<(String, Option<Vec<u8>>)>,
    },
    /// Worth retrying: the plugin said so, or the sandbox or host failed.
    Transient(String),
    /// Final: the plugin refused or rejected the input.
    Failed(String),
}

/// The lifecycle call a job makes.
pub(super) enum Call {
    /// `create-instance`.
    Create(Subscription),
    /// `update-instance`.
    Update(InstanceChange),
    /// `release-instance`.
    Release {
        /// The seller's id for the instance.
        instance_id: String,
        /// Why.
        reason: lifecycle::ReleaseReason,
    },
}

/// Reads a call's result; `provisioned` picks what an `ok` provisioned.
pub(super) fn interpret<T>(
    result: Result<CallOutcome<Result<T, PluginError>>, CallFailure>,
    provisioned: impl FnOnce(T) -> Option<Provisioned>,
) -> Answer {
    let outcome = match result {
        Ok(o) => o,
        // Only what can come out otherwise is retried (a busy host, a
        // deadline under load); the same input and seed exhaust the same
        // fuel, memory or stack and trap the same way, so those fail at once.
        Err(f) => {
            let why = format!("plugin call failed ({}): {}", f.error.kind(), f.error);
            return if f.error.may_pass_on_retry() {
                Answer::Transient(why)
            } else {
                Answer::Failed(why)
            };
        }
    };
    match outcome.output {
        Ok(ok) => Answer::Ok {
            provisioned: provisioned(ok),
            kv_writes: outcome
                .kv_writes
                .into_iter()
                .map(|w| (w.key, w.value))
                .collect(),
        },
        Err(PluginError::Transient(why)) => Answer::Transient(format!("plugin: {why}")),
        Err(PluginError::Refused(why)) => Answer::Failed(format!("plugin refused: {why}")),
        Err(PluginError::InvalidInput(e)) => Answer::Failed(format!(
            "plugin rejected the input at {}: {}",
            e.field, e.message
        )),
    }
}

/// The call a job makes, or why it cannot be made.
pub(super) fn call(
    job: &JobRow,
    action: &JobAction,
    instance: &InstanceRow,
    product: &ProductDraft,
) -> Result<Call, String> {
    // Marketplace decisions have no order; a stable id per job keeps the
    // plugin's idempotency on order id meaningful across retries.
    let order_id = job
        .order_id
        .clone()
        .unwrap_or_else(|| format!("job-{}", job.id));
    let seller_id = instance.seller_instance_id.clone().unwrap_or_default();
    let change = |change: Change| {
        Call::Update(InstanceChange {
            instance_id: seller_id.clone(),
            order_id: order_id.clone(),
            change,
        })
    };
    Ok(match action {
        JobAction::Create {
            periods,
            customer_name,
            ..
        } => Call::Create(Subscription {
            order_id: order_id.clone(),
            customer_id: instance.customer_id.clone(),
            customer_name: customer_name.clone(),
            product_id: instance.product_id.clone(),
            sku_code: instance.sku_id.clone(),
            billing_mode: crate::quoting::wit_billing_mode(instance.billing_mode),
            attributes: attributes(product, instance, &instance.sku_id),
            quantity: instance.quantity.to_string(),
            period_count: *periods,
            trial: instance.trial,
            expires_at: instance.expires_at,
        }),
        JobAction::Renew { expires_at } => change(Change::Renew(*expires_at)),
        JobAction::TrialToFormal { expires_at } => change(Change::TrialToFormal(*expires_at)),
        JobAction::Upgrade { sku_id, quantity } => change(Change::Upgrade(lifecycle::Upgrade {
            order_id: order_id.clone(),
            sku_code: sku_id.clone(),
            attributes: attributes(product, instance, sku_id),
            quantity: quantity.to_string(),
        })),
        JobAction::Freeze { reason } => change(Change::Freeze(freeze_reason(*reason))),
        JobAction::Unfreeze => change(Change::Unfreeze),
        JobAction::Release { reason } => Call::Release {
            instance_id: seller_id.clone(),
            reason: release_reason(*reason),
        },
    })
}

fn freeze_reason(reason: FreezeReason) -> lifecycle::FreezeReason {
    match reason {
        FreezeReason::Expired => lifecycle::FreezeReason::Expired,
        FreezeReason::Arrears => lifecycle::FreezeReason::Arrears,
        FreezeReason::QuotaExhausted => lifecycle::FreezeReason::QuotaExhausted,
        FreezeReason::Violation => lifecycle::FreezeReason::Violation,
    }
}

fn release_reason(reason: ReleaseReason) -> lifecycle::ReleaseReason {
    match reason {
        ReleaseReason::Unsubscribed => lifecycle::ReleaseReason::Unsubscribed,
        ReleaseReason::Expired => lifecycle::ReleaseReason::Expired,
        ReleaseReason::Arrears => lifecycle::ReleaseReason::Arrears,
        ReleaseReason::TrialEnded => lifecycle::ReleaseReason::TrialEnded,
        ReleaseReason::Violation => lifecycle::ReleaseReason::Violation,
    }
}

/// The SKU's enumeration values plus the quantity attribute.
fn attributes(product: &ProductDraft, instance: &InstanceRow, sku_id: &str) -> Vec<Attribute> {
    let Some(spec) = product.spec(&instance.spec_id) else {
        return Vec::new();
    };
    let mut out: Vec<Attribute> = spec
        .sku(sku_id)
        .map(|sku| {
            sku.values
                .iter()
                .map(|(code, value)| Attribute {
                    code: code.clone(),
                    value: value.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(q) = &spec.quantity {
        out.push(Attribute {
            code: q.name.clone(),
            value: instance.quantity.to_string(),
        });
    }
    out
}

/// Applies a confirmed customer order to the instance as read in the
/// completing transaction.
pub(super) fn apply_success(
    action: &JobAction,
    provisioned: Option<&Provisioned>,
    i: &mut InstanceRow,
    secrets: &SecretBox,
) {
    match action {
        JobAction::Create { .. } => {
            // Released meanwhile (an appeal closed the order): it stays so.
            if i.state == InstanceState::Provisioning {
                i.state = InstanceState::Active;
            }
            i.seller_instance_id = provisioned.map(|p| p.instance_id.clone());
            // Stored as the WIT's JSON form of `app-info`, which the API shows.
            let app = provisioned.map_or(serde_json::Value::Null, |p| wit_json(&p.app));
            i.app_info = Some(secrets.seal(&i.id, app.to_string().as_bytes()));
        }
        // An expired instance renewed stays frozen until the unfreeze queued
        // behind the renewal tells the plugin (and the feed) it runs again.
        JobAction::Renew { expires_at } => {
            i.expires_at = Some(*expires_at);
        }
        JobAction::TrialToFormal { expires_at } => {
            i.trial = false;
            i.expires_at = Some(*expires_at);
        }
        JobAction::Upgrade { sku_id, quantity } => {
            i.sku_id = sku_id.clone();
            i.quantity = i64::from(*quantity);
        }
        JobAction::Unfreeze => thaw_if_expired(i),
        // Decisions were applied when they were taken.
        JobAction::Freeze { .. } | JobAction::Release { .. } => {}
    }
}

/// Thaws an instance frozen because its period ended (a renewal paid for a
/// new one); other freezes (arrears) are the marketplace's to lift, and
/// were lifted when decided.
pub(super) fn thaw_if_expired(i: &mut InstanceRow) {
    if i.state == InstanceState::Frozen && i.freeze_reason.as_deref() == Some("expired") {
        i.state = InstanceState::Active;
        i.freeze_reason = None;
    }
}
