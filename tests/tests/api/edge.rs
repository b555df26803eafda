//! The production edge: HTTPS with ALPN and certificate reload, slow and
//! silent clients cut by their timeouts, the connection cap, per-route
//! body limits and request deadlines, rate limits with `Retry-After`, and
//! request ids.

use bazaar_host::serve::TlsSource;
use bazaar_tests::market::subscription;
use bazaar_tests::{TestApp, https_client, spawn_configured, test_settings};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn spawn_with(change: impl FnOnce(&mut bazaar_host::startup::Settings)) -> TestApp {
    let (mut settings, dir) = test_settings(Vec::new(), None, None, None).await;
    change(&mut settings);
    spawn_configured(settings, dir)
        .await
        .expect("service starts")
}

fn port(app: &TestApp) -> u16 {
    app.base.rsplit(':').next().unwrap().parse().unwrap()
}

/// Reads until the peer closes or `within` passes; says whether it closed
/// and what it sent.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (bool, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (false, String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(0)) | Ok(Err(_)) => return (true, String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn https_speaks_http2_and_http1_by_alpn() {
    let app = spawn_with(|s| s.serve.tls = Some(TlsSource::SelfSigned)).await;
    assert!(app.base.starts_with("https://"));
    // `spawn_configured` already created a seller over HTTPS.
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    let pem = std::fs::read(app.data_dir.path().join("tls/self-signed.crt")).unwrap();
    let h1 = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let res = h1
        .get(app.url("/v1/products"))
        .bearer_auth(&app.seller)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", port(&app))).await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
    app.stop().await;
}

fn pair() -> (String, String) {
    let p =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    (p.cert.pem(), p.signing_key.serialize_pem())
}

