//! Everything that reads or writes PostgreSQL.
//!
//! Architecture invariant: `upload` is the only code that inserts into
//! `events` or moves a device's head, and it does both in one transaction
//! with the device row locked, answering only after COMMIT.

use std::collections::BTreeMap;

use deadpool_postgres::Pool;
use ed25519_dalek::{Signer, SigningKey};
use yichuang_wire::{
    ALG_ED25519, ChainError, ChainVerifier, EnrolRequest, EnrolResponse, Event, HeadResponse,
    MAX_BATCH_EVENTS, QuarantineNotice, ReleaseManifest, UploadAck, UploadBatch,
    release_signing_string, sha256_hex, to_hex, valid_public_key,
};

use crate::db::random_bytes;
use crate::error::{ApiError, StoreError};
use crate::now_ms;

/// A device as authentication sees it.
#[derive(Debug, Clone)]
pub struct Device {
    pub device_id: String,
    pub station_code: String,
    pub algorithm: String,
    pub public_key: String,
    pub revoked: bool,
}

pub async fn find_device(pool: &Pool, device_id: &str) -> Result<Option<Device>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT station_code, algorithm, public_key, revoked_at IS NOT NULL
             FROM devices WHERE device_id = $1",
            &[&device_id],
        )
        .await?;
    Ok(row.map(|r| Device {
        device_id: device_id.to_owned(),
        station_code: r.get(0),
        algorithm: r.get(1),
        public_key: r.get(2),
        revoked: r.get(3),
    }))
}

/// Record a nonce; `false` if this device used it before (a replay).
pub async fn claim_nonce(pool: &Pool, device_id: &str, nonce: &str) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let n = client
        .execute(
            "INSERT INTO nonces (device_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&device_id, &nonce],
        )
        .await?;
    Ok(n == 1)
}

/// Nonces only need to outlive the accepted clock skew (both directions).
pub async fn prune_nonces(pool: &Pool, max_skew_ms: i64) -> Result<u64, StoreError> {
    let client = pool.get().await?;
    let keep_secs = (2 * max_skew_ms + 60_000) as f64 / 1000.0;
    Ok(client
        .execute(
            "DELETE FROM nonces WHERE seen_at < now() - make_interval(secs => $1::float8)",
            &[&keep_secs],
        )
        .await?)
}

/// Best effort: a refusal that cannot be logged must not turn into a 500.
pub async fn log_refusal(pool: &Pool, device_id: Option<&str>, code: &str, detail: &str) {
    eprintln!(
        "yichuang-county: refused device={} {code}: {detail}",
        device_id.unwrap_or("-")
    );
    if let Ok(client) = pool.get().await {
        let _ = client
            .execute(
                "INSERT INTO refusals (device_id, code, detail) VALUES ($1, $2, $3)",
                &[&device_id, &code, &detail],
            )
            .await;
    }
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Codes are compared case-insensitively and without separators.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Issue a one-time enrolment code for a station; only its hash is stored.
pub async fn issue_enrol_code(
    pool: &Pool,
    station_code: &str,
    ttl_hours: i64,
) -> Result<String, StoreError> {
    if station_code.trim().is_empty() {
        return Err(StoreError::Invalid("station code is empty".into()));
    }
    let raw = random_bytes::<12>()?;
    let chars: String = raw
        .iter()
        .map(|b| CODE_ALPHABET[(*b as usize) % CODE_ALPHABET.len()] as char)
        .collect();
    let code = format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12]);
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO enrol_codes (code_hash, station_code, expires_at)
             VALUES ($1, $2, now() + make_interval(hours => $3))",
            &[
                &sha256_hex(normalise_code(&code).as_bytes()),
                &station_code.trim(),
                &(ttl_hours as i32),
            ],
        )
        .await?;
    Ok(code)
}

