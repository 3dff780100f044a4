//! Choosing and opening the station database at start-up.

use std::path::PathBuf;

use yichuang_engine::at_rest::{self, Custody, DataKey};
use yichuang_engine::clock::Clock;
use yichuang_engine::engine::{DB_ENV, default_db_path};
use yichuang_engine::{Engine, Error, Result};

/// Environment variable: `1` opens (and on first start creates) the demo station.
pub const DEMO_ENV: &str = "YICHUANG_DEMO";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub db: Option<PathBuf>,
    pub demo: bool,
    /// `--now TIME`: the clock of a test build (as `YICHUANG_NOW`, which it
    /// wins over); a production build ignores it (`Clock::from_override`).
    pub now: Option<String>,
}

impl Options {
    /// `--db FILE` / `--db=FILE` win over `YICHUANG_DB`; `--demo` or `YICHUANG_DEMO=1`.
    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Options {
        let mut o = Options {
            db: std::env::var_os(DB_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            demo: std::env::var(DEMO_ENV).is_ok_and(|v| v == "1"),
            now: std::env::var(yichuang_engine::clock::NOW_ENV).ok(),
        };
        o.apply_args(args);
        o
    }

    pub fn apply_args(&mut self, args: impl IntoIterator<Item = String>) {
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            if a == "--demo" {
                self.demo = true;
            } else if a == "--db" {
                if let Some(p) = it.next() {
                    self.db = Some(PathBuf::from(p));
                }
            } else if let Some(p) = a.strip_prefix("--db=") {
                self.db = Some(PathBuf::from(p));
            } else if a == "--now" {
                self.now = it.next();
            } else if let Some(t) = a.strip_prefix("--now=") {
                self.now = Some(t.to_owned());
            }
        }
    }

    /// The clock this start runs on (see `now`).
    pub fn clock(&self) -> Result<Clock> {
        Clock::from_override(self.now.as_deref())
    }

    /// The database file: explicit, else the per-OS data dir (the demo station
    /// gets its own file so it never mixes with a real station's records).
    pub fn db_path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        let p = default_db_path().ok_or_else(|| {
            Error::invalid(
                "db",
                "no per-user data directory on this system",
                "找不到本机的用户数据目录，请用 --db 指定数据库文件",
            )
        })?;
        Ok(if self.demo {
            p.with_file_name("demo-station.sqlite3")
        } else {
            p
        })
    }
}

/// How start-up found the station database (made once per process: the
/// size of its variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Opening {
    /// Open: plain (the demo station, or one from before encryption), or
    /// encrypted with its key from the OS key store.
    Open {
        engine: Engine,
        key: Option<DataKey>,
    },
    /// Encrypted, the key sealed by the station passphrase: the window asks.
    Locked,
    /// No database yet: the set-up wizard creates it, encrypted.
    New,
}

/// Opens the station database as its key custody says; a demo station is
/// plain, seeded on first start and left logged out, so the window opens at
/// the log-in screen.
pub fn open_engine(opts: &Options) -> Result<Opening> {
    let path = opts.db_path()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let clock = opts.clock()?;
    if opts.demo {
        let mut engine = Engine::open(&path)?.with_clock(clock);
        if engine.station().is_err() {
            yichuang_engine::demo::seed_demo(&mut engine)?;
            engine.logout()?;
        }
        return Ok(Opening::Open { engine, key: None });
    }
    if !path.exists() {
        return Ok(Opening::New);
    }
    match at_rest::custody(&path)? {
        Custody::Plain => Ok(Opening::Open {
            engine: Engine::open(&path)?.with_clock(clock),
            key: None,
        }),
        Custody::Passphrase => Ok(Opening::Locked),
        Custody::OsKeyStore { .. } => {
            let key = at_rest::unlock(&path, None)?;
            let engine = Engine::open_with_key(&path, &key)?.with_clock(clock);
            Ok(Opening::Open {
                engine,
                key: Some(key),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_override() {
        let mut o = Options::default();
        o.apply_args(["--db".into(), "x.sqlite3".into(), "--demo".into()]);
        assert_eq!(o.db, Some(PathBuf::from("x.sqlite3")));
        assert!(o.demo);
        o.apply_args(["--db=y.sqlite3".to_string()]);
        assert_eq!(o.db, Some(PathBuf::from("y.sqlite3")));
        o.apply_args(["--now".into(), "2026-11-23T11:00:00+08:00".into()]);
        assert_eq!(o.now.as_deref(), Some("2026-11-23T11:00:00+08:00"));
    }
}
