//! Encryption at rest: an encrypted station database opens with its key and
//! with nothing else, keeps no name or header in clear, and a plain station
//! migrates with its events and verified chain — or stays as it was.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use yichuang_engine::at_rest::{self, Custody, DataKey, ProtectWith};
use yichuang_engine::store::{self, MIGRATIONS};
use yichuang_engine::{Clerk, Engine, Error, NoticeKind};
use yichuang_testkit::items::EMPLOYMENT_CARD;
use yichuang_testkit::*;

const PASS: &str = STATION_PASSPHRASE;
const NAME: &str = "欧阳秘测";

fn what(r: Result<impl Sized, Error>) -> &'static str {
    match r {
        Err(Error::AtRest { what, .. }) => what,
        Err(e) => panic!("expected an at-rest error, got {e:?}"),
        Ok(_) => panic!("expected an at-rest error, got success"),
    }
}

fn zh(r: Result<impl Sized, Error>) -> String {
    match r {
        Err(e) => e.user_message(),
        Ok(_) => panic!("expected an error"),
    }
}

/// The shared encrypted station (testkit) with one case of `NAME`.
fn encrypted_station(dir: &Path) -> PathBuf {
    yichuang_testkit::encrypted_station(dir, NAME)
}

fn accepted_with_notice(e: &Engine, clerk: &Clerk, who: &str) -> String {
    let c = e
        .register_case(clerk, &case_for(e, EMPLOYMENT_CARD, who, &[]))
        .unwrap();
    e.accept(clerk, &c.case_no).unwrap();
    e.issue_notice(clerk, &c.case_no, NoticeKind::AcceptanceNotice)
        .unwrap();
    c.case_no
}

/// `path` with `suffix` appended to its file name.
/// Searching needs a clerk; any account of the station will do.
fn any_clerk(e: &Engine) -> Clerk {
    e.clerks().unwrap().into_iter().next().expect("a clerk")
}

fn sib(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The database file and its WAL, as they lie on disk.
fn raw_files(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(sib(path, "-wal")) {
        bytes.extend(wal);
    }
    bytes
}

fn count(e: &Engine, table: &str) -> i64 {
    e.connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sqlcipher_is_built_in() {
    let c = Connection::open_in_memory().unwrap();
    let v: String = c
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .unwrap();
    assert!(!v.is_empty(), "cipher_version answered nothing");
}

#[test]
fn an_encrypted_station_opens_with_its_passphrase_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = encrypted_station(dir.path());
    assert_eq!(at_rest::custody(&path).unwrap(), Custody::Passphrase);

    // No key: the plain open path refuses with a clear sentence.
    let locked = Engine::open(&path);
    assert_eq!(
        zh(Engine::open(&path)),
        "站点数据库已加密，需要口令或密钥才能打开"
    );
    assert_eq!(what(locked), "locked");
    // Another key, a wrong passphrase, no passphrase.
    assert_eq!(
        what(Engine::open_with_key(&path, &DataKey::generate().unwrap())),
        "wrong_key"
    );
    assert_eq!(
        zh(at_rest::unlock(&path, Some("不是这个口令啊啊"))),
        "站点口令不正确"
    );
    assert_eq!(
        what(Engine::open_station(&path, Some("不是这个口令啊啊"))),
        "wrong_passphrase"
    );
    assert_eq!(
        what(Engine::open_station(&path, None)),
        "passphrase_required"
    );
    // Plain SQLite sees no database at all.
    let c = Connection::open(&path).unwrap();
    assert!(
        c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r
            .get::<_, i64>(0))
            .is_err()
    );

    // The right passphrase: everything reads, the chain verifies.
    let e = Engine::open_station(&path, Some(PASS)).unwrap();
    assert_eq!(e.station().unwrap().code, "CG01");
    let found = e.search_cases(&any_clerk(&e), "欧阳秘", 10).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(count(&e, "notices"), 1);
    assert!(e.verify_log().unwrap().events >= 5);
    assert!(e.login("2001", PW).is_ok());
}

