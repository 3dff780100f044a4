//! The console's pages at county scale: 30 stations and 1,000,000 cases
//! (with their evaluations, notices, 否定备案 filings, withdrawals and
//! 挂牌督办 flags) in the projections, then each page's server work timed
//! over HTTP on loopback as a logged-in browser asks it (session check,
//! queries, the engine's rules, JSON). Goal: ≤ 300 ms per page.
//!
//!   cargo bench -p yichuang-county --bench console               # 1,000,000 cases
//!   YICHUANG_BENCH_CASES=100000 cargo bench -p yichuang-county --bench console
//!
//! Under `cargo test --all-targets` (debug) it runs at smoke size (9,000 cases).
//! PostgreSQL as in the tests: YICHUANG_TEST_PG_URL, else scripts/pg-test-cluster.sh.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::browser::{admin, first_admin};
use common::raw_sql;

const STATIONS: i64 = 30;
const RUNS: usize = 7;
const GOAL_MS: f64 = 300.0;

/// The projections a county of `cases` cases would hold, written straight
/// into PostgreSQL (the drain bench measures getting them there).
fn fill(db: &str, cases: i64) {
    let t = Instant::now();
    let sql = format!(
        "
        INSERT INTO devices (device_id, station_code, algorithm, public_key, log_id, head_seq, projected_seq,
                             last_upload_at, last_contact_at)
        SELECT 'dev-' || s, 'S' || lpad(s::text, 2, '0'), 'ed25519', 'bench', 'log-' || s, 0, 0, now(), now()
        FROM generate_series(1, {STATIONS}) s;
        INSERT INTO station_facts (log_id, station_code, station_name, at_risk_days, catalog_version,
                                   templates_version, calendar_version, last_device_time, last_seq)
        SELECT 'log-' || s, 'S' || lpad(s::text, 2, '0'), '第' || s || '服务站', 2 + s % 3, '2026.1.2',
               '2026.1.2', '1', '2026-11-23T17:00:00+08:00', 0
        FROM generate_series(1, {STATIONS}) s;
        -- Cases over the year to 2026-11-23; most closed, some refused,
        -- withdrawn or terminated; of the last 40 days' a fifth still open
        -- with their dates (a county's open work, overdue ones among them).
        CREATE TEMP TABLE g0 AS
        -- In the order they arrive (as the projection writes them): a day's
        -- cases lie together.
        SELECT i, (i % {STATIONS}) + 1 AS s,
               DATE '2026-11-23' - 364 + ((i - 1)::bigint * 365 / {cases})::int AS d
        FROM generate_series(1, {cases}) i;
        CREATE TEMP TABLE g AS
        SELECT i, s, d,
               CASE WHEN i % 100 < 70 OR (i % 100 >= 79 AND d < DATE '2026-11-23' - 40) THEN 'completed_approved'
                    WHEN i % 100 < 75 THEN 'rejected'
                    WHEN i % 100 < 78 THEN 'withdrawn'
                    WHEN i % 100 < 79 THEN 'terminated'
                    WHEN i % 100 < 92 THEN 'in_progress'
                    WHEN i % 100 < 97 THEN 'accepted_with_commitment'
                    ELSE 'registered' END AS state
        FROM g0;
        INSERT INTO cases (log_id, case_no, station_code, state, item_code, actor, last_kind, last_seq,
                           last_event_id, last_device_time, received_on, accepted_on, promised_due,
                           statutory_due, supplement_due, closed_on, registered_at, first_contact, handler,
                           catalog_version, onetime_due, applicant_masked, applicant_id_masked)
        SELECT 'log-' || s, 'S' || lpad(s::text, 2, '0') || '-' || to_char(d, 'YYYYMMDD') || '-' || lpad(i::text, 7, '0'),
               'S' || lpad(s::text, 2, '0'), state, 'RS-SY-' || lpad((i % 12)::text, 3, '0'),
               (2001 + i % 4)::text, 'case.' || state, i, 'e' || i, d::text || 'T10:00:00+08:00', d, d,
               d + 15 + (i % 10), d + 30 + (i % 20),
               CASE WHEN state = 'accepted_with_commitment' THEN d + 10 END,
               CASE WHEN state IN ('completed_approved', 'rejected', 'withdrawn', 'terminated') THEN d + 3 END,
               d::text || 'T09:00:00+08:00', (2001 + i % 4)::text, (2001 + i % 4)::text, '2026.1.2', d + 5,
               '张*' || (i % 10), '110105********' || lpad((i % 10000)::text, 4, '0')
        FROM g;
        INSERT INTO evaluations (log_id, case_no, station_code, status, channel, level, good, reasons,
                                 comment, requested_at, answered_at, last_seq, received_on)
        SELECT c.log_id, c.case_no, c.station_code,
               CASE WHEN g.i % 10 < 7 THEN 'answered' WHEN g.i % 10 < 8 THEN 'defaulted' ELSE 'requested' END,
               CASE WHEN g.i % 10 < 6 THEN 'applicant_screen' ELSE 'paper' END,
               CASE WHEN g.i % 10 < 5 THEN 'satisfied' WHEN g.i % 10 < 6 THEN 'basically_satisfied'
                    ELSE 'dissatisfied' END,
               g.i % 10 < 6, CASE WHEN g.i % 10 = 6 THEN '[\"服务态度欠佳\"]' END, NULL,
               c.registered_at, c.registered_at, g.i, c.received_on
        FROM cases c JOIN g ON c.last_seq = g.i WHERE g.i % 10 < 9;
        INSERT INTO notices (log_id, station_code, doc_no, case_no, kind, issued_by, issued_at,
                             template_version, pdf_sha256, prints, reprints)
        SELECT log_id, station_code, case_no || '-N', case_no,
               CASE WHEN state = 'rejected' THEN 'rejection_notice' ELSE 'acceptance_notice' END,
               handler, registered_at, '2026.1.2', md5(case_no) || md5(case_no), 1, (last_seq % 20 = 0)::int
        FROM cases;
        INSERT INTO filings (log_id, seq, station_code, case_no, kind, reason, legal_basis, proposed_by,
                             approved_by, decided_on, device_time)
        SELECT log_id, last_seq, station_code, case_no,
               CASE state WHEN 'rejected' THEN 'not_accepted' ELSE state END,
               '不属于本机关职权范围', '《中华人民共和国行政许可法》第三十二条第一款第二项',
               handler, CASE WHEN state = 'rejected' THEN '1001' END, closed_on, last_device_time
        FROM cases WHERE state IN ('rejected', 'withdrawn', 'terminated');
        INSERT INTO staff (login, name, role, password_hash)
        VALUES ('bench.office', '督办', 'approval_office', 'x');
        INSERT INTO supervision (station_code, case_no, note, flagged_by)
        SELECT station_code, case_no, '请办结', (SELECT id FROM staff WHERE login = 'bench.office')
        FROM cases WHERE state = 'in_progress' ORDER BY last_seq LIMIT 60;
        ANALYZE;
        "
    );
    raw_sql::batch(db, &sql);
    println!(
        "fixture: {STATIONS} stations, {cases} cases with evaluations, notices, filings and flags in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let cases: i64 = std::env::var("YICHUANG_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            9_000
        } else {
            1_000_000
        });
    let (srv, db) = common::server("yc_bench_console");
    fill(&db, cases);
    first_admin(&srv);
    let b = admin(&srv);
    let pages = [
        ("总览", "overview?date=2026-11-23"),
        ("好差评", "evaluations?month=2026-11"),
        ("否定备案审查", "filings?month=2026-11"),
        (
            "否定备案审查（通报：存疑）",
            "filings?month=2026-11&verdict=doubtful",
        ),
        ("时限督办", "supervision?date=2026-11-23"),
        (
            "时限督办（挂牌督办）",
            "supervision?date=2026-11-23&show=flagged",
        ),
        ("审计日志", "audit"),
    ];
    let mut worst: f64 = 0.0;
    for (name, path) in pages {
        let mut ms = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let a = b.get(path);
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(a.status, 200, "{path}: {}", a.body);
        }
        ms.sort_by(f64::total_cmp);
        let median = ms[ms.len() / 2];
        worst = worst.max(median);
        println!(
            "{name:<28} {path:<44} median {median:7.1} ms  min {:7.1}  max {:7.1}  ({RUNS} runs)",
            ms[0],
            ms[ms.len() - 1]
        );
    }
    // The exports: every row of the period, not one page (no goal stated).
    for (name, path) in [
        ("否定备案 .xlsx", "filings/export?month=2026-11"),
        ("时限督办 .xlsx", "supervision/export?date=2026-11-23"),
    ] {
        let t = Instant::now();
        let a = b.get(path);
        assert_eq!(a.status, 200);
        println!(
            "{name:<28} {path:<44} {:7.1} ms, {} bytes",
            t.elapsed().as_secs_f64() * 1000.0,
            a.bytes.len()
        );
    }
    // A million-case database is a gigabyte or two: not left behind.
    drop(b);
    drop(srv);
    let name = db.rsplit('/').next().unwrap_or_default().to_owned();
    let _ = raw_sql::try_execute(
        common::pg::cluster_url(),
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    println!(
        "slowest page median {worst:.1} ms at {cases} cases, {STATIONS} stations (goal <= {GOAL_MS:.0} ms): {}",
        if worst <= GOAL_MS { "met" } else { "NOT met" }
    );
}
