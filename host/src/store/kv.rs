//! The runtime's [`KvStore`] backed by the database.

use super::Store;
use crate::runtime::{KvBackendError, KvStore};
use tokio::runtime::Handle;

/// One namespace of the `plugin_kv` table, read synchronously from a plugin
/// call. Plugin calls run on blocking threads, where waiting on the async
/// pool with `Handle::block_on` is allowed.
pub struct StoreKv {
    store: Store,
    namespace: String,
    handle: Handle,
}

impl StoreKv {
    /// A view of `namespace`; must be created inside the tokio runtime.
    pub fn new(store: Store, namespace: String) -> Self {
        Self {
            store,
            namespace,
            handle: Handle::current(),
        }
    }
}

fn backend(e: super::StoreError) -> KvBackendError {
    KvBackendError(e.to_string())
}

impl KvStore for StoreKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        self.handle
            .block_on(self.store.kv_get(&self.namespace, key))
            .map_err(backend)
    }

    fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError> {
        self.handle
            .block_on(self.store.kv_list(&self.namespace, prefix, limit))
            .map_err(backend)
    }

    fn commit(&self, writes: &[(String, Option<Vec<u8>>)]) -> Result<(), KvBackendError> {
        self.handle
            .block_on(self.store.kv_commit(&self.namespace, writes))
            .map_err(backend)
    }
}
