//! What a plugin's answer does: an `ok` becomes the job's completion (the
//! instance change, the order's end, the feed event), a transient failure a
//! retry with backoff, a refusal a failed order or, for the marketplace's own
//! decisions, a recorded refusal that does not stop them.

use super::Worker;
use super::calls::{self, Answer};
use super::product_namespace;
use crate::domain::instance::{InstanceState, JobAction, MAX_ATTEMPTS, OrderState, retry_delay_ms};
use crate::store::{Completion, InstanceRow, JobRow, NewEvent};
use crate::telemetry::{JOB_FAILURES, JOB_RETRIES};
use serde_json::json;
use std::sync::Arc;

impl Worker {
    pub(super) async fn settle(
        &self,
        job: JobRow,
        lease: &str,
        action: JobAction,
        instance: InstanceRow,
        answer: Answer,
    ) -> Result<Option<Completion>, crate::store::StoreError> {
        let now = self.clock.now_ms();
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        let (kv_writes, success, failure) = match answer {
            Answer::Ok {
                provisioned,
                kv_writes,
            } => (kv_writes, Some(provisioned), None),
            Answer::Transient(why) if attempts < MAX_ATTEMPTS => {
                tracing::info!(attempts, error = %why, "transient failure; will retry");
                metrics::counter!(JOB_RETRIES, "action" => action.event_kind()).increment(1);
                let at = now + retry_delay_ms(attempts);
                self.store.retry_job(job.id, lease, at, &why).await?;
                return Ok(None);
            }
            Answer::Transient(why) => {
                metrics::counter!(JOB_FAILURES, "action" => action.event_kind(), "reason" => "gave-up")
                    .increment(1);
                (
                    Vec::new(),
                    None,
                    Some(format!("gave up after {attempts} attempts: {why}")),
                )
            }
            Answer::Failed(why) => {
                metrics::counter!(JOB_FAILURES, "action" => action.event_kind(), "reason" => "refused")
                    .increment(1);
                (Vec::new(), None, Some(why))
            }
        };
        let namespace = product_namespace(&instance.product_id);
        let mut detail = json!({ "action": action, "attempts": attempts });
        let secrets = self.secrets.clone();
        let failed_order = failure.is_some() && action.refusal_fails_order();
        let (kind, order) = match (&failure, failed_order) {
            // Seeds §6.2: a supervised order stays processing until the
            // customer accepts the delivery.
            (None, _)
                if matches!(
                    action,
                    JobAction::Create {
                        supervised: true,
                        ..
                    }
                ) =>
            {
                (action.event_kind().to_string(), None)
            }
            (None, _) => (
                action.event_kind().to_string(),
                Some((OrderState::Completed, None)),
            ),
            (Some(why), true) => {
                detail["failure"] = json!(why);
                (
                    "order.failed".to_string(),
                    Some((OrderState::Failed, Some(why.clone()))),
                )
            }
            (Some(why), false) => {
                // A marketplace decision stands; the seller sees the refusal.
                detail["failure"] = json!(why);
                (
                    "plugin.refused".to_string(),
                    Some((OrderState::Completed, None)),
                )
            }
        };
        if let Some(Some(p)) = &success {
            detail["seller-instance-id"] = json!(p.instance_id);
        }
        let create_failed = failed_order && matches!(action, JobAction::Create { .. });
        let patch_action = action.clone();
        let patch = Arc::new(move |i: &mut InstanceRow| {
            if let Some(provisioned) = &success {
                calls::apply_success(&patch_action, provisioned.as_ref(), i, &secrets);
            } else if create_failed {
                i.state = InstanceState::Failed;
                i.failure = failure.clone();
            } else if patch_action == JobAction::Unfreeze {
                // The renewal was paid: the instance runs again even if the
                // plugin refused to hear it (the seller sees the refusal).
                calls::thaw_if_expired(i);
            }
        });
        if let (Some(sid), None) = (
            &instance.seller_instance_id,
            detail.get("seller-instance-id"),
        ) {
            detail["seller-instance-id"] = json!(sid);
        }
        Ok(Some(Completion {
            job_id: job.id,
            instance_id: instance.id.clone(),
            lease: lease.to_string(),
            kv_namespace: namespace,
            kv_writes,
            patch,
            order,
            drop_later_jobs: create_failed,
            event: NewEvent {
                kind,
                order_id: job.order_id.clone(),
                detail: detail.to_string(),
            },
            now_ms: now,
        }))
    }
}
