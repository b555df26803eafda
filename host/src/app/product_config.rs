//! A product's plugin configuration at rest and on display: values are
//! sealed when a definition is saved, opened only where a plugin gets them,
//! shown to the seller and operators with secret keys masked, and never
//! shown to customers (nor the plugin versions the product runs on).

use super::{App, AppError};
use crate::domain::catalog::ProductDraft;
use crate::secrets::SecretBox;
use crate::store::Role;
use serde_json::Value;

/// What a secret value is shown as; sent back, it keeps the stored value.
pub const MASK: &str = "********";

/// Seals the config values of `draft`, a new definition of `product_id`;
/// a secret sent as [`MASK`] keeps its value from `stored`, the definition
/// it replaces.
pub fn seal(
    app: &App,
    product_id: &str,
    draft: &mut ProductDraft,
    stored: Option<&ProductDraft>,
) -> Result<(), AppError> {
    let secret_keys = draft.plugin_config_secrets.clone();
    for (key, value) in draft.plugin_config.iter_mut() {
        let field = || format!("plugin-config.{key}");
        if value == MASK {
            let kept = stored
                .filter(|s| s.plugin_config_secrets.contains(key))
                .and_then(|s| s.plugin_config.get(key));
            match (secret_keys.contains(key), kept) {
                (true, Some(kept)) => {
                    *value = kept.clone();
                    continue;
                }
                _ => {
                    return Err(AppError::bad(
                        field(),
                        format!("`{MASK}` keeps a saved secret; this key has none, send its value"),
                    ));
                }
            }
        }
        if SecretBox::is_sealed_config(value) {
            return Err(AppError::bad(field(), "send the value itself"));
        }
        *value = app.secrets.seal_config(product_id, key, value);
    }
    Ok(())
}

/// `draft` with its config values opened (for checks that read them).
pub fn opened(app: &App, product_id: &str, mut draft: ProductDraft) -> ProductDraft {
    draft.plugin_config = app.secrets.open_config(product_id, &draft.plugin_config);
    draft
}

/// A stored definition as `viewer` may see it: customers without plugin
/// ids and configuration; the seller and operators with config opened and
/// secrets masked.
pub fn shown(app: &App, product_id: &str, stored: &str, viewer: Role) -> Value {
    let Ok(draft) = serde_json::from_str::<ProductDraft>(stored) else {
        return serde_json::from_str(stored).unwrap_or(Value::Null);
    };
    let mut draft = opened(app, product_id, draft);
    for key in &draft.plugin_config_secrets {
        if let Some(v) = draft.plugin_config.get_mut(key) {
            *v = MASK.to_string();
        }
    }
    let mut shown = serde_json::to_value(&draft).unwrap_or(Value::Null);
    if viewer == Role::Customer
        && let Some(fields) = shown.as_object_mut()
    {
        for hidden in [
            "plugin-config",
            "plugin-config-secrets",
            "lifecycle-plugin",
            "metering-plugin",
        ] {
            fields.remove(hidden);
        }
        if let Some(Value::Array(specs)) = fields.get_mut("specifications") {
            for spec in specs.iter_mut().filter_map(Value::as_object_mut) {
                spec.remove("pricing-plugin");
            }
        }
    }
    shown
}
