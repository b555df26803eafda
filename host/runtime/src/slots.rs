//! A counting gate in front of the pooling allocator: at most as many calls
//! run as there are instance slots; the rest wait their turn.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

/// A held slot; released on drop.
pub(crate) struct Slot<'a>(&'a Slots);

impl Slots {
    pub(crate) fn new(n: u32) -> Self {
        Self {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    /// Waits up to `patience` for a slot.
    pub(crate) fn acquire(&self, patience: Duration) -> Option<Slot<'_>> {
        let deadline = Instant::now() + patience;
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            let left = deadline.checked_duration_since(Instant::now())?;
            free = self
                .freed
                .wait_timeout(free, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *free -= 1;
        Some(Slot(self))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_a_slot_and_gives_up_after_its_patience() {
        let slots = Slots::new(1);
        let held = slots.acquire(Duration::ZERO).expect("one slot");
        assert!(slots.acquire(Duration::from_millis(20)).is_none());
        drop(held);
        assert!(slots.acquire(Duration::ZERO).is_some());
    }
}
