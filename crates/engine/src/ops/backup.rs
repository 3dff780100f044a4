//! Backups of the station database: a consistent copy through SQLite's online
//! backup API, verified before it counts, kept in a rotation; and restoring
//! one into a new data directory (`ops/restore.rs` settles a restored log
//! with the county).
//!
//! A backup is three files in the backup folder, named after the station and
//! the time: `<CODE>-<YYYYMMDD-HHMMSS>.ycbak` (the database, encrypted under
//! the station's data key when the station is), `….ycbak.key` (that key sealed
//! by a passphrase, for an encrypted station) and `….ycbak.json` (the
//! manifest: station, log, head, counts, size and SHA-256 of the database
//! file). The copy is written as `….ycbak.partial`; it becomes a backup only
//! after its integrity check, its SQLCipher page check, its whole event chain
//! and its head have been verified — a copy that fails is deleted, reported,
//! and never rotated in, so a damaged station cannot push out good backups.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::DateTime;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use yichuang_wire::ChainVerifier;

use crate::at_rest::{self, Custody, DataKey};
use crate::domain::clerk::{Clerk, Role};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// The backup database's extension.
pub const BACKUP_EXT: &str = "ycbak";
const MANIFEST_FORMAT: &str = "yichuang-station-backup";
const MANIFEST_VERSION: u32 = 1;
/// Beside the station database: the data key sealed by the backup passphrase,
/// for a station whose key is in the OS key store (that entry cannot travel).
const BACKUP_SEAL_SUFFIX: &str = ".backup-key";
/// Pages copied per step of the online backup (16 MiB of 4 KiB pages): other
/// connections may write between steps, and the window shows progress.
const PAGES_PER_STEP: i32 = 4096;
/// After a failed scheduled backup (a USB drive not plugged in), the next
/// try waits at least this long, so a missing folder is not retried every minute.
const RETRY_AFTER_FAILURE_MINUTES: i64 = 60;

/// What a backup holds, written beside it and checked on restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub v: u32,
    pub format: String,
    pub station_code: String,
    pub station_name: String,
    pub log_id: String,
    pub created_at: String,
    pub head_seq: u64,
    pub head_hash: String,
    pub events: u64,
    pub cases: u64,
    pub schema_version: i64,
    pub encrypted: bool,
    /// The station was enrolled with a county: a restore must settle its log
    /// with the county before it writes.
    pub enrolled: bool,
    pub size_bytes: u64,
    pub sha256: String,
    pub app_version: String,
}

/// One backup found in a folder.
#[derive(Debug, Clone, Serialize)]
pub struct BackupInfo {
    pub file: PathBuf,
    pub manifest: Manifest,
}

/// A backup just made and verified.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub file: PathBuf,
    pub manifest: Manifest,
    /// File names of older backups removed by the rotation.
    pub rotated_out: Vec<String>,
    /// Backups of this station in the folder now.
    pub kept: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Manual,
    Scheduled,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Scheduled => "scheduled",
        }
    }
}

/// How far a backup or a verification is, for a progress bar.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    /// `copy` (pages) or `verify` (events).
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

/// One recorded backup run.
#[derive(Debug, Clone, Serialize)]
pub struct BackupRun {
    pub started_at: String,
    pub finished_at: String,
    pub trigger: String,
    pub actor: Option<String>,
    pub folder: String,
    pub file: Option<String>,
    pub ok: bool,
    pub head_seq: Option<i64>,
    pub size_bytes: Option<i64>,
    pub error_zh: Option<String>,
}

/// The backup page of the window: settings in force, last runs, the backups
/// in the folder.
#[derive(Debug, Clone, Serialize)]
pub struct BackupStatus {
    pub folder: Option<String>,
    pub folder_reachable: bool,
    pub interval_hours: i64,
    pub keep: i64,
    /// The station's key is in the OS key store and no backup passphrase is
    /// set: backups are refused until an administrator sets one.
    pub needs_backup_passphrase: bool,
    pub encrypted: bool,
    pub last_ok: Option<BackupRun>,
    pub last_failure: Option<BackupRun>,
    pub backups: Vec<BackupInfo>,
}

