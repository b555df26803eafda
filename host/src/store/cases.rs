//! Saved cases. A case is kept whole as its JSON document (what is exported
//! and replayed) next to the columns it is looked up by.

use super::pages::{Order, Page, PageRequest};
use super::{Pool, Store, StoreError};

/// One saved case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    /// Its id.
    pub id: String,
    /// The seller (or operator) who saved it.
    pub seller_id: String,
    /// sha256 of the plugin version it was recorded with.
    pub plugin: String,
    /// The seller's label.
    pub name: Option<String>,
    /// The world called.
    pub world: String,
    /// The function called.
    pub function: String,
    /// `create`, `renew`...
    pub scenario: String,
    /// Whether the recorded output is a success.
    pub succeeded: bool,
    /// The case document (JSON).
    pub document: String,
    /// Content hash, unique per seller.
    pub digest: String,
    /// The case this one was carried over from, for a new plugin version.
    pub origin: Option<String>,
    /// When it was saved (ms).
    pub created_at: i64,
}

const COLUMNS: &str = "id, seller_id, plugin, name, world, function, scenario, succeeded, document, digest, origin, created_at";

impl Store {
    /// Saves a case; a case with the same digest of the same seller is
    /// returned instead (false) of being saved twice.
    pub async fn insert_case(&self, c: &CaseRow) -> Result<(CaseRow, bool), StoreError> {
        let insert = format!(
            "INSERT INTO plugin_cases ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (seller_id, digest) DO NOTHING"
        );
        let existing =
            format!("SELECT {COLUMNS} FROM plugin_cases WHERE seller_id = $1 AND digest = $2");
        let _turn = self.write_turn().await;
        let inserted = on_pool!(self, pool => sqlx::query(&insert)
            .bind(&c.id).bind(&c.seller_id).bind(&c.plugin).bind(&c.name).bind(&c.world)
            .bind(&c.function).bind(&c.scenario).bind(c.succeeded).bind(&c.document)
            .bind(&c.digest).bind(&c.origin).bind(c.created_at)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok((c.clone(), true));
        }
        let found: CaseRow = on_pool!(self, pool => sqlx::query_as(&existing)
            .bind(&c.seller_id).bind(&c.digest).fetch_one(pool).await)?;
        Ok((found, false))
    }

    /// A case by id.
    pub async fn case(&self, id: &str) -> Result<Option<CaseRow>, StoreError> {
        let q = format!("SELECT {COLUMNS} FROM plugin_cases WHERE id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(id).fetch_optional(pool).await)?)
    }

    /// Cases of a seller (every seller's for `None`), of one plugin version
    /// if given, oldest first.
    pub async fn cases(
        &self,
        seller_id: Option<&str>,
        plugin: Option<&str>,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let q = format!(
            "SELECT {COLUMNS} FROM plugin_cases WHERE ($1 IS NULL OR seller_id = $1) \
             AND ($2 IS NULL OR plugin = $2) ORDER BY created_at, id LIMIT 5000"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(plugin).fetch_all(pool).await)?,
        )
    }

    /// A page of the cases of a seller (or everyone's), of the plugin
    /// versions `plugins` (any when `None`), oldest first.
    pub async fn cases_page(
        &self,
        seller_id: Option<&str>,
        plugins: Option<&[String]>,
        page: &PageRequest,
    ) -> Result<Page<CaseRow>, StoreError> {
        let plugins = plugins.unwrap_or_default();
        // `plugin IN ($4, $5, ...)`, after the cursor's binds so that the
        // placeholders appear in their numbers' order (as SQLite needs).
        let only = if plugins.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (0..plugins.len()).map(|i| format!("${}", i + 4)).collect();
            format!(" AND plugin IN ({})", marks.join(", "))
        };
        let q = format!(
            "SELECT {COLUMNS} FROM plugin_cases WHERE ($1 IS NULL OR seller_id = $1) \
             AND {}{only} {} LIMIT ${}",
            Order::OldestFirst.after("created_at", "id", 2),
            Order::OldestFirst.by("created_at", "id"),
            plugins.len() + 4,
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&q).bind(seller_id).bind(at).bind(id);
            for p in plugins {
                query = query.bind(p);
            }
            query.bind(page.fetch()).fetch_all(pool).await
        })?;
        Ok(page.page(rows, |c: &CaseRow| (c.created_at, &c.id)))
    }

    /// Deletes a case; false when it was not there.
    pub async fn delete_case(&self, id: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM plugin_cases WHERE id = $1")
            .bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }
}
