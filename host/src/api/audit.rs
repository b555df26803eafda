//! The audit log over HTTP: the middleware that records every request that
//! may change state (every `/v1` request but `GET`, `HEAD` and `OPTIONS`,
//! answered or refused), and `GET /v1/audit`, where operators read it.
//!
//! The middleware sees what no handler has to pass on: the matched route,
//! the path parameters, the caller the handler's [`Actor`] authenticated
//! (left in a [`CallerSlot`]), the final status and the error code
//! ([`ErrorCode`]). It records no body, header value (but `x-request-id`)
//! or query string, so no token, secret or configuration value can reach
//! the log.

use super::auth::{Actor, CallerSlot};
use super::error::ErrorCode;
use super::extract::Query;
use super::pages;
use super::views::audit::{AuditEntryView, AuditList};
use super::{ApiError, AppState};
use crate::app::audit::{self, Audited};
use crate::store::AuditFilter;
use axum::Json;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The `route` of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// Most characters kept of anything the request chose (a path parameter,
/// the request id, the method).
const MAX_TEXT: usize = 200;

/// Records the request once its answer is known; the answer is never held
/// up by the log failing (see `app::audit`).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_v1 = path == "/v1" || path.starts_with("/v1/");
    if !is_v1 || [Method::GET, Method::HEAD, Method::OPTIONS].contains(req.method()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or(UNMATCHED.to_string(), |m| m.as_str().to_string());
    let resource = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .map(|params| {
            let values: Vec<&str> = params.iter().map(|(_, v)| v).collect();
            capped(&values.join("/"))
        })
        .filter(|r| !r.is_empty());
    let method = capped(parts.method.as_str());
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(capped);
    let slot = CallerSlot::default();
    parts.extensions.insert(slot.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    let error = (status.is_client_error() || status.is_server_error()).then(|| {
        response.extensions().get::<ErrorCode>().map_or_else(
            || super::fallback::code(status).to_string(),
            |c| c.0.clone(),
        )
    });
    let entry = Audited {
        caller: slot.caller(),
        action: action(&method, &route),
        method,
        route,
        resource,
        status: status.as_u16(),
        error,
        client,
        request_id,
    };
    audit::record(&state.app, entry).await;
    response
}

/// `text`, cut to [`MAX_TEXT`] characters.
fn capped(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

/// A short name for what a route does, derived from its template so every
/// route has one: the literal segments after `/v1` joined by `.`, then, for
/// a route ending in its collection or in a parameter, what the method does
/// to it (`accounts.create`, `tokens.delete`, `products.draft`,
/// `release-applications.approve`, `rules.activate`).
fn action(method: &str, route: &str) -> String {
    if route == UNMATCHED {
        return UNMATCHED.to_string();
    }
    let segments: Vec<&str> = route
        .trim_start_matches("/v1")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let literals: Vec<&str> = segments
        .iter()
        .copied()
        .filter(|s| !s.starts_with('{'))
        .collect();
    let ends_in_parameter = segments.last().is_some_and(|s| s.starts_with('{'));
    let verb = match method {
        "POST" if ends_in_parameter => Some("update"),
        "POST" if segments.len() == 1 => Some("create"),
        "PUT" | "PATCH" if ends_in_parameter => Some("replace"),
        "DELETE" => Some("delete"),
        "POST" | "PUT" | "PATCH" => None,
        _ => Some("other"),
    };
    let mut name = literals.join(".");
    if let Some(verb) = verb {
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(verb);
    }
    name
}

/// Which entries to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Entries of this account id (`anonymous`: requests without a valid
    /// token).
    actor: Option<String>,
    /// Entries of this action, e.g. `tokens.create`.
    action: Option<String>,
    /// Entries of this route template, e.g. `/v1/products/{id}/status`.
    route: Option<String>,
    /// Entries about this resource (the path parameters joined by `/`).
    resource: Option<String>,
    /// Entries answered with at least this status.
    status_min: Option<i32>,
    /// Entries answered with at most this status.
    status_max: Option<i32>,
    /// `success` (status below 400) or `refused` (400 and above).
    outcome: Option<Outcome>,
    /// Entries at or after this service time (ms).
    since: Option<i64>,
    /// Entries at or before this service time (ms).
    until: Option<i64>,
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    after: Option<String>,
    /// Rows per page, 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Whether a request was answered or refused.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    /// Status below 400.
    Success,
    /// Status 400 and above.
    Refused,
}

/// The audit log, newest first, paged (operators).
#[utoipa::path(get, path = "/audit", tag = "operations",
    params(AuditQuery),
    responses(
        (status = 200, description = "a page of audit entries, newest first", body = AuditList),
        (status = 400, description = "a bad filter, `after` or `limit`"),
        (status = 403, description = "not an operator"),
    ))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    let (mut status_min, mut status_max) = (q.status_min, q.status_max);
    match q.outcome {
        Some(Outcome::Success) => status_max = Some(status_max.map_or(399, |m| m.min(399))),
        Some(Outcome::Refused) => status_min = Some(status_min.map_or(400, |m| m.max(400))),
        None => {}
    }
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        route: q.route,
        resource: q.resource,
        status_min,
        status_max,
        since_ms: q.since,
        until_ms: q.until,
    };
    let page = audit::list(&state.app, &actor, &filter, q.after.as_deref(), q.limit).await?;
    Ok(Json(AuditList {
        entries: page.rows.iter().map(AuditEntryView::from).collect(),
        next: pages::next(&page),
    }))
}

#[cfg(test)]
mod tests {
    use super::action;

    #[test]
    fn every_route_gets_a_short_name() {
        for (method, route, name) in [
            ("POST", "/v1/accounts", "accounts.create"),
            ("POST", "/v1/tokens", "tokens.create"),
            ("DELETE", "/v1/tokens/{id}", "tokens.delete"),
            ("PUT", "/v1/products/{id}/draft", "products.draft"),
            ("POST", "/v1/products/{id}/status", "products.status"),
            (
                "POST",
                "/v1/release-applications/{id}/approve",
                "release-applications.approve",
            ),
            ("POST", "/v1/rules/{kind}/{name}/activate", "rules.activate"),
            ("POST", "/v1/clock/advance", "clock.advance"),
            ("POST", "/v1/balance/top-up", "balance.top-up"),
            ("POST", "/v1/plugins/{sha256}/calls", "plugins.calls"),
            ("PATCH", "/v1/products/{id}", "products.replace"),
            ("POST", "/v1/products/{id}", "products.update"),
            ("POST", "unmatched", "unmatched"),
        ] {
            assert_eq!(action(method, route), name, "{method} {route}");
        }
    }
}
