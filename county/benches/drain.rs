//! Drain a station backlog into the county over loopback, and compare with
//! the raw multi-row INSERT rate of the same rows into the same PostgreSQL.
//!
//!   cargo bench -p yichuang-county --bench drain
//!   YICHUANG_BENCH_EVENTS=1000 cargo bench -p yichuang-county --bench drain   # smoke
//!
//! PostgreSQL as in the tests: YICHUANG_TEST_PG_URL, else scripts/pg-test-cluster.sh.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{MemOutbox, client, enrol, server};
use yichuang_county::store;
use yichuang_sync::ClientOptions;
use yichuang_wire::MAX_BATCH_EVENTS;

fn main() {
    let n: usize = std::env::var("YICHUANG_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let (srv, _db) = server("yc_bench");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(
        &reg,
        &key,
        ClientOptions {
            timeout: Duration::from_secs(120),
            ..ClientOptions::default()
        },
    );

    // A realistic backlog: case events with ~250-byte payloads.
    let ob = MemOutbox::new("log-bench");
    for i in 0..n {
        ob.append(
            "case.accepted",
            &format!(
                r#"{{"case_no":"2026-{:06}","state":"accepted","item_code":"ITEM-{:03}","actor":"clerk-{}","applicant":"张三","id_masked":"110101********1234","note":"窗口受理，材料齐全"}}"#,
                i % 3000,
                i % 120,
                i % 7
            ),
        );
    }

    let t = Instant::now();
    let report = c.sync_once(&ob).expect("drain");
    let drain = t.elapsed();
    assert_eq!(report.stored as usize, n);
    let drain_rate = n as f64 / drain.as_secs_f64();
    println!(
        "drain: {n} events in {:.3} s = {drain_rate:.0} events/s ({} signed batches over loopback, chain verified, projected)",
        drain.as_secs_f64(),
        report.batches
    );

    // The same rows, straight into the same table with the same multi-row
    // INSERT, one transaction per batch, no HTTP/JSON/signature/verification.
    let mut raw: Vec<_> = ob.events.lock().unwrap().clone();
    for e in &mut raw {
        e.log_id = "log-bench-raw".into();
    }
    let pool = srv.state.storage.pool.clone();
    let t = Instant::now();
    srv.block_on(async {
        let mut client = pool.get().await.expect("connection");
        for chunk in raw.chunks(MAX_BATCH_EVENTS) {
            let tx = client.transaction().await.expect("begin");
            store::insert_events(&tx, &reg.device_id, "log-bench-raw", chunk)
                .await
                .expect("insert");
            tx.commit().await.expect("commit");
        }
    });
    let insert = t.elapsed();
    let raw_rate = n as f64 / insert.as_secs_f64();
    println!(
        "raw insert: {n} rows in {:.3} s = {raw_rate:.0} rows/s ({MAX_BATCH_EVENTS}-row multi-row INSERT, one transaction each)",
        insert.as_secs_f64()
    );
    println!(
        "ratio drain/raw = {:.2} (goal >= 0.25)",
        drain_rate / raw_rate
    );
}
