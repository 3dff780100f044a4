//! The county's keys, out of the database: each secret in its own file that
//! only its user may read, with its public half beside it (`<file>.pub`).
//!
//! - The *answer key* signs every answer of the server; `serve` reads it.
//! - The *release key* signs reference-data releases; only `publish` reads
//!   the secret (it may live on another, offline machine). `serve` and
//!   `enroll-code` read its public half only.
//!
//! A missing key is an error, never a silently generated one: a new key
//! would make every enrolled station refuse the county. `keygen` creates
//! both, refusing to overwrite.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use yichuang_wire::{KeyError, PublicKey, SecretKey, county_fingerprint};

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("no {what} key file configured (set {env})")]
    NotConfigured {
        what: &'static str,
        env: &'static str,
    },
    #[error(
        "cannot read key file {path}: {source} (create the keys with `yichuang-county keygen`)"
    )]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "key file {path} may be read by others (mode {mode:o}); allow its owner only: chmod 600"
    )]
    Exposed { path: String, mode: u32 },
    #[error("key file {path}: {source}")]
    Malformed { path: String, source: KeyError },
    #[error("key file {path} exists already; keygen never overwrites a key")]
    Exists { path: String },
    #[error("cannot write key file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("key: {0}")]
    Key(#[from] KeyError),
    #[error("the answer key is {answer} but the release key {release}: a county uses one suite")]
    MixedSuites {
        answer: &'static str,
        release: String,
    },
}

pub const ANSWER_KEY_ENV: &str = "YICHUANG_COUNTY_ANSWER_KEY_FILE";
pub const RELEASE_KEY_ENV: &str = "YICHUANG_COUNTY_RELEASE_KEY_FILE";

/// The public half's file of a secret key file.
pub fn public_path(secret: &Path) -> PathBuf {
    let mut p = secret.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

fn configured<'a>(
    path: &'a Option<PathBuf>,
    what: &'static str,
    env: &'static str,
) -> Result<&'a Path, KeyFileError> {
    path.as_deref()
        .filter(|p| !p.as_os_str().is_empty())
        .ok_or(KeyFileError::NotConfigured { what, env })
}

fn read(path: &Path) -> Result<String, KeyFileError> {
    fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// A secret key file; refused if anyone but its owner may read it.
pub fn read_secret(path: &Path) -> Result<SecretKey, KeyFileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(|source| KeyFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Exposed {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    SecretKey::from_secret_string(&read(path)?).map_err(|source| KeyFileError::Malformed {
        path: path.display().to_string(),
        source,
    })
}

pub fn read_public(path: &Path) -> Result<PublicKey, KeyFileError> {
    PublicKey::parse(&read(path)?).map_err(|source| KeyFileError::Malformed {
        path: path.display().to_string(),
        source,
    })
}

/// What the network-facing server holds: its answer key, and the release
/// key's public half only.
#[derive(Debug, Clone)]
pub struct ServingKeys {
    pub answer: SecretKey,
    pub release_public: PublicKey,
}

impl ServingKeys {
    pub fn load(
        answer_key_file: &Option<PathBuf>,
        release_key_file: &Option<PathBuf>,
    ) -> Result<ServingKeys, KeyFileError> {
        let answer = read_secret(configured(answer_key_file, "answer", ANSWER_KEY_ENV)?)?;
        let release_public = read_public(&public_path(configured(
            release_key_file,
            "release",
            RELEASE_KEY_ENV,
        )?))?;
        // One suite per county: answers, releases and devices alike.
        if release_public.algorithm != answer.algorithm() {
            return Err(KeyFileError::MixedSuites {
                answer: answer.algorithm(),
                release: release_public.algorithm.clone(),
            });
        }
        Ok(ServingKeys {
            answer,
            release_public,
        })
    }

    /// The county's identity printed in every enrolment code.
    pub fn fingerprint(&self) -> String {
        county_fingerprint(
            self.answer.algorithm(),
            &self.answer.public_key_hex(),
            &self.release_public.algorithm,
            &self.release_public.hex,
        )
    }
}

/// The release key's secret, for `publish` only.
pub fn release_secret(release_key_file: &Option<PathBuf>) -> Result<SecretKey, KeyFileError> {
    read_secret(configured(release_key_file, "release", RELEASE_KEY_ENV)?)
}

/// Writes `key` to `path` (owner-only) and its public half beside it;
/// refuses to overwrite either.
pub fn write_new(path: &Path, key: &SecretKey) -> Result<(), KeyFileError> {
    let pub_path = public_path(path);
    for p in [path, pub_path.as_path()] {
        if p.exists() {
            return Err(KeyFileError::Exists {
                path: p.display().to_string(),
            });
        }
    }
    let write = |p: &Path, text: &str, private: bool| -> Result<(), KeyFileError> {
        let err = |source| KeyFileError::Write {
            path: p.display().to_string(),
            source,
        };
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o644 });
        }
        let mut f = opts.open(p).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.write_all(b"\n").map_err(err)?;
        f.sync_all().map_err(err)
    };
    write(path, &key.to_secret_string(), true)?;
    write(&pub_path, &key.public_string(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_in_owner_only_files_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("answer.key");
        let r = dir.path().join("release.key");
        let (ka, kr) = (
            SecretKey::generate().unwrap(),
            SecretKey::generate().unwrap(),
        );
        write_new(&a, &ka).unwrap();
        write_new(&r, &kr).unwrap();
        assert!(matches!(
            write_new(&a, &ka).unwrap_err(),
            KeyFileError::Exists { .. }
        ));
        let k = ServingKeys::load(&Some(a.clone()), &Some(r.clone())).unwrap();
        assert_eq!(k.answer.public_key_hex(), ka.public_key_hex());
        assert_eq!(k.release_public.hex, kr.public_key_hex());
        assert_eq!(
            release_secret(&Some(r.clone())).unwrap().public_key_hex(),
            kr.public_key_hex()
        );
        // Missing or not configured: an error, never a new key.
        assert!(matches!(
            ServingKeys::load(&None, &Some(r.clone())).unwrap_err(),
            KeyFileError::NotConfigured { .. }
        ));
        assert!(matches!(
            ServingKeys::load(&Some(dir.path().join("none")), &Some(r)).unwrap_err(),
            KeyFileError::Read { .. }
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&a, fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                read_secret(&a).unwrap_err(),
                KeyFileError::Exposed { .. }
            ));
        }
    }
}
