//! Reference-data releases: which kinds exist, and how one is signed.

use ed25519_dalek::{Signer, SigningKey};
use yichuang_wire::{ALG_ED25519, RELEASE_KINDS, release_signing_string, sha256_hex, to_hex};

/// Only known kinds are published; stations ignore others anyway.
pub fn check_kind(kind: &str) -> Result<(), String> {
    if RELEASE_KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(format!(
            "unknown release kind {kind:?}; expected one of {RELEASE_KINDS:?}"
        ))
    }
}

/// The signed facts of a release (its manifest without the publication time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub sha256: String,
    pub size: u64,
    pub algorithm: String,
    /// Lowercase hex.
    pub signature: String,
}

pub fn sign(key: &SigningKey, kind: &str, version: &str, content: &[u8]) -> Signed {
    let sha256 = sha256_hex(content);
    let size = content.len() as u64;
    let sig = key.sign(release_signing_string(kind, version, &sha256, size).as_bytes());
    Signed {
        sha256,
        size,
        algorithm: ALG_ED25519.into(),
        signature: to_hex(&sig.to_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, Verifier};

    use super::*;

    #[test]
    fn releases_are_signed_over_kind_version_hash_and_size() {
        assert!(check_kind("catalog").is_ok());
        assert!(
            check_kind("fonts")
                .unwrap_err()
                .contains("unknown release kind")
        );
        let key = SigningKey::from_bytes(&[7; 32]);
        let s = sign(&key, "catalog", "3", b"content");
        assert_eq!((s.size, s.sha256.clone()), (7, sha256_hex(b"content")));
        let sig_bytes: [u8; 64] = yichuang_wire::from_hex(&s.signature)
            .and_then(|b| b.try_into().ok())
            .expect("64-byte signature");
        let msg = release_signing_string("catalog", "3", &s.sha256, 7);
        assert!(
            key.verifying_key()
                .verify(msg.as_bytes(), &Signature::from_bytes(&sig_bytes))
                .is_ok()
        );
    }
}