#[test]
fn no_applicant_name_and_no_sqlite_header_lie_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = encrypted_station(dir.path());
    // While the engine writes (the WAL holds uncheckpointed pages) and after.
    let e = Engine::open_station(&path, Some(PASS)).unwrap();
    let clerk = e.login("2001", PW).unwrap();
    accepted_with_notice(&e, &clerk, "司马隐名");
    for bytes in [raw_files(&path), {
        drop(e);
        raw_files(&path)
    }] {
        assert!(!contains(&bytes, b"SQLite format 3"));
        assert!(!contains(&bytes, NAME.as_bytes()));
        assert!(!contains(&bytes, "司马隐名".as_bytes()));
        assert!(!contains(&bytes, "城关镇服务站".as_bytes()));
    }
    // The check means something: a plain station shows both.
    let s = station();
    let clerk = s.clerk.clone();
    accepted_with_notice(&s.e, &clerk, NAME);
    s.e.connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let plain = std::fs::read(s.e.path()).unwrap();
    assert!(contains(&plain, b"SQLite format 3") && contains(&plain, NAME.as_bytes()));
}

/// Every 32-byte run of the custody file — its text as hex digits and the
/// bytes its hex fields decode to — tried as the database's raw key.
#[test]
fn the_custody_file_holds_no_key_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = encrypted_station(dir.path());
    let custody = at_rest::custody_path(&path).unwrap();
    assert_eq!(custody.file_name().unwrap(), "station.sqlite3.key");
    let text = std::fs::read_to_string(&custody).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(j["v"], 1);
    assert_eq!(j["custody"], "passphrase");
    assert_eq!(j["kdf"], "argon2id");
    assert!(j["params"]["m_kib"].as_u64().unwrap() >= 19 * 1024);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&custody).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "custody file readable by others: {mode:o}");
    }
    let mut candidates: Vec<String> = Vec::new();
    let hexes: Vec<char> = text.chars().collect();
    for w in hexes.windows(64) {
        if w.iter().all(|c| c.is_ascii_hexdigit()) {
            candidates.push(w.iter().collect::<String>().to_lowercase());
        }
    }
    let mut decoded = Vec::new();
    for field in ["salt", "nonce", "sealed"] {
        decoded.extend(hex::decode(j[field].as_str().unwrap()).unwrap());
    }
    for w in decoded.windows(32) {
        candidates.push(hex::encode(w));
    }
    assert!(candidates.len() > 50, "{}", candidates.len());
    for k in candidates {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(&format!("PRAGMA key = \"x'{k}'\""))
            .unwrap();
        assert!(
            c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r
                .get::<_, i64>(0))
                .is_err(),
            "the custody file holds the key in clear"
        );
    }
}

#[test]
fn the_passphrase_changes_and_the_old_one_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = encrypted_station(dir.path());
    let new = "新的站点口令 2027";
    assert_eq!(
        what(at_rest::change_passphrase(&path, "不是这个口令啊啊", new)),
        "wrong_passphrase"
    );
    assert_eq!(
        zh(at_rest::change_passphrase(&path, PASS, "短口令")),
        "站点口令至少需要 8 个字符"
    );
    at_rest::change_passphrase(&path, PASS, new).unwrap();
    assert_eq!(
        what(Engine::open_station(&path, Some(PASS))),
        "wrong_passphrase"
    );
    let e = Engine::open_station(&path, Some(new)).unwrap();
    assert_eq!(
        e.search_cases(&any_clerk(&e), "欧阳秘", 10).unwrap().len(),
        1
    );
}

#[test]
fn a_short_passphrase_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.sqlite3");
    let r = at_rest::protect_new(&path, ProtectWith::Passphrase("1234567"));
    assert_eq!(zh(r), "站点口令至少需要 8 个字符");
    assert!(!at_rest::custody_path(&path).unwrap().exists());
    assert!(!path.exists());
    // Eight characters (not bytes) are enough.
    assert!(at_rest::protect_new(&path, ProtectWith::Passphrase("八个汉字的口令啊")).is_ok());
    // A second protection of the same (new) database is refused.
    assert_eq!(
        what(at_rest::protect_new(&path, ProtectWith::Passphrase(PASS))),
        "custody_exists"
    );
}

#[test]
fn custody_of_plain_missing_and_orphaned_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sqlite3");
    assert_eq!(at_rest::custody(&missing).unwrap(), Custody::Plain);
    let s = station();
    assert_eq!(at_rest::custody(s.e.path()).unwrap(), Custody::Plain);
    assert_eq!(
        what(at_rest::unlock(s.e.path(), Some(PASS))),
        "not_encrypted"
    );
    // An encrypted file whose custody file is gone: says so, names the file.
    let path = encrypted_station(dir.path());
    std::fs::remove_file(at_rest::custody_path(&path).unwrap()).unwrap();
    let msg = zh(at_rest::custody(&path));
    assert!(msg.contains("station.sqlite3.key"), "{msg}");
    assert_eq!(what(Engine::open_station(&path, Some(PASS))), "no_custody");
    // Junk where a database should be: an error, never a panic.
    let junk = dir.path().join("junk.sqlite3");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    assert_eq!(what(Engine::open(&junk)), "locked");
    // A plain database given a key.
    assert_eq!(
        what(Engine::open_with_key(
            s.e.path(),
            &DataKey::generate().unwrap()
        )),
        "wrong_key"
    );
}