pub async fn enrol(
    pool: &Pool,
    req: &EnrolRequest,
    release_key: &SigningKey,
) -> Result<EnrolResponse, ApiError> {
    if !valid_public_key(&req.algorithm, &req.public_key) {
        return Err(ApiError::BadRequest(format!(
            "public key is not a valid {} key",
            req.algorithm
        )));
    }
    let device_id = format!("dev-{}", uuid::Uuid::new_v4());
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE enrol_codes SET used_at = now(), used_by = $2
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
             RETURNING station_code",
            &[
                &sha256_hex(normalise_code(&req.code).as_bytes()),
                &device_id,
            ],
        )
        .await?;
    let Some(row) = row else {
        return Err(ApiError::BadCode);
    };
    let station_code: String = row.get(0);
    tx.execute(
        "INSERT INTO devices (device_id, station_code, label, algorithm, public_key)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &device_id,
            &station_code,
            &req.label,
            &req.algorithm,
            &req.public_key.to_ascii_lowercase(),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(EnrolResponse {
        device_id,
        station_code,
        release_key_algorithm: ALG_ED25519.into(),
        release_public_key: to_hex(release_key.verifying_key().as_bytes()),
        server_time_ms: now_ms(),
    })
}

pub async fn revoke(pool: &Pool, device_id: &str) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    Ok(client
        .execute(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE device_id = $1",
            &[&device_id],
        )
        .await?
        == 1)
}

pub async fn head(pool: &Pool, device_id: &str) -> Result<HeadResponse, ApiError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT log_id, head_seq, head_hash FROM devices WHERE device_id = $1",
            &[&device_id],
        )
        .await?;
    Ok(HeadResponse {
        log_id: row.get(0),
        head_seq: row.get::<_, i64>(1) as u64,
        head_hash: row.get(2),
        server_time_ms: now_ms(),
    })
}

fn check_envelope(batch: &UploadBatch) -> Result<(), ApiError> {
    let Some(first) = batch.events.first() else {
        return Err(ApiError::BadRequest("empty batch".into()));
    };
    if batch.events.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::TooLarge(format!(
            "{} events in one batch; at most {MAX_BATCH_EVENTS}",
            batch.events.len()
        )));
    }
    if batch.log_id.is_empty() || batch.log_id.contains('\0') {
        return Err(ApiError::BadRequest("log_id is empty or malformed".into()));
    }
    for (i, e) in batch.events.iter().enumerate() {
        if e.log_id != batch.log_id {
            return Err(ApiError::BadRequest(format!(
                "event seq {} belongs to log {}, batch is for {}",
                e.seq, e.log_id, batch.log_id
            )));
        }
        if e.seq != first.seq + i as u64 || e.seq == 0 || e.seq > i64::MAX as u64 {
            return Err(ApiError::BadRequest(format!(
                "batch seqs must be consecutive and ascending from 1; found {} at position {i}",
                e.seq
            )));
        }
        // PostgreSQL text cannot hold NUL; the payload is stored as bytes.
        if [&e.event_id, &e.kind, &e.device_time, &e.prev_hash, &e.hash]
            .iter()
            .any(|s| s.contains('\0'))
        {
            return Err(ApiError::BadRequest(format!(
                "event seq {}: NUL character in an envelope field",
                e.seq
            )));
        }
    }
    Ok(())
}