fn bad(what: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Error {
    Error::backup(what, en, zh)
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A backup folder setting: an absolute path of an existing folder.
pub(crate) fn check_folder(label_zh: &str, value: &str) -> Result<()> {
    let p = Path::new(value);
    if !p.is_absolute() {
        return Err(Error::invalid(
            "backup.folder",
            format!("{value} is not an absolute path"),
            format!("“{label_zh}”须为完整路径（如 /media/备份盘/一窗备份）"),
        ));
    }
    if !p.is_dir() {
        return Err(Error::invalid(
            "backup.folder",
            format!("{value} is not a folder"),
            format!("“{label_zh}”：文件夹“{value}”不存在（U 盘是否已插好？）"),
        ));
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn manifest_path(db: &Path) -> PathBuf {
    with_suffix(db, ".json")
}

fn key_path(db: &Path) -> PathBuf {
    with_suffix(db, ".key")
}

/// Removes a backup's files (missing ones are fine).
fn remove_backup(db: &Path) {
    for p in [
        db.to_owned(),
        manifest_path(db),
        key_path(db),
        with_suffix(db, "-journal"),
    ] {
        let _ = fs::remove_file(p);
    }
}

/// The manifest of the backup at `db` (its `.json` beside it).
pub fn read_manifest(db: &Path) -> Result<Manifest> {
    let path = manifest_path(db);
    let text = fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            bad(
                "no_manifest",
                format!("{} has no manifest {}", db.display(), path.display()),
                format!(
                    "“{}”不是一窗的备份（缺少说明文件 {}）",
                    db.display(),
                    path.display()
                ),
            )
        } else {
            io(&path, e)
        }
    })?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| {
        bad(
            "bad_manifest",
            format!("manifest {}: {e}", path.display()),
            format!("备份说明文件“{}”已损坏", path.display()),
        )
    })?;
    if m.format != MANIFEST_FORMAT || m.v != MANIFEST_VERSION {
        return Err(bad(
            "bad_manifest",
            format!("manifest {}: format {} v{}", path.display(), m.format, m.v),
            format!("“{}”不是本程序能读的备份格式", db.display()),
        ));
    }
    Ok(m)
}

/// The backups in `folder` (those with a readable manifest), newest first.
pub fn list_backups(folder: &Path) -> Result<Vec<BackupInfo>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(folder).map_err(|e| io(folder, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io(folder, e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(BACKUP_EXT) {
            continue;
        }
        if let Ok(manifest) = read_manifest(&path) {
            out.push(BackupInfo {
                file: path,
                manifest,
            });
        }
    }
    // Newest first; two of the same second (or a clock set back): the one
    // further along its log.
    out.sort_by(|a, b| {
        b.manifest
            .created_at
            .cmp(&a.manifest.created_at)
            .then(b.manifest.head_seq.cmp(&a.manifest.head_seq))
            .then(b.file.cmp(&a.file))
    });
    Ok(out)
}

/// Size and SHA-256 of a file, read in blocks (a backup can be gigabytes).
fn file_digest(path: &Path) -> Result<(u64, String)> {
    let mut f = fs::File::open(path).map_err(|e| io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| io(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, hex::encode(h.finalize())))
}

/// What a database copy holds, read without changing it.
#[derive(Debug, Clone)]
pub(crate) struct Inspection {
    pub station_code: String,
    pub station_name: String,
    pub log_id: String,
    pub head_seq: u64,
    pub head_hash: String,
    pub events: u64,
    pub cases: u64,
    pub schema_version: i64,
    pub enrolled: bool,
}

/// Page cache of the connection that runs the page checks, KiB. `PRAGMA
/// integrity_check` looks up each row's entry in every index of its table,
/// in table order — random order for an index such as
/// `cases_applicant_id_no` — and on an encrypted copy each page the cache
/// misses is read, decrypted and HMAC-checked again; the 16 MiB of the other
/// encrypted connections holds a small part of a 1,000,000-case station's
/// indexes. A cache that holds a table's indexes reads each page about once.
/// SQLite fills it only as pages are read: a small station's copy costs
/// little. The chain's connection reads the events in order once and keeps
/// the default.
const VERIFY_CACHE_KIB: u32 = 256 * 1024;

/// The copy at `path`, opened read-only with `key`, for one verifying pass;
/// `cache_kib` replaces the connection's page cache size.
fn open_copy(path: &Path, key: Option<&DataKey>, cache_kib: Option<u32>) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    at_rest::apply_key(&conn, path, key)?;
    if let Some(kib) = cache_kib {
        conn.execute_batch(&format!("PRAGMA cache_size = -{kib}"))?;
    }
    Ok(conn)
}

