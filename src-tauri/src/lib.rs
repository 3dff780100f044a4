//! 一窗 desktop shell: Tauri commands that translate between the window and
//! the engine. No rule of the counter lives here (ARCHITECTURE.md); the shell
//! only chooses the database, saves and prints the PDFs the engine produces,
//! and reports engine errors in the clerk's language.

pub mod applicant;
mod backup_commands;
pub mod backup_task;
mod commands;
pub mod print;
pub mod startup;
pub mod sync_task;
mod worker;

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tauri::{Builder, Emitter, Manager, RunEvent, Runtime};
use yichuang_engine::Engine;
use yichuang_engine::at_rest::DataKey;
use yichuang_engine::clock::Clock;
use yichuang_engine::sync::BackoffPolicy;

use startup::Opening;
use sync_task::{Opener, SyncStatus, SyncTask};

pub use commands::CmdError;

/// What every command shares: the one engine of this counter PC.
pub struct AppState {
    /// The engine is single-connection and not `Sync`; commands take turns.
    /// `None` until an encrypted station is unlocked or a new one set up.
    engine: Mutex<Option<Engine>>,
    /// The station database file.
    db: PathBuf,
    clock: Clock,
    /// The data key of an encrypted station, for the sync thread's connection.
    key: Mutex<Option<Arc<DataKey>>>,
    /// The database waits for its passphrase (`unlock_station`).
    locked_store: Mutex<bool>,
    /// The OS key store answered (probed for a new station only: the wizard offers it).
    keystore: bool,
    /// Where a print waits for the printer and the preview ([`print_dir`]).
    notices_dir: PathBuf,
    /// True when the database was opened as a demo station.
    demo: bool,
    /// When this state was made (process start, near enough), for measurements.
    started: std::time::Instant,
    /// The background sync, once started (the window starts it at set-up).
    sync: OnceLock<SyncTask>,
    /// The scheduled backup, started with the sync.
    backups: OnceLock<backup_task::BackupTask>,
}

impl AppState {
    /// A state over an open, plain engine (the demo station, tests).
    pub fn new(engine: Engine, demo: bool) -> AppState {
        let (db, clock) = (engine.path().to_path_buf(), *engine.clock());
        let mut s = AppState::pending(db, clock, demo, false);
        s.engine = Mutex::new(Some(engine));
        s
    }

    /// A state as start-up found the station database.
    pub fn from_opening(opening: Opening, db: PathBuf, clock: Clock, demo: bool) -> AppState {
        // Probing the key store (D-Bus) is start-up work only the wizard needs.
        let keystore =
            matches!(opening, Opening::New) && yichuang_engine::at_rest::keystore_available();
        let s = AppState::pending(db, clock, demo, keystore);
        match opening {
            Opening::Open { engine, key } => {
                lock_at_start(&engine);
                *s.key.lock().unwrap_or_else(|p| p.into_inner()) = key.map(Arc::new);
                *s.engine.lock().unwrap_or_else(|p| p.into_inner()) = Some(engine);
            }
            Opening::Locked => *s.locked_store.lock().unwrap_or_else(|p| p.into_inner()) = true,
            Opening::New => {}
        }
        s
    }

    fn pending(db: PathBuf, clock: Clock, demo: bool, keystore: bool) -> AppState {
        let notices_dir = print_dir(&db);
        AppState {
            engine: Mutex::new(None),
            db,
            clock,
            key: Mutex::new(None),
            locked_store: Mutex::new(false),
            keystore,
            notices_dir,
            demo,
            started: std::time::Instant::now(),
            sync: OnceLock::new(),
            backups: OnceLock::new(),
        }
    }

    /// Prints go to `dir` instead (tests keep them beside their database).
    pub fn with_print_dir(mut self, dir: PathBuf) -> AppState {
        self.notices_dir = dir;
        self
    }

    /// Removes the prints of this session (at exit): the station database
    /// keeps every notice and re-renders it byte for byte.
    pub fn clear_prints(&self) {
        if let Err(e) = std::fs::remove_dir_all(&self.notices_dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!(
                "yichuang-desktop: cannot remove {}: {e}",
                self.notices_dir.display()
            );
        }
    }

    /// Starts the background sync on this station's database (once). Every
    /// status change goes to `on_report`, on the sync thread.
    pub fn start_sync(
        &self,
        policy: BackoffPolicy,
        on_report: impl Fn(SyncStatus) + Send + 'static,
    ) -> Result<(), CmdError> {
        if self.sync.get().is_some() {
            return Ok(());
        }
        if !self.is_open() {
            // Started once the station is unlocked or set up.
            return Ok(());
        }
        let task = SyncTask::start(self.opener(), policy, on_report)
            .map_err(|e| CmdError::shell("无法启动后台同步", format!("spawn sync thread: {e}")))?;
        // Lost race with another start: the extra task stops on drop.
        let _ = self.sync.set(task);
        Ok(())
    }

