//! A hostile network between station and county: a man in the middle that
//! forges acks, 409s, heads, the server clock and release lists, replays old
//! answers and answers enrolments in the county's place. The station loses
//! nothing, applies nothing forged, and says what happened in Chinese.

mod common;

use common::mitm::{Attack, Mitm};
use common::{MemOutbox, MemSink, client, enrol, enrol_code, server, test_options};
use yichuang_county::{Config, RunningServer};
use yichuang_sync::{Client, DeviceKey, SyncError};

fn county_events(db: &str) -> i64 {
    common::raw_sql::query_i64(db, "SELECT count(*) FROM events")
}

fn forged(e: &SyncError) -> bool {
    matches!(e, SyncError::ForgedAnswer { .. })
        && e.message_zh().contains("未通过验证")
        && e.is_retryable()
}

#[test]
fn a_forged_ack_marks_nothing_synced_and_the_events_arrive_later() {
    forged_ack(yichuang_wire::ALG_ED25519);
}

#[test]
fn a_forged_ack_to_a_station_of_the_sm2_suite_changes_nothing() {
    forged_ack(yichuang_wire::ALG_SM2);
}

fn forged_ack(suite: &str) {
    let (srv, db) = common::server_of(&format!("yc_h_ack_{suite}"), suite);
    let mitm = Mitm::start(srv.addr);
    let (reg, key) = enrol(&srv, &srv.url(), "H001");
    let mut via = reg.clone();
    via.server_url = mitm.url();
    let c = client(&via, &key, test_options());
    let ob = MemOutbox::new("log-h-ack");
    for i in 0..5 {
        ob.append_case(&format!("C{i}"), "case.registered", "registered");
    }
    mitm.set(Attack::ForgeAck);
    let e = c.sync_once(&ob).unwrap_err();
    assert!(forged(&e), "{e:?}");
    // Tried on loopback before answers were signed: the station believed
    // the forgery and the county stayed four events short for good.
    assert_eq!(ob.acked_seq(), 0, "a forged ack marks nothing as synced");
    assert_eq!(county_events(&db), 0);
    mitm.set(Attack::Pass);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.acked_seq, county_events(&db)), (5, 5));
}

#[test]
fn a_forged_gap_or_head_moves_nothing() {
    let (srv, db) = server("yc_h_gap");
    let mitm = Mitm::start(srv.addr);
    let (reg, key) = enrol(&srv, &srv.url(), "H002");
    let mut via = reg.clone();
    via.server_url = mitm.url();
    let c = client(&via, &key, test_options());
    let ob = MemOutbox::new("log-h-gap");
    for i in 0..3 {
        ob.append_case(&format!("C{i}"), "case.registered", "registered");
    }
    c.sync_once(&ob).unwrap();
    ob.append_case("C9", "case.registered", "registered");
    mitm.set(Attack::ForgeGap);
    let e = c.sync_once(&ob).unwrap_err();
    assert!(forged(&e), "{e:?}");
    assert_eq!(ob.acked_seq(), 3);
    mitm.set(Attack::Pass);
    c.sync_once(&ob).unwrap();
    assert_eq!((ob.acked_seq(), county_events(&db)), (4, 4));
    // Nothing queued: the station compares its ack with the county's head;
    // a head forged to "nothing" would make it resend or stop, and is refused.
    mitm.set(Attack::ForgeHead);
    let e = c.sync_once(&ob).unwrap_err();
    assert!(forged(&e), "{e:?}");
    assert_eq!(ob.acked_seq(), 4);
}

#[test]
fn a_forged_server_clock_is_not_learnt() {
    let (srv, _db) = server("yc_h_time");
    let mitm = Mitm::start(srv.addr);
    let (reg, key) = enrol(&srv, &srv.url(), "H003");
    let mut via = reg.clone();
    via.server_url = mitm.url();
    let c = client(&via, &key, test_options());
    let ob = MemOutbox::new("log-h-time");
    ob.append_case("C1", "case.registered", "registered");
    // A day ahead, to make every later request stale.
    mitm.set(Attack::ShiftServerTime(86_400_000));
    let e = c.sync_once(&ob).unwrap_err();
    assert!(forged(&e), "{e:?}");
    assert!(
        c.clock_skew_ms().abs() < 60_000,
        "skew {}",
        c.clock_skew_ms()
    );
    mitm.set(Attack::Pass);
    assert_eq!(c.sync_once(&ob).unwrap().acked_seq, 1);
}

