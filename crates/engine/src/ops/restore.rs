//! Restoring a backup into a new data directory, and settling the restored
//! log with the county before the station writes again.
//!
//! A backup is older than the station was when it was lost: the county may
//! hold events the station wrote after the backup. A restored station that
//! wrote at once would append a different event at a seq the county already
//! has — a fork. So a restore of an enrolled station leaves a `restore_check`
//! row and every event append is refused (`store::Write::event`) until a sync
//! run has read the county's signed head of this log:
//!
//! - the county's head is a prefix of the restored log (equal, or behind it):
//!   the check is settled (`station.restore_verified`), the normal upload
//!   sends what the county lacks, and work resumes;
//! - the county is ahead (it holds events the backup lacks), or its head is
//!   not in the restored log: nothing is written; the window says which
//!   records are missing. A newer backup, or the county administrator
//!   archiving the county's copy of the log (`reset-log`, which keeps it under
//!   another name as evidence), settles it at the next check.
//!
//! A backup of a station never enrolled has no county to compare with and no
//! county copy to fork from; any later enrolment of the same log is refused
//! by the county (`log_mismatch`) if another device uploaded it. It is
//! restored without a check.

use std::fs;
use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use yichuang_sync::Client;

use crate::at_rest::{self, FileState, ProtectWith};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ops::backup::{self, Progress};

/// The outstanding comparison of a restored log with the county's.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RestoreCheck {
    pub backup_file: String,
    pub backup_created_at: String,
    pub backup_head_seq: i64,
    pub restored_at: String,
    /// When a sync run last reached the county for it, and what it found.
    pub checked_at: Option<String>,
    pub county_head_seq: Option<i64>,
    pub finding: Option<String>,
    pub finding_zh: Option<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub station_code: String,
    pub station_name: String,
    pub backup_created_at: String,
    pub head_seq: u64,
    pub cases: u64,
    /// The station waits for the county's head before it writes.
    pub check_pending: bool,
}