/// Store a batch. Idempotent: events already stored with the same hash are
/// skipped; a gap or a fork is refused with 409 and nothing is stored.
pub async fn upload(
    pool: &Pool,
    device_id: &str,
    batch: &UploadBatch,
) -> Result<UploadAck, ApiError> {
    check_envelope(batch)?;
    let events = &batch.events;
    let first = events[0].seq;
    let last = events[events.len() - 1].seq;

    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_one(
            "SELECT log_id, head_seq, head_hash, revoked_at IS NOT NULL
             FROM devices WHERE device_id = $1 FOR UPDATE",
            &[&device_id],
        )
        .await?;
    let bound_log: Option<String> = row.get(0);
    let head_seq = row.get::<_, i64>(1) as u64;
    let head_hash: String = row.get(2);
    if row.get::<_, bool>(3) {
        return Err(ApiError::Revoked);
    }
    match bound_log {
        Some(l) if l != batch.log_id => {
            return Err(ApiError::LogMismatch {
                expected: l,
                found: batch.log_id.clone(),
                expected_seq: head_seq + 1,
                head_hash,
            });
        }
        Some(_) => {}
        None => {
            // First upload binds the device to its log; a log belongs to one device.
            let taken = tx
                .query_opt(
                    "SELECT device_id FROM devices WHERE log_id = $1",
                    &[&batch.log_id],
                )
                .await?;
            if taken.is_some() {
                return Err(ApiError::LogMismatch {
                    expected: "(none yet)".into(),
                    found: batch.log_id.clone(),
                    expected_seq: 1,
                    head_hash,
                });
            }
            tx.execute(
                "UPDATE devices SET log_id = $2 WHERE device_id = $1",
                &[&device_id, &batch.log_id],
            )
            .await?;
        }
    }

    // Events the county already has must match exactly, else it is a fork.
    if first <= head_seq {
        let upto = last.min(head_seq);
        let stored = tx
            .query(
                "SELECT seq, hash FROM events WHERE log_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
                &[&batch.log_id, &(first as i64), &(upto as i64)],
            )
            .await?;
        if stored.len() as u64 != upto - first + 1 {
            return Err(ApiError::Internal(StoreError::Invalid(format!(
                "log {}: stored events below head {head_seq} are missing",
                batch.log_id
            ))));
        }
        for r in &stored {
            let seq = r.get::<_, i64>(0) as u64;
            let hash: String = r.get(1);
            if events[(seq - first) as usize].hash != hash {
                return Err(ApiError::Fork {
                    seq,
                    expected_seq: head_seq + 1,
                    head_hash,
                });
            }
        }
    }

    let new: &[Event] = if last > head_seq {
        &events[(head_seq.max(first - 1) + 1 - first) as usize..]
    } else {
        &[]
    };
    let mut stored_count = 0;
    if let Some(n0) = new.first() {
        if n0.seq != head_seq + 1 {
            return Err(ApiError::Gap {
                expected_seq: head_seq + 1,
                head_hash,
            });
        }
        if n0.prev_hash != head_hash {
            return Err(ApiError::Fork {
                seq: n0.seq,
                expected_seq: head_seq + 1,
                head_hash,
            });
        }
        let mut v = ChainVerifier::resume(&batch.log_id, head_seq, &head_hash);
        for e in new {
            v.push(e)
                .map_err(|err: ChainError| ApiError::ChainInvalid {
                    seq: err.seq(),
                    reason: err.to_string(),
                })?;
        }
        insert_events(&tx, device_id, &batch.log_id, new).await?;
        tx.execute(
            "UPDATE devices SET head_seq = $2, head_hash = $3, last_upload_at = now() WHERE device_id = $1",
            &[&device_id, &(last as i64), &v.last_hash()],
        )
        .await?;
        stored_count = new.len() as u64;
    }
    tx.commit().await?;
    Ok(UploadAck {
        acked_seq: last,
        acked_hash: events[events.len() - 1].hash.clone(),
        server_time_ms: now_ms(),
        stored: stored_count,
        quarantined: Vec::new(),
    })
}

/// One multi-row INSERT through arrays: one round trip per batch.
pub async fn insert_events(
    tx: &impl deadpool_postgres::GenericClient,
    device_id: &str,
    log_id: &str,
    events: &[Event],
) -> Result<(), tokio_postgres::Error> {
    let seqs: Vec<i64> = events.iter().map(|e| e.seq as i64).collect();
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let versions: Vec<i32> = events.iter().map(|e| e.schema_version as i32).collect();
    let times: Vec<&str> = events.iter().map(|e| e.device_time.as_str()).collect();
    let payloads: Vec<&[u8]> = events.iter().map(|e| e.payload.as_bytes()).collect();
    let prevs: Vec<&str> = events.iter().map(|e| e.prev_hash.as_str()).collect();
    let hashes: Vec<&str> = events.iter().map(|e| e.hash.as_str()).collect();
    tx.execute(
        "INSERT INTO events (log_id, device_id, seq, event_id, kind, schema_version, device_time, payload, prev_hash, hash)
         SELECT $1, $2, * FROM UNNEST($3::int8[], $4::text[], $5::text[], $6::int4[], $7::text[], $8::bytea[], $9::text[], $10::text[])",
        &[&log_id, &device_id, &seqs, &ids, &kinds, &versions, &times, &payloads, &prevs, &hashes],
    )
    .await?;
    Ok(())
}

