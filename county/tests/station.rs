//! A real station (the engine over SQLite) and a real county (PostgreSQL):
//! enrolment, every event stored exactly once, 否定备案 filed, county releases
//! applied, and `kill -9` of the station's sync process losing nothing.
//! (The engine is a dev-dependency only: the county binary never links SQLite.)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::proxy::{Fault, Proxy};
use common::*;
use yichuang_county::storage::{Admin, Devices, EventLog, Projections, Releases};
use yichuang_engine::demo::{DEMO_PASSWORD, seed_synthetic};
use yichuang_engine::{Clerk, Engine, Role};

fn station(dir: &Path, code: &str) -> (Engine, Clerk) {
    let mut e = Engine::open(&dir.join("station.sqlite3")).expect("open station");
    e.init(code, "城关镇服务站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    e.add_clerk(Some(&admin), "1001", "王示范", Role::Leader, DEMO_PASSWORD)
        .expect("leader");
    let clerk = e
        .add_clerk(Some(&admin), "2001", "张窗口", Role::Clerk, DEMO_PASSWORD)
        .expect("clerk");
    (e, clerk)
}

fn admin(e: &Engine) -> Clerk {
    e.clerk_by_staff_no("0001").expect("admin")
}

/// The station CLI, built by `cargo test --workspace` next to this test binary.
fn station_cli() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join(format!("yichuang{}", std::env::consts::EXE_SUFFIX)))
        .expect("target dir");
    assert!(
        bin.exists(),
        "{} missing: build the station CLI first (cargo build -p yichuang)",
        bin.display()
    );
    bin
}

#[test]
fn a_station_day_reaches_the_county_exactly_once_and_county_releases_come_back() {
    station_day(yichuang_wire::ALG_ED25519);
}

/// The same day with a county of the 国密 suite: SM2 device, answer and
/// release keys, SM3 digests, a `GM-` enrolment code.
#[test]
fn a_station_day_with_the_sm2_suite() {
    station_day(yichuang_wire::ALG_SM2);
}

fn station_day(suite: &str) {
    let (srv, _db) = common::server_of(&format!("yc_station_{suite}"), suite);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, clerk) = station(dir.path(), "CG01");
    seed_synthetic(&e, &clerk, 12, 0).expect("cases");
    let c = e
        .register_case(
            &clerk,
            &yichuang_engine::NewCase::simple(
                "RS-SY-001",
                yichuang_engine::ApplicantInput::Person {
                    name: "赵测试".into(),
                    id_type: yichuang_engine::PersonIdType::ResidentId,
                    id_no: "11010519491231002X".into(),
                    phone: String::new(),
                },
                Default::default(),
            ),
        )
        .expect("case");
    e.propose_rejection(
        &clerk,
        &c.case_no,
        "不属于本机关职权范围",
        "《中华人民共和国行政许可法》第三十二条第一款第二项",
    )
    .expect("propose");
    e.approve_rejection(&c.case_no, "1001", DEMO_PASSWORD)
        .expect("approve");

    // Not enrolled yet: a clear refusal, nothing sent.
    assert!(e.sync_client().is_err());
    let code = enrol_code(&srv, "CG01");
    e.enroll(&admin(&e), &srv.url(), &code).expect("enrol");
    assert!(
        e.enroll(&admin(&e), &srv.url(), &code).is_err(),
        "enrols once"
    );
    let client = e.sync_client().expect("client");
    assert_eq!(client.registration().answer_key_algorithm, suite);

    let run = e.sync_now(&client).expect("sync");
    let local = e.verify_log().expect("local chain");
    assert_eq!(run.acked_seq, local.last_seq);
    assert_eq!(run.stored, local.events);
    assert_eq!(
        run.quarantined, 0,
        "the engine's events pass county validation"
    );
    let again = e.sync_now(&client).expect("sync again");
    assert_eq!(again.stored, 0);
    let log_id = e.station().expect("station").log_id.clone();
    assert_eq!(county_events(&srv, &log_id), local.events);
    let register = srv
        .block_on(srv.state.storage.rejection_register())
        .expect("register");
    assert!(
        register.iter().any(|r| r.case_no == c.case_no),
        "the approved 不予受理 is in the county's 否定备案 register"
    );
    let status = e.sync_status().expect("status");
    assert_eq!(status.queued, 0);
    assert!(status.last_success_ms.is_some() && status.enrolled);

    // The county publishes next year's calendar, a catalog and templates.
    let publish = |kind: &str, bytes: &[u8]| {
        srv.block_on(
            srv.state
                .storage
                .publish(&common::release_key_of(suite), kind, bytes),
        )
        .expect("publish")
    };
    assert!(
        e.calendar()
            .add_working_days(
                chrono::NaiveDate::from_ymd_opt(2026, 12, 24).expect("d"),
                10
            )
            .expect("add")
            .provisional
    );
    publish(
        "calendar",
        r#"{"years":[{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}]}"#
            .as_bytes(),
    );
    let mut cat: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).expect("catalog");
    cat["version"] = "2026.2".into();
    cat["items"][0]["promised_days"] = 4.into();
    publish("catalog", cat.to_string().as_bytes());
    let mut tpl: serde_json::Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).expect("templates");
    tpl["version"] = "2026.2".into();
    publish("templates", tpl.to_string().as_bytes());
    let run = e.sync_now(&client).expect("sync releases");
    assert_eq!(run.releases_applied.len(), 3, "{:?}", run.releases_applied);
    assert!(
        !e.calendar()
            .add_working_days(
                chrono::NaiveDate::from_ymd_opt(2026, 12, 24).expect("d"),
                10
            )
            .expect("add")
            .provisional
    );
    assert_eq!(e.catalog().expect("catalog").version, "2026.2");
    assert_eq!(e.active_template_version().expect("tpl"), "2026.2");

    // A broken catalog release is refused; the station keeps 2026.2.
    publish("catalog", b"{ not a catalog");
    let _ = e.sync_now(&client);
    assert_eq!(e.catalog().expect("catalog").version, "2026.2");
    // A well-formed catalog that breaks a rule (a promise beyond the law) is
    // refused as the release's fault, in Chinese, and nothing changes.
    cat["version"] = "2026.3".into();
    cat["items"][0]["promised_days"] = 8.into();
    publish("catalog", cat.to_string().as_bytes());
    let refused = e.sync_now(&client).expect_err("invalid catalog release");
    assert!(
        refused.user_message().contains("校验未通过")
            && refused.to_string().contains("promised_days"),
        "{refused:?}"
    );
    assert_eq!(e.catalog().expect("catalog").version, "2026.2");
    let local = e.verify_log().expect("local chain");
    e.sync_now(&client).ok();
    assert_eq!(county_events(&srv, &log_id), local.events);
}

