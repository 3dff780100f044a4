//! The device's signing key and its enrolment record.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use yichuang_wire::{ALG_ED25519, from_hex, to_hex};

use crate::SyncError;

/// The station's private key. The engine stores [`DeviceKey::to_secret_string`]
/// (protected like a password) and reloads it with [`DeviceKey::from_secret_string`].
pub struct DeviceKey {
    key: SigningKey,
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DeviceKey({}:{}, secret hidden)",
            ALG_ED25519,
            self.public_key_hex()
        )
    }
}

impl DeviceKey {
    /// A fresh key from the OS random source.
    pub fn generate() -> Result<DeviceKey, SyncError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| SyncError::Key(format!("OS random source: {e}")))?;
        Ok(DeviceKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// `ed25519:<64 hex digits of the secret seed>`.
    pub fn to_secret_string(&self) -> String {
        format!("{ALG_ED25519}:{}", to_hex(self.key.as_bytes()))
    }

    pub fn from_secret_string(s: &str) -> Result<DeviceKey, SyncError> {
        let (alg, hex) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| SyncError::Key("secret string lacks the algorithm prefix".into()))?;
        if alg != ALG_ED25519 {
            return Err(SyncError::Key(format!("unsupported key algorithm {alg:?}")));
        }
        let seed: [u8; 32] = from_hex(hex)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SyncError::Key("secret is not 32 bytes of hex".into()))?;
        Ok(DeviceKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn algorithm(&self) -> &'static str {
        ALG_ED25519
    }

    pub fn public_key_hex(&self) -> String {
        to_hex(self.key.verifying_key().as_bytes())
    }

    /// Lowercase hex signature of `message`.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        to_hex(&self.key.sign(message).to_bytes())
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
        assert!(DeviceKey::from_secret_string("ed25519:zz").is_err());
    }
}
