//! The window's background sync: a thread with its own engine on the station
//! database runs [`Engine::run_sync_loop`] and reports every attempt to the
//! window (the `sync-status` event). All sync rules (when, backoff, what is
//! acked) are the engine's; this module only owns the thread.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use yichuang_engine::Engine;
use yichuang_engine::sync::{BackoffPolicy, LoopControl, SyncRun, SyncStatusView, Trigger};

use crate::worker::Worker;

/// The event the window listens to.
pub const EVENT: &str = "sync-status";

/// While not enrolled, how often to look again (enrolment also wakes the thread).
const ENROL_POLL: Duration = Duration::from_secs(3);
/// After the database could not be opened or the loop failed, wait this long.
const RESTART_AFTER: Duration = Duration::from_secs(5);

/// One attempt of the background sync, as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub at_ms: i64,
    /// Why it ran, in Chinese (启动 / 本机有新记录 / …).
    pub trigger: &'static str,
    pub ok: bool,
    /// What happened, in Chinese.
    pub message: String,
    pub releases_applied: Vec<String>,
}

fn trigger_zh(t: Trigger) -> &'static str {
    match t {
        Trigger::Startup => "启动",
        Trigger::NetworkUp => "网络恢复",
        Trigger::Write => "本机有新记录",
        Trigger::Periodic => "定时",
        Trigger::Retry => "重试",
        Trigger::MorePending => "继续上传",
        Trigger::Manual => "手动同步",
    }
}

impl Attempt {
    fn new(at_ms: i64, trigger: Trigger, result: &yichuang_engine::Result<SyncRun>) -> Attempt {
        match result {
            Ok(run) => Attempt {
                at_ms,
                trigger: trigger_zh(trigger),
                ok: true,
                message: if run.releases_applied.is_empty() {
                    format!("同步成功：上传 {} 条", run.stored)
                } else {
                    format!(
                        "同步成功：上传 {} 条；已更新：{}",
                        run.stored,
                        run.releases_applied.join("、")
                    )
                },
                releases_applied: run.releases_applied.clone(),
            },
            Err(e) => Attempt {
                at_ms,
                trigger: trigger_zh(trigger),
                ok: false,
                message: e.user_message(),
                releases_applied: Vec::new(),
            },
        }
    }
}

/// The sync badge and page: the engine's queue plus the last attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    /// unenrolled | connecting | online | offline | stopped
    pub state: &'static str,
    pub state_zh: &'static str,
    pub online: bool,
    pub queued: u64,
    pub oldest_unsynced: Option<String>,
    pub last_sync: Option<String>,
    pub enrolled: bool,
    pub server_url: Option<String>,
    pub device_id: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt: Option<Attempt>,
    /// When the county last answered the release list, and the engine's
    /// warning when that is too long ago (a feed blocked on the way).
    pub releases_checked: Option<String>,
    pub releases_stale: Option<String>,
}

fn local_time(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| {
        t.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    })
}

/// Joins the engine's view with the thread's last attempt. `running` is false
/// when no background sync runs in this process (tests, or it was stopped).
pub fn status(view: SyncStatusView, attempt: Option<Attempt>, running: bool) -> SyncStatus {
    let (state, state_zh) = match (&attempt, view.enrolled, running) {
        (_, false, _) => ("unenrolled", "未注册"),
        (_, true, false) => ("stopped", "同步未运行"),
        (None, true, true) => ("connecting", "连接中"),
        (Some(a), true, true) if a.ok => ("online", "在线"),
        (Some(_), true, true) => ("offline", "离线"),
    };
    SyncStatus {
        state,
        state_zh,
        online: state == "online",
        queued: view.queued,
        oldest_unsynced: view.oldest_unsynced,
        last_sync: view.last_success_ms.and_then(local_time),
        enrolled: view.enrolled,
        server_url: view.server_url,
        device_id: view.device_id,
        last_error: view.last_error,
        last_attempt: attempt,
        releases_checked: view.releases_checked_ms.and_then(local_time),
        releases_stale: view.releases_stale_zh,
    }
}

type Shared = Arc<Mutex<Option<Attempt>>>;

/// Opens the station database for the sync thread's own connection (with the
/// data key of an encrypted station, and the window's clock).
pub type Opener = Arc<dyn Fn() -> yichuang_engine::Result<Engine> + Send + Sync>;

/// The running background sync; stopped (and joined) on drop.
pub struct SyncTask {
    control: Arc<LoopControl>,
    last: Shared,
    worker: Worker,
}

