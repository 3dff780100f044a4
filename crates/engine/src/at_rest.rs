//! Encryption at rest: the station database's data key and its custody.
//!
//! An encrypted station database is a SQLCipher file under a random 32-byte
//! *data key*, applied as a raw key right after the file is opened (so opening
//! costs no key derivation). The data key never sits in a plain file. Its
//! custody is recorded beside the database in `<db file name>.key`, a small
//! JSON file with nothing secret in clear:
//!
//! - `passphrase`: the data key sealed with XChaCha20-Poly1305 under a key
//!   derived by argon2id from the station passphrase (salt, parameters and
//!   the format are bound to the seal as associated data);
//! - `os_keystore`: the data key in the OS key store (Secret Service on Linux,
//!   the Credential Manager — DPAPI — on Windows, the Keychain on macOS); the
//!   file only names the entry.
//!
//! A database with no custody file and a plain SQLite header is *plain* (tests,
//! the demo station). Opening by custody ([`crate::Engine::open_station`]) and
//! the migration of a plain database ([`crate::Engine::encrypt_plain`]) are in
//! `ops/protect.rs`, since they verify with the engine. The format and what it
//! protects: `docs/design/at-rest.md`.

use std::fmt;
use std::fs;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rusqlite::{Connection, ErrorCode};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// Length of the data key (SQLCipher's AES-256 raw key).
pub const KEY_LEN: usize = 32;
/// The shortest station passphrase accepted, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// The OS key store's service name for station keys.
pub const KEYSTORE_SERVICE: &str = "yichuang";
/// Where the shells read the station passphrase from when they do not prompt
/// (never from a file or an argument).
pub const PASSPHRASE_ENV: &str = "YICHUANG_STATION_PASSPHRASE";

/// Page cache of an encrypted connection, KiB (SQLite's default is 2,000).
pub const ENCRYPTED_CACHE_KIB: u32 = 16 * 1024;
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
const CUSTODY_VERSION: u32 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
/// argon2id for a new seal: 64 MiB, 3 passes, 1 lane (a fraction of a second
/// once per start-up; an offline guess costs the same).
const KDF_NEW: KdfParams = KdfParams {
    m_kib: 64 * 1024,
    t: 3,
    p: 1,
};

/// The database's data key. Zeroed when dropped; never printed.
pub struct DataKey(Box<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<DataKey> {
        let mut k = Box::new([0u8; KEY_LEN]);
        getrandom::fill(&mut k[..]).map_err(|e| {
            Error::at_rest(
                "random",
                format!("no randomness from the OS: {e}"),
                "无法从操作系统取得随机数，不能生成数据库密钥",
            )
        })?;
        Ok(DataKey(k))
    }

    fn from_bytes(bytes: &[u8]) -> Result<DataKey> {
        let mut k = Box::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(Error::at_rest(
                "bad_key",
                format!("stored key has {} bytes, not {KEY_LEN}", bytes.len()),
                "保存的数据库密钥长度不对，密钥已损坏",
            ));
        }
        k.copy_from_slice(bytes);
        Ok(DataKey(k))
    }

    fn bytes(&self) -> &[u8] {
        &self.0[..]
    }

    /// A second copy (the engine keeps one to key the copies it makes: backups).
    pub(crate) fn duplicate(&self) -> DataKey {
        DataKey(self.0.clone())
    }

    /// SQLCipher's raw-key literal `x'…'` (64 hex digits: no KDF on open).
    fn sql_literal(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = Zeroizing::new(String::with_capacity(3 + 2 * KEY_LEN));
        s.push_str("x'");
        for b in self.bytes() {
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 0xf)] as char);
        }
        s.push('\'');
        s
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// Who holds a station database's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "custody", rename_all = "snake_case")]
pub enum Custody {
    /// Not encrypted (no custody file, a plain SQLite header).
    Plain,
    /// Sealed in the custody file by the station passphrase.
    Passphrase,
    /// In the OS key store under `service` / `account`.
    #[serde(rename = "os_keystore")]
    OsKeyStore { service: String, account: String },
}

/// How a new or migrated database's key is kept.
#[derive(Clone, Copy)]
pub enum ProtectWith<'a> {
    Passphrase(&'a str),
    OsKeyStore,
}

