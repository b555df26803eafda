//! Reads of orders and instances, and the sweeps that find
//! instances whose time ran out.

use super::balances::dec;
use super::orders::{INSTANCE, InstanceRow, ORDER, OrderRow};
use super::pages::{Order, Page, PageRequest};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use crate::domain::instance::OrderState;

/// Whose rows to read: one customer's, one seller's, or (operators) all.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// A customer's.
    Customer(&'a str),
    /// A seller's.
    Seller(&'a str),
    /// Everyone's.
    All,
}

impl Owner<'_> {
    fn binds(&self) -> (Option<&str>, Option<&str>) {
        match *self {
            Owner::Customer(c) => (Some(c), None),
            Owner::Seller(s) => (None, Some(s)),
            Owner::All => (None, None),
        }
    }
}

impl Store {
    /// An instance by id.
    pub async fn instance(&self, id: &str) -> Result<Option<InstanceRow>, StoreError> {
        let q = format!("SELECT {INSTANCE} FROM instances WHERE id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(id).fetch_optional(pool).await)?)
    }

    /// The instances with these ids, in no particular order (one query for a
    /// worker's whole batch).
    pub async fn instances_by_id(&self, ids: &[&str]) -> Result<Vec<InstanceRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {INSTANCE} FROM instances WHERE id IN ("));
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await
        })?)
    }

    /// A page of an owner's instances, newest first.
    pub async fn instances(
        &self,
        owner: Owner<'_>,
        page: &PageRequest,
    ) -> Result<Page<InstanceRow>, StoreError> {
        let q = format!(
            "SELECT {INSTANCE} FROM instances WHERE ($1 IS NULL OR customer_id = $1) \
             AND ($2 IS NULL OR seller_id = $2) AND {} {} LIMIT $5",
            Order::NewestFirst.after("created_at", "id", 3),
            Order::NewestFirst.by("created_at", "id"),
        );
        let (c, s) = owner.binds();
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(c).bind(s).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |i: &InstanceRow| (i.created_at, &i.id)))
    }

    /// An order by id.
    pub async fn order(&self, id: &str) -> Result<Option<OrderRow>, StoreError> {
        let q = format!("SELECT {ORDER} FROM orders WHERE id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&q).bind(id).fetch_optional(pool).await)?)
    }

    /// What an instance's orders paid and was not yet refunded.
    pub async fn refundable(&self, instance_id: &str) -> Result<rust_decimal::Decimal, StoreError> {
        let q = "SELECT amount, refunded FROM orders WHERE instance_id = $1 \
                 AND payment IN ('paid', 'partially-refunded')";
        let rows: Vec<(String, String)> =
            on_pool!(self, pool => sqlx::query_as(q).bind(instance_id).fetch_all(pool).await)?;
        Ok(rows.iter().map(|(a, r)| dec(a) - dec(r)).sum())
    }

    /// The order a customer placed with an idempotency key.
    pub async fn order_by_key(
        &self,
        customer_id: &str,
        key: &str,
    ) -> Result<Option<OrderRow>, StoreError> {
        let q =
            format!("SELECT {ORDER} FROM orders WHERE customer_id = $1 AND idempotency_key = $2");
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(customer_id).bind(key).fetch_optional(pool).await)?,
        )
    }

    /// A page of an owner's orders (optionally of one instance), newest first.
    pub async fn orders(
        &self,
        owner: Owner<'_>,
        instance_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<OrderRow>, StoreError> {
        let q = format!(
            "SELECT {ORDER} FROM orders WHERE ($1 IS NULL OR customer_id = $1) \
             AND ($2 IS NULL OR seller_id = $2) AND ($3 IS NULL OR instance_id = $3) \
             AND {} {} LIMIT $6",
            Order::NewestFirst.after("created_at", "id", 4),
            Order::NewestFirst.by("created_at", "id"),
        );
        let (c, s) = owner.binds();
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(c).bind(s).bind(instance_id)
            .bind(at).bind(id).bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |o: &OrderRow| (o.created_at, &o.id)))
    }

    /// Replaces an order's service flow (JSON) if it still is `expected`
    /// (optimistic concurrency: two parties acting at once cannot both win).
    pub async fn set_service_flow(
        &self,
        order_id: &str,
        expected: &str,
        flow: &str,
        completes_at: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let q = "UPDATE orders SET service_flow = $3, updated_at = $4, completes_at = COALESCE($5, completes_at) \
                 WHERE id = $1 AND service_flow = $2";
        let done = on_pool!(self, pool => sqlx::query(q).bind(order_id).bind(expected).bind(flow).bind(now_ms).bind(completes_at).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Completes the processing orders whose completion time has come;
    /// answers how many.
    pub async fn complete_due_orders(&self, now_ms: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await;
        let q = "UPDATE orders SET state = 'completed', updated_at = $1 \
                 WHERE state = 'processing' AND completes_at IS NOT NULL AND completes_at <= $1";
        Ok(
            on_pool!(self, pool => sqlx::query(q).bind(now_ms).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }

    /// Ends a processing order (service supervision finished or closed);
    /// false when it had already ended.
    pub async fn end_order(
        &self,
        id: &str,
        state: OrderState,
        failure: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let lock = self.row_lock();
        let _turn = self.write_turn().await;
        let q = "UPDATE orders SET state = $2, failure = $3, updated_at = $4 WHERE id = $1 AND state = 'processing'";
        let done = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(q).bind(id).bind(state.as_str()).bind(failure).bind(now_ms)
                .execute(&mut *tx).await?.rows_affected();
            if done == 1 && state == OrderState::Failed {
                refund_failed_orders!(tx, lock, &[(id, now_ms)]);
            }
            tx.commit().await?;
            done
        });
        Ok(done == 1)
    }

    /// Active instances whose period ended by `now_ms`.
    pub async fn expired_active(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<InstanceRow>, StoreError> {
        let q = format!(
            "SELECT {INSTANCE} FROM instances WHERE state = 'active' AND expires_at IS NOT NULL \
             AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(now_ms).bind(limit).fetch_all(pool).await)?,
        )
    }

    /// Instances frozen for expiry whose retention ended: period end at or
    /// before `cutoff_ms`.
    pub async fn retention_over(
        &self,
        cutoff_ms: i64,
        limit: i64,
    ) -> Result<Vec<InstanceRow>, StoreError> {
        let q = format!(
            "SELECT {INSTANCE} FROM instances WHERE state = 'frozen' AND freeze_reason = 'expired' \
             AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(cutoff_ms).bind(limit).fetch_all(pool).await)?,
        )
    }

    /// Jobs still queued (for status pages and tests).
    pub async fn queued_jobs(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as("SELECT COUNT(*) FROM lifecycle_jobs").fetch_one(pool).await)?;
        Ok(n)
    }

    /// How many jobs wait, and how many of them are due at `now_ms` and not
    /// claimed by a worker (the backlog).
    pub async fn job_backlog(&self, now_ms: i64) -> Result<(i64, i64), StoreError> {
        let q = "SELECT COUNT(*), COUNT(CASE WHEN next_at <= $1 AND locked_until <= $1 THEN 1 END) \
                 FROM lifecycle_jobs";
        Ok(on_pool!(self, pool => sqlx::query_as(q).bind(now_ms).fetch_one(pool).await)?)
    }
}

impl Store {
    /// Moves an instance's expiry (a supervised subscription starts when the
    /// customer accepts the delivery).
    pub async fn restart_period(
        &self,
        id: &str,
        expires_at: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let q = "UPDATE instances SET expires_at = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, pool => sqlx::query(q).bind(id).bind(expires_at).bind(now_ms).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
