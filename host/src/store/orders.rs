//! Orders, instances, the lifecycle job queue and the sellers' change feed.
//! Every write that spans rows is one transaction: an accepted order exists
//! together with its instance and its queued plugin call, or not at all; a
//! finished plugin call commits its key-value writes, the instance, the order
//! and the feed event together, and only if it still holds the job's lease.

use super::balances::{cents, dec};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use crate::domain::catalog::BillingMode;
use crate::domain::instance::{InstanceState, OrderKind, OrderState};
use rust_decimal::Decimal;

/// An instance row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceRow {
    /// Marketplace id.
    pub id: String,
    /// The product's seller.
    pub seller_id: String,
    /// The buyer.
    pub customer_id: String,
    /// The product.
    pub product_id: String,
    /// The approved product version it was bought from.
    pub product_version: i64,
    /// The specification.
    pub spec_id: String,
    /// The SKU.
    pub sku_id: String,
    /// How it is charged.
    #[sqlx(try_from = "String")]
    pub billing_mode: BillingMode,
    /// Units of the quantity attribute.
    pub quantity: i64,
    /// A free trial.
    pub trial: bool,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub state: InstanceState,
    /// Why frozen.
    pub freeze_reason: Option<String>,
    /// End of the paid (or trial) period (ms).
    pub expires_at: Option<i64>,
    /// The plugin's id for it.
    pub seller_instance_id: Option<String>,
    /// Encrypted app info (credentials).
    pub app_info: Option<Vec<u8>>,
    /// Why provisioning failed.
    pub failure: Option<String>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// An order row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    /// Marketplace id.
    pub id: String,
    /// The buyer.
    pub customer_id: String,
    /// The seller.
    pub seller_id: String,
    /// The instance it creates or changes.
    pub instance_id: String,
    /// What it does to its instance.
    #[sqlx(try_from = "String")]
    pub kind: OrderKind,
    /// Where it is.
    #[sqlx(try_from = "String")]
    pub state: OrderState,
    /// Amount charged, a decimal string.
    pub amount: String,
    /// What was ordered (JSON).
    pub detail: String,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// The service supervision flow (JSON), for supervised products.
    pub service_flow: Option<String>,
    /// Set when the specification allows one purchase per customer.
    pub purchase_key: Option<String>,
    /// Set on trial orders: one trial per customer and specification.
    pub trial_key: Option<String>,
    /// `none` (nothing to pay), `paid`, `partially-refunded` or `refunded`.
    pub payment: String,
    /// How much of the payment went back to the balance, two places.
    pub refunded: String,
    /// When what it bought takes effect (ms): acceptance, or for a renewal
    /// or a conversion the start of the periods bought.
    pub effective_at: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// A queued plugin call.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    /// Queue position.
    pub id: i64,
    /// The instance it concerns.
    pub instance_id: String,
    /// The order it completes, if any.
    pub order_id: Option<String>,
    /// A [`crate::domain::instance::JobAction`] as JSON.
    pub action: String,
    /// When it was queued (ms).
    pub logical_now: i64,
    /// The plugin's random seed, the same on every attempt.
    pub seed: i64,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The instance.
    pub instance_id: String,
    /// The order it completes.
    pub order_id: Option<String>,
    /// JSON of the action.
    pub action: String,
    /// Seed of the plugin call.
    pub seed: u64,
}

/// A change-feed event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// The cursor.
    pub seq: i64,
    /// The seller.
    pub seller_id: String,
    /// The customer.
    pub customer_id: String,
    /// The instance.
    pub instance_id: String,
    /// The order, if one caused it.
    pub order_id: Option<String>,
    /// e.g. `instance.provisioned`.
    pub kind: String,
    /// JSON details.
    pub detail: String,
    /// When (ms).
    pub at: i64,
}

/// A new event (the sequence number is the database's).
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// e.g. `instance.provisioned`.
    pub kind: String,
    /// The order, if one caused it.
    pub order_id: Option<String>,
    /// JSON details.
    pub detail: String,
}

