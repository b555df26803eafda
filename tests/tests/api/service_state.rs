//! What the service keeps about itself across restarts and nodes: the
//! simulated clock, the key its secrets are sealed with, private files.

use bazaar_tests::{TestApp, spawn_app_with, spawn_configured, test_settings};
use serde_json::json;

async fn now(app: &TestApp) -> i64 {
    let (status, body) = app.get_as(&app.operator, "/v1/clock").await;
    assert_eq!(status, 200, "{body}");
    body["now-ms"].as_i64().expect("now-ms")
}

#[tokio::test]
async fn the_simulated_clock_does_not_go_back_on_restart() {
    let app = spawn_app_with(Vec::new(), None, None, None).await;
    let week = 7 * 24 * 3_600_000_i64;
    let (status, body) = app
        .post_as(&app.operator, "/v1/clock/advance", json!({"ms": week}))
        .await;
    assert_eq!(status, 200, "{body}");
    let advanced = now(&app).await;
    let url = app.database_url.clone();
    let kept = app.stop().await;

    let app = spawn_app_with(Vec::new(), Some(kept), None, Some(url)).await;
    let after = now(&app).await;
    assert!(
        after >= advanced,
        "the clock went back {} ms on restart",
        advanced - after
    );
    assert!(after - advanced < week, "the advance was applied twice");
    app.stop().await;
}

#[tokio::test]
async fn a_node_with_another_secret_key_refuses_to_start() {
    let key = |d: char| std::iter::repeat_n(d, 64).collect::<String>();
    let (mut settings, dir) = test_settings(Vec::new(), None, None, None).await;
    settings.secret_key = Some(key('a'));
    let url = settings.database_url.clone();
    let app = spawn_configured(settings, dir).await.expect("first start");
    let kept = app.stop().await;

    // Another node (its own data directory) on the same database.
    let (mut settings, dir) = test_settings(Vec::new(), None, None, url.clone()).await;
    settings.secret_key = Some(key('b'));
    let refused = match spawn_configured(settings, dir).await {
        Ok(_) => panic!("a node with another key started"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("sealed with another key"), "{refused}");
    assert!(refused.contains("BAZAAR_SECRET_KEY"), "{refused}");

    // The right key still opens it.
    let (mut settings, dir) = test_settings(Vec::new(), Some(kept), None, url).await;
    settings.secret_key = Some(key('a'));
    let app = spawn_configured(settings, dir).await.expect("same key");
    app.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bazaar-data");
    let (mut settings, tmp) = test_settings(Vec::new(), None, None, None).await;
    settings.data_dir = data.clone();
    let sqlite = settings
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("sqlite:"));
    if sqlite {
        settings.database_url = Some(format!("sqlite://{}", data.join("bazaar.db").display()));
    }
    let app = spawn_configured(settings, tmp).await.expect("starts");
    // Something written, so the WAL exists.
    app.customer("Carol").await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("secret.key")), 0o600, "key file");
    if sqlite {
        for file in ["bazaar.db", "bazaar.db-wal", "bazaar.db-shm"] {
            let path = data.join(file);
            if path.exists() || file != "bazaar.db-shm" {
                assert_eq!(mode(&path), 0o600, "{file}");
            }
        }
    }
    app.stop().await;
}
