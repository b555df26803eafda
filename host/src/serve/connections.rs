//! What the connection layer knows of each open connection — when bytes
//! last moved, how many requests run on it — and the registry that picks
//! which one to close when a new client arrives at the cap: the one silent
//! longest with no request running, so a flood of silent connections
//! cannot lock real clients out until the header timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// A connection's last sign of life and its running requests.
pub(super) struct Activity {
    origin: Instant,
    last_ms: AtomicU64,
    pub(super) in_flight: AtomicUsize,
    /// Told to close to make room for a newcomer.
    pub(super) evict: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            evict: Notify::new(),
        }
    }

    pub(super) fn touch(&self) {
        let ms = self.origin.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    pub(super) fn silent_for(&self) -> Duration {
        let now = self.origin.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
    }
}

/// Counts a request as running until dropped.
pub(super) struct Running(Arc<Activity>);

impl Running {
    pub(super) fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// The open connections.
#[derive(Default)]
pub(super) struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
}

/// A connection's place in the registry, given up when dropped.
pub(super) struct Registered {
    registry: Arc<Registry>,
    id: u64,
    /// Its activity.
    pub(super) activity: Arc<Activity>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl Registry {
    /// Enters a new connection.
    pub(super) fn register(self: &Arc<Self>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity::new());
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, activity.clone());
        Registered {
            registry: self.clone(),
            id,
            activity,
        }
    }

    /// Tells the connection silent longest with no request running to
    /// close; false when every connection is busy.
    pub(super) fn evict_oldest_idle(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = open
            .values()
            .filter(|a| a.idle())
            .max_by_key(|a| a.silent_for());
        match oldest {
            Some(a) => {
                a.evict.notify_one();
                true
            }
            None => false,
        }
    }
}
