//! PostgreSQL connections of the plugin threads, for a plugin call's
//! key-value reads. Through the pool, a read's answer waited for the
//! service's runtime to poll the socket, behind whatever HTTP work kept its
//! threads busy (about 470 µs a read under the orders benchmark); a
//! connection of the thread's own, driven by a single-threaded runtime of
//! its own while the call waits, costs one round trip.

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Where a thread's connection goes: the server and database.
pub(super) struct Target {
    /// The URL, which tells one database's connections from another's.
    pub(super) url: String,
    pub(super) options: PgConnectOptions,
}

/// Without the URL and options, which may hold the database password.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("database", &self.options.get_database())
            .finish_non_exhaustive()
    }
}

struct Reader {
    rt: tokio::runtime::Runtime,
    conns: HashMap<String, PgConnection>,
}

thread_local! {
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's connection to `target`, connecting first if
/// there is none. After an error the connection is dropped and `f` runs once
/// more on a new one: the server may have ended the connection since the
/// thread last read (a restart, an administrator; the first sign is a
/// `FATAL` answer to the next statement), and a read can be repeated.
pub(super) fn with<T>(
    target: &Target,
    f: impl AsyncFn(&mut PgConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    READER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()?;
            *slot = Some(Reader {
                rt,
                conns: HashMap::new(),
            });
        }
        let Some(Reader { rt, conns }) = slot.as_mut() else {
            unreachable!("set above");
        };
        rt.block_on(async {
            let mut retried = false;
            loop {
                // Services come and go in tests; keep a thread from holding
                // connections to many old databases.
                if conns.len() >= 4 && !conns.contains_key(&target.url) {
                    conns.clear();
                }
                let conn = match conns.entry(target.url.clone()) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => {
                        e.insert(PgConnection::connect_with(&target.options).await?)
                    }
                };
                match f(conn).await {
                    Err(e) => {
                        conns.remove(&target.url);
                        if retried {
                            return Err(e);
                        }
                        retried = true;
                    }
                    ok => return ok,
                }
            }
        })
    })
}
