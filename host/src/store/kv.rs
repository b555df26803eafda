//! The runtime's [`KvStore`] backed by the database. With SQLite, reads go
//! straight to the file from the plugin call's own thread (a read-only
//! connection per thread, WAL snapshots of committed data): through the pool,
//! each `kv.get` of a plugin was two thread hand-offs and half of a
//! provisioning's cost.

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
        if let Some(file) = &self.store.sqlite_file {
            return direct::get(file, &self.namespace, key);
        }
        self.handle
            .block_on(self.store.kv_get(&self.namespace, key))
            .map_err(backend)
    }

    fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError> {
        if let Some(file) = &self.store.sqlite_file {
            return direct::list(file, &self.namespace, prefix, limit);
        }
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

/// Read-only SQLite connections, one per thread and file.
mod direct {
    use super::super::direct::{Connections, with as with_connection};
    use crate::runtime::KvBackendError;
    use rusqlite::{Connection, OpenFlags, OptionalExtension};
    use std::path::Path;

    thread_local! {
        static READERS: Connections = Connections::default();
    }

    fn with<T>(
        file: &Path,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, KvBackendError> {
        let open = |file: &Path| {
            Connection::open_with_flags(
                file,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        };
        with_connection(&READERS, file, open, |c| f(c)).map_err(|e| KvBackendError(e.to_string()))
    }

    pub(super) fn get(
        file: &Path,
        namespace: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, KvBackendError> {
        with(file, |c| {
            c.prepare_cached("SELECT value FROM plugin_kv WHERE namespace = ?1 AND key = ?2")?
                .query_row((namespace, key), |row| row.get(0))
                .optional()
        })
    }

    pub(super) fn list(
        file: &Path,
        namespace: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, KvBackendError> {
        with(file, |c| {
            let mut stmt = c.prepare_cached(
                "SELECT key FROM plugin_kv WHERE namespace = ?1 AND key >= ?2 ORDER BY key LIMIT ?3",
            )?;
            let keys = stmt
                .query_map((namespace, prefix, limit as i64), |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(keys
                .into_iter()
                .take_while(|k| k.starts_with(prefix))
                .collect())
        })
    }
}
