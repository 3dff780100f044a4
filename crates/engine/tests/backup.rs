//! Backups and restores: a verified copy through the online backup API, a
//! rotation that only counts verified copies, a copy that fails verification
//! reported and never kept, encrypted backups that open with their
//! passphrase only, and a restore into a new data directory.
//! (Settling a restored log with a real county: county/tests/backup_restore.rs.)

use std::path::Path;

use rusqlite::{Connection, params};
use yichuang_engine::at_rest::ProtectWith;
use yichuang_engine::backup::{self, Progress, Trigger};
use yichuang_engine::{Engine, Error, NoticeKind};
use yichuang_testkit::items::EMPLOYMENT_CARD;
use yichuang_testkit::*;

const PASS: &str = STATION_PASSPHRASE;

fn what<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    match r {
        Err(Error::Backup { what, .. }) | Err(Error::AtRest { what, .. }) => what,
        other => panic!("expected a backup error, got {other:?}"),
    }
}

fn quiet() -> impl FnMut(Progress) {
    |_| {}
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Rows of the tables a restore must bring back, as text.
fn business_rows(e: &Engine) -> String {
    let mut out = String::new();
    for t in ["cases", "notices", "clerks", "events"] {
        let mut stmt = e
            .connection()
            .prepare(&format!("SELECT * FROM {t} ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            out.push_str(t);
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).unwrap();
                out.push_str(&format!("|{v:?}"));
            }
            out.push('\n');
        }
    }
    out
}

fn accepted_case(s: &Station, who: &str) -> String {
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, EMPLOYMENT_CARD, who, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
        .unwrap();
    c.case_no
}

#[test]
fn a_backup_is_verified_recorded_and_rotated() {
    let mut s = station();
    let folder = tempfile::tempdir().unwrap();
    accepted_case(&s, "欧阳备份");
    s.e.set_setting(&s.admin, "backup.keep", "2").unwrap();

    // Only an administrator backs up by hand.
    assert!(matches!(
        s.e.back_up(Some(&s.clerk), folder.path(), Trigger::Manual, &mut quiet()),
        Err(Error::Forbidden { .. })
    ));
    let mut stages = Vec::new();
    let first =
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut |p| {
            stages.push((p.stage, p.done, p.total))
        })
        .unwrap();
    assert!(
        stages
            .iter()
            .any(|(st, d, t)| *st == "copy" && d == t && *t > 0)
    );
    assert!(stages.iter().any(|(st, _, _)| *st == "verify"));
    let head = s.e.verify_log().unwrap();
    // The backup's own event is inside the copy: restoring the newest backup
    // finds the county at its head, not one event ahead.
    assert_eq!(first.manifest.head_seq, head.last_seq);
    assert_eq!(first.manifest.cases, 1);
    assert!(!first.manifest.encrypted && !first.manifest.enrolled);
    let name = first
        .file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(name, "CG01-20261123-093000.ycbak");
    assert_eq!(
        files(folder.path()),
        vec![name.clone(), format!("{name}.json")],
        "a plain station's backup: the database and its manifest, no partial file"
    );
    let (m, key) = backup::verify_backup(&first.file, None, &mut quiet()).unwrap();
    assert!(key.is_none());
    assert_eq!(m, first.manifest);
    // The copy is one self-contained file in rollback-journal mode.
    let c = Connection::open(&first.file).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    drop(c);

    // Recorded: a run row, and the event the copy holds.
    let status = s.e.backup_status(&s.admin).unwrap();
    let ok = status.last_ok.expect("last good backup");
    assert_eq!(ok.file.as_deref(), Some(name.as_str()));
    assert_eq!(ok.actor.as_deref(), Some("0001"));
    assert!(status.last_failure.is_none());
    let kinds: Vec<String> =
        s.e.tail_events(1)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
    assert_eq!(kinds, vec!["station.backup_started"]);

    // Two more, an hour apart each: the oldest is rotated out (keep = 2).
    for h in ["10:30", "11:30"] {
        s.e.set_clock(clock(&format!("2026-11-23T{h}:00+08:00")));
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut quiet())
            .unwrap();
    }
    let left: Vec<String> = backup::list_backups(folder.path())
        .unwrap()
        .into_iter()
        .map(|b| b.file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec!["CG01-20261123-113000.ycbak", "CG01-20261123-103000.ycbak"]
    );
    assert_eq!(
        files(folder.path()).len(),
        4,
        "no manifest left of the rotated one"
    );
}