/// A verification's finding: the copy is not a good backup (as opposed to an
/// error that says nothing about the copy, which is passed on as it is).
fn failed(path: &Path, what: String) -> Error {
    bad(
        "verify_failed",
        format!("{}: {what}", path.display()),
        format!("备份校验未通过（{what}）"),
    )
}

/// A statement of a verifying pass that failed: a damaged page (a page whose
/// HMAC does not match is "not a database" to SQLCipher) is a finding about
/// the copy; anything else (an interrupt, an I/O error) is passed on.
fn pass_error(path: &Path, pass: &str, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            failed(path, format!("{pass}: {e}"))
        }
        _ => e.into(),
    }
}

/// The rows of a check pragma (`ok`, or one finding a row).
fn pragma_rows(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare(pragma)?.query_map([], |r| r.get(0))?.collect()
}

/// The page checks of the copy: SQLite's integrity check (every b-tree page,
/// each index against its table, the constraints), then for an encrypted
/// copy SQLCipher's page check: the HMAC of every page of the file, the free
/// list's leaf pages included, which the integrity check never reads.
fn check_pages(conn: &Connection, path: &Path, encrypted: bool) -> Result<()> {
    let integrity = pragma_rows(conn, "PRAGMA integrity_check")
        .map_err(|e| pass_error(path, "integrity_check", e))?;
    if integrity.first().map(String::as_str) != Some("ok") {
        return Err(failed(
            path,
            format!(
                "integrity_check: {}",
                integrity.first().cloned().unwrap_or_default()
            ),
        ));
    }
    if encrypted {
        let errors = pragma_rows(conn, "PRAGMA cipher_integrity_check")
            .map_err(|e| pass_error(path, "cipher_integrity_check", e))?;
        if let Some(first) = errors.first() {
            return Err(failed(path, format!("cipher_integrity_check: {first}")));
        }
    }
    Ok(())
}

/// The station, the whole event chain from genesis and the counts of the
/// copy, read on `conn`; the chain's progress goes to `progress`.
fn read_copy(
    conn: &Connection,
    path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Inspection> {
    let schema_version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let station: Option<(String, String, String)> = conn
        .query_row(
            "SELECT code, name, log_id FROM station WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((station_code, station_name, log_id)) = station else {
        return Err(failed(path, "no station in the copy".into()));
    };
    let total: i64 = conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    let total = total.max(0) as u64;
    let mut verifier = ChainVerifier::new(&log_id);
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM events ORDER BY seq",
        crate::ops::eventlog::EVENT_COLS
    ))?;
    let mut done = 0u64;
    for e in stmt.query_map([], crate::ops::eventlog::event_from_row)? {
        let e = e.map_err(|e| pass_error(path, "event chain", e))?;
        verifier
            .push(&e)
            .map_err(|err| failed(path, format!("event chain: {err}")))?;
        done += 1;
        if done % 50_000 == 0 {
            progress(Progress {
                stage: "verify",
                done,
                total,
            });
        }
    }
    progress(Progress {
        stage: "verify",
        done,
        total,
    });
    let cases: i64 = conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    let enrolled: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM device_identity)", [], |r| {
            r.get(0)
        })?;
    Ok(Inspection {
        station_code,
        station_name,
        log_id,
        head_seq: verifier.last_seq(),
        head_hash: verifier.last_hash().to_owned(),
        events: done,
        cases: cases.max(0) as u64,
        schema_version,
        enrolled,
    })
}

