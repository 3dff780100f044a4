//! The station <-> county sync protocol (docs/design/sync-protocol.md): request signing,
//! enrolment, upload, reference-data releases and error bodies.
//!
//! Signing is defined here once so the client and the server build the very
//! same canonical string. The algorithm is named on the wire: `ed25519`
//! (with SHA-256) or `sm2` (国密 SM2 with SM3).

use serde::{Deserialize, Serialize};

use crate::Event;

/// Protocol version spoken by this build; sent in [`headers::PROTOCOL`].
/// 2: every county answer is signed (`answer` module) and enrolment codes
/// carry the county's fingerprint.
pub const PROTOCOL_VERSION: u32 = 2;

/// Largest answer the county sends and a station reads (a release snapshot
/// is the largest; reference data is far smaller).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Most events one upload batch may carry (413 beyond).
pub const MAX_BATCH_EVENTS: usize = 500;
/// Largest upload body in bytes (413 beyond).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// A signed request whose timestamp is further than this from the server's
/// clock is refused as stale (the client then corrects its skew and retries).
pub const MAX_CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// Ed25519 signatures, SHA-256 digests.
pub const ALG_ED25519: &str = "ed25519";
/// 国密: SM2 signatures (GB/T 32918.2, SM3 over ZA‖M, the default
/// distinguishing identifier of GB/T 35276) and SM3 digests (GB/T 32905).
pub const ALG_SM2: &str = "sm2";
/// The suites a county may choose (its keys, its devices' keys, digests).
pub const ALGORITHMS: [&str; 2] = [ALG_ED25519, ALG_SM2];
/// GB/T 35276-2017's default user identity for SM2 signatures.
pub const SM2_DISTID: &str = "1234567812345678";

/// Lowercase hex digest of `bytes` in `algorithm`'s suite: SHA-256 for
/// Ed25519, SM3 for SM2 (an unknown name gets SHA-256; its signatures are
/// refused anyway).
pub fn digest_hex(algorithm: &str, bytes: &[u8]) -> String {
    use sha2::Digest;
    if algorithm == ALG_SM2 {
        crate::to_hex(&sm3::Sm3::digest(bytes))
    } else {
        crate::to_hex(&sha2::Sha256::digest(bytes))
    }
}

/// HTTP header names of a signed request (and the server's clock on replies).
pub mod headers {
    pub const PROTOCOL: &str = "x-yichuang-protocol";
    pub const DEVICE: &str = "x-yichuang-device";
    pub const ALGORITHM: &str = "x-yichuang-alg";
    pub const TIMESTAMP: &str = "x-yichuang-timestamp";
    pub const NONCE: &str = "x-yichuang-nonce";
    pub const BODY_SHA256: &str = "x-yichuang-body-sha256";
    pub const SIGNATURE: &str = "x-yichuang-signature";
    /// On every response: the server's clock, unix milliseconds.
    pub const SERVER_TIME: &str = "x-yichuang-server-time";
}

/// API paths (all under one version prefix).
pub mod paths {
    pub const ENROL: &str = "/v1/enrol";
    pub const UPLOAD: &str = "/v1/events";
    pub const HEAD: &str = "/v1/head";
    pub const RELEASES: &str = "/v1/releases";
    /// `GET`: the station's cases under 挂牌督办 (`SupervisionList`).
    pub const SUPERVISION: &str = "/v1/supervision";
    /// `GET`: the rotations of the county's keys (`KeysResponse`).
    pub const KEYS: &str = "/v1/keys";
    /// `GET {RELEASES}/{kind}/{version}` returns the snapshot bytes.
    pub fn release_snapshot(kind: &str, version: &str) -> String {
        format!("{RELEASES}/{kind}/{version}")
    }
}

/// The string a device signs for one request. Every part is on its own line;
/// none of them may contain a newline (the server refuses such headers).
pub fn canonical_request(
    algorithm: &str,
    device_id: &str,
    method: &str,
    path: &str,
    timestamp_ms: i64,
    nonce: &str,
    body_sha256: &str,
) -> String {
    format!(
        "yichuang-request-v1\n{algorithm}\n{device_id}\n{}\n{path}\n{timestamp_ms}\n{nonce}\n{body_sha256}",
        method.to_ascii_uppercase()
    )
}

