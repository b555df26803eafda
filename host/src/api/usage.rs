//! Usage ingestion: sellers send batches of up to 1,000 usage records (SDRs)
//! of their pay-per-use instances and get one result per record. Nothing is
//! dropped silently: every record is accepted, reported as a duplicate of one
//! already stored, or refused with its reason. Sending a batch again changes
//! nothing.

use super::auth::Actor;
use super::extract::Query;
use super::pages::next;
use super::views::operations::{IngestView, MeteringView, UsagePage};
use super::{ApiError, AppState};
use crate::app::usage;
use crate::domain::usage::RawRecord;
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ingest))
        .routes(routes!(list))
        .routes(routes!(metering))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    records: Vec<Value>,
}

/// `POST /v1/usage`: 1 to 1,000 records; a record of the wrong shape is
/// refused on its own (`invalid`), not the whole batch.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UsageBatch {
    #[schema(min_items = 1, max_items = 1000)]
    records: Vec<RawRecord>,
}

/// Sends usage records of the seller's pay-per-use instances.
#[utoipa::path(post, path = "/usage", tag = "usage",
    request_body = UsageBatch,
    responses(
        (status = 200, body = IngestView),
        (status = 400, description = "malformed JSON, or not 1 to 1,000 records"),
        (status = 403, description = "not a seller"),
    ))]
async fn ingest(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<IngestView>, ApiError> {
    actor.require(&[Role::Seller])?;
    // The common case parses straight into records; only a batch with a
    // record of the wrong shape takes the slower path that refuses that
    // record on its own rather than the whole batch.
    let records: Vec<Result<RawRecord, String>> = match serde_json::from_slice::<UsageBatch>(&body)
    {
        Ok(b) => b.records.into_iter().map(Ok).collect(),
        Err(_) => {
            let batch: Batch = super::extract::parse(&body)?;
            batch
                .records
                .iter()
                .map(|v| RawRecord::deserialize(v).map_err(|e| e.to_string()))
                .collect()
        }
    };
    let done = usage::ingest(&state.app, &actor, records).await?;
    Ok(Json(done.into()))
}

/// A page of usage records: `after` and `limit` as every list takes them,
/// with this list's own bounds.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UsageQuery {
    /// The `next` of the previous page (opaque); the first page when absent.
    #[param(pattern = "^(3[0-9]){1,18}2e([2-7][0-9a-f])+$")]
    after: Option<String>,
    /// Records per page, 1 to 1000; 500 when absent.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// A page of an instance's usage records, oldest first (by end, then
/// metering id).
#[utoipa::path(get, path = "/instances/{id}/usage", tag = "usage",
    params(("id" = String, Path, description = "instance id"), UsageQuery),
    responses((status = 200, body = UsagePage), (status = 400, description = "a bad `after` or `limit`"), (status = 404, description = "no such instance")))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(p): Query<UsageQuery>,
) -> Result<Json<UsagePage>, ApiError> {
    let page = usage::records(&state.app, &actor, &id, p.after.as_deref(), p.limit).await?;
    Ok(Json(UsagePage::new(&page.rows, next(&page))))
}

/// How the product's usage collection stands: how far its metering plugin
/// has reported, and, while it fails, how often, why, and when it is called
/// again. For the product's seller and operators.
#[utoipa::path(get, path = "/products/{id}/metering", tag = "usage",
    params(("id" = String, Path, description = "product id")),
    responses(
        (status = 200, body = MeteringView),
        (status = 403, description = "customers"),
        (status = 404, description = "no such product"),
    ))]
async fn metering(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<MeteringView>, ApiError> {
    let c = usage::collection(&state.app, &actor, &id).await?;
    Ok(Json(c.into()))
}
