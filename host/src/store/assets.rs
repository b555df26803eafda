//! Files of product listings (`product_assets`), by product and content.

use super::{Pool, Store, StoreError};

impl Store {
    /// Keeps `body` as a file of `product_id`; the same bytes twice are kept
    /// once.
    pub async fn put_asset(
        &self,
        product_id: &str,
        sha256: &str,
        content_type: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let q = "INSERT INTO product_assets (product_id, sha256, content_type, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id, sha256) DO NOTHING";
        on_pool!(self, pool => sqlx::query(q).bind(product_id).bind(sha256).bind(content_type).bind(body).bind(now_ms)
            .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// The media type and bytes of a file of `product_id`.
    pub async fn asset(
        &self,
        product_id: &str,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let q =
            "SELECT content_type, body FROM product_assets WHERE product_id = $1 AND sha256 = $2";
        Ok(
            on_pool!(self, pool => sqlx::query_as(q).bind(product_id).bind(sha256).fetch_optional(pool).await)?,
        )
    }
}
