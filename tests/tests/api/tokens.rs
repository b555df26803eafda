//! API tokens (issue 13 §2): an account lists, makes and revokes named
//! tokens, optionally expiring; a revoked or expired token answers 401 on
//! this node at once and on every other node within the token cache's
//! lifetime.

use bazaar_tests::clock::{DAY, advance};
use bazaar_tests::{TestApp, spawn_app, spawn_configured, spawn_two_nodes, test_settings};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn delete_as(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    app.send_as(token, Method::DELETE, path, json!({}), None)
        .await
}

/// Makes a token named `name` as `token`; answers its id and secret.
async fn new_token(app: &TestApp, token: &str, body: Value) -> (String, String) {
    let (status, made) = app.post_as(token, "/v1/tokens", body).await;
    assert_eq!(status, 201, "{made}");
    (
        made["token"]["id"].as_str().expect("id").to_string(),
        made["secret"].as_str().expect("secret").to_string(),
    )
}

fn assert_unauthorized((status, body): (u16, Value)) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "unauthorized", "{body}");
}

#[tokio::test]
async fn an_account_makes_lists_and_revokes_its_tokens() {
    let app = spawn_app().await;
    let (id, first) = app.customer("Carol").await;

    // The token made with the account is listed as "default".
    let (status, body) = app.get_as(&first, "/v1/tokens").await;
    assert_eq!(status, 200, "{body}");
    let listed = body["tokens"].as_array().expect("tokens");
    assert_eq!(listed.len(), 1, "{body}");
    assert_eq!(listed[0]["name"], "default");
    assert_eq!(listed[0]["account-id"], id.as_str());
    assert!(listed[0]["expires-at"].is_null(), "{body}");
    let text = body.to_string();
    assert!(!text.contains(&first) && !text.contains("hash") && !text.contains("secret"));

    let (token_id, ci) =
        new_token(&app, &first, json!({"name": "ci", "expires-in-days": 30})).await;
    let (status, me) = app.get_as(&ci, "/v1/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["account"]["id"], id.as_str());

    let (_, body) = app.get_as(&first, "/v1/tokens").await;
    let listed = body["tokens"].as_array().expect("tokens");
    assert_eq!(listed.len(), 2, "{body}");
    let made = listed
        .iter()
        .find(|t| t["id"] == token_id.as_str())
        .expect("listed");
    assert_eq!(made["name"], "ci");
    let created = made["created-at"].as_i64().expect("created-at");
    assert_eq!(made["expires-at"].as_i64(), Some(created + 30 * DAY));

    // Revoked: refused at once on this node, although it was just cached.
    let (status, body) = delete_as(&app, &first, &format!("/v1/tokens/{token_id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revoked"], token_id.as_str());
    assert_unauthorized(app.get_as(&ci, "/v1/me").await);
    assert_unauthorized(app.get_as(&ci, "/v1/tokens").await);
    let (_, body) = app.get_as(&first, "/v1/tokens").await;
    assert_eq!(body["tokens"].as_array().map(Vec::len), Some(1), "{body}");
    let (status, body) = delete_as(&app, &first, &format!("/v1/tokens/{token_id}")).await;
    assert_eq!(status, 404, "{body}");

    // The other token still works.
    assert_eq!(app.get_as(&first, "/v1/me").await.0, 200);

    // It is the last working one: revoking it would lock Carol out.
    let (_, body) = app.get_as(&first, "/v1/tokens").await;
    let last = body["tokens"][0]["id"].as_str().expect("id").to_string();
    let (status, body) = delete_as(&app, &first, &format!("/v1/tokens/{last}")).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("only working token"),
        "{body}"
    );
    assert_eq!(app.get_as(&first, "/v1/me").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn tokens_are_only_their_accounts_and_requests_are_checked() {
    let app = spawn_app().await;
    let (carol, carol_token) = app.customer("Carol").await;
    let (_, dave_token) = app.customer("Dave").await;
    let (dave_tok, _) = new_token(&app, &dave_token, json!({"name": "laptop"})).await;

    // Another account's token is 404 and keeps working.
    let (status, body) = delete_as(&app, &carol_token, &format!("/v1/tokens/{dave_tok}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.get_as(&carol_token, "/v1/tokens?account=nobody").await;
    assert_eq!(status, 404, "{body}");

    for (body, field) in [
        (
            json!({"name": "x", "expires-in-days": 0}),
            "expires-in-days",
        ),
        (
            json!({"name": "x", "expires-in-days": 366}),
            "expires-in-days",
        ),
        (json!({"name": "  "}), "name"),
    ] {
        let (status, answer) = app.post_as(&carol_token, "/v1/tokens", body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
    let (status, answer) = app
        .post_as(
            &carol_token,
            "/v1/tokens",
            json!({"name": "x", "secret": "mine"}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");

    // Operators list and revoke anyone's.
    let (status, body) = app
        .get_as(&app.operator, &format!("/v1/tokens?account={carol}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let default = body["tokens"][0]["id"].as_str().expect("id").to_string();
    let (status, body) = delete_as(&app, &app.operator, &format!("/v1/tokens/{default}")).await;
    assert_eq!(status, 200, "{body}");
    assert_unauthorized(app.get_as(&carol_token, "/v1/me").await);
    assert_eq!(app.get_as(&dave_token, "/v1/me").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_refused_by_the_service_clock() {
    let app = spawn_app().await;
    let (_, token) = app.account("seller", "Sam").await;
    let (_, short) = new_token(&app, &token, json!({"name": "short", "expires-in-days": 1})).await;
    assert_eq!(app.get_as(&short, "/v1/me").await.0, 200);

    advance(&app, DAY - 60_000).await;
    assert_eq!(app.get_as(&short, "/v1/me").await.0, 200);
    // Past its expiry while its lookup is still cached: refused all the same.
    advance(&app, 120_000).await;
    let (status, body) = app.get_as(&short, "/v1/me").await;
    assert_unauthorized((status, body.clone()));
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{body}"
    );
    assert_eq!(app.get_as(&token, "/v1/me").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_token_revoked_on_one_node_is_refused_by_another_within_the_bound() {
    let ttl = Duration::from_millis(400);
    let (a, b) = spawn_two_nodes(|s| s.token_cache_ttl = ttl).await;

    let (_, owner) = a.customer("Carol").await;
    let (token_id, secret) = new_token(&a, &owner, json!({"name": "shared"})).await;
    // Both nodes have looked it up (and cached it).
    assert_eq!(a.get_as(&secret, "/v1/me").await.0, 200);
    assert_eq!(b.get_as(&secret, "/v1/me").await.0, 200);

    let (status, body) = delete_as(&a, &owner, &format!("/v1/tokens/{token_id}")).await;
    assert_eq!(status, 200, "{body}");
    let revoked = Instant::now();
    assert_unauthorized(a.get_as(&secret, "/v1/me").await);

    // Node B stops accepting it within the cache's lifetime (plus slack for
    // a loaded machine), and for good.
    let deadline = ttl + Duration::from_secs(2);
    loop {
        let (status, body) = b.get_as(&secret, "/v1/me").await;
        if status == 401 {
            assert_unauthorized((status, body));
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            revoked.elapsed() < deadline,
            "node B still accepts the token {:?} after its revocation",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_unauthorized(b.get_as(&secret, "/v1/me").await);
    assert_eq!(b.get_as(&owner, "/v1/me").await.0, 200);
    b.stop().await;
    a.stop().await;
}

/// Migrates a fresh database only up to `0010`, the last migration before
/// the tokens table, and stores one account with its old-style token.
async fn database_before_tokens(url: &str, token: &str) {
    let backend = if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../host/migrations")
        .join(backend);
    let old = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(&all).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        if name.as_str() < "0011" {
            std::fs::copy(&path, old.path().join(&name)).expect("copy");
        }
    }
    let migrator = sqlx::migrate::Migrator::new(old.path())
        .await
        .expect("migrator");
    let account = "INSERT INTO accounts (id, role, name, created_at) VALUES ('cus_old', 'customer', 'Old', 1)";
    let token_row =
        "INSERT INTO api_tokens (token_hash, account_id, created_at) VALUES ($1, 'cus_old', 1)";
    let hash = bazaar_host::ids::token_hash(token);
    if backend == "sqlite" {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("url")
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("sqlite");
        migrator.run(&pool).await.expect("migrate");
        sqlx::query(account).execute(&pool).await.expect("account");
        sqlx::query(token_row)
            .bind(&hash)
            .execute(&pool)
            .await
            .expect("token");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        migrator.run(&pool).await.expect("migrate");
        sqlx::query(account).execute(&pool).await.expect("account");
        sqlx::query(token_row)
            .bind(&hash)
            .execute(&pool)
            .await
            .expect("token");
        pool.close().await;
    }
}

#[tokio::test]
async fn a_token_issued_before_named_tokens_keeps_working_as_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = bazaar_tests::fresh_database_url(dir.path()).await;
    let old = "bz_0123456789abcdef0123456789abcdef01234567";
    database_before_tokens(&url, old).await;

    let (settings, dir) = test_settings(Vec::new(), Some(dir), None, Some(url)).await;
    let app = spawn_configured(settings, dir)
        .await
        .expect("migrates and starts");
    let (status, me) = app.get_as(old, "/v1/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["account"]["id"], "cus_old");
    let (_, body) = app.get_as(old, "/v1/tokens").await;
    assert_eq!(body["tokens"][0]["name"], "default", "{body}");
    let id = body["tokens"][0]["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("tok_") && id.len() == 20, "{id}");
    // Its only token: the account may not revoke it, an operator may.
    let (status, body) = delete_as(&app, old, &format!("/v1/tokens/{id}")).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = delete_as(&app, &app.operator, &format!("/v1/tokens/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_unauthorized(app.get_as(old, "/v1/me").await);
    app.stop().await;
}
