//! The audit log: one append-only row per state-changing request (who,
//! what, when, from where, with what result). Rows are only ever inserted —
//! no statement here updates or deletes one — and read newest first, with
//! filters, in the keyset pages every list uses.

use super::pages::{Order, Page, PageRequest};
use super::write_tx::BeginWrite;
use super::{Pool, Store, StoreError};

/// One audit entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// `aud_...`, ordered like the entries of one node within a millisecond.
    pub id: String,
    /// Service clock (ms; the simulated one when it is simulated).
    pub at_ms: i64,
    /// Wall clock (ms since the Unix epoch).
    pub wall_ms: i64,
    /// The calling account's id, or `anonymous`.
    pub actor_id: String,
    /// Its role, or `anonymous`.
    pub actor_role: String,
    /// The HTTP method.
    pub method: String,
    /// The matched route template (`/v1/products/{id}`), or `unmatched`.
    pub route: String,
    /// The path parameters' values joined by `/` (`prd_...`), if any.
    pub resource: Option<String>,
    /// A short name of what was asked (`products.status`).
    pub action: String,
    /// The answer's HTTP status.
    pub status: i32,
    /// The answer's error code (`forbidden`...) when it was refused.
    pub error: Option<String>,
    /// The client's address (`ip:port`) as the connection shows it.
    pub client: Option<String>,
    /// The request's `x-request-id`, when it had one.
    pub request_id: Option<String>,
}

const COLUMNS: &str = "id, at_ms, wall_ms, actor_id, actor_role, method, route, resource, action, \
                       status, error, client, request_id";

/// Which entries to read; every filter that is set must hold.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The actor's account id (or `anonymous`).
    pub actor: Option<String>,
    /// The action name.
    pub action: Option<String>,
    /// The route template.
    pub route: Option<String>,
    /// The resource (path parameters).
    pub resource: Option<String>,
    /// Lowest status, inclusive.
    pub status_min: Option<i32>,
    /// Highest status, inclusive.
    pub status_max: Option<i32>,
    /// Earliest service time (ms), inclusive.
    pub since_ms: Option<i64>,
    /// Latest service time (ms), inclusive.
    pub until_ms: Option<i64>,
}

impl Store {
    /// Appends `rows` in one transaction (one multi-row insert).
    pub async fn append_audit(&self, rows: &[AuditRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // 13 binds a row: 64 rows stay far below either database's
            // parameter limit.
            for chunk in rows.chunks(64) {
                let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO audit ({COLUMNS}) "));
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(&r.id)
                        .push_bind(r.at_ms)
                        .push_bind(r.wall_ms)
                        .push_bind(&r.actor_id)
                        .push_bind(&r.actor_role)
                        .push_bind(&r.method)
                        .push_bind(&r.route)
                        .push_bind(&r.resource)
                        .push_bind(&r.action)
                        .push_bind(r.status)
                        .push_bind(&r.error)
                        .push_bind(&r.client)
                        .push_bind(&r.request_id);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A page of the entries `filter` lets through, newest first.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRow>, StoreError> {
        // Placeholders in the order they first appear, as SQLite numbers
        // them: the filters $1..$8, the cursor $9 and $10, the limit $11.
        let q = format!(
            "SELECT {COLUMNS} FROM audit WHERE ($1 IS NULL OR actor_id = $1) \
             AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR route = $3) \
             AND ($4 IS NULL OR resource = $4) AND ($5 IS NULL OR status >= $5) \
             AND ($6 IS NULL OR status <= $6) AND ($7 IS NULL OR at_ms >= $7) \
             AND ($8 IS NULL OR at_ms <= $8) AND {} {} LIMIT $11",
            Order::NewestFirst.after("at_ms", "id", 9),
            Order::NewestFirst.by("at_ms", "id"),
        );
        let (at, id) = page.binds();
        let f = filter;
        let rows = on_pool!(self, pool => sqlx::query_as(&q)
            .bind(&f.actor).bind(&f.action).bind(&f.route).bind(&f.resource)
            .bind(f.status_min).bind(f.status_max).bind(f.since_ms).bind(f.until_ms)
            .bind(at).bind(id).bind(page.fetch())
            .fetch_all(pool).await)?;
        Ok(page.page(rows, |r: &AuditRow| (r.at_ms, &r.id)))
    }
}