#[test]
fn an_old_answer_replayed_is_refused() {
    let (srv, db) = server("yc_h_replay");
    let mitm = Mitm::start(srv.addr);
    let (reg, key) = enrol(&srv, &srv.url(), "H004");
    let mut via = reg.clone();
    via.server_url = mitm.url();
    let c = client(&via, &key, test_options());
    let ob = MemOutbox::new("log-h-replay");
    ob.append_case("C1", "case.registered", "registered");
    mitm.set(Attack::Replay);
    // The first answer is real (and recorded by the attacker).
    assert_eq!(c.sync_once(&ob).unwrap().acked_seq, 1);
    ob.append_case("C2", "case.registered", "registered");
    let e = c.sync_once(&ob).unwrap_err();
    assert!(forged(&e), "{e:?}");
    assert_eq!((ob.acked_seq(), county_events(&db)), (1, 1));
    // The release list replayed (a frozen feed) is refused the same way.
    let sink = MemSink::default();
    c.fetch_releases(&sink).unwrap();
    let e = c.fetch_releases(&sink).unwrap_err();
    assert!(forged(&e), "{e:?}");
    mitm.set(Attack::Pass);
    assert_eq!(c.sync_once(&ob).unwrap().acked_seq, 2);
}

#[test]
fn a_forged_release_list_applies_nothing() {
    let (srv, _db) = server("yc_h_rel");
    let mitm = Mitm::start(srv.addr);
    let (reg, key) = enrol(&srv, &srv.url(), "H005");
    let mut via = reg.clone();
    via.server_url = mitm.url();
    let c = client(&via, &key, test_options());
    mitm.set(Attack::ForgeReleases);
    let sink = MemSink::default();
    let e = c.fetch_releases(&sink).unwrap_err();
    assert!(forged(&e), "{e:?}");
    assert!(sink.applied.lock().unwrap().is_empty());
}

#[test]
fn an_enrolment_answered_by_anyone_but_the_county_of_the_code_is_refused() {
    let (srv, _db) = server("yc_h_enrol");
    // A second "county" with keys of its own answers in the first one's place.
    let dir = tempfile::tempdir().unwrap();
    let (a, r) = (dir.path().join("a.key"), dir.path().join("r.key"));
    for p in [&a, &r] {
        yichuang_county::keys::write_new(p, &yichuang_wire::SecretKey::generate().unwrap())
            .unwrap();
    }
    let other_db = common::pg::fresh_database("yc_h_other");
    let other = RunningServer::start(
        Config {
            answer_key_file: Some(a),
            release_key_file: Some(r),
            admin_log_file: Some(dir.path().join("admin.log")),
            ..common::config(&other_db)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    // The impostor even accepts the code's secret (it issued the same one).
    let code = enrol_code(&srv, "H006");
    let secret: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    common::raw_sql::execute(
        &other_db,
        &format!(
            "INSERT INTO enrol_codes (code_hash, station_code, expires_at) VALUES ('{}', 'H006', now() + interval '1 hour')",
            yichuang_county::protocol::enrolment::code_hash(&secret)
        ),
    );
    let key = DeviceKey::generate().unwrap();
    let e = Client::enroll(&other.url(), &code, &key).unwrap_err();
    assert!(matches!(e, SyncError::NotTheCounty(_)), "{e:?}");
    assert!(e.message_zh().contains("指纹不符"), "{}", e.message_zh());

    // A middlebox that swaps the keys in the real county's answer.
    let mitm = Mitm::start(srv.addr);
    mitm.set(Attack::SwapEnrolmentKeys);
    let code = enrol_code(&srv, "H006");
    let e = Client::enroll(&mitm.url(), &code, &key).unwrap_err();
    assert!(matches!(e, SyncError::NotTheCounty(_)), "{e:?}");

    // An old code without the fingerprint, and plain http to another host.
    let e = Client::enroll(&srv.url(), "ABCD-EFGH-JKLM", &key).unwrap_err();
    assert!(matches!(e, SyncError::BadEnrolmentCode), "{e:?}");
    let e = Client::enroll("http://192.0.2.1:8787", &code, &key).unwrap_err();
    assert!(matches!(e, SyncError::InsecureUrl(_)), "{e:?}");

    // The real county, reached directly, is believed.
    let code = enrol_code(&srv, "H006");
    assert!(Client::enroll(&srv.url(), &code, &key).is_ok());
}
