//! `backup`: back the station up now or when due, list and verify backups,
//! set the backup passphrase, restore a backup into a new data directory.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::at_rest::{self, ProtectWith};
use yichuang_engine::backup::{self, BackupInfo, Progress, Trigger};
use yichuang_engine::{Engine, Error, Result};
use zeroize::Zeroizing;

use super::station::{Protect, from_env_or_prompt, new_passphrase_from};
use super::{actor, print};

/// Where the passphrase of an encrypted backup is read from when not prompted.
pub const BACKUP_PASSPHRASE_ENV: &str = "YICHUANG_BACKUP_PASSPHRASE";

#[derive(Subcommand)]
pub enum BackupCmd {
    /// 立即备份（管理员；默认备份到设置的备份文件夹）
    Now {
        #[arg(long)]
        folder: Option<PathBuf>,
    },
    /// 到了自动备份的时间就备份（供定时任务调用；未到时间什么也不做）
    IfDue,
    /// 列出备份文件夹中的备份
    List {
        #[arg(long)]
        folder: Option<PathBuf>,
    },
    /// 校验一份备份（完整性、事件链、与说明文件是否相符）
    Verify { file: PathBuf },
    /// 设置备份口令（数据库密钥在系统密钥库中的站点，恢复备份时凭此口令）
    Passphrase,
    /// 把备份恢复为 --db 指定的新站点数据库（须为新的数据目录）
    Restore {
        file: PathBuf,
        /// 恢复后数据库密钥的保管方式（加密的备份默认：有系统密钥库用 keystore，否则 passphrase）
        #[arg(long, value_enum)]
        protect: Option<Protect>,
    },
}

/// The passphrase that opens an encrypted backup (the environment, else the terminal).
fn backup_passphrase() -> Result<Zeroizing<String>> {
    from_env_or_prompt(
        BACKUP_PASSPHRASE_ENV,
        "备份口令（备份时的站点口令，或设置的备份口令）：",
        false,
    )
}

fn progress_line(p: Progress) {
    if p.total > 0 && (p.done == p.total || p.done % 100_000 == 0) {
        let stage = if p.stage == "copy" {
            "复制"
        } else {
            "校验"
        };
        eprintln!("{stage} {}/{}", p.done, p.total);
    }
}

fn describe(b: &BackupInfo) -> String {
    let m = &b.manifest;
    format!(
        "{}  {}  {} 件  记录至第 {} 条  {:.1} MB{}",
        b.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        m.created_at,
        m.cases,
        m.head_seq,
        m.size_bytes as f64 / 1_048_576.0,
        if m.encrypted { "  已加密" } else { "" }
    )
}

fn folder_or_setting(e: &Engine, folder: Option<PathBuf>) -> Result<PathBuf> {
    match folder {
        Some(f) => Ok(f),
        None => e.backup_folder()?.ok_or_else(|| {
            Error::backup(
                "no_folder",
                "no backup folder is set",
                "尚未设置备份文件夹：请用 --folder 指定，或设置 backup.folder",
            )
        }),
    }
}