impl fmt::Debug for ProtectWith<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtectWith::Passphrase(_) => f.write_str("Passphrase(..)"),
            ProtectWith::OsKeyStore => f.write_str("OsKeyStore"),
        }
    }
}

// ---- the custody file -----------------------------------------------------

#[derive(Serialize, Deserialize)]
struct CustodyFile {
    v: u32,
    #[serde(flatten)]
    how: How,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "custody", rename_all = "snake_case")]
enum How {
    Passphrase {
        kdf: String,
        params: KdfParams,
        salt: String,
        nonce: String,
        sealed: String,
    },
    #[serde(rename = "os_keystore")]
    OsKeyStore { service: String, account: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct KdfParams {
    m_kib: u32,
    t: u32,
    p: u32,
}

/// `<db file name>.key` beside the database.
pub fn custody_path(db: &Path) -> Result<PathBuf> {
    sibling(db, ".key")
}

/// `db` with `suffix` appended to its file name.
pub(crate) fn sibling(db: &Path, suffix: &str) -> Result<PathBuf> {
    let name = db.file_name().ok_or_else(|| {
        Error::invalid(
            "db",
            format!("{} names no file", db.display()),
            format!("“{}”不是数据库文件的路径", db.display()),
        )
    })?;
    let mut name = name.to_os_string();
    name.push(suffix);
    Ok(db.with_file_name(name))
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn bad_custody(path: &Path, why: impl fmt::Display) -> Error {
    Error::at_rest(
        "bad_custody",
        format!("custody file {}: {why}", path.display()),
        format!(
            "密钥保管文件“{}”已损坏或不是本程序写的（{why}），无法取得数据库密钥",
            path.display()
        ),
    )
}

fn read_custody_file(db: &Path) -> Result<Option<CustodyFile>> {
    read_custody_at(&custody_path(db)?)
}

fn read_custody_at(path: &Path) -> Result<Option<CustodyFile>> {
    let path = path.to_owned();
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path, e)),
    };
    let file: CustodyFile = serde_json::from_str(&text).map_err(|e| bad_custody(&path, e))?;
    if file.v != CUSTODY_VERSION {
        return Err(bad_custody(&path, format!("version {}", file.v)));
    }
    Ok(Some(file))
}

/// Writes the custody file through a temporary file and a rename, so a crash
/// leaves the old file or the new one, never half of one.
fn write_custody_file(db: &Path, file: &CustodyFile, replace: bool) -> Result<PathBuf> {
    write_custody_at(custody_path(db)?, file, replace)
}

fn write_custody_at(path: PathBuf, file: &CustodyFile, replace: bool) -> Result<PathBuf> {
    if !replace && path.exists() {
        return Err(custody_exists(&path));
    }
    let tmp = sibling(&path, ".tmp")?;
    let mut text = serde_json::to_string_pretty(file)?;
    text.push('\n');
    let written = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io(&path, e));
    }
    sync_dir(&path);
    Ok(path)
}

fn custody_exists(path: &Path) -> Error {
    Error::at_rest(
        "custody_exists",
        format!("custody file {} already exists", path.display()),
        format!(
            "密钥保管文件“{}”已存在：它可能属于另一份加密的数据库，请核对后移走再试",
            path.display()
        ),
    )
}

/// Makes a rename in `path`'s directory durable (best effort; a no-op where
/// directories cannot be opened).
pub(crate) fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

// ---- what the database file is ----------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileState {
    /// No file, or an empty one (SQLite writes the header with the first write).
    Missing,
    /// A plain SQLite header.
    Plain,
    /// Anything else: an encrypted (or foreign) file.
    Opaque,
}

pub(crate) fn file_state(db: &Path) -> Result<FileState> {
    let f = match fs::File::open(db) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(io(db, e)),
    };
    let mut head = Vec::with_capacity(SQLITE_HEADER.len());
    f.take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| io(db, e))?;
    Ok(if head.is_empty() {
        FileState::Missing
    } else if head == SQLITE_HEADER {
        FileState::Plain
    } else {
        FileState::Opaque
    })
}

fn locked(db: &Path) -> Error {
    Error::at_rest(
        "locked",
        format!(
            "{} is encrypted (or not a SQLite file) and no key was given",
            db.display()
        ),
        "站点数据库已加密，需要口令或密钥才能打开",
    )
}

