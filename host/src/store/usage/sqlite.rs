//! SQLite's path for a batch of usage records: sqlx's SQLite driver binds a
//! 9,000-parameter statement through its connection thread; a cached
//! one-row statement on the calling thread, under the store's writer turn,
//! is several times faster (BENCHMARKS §8).

use super::super::direct::{Connections, with};
use crate::domain::usage::UsageRecord;
use rusqlite::{Connection, OpenFlags, params};
use std::path::Path;

thread_local! {
    static WRITERS: Connections = Connections::default();
}

/// Inserts `records` in one transaction; answers which were new.
pub(super) fn insert(
    file: &Path,
    seller_id: &str,
    records: &[UsageRecord],
    source: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<bool>> {
    let open = |file: &Path| {
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // As the pool's connections (`Store::connect`): pages through
        // memory mapping and a 64 MiB cache, not a read call per page.
        conn.pragma_update(None, "mmap_size", 268_435_456)?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        Ok(conn)
    };
    with(&WRITERS, file, open, |conn| {
        // Takes the write lock up front, as the pool's writers do (`write_tx.rs`).
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut new = Vec::with_capacity(records.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO usage_records (seller_id, metering_id, instance_id, billing_item, \
                 begin_ms, end_ms, value, source, received_at, package_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (seller_id, metering_id) DO NOTHING",
            )?;
            for r in records {
                let changed = stmt.execute(params![
                    seller_id,
                    r.metering_id,
                    r.instance_id,
                    r.billing_item,
                    r.begin_ms,
                    r.end_ms,
                    r.value.to_string(),
                    source,
                    now_ms,
                    r.package
                ])?;
                new.push(changed == 1);
            }
        }
        tx.commit()?;
        Ok(new)
    })
}
