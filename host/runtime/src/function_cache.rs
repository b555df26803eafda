//! Cranelift's incremental compilation cache, kept in memory: compiled
//! functions keyed by their content. Every componentize-py plugin carries
//! the same CPython interpreter (most of its 18 MB), so after the first one
//! the next compiles mostly from here; other toolchains' shared runtimes
//! gain the same way. Bounded: past [`CAPACITY`] bytes, new functions are
//! compiled as usual and not kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

/// The most compiled code the cache holds.
pub const CAPACITY: usize = 512 << 20;

/// Compiled functions by Cranelift's cache key.
#[derive(Debug, Default)]
pub struct FunctionCache {
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_key: HashMap<Vec<u8>, Vec<u8>>,
    /// Keys and values held, in bytes.
    bytes: usize,
}

impl wasmtime::CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let entries = self.entries.lock().ok()?;
        entries.by_key.get(key).map(|v| Cow::Owned(v.clone()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        let size = key.len() + value.len();
        if entries.bytes + size > CAPACITY {
            return false;
        }
        entries.bytes += size;
        entries.by_key.insert(key.to_vec(), value);
        true
    }
}
