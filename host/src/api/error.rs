//! The one error type of the HTTP API. Every failure becomes a JSON body
//! `{error, message, field?}` with a 4xx status, except genuine internal
//! faults, which are logged and reported without their details.

use crate::app::AppError;
use crate::runtime::{CallFailure, LoadError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The body of every error answer (documentation of what `into_response`
/// writes).
#[derive(utoipa::ToSchema)]
#[schema(as = ErrorBody)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `bad-request`, `invalid`, `unauthorized`, `forbidden`, `not-found`,
    /// `conflict`, `plugin-rejected`, `pricing-failed`, `call-failed` or
    /// `internal`.
    error: String,
    /// What is wrong, in words a person can act on.
    message: String,
    /// The JSON path (or header or query parameter) at fault, when known.
    field: Option<String>,
    /// With `invalid`: every problem, each with its field.
    #[schema(value_type = Option<Vec<Object>>)]
    errors: Option<Vec<serde_json::Value>>,
    /// With `plugin-rejected` and `call-failed`: the typed failure.
    #[schema(value_type = Option<Object>)]
    detail: Option<serde_json::Value>,
}

/// An API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed.
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
        errors: Vec<crate::domain::catalog::FieldError>,
    },
    /// No or a bad token.
    #[error("{0}")]
    Unauthorized(String),
    /// The role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing at that id (or not yours).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state.
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
    /// The plugin call failed inside the sandbox.
    #[error(transparent)]
    CallFailed(Box<CallFailure>),
    /// A fault of the service itself.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BadRequest { message, field } => ApiError::BadRequest { message, field },
            AppError::Invalid { message, errors } => ApiError::Invalid { message, errors },
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::NotFound(m) => ApiError::NotFound(m),
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::PluginRejected(e) => ApiError::PluginRejected(e),
            AppError::Pricing { message, field } => ApiError::Pricing { message, field },
            AppError::CallFailed(f) => ApiError::CallFailed(f),
            AppError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            ApiError::BadRequest { message, field } => (
                StatusCode::BAD_REQUEST,
                json!({"error": "bad-request", "message": message, "field": field}),
            ),
            ApiError::Invalid { message, errors } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "invalid", "message": message,
                       "field": errors.first().map(|e| e.field.clone()), "errors": errors}),
            ),
            ApiError::Unauthorized(message) => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "message": message}),
            ),
            ApiError::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                json!({"error": "forbidden", "message": message}),
            ),
            ApiError::Conflict(message) => (
                StatusCode::CONFLICT,
                json!({"error": "conflict", "message": message}),
            ),
            ApiError::NotFound(message) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not-found", "message": message}),
            ),
            ApiError::PluginRejected(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "plugin-rejected", "message": e.to_string(), "detail": e}),
            ),
            ApiError::Pricing { message, field } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "pricing-failed", "message": message, "field": field}),
            ),
            ApiError::CallFailed(f) => {
                let field = match &f.error {
                    crate::runtime::CallError::BadInput { field, .. } => Some(field.clone()),
                    _ => None,
                };
                let status = match &f.error {
                    crate::runtime::CallError::Busy => StatusCode::TOO_MANY_REQUESTS,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (
                    status,
                    json!({"error": "call-failed", "message": f.error.to_string(), "field": field, "detail": f}),
                )
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal", "message": "internal error; see the service log"}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

impl ApiError {
    /// A 400 about one field.
    pub fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            field: Some(field.into()),
        }
    }
}
