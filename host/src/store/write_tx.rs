//! How a writing transaction begins on each database.
//!
//! SQLite in WAL mode starts a plain `BEGIN` as a reader and upgrades it at
//! the first write. If another connection (another node on the same file, or
//! a direct rusqlite connection) committed in between, the upgrade fails at
//! once with `SQLITE_BUSY_SNAPSHOT` and no busy wait can save it. `BEGIN
//! IMMEDIATE` takes the write lock up front, so it waits its turn under the
//! busy timeout instead. PostgreSQL has row locks and needs nothing special.

use sqlx::{Postgres, Sqlite, Transaction};

/// Begins a transaction that is going to write.
pub(super) trait BeginWrite<DB: sqlx::Database> {
    /// Acquires a connection and begins a writing transaction on it.
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<Transaction<'static, DB>, sqlx::Error>> + Send;
}

impl BeginWrite<Sqlite> for sqlx::SqlitePool {
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite<Postgres> for sqlx::PgPool {
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Whether `e` is SQLite saying another connection holds the lock for
/// longer than the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED` and their
/// extended codes): a retry later may pass, the request was not at fault.
pub(crate) fn is_sqlite_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .filter(|d| d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some())
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}
