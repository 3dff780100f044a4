//! A county restored from an older backup (a real pg_dump / pg_restore)
//! forgets nothing the administration log recorded: a revoked device stays
//! refused, a station enrolled after the dump is known again and refills
//! the county, releases are served again and their numbers never reused;
//! the admin tools (devices, unrevoke, reset-log) finish the recovery.

mod common;

use std::process::Command;

use common::{MemOutbox, MemSink, client, pg, raw_sql, start_server, test_options};
use yichuang_county::Config;
use yichuang_sync::{Client, DeviceKey, SyncError};

fn pg_tool(name: &str) -> String {
    let mut dirs: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    dirs.sort();
    dirs.pop()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| name.to_owned())
}

/// The county admin command on database `db`, with the administration log
/// of `log_of` (the log lives beside the server, not in the database).
fn admin(db: &str, log_of: &str, args: &[&str]) -> String {
    let (answer, release) = common::key_files();
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .args(args)
        .env("YICHUANG_COUNTY_DATABASE_URL", db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(log_of))
        .output()
        .expect("yichuang-county");
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{args:?}: {e}");
    o
}

#[test]
fn a_restored_county_forgets_no_revocation_enrolment_or_release() {
    let db = pg::fresh_database("yc_restore");
    let srv = start_server(&db, "127.0.0.1:0".parse().unwrap());
    let enrol = |station: &str| {
        let code = admin(&db, &db, &["enroll-code", "--station", station]);
        let key = DeviceKey::generate().unwrap();
        let reg = Client::enroll(&srv.url(), code.trim(), &key).unwrap();
        (reg, key)
    };
    let (reg_a, key_a) = enrol("R001");
    let a = MemOutbox::new("log-restore-a");
    for i in 0..3 {
        a.append_case(&format!("A{i}"), "case.registered", "registered");
    }
    client(&reg_a, &key_a, test_options())
        .sync_once(&a)
        .unwrap();

    // The nightly backup.
    let dump = tempfile::NamedTempFile::new().unwrap();
    let st = Command::new(pg_tool("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(dump.path())
        .arg(&db)
        .status()
        .expect("pg_dump");
    assert!(st.success());

    // After it: A's key is stolen and revoked; station B enrols and
    // uploads; the county publishes a catalog.
    admin(&db, &db, &["revoke", &reg_a.device_id]);
    let (reg_b, key_b) = enrol("R002");
    let b = MemOutbox::new("log-restore-b");
    for i in 0..4 {
        b.append_case(&format!("B{i}"), "case.registered", "registered");
    }
    client(&reg_b, &key_b, test_options())
        .sync_once(&b)
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    // A catalog that passes the stations' check (publish refuses others).
    let catalog = |v: &str| {
        let mut c: serde_json::Value =
            serde_json::from_str(yichuang_domain::catalog::BUNDLED_CATALOG).unwrap();
        c["version"] = v.into();
        c.to_string().into_bytes()
    };
    std::fs::write(file.path(), catalog("v1")).unwrap();
    admin(
        &db,
        &db,
        &["publish", "catalog", file.path().to_str().unwrap()],
    );
    srv.kill();

    // The database is lost and restored from the backup into a new one.
    let restored = pg::fresh_database("yc_restored");
    let st = Command::new(pg_tool("pg_restore"))
        .args(["--no-owner", "--dbname", &restored])
        .arg(dump.path())
        .status()
        .expect("pg_restore");
    assert!(st.success());
    assert_eq!(
        raw_sql::query_i64(&restored, "SELECT count(*) FROM devices"),
        1,
        "the backup predates B"
    );
    let srv = yichuang_county::RunningServer::start(
        Config {
            admin_log_file: Some(common::admin_log(&db)),
            ..common::config(&restored)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let at = |reg: &yichuang_sync::DeviceRegistration, key: &DeviceKey| {
        let mut r = reg.clone();
        r.server_url = srv.url();
        client(&r, key, test_options())
    };

    // The revoked device is still refused.
    a.append_case("A9", "case.registered", "registered");
    let ca = at(&reg_a, &key_a);
    assert!(matches!(ca.sync_once(&a), Err(SyncError::Revoked(_))));
    // B is known again, and with nothing queued it compares heads and sends
    // the county what the restore lost.
    let cb = at(&reg_b, &key_b);
    let r = cb.sync_once(&b).unwrap();
    assert_eq!((r.resyncs, r.stored, r.acked_seq), (1, 4, 4), "{r:?}");
    assert_eq!(
        raw_sql::query_i64(
            &restored,
            "SELECT count(*) FROM events WHERE log_id = 'log-restore-b'"
        ),
        4
    );
    // The release is served again, and the next one is numbered after it.
    let sink = MemSink::default();
    let got = cb.fetch_releases(&sink).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(sink.applied.lock().unwrap()[0].1, catalog("v1"));
    std::fs::write(file.path(), catalog("v2")).unwrap();
    let out = admin(
        &restored,
        &db,
        &["publish", "catalog", file.path().to_str().unwrap()],
    );
    assert!(out.contains("\"version\": \"2\""), "{out}");

    // The admin tools: the devices, then A let back in (its key was found).
    let list = admin(&restored, &db, &["devices"]);
    assert!(
        list.contains("R001") && list.contains("REVOKED") && list.contains("R002"),
        "{list}"
    );
    admin(&restored, &db, &["unrevoke", &reg_a.device_id]);
    assert_eq!(ca.sync_once(&a).unwrap().acked_seq, 4);

    // B's station is itself restored from an old backup and writes on: its
    // log forks from the county's copy. The admin sets the county's copy
    // aside (kept), and the station uploads its log again.
    let forked = MemOutbox::new("log-restore-b");
    for i in 0..2 {
        forked.append_case(&format!("B{i}"), "case.registered", "registered");
    }
    forked.append_case("B7", "case.accepted", "accepted");
    assert!(matches!(cb.sync_once(&forked), Err(SyncError::Fork { .. })));
    let out = admin(&restored, &db, &["reset-log", &reg_b.device_id]);
    assert!(out.contains("set aside"), "{out}");
    assert_eq!(cb.sync_once(&forked).unwrap().acked_seq, 3);
    assert_eq!(
        raw_sql::query_i64(
            &restored,
            "SELECT count(*) FROM events WHERE log_id LIKE 'log-restore-b#reset-%'"
        ),
        4,
        "the forked copy is kept for the audit"
    );
}
