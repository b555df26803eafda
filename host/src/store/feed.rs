//! The change feed: where events get their positions, and reading them back.
//!
//! A reader pages with `seq > after`, so the feed is only gap-free if a
//! position can never become visible while a smaller one is still
//! uncommitted. An identity column does not give that on PostgreSQL: two
//! transactions draw 1 and 2, the second commits first, a reader sees 2 and
//! moves its cursor past 1 for good. So every transaction that writes events
//! takes its positions from the one-row `feed_position` counter
//! (`insert_events!`), as its last statement before committing: the row lock
//! it holds until the commit makes the next event-writing transaction wait,
//! so positions commit in the order they were taken, and a rolled-back
//! transaction gives its positions back. On SQLite writers are serialised
//! anyway; the counter keeps one code path.

use super::orders::{EventRow, InstanceRow};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};

/// Appends feed events inside the transaction `tx` at the next positions of
/// `feed_position`; each is `(&InstanceRow, order id, kind, detail, at ms)`.
/// Take the positions last, just before committing: the counter row stays
/// locked until then, and every other event writer waits for it (taking it
/// last also means no lock is ever awaited while holding it).
macro_rules! insert_events {
    ($tx:expr, $events:expr) => {{
        let events: Vec<(&InstanceRow, Option<&str>, &str, &str, i64)> = $events;
        if !events.is_empty() {
            let n = events.len() as i64;
            let (next,): (i64,) = sqlx::query_as(
                "UPDATE feed_position SET next_seq = next_seq + $1 WHERE id = 1 RETURNING next_seq",
            )
            .bind(n)
            .fetch_one(&mut *$tx)
            .await?;
            let first = next - n;
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO instance_events (seq, seller_id, customer_id, instance_id, order_id, kind, detail, at) ",
            );
            q.push_values(events.into_iter().enumerate(), |mut b, (k, (i, order, kind, detail, at))| {
                b.push_bind(first + k as i64)
                    .push_bind(&i.seller_id)
                    .push_bind(&i.customer_id)
                    .push_bind(&i.id)
                    .push_bind(order)
                    .push_bind(kind)
                    .push_bind(detail)
                    .push_bind(at);
            });
            q.build().execute(&mut *$tx).await?;
        }
    }};
}

/// Holds an event's transaction open (a test hook, see
/// [`Store::append_event_holding`]).
#[derive(Debug)]
pub struct EventHold {
    /// Fired once the event is written and its transaction still open.
    pub written: tokio::sync::oneshot::Sender<()>,
    /// The transaction commits when this fires (or its sender is dropped).
    pub release: tokio::sync::oneshot::Receiver<()>,
}

impl Store {
    /// A seller's feed events after `after`, oldest first. Gap-free because
    /// positions commit in order (see the module comment).
    pub async fn events(
        &self,
        seller_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let q = "SELECT seq, seller_id, customer_id, instance_id, order_id, kind, detail, at FROM instance_events \
                 WHERE seller_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        Ok(
            on_pool!(self, pool => sqlx::query_as(q).bind(seller_id).bind(after).bind(limit).fetch_all(pool).await)?,
        )
    }

    /// A seller's newest `limit` events after `after`, oldest first.
    pub async fn latest_events(
        &self,
        seller_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let q = "SELECT seq, seller_id, customer_id, instance_id, order_id, kind, detail, at FROM instance_events \
                 WHERE seller_id = $1 AND seq > $2 ORDER BY seq DESC LIMIT $3";
        let mut rows: Vec<EventRow> = on_pool!(self, pool => sqlx::query_as(q).bind(seller_id)
            .bind(after).bind(limit).fetch_all(pool).await)?;
        rows.reverse();
        Ok(rows)
    }

    /// Appends an event to a seller's change feed.
    pub async fn append_event(
        &self,
        instance: &InstanceRow,
        kind: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.append_event_holding(instance, kind, detail, now_ms, None)
            .await
    }

    /// [`Store::append_event`], keeping the transaction open after the write
    /// until `hold` says so. Only tests pass a hold: it lets them interleave
    /// event writers the way concurrent requests and workers can, which is
    /// otherwise a matter of timing.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "append_event_holding")
    )]
    pub async fn append_event_holding(
        &self,
        instance: &InstanceRow,
        kind: &str,
        detail: &str,
        now_ms: i64,
        hold: Option<EventHold>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            insert_events!(tx, vec![(instance, None, kind, detail, now_ms)]);
            if let Some(hold) = hold {
                let _ = hold.written.send(());
                let _ = hold.release.await;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
