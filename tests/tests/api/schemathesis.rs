//! The OpenAPI document against the service itself: schemathesis (PyPI)
//! generates requests from `/v1/openapi.json` as the operator, a seller and
//! a customer, with every check (`schemathesis.toml` at the repository root
//! says which answers to business rules count as accepted), and must find
//! nothing. `cargo xtask test` installs it and runs this with
//! `BAZAAR_SCHEMATHESIS` naming its `st`.

use bazaar_tests::{spawn_configured, test_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis: run by `cargo xtask test` (BAZAAR_SCHEMATHESIS=path/to/st)"]
async fn the_openapi_document_holds_for_every_role() {
    let st = std::env::var("BAZAAR_SCHEMATHESIS")
        .expect("BAZAAR_SCHEMATHESIS names schemathesis' `st` (cargo xtask test sets it)");
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemathesis.toml");
    let (mut settings, dir) = test_settings(Vec::new(), None, None, None).await;
    // Its auth checks fail authentication on purpose, hundreds of times: with
    // the per-address limit on, everything after would be a `429`.
    settings.guards.rates = bazaar_host::api::rate_limits::RateLimits::off();
    let app = spawn_configured(settings, dir)
        .await
        .expect("service starts");
    let (_, customer) = app.customer("Fuzzing Customer").await;
    let document = app.url("/v1/openapi.json");
    for (role, token) in [
        ("operator", app.operator.clone()),
        ("seller", app.seller.clone()),
        ("customer", customer),
    ] {
        let mut attempts = 0;
        let (out, text) = loop {
            attempts += 1;
            let (st, config, document) = (st.clone(), config.clone(), document.clone());
            let token = token.clone();
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new(&st)
                    .arg("--config-file")
                    .arg(&config)
                    .arg("--no-color")
                    .args(["run", &document, "--max-examples", "10", "--workers", "2"])
                    .arg("--generation-deterministic")
                    .args(["-H", &format!("Authorization: Bearer {token}")])
                    .output()
                    .expect("schemathesis runs")
            })
            .await
            .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            // Hypothesis, describing a strategy's lambda, now and then hits
            // CPython 3.11's "AST constructor recursion depth mismatch": a
            // crash of the tool (reported as a Runtime Error), not an answer
            // of the service's. Only that is run again, twice at most.
            let tool_crash = !out.status.success()
                && text.contains("AST constructor recursion depth mismatch")
                && !text.contains("FAILURES");
            if !tool_crash || attempts == 3 {
                break (out, text);
            }
        };
        let tail: String = text
            .lines()
            .rev()
            .take(250)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            out.status.success(),
            "schemathesis as {role} found problems:\n{tail}"
        );
    }
    app.stop().await;
}