/// Business validation of one stored event: `Err(reason)` quarantines it.
fn validate(kind: &str, payload: &[u8]) -> Result<Option<CaseUpdate>, String> {
    let text = std::str::from_utf8(payload).map_err(|e| format!("payload is not UTF-8: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("payload is not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| "payload is not a JSON object".to_owned())?;
    if !kind.starts_with("case.") {
        return Ok(None);
    }
    let field = |name: &str| -> Result<String, String> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(_) => Err(format!("{kind}: field {name} must be a non-empty string")),
            None => Err(format!("{kind}: field {name} is missing")),
        }
    };
    let opt = |name: &str| obj.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(Some(CaseUpdate {
        case_no: field("case_no")?,
        state: field("state")?,
        item_code: opt("item_code"),
        actor: opt("actor"),
    }))
}

struct CaseUpdate {
    case_no: String,
    state: String,
    item_code: Option<String>,
    actor: Option<String>,
}

/// Validate and project a device's stored but not yet projected events.
/// Runs after the upload COMMIT (and at start-up), so a bad event can never
/// block the upload path; returns the events quarantined by this run.
pub async fn project(pool: &Pool, device_id: &str) -> Result<Vec<QuarantineNotice>, StoreError> {
    let mut notices = Vec::new();
    loop {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_one(
                "SELECT log_id, station_code, projected_seq, head_seq FROM devices WHERE device_id = $1 FOR UPDATE",
                &[&device_id],
            )
            .await?;
        let Some(log_id) = row.get::<_, Option<String>>(0) else {
            return Ok(notices);
        };
        let station: String = row.get(1);
        let from: i64 = row.get(2);
        let head: i64 = row.get(3);
        if from >= head {
            return Ok(notices);
        }
        let rows = tx
            .query(
                "SELECT seq, kind, payload, event_id, device_time FROM events
                 WHERE log_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 2000",
                &[&log_id, &from, &head],
            )
            .await?;
        let mut last = from;
        // Latest update per case within this chunk (events are in seq order).
        let mut cases: BTreeMap<String, (CaseUpdate, i64, String, String, String)> =
            BTreeMap::new();
        let mut q_seq = Vec::new();
        let mut q_kind = Vec::new();
        let mut q_reason = Vec::new();
        for r in &rows {
            let seq: i64 = r.get(0);
            let kind: String = r.get(1);
            let payload: &[u8] = r.get(2);
            last = seq;
            match validate(&kind, payload) {
                Ok(Some(u)) => {
                    cases.insert(u.case_no.clone(), (u, seq, kind, r.get(3), r.get(4)));
                }
                Ok(None) => {}
                Err(reason) => {
                    notices.push(QuarantineNotice {
                        seq: seq as u64,
                        kind: kind.clone(),
                        reason: reason.clone(),
                    });
                    q_seq.push(seq);
                    q_kind.push(kind);
                    q_reason.push(reason);
                }
            }
        }
        if !q_seq.is_empty() {
            tx.execute(
                "INSERT INTO quarantine (log_id, seq, kind, reason)
                 SELECT $1, * FROM UNNEST($2::int8[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
                &[&log_id, &q_seq, &q_kind, &q_reason],
            )
            .await?;
        }
        if !cases.is_empty() {
            let mut c_no = Vec::new();
            let mut c_state = Vec::new();
            let mut c_item = Vec::new();
            let mut c_actor = Vec::new();
            let mut c_kind = Vec::new();
            let mut c_seq = Vec::new();
            let mut c_eid = Vec::new();
            let mut c_time = Vec::new();
            for (u, seq, kind, eid, time) in cases.into_values() {
                c_no.push(u.case_no);
                c_state.push(u.state);
                c_item.push(u.item_code);
                c_actor.push(u.actor);
                c_kind.push(kind);
                c_seq.push(seq);
                c_eid.push(eid);
                c_time.push(time);
            }
            tx.execute(
                "INSERT INTO cases (log_id, station_code, case_no, state, item_code, actor, last_kind, last_seq, last_event_id, last_device_time)
                 SELECT $1, $2, * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::text[], $10::text[])
                 ON CONFLICT (log_id, case_no) DO UPDATE SET
                    state = EXCLUDED.state,
                    item_code = coalesce(EXCLUDED.item_code, cases.item_code),
                    actor = EXCLUDED.actor,
                    last_kind = EXCLUDED.last_kind,
                    last_seq = EXCLUDED.last_seq,
                    last_event_id = EXCLUDED.last_event_id,
                    last_device_time = EXCLUDED.last_device_time,
                    updated_at = now()
                 WHERE cases.last_seq < EXCLUDED.last_seq",
                &[&log_id, &station, &c_no, &c_state, &c_item, &c_actor, &c_kind, &c_seq, &c_eid, &c_time],
            )
            .await?;
        }
        tx.execute(
            "UPDATE devices SET projected_seq = $2 WHERE device_id = $1",
            &[&device_id, &last],
        )
        .await?;
        tx.commit().await?;
    }
}

/// Catch up projections of every device (after a crash between COMMIT and projection).
pub async fn project_all(pool: &Pool) -> Result<usize, StoreError> {
    let ids: Vec<String> = {
        let client = pool.get().await?;
        client
            .query(
                "SELECT device_id FROM devices WHERE projected_seq < head_seq",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let mut n = 0;
    for id in ids {
        n += project(pool, &id).await?.len();
    }
    Ok(n)
}

/// Publish an immutable release: the next version number of its kind, signed.
pub async fn publish(
    pool: &Pool,
    key: &SigningKey,
    kind: &str,
    content: &[u8],
) -> Result<ReleaseManifest, StoreError> {
    if !yichuang_wire::RELEASE_KINDS.contains(&kind) {
        return Err(StoreError::Invalid(format!(
            "unknown release kind {kind:?}; expected one of {:?}",
            yichuang_wire::RELEASE_KINDS
        )));
    }
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(74616302)", &[])
        .await?;
    let next: i64 = tx
        .query_one(
            "SELECT coalesce(max(version_no), 0) + 1 FROM releases WHERE kind = $1",
            &[&kind],
        )
        .await?
        .get(0);
    let version = next.to_string();
    let sha = sha256_hex(content);
    let size = content.len() as u64;
    let sig = key.sign(release_signing_string(kind, &version, &sha, size).as_bytes());
    let row = tx
        .query_one(
            "INSERT INTO releases (kind, version_no, version, sha256, size, algorithm, signature, content)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             RETURNING (extract(epoch FROM published_at) * 1000)::int8",
            &[&kind, &next, &version, &sha, &(size as i64), &ALG_ED25519, &to_hex(&sig.to_bytes()), &content],
        )
        .await?;
    tx.commit().await?;
    Ok(ReleaseManifest {
        kind: kind.to_owned(),
        version,
        sha256: sha,
        size,
        algorithm: ALG_ED25519.into(),
        signature: to_hex(&sig.to_bytes()),
        published_at_ms: row.get(0),
    })
}

pub async fn latest_releases(pool: &Pool) -> Result<Vec<ReleaseManifest>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT DISTINCT ON (kind) kind, version, sha256, size, algorithm, signature,
                    (extract(epoch FROM published_at) * 1000)::int8
             FROM releases ORDER BY kind, version_no DESC",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ReleaseManifest {
            kind: r.get(0),
            version: r.get(1),
            sha256: r.get(2),
            size: r.get::<_, i64>(3) as u64,
            algorithm: r.get(4),
            signature: r.get(5),
            published_at_ms: r.get(6),
        })
        .collect())
}

