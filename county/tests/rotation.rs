//! Key rotation: the county replaces its answer and release keys, each new
//! key endorsed by the old one; an enrolled station follows the
//! endorsements (and nothing else) and goes on syncing and applying
//! releases without re-enrolling.

mod common;

use std::process::Command;

use common::{MemOutbox, MemSink, client, pg, test_options};
use yichuang_county::storage::Releases;
use yichuang_county::{Config, RunningServer};
use yichuang_sync::{Client, DeviceKey};
use yichuang_wire::SecretKey;

/// `yichuang-county rotate-key` for `role`, with the key files in force.
fn rotate(
    db: &str,
    role: &str,
    new: &std::path::Path,
    answer: &std::path::Path,
    release: &std::path::Path,
    log: &std::path::Path,
) {
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .args(["rotate-key", "--role", role, "--new-file"])
        .arg(new)
        .env("YICHUANG_COUNTY_DATABASE_URL", db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A real station (the engine) keeps the pins it moved: after a restart
/// it still trusts the new key, and the move is in its log.
#[test]
fn a_station_keeps_the_rotated_keys_it_followed() {
    use yichuang_engine::{Engine, Role};
    let db = pg::fresh_database("yc_rotate_engine");
    let dir = tempfile::tempdir().unwrap();
    let (a1, r1, a2) = (
        dir.path().join("a1.key"),
        dir.path().join("r1.key"),
        dir.path().join("a2.key"),
    );
    for p in [&a1, &r1] {
        yichuang_county::keys::write_new(p, &SecretKey::generate().unwrap()).unwrap();
    }
    let log = dir.path().join("admin.log");
    let config = |answer: &std::path::Path| Config {
        answer_key_file: Some(answer.to_owned()),
        release_key_file: Some(r1.clone()),
        admin_log_file: Some(log.clone()),
        ..common::config(&db)
    };
    let srv = RunningServer::start(config(&a1), "127.0.0.1:0".parse().unwrap()).unwrap();
    let path = dir.path().join("station.sqlite3");
    let mut e = Engine::open(&path).unwrap();
    e.init("RK01", "城关镇服务站", "示范县").unwrap();
    let admin = e
        .add_clerk(
            None,
            "0001",
            "管理员",
            Role::Admin,
            yichuang_engine::demo::DEMO_PASSWORD,
        )
        .unwrap();
    let secret = srv
        .block_on(yichuang_county::store::issue_enrol_code(
            &srv.state.storage.pool,
            "RK01",
            1,
        ))
        .unwrap();
    e.enroll(&admin, &srv.url(), &srv.state.enrolment_code(&secret))
        .unwrap();
    let client = e.sync_client().unwrap();
    e.sync_now(&client).unwrap();
    let url = srv.url();
    rotate(&db, "answer", &a2, &a1, &r1, &log);
    srv.kill();
    let port: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let srv = RunningServer::start(config(&a2), port).unwrap();
    let client = e.sync_client().unwrap();
    e.sync_now(&client).expect("sync after the rotation");
    drop(e);
    let mut e = Engine::open(&path).unwrap();
    let reg = e.sync_client().unwrap().registration();
    let a2_public =
        yichuang_county::keys::read_public(&yichuang_county::keys::public_path(&a2)).unwrap();
    assert_eq!(
        reg.answer_public_key, a2_public.hex,
        "the new pin is stored"
    );
    let client = e.sync_client().unwrap();
    e.sync_now(&client)
        .expect("a restarted station trusts the new key");
    drop(srv);
}

#[test]
fn a_station_follows_endorsed_key_rotations() {
    let db = pg::fresh_database("yc_rotate");
    let dir = tempfile::tempdir().unwrap();
    let (a1, r1) = (
        dir.path().join("answer1.key"),
        dir.path().join("release1.key"),
    );
    let (a2, r2) = (
        dir.path().join("answer2.key"),
        dir.path().join("release2.key"),
    );
    for p in [&a1, &r1] {
        yichuang_county::keys::write_new(p, &SecretKey::generate().unwrap()).unwrap();
    }
    let log = dir.path().join("admin.log");
    let config = |answer: &std::path::Path, release: &std::path::Path| Config {
        answer_key_file: Some(answer.to_owned()),
        release_key_file: Some(release.to_owned()),
        admin_log_file: Some(log.clone()),
        ..common::config(&db)
    };
    let srv = RunningServer::start(config(&a1, &r1), "127.0.0.1:0".parse().unwrap()).unwrap();
    let secret = srv
        .block_on(yichuang_county::store::issue_enrol_code(
            &srv.state.storage.pool,
            "K001",
            1,
        ))
        .unwrap();
    let key = DeviceKey::generate().unwrap();
    let reg = Client::enroll(&srv.url(), &srv.state.enrolment_code(&secret), &key).unwrap();
    let publish = |srv: &RunningServer, release: &std::path::Path, text: &[u8]| {
        let k = yichuang_county::keys::release_secret(&Some(release.to_owned())).unwrap();
        srv.block_on(srv.state.storage.publish(&k, "catalog", text))
            .unwrap();
    };
    publish(&srv, &r1, b"catalog v1");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-rotate");
    ob.append_case("C1", "case.registered", "registered");
    c.sync_once(&ob).unwrap();
    let sink = MemSink::default();
    assert_eq!(c.fetch_releases(&sink).unwrap().len(), 1);

    // The administrator rotates both keys (the old ones endorse the new);
    // after the answer key's rotation the commands run with the new one.
    for (role, new, answer) in [("answer", &a2, &a1), ("release", &r2, &a2)] {
        let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
            .args(["rotate-key", "--role", role, "--new-file"])
            .arg(new)
            .env("YICHUANG_COUNTY_DATABASE_URL", &db)
            .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
            .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", &r1)
            .env("YICHUANG_COUNTY_ADMIN_LOG", &log)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    srv.kill();
    // A server left on the old answer key refuses to start: the log's
    // rotations lead elsewhere.
    let e = RunningServer::start(config(&a1, &r2), "127.0.0.1:0".parse().unwrap())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("rotations lead"), "{e}");
    let srv = RunningServer::start(config(&a2, &r2), "127.0.0.1:0".parse().unwrap()).unwrap();
    let mut moved = reg.clone();
    moved.server_url = srv.url();
    let c = client(&moved, &key, test_options());

    // Answers now come from the new key: the station follows it.
    ob.append_case("C2", "case.registered", "registered");
    assert_eq!(c.sync_once(&ob).unwrap().acked_seq, 2);
    let now = c.registration();
    let a2_public =
        yichuang_county::keys::read_public(&yichuang_county::keys::public_path(&a2)).unwrap();
    assert_eq!(now.answer_public_key, a2_public.hex);
    // And a release signed by the new release key is applied.
    publish(&srv, &r2, b"catalog v2");
    assert_eq!(c.fetch_releases(&sink).unwrap().len(), 1);
    assert_eq!(sink.applied.lock().unwrap()[1].1, b"catalog v2");
    assert_ne!(c.registration().release_public_key, reg.release_public_key);

    // A new code carries the new fingerprint; the old fingerprint is gone.
    let secret = srv
        .block_on(yichuang_county::store::issue_enrol_code(
            &srv.state.storage.pool,
            "K002",
            1,
        ))
        .unwrap();
    let old_code = yichuang_wire::format_enrolment_code(
        &secret,
        &yichuang_wire::county_fingerprint(
            &reg.answer_key_algorithm,
            &reg.answer_public_key,
            &reg.release_key_algorithm,
            &reg.release_public_key,
        ),
    );
    let e = Client::enroll(&srv.url(), &old_code, &DeviceKey::generate().unwrap()).unwrap_err();
    assert!(
        matches!(e, yichuang_sync::SyncError::NotTheCounty(_)),
        "{e:?}"
    );
}
