//! A fresh station per test: temporary database, fixed clock, four clerks.
//! Shared by the engine's, the CLI's and the county's integration tests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use tempfile::TempDir;
use yichuang_engine::case::{ApplicantInput, MaterialStatus, NewCase};
use yichuang_engine::demo::{DEMO_PASSWORD, test_resident_id};
use yichuang_engine::{Clerk, Clock, Engine, Role};

pub const PW: &str = DEMO_PASSWORD;

pub struct Station {
    pub dir: TempDir,
    pub e: Engine,
    pub admin: Clerk,
    pub leader: Clerk,
    pub clerk: Clerk,
    pub clerk2: Clerk,
}

pub fn clock(s: &str) -> Clock {
    Clock::parse(s).expect("test clock")
}

pub const TEST_NOW: &str = "2026-11-23T09:30:00+08:00";

/// One initialised station with its clerks, built once per test binary:
/// password hashing is deliberately slow, so tests copy this file.
fn template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("template.sqlite3");
            {
                let mut e = Engine::open(&path)
                    .expect("open")
                    .with_clock(clock(TEST_NOW));
                e.init("CG01", "城关镇服务站", "示范县").expect("init");
                let admin = e
                    .add_clerk(None, "0001", "系统管理员", Role::Admin, PW)
                    .expect("admin");
                for (no, name, role) in [
                    ("1001", "王示范", Role::Leader),
                    ("2001", "张窗口", Role::Clerk),
                    ("2002", "李窗口", Role::Clerk),
                ] {
                    e.add_clerk(Some(&admin), no, name, role, PW)
                        .expect("clerk");
                }
                e.connection()
                    .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                    .expect("checkpoint");
            }
            (dir, path)
        })
        .1
}

/// A station on 2026-11-23 (a Monday) with admin 0001, leader 1001, clerks 2001/2002.
pub fn station() -> Station {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.sqlite3");
    std::fs::copy(template(), &path).expect("copy template");
    let e = Engine::open(&path)
        .expect("open")
        .with_clock(clock(TEST_NOW));
    let get = |no: &str| e.clerk_by_staff_no(no).expect("clerk");
    let (admin, leader, clerk, clerk2) = (get("0001"), get("1001"), get("2001"), get("2002"));
    Station {
        dir,
        e,
        admin,
        leader,
        clerk,
        clerk2,
    }
}

pub fn person(n: u64) -> ApplicantInput {
    ApplicantInput::Person {
        name: yichuang_engine::demo::test_person_name(n),
        id_type: yichuang_engine::PersonIdType::ResidentId,
        id_no: test_resident_id(n),
        phone: String::new(),
    }
}

/// Every material of `item` received, then `overrides` applied.
pub fn materials(
    e: &Engine,
    item: &str,
    overrides: &[(&str, MaterialStatus)],
) -> BTreeMap<String, MaterialStatus> {
    let cat = e.catalog().expect("catalog");
    let mut m: BTreeMap<String, MaterialStatus> = cat
        .item(item)
        .expect("item")
        .materials
        .iter()
        .map(|m| (m.code.clone(), MaterialStatus::Received))
        .collect();
    for (code, st) in overrides {
        m.insert((*code).to_owned(), *st);
    }
    m
}

pub fn new_case(e: &Engine, item: &str, n: u64, overrides: &[(&str, MaterialStatus)]) -> NewCase {
    NewCase::simple(item, person(n), materials(e, item, overrides))
}

/// Number of events in the log (for "nothing changed" checks).
pub fn event_count(e: &Engine) -> i64 {
    e.connection()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count")
}

/// A whole-database fingerprint: every row of every table, in order.
pub fn fingerprint(e: &Engine) -> String {
    let conn = e.connection();
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'case_name_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows");
    tables.sort();
    let mut out = String::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .expect("select");
        let n = stmt.column_count();
        let mut rows = stmt.query([]).expect("q");
        while let Some(r) = rows.next().expect("row") {
            out.push_str(&t);
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).expect("v");
                out.push_str(&format!("|{v:?}"));
            }
            out.push('\n');
        }
    }
    out
}
