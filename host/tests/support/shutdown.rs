//! SIGTERM under load: the node stops accepting, answers what it accepted,
//! lets its worker commit, releases its leases and exits 0; every order it
//! acknowledged is there exactly once, and the jobs it had not run are taken
//! over at once — by the other node on PostgreSQL, by the restarted node on
//! SQLite — not after the 30 s lease. Its JSON logs carry the request id.

use super::*;
use std::sync::{Arc, Mutex};

fn sigterm(server: &Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Places orders until `stop`, keeping the instance ids of those answered
/// 2xx; any 5xx is a failure.
async fn load(
    c: Client,
    base: String,
    customer: String,
    product: String,
    worker: usize,
    acked: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let order = json!({"product": product, "specification": "std", "sku": "one", "billing-mode": "monthly"});
    let mut n = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        n += 1;
        let res = c
            .post(format!("{base}/v1/orders"))
            .bearer_auth(&customer)
            .header("idempotency-key", format!("load-{worker}-{n}"))
            .json(&order)
            .send()
            .await;
        let Ok(res) = res else {
            // Refused once the node stopped accepting: not acknowledged.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let status = res.status().as_u16();
        assert!(status < 500, "an order got {status} during shutdown");
        if (200..300).contains(&status) {
            let body: Value = res.json().await.expect("an acknowledged order has a body");
            let id = body["instance"]["id"].as_str().expect("instance id");
            acked.lock().unwrap().push(id.to_string());
        }
    }
}

#[tokio::test]
async fn sigterm_under_load_loses_nothing_and_hands_the_jobs_over_at_once() {
    let postgres = std::env::var("BAZAAR_TEST_DATABASE").as_deref() == Ok("postgres");
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path(), "sigterm").await;
    let log = dir.path().join("node-a.log");
    let a_dir = dir.path().join("a");
    let args = ["--log-format", "json", "--shutdown-grace-secs", "10"];
    let a = start_node(&a_dir, &url, None, &args, Some(&log)).await;
    let c = Client::new();
    let (_seller, customer, product) = open_market(&c, &a).await;
    let b_dir = dir.path().join("b");
    let b = if postgres {
        Some(start_node(&b_dir, &url, None, &[], None).await)
    } else {
        None
    };

    // A request whose id the logs must carry.
    let res = c
        .get(format!("{}/v1/products", a.base))
        .bearer_auth(&customer)
        .header("x-request-id", "sigterm-probe-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "sigterm-probe-1");

    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loaders: Vec<_> = (0..8)
        .map(|w| {
            tokio::spawn(load(
                c.clone(),
                a.base.clone(),
                customer.clone(),
                product.clone(),
                w,
                acked.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = acked.lock().unwrap().len();
    assert!(before > 0, "no order was acknowledged under load");
    let termed = Instant::now();
    sigterm(&a);
    let mut a = a;
    let exit = loop {
        if let Some(status) = a.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            termed.elapsed() < Duration::from_secs(20),
            "the node did not stop within its grace period"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in loaders {
        l.await.expect("no load task failed");
    }
    assert!(exit.success(), "SIGTERM exits 0, got {exit:?}");
    let acked = acked.lock().unwrap().clone();

    // The other node (or the restarted one) provisions everything at once.
    let taker = match b {
        Some(b) => b,
        None => start_node(&a_dir, &url, None, &[], None).await,
    };
    let taken_over = Instant::now();
    let total = acked.len() as i64;
    loop {
        let active = count(
            &url,
            "SELECT COUNT(*) FROM instances WHERE state = 'active'",
        )
        .await;
        if active >= total {
            break;
        }
        assert!(
            taken_over.elapsed() < Duration::from_secs(15),
            "only {active} of {total} acknowledged orders provisioned after the handover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unique: std::collections::BTreeSet<_> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len(), "an order was acknowledged twice");
    for id in &unique {
        let n = count(
            &url,
            &format!("SELECT COUNT(*) FROM instances WHERE id = '{id}'"),
        )
        .await;
        assert_eq!(n, 1, "acknowledged instance {id} is missing");
    }
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM lifecycle_jobs WHERE lease IS NOT NULL"
        )
        .await,
        0,
        "no job is left leased"
    );
    drop(taker);

    // JSON lines; the probe's access line carries its request id.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:.200}")))
        .collect();
    let probe = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "request served"
                && l["spans"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["request_id"] == "sigterm-probe-1"))
        })
        .expect("an access-log line with the probe's request id");
    assert_eq!(probe["fields"]["status"], 200);
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "the node logged its clean stop"
    );
}
