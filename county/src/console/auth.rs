//! Passwords (argon2id, as the station hashes its clerks') and session
//! tokens (random, stored only as their SHA-256).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::storage::StorageError;

pub fn hash_password(password: &str) -> Result<String, StorageError> {
    let salt_bytes = random::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| StorageError::backend(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StorageError::backend(format!("password hash: {e}")))
}

/// A hash no password matches: verified for unknown or disabled names, so
/// that their answer takes as long as a wrong password's.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let random = random::<16>().map(|b| yichuang_wire::to_hex(&b)).unwrap_or_default();
        hash_password(&format!("decoy-{random}")).unwrap_or_else(|_| {
            // Cannot fail with default parameters; should it, a fixed valid
            // PHC string keeps the timing.
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2ln".into()
        })
    })
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Hashes or verifies off the async workers (argon2 is deliberately slow).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::backend(format!("password task: {e}")))
}

pub fn sha256_hex(s: &str) -> String {
    yichuang_wire::to_hex(&Sha256::digest(s.as_bytes()))
}

/// A new session token (256 random bits, hex).
pub fn new_token() -> Result<String, StorageError> {
    random::<32>().map(|b| yichuang_wire::to_hex(&b))
}

/// The session's CSRF token, derived from its session token: the page
/// reads it from `/me` (same origin only) and sends it as a header; a
/// cross-site page has the cookie sent for it (if at all) but cannot know this.
pub fn csrf_token(session_token: &str) -> String {
    sha256_hex(&format!("yichuang-console-csrf:{session_token}"))
}

fn random<const N: usize>() -> Result<[u8; N], StorageError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StorageError::backend(format!("OS random source: {e}")))?;
    Ok(b)
}
