//! Shared test helpers: PostgreSQL, a county server, enrolled devices with
//! in-memory outboxes, and the fault-injecting proxy.
#![allow(dead_code)]

pub mod browser;
pub mod mitm;
pub mod pg;
pub mod proxy;
pub mod raw_sql;
pub mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use yichuang_county::storage::Devices;
use yichuang_county::{Config, RunningServer};
use yichuang_sync::{
    Client, ClientOptions, DeviceKey, DeviceRegistration, Outbox, ReleaseSink, SyncOutcome,
};
use yichuang_wire::{Event, GENESIS_HASH, ReleaseManifest, SecretKey, chain_hash};

/// The county's key files for this test binary (one identity per process
/// and suite).
pub fn key_files() -> &'static (std::path::PathBuf, std::path::PathBuf) {
    key_files_for(yichuang_wire::ALG_ED25519)
}

/// The key files of a county of `suite` (`ed25519` or `sm2`).
pub fn key_files_for(suite: &str) -> &'static (std::path::PathBuf, std::path::PathBuf) {
    type Keys = (tempfile::TempDir, (std::path::PathBuf, std::path::PathBuf));
    static ED: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    static GM: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    let cell = if suite == yichuang_wire::ALG_SM2 {
        &GM
    } else {
        &ED
    };
    &cell
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("key dir");
            let (a, r) = (
                dir.path().join("answer.key"),
                dir.path().join("release.key"),
            );
            for p in [&a, &r] {
                yichuang_county::keys::write_new(p, &SecretKey::generate_for(suite).expect("key"))
                    .expect("key file");
            }
            (dir, (a, r))
        })
        .1
}

/// A county server of `suite` on a fresh database.
pub fn server_of(prefix: &str, suite: &str) -> (RunningServer, String) {
    let db = pg::fresh_database(prefix);
    let s = RunningServer::start(config_for(&db, suite), "127.0.0.1:0".parse().expect("addr"))
        .expect("county server starts");
    (s, db)
}

/// The release key's secret of a county of `suite`.
pub fn release_key_of(suite: &str) -> SecretKey {
    yichuang_county::keys::release_secret(&Some(key_files_for(suite).1.clone()))
        .expect("release key")
}

/// The release key's secret (what `publish` reads).
pub fn release_key() -> SecretKey {
    yichuang_county::keys::release_secret(&Some(key_files().1.clone())).expect("release key")
}

/// The administration log of the county on database `db_url` (one per
/// database, beside the key files).
pub fn admin_log(db_url: &str) -> std::path::PathBuf {
    let name = db_url.rsplit('/').next().unwrap_or("county");
    key_files().0.with_file_name(format!("{name}.admin.log"))
}

pub fn config(db_url: &str) -> Config {
    config_for(db_url, yichuang_wire::ALG_ED25519)
}

pub fn config_for(db_url: &str, suite: &str) -> Config {
    let (answer, release) = key_files_for(suite);
    Config {
        suite: suite.to_owned(),
        database_url: db_url.to_owned(),
        pool_size: 8,
        answer_key_file: Some(answer.clone()),
        release_key_file: Some(release.clone()),
        admin_log_file: Some(admin_log(db_url)),
        ..Config::default()
    }
}

/// A county server on a fresh database.
pub fn server(prefix: &str) -> (RunningServer, String) {
    let db = pg::fresh_database(prefix);
    let s = start_server(&db, "127.0.0.1:0".parse().expect("addr"));
    (s, db)
}

pub fn start_server(db: &str, addr: SocketAddr) -> RunningServer {
    RunningServer::start(config(db), addr).expect("county server starts")
}

/// The code an admin hands out: the stored secret and the county's fingerprint.
pub fn enrol_code(server: &RunningServer, station: &str) -> String {
    let secret = server
        .block_on(server.state.storage.issue_enrol_code(station, 1))
        .expect("enrol code");
    server.state.enrolment_code(&secret)
}

/// Enrol a fresh device key (of the server's suite) at `url` (the server
/// or a proxy in front of it).
pub fn enrol(server: &RunningServer, url: &str, station: &str) -> (DeviceRegistration, DeviceKey) {
    let key = DeviceKey::generate_for(server.state.keys.answer.algorithm()).expect("key");
    let code = enrol_code(server, station);
    let reg = Client::enroll(url, &code, &key).expect("enrolment");
    (reg, key)
}

