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

/// Where a thread's connection goes: the server and database.
#[derive(Debug)]
pub(super) struct Target {
    /// The URL, which tells one database's connections from another's.
    pub(super) url: String,
    pub(super) options: PgConnectOptions,
}

struct Reader {
    rt: tokio::runtime::Runtime,
    conns: HashMap<String, PgConnection>,
}

thread_local! {
    static READER: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's connection to `target`, connecting first if
/// there is none; a connection whose statement failed is dropped, so the
/// next read opens a new one (the server may have restarted).
pub(super) fn with<T>(
    target: &Target,
    f: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
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
            if !conns.contains_key(&target.url) {
                // Services come and go in tests; keep a thread from holding
                // connections to many old databases.
                if conns.len() >= 4 {
                    conns.clear();
                }
                let conn = PgConnection::connect_with(&target.options).await?;
                conns.insert(target.url.clone(), conn);
            }
            let conn = conns.get_mut(&target.url).expect("connected above");
            let result = f(conn).await;
            if result.is_err() {
                conns.remove(&target.url);
            }
            result
        })
    })
}
