//! Pay-per-use charges, customer balances and arrears. Rating a cycle,
//! paying it from the balance and entering arrears happen in one
//! transaction, as do a top-up and the unpaid charges it settles.

use super::write_tx::BeginWrite;
use rust_decimal::Decimal;

use super::balances::dec;
use super::orders::InstanceRow;
use super::packages::{PACKAGE, PackageRow};
use super::pages::{Page, PageRequest};
use super::{Pool, Store, StoreError};
use crate::domain::packages::{Held, deduct_named};
use crate::domain::pricing::{Quote, QuoteLine};
use std::future::Future;
use std::pin::Pin;

/// The price of a cycle's billable usage, or `None` when it cannot be
/// priced now (the cycle stays unrated). A future because a pricing plugin
/// may price it, on the plugin threads, while the cycle's records are held.
pub type PriceFuture = Pin<Box<dyn Future<Output = Option<Quote>> + Send>>;
use crate::ids::new_id;

/// One rated cycle of an instance's usage.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChargeRow {
    /// `chg_...`.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// Who pays.
    pub customer_id: String,
    /// Who is paid.
    pub seller_id: String,
    /// The cycle's start, ms.
    pub cycle_start: i64,
    /// The cycle's end (exclusive), ms.
    pub cycle_end: i64,
    /// Total usage rated, a decimal string.
    pub usage: String,
    /// The part of it not covered by packages, which was priced.
    pub billed_usage: String,
    /// The amount, a decimal string in cents.
    pub amount: String,
    /// The itemised quote, JSON.
    pub quote: String,
    /// `paid` or `unpaid`.
    pub state: String,
    /// When it was rated.
    pub created_at: i64,
    /// When it was paid.
    pub paid_at: Option<i64>,
}

const CHARGE: &str = "id, instance_id, customer_id, seller_id, cycle_start, cycle_end, usage, billed_usage, amount, quote, state, created_at, paid_at";

/// A rated cycle.
#[derive(Debug, Clone)]
pub struct Charged {
    /// The charge.
    pub row: ChargeRow,
    /// A stop-before-excess package of the instance ran out: stop it.
    pub exhausted: bool,
}

/// What a top-up did.
#[derive(Debug, Clone)]
pub struct TopUp {
    /// The balance afterwards.
    pub balance: Decimal,
    /// Charges it paid, oldest first.
    pub paid: Vec<String>,
    /// Instances it took out of arrears.
    pub cleared: Vec<String>,
    /// The idempotency key was used before: nothing was added this time.
    pub replayed: bool,
}

/// An instance in arrears.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArrearsRow {
    /// The instance.
    pub instance_id: String,
    /// Since when.
    pub since: i64,
    /// Its state.
    pub state: String,
    /// Its freeze reason.
    pub freeze_reason: Option<String>,
}