impl Engine {
    /// Restores the backup at `backup_file` as the station database `target`
    /// (which must not exist yet: a new data directory). An encrypted backup
    /// is opened with `passphrase` (the one that sealed it) and the restored
    /// database keeps the same data key, its custody recorded as `with` says;
    /// a plain backup is restored plain, then encrypted when `with` is given.
    /// The backup is verified in full first; a failure leaves no file behind.
    pub fn restore_backup(
        backup_file: &Path,
        passphrase: Option<&str>,
        target: &Path,
        with: Option<ProtectWith<'_>>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Engine, RestoreReport)> {
        if at_rest::file_state(target)? != FileState::Missing
            || at_rest::custody_path(target)?.exists()
        {
            return Err(Error::backup(
                "target_exists",
                format!("{} already exists", target.display()),
                format!(
                    "“{}”已有站点数据库：恢复只能在新的数据目录中进行",
                    target.display()
                ),
            ));
        }
        let (manifest, key) = backup::verify_backup(backup_file, passphrase, progress)?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let copy = at_rest::sibling(target, ".restoring")?;
        let recorded = match (&key, with) {
            (Some(k), Some(w)) => Some(at_rest::record_custody(target, k, w)?),
            (Some(_), None) => {
                return Err(Error::backup(
                    "custody_required",
                    "an encrypted backup needs a custody for the restored key",
                    "恢复加密的备份须选择密钥保管方式（系统密钥库或站点口令）",
                ));
            }
            (None, _) => None,
        };
        let placed = (|| {
            fs::copy(backup_file, &copy).map_err(|source| Error::Io {
                path: copy.display().to_string(),
                source,
            })?;
            fs::File::open(&copy)
                .and_then(|f| f.sync_all())
                .and_then(|()| fs::rename(&copy, target))
                .map_err(|source| Error::Io {
                    path: target.display().to_string(),
                    source,
                })?;
            at_rest::sync_dir(target);
            let engine = match &key {
                Some(k) => Engine::open_with_key(target, k)?,
                None => Engine::open(target)?,
            };
            let restored_at = engine.clock.stamp();
            let file_name = backup_file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if manifest.enrolled {
                // No event can be appended before the check; the row is the
                // record until the check settles it with an event.
                engine.conn.execute(
                    "INSERT INTO restore_check (id, backup_file, backup_created_at, backup_head_seq,
                        backup_head_hash, restored_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                    params![file_name, manifest.created_at, manifest.head_seq as i64,
                            manifest.head_hash, restored_at],
                )?;
            } else {
                engine.write(|w| {
                    w.event(
                        "station.restored",
                        &json!({"backup_file": file_name, "backup_created_at": manifest.created_at,
                                "backup_head_seq": manifest.head_seq, "restored_at": restored_at,
                                "county_check": "not_enrolled"}),
                    )?;
                    Ok(())
                })?;
            }
            Ok(engine)
        })();
        let engine = match placed {
            Ok(e) => e,
            Err(e) => {
                if let Some(r) = &recorded {
                    r.undo();
                }
                let _ = fs::remove_file(&copy);
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    if let Ok(p) = at_rest::sibling(target, suffix) {
                        let _ = fs::remove_file(p);
                    }
                }
                return Err(e);
            }
        };
        let engine = match (key.is_none(), with) {
            (true, Some(w)) => {
                let path = engine.path().to_owned();
                drop(engine);
                let k = Engine::encrypt_plain(&path, w)?;
                Engine::open_with_key(&path, &k)?
            }
            _ => engine,
        };
        let report = RestoreReport {
            station_code: manifest.station_code,
            station_name: manifest.station_name,
            backup_created_at: manifest.created_at,
            head_seq: manifest.head_seq,
            cases: manifest.cases,
            check_pending: manifest.enrolled,
        };
        Ok((engine, report))
    }

    /// Whether a restored log still waits for the county's head.
    pub fn restore_pending(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM restore_check)", [], |r| {
                r.get(0)
            })?)
    }

    /// The outstanding check of a restored log (none on a normal station).
    pub fn restore_status(&self) -> Result<Option<RestoreCheck>> {
        Ok(self
            .conn
            .query_row(
                "SELECT backup_file, backup_created_at, backup_head_seq, restored_at, checked_at,
                        county_head_seq, finding, finding_zh
                 FROM restore_check WHERE id = 1",
                [],
                |r| {
                    Ok(RestoreCheck {
                        backup_file: r.get(0)?,
                        backup_created_at: r.get(1)?,
                        backup_head_seq: r.get(2)?,
                        restored_at: r.get(3)?,
                        checked_at: r.get(4)?,
                        county_head_seq: r.get(5)?,
                        finding: r.get(6)?,
                        finding_zh: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Compares a restored log with the county's signed head (the first step
    /// of every sync run while a check is outstanding). Settles the check
    /// when the county's head is a prefix of the restored log; otherwise
    /// records the finding and refuses the run, so nothing is uploaded or
    /// applied over a log the county has more of.
    pub(crate) fn settle_restore(&self, client: &Client) -> Result<()> {
        let Some(check) = self.restore_status()? else {
            return Ok(());
        };
        let head = client.county_head().map_err(crate::ops::sync::sync_error)?;
        let log_id = self.station()?.log_id.clone();
        let (last_seq, _) = self.last_event()?;
        let ours_at_head = if head.head_seq == 0 {
            Some(yichuang_wire::GENESIS_HASH.to_owned())
        } else {
            self.events_after(head.head_seq - 1, 1)?
                .into_iter()
                .find(|e| e.seq == head.head_seq)
                .map(|e| e.hash)
        };
        let finding: Option<(&str, String, String)> = if head
            .log_id
            .as_deref()
            .is_some_and(|l| l != log_id)
        {
            Some((
                "log_mismatch",
                format!("the county binds this device to log {:?}", head.log_id),
                "县级服务器上本设备对应的是另一份日志，请县级管理员核查".to_owned(),
            ))
        } else if head.head_seq > last_seq {
            Some((
                "county_ahead",
                format!(
                    "the county holds events {}..={} that the backup lacks",
                    last_seq + 1,
                    head.head_seq
                ),
                format!(
                    "县级已收到本站第 {}–{} 条记录，而本备份只到第 {} 条：备份之后办理的业务不在本备份中。为免日志分叉，本站暂停写入。请改用更新的备份恢复；若没有更新的备份，请县级管理员将县级的本站日志存档（reset-log）后再核对",
                    last_seq + 1,
                    head.head_seq,
                    last_seq
                ),
            ))
        } else if ours_at_head.as_deref() != Some(head.head_hash.as_str()) {
            Some((
                "fork",
                format!(
                    "the county's event {} differs from the restored one",
                    head.head_seq
                ),
                format!(
                    "县级的本站第 {} 条记录与本备份不同（日志已分叉），本站暂停写入，请县级管理员核查",
                    head.head_seq
                ),
            ))
        } else {
            None
        };
        let now = self.clock.stamp();
        match finding {
            Some((code, en, zh)) => {
                self.conn.execute(
                    "UPDATE restore_check SET checked_at = ?1, county_head_seq = ?2, finding = ?3,
                        finding_zh = ?4 WHERE id = 1",
                    params![now, head.head_seq as i64, code, zh],
                )?;
                Err(Error::backup("restore_behind", en, zh))
            }
            None => self.write(|w| {
                w.execute("DELETE FROM restore_check", [])?;
                w.event(
                    "station.restore_verified",
                    &json!({"backup_file": check.backup_file,
                            "backup_created_at": check.backup_created_at,
                            "backup_head_seq": check.backup_head_seq,
                            "restored_at": check.restored_at,
                            "county_head_seq": head.head_seq,
                            "checked_at": now}),
                )?;
                Ok(())
            }),
        }
    }

    /// (seq, hash) of the last event (0 and the genesis hash for none).
    fn last_event(&self) -> Result<(u64, String)> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, yichuang_wire::GENESIS_HASH.to_owned())))
    }
}
