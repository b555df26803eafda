//! The change feed never skips an event (issue 13 §10): a reader paging with
//! its cursor sees every event exactly once, whichever order the
//! transactions that wrote them commit in. Run with
//! `BAZAAR_TEST_DATABASE=postgres` for the interleaving that matters; SQLite
//! serialises writers, so there the test only checks the same outcome.

use bazaar_host::domain::catalog::BillingMode;
use bazaar_host::domain::instance::InstanceState;
use bazaar_host::store::{EventHold, EventRow, InstanceRow, Store};
use bazaar_tests::fresh_database_url;
use std::time::Duration;

fn instance(id: &str) -> InstanceRow {
    InstanceRow {
        id: id.into(),
        seller_id: "acc_seller".into(),
        customer_id: "acc_customer".into(),
        product_id: "prd_1".into(),
        product_version: 1,
        spec_id: "standard".into(),
        sku_id: "basic".into(),
        billing_mode: BillingMode::Monthly,
        quantity: 1,
        trial: false,
        state: InstanceState::Active,
        freeze_reason: None,
        expires_at: None,
        seller_instance_id: None,
        app_info: None,
        failure: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn kinds(events: &[EventRow]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

/// One writer holds its event uncommitted while a later one commits; the
/// reader reads in between, then again from its cursor after the first
/// commits. With positions from an identity column the reader saw the later
/// event, moved its cursor past the held one and never saw it.
#[tokio::test]
async fn an_event_committed_after_a_later_one_is_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let store = Store::connect(&url).await.expect("store");
    let seller = "acc_seller";

    let (written, wait_written) = tokio::sync::oneshot::channel();
    let (release, hold) = tokio::sync::oneshot::channel();
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            let hold = EventHold {
                written,
                release: hold,
            };
            store
                .append_event_holding(&instance("ins_1"), "first", "{}", 1, Some(hold))
                .await
        })
    };
    wait_written
        .await
        .expect("the first event is written, uncommitted");
    let second = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append_event(&instance("ins_2"), "second", "{}", 2)
                .await
        })
    };
    // Long enough for the second writer to commit if nothing holds it back.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let page = store.events(seller, 0, 100).await.unwrap();
    let cursor = page.last().map_or(0, |e| e.seq);
    assert!(
        !kinds(&page).contains(&"first"),
        "the held event is not visible yet"
    );

    release.send(()).unwrap();
    first.await.unwrap().expect("the first event commits");
    second.await.unwrap().expect("the second event commits");
    let rest = store.events(seller, cursor, 100).await.unwrap();

    let mut seen = kinds(&page);
    seen.extend(kinds(&rest));
    assert_eq!(
        seen,
        ["first", "second"],
        "every event once, in position order (first page {page:?}, then {rest:?})"
    );
    let all = store.events(seller, 0, 100).await.unwrap();
    assert!(
        all.windows(2).all(|w| w[0].seq + 1 == w[1].seq),
        "positions are consecutive: {all:?}"
    );
}

/// Positions start at 1 and follow on from one transaction to the next, so
/// a cursor is the position of the last event read.
#[tokio::test]
async fn positions_follow_on_from_one_writer_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let store = Store::connect(&url).await.expect("store");
    for n in 0..3 {
        store
            .append_event(&instance("ins_1"), &format!("e{n}"), "{}", n)
            .await
            .unwrap();
    }
    let all = store.events("acc_seller", 0, 100).await.unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(store.events("acc_seller", 2, 100).await.unwrap().len(), 1);
}

/// `latest=true` reads the newest events (in order) and hands the cursor to
/// follow on from: what a console shows first for a seller with more events
/// than one page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_reads_the_newest_events_and_the_cursor_follows_on() {
    use bazaar_tests::market::{buy_active, feed, listed_product};
    let app = bazaar_tests::spawn_app().await;
    let (seller, product, _) = listed_product(&app, "saas_lifecycle", false).await;
    let (_, customer) = app.customer("Carol").await;
    for _ in 0..3 {
        buy_active(&app, &customer, &product, "standard", "basic", "monthly").await;
    }
    let all = feed(&app, &seller).await;
    assert!(all.len() >= 3, "{all:?}");
    let seqs = |events: &[serde_json::Value]| -> Vec<i64> {
        events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
    };
    let (status, newest) = app.get_as(&seller, "/v1/feed?latest=true&limit=2").await;
    assert_eq!(status, 200, "{newest}");
    let got = newest["events"].as_array().unwrap();
    assert_eq!(seqs(got), seqs(&all[all.len() - 2..]), "{newest}");
    assert_eq!(newest["next"], all.last().unwrap()["seq"]);
    // From that cursor: nothing yet, then the next event.
    let next = newest["next"].as_i64().unwrap();
    let (_, after) = app.get_as(&seller, &format!("/v1/feed?after={next}")).await;
    assert_eq!(after["events"], serde_json::json!([]), "{after}");
    buy_active(&app, &customer, &product, "standard", "basic", "monthly").await;
    let (_, after) = app.get_as(&seller, &format!("/v1/feed?after={next}")).await;
    assert_eq!(after["events"].as_array().unwrap().len(), 1, "{after}");
    app.stop().await;
}
