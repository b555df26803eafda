//! Keyset pagination, shared by every list: rows come newest first in the
//! total order `(time, id)` (descending), and a page ends at a [`Cursor`] —
//! the key of its last row — from which the next page continues. Keyset
//! rather than `OFFSET` so a page neither skips nor repeats rows when rows
//! are added in front of it, and so a deep page costs what the first does.

/// Where a page ends: the `(time, id)` key of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The row's sort time (ms), e.g. `created_at`.
    pub at: i64,
    /// The row's id, which breaks ties between rows of the same time.
    pub id: String,
}

impl Cursor {
    /// The cursor as clients see it: hex of `"{at}.{id}"`, so they treat it
    /// as opaque (the encoding may change) and it needs no URL escaping.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}.{}", self.at, self.id))
    }

    /// The cursor `encode` made, or `None` for anything else.
    pub fn decode(text: &str) -> Option<Cursor> {
        let raw = String::from_utf8(hex::decode(text).ok()?).ok()?;
        let (at, id) = raw.split_once('.')?;
        let at = at.parse().ok()?;
        (!id.is_empty()).then(|| Cursor {
            at,
            id: id.to_string(),
        })
    }
}

/// Which page to read: after which row, and how many rows at most.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// From the start when `None`.
    pub after: Option<Cursor>,
    /// Rows per page, already checked to be positive.
    pub limit: i64,
}

/// One page of rows and, unless it is the last, where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// In the list's order.
    pub rows: Vec<T>,
    /// The key of the last row; `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// No rows, and no page after (a filter that matches nothing).
    pub fn empty() -> Self {
        Page {
            rows: Vec::new(),
            next: None,
        }
    }

    /// The same page with each row turned into something else (a row and
    /// what a use case adds to it); the cursor stays the row's.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

impl PageRequest {
    /// The cursor's binds for [`keyset`]: both null from the start.
    pub(super) fn binds(&self) -> (Option<i64>, Option<&str>) {
        match &self.after {
            Some(c) => (Some(c.at), Some(c.id.as_str())),
            None => (None, None),
        }
    }

    /// How many rows to ask for: one more than a page, so that whether a
    /// next page exists is known without a second query (or a count).
    pub(super) fn fetch(&self) -> i64 {
        self.limit.saturating_add(1)
    }

    /// Cuts what [`fetch`](Self::fetch) read down to a page; `key` gives a
    /// row's `(time, id)`. Public for lists kept in memory rather than in
    /// the store (the operator's list of loaded plugins).
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> (i64, &str)) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        let next = rows.last().filter(|_| more).map(|r| {
            let (at, id) = key(r);
            Cursor {
                at,
                id: id.to_string(),
            }
        });
        Page { rows, next }
    }
}

/// The direction of a list in its total order `(time, id)`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Order {
    /// `time DESC, id DESC`: most lists.
    NewestFirst,
    /// `time ASC, id ASC`: lists read as a history (cases).
    OldestFirst,
}

impl Order {
    /// The condition "after the cursor" in this order, with the cursor's
    /// time and id bound as `$t` and `$t+1` (null: no condition). Written
    /// as `<` / `=` rather than a row comparison so SQLite and PostgreSQL
    /// read it alike. `t` must be the highest placeholder so far: SQLite
    /// numbers `$N` parameters in the order they first appear.
    pub(super) fn after(self, time: &str, id: &str, t: u32) -> String {
        let i = t + 1;
        let op = match self {
            Order::NewestFirst => '<',
            Order::OldestFirst => '>',
        };
        format!("(${t} IS NULL OR {time} {op} ${t} OR ({time} = ${t} AND {id} {op} ${i}))")
    }

    /// The `ORDER BY` that [`after`](Self::after) pages through.
    pub(super) fn by(self, time: &str, id: &str) -> String {
        let dir = match self {
            Order::NewestFirst => "DESC",
            Order::OldestFirst => "ASC",
        };
        format!("ORDER BY {time} {dir}, {id} {dir}")
    }
}

#[cfg(test)]
mod tests {
    use super::{Cursor, Order, PageRequest};

    #[test]
    fn a_cursor_reads_back_and_nothing_else_does() {
        let c = Cursor {
            at: 1_700_000_000_123,
            id: "ord_a.b".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "zz",
            &hex::encode("12"),
            &hex::encode("x.id"),
            &hex::encode("12."),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_a_full_page_has_a_next() {
        let req = PageRequest {
            after: None,
            limit: 2,
        };
        fn key(r: &(i64, String)) -> (i64, &str) {
            (r.0, &r.1)
        }
        let rows = |n: i64| (0..n).map(|i| (i, format!("r{i}"))).collect::<Vec<_>>();
        assert!(req.page(rows(2), key).next.is_none());
        let p = req.page(rows(3), key);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.next.unwrap().id, "r1");
    }

    #[test]
    fn the_condition_follows_the_order() {
        assert_eq!(
            Order::NewestFirst.after("created_at", "id", 3),
            "($3 IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4))"
        );
        assert_eq!(Order::OldestFirst.by("t", "id"), "ORDER BY t ASC, id ASC");
    }
}
