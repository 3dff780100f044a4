//! A station restored from a backup settles its log with a real county
//! (PostgreSQL) before it writes: restored at the county's head it resumes at
//! once; restored from an older backup it writes nothing — no fork — until the
//! county's copy is archived, and then uploads its log again.

mod common;

use std::path::Path;

use common::*;
use yichuang_county::storage::Admin;
use yichuang_engine::backup::{Progress, Trigger};
use yichuang_engine::demo::{DEMO_PASSWORD, seed_synthetic};
use yichuang_engine::{Clerk, Engine, Error, Role};

fn station(dir: &Path) -> (Engine, Clerk, Clerk) {
    let mut e = Engine::open(&dir.join("station.sqlite3")).expect("open station");
    e.init("CG01", "城关镇服务站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    let clerk = e
        .add_clerk(Some(&admin), "2001", "张窗口", Role::Clerk, DEMO_PASSWORD)
        .expect("clerk");
    (e, admin, clerk)
}

fn quiet() -> impl FnMut(Progress) {
    |_| {}
}

fn backup_what<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    match r {
        Err(Error::Backup { what, .. }) => what,
        other => panic!("expected a backup error, got {other:?}"),
    }
}

#[test]
fn a_restored_station_settles_its_head_with_the_county_before_it_writes() {
    let (srv, _db) = common::server_of("yc_restore_station", yichuang_wire::ALG_ED25519);
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = tempfile::tempdir().expect("backup folder");
    let (mut e, admin, clerk) = station(dir.path());
    seed_synthetic(&e, &clerk, 5, 0).expect("cases");
    let code = enrol_code(&srv, "CG01");
    e.enroll(&admin, &srv.url(), &code).expect("enrol");
    let client = e.sync_client().expect("client");
    e.sync_now(&client).expect("sync");
    let log_id = e.station().expect("station").log_id.clone();
    let device = client.registration().device_id.clone();

    // Backup A: taken right after a sync; its own event (inside the copy) is synced too.
    let a = e
        .back_up(Some(&admin), folder.path(), Trigger::Manual, &mut quiet())
        .expect("backup A");
    assert!(a.manifest.enrolled);
    e.sync_now(&client).expect("sync the backup event");
    // The station works on, syncs, and its disk dies.
    seed_synthetic(&e, &clerk, 3, 5).expect("more cases");
    e.sync_now(&client).expect("sync");
    let lost_head = e.verify_log().expect("log").last_seq;
    assert_eq!(county_events(&srv, &log_id), lost_head);
    drop(e);

    // Restored from A into a new data directory: the county is ahead.
    let new_dir = tempfile::tempdir().expect("new data dir");
    let db = new_dir.path().join("station.sqlite3");
    let (mut r, report) =
        Engine::restore_backup(&a.file, None, &db, None, &mut quiet()).expect("restore");
    assert!(report.check_pending);
    assert!(r.restore_pending().expect("pending"));
    let head_before = r.verify_log().expect("log").last_seq;
    assert_eq!(head_before, a.manifest.head_seq);
    // Nothing is written before the check: no case, not even a log-in.
    let clerk_r = r.clerk_by_staff_no("2001").expect("clerk");
    assert_eq!(
        backup_what(seed_synthetic(&r, &clerk_r, 1, 100)),
        "restore_pending"
    );
    assert_eq!(
        backup_what(r.login("2001", DEMO_PASSWORD)),
        "restore_pending"
    );
    let client_r = r.sync_client().expect("the restored device identity");
    assert_eq!(client_r.registration().device_id, device);
    let run = r.sync_now(&client_r);
    assert_eq!(backup_what(run), "restore_behind");
    let check = r.restore_status().expect("status").expect("still pending");
    assert_eq!(check.finding.as_deref(), Some("county_ahead"));
    assert_eq!(check.county_head_seq, Some(lost_head as i64));
    let zh = check.finding_zh.expect("the window's sentence");
    assert!(
        zh.contains(&format!("第 {}–{} 条", head_before + 1, lost_head)),
        "{zh}"
    );
    assert_eq!(
        r.verify_log().expect("log").last_seq,
        head_before,
        "the restored log did not grow"
    );
    assert_eq!(
        county_events(&srv, &log_id),
        lost_head,
        "the county's copy is untouched: no fork"
    );

    // The county administrator archives the county's copy; the next check settles.
    let archived = srv
        .block_on(srv.state.storage.reset_log(&device, 1))
        .expect("reset-log")
        .expect("there was a log");
    assert_eq!(archived.0, log_id);
    let run = r.sync_now(&client_r).expect("settled and uploaded");
    assert!(!r.restore_pending().expect("settled"));
    let tail: Vec<String> = r
        .events_after(head_before, 10)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        tail.first().map(String::as_str),
        Some("station.restore_verified")
    );
    let head_now = r.verify_log().expect("log").last_seq;
    assert_eq!(run.acked_seq, head_now);
    assert_eq!(county_events(&srv, &log_id), head_now);
    // And the station works again.
    r.set_clock(yichuang_engine::Clock::system());
    seed_synthetic(&r, &clerk_r, 1, 200).expect("a new case");
    r.sync_now(&client_r).expect("sync");
    assert_eq!(
        county_events(&srv, &log_id),
        r.verify_log().expect("log").last_seq
    );
}

#[test]
fn a_station_restored_at_the_county_head_resumes_at_once() {
    let (srv, _db) = common::server_of("yc_restore_head", yichuang_wire::ALG_ED25519);
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = tempfile::tempdir().expect("backup folder");
    let (mut e, admin, clerk) = station(dir.path());
    seed_synthetic(&e, &clerk, 4, 0).expect("cases");
    let code = enrol_code(&srv, "CG01");
    e.enroll(&admin, &srv.url(), &code).expect("enrol");
    let client = e.sync_client().expect("client");
    e.sync_now(&client).expect("sync");
    let b = e
        .back_up(Some(&admin), folder.path(), Trigger::Manual, &mut quiet())
        .expect("backup");
    // The backup's own event is in the copy and reaches the county: the
    // newest backup restores at the county's head.
    e.sync_now(&client).expect("sync the backup's event");
    let log_id = e.station().expect("station").log_id.clone();
    drop(e);
    let new_dir = tempfile::tempdir().expect("new data dir");
    let (mut r, _) = Engine::restore_backup(
        &b.file,
        None,
        &new_dir.path().join("station.sqlite3"),
        None,
        &mut quiet(),
    )
    .expect("restore");
    let client_r = r.sync_client().expect("client");
    let run = r.sync_now(&client_r).expect("settled and synced");
    assert!(!r.restore_pending().expect("settled"));
    let head = r.verify_log().expect("log").last_seq;
    assert_eq!(run.acked_seq, head);
    assert_eq!(county_events(&srv, &log_id), head);
    let clerk_r = r.clerk_by_staff_no("2001").expect("clerk");
    r.login("2001", DEMO_PASSWORD).expect("log-in works again");
    seed_synthetic(&r, &clerk_r, 1, 50).expect("writes again");
}
