//! Station side of 一窗 sync (protocol: `docs/design/sync-protocol.md`), blocking.
//!
//! The engine implements [`Outbox`] over its SQLite event log and
//! [`ReleaseSink`] over its reference-data tables; this crate knows no
//! database. [`Client::sync_once`] uploads the outbox in signed batches and
//! advances the ack only from the county's post-COMMIT answer;
//! [`Scheduler`] decides when to call it.
//!
//! Invariant: a fork (the station's log differs from the county's copy) is
//! reported as [`SyncError::Fork`] and never "repaired" by skipping events.
//!
//! A background thread drives it like this (the channel carries "a write
//! happened" / "network is back" from the engine and the OS):
//!
//! ```text
//! let mut sched = Scheduler::new(BackoffPolicy::default(), Instant::now());
//! loop {
//!     match rx.recv_timeout(sched.time_until_due(Instant::now())) {
//!         Ok(Msg::Wrote) => sched.notify_write(Instant::now()),
//!         Ok(Msg::NetworkUp) => sched.notify_network_up(Instant::now()),
//!         Err(RecvTimeoutError::Disconnected) => break,
//!         Err(RecvTimeoutError::Timeout) => {}
//!     }
//!     if sched.due(Instant::now()).is_some() {
//!         match client.sync_once(&outbox).and_then(|_| client.fetch_releases(&sink)) {
//!             Ok(_) => sched.on_success(Instant::now(), false),
//!             Err(e) => { sched.on_failure(Instant::now()); }  // e.message_zh() for the window
//!         }
//!     }
//! }
//! ```

mod key;
mod schedule;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use key::{DeviceKey, DeviceRegistration};
pub use schedule::{BackoffPolicy, Scheduler, Trigger};
pub use yichuang_wire as wire;
use yichuang_wire::{
    EnrolRequest, EnrolResponse, ErrorBody, HeadResponse, KeysResponse, MAX_ANSWER_BYTES,
    MAX_BATCH_BYTES, MAX_BATCH_EVENTS, PROTOCOL_VERSION, ReleaseList, RequestBinding,
    SupervisionList, UploadAck, answer_headers, canonical_answer, canonical_request, codes,
    county_fingerprint, digest_hex, follow_rotations, headers, parse_enrolment_code, paths,
    verify_signature,
};
pub use yichuang_wire::{Event, GENESIS_HASH, QuarantineNotice, ReleaseManifest};

/// The station's event log as the sync client needs it. Implemented by the
/// engine over SQLite; tests implement it over a `Vec`.
pub trait Outbox {
    type Error: std::error::Error + Send + Sync + 'static;
    /// UUID of this station database (the `log_id` of every event).
    fn log_id(&self) -> Result<String, Self::Error>;
    /// The last `(seq, hash)` the county acknowledged; `(0, GENESIS_HASH)` initially.
    fn acked(&self) -> Result<(u64, String), Self::Error>;
    /// Events with `seq > after_seq`, ascending, at most `limit`. Called with
    /// `after_seq` below the ack too (to resend after a county restore, or to
    /// compare one event with the county's head), so keep acked events.
    fn pending(&self, after_seq: u64, limit: usize) -> Result<Vec<Event>, Self::Error>;
    /// The seq of the log's last event (0 for an empty log): each upload
    /// tells the county how much is still to come.
    fn last_seq(&self) -> Result<u64, Self::Error>;
    /// The county durably stored everything up to `seq`. Only ever increases.
    fn record_ack(&self, seq: u64, hash: &str) -> Result<(), Self::Error>;
    /// Remember the last success / last error for the status line.
    fn record_attempt(&self, outcome: &SyncOutcome) -> Result<(), Self::Error>;
    /// Queue size for the status line. The default reads the whole queue;
    /// the engine should answer with one COUNT query.
    fn queue_stats(&self) -> Result<QueueStats, Self::Error> {
        let (acked, _) = self.acked()?;
        let mut after = acked;
        let mut stats = QueueStats::default();
        loop {
            let chunk = self.pending(after, 1000)?;
            let Some(last) = chunk.last() else {
                return Ok(stats);
            };
            if stats.oldest_unsynced_device_time.is_none() {
                stats.oldest_unsynced_device_time = Some(chunk[0].device_time.clone());
            }
            stats.queued += chunk.len() as u64;
            after = last.seq;
        }
    }
}

/// Reference data on the station. `apply` must swap the snapshot in one
/// transaction: after a crash the station has the old release or the new one.
pub trait ReleaseSink {
    type Error: std::error::Error + Send + Sync + 'static;
    /// Version applied now, `None` if none yet.
    fn current_version(&self, kind: &str) -> Result<Option<String>, Self::Error>;
    /// Called only with bytes whose size, SHA-256 and county signature checked out.
    fn apply(&self, manifest: &ReleaseManifest, bytes: &[u8]) -> Result<(), Self::Error>;
    /// The county answered a (verified) release list at `server_time_ms`:
    /// the station can tell how long ago it last heard of releases, and
    /// show a feed that has gone quiet (blocked on the way).
    fn record_release_check(&self, _server_time_ms: i64) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The SHA-256 of the release `kind`/`version` this station applied, if
    /// it applied that version: a number seen again with other content (a
    /// county restored from an old backup reissuing it) is refused.
    fn seen_sha256(&self, _kind: &str, _version: &str) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
    /// Why the release's own content was refused (it fails the station's
    /// validation), as against a failure of the station's storage: a refused
    /// release is reported and the other kinds still apply.
    fn refusal(_err: &Self::Error) -> Option<String> {
        None
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub queued: u64,
    /// Device time (RFC 3339) of the oldest event not yet acknowledged.
    pub oldest_unsynced_device_time: Option<String>,
}

/// What the window shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub queue: QueueStats,
    /// Unix ms of the last successful sync.
    pub last_success_ms: Option<i64>,
    /// Last error (Chinese, for the clerk) if the last attempt failed.
    pub last_error_zh: Option<String>,
}

impl SyncStatus {
    /// How long the oldest unsynced event has waited, from its device time
    /// (`None` if nothing is queued or the time is unreadable).
    pub fn oldest_unsynced_age(&self, now_ms: i64) -> Option<Duration> {
        let t = parse_rfc3339_ms(self.queue.oldest_unsynced_device_time.as_deref()?)?;
        Some(Duration::from_millis(now_ms.saturating_sub(t).max(0) as u64))
    }

