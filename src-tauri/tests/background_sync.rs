//! The window's background sync against a real county server (PostgreSQL):
//! enrolment from the settings command, status events to the window, a local
//! write reaching the county without anyone asking, 立即同步, a county release
//! changing the window's deadlines, and the county going away.

mod common;
#[path = "../../county/tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Station, station};
use serde_json::{Value, json};
use tauri::{Listener, Manager};
use yichuang_county::{Config, RunningServer, store};
use yichuang_desktop::{AppState, reporter, sync_task};
use yichuang_engine::sync::BackoffPolicy;

type Events = Arc<Mutex<Vec<Value>>>;

/// Quick retries so the test does not wait on production backoff.
fn policy() -> BackoffPolicy {
    BackoffPolicy {
        initial: Duration::from_millis(200),
        max: Duration::from_secs(1),
        periodic: Duration::from_secs(30),
        after_write: Duration::from_millis(100),
        seed: 7,
    }
}

fn start(s: &Station) -> Events {
    let events: Events = Arc::default();
    let sink = events.clone();
    s.app.listen_any(sync_task::EVENT, move |e| {
        let v: Value = serde_json::from_str(e.payload()).expect("event json");
        sink.lock().expect("events").push(v);
    });
    s.app
        .state::<AppState>()
        .start_sync(policy(), reporter(s.app.handle().clone()))
        .expect("start sync");
    events
}

/// Waits for an event that satisfies `want` (events are only ever appended).
fn wait_event(events: &Events, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = events.lock().expect("events").iter().find(|v| want(v)) {
            return v.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no sync event {what}; got {:#?}",
            events.lock().expect("events")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn county_events(srv: &RunningServer) -> u64 {
    srv.block_on(store::verify_chains(&srv.state.storage.pool))
        .expect("verify chains")
        .iter()
        .map(|r| {
            assert_eq!(r.first_bad, None, "county chain verifies");
            r.events
        })
        .sum()
}

/// A case of 工伤认定 (60 working days: the statutory deadline is in 2027)
/// with everything received, accepted.
fn accepted_long_case(s: &Station) -> Value {
    let item = s.ok("item", json!({"code": "RS-GS-001"}));
    let materials: serde_json::Map<String, Value> = item["materials"]
        .as_array()
        .expect("materials")
        .iter()
        .map(|m| {
            (
                m["code"].as_str().expect("code").to_owned(),
                json!("received"),
            )
        })
        .collect();
    let c = s.register("RS-GS-001", Value::Object(materials));
    s.ok("accept", json!({"caseNo": c["case_no"]}))
}

#[test]
fn the_window_syncs_in_the_background_and_reports_every_attempt() {
    let db = pg::fresh_database("yc_desktop");
    // The county's key files, as `yichuang-county keygen` writes them.
    let keys = tempfile::tempdir().expect("key dir");
    let (answer, release) = (
        keys.path().join("answer.key"),
        keys.path().join("release.key"),
    );
    for p in [&answer, &release] {
        yichuang_county::keys::write_new(p, &yichuang_wire::SecretKey::generate().expect("key"))
            .expect("key file");
    }
    let release_key = yichuang_county::keys::release_secret(&Some(release.clone())).expect("key");
    let srv = RunningServer::start(
        Config {
            database_url: db,
            pool_size: 4,
            answer_key_file: Some(answer),
            release_key_file: Some(release),
            admin_log_file: Some(keys.path().join("admin.log")),
            ..Config::default()
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .expect("county server");
    let s = station();
    let events = start(&s);

    // Not enrolled: the thread says so and waits; 立即同步 is refused clearly.
    wait_event(&events, "unenrolled", |v| v["state_zh"] == "未注册");
    assert_eq!(s.err("sync_now", json!({}))["code"], "not_logged_in");
    s.login("2001");
    let e = s.err("sync_now", json!({}));
    assert_eq!(e["message"], "本站尚未在县级服务器注册，请先在“设置”中注册");

    // Enrolment is an administrator's act.
    let secret = srv
        .block_on(store::issue_enrol_code(
            &srv.state.storage.pool,
            "DEMO01",
            1,
        ))
        .expect("code");
    let code = srv.state.enrolment_code(&secret);
    s.login("2001");
    let e = s.err("enroll", json!({"serverUrl": srv.url(), "code": code}));
    assert_eq!(e["code"], "forbidden");
    s.login("0001");
    let e = s.err("enroll", json!({"serverUrl": "county:8080", "code": code}));
    assert_eq!(
        e["message"],
        "县级服务器地址应以 https:// 开头（仅本机测试可用 http://）"
    );
    // Plain http to another machine is refused: a township link is hostile.
    let e = s.err(
        "enroll",
        json!({"serverUrl": "http://192.0.2.7:8787", "code": code}),
    );
    assert_eq!(
        e["message"],
        "注册失败：县级服务器地址须以 https:// 开头（仅本机测试可用 http://）"
    );
    let st = s.ok("enroll", json!({"serverUrl": srv.url(), "code": code}));
    assert_eq!(st["enrolled"], true);

    // The thread wakes on enrolment and uploads the demo station's history.
    let on = wait_event(&events, "online after enrolment", |v| {
        v["state"] == "online" && v["queued"] == 0
    });
    assert_eq!(on["last_attempt"]["ok"], true);
    let local = s.ok("verify_log", json!({}))["events"]
        .as_u64()
        .expect("events");
    assert_eq!(county_events(&srv), local);

    // A local write reaches the county without anyone pressing a button.
    s.login("2001");
    let before = events.lock().expect("events").len();
    let long = accepted_long_case(&s);
    assert_eq!(
        long["statutory_provisional"], true,
        "2027 is provisional until the county publishes it"
    );
    let ev = wait_event(&events, "write-triggered sync", |v| {
        v["last_attempt"]["trigger"] == "本机有新记录" && v["queued"] == 0
    });
    assert!(events.lock().expect("events").len() > before, "{ev}");
    let local = s.ok("verify_log", json!({}))["events"]
        .as_u64()
        .expect("events");
    assert_eq!(county_events(&srv), local, "every event exactly once");

    // The county publishes 2027; 立即同步 fetches it and the window's own
    // engine computes with it at once.
    srv.block_on(store::publish(
        &srv.state.storage.pool,
        &release_key,
        "calendar",
        r#"{"years":[{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}]}"#
            .as_bytes(),
    ))
    .expect("publish");
    let st = s.ok("sync_now", json!({}));
    assert_eq!(st["enrolled"], true);
    let applied = wait_event(&events, "release applied", |v| {
        v["last_attempt"]["trigger"] == "手动同步"
            && v["last_attempt"]["releases_applied"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
    });
    assert!(
        applied["last_attempt"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("已更新")),
        "{applied}"
    );
    let long = accepted_long_case(&s);
    assert_eq!(long["statutory_provisional"], false, "{long}");

    // The county goes away: the next write fails to sync, the badge says 离线,
    // the record waits in the queue, nothing is lost.
    srv.kill();
    s.register("RS-SY-001", json!({"M1": "received"}));
    let off = wait_event(&events, "offline", |v| v["state_zh"] == "离线");
    assert!(off["queued"].as_u64().is_some_and(|q| q > 0), "{off}");
    assert!(
        off["last_attempt"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty() && !m.is_ascii()),
        "a Chinese reason: {off}"
    );
    let st = s.ok("sync_status", json!({}));
    assert_eq!(st["state_zh"], "离线");

    // At exit the thread stops and is joined.
    let state = s.app.state::<AppState>();
    state.stop_sync();
    assert_eq!(s.ok("sync_status", json!({}))["state_zh"], "同步未运行");
}