impl Store {
    /// `FOR UPDATE` where the database has it; SQLite's single writer makes
    /// it unnecessary there.
    pub(super) fn row_lock(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " FOR UPDATE",
        }
    }

    /// Instances with unrated records ending by `before_ms`.
    pub async fn unrated_instances(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let q = "SELECT DISTINCT instance_id FROM usage_records WHERE charge_id IS NULL AND end_ms <= $1 LIMIT $2";
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(q).bind(before_ms).bind(limit).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// End times of an instance's unrated records.
    pub async fn unrated_ends(&self, instance_id: &str) -> Result<Vec<i64>, StoreError> {
        let q = "SELECT DISTINCT end_ms FROM usage_records WHERE instance_id = $1 AND charge_id IS NULL";
        let rows: Vec<(i64,)> =
            on_pool!(self, pool => sqlx::query_as(q).bind(instance_id).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|(e,)| e).collect())
    }

    /// Rates the instance's unrated records ending in `(start, end]` into one
    /// charge: packages valid at the cycle cover what they can, the excess is
    /// priced by `price`, and the charge is paid from the customer's balance if the
    /// balance covers it, and otherwise leaves it unpaid and the instance in
    /// arrears. `None` when there was nothing to rate or `price` declined.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "charge_usage")
    )]
    pub async fn charge_usage(
        &self,
        i: &InstanceRow,
        (start, end): (i64, i64),
        accumulate_from: Option<i64>,
        price: &(dyn Fn(Vec<Decimal>, Decimal) -> PriceFuture + Send + Sync),
        now_ms: i64,
    ) -> Result<Option<Charged>, StoreError> {
        let id = new_id("chg");
        let lock = self.row_lock();
        let _turn = self.write_turn().await;
        let row = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query(
                "UPDATE usage_records SET charge_id = $1 WHERE instance_id = $2 AND charge_id IS NULL \
                 AND end_ms > $3 AND end_ms <= $4",
            )
            .bind(&id).bind(&i.id).bind(start).bind(end)
            .execute(&mut *tx).await?.rows_affected();
            if claimed == 0 {
                return Ok(None);
            }
            let records: Vec<(String, Option<String>)> = sqlx::query_as(
                // By instance and time, the index every record is in anyway.
                "SELECT value, package_id FROM usage_records WHERE instance_id = $2 AND end_ms > $3 AND end_ms <= $4 \
                 AND charge_id = $1 ORDER BY end_ms, metering_id",
            )
            .bind(&id).bind(&i.id).bind(start).bind(end)
            .fetch_all(&mut *tx).await?;
            let values: Vec<Decimal> = records.iter().map(|(v, _)| dec(v)).collect();
            let usage: Decimal = values.iter().sum();
            // Records naming a package (§3.5.4.2) go to it first.
            let mut named: Vec<(String, Decimal)> = Vec::new();
            let mut other = Decimal::ZERO;
            for (v, package) in &records {
                match package {
                    Some(p) => match named.iter_mut().find(|(n, _)| n == p) {
                        Some((_, t)) => *t += dec(v),
                        None => named.push((p.clone(), dec(v))),
                    },
                    None => other += dec(v),
                }
            }
            // Packages first (§3.5.4.1): earliest-expiring, valid at the cycle.
            let bought: Vec<PackageRow> = sqlx::query_as(&format!(
                "SELECT {PACKAGE} FROM packages WHERE instance_id = $1 AND billing_item = $2 \
                 AND starts_at < $4 AND expires_at > $3{lock}"
            ))
            .bind(&i.id).bind(&i.sku_id).bind(start).bind(end)
            .fetch_all(&mut *tx).await?;
            let mut held: Vec<Held> = bought.iter().map(PackageRow::held).collect();
            let (covered, excess) = deduct_named(&mut held, &named, other, (start, end));
            for h in &held {
                sqlx::query("UPDATE packages SET used = $2, period_index = $3 WHERE id = $1")
                    .bind(&h.id).bind(h.used.normalize().to_string()).bind(h.period_index)
                    .execute(&mut *tx).await?;
            }
            let stops: Vec<&Held> = held
                .iter()
                .filter(|h| bought.iter().any(|b| b.id == h.id && b.stop_before_excess))
                .collect();
            let exhausted = !stops.is_empty() && stops.iter().all(|h| h.used >= h.quota);
            // What packages covered comes off the earliest records first.
            let mut cover = usage - excess;
            let parts: Vec<Decimal> = values
                .iter()
                .filter_map(|v| {
                    let take = cover.min(*v);
                    cover -= take;
                    (*v > take).then(|| *v - take)
                })
                .collect();
            let before = match accumulate_from {
                None => Decimal::ZERO,
                Some(from) => {
                    let billed: Vec<(String,)> = sqlx::query_as(
                        "SELECT billed_usage FROM usage_charges WHERE instance_id = $1 \
                         AND cycle_start >= $2 AND cycle_start <= $3",
                    )
                    .bind(&i.id).bind(from).bind(start)
                    .fetch_all(&mut *tx).await?;
                    billed.iter().map(|(b,)| dec(b)).sum()
                }
            };
            let Some(priced) = price(parts, before).await else {
                return Ok(None);
            };
            let mut lines: Vec<QuoteLine> = covered
                .iter()
                .map(|(id, units)| QuoteLine::new(format!("package {id}"), *units, Decimal::ZERO))
                .collect();
            lines.extend(priced.lines);
            let quote = Quote::new(&priced.currency, lines, priced.priced_by);
            let paid = quote.total.is_zero()
                || move_balance!(tx, lock, &i.customer_id, -quote.total, "usage-charge", &id, now_ms).is_ok();
            let row = ChargeRow {
                id: id.clone(),
                instance_id: i.id.clone(),
                customer_id: i.customer_id.clone(),
                seller_id: i.seller_id.clone(),
                cycle_start: start,
                cycle_end: end,
                usage: usage.normalize().to_string(),
                billed_usage: excess.normalize().to_string(),
                amount: quote.total.to_string(),
                quote: serde_json::to_string(&quote).unwrap_or_default(),
                state: if paid { "paid" } else { "unpaid" }.into(),
                created_at: now_ms,
                paid_at: paid.then_some(now_ms),
            };
            sqlx::query(&format!(
                "INSERT INTO usage_charges ({CHARGE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ))
            .bind(&row.id).bind(&row.instance_id).bind(&row.customer_id).bind(&row.seller_id)
            .bind(row.cycle_start).bind(row.cycle_end).bind(&row.usage).bind(&row.billed_usage).bind(&row.amount)
            .bind(&row.quote).bind(&row.state).bind(row.created_at).bind(row.paid_at)
            .execute(&mut *tx).await?;
            if !paid {
                sqlx::query(
                    "INSERT INTO arrears (instance_id, customer_id, since) VALUES ($1, $2, $3) \
                     ON CONFLICT (instance_id) DO NOTHING",
                )
                .bind(&i.id).bind(&i.customer_id).bind(now_ms)
                .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Charged { row, exhausted }
        });
        Ok(Some(row))
    }

    /// Adds `amount` to the customer's balance and pays their unpaid charges
    /// oldest first while it lasts; instances left without unpaid charges
    /// leave arrears. A repeated `key` changes nothing.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "top_up")
    )]
    pub async fn top_up(
        &self,
        customer_id: &str,
        amount: Decimal,
        key: Option<&str>,
        now_ms: i64,
    ) -> Result<TopUp, StoreError> {
        let lock = self.row_lock();
        let _turn = self.write_turn().await;
        let out = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(key) = key {
                let fresh = sqlx::query(
                    "INSERT INTO balance_top_ups (customer_id, idempotency_key, amount, at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (customer_id, idempotency_key) DO NOTHING",
                )
                .bind(customer_id).bind(key).bind(amount.to_string()).bind(now_ms)
                .execute(&mut *tx).await?.rows_affected();
                if fresh == 0 {
                    let (balance,): (String,) = sqlx::query_as("SELECT amount FROM balances WHERE customer_id = $1")
                        .bind(customer_id).fetch_optional(&mut *tx).await?.unwrap_or(("0".into(),));
                    return Ok(TopUp { balance: dec(&balance), paid: Vec::new(), cleared: Vec::new(), replayed: true });
                }
            }
            let cause = key.map_or_else(|| crate::ids::new_id("top"), str::to_string);
            let mut balance = credit_balance!(tx, lock, customer_id, amount, "top-up", &cause, now_ms);
            let unpaid: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT id, instance_id, amount FROM usage_charges WHERE customer_id = $1 AND state = 'unpaid' \
                 ORDER BY created_at, id",
            )
            .bind(customer_id).fetch_all(&mut *tx).await?;
            let mut paid = Vec::new();
            let mut touched = Vec::new();
            for (id, instance, due) in &unpaid {
                let Ok(after) = move_balance!(tx, lock, customer_id, -dec(due), "usage-charge", id, now_ms) else {
                    break;
                };
                balance = after;
                sqlx::query("UPDATE usage_charges SET state = 'paid', paid_at = $2 WHERE id = $1")
                    .bind(id).bind(now_ms).execute(&mut *tx).await?;
                paid.push(id.clone());
                if !touched.contains(instance) {
                    touched.push(instance.clone());
                }
            }
            let mut cleared = Vec::new();
            for instance in touched {
                let (left,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM usage_charges WHERE instance_id = $1 AND state = 'unpaid'",
                )
                .bind(&instance).fetch_one(&mut *tx).await?;
                if left == 0 {
                    sqlx::query("DELETE FROM arrears WHERE instance_id = $1").bind(&instance).execute(&mut *tx).await?;
                    cleared.push(instance);
                }
            }
            tx.commit().await?;
            TopUp { balance, paid, cleared, replayed: false }
        });
        Ok(out)
    }

    /// A customer's balance.
    pub async fn balance(&self, customer_id: &str) -> Result<Decimal, StoreError> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as("SELECT amount FROM balances WHERE customer_id = $1")
            .bind(customer_id).fetch_optional(pool).await)?;
        Ok(row.map_or(Decimal::ZERO, |(a,)| dec(&a)))
    }

    /// Charges of an instance (`Some`) or unpaid charges of a customer (the
    /// balance's summary; lists read [`charges_page`](Self::charges_page)).
    pub async fn charges(
        &self,
        instance_id: Option<&str>,
        unpaid_of: Option<&str>,
    ) -> Result<Vec<ChargeRow>, StoreError> {
        let q = format!(
            "SELECT {CHARGE} FROM usage_charges WHERE ($1 IS NULL OR instance_id = $1) \
             AND ($2 IS NULL OR (customer_id = $2 AND state = 'unpaid')) ORDER BY cycle_start, created_at LIMIT 1000"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&q).bind(instance_id).bind(unpaid_of).fetch_all(pool).await)?,
        )
    }

    /// A page of an instance's charges, oldest first: by billing cycle, and
    /// a cycle's late charges after its first. The cursor is `(cycle_start,
    /// id)`; the middle key, `created_at`, is read from the cursor's row
    /// (charges are never deleted), so the shared cursor serves this
    /// three-key order too.
    pub async fn charges_page(
        &self,
        instance_id: &str,
        page: &PageRequest,
    ) -> Result<Page<ChargeRow>, StoreError> {
        let made = "(SELECT c.created_at FROM usage_charges c WHERE c.id = $3)";
        let q = format!(
            "SELECT {CHARGE} FROM usage_charges WHERE instance_id = $1 AND ($2 IS NULL \
             OR cycle_start > $2 OR (cycle_start = $2 AND (created_at > {made} \
             OR (created_at = {made} AND id > $3)))) \
             ORDER BY cycle_start, created_at, id LIMIT $4"
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(instance_id).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |c: &ChargeRow| (c.cycle_start, &c.id)))
    }

    /// Instances in arrears, with their state.
    pub async fn arrears(&self, limit: i64) -> Result<Vec<ArrearsRow>, StoreError> {
        let q = "SELECT a.instance_id, a.since, i.state, i.freeze_reason FROM arrears a \
                 JOIN instances i ON i.id = a.instance_id ORDER BY a.since LIMIT $1";
        Ok(on_pool!(self, pool => sqlx::query_as(q).bind(limit).fetch_all(pool).await)?)
    }

    /// Instances frozen for arrears that are no longer in arrears.
    pub async fn arrears_cleared_but_frozen(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let q = "SELECT i.id FROM instances i WHERE i.state = 'frozen' AND i.freeze_reason = 'arrears' \
                 AND NOT EXISTS (SELECT 1 FROM arrears a WHERE a.instance_id = i.id) LIMIT $1";
        let rows: Vec<(String,)> =
            on_pool!(self, pool => sqlx::query_as(q).bind(limit).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