#[test]
fn a_copy_that_fails_verification_is_reported_and_never_kept() {
    let mut s = station();
    let folder = tempfile::tempdir().unwrap();
    accepted_case(&s, "欧阳备份");
    s.e.set_setting(&s.admin, "backup.keep", "1").unwrap();
    s.e.set_setting(&s.admin, "backup.folder", &folder.path().to_string_lossy())
        .unwrap();
    let good =
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut quiet())
            .unwrap();
    let before = files(folder.path());

    // A damaged log (an event's payload altered behind the engine's back).
    let raw = Connection::open(s.e.path()).unwrap();
    let triggers: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'events'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        raw.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
    }
    raw.execute(
        "UPDATE events SET payload = ?1 WHERE seq = 3",
        params![r#"{"altered":true}"#],
    )
    .unwrap();
    drop(raw);

    s.e.set_clock(clock("2026-11-23T10:30:00+08:00"));
    let r =
        s.e.back_up(None, folder.path(), Trigger::Scheduled, &mut quiet());
    assert_eq!(what(r), "verify_failed");
    assert_eq!(
        files(folder.path()),
        before,
        "nothing of the failed copy is left and the good backup was not rotated out"
    );
    assert!(good.file.exists());
    let status = s.e.backup_status(&s.admin).unwrap();
    let fail = status.last_failure.expect("the failure is recorded");
    assert_eq!(fail.trigger, "scheduled");
    assert!(
        fail.error_zh
            .as_deref()
            .unwrap_or("")
            .contains("备份校验未通过"),
        "{fail:?}"
    );
    assert_eq!(status.backups.len(), 1);
    let kinds: Vec<String> =
        s.e.tail_events(1)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
    assert_eq!(kinds, vec!["station.backup_failed"]);
}

#[test]
fn a_damaged_backup_file_is_refused_and_restores_nothing() {
    let s = station();
    let folder = tempfile::tempdir().unwrap();
    accepted_case(&s, "欧阳备份");
    let b =
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut quiet())
            .unwrap();
    let mut bytes = std::fs::read(&b.file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&b.file, &bytes).unwrap();
    assert_eq!(
        what(backup::verify_backup(&b.file, None, &mut quiet())),
        "verify_failed"
    );
    let target = tempfile::tempdir().unwrap();
    let db = target.path().join("station.sqlite3");
    let r = Engine::restore_backup(&b.file, None, &db, None, &mut quiet());
    assert_eq!(what(r.map(|(_, r)| r)), "verify_failed");
    assert!(files(target.path()).is_empty(), "no file is left behind");
}

#[test]
fn a_plain_backup_restores_into_a_new_data_directory() {
    let s = station();
    let folder = tempfile::tempdir().unwrap();
    accepted_case(&s, "欧阳备份");
    accepted_case(&s, "司马恢复");
    let b =
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut quiet())
            .unwrap();
    let target = tempfile::tempdir().unwrap();
    let db = target.path().join("data").join("station.sqlite3");
    let (mut restored, report) =
        Engine::restore_backup(&b.file, None, &db, None, &mut quiet()).unwrap();
    assert_eq!(report.cases, 2);
    assert!(
        !report.check_pending,
        "never enrolled: nothing to compare with"
    );
    assert!(!restored.restore_pending().unwrap());
    // Everything up to the backup's head is as it was; then the restore's event.
    let events = restored.verify_log().unwrap();
    assert_eq!(
        restored.tail_events(2).unwrap()[0].kind,
        "station.backup_started"
    );
    assert_eq!(events.last_seq, b.manifest.head_seq + 1);
    let kinds: Vec<String> = restored
        .tail_events(1)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["station.restored"]);
    let original = business_rows(&s.e);
    let back = business_rows(&restored);
    let cut = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("events|"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(cut(&original), cut(&back));
    // The restored station works.
    restored.set_clock(clock(TEST_NOW));
    let clerk = restored.clerk_by_staff_no("2001").unwrap();
    restored
        .register_case(
            &clerk,
            &case_for(&restored, EMPLOYMENT_CARD, "诸葛新件", &[]),
        )
        .unwrap();
    // A restore never lands on an existing station.
    drop(restored);
    let r = Engine::restore_backup(&b.file, None, &db, None, &mut quiet());
    assert_eq!(what(r.map(|(_, r)| r)), "target_exists");
}

