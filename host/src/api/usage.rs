//! Usage ingestion: sellers send batches of up to 1,000 usage records (SDRs)
//! of their pay-per-use instances and get one result per record. Nothing is
//! dropped silently: every record is accepted, reported as a duplicate of one
//! already stored, or refused with its reason. Sending a batch again changes
//! nothing.

use std::collections::{HashMap, HashSet};

use super::auth::Actor;
use super::instances::visible_instance;
use super::{ApiError, AppState};
use crate::domain::usage::{BATCH_MAX, RawRecord, RecordStatus, UsageRecord, check_record};
use crate::store::{InstanceRow, Role};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/usage", post(ingest))
        .route("/instances/{id}/usage", get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    records: Vec<Value>,
}

/// One record's outcome.
struct Outcome {
    metering_id: Option<String>,
    status: RecordStatus,
    message: Option<String>,
}

async fn ingest(
    State(state): State<AppState>,
    actor: Actor,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    actor.require(&[Role::Seller])?;
    let batch: Batch = super::json::parse(&body)?;
    if batch.records.is_empty() || batch.records.len() > BATCH_MAX {
        return Err(ApiError::bad(
            "records",
            format!("send 1 to {BATCH_MAX} records per batch"),
        ));
    }
    let now = state.clock.now_ms();
    let window = state.usage_late_window_ms;
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(batch.records.len());
    let mut valid: Vec<(usize, UsageRecord)> = Vec::new();
    let mut seen = HashSet::new();
    for value in batch.records {
        let raw = RawRecord::deserialize(&value);
        let metering_id = value["metering-id"].as_str().map(str::to_string);
        let checked = match raw {
            Ok(raw) => check_record(&raw, now, window),
            Err(e) => Err((RecordStatus::Invalid, e.to_string())),
        };
        let outcome = match checked {
            Ok(r) if !seen.insert(r.metering_id.clone()) => Outcome {
                metering_id,
                status: RecordStatus::Duplicate,
                message: Some("repeated within the batch".into()),
            },
            Ok(r) => {
                valid.push((outcomes.len(), r));
                Outcome {
                    metering_id,
                    status: RecordStatus::Accepted,
                    message: None,
                }
            }
            Err((status, message)) => Outcome {
                metering_id,
                status,
                message: Some(message),
            },
        };
        outcomes.push(outcome);
    }

    let ids: Vec<&str> = valid
        .iter()
        .map(|(_, r)| r.instance_id.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let instances: HashMap<String, InstanceRow> = state
        .store
        .instances_by_id(&ids)
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();
    let mut storable = Vec::with_capacity(valid.len());
    for (at, r) in &valid {
        match refusal(instances.get(&r.instance_id), actor.id(), r) {
            Some((status, message)) => {
                outcomes[*at].status = status;
                outcomes[*at].message = Some(message);
            }
            None => storable.push((*at, r)),
        }
    }
    let records: Vec<&UsageRecord> = storable.iter().map(|(_, r)| *r).collect();
    let new = state
        .store
        .insert_usage(actor.id(), &records, "api", now)
        .await?;
    for ((at, _), is_new) in storable.iter().zip(new) {
        if !is_new {
            outcomes[*at].status = RecordStatus::Duplicate;
            outcomes[*at].message = Some("already received".into());
        }
    }
    let count = |s: RecordStatus| outcomes.iter().filter(|o| o.status == s).count();
    let (accepted, duplicates) = (
        count(RecordStatus::Accepted),
        count(RecordStatus::Duplicate),
    );
    Ok(Json(json!({
        "accepted": accepted,
        "duplicates": duplicates,
        "refused": outcomes.len() - accepted - duplicates,
        "results": outcomes.iter().enumerate().map(|(i, o)| json!({
            "index": i,
            "metering-id": o.metering_id,
            "status": o.status,
            "message": o.message,
        })).collect::<Vec<_>>(),
    })))
}

/// Why a well-formed record cannot be charged to its instance, if it cannot.
fn refusal(
    instance: Option<&InstanceRow>,
    seller_id: &str,
    r: &UsageRecord,
) -> Option<(RecordStatus, String)> {
    let Some(i) = instance else {
        return Some((
            RecordStatus::UnknownInstance,
            format!("no instance {}", r.instance_id),
        ));
    };
    if i.seller_id != seller_id {
        return Some((
            RecordStatus::NotYourInstance,
            "the instance is another seller's".into(),
        ));
    }
    if i.billing_mode != "pay-per-use" {
        return Some((
            RecordStatus::NotPayPerUse,
            format!("the instance is billed {}", i.billing_mode),
        ));
    }
    if !matches!(i.state.as_str(), "active" | "frozen") {
        return Some((
            RecordStatus::InstanceNotLive,
            format!("the instance is {}", i.state),
        ));
    }
    if r.billing_item != i.sku_id {
        return Some((
            RecordStatus::UnknownBillingItem,
            format!("the instance's billing item is {}", i.sku_id),
        ));
    }
    if r.begin_ms < i.created_at {
        return Some((
            RecordStatus::BadTime,
            "the record begins before the instance was bought".into(),
        ));
    }
    None
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