    /// Fold one attempt into the status (what the engine does in `record_attempt`).
    pub fn record(&mut self, outcome: &SyncOutcome) {
        match outcome {
            SyncOutcome::Success { at_ms, .. } => {
                self.last_success_ms = Some(*at_ms);
                self.last_error_zh = None;
            }
            SyncOutcome::Failure { message_zh, .. } => {
                self.last_error_zh = Some(message_zh.clone());
            }
        }
    }
}

/// Unix ms of an RFC 3339 time such as `2026-11-23T10:00:00.123Z` or
/// `2026-11-23T18:00:00+08:00`; `None` if it is not one.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Result of one sync attempt, given to [`Outbox::record_attempt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    Success {
        at_ms: i64,
        acked_seq: u64,
        uploaded: u64,
    },
    Failure {
        at_ms: i64,
        error: String,
        message_zh: String,
        retryable: bool,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Events sent (including resends the county already had).
    pub sent: u64,
    /// Events the county newly stored.
    pub stored: u64,
    pub batches: u64,
    pub acked_seq: u64,
    pub acked_hash: String,
    /// Times the batch was halved after a 413.
    pub halvings: u32,
    /// Times we re-read the county's head after a 409 and went on from it.
    pub resyncs: u32,
    /// Batches sent again because, sent ahead, they reached the county
    /// before the batch in front of them (not a resync: nothing was lost).
    pub overtaken: u32,
    /// Events the county stored but quarantined (business validation).
    pub quarantined: Vec<QuarantineNotice>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Could not reach the county, or the connection broke: retry later.
    #[error("network: {0}")]
    Network(String),
    /// The county refused the device (unknown, bad signature, stale clock, bad code).
    #[error("refused by the county ({}): {}", .0.code, .0.message)]
    Unauthorized(Box<ErrorBody>),
    #[error("this device is revoked: {}", .0.message)]
    Revoked(Box<ErrorBody>),
    #[error("client too old: {}", .0.message)]
    ClientTooOld(Box<ErrorBody>),
    /// The station's log differs from the county's copy at `seq` (e.g. the
    /// station was restored from an old backup). Needs an administrator.
    #[error(
        "FORK at seq {seq}: the station's log differs from the county's copy (county head seq {county_head_seq}, hash {county_head_hash}); nothing was skipped"
    )]
    Fork {
        seq: u64,
        county_head_seq: u64,
        county_head_hash: String,
    },
    /// A single event is larger than a batch may be.
    #[error("event seq {seq} is too large to upload ({bytes} bytes)")]
    EventTooLarge { seq: u64, bytes: usize },
    /// The county refused the request for another reason (400, 404, 409, 413, 422 …).
    #[error("county answered {status}: {}", .body.as_ref().map(|b| b.message.as_str()).unwrap_or("(no body)"))]
    Refused {
        status: u16,
        body: Option<Box<ErrorBody>>,
    },
    /// The county failed (5xx) or answered something we cannot read.
    #[error("county error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("release {kind} {version} refused: {reason}")]
    ReleaseInvalid {
        kind: String,
        version: String,
        reason: String,
    },
    /// The county offers a release number this station applied with other
    /// content: it reissued the number (restored from an old backup).
    #[error("release {kind} {version} reissued with other content")]
    ReleaseReissued { kind: String, version: String },
    /// An answer that does not verify against the county's pinned answer
    /// key, or answers another request: forged, altered or replayed on the
    /// way. Nothing of it was used.
    #[error("answer of {path} refused: {reason}")]
    ForgedAnswer { path: String, reason: String },
    /// The enrolment answer came from a server whose keys do not match the
    /// fingerprint in the code: not the county that issued it.
    #[error("enrolment answer is not from the county of the code: {0}")]
    NotTheCounty(String),
    /// The code is not a complete code of this protocol (secret + fingerprint).
    #[error("malformed enrolment code")]
    BadEnrolmentCode,
    /// Plain http to a host other than this machine.
    #[error("insecure county URL {0}: https is required except for loopback")]
    InsecureUrl(String),
    #[error("station outbox: {0}")]
    Outbox(Box<dyn std::error::Error + Send + Sync>),
    #[error("station reference data: {0}")]
    Sink(Box<dyn std::error::Error + Send + Sync>),
    #[error("device key: {0}")]
    Key(String),
}

impl SyncError {
    /// Whether retrying later (with backoff) can help without a person acting.
    pub fn is_retryable(&self) -> bool {
        // A forged answer is someone on the path: the next try may get through.
        matches!(
            self,
            SyncError::Network(_) | SyncError::Server { .. } | SyncError::ForgedAnswer { .. }
        ) || matches!(self, SyncError::Unauthorized(b) if b.code == codes::STALE_TIMESTAMP || b.code == codes::REPLAYED_NONCE)
    }