#[test]
fn an_encrypted_backup_opens_with_its_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = encrypted_station(dir.path(), "欧阳密备");
    let e = Engine::open_station(&path, Some(PASS))
        .unwrap()
        .with_clock(clock(TEST_NOW));
    let admin = e.clerk_by_staff_no("0001").unwrap();
    let folder = tempfile::tempdir().unwrap();
    let b = e
        .back_up(Some(&admin), folder.path(), Trigger::Manual, &mut quiet())
        .unwrap();
    assert!(b.manifest.encrypted);
    let name = b.file.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        files(folder.path()),
        vec![name.clone(), format!("{name}.json"), format!("{name}.key")]
    );
    // No name in clear in the copy, and a plain SQLite cannot read it.
    let bytes = std::fs::read(&b.file).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    let needle = "欧阳密备".as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    assert_eq!(
        what(backup::verify_backup(&b.file, None, &mut quiet())),
        "passphrase_required"
    );
    assert_eq!(
        what(backup::verify_backup(
            &b.file,
            Some("不是这个口令啊"),
            &mut quiet()
        )),
        "wrong_passphrase"
    );
    backup::verify_backup(&b.file, Some(PASS), &mut quiet()).unwrap();

    // Restored with a new passphrase: the same data, under the same key.
    let target = tempfile::tempdir().unwrap();
    let db = target.path().join("station.sqlite3");
    let new_pass = "新电脑上的站点口令";
    let (restored, report) = Engine::restore_backup(
        &b.file,
        Some(PASS),
        &db,
        Some(ProtectWith::Passphrase(new_pass)),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(report.cases, 1);
    drop(restored);
    assert!(Engine::open_station(&db, Some(PASS)).is_err());
    let again = Engine::open_station(&db, Some(new_pass)).unwrap();
    let clerk = again.clerk_by_staff_no("2001").unwrap();
    let hits = again.search_cases(&clerk, "欧阳密备", 10).unwrap();
    assert_eq!(hits.len(), 1);
}

#[test]
fn the_schedule_runs_a_backup_when_due_and_waits_after_a_failure() {
    let mut s = station();
    let folder = tempfile::tempdir().unwrap();
    assert_eq!(s.e.backup_due().unwrap(), None, "no folder set");
    // The folder must exist when it is set.
    let missing = folder.path().join("未插入的U盘");
    assert!(matches!(
        s.e.set_setting(&s.admin, "backup.folder", &missing.to_string_lossy()),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        s.e.set_setting(&s.admin, "backup.folder", "relative/path"),
        Err(Error::Invalid { .. })
    ));
    let usb = folder.path().join("一窗备份");
    std::fs::create_dir(&usb).unwrap();
    s.e.set_setting(&s.admin, "backup.folder", &usb.to_string_lossy())
        .unwrap();
    assert_eq!(s.e.backup_due().unwrap().as_deref(), Some(usb.as_path()));
    s.e.back_up(None, &usb, Trigger::Scheduled, &mut quiet())
        .unwrap();
    assert_eq!(s.e.backup_due().unwrap(), None, "just backed up");
    s.e.set_clock(clock("2026-11-24T09:29:00+08:00"));
    assert_eq!(s.e.backup_due().unwrap(), None, "23 h 59 min later");
    s.e.set_clock(clock("2026-11-24T09:31:00+08:00"));
    assert!(s.e.backup_due().unwrap().is_some(), "24 h later");

    // The drive is pulled out: the failure is recorded, retried after an hour.
    std::fs::remove_dir_all(&usb).unwrap();
    let r = s.e.back_up(None, &usb, Trigger::Scheduled, &mut quiet());
    assert!(r.is_err());
    assert_eq!(s.e.backup_due().unwrap(), None, "not retried at once");
    s.e.set_clock(clock("2026-11-24T10:32:00+08:00"));
    assert!(s.e.backup_due().unwrap().is_some(), "retried after an hour");
    s.e.set_setting(&s.admin, "backup.interval_hours", "0")
        .unwrap();
    assert_eq!(s.e.backup_due().unwrap(), None, "0 turns the schedule off");
}