/// Opens the copy at `path` read-only with `key` and checks it: SQLite's
/// integrity check, SQLCipher's page check (encrypted), the whole event chain.
///
/// The page checks and the chain are independent full passes over the file,
/// so they run at once on two read-only connections (a station PC has two
/// cores or more): the page checks on a thread of their own, the chain here,
/// where the progress callback is. Every pass must succeed; when the chain
/// fails first the page checks are interrupted, and the page checks' finding
/// is the one reported when both fail (they say more about a damaged file).
pub(crate) fn inspect(
    path: &Path,
    key: Option<&DataKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Inspection> {
    let pages = open_copy(path, key, Some(VERIFY_CACHE_KIB))?;
    let chain = open_copy(path, key, None)?;
    // The verification starts (a progress bar leaves the copy stage here).
    progress(Progress {
        stage: "verify",
        done: 0,
        total: 0,
    });
    let interrupt = pages.get_interrupt_handle();
    let encrypted = key.is_some();
    let (checked, seen) = std::thread::scope(|s| {
        let checking = s.spawn(move || check_pages(&pages, path, encrypted));
        let seen = read_copy(&chain, path, progress);
        if seen.is_err() {
            interrupt.interrupt();
        }
        let checked = checking
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checked, seen)
    });
    match (checked, seen) {
        (Ok(()), Ok(seen)) => Ok(seen),
        // The chain failed first and interrupted the page checks.
        (Err(e), Err(chain)) if is_interrupt(&e) => Err(chain),
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
    }
}

fn is_interrupt(e: &Error) -> bool {
    matches!(e, Error::Db(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted))
}

/// The backup at `db`, checked in full: its manifest, the file's size and
/// SHA-256, its key (unsealed by `passphrase` when encrypted), and the copy
/// itself ([`inspect`]) against the manifest. Returns the manifest and the key.
pub fn verify_backup(
    db: &Path,
    passphrase: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Manifest, Option<DataKey>)> {
    let m = read_manifest(db)?;
    let (size, sha) = file_digest(db)?;
    if size != m.size_bytes || sha != m.sha256 {
        return Err(bad(
            "verify_failed",
            format!(
                "{}: {size} bytes sha256 {sha}, manifest says {} bytes {}",
                db.display(),
                m.size_bytes,
                m.sha256
            ),
            "备份文件与其说明不符（文件已损坏或被改动），不能使用",
        ));
    }
    let key = if m.encrypted {
        let passphrase = passphrase.ok_or_else(|| {
            bad(
                "passphrase_required",
                "an encrypted backup needs its passphrase",
                "该备份已加密，请输入备份时的站点口令（或备份口令）",
            )
        })?;
        Some(at_rest::read_sealed(&key_path(db), passphrase)?)
    } else {
        None
    };
    let seen = inspect(db, key.as_ref(), progress)?;
    if seen.log_id != m.log_id || seen.head_seq != m.head_seq || seen.head_hash != m.head_hash {
        return Err(bad(
            "verify_failed",
            format!(
                "{}: holds log {} up to {} {}, manifest says {} up to {} {}",
                db.display(),
                seen.log_id,
                seen.head_seq,
                seen.head_hash,
                m.log_id,
                m.head_seq,
                m.head_hash
            ),
            "备份内容与其说明不符，不能使用",
        ));
    }
    Ok((m, key))
}

fn write_json_atomically(path: &Path, value: &impl Serialize) -> Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    let done = (|| {
        use std::io::Write;
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = done {
        let _ = fs::remove_file(&tmp);
        return Err(io(path, e));
    }
    Ok(())
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(path, e))
}

impl Engine {
    fn backup_seal_path(&self) -> Result<PathBuf> {
        at_rest::sibling(self.path(), BACKUP_SEAL_SUFFIX)
    }

    /// The sealed key that travels with this station's backups, if the
    /// station is encrypted: the station's own custody file when a passphrase
    /// seals it, else the backup passphrase's seal.
    fn travelling_seal(&self) -> Result<Option<PathBuf>> {
        if self.key.is_none() {
            return Ok(None);
        }
        let own = at_rest::custody_path(self.path())?;
        if at_rest::is_sealed_file(&own)? {
            return Ok(Some(own));
        }
        let seal = self.backup_seal_path()?;
        if seal.exists() && at_rest::is_sealed_file(&seal)? {
            return Ok(Some(seal));
        }
        Err(bad(
            "needs_backup_passphrase",
            "the data key is in the OS key store and no backup passphrase is set",
            "本站数据库密钥保存在系统密钥库中，备份前须由管理员设置“备份口令”（恢复时凭此口令解开备份）",
        ))
    }