    /// For the clerk's status line.
    pub fn message_zh(&self) -> String {
        match self {
            SyncError::Network(_) => "无法连接县级服务器，稍后自动重试".into(),
            SyncError::Unauthorized(b) | SyncError::Revoked(b) | SyncError::ClientTooOld(b) => {
                b.message_zh.clone()
            }
            SyncError::Fork { seq, .. } => format!(
                "第 {seq} 条记录与县级服务器副本不一致（可能从旧备份恢复），已停止上传，请联系县级管理员"
            ),
            SyncError::EventTooLarge { seq, .. } => format!("第 {seq} 条记录过大，无法上传"),
            SyncError::Refused { body: Some(b), .. } => b.message_zh.clone(),
            SyncError::Refused { status, .. } => format!("县级服务器拒绝了请求（{status}）"),
            SyncError::Server { .. } => "县级服务器出错，稍后自动重试".into(),
            SyncError::ReleaseInvalid { kind, version, .. } => {
                format!(
                    "县级下发的基础数据（{kind} {version}）校验未通过，未应用，本机继续使用原版本，请联系县级管理员"
                )
            }
            SyncError::ReleaseReissued { kind, version } => format!(
                "县级服务器重复使用了基础数据版本号（{kind} {version}）但内容不同（可能从旧备份恢复），未应用，请联系县级管理员"
            ),
            SyncError::ForgedAnswer { .. } => {
                "收到的县级服务器应答未通过验证（可能被网络中的设备篡改或冒充），未采用其中任何内容，稍后自动重试".into()
            }
            SyncError::NotTheCounty(_) => {
                "应答方的身份与登记码中的县级服务器指纹不符，已拒绝注册（可能被冒充），请核对县级服务器地址".into()
            }
            SyncError::BadEnrolmentCode => {
                "登记码不完整：应为 28 位（含县级服务器指纹），请向县级管理员索取新的登记码".into()
            }
            SyncError::InsecureUrl(_) => {
                "县级服务器地址须以 https:// 开头（仅本机测试可用 http://）".into()
            }
            SyncError::Outbox(_) | SyncError::Sink(_) => "本机数据库出错".into(),
            SyncError::Key(_) => "本机设备密钥无效".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole-request timeout (a blackholed connection fails after this).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Keep connections alive between requests.
    pub reuse_connections: bool,
    pub max_batch_events: usize,
    pub max_batch_bytes: usize,
    /// 409 re-reads allowed within one `sync_once` before giving up.
    pub max_resyncs: u32,
    /// Label sent at enrolment (for the county's audit log).
    pub label: String,
    /// PEM of the county's CA certificate. When set, HTTPS trusts only this
    /// CA (the county runs its own); otherwise the public Web PKI roots.
    pub pinned_ca_pem: Option<Vec<u8>>,
    /// Added to the local clock; simulates a wrong station clock in tests.
    /// The county's time on every answer corrects for it either way.
    pub local_clock_error_ms: i64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            reuse_connections: true,
            max_batch_events: MAX_BATCH_EVENTS,
            max_batch_bytes: MAX_BATCH_BYTES,
            max_resyncs: 3,
            label: String::new(),
            pinned_ca_pem: None,
            local_clock_error_ms: 0,
        }
    }
}

fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A signed-request client of one enrolled device. `Send + Sync`: the
/// desktop may share it between its sync thread and the window.
pub struct Client {
    agent: ureq::Agent,
    /// The pinned keys move only along endorsed rotations (`learn_keys`).
    registration: std::sync::RwLock<DeviceRegistration>,
    key: DeviceKey,
    options: ClientOptions,
    /// Server clock minus local clock, learnt from every answer.
    skew_ms: AtomicI64,
    /// Current batch size; halved on 413 and kept for later runs.
    batch_events: AtomicUsize,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
    /// The county's clock as the (verified) answer states it.
    server_time_ms: Option<i64>,
}

/// An upload on its way: the events it carries and the thread awaiting
/// the county's (verified) answer.
struct InFlight<'scope> {
    events: Vec<Event>,
    bytes: usize,
    behind: Option<u64>,
    answer: std::thread::ScopedJoinHandle<'scope, Result<Answer, SyncError>>,
}

/// The verified answer an upload thread got (a panicked thread is an error).
fn joined(
    h: std::thread::ScopedJoinHandle<'_, Result<Answer, SyncError>>,
) -> Result<Answer, SyncError> {
    h.join().unwrap_or_else(|_| {
        Err(SyncError::Server {
            status: 0,
            message: "the upload thread panicked".into(),
        })
    })
}

/// The signature headers of an answer, as received.
struct AnswerSignature {
    algorithm: Option<String>,
    key_id: Option<String>,
    signature: Option<String>,
    server_time_ms: Option<i64>,
}

impl AnswerSignature {
    fn read(resp: &ureq::http::Response<ureq::Body>) -> AnswerSignature {
        let h = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        AnswerSignature {
            algorithm: h(answer_headers::ALGORITHM),
            key_id: h(answer_headers::KEY_ID),
            signature: h(answer_headers::SIGNATURE),
            server_time_ms: h(headers::SERVER_TIME).and_then(|v| v.parse().ok()),
        }
    }

    /// Checks the answer against the pinned key and the request we sent.
    fn verify(
        &self,
        pinned_alg: &str,
        pinned_key: &str,
        request: &RequestBinding<'_>,
        status: u16,
        body: &[u8],
    ) -> Result<i64, Unverified> {
        if pinned_key.is_empty() {
            return Err(Unverified::Bad(
                "no county answer key pinned (enrolled before answers were signed: re-enrol)"
                    .into(),
            ));
        }
        let (Some(alg), Some(key_id), Some(sig), Some(time)) = (
            self.algorithm.as_deref(),
            self.key_id.as_deref(),
            self.signature.as_deref(),
            self.server_time_ms,
        ) else {
            return Err(Unverified::Bad("answer is not signed".into()));
        };
        if alg != pinned_alg || key_id != key_id_of(pinned_alg, pinned_key) {
            return Err(Unverified::OtherKey(format!(
                "answer signed by another key ({alg} {key_id})"
            )));
        }
        let msg = canonical_answer(alg, key_id, request, status, time, &digest_hex(alg, body));
        verify_signature(alg, pinned_key, msg.as_bytes(), sig)
            .map_err(|e| Unverified::Bad(format!("answer signature: {e}")))?;
        Ok(time)
    }
}

/// Why an answer was not accepted.
enum Unverified {
    /// Signed by a key other than the pinned one (perhaps a rotated one).
    OtherKey(String),
    Bad(String),
}

fn forged(path: &str, reason: String) -> SyncError {
    SyncError::ForgedAnswer {
        path: path.to_owned(),
        reason,
    }
}

/// A request as sent, and its answer not yet verified.
struct Sent {
    answer: Answer,
    signature: AnswerSignature,
    device_id: String,
    method: String,
    path: String,
    nonce: String,
    body_hash: String,
}

/// A public key's id, as the county names it in answers.
fn key_id_of(alg: &str, public_key_hex: &str) -> String {
    yichuang_wire::key_id(alg, &public_key_hex.to_ascii_lowercase())
}

/// Plain http only to this machine (tests, a county on the same PC); a
/// township link is a hostile network.
pub fn check_county_url(url: &str) -> Result<(), SyncError> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(SyncError::InsecureUrl(url.to_owned()));
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(SyncError::InsecureUrl(url.to_owned()))
    }
}

impl Answer {
    fn error_body(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }
}

