//! The store behaves the same on SQLite and PostgreSQL (run with
//! `BAZAAR_TEST_DATABASE=postgres` for the latter).

use bazaar_host::store::Store;
use bazaar_tests::fresh_database_url;

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    (
        Store::connect(&url)
            .await
            .expect("store connects and migrates"),
        dir,
    )
}

#[tokio::test]
async fn kv_commits_are_atomic_and_prefix_scans_are_in_byte_order() {
    let (store, _dir) = store().await;
    let w = |k: &str, v: Option<&str>| (k.to_string(), v.map(|v| v.as_bytes().to_vec()));
    store
        .kv_commit(
            "ns",
            &[
                w("a/B", Some("1")),
                w("a/a", Some("2")),
                w("a/Z", Some("3")),
                w("b/x", Some("4")),
            ],
        )
        .await
        .unwrap();
    store
        .kv_commit("other", &[w("a/other", Some("5"))])
        .await
        .unwrap();
    // Byte order: uppercase before lowercase, whatever the database collation.
    assert_eq!(
        store.kv_list("ns", "a/", 10).await.unwrap(),
        vec!["a/B", "a/Z", "a/a"]
    );
    assert_eq!(
        store.kv_list("ns", "a/", 2).await.unwrap(),
        vec!["a/B", "a/Z"]
    );
    store
        .kv_commit("ns", &[w("a/B", None), w("a/a", Some("22"))])
        .await
        .unwrap();
    assert_eq!(store.kv_get("ns", "a/B").await.unwrap(), None);
    assert_eq!(
        store.kv_get("ns", "a/a").await.unwrap(),
        Some(b"22".to_vec())
    );
    assert_eq!(store.kv_get("other", "a/a").await.unwrap(), None);
}

#[tokio::test]
async fn storing_a_plugin_twice_keeps_one_copy() {
    let (store, _dir) = store().await;
    store
        .put_plugin("abc", "[\"review\"]", b"bytes", 1)
        .await
        .unwrap();
    store
        .put_plugin("abc", "[\"review\"]", b"bytes", 2)
        .await
        .unwrap();
    let all = store.plugins().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].component, b"bytes");
}

#[tokio::test]
async fn a_url_that_is_neither_sqlite_nor_postgres_is_refused() {
    let err = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
}

/// A metering id that another writer stores while a batch is being written
/// (after the batch looked for stored ids, before its rows land) comes back
/// as not new, and the batch's other records are stored. On PostgreSQL the
/// batch's `COPY` waits on the other transaction's key, fails when it
/// commits, and the batch is written again with `ON CONFLICT DO NOTHING`.
#[tokio::test]
async fn a_usage_batch_meeting_an_id_stored_meanwhile_reports_it_as_not_new() {
    use bazaar_host::domain::usage::UsageRecord;
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let store = Store::connect(&url).await.expect("store");
    let record = |id: &str| UsageRecord {
        metering_id: id.into(),
        instance_id: "ins_1".into(),
        billing_item: "calls".into(),
        begin_ms: 0,
        end_ms: 1_000,
        value: rust_decimal::Decimal::ONE,
        package: None,
    };
    let insert_other = "INSERT INTO usage_records (seller_id, metering_id, instance_id, billing_item, \
                        begin_ms, end_ms, value, source, received_at) \
                        VALUES ('acc_s', 'taken', 'ins_1', 'calls', 0, 1000, '5', 'api', 0)";
    // The other writer holds its uncommitted row while the batch starts.
    let (release, hold) = tokio::sync::oneshot::channel::<()>();
    let (held, wait_held) = tokio::sync::oneshot::channel::<()>();
    let other = tokio::spawn(async move {
        use sqlx::Connection;
        if url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            sqlx::query(insert_other).execute(&mut *tx).await.unwrap();
            held.send(()).unwrap();
            hold.await.unwrap();
            tx.commit().await.unwrap();
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query(insert_other).execute(&mut *tx).await.unwrap();
            held.send(()).unwrap();
            hold.await.unwrap();
            tx.commit().await.unwrap();
        }
    });
    wait_held.await.unwrap();
    let (taken, fresh) = (record("taken"), record("fresh"));
    let batch = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .insert_usage("acc_s", &[&taken, &fresh], "api", 5)
                .await
        })
    };
    // Long enough for the batch to look up its ids and start writing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    release.send(()).unwrap();
    other.await.unwrap();
    let new = batch.await.unwrap().expect("the batch is stored");
    assert_eq!(new, [false, true]);
    assert_eq!(store.usage_count("ins_1").await.unwrap(), 2);
}

/// Two nodes sharing one database (one SQLite file: their own pools and
/// write queues, no lock in common but the database's) top up the same
/// balance at once. Every write waits its turn: none fails with "database is
/// locked", none is lost.
#[tokio::test]
async fn two_nodes_writing_one_balance_at_once_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let a = Store::connect(&url).await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    const EACH: usize = 150;
    let run = |store: Store, node: usize| {
        tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for worker in 0..3 {
                let store = store.clone();
                tasks.spawn(async move {
                    for n in 0..EACH / 3 {
                        // Every other one keyed, to take both paths.
                        let key = format!("k-{node}-{worker}-{n}");
                        let key = (n % 2 == 0).then_some(key.as_str());
                        store
                            .top_up("cus-shared", rust_decimal::Decimal::ONE, key, 1)
                            .await
                            .unwrap_or_else(|e| panic!("node {node}: top-up {n} failed: {e}"));
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.unwrap();
            }
        })
    };
    let (x, y) = tokio::join!(run(a.clone(), 0), run(b, 1));
    x.unwrap();
    y.unwrap();
    assert_eq!(
        a.balance("cus-shared").await.unwrap(),
        rust_decimal::Decimal::from(2 * EACH)
    );
}

/// The database drops every connection of the service (a PostgreSQL
/// restart, a proxy's idle cut): the next requests and plugin calls, whose
/// key-value reads go on the plugin threads' own connections, succeed on new
/// connections instead of failing on the dead ones. On SQLite there is no
/// connection to cut, and the same calls must simply keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_plugin_reads_survive_the_database_dropping_its_connections() {
    use bazaar_tests::market::subscription;
    use serde_json::json;
    let app = bazaar_tests::spawn_app().await;
    let sha = app.upload_new("saas_lifecycle").await;
    // Each call its own seed: the plugin draws its instance id from it.
    let create = |order: &str, seed: u64| {
        json!({"world": "lifecycle", "function": "create-instance", "now-ms": 0, "seed": seed, "commit": true,
            "input": {"subscription": subscription("C", order)}})
    };
    let call = async |order: &str, seed: u64| {
        let (status, body) = app.call(&sha, create(order, seed)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["output"]["ok"]["instance-id"].is_string(), "{body}");
    };
    // More calls than plugin threads, before and after: some land on a
    // thread whose connection was cut.
    for n in 0..16 {
        call(&format!("before-{n}"), n).await;
    }

    if app.database_url.starts_with("postgres") {
        use sqlx::Connection;
        let db = app.database_url.rsplit('/').next().unwrap().to_string();
        let admin = app.database_url.replace(&db, "test");
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let cut: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&db)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(
            cut.len() >= 2,
            "the pool's and a plugin thread's connections: {cut:?}"
        );
        // Pooled connections idle for a second are checked before use.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    }
    for n in 0..16 {
        call(&format!("after-{n}"), 100 + n).await;
    }
    let (status, body) = app.get_as(&app.seller, "/v1/plugins").await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}
