//! The console's 站点与设备 and 隔离区 against a real county on PostgreSQL
//! and a real station (the engine over SQLite): anonymous requests get 401,
//! each role sees and does only its part, a code issued in the console
//! enrols the station, revoking it there refuses the station's next upload
//! (and a restored database still knows it, from the administration log),
//! a forked log is counted and reset, verification results are stored,
//! bad input and a missing CSRF token change nothing, the tables export.

mod common;

use std::path::Path;

use common::browser::{Answer, Browser};
use common::{MemOutbox, client, enrol, raw_sql, test_options};
use serde_json::{Value, json};
use yichuang_county::RunningServer;
use yichuang_county::console::accounts::{Actor, NewStaff, add_staff};
use yichuang_engine::demo::DEMO_PASSWORD;
use yichuang_engine::{Clerk, Engine, Role};

const ADMIN_PASSWORD: &str = "县级管理员口令2026";
const STAFF_PASSWORD: &str = "督查窗口口令2026";

fn first_admin(srv: &RunningServer) {
    srv.block_on(add_staff(
        &srv.state.storage,
        &Actor::command_line(),
        &NewStaff {
            login: "admin".into(),
            name: "县管理员".into(),
            role: "admin".into(),
            password: ADMIN_PASSWORD.into(),
        },
    ))
    .expect("first administrator");
}

fn admin(srv: &RunningServer) -> Browser {
    let mut b = Browser::new(srv);
    let a = b.login("admin", ADMIN_PASSWORD);
    assert_eq!(a.status, 200, "{}", a.body);
    b
}

fn station(dir: &Path, code: &str) -> (Engine, Clerk) {
    let mut e = Engine::open(&dir.join("station.sqlite3")).expect("open station");
    e.init(code, "城关镇服务站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    (e, admin)
}

/// The administration log's acts, by type.
fn admin_acts(db: &str) -> Vec<Value> {
    std::fs::read_to_string(common::admin_log(db))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("entry")["act"].clone())
        .collect()
}

fn audit_actions(db: &str) -> Vec<String> {
    raw_sql::query_strings(db, "SELECT action FROM staff_audit ORDER BY id")
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

/// What the administrator's acts change.
fn state(db: &str) -> (i64, i64, i64, i64, usize) {
    (
        raw_sql::query_i64(db, "SELECT count(*) FROM enrol_codes"),
        raw_sql::query_i64(
            db,
            "SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL",
        ),
        raw_sql::query_i64(db, "SELECT count(*) FROM chain_verifications"),
        raw_sql::query_i64(db, "SELECT count(*) FROM devices WHERE log_id IS NULL"),
        admin_acts(db).len(),
    )
}

/// Every route of the two pages, as (method, path, body).
fn routes(device: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "stations".into(), None),
        ("GET", "stations/export".into(), None),
        (
            "POST",
            "stations/codes".into(),
            Some(json!({"station_code": "XZ09"})),
        ),
        (
            "POST",
            format!("devices/{device}/revoke"),
            Some(json!({"reason": "设备丢失"})),
        ),
        (
            "POST",
            format!("devices/{device}/unrevoke"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("devices/{device}/reset-log"),
            Some(json!({"reason": "分叉"})),
        ),
        ("POST", "chains/verify".into(), Some(json!({}))),
        ("GET", "quarantine".into(), None),
        ("GET", "quarantine/export".into(), None),
    ]
}

fn send(b: &Browser, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let body = body.map(Value::to_string);
    let csrf = (method != "GET").then_some(b.csrf.as_str());
    b.send(method, path, body.as_deref(), csrf)
}

