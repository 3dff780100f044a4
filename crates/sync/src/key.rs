//! The device's signing key and its enrolment record.

use std::fmt;

use serde::{Deserialize, Serialize};
use yichuang_wire::{ALG_ED25519, SecretKey};

use crate::SyncError;

/// The station's private key, of its county's suite (Ed25519, or 国密
/// SM2). The engine stores [`DeviceKey::to_secret_string`] (protected like
/// a password) and reloads it with [`DeviceKey::from_secret_string`].
pub struct DeviceKey {
    key: SecretKey,
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DeviceKey({}:{}, secret hidden)",
            self.algorithm(),
            self.public_key_hex()
        )
    }
}

impl DeviceKey {
    /// A fresh Ed25519 key from the OS random source.
    pub fn generate() -> Result<DeviceKey, SyncError> {
        DeviceKey::generate_for(ALG_ED25519)
    }

    /// A fresh key of `algorithm` (the county's suite, from its code).
    pub fn generate_for(algorithm: &str) -> Result<DeviceKey, SyncError> {
        SecretKey::generate_for(algorithm)
            .map(|key| DeviceKey { key })
            .map_err(|e| SyncError::Key(e.to_string()))
    }

    /// `alg:<hex of the secret>`.
    pub fn to_secret_string(&self) -> String {
        self.key.to_secret_string()
    }

    pub fn from_secret_string(s: &str) -> Result<DeviceKey, SyncError> {
        SecretKey::from_secret_string(s)
            .map(|key| DeviceKey { key })
            .map_err(|e| SyncError::Key(e.to_string()))
    }

    pub fn algorithm(&self) -> &'static str {
        self.key.algorithm()
    }

    pub fn public_key_hex(&self) -> String {
        self.key.public_key_hex()
    }

    /// Lowercase hex signature of `message`.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        self.key.sign_hex(message)
    }
}

/// What the station keeps after enrolment (not secret; store next to the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRegistration {
    /// Base URL of the county server, e.g. `https://county.example:8787`.
    pub server_url: String,
    pub device_id: String,
    pub station_code: String,
    /// The county's release key: every reference-data release must verify against it.
    pub release_key_algorithm: String,
    pub release_public_key: String,
    /// The county's answer key: every answer must verify against it. Empty
    /// in a registration made before answers were signed (re-enrol).
    #[serde(default)]
    pub answer_key_algorithm: String,
    #[serde(default)]
    pub answer_public_key: String,
}

impl DeviceRegistration {
    pub fn to_json(&self) -> String {
        // A struct of strings always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Result<DeviceRegistration, SyncError> {
        serde_json::from_str(s).map_err(|e| SyncError::Key(format!("stored registration: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_round_trip() {
        let k = DeviceKey::generate().unwrap();
        let s = k.to_secret_string();
        assert!(s.starts_with("ed25519:"));
        let k2 = DeviceKey::from_secret_string(&s).unwrap();
        assert_eq!(k.public_key_hex(), k2.public_key_hex());
        assert!(!format!("{k:?}").contains(&s[8..]));
        assert!(DeviceKey::from_secret_string("sm2:00").is_err());
        let gm = DeviceKey::generate_for("sm2").unwrap();
        assert_eq!(gm.algorithm(), "sm2");
        let again = DeviceKey::from_secret_string(&gm.to_secret_string()).unwrap();
        assert_eq!(again.public_key_hex(), gm.public_key_hex());
        assert!(DeviceKey::from_secret_string("ed25519:zz").is_err());
    }
}
