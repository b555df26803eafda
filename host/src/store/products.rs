//! Products and their release applications. A product's definition is kept
//! as JSON documents: the seller's working `draft` and the `live` snapshot an
//! operator approved, which orders are taken against; every application
//! freezes the draft it was submitted with.

use super::pages::{Order, Page, PageRequest};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use crate::domain::catalog::ProductStatus;
use crate::domain::releases::ApplicationState;

/// A product row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    /// Its id.
    pub id: String,
    /// The owner.
    pub seller_id: String,
    /// Where it stands in the catalogue (stored as its spelling).
    #[sqlx(try_from = "String")]
    pub status: ProductStatus,
    /// The working definition (JSON).
    pub draft: String,
    /// The approved definition (JSON) orders use.
    pub live: Option<String>,
    /// How many versions were approved.
    pub live_version: i64,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// A release application row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    /// Its id.
    pub id: String,
    /// The product.
    pub product_id: String,
    /// The product's seller.
    pub seller_id: String,
    /// The version it would become.
    pub version: i64,
    /// The draft as submitted (JSON).
    pub snapshot: String,
    /// Where it stands (stored as its spelling).
    #[sqlx(try_from = "String")]
    pub state: ApplicationState,
    /// The operator's reason.
    pub reason: Option<String>,
    /// Submission time (ms).
    pub submitted_at: i64,
    /// Decision time (ms).
    pub decided_at: Option<i64>,
    /// The deciding operator.
    pub decided_by: Option<String>,
}

impl ProductRow {
    /// The approved definition, when there is one (a stored definition was
    /// checked when it was approved, so one that does not parse is treated
    /// as absent).
    pub fn live_draft(&self) -> Option<crate::domain::catalog::ProductDraft> {
        self.live
            .as_deref()
            .and_then(|live| serde_json::from_str(live).ok())
    }
}

const PRODUCT: &str = "id, seller_id, status, draft, live, live_version, created_at, updated_at";
const APPLICATION: &str = "id, product_id, seller_id, version, snapshot, state, reason, submitted_at, decided_at, decided_by";

