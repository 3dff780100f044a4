//! Reference-data releases: which kinds exist, and how one is signed.

#[cfg(test)]
use yichuang_wire::sha256_hex;
use yichuang_wire::{RELEASE_KINDS, SecretKey, release_signing_string};

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

pub fn sign(key: &SecretKey, kind: &str, version: &str, content: &[u8]) -> Signed {
    // The digest of the release key's suite (SHA-256 or SM3).
    let sha256 = key.digest_hex(content);
    let size = content.len() as u64;
    let signature = key.sign_hex(release_signing_string(kind, version, &sha256, size).as_bytes());
    Signed {
        sha256,
        size,
        algorithm: key.algorithm().to_owned(),
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_signed_over_kind_version_hash_and_size() {
        assert!(check_kind("catalog").is_ok());
        assert!(
            check_kind("fonts")
                .unwrap_err()
                .contains("unknown release kind")
        );
        let key = SecretKey::generate().expect("key");
        let s = sign(&key, "catalog", "3", b"content");
        assert_eq!((s.size, s.sha256.clone()), (7, sha256_hex(b"content")));
        let msg = release_signing_string("catalog", "3", &s.sha256, 7);
        yichuang_wire::verify_signature(
            &s.algorithm,
            &key.public_key_hex(),
            msg.as_bytes(),
            &s.signature,
        )
        .expect("verifies");
    }
}
