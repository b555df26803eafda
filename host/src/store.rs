//! Persistence: SQLite (a file, the embedded default) or PostgreSQL (for
//! scale-out), chosen by the database URL. Both run the same queries; each has
//! its own migrations folder because their DDL differs (BLOB vs BYTEA, key
//! collation).

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A uniqueness or state rule of the data refused the write.
    #[error("{0}")]
    Conflict(String),
    /// The customer's balance does not cover a payment: nothing was written.
    #[error("the balance {balance} does not cover {amount}")]
    PaymentRequired {
        /// What was to be paid.
        amount: rust_decimal::Decimal,
        /// The balance.
        balance: rust_decimal::Decimal,
    },
    /// A platform rule plugin the write depends on failed (nothing was
    /// written; the write is retried later).
    #[error("{0}")]
    Rule(String),
    /// Another writer held the SQLite file past the busy timeout (a
    /// direct access; the pool's come as [`StoreError::Db`]). Nothing was
    /// written.
    #[error("the database stayed locked by another writer")]
    Busy,
    /// A direct SQLite access (rusqlite, outside the pool) failed.
    #[error("sqlite error: {0}")]
    Direct(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database file could not be created or made private.
    #[error("database file: {0}")]
    File(#[from] std::io::Error),
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same statement on whichever database the store uses. Queries are
/// written with `$1`-style placeholders, which both SQLite and PostgreSQL
/// accept.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Binds every column of an instance row, in `orders::INSTANCE` order, to
/// one row of a `QueryBuilder::push_values` (a macro because the two
/// databases' builders are different types).
macro_rules! bind_instance {
    ($b:expr, $i:expr) => {{
        let i = $i;
        $b.push_bind(&i.id)
            .push_bind(&i.seller_id)
            .push_bind(&i.customer_id)
            .push_bind(&i.product_id)
            .push_bind(i.product_version)
            .push_bind(&i.spec_id)
            .push_bind(&i.sku_id)
            .push_bind(i.billing_mode.as_str())
            .push_bind(i.quantity)
            .push_bind(i.trial)
            .push_bind(i.state.as_str())
            .push_bind(&i.freeze_reason)
            .push_bind(i.expires_at)
            .push_bind(&i.seller_instance_id)
            .push_bind(&i.app_info)
            .push_bind(&i.failure)
            .push_bind(i.created_at)
            .push_bind(i.updated_at);
    }};
}

/// Binds every column of an order row, in `orders::ORDER` order.
macro_rules! bind_order {
    ($b:expr, $o:expr) => {{
        let o = $o;
        $b.push_bind(&o.id)
            .push_bind(&o.customer_id)
            .push_bind(&o.seller_id)
            .push_bind(&o.instance_id)
            .push_bind(o.kind.as_str())
            .push_bind(o.state.as_str())
            .push_bind(&o.amount)
            .push_bind(&o.detail)
            .push_bind(&o.idempotency_key)
            .push_bind(&o.failure)
            .push_bind(&o.service_flow)
            .push_bind(&o.purchase_key)
            .push_bind(&o.trial_key)
            .push_bind(&o.payment)
            .push_bind(&o.refunded)
            .push_bind(o.effective_at)
            .push_bind(o.created_at)
            .push_bind(o.updated_at);
    }};
}

/// Queues jobs, given as `(&NewJob, queued-at ms)` pairs, with one multi-row
/// insert inside the transaction `tx`; nothing for none.
macro_rules! insert_jobs {
    ($tx:expr, $jobs:expr) => {{
        let jobs: Vec<(&NewJob, i64)> = $jobs;
        if !jobs.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO lifecycle_jobs (instance_id, order_id, action, logical_now, seed, next_at, created_at) ",
            );
            q.push_values(jobs, |mut b, (j, now)| {
                b.push_bind(&j.instance_id)
                    .push_bind(&j.order_id)
                    .push_bind(&j.action)
                    .push_bind(now)
                    .push_bind(j.seed as i64)
                    .push_bind(now)
                    .push_bind(now);
            });
            q.build().execute(&mut *$tx).await?;
        }
    }};
}

