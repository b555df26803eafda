//! Bill generation for 100,000 orders of 1,000 sellers (issue 15): the
//! month's orders are written straight into a fresh database, then every
//! seller's bill is generated as the worker does it (`sellers_due`, then one
//! `generate_bill` transaction per seller). Prints the time on SQLite and,
//! with `BAZAAR_BENCH_POSTGRES_URL` (a server where the bench may create a
//! database), on PostgreSQL.
//!
//! `cargo bench -p bazaar-host --bench bills`; `BAZAAR_BENCH_SELLERS`
//! (default 1000) and `BAZAAR_BENCH_ORDERS_PER_SELLER` (default 100).

#![allow(missing_docs)]

mod common;

use bazaar_host::domain::catalog::date_ms;
use bazaar_host::domain::settlement::BillMonth;
use bazaar_host::store::Store;
use common::env_usize;
use std::time::Instant;

const ROWS: usize = 1000;

/// The bench's own connection, for seeding.
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    async fn run(&self, sql: String) {
        match self {
            Db::Sqlite(p) => sqlx::query(&sql).execute(p).await.map(drop),
            Db::Postgres(p) => sqlx::query(&sql).execute(p).await.map(drop),
        }
        .expect("seed");
    }
}

async fn seed(db: &Db, sellers: usize, per: usize, at: i64) {
    let run = |sql: String| db.run(sql);
    // Literal values, generated here: no user input, and one statement per
    // thousand rows keeps seeding quick on both databases.
    run(format!("INSERT INTO accounts (id, role, name, created_at) VALUES ('cus_bench', 'customer', 'C', {at})")).await;
    let sellers_sql: Vec<String> = (0..sellers)
        .map(|s| format!("('sel_{s:05}', 'seller', 'S{s}', {at})"))
        .collect();
    for chunk in sellers_sql.chunks(ROWS) {
        run(format!(
            "INSERT INTO accounts (id, role, name, created_at) VALUES {}",
            chunk.join(",")
        ))
        .await;
    }
    let products: Vec<String> = (0..sellers)
        .map(|s| format!("('prd_{s:05}', 'sel_{s:05}', 'listed', '{{}}', '{{}}', 1, {at}, {at})"))
        .collect();
    for chunk in products.chunks(ROWS) {
        run(format!(
            "INSERT INTO products (id, seller_id, status, draft, live, live_version, created_at, updated_at) VALUES {}",
            chunk.join(",")
        ))
        .await;
    }
    let n = sellers * per;
    for start in (0..n).step_by(ROWS) {
        let range = start..(start + ROWS).min(n);
        let instances: Vec<String> = range
            .clone()
            .map(|i| {
                let s = i % sellers;
                format!("('ins_{i:07}', 'sel_{s:05}', 'cus_bench', 'prd_{s:05}', 1, 'std', 'one', 'monthly', 1, FALSE, 'active', {at}, {at})")
            })
            .collect();
        run(format!(
            "INSERT INTO instances (id, seller_id, customer_id, product_id, product_version, spec_id, sku_id, \
             billing_mode, quantity, trial, state, created_at, updated_at) VALUES {}",
            instances.join(",")
        ))
        .await;
        let orders: Vec<String> = range
            .map(|i| {
                let s = i % sellers;
                let at = at + i as i64;
                format!("('ord_{i:07}', 'cus_bench', 'sel_{s:05}', 'ins_{i:07}', 'subscribe', 'completed', '10.00', '{{}}', 'paid', {at}, {at}, {at})")
            })
            .collect();
        run(format!(
            "INSERT INTO orders (id, customer_id, seller_id, instance_id, kind, state, amount, detail, payment, \
             effective_at, created_at, updated_at) VALUES {}",
            orders.join(",")
        ))
        .await;
    }
}

async fn generate(store: &Store, month: BillMonth, now: i64) -> (usize, f64) {
    let started = Instant::now();
    let mut bills = 0;
    for seller in store.sellers_due(month).await.expect("due") {
        if store
            .generate_bill(&seller, month, now, None)
            .await
            .expect("bill")
            .is_some()
        {
            bills += 1;
        }
    }
    (bills, started.elapsed().as_secs_f64())
}

fn main() {
    let sellers = env_usize("BAZAAR_BENCH_SELLERS", 1000);
    let per = env_usize("BAZAAR_BENCH_ORDERS_PER_SELLER", 100);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let month = BillMonth {
        year: 2026,
        month: 10,
    };
    let at = date_ms(2026, 10, 5);
    let now = date_ms(2026, 11, 7);
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("bills.db").display());
        let store = Store::connect(&url).await.expect("store");
        let pool = Db::Sqlite(sqlx::SqlitePool::connect(&url).await.expect("pool"));
        seed(&pool, sellers, per, at).await;
        let (bills, secs) = generate(&store, month, now).await;
        println!(
            "bills: SQLite: {bills} bills of {} orders in {secs:.2} s ({:.0} orders/s)",
            sellers * per,
            (sellers * per) as f64 / secs
        );

        if let Ok(server) = std::env::var("BAZAAR_BENCH_POSTGRES_URL") {
            let name = format!("bazaar_bench_bills_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&server).await.expect("postgres");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("create database");
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            let url = format!("{base}/{name}");
            let store = Store::connect(&url).await.expect("store");
            let pool = Db::Postgres(sqlx::PgPool::connect(&url).await.expect("pool"));
            seed(&pool, sellers, per, at).await;
            let (bills, secs) = generate(&store, month, now).await;
            println!(
                "bills: PostgreSQL: {bills} bills of {} orders in {secs:.2} s ({:.0} orders/s)",
                sellers * per,
                (sellers * per) as f64 / secs
            );
            drop((store, pool));
            let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&admin)
                .await;
        }
    });
}