impl Store {
    /// Inserts a new product.
    pub async fn insert_product(&self, p: &ProductRow) -> Result<(), StoreError> {
        let q = format!("INSERT INTO products ({PRODUCT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        on_pool!(self, pool => sqlx::query(&q)
            .bind(&p.id).bind(&p.seller_id).bind(p.status.as_str()).bind(&p.draft).bind(&p.live)
            .bind(p.live_version).bind(p.created_at).bind(p.updated_at)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A product by id, as read at most
    /// [`PRODUCT_CACHE_TTL`](super::product_cache::PRODUCT_CACHE_TTL) ago
    /// (what this node wrote is read at once): for showing and selling it,
    /// not for changing it ([`Store::product`]).
    pub async fn product_cached(&self, id: &str) -> Result<Option<ProductRow>, StoreError> {
        match self.products.get(id) {
            Some(p) => Ok(Some(p)),
            None => self.product(id).await,
        }
    }

    /// A product by id, as it is in the database now.
    pub async fn product(&self, id: &str) -> Result<Option<ProductRow>, StoreError> {
        let seen = self.products.generation();
        let q = format!("SELECT {PRODUCT} FROM products WHERE id = $1");
        let row: Option<ProductRow> =
            on_pool!(self, pool => sqlx::query_as(&q).bind(id).fetch_optional(pool).await)?;
        if let Some(p) = &row {
            self.products.put(p, seen);
        }
        Ok(row)
    }

    /// A page of the products of one seller (`Some`), or in one status
    /// (`status`), newest first.
    pub async fn products(
        &self,
        seller_id: Option<&str>,
        status: Option<ProductStatus>,
        page: &PageRequest,
    ) -> Result<Page<ProductRow>, StoreError> {
        let status = status.map(ProductStatus::as_str);
        let q = format!(
            "SELECT {PRODUCT} FROM products WHERE ($1 IS NULL OR seller_id = $1) \
             AND ($2 IS NULL OR status = $2) AND {} {} LIMIT $5",
            Order::NewestFirst.after("created_at", "id", 3),
            Order::NewestFirst.by("created_at", "id"),
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(status)
            .bind(at).bind(id).bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |p: &ProductRow| (p.created_at, &p.id)))
    }

    /// Replaces a product's draft.
    pub async fn update_draft(&self, id: &str, draft: &str, now_ms: i64) -> Result<(), StoreError> {
        let q = "UPDATE products SET draft = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, pool => sqlx::query(q).bind(id).bind(draft).bind(now_ms).execute(pool).await.map(|r| r.rows_affected()))?;
        self.products.written();
        Ok(())
    }

    /// Moves a product from one of `from` to `to`; false when it was in none
    /// of them (someone else moved it first).
    pub async fn set_product_status(
        &self,
        id: &str,
        from: &[ProductStatus],
        to: ProductStatus,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let q = "UPDATE products SET status = $2, updated_at = $3 WHERE id = $1 AND status IN ($4, $5, $6)";
        let pad = |i: usize| from.get(i).map_or("", |s| s.as_str());
        let done = on_pool!(self, pool => sqlx::query(q).bind(id).bind(to.as_str()).bind(now_ms)
            .bind(pad(0)).bind(pad(1)).bind(pad(2)).execute(pool).await.map(|r| r.rows_affected()))?;
        self.products.written();
        Ok(done == 1)
    }

    /// Files an application; a product has at most one pending.
    pub async fn insert_application(&self, a: &ApplicationRow) -> Result<(), StoreError> {
        let q = format!(
            "INSERT INTO release_applications ({APPLICATION}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        let result = on_pool!(self, pool => sqlx::query(&q)
            .bind(&a.id).bind(&a.product_id).bind(&a.seller_id).bind(a.version).bind(&a.snapshot)
            .bind(a.state.as_str()).bind(&a.reason).bind(a.submitted_at).bind(a.decided_at).bind(&a.decided_by)
            .execute(pool).await.map(|r| r.rows_affected()));
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
                "this product already has a pending release application".into(),
            )),
            other => other.map(drop).map_err(Into::into),
        }
    }

    /// An application by id.
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        let q = format!("SELECT {APPLICATION} FROM release_applications WHERE id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(id).fetch_optional(pool).await)?)
    }

    /// A page of the applications of a seller and/or in a state, newest
    /// submitted first.
    pub async fn applications(
        &self,
        seller_id: Option<&str>,
        state: Option<ApplicationState>,
        page: &PageRequest,
    ) -> Result<Page<ApplicationRow>, StoreError> {
        let state = state.map(ApplicationState::as_str);
        let q = format!(
            "SELECT {APPLICATION} FROM release_applications WHERE ($1 IS NULL OR seller_id = $1) \
             AND ($2 IS NULL OR state = $2) AND {} {} LIMIT $5",
            Order::NewestFirst.after("submitted_at", "id", 3),
            Order::NewestFirst.by("submitted_at", "id"),
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(seller_id).bind(state)
            .bind(at).bind(id).bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |a: &ApplicationRow| (a.submitted_at, &a.id)))
    }

    /// Decides a pending application; approval makes its snapshot the live
    /// definition and lists the product, in the same transaction. False when
    /// the application was no longer pending.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "decide_application")
    )]
    pub async fn decide_application(
        &self,
        id: &str,
        approve: bool,
        reason: Option<&str>,
        operator_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let decide = "UPDATE release_applications SET state = $2, reason = $3, decided_at = $4, decided_by = $5 \
                      WHERE id = $1 AND state = 'pending'";
        let publish = "UPDATE products SET live = a.snapshot, live_version = a.version, \
                       status = CASE WHEN products.status = 'unlisted' THEN 'listed' ELSE products.status END, \
                       updated_at = $2 FROM release_applications a WHERE a.id = $1 AND products.id = a.product_id";
        let state = if approve { "approved" } else { "rejected" };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(decide).bind(id).bind(state).bind(reason).bind(now_ms).bind(operator_id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            if approve {
                sqlx::query(publish).bind(id).bind(now_ms).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        if approve {
            self.products.written();
        }
        Ok(true)
    }

    /// Withdraws a pending application (the seller changed their mind).
    pub async fn withdraw_application(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let q = "UPDATE release_applications SET state = 'withdrawn', decided_at = $2 WHERE id = $1 AND state = 'pending'";
        let done = on_pool!(self, pool => sqlx::query(q).bind(id).bind(now_ms).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }
}