#[test]
fn kill_9_of_the_station_sync_process_loses_and_duplicates_nothing() {
    let cli = station_cli();
    let (srv, _db) = server("yc_kill");
    let proxy = Proxy::start(srv.addr, 7);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("station.sqlite3");
    let (e, clerk) = station(dir.path(), "XZ02");
    let code = enrol_code(&srv, "XZ02");
    // Enrolled through the proxy: the station's stored URL is the faulty path.
    e.enroll(&admin(&e), &proxy.url(), &code).expect("enrol");
    let log_id = e.station().expect("station").log_id.clone();
    drop(e);

    let mut written = 0u64;
    let mut interrupted = 0;
    for round in 0..6u64 {
        {
            let e = Engine::open(&db).expect("reopen");
            seed_synthetic(&e, &clerk, 120, written).expect("cases");
            written += 120;
        }
        // Slow or lose the answer so the kill lands mid-sync.
        proxy.push_fault(if round % 2 == 0 {
            Fault::Delay(Duration::from_millis(400))
        } else {
            Fault::CutResponse { after: 0 }
        });
        let mut child = Command::new(&cli)
            .args(["--db", db.to_str().expect("utf8"), "sync", "now"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn station sync");
        std::thread::sleep(Duration::from_millis(150 + 97 * round));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let e = Engine::open(&db).expect("reopen after kill");
        let chain = e.verify_log().expect("station chain intact after kill -9");
        let status = e.sync_status().expect("status");
        if status.acked_seq < chain.last_seq {
            interrupted += 1;
        }
    }
    let before_final = county_events(&srv, &log_id);
    assert!(
        interrupted >= 2,
        "kills must land mid-sync ({interrupted} of 6 did)"
    );
    assert!(before_final > 0, "killed syncs still made progress");
    // The network is fine again (a fault a killed sync never reached is
    // dropped): one clean sync finishes the job.
    proxy.clear_scripted();
    let mut e = Engine::open(&db).expect("reopen");
    let client = e.sync_client().expect("client");
    let run = e.sync_now(&client).expect("final sync");
    let local = e.verify_log().expect("local");
    assert_eq!(run.acked_seq, local.last_seq);
    let at_county = county_events(&srv, &log_id);
    println!(
        "kill -9 campaign: 6 kills ({interrupted} mid-sync), county had {before_final} before the final sync; station events {}, county events {at_county}, lost {}, duplicated 0 (unique (device, seq) and verified chain)",
        local.events,
        local.events - at_county.min(local.events)
    );
    assert_eq!(at_county, local.events, "0 lost, 0 duplicated");
}

#[test]
fn the_sync_daemon_uploads_at_start_up_and_shortly_after_a_write() {
    let cli = station_cli();
    let (srv, _db) = server("yc_daemon");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("station.sqlite3");
    let (e, clerk) = station(dir.path(), "DM03");
    seed_synthetic(&e, &clerk, 3, 0).expect("cases");
    let code = enrol_code(&srv, "DM03");
    e.enroll(&admin(&e), &srv.url(), &code).expect("enrol");
    let log_id = e.station().expect("station").log_id.clone();
    let count = |srv: &yichuang_county::RunningServer| {
        srv.block_on(srv.state.storage.verify_chains())
            .expect("chains")
            .iter()
            .find(|r| r.log_id == log_id)
            .map_or(0, |r| r.events)
    };
    let wait_for = |want: u64, what: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while count(&srv) < want {
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: county has {} of {want}",
                count(&srv)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // Periodic sync is an hour away: only start-up and write triggers can act.
    let mut daemon = Command::new(&cli)
        .args([
            "--db",
            db.to_str().expect("utf8"),
            "sync",
            "daemon",
            "--periodic-secs",
            "3600",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn daemon");
    wait_for(e.verify_log().expect("log").events, "start-up sync");
    // A clerk writes (here, another connection to the same station database).
    seed_synthetic(&e, &clerk, 2, 3).expect("more cases");
    wait_for(e.verify_log().expect("log").events, "write-triggered sync");
    daemon.kill().expect("stop daemon");
    daemon.wait().expect("reap");
}

/// A release feed that goes quiet (blocked on the way: a forged or replayed
/// list is refused, so blocking is all that is left) is shown as stale.
#[test]
fn a_release_feed_gone_quiet_is_shown() {
    let (srv, _db) = server("yc_quiet");
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, _clerk) = station(dir.path(), "QT01");
    let code = enrol_code(&srv, "QT01");
    e.enroll(&admin(&e), &srv.url(), &code).expect("enrol");
    let before = e.sync_status().expect("status");
    assert!(before.releases_stale_zh.unwrap().contains("尚未"));
    let client = e.sync_client().expect("client");
    e.sync_now(&client).expect("sync");
    let fresh = e.sync_status().expect("status");
    assert!(fresh.releases_checked_ms.is_some());
    assert_eq!(fresh.releases_stale_zh, None);
    // Two days without a verified list.
    let checked = fresh.releases_checked_ms.expect("checked");
    let later = chrono::DateTime::from_timestamp_millis(checked + 49 * 3_600_000 + 60_000)
        .expect("time")
        .fixed_offset();
    e.set_clock(yichuang_engine::Clock::fixed(later));
    let stale = e
        .sync_status()
        .expect("status")
        .releases_stale_zh
        .expect("stale");
    assert!(stale.contains("已超过 49 小时"), "{stale}");
}

/// A station whose device key was stolen: the county revokes it and sets
/// its log aside, the station re-enrols with a new key and uploads its
/// whole log again; the stolen key stays refused.
#[test]
fn a_station_re_enrols_with_a_new_device() {
    let (srv, db) = server("yc_reenrol");
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, clerk) = station(dir.path(), "RE01");
    seed_synthetic(&e, &clerk, 5, 0).expect("cases");
    e.enroll(&admin(&e), &srv.url(), &enrol_code(&srv, "RE01"))
        .expect("enrol");
    let old = e.sync_client().expect("client");
    e.sync_now(&old).expect("sync");
    let old_device = old.registration().device_id.clone();
    srv.block_on(srv.state.storage.revoke(&old_device))
        .expect("revoke");
    srv.block_on(srv.state.storage.reset_log(&old_device, 1))
        .expect("reset");

    let reg = e
        .re_enroll(&admin(&e), &srv.url(), &enrol_code(&srv, "RE01"))
        .expect("re-enrol");
    assert_ne!(reg.device_id, old_device);
    let client = e.sync_client().expect("client");
    let run = e.sync_now(&client).expect("sync as the new device");
    let local = e.verify_log().expect("local");
    assert_eq!(run.acked_seq, local.last_seq);
    let log_id = e.station().expect("station").log_id.clone();
    assert_eq!(county_events(&srv, &log_id), local.events);
    // The old key is still refused.
    assert!(e.sync_now(&old).is_err());
    assert!(
        common::raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM events WHERE log_id LIKE '%#reset-%'"
        ) > 0,
        "the old device's copy is kept"
    );
}
