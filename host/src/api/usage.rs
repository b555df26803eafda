//! Usage ingestion: sellers send batches of up to 1,000 usage records (SDRs)
//! of their pay-per-use instances and get one result per record. Nothing is
//! dropped silently: every record is accepted, reported as a duplicate of one
//! already stored, or refused with its reason. Sending a batch again changes
//! nothing.

use super::auth::Actor;
use super::instances::visible_instance;
use super::{ApiError, AppState};
use crate::app::access::visible_product;
use crate::domain::usage::{BATCH_MAX, RawRecord, RecordStatus};
use crate::metering;
use crate::store::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/usage", post(ingest))
        .route("/instances/{id}/usage", get(list))
        .route("/products/{id}/metering", get(metering))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    records: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedBatch {
    records: Vec<RawRecord>,
}

async fn ingest(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller])?;
    // The common case parses straight into records; only a batch with a
    // record of the wrong shape takes the slower path that refuses that
    // record on its own rather than the whole batch.
    let records: Vec<Result<RawRecord, String>> = match serde_json::from_slice::<TypedBatch>(&body)
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
    if records.is_empty() || records.len() > BATCH_MAX {
        return Err(ApiError::bad(
            "records",
            format!("send 1 to {BATCH_MAX} records per batch"),
        ));
    }
    let outcomes = metering::ingest(
        &state.store,
        actor.id(),
        records,
        state.clock.now_ms(),
        state.usage_late_window_ms,
        "api",
    )
    .await?;
    let count = |s: RecordStatus| outcomes.iter().filter(|o| o.status == s).count();
    let (accepted, duplicates) = (
        count(RecordStatus::Accepted),
        count(RecordStatus::Duplicate),
    );
    Ok(Json(json!({
        "accepted": accepted,
        "duplicates": duplicates,
        "refused": outcomes.len() - accepted - duplicates,
        "results": outcomes,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default = "page")]
    limit: i64,
}

fn page() -> i64 {
    500
}

async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(p): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let i = visible_instance(&state, &actor, &id).await?;
    let rows = state
        .store
        .usage_of(&i.id, p.after, p.limit.clamp(1, 1000))
        .await?;
    let next = rows.last().map(|r| r.end_ms);
    Ok(Json(json!({
        "records": rows.iter().map(|r| json!({
            "metering-id": r.metering_id, "billing-item": r.billing_item,
            "begin": r.begin_ms, "end": r.end_ms, "value": r.value,
            "source": r.source, "received-at": r.received_at,
        })).collect::<Vec<_>>(),
        "next": next,
    })))
}

/// How the product's usage collection stands: how far its metering plugin
/// has reported, and, while it fails, how often, why, and when it is called
/// again. For the product's seller and operators.
async fn metering(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller, Role::Operator])?;
    let p = visible_product(&state, &actor, &id).await?;
    let plugin = p.live_draft().and_then(|live| live.metering_plugin);
    // `None` before the first collection.
    let s = state.store.metering_status(&p.id).await?;
    let now = state.clock.now_ms();
    Ok(Json(json!({
        "product": p.id,
        "metering-plugin": plugin,
        "collected-until": s.as_ref().map(|s| s.collected_until),
        "consecutive-failures": s.as_ref().map_or(0, |s| s.failures),
        "last-error": s.as_ref().and_then(|s| s.last_error.as_deref()),
        "retry-at": s.as_ref().map(|s| s.retry_at).filter(|at| *at > now),
        "updated-at": s.as_ref().map(|s| s.updated_at),
    })))
}