/// What placing an order did.
#[derive(Debug)]
pub enum Placed {
    /// The order was accepted now.
    New,
    /// The same idempotency key was used before: that order.
    Existing(Box<OrderRow>),
}

/// A guarded change of an existing instance made when an order is accepted or
/// the marketplace decides something.
#[derive(Debug, Clone)]
pub struct InstanceGuard<'a> {
    /// The instance.
    pub id: &'a str,
    /// States it must be in (at most three).
    pub states: &'a [InstanceState],
    /// The state it moves to now (marketplace decisions), if any.
    pub new_state: Option<InstanceState>,
    /// The freeze reason to record with a move to `frozen`.
    pub freeze_reason: Option<&'a str>,
}

/// How a finished job changes the world.
pub struct Completion {
    /// The job.
    pub job_id: i64,
    /// The instance the job concerns.
    pub instance_id: String,
    /// The lease it was claimed with.
    pub lease: String,
    /// The plugin's key-value namespace.
    pub kv_namespace: String,
    /// Writes (`None` deletes).
    pub kv_writes: Vec<(String, Option<Vec<u8>>)>,
    /// Changes the instance as read inside the transaction (`Fn`, not
    /// `FnOnce`, so a batch that failed can be retried job by job).
    pub patch: std::sync::Arc<dyn Fn(&mut InstanceRow) + Send + Sync>,
    /// The order's new state and failure, when the job finishes an order.
    pub order: Option<(OrderState, Option<String>)>,
    /// Drop the instance's other queued jobs (after a failed creation).
    pub drop_later_jobs: bool,
    /// The feed event.
    pub event: NewEvent,
    /// Time (ms).
    pub now_ms: i64,
}

pub(super) const INSTANCE: &str = "id, seller_id, customer_id, product_id, product_version, spec_id, sku_id, \
    billing_mode, quantity, trial, state, freeze_reason, expires_at, seller_instance_id, app_info, failure, \
    created_at, updated_at";
pub(super) const ORDER: &str = "id, customer_id, seller_id, instance_id, kind, state, amount, detail, \
    idempotency_key, failure, service_flow, purchase_key, trial_key, payment, refunded, effective_at, \
    created_at, updated_at";
const JOB: &str = "id, instance_id, order_id, action, logical_now, seed, attempts";

/// Spreads a refund of `total` over an instance's paid orders `(id,
/// amount, refunded)`, newest first (the periods bought last are the ones
/// not used): each touched order's new refunded amount and payment state.
/// `None` when the orders hold less than `total`.
fn allocate_refund(
    total: Decimal,
    paid: &[(String, String, String)],
) -> Option<Vec<(String, String, &'static str)>> {
    let mut left = total;
    let mut out = Vec::new();
    for (id, amount, refunded) in paid {
        if left.is_zero() {
            break;
        }
        let (amount, refunded) = (dec(amount), dec(refunded));
        let take = left.min(amount - refunded);
        if take <= Decimal::ZERO {
            continue;
        }
        left -= take;
        let now = refunded + take;
        let state = if now == amount {
            "refunded"
        } else {
            "partially-refunded"
        };
        out.push((id.clone(), cents(now), state));
    }
    left.is_zero().then_some(out)
}

fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Some(format!(
            "{} {}",
            d.constraint().unwrap_or_default(),
            d.message()
        )),
        _ => None,
    }
}

impl Store {
    /// Accepts an order: inserts `new_instance` (a subscription) or checks and
    /// moves `guard` (a change of an existing instance, which must have no
    /// other order in progress), inserts the order and queues its jobs, all
    /// in one transaction. A repeated idempotency key returns the first order.
    pub async fn place_order(
        &self,
        order: &OrderRow,
        new_instance: Option<&InstanceRow>,
        guard: Option<InstanceGuard<'_>>,
        jobs: &[NewJob],
    ) -> Result<Placed, StoreError> {
        if let (Some(batcher), Some(instance), None) = (&self.subscriptions, new_instance, &guard) {
            return batcher.place(order, instance, jobs).await;
        }
        self.place_order_alone(order, new_instance, guard, jobs)
            .await
    }