#[test]
fn anonymous_gets_401_and_each_role_sees_and_does_only_its_part() {
    let (srv, db) = common::server("yc_devices_roles");
    first_admin(&srv);
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let ob = MemOutbox::new("log-roles");
    ob.append_case("C0001", "case.registered", "registered");
    client(&reg, &key, test_options()).sync_once(&ob).unwrap();
    let before = state(&db);
    let mut stranger = Browser::new(&srv);
    for forged in [None, Some("ab".repeat(32))] {
        stranger.cookie = forged;
        for (method, path, body) in routes(&reg.device_id) {
            let a = stranger.send(
                method,
                &path,
                body.map(|b| b.to_string()).as_deref(),
                Some("x"),
            );
            assert_eq!(a.status, 401, "{method} {path}: {}", a.body);
            assert_eq!(a.body["code"], "not_logged_in");
        }
    }
    assert_eq!(state(&db), before, "strangers changed nothing");

    let adm = admin(&srv);
    for r in ["reviewer", "approval_office", "leader", "complaints"] {
        let a = adm.change(
            "POST",
            "staff",
            json!({"login": format!("u.{r}"), "name": "同志", "role": r, "password": STAFF_PASSWORD}),
        );
        assert_eq!(a.status, 200, "{}", a.body);
    }
    for r in ["reviewer", "approval_office", "leader", "complaints"] {
        let mut b = Browser::new(&srv);
        assert_eq!(b.login(&format!("u.{r}"), STAFF_PASSWORD).status, 200);
        let reads = r != "complaints";
        for (method, path, body) in routes(&reg.device_id) {
            let a = send(&b, method, &path, body.as_ref());
            let allowed = reads && method == "GET";
            assert_eq!(
                a.status,
                if allowed { 200 } else { 403 },
                "{r} {method} {path}: {}",
                a.body
            );
            if !allowed {
                assert_eq!(a.body["code"], "forbidden", "{r} {method} {path}");
            }
        }
    }
    assert_eq!(state(&db), before, "no other role changed anything");
    // The administrator may do all of it.
    for (method, path, body) in routes(&reg.device_id) {
        let a = send(&adm, method, &path, body.as_ref());
        assert_eq!(a.status, 200, "admin {method} {path}: {}", a.body);
    }
}

