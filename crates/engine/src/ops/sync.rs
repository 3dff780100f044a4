//! The station side of sync: the engine's event log as the sync client's
//! outbox, county releases applied in one transaction, and the device's
//! enrolment. Transport and protocol live in `yichuang-sync`.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use yichuang_sync::{
    Client, ClientOptions, DeviceKey, DeviceRegistration, Event, Outbox, QueueStats, Scheduler,
    SyncError, SyncOutcome, SyncReport,
};

pub use yichuang_sync::{BackoffPolicy, ReleaseManifest, ReleaseSink, Trigger};

use crate::domain::catalog::Catalog;
use crate::domain::template::TemplateSet;
use crate::engine::{Engine, store_calendar_year, store_catalog, store_templates};
use crate::error::{Error, Result};

pub(crate) fn sync_error(e: SyncError) -> Error {
    Error::Sync {
        en: e.to_string(),
        zh: format!("同步失败：{}", e.message_zh()),
        retryable: e.is_retryable(),
    }
}

/// An enrolment that failed says so (not "sync failed").
fn enrol_error(e: SyncError) -> Error {
    Error::Sync {
        en: format!("enrolment: {e}"),
        zh: format!("注册失败：{}", e.message_zh()),
        retryable: e.is_retryable(),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SyncStatusView {
    pub enrolled: bool,
    pub server_url: Option<String>,
    pub device_id: Option<String>,
    pub queued: u64,
    pub oldest_unsynced: Option<String>,
    pub acked_seq: u64,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    /// When the county last answered a verified release list.
    pub releases_checked_ms: Option<i64>,
    /// Set when that is too long ago (or never): the window shows it.
    pub releases_stale_zh: Option<String>,
}

/// A release feed silent for longer than this is shown as stale: a county
/// publishes rarely, but answers the list on every sync.
pub const RELEASE_CHECK_STALE_MS: i64 = 24 * 3_600_000;

/// The warning for a release feed last checked at `checked` (none: never),
/// seen at `now`; `None` while it is fresh.
pub fn release_staleness(checked: Option<i64>, now: i64) -> Option<String> {
    match checked {
        None => Some("尚未从县级服务器核对过基础数据（事项清单、节假日、文书模板）".into()),
        Some(t) if now.saturating_sub(t) > RELEASE_CHECK_STALE_MS => Some(format!(
            "已超过 {} 小时未能与县级服务器核对基础数据（事项清单、节假日、文书模板），可能收不到更新，请检查网络或联系县级管理员",
            now.saturating_sub(t) / 3_600_000
        )),
        Some(_) => None,
    }
}

/// What one `sync now` did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SyncRun {
    pub sent: u64,
    pub stored: u64,
    pub acked_seq: u64,
    pub batches: u64,
    pub quarantined: usize,
    pub releases_applied: Vec<String>,
}

impl Engine {
    /// Enrols this station with the county using a one-time code: makes the
    /// device key pair, registers the public key, stores both here.
    /// Administrators only: it decides where this station's records go.
    pub fn enroll(
        &self,
        actor: &crate::domain::clerk::Clerk,
        server_url: &str,
        code: &str,
    ) -> Result<DeviceRegistration> {
        actor.require(crate::domain::clerk::Role::Admin, "enroll")?;
        let server_url = server_url.trim();
        if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
            return Err(Error::invalid(
                "server_url",
                format!("not an http(s) URL: {server_url}"),
                "县级服务器地址应以 https:// 开头（仅本机测试可用 http://）",
            ));
        }
        yichuang_sync::check_county_url(server_url).map_err(enrol_error)?;
        let station = self.station()?.clone();
        if self.identity()?.is_some() {
            return Err(Error::rule(
                "already_enrolled",
                "this station is already enrolled",
                "本站已在县级服务器注册，如需重新注册请联系县级管理员",
            ));
        }
        let (key, reg) = self.enrol_device(server_url, code, &station)?;
        self.write(|w| {
            w.execute(
                "INSERT INTO device_identity (id, key_secret, registration, enrolled_at) VALUES (1, ?1, ?2, ?3)",
                params![key.to_secret_string(), reg.to_json(), w.now],
            )?;
            w.event(
                "station.enrolled",
                &json!({"station_code": station.code, "device_id": reg.device_id,
                        "server_url": reg.server_url, "public_key": key.public_key_hex(),
                        "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        Ok(reg)
    }

    /// Enrols again with a new device key, replacing this station's device
    /// (its key was stolen and revoked, or the county lost it): the county
    /// admin has set the old device's log aside (`reset-log`) and issued a
    /// new code. The whole log is then uploaded again under the new device.
    pub fn re_enroll(
        &self,
        actor: &crate::domain::clerk::Clerk,
        server_url: &str,
        code: &str,
    ) -> Result<DeviceRegistration> {
        actor.require(crate::domain::clerk::Role::Admin, "enroll")?;
        let server_url = server_url.trim();
        yichuang_sync::check_county_url(server_url).map_err(enrol_error)?;
        let station = self.station()?.clone();
        let (_, old) = self.identity()?.ok_or_else(|| {
            Error::rule(
                "not_enrolled",
                "re-enrolment of a station never enrolled",
                "本站尚未注册，请直接注册",
            )
        })?;
        let (key, reg) = self.enrol_device(server_url, code, &station)?;
        self.write(|w| {
            w.execute(
                "UPDATE device_identity SET key_secret = ?1, registration = ?2, enrolled_at = ?3 WHERE id = 1",
                params![key.to_secret_string(), reg.to_json(), w.now],
            )?;
            // The new device's copy at the county starts empty.
            w.execute(
                "UPDATE sync_state SET acked_seq = 0, acked_hash = ?1 WHERE id = 1",
                [yichuang_sync::GENESIS_HASH],
            )?;
            w.event(
                "station.re_enrolled",
                &json!({"station_code": station.code, "device_id": reg.device_id,
                        "previous_device_id": old.device_id, "server_url": reg.server_url,
                        "public_key": key.public_key_hex(), "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        Ok(reg)
    }

    /// A new device key of the county's suite (Ed25519, or 国密 SM2 for a
    /// `GM-` code; a malformed code is refused by enrolment itself),
    /// registered with the county for this station and no other.
    fn enrol_device(
        &self,
        server_url: &str,
        code: &str,
        station: &crate::domain::station::StationInfo,
    ) -> Result<(DeviceKey, DeviceRegistration)> {
        let suite = Client::suite_of_code(code).unwrap_or(yichuang_sync::wire::ALG_ED25519);
        let key = DeviceKey::generate_for(suite).map_err(enrol_error)?;
        let reg = Client::enroll_with(server_url, code.trim(), &key, &self.client_options()?)
            .map_err(enrol_error)?;
        // A code issued for another station would file our records under it.
        if reg.station_code != station.code {
            return Err(Error::rule(
                "wrong_station",
                format!(
                    "the code was issued for station {}, this is {}",
                    reg.station_code, station.code
                ),
                format!(
                    "该登记码是为站点“{}”签发的，本站编码为“{}”，请向县级管理员索取本站的登记码",
                    reg.station_code, station.code
                ),
            ));
        }
        Ok((key, reg))
    }

    fn identity(&self) -> Result<Option<(DeviceKey, DeviceRegistration)>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT key_secret, registration FROM device_identity WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(k, r)| {
            Ok((
                DeviceKey::from_secret_string(&k).map_err(sync_error)?,
                DeviceRegistration::from_json(&r).map_err(sync_error)?,
            ))
        })
        .transpose()
    }

    /// A client for this station, or an error if it is not enrolled.
    pub fn sync_client(&self) -> Result<Client> {
        let (key, reg) = self.identity()?.ok_or_else(|| {
            Error::rule(
                "not_enrolled",
                "station is not enrolled with a county server",
                "本站尚未在县级服务器注册（yichuang enroll 地址 注册码）",
            )
        })?;
        Client::with_options(reg, key, self.client_options()?).map_err(sync_error)
    }

    /// The client's options: the county's own CA when the settings pin one
    /// (`sync.county_ca_file`), else the public Web PKI roots.
    fn client_options(&self) -> Result<ClientOptions> {
        let mut o = ClientOptions::default();
        if let Some(path) = self
            .setting("sync.county_ca_file")?
            .filter(|p| !p.trim().is_empty())
        {
            let pem = std::fs::read(path.trim()).map_err(|e| {
                Error::invalid(
                    "sync.county_ca_file",
                    format!("cannot read the county CA {path}: {e}"),
                    format!("无法读取县级服务器根证书文件“{path}”"),
                )
            })?;
            o.pinned_ca_pem = Some(pem);
        }
        Ok(o)
    }

    /// Uploads the outbox and applies newer county releases.
    pub fn sync_now(&mut self, client: &Client) -> Result<SyncRun> {
        let run = self.sync_with(client);
        // Pinned keys that moved along an endorsed rotation are kept, even
        // when the run failed afterwards.
        self.keep_registration(&client.registration())?;
        run
    }

    /// Stores the client's registration when its pinned county keys moved.
    fn keep_registration(&self, reg: &DeviceRegistration) -> Result<()> {
        let Some((_, stored)) = self.identity()? else {
            return Ok(());
        };
        if stored == *reg {
            return Ok(());
        }
        self.write(|w| {
            w.execute(
                "UPDATE device_identity SET registration = ?1 WHERE id = 1",
                [reg.to_json()],
            )?;
            w.event(
                "station.county_keys_rotated",
                &json!({"answer_public_key": reg.answer_public_key,
                        "release_public_key": reg.release_public_key}),
            )?;
            Ok(())
        })
    }

    fn sync_with(&mut self, client: &Client) -> Result<SyncRun> {
        // A restored log is compared with the county's before anything moves.
        self.settle_restore(client)?;
        if self.restore_status()?.is_none() {
            self.record_software_version()?;
        }
        let mut report: SyncReport = client.sync_once(&*self).map_err(sync_error)?;
        let applied = client.fetch_releases(&*self).map_err(sync_error)?;
        if applied.iter().any(|m| m.kind == "calendar") {
            self.reload_calendar()?;
        }
        // 挂牌督办: each change is recorded as an event.
        let flags_changed = self.restore_status()?.is_none()
            && match client.fetch_supervision().map_err(sync_error)? {
                Some(list) => self.apply_supervision(&list)?,
                None => false,
            };
        // What this run applied (`release.applied`, flags received) goes up
        // at once, so the county sees it with this run, not the next.
        if flags_changed || !applied.is_empty() {
            let more = client.sync_once(&*self).map_err(sync_error)?;
            report.sent += more.sent;
            report.stored += more.stored;
            report.batches += more.batches;
            report.acked_seq = more.acked_seq;
            report.quarantined.extend(more.quarantined);
        }
        Ok(SyncRun {
            sent: report.sent,
            stored: report.stored,
            acked_seq: report.acked_seq,
            batches: report.batches,
            quarantined: report.quarantined.len(),
            releases_applied: applied
                .iter()
                .map(|m| format!("{} {}", m.kind, m.version))
                .collect(),
        })
    }

    pub fn sync_status(&self) -> Result<SyncStatusView> {
        let stats = Outbox::queue_stats(self)?;
        let (acked_seq, last_success_ms, last_error, checked): (
            i64,
            Option<i64>,
            Option<String>,
            Option<i64>,
        ) = self.conn.query_row(
            "SELECT acked_seq, last_success_ms, last_error_zh, releases_checked_ms
             FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let id = self.identity()?;
        let now = self.clock.now().timestamp_millis();
        Ok(SyncStatusView {
            enrolled: id.is_some(),
            server_url: id.as_ref().map(|(_, r)| r.server_url.clone()),
            device_id: id.as_ref().map(|(_, r)| r.device_id.clone()),
            queued: stats.queued,
            oldest_unsynced: stats.oldest_unsynced_device_time,
            acked_seq: acked_seq as u64,
            last_success_ms,
            last_error,
            releases_checked_ms: checked,
            releases_stale_zh: id.as_ref().and_then(|_| release_staleness(checked, now)),
        })
    }
}

/// Shared with a running [`Engine::run_sync_loop`] from other threads: stop
/// it, or ask for a sync at once (the clerk's 立即同步).
#[derive(Debug, Default)]
pub struct LoopControl {
    stop: AtomicBool,
    kick: AtomicBool,
}

impl LoopControl {
    pub fn new() -> LoopControl {
        LoopControl::default()
    }

    /// The loop returns within one poll interval.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// The loop syncs within one poll interval, backoff or not.
    pub fn sync_soon(&self) {
        self.kick.store(true, Ordering::Release);
    }

    /// Takes a pending `sync_soon` request (for a caller that is waiting
    /// for enrolment rather than running the loop).
    pub fn take_kick(&self) -> bool {
        self.kick.swap(false, Ordering::AcqRel)
    }
}

/// How often the loop looks for local writes (a cheap `max(seq)` query).
const POLL: Duration = Duration::from_millis(500);
/// While failing, how often to check whether the county answers TCP again.
const PROBE_EVERY: Duration = Duration::from_secs(5);

/// `host:port` of a server URL, for the network-back probe.
fn probe_addr(url: &str) -> Option<SocketAddr> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:{}", if scheme == "https" { 443 } else { 80 })
    };
    with_port.to_socket_addrs().ok()?.next()
}

impl Engine {
    /// This station's sync policy: periodic sync every `periodic` (at least
    /// 5 s), jitter seeded by the log id so the stations of a county do not
    /// retry in step.
    pub fn sync_policy(&self, periodic: Option<std::time::Duration>) -> Result<BackoffPolicy> {
        let seed = self
            .station()?
            .log_id
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        let mut policy = BackoffPolicy {
            seed,
            ..BackoffPolicy::default()
        };
        if let Some(p) = periodic {
            policy.periodic = p.max(std::time::Duration::from_secs(5));
        }
        Ok(policy)
    }

    /// Keeps the station in sync until `stop` is set: at start-up, shortly
    /// after any local write (from any process on this database), after the
    /// network comes back, periodically, and with jittered backoff after a
    /// failure — never waiting for the next write to retry.
    ///
    /// `on_attempt` is called after every attempt with this engine (to read
    /// [`Engine::sync_status`]), the trigger and the result.
    pub fn run_sync_loop(
        &mut self,
        policy: BackoffPolicy,
        control: &LoopControl,
        mut on_attempt: impl FnMut(&Engine, Trigger, &Result<SyncRun>),
    ) -> Result<()> {
        let client = self.sync_client()?;
        let server = probe_addr(&client.registration().server_url);
        let mut sched = Scheduler::new(policy, Instant::now());
        let mut seen = self.last_seq()?;
        let mut failing = false;
        let mut last_probe = Instant::now();
        while !control.stopped() {
            let now = Instant::now();
            if control.kick.swap(false, Ordering::AcqRel) {
                sched.notify_manual(now);
            }
            let head = self.last_seq()?;
            if head > seen {
                sched.notify_write(now);
                seen = head;
            }
            if failing && now.duration_since(last_probe) >= PROBE_EVERY {
                last_probe = now;
                if server
                    .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
                {
                    sched.notify_network_up(now);
                }
            }
            if let Some(trigger) = sched.due(now) {
                let result = self.sync_now(&client);
                let now = Instant::now();
                match &result {
                    Ok(_) => {
                        failing = false;
                        let more = Outbox::queue_stats(&*self)?.queued > 0;
                        sched.on_success(now, more);
                    }
                    Err(_) => {
                        failing = true;
                        last_probe = now;
                        sched.on_failure(now);
                    }
                }
                // `seen` stays at the head before this run: anything written
                // meanwhile (another clerk, a release applied) syncs next.
                on_attempt(&*self, trigger, &result);
            }
            std::thread::sleep(sched.time_until_due(Instant::now()).min(POLL));
        }
        Ok(())
    }
}

impl Outbox for Engine {
    type Error = Error;

    fn log_id(&self) -> Result<String> {
        Ok(self.station()?.log_id.clone())
    }

    fn acked(&self) -> Result<(u64, String)> {
        let (seq, hash): (i64, String) = self.conn.query_row(
            "SELECT acked_seq, acked_hash FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((seq as u64, hash))
    }

    fn pending(&self, after_seq: u64, limit: usize) -> Result<Vec<Event>> {
        self.events_after(after_seq, limit)
    }

    fn last_seq(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn record_ack(&self, seq: u64, hash: &str) -> Result<()> {
        // Only ever forward: a late, smaller ack must not move the outbox back.
        self.conn.execute(
            "UPDATE sync_state SET acked_seq = ?1, acked_hash = ?2 WHERE id = 1 AND acked_seq < ?1",
            params![seq as i64, hash],
        )?;
        Ok(())
    }

    fn record_attempt(&self, outcome: &SyncOutcome) -> Result<()> {
        match outcome {
            SyncOutcome::Success { at_ms, .. } => self.conn.execute(
                "UPDATE sync_state SET last_success_ms = ?1, last_error_zh = NULL WHERE id = 1",
                [at_ms],
            )?,
            SyncOutcome::Failure { message_zh, .. } => self.conn.execute(
                "UPDATE sync_state SET last_error_zh = ?1 WHERE id = 1",
                [message_zh],
            )?,
        };
        Ok(())
    }

    fn queue_stats(&self) -> Result<QueueStats> {
        let (acked, _) = self.acked()?;
        let (queued, oldest): (i64, Option<String>) = self.conn.query_row(
            "SELECT count(*), (SELECT device_time FROM events WHERE seq > ?1 ORDER BY seq LIMIT 1)
             FROM events WHERE seq > ?1",
            [acked as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(QueueStats {
            queued: queued as u64,
            oldest_unsynced_device_time: oldest,
        })
    }
}

impl ReleaseSink for Engine {
    type Error = Error;

    /// Content the engine refuses (a catalog, calendar or template set that
    /// fails validation) as against a database failure.
    fn refusal(err: &Error) -> Option<String> {
        match err {
            Error::Catalog { .. } | Error::Invalid { .. } | Error::Calendar(_) | Error::Json(_) => {
                Some(err.to_string())
            }
            _ => None,
        }
    }

    fn current_version(&self, kind: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                // By version number, never by the clock: a corrected clock
                // must not make an older release look current.
                "SELECT version FROM releases WHERE kind = ?1
                 ORDER BY CAST(version AS INTEGER) DESC, rowid DESC LIMIT 1",
                [kind],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn record_release_check(&self, server_time_ms: i64) -> Result<()> {
        // Not an event: a fact about the link, not a counter action.
        self.conn.execute(
            "UPDATE sync_state SET releases_checked_ms = ?1 WHERE id = 1",
            [server_time_ms],
        )?;
        Ok(())
    }

    fn seen_sha256(&self, kind: &str, version: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256 FROM releases WHERE kind = ?1 AND version = ?2",
                [kind, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Validates the snapshot fully, then swaps it in with one transaction.
    fn apply(&self, m: &ReleaseManifest, bytes: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Error::invalid(
                "release",
                "snapshot is not UTF-8",
                "县级下发的数据不是有效的文本",
            )
        })?;
        let file = format!("county release {} {}", m.kind, m.version);
        enum Parsed {
            Catalog(Catalog),
            Calendar(Vec<(i32, String)>),
            Templates(String),
        }
        let parsed = match m.kind.as_str() {
            "catalog" => Parsed::Catalog(Catalog::parse_new(text, &file)?),
            "calendar" => Parsed::Calendar(crate::domain::calendar::release_years(text)?),
            "templates" => {
                let set = TemplateSet::parse(text)?;
                set.require_every_kind()?;
                Parsed::Templates(set.version)
            }
            other => {
                return Err(Error::invalid(
                    "release",
                    format!("unknown release kind {other}"),
                    format!("未知的下发数据类型：{other}"),
                ));
            }
        };
        self.write(|w| {
            match &parsed {
                Parsed::Catalog(c) => store_catalog(w, c, text)?,
                Parsed::Calendar(years) => {
                    for (year, doc) in years {
                        store_calendar_year(w, *year, doc, &file)?;
                    }
                }
                Parsed::Templates(version) => store_templates(w, version, text)?,
            }
            w.execute(
                "INSERT INTO releases (kind, version, sha256, applied_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, version) DO NOTHING",
                params![m.kind, m.version, m.sha256, w.now],
            )?;
            w.event(
                "release.applied",
                &json!({"kind": m.kind, "version": m.version, "sha256": m.sha256}),
            )?;
            Ok(())
        })?;
        if m.kind == "calendar" {
            self.reload_calendar()?;
        }
        Ok(())
    }
}