fn make_agent(o: &ClientOptions) -> Result<ureq::Agent, SyncError> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(pem) = &o.pinned_ca_pem {
        let certs = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Key(format!("county CA certificate: {e}")))?;
        if certs.is_empty() {
            return Err(SyncError::Key("county CA PEM holds no certificate".into()));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        // An answer is used only once it verifies: never follow where an
        // unsigned one points.
        .max_redirects(0)
        .timeout_global(Some(o.timeout))
        .timeout_connect(Some(o.connect_timeout))
        .max_idle_connections(if o.reuse_connections { 4 } else { 0 })
        .max_idle_connections_per_host(if o.reuse_connections { 4 } else { 0 })
        .tls_config(tls.build())
        .build()
        .new_agent())
}

fn json<T: serde::de::DeserializeOwned>(a: &Answer) -> Result<T, SyncError> {
    serde_json::from_slice(&a.body).map_err(|e| SyncError::Server {
        status: a.status,
        message: format!("unreadable answer: {e}"),
    })
}

/// Map a non-2xx answer to its error.
fn failure(a: &Answer) -> SyncError {
    let body = a.error_body();
    match (a.status, body) {
        (401, Some(b)) => SyncError::Unauthorized(Box::new(b)),
        (403, Some(b)) => SyncError::Revoked(Box::new(b)),
        (426, Some(b)) => SyncError::ClientTooOld(Box::new(b)),
        // Busy or slow: the next try on the backoff schedule will do.
        (408 | 429, b) => SyncError::Server {
            status: a.status,
            message: b.map(|b| b.message).unwrap_or_default(),
        },
        (s, b) if s >= 500 || b.is_none() && !(400..500).contains(&s) => SyncError::Server {
            status: s,
            message: b
                .map(|b| b.message)
                .unwrap_or_else(|| String::from_utf8_lossy(&a.body).chars().take(200).collect()),
        },
        (s, b) => SyncError::Refused {
            status: s,
            body: b.map(Box::new),
        },
    }
}