    pub(crate) fn sync_task(&self) -> Option<&SyncTask> {
        self.sync.get()
    }

    /// Starts the scheduled backup on this station's database (once).
    pub fn start_backups(
        &self,
        on_report: impl Fn(backup_task::Report) + Send + 'static,
    ) -> Result<(), CmdError> {
        if self.backups.get().is_some() || !self.is_open() {
            return Ok(());
        }
        let task = backup_task::BackupTask::start(self.opener(), on_report).map_err(|e| {
            CmdError::shell("无法启动自动备份", format!("spawn backup thread: {e}"))
        })?;
        let _ = self.backups.set(task);
        Ok(())
    }

    /// Stops the background sync and the backup schedule (at exit).
    pub fn stop_sync(&self) {
        if let Some(t) = self.sync.get() {
            t.stop();
        }
        if let Some(t) = self.backups.get() {
            t.stop();
        }
    }

    /// The station's sync policy, from the engine (default when the
    /// station cannot be read yet: the loop then reports the error itself).
    fn sync_policy(&self) -> BackoffPolicy {
        self.engine()
            .ok()
            .and_then(|e| e.sync_policy(None).ok())
            .unwrap_or_default()
    }

    pub(crate) fn engine(&self) -> Result<EngineGuard<'_>, CmdError> {
        // A panic while holding the lock leaves the engine usable: every engine
        // write is one SQLite transaction, so no half-done state survives it.
        let guard = self
            .engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.is_none() {
            return Err(CmdError::coded(
                "store_locked",
                if self.store_locked() {
                    "站点数据库已加密，请先输入站点口令"
                } else {
                    "本站尚未初始化，请先完成初始化"
                },
                "station database not open",
            ));
        }
        Ok(EngineGuard(guard))
    }

    fn is_open(&self) -> bool {
        self.engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub(crate) fn store_locked(&self) -> bool {
        *self.locked_store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn db(&self) -> &std::path::Path {
        &self.db
    }

    pub(crate) fn clock(&self) -> Clock {
        self.clock
    }

    pub(crate) fn keystore(&self) -> bool {
        self.keystore
    }

    /// Puts the station's engine in place once it is unlocked or created.
    pub(crate) fn install(&self, engine: Engine, key: Option<DataKey>) {
        lock_at_start(&engine);
        *self.key.lock().unwrap_or_else(|p| p.into_inner()) = key.map(Arc::new);
        *self.locked_store.lock().unwrap_or_else(|p| p.into_inner()) = false;
        *self.engine.lock().unwrap_or_else(|p| p.into_inner()) = Some(engine);
    }

    /// How the sync thread (and a backup) opens its own connection to this station.
    pub(crate) fn opener(&self) -> Opener {
        let (db, clock) = (self.db.clone(), self.clock);
        let key = self.key.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Arc::new(move || {
            let e = match &key {
                Some(k) => Engine::open_with_key(&db, k)?,
                None => Engine::open(&db)?,
            };
            Ok(e.with_clock(clock))
        })
    }
}

/// Where prints wait for the printer: a PDF holds the applicant's full ID
/// number, so not beside the database on a shared disk but in the user's
/// runtime directory (tmpfs on Linux, owner-only, gone at log-out), one
/// folder per station database; without one, an owner-only folder beside the
/// database. Either is emptied at exit.
fn print_dir(db: &std::path::Path) -> PathBuf {
    // A folder name per database (not a secret, only distinct).
    let tag = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        db.hash(&mut h);
        format!("{:016x}", h.finish())
    };
    let runtime = directories::BaseDirs::new()
        .and_then(|b| b.runtime_dir().map(|d| d.to_path_buf()))
        .filter(|d| d.is_dir());
    match runtime {
        Some(d) => d.join("yichuang").join(tag),
        None => db
            .parent()
            .map(|p| p.join("prints"))
            .unwrap_or_else(|| PathBuf::from("prints")),
    }
}

/// A window that closed is a counter that locked: whoever was logged in
/// when the app stopped enters their password again.
fn lock_at_start(engine: &Engine) {
    if let Err(e) = engine.lock_counter() {
        eprintln!("yichuang-desktop: cannot lock the counter at start: {e}");
    }
}

/// The open engine of a command (checked open when taken).
pub(crate) struct EngineGuard<'a>(MutexGuard<'a, Option<Engine>>);

impl Deref for EngineGuard<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        // `AppState::engine` hands out a guard only over an open engine.
        self.0.as_ref().expect("engine checked open")
    }
}

impl DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        self.0.as_mut().expect("engine checked open")
    }
}

/// Registers every command; shared by `run` and the `tauri::test` tests.
pub fn with_commands<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(commands::handler())
}

