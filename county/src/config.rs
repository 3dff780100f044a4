//! Server settings: a TOML file, then environment overrides.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `0.0.0.0:8787`.
    pub listen: String,
    /// `postgres://user:password@host:port/db`; redacted in `Debug`.
    pub database_url: String,
    pub pool_size: usize,
    /// Accepted distance between a request's timestamp and the server clock.
    pub max_skew_ms: i64,
    /// Clients speaking an older protocol get 426.
    pub min_protocol: u32,
    pub enrol_code_ttl_hours: i64,
    /// The county's suite: `ed25519`, or `sm2` (国密 SM2 signatures and SM3
    /// digests) for keys `keygen` makes and the devices it enrols.
    pub suite: String,
    /// The answer key's secret file (`serve` signs every answer with it).
    pub answer_key_file: Option<PathBuf>,
    /// The release key's secret file: `publish` reads it, everyone else
    /// reads only its public half `<file>.pub`.
    pub release_key_file: Option<PathBuf>,
    /// The append-only administration log beside the database (see
    /// `adminlog`); required: without it a restored database forgets
    /// revocations and enrolments.
    pub admin_log_file: Option<PathBuf>,
    /// PEM of the CA that signed the database server's certificate (a
    /// database on another host is reached over TLS only).
    pub database_ca_file: Option<PathBuf>,
    /// Connections served at once; more are closed at once.
    pub max_connections: usize,
    /// A request's headers must arrive within this.
    pub header_timeout_ms: u64,
    /// A whole request (body read and answer) must finish within this.
    pub request_timeout_ms: u64,
    /// Enrolment attempts per minute per address (a burst of as many).
    pub enrol_per_minute: u32,
    /// Refused requests of unknown devices per minute per address before
    /// the address gets 429 without any work done.
    pub strangers_per_minute: u32,
    /// 发布 in the console signs with the release key: `serve` then reads
    /// the release key file at the moment of publishing (off by default:
    /// the secret stays where only `publish` runs, see
    /// docs/design/county-console.md). Env `YICHUANG_COUNTY_CONSOLE_PUBLISH`.
    pub console_publish: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8787".into(),
            database_url: String::new(),
            pool_size: 16,
            max_skew_ms: yichuang_wire::MAX_CLOCK_SKEW_MS,
            min_protocol: 1,
            enrol_code_ttl_hours: 72,
            suite: yichuang_wire::ALG_ED25519.into(),
            answer_key_file: None,
            release_key_file: None,
            admin_log_file: None,
            database_ca_file: None,
            max_connections: 512,
            header_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
            enrol_per_minute: 10,
            strangers_per_minute: 30,
            console_publish: false,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("pool_size", &self.pool_size)
            .field("max_skew_ms", &self.max_skew_ms)
            .field("min_protocol", &self.min_protocol)
            .field("enrol_code_ttl_hours", &self.enrol_code_ttl_hours)
            .field("suite", &self.suite)
            .field("answer_key_file", &self.answer_key_file)
            .field("release_key_file", &self.release_key_file)
            .field("admin_log_file", &self.admin_log_file)
            .field("database_ca_file", &self.database_ca_file)
            .field("max_connections", &self.max_connections)
            .field("header_timeout_ms", &self.header_timeout_ms)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("enrol_per_minute", &self.enrol_per_minute)
            .field("strangers_per_minute", &self.strangers_per_minute)
            .field("console_publish", &self.console_publish)
            .finish()
    }
}

/// Hide the password of a URL (`postgres://u:secret@h/db` -> `postgres://u:***@h/db`),
/// and any `password=` of a key/value connection string.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((auth, host)) = rest.rsplit_once('@') {
            let user = auth.split(':').next().unwrap_or("");
            let hidden = if auth.contains(':') { ":***" } else { "" };
            return format!("{scheme}://{user}{hidden}@{host}");
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("no database URL: set database_url in the config file or YICHUANG_COUNTY_DATABASE_URL")]
    NoDatabase,
}

impl Config {
    /// Read `path` (if any), then apply `YICHUANG_COUNTY_DATABASE_URL`,
    /// `YICHUANG_COUNTY_LISTEN`, `YICHUANG_COUNTY_POOL_SIZE` and the key
    /// files `YICHUANG_COUNTY_ANSWER_KEY_FILE` / `…_RELEASE_KEY_FILE`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let cfg = Config::load_keys_only(path)?;
        if cfg.database_url.is_empty() {
            return Err(ConfigError::NoDatabase);
        }
        Ok(cfg)
    }

    /// As [`Config::load`], without requiring a database (for `keygen`).
    pub fn load_keys_only(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        if let Ok(v) = std::env::var("YICHUANG_COUNTY_DATABASE_URL") {
            cfg.database_url = v;
        }
        if let Ok(v) = std::env::var("YICHUANG_COUNTY_LISTEN") {
            cfg.listen = v;
        }
        if let Some(n) = std::env::var("YICHUANG_COUNTY_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            cfg.pool_size = n;
        }
        if let Ok(v) = std::env::var("YICHUANG_COUNTY_CONSOLE_PUBLISH") {
            cfg.console_publish = matches!(v.trim(), "1" | "true" | "yes" | "on");
        }
        if let Ok(v) = std::env::var("YICHUANG_COUNTY_SUITE") {
            cfg.suite = v;
        }
        for (env, slot) in [
            (crate::keys::ANSWER_KEY_ENV, &mut cfg.answer_key_file),
            (crate::keys::RELEASE_KEY_ENV, &mut cfg.release_key_file),
            ("YICHUANG_COUNTY_ADMIN_LOG", &mut cfg.admin_log_file),
            ("YICHUANG_COUNTY_DATABASE_CA", &mut cfg.database_ca_file),
        ] {
            if let Ok(v) = std::env::var(env) {
                *slot = Some(PathBuf::from(v));
            }
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_password() {
        let cfg = Config {
            database_url: "postgres://county:s3cret@db:5432/yc".into(),
            ..Config::default()
        };
        let s = format!("{cfg:?}");
        assert!(!s.contains("s3cret"), "{s}");
        assert!(s.contains("county:***@db:5432/yc"), "{s}");
        assert_eq!(
            redact_url("host=db password=x user=u"),
            "host=db password=*** user=u"
        );
    }
}
