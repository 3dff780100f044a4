//! Authenticated county answers and the county's identity.
//!
//! Every answer of the county (acks, heads, 409s, errors, release lists,
//! snapshots, the enrolment answer) is signed with the county's *answer key*
//! over [`canonical_answer`]: the request it answers (device, method, path,
//! nonce, body hash), the status, the server time and the answer body's hash.
//! The station verifies it against the key it pinned at enrolment and
//! compares the bound request with what it sent, so a forged, altered or
//! replayed answer changes nothing.
//!
//! The county's identity is the pair (answer key, release key). Its
//! [`county_fingerprint`] is printed into every enrolment code, so a station
//! refuses an enrolment answer from anyone else (no trust on first use).

use crate::protocol::headers;

/// Header names of a signed answer.
pub mod answer_headers {
    pub const ALGORITHM: &str = "x-yichuang-answer-alg";
    /// [`super::key_id`] of the key that signed.
    pub const KEY_ID: &str = "x-yichuang-answer-key";
    pub const SIGNATURE: &str = "x-yichuang-answer-signature";
}

/// What an answer is bound to: the request as its sender made it. Parts the
/// request did not carry are `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBinding<'a> {
    pub device_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub nonce: &'a str,
    pub body_sha256: &'a str,
}

/// The string the county signs for one answer; one part per line.
pub fn canonical_answer(
    algorithm: &str,
    key_id: &str,
    request: &RequestBinding<'_>,
    status: u16,
    server_time_ms: i64,
    body_sha256: &str,
) -> String {
    format!(
        "yichuang-answer-v1\n{algorithm}\n{key_id}\n{}\n{}\n{}\n{}\n{}\n{status}\n{server_time_ms}\n{body_sha256}",
        request.device_id,
        request.method.to_ascii_uppercase(),
        request.path,
        request.nonce,
        request.body_sha256,
    )
}

/// A value fit for one line of a canonical string: printable ASCII without
/// spaces, at most `max` bytes; anything else reads `-`.
pub fn line_token(v: Option<&str>, max: usize) -> &str {
    match v {
        Some(s) if !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic()) => s,
        _ => "-",
    }
}

/// The request parts an answer binds, read from a request's headers by name
/// (the county signs what the request claimed; the station compares with
/// what it sent, so a claim altered on the way fails there).
pub fn binding_from_headers<'a>(
    header: impl Fn(&str) -> Option<&'a str>,
    method: &'a str,
    path: &'a str,
) -> RequestBinding<'a> {
    RequestBinding {
        device_id: line_token(header(headers::DEVICE), 100),
        method,
        path: line_token(Some(path), 512),
        nonce: line_token(header(headers::NONCE), 64),
        body_sha256: line_token(header(headers::BODY_SHA256), 64),
    }
}

/// A short, stable name of a public key: 32 hex digits of its digest (in
/// the key's own suite: SHA-256 or SM3).
pub fn key_id(algorithm: &str, public_key_hex: &str) -> String {
    let d = crate::digest_hex(
        algorithm,
        format!("yichuang-key-v1\n{algorithm}\n{public_key_hex}").as_bytes(),
    );
    d[..32].to_owned()
}

/// No 0/O or 1/I: fingerprints are read off paper, like the codes.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Characters of the fingerprint in an enrolment code (5 bits each: 80 bits).
pub const FINGERPRINT_CHARS: usize = 16;

