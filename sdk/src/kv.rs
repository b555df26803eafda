//! Key-value state private to one plugin of one seller.
//!
//! Writes made during a call become visible to later calls only if the call
//! returns without trapping, so a plugin that panics half-way never leaves
//! half its state. Each call may run in a fresh instance: anything a plugin
//! must remember between calls belongs here, not in statics.

use std::fmt;

use crate::PluginError;
use crate::bindings::imports::bazaar::plugin::kv as wit;

/// Why a key-value operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// The key or value is larger than the host allows.
    TooLarge(String),
    /// The plugin's total state would exceed its quota.
    QuotaExceeded(String),
    /// [`get_string`] found a value that is not UTF-8.
    NotUtf8 {
        /// The key holding the value.
        key: String,
    },
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge(message) => write!(f, "key or value too large: {message}"),
            Self::QuotaExceeded(message) => write!(f, "state quota exceeded: {message}"),
            Self::NotUtf8 { key } => write!(f, "the value under `{key}` is not UTF-8"),
        }
    }
}

impl std::error::Error for KvError {}

impl From<wit::KvError> for KvError {
    fn from(error: wit::KvError) -> Self {
        match error {
            wit::KvError::TooLarge(message) => Self::TooLarge(message),
            wit::KvError::QuotaExceeded(message) => Self::QuotaExceeded(message),
        }
    }
}

/// So that `?` works in plugin functions. A too-large entry or a corrupt value
/// will not get better by retrying, so they refuse; a full quota may be freed
/// (instances released, the seller's quota raised), so it is transient.
impl From<KvError> for PluginError {
    fn from(error: KvError) -> Self {
        match error {
            KvError::QuotaExceeded(_) => PluginError::Transient(error.to_string()),
            KvError::TooLarge(_) | KvError::NotUtf8 { .. } => {
                PluginError::Refused(error.to_string())
            }
        }
    }
}

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
    Ok(wit::get(key)?)
}

/// Stores `value` under `key`, replacing any previous value.
pub fn set(key: &str, value: impl AsRef<[u8]>) -> Result<(), KvError> {
    Ok(wit::set(key, value.as_ref())?)
}

/// Removes `key`; returns whether it existed.
pub fn delete(key: &str) -> Result<bool, KvError> {
    Ok(wit::delete(key)?)
}

/// Keys starting with `prefix`, in byte order, at most `limit` of them.
pub fn list_keys(prefix: &str, limit: u32) -> Result<Vec<String>, KvError> {
    Ok(wit::list_keys(prefix, limit)?)
}

/// The UTF-8 text stored under `key`, if any.
pub fn get_string(key: &str) -> Result<Option<String>, KvError> {
    match get(key)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| KvError::NotUtf8 {
                key: key.to_owned(),
            }),
    }
}

/// Stores the text `value` under `key`.
pub fn set_string(key: &str, value: &str) -> Result<(), KvError> {
    set(key, value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_errors_to_plugin_errors() {
        assert!(matches!(
            PluginError::from(KvError::from(wit::KvError::QuotaExceeded("full".into()))),
            PluginError::Transient(m) if m.contains("full")
        ));
        assert!(matches!(
            PluginError::from(KvError::from(wit::KvError::TooLarge("big".into()))),
            PluginError::Refused(m) if m.contains("big")
        ));
        assert!(matches!(
            PluginError::from(KvError::NotUtf8 { key: "k".into() }),
            PluginError::Refused(m) if m.contains("`k`")
        ));
    }
}