impl SyncTask {
    /// Starts the thread on `db`. `on_report` gets every status change; it
    /// runs on the sync thread.
    pub fn start(
        open: Opener,
        policy: BackoffPolicy,
        on_report: impl Fn(SyncStatus) + Send + 'static,
    ) -> std::io::Result<SyncTask> {
        let control = Arc::new(LoopControl::new());
        let last: Shared = Arc::new(Mutex::new(None));
        let (c, l) = (control.clone(), last.clone());
        let worker = Worker::spawn("yichuang-sync", move || {
            run(&*open, policy, &c, &l, &on_report)
        })?;
        Ok(SyncTask {
            control,
            last,
            worker,
        })
    }

    /// Sync at once (立即同步), or look for a new enrolment at once.
    pub fn sync_soon(&self) {
        self.control.sync_soon();
    }

    pub fn last_attempt(&self) -> Option<Attempt> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn running(&self) -> bool {
        !self.control.stopped()
    }

    /// Stops the thread and waits for it (at most one poll, or one request
    /// in flight: the client's timeouts bound that).
    pub fn stop(&self) {
        self.control.stop();
        self.worker.join();
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sync times are real time (the county's view), not the counter's business
/// clock, which tests and training stations may set to another day.
fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Sleeps up to `d`, returning early when asked to stop or to sync now.
fn pause(control: &LoopControl, d: Duration) {
    let end = Instant::now() + d;
    while !control.stopped() && Instant::now() < end {
        if control.take_kick() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(
    open: &(dyn Fn() -> yichuang_engine::Result<Engine> + Send + Sync),
    policy: BackoffPolicy,
    control: &LoopControl,
    last: &Shared,
    on_report: &dyn Fn(SyncStatus),
) {
    let record = |a: Attempt| {
        *last.lock().unwrap_or_else(PoisonError::into_inner) = Some(a);
    };
    while !control.stopped() {
        let mut engine = match open() {
            Ok(e) => e,
            Err(e) => {
                eprintln!(
                    "yichuang-desktop: background sync cannot open the station database: {e}"
                );
                pause(control, RESTART_AFTER);
                continue;
            }
        };
        // Not enrolled yet: say so once, then wait for the enrolment.
        let mut told = false;
        loop {
            if control.stopped() {
                return;
            }
            match engine.sync_status() {
                Ok(v) if v.enrolled => break,
                Ok(v) if !told => {
                    on_report(status(v, None, true));
                    told = true;
                }
                Ok(_) => {}
                // A new station still in its set-up wizard: nothing to sync
                // yet; open the database afresh later, quietly.
                Err(_) if engine.station().is_err() => {
                    if let Ok(e) = open() {
                        engine = e;
                    }
                }
                Err(e) => eprintln!("yichuang-desktop: background sync status: {e}"),
            }
            pause(control, ENROL_POLL);
        }
        let result = engine.run_sync_loop(policy.clone(), control, |e, trigger, result| {
            let a = Attempt::new(wall_ms(), trigger, result);
            if let Err(err) = result {
                eprintln!("yichuang-desktop: sync ({trigger:?}) failed: {err}");
            }
            record(a.clone());
            match e.sync_status() {
                Ok(v) => on_report(status(v, Some(a), true)),
                Err(err) => eprintln!("yichuang-desktop: background sync status: {err}"),
            }
        });
        if let Err(e) = result {
            // E.g. the stored device key is unreadable: show it, try again later.
            eprintln!("yichuang-desktop: background sync stopped: {e}");
            let a = Attempt {
                at_ms: wall_ms(),
                trigger: trigger_zh(Trigger::Retry),
                ok: false,
                message: e.user_message(),
                releases_applied: Vec::new(),
            };
            record(a.clone());
            if let Ok(v) = engine.sync_status() {
                on_report(status(v, Some(a), true));
            }
            pause(control, RESTART_AFTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(enrolled: bool) -> SyncStatusView {
        SyncStatusView {
            enrolled,
            server_url: enrolled.then(|| "http://county.example:8080".into()),
            device_id: None,
            queued: 3,
            oldest_unsynced: None,
            acked_seq: 0,
            last_success_ms: None,
            last_error: None,
            releases_checked_ms: None,
            releases_stale_zh: None,
        }
    }

    fn attempt(ok: bool) -> Attempt {
        Attempt {
            at_ms: 0,
            trigger: "启动",
            ok,
            message: String::new(),
            releases_applied: vec![],
        }
    }

    #[test]
    fn state_follows_enrolment_and_the_last_attempt() {
        assert_eq!(status(view(false), None, true).state_zh, "未注册");
        assert_eq!(status(view(true), None, true).state_zh, "连接中");
        assert_eq!(status(view(true), None, false).state_zh, "同步未运行");
        let on = status(view(true), Some(attempt(true)), true);
        assert!(on.online && on.state == "online");
        let off = status(view(true), Some(attempt(false)), true);
        assert!(!off.online && off.state_zh == "离线");
        assert_eq!(off.queued, 3);
    }
}
