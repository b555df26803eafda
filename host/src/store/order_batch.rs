//! Group commit of new subscriptions: orders that arrive while a
//! transaction is being written wait for the next one and go in together,
//! each table written with one multi-row `INSERT`. Every statement is a round
//! trip (to SQLite's one writer thread, or to the PostgreSQL server), so a
//! batch of 64 orders costs five statements instead of three hundred (and
//! paying for them, whoever the customers, three more). On PostgreSQL the
//! payers' balance rows are read `FOR UPDATE`; a payer without one has
//! nothing to pay with, so the batch falls back to one order at a time and
//! that order is refused (no row to lock is never a lost update).

use super::balances::{cents, dec};
use super::orders::{INSTANCE, InstanceRow, NewJob, ORDER, OrderRow, Placed};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tokio::sync::{mpsc, oneshot};

/// Orders written per transaction at most.
const MAX_BATCH: usize = 64;

struct Request {
    order: OrderRow,
    instance: InstanceRow,
    jobs: Vec<NewJob>,
    reply: oneshot::Sender<Result<Placed, StoreError>>,
}

/// The handle orders are sent through; the writing task ends when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct SubscriptionBatcher {
    tx: mpsc::Sender<Request>,
}

impl SubscriptionBatcher {
    /// Starts the writing task on `store` (which must not itself batch, or
    /// the task would keep itself alive).
    pub(super) fn spawn(mut store: Store) -> Self {
        store.subscriptions = None;
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(run(store, rx));
        Self { tx }
    }

    /// Places one subscription, in whatever batch it lands in.
    pub(super) async fn place(
        &self,
        order: &OrderRow,
        instance: &InstanceRow,
        jobs: &[NewJob],
    ) -> Result<Placed, StoreError> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            order: order.clone(),
            instance: instance.clone(),
            jobs: jobs.to_vec(),
            reply,
        };
        if self.tx.send(request).await.is_err() {
            return Err(StoreError::Conflict(
                "the service is shutting down; retry".into(),
            ));
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Conflict(
                "the service is shutting down; retry".into(),
            ))
        })
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        match store.insert_batch(&batch).await {
            Ok(()) => {
                for r in batch {
                    let _ = r.reply.send(Ok(Placed::New));
                }
            }
            // One order of the batch broke a rule (a repeated idempotency
            // key, a second purchase): each goes alone and gets its own answer.
            Err(e) => {
                if batch.len() == 1 {
                    tracing::debug!(error = %e, "single subscription failed as a batch; retrying alone");
                }
                for r in batch {
                    let placed = store
                        .place_order_alone(&r.order, Some(&r.instance), None, &r.jobs)
                        .await;
                    let _ = r.reply.send(placed);
                }
            }
        }
    }
}

impl Store {
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "insert_batch")
    )]
    async fn insert_batch(&self, batch: &[Request]) -> Result<(), StoreError> {
        // What each customer of the batch pays, and the ledger row of each
        // paid order with the balance after it, in batch order.
        let mut due: BTreeMap<&str, Decimal> = BTreeMap::new();
        let priced: Vec<(&OrderRow, Decimal)> = batch
            .iter()
            .map(|r| (&r.order, dec(&r.order.amount)))
            .filter(|(_, amount)| *amount > Decimal::ZERO)
            .collect();
        for (o, amount) in &priced {
            *due.entry(o.customer_id.as_str()).or_default() += amount;
        }
        let lock = self.row_lock();
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO instances ({INSTANCE}) "));
            q.push_values(batch, |mut b, r| bind_instance!(b, &r.instance));
            q.build().execute(&mut *tx).await?;
            let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO orders ({ORDER}) "));
            q.push_values(batch, |mut b, r| bind_order!(b, &r.order));
            q.build().execute(&mut *tx).await?;
            insert_jobs!(
                tx,
                batch.iter().flat_map(|r| r.jobs.iter().map(|j| (j, r.order.created_at))).collect()
            );
            if !due.is_empty() {
                let mut q = sqlx::QueryBuilder::new("SELECT customer_id, amount FROM balances WHERE customer_id IN (");
                let mut sep = q.separated(", ");
                for customer in due.keys() {
                    sep.push_bind(*customer);
                }
                q.push(")").push(lock);
                let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                let mut balances: BTreeMap<&str, Decimal> = due.keys().map(|c| (*c, Decimal::ZERO)).collect();
                for (customer, amount) in &rows {
                    if let Some(b) = balances.get_mut(customer.as_str()) {
                        *b = dec(amount);
                    }
                }
                // One customer short: the batch goes order by order, and
                // that order alone is refused.
                if let Some((customer, amount)) = due.iter().find(|(c, a)| balances[**c] < **a) {
                    return Err(StoreError::PaymentRequired { amount: *amount, balance: balances[customer] });
                }
                let mut rows = Vec::with_capacity(priced.len());
                for (o, amount) in &priced {
                    let b = balances.get_mut(o.customer_id.as_str()).expect("every payer was read");
                    *b -= amount;
                    rows.push((o, cents(-*amount), cents(*b)));
                }
                let mut q = sqlx::QueryBuilder::new("INSERT INTO balances (customer_id, amount, updated_at) ");
                q.push_values(&balances, |mut b, (customer, amount)| {
                    b.push_bind(*customer).push_bind(amount.to_string()).push_bind(batch[0].order.created_at);
                });
                q.push(" ON CONFLICT (customer_id) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at");
                q.build().execute(&mut *tx).await?;
                let mut q = sqlx::QueryBuilder::new("INSERT INTO ledger (account_id, kind, cause, amount, balance, at) ");
                q.push_values(&rows, |mut b, (o, amount, after)| {
                    b.push_bind(&o.customer_id).push_bind("order-payment").push_bind(&o.id)
                        .push_bind(amount).push_bind(after).push_bind(o.created_at);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