// First, for its `insert_events!` macro.
#[macro_use]
mod feed;

mod accounts;
mod assets;
mod audit;
#[macro_use]
mod balances;
mod billing;
mod bills;
mod cases;
mod completion;
mod direct;
mod instances;
mod kv;
mod order_batch;
mod orders;
mod packages;
mod pages;
mod pg_direct;
mod plugins;
mod product_cache;
mod products;
mod reconciliation;
mod reviews;
mod rules;
mod service_state;
mod transactions;
mod usage;
mod write_tx;

use write_tx::BeginWrite;
pub(crate) use write_tx::is_sqlite_busy;

pub use accounts::{Account, Credential, Role, TokenRow};
pub use audit::{AuditFilter, AuditRow};
pub use balances::{LedgerCheck, LedgerRow};
pub use billing::{ArrearsRow, ChargeRow, Charged, PriceFuture, TopUp};
pub use bills::{BillLineRow, BillRow, TaxFuture, TaxLine, TaxRequest, Taxer};
pub use cases::CaseRow;
pub use feed::EventHold;
pub use instances::Owner;
pub use kv::StoreKv;
pub use orders::{
    Completion, EventRow, InstanceGuard, InstanceRow, JobRow, NewEvent, NewJob, OrderRow, Placed,
};
pub use packages::PackageRow;
pub use pages::{Cursor, Page, PageRequest};
pub use plugins::SellerPlugin;
pub use products::{ApplicationRow, ProductRow};
pub use reviews::ReviewRow;
pub use rules::RuleActivation;
pub use transactions::{TransactionFilter, TransactionRow};
pub use usage::{MeteredProduct, MeteringStatus, UsageRow};

/// A stored plugin version.
#[derive(Debug, Clone)]
pub struct StoredPlugin {
    /// Hex sha256 of the component.
    pub sha256: String,
    /// The component's bytes.
    pub component: Vec<u8>,
}

/// The connection pool's use, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    /// Connections open, idle or in use.
    pub size: u32,
    /// Connections open and idle.
    pub idle: usize,
    /// The most the pool opens.
    pub max: u32,
}

/// The database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// SQLite has one writer at a time and makes the others sleep and poll
    /// for the lock; queueing writers here instead keeps busy waits (and
    /// their up-to-100 ms sleeps) out of the hot path.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// New subscriptions arriving together are written in one transaction
    /// (group commit); `None` only inside the batcher itself.
    subscriptions: Option<order_batch::SubscriptionBatcher>,
    /// The SQLite file, which plugin calls read their key-value state from
    /// directly (see `kv.rs`).
    sqlite_file: Option<std::sync::Arc<std::path::PathBuf>>,
    /// The PostgreSQL database, which plugin calls read their key-value
    /// state from on connections of their own threads (see `pg_direct.rs`).
    pg_reads: Option<std::sync::Arc<pg_direct::Target>>,
    /// Products as recently read (see `product_cache.rs`).
    products: std::sync::Arc<product_cache::ProductCache>,
    /// Seals plugin key-value values at rest (see `kv.rs`); `None` keeps
    /// them as the plugin wrote them (store-level tests).
    kv_box: Option<crate::secrets::SecretBox>,
}

