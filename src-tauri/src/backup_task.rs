//! The scheduled backup: a thread with its own connection asks the engine
//! once a minute whether a backup is due (`Engine::backup_due`: the folder,
//! the interval, the wait after a failure are the engine's) and makes it,
//! reporting progress and the outcome to the window.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use yichuang_engine::backup::{Progress, Trigger};

use crate::sync_task::Opener;
use crate::worker::Worker;

/// The window's event for backup progress (manual and scheduled).
pub const PROGRESS_EVENT: &str = "backup-progress";
/// The window's event when a scheduled backup ends.
pub const DONE_EVENT: &str = "backup-done";
/// How often the thread asks whether a backup is due.
const POLL: Duration = Duration::from_secs(60);

/// A scheduled backup's outcome, for the window.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub ok: bool,
    pub file: Option<String>,
    pub error: Option<String>,
}

/// What the thread tells the window.
pub enum Report {
    Progress(Progress),
    Done(Done),
}

pub struct BackupTask {
    stop: Arc<AtomicBool>,
    worker: Worker,
}

impl BackupTask {
    pub fn start(
        open: Opener,
        on_report: impl Fn(Report) + Send + 'static,
    ) -> std::io::Result<BackupTask> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let worker = Worker::spawn("yichuang-backup", move || run(&*open, &s, &on_report))?;
        Ok(BackupTask { stop, worker })
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.worker.join();
    }
}

impl Drop for BackupTask {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    open: &(dyn Fn() -> yichuang_engine::Result<yichuang_engine::Engine> + Send + Sync),
    stop: &AtomicBool,
    on_report: &dyn Fn(Report),
) {
    // A first look shortly after start-up, then once a minute.
    let mut next = Instant::now() + Duration::from_secs(5);
    let mut engine = None;
    while !stop.load(Ordering::Relaxed) {
        if Instant::now() < next {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        next = Instant::now() + POLL;
        if engine.is_none() {
            match open() {
                Ok(e) => engine = Some(e),
                Err(e) => {
                    eprintln!("yichuang-desktop: backup schedule cannot open the station: {e}");
                    continue;
                }
            }
        }
        let Some(e) = &engine else { continue };
        let folder = match e.backup_due() {
            Ok(Some(f)) => f,
            Ok(None) => continue,
            Err(err) => {
                eprintln!("yichuang-desktop: backup schedule: {err}");
                continue;
            }
        };
        let outcome = e.back_up(None, &folder, Trigger::Scheduled, &mut |p| {
            on_report(Report::Progress(p))
        });
        let done = match outcome {
            Ok(r) => Done {
                ok: true,
                file: Some(r.file.display().to_string()),
                error: None,
            },
            Err(err) => {
                eprintln!("yichuang-desktop: scheduled backup failed: {err}");
                Done {
                    ok: false,
                    file: None,
                    error: Some(err.user_message()),
                }
            }
        };
        on_report(Report::Done(done));
    }
}
