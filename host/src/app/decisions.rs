//! Marketplace decisions queued for the lifecycle worker: a freeze, an
//! unfreeze or a release the marketplace (not the seller) decided, as a job
//! without an order.

use crate::domain::instance::JobAction;
use crate::store::NewJob;

/// A job for a marketplace decision (no order): its seed comes from
/// `seed_key`, which must be the same if the decision is ever taken again.
pub fn decision_job(instance_id: &str, action: &JobAction, seed_key: &str) -> NewJob {
    NewJob {
        instance_id: instance_id.to_string(),
        order_id: None,
        // A `JobAction` is plain data; serialising it cannot fail.
        action: serde_json::to_string(action).unwrap_or_default(),
        seed: crate::ids::seed_of(seed_key),
    }
}