#[tokio::test]
async fn a_changed_certificate_is_served_to_new_connections_without_a_restart() {
    let files = tempfile::tempdir().unwrap();
    let (cert, key) = (files.path().join("c.pem"), files.path().join("k.pem"));
    let (first, first_key) = pair();
    std::fs::write(&cert, &first).unwrap();
    std::fs::write(&key, &first_key).unwrap();
    let app = spawn_with(|s| {
        s.serve.tls = Some(TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        });
        s.serve.tls_reload_every = Duration::from_millis(100);
    })
    .await;
    // An open HTTP/2 connection, kept by this client.
    let kept = https_client(first.as_bytes()).unwrap();
    assert_eq!(
        kept.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );

    let (second, second_key) = pair();
    std::fs::write(&key, &second_key).unwrap();
    std::fs::write(&cert, &second).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let fresh = https_client(second.as_bytes()).unwrap();
        if fresh.get(app.url("/healthz")).send().await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stale = https_client(first.as_bytes()).unwrap();
    assert!(
        stale.get(app.url("/healthz")).send().await.is_err(),
        "new connections get the new certificate"
    );
    // The connection opened before the reload still answers.
    assert_eq!(
        kept.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn slow_heads_and_bodies_are_cut_by_their_timeouts() {
    let app = spawn_with(|s| {
        s.serve.header_timeout = Duration::from_secs(1);
        s.guards.requests.json.body_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = format!("127.0.0.1:{}", port(&app));

    let mut head = TcpStream::connect(&addr).await.unwrap();
    head.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (closed, answer) = read_until_closed(&mut head, Duration::from_secs(5)).await;
    assert!(closed, "an unfinished request head is cut");
    // Closed without an answer, as a client that never finished its head
    // gets from nginx too; anything written would be JSON.
    assert!(
        answer.is_empty() || answer.contains("application/json"),
        "{answer:.300}"
    );

    // Two of the 100 bytes promised, then silence.
    let mut body = TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /v1/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{}}",
        app.seller
    );
    body.write_all(request.as_bytes()).await.unwrap();
    let (_, answer) = read_until_closed(&mut body, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.300}");
    let json_part = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let error: Value = serde_json::from_str(json_part.trim()).expect("a JSON body");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did not arrive"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn silent_connections_are_closed_when_idle() {
    let app = spawn_with(|s| {
        s.serve.header_timeout = Duration::from_secs(30);
        s.serve.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let mut silent = TcpStream::connect(format!("127.0.0.1:{}", port(&app)))
        .await
        .unwrap();
    let (closed, _) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(
        closed,
        "a silent connection is closed after the idle timeout"
    );
    app.stop().await;
}

#[tokio::test]
async fn at_the_connection_cap_the_oldest_silent_connection_makes_room() {
    let app = spawn_with(|s| s.serve.max_connections = 4).await;
    let addr = format!("127.0.0.1:{}", port(&app));
    // Four silent connections fill the cap (the test client's own pooled
    // connection, if still open, is the oldest idle one of all).
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A real client still gets in, again and again: each time the
    // connection silent longest is closed for it.
    for _ in 0..3 {
        let fresh = reqwest::Client::new();
        let res = fresh.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let mut closed = 0;
    for s in &mut silent {
        if read_until_closed(s, Duration::from_millis(200)).await.0 {
            closed += 1;
        }
    }
    assert!(
        closed >= 2,
        "only {closed} silent connections were closed to make room"
    );
    app.stop().await;
}

#[tokio::test]
async fn at_the_cap_with_every_connection_busy_newcomers_get_a_json_503() {
    let app = spawn_with(|s| {
        s.serve.max_connections = 2;
        s.runtime.limits.fuel = u64::MAX / 4;
        s.runtime.limits.timeout_ms = 1_500;
    })
    .await;
    let sha = app.upload_new("hostile").await;
    // Two connections each running a 1.5 s call: nothing is idle.
    let busy: Vec<_> = (0..2)
        .map(|i| {
            let url = app.url(&format!("/v1/plugins/{sha}/calls"));
            let token = app.seller.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"world": "lifecycle", "function": "create-instance",
                        "input": {"subscription": subscription("loop", &format!("o{i}"))}}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut s = TcpStream::connect(format!("127.0.0.1:{}", port(&app)))
        .await
        .unwrap();
    let (closed, answer) = read_until_closed(&mut s, Duration::from_secs(2)).await;
    assert!(closed, "refused");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:.300}");
    assert!(answer.contains("open connections"), "{answer:.300}");
    for b in busy {
        let _ = b.await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bodies_over_the_route_limit_get_a_json_413() {
    let app = spawn_with(|s| s.guards.requests.json.body_bytes = 64 << 10).await;
    let big = json!({"name": "x".repeat(100 << 10)});
    let (status, body) = app
        .send_as(
            &app.seller,
            reqwest::Method::POST,
            "/v1/products",
            big,
            None,
        )
        .await;
    assert_eq!(status, 413);
    assert!(
        body["message"].as_str().unwrap().contains("limit"),
        "{body:.300}"
    );
    // An upload has its own, larger limit: 100 KiB of junk is not refused
    // for its size but as a component.
    let res = app
        .client
        .post(app.url("/v1/plugins"))
        .bearer_auth(&app.seller)
        .body(vec![b'x'; 100 << 10])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 413);
    assert!(res.status().is_client_error());
    app.stop().await;
}

#[tokio::test]
async fn a_request_over_its_deadline_gets_a_json_503() {
    let app = spawn_with(|s| {
        // Debug calls are in the larger "files" class of routes.
        s.guards.requests.files.request_timeout = Duration::from_secs(1);
        s.runtime.limits.fuel = u64::MAX / 4;
        // Without the request deadline the answer would be the plugin's
        // own `deadline` failure (422) after 1.5 s.
        s.runtime.limits.timeout_ms = 1_500;
    })
    .await;
    let sha = app.upload_new("hostile").await;
    let (status, body) = app
        .call(
            &sha,
            json!({"world": "lifecycle", "function": "create-instance",
                "input": {"subscription": subscription("loop", "o")}}),
        )
        .await;
    assert_eq!(status, 503, "{body:.300}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("longer than 1 s")
    );
    app.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = spawn_with(|s| {
        s.guards.rates.per_token.per_second = 1;
        s.guards.rates.per_token.burst = 5;
        s.guards.rates.auth_failures_per_minute = 3;
    })
    .await;
    let mut limited = None;
    for _ in 0..10 {
        let res = app
            .client
            .get(app.url("/v1/products"))
            .bearer_auth(&app.seller)
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let limited = limited.expect("a token over its rate gets 429");
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    let body: Value = limited.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("token"),
        "{body}"
    );
    // Another token is not held back.
    let (status, _) = app.get_as(&app.operator, "/v1/products").await;
    assert_eq!(status, 200);

    // Failed authentication, strictly: after three, even a good token from
    // this address waits.
    for _ in 0..4 {
        let (status, _) = app.get_as("bz_wrong_token", "/v1/products").await;
        assert!(status == 401 || status == 429, "{status}");
    }
    let res = app
        .client
        .get(app.url("/v1/products"))
        .bearer_auth(&app.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    app.stop().await;
}

#[tokio::test]
async fn request_ids_are_returned_and_honoured() {
    let app = bazaar_tests::spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42.a")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-42.a");
    let res = app.client.get(app.url("/v1/nowhere")).send().await.unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(made.len() > 8, "{made}");
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(500))
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "x".repeat(500).as_str());
    app.stop().await;
}

/// Sends `request` raw and returns the status and JSON body of the answer.
async fn raw(app: &TestApp, request: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(format!("127.0.0.1:{}", port(app)))
        .await
        .unwrap();
    // The parser may answer before it has read everything.
    let _ = s.write_all(request).await;
    let (_, answer) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    let status: u16 = answer
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:.200}"));
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:.200}")),
    )
}

#[tokio::test]
async fn what_the_http_parser_refuses_is_a_json_error_too() {
    let app = bazaar_tests::spawn_app().await;
    // Past hyper's own limits (64 KiB targets, ~400 KiB heads), where the
    // router never sees the request.
    let long = format!(
        "GET /v1/products?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70 << 10)
    );
    let (status, body) = raw(&app, long.as_bytes()).await;
    assert_eq!(status, 414);
    assert_eq!(body["error"], "uri-too-long");
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(600 << 10)
    );
    let (status, body) = raw(&app, big.as_bytes()).await;
    assert_eq!(status, 431);
    assert_eq!(body["error"], "headers-too-large");
    let (status, body) = raw(&app, b"HELLO THERE\r\n\r\n").await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("HTTP"), "{body}");
    app.stop().await;
}