/// The county's identity, as printed in enrolment codes: 16 characters of
/// the code alphabet from the digest (in the answer key's suite) of both
/// public keys.
pub fn county_fingerprint(
    answer_alg: &str,
    answer_public_key: &str,
    release_alg: &str,
    release_public_key: &str,
) -> String {
    let d = crate::from_hex(&crate::digest_hex(
        answer_alg,
        format!(
            "yichuang-county-v1\n{answer_alg}\n{}\n{release_alg}\n{}",
            answer_public_key.to_ascii_lowercase(),
            release_public_key.to_ascii_lowercase()
        )
        .as_bytes(),
    ))
    .unwrap_or_default();
    if d.len() < 10 {
        return String::new();
    }
    // 80 bits, 5 at a time.
    let mut bits: u128 = 0;
    for b in &d[..10] {
        bits = bits << 8 | u128::from(*b);
    }
    (0..FINGERPRINT_CHARS)
        .rev()
        .map(|i| CODE_ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// Characters of the secret part of an enrolment code.
pub const CODE_SECRET_CHARS: usize = 12;

/// The prefix of a code from a county that uses the 国密 suite: the
/// station makes an SM2 device key for it.
pub const SM2_CODE_PREFIX: &str = "GM";

/// An enrolment code as the station reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentCode {
    /// The county's suite (`ed25519`, or `sm2` for a `GM-` code).
    pub algorithm: &'static str,
    /// Sent to the county.
    pub secret: String,
    /// Kept by the station: the enrolment answer's keys must hash to it.
    pub fingerprint: String,
}

/// An enrolment code split into its suite, its secret and the county
/// fingerprint it commits to: letters and digits only, upper case,
/// separators dropped. `None` if it has not exactly those parts.
pub fn parse_enrolment_code(code: &str) -> Option<EnrolmentCode> {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let want = CODE_SECRET_CHARS + FINGERPRINT_CHARS;
    let (algorithm, rest) = match norm.strip_prefix(SM2_CODE_PREFIX) {
        Some(rest) if rest.len() == want => (crate::ALG_SM2, rest),
        _ => (crate::ALG_ED25519, norm.as_str()),
    };
    if rest.len() != want || !rest.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    let (secret, fp) = rest.split_at(CODE_SECRET_CHARS);
    Some(EnrolmentCode {
        algorithm,
        secret: secret.to_owned(),
        fingerprint: fp.to_owned(),
    })
}

/// [`parse_enrolment_code`] without the suite (an Ed25519 county's code).
pub fn split_enrolment_code(code: &str) -> Option<(String, String)> {
    parse_enrolment_code(code).map(|c| (c.secret, c.fingerprint))
}

/// `ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345`: the secret, then the fingerprint,
/// in groups of four; `GM-` first for a county of the 国密 suite.
pub fn format_enrolment_code(secret: &str, fingerprint: &str) -> String {
    let all: Vec<char> = secret.chars().chain(fingerprint.chars()).collect();
    all.chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code of a county whose answer key is of `algorithm`.
pub fn format_enrolment_code_for(algorithm: &str, secret: &str, fingerprint: &str) -> String {
    let code = format_enrolment_code(secret, fingerprint);
    if algorithm == crate::ALG_SM2 {
        format!("{SM2_CODE_PREFIX}-{code}")
    } else {
        code
    }
}

#[cfg(test)]
mod rotation_tests {
    use super::*;
    use crate::SecretKey;

    fn rotate(role: &str, old: &SecretKey, new: &SecretKey) -> KeyRotation {
        let mut r = KeyRotation {
            role: role.into(),
            old_algorithm: old.algorithm().into(),
            old_public_key: old.public_key_hex(),
            new_algorithm: new.algorithm().into(),
            new_public_key: new.public_key_hex(),
            signature: String::new(),
        };
        r.signature = old.sign_hex(r.signing_string().as_bytes());
        r
    }

    #[test]
    fn a_pin_follows_endorsed_rotations_only() {
        let k: Vec<SecretKey> = (0..3).map(|_| SecretKey::generate().unwrap()).collect();
        let chain = vec![
            rotate("answer", &k[0], &k[1]),
            rotate("answer", &k[1], &k[2]),
        ];
        assert_eq!(
            follow_rotations(&chain, "answer", "ed25519", &k[0].public_key_hex()),
            Some(("ed25519".into(), k[2].public_key_hex()))
        );
        // Not for another role, not from a key nobody endorsed.
        assert_eq!(
            follow_rotations(&chain, "release", "ed25519", &k[0].public_key_hex()),
            None
        );
        let stranger = SecretKey::generate().unwrap();
        let forged = vec![rotate("answer", &stranger, &k[2])];
        assert_eq!(
            follow_rotations(&forged, "answer", "ed25519", &k[0].public_key_hex()),
            None
        );
        // An endorsement whose signature is not the old key's.
        let mut bad = rotate("answer", &k[0], &stranger);
        bad.signature = stranger.sign_hex(bad.signing_string().as_bytes());
        assert_eq!(
            follow_rotations(&[bad], "answer", "ed25519", &k[0].public_key_hex()),
            None
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_binds_request_status_time_and_body() {
        let req = RequestBinding {
            device_id: "dev-1",
            method: "post",
            path: "/v1/events",
            nonce: "00112233445566778899aabbccddeeff",
            body_sha256: "ab",
        };
        let s = canonical_answer("ed25519", "k1", &req, 200, 5, "cd");
        assert_eq!(
            s,
            "yichuang-answer-v1\ned25519\nk1\ndev-1\nPOST\n/v1/events\n00112233445566778899aabbccddeeff\nab\n200\n5\ncd"
        );
        let other = RequestBinding {
            nonce: "ff",
            ..req.clone()
        };
        assert_ne!(s, canonical_answer("ed25519", "k1", &other, 200, 5, "cd"));
    }

    #[test]
    fn tokens_never_break_a_line() {
        assert_eq!(line_token(Some("a\nb"), 10), "-");
        assert_eq!(line_token(Some("a b"), 10), "-");
        assert_eq!(line_token(Some(""), 10), "-");
        assert_eq!(line_token(Some("abc"), 2), "-");
        assert_eq!(line_token(Some("abc"), 3), "abc");
        assert_eq!(line_token(None, 3), "-");
    }

    #[test]
    fn codes_carry_the_county_fingerprint() {
        let fp = county_fingerprint("ed25519", "AA", "ed25519", "bb");
        assert_eq!(fp.len(), FINGERPRINT_CHARS);
        assert_eq!(fp, county_fingerprint("ed25519", "aa", "ed25519", "BB"));
        assert_ne!(fp, county_fingerprint("ed25519", "aa", "ed25519", "bc"));
        let code = format_enrolment_code("ABCDEFGHJKLM", &fp);
        assert_eq!(code.len(), 28 + 6);
        let (secret, got) = split_enrolment_code(&code.to_lowercase()).unwrap();
        assert_eq!(
            (secret.as_str(), got.as_str()),
            ("ABCDEFGHJKLM", fp.as_str())
        );
        // The old 12-character code has no fingerprint: refused.
        assert!(split_enrolment_code("ABCD-EFGH-JKLM").is_none());
        assert!(split_enrolment_code(&code.replace('A', "0")).is_none());
        // A 国密 county's code says so.
        let gm = format_enrolment_code_for(crate::ALG_SM2, "ABCDEFGHJKLM", &fp);
        let c = parse_enrolment_code(&gm).unwrap();
        assert_eq!(
            (c.algorithm, c.fingerprint.as_str()),
            (crate::ALG_SM2, fp.as_str())
        );
        assert_eq!(
            parse_enrolment_code(&code).unwrap().algorithm,
            crate::ALG_ED25519
        );
    }
}

/// Key rotation: the county's new answer or release key, endorsed by the
/// key it replaces. A station that pinned the old key follows the chain of
/// endorsements to the new one; nothing else moves its pin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRotation {
    /// `answer` or `release`.
    pub role: String,
    pub old_algorithm: String,
    pub old_public_key: String,
    pub new_algorithm: String,
    pub new_public_key: String,
    /// By the old key, over [`KeyRotation::signing_string`].
    pub signature: String,
}

impl KeyRotation {
    pub fn signing_string(&self) -> String {
        format!(
            "yichuang-key-rotation-v1\n{}\n{}\n{}\n{}\n{}",
            self.role,
            self.old_algorithm,
            self.old_public_key.to_ascii_lowercase(),
            self.new_algorithm,
            self.new_public_key.to_ascii_lowercase()
        )
    }

    /// Whether the old key signed it.
    pub fn verifies(&self) -> bool {
        crate::verify_signature(
            &self.old_algorithm,
            &self.old_public_key,
            self.signing_string().as_bytes(),
            &self.signature,
        )
        .is_ok()
    }
}

/// `GET /v1/keys`: every rotation of the county's keys, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeysResponse {
    pub rotations: Vec<KeyRotation>,
    pub server_time_ms: i64,
}

/// From the pinned key (`alg`, `public`) of `role`, follow verified
/// endorsements as far as they go: the newest key the old one vouches
/// for, through any number of rotations (`None` if none applies).
pub fn follow_rotations(
    rotations: &[KeyRotation],
    role: &str,
    alg: &str,
    public: &str,
) -> Option<(String, String)> {
    let (mut alg, mut public) = (alg.to_owned(), public.to_ascii_lowercase());
    let mut moved = false;
    // Each step must start at the key reached so far: a chain, no cycles
    // longer than the list.
    for _ in 0..rotations.len() {
        let Some(r) = rotations.iter().find(|r| {
            r.role == role
                && r.old_algorithm == alg
                && r.old_public_key.eq_ignore_ascii_case(&public)
                && r.verifies()
        }) else {
            break;
        };
        alg = r.new_algorithm.clone();
        public = r.new_public_key.to_ascii_lowercase();
        moved = true;
    }
    moved.then_some((alg, public))
}
