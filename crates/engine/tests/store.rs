//! Migrations from every earlier schema version, and catalog imports that
//! either fully succeed or leave the active catalog as it was.

use rusqlite::params;
use yichuang_engine::store::{self, MIGRATIONS};
use yichuang_engine::{Engine, Error};
use yichuang_testkit::*;

#[test]
fn migrates_from_empty_and_from_every_earlier_version() {
    for start in 0..=MIGRATIONS.len() as i64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");
        let mut conn = store::open_raw(&path).unwrap();
        store::migrate_to(&mut conn, start).unwrap();
        assert_eq!(store::schema_version(&conn).unwrap(), start);
        if start >= 1 {
            // A version-1 station with one case registered before search existed.
            conn.execute_batch(
                "INSERT INTO station VALUES (1, 'OLD1', '老站', '示范县', 'log-old', '2026-01-01');
                 INSERT INTO sync_state (id, acked_seq, acked_hash) VALUES (1, 0, '0');
                 INSERT INTO events VALUES (1, 'log-old', 'e1', 'case.registered', 1, 't', '{}', 'p', 'h');
                 INSERT INTO clerks (id, staff_no, name, role, password_hash, active, created_at)
                   VALUES (1, '0001', '管理员', 'admin', 'x', 1, 't');
                 INSERT INTO applicants VALUES (1, 'person', '欧阳测试', 'resident_id', '11010519491231002X', '', '', 't');",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO cases (case_no, item_code, item_name, catalog_version, applicant_id, applicant_kind,
                   applicant_name, applicant_id_type, applicant_id_no, first_contact, handler, state, received_on,
                   registered_at, onetime_notice_due, last_event_seq, updated_at)
                 VALUES ('OLD1-20260101-0001', 'RS-SY-001', '失业保险金申领', '2026.1', 1, 'person', ?1,
                   'resident_id', '11010519491231002X', 1, 1, 'registered', '2026-01-05', 't', '2026-01-12', 1, 't')",
                params!["欧阳测试"],
            )
            .unwrap();
            if start >= 2 {
                // From version 2 on, registration itself indexes the name.
                conn.execute(
                    "INSERT INTO case_name_fts (rowid, tokens) VALUES (1, ?1)",
                    [store::name_tokens("欧阳测试")],
                )
                .unwrap();
            }
        }
        drop(conn);
        let e = Engine::open(&path).unwrap();
        assert_eq!(
            store::schema_version(e.connection()).unwrap(),
            store::latest_version()
        );
        if start >= 1 {
            let someone = e.clerks().unwrap().into_iter().next().expect("a clerk");
            let hits = e.search_cases(&someone, "阳测", 10).unwrap();
            assert_eq!(
                hits.len(),
                1,
                "backfilled search index (from version {start})"
            );
        }
    }
}

#[test]
fn a_station_whose_templates_lack_the_receipt_gets_the_bundled_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite3");
    let mut conn = store::open_raw(&path).unwrap();
    store::migrate_to(&mut conn, 6).unwrap();
    // The set a station had before the 收件回执 existed.
    let mut old: serde_json::Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).unwrap();
    old["version"] = "2026.1.1".into();
    old["templates"]
        .as_object_mut()
        .unwrap()
        .remove("receipt_notice");
    conn.execute(
        "INSERT INTO templates (version, sha256, content, imported_at, active)
         VALUES ('2026.1.1', 'x', ?1, 't', 1)",
        [old.to_string()],
    )
    .unwrap();
    drop(conn);
    let e = Engine::open(&path).unwrap();
    let bundled =
        yichuang_engine::template::TemplateSet::parse(yichuang_engine::template::BUNDLED_TEMPLATES)
            .unwrap();
    assert_eq!(e.active_template_version().unwrap(), bundled.version);
    // The old set stays, for re-rendering what was printed with it.
    assert!(e.templates("2026.1.1").is_ok());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.sqlite3");
    let conn = store::open_raw(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Engine::open(&path).err(),
        Some(Error::SchemaTooNew { .. })
    ));
}

#[test]
fn wal_and_full_sync_are_on() {
    let s = station();
    let c = s.e.connection();
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    let sync: i64 = c
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    let fk: i64 = c
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
}

fn catalog_with(edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    edit(&mut v);
    v.to_string()
}

