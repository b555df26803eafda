//! One request id per request and one access-log line per answer. The id is
//! the client's `x-request-id` when it sent a sane one, else a new one; it is
//! set on the request (so layers below and the audit log see it), returned
//! on the answer, and a field of the span every log line of the request is
//! written in.

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;
use std::time::Instant;
use tracing::Instrument;

/// The header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest client-chosen request id kept.
const MAX_ID: usize = 128;

fn client_id(req: &Request) -> Option<HeaderValue> {
    let v = req.headers().get(REQUEST_ID)?;
    let s = v.to_str().ok()?;
    let sane = !s.is_empty()
        && s.len() <= MAX_ID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b));
    sane.then(|| v.clone())
}

/// Tags the request with its id, runs it inside a `request` span and logs
/// its answer.
pub async fn log_requests(mut req: Request, next: Next) -> Response {
    let id = client_id(&req).unwrap_or_else(|| {
        HeaderValue::from_str(&crate::ids::new_id("req")).unwrap_or(HeaderValue::from_static("-"))
    });
    req.headers_mut().insert(REQUEST_ID, id.clone());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or("-"),
        method = %method,
        route = %route,
    );
    let started = Instant::now();
    let mut answer = next.run(req).instrument(span.clone()).await;
    answer.headers_mut().insert(REQUEST_ID, id);
    let status = answer.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    span.in_scope(|| {
        tracing::info!(
            target: "bazaar::access",
            status,
            duration_us = micros,
            peer = %peer,
            "request served"
        );
    });
    answer
}