/// Commands that need the station open.
pub fn run(e: &Engine, cmd: BackupCmd, json: bool) -> Result<()> {
    match cmd {
        BackupCmd::Now { folder } => {
            let who = actor(e)?;
            let folder = folder_or_setting(e, folder)?;
            let r = e.back_up(Some(&who), &folder, Trigger::Manual, &mut progress_line)?;
            print(json, &r, || {
                let mut t = format!(
                    "已备份并校验：{}（{} 件，记录至第 {} 条）",
                    r.file.display(),
                    r.manifest.cases,
                    r.manifest.head_seq
                );
                if !r.rotated_out.is_empty() {
                    t.push_str(&format!("；按保留份数删除了 {}", r.rotated_out.join("、")));
                }
                t
            })
        }
        BackupCmd::IfDue => match e.backup_due()? {
            None => print(json, &json!({"due": false}), || "未到自动备份时间".into()),
            Some(folder) => {
                let r = e.back_up(None, &folder, Trigger::Scheduled, &mut |_| {})?;
                print(json, &r, || format!("已自动备份：{}", r.file.display()))
            }
        },
        BackupCmd::List { folder } => {
            let folder = folder_or_setting(e, folder)?;
            let log_id = e.station()?.log_id.clone();
            let list: Vec<BackupInfo> = backup::list_backups(&folder)?
                .into_iter()
                .filter(|b| b.manifest.log_id == log_id)
                .collect();
            print(json, &list, || {
                if list.is_empty() {
                    format!("{} 中没有本站的备份", folder.display())
                } else {
                    list.iter().map(describe).collect::<Vec<_>>().join("\n")
                }
            })
        }
        BackupCmd::Passphrase => {
            let who = actor(e)?;
            let p = new_passphrase_from(BACKUP_PASSPHRASE_ENV, "设置备份口令")?;
            e.set_backup_passphrase(&who, &p)?;
            print(json, &json!({"set": true}), || {
                "备份口令已设置：以后的备份凭此口令恢复，请妥善保管（忘记则备份无法打开）".into()
            })
        }
        BackupCmd::Verify { .. } | BackupCmd::Restore { .. } => Ok(()), // see `without_station`
    }
}

/// `verify` and `restore` work on a backup file, without opening a station.
/// Returns `None` for the other commands.
pub fn without_station(db: &Path, cmd: &BackupCmd, json: bool) -> Option<Result<()>> {
    match cmd {
        BackupCmd::Verify { file } => Some(verify(file, json)),
        BackupCmd::Restore { file, protect } => Some(restore(db, file, *protect, json)),
        _ => None,
    }
}

fn passphrase_for(file: &Path) -> Result<Option<Zeroizing<String>>> {
    Ok(if backup::read_manifest(file)?.encrypted {
        Some(backup_passphrase()?)
    } else {
        None
    })
}

fn verify(file: &Path, json: bool) -> Result<()> {
    let pass = passphrase_for(file)?;
    let (m, _) = backup::verify_backup(
        file,
        pass.as_deref().map(|s| s.as_str()),
        &mut progress_line,
    )?;
    print(json, &m, || {
        format!(
            "备份完好：{} {}，{} 件，记录至第 {} 条，{}",
            m.station_code, m.station_name, m.cases, m.head_seq, m.created_at
        )
    })
}

fn restore(db: &Path, file: &Path, protect: Option<Protect>, json: bool) -> Result<()> {
    let pass = passphrase_for(file)?;
    let encrypted = pass.is_some();
    let protect = match protect {
        Some(p) => p,
        None if !encrypted => Protect::None,
        None if at_rest::keystore_available() => Protect::Keystore,
        None => Protect::Passphrase,
    };
    let new_pass = match protect {
        Protect::Passphrase => Some(new_passphrase_from(
            at_rest::PASSPHRASE_ENV,
            "设置恢复后站点的站点口令",
        )?),
        _ => None,
    };
    let with = match (protect, &new_pass) {
        (Protect::Keystore, _) => Some(ProtectWith::OsKeyStore),
        (Protect::Passphrase, Some(p)) => Some(ProtectWith::Passphrase(p)),
        _ => None,
    };
    if encrypted && with.is_none() {
        return Err(Error::invalid(
            "protect",
            "an encrypted backup cannot be restored unencrypted",
            "加密的备份不能恢复为未加密的数据库：请选择 --protect keystore 或 passphrase",
        ));
    }
    let (e, r) = Engine::restore_backup(
        file,
        pass.as_deref().map(|s| s.as_str()),
        db,
        with,
        &mut progress_line,
    )?;
    drop(e);
    print(json, &r, || {
        let mut t = format!(
            "已恢复站点 {} {}（备份于 {}，{} 件，记录至第 {} 条）到 {}",
            r.station_code,
            r.station_name,
            r.backup_created_at,
            r.cases,
            r.head_seq,
            db.display()
        );
        if r.check_pending {
            t.push_str("。本站已接入县级：须先同步（yichuang sync now）与县级核对日志，核对通过后才能办理业务");
        }
        t
    })
}
