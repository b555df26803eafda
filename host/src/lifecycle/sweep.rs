//! The marketplace's own decisions driven by time: an instance whose period
//! ended is frozen (reason `expired`), and one that stayed frozen through the
//! retention period is released (`expired`, or `trial-ended` for a trial
//! nobody converted). Supervised orders complete when their completion time
//! (acceptance + 3 h, §6.2) comes.

use super::Worker;
use super::decision_job;
use crate::domain::instance::{FreezeReason, InstanceState, JobAction, ReleaseReason};
use crate::store::{InstanceGuard, StoreError};

/// Instances handled per sweep; the rest wait for the next one.
const SWEEP_LIMIT: i64 = 200;

impl Worker {
    /// Freezes what expired and releases what outlived its retention.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        // The seed is fixed by instance, time and decision, so every retry
        // of the job gives the plugin the same random numbers.
        let job_for = |id: &str, action: &JobAction| {
            decision_job(id, action, &format!("{id}:{now}:{}", action.event_kind()))
        };
        let mut decided = 0;
        for i in self.store.expired_active(now, SWEEP_LIMIT).await? {
            let job = JobAction::Freeze {
                reason: FreezeReason::Expired,
            };
            let guard = InstanceGuard {
                id: &i.id,
                states: &[InstanceState::Active],
                new_state: Some(InstanceState::Frozen),
                freeze_reason: Some(FreezeReason::Expired.as_str()),
            };
            if self.store.decide(guard, job_for(&i.id, &job), now).await? {
                decided += 1;
            }
        }
        let cutoff = now - self.config.retention_ms;
        for i in self.store.retention_over(cutoff, SWEEP_LIMIT).await? {
            let reason = if i.trial {
                ReleaseReason::TrialEnded
            } else {
                ReleaseReason::Expired
            };
            let guard = InstanceGuard {
                id: &i.id,
                states: &[InstanceState::Frozen],
                new_state: Some(InstanceState::Released),
                freeze_reason: None,
            };
            let job = JobAction::Release { reason };
            if self.store.decide(guard, job_for(&i.id, &job), now).await? {
                decided += 1;
            }
        }
        let completed = self.store.complete_due_orders(now).await?;
        if completed > 0 {
            tracing::info!(completed, "supervised orders completed");
        }
        if decided > 0 {
            tracing::info!(decided, "expiry sweep queued plugin calls");
            self.wake.notify_one();
        }
        Ok(decided)
    }
}
