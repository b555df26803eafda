//! How the API shows the audit log to operators.

use crate::store::AuditRow;
use serde::Serialize;

/// One audit entry: who did what, when, from where, and what came of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AuditEntryView {
    /// Its id.
    pub id: String,
    /// When, on the service clock (ms; simulated when the clock is).
    pub at: i64,
    /// When, on the wall clock (ms since the Unix epoch).
    pub wall_at: i64,
    /// The calling account's id, or `anonymous`.
    pub actor: String,
    /// Its role (`operator`, `seller`, `customer`), or `anonymous`.
    pub role: String,
    /// The HTTP method.
    pub method: String,
    /// The route template, e.g. `/v1/products/{id}/status`, or `unmatched`.
    pub route: String,
    /// The path parameters' values joined by `/` (the resource acted on).
    pub resource: Option<String>,
    /// A short name of the action, e.g. `products.status`, `tokens.delete`.
    pub action: String,
    /// The answer's HTTP status.
    pub status: i32,
    /// The answer's error code (`forbidden`, `not-found`...) when refused.
    pub error: Option<String>,
    /// The client's address as the connection showed it.
    pub client: Option<String>,
    /// The request's `x-request-id` header, when it had one.
    pub request_id: Option<String>,
}

impl From<&AuditRow> for AuditEntryView {
    fn from(r: &AuditRow) -> Self {
        AuditEntryView {
            id: r.id.clone(),
            at: r.at_ms,
            wall_at: r.wall_ms,
            actor: r.actor_id.clone(),
            role: r.actor_role.clone(),
            method: r.method.clone(),
            route: r.route.clone(),
            resource: r.resource.clone(),
            action: r.action.clone(),
            status: r.status,
            error: r.error.clone(),
            client: r.client.clone(),
            request_id: r.request_id.clone(),
        }
    }
}

/// `GET /v1/audit`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditList {
    /// The entries, newest first.
    pub entries: Vec<AuditEntryView>,
    /// The `after` of the next page; null when this page is the last.
    pub next: Option<String>,
}
