//! PostgreSQL's path for a batch of usage records. The batch's metering ids
//! already stored are looked up in one indexed query and the new records
//! are streamed in with `COPY`, in one transaction. Next to a 9,000-parameter
//! `INSERT ... ON CONFLICT DO NOTHING`, this skips planning the statement,
//! evaluating its parameters row by row and the speculative insertion per
//! row, and writes the heap in pages rather than tuples (BENCHMARKS §8).
//!
//! Two batches sending the same new metering id at once both find it absent;
//! the second `COPY` then fails on the primary key and the batch is written
//! again with `ON CONFLICT DO NOTHING`, so the answer is the same as if they
//! had come one after the other.

use std::collections::HashSet;
use std::fmt::Write as _;

use sqlx::PgPool;

use crate::domain::usage::UsageRecord;

const COLUMNS: &str = "seller_id, metering_id, instance_id, billing_item, begin_ms, end_ms, value, source, received_at, package_id";

/// Stores the records that are new and answers which they were, in order.
pub(super) async fn insert(
    pool: &PgPool,
    seller_id: &str,
    records: &[&UsageRecord],
    source: &str,
    now_ms: i64,
) -> Result<Vec<bool>, sqlx::Error> {
    let values: Vec<String> = records.iter().map(|r| r.value.to_string()).collect();
    let batch = Batch {
        seller_id,
        records,
        values: &values,
        source,
        now_ms,
    };
    match batch.copy_new(pool).await {
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            batch.insert_or_skip(pool).await
        }
        done => done,
    }
}

struct Batch<'a> {
    seller_id: &'a str,
    records: &'a [&'a UsageRecord],
    values: &'a [String],
    source: &'a str,
    now_ms: i64,
}

impl Batch<'_> {
    /// Looks up which metering ids are stored and copies in the rest.
    #[tracing::instrument(
        name = "store.transaction",
        level = "debug",
        skip_all,
        fields(op = "copy_new")
    )]
    async fn copy_new(&self, pool: &PgPool) -> Result<Vec<bool>, sqlx::Error> {
        let ids: Vec<&str> = self
            .records
            .iter()
            .map(|r| r.metering_id.as_str())
            .collect();
        let mut tx = pool.begin().await?;
        let stored: Vec<String> = sqlx::query_scalar(
            "SELECT metering_id FROM usage_records WHERE seller_id = $1 AND metering_id = ANY($2)",
        )
        .bind(self.seller_id)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let stored: HashSet<&str> = stored.iter().map(String::as_str).collect();
        let new: Vec<bool> = ids.iter().map(|id| !stored.contains(id)).collect();
        if new.contains(&true) {
            let rows = self.copy_rows(&new);
            let mut copy = tx
                .copy_in_raw(&format!("COPY usage_records ({COLUMNS}) FROM STDIN"))
                .await?;
            copy.send(rows.into_bytes()).await?;
            copy.finish().await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The new records in `COPY`'s text format.
    fn copy_rows(&self, new: &[bool]) -> String {
        let mut out = String::with_capacity(self.records.len() * 160);
        let chosen = self.records.iter().zip(self.values).zip(new);
        for ((r, value), _) in chosen.filter(|(_, new)| **new) {
            for field in [
                self.seller_id,
                &r.metering_id,
                &r.instance_id,
                &r.billing_item,
            ] {
                push_text(&mut out, field);
                out.push('\t');
            }
            // Writing to a String cannot fail.
            let _ = write!(out, "{}\t{}\t", r.begin_ms, r.end_ms);
            push_text(&mut out, value);
            out.push('\t');
            push_text(&mut out, self.source);
            let _ = write!(out, "\t{}\t", self.now_ms);
            // `\N` is COPY's NULL.
            match &r.package {
                Some(p) => push_text(&mut out, p),
                None => out.push_str("\\N"),
            }
            out.push('\n');
        }
        out
    }

    /// The batch as one `INSERT ... ON CONFLICT DO NOTHING RETURNING`, for
    /// when a concurrent batch stored one of its ids first.
    async fn insert_or_skip(&self, pool: &PgPool) -> Result<Vec<bool>, sqlx::Error> {
        let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO usage_records ({COLUMNS}) "));
        q.push_values(self.records.iter().zip(self.values), |mut b, (r, value)| {
            b.push_bind(self.seller_id)
                .push_bind(&r.metering_id)
                .push_bind(&r.instance_id)
                .push_bind(&r.billing_item)
                .push_bind(r.begin_ms)
                .push_bind(r.end_ms)
                .push_bind(value)
                .push_bind(self.source)
                .push_bind(self.now_ms)
                .push_bind(&r.package);
        });
        q.push(" ON CONFLICT (seller_id, metering_id) DO NOTHING RETURNING metering_id");
        let inserted: Vec<(String,)> = q.build_query_as().fetch_all(pool).await?;
        let new: HashSet<&str> = inserted.iter().map(|(m,)| m.as_str()).collect();
        Ok(self
            .records
            .iter()
            .map(|r| new.contains(r.metering_id.as_str()))
            .collect())
    }
}

/// Appends `s` escaped for `COPY ... FROM STDIN` text format, in which a
/// backslash starts an escape and tab and newline end a field or row.
fn push_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::push_text;

    #[test]
    fn copy_text_escapes_what_would_split_a_field_or_row() {
        let mut out = String::new();
        push_text(&mut out, "a\\b\tc\nd\re");
        assert_eq!(out, "a\\\\b\\tc\\nd\\re");
    }
}
