//! [`PluginError`], the error every plugin function returns.

use std::fmt;

use crate::bindings::imports::bazaar::plugin::types as wit;

/// Why a plugin call failed. The host treats each case differently: it
/// retries [`Transient`](Self::Transient) with backoff, fails the order on
/// [`Refused`](Self::Refused), and reports
/// [`InvalidInput`](Self::InvalidInput) to whoever sent the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    /// A final "no": the host must not retry.
    Refused(String),
    /// A temporary failure (a dependency is down, a quota is busy); the host
    /// retries later with backoff.
    Transient(String),
    /// The input was not acceptable.
    InvalidInput {
        /// A dotted path into the input, e.g. `subscription.attributes[1].value`.
        field: String,
        /// A human-readable explanation.
        message: String,
    },
}

impl PluginError {
    /// A [`PluginError::Refused`] with `message`.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused(message.into())
    }

    /// A [`PluginError::Transient`] with `message`.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient(message.into())
    }

    /// A [`PluginError::InvalidInput`] about `field`.
    pub fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(message) => write!(f, "refused: {message}"),
            Self::Transient(message) => write!(f, "transient failure: {message}"),
            Self::InvalidInput { field, message } => write!(f, "invalid {field}: {message}"),
        }
    }
}

impl std::error::Error for PluginError {}

impl From<PluginError> for wit::PluginError {
    fn from(error: PluginError) -> Self {
        match error {
            PluginError::Refused(message) => Self::Refused(message),
            PluginError::Transient(message) => Self::Transient(message),
            PluginError::InvalidInput { field, message } => {
                Self::InvalidInput(wit::FieldError { field, message })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_case_to_the_wit_variant() {
        assert!(matches!(
            wit::PluginError::from(PluginError::refused("no")),
            wit::PluginError::Refused(m) if m == "no"
        ));
        assert!(matches!(
            wit::PluginError::from(PluginError::transient("later")),
            wit::PluginError::Transient(m) if m == "later"
        ));
        assert!(matches!(
            wit::PluginError::from(PluginError::invalid_input("request.quantity", "negative")),
            wit::PluginError::InvalidInput(wit::FieldError { field, message })
                if field == "request.quantity" && message == "negative"
        ));
    }

    #[test]
    fn displays_the_field() {
        assert_eq!(
            PluginError::invalid_input("a.b", "bad").to_string(),
            "invalid a.b: bad"
        );
    }
}