/// The manifest of `b` rewritten to the file as it is now, so a damaged
/// file passes the SHA-256 check and reaches the copy's own checks.
fn vouch_for(b: &Path) {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(b).unwrap();
    let mpath = b.with_file_name(format!("{}.json", b.file_name().unwrap().to_string_lossy()));
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    m["size_bytes"] = bytes.len().into();
    m["sha256"] = hex::encode(Sha256::digest(&bytes)).into();
    std::fs::write(&mpath, serde_json::to_string(&m).unwrap()).unwrap();
}

#[test]
fn a_damaged_index_fails_the_backup_while_the_chain_verifies() {
    // The page checks run beside the chain verification: their finding alone
    // must fail the backup and remove the partial copy.
    let mut s = station();
    let folder = tempfile::tempdir().unwrap();
    accepted_case(&s, "欧阳备份");
    accepted_case(&s, "司马恢复");
    let good =
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut quiet())
            .unwrap();
    let before = files(folder.path());
    // The index's definition no longer matches what it holds (the classic
    // way to make an index disagree with its table); the events are intact.
    let raw = Connection::open(s.e.path()).unwrap();
    raw.execute_batch(
        "PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = 'CREATE INDEX cases_state ON cases(received_on)'
          WHERE name = 'cases_state';
         PRAGMA writable_schema = OFF;",
    )
    .unwrap();
    drop(raw);
    s.e.set_clock(clock("2026-11-23T10:30:00+08:00"));
    let r =
        s.e.back_up(Some(&s.admin), folder.path(), Trigger::Manual, &mut quiet());
    let Err(Error::Backup { what, en, .. }) = &r else {
        panic!("expected a failed backup, got {r:?}");
    };
    assert_eq!(*what, "verify_failed");
    assert!(en.contains("integrity_check"), "{en}");
    assert_eq!(
        files(folder.path()),
        before,
        "no partial copy is left and the good backup is kept"
    );
    assert!(good.file.exists());
}

#[test]
fn a_damaged_page_of_an_encrypted_backup_is_refused_free_pages_included() {
    let dir = tempfile::tempdir().unwrap();
    let path = encrypted_station(dir.path(), "欧阳密备");
    let e = Engine::open_station(&path, Some(PASS))
        .unwrap()
        .with_clock(clock(TEST_NOW));
    // Free pages: the integrity check never reads a free list's leaf pages;
    // SQLCipher's page check reads every page of the file.
    e.connection()
        .execute_batch(
            "CREATE TABLE scratch (b BLOB);
             INSERT INTO scratch VALUES (zeroblob(200000));
             DROP TABLE scratch;",
        )
        .unwrap();
    let admin = e.clerk_by_staff_no("0001").unwrap();
    let folder = tempfile::tempdir().unwrap();
    let b = e
        .back_up(Some(&admin), folder.path(), Trigger::Manual, &mut quiet())
        .unwrap();
    // Pages of no b-tree now are free in the copy too (a write after the copy
    // takes pages from the free list, it frees none).
    let conn = e.connection();
    let page_count: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    // SQLCipher answers `page_size` for an encrypted database as `cipher_page_size`, in text.
    let page_size: i64 = conn
        .query_row("PRAGMA cipher_page_size", [], |r| r.get::<_, String>(0))
        .unwrap()
        .parse()
        .unwrap();
    let used: std::collections::BTreeSet<i64> = conn
        .prepare("SELECT pageno FROM dbstat")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let free: Vec<i64> = (2..=page_count).filter(|p| !used.contains(p)).collect();
    assert!(free.len() > 10, "{} free pages", free.len());
    let original = std::fs::read(&b.file).unwrap();
    // A page of the events table, then the last free page (a leaf of the
    // free list, not its trunk).
    let used_page: i64 = conn
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = 'events' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    for (page, pass) in [
        (used_page, None),
        (*free.last().unwrap(), Some("cipher_integrity_check")),
    ] {
        let mut bytes = original.clone();
        let at = ((page - 1) * page_size + page_size / 2) as usize;
        bytes[at] ^= 0x55;
        std::fs::write(&b.file, &bytes).unwrap();
        vouch_for(&b.file);
        let r = backup::verify_backup(&b.file, Some(PASS), &mut quiet());
        let Err(Error::Backup { what, en, .. }) = &r else {
            panic!("page {page}: expected a refusal, got {r:?}");
        };
        assert_eq!(*what, "verify_failed", "page {page}: {en}");
        if let Some(pass) = pass {
            assert!(en.contains(pass), "page {page}: {en}");
        }
    }
}