/// The string the county signs for one reference-data release.
pub fn release_signing_string(kind: &str, version: &str, sha256: &str, size: u64) -> String {
    format!("yichuang-release-v1\n{kind}\n{version}\n{sha256}\n{size}")
}

/// Reference-data kinds the county publishes.
pub const RELEASE_KINDS: [&str; 3] = ["catalog", "calendar", "templates"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time code a county admin issued for this station.
    pub code: String,
    pub algorithm: String,
    /// Lowercase hex of the device's public key.
    pub public_key: String,
    /// Station-side label for the county's audit log (e.g. host name).
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub device_id: String,
    pub station_code: String,
    /// Algorithm and lowercase-hex public key of the county's release key;
    /// the station verifies every reference-data release against it.
    pub release_key_algorithm: String,
    pub release_public_key: String,
    /// The county's answer key: every answer from now on must verify
    /// against it. Both keys hash to the fingerprint in the enrolment code.
    pub answer_key_algorithm: String,
    pub answer_public_key: String,
    pub server_time_ms: i64,
}

/// Body of `POST /v1/events`: consecutive events of one log, ascending seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatch {
    pub log_id: String,
    /// The last seq of the station's log when it sent the batch: what lies
    /// beyond the batch is still to come (the console's 未上传). Absent from
    /// older stations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station_head_seq: Option<u64>,
    pub events: Vec<Event>,
}

/// An event stored but kept out of the county's projections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineNotice {
    pub seq: u64,
    pub kind: String,
    pub reason: String,
}

/// Sent only after COMMIT: everything up to `acked_seq` is durably stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAck {
    pub acked_seq: u64,
    pub acked_hash: String,
    pub server_time_ms: i64,
    /// Events newly stored by this request (the rest were already there).
    #[serde(default)]
    pub stored: u64,
    /// Events of this log quarantined by business validation so far unreported.
    #[serde(default)]
    pub quarantined: Vec<QuarantineNotice>,
}

/// `GET /v1/head`: where the county's copy of this device's log ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadResponse {
    pub log_id: Option<String>,
    pub head_seq: u64,
    pub head_hash: String,
    pub server_time_ms: i64,
}

/// Metadata of one immutable, signed reference-data release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseManifest {
    pub kind: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    pub algorithm: String,
    /// Lowercase hex signature over [`release_signing_string`].
    pub signature: String,
    pub published_at_ms: i64,
}

impl ReleaseManifest {
    pub fn signing_string(&self) -> String {
        release_signing_string(&self.kind, &self.version, &self.sha256, self.size)
    }
}

/// `GET /v1/releases`: the latest release of each kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseList {
    pub releases: Vec<ReleaseManifest>,
    pub server_time_ms: i64,
}

/// One case of the asking station flagged for 挂牌督办 by the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionFlag {
    pub case_no: String,
    /// What the county asks of the station (督办要求).
    pub note: String,
    /// When the county flagged it: with the case number, the flag's identity.
    pub flagged_at_ms: i64,
}

/// `GET /v1/supervision`: every open flag of the asking device's station;
/// a flag no longer listed has been lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionList {
    pub flags: Vec<SupervisionFlag>,
    pub server_time_ms: i64,
}

/// Machine-readable error codes in [`ErrorBody::code`].
pub mod codes {
    pub const BAD_REQUEST: &str = "bad_request";
    pub const UNKNOWN_DEVICE: &str = "unknown_device";
    pub const BAD_SIGNATURE: &str = "bad_signature";
    pub const STALE_TIMESTAMP: &str = "stale_timestamp";
    pub const REPLAYED_NONCE: &str = "replayed_nonce";
    pub const REVOKED: &str = "revoked";
    pub const CLIENT_TOO_OLD: &str = "client_too_old";
    pub const TOO_LARGE: &str = "too_large";
    pub const GAP: &str = "gap";
    pub const FORK: &str = "fork";
    pub const LOG_MISMATCH: &str = "log_mismatch";
    pub const CHAIN_INVALID: &str = "chain_invalid";
    pub const BAD_CODE: &str = "bad_enrolment_code";
    pub const NOT_FOUND: &str = "not_found";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const TIMEOUT: &str = "timeout";
    pub const INTERNAL: &str = "internal";
}

