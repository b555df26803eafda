//! The HTTP API: handlers that parse a request, check who asks, call a use
//! case in [`crate::app`] and render its answer. No handler writes to the
//! store; `startup.rs` wires this router to the use cases.

mod accounts;
mod applications;
mod audit;
mod auth;
mod billing;
mod bills;
mod cases;
mod console;
mod csv;
mod error;
mod extract;
mod fallback;
mod feed;
mod instances;
mod ledger;
pub mod limits;
mod listing_assets;
pub mod openapi;
mod orders;
mod pages;
mod plugin_usage;
mod plugins;
mod products;
mod quotes;
pub mod rate_limits;
pub mod request_log;
mod rules;
mod telemetry;
mod tokens;
mod transactions;
mod usage;
mod views;

pub use crate::app::accounts::create_account;
pub use error::ApiError;
pub use fallback::parser_refusal;
pub use telemetry::metrics_router;
pub use views::plugins::plugin_report;

use crate::app::App;
use crate::lifecycle::WorkerStats;
use crate::runtime::Runtime;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach: the use cases' [`App`], the worker's
/// counters and the token cache.
#[derive(Clone)]
pub struct AppState {
    pub(crate) app: App,
    /// The worker's counters.
    pub(crate) stats: Arc<WorkerStats>,
    /// Credentials by token hash.
    pub(crate) tokens: Arc<auth::TokenCache>,
}

impl AppState {
    /// Handler state around the use cases; a token's cached credential
    /// lives at most `token_cache_ttl`.
    pub fn new(app: App, stats: Arc<WorkerStats>, token_cache_ttl: Duration) -> Self {
        AppState {
            app,
            stats,
            tokens: Arc::new(auth::TokenCache::new(token_cache_ttl)),
        }
    }
}

/// The `/v1` routes and the OpenAPI document derived from their handlers:
/// every route is registered through `OpenApiRouter`, so a route cannot be
/// served without being documented.
pub fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(plugins::routes())
        .merge(plugin_usage::routes())
        .merge(accounts::routes())
        .merge(products::routes())
        .merge(listing_assets::routes())
        .merge(applications::routes())
        .merge(orders::routes())
        .merge(instances::routes())
        .merge(quotes::routes())
        .merge(usage::routes())
        .merge(billing::routes())
        .merge(ledger::routes())
        .merge(bills::routes())
        .merge(transactions::routes())
        .merge(feed::routes())
        .merge(cases::routes())
        .merge(rules::routes())
        .merge(tokens::routes())
        .merge(audit::routes())
}

/// The OpenAPI document of the `/v1` routes (what `/v1/openapi.json`
/// serves); tests check every answer against it.
pub fn openapi_document() -> serde_json::Value {
    let (_, derived) = OpenApiRouter::<AppState>::new()
        .nest("/v1", v1_routes())
        .split_for_parts();
    openapi::document(derived)
}

/// What guards the routes: request limits by route and rate limits.
#[derive(Debug, Clone, Default)]
pub struct Guards {
    /// Body sizes and times, request times.
    pub requests: limits::RequestLimits,
    /// Requests per token and address.
    pub rates: rate_limits::RateLimits,
}

/// The service's routes: the web console at `/`, `/healthz`,
/// `/v1/openapi.json`, the `/v1` API
/// and, unless metrics have an address of their own
/// (`metrics_for_operators` false), `/metrics` for operators; behind, from
/// the outside in: the request log, metrics, the audit log, the JSON error
/// layer, rate limits and request limits. Every request is counted and
/// timed by route; every `/v1` request that may change state is audited.
pub fn router(
    state: AppState,
    runtime: &Runtime,
    guards: &Guards,
    metrics_for_operators: bool,
) -> Router {
    let mut requests = guards.requests.clone();
    // An upload's body is a component plus the multipart-free envelope.
    requests.upload.body_bytes =
        usize::try_from(runtime.limits().component_bytes).unwrap_or(usize::MAX) + 4096;
    let (v1, derived) = OpenApiRouter::new()
        .nest("/v1", v1_routes())
        .split_for_parts();
    // Serialised once: the document only changes with the binary.
    let document = bytes::Bytes::from(openapi::document(derived).to_string());
    let mut router = Router::new();
    if metrics_for_operators {
        router = router.route("/metrics", get(telemetry::for_operators));
    }
    router
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route(
            "/v1/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    document.clone(),
                )
            }),
        )
        .merge(v1)
        .route("/", get(console::index))
        .route("/assets/{*path}", get(console::asset))
        .fallback(console::fallback)
        // `limit_requests` cuts bodies itself, at the route's own limit.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(requests),
            limits::limit_requests,
        ))
        .layer(axum::middleware::from_fn_with_state(
            rate_limits::Limiter::new(&guards.rates),
            rate_limits::limit_rates,
        ))
        .layer(axum::middleware::from_fn(fallback::json_errors))
        // Outside the JSON rewriting, so both see the answer as sent; inside
        // the request log, so the audit row has the request id.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .layer(axum::middleware::from_fn(telemetry::observe))
        .layer(axum::middleware::from_fn(request_log::log_requests))
        .with_state(state)
}