#[test]
fn a_plain_station_migrates_with_its_events_and_verified_chain() {
    let s = station();
    let clerk = s.clerk.clone();
    for who in ["赵迁移", "钱迁移", NAME] {
        accepted_with_notice(&s.e, &clerk, who);
    }
    let path = s.e.path().to_owned();
    let before = s.e.verify_log().unwrap();
    let print = fingerprint(&s.e);
    let (cases, notices) = (count(&s.e, "cases"), count(&s.e, "notices"));
    let Station { dir: _dir, e, .. } = s;
    drop(e);

    let _key = Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS)).unwrap();
    for suffix in [
        "-wal",
        "-shm",
        ".encrypting",
        ".encrypting-wal",
        ".encrypting-shm",
    ] {
        assert!(!sib(&path, suffix).exists(), "{suffix} left behind");
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(!contains(&bytes, b"SQLite format 3") && !contains(&bytes, NAME.as_bytes()));
    assert_eq!(at_rest::custody(&path).unwrap(), Custody::Passphrase);
    assert_eq!(what(Engine::open(&path)), "locked");

    let e = Engine::open_station(&path, Some(PASS))
        .unwrap()
        .with_clock(clock(TEST_NOW));
    assert_eq!(e.verify_log().unwrap(), before);
    assert_eq!(fingerprint(&e), print);
    assert_eq!((count(&e, "cases"), count(&e, "notices")), (cases, notices));
    assert_eq!(
        e.search_cases(&any_clerk(&e), "欧阳秘", 10).unwrap().len(),
        1
    );
    // The station works on: a new case chains onto the migrated log.
    let clerk = e.login("2001", PW).unwrap();
    accepted_with_notice(&e, &clerk, "孙迁移后");
    assert!(e.verify_log().unwrap().last_seq > before.last_seq);
    // Migrating twice is refused.
    drop(e);
    assert_eq!(
        what(Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS))),
        "already_encrypted"
    );
}

/// A station on schema version 1 (before search existed), with a real chain.
#[test]
fn an_old_plain_database_migrates_and_is_brought_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    {
        let mut conn = store::open_raw(&path).unwrap();
        store::migrate_to(&mut conn, 1).unwrap();
        let payload = "{}";
        let hash = yichuang_wire::chain_hash(
            yichuang_wire::GENESIS_HASH,
            &yichuang_wire::EventFields {
                log_id: "log-old",
                seq: 1,
                event_id: "e1",
                kind: "station.initialised",
                schema_version: 1,
                device_time: "2026-01-01T08:00:00+08:00",
                payload,
            },
        );
        conn.execute_batch(
            "INSERT INTO station VALUES (1, 'OLD1', '老站', '示范县', 'log-old', '2026-01-01');
             INSERT INTO sync_state (id, acked_seq, acked_hash) VALUES (1, 0, '0');
             INSERT INTO clerks VALUES (1, '0001', '管理员', 'admin', 'x', 1, 't');
             INSERT INTO applicants VALUES (1, 'person', '欧阳旧站', 'resident_id', '11010519491231002X', '', '', 't');",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events VALUES (1, 'log-old', 'e1', 'station.initialised', 1, '2026-01-01T08:00:00+08:00', ?1, ?2, ?3)",
            params![payload, yichuang_wire::GENESIS_HASH, hash],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cases (case_no, item_code, item_name, catalog_version, applicant_id, applicant_kind,
               applicant_name, applicant_id_type, applicant_id_no, first_contact, handler, state, received_on,
               registered_at, onetime_notice_due, last_event_seq, updated_at)
             VALUES ('OLD1-20260101-0001', 'RS-SY-001', '失业保险金申领', '2026.1', 1, 'person', '欧阳旧站',
               'resident_id', '11010519491231002X', 1, 1, 'registered', '2026-01-05', 't', '2026-01-12', 1, 't')",
            [],
        )
        .unwrap();
    }
    Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS)).unwrap();
    let e = Engine::open_station(&path, Some(PASS)).unwrap();
    assert_eq!(
        store::schema_version(e.connection()).unwrap(),
        MIGRATIONS.len() as i64
    );
    assert_eq!(e.verify_log().unwrap().last_seq, 1);
    // The name index the later schema added was backfilled in the copy.
    assert_eq!(e.search_cases(&any_clerk(&e), "旧站", 10).unwrap().len(), 1);
}

