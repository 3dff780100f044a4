//! Wire types shared by the station (engine) and the county server.
//!
//! Architecture invariant: this crate knows no database and no transport; it
//! is the single definition of what an event is and how the chain hash is
//! computed, so the station and the county can never disagree about either.

pub mod answer;
pub mod keys;
pub mod protocol;
pub use answer::*;
pub use keys::{KeyError, PublicKey, SecretKey};
pub use protocol::*;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the event envelope and hash layout. Bump only with a migration.
pub const CHAIN_VERSION: &str = "yichuang-event-v1";

/// The hash a chain starts from (seq 1 has this as its `prev_hash`).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of a station's append-only event log, exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// UUID of the station database this log belongs to (the "device").
    pub log_id: String,
    /// 1, 2, 3 … without gaps within one `log_id`.
    pub seq: u64,
    /// UUIDv7, unique across all logs.
    pub event_id: String,
    /// e.g. `case.registered`.
    pub kind: String,
    pub schema_version: u32,
    /// Device wall-clock time (RFC 3339, UTC). Recorded, never used for ordering.
    pub device_time: String,
    /// The payload JSON text exactly as stored; hashed as bytes, never re-serialised.
    pub payload: String,
    /// Lowercase hex SHA-256 of the previous event (GENESIS_HASH for seq 1).
    pub prev_hash: String,
    /// Lowercase hex SHA-256, see [`chain_hash`].
    pub hash: String,
}

/// The fields that go into an event's hash, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    pub log_id: &'a str,
    pub seq: u64,
    pub event_id: &'a str,
    pub kind: &'a str,
    pub schema_version: u32,
    pub device_time: &'a str,
    pub payload: &'a str,
}

impl Event {
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            log_id: &self.log_id,
            seq: self.seq,
            event_id: &self.event_id,
            kind: &self.kind,
            schema_version: self.schema_version,
            device_time: &self.device_time,
            payload: &self.payload,
        }
    }
}

/// `hash = SHA-256(tag, prev_hash, device, seq, event_id, kind, version, time, payload)`,
/// every field length-prefixed (u64 big-endian) so no two field lists collide.
pub fn chain_hash(prev_hash: &str, f: &EventFields<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    put(CHAIN_VERSION.as_bytes());
    put(prev_hash.as_bytes());
    put(f.log_id.as_bytes());
    put(&f.seq.to_be_bytes());
    put(f.event_id.as_bytes());
    put(f.kind.as_bytes());
    put(&f.schema_version.to_be_bytes());
    put(f.device_time.as_bytes());
    put(f.payload.as_bytes());
    to_hex(&h.finalize())
}

/// Lowercase hex of SHA-256 over `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Why a chain does not verify; always names the first bad seq.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("seq {found} found where seq {expected} was expected (gap, deletion or reordering)")]
    SeqMismatch { expected: u64, found: u64 },
    #[error("event seq {seq}: prev_hash does not match the hash of the event before it")]
    BrokenLink { seq: u64 },
    #[error("event seq {seq}: stored hash does not match its contents")]
    HashMismatch { seq: u64 },
    #[error("event seq {seq}: belongs to log {found}, expected {expected}")]
    WrongLog {
        seq: u64,
        expected: String,
        found: String,
    },
}

impl ChainError {
    pub fn seq(&self) -> u64 {
        match self {
            ChainError::SeqMismatch { found, .. } => *found,
            ChainError::BrokenLink { seq }
            | ChainError::HashMismatch { seq }
            | ChainError::WrongLog { seq, .. } => *seq,
        }
    }
}

/// Incremental chain verifier: feed events in stored order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    log_id: String,
    last_seq: u64,
    prev_hash: String,
}

impl ChainVerifier {
    /// Start at the beginning of a log.
    pub fn new(log_id: &str) -> Self {
        Self::resume(log_id, 0, GENESIS_HASH)
    }

    /// Continue after an already verified `(seq, hash)` (e.g. the county's head).
    pub fn resume(log_id: &str, last_seq: u64, last_hash: &str) -> Self {
        ChainVerifier {
            log_id: log_id.to_owned(),
            last_seq,
            prev_hash: last_hash.to_owned(),
        }
    }

    pub fn push(&mut self, e: &Event) -> Result<(), ChainError> {
        if e.log_id != self.log_id {
            return Err(ChainError::WrongLog {
                seq: e.seq,
                expected: self.log_id.clone(),
                found: e.log_id.clone(),
            });
        }
        // Checked: after a head of u64::MAX no event can follow.
        let next = self.last_seq.checked_add(1);
        if Some(e.seq) != next {
            return Err(ChainError::SeqMismatch {
                expected: next.unwrap_or(u64::MAX),
                found: e.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::BrokenLink { seq: e.seq });
        }
        if chain_hash(&e.prev_hash, &e.fields()) != e.hash {
            return Err(ChainError::HashMismatch { seq: e.seq });
        }
        self.last_seq = e.seq;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_chain(n: u64) -> Vec<Event> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = Event {
                    log_id: "log-a".into(),
                    seq,
                    event_id: format!("ev-{seq}"),
                    kind: "case.registered".into(),
                    schema_version: 1,
                    device_time: "2026-11-23T10:00:00.000Z".into(),
                    payload: format!("{{\"n\":{seq}}}"),
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
    fn intact_chain_verifies() {
        let chain = make_chain(5);
        let mut v = ChainVerifier::new("log-a");
        for e in &chain {
            v.push(e).unwrap();
        }
        assert_eq!(v.last_seq(), 5);
    }

    #[test]
    fn changed_payload_is_named() {
        let mut chain = make_chain(5);
        chain[2].payload = "{\"n\":99}".into();
        let mut v = ChainVerifier::new("log-a");
        let err = chain.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err, ChainError::HashMismatch { seq: 3 });
    }

    #[test]
    fn gap_and_reorder_are_named() {
        let mut chain = make_chain(5);
        chain.remove(1);
        let mut v = ChainVerifier::new("log-a");
        let err = chain.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err.seq(), 3);
        let mut chain = make_chain(5);
        chain.swap(1, 2);
        let mut v = ChainVerifier::new("log-a");
        assert!(chain.iter().try_for_each(|e| v.push(e)).is_err());
    }

    #[test]
    fn length_prefix_prevents_field_shifting() {
        let a = EventFields {
            log_id: "ab",
            seq: 1,
            event_id: "c",
            kind: "k",
            schema_version: 1,
            device_time: "t",
            payload: "p",
        };
        let b = EventFields {
            log_id: "a",
            event_id: "bc",
            ..a
        };
        assert_ne!(chain_hash(GENESIS_HASH, &a), chain_hash(GENESIS_HASH, &b));
    }
}