#[test]
fn broken_catalog_import_leaves_the_previous_catalog_active() {
    let s = station();
    let before = fingerprint(&s.e);
    for (text, what) in [
        ("{ not json".to_owned(), "line"),
        (
            catalog_with(|v| {
                v["version"] = "2026.2".into();
                v["items"][3]["statutory_days"] = 1.into();
            }),
            "promised_days",
        ),
        (
            catalog_with(|v| {
                v["version"] = "2026.2".into();
                v["items"][2]["materials"] = serde_json::json!([]);
            }),
            "materials",
        ),
        (
            catalog_with(|v| {
                v["version"] = "2026.2".into();
                v["items"][1]["supplement"] = serde_json::Value::Null;
            }),
            "supplement",
        ),
        // Same version number, different content.
        (
            catalog_with(|v| {
                v["items"][0]["name"] = "改名".into();
            }),
            "version",
        ),
    ] {
        let err =
            s.e.import_catalog(&s.admin, &text, "county-2026.2.json")
                .unwrap_err();
        assert!(err.to_string().contains(what), "{err}");
        assert!(
            err.user_message().contains("原有清单保持不变"),
            "{}",
            err.user_message()
        );
        // The bundled catalog.
        assert_eq!(s.e.catalog().unwrap().version, "2026.1.2");
        assert_eq!(before, fingerprint(&s.e));
    }
    // Only an admin may import.
    let good = catalog_with(|v| {
        v["version"] = "2026.2".into();
        v["items"][0]["promised_days"] = 4.into();
    });
    assert!(matches!(
        s.e.import_catalog(&s.clerk, &good, "f").unwrap_err(),
        Error::Forbidden { .. }
    ));
    assert_eq!(s.e.import_catalog(&s.admin, &good, "f").unwrap(), "2026.2");
    assert_eq!(
        s.e.catalog()
            .unwrap()
            .item("RS-SY-001")
            .unwrap()
            .promised_days,
        4
    );
}

#[test]
fn cases_keep_the_catalog_version_they_were_registered_under() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    let newer = catalog_with(|v| {
        v["version"] = "2026.2".into();
        v["items"][0]["promised_days"] = 3.into();
    });
    s.e.import_catalog(&s.admin, &newer, "f").unwrap();
    let v = s.e.accept(&s.clerk, &c.case_no).unwrap();
    assert_eq!(v.catalog_version, "2026.1.2");
    // 5 promised working days from 2026-11-23 under the old catalog.
    assert_eq!(v.promised_due.unwrap().to_string(), "2026-11-30");
}

#[test]
fn calendar_year_from_the_county_turns_provisional_into_final() {
    let mut s = station();
    let r =
        s.e.calendar()
            .add_working_days(chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(), 10)
            .unwrap();
    assert!(r.provisional);
    let year_2027 = r#"{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true},
        {"name":"元旦","date":"2027-01-04","isOffDay":true}]}"#;
    s.e.import_calendar_year(&s.admin, year_2027, "county")
        .unwrap();
    let r =
        s.e.calendar()
            .add_working_days(chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(), 10)
            .unwrap();
    assert!(!r.provisional);
    assert_eq!(r.date.to_string(), "2027-01-11");
    assert!(
        s.e.import_calendar_year(&s.admin, "{\"year\": 2027}", "bad")
            .is_err()
    );
}

/// The current release is the highest version number, whatever the clock
/// said when each was applied (a clock corrected backwards once made an
/// older release look current and re-applied it on every sync).
#[test]
fn the_current_release_is_the_highest_number_not_the_latest_clock() {
    use yichuang_engine::sync::ReleaseSink;
    let mut s = station();
    let apply = |e: &Engine, version: &str| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/calendar/2026.json"
        ))
        .unwrap();
        let m = yichuang_engine::sync::ReleaseManifest {
            kind: "calendar".into(),
            version: version.into(),
            sha256: yichuang_wire::sha256_hex(text.as_bytes()),
            size: text.len() as u64,
            algorithm: "ed25519".into(),
            signature: String::new(),
            published_at_ms: 0,
        };
        e.apply(&m, text.as_bytes()).unwrap();
    };
    s.e.set_clock(clock("2026-12-05T09:00:00+08:00"));
    apply(&s.e, "9");
    // The clock is corrected a week back; release 10 arrives.
    s.e.set_clock(clock("2026-11-28T09:00:00+08:00"));
    apply(&s.e, "10");
    assert_eq!(
        s.e.current_version("calendar").unwrap().as_deref(),
        Some("10")
    );
    assert!(s.e.seen_sha256("calendar", "9").unwrap().is_some());
}
