//! Metrics over HTTP: the middleware that counts and times every request by
//! its route template, and `GET /metrics` (Prometheus text format), served
//! to operators on the main address — or, with `--metrics-addr`, only on
//! that address and to anyone who reaches it (see `crate::telemetry` for
//! the names).

use super::auth::Actor;
use super::{ApiError, AppState};
use crate::app::operations;
use crate::telemetry::{HTTP_DURATION, HTTP_REQUESTS, UNMATCHED};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Instant;

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Counts and times the request under its route template (never the raw
/// path, which would make a label per id), its method and its status.
pub async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED.to_string(), |m| m.as_str().to_string());
    let method = method_label(req.method());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard ones, anything else as `other` (a
/// client may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics` on the main address: operators only (JSON 401/403
/// otherwise, like every refusal).
pub async fn for_operators(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Response, ApiError> {
    let text = operations::metrics(&state.app, &actor).await?;
    Ok(([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response())
}

/// The router of the separate metrics address: `GET /metrics` without a
/// token, and nothing else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(for_anyone))
        .fallback(|| async {
            ApiError::from(crate::app::AppError::NotFound(
                "this address serves only /metrics".into(),
            ))
        })
        .with_state(state)
}

async fn for_anyone(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = operations::metrics_page(&state.app).await?;
    Ok(([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response())
}
