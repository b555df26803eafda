//! The service's notion of time. Production reads the system clock; a
//! service started with a simulated clock lets an operator move time forward
//! (like Stripe's test clocks), so expiry, retention and billing cycles can be
//! walked through in tests and demos without waiting for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The time source every domain rule reads.
#[derive(Debug, Clone)]
pub struct Clock {
    /// `None`: the system clock. `Some`: an offset added to it, moved only by
    /// [`Clock::advance`].
    simulated: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { simulated: None }
    }

    /// A clock that starts at the system time and can be advanced.
    pub fn simulated() -> Self {
        Self::simulated_from(0)
    }

    /// A simulated clock already advanced by `offset_ms` (what an earlier
    /// run of the service moved it by).
    pub fn simulated_from(offset_ms: i64) -> Self {
        Self {
            simulated: Some(Arc::new(AtomicI64::new(offset_ms.max(0)))),
        }
    }

    /// How far a simulated clock has been moved; `None` for the system clock.
    pub fn offset_ms(&self) -> Option<i64> {
        self.simulated.as_ref().map(|o| o.load(Ordering::SeqCst))
    }

    /// Whether [`Clock::advance`] is allowed.
    pub fn is_simulated(&self) -> bool {
        self.simulated.is_some()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let offset = self
            .simulated
            .as_ref()
            .map_or(0, |o| o.load(Ordering::SeqCst));
        crate::now_millis().saturating_add(offset)
    }

    /// Moves a simulated clock forward by `ms` and returns the new time;
    /// `None` for the system clock, which nobody may move.
    pub fn advance(&self, ms: i64) -> Option<i64> {
        let offset = self.simulated.as_ref()?;
        offset.fetch_add(ms.max(0), Ordering::SeqCst);
        Some(self.now_ms())
    }
}
