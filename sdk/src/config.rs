//! Configuration and secrets the seller attached to the plugin (an API key of
//! the seller's own systems, a default region...). Read-only for the plugin.

use rust_decimal::Decimal;

use crate::bindings::imports::bazaar::plugin::config as wit;
use crate::{PluginError, decimal};

/// The value configured under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    wit::get(key)
}

/// The value configured under `key`, or `default` when there is none.
pub fn get_or(key: &str, default: &str) -> String {
    get(key).unwrap_or_else(|| default.to_owned())
}

/// The canonical decimal configured under `key`, if any.
///
/// A value that is not a canonical decimal is the seller's mistake, not the
/// caller's, so it is reported as [`PluginError::Refused`] naming the key.
pub fn get_decimal(key: &str) -> Result<Option<Decimal>, PluginError> {
    get(key)
        .map(|text| parse_config_decimal(key, &text))
        .transpose()
}

fn parse_config_decimal(key: &str, text: &str) -> Result<Decimal, PluginError> {
    decimal::parse(&format!("config.{key}"), text).map_err(|e| match e {
        PluginError::InvalidInput { field, message } => {
            PluginError::Refused(format!("misconfigured {field}: {message}"))
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_configured_decimal_is_refused_naming_the_key() {
        assert_eq!(
            parse_config_decimal("rate", "0.25"),
            Ok(Decimal::new(25, 2))
        );
        let error = parse_config_decimal("rate", "a quarter").unwrap_err();
        assert!(
            matches!(&error, PluginError::Refused(m) if m.contains("config.rate")),
            "{error:?}"
        );
    }
}
