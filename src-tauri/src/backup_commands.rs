//! The window's backup and restore commands: translate to the engine
//! (`ops/backup.rs`, `ops/restore.rs`), which decides everything. A backup
//! runs on its own connection, off the window's engine, so the counter keeps
//! working meanwhile.

use std::path::PathBuf;

use tauri::{Emitter, Runtime, State};
use yichuang_engine::Engine;
use yichuang_engine::at_rest::{self, ProtectWith};
use yichuang_engine::backup::{self, BackupInfo, BackupReport, BackupStatus, Progress};
use yichuang_engine::restore::{RestoreCheck, RestoreReport};

use crate::AppState;
use crate::backup_task::PROGRESS_EVENT;
use crate::commands::{CmdError, Res, as_clerk};

/// The backup page (administrators).
#[tauri::command]
pub async fn backup_status(state: State<'_, AppState>) -> Res<BackupStatus> {
    as_clerk(&state, |e, a| e.backup_status(a))
}

/// 立即备份 into the configured folder, with progress events.
#[tauri::command]
pub async fn back_up_now<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> Res<BackupReport> {
    // Who asks is checked on the window's engine; the copy runs on another.
    let actor = as_clerk(&state, |_, a| Ok(a.clone()))?;
    let open = state.opener();
    let done = tauri::async_runtime::spawn_blocking(move || {
        let e = open()?;
        e.back_up_now(&actor, &mut |p: Progress| {
            if let Err(err) = app.emit(PROGRESS_EVENT, p) {
                eprintln!("yichuang-desktop: emit backup progress: {err}");
            }
        })
    })
    .await
    .map_err(|e| CmdError::shell("备份未能完成", format!("backup thread: {e}")))?;
    Ok(done?)
}

/// The passphrase that seals the key in backups of a key-store station.
#[tauri::command]
pub async fn set_backup_passphrase(state: State<'_, AppState>, passphrase: String) -> Res<()> {
    as_clerk(&state, |e, a| e.set_backup_passphrase(a, &passphrase))
}

/// The outstanding county check of a restored station (none normally);
/// shown before the log-in, so it needs no clerk and tells nothing personal.
#[tauri::command]
pub async fn restore_status(state: State<'_, AppState>) -> Res<Option<RestoreCheck>> {
    match state.engine() {
        Ok(e) => Ok(e.restore_status()?),
        Err(_) => Ok(None),
    }
}

/// 立即核对: the background sync runs now (its first step is the check).
#[tauri::command]
pub async fn check_restore_now(state: State<'_, AppState>) -> Res<()> {
    if let Some(t) = state.sync_task() {
        t.sync_soon();
    }
    Ok(())
}

fn only_new_station(state: &AppState) -> Res<()> {
    if state.engine().is_ok() || state.store_locked() {
        return Err(CmdError::coded(
            "already_set_up",
            "本站已有数据库：恢复备份只能在新安装的站点上进行",
            "restore: the station database exists",
        ));
    }
    Ok(())
}

/// The backups in a folder (the set-up wizard's 从备份恢复, before any station exists).
#[tauri::command]
pub async fn find_backups(state: State<'_, AppState>, folder: String) -> Res<Vec<BackupInfo>> {
    only_new_station(&state)?;
    Ok(backup::list_backups(&PathBuf::from(folder.trim()))?)
}

/// Restores a backup as this new station's database, then opens it.
#[tauri::command]
pub async fn restore_station<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    file: String,
    passphrase: Option<String>,
    protection: Option<String>,
    new_passphrase: Option<String>,
) -> Res<RestoreReport> {
    only_new_station(&state)?;
    let file = PathBuf::from(file.trim());
    let with = match (protection.as_deref(), new_passphrase.as_deref()) {
        (Some("keystore"), _) => Some(ProtectWith::OsKeyStore),
        (Some("passphrase"), Some(p)) => Some(ProtectWith::Passphrase(p)),
        (Some("passphrase"), None) => {
            return Err(CmdError::coded(
                "invalid:passphrase",
                "请设置恢复后站点的站点口令",
                "restore_station: no new passphrase",
            ));
        }
        _ => None,
    };
    let db = state.db().to_path_buf();
    let progress_app = app.clone();
    let (engine, report) = Engine::restore_backup(
        &file,
        passphrase.as_deref(),
        &db,
        with,
        &mut |p: Progress| {
            let _ = progress_app.emit(PROGRESS_EVENT, p);
        },
    )?;
    drop(engine);
    // Reopened by its new custody, as every later start will.
    let key = match at_rest::custody(&db)? {
        at_rest::Custody::Plain => None,
        _ => Some(at_rest::unlock(&db, new_passphrase.as_deref())?),
    };
    let engine = match &key {
        Some(k) => Engine::open_with_key(&db, k)?,
        None => Engine::open(&db)?,
    }
    .with_clock(state.clock());
    state.install(engine, key);
    crate::commands::start_sync_now(&app, &state);
    Ok(report)
}
