//! Drain a station backlog into the county over loopback (signed requests,
//! signed answers, verified both ways), and compare with the raw multi-row
//! INSERT rate of the same rows into the same PostgreSQL; once per suite
//! (Ed25519 + SHA-256, and 国密 SM2 + SM3).
//!
//!   cargo bench -p yichuang-county --bench drain          # 10,000 events, best of 3
//!   YICHUANG_BENCH_EVENTS=1000 YICHUANG_BENCH_RUNS=1 cargo bench -p yichuang-county --bench drain   # smoke
//!
//! Under `cargo test --all-targets` (debug) it runs at smoke size (1,000 events, one run).
//!
//! PostgreSQL as in the tests: YICHUANG_TEST_PG_URL, else scripts/pg-test-cluster.sh.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{MemOutbox, client, enrol};
use yichuang_county::pg::insert_events;
use yichuang_sync::ClientOptions;
use yichuang_wire::MAX_BATCH_EVENTS;

/// Best and median of the runs (the machine is shared; best-of-N is the
/// least noisy estimate of what the code can do).
fn best_and_median(mut rates: Vec<f64>) -> (f64, f64) {
    rates.sort_by(|a, b| b.total_cmp(a));
    (rates[0], rates[rates.len() / 2])
}

fn backlog(log_id: &str, n: usize) -> MemOutbox {
    // A realistic backlog, the events a counter day writes, each projected
    // in full: a case registered (applicant, materials), accepted (its
    // dates), its notice issued (every printed field) and printed, its
    // 好差评 asked and answered. Payloads of 250–900 bytes.
    let ob = MemOutbox::new(log_id);
    for i in 0..n {
        let c = i / 6;
        let case_no = format!("S01-20261123-{c:06}");
        let (kind, payload) = match i % 6 {
            0 => (
                "case.registered",
                format!(
                    r#"{{"case_no":"{case_no}","state":"registered","item_code":"RS-SY-{:03}","catalog_version":"2026.1.2","actor":"200{}","handler":"200{}","received_on":"2026-11-23","onetime_notice_due":"2026-11-30","applicant":{{"kind":"person","name":"张三丰","id_type":"resident_id","id_no":"11010519491231002X"}},"agent":null,"materials":[{{"code":"M1","name":"居民身份证","status":"submitted"}},{{"code":"M2","name":"劳动合同或工资发放记录","status":"submitted"}},{{"code":"M3","name":"医疗诊断证明","status":"missing"}}]}}"#,
                    c % 12,
                    c % 7,
                    c % 7
                ),
            ),
            1 => (
                "case.accept",
                format!(
                    r#"{{"case_no":"{case_no}","state":"accepted","from":"registered","item_code":"RS-SY-{:03}","actor":"200{}","accepted_on":"2026-11-23","promised_due":"2026-12-14","statutory_due":"2027-01-20"}}"#,
                    c % 12,
                    c % 7
                ),
            ),
            2 => (
                "notice.issued",
                format!(
                    r#"{{"case_no":"{case_no}","kind":"acceptance_notice","doc_no":"示人社受字〔2026〕第{c}号","actor":"200{}","template_version":"2026.1.2","pdf_sha256":"{}","fields":{{"applicant_name":"张三丰","item_name":"工伤认定申请","received_on":"2026年11月23日","promised_due":"2026年12月14日","statutory_due":"2027年1月20日","issuer":"示范县人力资源和社会保障局","contact":"0000-0000000","basis":"《工伤保险条例》第二十条"}}}}"#,
                    c % 7,
                    "ab".repeat(32)
                ),
            ),
            3 => (
                "notice.printed",
                format!(
                    r#"{{"doc_no":"示人社受字〔2026〕第{c}号","case_no":"{case_no}","n":1,"reprint":false,"pdf_sha256":"{}","actor":"200{}"}}"#,
                    "ab".repeat(32),
                    c % 7
                ),
            ),
            4 => (
                "evaluation.requested",
                format!(
                    r#"{{"case_no":"{case_no}","channel":"applicant_screen","screen":"评价器-1","actor":"200{}"}}"#,
                    c % 7
                ),
            ),
            _ => (
                "evaluation.answered",
                format!(
                    r#"{{"case_no":"{case_no}","channel":"applicant_screen","level":"satisfied","good":true,"reasons":[],"comment":"办事效率高"}}"#
                ),
            ),
        };
        ob.append(kind, &payload);
    }
    ob
}

fn main() {
    for suite in [yichuang_wire::ALG_ED25519, yichuang_wire::ALG_SM2] {
        bench(suite);
    }
}

fn bench(suite: &str) {
    // Under `cargo test` (a debug build) a smoke size; `cargo bench` the full.
    let (full_n, full_runs) = if cfg!(debug_assertions) {
        (1_000, 1)
    } else {
        (10_000, 3)
    };
    let n: usize = std::env::var("YICHUANG_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(full_n);
    let runs: usize = std::env::var("YICHUANG_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(full_runs)
        .max(1);
    let (srv, _db) = common::server_of(&format!("yc_bench_{suite}"), suite);
    let pool = srv.state.storage.pool.clone();

    let mut drain_rates = Vec::new();
    let mut raw_rates = Vec::new();
    for run in 0..runs {
        // Each run drains a fresh device's backlog (one device, one log).
        let (reg, key) = enrol(&srv, &srv.url(), &format!("S{run:03}"));
        let c = client(
            &reg,
            &key,
            ClientOptions {
                timeout: Duration::from_secs(120),
                ..ClientOptions::default()
            },
        );
        let ob = backlog(&format!("log-bench-{run}"), n);
        let t = Instant::now();
        let report = c.sync_once(&ob).expect("drain");
        let drain = t.elapsed();
        assert_eq!(report.stored as usize, n);
        drain_rates.push(n as f64 / drain.as_secs_f64());
        println!(
            "run {run}: drain {n} events in {:.3} s ({} signed batches over loopback, chain verified, projected; {} sent again after overtaking)",
            drain.as_secs_f64(),
            report.batches,
            report.overtaken
        );

        // The same rows, straight into the same table with the same
        // multi-row INSERT, one transaction per batch, no HTTP/JSON/
        // signature/verification/projection.
        let raw_log = format!("log-bench-raw-{run}");
        let mut raw: Vec<_> = ob.events.lock().unwrap().clone();
        for e in &mut raw {
            e.log_id = raw_log.clone();
        }
        let t = Instant::now();
        srv.block_on(async {
            let mut client = pool.get().await.expect("connection");
            for chunk in raw.chunks(MAX_BATCH_EVENTS) {
                let tx = client.transaction().await.expect("begin");
                insert_events(&tx, &reg.device_id, &raw_log, chunk)
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
            }
        });
        let insert = t.elapsed();
        raw_rates.push(n as f64 / insert.as_secs_f64());
        println!(
            "run {run}: raw insert {n} rows in {:.3} s ({MAX_BATCH_EVENTS}-row multi-row INSERT, one transaction each)",
            insert.as_secs_f64()
        );
    }
    let (drain_best, drain_median) = best_and_median(drain_rates);
    let (raw_best, raw_median) = best_and_median(raw_rates);
    println!("[{suite}] drain: {drain_best:.0} events/s best, {drain_median:.0} median of {runs}");
    println!("[{suite}] raw insert: {raw_best:.0} rows/s best, {raw_median:.0} median of {runs}");
    println!(
        "[{suite}] ratio drain/raw = {:.2} best/best, {:.2} median/median (goal >= 0.25)",
        drain_best / raw_best,
        drain_median / raw_median
    );
}