pub fn copy_key(k: &DeviceKey) -> DeviceKey {
    DeviceKey::from_secret_string(&k.to_secret_string()).expect("key copy")
}

pub fn client(reg: &DeviceRegistration, key: &DeviceKey, opts: ClientOptions) -> Client {
    Client::with_options(reg.clone(), copy_key(key), opts).expect("client options")
}

pub fn test_options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        reuse_connections: false,
        ..ClientOptions::default()
    }
}

/// A station's event log in memory: the outbox the engine will implement over SQLite.
pub struct MemOutbox {
    pub log_id: String,
    pub events: Mutex<Vec<Event>>,
    pub ack: Mutex<(u64, String)>,
    pub attempts: Mutex<Vec<SyncOutcome>>,
    counter: Mutex<u64>,
}

impl MemOutbox {
    pub fn new(log_id: &str) -> MemOutbox {
        MemOutbox {
            log_id: log_id.to_owned(),
            events: Mutex::new(Vec::new()),
            ack: Mutex::new((0, GENESIS_HASH.to_owned())),
            attempts: Mutex::new(Vec::new()),
            counter: Mutex::new(0),
        }
    }

    /// A copy as of now, as a backup of the station database would be.
    pub fn backup(&self) -> MemOutbox {
        let b = MemOutbox::new(&self.log_id);
        *b.events.lock().unwrap() = self.events.lock().unwrap().clone();
        *b.ack.lock().unwrap() = self.ack.lock().unwrap().clone();
        *b.counter.lock().unwrap() = *self.counter.lock().unwrap() + 1_000_000;
        b
    }

    pub fn append(&self, kind: &str, payload: &str) -> Event {
        let mut evs = self.events.lock().unwrap();
        let mut c = self.counter.lock().unwrap();
        *c += 1;
        let (seq, prev) = evs
            .last()
            .map(|e| (e.seq + 1, e.hash.clone()))
            .unwrap_or((1, GENESIS_HASH.to_owned()));
        let mut e = Event {
            log_id: self.log_id.clone(),
            seq,
            event_id: format!("{}-{:08}", self.log_id, *c),
            kind: kind.to_owned(),
            schema_version: 1,
            device_time: "2026-11-23T10:00:00.000Z".into(),
            payload: payload.to_owned(),
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = chain_hash(&e.prev_hash, &e.fields());
        evs.push(e.clone());
        e
    }

    /// A valid `case.*` event.
    pub fn append_case(&self, case_no: &str, kind: &str, state: &str) -> Event {
        self.append(
            kind,
            &format!(
                r#"{{"case_no":"{case_no}","state":"{state}","item_code":"ITEM-01","actor":"clerk-1","note":"示例"}}"#
            ),
        )
    }

    pub fn len(&self) -> u64 {
        self.events.lock().unwrap().len() as u64
    }

    pub fn acked_seq(&self) -> u64 {
        self.ack.lock().unwrap().0
    }

    pub fn forget_ack(&self) {
        *self.ack.lock().unwrap() = (0, GENESIS_HASH.to_owned());
    }
}

impl Outbox for MemOutbox {
    type Error = Infallible;
    fn log_id(&self) -> Result<String, Infallible> {
        Ok(self.log_id.clone())
    }
    fn acked(&self) -> Result<(u64, String), Infallible> {
        Ok(self.ack.lock().unwrap().clone())
    }
    fn pending(&self, after_seq: u64, limit: usize) -> Result<Vec<Event>, Infallible> {
        let evs = self.events.lock().unwrap();
        Ok(evs
            .iter()
            .skip(after_seq as usize)
            .take(limit)
            .cloned()
            .collect())
    }
    fn last_seq(&self) -> Result<u64, Infallible> {
        Ok(self.events.lock().unwrap().last().map_or(0, |e| e.seq))
    }
    fn record_ack(&self, seq: u64, hash: &str) -> Result<(), Infallible> {
        let mut a = self.ack.lock().unwrap();
        assert!(seq >= a.0, "ack went backwards: {} -> {seq}", a.0);
        *a = (seq, hash.to_owned());
        Ok(())
    }
    fn record_attempt(&self, outcome: &SyncOutcome) -> Result<(), Infallible> {
        self.attempts.lock().unwrap().push(outcome.clone());
        Ok(())
    }
}

/// Reference data on a station, in memory.
#[derive(Default)]
pub struct MemSink {
    pub applied: Mutex<Vec<(ReleaseManifest, Vec<u8>)>>,
}

impl ReleaseSink for MemSink {
    type Error = Infallible;
    fn current_version(&self, kind: &str) -> Result<Option<String>, Infallible> {
        Ok(self
            .applied
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(m, _)| m.kind == kind)
            .map(|(m, _)| m.version.clone()))
    }
    fn seen_sha256(&self, kind: &str, version: &str) -> Result<Option<String>, Infallible> {
        Ok(self
            .applied
            .lock()
            .unwrap()
            .iter()
            .find(|(m, _)| m.kind == kind && m.version == version)
            .map(|(m, _)| m.sha256.clone()))
    }
    fn apply(&self, manifest: &ReleaseManifest, bytes: &[u8]) -> Result<(), Infallible> {
        self.applied
            .lock()
            .unwrap()
            .push((manifest.clone(), bytes.to_vec()));
        Ok(())
    }
}

