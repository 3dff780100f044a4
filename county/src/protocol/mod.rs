//! The county's side of the sync protocol as pure decisions: no database, no
//! HTTP (the rules are in `docs/design/sync-protocol.md`). Storage backends
//! call these with what they read (under their locks) and store what they
//! return; the HTTP layer turns a [`Refusal`] into a status code.

pub mod audit;
pub mod enrolment;
pub mod projection;
pub mod release;
pub mod upload;

/// Why the county refuses a request. Each is the client's or the device's
/// state, never a county fault, and the station can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request does not follow the protocol's format.
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("device is revoked")]
    Revoked,
    /// The enrolment code is unknown, used or expired.
    #[error("enrolment code unknown, used or expired")]
    BadCode,
    /// The device is bound to another log, or the log to another device.
    #[error("this device already uploads log {expected}, not {found}")]
    LogMismatch {
        expected: String,
        found: String,
        expected_seq: u64,
        head_hash: String,
    },
    /// The batch starts past the county's head.
    #[error("gap: the county expects seq {expected_seq} next")]
    Gap {
        expected_seq: u64,
        head_hash: String,
    },
    /// The batch contradicts events the county already holds.
    #[error("fork at seq {seq}")]
    Fork {
        seq: u64,
        expected_seq: u64,
        head_hash: String,
    },
    /// The new events do not form a valid chain from the head.
    #[error("event seq {seq}: {reason}")]
    ChainInvalid { seq: u64, reason: String },
}