fn not_encrypted(db: &Path) -> Error {
    Error::at_rest(
        "not_encrypted",
        format!("{} is a plain database", db.display()),
        "站点数据库没有加密（可用 yichuang station protect 加密）",
    )
}

/// Who holds the key of the database at `db` (read from the custody file and
/// the file's header; nothing is decrypted).
///
/// A custody file beside a plain database is ignored: the database is what its
/// header says (a migration interrupted before its last rename leaves one).
pub fn custody(db: &Path) -> Result<Custody> {
    let state = file_state(db)?;
    if state == FileState::Plain {
        return Ok(Custody::Plain);
    }
    match read_custody_file(db)? {
        None if state == FileState::Missing => Ok(Custody::Plain),
        None => Err(Error::at_rest(
            "no_custody",
            format!(
                "{} is encrypted (or not a SQLite file) and has no custody file",
                db.display()
            ),
            format!(
                "站点数据库已加密，但找不到密钥保管文件“{}”，无法打开",
                custody_path(db)?.display()
            ),
        )),
        Some(CustodyFile {
            how: How::Passphrase { .. },
            ..
        }) => Ok(Custody::Passphrase),
        Some(CustodyFile {
            how: How::OsKeyStore { service, account },
            ..
        }) => Ok(Custody::OsKeyStore { service, account }),
    }
}

// ---- passphrase custody ---------------------------------------------------

/// The station passphrase rule: at least [`MIN_PASSPHRASE_CHARS`] characters.
pub fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::at_rest(
            "weak_passphrase",
            format!("station passphrase shorter than {MIN_PASSPHRASE_CHARS} characters"),
            format!("站点口令至少需要 {MIN_PASSPHRASE_CHARS} 个字符"),
        ));
    }
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| {
        Error::at_rest(
            "random",
            format!("no randomness from the OS: {e}"),
            "无法从操作系统取得随机数",
        )
    })?;
    Ok(b)
}

/// What the seal authenticates besides the key: the format, the KDF and its
/// inputs, so a custody file with altered parameters does not open.
fn associated_data(params: KdfParams, salt_hex: &str) -> String {
    format!(
        "yichuang station data key v{CUSTODY_VERSION}|argon2id|m={}|t={}|p={}|salt={salt_hex}",
        params.m_kib, params.t, params.p
    )
}

fn derive(passphrase: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let fail = |e: argon2::Error| {
        Error::at_rest(
            "kdf",
            format!("argon2id: {e}"),
            format!("由站点口令推导密钥失败（{e}）"),
        )
    };
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(fail)?;
    let mut out = Zeroizing::new([0u8; 32]);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p)
        .hash_password_into(passphrase.as_bytes(), salt, &mut out[..])
        .map_err(fail)?;
    Ok(out)
}

fn seal(key: &DataKey, passphrase: &str) -> Result<How> {
    check_passphrase(passphrase)?;
    let salt = random::<SALT_LEN>()?;
    let nonce = random::<NONCE_LEN>()?;
    let salt_hex = hex::encode(salt);
    let kek = derive(passphrase, &salt, KDF_NEW)?;
    let aad = associated_data(KDF_NEW, &salt_hex);
    let sealed = XChaCha20Poly1305::new((&*kek).into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: key.bytes(),
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| Error::at_rest("seal", "sealing failed", "无法用站点口令封存数据库密钥"))?;
    Ok(How::Passphrase {
        kdf: "argon2id".into(),
        params: KDF_NEW,
        salt: salt_hex,
        nonce: hex::encode(nonce),
        sealed: hex::encode(sealed),
    })
}

fn wrong_passphrase() -> Error {
    Error::at_rest(
        "wrong_passphrase",
        "the station passphrase does not open the custody file",
        "站点口令不正确",
    )
}

