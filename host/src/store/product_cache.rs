//! Products as recently read, so placing an order does not read its product
//! row again each time (one statement of about two per accepted order,
//! BENCHMARKS §19). Only where a product is shown, priced and sold
//! (`Store::product_cached`); what changes a product reads it fresh. A write
//! of this node clears it at once; another node's write is seen within
//! [`PRODUCT_CACHE_TTL`], as a revoked token is within the token cache's
//! lifetime.

use super::products::ProductRow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a product read is trusted: how soon a change made on another
/// node (a delisting, a new approved version) reaches this one.
pub const PRODUCT_CACHE_TTL: Duration = Duration::from_secs(1);

/// Products kept at most; past it the cache starts over.
const CAPACITY: usize = 10_000;

/// Shared by a store's clones.
#[derive(Debug, Default)]
pub(super) struct ProductCache {
    entries: Mutex<HashMap<String, (ProductRow, Instant)>>,
    /// Bumped by every write: a read that began before a write must not
    /// put what it read back after the write cleared the cache.
    generation: AtomicU64,
}

impl ProductCache {
    /// The product as read less than the lifetime ago.
    pub(super) fn get(&self, id: &str) -> Option<ProductRow> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id)
            .filter(|(_, at)| at.elapsed() < PRODUCT_CACHE_TTL)
            .map(|(p, _)| p.clone())
    }

    /// The generation to pass to [`ProductCache::put`] after reading.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `p`, read when the generation was `seen`, unless a write came
    /// in between.
    pub(super) fn put(&self, p: &ProductRow, seen: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != seen {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(p.id.clone(), (p.clone(), Instant::now()));
    }

    /// Forgets everything: a product was written (writes are rare; the
    /// approval of a release names its application, not its product).
    pub(super) fn written(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}
