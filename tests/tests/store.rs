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