    /// [`Store::place_order`] in a transaction of its own.
    pub(super) async fn place_order_alone(
        &self,
        order: &OrderRow,
        new_instance: Option<&InstanceRow>,
        guard: Option<InstanceGuard<'_>>,
        jobs: &[NewJob],
    ) -> Result<Placed, StoreError> {
        let result = self.place_order_tx(order, new_instance, guard, jobs).await;
        // A retry racing its first attempt finds the instance busy with that
        // very order: it is answered with it, not refused.
        if let (Err(StoreError::Conflict(_)), Some(key)) = (&result, &order.idempotency_key)
            && let Some(existing) = self.order_by_key(&order.customer_id, key).await?
        {
            return Ok(Placed::Existing(Box::new(existing)));
        }
        match result {
            Err(StoreError::Db(e)) => match unique_violation(&e) {
                Some(what) if what.contains("idempotency") => {
                    let key = order.idempotency_key.as_deref().unwrap_or_default();
                    match self.order_by_key(&order.customer_id, key).await? {
                        Some(existing) => Ok(Placed::Existing(Box::new(existing))),
                        None => Err(StoreError::Db(e)),
                    }
                }
                Some(what) if what.contains("purchase_key") => Err(StoreError::Conflict(
                    "this specification can be bought once per customer, and you already have it"
                        .into(),
                )),
                Some(what) if what.contains("trial_key") => Err(StoreError::Conflict(
                    "you already used the trial of this specification".into(),
                )),
                _ => Err(StoreError::Db(e)),
            },
            other => other,
        }
    }

    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "place_order_tx")
    )]
    async fn place_order_tx(
        &self,
        order: &OrderRow,
        new_instance: Option<&InstanceRow>,
        guard: Option<InstanceGuard<'_>>,
        jobs: &[NewJob],
    ) -> Result<Placed, StoreError> {
        let lock = self.row_lock();
        let _turn = self.write_turn().await;
        let guard_sql = "UPDATE instances SET state = COALESCE($2, state), \
            freeze_reason = CASE WHEN $2 IS NULL THEN freeze_reason ELSE $3 END, updated_at = $4 \
            WHERE id = $1 AND state IN ($5, $6, $7) \
            AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.instance_id = $1 AND o.state = 'processing')";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(i) = new_instance {
                let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO instances ({INSTANCE}) "));
                q.push_values(std::iter::once(i), |mut b, i| bind_instance!(b, i));
                q.build().execute(&mut *tx).await?;
            }
            if let Some(g) = &guard {
                let pad = |n: usize| g.states.get(n).map_or("", |s| s.as_str());
                let done = sqlx::query(guard_sql).bind(g.id).bind(g.new_state.map(InstanceState::as_str)).bind(g.freeze_reason)
                    .bind(order.created_at).bind(pad(0)).bind(pad(1)).bind(pad(2))
                    .execute(&mut *tx).await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict(format!(
                        "instance {} must be {} with no other order in progress",
                        g.id,
                        g.states.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
                    )));
                }
            }
            // Paid (or, for an unsubscription, refunded) in the transaction
            // that accepts the order: never one without the other.
            let amount = dec(&order.amount);
            let (customer, now) = (&order.customer_id, order.created_at);
            if amount > Decimal::ZERO
                && let Err(balance) = move_balance!(tx, lock, customer, -amount, "order-payment", &order.id, now)
            {
                return Err(StoreError::PaymentRequired { amount, balance });
            }
            if amount < Decimal::ZERO {
                let paid: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT id, amount, refunded FROM orders WHERE instance_id = $1 \
                     AND payment IN ('paid', 'partially-refunded') ORDER BY created_at DESC, id DESC",
                )
                .bind(&order.instance_id).fetch_all(&mut *tx).await?;
                let refunds = allocate_refund(-amount, &paid).ok_or_else(|| StoreError::Conflict(
                    "the instance's payments changed while its refund was computed; retry".into(),
                ))?;
                for (id, refunded, payment) in &refunds {
                    sqlx::query("UPDATE orders SET refunded = $2, payment = $3 WHERE id = $1")
                        .bind(id).bind(refunded).bind(*payment).execute(&mut *tx).await?;
                }
                credit_balance!(tx, lock, customer, -amount, "refund", &order.id, now);
            }
            let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO orders ({ORDER}) "));
            q.push_values(std::iter::once(order), |mut b, o| bind_order!(b, o));
            q.build().execute(&mut *tx).await?;
            insert_jobs!(tx, jobs.iter().map(|j| (j, order.created_at)).collect());
            tx.commit().await?;
        });
        Ok(Placed::New)
    }

    /// A marketplace decision about an instance with no order (expiry,
    /// retention, operator action): moves it per `guard` and queues `job`.
    /// False when the instance was no longer in an expected state.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "decide")
    )]
    pub async fn decide(
        &self,
        guard: InstanceGuard<'_>,
        job: NewJob,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let q = "UPDATE instances SET state = $2, freeze_reason = $3, updated_at = $4 \
                 WHERE id = $1 AND state IN ($5, $6, $7)";
        let pad = |n: usize| guard.states.get(n).map_or("", |s| s.as_str());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(q).bind(guard.id).bind(guard.new_state.map(InstanceState::as_str)).bind(guard.freeze_reason)
                .bind(now_ms).bind(pad(0)).bind(pad(1)).bind(pad(2)).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            insert_jobs!(tx, vec![(&job, now_ms)]);
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Claims up to `limit` ready jobs, the oldest of each instance only, for
    /// `lease_ms`. A job whose lease ran out (its worker died) is ready again.
    pub async fn claim_jobs(
        &self,
        lease: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<JobRow>, StoreError> {
        let _turn = self.write_turn().await;
        // The outer `locked_until` test makes a second worker that read the
        // same candidates skip rows the first one claimed meanwhile.
        let q = format!(
            "UPDATE lifecycle_jobs SET lease = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE locked_until <= $3 AND id IN ( \
               SELECT j.id FROM lifecycle_jobs j WHERE j.next_at <= $3 AND j.locked_until <= $3 \
               AND NOT EXISTS (SELECT 1 FROM lifecycle_jobs k WHERE k.instance_id = j.instance_id AND k.id < j.id) \
               ORDER BY j.id LIMIT $4) \
             RETURNING {JOB}"
        );
        let mut jobs: Vec<JobRow> = on_pool!(self, pool => sqlx::query_as(&q)
            .bind(lease).bind(now_ms.saturating_add(lease_ms)).bind(now_ms).bind(limit)
            .fetch_all(pool).await)?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Puts a claimed job back for another attempt at `next_at`.
    pub async fn retry_job(
        &self,
        id: i64,
        lease: &str,
        next_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let q = "UPDATE lifecycle_jobs SET next_at = $3, lease = NULL, locked_until = 0, last_error = $4 \
                 WHERE id = $1 AND lease = $2";
        on_pool!(self, pool => sqlx::query(q).bind(id).bind(lease).bind(next_at).bind(error).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets the leases of jobs claimed by `node` (all leases for `None`,
    /// for a single-process store), at start-up: a restarted node's earlier
    /// self is dead, so its claims need not be waited out.
    pub async fn release_leases(&self, node: Option<&str>) -> Result<u64, StoreError> {
        let q = "UPDATE lifecycle_jobs SET lease = NULL, locked_until = 0 \
                 WHERE lease IS NOT NULL AND ($1 IS NULL OR lease LIKE $1)";
        let pattern = node.map(|n| format!("{n}:%"));
        Ok(
            on_pool!(self, pool => sqlx::query(q).bind(pattern).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }
}
