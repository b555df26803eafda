//! Per-plugin key-value state as the runtime sees it during a call.
//!
//! Reads go to a [`KvStore`]; writes are buffered in a [`KvOverlay`] and only
//! reach the store when the caller commits a successful call's writes, so a
//! plugin that traps half-way leaves no half-written state behind.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The committed state could not be read or written (a database outage).
/// A plugin never sees this: its call traps and the caller gets
/// [`CallError::StoreUnavailable`](super::CallError::StoreUnavailable), which
/// is transient.
#[derive(Debug, Clone, thiserror::Error)]
#[error("key-value store unavailable: {0}")]
pub struct KvBackendError(pub String);

/// Where a plugin's committed key-value state lives. Calls run on blocking
/// threads, so implementations may block.
pub trait KvStore: Send + Sync {
    /// The committed value under `key`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError>;
    /// Committed keys starting with `prefix`, in byte order, at most `limit`.
    fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError>;
    /// Applies a successful call's writes atomically (`None` deletes).
    fn commit(&self, writes: &[(String, Option<Vec<u8>>)]) -> Result<(), KvBackendError>;
    /// How much committed state the namespace holds, for its quota.
    fn usage(&self) -> Result<KvUsage, KvBackendError>;
}

/// The size of a key-value namespace: what its quota counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvUsage {
    /// Keys held.
    pub keys: u64,
    /// Bytes of keys and values held.
    pub bytes: u64,
}

/// An in-memory [`KvStore`], used by the CLI and tests. It keeps its usage
/// as running totals, as the database does, so a call's quota check does not
/// cost more the more the store holds.
#[derive(Debug, Default, Clone)]
pub struct MemoryKv {
    map: Arc<Mutex<Entries>>,
}

#[derive(Debug, Default)]
struct Entries {
    by_key: BTreeMap<String, Vec<u8>>,
    /// The keys' and values' lengths, summed.
    bytes: u64,
}

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot of everything stored.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        self.lock().by_key.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned lock only means another call panicked while holding it;
        // the map itself is always left consistent (writes are single inserts).
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn size(key: &str, value: &[u8]) -> u64 {
    (key.len() + value.len()) as u64
}

