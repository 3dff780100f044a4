//! A secret signing key of a named algorithm, as both sides keep it: text
//! `alg:hex` (a key file on the county, the protected store on a station).

use std::fmt;

use ed25519_dalek::Signer;

use crate::protocol::{ALG_ED25519, ALG_SM2, SM2_DISTID, from_hex};
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

/// A secret key of one suite. Its `Debug` never shows the secret.
#[derive(Clone)]
pub enum SecretKey {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
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

fn random32() -> Result<[u8; 32], KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(seed)
}

fn sm2_from_bytes(bytes: &[u8; 32]) -> Option<SecretKey> {
    sm2::dsa::SigningKey::from_slice(SM2_DISTID, bytes)
        .ok()
        .map(|k| SecretKey::Sm2(Box::new(k)))
}

impl SecretKey {
    /// A fresh Ed25519 key from the OS random source.
    pub fn generate() -> Result<SecretKey, KeyError> {
        SecretKey::generate_for(ALG_ED25519)
    }

    /// A fresh key of `algorithm` from the OS random source.
    pub fn generate_for(algorithm: &str) -> Result<SecretKey, KeyError> {
        match algorithm {
            ALG_ED25519 => Ok(SecretKey::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(&random32()?),
            ))),
            ALG_SM2 => {
                // A scalar of 0 or ≥ n is refused: draw again (it never happens in practice).
                for _ in 0..16 {
                    if let Some(k) = sm2_from_bytes(&random32()?) {
                        return Ok(k);
                    }
                }
                Err(KeyError::Random("no valid SM2 scalar drawn".into()))
            }
            other => Err(KeyError::Unsupported(other.to_owned())),
        }
    }

    pub fn from_ed25519(key: ed25519_dalek::SigningKey) -> SecretKey {
        SecretKey::Ed25519(Box::new(key))
    }

    /// `alg:hex`; the inverse of [`SecretKey::to_secret_string`].
    pub fn from_secret_string(s: &str) -> Result<SecretKey, KeyError> {
        let (alg, hex) = s.trim().split_once(':').ok_or(KeyError::NoAlgorithm)?;
        let bytes: [u8; 32] = match alg {
            ALG_ED25519 | ALG_SM2 => {
                from_hex(hex)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(KeyError::Malformed(if alg == ALG_SM2 {
                        ALG_SM2
                    } else {
                        ALG_ED25519
                    }))?
            }
            other => return Err(KeyError::Unsupported(other.to_owned())),
        };
        if alg == ALG_SM2 {
            sm2_from_bytes(&bytes).ok_or(KeyError::Malformed(ALG_SM2))
        } else {
            Ok(SecretKey::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_bytes(&bytes),
            )))
        }
    }

    pub fn to_secret_string(&self) -> String {
        match self {
            SecretKey::Ed25519(k) => format!("{ALG_ED25519}:{}", to_hex(k.as_bytes())),
            SecretKey::Sm2(k) => format!("{ALG_SM2}:{}", to_hex(&k.to_bytes())),
        }
    }

    pub fn algorithm(&self) -> &'static str {
        match self {
            SecretKey::Ed25519(_) => ALG_ED25519,
            SecretKey::Sm2(_) => ALG_SM2,
        }
    }

    /// Ed25519: 32 bytes; SM2: the SEC1 point.
    pub fn public_key_hex(&self) -> String {
        match self {
            SecretKey::Ed25519(k) => to_hex(k.verifying_key().as_bytes()),
            SecretKey::Sm2(k) => to_hex(&k.verifying_key().to_sec1_bytes()),
        }
    }

    /// `alg:public-hex`, the text of a public key file.
    pub fn public_string(&self) -> String {
        format!("{}:{}", self.algorithm(), self.public_key_hex())
    }

    pub fn key_id(&self) -> String {
        crate::answer::key_id(self.algorithm(), &self.public_key_hex())
    }

    /// Lowercase hex signature of `message` (64 bytes: Ed25519, or SM2's r‖s).
    pub fn sign_hex(&self, message: &[u8]) -> String {
        match self {
            SecretKey::Ed25519(k) => to_hex(&k.sign(message).to_bytes()),
            SecretKey::Sm2(k) => {
                let sig: sm2::dsa::Signature = sm2::dsa::signature::Signer::sign(&**k, message);
                to_hex(&sig.to_bytes())
            }
        }
    }

    /// The digest of `bytes` in this key's suite (SHA-256 or SM3).
    pub fn digest_hex(&self, bytes: &[u8]) -> String {
        crate::digest_hex(self.algorithm(), bytes)
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
            return Err(match alg {
                ALG_ED25519 => KeyError::Malformed(ALG_ED25519),
                ALG_SM2 => KeyError::Malformed(ALG_SM2),
                _ => KeyError::Unsupported(alg.to_owned()),
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

    #[test]
    fn sm2_keys_sign_and_verify_with_sm3() {
        let k = SecretKey::generate_for(ALG_SM2).unwrap();
        assert_eq!(k.algorithm(), ALG_SM2);
        let again = SecretKey::from_secret_string(&k.to_secret_string()).unwrap();
        assert_eq!(again.public_key_hex(), k.public_key_hex());
        let sig = k.sign_hex(b"yichuang");
        crate::verify_signature(ALG_SM2, &k.public_key_hex(), b"yichuang", &sig).unwrap();
        assert!(crate::verify_signature(ALG_SM2, &k.public_key_hex(), b"yichuanG", &sig).is_err());
        // Another suite's verifier refuses it.
        assert!(
            crate::verify_signature(ALG_ED25519, &k.public_key_hex(), b"yichuang", &sig).is_err()
        );
        assert!(PublicKey::parse(&k.public_string()).is_ok());
        // SM3 of "abc" (GB/T 32905 example).
        assert_eq!(
            crate::digest_hex(ALG_SM2, b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }
}
