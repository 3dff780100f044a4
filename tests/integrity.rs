//! The station's records cannot be silently altered or lost: the event chain
//! names the first tampered seq, and a process killed mid-write leaves a
//! consistent database (no state without its event, no event without its state).

use std::process::Command;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use yichuang_engine::{Engine, Error};
use yichuang_testkit::*;

fn seeded() -> Station {
    let s = station();
    yichuang_engine::demo::seed_synthetic(&s.e, &s.clerk, 12, 0).unwrap();
    s
}

/// Tampering happens behind the engine's back, with the triggers dropped, as
/// someone with a hex editor or the sqlite3 shell would.
fn tamper(s: &Station, sql: &str) -> Engine {
    let path = s.e.path().to_owned();
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch(&format!(
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; PRAGMA foreign_keys = OFF; {sql}"
    ))
    .unwrap();
    drop(raw);
    Engine::open(&path).unwrap()
}

fn first_bad_seq(e: &Engine) -> u64 {
    match e.verify_log() {
        Err(Error::Chain(c)) => c.seq(),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn intact_log_verifies() {
    let s = seeded();
    let r = s.e.verify_log().unwrap();
    assert!(r.events > 40, "{r:?}");
}

#[test]
fn triggers_forbid_update_and_delete() {
    let s = seeded();
    let c = s.e.connection();
    assert!(
        c.execute("UPDATE events SET payload = '{}' WHERE seq = 3", [])
            .is_err()
    );
    assert!(c.execute("DELETE FROM events WHERE seq = 3", []).is_err());
    s.e.verify_log().unwrap();
}

#[test]
fn changed_payload_is_caught_at_its_seq() {
    let s = seeded();
    let e = tamper(
        &s,
        "UPDATE events SET payload = replace(payload, 'received', 'missing') WHERE seq = 20",
    );
    assert_eq!(first_bad_seq(&e), 20);
}

#[test]
fn deleted_row_is_caught() {
    let s = seeded();
    let e = tamper(&s, "DELETE FROM events WHERE seq = 17");
    assert_eq!(first_bad_seq(&e), 18);
}

#[test]
fn reordered_seqs_are_caught() {
    let s = seeded();
    let e = tamper(
        &s,
        "UPDATE events SET seq = -1 WHERE seq = 10; UPDATE events SET seq = 10 WHERE seq = 11;
         UPDATE events SET seq = 11 WHERE seq = -1;",
    );
    assert_eq!(first_bad_seq(&e), 10);
}

#[test]
fn cli_log_verify_exit_codes() {
    let s = seeded();
    let bin = env!("CARGO_BIN_EXE_yichuang");
    let ok = Command::new(bin)
        .args(["--db", s.e.path().to_str().unwrap(), "log", "verify"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let _e = tamper(&s, "UPDATE events SET kind = 'x' WHERE seq = 5");
    let bad = Command::new(bin)
        .args(["--db", s.e.path().to_str().unwrap(), "log", "verify"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(msg.contains("第 5 条"), "{msg}");
}

fn count(path: &std::path::Path, sql: &str) -> i64 {
    let c = Connection::open(path).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

/// Every case's state is the state of its latest case event, and every case
/// event and notice event has its row.
fn assert_consistent(path: &std::path::Path) {
    let c = Connection::open(path).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let e = Engine::open(path).unwrap();
    e.verify_log().unwrap();
    let mut stmt = c
        .prepare(
            "SELECT c.case_no, c.state, c.last_event_seq, ev.payload,
                    (SELECT max(seq) FROM events WHERE kind LIKE 'case.%'
                        AND json_extract(payload, '$.case_no') = c.case_no)
             FROM cases c JOIN events ev ON ev.seq = c.last_event_seq",
        )
        .unwrap();
    let rows: Vec<(String, String, i64, String, i64)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (case_no, state, last, payload, max_seq) in &rows {
        let p: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(p["case_no"], *case_no);
        assert_eq!(p["state"], *state, "{case_no}: state without its event");
        assert_eq!(last, max_seq, "{case_no}: event without its state");
    }
    let orphan_events: i64 = c
        .query_row(
            "SELECT count(*) FROM events WHERE kind LIKE 'case.%' AND NOT EXISTS
             (SELECT 1 FROM cases WHERE case_no = json_extract(events.payload, '$.case_no'))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphan_events, 0);
    let notices: i64 = c
        .query_row("SELECT count(*) FROM notices", [], |r| r.get(0))
        .unwrap();
    let issued: i64 = c
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'notice.issued'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(notices, issued);
    let gaps: i64 = c
        .query_row(
            "SELECT count(*) FROM (SELECT series, kind, year, max(number) - count(*) AS g FROM notices GROUP BY series, kind, year) WHERE g != 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gaps, 0, "document numbers must be gap-free");
}

#[test]
fn sigkill_in_the_middle_of_1000_case_writes_loses_nothing() {
    let s = station();
    let path = s.e.path().to_owned();
    drop(s.e);
    let bin = env!("CARGO_BIN_EXE_yichuang");
    // The demo seeds clerks' login and cases; three kills at different points.
    let mut last = 0;
    for round in 0..3 {
        let mut child = Command::new(bin)
            .args(["--db", path.to_str().unwrap(), "demo", "--cases", "1000"])
            .env("YICHUANG_NOW", TEST_NOW)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let target = last + 40 + round * 37;
        let deadline = Instant::now() + Duration::from_secs(120);
        while count(&path, "SELECT count(*) FROM cases") < target {
            assert!(Instant::now() < deadline, "writer too slow");
            assert!(child.try_wait().unwrap().is_none(), "writer exited early");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let n = count(&path, "SELECT count(*) FROM cases");
        assert!(n < 1000, "the writer must be killed mid-way ({n} cases)");
        assert_consistent(&path);
        last = n;
    }
    eprintln!("killed three times; {last} cases, all consistent");
}