pub async fn release_content(
    pool: &Pool,
    kind: &str,
    version: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let client = pool.get().await?;
    Ok(client
        .query_opt(
            "SELECT content FROM releases WHERE kind = $1 AND version = $2",
            &[&kind, &version],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Result of re-verifying one device's stored chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub device_id: String,
    pub log_id: String,
    pub events: u64,
    /// `None` if the chain verifies up to the recorded head.
    pub first_bad: Option<(u64, String)>,
}

/// Walk every device's stored chain from genesis with [`ChainVerifier`].
pub async fn verify_chains(pool: &Pool) -> Result<Vec<ChainReport>, StoreError> {
    let client = pool.get().await?;
    let devices = client
        .query(
            "SELECT device_id, log_id, head_seq FROM devices WHERE log_id IS NOT NULL ORDER BY device_id",
            &[],
        )
        .await?;
    let mut reports = Vec::new();
    for d in devices {
        let device_id: String = d.get(0);
        let log_id: String = d.get(1);
        let head = d.get::<_, i64>(2) as u64;
        let mut v = ChainVerifier::new(&log_id);
        let mut first_bad = None;
        let mut count = 0u64;
        'chunks: loop {
            let rows = client
                .query(
                    "SELECT seq, event_id, kind, schema_version, device_time, payload, prev_hash, hash
                     FROM events WHERE log_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000",
                    &[&log_id, &(v.last_seq() as i64)],
                )
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let payload: Vec<u8> = r.get(5);
                let Ok(payload) = String::from_utf8(payload) else {
                    first_bad = Some((r.get::<_, i64>(0) as u64, "payload is not UTF-8".into()));
                    break 'chunks;
                };
                let e = Event {
                    log_id: log_id.clone(),
                    seq: r.get::<_, i64>(0) as u64,
                    event_id: r.get(1),
                    kind: r.get(2),
                    schema_version: r.get::<_, i32>(3) as u32,
                    device_time: r.get(4),
                    payload,
                    prev_hash: r.get(6),
                    hash: r.get(7),
                };
                if let Err(err) = v.push(&e) {
                    first_bad = Some((err.seq(), err.to_string()));
                    break 'chunks;
                }
                count += 1;
            }
        }
        if first_bad.is_none() && v.last_seq() != head {
            first_bad = Some((
                v.last_seq() + 1,
                format!("events end at seq {} but the head is {head}", v.last_seq()),
            ));
        }
        reports.push(ChainReport {
            device_id,
            log_id,
            events: count,
            first_bad,
        });
    }
    Ok(reports)
}