impl KvStore for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        Ok(self.lock().by_key.get(key).cloned())
    }

    fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError> {
        Ok(self
            .lock()
            .by_key
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn commit(&self, writes: &[(String, Option<Vec<u8>>)]) -> Result<(), KvBackendError> {
        let mut entries = self.lock();
        for (k, v) in writes {
            let old = match v {
                Some(v) => {
                    entries.bytes += size(k, v);
                    entries.by_key.insert(k.clone(), v.clone())
                }
                None => entries.by_key.remove(k),
            };
            if let Some(old) = old {
                entries.bytes -= size(k, &old);
            }
        }
        Ok(())
    }

    fn usage(&self) -> Result<KvUsage, KvBackendError> {
        let entries = self.lock();
        Ok(KvUsage {
            keys: entries.by_key.len() as u64,
            bytes: entries.bytes,
        })
    }
}

/// The writes of one call, layered over the committed store.
#[derive(Default)]
pub struct KvOverlay {
    writes: BTreeMap<String, Option<Vec<u8>>>,
    /// Committed values this call has read: a plugin reading a key and
    /// then writing it (whose quota check needs the old value's size) costs
    /// one read of the store, which on PostgreSQL is a round trip.
    read: BTreeMap<String, Option<Vec<u8>>>,
}

impl KvOverlay {
    /// The value under `key` as this call sees it.
    pub fn get(
        &mut self,
        store: &dyn KvStore,
        key: &str,
    ) -> Result<Option<Vec<u8>>, KvBackendError> {
        if let Some(v) = self.writes.get(key).or_else(|| self.read.get(key)) {
            return Ok(v.clone());
        }
        let v = store.get(key)?;
        self.read.insert(key.to_string(), v.clone());
        Ok(v)
    }

    /// Records a write.
    pub fn set(&mut self, key: String, value: Option<Vec<u8>>) {
        self.writes.insert(key, value);
    }

    /// Keys with `prefix` as this call sees them.
    pub fn list_keys(
        &self,
        store: &dyn KvStore,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, KvBackendError> {
        // Ask the store for enough keys to survive deletions made in this call.
        let deleted = self.writes.values().filter(|v| v.is_none()).count();
        let mut keys: std::collections::BTreeSet<String> = store
            .list_keys(prefix, limit.saturating_add(deleted))?
            .into_iter()
            .collect();
        for (k, v) in self.writes.range(prefix.to_string()..) {
            if !k.starts_with(prefix) {
                break;
            }
            match v {
                Some(_) => keys.insert(k.clone()),
                None => keys.remove(k),
            };
        }
        Ok(keys.into_iter().take(limit).collect())
    }

    /// The buffered writes, in key order.
    pub fn into_writes(self) -> Vec<(String, Option<Vec<u8>>)> {
        self.writes.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_hides_deletes_and_shows_new_keys() {
        let store = MemoryKv::new();
        store
            .commit(&[
                ("a/1".into(), Some(b"x".to_vec())),
                ("a/2".into(), Some(b"y".to_vec())),
                ("b/1".into(), Some(b"z".to_vec())),
            ])
            .unwrap();
        let mut overlay = KvOverlay::default();
        overlay.set("a/1".into(), None);
        overlay.set("a/3".into(), Some(b"w".to_vec()));
        assert_eq!(
            overlay.list_keys(&store, "a/", 10).unwrap(),
            vec!["a/2", "a/3"]
        );
        assert_eq!(overlay.get(&store, "a/1").unwrap(), None);
        assert_eq!(overlay.get(&store, "b/1").unwrap(), Some(b"z".to_vec()));
        // Nothing reaches the store until commit.
        assert_eq!(store.get("a/3").unwrap(), None);
        store.commit(&overlay.into_writes()).unwrap();
        assert_eq!(store.list_keys("a/", 10).unwrap(), vec!["a/2", "a/3"]);
    }

    /// A store that counts its reads.
    struct Counting(MemoryKv, std::sync::atomic::AtomicUsize);

    impl KvStore for Counting {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.0.get(key)
        }
        fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError> {
            self.0.list_keys(prefix, limit)
        }
        fn commit(&self, writes: &[(String, Option<Vec<u8>>)]) -> Result<(), KvBackendError> {
            self.0.commit(writes)
        }
        fn usage(&self) -> Result<KvUsage, KvBackendError> {
            self.0.usage()
        }
    }

    #[test]
    fn a_call_reads_each_committed_key_from_the_store_once() {
        let store = Counting(MemoryKv::new(), Default::default());
        store.commit(&[("k".into(), Some(b"v".to_vec()))]).unwrap();
        let mut overlay = KvOverlay::default();
        for _ in 0..3 {
            assert_eq!(overlay.get(&store, "k").unwrap(), Some(b"v".to_vec()));
            assert_eq!(overlay.get(&store, "missing").unwrap(), None);
        }
        assert_eq!(store.1.load(std::sync::atomic::Ordering::Relaxed), 2);
        // Its own writes win over what it read.
        overlay.set("k".into(), None);
        overlay.set("missing".into(), Some(b"w".to_vec()));
        assert_eq!(overlay.get(&store, "k").unwrap(), None);
        assert_eq!(overlay.get(&store, "missing").unwrap(), Some(b"w".to_vec()));
        assert_eq!(store.1.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn usage_totals_follow_inserts_replacements_and_deletes() {
        let store = MemoryKv::new();
        let recount = |s: &MemoryKv| {
            let all = s.snapshot();
            let bytes: usize = all.iter().map(|(k, v)| k.len() + v.len()).sum();
            (all.len() as u64, bytes as u64)
        };
        store
            .commit(&[
                ("k1".into(), Some(b"abc".to_vec())),
                ("k2".into(), Some(b"de".to_vec())),
            ])
            .unwrap();
        store
            .commit(&[
                ("k1".into(), Some(b"a".to_vec())),
                ("k2".into(), None),
                ("k3".into(), None),
            ])
            .unwrap();
        let usage = store.usage().unwrap();
        assert_eq!((usage.keys, usage.bytes), recount(&store));
        assert_eq!((usage.keys, usage.bytes), (1, 3));
    }
}
