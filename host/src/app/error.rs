//! The one error type of the use cases. The HTTP layer maps it to a status
//! and a JSON body in one place (`api/error.rs`); the CLI and the worker
//! print or log it.

use crate::domain::catalog::FieldError;
use crate::runtime::{CallFailure, LoadError};
use crate::store::StoreError;
use rust_decimal::Decimal;

/// Why a use case did not happen. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The command is malformed.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// Where, when known.
        field: Option<String>,
    },
    /// Several problems with a submitted document, each with its place.
    #[error("{message}")]
    Invalid {
        /// Summary.
        message: String,
        /// Every problem found.
        errors: Vec<FieldError>,
    },
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing at that id (or not the caller's to see).
    #[error("{0}")]
    NotFound(String),
    /// The command conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The uploaded component is not an acceptable plugin.
    #[error(transparent)]
    PluginRejected(#[from] LoadError),
    /// A price could not be computed: a pricing plugin declined or answered
    /// with something that cannot be charged.
    #[error("{message}")]
    Pricing {
        /// What went wrong.
        message: String,
        /// Where in the plugin's quotation, when known.
        field: Option<String>,
    },
    /// A plugin call failed inside the sandbox.
    #[error(transparent)]
    CallFailed(Box<CallFailure>),
    /// Plugin calls are at capacity (the caller's share or the whole pool)
    /// and this one waited its turn in vain; a retry later may pass.
    #[error("plugin calls are busy; retry in {retry_after_s} s")]
    Busy {
        /// Seconds after which a retry may find a free thread.
        retry_after_s: u64,
    },
    /// The database stayed locked by another writer past its busy timeout
    /// (SQLite shared by several nodes under load); nothing was written and
    /// a retry later may pass.
    #[error("the database is busy; retry in {retry_after_s} s")]
    StoreBusy {
        /// Seconds after which a retry may pass.
        retry_after_s: u64,
    },
    /// The customer's balance does not cover what is to be paid; nothing
    /// was written.
    #[error(
        "the balance {balance:.2} does not cover the {amount:.2} to pay; top up at least {missing:.2}"
    )]
    PaymentRequired {
        /// What was to be paid.
        amount: Decimal,
        /// The balance.
        balance: Decimal,
        /// How much more the balance needs.
        missing: Decimal,
    },
    /// A fault of the service itself.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A malformed command, about one field.
    pub fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            message: message.into(),
            field: Some(field.into()),
        }
    }
}

// Faults of the service's own machinery are internal; a store conflict and
// text the database cannot hold are the caller's.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::PaymentRequired { amount, balance } => AppError::PaymentRequired {
                amount: amount.round_dp(2),
                balance: balance.round_dp(2),
                missing: (amount - balance)
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero),
            },
            // PostgreSQL refuses NUL in text, e.g. from a percent-encoded
            // path or query: the request was bad, nothing was written.
            StoreError::Db(e)
                if e.as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c == "22021" || c == "22P05") =>
            {
                AppError::BadRequest {
                    message: "text must not contain NUL or characters the database cannot store"
                        .into(),
                    field: None,
                }
            }
            StoreError::Busy => AppError::StoreBusy { retry_after_s: 1 },
            StoreError::Db(e) if crate::store::is_sqlite_busy(&e) => {
                AppError::StoreBusy { retry_after_s: 1 }
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(e.into())
    }
}
