//! A hostile man in the middle at the HTTP level: it forwards requests to
//! the county and can forge, alter or replay what comes back. It holds no
//! county key, as an attacker on a township link would not.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, Method, Uri};
use axum::response::Response;
use yichuang_wire::{
    ErrorBody, GENESIS_HASH, HeadResponse, ReleaseList, ReleaseManifest, SecretKey, UploadAck,
    UploadBatch, codes, headers,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attack {
    /// Forward both ways unchanged.
    Pass,
    /// Keep the upload from the county and answer a made-up ack of its end.
    ForgeAck,
    /// Keep the upload from the county and answer a 409 gap "from genesis".
    ForgeGap,
    /// Forward, then answer the head as if the county had nothing.
    ForgeHead,
    /// Forward, but move the server clock in the answer by this much.
    ShiftServerTime(i64),
    /// Answer the release list with a release signed by another key.
    ForgeReleases,
    /// Answer every request with the first answer recorded for its path.
    Replay,
    /// Forward, but replace the county's keys in an enrolment answer.
    SwapEnrolmentKeys,
}

/// An answer as recorded: status, `x-yichuang-*` headers, body.
type Recorded = (u16, Vec<(String, String)>, Vec<u8>);

#[derive(Clone)]
struct Shared {
    upstream: String,
    attack: Arc<Mutex<Attack>>,
    recorded: Arc<Mutex<HashMap<String, Recorded>>>,
    /// Requests that reached the county.
    forwarded: Arc<Mutex<u64>>,
}

pub struct Mitm {
    pub addr: SocketAddr,
    shared: Shared,
    _runtime: tokio::runtime::Runtime,
}

impl Mitm {
    pub fn start(upstream: SocketAddr) -> Mitm {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let shared = Shared {
            upstream: format!("http://{upstream}"),
            attack: Arc::new(Mutex::new(Attack::Pass)),
            recorded: Arc::default(),
            forwarded: Arc::default(),
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Mitm {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, a: Attack) {
        *self.shared.attack.lock().expect("attack") = a;
    }

    pub fn forwarded(&self) -> u64 {
        *self.shared.forwarded.lock().expect("count")
    }
}

fn json_response(status: u16, body: Vec<u8>, template: &[(String, String)]) -> Response {
    let mut r = Response::builder().status(status);
    // The county's own signature headers, copied onto the forgery: the best
    // an attacker without the key can do.
    for (k, v) in template {
        r = r.header(k, v);
    }
    r.header("content-type", "application/json")
        .body(Body::from(body))
        .expect("response")
}

fn forward(s: &Shared, method: &Method, uri: &Uri, h: &HeaderMap, body: &[u8]) -> Recorded {
    *s.forwarded.lock().expect("count") += 1;
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let url = format!("{}{}", s.upstream, uri.path());
    let pass = |k: &HeaderName| k.as_str().starts_with("x-yichuang") || k == "content-type";
    let resp = if method == Method::GET {
        let mut r = agent.get(&url);
        for (k, v) in h.iter().filter(|(k, _)| pass(k)) {
            r = r.header(k.as_str(), v.to_str().unwrap_or(""));
        }
        r.call()
    } else {
        let mut r = agent.post(&url);
        for (k, v) in h.iter().filter(|(k, _)| pass(k)) {
            r = r.header(k.as_str(), v.to_str().unwrap_or(""));
        }
        r.send(body)
    };
    let mut resp = resp.expect("upstream");
    let status = resp.status().as_u16();
    let hdrs: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-yichuang"))
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let bytes = resp.body_mut().read_to_vec().expect("upstream body");
    (status, hdrs, bytes)
}

async fn handle(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let attack = s.attack.lock().expect("attack").clone();
    let path = uri.path().to_owned();
    let (s2, m2, u2, h2, b2) = (
        s.clone(),
        method.clone(),
        uri.clone(),
        h.clone(),
        body.to_vec(),
    );
    let real = move || forward(&s2, &m2, &u2, &h2, &b2);
    let now = yichuang_county::now_ms();
    match attack {
        Attack::Pass => {}
        Attack::ForgeAck if path == yichuang_wire::paths::UPLOAD => {
            let batch: UploadBatch = serde_json::from_slice(&body).expect("batch");
            let last = batch.events.last().expect("events");
            let ack = UploadAck {
                acked_seq: last.seq,
                acked_hash: last.hash.clone(),
                server_time_ms: now,
                stored: batch.events.len() as u64,
                quarantined: Vec::new(),
            };
            return json_response(200, serde_json::to_vec(&ack).expect("json"), &[]);
        }
        Attack::ForgeGap if path == yichuang_wire::paths::UPLOAD => {
            let b = ErrorBody {
                code: codes::GAP.into(),
                message: "gap".into(),
                message_zh: "缺号".into(),
                expected_seq: Some(1),
                head_hash: Some(GENESIS_HASH.into()),
                seq: None,
                server_time_ms: now,
            };
            return json_response(409, serde_json::to_vec(&b).expect("json"), &[]);
        }
        Attack::ForgeHead if path == yichuang_wire::paths::HEAD => {
            let (_, hdrs, _) = tokio::task::spawn_blocking(real).await.expect("join");
            let fake = HeadResponse {
                log_id: None,
                head_seq: 0,
                head_hash: GENESIS_HASH.into(),
                server_time_ms: now,
            };
            return json_response(200, serde_json::to_vec(&fake).expect("json"), &hdrs);
        }
        Attack::ForgeReleases if path == yichuang_wire::paths::RELEASES => {
            let (_, hdrs, _) = tokio::task::spawn_blocking(real).await.expect("join");
            let evil = SecretKey::generate().expect("key");
            let content = br#"{"version":"evil","items":[]}"#;
            let sha = yichuang_wire::sha256_hex(content);
            let m = ReleaseManifest {
                kind: "catalog".into(),
                version: "999".into(),
                sha256: sha.clone(),
                size: content.len() as u64,
                algorithm: evil.algorithm().into(),
                signature: evil.sign_hex(
                    yichuang_wire::release_signing_string(
                        "catalog",
                        "999",
                        &sha,
                        content.len() as u64,
                    )
                    .as_bytes(),
                ),
                published_at_ms: now,
            };
            let list = ReleaseList {
                releases: vec![m],
                server_time_ms: now,
            };
            return json_response(200, serde_json::to_vec(&list).expect("json"), &hdrs);
        }
        Attack::Replay => {
            let known = s.recorded.lock().expect("rec").get(&path).cloned();
            if let Some((status, hdrs, bytes)) = known {
                return json_response(status, bytes, &hdrs);
            }
            let got = tokio::task::spawn_blocking(real).await.expect("join");
            s.recorded
                .lock()
                .expect("rec")
                .insert(path.clone(), got.clone());
            return json_response(got.0, got.2, &got.1);
        }
        _ => {}
    }
    let (status, mut hdrs, mut bytes) = tokio::task::spawn_blocking(real).await.expect("join");
    match attack {
        Attack::ShiftServerTime(by) => {
            for (k, v) in hdrs.iter_mut() {
                if k == headers::SERVER_TIME {
                    *v = (v.parse::<i64>().unwrap_or(now) + by).to_string();
                }
            }
        }
        Attack::SwapEnrolmentKeys if path == yichuang_wire::paths::ENROL && status == 200 => {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            let evil = SecretKey::generate().expect("key");
            v["answer_public_key"] = evil.public_key_hex().into();
            v["release_public_key"] = evil.public_key_hex().into();
            bytes = serde_json::to_vec(&v).expect("json");
        }
        _ => {}
    }
    json_response(status, bytes, &hdrs)
}