    /// Sets the passphrase that seals this station's key for its backups (a
    /// station whose key is in the OS key store; a passphrase station's
    /// backups open with the station passphrase).
    pub fn set_backup_passphrase(&self, actor: &Clerk, passphrase: &str) -> Result<()> {
        actor.require(Role::Admin, "back_up")?;
        let Some(key) = &self.key else {
            return Err(bad(
                "not_encrypted",
                "the station database is not encrypted",
                "本站数据库未加密，备份不需要口令",
            ));
        };
        if !matches!(at_rest::custody(self.path())?, Custody::OsKeyStore { .. }) {
            return Err(bad(
                "has_passphrase",
                "the key is sealed by the station passphrase",
                "本站数据库密钥由站点口令封存，备份凭站点口令即可恢复，无需另设备份口令",
            ));
        }
        let seal = self.backup_seal_path()?;
        at_rest::write_sealed(&seal, key, passphrase)?;
        self.write(|w| {
            w.event(
                "station.backup_passphrase_set",
                &json!({"actor": actor.staff_no}),
            )?;
            Ok(())
        })
    }

    /// A backup into `folder` now, verified, then the rotation. `actor` is the
    /// administrator for a manual backup; a scheduled one has none. Every run
    /// is recorded (and an event); a failed one leaves no file behind and the
    /// older backups untouched.
    pub fn back_up(
        &self,
        actor: Option<&Clerk>,
        folder: &Path,
        trigger: Trigger,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<BackupReport> {
        if let Some(a) = actor {
            a.require(Role::Admin, "back_up")?;
        } else if trigger == Trigger::Manual {
            return Err(Error::NotLoggedIn);
        }
        let started = self.clock.stamp();
        let staff = actor.map(|a| a.staff_no.clone());
        let result = self.back_up_inner(folder, trigger, staff.as_deref(), progress);
        let record = match &result {
            Ok(r) => self.record_run(&started, trigger, staff.as_deref(), folder, Ok(r)),
            Err(e) => self.record_run(&started, trigger, staff.as_deref(), folder, Err(e)),
        };
        match (result, record) {
            (Ok(r), Ok(())) => Ok(r),
            (Ok(_), Err(e)) => Err(e),
            (Err(e), _) => Err(e),
        }
    }

    fn back_up_inner(
        &self,
        folder: &Path,
        trigger: Trigger,
        actor: Option<&str>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<BackupReport> {
        if self.restore_pending()? {
            return Err(bad(
                "restore_pending",
                "the restored station has not settled its log with the county",
                "本站由备份恢复，尚未与县级核对日志，暂不备份",
            ));
        }
        let station = self.station()?.clone();
        check_folder("备份文件夹", &folder.to_string_lossy())?;
        let seal = self.travelling_seal()?;
        let now = self.clock.now();
        let stem = format!("{}-{}", station.code, now.format("%Y%m%d-%H%M%S"));
        let mut db = folder.join(format!("{stem}.{BACKUP_EXT}"));
        let mut n = 2;
        while db.exists() || manifest_path(&db).exists() {
            db = folder.join(format!("{stem}-{n}.{BACKUP_EXT}"));
            n += 1;
        }
        let partial = with_suffix(&db, ".partial");
        // The backup's event goes before the copy, so the copy holds it: an
        // event after it would reach the county and put every restore of the
        // newest backup one event behind the county's head.
        let file_name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.write(|w| {
            w.event(
                "station.backup_started",
                &json!({"file": file_name, "folder": folder.display().to_string(),
                        "trigger": trigger.as_str(), "actor": actor,
                        "encrypted": self.key.is_some()}),
            )?;
            Ok(())
        })?;
        let made = (|| {
            self.copy_to(&partial, progress)?;
            // The file's SHA-256 is one more full read: beside the verification.
            let (seen, digest) = std::thread::scope(|s| {
                let digest = s.spawn(|| file_digest(&partial));
                let seen = inspect(&partial, self.key.as_ref(), progress);
                let digest = digest
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (seen, digest)
            });
            let seen = seen?;
            if seen.log_id != station.log_id {
                return Err(bad(
                    "verify_failed",
                    "the copy holds another log",
                    "备份校验未通过（副本的日志不是本站的）",
                ));
            }
            let (size_bytes, sha256) = digest?;
            let manifest = Manifest {
                v: MANIFEST_VERSION,
                format: MANIFEST_FORMAT.into(),
                station_code: seen.station_code,
                station_name: seen.station_name,
                log_id: seen.log_id,
                created_at: self.clock.stamp(),
                head_seq: seen.head_seq,
                head_hash: seen.head_hash,
                events: seen.events,
                cases: seen.cases,
                schema_version: seen.schema_version,
                encrypted: self.key.is_some(),
                enrolled: seen.enrolled,
                size_bytes,
                sha256,
                app_version: env!("CARGO_PKG_VERSION").into(),
            };
            if let Some(seal) = &seal {
                let to = key_path(&db);
                fs::copy(seal, &to).map_err(|e| io(&to, e))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&to, fs::Permissions::from_mode(0o600))
                        .map_err(|e| io(&to, e))?;
                }
                sync_file(&to)?;
            }
            write_json_atomically(&manifest_path(&db), &manifest)?;
            // The database file's name appearing is what completes a backup.
            fs::rename(&partial, &db).map_err(|e| io(&db, e))?;
            at_rest::sync_dir(&db);
            Ok(manifest)
        })();
        let manifest = match made {
            Ok(m) => m,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                let _ = fs::remove_file(with_suffix(&partial, "-journal"));
                remove_backup(&db);
                return Err(e);
            }
        };
        // Rotation: only verified backups of this log are counted or removed.
        let keep = self.integer_setting("backup.keep")?.max(1) as usize;
        let ours: Vec<BackupInfo> = list_backups(folder)?
            .into_iter()
            .filter(|b| b.manifest.log_id == station.log_id)
            .collect();
        let mut rotated_out = Vec::new();
        for old in ours.iter().skip(keep) {
            remove_backup(&old.file);
            rotated_out.push(
                old.file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
        Ok(BackupReport {
            file: db,
            manifest,
            rotated_out,
            kept: ours.len().min(keep),
        })
    }

    /// The online backup of this connection's database into a new file at
    /// `to`, keyed like the station; the copy is left in rollback-journal
    /// mode so it is one self-contained file.
    fn copy_to(&self, to: &Path, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        let _ = fs::remove_file(to);
        let mut dst = Connection::open(to)?;
        at_rest::apply_key(&dst, to, self.key.as_ref())?;
        {
            let backup = Backup::new(&self.conn, &mut dst)?;
            loop {
                let step = backup.step(PAGES_PER_STEP)?;
                let p = backup.progress();
                let total = p.pagecount.max(0) as u64;
                progress(Progress {
                    stage: "copy",
                    done: total.saturating_sub(p.remaining.max(0) as u64),
                    total,
                });
                match step {
                    StepResult::Done => break,
                    StepResult::More => {}
                    // Another connection holds a lock for a moment; the step is retried.
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        dst.close().map_err(|(_, e)| e)?;
        sync_file(to)
    }

    fn record_run(
        &self,
        started: &str,
        trigger: Trigger,
        actor: Option<&str>,
        folder: &Path,
        outcome: std::result::Result<&BackupReport, &Error>,
    ) -> Result<()> {
        let finished = self.clock.stamp();
        let folder_s = folder.display().to_string();
        self.write(|w| {
            match outcome {
                Ok(r) => {
                    let file = r
                        .file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned());
                    // No event: the copy already holds `station.backup_started`
                    // (see `back_up_inner`); the run's outcome is local state.
                    w.execute(
                        "INSERT INTO backup_runs (started_at, finished_at, trigger, actor, folder, file, ok,
                            head_seq, size_bytes, sha256)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9)",
                        params![started, finished, trigger.as_str(), actor, folder_s, file,
                                r.manifest.head_seq as i64, r.manifest.size_bytes as i64, r.manifest.sha256],
                    )?;
                }
                Err(e) => {
                    w.execute(
                        "INSERT INTO backup_runs (started_at, finished_at, trigger, actor, folder, ok, error, error_zh)
                         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
                        params![started, finished, trigger.as_str(), actor, folder_s,
                                e.to_string(), e.user_message()],
                    )?;
                    w.event(
                        "station.backup_failed",
                        &json!({"folder": folder_s, "trigger": trigger.as_str(), "actor": actor,
                                "error": e.to_string()}),
                    )?;
                }
            }
            Ok(())
        })
    }

    fn last_run(&self, ok: bool) -> Result<Option<BackupRun>> {
        Ok(self
            .conn
            .query_row(
                "SELECT started_at, finished_at, trigger, actor, folder, file, ok, head_seq, size_bytes, error_zh
                 FROM backup_runs WHERE ok = ?1 ORDER BY id DESC LIMIT 1",
                [ok],
                |r| {
                    Ok(BackupRun {
                        started_at: r.get(0)?,
                        finished_at: r.get(1)?,
                        trigger: r.get(2)?,
                        actor: r.get(3)?,
                        folder: r.get(4)?,
                        file: r.get(5)?,
                        ok: r.get(6)?,
                        head_seq: r.get(7)?,
                        size_bytes: r.get(8)?,
                        error_zh: r.get(9)?,
                    })
                },
            )
            .optional()?)
    }

    /// A manual backup into the configured folder (the window's 立即备份).
    pub fn back_up_now(
        &self,
        actor: &Clerk,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<BackupReport> {
        actor.require(Role::Admin, "back_up")?;
        let folder = self.backup_folder()?.ok_or_else(|| {
            bad(
                "no_folder",
                "no backup folder is set",
                "尚未设置备份文件夹，请先在下方填写并保存",
            )
        })?;
        self.back_up(Some(actor), &folder, Trigger::Manual, progress)
    }

    /// The configured backup folder, if any.
    pub fn backup_folder(&self) -> Result<Option<PathBuf>> {
        Ok(self
            .setting("backup.folder")?
            .filter(|s| !s.trim().is_empty())
            .map(PathBuf::from))
    }

    /// Whether a scheduled backup is due now: a folder is set, the interval is
    /// not 0, the last good backup is older than the interval, and a failure
    /// (an absent USB drive) is not retried within the hour.
    pub fn backup_due(&self) -> Result<Option<PathBuf>> {
        let Some(folder) = self.backup_folder()? else {
            return Ok(None);
        };
        let hours = self.integer_setting("backup.interval_hours")?;
        if hours <= 0 || self.station.is_none() || self.restore_pending()? {
            return Ok(None);
        }
        let now = self.clock.now();
        let age_minutes = |at: &str| {
            DateTime::parse_from_rfc3339(at)
                .map(|t| (now - t).num_minutes())
                .unwrap_or(i64::MAX)
        };
        // The last good run and the last failed one, in one read (the
        // backup thread asks once a minute).
        let (last_ok, last_failed): (Option<String>, Option<String>) = self.conn.query_row(
            "SELECT (SELECT finished_at FROM backup_runs WHERE ok = 1 ORDER BY id DESC LIMIT 1),
                    (SELECT finished_at FROM backup_runs WHERE ok = 0 ORDER BY id DESC LIMIT 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if last_ok.is_some_and(|at| age_minutes(&at) < hours * 60) {
            return Ok(None);
        }
        if last_failed
            .is_some_and(|at| age_minutes(&at) < RETRY_AFTER_FAILURE_MINUTES.min(hours * 60))
        {
            return Ok(None);
        }
        Ok(Some(folder))
    }

    /// What the backup page shows.
    pub fn backup_status(&self, actor: &Clerk) -> Result<BackupStatus> {
        actor.require(Role::Admin, "back_up")?;
        let folder = self.backup_folder()?;
        let reachable = folder.as_deref().is_some_and(Path::is_dir);
        let log_id = self.station()?.log_id.clone();
        let backups = match (&folder, reachable) {
            (Some(f), true) => list_backups(f)?
                .into_iter()
                .filter(|b| b.manifest.log_id == log_id)
                .collect(),
            _ => Vec::new(),
        };
        let needs_backup_passphrase = matches!(
            self.travelling_seal(),
            Err(Error::Backup {
                what: "needs_backup_passphrase",
                ..
            })
        );
        Ok(BackupStatus {
            folder: folder.map(|f| f.display().to_string()),
            folder_reachable: reachable,
            interval_hours: self.integer_setting("backup.interval_hours")?,
            keep: self.integer_setting("backup.keep")?,
            needs_backup_passphrase,
            encrypted: self.key.is_some(),
            last_ok: self.last_run(true)?,
            last_failure: self.last_run(false)?,
            backups,
        })
    }
}
