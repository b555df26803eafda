//! Connections to the SQLite file outside sqlx's pool, for the hot paths
//! where sqlx's per-statement hand-off to its connection thread costs more
//! than the work: plugins' key-value reads (`kv.rs`) and usage batches
//! (`usage/sqlite.rs`). Each keeps one connection per thread and file.

use rusqlite::Connection;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread::LocalKey;

/// A thread's connections, by file.
pub(super) type Connections = RefCell<HashMap<PathBuf, Connection>>;

/// Runs `f` on this thread's connection to `file` in `cache`, opening it
/// with `open` first if there is none.
pub(super) fn with<T>(
    cache: &'static LocalKey<Connections>,
    file: &Path,
    open: impl FnOnce(&Path) -> rusqlite::Result<Connection>,
    f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    cache.with(|cell| {
        let mut map = cell.borrow_mut();
        if !map.contains_key(file) {
            // Services come and go in tests; keep a thread from holding
            // connections to many old files.
            if map.len() >= 4 {
                map.clear();
            }
            let conn = open(file)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            map.insert(file.to_path_buf(), conn);
        }
        let conn = map
            .get_mut(file)
            .ok_or_else(|| rusqlite::Error::InvalidPath(file.to_path_buf()))?;
        f(conn)
    })
}
