//! Opening the station database the way its key custody says, and encrypting
//! an existing plain one (the keys and their custody: `at_rest.rs`).

use std::fs;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::at_rest::{self, Custody, DataKey, FileState, ProtectWith};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// Suffix of the encrypted copy a migration builds beside the plain file.
const COPY_SUFFIX: &str = ".encrypting";

impl Engine {
    /// Opens the station database as its custody says: a plain one as
    /// [`Engine::open`]; an encrypted one with the key unsealed by
    /// `passphrase` or read from the OS key store.
    pub fn open_station(path: &Path, passphrase: Option<&str>) -> Result<Engine> {
        match at_rest::custody(path)? {
            Custody::Plain => Engine::open(path),
            Custody::Passphrase | Custody::OsKeyStore { .. } => {
                let key = at_rest::unlock(path, passphrase)?;
                Engine::open_with_key(path, &key)
            }
        }
    }

    /// Encrypts the existing plain station database at `path` in place and
    /// returns its new data key, whose custody is recorded as `with` says.
    ///
    /// The plain file is copied into an encrypted one beside it (SQLCipher's
    /// `sqlcipher_export`) under an exclusive lock; the copy is opened with the
    /// key, integrity-checked and its event chain verified against the plain
    /// file's head; only then is the custody recorded and the copy renamed
    /// over the plain file (its WAL and SHM files removed). A failure at any
    /// point leaves the plain database as it was. No other program may have
    /// the database open meanwhile (the desktop, a background sync).
    pub fn encrypt_plain(path: &Path, with: ProtectWith<'_>) -> Result<DataKey> {
        if let ProtectWith::Passphrase(p) = with {
            at_rest::check_passphrase(p)?;
        }
        match at_rest::file_state(path)? {
            FileState::Plain => {}
            FileState::Missing => {
                return Err(Error::NotFound {
                    what: "station database",
                    key: path.display().to_string(),
                });
            }
            FileState::Opaque => {
                return Err(Error::at_rest(
                    "already_encrypted",
                    format!("{} is not a plain SQLite file", path.display()),
                    "站点数据库已经加密（或不是 SQLite 数据库文件），无需再加密",
                ));
            }
        }
        let custody_file = at_rest::custody_path(path)?;
        if custody_file.exists() {
            return Err(Error::at_rest(
                "custody_exists",
                format!("custody file {} already exists", custody_file.display()),
                format!(
                    "密钥保管文件“{}”已存在：它可能属于另一份加密的数据库，请核对后移走再加密",
                    custody_file.display()
                ),
            ));
        }
        if matches!(with, ProtectWith::OsKeyStore) && !at_rest::keystore_available() {
            return Err(Error::at_rest(
                "keystore_unavailable",
                "no OS key store is reachable",
                "无法连接系统密钥库，请改用站点口令（--with passphrase）",
            ));
        }
        let copy = at_rest::sibling(path, COPY_SUFFIX)?;
        remove_database_files(&copy)?;
        let key = DataKey::generate()?;
        let done = (|| {
            let plain = lock_exclusively(path)?;
            let head = chain_head(&plain)?;
            export(&plain, &copy, &key)?;
            verify_copy(&copy, &key, head.as_ref())?;
            // Everything is in the main file; closing removes the plain WAL.
            plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
            plain.close().map_err(|(_, e)| e)?;
            let recorded = at_rest::record_custody(path, &key, with)?;
            if let Err(e) = fs::rename(&copy, path) {
                recorded.undo();
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source: e,
                });
            }
            Ok(())
        })();
        if let Err(e) = done {
            let _ = remove_database_files(&copy);
            return Err(e);
        }
        at_rest::sync_dir(path);
        // Left-overs of the plain file must not be applied to the encrypted one.
        for suffix in ["-wal", "-shm", "-journal"] {
            remove_if_present(&at_rest::sibling(path, suffix)?)?;
            remove_if_present(&at_rest::sibling(&copy, suffix)?)?;
        }
        Ok(key)
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// A database file and its journals (a copy left by an interrupted migration).
fn remove_database_files(db: &Path) -> Result<()> {
    remove_if_present(db)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_present(&at_rest::sibling(db, suffix)?)?;
    }
    Ok(())
}

/// The plain database, locked so that no other connection reads or writes it
/// until this one closes (exclusive locking mode, then an exclusive
/// transaction takes the lock and keeps it).
fn lock_exclusively(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(2))?;
    let locked = conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
    match locked {
        Ok(()) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            Err(Error::at_rest(
                "in_use",
                format!("{} is open in another program", path.display()),
                "站点数据库正被其他程序使用（如一窗桌面程序或后台同步），请先关闭后再加密",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The last event (seq, hash) of a database, if it has a log.
fn chain_head(conn: &Connection) -> Result<Option<(i64, String)>> {
    let has_log: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'events'",
        [],
        |r| r.get(0),
    )?;
    if !has_log {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Copies the whole plain database into a new encrypted file at `copy`.
fn export(plain: &Connection, copy: &Path, key: &DataKey) -> Result<()> {
    let copy_name = copy.to_str().ok_or_else(|| {
        Error::invalid(
            "db",
            format!("{} is not valid UTF-8", copy.display()),
            "数据库文件路径含有无法识别的字符，请换一个目录",
        )
    })?;
    let version: i64 = plain.pragma_query_value(None, "user_version", |r| r.get(0))?;
    plain.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        params![copy_name, at_rest::key_literal(key).as_str()],
    )?;
    let exported = plain
        .query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
        .and_then(|()| plain.execute_batch(&format!("PRAGMA encrypted.user_version = {version}")));
    let detached = plain.execute_batch("DETACH DATABASE encrypted");
    exported?;
    detached?;
    Ok(())
}

/// Opens the encrypted copy with its key (migrating it to this program's
/// schema) and checks it: SQLite's and SQLCipher's integrity checks, the whole
/// event chain, and the same last event as the plain file.
fn verify_copy(copy: &Path, key: &DataKey, head: Option<&(i64, String)>) -> Result<()> {
    let e = Engine::open_with_key(copy, key)?;
    let bad = |what: String| {
        Error::at_rest(
            "copy_failed",
            format!("encrypted copy {}: {what}", copy.display()),
            format!("加密后的副本校验未通过（{what}），原数据库保持不变"),
        )
    };
    let integrity: String = e
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(bad(format!("integrity_check: {integrity}")));
    }
    let cipher_errors: Vec<String> = e
        .conn
        .prepare("PRAGMA cipher_integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(first) = cipher_errors.first() {
        return Err(bad(format!("cipher_integrity_check: {first}")));
    }
    if e.station().is_ok() {
        let report = e.verify_log()?;
        let copied = (report.last_seq as i64, report.last_hash.clone());
        if let Some(head) = head
            && *head != copied
        {
            return Err(bad(format!(
                "last event {} {} instead of {} {}",
                copied.0, copied.1, head.0, head.1
            )));
        }
    }
    e.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    Ok(())
}