/// Starts the desktop app (`--db FILE`, `--demo`; `YICHUANG_DB`, `YICHUANG_DEMO=1`).
pub fn run() {
    let opts = startup::Options::from_env_and_args(std::env::args().skip(1));
    let opened = opts
        .db_path()
        .and_then(|db| Ok((startup::open_engine(&opts)?, db, opts.clock()?)));
    let state = match opened {
        Ok((opening, db, clock)) => AppState::from_opening(opening, db, clock, opts.demo),
        Err(e) => {
            // No window can help here (the database cannot be opened): say why and stop.
            eprintln!("一窗无法启动：{}\n({e})", e.user_message());
            std::process::exit(2);
        }
    };
    let app = with_commands(Builder::default())
        // Remembers the size, position and maximized state the clerk left the
        // window in (the app's config dir, written at exit) and restores it
        // when the window opens.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                // The applicant screen is placed anew each time (full screen).
                .with_denylist(&[applicant::APPLICANT_WINDOW])
                .build(),
        )
        .manage(state)
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                open_maximized_unless_remembered(app.handle(), &window);
                small_webkit_cache(&window);
            }
            let state = app.state::<AppState>();
            if let Err(e) = state.start_sync(state.sync_policy(), reporter(app.handle().clone())) {
                // The counter works offline; the sync page shows the refusal.
                eprintln!("yichuang-desktop: {}", e.detail);
            }
            if let Err(e) = state.start_backups(backup_reporter(app.handle().clone())) {
                eprintln!("yichuang-desktop: {}", e.detail);
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|app, event| {
            if let RunEvent::Exit = event {
                app.state::<AppState>().stop_sync();
                app.state::<AppState>().clear_prints();
            }
        }),
        Err(e) => {
            eprintln!("一窗窗口运行失败：{e}");
            std::process::exit(1);
        }
    }
}

/// WebKit's default cache model is a web browser's: images no longer shown
/// (each notice preview is a new page image, ~4 MB decoded) stay cached up to
/// half of a 128 MB budget, and the window grew ~7 MB per notice all day.
/// The document-viewer model keeps nothing that is no longer shown; the
/// window loads its pages from the binary, so there is nothing to re-fetch.
fn small_webkit_cache<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let set = window.with_webview(|webview| {
            use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().web_context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = set {
            eprintln!("yichuang-desktop: cannot set the WebKit cache model: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// The window opens maximized the first time, and whenever the remembered
/// size does not fit the screen it opens on (a smaller display since); else
/// the window-state plugin has already restored what the clerk chose. (Not
/// `"maximized": true` in tauri.conf.json: the plugin restores a size the
/// clerk chose without un-maximizing, so the window would always open maximized.)
fn open_maximized_unless_remembered<R: Runtime>(
    app: &tauri::AppHandle<R>,
    window: &tauri::WebviewWindow<R>,
) {
    let remembered = app.path().app_config_dir().is_ok_and(|d| {
        d.join(tauri_plugin_window_state::DEFAULT_FILENAME)
            .is_file()
    });
    let fits = |w: &tauri::WebviewWindow<R>| -> Option<bool> {
        let screen = *w.current_monitor().ok()??.size();
        let size = w.outer_size().ok()?;
        Some(size.width <= screen.width && size.height <= screen.height)
    };
    if (!remembered || fits(window) == Some(false))
        && let Err(e) = window.maximize()
    {
        eprintln!("yichuang-desktop: maximize window: {e}");
    }
}

/// Sends each sync status to the window; after a county release was applied
/// by the sync thread's connection, the window's engine re-reads the calendar.
pub fn reporter<R: Runtime>(app: tauri::AppHandle<R>) -> impl Fn(SyncStatus) + Send + 'static {
    move |status| {
        let applied = status
            .last_attempt
            .as_ref()
            .is_some_and(|a| !a.releases_applied.is_empty());
        if applied
            && let Ok(e) = app.state::<AppState>().engine()
            && let Err(err) = e.reload_calendar()
        {
            eprintln!("yichuang-desktop: reload calendar after release: {err}");
        }
        if let Err(e) = app.emit(sync_task::EVENT, &status) {
            eprintln!("yichuang-desktop: emit sync status: {e}");
        }
    }
}

/// Sends the scheduled backup's progress and outcome to the window.
pub fn backup_reporter<R: Runtime>(
    app: tauri::AppHandle<R>,
) -> impl Fn(backup_task::Report) + Send + 'static {
    move |report| {
        let sent = match report {
            backup_task::Report::Progress(p) => app.emit(backup_task::PROGRESS_EVENT, p),
            backup_task::Report::Done(d) => app.emit(backup_task::DONE_EVENT, d),
        };
        if let Err(e) = sent {
            eprintln!("yichuang-desktop: emit backup report: {e}");
        }
    }
}
