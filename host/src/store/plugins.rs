//! Plugin versions as seller resources: each upload is a numbered version of
//! a named plugin of one seller; the bytes themselves live once, by sha256.

use super::pages::{Order, Page, PageRequest};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use serde::Serialize;

/// One version of one seller's plugin.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "kebab-case")]
pub struct SellerPlugin {
    /// The owner.
    pub seller_id: String,
    /// The plugin's name, chosen by the seller.
    pub name: String,
    /// 1, 2, ... per name.
    pub version: i64,
    /// The component's sha256.
    pub sha256: String,
    /// Upload time (ms).
    pub created_at: i64,
}

const COLUMNS: &str = "seller_id, name, version, sha256, created_at";

impl Store {
    /// Records that `seller` uploaded `sha256` as the next version of
    /// `name`. Uploading bytes the seller already has returns the existing
    /// version instead of a new one.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "add_seller_plugin")
    )]
    pub async fn add_seller_plugin(
        &self,
        seller_id: &str,
        name: &str,
        sha256: &str,
        now_ms: i64,
    ) -> Result<(SellerPlugin, bool), StoreError> {
        let existing =
            format!("SELECT {COLUMNS} FROM seller_plugins WHERE seller_id = $1 AND sha256 = $2");
        let next = "SELECT COALESCE(MAX(version), 0) + 1 FROM seller_plugins WHERE seller_id = $1 AND name = $2";
        let insert = "INSERT INTO seller_plugins (seller_id, name, version, sha256, created_at) VALUES ($1, $2, $3, $4, $5)";
        // SQLite: the transaction holds the write lock from its start
        // (`write_tx.rs`) and queues with this process's other writers.
        // PostgreSQL: two uploads racing for the same version number, the
        // loser retries.
        let _turn = self.write_turn().await;
        for _ in 0..3 {
            let result: Result<(SellerPlugin, bool), sqlx::Error> = on_pool!(self, pool => async {
                let mut tx = pool.begin_write().await?;
                let found: Option<SellerPlugin> = sqlx::query_as(&existing).bind(seller_id).bind(sha256).fetch_optional(&mut *tx).await?;
                if let Some(found) = found {
                    return Ok((found, false));
                }
                let (version,): (i64,) = sqlx::query_as(next).bind(seller_id).bind(name).fetch_one(&mut *tx).await?;
                sqlx::query(insert).bind(seller_id).bind(name).bind(version).bind(sha256).bind(now_ms).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok((SellerPlugin { seller_id: seller_id.into(), name: name.into(), version, sha256: sha256.into(), created_at: now_ms }, true))
            }.await);
            match result {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                other => return Ok(other?),
            }
        }
        Err(StoreError::Conflict(
            "concurrent uploads of the same plugin name; retry".into(),
        ))
    }

    /// A seller's plugin versions (every seller's for `None`), newest first.
    pub async fn seller_plugins(
        &self,
        seller_id: Option<&str>,
    ) -> Result<Vec<SellerPlugin>, StoreError> {
        let q = format!(
            "SELECT {COLUMNS} FROM seller_plugins WHERE ($1 IS NULL OR seller_id = $1) \
             ORDER BY name, version DESC"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).fetch_all(pool).await)?)
    }

    /// A page of a seller's plugin versions, newest uploaded first.
    pub async fn seller_plugins_page(
        &self,
        seller_id: &str,
        page: &PageRequest,
    ) -> Result<Page<SellerPlugin>, StoreError> {
        let q = format!(
            "SELECT {COLUMNS} FROM seller_plugins WHERE seller_id = $1 AND {} {} LIMIT $4",
            Order::NewestFirst.after("created_at", "sha256", 2),
            Order::NewestFirst.by("created_at", "sha256"),
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |p: &SellerPlugin| (p.created_at, &p.sha256)))
    }

    /// The seller's record of `sha256`, if the seller uploaded it.
    pub async fn seller_plugin(
        &self,
        seller_id: &str,
        sha256: &str,
    ) -> Result<Option<SellerPlugin>, StoreError> {
        let q =
            format!("SELECT {COLUMNS} FROM seller_plugins WHERE seller_id = $1 AND sha256 = $2");
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(sha256).fetch_optional(pool).await)?,
        )
    }
}