impl Client {
    /// A client with default options (public Web PKI roots for HTTPS).
    pub fn new(registration: DeviceRegistration, key: DeviceKey) -> Client {
        Client {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(ClientOptions::default().timeout))
                .build()
                .new_agent(),
            registration: std::sync::RwLock::new(registration),
            key,
            skew_ms: AtomicI64::new(0),
            batch_events: AtomicUsize::new(MAX_BATCH_EVENTS),
            options: ClientOptions::default(),
        }
    }

    /// Fails only on a malformed `pinned_ca_pem`.
    pub fn with_options(
        registration: DeviceRegistration,
        key: DeviceKey,
        options: ClientOptions,
    ) -> Result<Client, SyncError> {
        Ok(Client {
            agent: make_agent(&options)?,
            registration: std::sync::RwLock::new(registration),
            key,
            skew_ms: AtomicI64::new(0),
            batch_events: AtomicUsize::new(options.max_batch_events.clamp(1, MAX_BATCH_EVENTS)),
            options,
        })
    }

    /// The suite of the county that issued `code` (`ed25519` or `sm2`),
    /// to make the device key with; `None` for a malformed code.
    pub fn suite_of_code(code: &str) -> Option<&'static str> {
        parse_enrolment_code(code).map(|c| c.algorithm)
    }

    /// Enrol this device with a one-time code; keep the result with the key.
    pub fn enroll(
        server_url: &str,
        code: &str,
        key: &DeviceKey,
    ) -> Result<DeviceRegistration, SyncError> {
        Client::enroll_with(server_url, code, key, &ClientOptions::default())
    }

    /// Enrols with `code` as the county admin issued it: the secret part is
    /// sent, the county fingerprint part is kept, and the answer is used only
    /// if its keys hash to that fingerprint and it is signed by its answer
    /// key for this very request. https is required except for loopback.
    pub fn enroll_with(
        server_url: &str,
        code: &str,
        key: &DeviceKey,
        options: &ClientOptions,
    ) -> Result<DeviceRegistration, SyncError> {
        let base = server_url.trim_end_matches('/');
        check_county_url(base)?;
        let code = parse_enrolment_code(code).ok_or(SyncError::BadEnrolmentCode)?;
        // The device key must be of the county's suite (the code says which).
        if key.algorithm() != code.algorithm {
            return Err(SyncError::Key(format!(
                "the county uses {} keys; this device key is {}",
                code.algorithm,
                key.algorithm()
            )));
        }
        let (secret, fingerprint) = (code.secret, code.fingerprint);
        let req = EnrolRequest {
            code: secret,
            algorithm: key.algorithm().to_owned(),
            public_key: key.public_key_hex(),
            label: options.label.chars().take(64).collect(),
        };
        let body = serde_json::to_vec(&req).map_err(|e| SyncError::Key(e.to_string()))?;
        let nonce = Self::nonce()?;
        let body_hash = digest_hex(key.algorithm(), &body);
        let resp = make_agent(options)?
            .post(format!("{base}{}", paths::ENROL))
            .header(headers::PROTOCOL, PROTOCOL_VERSION.to_string())
            .header(headers::NONCE, nonce.as_str())
            .header(headers::BODY_SHA256, body_hash.as_str())
            .header("content-type", "application/json")
            .send(&body[..])
            .map_err(|e| SyncError::Network(e.to_string()))?;
        let sig = AnswerSignature::read(&resp);
        let a = read_answer(resp)?;
        let binding = RequestBinding {
            device_id: "-",
            method: "POST",
            path: paths::ENROL,
            nonce: &nonce,
            body_sha256: &body_hash,
        };
        if a.status != 200 {
            // A refusal is believed only from the county of the code; we
            // cannot tell before knowing its key, so it is reported, never acted on.
            return Err(failure(&a));
        }
        let r: EnrolResponse = json(&a)?;
        let theirs = county_fingerprint(
            &r.answer_key_algorithm,
            &r.answer_public_key,
            &r.release_key_algorithm,
            &r.release_public_key,
        );
        if theirs != fingerprint {
            return Err(SyncError::NotTheCounty(format!(
                "keys hash to {theirs}, the code says {fingerprint}"
            )));
        }
        sig.verify(
            &r.answer_key_algorithm,
            &r.answer_public_key,
            &binding,
            a.status,
            &a.body,
        )
        .map_err(|(Unverified::OtherKey(r) | Unverified::Bad(r))| forged(paths::ENROL, r))?;
        Ok(DeviceRegistration {
            server_url: base.to_owned(),
            device_id: r.device_id,
            station_code: r.station_code,
            release_key_algorithm: r.release_key_algorithm,
            release_public_key: r.release_public_key.to_ascii_lowercase(),
            answer_key_algorithm: r.answer_key_algorithm,
            answer_public_key: r.answer_public_key.to_ascii_lowercase(),
        })
    }

    /// The registration as of now (its pinned keys may have moved along an
    /// endorsed rotation: the engine stores it again when it changed).
    pub fn registration(&self) -> DeviceRegistration {
        self.registration
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn local_now(&self) -> i64 {
        local_ms() + self.options.local_clock_error_ms
    }

    /// Server clock minus local clock as last observed (ms).
    pub fn clock_skew_ms(&self) -> i64 {
        self.skew_ms.load(Ordering::Relaxed)
    }

    /// Current upload batch size (after any 413 halvings).
    pub fn batch_events(&self) -> usize {
        self.batch_events.load(Ordering::Relaxed)
    }

    fn nonce() -> Result<String, SyncError> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).map_err(|e| SyncError::Key(format!("OS random source: {e}")))?;
        Ok(yichuang_wire::to_hex(&b))
    }

    /// One signed request; on a stale-timestamp refusal, retry once with the
    /// clock skew the county just told us; on an answer signed by a key not
    /// pinned, learn the county's endorsed rotations once and retry.
    fn signed(&self, method: &str, path: &str, body: &[u8]) -> Result<Answer, SyncError> {
        let mut tried_skew = false;
        let mut tried_keys = false;
        loop {
            let sent = self.send_signed(method, path, body)?;
            let reg = self.registration();
            let a = match self.accept(sent, &reg.answer_key_algorithm, &reg.answer_public_key) {
                Ok(a) => a,
                // The county may have rotated its key; whatever goes wrong
                // learning keys, this answer stays unverified.
                Err(Unverified::OtherKey(reason)) if !tried_keys && path != paths::KEYS => {
                    tried_keys = true;
                    if self.learn_keys().is_err() {
                        return Err(forged(path, reason));
                    }
                    continue;
                }
                Err(Unverified::OtherKey(reason) | Unverified::Bad(reason)) => {
                    return Err(forged(path, reason));
                }
            };
            let stale = a.status == 401
                && a.error_body()
                    .is_some_and(|b| b.code == codes::STALE_TIMESTAMP);
            if stale && !tried_skew {
                tried_skew = true;
                continue;
            }
            return Ok(a);
        }
    }

    /// Signs and sends one request; the answer comes back unverified, with
    /// what it must be bound to.
    fn send_signed(&self, method: &str, path: &str, body: &[u8]) -> Result<Sent, SyncError> {
        let alg = self.key.algorithm();
        let ts = self.local_now().saturating_add(self.clock_skew_ms());
        let nonce = Self::nonce()?;
        // The body's digest in the device's suite (SHA-256 or SM3).
        let body_hash = digest_hex(alg, body);
        let reg = self.registration();
        let msg = canonical_request(alg, &reg.device_id, method, path, ts, &nonce, &body_hash);
        let hdrs = [
            (headers::PROTOCOL, PROTOCOL_VERSION.to_string()),
            (headers::DEVICE, reg.device_id.clone()),
            (headers::ALGORITHM, alg.to_owned()),
            (headers::TIMESTAMP, ts.to_string()),
            (headers::NONCE, nonce.clone()),
            (headers::BODY_SHA256, body_hash.clone()),
            (headers::SIGNATURE, self.key.sign_hex(msg.as_bytes())),
        ];
        let url = format!("{}{path}", reg.server_url);
        let resp = if method == "GET" {
            let mut r = self.agent.get(&url);
            for (k, v) in &hdrs {
                r = r.header(*k, v.as_str());
            }
            r.call()
        } else {
            let mut r = self
                .agent
                .post(&url)
                .header("content-type", "application/json");
            for (k, v) in &hdrs {
                r = r.header(*k, v.as_str());
            }
            r.send(body)
        }
        .map_err(|e| SyncError::Network(e.to_string()))?;
        let signature = AnswerSignature::read(&resp);
        Ok(Sent {
            answer: read_answer(resp)?,
            signature,
            device_id: reg.device_id,
            method: method.to_owned(),
            path: path.to_owned(),
            nonce,
            body_hash,
        })
    }

    /// The answer, if it verifies under (`alg`, `key`) for the request it
    /// answers; only then is its clock learnt.
    fn accept(&self, sent: Sent, alg: &str, key: &str) -> Result<Answer, Unverified> {
        let binding = RequestBinding {
            device_id: &sent.device_id,
            method: &sent.method,
            path: &sent.path,
            nonce: &sent.nonce,
            body_sha256: &sent.body_hash,
        };
        let mut a = sent.answer;
        let server = sent
            .signature
            .verify(alg, key, &binding, a.status, &a.body)?;
        // Overflow-safe: a hostile clock value cannot wrap the skew.
        self.skew_ms
            .store(server.saturating_sub(self.local_now()), Ordering::Relaxed);
        a.server_time_ms = Some(server);
        Ok(a)
    }

    /// Reads the county's key rotations and moves each pinned key along the
    /// endorsements its holder signed (never otherwise). The answer to this
    /// very request must verify under the answer key reached.
    fn learn_keys(&self) -> Result<(), SyncError> {
        let sent = self.send_signed("GET", paths::KEYS, b"")?;
        if sent.answer.status != 200 {
            return Err(failure(&sent.answer));
        }
        let keys: KeysResponse = json(&sent.answer)?;
        let mut reg = self.registration();
        if let Some((alg, public)) = follow_rotations(
            &keys.rotations,
            "answer",
            &reg.answer_key_algorithm,
            &reg.answer_public_key,
        ) {
            reg.answer_key_algorithm = alg;
            reg.answer_public_key = public;
        }
        if let Some((alg, public)) = follow_rotations(
            &keys.rotations,
            "release",
            &reg.release_key_algorithm,
            &reg.release_public_key,
        ) {
            reg.release_key_algorithm = alg;
            reg.release_public_key = public;
        }
        // The list itself is believed only if signed by the key reached.
        self.accept(sent, &reg.answer_key_algorithm, &reg.answer_public_key)
            .map_err(|(Unverified::OtherKey(r) | Unverified::Bad(r))| forged(paths::KEYS, r))?;
        if let Ok(mut r) = self.registration.write() {
            *r = reg;
        }
        Ok(())
    }

    /// Where the county's copy of this device's log ends.
    pub fn county_head(&self) -> Result<HeadResponse, SyncError> {
        let a = self.signed("GET", paths::HEAD, b"")?;
        if a.status != 200 {
            return Err(failure(&a));
        }
        json(&a)
    }

    /// The hash of our event at `seq` (the genesis hash at 0), `None` if we
    /// have no such event: whether the county's head is a prefix of our log.
    fn our_hash_at<O: Outbox>(&self, outbox: &O, seq: u64) -> Result<Option<String>, SyncError> {
        if seq == 0 {
            return Ok(Some(GENESIS_HASH.to_owned()));
        }
        Ok(outbox
            .pending(seq - 1, 1)
            .map_err(|e| SyncError::Outbox(Box::new(e)))?
            .into_iter()
            .find(|e| e.seq == seq)
            .map(|e| e.hash))
    }

    /// Upload everything queued, then record the outcome in the outbox.
    pub fn sync_once<O: Outbox>(&self, outbox: &O) -> Result<SyncReport, SyncError> {
        let result = self.upload_all(outbox);
        let outcome = match &result {
            Ok(r) => SyncOutcome::Success {
                at_ms: local_ms(),
                acked_seq: r.acked_seq,
                uploaded: r.stored,
            },
            Err(e) => SyncOutcome::Failure {
                at_ms: local_ms(),
                error: e.to_string(),
                message_zh: e.message_zh(),
                retryable: e.is_retryable(),
            },
        };
        outbox
            .record_attempt(&outcome)
            .map_err(|e| SyncError::Outbox(Box::new(e)))?;
        result
    }

    fn upload_all<O: Outbox>(&self, outbox: &O) -> Result<SyncReport, SyncError> {
        let ob = |e: O::Error| SyncError::Outbox(Box::new(e));
        let log_id = outbox.log_id().map_err(ob)?;
        let (mut acked, mut acked_hash) = outbox.acked().map_err(ob)?;
        let mut report = SyncReport {
            acked_seq: acked,
            acked_hash: acked_hash.clone(),
            ..SyncReport::default()
        };
        // Next upload starts after `cursor`; normally the ack, lower only when
        // the county reports it has less than we think (restored county).
        let mut cursor = acked;
        // Nothing queued: compare our ack with the county's signed head, so
        // that events the county lost (a restore, an ack forged before
        // answers were signed) are sent again.
        if outbox.pending(acked, 1).map_err(ob)?.is_empty() {
            let head = self.county_head()?;
            if let Some(theirs) = head.log_id.as_deref().filter(|l| *l != log_id) {
                return Err(SyncError::Refused {
                    status: 409,
                    body: Some(Box::new(ErrorBody {
                        code: codes::LOG_MISMATCH.into(),
                        message: format!("the county holds log {theirs} for this device"),
                        message_zh: "县级服务器记录的本机日志与本机不一致，请联系县级管理员".into(),
                        expected_seq: None,
                        head_hash: None,
                        seq: None,
                        server_time_ms: head.server_time_ms,
                    })),
                });
            }
            if head.head_seq != acked {
                let ours = self.our_hash_at(outbox, head.head_seq)?;
                if ours.as_deref() != Some(head.head_hash.as_str()) {
                    return Err(SyncError::Fork {
                        seq: head.head_seq,
                        county_head_seq: head.head_seq,
                        county_head_hash: head.head_hash,
                    });
                }
                report.resyncs += 1;
                if head.head_seq > acked {
                    outbox
                        .record_ack(head.head_seq, &head.head_hash)
                        .map_err(ob)?;
                    acked = head.head_seq;
                    acked_hash = head.head_hash.clone();
                    report.acked_seq = acked;
                    report.acked_hash = acked_hash.clone();
                }
                cursor = head.head_seq;
            }
        }
        // One upload runs ahead of the one awaiting its answer: while the
        // county stores a batch, the next one is encoded, signed, sent and
        // checked; the device lock on the county orders them. Whatever the
        // answer to the first, the second is judged by its own answer.
        std::thread::scope(|scope| {
            let mut ahead: Option<InFlight<'_>> = None;
            loop {
                let current = match ahead.take() {
                    Some(f) => f,
                    None => match self.send_batch(scope, outbox, &log_id, cursor, None)? {
                        Some(f) => f,
                        None => return Ok(report),
                    },
                };
                let after = current.events[current.events.len() - 1].seq;
                // A failure to send the next batch waits until this one's
                // answer is recorded.
                let mut deferred = None;
                match self.send_batch(scope, outbox, &log_id, after, Some(current.events[0].seq)) {
                    Ok(f) => ahead = f,
                    Err(e) => deferred = Some(e),
                }
                let InFlight {
                    events: sent,
                    bytes,
                    behind,
                    answer,
                } = current;
                let n = sent.len();
                let a = joined(answer)?;
                match a.status {
                    200 => {
                        let ack: UploadAck = json(&a)?;
                        let last = &sent[n - 1];
                        // The county acks exactly what we sent; anything else is a bug or an attack.
                        if ack.acked_seq != last.seq || ack.acked_hash != last.hash {
                            return Err(SyncError::Server {
                                status: 200,
                                message: format!(
                                    "ack ({}, {}) does not match the batch end ({}, {})",
                                    ack.acked_seq, ack.acked_hash, last.seq, last.hash
                                ),
                            });
                        }
                        report.batches += 1;
                        report.sent += n as u64;
                        report.stored += ack.stored;
                        report.quarantined.extend(ack.quarantined);
                        if ack.acked_seq > acked {
                            outbox
                                .record_ack(ack.acked_seq, &ack.acked_hash)
                                .map_err(ob)?;
                            acked = ack.acked_seq;
                            acked_hash = ack.acked_hash;
                        }
                        report.acked_seq = acked;
                        report.acked_hash = acked_hash.clone();
                        cursor = last.seq;
                        match deferred {
                            Some(e) => return Err(e),
                            None => continue,
                        }
                    }
                    413 => {
                        if n <= 1 {
                            return Err(SyncError::EventTooLarge {
                                seq: sent[0].seq,
                                bytes,
                            });
                        }
                        self.batch_events.store((n / 2).max(1), Ordering::Relaxed);
                        report.halvings += 1;
                    }
                    409 => {
                        let Some(b) = a.error_body() else {
                            return Err(failure(&a));
                        };
                        if b.code == codes::LOG_MISMATCH {
                            return Err(SyncError::Refused {
                                status: 409,
                                body: Some(Box::new(b)),
                            });
                        }
                        let (Some(expected), Some(head_hash)) =
                            (b.expected_seq, b.head_hash.clone())
                        else {
                            return Err(SyncError::Refused {
                                status: 409,
                                body: Some(Box::new(b)),
                            });
                        };
                        // Sent ahead, it reached the county before the batch in
                        // front of it, which has since been acked: send it again
                        // from the ack (the batch sent after it goes too).
                        if behind == Some(expected) && cursor >= expected {
                            report.overtaken += 1;
                        } else {
                            let head = expected.saturating_sub(1);
                            report.resyncs += 1;
                            // Go on from the county's head only if it is a prefix of our log.
                            let ours = self.our_hash_at(outbox, head)?;
                            let resumable = ours.as_deref() == Some(head_hash.as_str());
                            if !resumable || report.resyncs > self.options.max_resyncs {
                                return Err(SyncError::Fork {
                                    seq: b.seq.unwrap_or(expected),
                                    county_head_seq: head,
                                    county_head_hash: head_hash,
                                });
                            }
                            if head > acked {
                                outbox.record_ack(head, &head_hash).map_err(ob)?;
                                acked = head;
                                acked_hash = head_hash;
                                report.acked_seq = acked;
                                report.acked_hash = acked_hash.clone();
                            }
                            cursor = head;
                        }
                    }
                    _ => return Err(failure(&a)),
                }
                // Not acked: the batch sent ahead started from the wrong place.
                // Its answer is awaited (the scope would anyway) and dropped;
                // had the county stored it, the next upload finds it there.
                if let Some(f) = ahead.take() {
                    let _ = joined(f.answer);
                }
            }
        })
    }

    /// Encode the events after `after` into one batch and send it on its
    /// own thread; `None` when nothing is pending. `behind` is the first seq
    /// of the batch still in flight in front of this one.
    fn send_batch<'scope, 'env, O: Outbox>(
        &'env self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        outbox: &O,
        log_id: &str,
        after: u64,
        behind: Option<u64>,
    ) -> Result<Option<InFlight<'scope>>, SyncError> {
        let ob = |e: O::Error| SyncError::Outbox(Box::new(e));
        let mut events = outbox.pending(after, self.batch_events()).map_err(ob)?;
        if events.is_empty() {
            return Ok(None);
        }
        // Read after the events: never below the batch's end.
        let station_head = outbox.last_seq().map_err(ob)?;
        let (body, n) = encode_batch(log_id, station_head, &events, self.options.max_batch_bytes)?;
        events.truncate(n);
        let bytes = body.len();
        let answer = scope.spawn(move || self.signed("POST", paths::UPLOAD, &body));
        Ok(Some(InFlight {
            events,
            bytes,
            behind,
            answer,
        }))
    }

    /// The station's cases under 挂牌督办, every open flag; `None` from a
    /// county that predates them (404).
    pub fn fetch_supervision(&self) -> Result<Option<SupervisionList>, SyncError> {
        let a = self.signed("GET", paths::SUPERVISION, b"")?;
        match a.status {
            200 => Ok(Some(json(&a)?)),
            404 => Ok(None),
            _ => Err(failure(&a)),
        }
    }

    /// Fetch the latest releases and apply the ones newer than the station's.
    /// Size, SHA-256 and the county's signature are checked before `apply`.
    /// A refused release does not hold back the other kinds: they are
    /// applied, then the first refusal is returned.
    pub fn fetch_releases<S: ReleaseSink>(
        &self,
        sink: &S,
    ) -> Result<Vec<ReleaseManifest>, SyncError> {
        let sk = |e: S::Error| SyncError::Sink(Box::new(e));
        let a = self.signed("GET", paths::RELEASES, b"")?;
        if a.status != 200 {
            return Err(failure(&a));
        }
        let list: ReleaseList = json(&a)?;
        // A verified list: the feed is not frozen, whatever it offers.
        sink.record_release_check(a.server_time_ms.unwrap_or(list.server_time_ms))
            .map_err(sk)?;
        let mut applied = Vec::new();
        let mut refused = None;
        for m in list.releases {
            if let Some(seen) = sink.seen_sha256(&m.kind, &m.version).map_err(sk)?
                && seen != m.sha256
            {
                refused.get_or_insert(SyncError::ReleaseReissued {
                    kind: m.kind.clone(),
                    version: m.version.clone(),
                });
                continue;
            }
            let current = sink.current_version(&m.kind).map_err(sk)?;
            if !is_newer(&m.version, current.as_deref()) {
                continue;
            }
            match self.fetch_verified(&m) {
                Ok(bytes) => match sink.apply(&m, &bytes) {
                    Ok(()) => applied.push(m),
                    Err(e) => match S::refusal(&e) {
                        Some(reason) => {
                            refused.get_or_insert(SyncError::ReleaseInvalid {
                                kind: m.kind.clone(),
                                version: m.version.clone(),
                                reason,
                            });
                        }
                        None => return Err(sk(e)),
                    },
                },
                Err(e @ SyncError::ReleaseInvalid { .. }) => {
                    refused.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        match refused {
            Some(e) => Err(e),
            None => Ok(applied),
        }
    }

    /// The snapshot of `m`, only if its manifest signature, size and hash check out.
    fn fetch_verified(&self, m: &ReleaseManifest) -> Result<Vec<u8>, SyncError> {
        let invalid = |reason: String| SyncError::ReleaseInvalid {
            kind: m.kind.clone(),
            version: m.version.clone(),
            reason,
        };
        let check = |reg: &DeviceRegistration| {
            if m.algorithm != reg.release_key_algorithm {
                return Err(format!("signed with {}", m.algorithm));
            }
            verify_signature(
                &m.algorithm,
                &reg.release_public_key,
                m.signing_string().as_bytes(),
                &m.signature,
            )
            .map_err(|e| format!("manifest signature: {e}"))
        };
        if check(&self.registration()).is_err() {
            // Perhaps a rotated release key: learn what the pinned one endorses.
            self.learn_keys()?;
            check(&self.registration()).map_err(invalid)?;
        }
        let a = self.signed("GET", &paths::release_snapshot(&m.kind, &m.version), b"")?;
        if a.status != 200 {
            return Err(failure(&a));
        }
        if a.body.len() as u64 != m.size {
            return Err(invalid(format!(
                "snapshot is {} bytes, manifest says {}",
                a.body.len(),
                m.size
            )));
        }
        if digest_hex(&m.algorithm, &a.body) != m.sha256 {
            return Err(invalid(
                "snapshot SHA-256 does not match the manifest".into(),
            ));
        }
        Ok(a.body)
    }
}

/// Versions are the county's increasing integers; never go back.
fn is_newer(offered: &str, current: Option<&str>) -> bool {
    match current {
        None => true,
        Some(c) => match (offered.parse::<u64>(), c.parse::<u64>()) {
            (Ok(o), Ok(c)) => o > c,
            _ => offered != c,
        },
    }
}

fn read_answer(mut resp: ureq::http::Response<ureq::Body>) -> Result<Answer, SyncError> {
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES as u64)
        .read_to_vec()
        .map_err(|e| SyncError::Network(format!("reading the answer: {e}")))?;
    Ok(Answer {
        status,
        body,
        server_time_ms: None,
    })
}

/// Serialise as many of `events` as fit in `max_bytes`; returns the body and
/// how many events it holds (at least one, else the event is too large).
fn encode_batch(
    log_id: &str,
    station_head: u64,
    events: &[Event],
    max_bytes: usize,
) -> Result<(Vec<u8>, usize), SyncError> {
    let station_head = station_head.max(events.last().map_or(0, |e| e.seq));
    let head = format!(
        "{{\"log_id\":{},\"station_head_seq\":{station_head},\"events\":[",
        to_json(&log_id)
    );
    let mut body = head.into_bytes();
    let mut n = 0;
    for e in events {
        let item = to_json(e);
        // +2 for the separating comma and the closing "]}".
        if body.len() + item.len() + 3 > max_bytes {
            if n == 0 {
                return Err(SyncError::EventTooLarge {
                    seq: e.seq,
                    bytes: item.len(),
                });
            }
            break;
        }
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.as_bytes());
        n += 1;
    }
    body.extend_from_slice(b"]}");
    Ok((body, n))
}