impl Store {
    /// Connects to `url` (creating a SQLite file if needed) and migrates.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut pg_reads = None;
        let pool = if url.starts_with("sqlite:") {
            if let Some(path) = sqlite_path(url) {
                private_sqlite_files(&path)?;
            }
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                // A 64 MiB page cache per connection. Not memory-mapped: in
                // WAL mode a read transaction after any commit drops the
                // connection's whole mapping (`munmap`, the other core's TLB
                // flushed) and faults the pages in again; under orders that
                // cost more than the read calls it saved (BENCHMARKS §19).
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Pool::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            pg_reads = Some(std::sync::Arc::new(pg_direct::Target {
                url: url.to_string(),
                options: options.clone(),
            }));
            let pool = PgPoolOptions::new()
                .max_connections(16)
                // A ping before each use doubled every statement's round
                // trips (a plugin call's key-value reads most of all): only a
                // connection idle for a while is pinged, which is the one a
                // restarted server or a dropped link may have left dead.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= Duration::from_secs(1) {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Pool::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let sqlite_file = sqlite_path(url).map(std::sync::Arc::new);
        let mut store = Self {
            pool,
            writer: Default::default(),
            subscriptions: None,
            sqlite_file,
            pg_reads,
            products: Default::default(),
            kv_box: None,
        };
        store.subscriptions = Some(order_batch::SubscriptionBatcher::spawn(store.clone()));
        Ok(store)
    }

    /// Waits for the right to write when the database is SQLite; PostgreSQL
    /// has row locks and needs no queue.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.writer.lock().await),
            Pool::Postgres(_) => None,
        }
    }

    /// How the connection pool stands now.
    pub fn pool_stats(&self) -> PoolStats {
        on_pool!(self, pool => PoolStats {
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Stores a plugin version; storing the same bytes again is a no-op.
    pub async fn put_plugin(
        &self,
        sha256: &str,
        worlds: &str,
        component: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO plugin_versions (sha256, size, worlds, component, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING";
        on_pool!(self, pool => sqlx::query(q)
            .bind(sha256)
            .bind(component.len() as i64)
            .bind(worlds)
            .bind(component)
            .bind(now_ms)
            .execute(pool)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Every stored plugin version, oldest first.
    pub async fn plugins(&self) -> Result<Vec<StoredPlugin>, StoreError> {
        let q = "SELECT sha256, component FROM plugin_versions ORDER BY created_at, sha256";
        let rows: Vec<(String, Vec<u8>)> =
            on_pool!(self, pool => sqlx::query_as(q).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(sha256, component)| StoredPlugin { sha256, component })
            .collect())
    }

    /// The committed value of `key` in `namespace`.
    pub async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> = on_pool!(self, pool => sqlx::query_as(kv::GET).bind(namespace).bind(key).fetch_optional(pool).await)?;
        row.map(|(v,)| self.open_kv(namespace, key, v)).transpose()
    }

    /// Committed keys of `namespace` starting with `prefix`, in byte order.
    pub async fn kv_list(
        &self,
        namespace: &str,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(kv::LIST)
            .bind(namespace)
            .bind(prefix)
            .bind(limit as i64)
            .fetch_all(pool)
            .await)?;
        Ok(kv::with_prefix(prefix, rows.into_iter().map(|(k,)| k)))
    }

    /// Applies a call's key-value writes in one transaction (`None` deletes).
    pub async fn kv_commit(
        &self,
        namespace: &str,
        writes: &[(String, Option<Vec<u8>>)],
    ) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        let upsert = "INSERT INTO plugin_kv (namespace, key, value) VALUES ($1, $2, $3) \
                      ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value";
        let delete = "DELETE FROM plugin_kv WHERE namespace = $1 AND key = $2";
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (key, value) in writes {
                match value {
                    Some(v) => sqlx::query(upsert).bind(namespace).bind(key).bind(self.seal_kv(namespace, key, v)).execute(&mut *tx).await?,
                    None => sqlx::query(delete).bind(namespace).bind(key).execute(&mut *tx).await?,
                };
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// The file a `sqlite:` URL names, unless it is in memory.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.contains(":memory:"))
        .map(std::path::PathBuf::from)
}

/// Makes the database file owner-only before SQLite opens it (creating it
/// empty if needed): SQLite gives its `-wal` and `-shm` files the database
/// file's permissions, so they follow. Files an older version left readable
/// to others are tightened too.
fn private_sqlite_files(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
