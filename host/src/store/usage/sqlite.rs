//! SQLite's path for a batch of usage records: sqlx's SQLite driver binds a
//! 9,000-parameter statement through its connection thread; a cached
//! one-row statement on the calling thread, under the store's writer turn,
//! is several times faster (BENCHMARKS §8).

use rusqlite::{Connection, OpenFlags, params};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

thread_local! {
    static WRITERS: RefCell<HashMap<PathBuf, Connection>> = RefCell::new(HashMap::new());
}

/// One record, owned so it can cross to a blocking thread.
pub(super) struct Row {
    pub metering_id: String,
    pub instance_id: String,
    pub billing_item: String,
    pub begin_ms: i64,
    pub end_ms: i64,
    pub value: String,
}

/// Inserts `rows` in one transaction; answers which were new.
pub(super) fn insert(
    file: &Path,
    seller_id: &str,
    rows: &[Row],
    source: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<bool>> {
    WRITERS.with(|cell| {
        let mut map = cell.borrow_mut();
        if !map.contains_key(file) {
            // Services come and go in tests; keep a thread from holding
            // connections to many old files.
            if map.len() >= 4 {
                map.clear();
            }
            let conn = Connection::open_with_flags(
                file,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // As the pool's connections (`Store::connect`): pages through
            // memory mapping and a 64 MiB cache, not a read call per page.
            conn.pragma_update(None, "mmap_size", 268_435_456)?;
            conn.pragma_update(None, "cache_size", -65_536)?;
            map.insert(file.to_path_buf(), conn);
        }
        let Some(conn) = map.get_mut(file) else {
            return Err(rusqlite::Error::InvalidPath(file.to_path_buf()));
        };
        let tx = conn.transaction()?;
        let mut new = Vec::with_capacity(rows.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO usage_records (seller_id, metering_id, instance_id, billing_item, \
                 begin_ms, end_ms, value, source, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (seller_id, metering_id) DO NOTHING",
            )?;
            for r in rows {
                let changed = stmt.execute(params![
                    seller_id,
                    r.metering_id,
                    r.instance_id,
                    r.billing_item,
                    r.begin_ms,
                    r.end_ms,
                    r.value,
                    source,
                    now_ms
                ])?;
                new.push(changed == 1);
            }
        }
        tx.commit()?;
        Ok(new)
    })
}