/// Strings and events always serialise; keeps `encode_batch` free of unwrap.
fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yichuang_wire::{UploadBatch, chain_hash};

    fn chain(n: u64, payload_len: usize) -> Vec<Event> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = Event {
                    log_id: "L".into(),
                    seq,
                    event_id: format!("e{seq}"),
                    kind: "case.registered".into(),
                    schema_version: 1,
                    device_time: "2026-11-23T10:00:00Z".into(),
                    payload: "x".repeat(payload_len),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = chain_hash(&e.prev_hash, &e.fields());
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn batch_respects_byte_limit_and_parses_back() {
        let ev = chain(50, 1000);
        let (body, n) = encode_batch("L", 70, &ev, 10_000).unwrap();
        assert!(body.len() <= 10_000, "{}", body.len());
        assert!((5..50).contains(&n));
        let parsed: UploadBatch = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed.events, ev[..n]);
        // The station's own head goes along, never below what is sent.
        assert_eq!(parsed.station_head_seq, Some(70));
        let (body, _) = encode_batch("L", 0, &ev, 10_000).unwrap();
        let parsed: UploadBatch = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed.station_head_seq, Some(50));
        let err = encode_batch("L", 1, &chain(1, 20_000), 10_000).unwrap_err();
        assert!(matches!(err, SyncError::EventTooLarge { seq: 1, .. }));
    }

    #[test]
    fn rfc3339_times_parse_to_unix_ms() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2026-11-23T10:00:00.123Z"),
            Some(1_795_428_000_123)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-11-23T18:00:00.123+08:00"),
            parse_rfc3339_ms("2026-11-23T10:00:00.123Z")
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00.5Z"),
            Some(1_709_164_800_500)
        );
        assert_eq!(parse_rfc3339_ms("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }

    #[test]
    fn malformed_times_are_none_not_a_panic() {
        for s in [
            "",
            "2026-02-30T00:00:00Z",
            "2026-11-23T10:00:00.Z",
            "2026-11-23T10:00:00",
            "2026-11-23T10:00:00+0800",
            "２026-11-23T10:00:00Z",
            "2026-11-23T10:00:00Z ",
        ] {
            assert_eq!(parse_rfc3339_ms(s), None, "{s}");
        }
    }

    #[test]
    fn status_reports_age_last_success_and_last_error() {
        let mut st = SyncStatus {
            queue: QueueStats {
                queued: 3,
                oldest_unsynced_device_time: Some("2026-11-23T10:00:00Z".into()),
            },
            ..SyncStatus::default()
        };
        let t = parse_rfc3339_ms("2026-11-23T10:05:00Z").unwrap();
        assert_eq!(st.oldest_unsynced_age(t), Some(Duration::from_secs(300)));
        st.record(&SyncOutcome::Failure {
            at_ms: t,
            error: "network".into(),
            message_zh: "无法连接".into(),
            retryable: true,
        });
        assert_eq!(st.last_error_zh.as_deref(), Some("无法连接"));
        st.record(&SyncOutcome::Success {
            at_ms: t + 1,
            acked_seq: 3,
            uploaded: 3,
        });
        assert_eq!(
            (st.last_success_ms, st.last_error_zh.clone()),
            (Some(t + 1), None)
        );
    }

    #[test]
    fn versions_never_go_back() {
        assert!(is_newer("2", None));
        assert!(is_newer("10", Some("9")));
        assert!(!is_newer("9", Some("10")));
        assert!(!is_newer("3", Some("3")));
    }
}
