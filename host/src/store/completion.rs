//! Committing a batch of finished lifecycle jobs. Every statement here covers
//! the whole batch (multi-row inserts and upserts, one `UPDATE ... FROM
//! (VALUES ...)`), because with SQLite each statement is a round trip to the
//! connection's thread; a batch of 64 jobs costs a handful of statements, not
//! hundreds.

use super::orders::{Completion, INSTANCE, InstanceRow};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use std::collections::{BTreeMap, HashMap};

impl Store {
    /// Commits what finished jobs did, all in one transaction; a job whose
    /// lease was lost to another worker is skipped (`false`), the others
    /// commit. If the batch fails as a whole, each job is tried alone so one
    /// bad job cannot hold back the rest.
    pub async fn complete_jobs(&self, batch: &[Completion]) -> Result<Vec<bool>, StoreError> {
        match self.complete_tx(batch).await {
            Ok(done) => Ok(done),
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, jobs = batch.len(), "batch commit failed; committing one by one");
                let mut done = Vec::with_capacity(batch.len());
                for c in batch {
                    done.push(self.complete_tx(std::slice::from_ref(c)).await?[0]);
                }
                Ok(done)
            }
            Err(e) => Err(e),
        }
    }

    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "complete_tx")
    )]
    async fn complete_tx(&self, batch: &[Completion]) -> Result<Vec<bool>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let lock = self.row_lock();
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Write first (a SQLite transaction that reads, then writes, can
            // fail to upgrade its lock): the jobs still leased to us.
            let mut ours: Vec<i64> = Vec::with_capacity(batch.len());
            let mut by_lease: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
            for c in batch {
                by_lease.entry(c.lease.as_str()).or_default().push(c.job_id);
            }
            for (lease, ids) in &by_lease {
                let mut q = sqlx::QueryBuilder::new("DELETE FROM lifecycle_jobs WHERE lease = ");
                q.push_bind(*lease).push(" AND id IN (");
                let mut sep = q.separated(", ");
                for id in ids {
                    sep.push_bind(*id);
                }
                q.push(") RETURNING id");
                let deleted: Vec<(i64,)> = q.build_query_as().fetch_all(&mut *tx).await?;
                ours.extend(deleted.into_iter().map(|(id,)| id));
            }
            let done: Vec<bool> = batch.iter().map(|c| ours.contains(&c.job_id)).collect();
            let live: Vec<&Completion> = batch.iter().zip(&done).filter(|(_, d)| **d).map(|(c, _)| c).collect();
            if live.is_empty() {
                tx.commit().await?;
                return Ok(done);
            }

            for c in live.iter().filter(|c| c.drop_later_jobs) {
                sqlx::query("DELETE FROM lifecycle_jobs WHERE instance_id = $1").bind(&c.instance_id).execute(&mut *tx).await?;
            }

            // Key-value writes, last write per key winning, in batch order.
            let mut kv: BTreeMap<(&str, &str), Option<&Vec<u8>>> = BTreeMap::new();
            for c in &live {
                for (key, value) in &c.kv_writes {
                    kv.insert((c.kv_namespace.as_str(), key.as_str()), value.as_ref());
                }
            }
            let upserts: Vec<_> = kv
                .iter()
                .filter_map(|((ns, key), v)| v.map(|v| (*ns, *key, self.seal_kv(ns, key, v))))
                .collect();
            if !upserts.is_empty() {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO plugin_kv (namespace, key, value) ");
                q.push_values(upserts, |mut b, (ns, key, value)| {
                    b.push_bind(ns).push_bind(key).push_bind(value);
                });
                q.push(" ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value");
                q.build().execute(&mut *tx).await?;
            }
            for ((ns, key), _) in kv.iter().filter(|(_, v)| v.is_none()) {
                sqlx::query("DELETE FROM plugin_kv WHERE namespace = $1 AND key = $2").bind(*ns).bind(*key).execute(&mut *tx).await?;
            }

            // The instances as they are now, changed by each job's patch,
            // written back with one upsert. Locked on PostgreSQL: a decision
            // committing between this read and the upsert (a package bought
            // unfreezes the instance) would otherwise be overwritten with
            // the state read here.
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {INSTANCE} FROM instances WHERE id IN ("));
            let mut sep = q.separated(", ");
            for c in &live {
                sep.push_bind(c.instance_id.as_str());
            }
            q.push(")").push(lock);
            let rows: Vec<InstanceRow> = q.build_query_as().fetch_all(&mut *tx).await?;
            let mut instances: HashMap<String, InstanceRow> = rows.into_iter().map(|i| (i.id.clone(), i)).collect();
            let mut changed: Vec<InstanceRow> = Vec::with_capacity(live.len());
            let mut events: Vec<&Completion> = Vec::with_capacity(live.len());
            for c in &live {
                if let Some(mut i) = instances.remove(&c.instance_id) {
                    (c.patch)(&mut i);
                    i.updated_at = c.now_ms;
                    changed.push(i);
                    events.push(c);
                }
            }
            if !changed.is_empty() {
                let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO instances ({INSTANCE}) "));
                q.push_values(&changed, |mut b, i| bind_instance!(b, i));
                q.push(" ON CONFLICT (id) DO UPDATE SET sku_id = excluded.sku_id, quantity = excluded.quantity, \
                        trial = excluded.trial, state = excluded.state, freeze_reason = excluded.freeze_reason, \
                        expires_at = excluded.expires_at, seller_instance_id = excluded.seller_instance_id, \
                        app_info = excluded.app_info, failure = excluded.failure, updated_at = excluded.updated_at");
                q.build().execute(&mut *tx).await?;
            }

            // The orders the jobs finish.
            let finished: Vec<(&String, &str, &Option<String>, i64)> = live
                .iter()
                .filter_map(|c| match (&c.event.order_id, &c.order) {
                    (Some(id), Some((state, failure))) => Some((id, state.as_str(), failure, c.now_ms)),
                    _ => None,
                })
                .collect();
            if !finished.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "UPDATE orders SET state = v.column2, failure = v.column3, updated_at = v.column4, \
                     purchase_key = CASE WHEN v.column2 = 'failed' THEN NULL ELSE orders.purchase_key END, \
                     trial_key = CASE WHEN v.column2 = 'failed' THEN NULL ELSE orders.trial_key END \
                     FROM (",
                );
                q.push_values(&finished, |mut b, (id, state, failure, at)| {
                    b.push_bind(id.as_str()).push_bind(*state).push_bind(failure.as_deref()).push_bind(*at);
                });
                q.push(") AS v WHERE orders.id = v.column1");
                q.build().execute(&mut *tx).await?;
                let failed: Vec<(&str, i64)> =
                    finished.iter().filter(|f| f.1 == "failed").map(|f| (f.0.as_str(), f.3)).collect();
                refund_failed_orders!(tx, lock, &failed);
            }

            // The feed events, in batch order, last: their positions lock
            // the feed counter until the commit (see `feed.rs`).
            insert_events!(tx, changed.iter().zip(&events).map(|(i, c)| {
                (i, c.event.order_id.as_deref(), c.event.kind.as_str(), c.event.detail.as_str(), c.now_ms)
            }).collect());
            tx.commit().await?;
            Ok(done)
        })
    }
}
