//! The county's administration log: an append-only file beside the
//! database, one signed, hash-chained JSON line per administrative act
//! (an enrolment code issued, a device enrolled, revoked or let back in, a
//! release published, a device's log reset after a fork).
//!
//! Why: those acts are rows of the database, and a database restored from an
//! older backup would forget them: a revoked device would be accepted again,
//! stations enrolled since would be unknown, release numbers would be issued
//! again with other content. At start-up the server verifies this log and
//! replays it onto the database (idempotently), so a restore forgets none of
//! them.
//!
//! Entries are signed with the answer key; the chain makes a removed or
//! edited line evident. Appends hold an exclusive lock on the file, so the
//! server and the admin commands (or two servers sharing the file) never
//! interleave.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use yichuang_wire::{GENESIS_HASH, PublicKey, SecretKey, digest_hex, verify_signature};

/// One administrative act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Act {
    CodeIssued {
        code_hash: String,
        station_code: String,
        expires_at_ms: i64,
    },
    Enrolled {
        device_id: String,
        station_code: String,
        code_hash: String,
        algorithm: String,
        public_key: String,
        label: String,
    },
    Revoked {
        device_id: String,
    },
    Unrevoked {
        device_id: String,
    },
    Published {
        kind: String,
        version: String,
        sha256: String,
        size: u64,
        algorithm: String,
        signature: String,
        /// The content, hex: a restored county serves it again.
        content_hex: String,
    },
    /// A key of the county replaced by a new one it endorses.
    KeyRotated(yichuang_wire::KeyRotation),
    /// The county's copy of a device's log set aside (kept under
    /// `archived_as`) so the station can upload its log again after a fork.
    LogReset {
        device_id: String,
        old_log_id: String,
        archived_as: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub at_ms: i64,
    pub act: Act,
    pub prev_hash: String,
    pub hash: String,
    pub algorithm: String,
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminLogError {
    #[error("administration log {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("administration log {path} line {line}: {reason}")]
    Bad {
        path: String,
        line: u64,
        reason: String,
    },
}

/// What the hash of an entry covers, in the signing key's suite.
fn entry_hash(algorithm: &str, seq: u64, at_ms: i64, act: &Act, prev_hash: &str) -> String {
    // An Act of strings and numbers always serialises.
    let act = serde_json::to_string(act).unwrap_or_default();
    digest_hex(
        algorithm,
        format!("yichuang-admin-v1\n{seq}\n{at_ms}\n{act}\n{prev_hash}").as_bytes(),
    )
}

pub struct AdminLog {
    path: PathBuf,
}

impl AdminLog {
    pub fn new(path: &Path) -> AdminLog {
        AdminLog {
            path: path.to_owned(),
        }
    }

    fn io(&self, source: std::io::Error) -> AdminLogError {
        AdminLogError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Appends `act`, signed with `key`, after the last entry.
    pub fn append(&self, key: &SecretKey, act: Act, at_ms: i64) -> Result<Entry, AdminLogError> {
        let mut opts = OpenOptions::new();
        opts.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path).map_err(|e| self.io(e))?;
        f.lock().map_err(|e| self.io(e))?;
        let last = self.last_entry(&mut f)?;
        let (seq, prev_hash) = last.map_or((1, GENESIS_HASH.to_owned()), |e| (e.seq + 1, e.hash));
        let hash = entry_hash(key.algorithm(), seq, at_ms, &act, &prev_hash);
        let entry = Entry {
            seq,
            at_ms,
            act,
            prev_hash,
            algorithm: key.algorithm().to_owned(),
            signature: key.sign_hex(hash.as_bytes()),
            hash,
        };
        let mut line = serde_json::to_string(&entry).unwrap_or_default();
        line.push('\n');
        f.write_all(line.as_bytes()).map_err(|e| self.io(e))?;
        f.sync_all().map_err(|e| self.io(e))?;
        Ok(entry)
    }

    fn last_entry(&self, f: &mut File) -> Result<Option<Entry>, AdminLogError> {
        f.seek(SeekFrom::Start(0)).map_err(|e| self.io(e))?;
        let mut last = None;
        for (i, line) in BufReader::new(&*f).lines().enumerate() {
            let line = line.map_err(|e| self.io(e))?;
            if line.trim().is_empty() {
                continue;
            }
            last = Some(
                serde_json::from_str::<Entry>(&line).map_err(|e| AdminLogError::Bad {
                    path: self.path.display().to_string(),
                    line: i as u64 + 1,
                    reason: e.to_string(),
                })?,
            );
        }
        Ok(last)
    }

    /// Every entry, verified: consecutive seqs from 1, each linked to the
    /// one before, each hash right and signed by the answer key in force
    /// at the time. `current` is today's answer key: the log's rotations of
    /// the answer key must lead to it from the key of its first entries. A
    /// missing file is an empty log.
    pub fn read_verified(&self, current: &PublicKey) -> Result<Vec<Entry>, AdminLogError> {
        let f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let path = self.path.display().to_string();
        let mut lines = Vec::new();
        for (i, line) in BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| self.io(e))?;
            if line.trim().is_empty() {
                continue;
            }
            let e: Entry = serde_json::from_str(&line).map_err(|e| AdminLogError::Bad {
                path: path.clone(),
                line: i as u64 + 1,
                reason: e.to_string(),
            })?;
            lines.push((i as u64 + 1, e));
        }
        // The key the log began with: the old key of its first answer-key
        // rotation, or today's key if it never rotated.
        let mut key = lines
            .iter()
            .find_map(|(_, e)| match &e.act {
                Act::KeyRotated(r) if r.role == "answer" => Some(PublicKey {
                    algorithm: r.old_algorithm.clone(),
                    hex: r.old_public_key.to_ascii_lowercase(),
                }),
                _ => None,
            })
            .unwrap_or_else(|| current.clone());
        let mut out: Vec<Entry> = Vec::new();
        for (n, e) in lines {
            let bad = |reason: String| AdminLogError::Bad {
                path: path.clone(),
                line: n,
                reason,
            };
            let (want_seq, want_prev) = out
                .last()
                .map_or((1, GENESIS_HASH), |p| (p.seq + 1, p.hash.as_str()));
            if e.seq != want_seq || e.prev_hash != want_prev {
                return Err(bad(format!(
                    "entry {} does not follow entry {} (a line removed, reordered or replaced)",
                    e.seq,
                    want_seq - 1
                )));
            }
            if entry_hash(&key.algorithm, e.seq, e.at_ms, &e.act, &e.prev_hash) != e.hash {
                return Err(bad(format!("entry {} was altered", e.seq)));
            }
            verify_signature(&key.algorithm, &key.hex, e.hash.as_bytes(), &e.signature)
                .map_err(|err| bad(format!("entry {}: signature {err}", e.seq)))?;
            if let Act::KeyRotated(r) = &e.act
                && r.role == "answer"
            {
                if !r.verifies() || !r.old_public_key.eq_ignore_ascii_case(&key.hex) {
                    return Err(bad(format!(
                        "entry {}: a rotation the key in force did not endorse",
                        e.seq
                    )));
                }
                key = PublicKey {
                    algorithm: r.new_algorithm.clone(),
                    hex: r.new_public_key.to_ascii_lowercase(),
                };
            }
            out.push(e);
        }
        if key != *current {
            return Err(AdminLogError::Bad {
                path,
                line: 0,
                reason: "the answer key in use is not the one the log's rotations lead to".into(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_entries_verify_and_any_edit_is_evident() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.log");
        let key = SecretKey::generate().unwrap();
        let public = PublicKey::parse(&key.public_string()).unwrap();
        let log = AdminLog::new(&path);
        for d in ["dev-1", "dev-2"] {
            log.append(
                &key,
                Act::Revoked {
                    device_id: d.into(),
                },
                5,
            )
            .unwrap();
        }
        let got = log.read_verified(&public).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].prev_hash, got[0].hash);

        let text = std::fs::read_to_string(&path).unwrap();
        // An act edited in place.
        std::fs::write(&path, text.replacen("dev-2", "dev-3", 1)).unwrap();
        assert!(
            log.read_verified(&public)
                .unwrap_err()
                .to_string()
                .contains("altered")
        );
        // A line removed.
        let first_removed: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, first_removed).unwrap();
        assert!(log.read_verified(&public).is_err());
        // Signed by another key.
        std::fs::write(&path, &text).unwrap();
        let other = SecretKey::generate().unwrap();
        let other = PublicKey::parse(&other.public_string()).unwrap();
        assert!(
            log.read_verified(&other)
                .unwrap_err()
                .to_string()
                .contains("signature")
        );
        // A missing log is empty.
        assert!(
            AdminLog::new(&dir.path().join("none"))
                .read_verified(&public)
                .unwrap()
                .is_empty()
        );
    }
}
