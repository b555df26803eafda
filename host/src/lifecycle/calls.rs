//! Translating lifecycle jobs into plugin calls (the WIT `lifecycle`
//! interface's JSON form) and the plugin's answers back into instance changes.

use crate::domain::catalog::ProductDraft;
use crate::domain::instance::{InstanceState, JobAction};
use crate::runtime::{CallError, CallFailure, CallOutcome};
use crate::secrets::SecretBox;
use crate::store::{InstanceRow, JobRow};
use serde_json::{Value, json};

/// What a plugin call came to.
pub(super) enum Answer {
    /// The function returned `ok`.
    Ok {
        /// The `ok` payload.
        output: Value,
        /// Key-value writes to commit with the job.
        kv_writes: Vec<(String, Option<Vec<u8>>)>,
    },
    /// Worth retrying: the plugin said so, or the sandbox or host failed.
    Transient(String),
    /// Final: the plugin refused or rejected the input.
    Failed(String),
}

/// Reads a call's result.
pub(super) fn interpret(result: Result<CallOutcome, CallFailure>) -> Answer {
    let outcome = match result {
        Ok(o) => o,
        // A trap, a deadline or a busy host may pass; the plugin gets its
        // retries like any transient failure and is given up on after them.
        Err(f) => {
            return match f.error {
                CallError::BadInput { .. } => {
                    Answer::Failed(format!("plugin call rejected: {}", f.error))
                }
                _ => Answer::Transient(format!("plugin call failed: {}", f.error)),
            };
        }
    };
    if let Some(ok) = outcome.output.get("ok") {
        return Answer::Ok {
            output: ok.clone(),
            kv_writes: outcome
                .kv_writes
                .into_iter()
                .map(|w| (w.key, w.value))
                .collect(),
        };
    }
    let err = outcome.output.get("err").cloned().unwrap_or(Value::Null);
    if let Some(why) = err.get("transient") {
        return Answer::Transient(format!("plugin: {}", text(why)));
    }
    if let Some(why) = err.get("refused") {
        return Answer::Failed(format!("plugin refused: {}", text(why)));
    }
    if let Some(e) = err.get("invalid-input") {
        return Answer::Failed(format!(
            "plugin rejected the input at {}: {}",
            text(&e["field"]),
            text(&e["message"])
        ));
    }
    Answer::Failed(format!(
        "plugin answered neither ok nor a known error: {}",
        outcome.output
    ))
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The function to call and its input.
pub(super) fn input(
    job: &JobRow,
    action: &JobAction,
    instance: &InstanceRow,
    product: &ProductDraft,
) -> (&'static str, Value) {
    // Marketplace decisions have no order; a stable id per job keeps the
    // plugin's idempotency on order id meaningful across retries.
    let order_id = job
        .order_id
        .clone()
        .unwrap_or_else(|| format!("job-{}", job.id));
    let seller_id = instance.seller_instance_id.clone().unwrap_or_default();
    let change = |change: Value| {
        (
            "update-instance",
            json!({"change": {"instance-id": seller_id, "order-id": order_id, "change": change}}),
        )
    };
    match action {
        JobAction::Create {
            periods,
            customer_name,
            ..
        } => (
            "create-instance",
            json!({"subscription": {
                "order-id": order_id,
                "customer-id": instance.customer_id,
                "customer-name": customer_name,
                "product-id": instance.product_id,
                "sku-code": instance.sku_id,
                "billing-mode": instance.billing_mode,
                "attributes": attributes(product, instance, &instance.sku_id),
                "quantity": instance.quantity.to_string(),
                "period-count": periods,
                "trial": instance.trial,
                "expires-at": instance.expires_at,
            }}),
        ),
        JobAction::Renew { expires_at } => change(json!({"renew": expires_at})),
        JobAction::TrialToFormal { expires_at } => change(json!({"trial-to-formal": expires_at})),
        JobAction::Upgrade { sku_id, quantity } => change(json!({"upgrade": {
            "order-id": order_id,
            "sku-code": sku_id,
            "attributes": attributes(product, instance, sku_id),
            "quantity": quantity.to_string(),
        }})),
        JobAction::Freeze { reason } => change(json!({"freeze": reason.as_str()})),
        JobAction::Unfreeze => change(json!("unfreeze")),
        JobAction::Release { reason } => (
            "release-instance",
            json!({"instance-id": seller_id, "reason": reason.as_str()}),
        ),
    }
}

/// The SKU's enumeration values plus the quantity attribute, as WIT
/// `attribute`s.
fn attributes(product: &ProductDraft, instance: &InstanceRow, sku_id: &str) -> Value {
    let Some(spec) = product.spec(&instance.spec_id) else {
        return json!([]);
    };
    let mut out: Vec<Value> = spec
        .sku(sku_id)
        .map(|sku| {
            sku.values
                .iter()
                .map(|(code, value)| json!({"code": code, "value": value}))
                .collect()
        })
        .unwrap_or_default();
    if let Some(q) = &spec.quantity {
        out.push(json!({"code": q.name, "value": instance.quantity.to_string()}));
    }
    Value::Array(out)
}

/// Applies a confirmed customer order to the instance as read in the
/// completing transaction.
pub(super) fn apply_success(
    action: &JobAction,
    output: &Value,
    i: &mut InstanceRow,
    secrets: &SecretBox,
) {
    let thaw_if_expired = |i: &mut InstanceRow| {
        // A renewal pays for the period whose end froze the instance.
        if i.state == InstanceState::Frozen && i.freeze_reason.as_deref() == Some("expired") {
            i.state = InstanceState::Active;
            i.freeze_reason = None;
        }
    };
    match action {
        JobAction::Create { .. } => {
            // Released meanwhile (an appeal closed the order): it stays so.
            if i.state == InstanceState::Provisioning {
                i.state = InstanceState::Active;
            }
            i.seller_instance_id = output["instance-id"].as_str().map(str::to_string);
            let app = output.get("app").cloned().unwrap_or(Value::Null);
            i.app_info = Some(secrets.seal(&i.id, app.to_string().as_bytes()));
        }
        JobAction::Renew { expires_at } => {
            i.expires_at = Some(*expires_at);
            thaw_if_expired(i);
        }
        JobAction::TrialToFormal { expires_at } => {
            i.trial = false;
            i.expires_at = Some(*expires_at);
            thaw_if_expired(i);
        }
        JobAction::Upgrade { sku_id, quantity } => {
            i.sku_id = sku_id.clone();
            i.quantity = i64::from(*quantity);
        }
        // Decisions were applied when they were taken.
        JobAction::Freeze { .. } | JobAction::Unfreeze | JobAction::Release { .. } => {}
    }
}
