//! Enrolment: one-time codes an administrator hands to a station, and the
//! device a redeemed code registers. Only a code's hash is ever stored.

use yichuang_wire::{EnrolRequest, sha256_hex, valid_public_key};

use super::Refusal;

/// No 0/O or 1/I: the code is read off paper or a phone.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Codes are compared case-insensitively and without separators.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What the storage keeps of a code.
pub fn code_hash(code: &str) -> String {
    sha256_hex(normalise_code(code).as_bytes())
}

/// A code such as `ABCD-EFGH-JKLM` from 12 random bytes.
pub fn format_code(random: [u8; 12]) -> String {
    let chars: Vec<char> = random
        .iter()
        .map(|b| CODE_ALPHABET[(*b as usize) % CODE_ALPHABET.len()] as char)
        .collect();
    let group = |g: &[char]| g.iter().collect::<String>();
    format!(
        "{}-{}-{}",
        group(&chars[0..4]),
        group(&chars[4..8]),
        group(&chars[8..12])
    )
}

/// The station a code is issued for, trimmed, by the station's own rule
/// for its code (a code for a station code no station can have would
/// never enrol).
pub fn check_station(station_code: &str) -> Result<&str, String> {
    yichuang_domain::station::check_code(station_code).map_err(|e| e.to_string())
}

/// A device to register when its code is redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub device_id: String,
    pub code_hash: String,
    pub label: String,
    pub algorithm: String,
    /// Lowercase hex.
    pub public_key: String,
}

/// Check an enrolment request and name the device it would register.
pub fn new_device(req: &EnrolRequest, device_id: String) -> Result<NewDevice, Refusal> {
    if !valid_public_key(&req.algorithm, &req.public_key) {
        return Err(Refusal::Malformed(format!(
            "public key is not a valid {} key",
            req.algorithm
        )));
    }
    Ok(NewDevice {
        device_id,
        code_hash: code_hash(&req.code),
        // Stored with the device: bounded, whoever sends it.
        label: req.label.chars().take(100).collect(),
        algorithm: req.algorithm.clone(),
        public_key: req.public_key.to_ascii_lowercase(),
    })
}

/// A fresh device id (random, so ids reveal nothing about stations).
pub fn new_device_id() -> String {
    format!("dev-{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_compared_loosely() {
        let code = format_code([0, 1, 2, 3, 31, 32, 33, 34, 255, 254, 253, 252]);
        assert_eq!(code, "ABCD-9ABC-9876");
        assert_eq!(code_hash("abcd 9abc-9876"), code_hash(&code));
        assert_ne!(code_hash("ABCD-9ABC-9877"), code_hash(&code));
        assert_eq!(check_station("  S001 "), Ok("S001"));
        assert!(check_station(" ").is_err());
        assert!(check_station("城关").is_err());
        assert!(check_station(&"A".repeat(17)).is_err());
    }

    #[test]
    fn a_device_needs_a_valid_public_key() {
        let key = yichuang_wire::to_hex(
            ed25519_dalek::SigningKey::from_bytes(&[7; 32])
                .verifying_key()
                .as_bytes(),
        )
        .to_ascii_uppercase();
        let req = EnrolRequest {
            code: "abcd-efgh-jkmn".into(),
            algorithm: "ed25519".into(),
            public_key: key.clone(),
            label: "host".into(),
        };
        let d = new_device(&req, "dev-1".into()).unwrap();
        assert_eq!(d.public_key, key.to_ascii_lowercase());
        assert_eq!(d.code_hash, code_hash("ABCDEFGHJKMN"));
        let bad = EnrolRequest {
            public_key: "zz".into(),
            ..req
        };
        assert!(matches!(
            new_device(&bad, "dev-2".into()),
            Err(Refusal::Malformed(m)) if m == "public key is not a valid ed25519 key"
        ));
        assert!(new_device_id().starts_with("dev-"));
    }
}