/// JSON body of every error response. `message_zh` is shown to the clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub message_zh: String,
    /// On 409: the seq the county expects next (its head + 1) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
    /// … and the hash of its head (GENESIS_HASH for an empty log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_hash: Option<String>,
    /// On a chain error: the first bad seq.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub server_time_ms: i64,
}

/// Why a signature or key does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("malformed public key")]
    BadKey,
    #[error("malformed signature")]
    BadSignatureEncoding,
    #[error("signature does not verify")]
    Invalid,
}

/// Check `signature_hex` over `message` with the named algorithm.
pub fn verify_signature(
    algorithm: &str,
    public_key_hex: &str,
    message: &[u8],
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let sig_bytes: [u8; 64] = from_hex(signature_hex)
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::BadSignatureEncoding)?;
    match algorithm {
        ALG_ED25519 => {
            let key: [u8; 32] = from_hex(public_key_hex)
                .and_then(|b| b.try_into().ok())
                .ok_or(SignatureError::BadKey)?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
                .map_err(|_| SignatureError::BadKey)?;
            let sig = ed25519_dalek::Signature::from_bytes(&sig_bytes);
            // verify_strict refuses weak keys and malleable signatures.
            key.verify_strict(message, &sig)
                .map_err(|_| SignatureError::Invalid)
        }
        ALG_SM2 => {
            use sm2::dsa::signature::Verifier;
            let key = sm2_public(public_key_hex).ok_or(SignatureError::BadKey)?;
            let sig = sm2::dsa::Signature::from_bytes(&sig_bytes)
                .map_err(|_| SignatureError::BadSignatureEncoding)?;
            key.verify(message, &sig)
                .map_err(|_| SignatureError::Invalid)
        }
        other => Err(SignatureError::UnsupportedAlgorithm(other.to_owned())),
    }
}

/// An SM2 public key from SEC1 hex (uncompressed or compressed).
pub(crate) fn sm2_public(public_key_hex: &str) -> Option<sm2::dsa::VerifyingKey> {
    let bytes = from_hex(public_key_hex)?;
    sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTID, &bytes).ok()
}

/// Parse a public key: `true` only for a well-formed key of a known algorithm.
pub fn valid_public_key(algorithm: &str, public_key_hex: &str) -> bool {
    match algorithm {
        ALG_ED25519 => from_hex(public_key_hex)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .is_some_and(|k| {
                ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok_and(|k| !k.is_weak())
            }),
        ALG_SM2 => sm2_public(public_key_hex).is_some(),
        _ => false,
    }
}

/// Decode lowercase or uppercase hex; `None` on odd length or a non-hex digit.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if b.len() & 1 == 1 {
        return None;
    }
    b.chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn signature_round_trip_and_tamper() {
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let pk = crate::to_hex(sk.verifying_key().as_bytes());
        let msg = canonical_request(ALG_ED25519, "dev-1", "post", "/v1/events", 1, "n", "h");
        let sig = crate::to_hex(&sk.sign(msg.as_bytes()).to_bytes());
        assert!(valid_public_key(ALG_ED25519, &pk));
        verify_signature(ALG_ED25519, &pk, msg.as_bytes(), &sig).unwrap();
        let other = msg.replace("/v1/events", "/v1/head");
        assert_eq!(
            verify_signature(ALG_ED25519, &pk, other.as_bytes(), &sig),
            Err(SignatureError::Invalid)
        );
        assert!(matches!(
            verify_signature("sm9", &pk, msg.as_bytes(), &sig),
            Err(SignatureError::UnsupportedAlgorithm(_))
        ));
        // An Ed25519 key is no SM2 key.
        assert_eq!(
            verify_signature(ALG_SM2, &pk, msg.as_bytes(), &sig),
            Err(SignatureError::BadKey)
        );
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(
            from_hex(&crate::to_hex(&[0, 1, 0xab, 0xff])).unwrap(),
            vec![0, 1, 0xab, 0xff]
        );
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
