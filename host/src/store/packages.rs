//! Usage packages: buying one from the balance, reading them, and the rows
//! the rating transaction deducts from.

use super::write_tx::BeginWrite;
use rust_decimal::Decimal;

use super::pages::{Order, Page, PageRequest};
use super::{Pool, Store, StoreError};
use crate::domain::catalog::BillingMode;
use crate::domain::packages::{Held, PACKAGES_MAX, PackageOffer};
use crate::ids::new_id;

/// A bought package.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageRow {
    /// `pkg_...`.
    pub id: String,
    /// The buyer.
    pub customer_id: String,
    /// The instance it serves.
    pub instance_id: String,
    /// The specification's offer.
    pub offer_id: String,
    /// The billing item it covers.
    pub billing_item: String,
    /// Quota per period (reset) or for the term.
    pub quota: String,
    /// Used in period `period_index`.
    pub used: String,
    /// The reset period `used` counts.
    pub period_index: i64,
    /// `monthly` or `yearly`.
    pub period: String,
    /// Whether the quota resets each period.
    pub reset: bool,
    /// Whether the instance stops when the quota is gone.
    pub stop_before_excess: bool,
    /// What it cost in all.
    pub price: String,
    /// Start of validity.
    pub starts_at: i64,
    /// End of validity (exclusive).
    pub expires_at: i64,
    /// When it was bought.
    pub created_at: i64,
}

pub(super) const PACKAGE: &str = "id, customer_id, instance_id, offer_id, billing_item, quota, used, period_index, \
    period, reset, stop_before_excess, price, starts_at, expires_at, created_at";

impl PackageRow {
    /// The deduction's view of the package.
    pub fn held(&self) -> Held {
        Held {
            id: self.id.clone(),
            quota: self.quota.parse().unwrap_or(Decimal::ZERO),
            used: self.used.parse().unwrap_or(Decimal::ZERO),
            period_index: self.period_index,
            starts_at: self.starts_at,
            expires_at: self.expires_at,
            period: if self.period == "yearly" {
                BillingMode::Yearly
            } else {
                BillingMode::Monthly
            },
            reset: self.reset,
        }
    }
}

impl Store {
    /// Buys `offer` for `periods` periods for the customer's instance,
    /// paying `price × periods` from the balance, valid from `now_ms` to
    /// `expires_at`. Refused (conflict) when the balance does not cover it
    /// or the customer already holds the most packages allowed.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "buy_package")
    )]
    pub async fn buy_package(
        &self,
        customer_id: &str,
        instance_id: &str,
        offer: &PackageOffer,
        periods: u32,
        expires_at: i64,
        now_ms: i64,
    ) -> Result<PackageRow, StoreError> {
        let cost = offer.price * Decimal::from(periods);
        let lock = self.row_lock();
        let row = PackageRow {
            id: new_id("pkg"),
            customer_id: customer_id.into(),
            instance_id: instance_id.into(),
            offer_id: offer.id.clone(),
            billing_item: offer.billing_item.clone(),
            quota: offer.quota.normalize().to_string(),
            used: "0".into(),
            period_index: 0,
            period: offer.period.as_str().into(),
            reset: offer.reset,
            stop_before_excess: offer.stop_before_excess,
            price: cost.to_string(),
            starts_at: now_ms,
            expires_at,
            created_at: now_ms,
        };
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (held,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM packages WHERE customer_id = $1 AND expires_at > $2")
                .bind(customer_id).bind(now_ms).fetch_one(&mut *tx).await?;
            if held >= PACKAGES_MAX {
                return Err(StoreError::Conflict(format!("a customer may hold at most {PACKAGES_MAX} packages")));
            }
            if let Err(balance) = move_balance!(tx, lock, customer_id, -cost, "package", &row.id, now_ms) {
                return Err(StoreError::PaymentRequired { amount: cost, balance });
            }
            sqlx::query(&format!(
                "INSERT INTO packages ({PACKAGE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ))
            .bind(&row.id).bind(&row.customer_id).bind(&row.instance_id).bind(&row.offer_id)
            .bind(&row.billing_item).bind(&row.quota).bind(&row.used).bind(row.period_index)
            .bind(&row.period).bind(row.reset).bind(row.stop_before_excess).bind(&row.price)
            .bind(row.starts_at).bind(row.expires_at).bind(row.created_at)
            .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(row)
    }

    /// `(id, instance, billing item)` of the packages among `ids`.
    pub async fn package_owners(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(String, String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::QueryBuilder::new("SELECT id, instance_id, billing_item FROM packages WHERE id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(*id);
                }
                q.push(")");
                q.build_query_as().fetch_all(pool).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// A page of an instance's packages, oldest first.
    pub async fn packages_of(
        &self,
        instance_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PackageRow>, StoreError> {
        let q = format!(
            "SELECT {PACKAGE} FROM packages WHERE instance_id = $1 AND {} {} LIMIT $4",
            Order::OldestFirst.after("created_at", "id", 2),
            Order::OldestFirst.by("created_at", "id"),
        );
        let (at, id) = page.binds();
        let rows = on_pool!(self, pool => sqlx::query_as(&q).bind(instance_id).bind(at).bind(id)
            .bind(page.fetch()).fetch_all(pool).await)?;
        Ok(page.page(rows, |p: &PackageRow| (p.created_at, &p.id)))
    }
}