/// Sign and send a raw request, for cases the real client never produces.
pub struct RawRequest<'a> {
    pub url: &'a str,
    pub device_id: &'a str,
    pub key: &'a DeviceKey,
    pub path: &'a str,
    pub body: Vec<u8>,
    pub timestamp_ms: Option<i64>,
    pub nonce: Option<String>,
    pub protocol: Option<String>,
    pub tamper_body_after_signing: bool,
}

impl<'a> RawRequest<'a> {
    pub fn new(url: &'a str, device_id: &'a str, key: &'a DeviceKey, body: Vec<u8>) -> Self {
        RawRequest {
            url,
            device_id,
            key,
            path: yichuang_wire::paths::UPLOAD,
            body,
            timestamp_ms: None,
            nonce: None,
            protocol: None,
            tamper_body_after_signing: false,
        }
    }

    pub fn send(&self) -> (u16, Option<yichuang_wire::ErrorBody>, Vec<u8>) {
        use yichuang_wire::{canonical_request, headers, sha256_hex};
        let ts = self.timestamp_ms.unwrap_or_else(yichuang_county::now_ms);
        let nonce = self.nonce.clone().unwrap_or_else(|| {
            let mut b = [0u8; 16];
            getrandom::fill(&mut b).unwrap();
            yichuang_wire::to_hex(&b)
        });
        let hash = sha256_hex(&self.body);
        let msg = canonical_request(
            "ed25519",
            self.device_id,
            "POST",
            self.path,
            ts,
            &nonce,
            &hash,
        );
        let sig = self.key.sign_hex(msg.as_bytes());
        let mut body = self.body.clone();
        if self.tamper_body_after_signing {
            body.push(b' ');
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut resp = agent
            .post(format!("{}{}", self.url, self.path))
            .header(
                headers::PROTOCOL,
                self.protocol.clone().unwrap_or_else(|| "1".into()),
            )
            .header(headers::DEVICE, self.device_id)
            .header(headers::ALGORITHM, "ed25519")
            .header(headers::TIMESTAMP, ts.to_string())
            .header(headers::NONCE, nonce.as_str())
            .header(headers::BODY_SHA256, hash.as_str())
            .header(headers::SIGNATURE, sig.as_str())
            .send(&body[..])
            .expect("raw request");
        let status = resp.status().as_u16();
        let bytes = resp.body_mut().read_to_vec().expect("raw body");
        (status, serde_json::from_slice(&bytes).ok(), bytes)
    }
}

pub fn batch_body(log_id: &str, events: &[Event]) -> Vec<u8> {
    serde_json::to_vec(&yichuang_wire::UploadBatch {
        station_head_seq: None,
        log_id: log_id.to_owned(),
        events: events.to_vec(),
    })
    .unwrap()
}

/// The number of events of `log_id` at the county, its stored chain verified.
pub fn county_events(srv: &yichuang_county::RunningServer, log_id: &str) -> u64 {
    use yichuang_county::storage::EventLog;
    let reports = srv
        .block_on(srv.state.storage.verify_chains())
        .expect("verify chains");
    let r = reports
        .iter()
        .find(|r| r.log_id == log_id)
        .expect("the station's chain is at the county");
    assert_eq!(r.first_bad, None, "county chain of {log_id} verifies");
    r.events
}
