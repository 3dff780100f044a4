//! 一窗 desktop shell: Tauri commands that translate between the window and
//! the engine. No rule of the counter lives here (ARCHITECTURE.md); the shell
//! only chooses the database, saves and prints the PDFs the engine produces,
//! and reports engine errors in the clerk's language.

mod commands;
pub mod print;
pub mod startup;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use tauri::{Builder, Runtime};
use yichuang::Engine;

pub use commands::CmdError;

/// What every command shares: the one engine of this counter PC.
pub struct AppState {
    /// The engine is single-connection and not `Sync`; commands take turns.
    engine: Mutex<Engine>,
    /// Where printed PDFs are saved (next to the database).
    notices_dir: PathBuf,
    /// True when the database was opened as a demo station.
    demo: bool,
    /// When this state was made (process start, near enough), for measurements.
    started: std::time::Instant,
}

impl AppState {
    pub fn new(engine: Engine, demo: bool) -> AppState {
        let notices_dir = engine
            .path()
            .parent()
            .map(|p| p.join("notices"))
            .unwrap_or_else(|| PathBuf::from("notices"));
        AppState {
            engine: Mutex::new(engine),
            notices_dir,
            demo,
            started: std::time::Instant::now(),
        }
    }

    pub(crate) fn engine(&self) -> Result<MutexGuard<'_, Engine>, CmdError> {
        // A panic while holding the lock leaves the engine usable: every engine
        // write is one SQLite transaction, so no half-done state survives it.
        Ok(self
            .engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// Registers every command; shared by `run` and the `tauri::test` tests.
pub fn with_commands<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(commands::handler())
}

/// Starts the desktop app (`--db FILE`, `--demo`; `YICHUANG_DB`, `YICHUANG_DEMO=1`).
pub fn run() {
    let opts = startup::Options::from_env_and_args(std::env::args().skip(1));
    let state = match startup::open_engine(&opts) {
        Ok((engine, demo)) => AppState::new(engine, demo),
        Err(e) => {
            // No window can help here (the database cannot be opened): say why and stop.
            eprintln!("一窗无法启动：{}\n({e})", e.user_message());
            std::process::exit(2);
        }
    };
    let result = with_commands(Builder::default())
        .manage(state)
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("一窗窗口运行失败：{e}");
        std::process::exit(1);
    }
}