#[test]
fn a_console_code_enrols_a_real_station_and_revoking_it_refuses_its_next_upload() {
    let (srv, db) = common::server("yc_devices_station");
    first_admin(&srv);
    let adm = admin(&srv);
    let issued = adm.change("POST", "stations/codes", json!({"station_code": " CG01 "}));
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.body["station_code"], "CG01");
    let code = issued.body["code"].as_str().expect("code").to_owned();
    assert!(issued.body["valid_hours"].as_i64().unwrap() > 0);
    // Only its hash is kept: not in the database, the audit log or the admin log.
    let secret: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    let dump = raw_sql::query_strings(
        &db,
        "SELECT code_hash || station_code FROM enrol_codes UNION ALL SELECT detail FROM staff_audit",
    );
    for row in dump.iter().flatten().flatten() {
        assert!(!row.to_uppercase().contains(&secret[..12]), "{row}");
    }
    let log_text = std::fs::read_to_string(common::admin_log(&db)).unwrap();
    assert!(!log_text.contains(&code));

    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, station_admin) = station(dir.path(), "CG01");
    e.enroll(&station_admin, &srv.url(), &code)
        .expect("the console's code enrols");
    let client = e.sync_client().expect("client");
    let run = e.sync_now(&client).expect("sync");
    let local = e.verify_log().expect("local chain");
    assert_eq!(run.acked_seq, local.last_seq);
    let device = client.registration().device_id.clone();

    let page = adm.get("stations").body;
    assert_eq!(page["stations"], 1);
    let d = &page["devices"][0];
    assert_eq!(d["station_code"], "CG01");
    assert_eq!(d["station_name"], "城关镇服务站");
    assert_eq!(d["device_id"], device.as_str());
    assert_eq!(d["head_seq"], local.last_seq);
    assert_eq!(d["backlog"], 0);
    // The engine's outbox says where its log ends: nothing left to send.
    assert_eq!(d["unsent"], 0);
    // A fresh station runs its bundled reference data: no event names a
    // version until it applies a county release.
    assert_eq!(d["catalog_version"], Value::Null);
    assert_eq!(d["revoked"], false);
    assert_eq!(d["chain"]["status"], "unverified");
    assert!(d["last_contact"].is_string());

    // 校验: each log's result stored, shown without recomputing.
    let v = adm.change("POST", "chains/verify", json!({}));
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(
        (v.body["logs"].as_i64(), v.body["bad"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM chain_verifications"),
        1
    );
    let d = &adm.get("stations").body["devices"][0];
    assert_eq!(d["chain"]["status"], "ok", "{d}");
    assert_eq!(d["chain"]["events"], local.events);
    assert!(
        raw_sql::try_execute(&db, "DELETE FROM chain_verifications").is_err(),
        "verification runs are append-only"
    );

    // Revoked in the console: the station's next upload is refused.
    let r = adm.change(
        "POST",
        &format!("devices/{device}/revoke"),
        json!({"reason": "设备被盗"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    e.add_clerk(
        Some(&station_admin),
        "2001",
        "张窗口",
        Role::Clerk,
        DEMO_PASSWORD,
    )
    .expect("an event to upload");
    assert!(e.sync_now(&client).is_err(), "a revoked device is refused");
    assert_eq!(
        raw_sql::query_i64(
            &db,
            &format!(
                "SELECT coalesce(sum(count), 0)::int8 FROM refusal_counts WHERE device_id = '{device}' AND code = 'revoked'"
            )
        ),
        1
    );
    let d = &adm.get("stations").body["devices"][0];
    assert_eq!(d["revoked"], true);
    assert!(d["problems"].as_array().unwrap().contains(&json!("已停用")));
    let acts: Vec<String> = admin_acts(&db)
        .iter()
        .map(|a| a["type"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(acts, ["code_issued", "enrolled", "revoked"]);
    let audit = audit_actions(&db);
    for a in ["code_issued", "chains_verified", "device_revoked"] {
        assert!(audit.contains(&a.to_owned()), "{a} in {audit:?}");
    }
    let detail = raw_sql::query_strings(
        &db,
        "SELECT detail FROM staff_audit WHERE action = 'device_revoked'",
    );
    assert!(detail[0][0].as_deref().unwrap().contains("设备被盗"));

    // A database restored from before the revocation still refuses it: the
    // administration log is replayed at start-up.
    let addr = srv.addr;
    srv.kill();
    raw_sql::execute(&db, "UPDATE devices SET revoked_at = NULL");
    let srv = common::start_server(&db, addr);
    assert!(
        e.sync_now(&client).is_err(),
        "still revoked after the restore"
    );
    let adm = admin(&srv);

    // Let back in: it uploads again.
    let u = adm.change("POST", &format!("devices/{device}/unrevoke"), json!({}));
    assert_eq!(u.status, 200, "{}", u.body);
    e.sync_now(&client).expect("accepted again");
    assert_eq!(admin_acts(&db).last().unwrap()["type"], "unrevoked");
    assert!(audit_actions(&db).contains(&"device_unrevoked".to_owned()));
}

/// Each upload says where the station's log ends; the page shows what the
/// station still held at its last upload, and one that says less than it
/// sends is refused with nothing stored.
#[test]
fn what_a_station_still_holds_is_shown_from_its_own_uploads() {
    let (srv, _db) = common::server("yc_devices_unsent");
    first_admin(&srv);
    let adm = admin(&srv);
    let (reg, key) = enrol(&srv, &srv.url(), "XZ05");
    let ob = MemOutbox::new("log-unsent");
    for i in 0..10 {
        ob.append_case(&format!("XZ05-{i}"), "case.registered", "registered");
    }
    let events = ob.events.lock().unwrap().clone();
    let body = |from: usize, to: usize, head: u64| {
        serde_json::to_vec(&yichuang_wire::UploadBatch {
            log_id: "log-unsent".into(),
            station_head_seq: Some(head),
            events: events[from..to].to_vec(),
        })
        .unwrap()
    };
    // (stored at the county, still on the station) as the page shows them.
    let shown = || {
        let d = &adm.get("stations").body["devices"][0];
        (d["head_seq"].as_i64(), d["unsent"].as_i64())
    };
    let (status, _, raw) =
        common::RawRequest::new(&srv.url(), &reg.device_id, &key, body(0, 3, 10)).send();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(shown(), (Some(3), Some(7)));

    // A head below the batch's end is no head: refused, nothing stored.
    let (status, err, _) =
        common::RawRequest::new(&srv.url(), &reg.device_id, &key, body(3, 5, 4)).send();
    assert_eq!(status, 400);
    assert_eq!(err.expect("error body").code, "bad_request");
    assert_eq!(shown(), (Some(3), Some(7)));

    // The station's own client sends the rest and says so.
    let c = client(&reg, &key, test_options());
    let run = c.sync_once(&ob).expect("the rest");
    assert_eq!(run.acked_seq, 10);
    assert_eq!(shown(), (Some(10), Some(0)));
}

#[test]
fn a_forked_log_is_counted_and_reset_from_the_console() {
    let (srv, db) = common::server("yc_devices_fork");
    first_admin(&srv);
    let adm = admin(&srv);
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-fork");
    for i in 0..5 {
        ob.append_case(&format!("C{i:04}"), "case.registered", "registered");
    }
    c.sync_once(&ob).unwrap();
    let backup = ob.backup();
    ob.append_case("C0100", "case.registered", "registered");
    c.sync_once(&ob).unwrap();
    backup.append_case("C9000", "case.registered", "registered");
    assert!(c.sync_once(&backup).is_err(), "a fork");

    let d = &adm.get("stations").body["devices"][0];
    assert_eq!(d["fork_refusals"], 1, "{d}");
    assert_eq!(d["forked"], true);
    assert!(
        d["problems"]
            .as_array()
            .unwrap()
            .contains(&json!("日志分叉，待重置"))
    );

    // Reset without a reason: refused, nothing changed.
    let before = state(&db);
    let a = adm.change(
        "POST",
        &format!("devices/{}/reset-log", reg.device_id),
        json!({"reason": " "}),
    );
    assert_eq!(a.status, 422);
    assert_eq!(a.body["field"], "reason");
    assert_eq!(state(&db), before);

    let a = adm.change(
        "POST",
        &format!("devices/{}/reset-log", reg.device_id),
        json!({"reason": "站点从旧备份恢复"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let archived = a.body["archived_as"].as_str().unwrap().to_owned();
    assert!(archived.starts_with("log-fork#reset-"));
    assert_eq!(
        raw_sql::query_i64(
            &db,
            &format!("SELECT count(*) FROM events WHERE log_id = '{archived}'")
        ),
        6,
        "the county's old copy is kept"
    );
    assert_eq!(admin_acts(&db).last().unwrap()["type"], "log_reset");
    // The restored station uploads its log again; the fork is resolved.
    c.sync_once(&backup).expect("uploads after the reset");
    let d = &adm.get("stations").body["devices"][0];
    assert_eq!(d["forked"], false, "{d}");
    assert_eq!(d["head_seq"], 6);
    // A second reset of a device that has a log again works; one without is refused.
    let (fresh, _) = enrol(&srv, &srv.url(), "S002");
    let a = adm.change(
        "POST",
        &format!("devices/{}/reset-log", fresh.device_id),
        json!({"reason": "试"}),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(a.body["field"], "device_id");
}

#[test]
fn bad_input_and_a_missing_csrf_token_change_nothing() {
    let (srv, db) = common::server("yc_devices_input");
    first_admin(&srv);
    let adm = admin(&srv);
    let (reg, _) = enrol(&srv, &srv.url(), "S001");
    let before = state(&db);
    let audit_before = raw_sql::query_i64(&db, "SELECT count(*) FROM staff_audit");
    for (path, body, field) in [
        (
            "stations/codes",
            json!({"station_code": "城关"}),
            "station_code",
        ),
        (
            "stations/codes",
            json!({"station_code": ""}),
            "station_code",
        ),
        (
            "stations/codes",
            json!({"station_code": "A".repeat(17)}),
            "station_code",
        ),
        ("stations/codes", json!({}), "station_code"),
        ("stations/codes", json!({"station_code": 7}), "station_code"),
    ] {
        let a = adm.change("POST", path, body.clone());
        assert_eq!(a.status, 422, "{body}: {}", a.body);
        assert_eq!(a.body["field"], field, "{body}");
        assert!(
            a.body["message_zh"].as_str().unwrap().contains("站点编码"),
            "{}",
            a.body
        );
    }
    let revoke = format!("devices/{}/revoke", reg.device_id);
    for body in [json!({}), json!({"reason": ""}), json!({"reason": "a\nb"})] {
        let a = adm.change("POST", &revoke, body.clone());
        assert_eq!(a.status, 422, "{body}");
        assert_eq!(a.body["field"], "reason");
        assert!(a.body["message_zh"].as_str().unwrap().contains("原因"));
    }
    let a = adm.change("POST", "devices/dev-nobody/revoke", json!({"reason": "x"}));
    assert_eq!(a.status, 404);
    for q in [
        "quarantine?station=城关",
        "quarantine?page=0",
        "quarantine/export?station=a%20b",
    ] {
        let a = adm.get(q);
        assert_eq!(a.status, 422, "{q}");
    }
    // Without the CSRF token (or with a wrong one) every change is refused.
    for (method, path, body) in routes(&reg.device_id) {
        if method == "GET" {
            continue;
        }
        for token in [None, Some("x")] {
            let a = adm.send(
                method,
                &path,
                Some(&body.clone().unwrap().to_string()),
                token,
            );
            assert_eq!(a.status, 403, "{path} {token:?}");
            assert_eq!(a.body["code"], "csrf");
        }
    }
    assert_eq!(state(&db), before, "nothing changed");
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM staff_audit"),
        audit_before,
        "nothing audited"
    );
}

#[test]
fn the_tables_export_and_the_quarantine_is_paged_by_station() {
    let (srv, db) = common::server("yc_devices_export");
    first_admin(&srv);
    let adm = admin(&srv);
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-q");
    ob.append_case("C0001", "case.registered", "registered");
    // A case event without its case number fails business validation.
    ob.append("case.registered", r#"{"state":"registered"}"#);
    c.sync_once(&ob).unwrap();
    let q = adm.get("quarantine").body;
    assert_eq!(q["total"], 1, "{q}");
    assert_eq!(q["rows"][0]["station_code"], "S001");
    assert_eq!(q["rows"][0]["seq"], 2);
    assert_eq!(adm.get("quarantine?station=S002").body["total"], 0);
    assert_eq!(
        adm.get("quarantine?station=S001&size=1&page=2").body["rows"],
        json!([])
    );
    let d = &adm.get("stations").body["devices"][0];
    assert_eq!(d["quarantined"], 1);

    for path in ["stations/export", "quarantine/export?station=S001"] {
        let a = adm.get(path);
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(&a.bytes[..2], b"PK", "{path}: an xlsx");
    }
    let exported = raw_sql::query_strings(
        &db,
        "SELECT detail FROM staff_audit WHERE action = 'exported' ORDER BY id",
    );
    assert_eq!(exported.len(), 2);
    assert!(
        exported[0][0]
            .as_deref()
            .unwrap()
            .starts_with("站点与设备-")
    );
    assert_eq!(exported[1][0].as_deref(), Some("隔离区-S001"));
}
