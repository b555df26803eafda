//! Every refusal is a JSON body saying what and where, whichever layer
//! refuses: a handler, a parameter parser, the router or a size limit.

use bazaar_tests::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Sends a raw request; returns status, content type, the `Allow` header
/// and the body (which must be JSON).
async fn raw(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, String, Option<String>, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let kind = header("content-type").unwrap_or_default();
    let allow = header("allow");
    let text = res.text().await.expect("body");
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path} answered {status} with a non-JSON body: {text:?}"));
    (status, kind, allow, body)
}

#[tokio::test]
async fn refusals_outside_handlers_are_json_and_say_what() {
    let app = spawn_app().await;
    // (method, path, headers, body, status, error code)
    type Case<'a> = (
        Method,
        String,
        Vec<(&'a str, String)>,
        Vec<u8>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            Method::GET,
            "/v1/feed?after=abc".into(),
            vec![],
            vec![],
            400,
            "bad-request",
        ),
        (
            Method::GET,
            "/v1/feed?limit=abc".into(),
            vec![],
            vec![],
            400,
            "bad-request",
        ),
        (
            Method::GET,
            "/v1/products/%FF%FE".into(),
            vec![],
            vec![],
            400,
            "bad-request",
        ),
        (
            Method::DELETE,
            "/v1/feed".into(),
            vec![],
            vec![],
            405,
            "method-not-allowed",
        ),
        (
            Method::GET,
            "/v1/nowhere".into(),
            vec![],
            vec![],
            404,
            "not-found",
        ),
        (
            Method::GET,
            format!("/v1/products/{}", "p".repeat(20_000)),
            vec![],
            vec![],
            414,
            "uri-too-long",
        ),
        (
            Method::GET,
            "/v1/products".into(),
            vec![("x-padding", "h".repeat(40_000))],
            vec![],
            431,
            "headers-too-large",
        ),
    ];
    for (method, path, headers, body, want, code) in cases {
        let shown = path.chars().take(60).collect::<String>();
        let (status, kind, _, body) =
            raw(&app, &app.seller, method.clone(), &path, &headers, body).await;
        assert_eq!(status, want, "{method} {shown}: {body}");
        assert!(
            kind.starts_with("application/json"),
            "{method} {shown}: {kind}"
        );
        assert_eq!(body["error"], code, "{method} {shown}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {shown}: {body}"
        );
    }

    // Query errors name the parameter.
    let (_, _, _, body) = raw(
        &app,
        &app.seller,
        Method::GET,
        "/v1/feed?after=abc",
        &[],
        vec![],
    )
    .await;
    assert_eq!(body["field"], "after", "{body}");

    // A 405 still says which methods the route has.
    let (_, _, allow, _) = raw(&app, &app.seller, Method::DELETE, "/v1/feed", &[], vec![]).await;
    assert_eq!(allow.as_deref(), Some("GET,HEAD"));

    // A body over the limit is refused, in JSON, before it is buffered.
    let limit = bazaar_tests::test_limits().component_bytes as usize;
    let (status, _, _, body) = raw(
        &app,
        &app.operator,
        Method::POST,
        "/v1/accounts",
        &[("content-type", "application/json".into())],
        vec![b' '; limit + 64 * 1024],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "too-large", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn data_after_a_json_body_is_refused() {
    let app = spawn_app().await;
    let json = [("content-type", "application/json".to_string())];
    let send = |body: &'static str| {
        raw(
            &app,
            &app.operator,
            Method::POST,
            "/v1/accounts",
            &json,
            body.as_bytes().to_vec(),
        )
    };
    let (status, _, _, body) = send(r#"{"role":"customer","name":"t"}garbage"#).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("after the JSON value"),
        "{body}"
    );
    let (status, _, _, body) = send(r#"{"role":"customer","name":"t"} {"role":"seller"}"#).await;
    assert_eq!(status, 400, "two values: {body}");
    // Whitespace after the value is not data.
    let app_token = app.operator.clone();
    let res = app
        .client
        .post(app.url("/v1/accounts"))
        .bearer_auth(&app_token)
        .header("content-type", "application/json")
        .body("{\"role\":\"customer\",\"name\":\"t\"} \n\t ")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 201);
    app.stop().await;
}

#[tokio::test]
async fn errors_quote_at_most_a_few_hundred_characters_of_what_was_sent() {
    let app = spawn_app().await;
    let long = "x".repeat(7_000);
    let (status, body) = app.get(&format!("/v1/products/{long}")).await;
    assert_eq!(status, 404, "{body}");
    let text = body.to_string();
    assert!(
        text.len() < 1_000,
        "a {}-byte error for a 7 KB id",
        text.len()
    );

    let (_, customer) = app.customer("quoter").await;
    let huge = "y".repeat(1_000_000);
    let (status, body) = app
        .post_as(
            &customer,
            "/v1/orders",
            json!({"product": huge, "specification": "s", "sku": "k",
                   "billing-mode": "monthly", "periods": 1}),
        )
        .await;
    assert!((400..500).contains(&status), "{status}: {body}");
    let text = body.to_string();
    assert!(
        text.len() < 1_000,
        "a {}-byte error for a 1 MB id",
        text.len()
    );
    app.stop().await;
}
