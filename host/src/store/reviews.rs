//! The operator's review of a release application: findings of the review
//! rules and results of the product's cases, kept with counts so approval
//! can refuse without parsing the report.

use super::{Pool, Store, StoreError};

/// A stored review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    /// The application reviewed.
    pub application_id: String,
    /// Findings of severity `blocker`.
    pub blockers: i64,
    /// Cases that did not pass.
    pub failing_cases: i64,
    /// The full report (JSON).
    pub report: String,
    /// When (ms).
    pub reviewed_at: i64,
}

impl Store {
    /// Stores (or replaces) the review of an application.
    pub async fn put_review(&self, r: &ReviewRow) -> Result<(), StoreError> {
        let q = "INSERT INTO application_reviews (application_id, blockers, failing_cases, report, reviewed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (application_id) DO UPDATE SET \
                 blockers = excluded.blockers, failing_cases = excluded.failing_cases, \
                 report = excluded.report, reviewed_at = excluded.reviewed_at";
        let _turn = self.write_turn().await;
        on_pool!(self, pool => sqlx::query(q).bind(&r.application_id).bind(r.blockers)
            .bind(r.failing_cases).bind(&r.report).bind(r.reviewed_at).execute(pool).await.map(drop))?;
        Ok(())
    }

    /// The review of an application, if it was reviewed.
    pub async fn review(&self, application_id: &str) -> Result<Option<ReviewRow>, StoreError> {
        let q = "SELECT application_id, blockers, failing_cases, report, reviewed_at \
                 FROM application_reviews WHERE application_id = $1";
        Ok(
            on_pool!(self, pool => sqlx::query_as(q).bind(application_id).fetch_optional(pool).await)?,
        )
    }
}
