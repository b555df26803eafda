//! The runtime's [`KvStore`] backed by the database. Reads go to the
//! database from the plugin call's own thread, on a connection of that
//! thread: with SQLite a read-only one to the file (WAL snapshots of
//! committed data; through the pool, each `kv.get` of a plugin was two thread
//! hand-offs and half of a provisioning's cost), with PostgreSQL one of
//! `pg_direct.rs`.

use super::{Pool, Store, pg_direct};
use crate::runtime::{KvBackendError, KvStore, KvUsage};
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

/// A committed value (`$1` namespace, `$2` key).
pub(super) const GET: &str = "SELECT value FROM plugin_kv WHERE namespace = $1 AND key = $2";
/// Keys from a prefix on, in byte order (`$1` namespace, `$2` prefix, `$3`
/// limit): a range scan, whose keys sharing the prefix come first.
pub(super) const LIST: &str =
    "SELECT key FROM plugin_kv WHERE namespace = $1 AND key >= $2 ORDER BY key LIMIT $3";
/// The keys of a [`LIST`] scan that have the prefix: the scan goes on past
/// them, to keys after the prefix in byte order.
pub(super) fn with_prefix(prefix: &str, keys: impl IntoIterator<Item = String>) -> Vec<String> {
    keys.into_iter()
        .take_while(|k| k.starts_with(prefix))
        .collect()
}

/// A namespace's totals (`$1`), kept by triggers on `plugin_kv` (migration
/// 0017): one row, not a sum over the namespace.
const USAGE: &str = "SELECT keys, bytes FROM plugin_kv_usage WHERE namespace = $1";

/// How a sealed value starts; values without it were stored before sealing
/// (or by a store without a key) and are read as they are.
const SEALED: &[u8] = b"\0bazaar-kv-v1\0";

impl Store {
    /// Seals plugin key-value state at rest with the service's secret key
    /// (the same as app credentials): plugins keep tokens and passwords
    /// there. Set before the store is cloned.
    pub fn seal_kv_with(&mut self, secrets: crate::secrets::SecretBox) {
        self.kv_box = Some(secrets);
    }

    /// `value` as stored for `namespace`/`key`.
    pub(super) fn seal_kv(&self, namespace: &str, key: &str, value: &[u8]) -> Vec<u8> {
        match &self.kv_box {
            Some(secrets) => {
                let mut out = SEALED.to_vec();
                out.extend(secrets.seal(&record(namespace, key), value));
                out
            }
            None => value.to_vec(),
        }
    }

    /// The plugin's value of a stored `namespace`/`key`.
    pub(super) fn open_kv(
        &self,
        namespace: &str,
        key: &str,
        stored: Vec<u8>,
    ) -> Result<Vec<u8>, super::StoreError> {
        let (Some(secrets), Some(sealed)) = (&self.kv_box, stored.strip_prefix(SEALED)) else {
            return Ok(stored);
        };
        secrets.open(&record(namespace, key), sealed).map_err(|e| {
            super::StoreError::Conflict(format!("plugin state {namespace}/{key}: {e}"))
        })
    }
}

/// The record a sealed value is bound to, so values cannot be swapped
/// between keys or plugins.
fn record(namespace: &str, key: &str) -> String {
    format!("kv\0{namespace}\0{key}")
}

fn backend(e: super::StoreError) -> KvBackendError {
    KvBackendError(e.to_string())
}

fn pg(e: sqlx::Error) -> KvBackendError {
    KvBackendError(e.to_string())
}

impl KvStore for StoreKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        if let Some(file) = &self.store.sqlite_file {
            return direct::get(file, &self.namespace, key)?
                .map(|v| self.store.open_kv(&self.namespace, key, v))
                .transpose()
                .map_err(backend);
        }
        if let Some(db) = &self.store.pg_reads {
            let ns = self.namespace.as_str();
            let row: Option<(Vec<u8>,)> = pg_direct::with(db, async |c| {
                sqlx::query_as(GET)
                    .bind(ns)
                    .bind(key)
                    .fetch_optional(c)
                    .await
            })
            .map_err(pg)?;
            return row
                .map(|(v,)| self.store.open_kv(ns, key, v))
                .transpose()
                .map_err(backend);
        }
        self.handle
            .block_on(self.store.kv_get(&self.namespace, key))
            .map_err(backend)
    }

    fn list_keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, KvBackendError> {
        if let Some(file) = &self.store.sqlite_file {
            return direct::list(file, &self.namespace, prefix, limit);
        }
        if let Some(db) = &self.store.pg_reads {
            let ns = self.namespace.as_str();
            let rows: Vec<(String,)> = pg_direct::with(db, async |c| {
                sqlx::query_as(LIST)
                    .bind(ns)
                    .bind(prefix)
                    .bind(limit as i64)
                    .fetch_all(c)
                    .await
            })
            .map_err(pg)?;
            return Ok(with_prefix(prefix, rows.into_iter().map(|(k,)| k)));
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

    fn usage(&self) -> Result<KvUsage, KvBackendError> {
        if let Some(file) = &self.store.sqlite_file {
            let (keys, bytes) = direct::usage(file, &self.namespace)?;
            return Ok(self.store.kv_usage_of(keys, bytes));
        }
        if let Some(db) = &self.store.pg_reads {
            let ns = self.namespace.as_str();
            let row: Option<(i64, i64)> = pg_direct::with(db, async |c| {
                sqlx::query_as(USAGE).bind(ns).fetch_optional(c).await
            })
            .map_err(pg)?;
            let (keys, bytes) = row.unwrap_or((0, 0));
            return Ok(self.store.kv_usage_of(keys, bytes));
        }
        self.handle
            .block_on(self.store.kv_usage(&self.namespace))
            .map_err(backend)
    }
}

impl Store {
    /// How much plugin state `namespace` holds, as the plugin wrote it
    /// (sealing's overhead is not counted against the plugin).
    pub async fn kv_usage(&self, namespace: &str) -> Result<KvUsage, super::StoreError> {
        let row: Option<(i64, i64)> = on_pool!(self, pool => sqlx::query_as(USAGE).bind(namespace).fetch_optional(pool).await)?;
        let (keys, bytes) = row.unwrap_or((0, 0));
        Ok(self.kv_usage_of(keys, bytes))
    }

    /// The usage a plugin sees of a namespace holding `keys` keys and
    /// `bytes` bytes as stored: sealing's overhead is not counted.
    fn kv_usage_of(&self, keys: i64, bytes: i64) -> KvUsage {
        let overhead = match &self.kv_box {
            Some(_) => keys * SEALING_OVERHEAD as i64,
            None => 0,
        };
        KvUsage {
            keys: keys.max(0) as u64,
            bytes: (bytes - overhead).max(0) as u64,
        }
    }
}

/// What sealing adds to each value: the marker, the nonce and the tag.
const SEALING_OVERHEAD: usize = SEALED.len() + 12 + 16;

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

    /// `(keys, bytes)` of a namespace as stored (migration 0017's totals).
    pub(super) fn usage(file: &Path, namespace: &str) -> Result<(i64, i64), KvBackendError> {
        with(file, |c| {
            c.prepare_cached("SELECT keys, bytes FROM plugin_kv_usage WHERE namespace = ?1")?
                .query_row([namespace], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
                .map(|r| r.unwrap_or((0, 0)))
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
            Ok(super::with_prefix(prefix, keys))
        })
    }
}
