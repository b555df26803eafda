//! Usage intake shared by both sources of usage records — sellers' batches
//! (`POST /v1/usage`) and the metering plugins the worker calls each hour —
//! so a record is judged the same whichever way it came: its own fields
//! (`domain::usage`), then its instance, then dedup by metering id.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::domain::catalog::BillingMode;
use crate::domain::instance::InstanceState;
use crate::domain::usage::{
    COLLECTION_WINDOW_MS, RawRecord, RecordStatus, UsageRecord, check_record,
};
use crate::store::{InstanceRow, Store, StoreError};

/// What became of one record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
// Fields in alphabetical order: the order the JSON has always had them in.
pub struct Outcome {
    /// Its position in the batch.
    pub index: usize,
    /// Details for anything but acceptance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The metering id, when it had one.
    pub metering_id: Option<String>,
    /// Accepted, duplicate, or why it was refused.
    pub status: RecordStatus,
}

/// A batch's records, parsed or not, judged at `now_ms` and the accepted
/// ones stored for `seller_id` from `source` (`api` or `plugin`).
pub async fn ingest(
    store: &Store,
    seller_id: &str,
    records: Vec<Result<RawRecord, String>>,
    now_ms: i64,
    late_window_ms: i64,
    source: &str,
) -> Result<Vec<Outcome>, StoreError> {
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(records.len());
    let mut valid: Vec<(usize, UsageRecord)> = Vec::new();
    let mut seen = HashSet::new();
    for (index, raw) in records.into_iter().enumerate() {
        let metering_id = raw.as_ref().ok().and_then(|r| r.metering_id.clone());
        let checked = raw
            .map_err(|e| (RecordStatus::Invalid, e))
            .and_then(|r| check_record(&r, now_ms, late_window_ms));
        let (status, message) = match checked {
            Ok(r) if !seen.insert(r.metering_id.clone()) => (
                RecordStatus::Duplicate,
                Some("repeated within the batch".into()),
            ),
            Ok(r) => {
                valid.push((index, r));
                (RecordStatus::Accepted, None)
            }
            Err((status, message)) => (status, Some(message)),
        };
        outcomes.push(Outcome {
            index,
            metering_id,
            status,
            message,
        });
    }

    let ids: Vec<&str> = valid
        .iter()
        .map(|(_, r)| r.instance_id.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let instances: HashMap<String, InstanceRow> = store
        .instances_by_id(&ids)
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();
    let named: Vec<&str> = valid
        .iter()
        .filter_map(|(_, r)| r.package.as_deref())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let packages: HashMap<String, (String, String)> = store
        .package_owners(&named)
        .await?
        .into_iter()
        .map(|(id, instance, item)| (id, (instance, item)))
        .collect();
    let mut storable = Vec::with_capacity(valid.len());
    for (at, r) in &valid {
        let refused = refusal(instances.get(&r.instance_id), seller_id, r).or_else(|| {
            let p = r.package.as_ref()?;
            let theirs = packages.get(p).is_some_and(|(instance, item)| {
                *instance == r.instance_id && *item == r.billing_item
            });
            (!theirs).then(|| {
                (
                    RecordStatus::UnknownPackage,
                    format!("the instance has no package {p} for {}", r.billing_item),
                )
            })
        });
        match refused {
            Some((status, message)) => {
                outcomes[*at].status = status;
                outcomes[*at].message = Some(message);
            }
            None => storable.push((*at, r)),
        }
    }
    let batch: Vec<&UsageRecord> = storable.iter().map(|(_, r)| *r).collect();
    let new = store
        .insert_usage(seller_id, &batch, source, now_ms)
        .await?;
    for ((at, _), is_new) in storable.iter().zip(new) {
        if !is_new {
            outcomes[*at].status = RecordStatus::Duplicate;
            outcomes[*at].message = Some("already received".into());
        }
    }
    count(&outcomes, source);
    Ok(outcomes)
}

/// Adds a judged batch to `bazaar_usage_records_total`, one increment per
/// status rather than per record.
fn count(outcomes: &[Outcome], source: &str) {
    let mut by_status: Vec<(RecordStatus, u64)> = Vec::new();
    for o in outcomes {
        match by_status.iter_mut().find(|(s, _)| *s == o.status) {
            Some((_, n)) => *n += 1,
            None => by_status.push((o.status, 1)),
        }
    }
    for (status, n) in by_status {
        let reason = serde_json::to_value(status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let outcome = match status {
            RecordStatus::Accepted => "accepted",
            RecordStatus::Duplicate => "duplicate",
            _ => "refused",
        };
        metrics::counter!(crate::telemetry::USAGE_RECORDS, "source" => source.to_string(),
            "outcome" => outcome, "reason" => reason)
        .increment(n);
    }
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
    if i.billing_mode != BillingMode::PayPerUse {
        return Some((
            RecordStatus::NotPayPerUse,
            format!("the instance is billed {}", i.billing_mode.as_str()),
        ));
    }
    if !matches!(i.state, InstanceState::Active | InstanceState::Frozen) {
        return Some((
            RecordStatus::InstanceNotLive,
            format!("the instance is {}", i.state.as_str()),
        ));
    }
    if r.billing_item != i.sku_id {
        return Some((
            RecordStatus::UnknownBillingItem,
            format!("the instance's billing item is {}", i.sku_id),
        ));
    }
    // Usage is collected in whole hours, so the hour of the purchase counts.
    if r.begin_ms < i.created_at - i.created_at.rem_euclid(COLLECTION_WINDOW_MS) {
        return Some((
            RecordStatus::BadTime,
            "the record begins before the hour the instance was bought in".into(),
        ));
    }
    None
}
