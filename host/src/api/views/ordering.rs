//! How orders and instances are shown.

use crate::app::App;
use crate::store::{InstanceRow, OrderRow};
use serde_json::{Value, json};

/// An order as the API shows it.
pub fn order_json(o: &OrderRow) -> Value {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    json!({
        "id": o.id,
        "customer-id": o.customer_id,
        "seller-id": o.seller_id,
        "instance-id": o.instance_id,
        "kind": o.kind,
        "state": o.state,
        "amount": o.amount,
        "detail": parse(&o.detail),
        "failure": o.failure,
        "service-flow": o.service_flow.as_deref().map(parse),
        "created-at": o.created_at,
        "updated-at": o.updated_at,
    })
}

/// An instance as the API shows it; `with_secrets` adds the decrypted app
/// info (credentials).
pub fn instance_json(state: &App, i: &InstanceRow, with_secrets: bool) -> Value {
    let mut v = json!({
        "id": i.id,
        "seller-id": i.seller_id,
        "customer-id": i.customer_id,
        "product-id": i.product_id,
        "product-version": i.product_version,
        "specification": i.spec_id,
        "sku": i.sku_id,
        "billing-mode": i.billing_mode,
        "quantity": i.quantity,
        "trial": i.trial,
        "state": i.state,
        "freeze-reason": i.freeze_reason,
        "expires-at": i.expires_at,
        "seller-instance-id": i.seller_instance_id,
        "failure": i.failure,
        "created-at": i.created_at,
        "updated-at": i.updated_at,
    });
    if with_secrets {
        v["app"] = app_info(state, i);
    }
    v
}

/// The decrypted app info of an instance, or null.
pub fn app_info(state: &App, i: &InstanceRow) -> Value {
    let Some(sealed) = &i.app_info else {
        return Value::Null;
    };
    match state.secrets.open(&i.id, sealed) {
        Ok(plain) => serde_json::from_slice(&plain).unwrap_or(Value::Null),
        Err(e) => {
            tracing::error!(instance = %i.id, error = %e, "cannot decrypt app info");
            Value::Null
        }
    }
}