fn unseal(path: &Path, how: &How, passphrase: &str) -> Result<DataKey> {
    let How::Passphrase {
        kdf,
        params,
        salt,
        nonce,
        sealed,
    } = how
    else {
        return Err(no_passphrase_custody());
    };
    if kdf != "argon2id" {
        return Err(bad_custody(path, format!("kdf {kdf}")));
    }
    // Bounds keep a damaged file from asking for gigabytes or hours.
    if !(1..=8).contains(&params.p)
        || !(1..=16).contains(&params.t)
        || !(8 * params.p..=1024 * 1024).contains(&params.m_kib)
    {
        return Err(bad_custody(path, "kdf parameters out of range"));
    }
    let salt_bytes = hex::decode(salt).map_err(|e| bad_custody(path, e))?;
    let nonce_bytes = hex::decode(nonce).map_err(|e| bad_custody(path, e))?;
    let sealed_bytes = hex::decode(sealed).map_err(|e| bad_custody(path, e))?;
    if salt_bytes.len() != SALT_LEN
        || nonce_bytes.len() != NONCE_LEN
        || sealed_bytes.len() != KEY_LEN + 16
    {
        return Err(bad_custody(path, "salt, nonce or seal of the wrong length"));
    }
    let kek = derive(passphrase, &salt_bytes, *params)?;
    let aad = associated_data(*params, salt);
    let plain = XChaCha20Poly1305::new((&*kek).into())
        .decrypt(
            XNonce::from_slice(&nonce_bytes),
            Payload {
                msg: &sealed_bytes,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| wrong_passphrase())?;
    let plain = Zeroizing::new(plain);
    DataKey::from_bytes(&plain)
}

// ---- the OS key store -------------------------------------------------------

#[cfg(any(target_os = "linux", windows, target_os = "macos"))]
mod keystore {
    use super::*;

    const PROBE_ACCOUNT: &str = "yichuang-probe";

    fn fail(e: keyring::Error) -> Error {
        Error::at_rest(
            "keystore",
            format!("OS key store: {e}"),
            "无法使用系统密钥库（密钥环服务没有运行、没有解锁，或不在登录后的桌面会话中）",
        )
    }

    fn entry(service: &str, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(service, account).map_err(fail)
    }

    pub fn put(service: &str, account: &str, secret: &[u8]) -> Result<()> {
        entry(service, account)?.set_secret(secret).map_err(fail)
    }

    pub fn get(service: &str, account: &str) -> Result<Zeroizing<Vec<u8>>> {
        match entry(service, account)?.get_secret() {
            Ok(v) => Ok(Zeroizing::new(v)),
            Err(keyring::Error::NoEntry) => Err(Error::at_rest(
                "keystore_no_entry",
                format!("OS key store has no entry {service}/{account}"),
                format!(
                    "系统密钥库中没有本站数据库的密钥（{service} / {account}）：请以加密本站时的系统账户登录后再打开"
                ),
            )),
            Err(e) => Err(fail(e)),
        }
    }

    pub fn delete(service: &str, account: &str) -> Result<()> {
        match entry(service, account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(fail(e)),
        }
    }

    /// Reachable: a look-up of an entry that never exists answers "no entry".
    pub fn available() -> bool {
        match entry(KEYSTORE_SERVICE, PROBE_ACCOUNT).map(|e| e.get_secret()) {
            Ok(Ok(_)) | Ok(Err(keyring::Error::NoEntry)) => true,
            Ok(Err(_)) | Err(_) => false,
        }
    }
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
mod keystore {
    use super::*;

    fn none() -> Error {
        Error::at_rest(
            "keystore",
            "no OS key store on this system",
            "本系统没有可用的系统密钥库，请改用站点口令",
        )
    }

    pub fn put(_: &str, _: &str, _: &[u8]) -> Result<()> {
        Err(none())
    }

    pub fn get(_: &str, _: &str) -> Result<Zeroizing<Vec<u8>>> {
        Err(none())
    }

    pub fn delete(_: &str, _: &str) -> Result<()> {
        Ok(())
    }

    pub fn available() -> bool {
        false
    }
}

/// Whether the OS key store can be reached now (on Linux: a Secret Service on
/// the session bus).
pub fn keystore_available() -> bool {
    keystore::available()
}

fn keystore_unavailable() -> Error {
    Error::at_rest(
        "keystore_unavailable",
        "no OS key store is reachable",
        "无法连接系统密钥库（Linux 需要在图形桌面会话中运行密钥环服务），请改用站点口令",
    )
}

// ---- custody operations -------------------------------------------------------

/// A custody just recorded; [`Recorded::undo`] removes it again (the custody
/// file and the key store entry) when the step it belongs to fails.
pub(crate) struct Recorded {
    path: PathBuf,
    keystore: Option<(String, String)>,
}

impl Recorded {
    pub(crate) fn undo(&self) {
        let _ = fs::remove_file(&self.path);
        if let Some((service, account)) = &self.keystore {
            let _ = keystore::delete(service, account);
        }
    }
}

/// Records `key`'s custody for the database at `db`: seals it with the
/// passphrase, or puts it in the OS key store (read back to check); then
/// writes the custody file. Refuses to replace an existing custody file.
pub(crate) fn record_custody(db: &Path, key: &DataKey, with: ProtectWith<'_>) -> Result<Recorded> {
    match with {
        ProtectWith::Passphrase(p) => {
            let how = seal(key, p)?;
            let path = write_custody_file(
                db,
                &CustodyFile {
                    v: CUSTODY_VERSION,
                    how,
                },
                false,
            )?;
            Ok(Recorded {
                path,
                keystore: None,
            })
        }
        ProtectWith::OsKeyStore => {
            let path = custody_path(db)?;
            if path.exists() {
                return Err(custody_exists(&path));
            }
            if !keystore::available() {
                return Err(keystore_unavailable());
            }
            let service = KEYSTORE_SERVICE.to_owned();
            let account = format!("station-{}", uuid::Uuid::new_v4());
            keystore::put(&service, &account, key.bytes())?;
            let stored = keystore::get(&service, &account).and_then(|back| {
                if back.as_slice() == key.bytes() {
                    Ok(())
                } else {
                    Err(Error::at_rest(
                        "keystore",
                        "OS key store returned another secret than was stored",
                        "系统密钥库没有正确保存数据库密钥",
                    ))
                }
            });
            let written = stored.and_then(|()| {
                write_custody_file(
                    db,
                    &CustodyFile {
                        v: CUSTODY_VERSION,
                        how: How::OsKeyStore {
                            service: service.clone(),
                            account: account.clone(),
                        },
                    },
                    false,
                )
            });
            match written {
                Ok(path) => Ok(Recorded {
                    path,
                    keystore: Some((service, account)),
                }),
                Err(e) => {
                    let _ = keystore::delete(&service, &account);
                    Err(e)
                }
            }
        }
    }
}

/// A new station database's key: generated, its custody recorded beside `db`.
/// Open the database with it ([`crate::Engine::open_with_key`]), which creates
/// the encrypted file. Refuses when `db` already has content or a custody file
/// (to encrypt an existing plain database use [`crate::Engine::encrypt_plain`]).
pub fn protect_new(db: &Path, with: ProtectWith<'_>) -> Result<DataKey> {
    if file_state(db)? != FileState::Missing {
        return Err(Error::at_rest(
            "exists",
            format!("{} already exists", db.display()),
            format!(
                "站点数据库“{}”已存在；加密已有的数据库请用 yichuang station protect",
                db.display()
            ),
        ));
    }
    if let ProtectWith::Passphrase(p) = with {
        check_passphrase(p)?;
    }
    let key = DataKey::generate()?;
    record_custody(db, &key, with)?;
    Ok(key)
}

/// The data key of the encrypted database at `db`, by its custody: unsealed
/// with `passphrase`, or read from the OS key store.
pub fn unlock(db: &Path, passphrase: Option<&str>) -> Result<DataKey> {
    if file_state(db)? == FileState::Plain {
        return Err(not_encrypted(db));
    }
    let Some(file) = read_custody_file(db)? else {
        return Err(match custody(db) {
            Err(e) => e,
            Ok(_) => not_encrypted(db),
        });
    };
    match &file.how {
        How::Passphrase { .. } => {
            let passphrase = passphrase.ok_or_else(|| {
                Error::at_rest(
                    "passphrase_required",
                    "the station passphrase is required",
                    format!("站点数据库已加密，需要站点口令（在终端输入，或设置环境变量 {PASSPHRASE_ENV}）"),
                )
            })?;
            unseal(&custody_path(db)?, &file.how, passphrase)
        }
        How::OsKeyStore { service, account } => {
            let secret = keystore::get(service, account)?;
            DataKey::from_bytes(&secret)
        }
    }
}

/// Ok when the database's key is sealed by a station passphrase; else the
/// error saying why there is no passphrase to change.
pub fn require_passphrase_custody(db: &Path) -> Result<()> {
    match custody(db)? {
        Custody::Passphrase => Ok(()),
        Custody::Plain => Err(not_encrypted(db)),
        Custody::OsKeyStore { .. } => Err(no_passphrase_custody()),
    }
}

fn no_passphrase_custody() -> Error {
    Error::at_rest(
        "no_passphrase_custody",
        "the key is not sealed by a passphrase",
        "本站数据库的密钥保存在系统密钥库中，没有站点口令",
    )
}

/// Changes the station passphrase: the data key (and so the database) stays,
/// sealed anew under `new` with a fresh salt and nonce.
pub fn change_passphrase(db: &Path, old: &str, new: &str) -> Result<()> {
    check_passphrase(new)?;
    if file_state(db)? == FileState::Plain {
        return Err(not_encrypted(db));
    }
    let file = read_custody_file(db)?.ok_or_else(|| match custody(db) {
        Err(e) => e,
        Ok(_) => not_encrypted(db),
    })?;
    let key = unseal(&custody_path(db)?, &file.how, old)?;
    let how = seal(&key, new)?;
    write_custody_file(
        db,
        &CustodyFile {
            v: CUSTODY_VERSION,
            how,
        },
        true,
    )?;
    Ok(())
}

// ---- the key on a connection --------------------------------------------------

/// Applies `key` to a connection just opened — before any other statement —
/// and reads the schema once, so an encrypted file opened without its key, or
/// with another key, fails here with a clear error and never later.
pub(crate) fn apply_key(conn: &Connection, path: &Path, key: Option<&DataKey>) -> Result<()> {
    quiet_sqlcipher();
    if let Some(key) = key {
        let mut sql = Zeroizing::new(String::from("PRAGMA key = \""));
        sql.push_str(&key.sql_literal());
        sql.push('"');
        conn.execute_batch(&sql)?;
    }
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {
            if key.is_some() {
                // A page the cache misses costs a decryption and an HMAC check
                // here (a copy from the OS cache when plain): keep more of them.
                conn.execute_batch(&format!("PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}"))?;
            }
            Ok(())
        }
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
            Err(match key {
                None => locked(path),
                Some(_) => Error::at_rest(
                    "wrong_key",
                    format!("{}: the key does not open the database", path.display()),
                    "密钥不正确，无法打开站点数据库（或该文件不是加密的站点数据库）",
                ),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// SQLCipher logs a failed decryption to standard error; the engine reports
/// it as an error instead (one Chinese line for the clerk).
fn quiet_sqlcipher() {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        if let Ok(c) = Connection::open_in_memory() {
            let _ = c.execute_batch("PRAGMA cipher_log_level = NONE");
        }
    });
}

/// The SQLCipher raw-key literal of `key`, for `ATTACH … KEY` (the migration).
pub(crate) fn key_literal(key: &DataKey) -> Zeroizing<String> {
    key.sql_literal()
}

// ---- sealed copies of the key (backups) ------------------------------------------

/// Seals `key` under `passphrase` into a custody-format file at `path` (mode
/// 0600, through a temporary file): the key file that travels with a backup.
pub(crate) fn write_sealed(path: &Path, key: &DataKey, passphrase: &str) -> Result<()> {
    let how = seal(key, passphrase)?;
    write_custody_at(
        path.to_owned(),
        &CustodyFile {
            v: CUSTODY_VERSION,
            how,
        },
        true,
    )?;
    Ok(())
}

/// Whether the custody-format file at `path` is a passphrase seal (a key store
/// entry names a secret of one machine and cannot travel with a backup).
pub(crate) fn is_sealed_file(path: &Path) -> Result<bool> {
    Ok(matches!(
        read_custody_at(path)?,
        Some(CustodyFile {
            how: How::Passphrase { .. },
            ..
        })
    ))
}

/// The key sealed in the custody-format file at `path` by `passphrase`.
pub(crate) fn read_sealed(path: &Path, passphrase: &str) -> Result<DataKey> {
    let file = read_custody_at(path)?.ok_or_else(|| Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })?;
    unseal(path, &file.how, passphrase)
}
