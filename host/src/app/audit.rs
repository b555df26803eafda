//! The audit log's use cases: recording what a state-changing request did
//! (the API's audit middleware calls [`record`] once the answer's status is
//! known) and operators reading it back ([`list`]).
//!
//! Entries are written by one background task in batches, so on SQLite an
//! audit write takes the writer's turn once per batch rather than once per
//! request and does not slow order intake down. Nothing is lost on the way:
//! [`record`] waits for room in the queue rather than dropping, [`list`] and
//! [`AuditLog::flush`] (called at shutdown) wait until everything queued
//! before them is written, and a failed write is retried once and then
//! logged and counted (`bazaar_audit_write_failures_total`) — it never
//! fails the request it describes.

use super::{App, AppError, Caller, pages};
use crate::store::{AuditFilter, AuditRow, Page, Role, Store};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Entries queued for the writer at most; past that, requests wait.
const QUEUE: usize = 4096;

/// Entries written per transaction at most.
const BATCH: usize = 256;

/// What the middleware knows of a finished request.
#[derive(Debug, Clone)]
pub struct Audited {
    /// The authenticated caller; `None`: anonymous (no or a bad token).
    pub caller: Option<Caller>,
    /// The HTTP method.
    pub method: String,
    /// The matched route template, or `unmatched`.
    pub route: String,
    /// The path parameters' values, joined by `/`.
    pub resource: Option<String>,
    /// A short name of what was asked.
    pub action: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's error code, when refused.
    pub error: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
}

enum Message {
    Entry(Box<AuditRow>),
    /// Answered once every entry queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The queue to the audit writer; cheap to clone. The writer ends when the
/// last handle is dropped, after writing what was queued.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: mpsc::Sender<Message>,
}

impl AuditLog {
    /// Starts the writer on `store`.
    pub fn spawn(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write(store, rx));
        AuditLog { tx }
    }

    /// Waits until every entry recorded before this call is written (or
    /// given up on).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Records a finished request, stamped with the service clock and the
/// wall clock now.
pub async fn record(app: &App, entry: Audited) {
    let (actor_id, actor_role) = match &entry.caller {
        Some(c) => (c.id.clone(), c.role.as_str().to_string()),
        None => ("anonymous".to_string(), "anonymous".to_string()),
    };
    let row = AuditRow {
        id: next_id(),
        at_ms: app.clock.now_ms(),
        wall_ms: crate::now_millis(),
        actor_id,
        actor_role,
        method: entry.method,
        route: entry.route,
        resource: entry.resource,
        action: entry.action,
        status: i32::from(entry.status),
        error: entry.error,
        client: entry.client,
        request_id: entry.request_id,
    };
    if app
        .audit
        .tx
        .send(Message::Entry(Box::new(row)))
        .await
        .is_err()
    {
        tracing::warn!("the audit writer has stopped; an audit entry was not written");
        metrics::counter!(crate::telemetry::AUDIT_WRITE_FAILURES).increment(1);
    }
}

/// A page of the audit log, newest first (operators).
pub async fn list(
    app: &App,
    caller: &Caller,
    filter: &AuditFilter,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<AuditRow>, AppError> {
    caller.require(&[Role::Operator])?;
    let page = pages::request(after, limit)?;
    if let (Some(low), Some(high)) = (filter.status_min, filter.status_max)
        && low > high
    {
        return Ok(Page::empty());
    }
    // What this node answered before this request is in the table.
    app.audit.flush().await;
    Ok(app.store.audit_page(filter, &page).await?)
}

/// `aud_` + 16 hex digits of a per-process counter that follows the wall
/// clock in microseconds (so one node's entries of one millisecond sort in
/// the order they were made) + 4 random hex digits (so nodes never clash).
fn next_id() -> String {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    let us = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now_us.max(last + 1))
        })
        .map_or(now_us, |last| now_us.max(last + 1));
    let salt = rand::random::<u16>();
    format!("aud_{us:016x}{salt:04x}")
}

/// The writer: takes what is queued, writes it in batches, answers flushes.
async fn write(store: Store, mut rx: mpsc::Receiver<Message>) {
    let mut batch: Vec<AuditRow> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Entry(row) => batch.push(*row),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            append(&store, &batch).await;
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn append(store: &Store, rows: &[AuditRow]) {
    let Err(first) = store.append_audit(rows).await else {
        return;
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    if let Err(e) = store.append_audit(rows).await {
        tracing::warn!(entries = rows.len(), error = %e, first_error = %first,
            "audit entries could not be written");
        metrics::counter!(crate::telemetry::AUDIT_WRITE_FAILURES).increment(rows.len() as u64);
    }
}
