//! A secret signing key of a named algorithm, as both sides keep it: text
//! `alg:hex` (a key file on the county, the protected store on a station).

use std::fmt;

use ed25519_dalek::Signer;

use crate::protocol::{ALG_ED25519, from_hex};
use crate::to_hex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key text lacks the algorithm prefix (alg:hex)")]
    NoAlgorithm,
    #[error("unsupported key algorithm {0:?}")]
    Unsupported(String),
    #[error("key material is not valid for {0}")]
    Malformed(&'static str),
    #[error("OS random source: {0}")]
    Random(String),
}

/// A secret key. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct SecretKey {
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecretKey({}:{}, secret hidden)",
            self.algorithm(),
            self.public_key_hex()
        )
    }
}

impl SecretKey {
    /// A fresh key from the OS random source.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    pub fn from_ed25519(key: ed25519_dalek::SigningKey) -> SecretKey {
        SecretKey { key }
    }

    /// `alg:hex`; the inverse of [`SecretKey::to_secret_string`].
    pub fn from_secret_string(s: &str) -> Result<SecretKey, KeyError> {
        let (alg, hex) = s.trim().split_once(':').ok_or(KeyError::NoAlgorithm)?;
        if alg != ALG_ED25519 {
            return Err(KeyError::Unsupported(alg.to_owned()));
        }
        let seed: [u8; 32] = from_hex(hex)
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyError::Malformed(ALG_ED25519))?;
        Ok(SecretKey {
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    pub fn to_secret_string(&self) -> String {
        format!("{ALG_ED25519}:{}", to_hex(self.key.as_bytes()))
    }

    pub fn algorithm(&self) -> &'static str {
        ALG_ED25519
    }

    pub fn public_key_hex(&self) -> String {
        to_hex(self.key.verifying_key().as_bytes())
    }

    /// `alg:public-hex`, the text of a public key file.
    pub fn public_string(&self) -> String {
        format!("{}:{}", self.algorithm(), self.public_key_hex())
    }

    pub fn key_id(&self) -> String {
        crate::answer::key_id(self.algorithm(), &self.public_key_hex())
    }

    /// Lowercase hex signature of `message`.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        to_hex(&self.key.sign(message).to_bytes())
    }
}

/// A public key of a named algorithm, e.g. read from `alg:hex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub algorithm: String,
    /// Lowercase hex.
    pub hex: String,
}

impl PublicKey {
    pub fn parse(s: &str) -> Result<PublicKey, KeyError> {
        let (alg, hex) = s.trim().split_once(':').ok_or(KeyError::NoAlgorithm)?;
        if !crate::protocol::valid_public_key(alg, hex) {
            return Err(if alg == ALG_ED25519 {
                KeyError::Malformed(ALG_ED25519)
            } else {
                KeyError::Unsupported(alg.to_owned())
            });
        }
        Ok(PublicKey {
            algorithm: alg.to_owned(),
            hex: hex.to_ascii_lowercase(),
        })
    }

    pub fn key_id(&self) -> String {
        crate::answer::key_id(&self.algorithm, &self.hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_and_public_text_round_trip() {
        let k = SecretKey::generate().unwrap();
        let again = SecretKey::from_secret_string(&k.to_secret_string()).unwrap();
        assert_eq!(k.public_key_hex(), again.public_key_hex());
        let p = PublicKey::parse(&k.public_string()).unwrap();
        assert_eq!(p.key_id(), k.key_id());
        assert!(!format!("{k:?}").contains(&k.to_secret_string()[8..]));
        assert_eq!(
            SecretKey::from_secret_string("sm9:00").unwrap_err(),
            KeyError::Unsupported("sm9".into())
        );
        assert!(PublicKey::parse("ed25519:00").is_err());
    }
}