/// The plain station after a refused migration: as it was, and it opens.
fn unchanged(path: &Path, print: &str) {
    assert_eq!(at_rest::custody(path).unwrap(), Custody::Plain);
    let copy = sib(path, ".encrypting");
    assert!(!copy.is_file(), "{} left behind", copy.display());
    let e = Engine::open_station(path, None).unwrap();
    assert_eq!(fingerprint(&e), print);
    assert!(e.verify_log().is_ok());
    let e = Engine::open(path).unwrap();
    assert_eq!(fingerprint(&e), print);
}

fn closed_station() -> (tempfile::TempDir, PathBuf, String) {
    let s = station();
    let clerk = s.clerk.clone();
    accepted_with_notice(&s.e, &clerk, NAME);
    let path = s.e.path().to_owned();
    let print = fingerprint(&s.e);
    let Station { dir, e, .. } = s;
    drop(e);
    (dir, path, print)
}

#[test]
fn a_corrupt_custody_file_beside_a_plain_station_stops_the_migration() {
    let (_dir, path, print) = closed_station();
    let custody = at_rest::custody_path(&path).unwrap();
    std::fs::write(&custody, "{\"v\":1,\"custody\":\"pass").unwrap();
    let r = Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS));
    assert_eq!(what(r), "custody_exists");
    // Untouched, the foreign file too.
    assert_eq!(
        std::fs::read_to_string(&custody).unwrap(),
        "{\"v\":1,\"custody\":\"pass"
    );
    unchanged(&path, &print);
}

#[test]
fn a_failed_copy_leaves_the_plain_station_as_it_was() {
    let (_dir, path, print) = closed_station();
    // Something in the way of the encrypted copy.
    let copy = sib(&path, ".encrypting");
    std::fs::create_dir(&copy).unwrap();
    std::fs::write(copy.join("x"), "x").unwrap();
    assert!(Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS)).is_err());
    assert!(!at_rest::custody_path(&path).unwrap().exists());
    std::fs::remove_dir_all(&copy).unwrap();
    unchanged(&path, &print);
}

#[test]
fn a_tampered_log_is_not_migrated() {
    let (_dir, path, _) = closed_station();
    {
        let c = Connection::open(&path).unwrap();
        let triggers: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'events'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for t in triggers {
            c.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
        }
        c.execute("UPDATE events SET kind = 'x' WHERE seq = 3", [])
            .unwrap();
    }
    let print = fingerprint(&Engine::open(&path).unwrap());
    let r = Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS));
    assert!(r.is_err());
    assert!(!at_rest::custody_path(&path).unwrap().exists());
    assert_eq!(at_rest::custody(&path).unwrap(), Custody::Plain);
    let e = Engine::open(&path).unwrap();
    assert_eq!(fingerprint(&e), print);
}

#[test]
fn a_station_open_elsewhere_is_not_migrated() {
    let (_dir, path, print) = closed_station();
    let other = Engine::open(&path).unwrap();
    let r = Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS));
    assert_eq!(what(r), "in_use");
    drop(other);
    unchanged(&path, &print);
}

#[test]
fn a_read_only_directory_leaves_the_plain_station_usable() {
    let (dir, path, print) = closed_station();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = std::fs::Permissions::from_mode(0o555);
        std::fs::set_permissions(dir.path(), ro).unwrap();
        let probe = dir.path().join("probe");
        if std::fs::write(&probe, "x").is_ok() {
            // Root writes anywhere: the case cannot be made here.
            let _ = std::fs::remove_file(&probe);
            println!("skipped: running as root, a read-only directory is still writable");
        } else {
            assert!(Engine::encrypt_plain(&path, ProtectWith::Passphrase(PASS)).is_err());
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    unchanged(&path, &print);
}

#[test]
fn the_os_key_store_when_there_is_none() {
    if at_rest::keystore_available() {
        println!("skipped: an OS key store is reachable (the CLI tests cover it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.sqlite3");
    assert!(at_rest::protect_new(&path, ProtectWith::OsKeyStore).is_err());
    assert!(!at_rest::custody_path(&path).unwrap().exists());
    let (_dir, plain, print) = closed_station();
    assert_eq!(
        what(Engine::encrypt_plain(&plain, ProtectWith::OsKeyStore)),
        "keystore_unavailable"
    );
    unchanged(&plain, &print);
}
