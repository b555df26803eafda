//! The service's own state (`service_state`): values every node reads at
//! start and that must survive a restart.

use super::{Pool, Store, StoreError};

impl Store {
    /// The integer `name`, if ever stored.
    pub async fn service_int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let q = "SELECT int_value FROM service_state WHERE name = $1";
        let row: Option<(Option<i64>,)> =
            on_pool!(self, pool => sqlx::query_as(q).bind(name).fetch_optional(pool).await)?;
        Ok(row.and_then(|(v,)| v))
    }

    /// Raises the integer `name` to `value`; a smaller value (a concurrent
    /// writer got further) leaves it as it is.
    pub async fn raise_service_int(&self, name: &str, value: i64) -> Result<(), StoreError> {
        let q = "INSERT INTO service_state (name, int_value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET int_value = excluded.int_value \
                 WHERE service_state.int_value IS NULL OR service_state.int_value < excluded.int_value";
        on_pool!(self, pool => sqlx::query(q).bind(name).bind(value).execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Stores the text `name` as `value` unless it is already stored, and
    /// returns what is stored: the first writer's value wins for every node.
    pub async fn claim_service_text(&self, name: &str, value: &str) -> Result<String, StoreError> {
        let insert = "INSERT INTO service_state (name, text_value) VALUES ($1, $2) \
                      ON CONFLICT (name) DO NOTHING";
        let select = "SELECT text_value FROM service_state WHERE name = $1";
        let stored: (Option<String>,) = on_pool!(self, pool => {
            sqlx::query(insert).bind(name).bind(value).execute(pool).await.map(drop)?;
            sqlx::query_as(select).bind(name).fetch_one(pool).await
        })?;
        Ok(stored.0.unwrap_or_default())
    }
}
