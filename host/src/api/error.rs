//! The one error type of the HTTP API. Every failure becomes a JSON body
//! `{error, message, field?}` with a 4xx status, except genuine internal
//! faults, which are logged and reported without their details.

use crate::app::AppError;
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
    /// `conflict`, `plugin-rejected`, `pricing-failed`, `call-failed`,
    /// `method-not-allowed`, `too-large`, `uri-too-long`,
    /// `headers-too-large`, `unsupported-media-type`, `busy`, `unavailable`
    /// (503 with `Retry-After`: the database stayed locked) or `internal`.
    error: String,
    /// What is wrong, in words a person can act on (at most 300 characters
    /// of anything the request sent are quoted).
    message: String,
    /// The JSON path (or header or query parameter) at fault, when known.
    field: Option<String>,
    /// With `invalid`: every problem, each with its field.
    #[schema(value_type = Option<Vec<Object>>)]
    errors: Option<Vec<serde_json::Value>>,
    /// With `plugin-rejected` and `call-failed`: the typed failure (a call's
    /// logs and transcript shown up to a cap, with `cut-bytes`).
    #[schema(value_type = Option<Object>)]
    detail: Option<serde_json::Value>,
}

/// An API failure: a use case's [`AppError`], or a request that never
/// reached one because it carried no valid token.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What the use case (or the request's parsing) refused.
    #[error(transparent)]
    App(#[from] AppError),
    /// No or a bad token.
    #[error("{0}")]
    Unauthorized(String),
    /// A request refused before any handler saw it (unknown method, body or
    /// head too large, bad path encoding), with the status it gets.
    #[error("{message}")]
    Http {
        /// The status the refusal is answered with.
        status: StatusCode,
        /// What was refused.
        message: String,
    },
}

/// Most characters of a message or field an error quotes: an error names
/// what was wrong, it does not echo a 10 MB id back.
const MAX_QUOTE: usize = 300;

/// `text`, cut to [`MAX_QUOTE`] characters with a mark saying so.
fn capped(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTE) {
        None => text.to_string(),
        Some((at, _)) => format!("{}… ({} bytes in all)", &text[..at], text.len()),
    }
}

/// Caps the quoted strings of an error body.
fn cap(body: &mut serde_json::Value) {
    for key in ["message", "field"] {
        if let Some(serde_json::Value::String(s)) = body.get_mut(key) {
            *s = capped(s);
        }
    }
    if let Some(serde_json::Value::Array(errors)) = body.get_mut("errors") {
        errors.iter_mut().for_each(cap);
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::from(e).into()
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        AppError::from(e).into()
    }
}

/// The `error` code of an answer, left in its extensions for the audit log
/// (which would otherwise have to parse the body back).
#[derive(Debug, Clone)]
pub struct ErrorCode(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::App(
                AppError::Busy { retry_after_s } | AppError::StoreBusy { retry_after_s },
            ) => Some(*retry_after_s),
            _ => None,
        };
        let (status, mut body) = self.status_and_body();
        cap(&mut body);
        let code = body["error"].as_str().unwrap_or("internal").to_string();
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(code));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl ApiError {
    fn status_and_body(self) -> (StatusCode, serde_json::Value) {
        let app = match &self {
            ApiError::Unauthorized(message) => {
                return (
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "unauthorized", "message": message}),
                );
            }
            ApiError::Http { status, message } => {
                return (
                    *status,
                    json!({"error": super::fallback::code(*status), "message": message}),
                );
            }
            ApiError::App(e) => e,
        };
        let (status, body) = match app {
            AppError::BadRequest { message, field } => (
                StatusCode::BAD_REQUEST,
                json!({"error": "bad-request", "message": message, "field": field}),
            ),
            AppError::Invalid { message, errors } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "invalid", "message": message,
                       "field": errors.first().map(|e| e.field.clone()), "errors": errors}),
            ),
            AppError::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                json!({"error": "forbidden", "message": message}),
            ),
            AppError::Conflict(message) => (
                StatusCode::CONFLICT,
                json!({"error": "conflict", "message": message}),
            ),
            AppError::NotFound(message) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not-found", "message": message}),
            ),
            AppError::PluginRejected(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "plugin-rejected", "message": e.to_string(), "detail": e}),
            ),
            AppError::Pricing { message, field } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "pricing-failed", "message": message, "field": field}),
            ),
            AppError::CallFailed(f) => {
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
                    json!({"error": "call-failed", "message": f.error.to_string(), "field": field,
                           "detail": super::views::shown::failure_detail(f)}),
                )
            }
            AppError::PaymentRequired {
                amount,
                balance,
                missing,
            } => (
                StatusCode::PAYMENT_REQUIRED,
                json!({"error": "payment-required", "message": app.to_string(), "field": "balance",
                       "amount": format!("{amount:.2}"), "balance": format!("{balance:.2}"),
                       "missing": format!("{missing:.2}")}),
            ),
            AppError::Busy { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": "busy", "message": app.to_string()}),
            ),
            AppError::StoreBusy { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "unavailable", "message": app.to_string()}),
            ),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal", "message": "internal error; see the service log"}),
                )
            }
        };
        (status, body)
    }
}

impl ApiError {
    /// A 400 about one field.
    pub fn bad(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::bad(field, message).into()
    }
}
