//! The `bazaar plugin` commands as a seller runs them.

#[path = "support/common.rs"]
mod common;

use common::plugin;
use std::process::{Command, Output};

fn bazaar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bazaar"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("bazaar runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_prints_worlds_functions_and_limits() {
    let file = plugin("saas_lifecycle");
    let out = bazaar(&["plugin", "check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        report["worlds"],
        serde_json::json!(["lifecycle", "metering"])
    );
    let functions: Vec<&str> = report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for f in [
        "create-instance",
        "query-instance",
        "update-instance",
        "release-instance",
        "collect-usage",
    ] {
        assert!(functions.contains(&f), "{f} in {functions:?}");
    }
    assert!(report["limits"]["memory-bytes"].as_u64().unwrap() > 0);
}

#[test]
fn check_names_the_missing_import_and_fails() {
    let file = plugin("bad_import");
    let out = bazaar(&["plugin", "check", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("evil:net/socket"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn call_prints_output_logs_fuel_and_duration() {
    let file = plugin("tiered_pricing");
    let input = r#"{"request": {"product-id": "p", "sku-code": "s", "billing-mode": "monthly",
        "attributes": [], "quantity": "8", "period-count": 1, "trial": false, "currency": "CNY"}}"#;
    let out = bazaar(&[
        "plugin",
        "call",
        file.to_str().unwrap(),
        "pricing",
        "quote",
        "--input",
        input,
        "--seed",
        "1",
        "--now-ms",
        "0",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The seeds' tiered example: 3 units at 0.30 + 5 units at 0.20.
    assert!(stdout.contains(r#""total": "1.90""#), "{stdout}");
    assert!(stdout.contains("fuel used: "), "{stdout}");
    assert!(stdout.contains("duration: "), "{stdout}");

    let json = bazaar(&[
        "plugin",
        "call",
        file.to_str().unwrap(),
        "pricing",
        "quote",
        "--input",
        input,
        "--seed",
        "1",
        "--now-ms",
        "0",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON outcome");
    assert_eq!(v["output"]["ok"]["total"], "1.90");
    assert!(v["transcript"].is_array());
}

#[test]
fn a_failing_call_exits_non_zero_with_the_typed_error() {
    let file = plugin("hostile");
    let input = r#"{"subscription": {"order-id": "o", "customer-id": "c", "customer-name": "loop",
        "product-id": "p", "sku-code": "s", "billing-mode": "monthly", "attributes": [], "quantity": "1",
        "period-count": 1, "trial": false}}"#;
    let out = bazaar(&[
        "plugin",
        "call",
        file.to_str().unwrap(),
        "lifecycle",
        "create-instance",
        "--input",
        input,
        "--fuel",
        "1000000",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ran out of fuel"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_case_saved_by_call_replays_from_its_file_and_a_mismatch_fails() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("create.json");
    let life = plugin("saas_lifecycle");
    let input = r#"{"subscription": {"order-id": "o", "customer-id": "c", "customer-name": "C",
        "product-id": "p", "sku-code": "s", "billing-mode": "monthly", "attributes": [], "quantity": "1",
        "period-count": 1, "trial": false}}"#;
    let out = bazaar(&[
        "plugin",
        "call",
        life.to_str().unwrap(),
        "lifecycle",
        "create-instance",
        "--input",
        input,
        "--seed",
        "3",
        "--config",
        "base-url=https://x.example",
        "--save-case",
        case.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The transcript of host calls is printed, one call a line.
    assert!(
        text(&out.stdout).contains(r#"{"call":"config-get","key":"base-url""#),
        "{}",
        text(&out.stdout)
    );
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&case).unwrap()).expect("a case file");
    assert_eq!(file["cases"][0]["scenario"], "create");

    let case_arg = case.to_str().unwrap();
    let same = bazaar(&[
        "case",
        "replay",
        "--plugin",
        life.to_str().unwrap(),
        case_arg,
    ]);
    assert!(same.status.success(), "{}", text(&same.stdout));
    assert!(
        text(&same.stdout).contains("1 passed, 0 failed"),
        "{}",
        text(&same.stdout)
    );

    let other = plugin("hostile");
    let out = bazaar(&[
        "case",
        "replay",
        "--plugin",
        other.to_str().unwrap(),
        case_arg,
    ]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL") && stdout.contains("host-call"),
        "{stdout}"
    );
}