/// One quarantined event, for the county admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEvent {
    pub station_code: String,
    pub log_id: String,
    pub seq: u64,
    pub kind: String,
    pub reason: String,
}

pub async fn list_quarantine(pool: &Pool) -> Result<Vec<QuarantinedEvent>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT coalesce(d.station_code, ''), q.log_id, q.seq, q.kind, q.reason
             FROM quarantine q LEFT JOIN devices d ON d.log_id = q.log_id
             ORDER BY q.log_id, q.seq",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| QuarantinedEvent {
            station_code: r.get(0),
            log_id: r.get(1),
            seq: r.get::<_, i64>(2) as u64,
            kind: r.get(3),
            reason: r.get(4),
        })
        .collect())
}

/// One entry of the 否定备案 register (cases whose latest state is `rejected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedCase {
    pub station_code: String,
    pub log_id: String,
    pub case_no: String,
    pub item_code: Option<String>,
    pub actor: Option<String>,
    pub device_time: String,
}

pub async fn rejection_register(pool: &Pool) -> Result<Vec<RejectedCase>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT station_code, log_id, case_no, item_code, actor, rejected_at_device_time
             FROM rejection_register ORDER BY station_code, case_no",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RejectedCase {
            station_code: r.get(0),
            log_id: r.get(1),
            case_no: r.get(2),
            item_code: r.get(3),
            actor: r.get(4),
            device_time: r.get(5),
        })
        .collect())
}
