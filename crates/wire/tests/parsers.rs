//! Property tests of every parser of `yichuang-wire` on the station <-> county
//! path: hostile bytes and JSON never panic, and each parser keeps its
//! stated contract (what it accepts, what it round-trips, what it refuses).
//!
//! Smoke size in the normal `cargo test` (256 cases, or `PROPTEST_CASES`).

use proptest::prelude::*;
use proptest::sample::Index;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use yichuang_wire::{
    CODE_ALPHABET, CODE_SECRET_CHARS, ChainError, ChainVerifier, EnrolRequest, EnrolResponse,
    ErrorBody, Event, FINGERPRINT_CHARS, GENESIS_HASH, HeadResponse, KeyError, PublicKey,
    QuarantineNotice, ReleaseList, ReleaseManifest, RequestBinding, SecretKey, SignatureError,
    UploadAck, UploadBatch, canonical_answer, canonical_request, chain_hash, format_enrolment_code,
    from_hex, line_token, split_enrolment_code, to_hex, valid_public_key, verify_signature,
};

fn config() -> ProptestConfig {
    // `default()` reads PROPTEST_CASES; 256 otherwise.
    ProptestConfig::default()
}

/// A `div`-th of the configured cases, for properties that are slow unoptimised.
fn config_scaled(div: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: (base.cases / div).max(1),
        ..base
    }
}

// ---------------------------------------------------------------- strategies

/// Strings a hostile peer might send: anything, plus NUL, newlines, unicode.
fn hostile_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-z0-9._-]{0,12}",
        1 => Just(String::new()),
        1 => "[\\x00\\n\\r \\t\u{feff}\u{202e}一窗]{1,6}",
        1 => "[0-9a-f]{64}",
        1 => Just(GENESIS_HASH.to_owned()),
    ]
    .boxed()
}

fn edge_u64() -> BoxedStrategy<u64> {
    prop_oneof![
        4 => any::<u64>(),
        2 => 0u64..10,
        1 => Just(u64::MAX),
        1 => Just(i64::MAX as u64),
        1 => Just(i64::MAX as u64 + 1),
    ]
    .boxed()
}

fn edge_i64() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => any::<i64>(),
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
        1 => Just(0i64),
        1 => Just(-1i64),
    ]
    .boxed()
}

fn json_number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN / inf become null
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(i32::MIN)),
        Just(Value::from(u32::MAX)),
        Just(Value::from(0)),
        Just(Value::from(-1)),
        Just(Value::from(1.5)),
    ]
    .boxed()
}

/// Field names of the protocol types: objects built from them reach deeper
/// into the deserialisers than random keys do.
const FIELD_NAMES: &[&str] = &[
    "log_id",
    "seq",
    "event_id",
    "kind",
    "schema_version",
    "device_time",
    "payload",
    "prev_hash",
    "hash",
    "events",
    "code",
    "algorithm",
    "public_key",
    "label",
    "device_id",
    "station_code",
    "release_key_algorithm",
    "release_public_key",
    "answer_key_algorithm",
    "answer_public_key",
    "server_time_ms",
    "acked_seq",
    "acked_hash",
    "stored",
    "quarantined",
    "reason",
    "head_seq",
    "head_hash",
    "releases",
    "version",
    "sha256",
    "size",
    "signature",
    "published_at_ms",
    "message",
    "message_zh",
    "expected_seq",
];

fn json_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
    .boxed()
}

/// Arbitrary JSON trees.
fn arb_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

fn arb_event() -> BoxedStrategy<Event> {
    (
        hostile_string(),
        edge_u64(),
        hostile_string(),
        hostile_string(),
        any::<u32>(),
        hostile_string(),
        hostile_string(),
        hostile_string(),
        hostile_string(),
    )
        .prop_map(
            |(log_id, seq, event_id, kind, schema_version, device_time, payload, prev, hash)| {
                Event {
                    log_id,
                    seq,
                    event_id,
                    kind,
                    schema_version,
                    device_time,
                    payload,
                    prev_hash: prev,
                    hash,
                }
            },
        )
        .boxed()
}

fn arb_upload_batch() -> BoxedStrategy<UploadBatch> {
    (hostile_string(), prop::collection::vec(arb_event(), 0..4))
        .prop_map(|(log_id, events)| UploadBatch {
            log_id,
            station_head_seq: None,
            events,
        })
        .boxed()
}

fn arb_enrol_request() -> BoxedStrategy<EnrolRequest> {
    (
        hostile_string(),
        hostile_string(),
        hostile_string(),
        hostile_string(),
    )
        .prop_map(|(code, algorithm, public_key, label)| EnrolRequest {
            code,
            algorithm,
            public_key,
            label,
        })
        .boxed()
}

fn arb_enrol_response() -> BoxedStrategy<EnrolResponse> {
    (
        (hostile_string(), hostile_string(), hostile_string()),
        (hostile_string(), hostile_string(), hostile_string()),
        edge_i64(),
    )
        .prop_map(|((d, s, ra), (rk, aa, ak), t)| EnrolResponse {
            device_id: d,
            station_code: s,
            release_key_algorithm: ra,
            release_public_key: rk,
            answer_key_algorithm: aa,
            answer_public_key: ak,
            server_time_ms: t,
        })
        .boxed()
}

fn arb_manifest() -> BoxedStrategy<ReleaseManifest> {
    (
        (hostile_string(), hostile_string(), hostile_string()),
        edge_u64(),
        (hostile_string(), hostile_string()),
        edge_i64(),
    )
        .prop_map(
            |((kind, version, sha256), size, (algorithm, signature), t)| ReleaseManifest {
                kind,
                version,
                sha256,
                size,
                algorithm,
                signature,
                published_at_ms: t,
            },
        )
        .boxed()
}

fn arb_release_list() -> BoxedStrategy<ReleaseList> {
    (prop::collection::vec(arb_manifest(), 0..4), edge_i64())
        .prop_map(|(releases, server_time_ms)| ReleaseList {
            releases,
            server_time_ms,
        })
        .boxed()
}

fn arb_upload_ack() -> BoxedStrategy<UploadAck> {
    (
        edge_u64(),
        hostile_string(),
        edge_i64(),
        edge_u64(),
        prop::collection::vec(
            (edge_u64(), hostile_string(), hostile_string())
                .prop_map(|(seq, kind, reason)| QuarantineNotice { seq, kind, reason }),
            0..3,
        ),
    )
        .prop_map(
            |(acked_seq, acked_hash, server_time_ms, stored, quarantined)| UploadAck {
                acked_seq,
                acked_hash,
                server_time_ms,
                stored,
                quarantined,
            },
        )
        .boxed()
}

fn arb_head() -> BoxedStrategy<HeadResponse> {
    (
        prop::option::of(hostile_string()),
        edge_u64(),
        hostile_string(),
        edge_i64(),
    )
        .prop_map(
            |(log_id, head_seq, head_hash, server_time_ms)| HeadResponse {
                log_id,
                head_seq,
                head_hash,
                server_time_ms,
            },
        )
        .boxed()
}

fn arb_error_body() -> BoxedStrategy<ErrorBody> {
    (
        (hostile_string(), hostile_string(), hostile_string()),
        (
            prop::option::of(edge_u64()),
            prop::option::of(hostile_string()),
            prop::option::of(edge_u64()),
        ),
        edge_i64(),
    )
        .prop_map(
            |((code, message, message_zh), (expected_seq, head_hash, seq), t)| ErrorBody {
                code,
                message,
                message_zh,
                expected_seq,
                head_hash,
                seq,
                server_time_ms: t,
            },
        )
        .boxed()
}

/// A valid document of one of the protocol types, as JSON.
fn valid_document() -> BoxedStrategy<Value> {
    fn v<T: Serialize>(t: T) -> Value {
        serde_json::to_value(t).expect("protocol types serialise")
    }
    prop_oneof![
        arb_upload_batch().prop_map(v),
        arb_enrol_request().prop_map(v),
        arb_enrol_response().prop_map(v),
        arb_release_list().prop_map(v),
        arb_upload_ack().prop_map(v),
        arb_head().prop_map(v),
        arb_error_body().prop_map(v),
        arb_event().prop_map(v),
        arb_manifest().prop_map(v),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Edit {
    /// Replace the node at the path with this value.
    Replace(Value),
    /// Remove the node at the path from its parent (a missing field).
    Remove,
    /// Add a key to the object at the path (an unknown or duplicate field).
    AddKey(String, Value),
}

fn arb_edit() -> BoxedStrategy<Edit> {
    prop_oneof![
        4 => arb_json().prop_map(Edit::Replace),
        1 => Just(Edit::Remove),
        1 => (json_key(), arb_json()).prop_map(|(k, v)| Edit::AddKey(k, v)),
    ]
    .boxed()
}

/// Apply `edit` at a node chosen by `path` (each index picks a child; the
/// walk stops early at a leaf or when an index says so).
fn mutate(doc: &mut Value, path: &[Index], stop: usize, edit: Edit) {
    fn children(v: &Value) -> usize {
        match v {
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            _ => 0,
        }
    }
    let depth = stop.min(path.len());
    let mut node = doc;
    for (i, ix) in path.iter().take(depth).enumerate() {
        let n = children(node);
        if n == 0 {
            break;
        }
        let k = ix.index(n);
        let last = i + 1 == depth;
        if last && matches!(edit, Edit::Remove) {
            match node {
                Value::Array(a) => {
                    a.remove(k);
                }
                Value::Object(o) => {
                    let key = o.keys().nth(k).cloned().unwrap_or_default();
                    o.remove(&key);
                }
                _ => {}
            }
            return;
        }
        node = match node {
            Value::Array(a) => &mut a[k],
            Value::Object(o) => o.values_mut().nth(k).expect("k < len"),
            _ => unreachable!("children() > 0"),
        };
    }
    match edit {
        Edit::Replace(v) => *node = v,
        Edit::Remove => *node = Value::Null,
        Edit::AddKey(k, v) => {
            if let Value::Object(o) = node {
                o.insert(k, v);
            } else {
                *node = Value::Object([(k, v)].into_iter().collect());
            }
        }
    }
}

fn mutated_document() -> BoxedStrategy<Vec<u8>> {
    (
        valid_document(),
        prop::collection::vec(any::<Index>(), 1..5),
        0usize..5,
        arb_edit(),
        any::<bool>(),
    )
        .prop_map(|(mut doc, path, stop, edit, pretty)| {
            mutate(&mut doc, &path, stop, edit);
            if pretty {
                serde_json::to_vec_pretty(&doc).expect("values serialise")
            } else {
                serde_json::to_vec(&doc).expect("values serialise")
            }
        })
        .boxed()
}

/// Bytes near JSON: arbitrary bytes, arbitrary JSON, mutated valid documents,
/// and truncations or byte flips of those.
fn hostile_body() -> BoxedStrategy<Vec<u8>> {
    let base = prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..256),
        2 => arb_json().prop_map(|v| serde_json::to_vec(&v).expect("values serialise")),
        4 => mutated_document(),
    ];
    (base, any::<Index>(), any::<u8>(), 0u8..4)
        .prop_map(|(mut b, at, byte, how)| {
            if !b.is_empty() {
                let i = at.index(b.len());
                match how {
                    0 => b.truncate(i),
                    1 => b[i] = byte,
                    2 => b.insert(i, byte),
                    _ => {}
                }
            }
            b
        })
        .boxed()
}

/// `from_slice::<T>` never panics, and whatever it accepts survives a round trip.
fn parses_or_refuses<T>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(t) = serde_json::from_slice::<T>(bytes) {
        let again: T = serde_json::from_slice(&serde_json::to_vec(&t).expect("serialises"))
            .map_err(|e| TestCaseError::fail(format!("accepted value does not re-parse: {e}")))?;
        prop_assert_eq!(again, t);
    }
    Ok(())
}

fn every_protocol_type(bytes: &[u8]) -> Result<(), TestCaseError> {
    parses_or_refuses::<UploadBatch>(bytes)?;
    parses_or_refuses::<Event>(bytes)?;
    parses_or_refuses::<EnrolRequest>(bytes)?;
    parses_or_refuses::<EnrolResponse>(bytes)?;
    parses_or_refuses::<UploadAck>(bytes)?;
    parses_or_refuses::<QuarantineNotice>(bytes)?;
    parses_or_refuses::<HeadResponse>(bytes)?;
    parses_or_refuses::<ReleaseManifest>(bytes)?;
    parses_or_refuses::<ReleaseList>(bytes)?;
    parses_or_refuses::<ErrorBody>(bytes)?;
    Ok(())
}

/// A deterministic key from a seed (the tests need real keys, not the OS RNG).
fn key_from_seed(seed: [u8; 32]) -> SecretKey {
    SecretKey::from_secret_string(&format!("ed25519:{}", to_hex(&seed))).expect("32-byte seed")
}

// ---------------------------------------------------------------- JSON bodies

proptest! {
    #![proptest_config(config())]

    #[test]
    fn protocol_types_survive_hostile_bytes(bytes in hostile_body()) {
        every_protocol_type(&bytes)?;
    }

    #[test]
    fn protocol_types_survive_arbitrary_json(v in arb_json()) {
        every_protocol_type(&serde_json::to_vec(&v).expect("values serialise"))?;
    }

}

proptest! {
    // Seven documents a case: half the cases.
    #![proptest_config(config_scaled(2))]

    #[test]
    fn valid_documents_round_trip_exactly(
        batch in arb_upload_batch(),
        req in arb_enrol_request(),
        resp in arb_enrol_response(),
        list in arb_release_list(),
        ack in arb_upload_ack(),
        head in arb_head(),
        err in arb_error_body(),
    ) {
        fn rt<T>(t: &T) -> Result<(), TestCaseError>
        where
            T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
        {
            let bytes = serde_json::to_vec(t).expect("serialises");
            let back: T = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("valid document refused: {e}")))?;
            prop_assert_eq!(&back, t);
            Ok(())
        }
        rt(&batch)?;
        rt(&req)?;
        rt(&resp)?;
        rt(&list)?;
        rt(&ack)?;
        rt(&head)?;
        rt(&err)?;
    }

}

proptest! {
    #![proptest_config(config())]

    /// A required field missing or of the wrong JSON type is refused, never
    /// defaulted (an ack without `acked_seq` must not read as 0).
    #[test]
    fn a_required_field_missing_or_mistyped_is_refused(
        ack in arb_upload_ack(),
        field in 0usize..3,
        pick in any::<Index>(),
        remove in any::<bool>(),
    ) {
        let common = || vec![
            Value::Null,
            Value::Bool(true),
            Value::Array(vec![]),
            Value::Object(Default::default()),
        ];
        let (name, mut wrong) = match field {
            0 => ("acked_seq", common()),
            1 => ("acked_hash", common()),
            _ => ("server_time_ms", common()),
        };
        match field {
            0 => wrong.extend([Value::from(-1), Value::from(1.5), Value::from("7")]),
            1 => wrong.extend([Value::from(7), Value::from(-1.5)]),
            _ => wrong.extend([Value::from(1.5), Value::from("7"), Value::from(u64::MAX)]),
        }
        let mut v = serde_json::to_value(&ack).expect("serialises");
        let o = v.as_object_mut().expect("struct is an object");
        if remove {
            o.remove(name);
        } else {
            o.insert(name.to_owned(), wrong[pick.index(wrong.len())].clone());
        }
        let bytes = serde_json::to_vec(&v).expect("serialises");
        prop_assert!(
            serde_json::from_slice::<UploadAck>(&bytes).is_err(),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

// ---------------------------------------------------------------- hex

proptest! {
    #![proptest_config(config())]

    #[test]
    fn from_hex_is_some_iff_even_length_and_all_hex(
        s in prop_oneof![
            any::<String>(),
            "[0-9a-fA-F]{0,70}",
            "[0-9a-fA-F]{0,20}[g-zG-Z \\x00\u{e9}\u{4e00}][0-9a-fA-F]{0,20}",
        ]
    ) {
        let expect = s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let got = from_hex(&s);
        prop_assert_eq!(got.is_some(), expect, "{:?}", s);
        if let Some(b) = got {
            prop_assert_eq!(b.len(), s.len() / 2);
            prop_assert_eq!(to_hex(&b), s.to_ascii_lowercase());
        }
    }

    #[test]
    fn to_hex_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let h = to_hex(&bytes);
        prop_assert_eq!(h.len(), bytes.len() * 2);
        prop_assert!(h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        prop_assert_eq!(from_hex(&h), Some(bytes.clone()));
        prop_assert_eq!(from_hex(&h.to_ascii_uppercase()), Some(bytes));
    }
}

// ---------------------------------------------------------------- keys and signatures

fn key_text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[0-9a-f]{64}",
        1 => "[0-9a-fA-F]{0,70}",
        1 => any::<[u8; 32]>().prop_map(|s| key_from_seed(s).public_key_hex()),
        1 => any::<[u8; 32]>().prop_map(|s| key_from_seed(s).public_key_hex().to_ascii_uppercase()),
    ]
    .boxed()
}

fn sig_text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[0-9a-f]{128}",
        1 => "[0-9a-fA-F]{0,140}",
        1 => Just("0".repeat(128)),
        1 => Just("f".repeat(128)),
    ]
    .boxed()
}

fn alg_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just("ed25519".to_owned()),
        1 => Just("ED25519".to_owned()),
        1 => Just("sm2".to_owned()),
        1 => any::<String>(),
    ]
    .boxed()
}

/// The algorithms implemented or planned (国密 SM2 may come as a second
/// value); properties about refusing unknown algorithms use other names.
const KNOWN_ALGORITHMS: &[&str] = &["ed25519", "sm2"];

/// Small-order points (weak keys) and an off-curve encoding: never valid.
const WEAK_KEYS: &[&str] = &[
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_signatures_never_verify(
        alg in alg_text(),
        key in key_text(),
        msg in prop::collection::vec(any::<u8>(), 0..128),
        sig in sig_text(),
    ) {
        let r = verify_signature(&alg, &key, &msg, &sig);
        prop_assert!(r.is_err(), "random signature verified: {alg:?} {key:?} {sig:?}");
        // Which of two malformed inputs is named first is not specified.
        if !KNOWN_ALGORITHMS.contains(&alg.as_str()) {
            prop_assert!(
                matches!(&r, Err(SignatureError::UnsupportedAlgorithm(a)) if *a == alg)
                    || r == Err(SignatureError::BadSignatureEncoding),
                "{:?}",
                r
            );
        } else if alg == "ed25519" && from_hex(&key).is_none_or(|k| k.len() != 32) {
            prop_assert!(
                matches!(r, Err(SignatureError::BadKey | SignatureError::BadSignatureEncoding)),
                "{:?}",
                r
            );
        }
    }

    #[test]
    fn valid_public_key_accepts_only_32_byte_ed25519_keys(alg in alg_text(), key in key_text()) {
        let ok = valid_public_key(&alg, &key);
        if ok {
            prop_assert!(KNOWN_ALGORITHMS.contains(&alg.as_str()), "{:?}", alg);
            prop_assert!(from_hex(&key).is_some());
        }
        if ok && alg == "ed25519" {
            prop_assert_eq!(from_hex(&key).map(|b| b.len()), Some(32));
            prop_assert!(!WEAK_KEYS.contains(&key.to_ascii_lowercase().as_str()));
        }
    }

    #[test]
    fn secret_key_text_parses_only_ed25519_seeds(
        s in prop_oneof![
            any::<String>(),
            "[ \\t]{0,2}ed25519:[0-9a-fA-F]{62,66}[ \\n]{0,2}",
            "(ed25519|sm2|ED25519|)?:?[0-9a-f]{0,70}",
        ]
    ) {
        match SecretKey::from_secret_string(&s) {
            Ok(k) => {
                let (alg, hex) = s.trim().split_once(':').expect("accepted: has a prefix");
                prop_assert!(KNOWN_ALGORITHMS.contains(&alg), "{:?}", alg);
                prop_assert_eq!(k.algorithm(), alg);
                if alg == "ed25519" {
                    prop_assert_eq!(k.to_secret_string(), format!("{alg}:{}", hex.to_ascii_lowercase()));
                }
                let again = SecretKey::from_secret_string(&k.to_secret_string())
                    .map_err(|e| TestCaseError::fail(format!("own text refused: {e}")))?;
                prop_assert_eq!(again.public_key_hex(), k.public_key_hex());
                prop_assert!(valid_public_key(alg, &k.public_key_hex()));
                let shown = format!("{k:?}");
                prop_assert!(!shown.contains(&hex.to_ascii_lowercase()));
            }
            Err(KeyError::NoAlgorithm) => prop_assert!(!s.trim().contains(':')),
            Err(KeyError::Unsupported(a)) => prop_assert_ne!(a.as_str(), "ed25519"),
            Err(KeyError::Malformed(_)) => {
                let (alg, hex) = s.trim().split_once(':').unwrap_or(("", ""));
                if alg == "ed25519" {
                    prop_assert!(from_hex(hex).is_none_or(|b| b.len() != 32));
                }
            }
            Err(KeyError::Random(e)) => prop_assert!(false, "parsing used the RNG: {e}"),
        }
    }

    #[test]
    fn public_key_text_parses_only_valid_keys(
        s in prop_oneof![
            any::<String>(),
            key_text().prop_map(|k| format!("ed25519:{k}")),
            (alg_text(), key_text()).prop_map(|(a, k)| format!(" {a}:{k}\n")),
            prop::sample::select(WEAK_KEYS).prop_map(|k| format!("ed25519:{k}")),
        ]
    ) {
        match PublicKey::parse(&s) {
            Ok(p) => {
                let (alg, hex) = s.trim().split_once(':').expect("accepted: has a prefix");
                prop_assert!(valid_public_key(alg, hex));
                prop_assert_eq!(p.algorithm.as_str(), alg);
                prop_assert_eq!(p.hex, hex.to_ascii_lowercase());
            }
            Err(_) => {
                let parts = s.trim().split_once(':');
                prop_assert!(parts.is_none_or(|(a, h)| !valid_public_key(a, h)));
            }
        }
    }

    #[test]
    fn key_text_round_trips(seed in any::<[u8; 32]>()) {
        let k = key_from_seed(seed);
        let again = SecretKey::from_secret_string(&k.to_secret_string()).expect("own text");
        prop_assert_eq!(again.public_key_hex(), k.public_key_hex());
        let p = PublicKey::parse(&k.public_string()).expect("own public text");
        prop_assert_eq!(p.key_id(), k.key_id());
        prop_assert_eq!(p.key_id().len(), 32);
    }
}

proptest! {
    // Ed25519 is slow unoptimised: an eighth of the cases.
    #![proptest_config(config_scaled(8))]

    #[test]
    fn real_signatures_verify_and_any_change_breaks_them(
        seed in any::<[u8; 32]>(),
        msg in prop::collection::vec(any::<u8>(), 0..128),
        flip_msg in any::<Index>(),
        flip_sig in any::<Index>(),
        bit in 0u8..8,
    ) {
        let k = key_from_seed(seed);
        let pk = k.public_key_hex();
        let sig = k.sign_hex(&msg);
        prop_assert!(valid_public_key("ed25519", &pk.to_ascii_uppercase()));
        prop_assert_eq!(verify_signature("ed25519", &pk, &msg, &sig), Ok(()));
        if !msg.is_empty() {
            let mut m = msg.clone();
            m[flip_msg.index(msg.len())] ^= 1 << bit;
            prop_assert_eq!(verify_signature("ed25519", &pk, &m, &sig), Err(SignatureError::Invalid));
        }
        let mut s = from_hex(&sig).expect("own hex");
        let i = flip_sig.index(s.len());
        s[i] ^= 1 << bit;
        prop_assert!(verify_signature("ed25519", &pk, &msg, &to_hex(&s)).is_err());
        // Another key never verifies it.
        prop_assert!(verify_signature("ed25519", other_key(), &msg, &sig).is_err());
        prop_assert_eq!(
            verify_signature("ed25519", &pk, &msg, &sig[..126]),
            Err(SignatureError::BadSignatureEncoding)
        );
    }
}

fn other_key() -> &'static str {
    static K: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    K.get_or_init(|| key_from_seed([9; 32]).public_key_hex())
}

#[test]
fn weak_keys_are_refused() {
    for k in WEAK_KEYS {
        assert!(!valid_public_key("ed25519", k), "{k}");
        assert!(PublicKey::parse(&format!("ed25519:{k}")).is_err(), "{k}");
    }
}

// ---------------------------------------------------------------- enrolment codes

fn code_char() -> BoxedStrategy<char> {
    prop::sample::select(CODE_ALPHABET)
        .prop_map(char::from)
        .boxed()
}

/// A code as an admin might type it: alphabet letters, any case, separators.
fn near_code() -> BoxedStrategy<String> {
    (
        prop::collection::vec(
            (
                code_char(),
                any::<bool>(),
                prop::sample::select(&["", "", "-", " ", "\n", "_", "一"][..]),
            ),
            26..31,
        ),
        prop::option::of((
            any::<Index>(),
            prop::sample::select(&['0', 'O', '1', 'I', 'é'][..]),
        )),
    )
        .prop_map(|(chars, swap)| {
            let mut out: Vec<String> = chars
                .into_iter()
                .map(|(c, lower, sep)| {
                    let c = if lower { c.to_ascii_lowercase() } else { c };
                    format!("{c}{sep}")
                })
                .collect();
            if let Some((at, c)) = swap {
                let i = at.index(out.len());
                out[i] = c.to_string();
            }
            out.concat()
        })
        .boxed()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn enrolment_codes_split_into_secret_and_fingerprint(
        s in prop_oneof![any::<String>(), near_code()]
    ) {
        let norm: String = s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let whole = CODE_SECRET_CHARS + FINGERPRINT_CHARS;
        let complete = norm.len() == whole && norm.bytes().all(|b| CODE_ALPHABET.contains(&b));
        let got = split_enrolment_code(&s);
        if complete {
            let (secret, fp) = norm.split_at(CODE_SECRET_CHARS);
            prop_assert_eq!(got.clone(), Some((secret.to_owned(), fp.to_owned())), "{:?}", s);
        }
        if let Some((secret, fp)) = got {
            prop_assert_eq!(secret.len(), CODE_SECRET_CHARS);
            prop_assert_eq!(fp.len(), FINGERPRINT_CHARS);
            prop_assert!(secret.bytes().chain(fp.bytes()).all(|b| CODE_ALPHABET.contains(&b)));
            // The secret and fingerprint are the code's last 28 characters;
            // anything before them is a suite prefix (a 国密 county's `GM`).
            prop_assert!(norm.ends_with(&format!("{secret}{fp}")), "{:?}", s);
            prop_assert!(norm.len() == whole || norm.len() == whole + 2 && norm.starts_with("GM"), "{:?}", s);
            let formatted = format_enrolment_code(&secret, &fp);
            prop_assert_eq!(formatted.len(), 28 + 6);
            prop_assert_eq!(split_enrolment_code(&formatted), Some((secret, fp)));
        }
    }

    #[test]
    fn formatted_codes_always_split_back(
        secret in prop::collection::vec(code_char(), CODE_SECRET_CHARS),
        fp in prop::collection::vec(code_char(), FINGERPRINT_CHARS),
    ) {
        let secret: String = secret.into_iter().collect();
        let fp: String = fp.into_iter().collect();
        let code = format_enrolment_code(&secret, &fp);
        prop_assert_eq!(split_enrolment_code(&code), Some((secret.clone(), fp.clone())));
        prop_assert_eq!(split_enrolment_code(&code.to_ascii_lowercase()), Some((secret, fp)));
    }
}

// ---------------------------------------------------------------- canonical strings

fn token() -> BoxedStrategy<String> {
    "[!-~]{1,20}".boxed()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn line_token_never_breaks_a_line(v in prop::option::of(hostile_string()), max in 0usize..80) {
        let t = line_token(v.as_deref(), max);
        prop_assert!(t == "-" || Some(t) == v.as_deref(), "{:?} -> {:?}", v, t);
        prop_assert!(!t.is_empty());
        prop_assert!(!t.contains('\n') && !t.contains(' ') && !t.contains('\r'));
        prop_assert!(t.bytes().all(|b| b.is_ascii_graphic()));
        prop_assert!(t == "-" || t.len() <= max);
        if let Some(s) = v.as_deref()
            && !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
        {
            prop_assert_eq!(t, s);
        }
    }

    #[test]
    fn canonical_strings_take_arbitrary_parts(
        parts in prop::collection::vec(hostile_string(), 8),
        status in any::<u16>(),
        time in edge_i64(),
    ) {
        let req = RequestBinding {
            device_id: &parts[0],
            method: &parts[1],
            path: &parts[2],
            nonce: &parts[3],
            body_sha256: &parts[4],
        };
        let a = canonical_answer(&parts[5], &parts[6], &req, status, time, &parts[7]);
        prop_assert!(a.starts_with("yichuang-answer-v1\n"));
        let tail = format!("\n{status}\n{time}\n{}", parts[7]);
        prop_assert!(a.ends_with(&tail));
        let r = canonical_request(&parts[5], &parts[0], &parts[1], &parts[2], time, &parts[3], &parts[4]);
        prop_assert!(r.starts_with("yichuang-request-v1\n"));
    }

    /// With every part a line token, each part is exactly one line, so two
    /// different requests or answers never share a canonical string.
    #[test]
    fn canonical_strings_of_tokens_are_one_part_per_line(
        a in prop::collection::vec(token(), 8),
        b in prop::collection::vec(token(), 8),
        sa in any::<u16>(),
        sb in any::<u16>(),
        ta in edge_i64(),
        tb in edge_i64(),
        same in any::<bool>(),
    ) {
        let (b, sb, tb) = if same { (a.clone(), sa, ta) } else { (b, sb, tb) };
        let bind = |p: &[String]| -> (String, String) {
            let req = RequestBinding {
                device_id: line_token(Some(&p[0]), 100),
                method: &p[1],
                path: line_token(Some(&p[2]), 512),
                nonce: line_token(Some(&p[3]), 64),
                body_sha256: line_token(Some(&p[4]), 64),
            };
            (
                canonical_answer(&p[5], &p[6], &req, 0, 0, &p[7]),
                canonical_request(&p[5], &p[0], &p[1], &p[2], 0, &p[3], &p[4]),
            )
        };
        let (ans_a, req_a) = bind(&a);
        let lines: Vec<&str> = ans_a.split('\n').collect();
        prop_assert_eq!(lines.len(), 11);
        let upper = a[1].to_ascii_uppercase();
        prop_assert_eq!(&lines[1..8], &[&a[5], &a[6], &a[0], &upper, &a[2], &a[3], &a[4]].map(String::as_str)[..]);
        prop_assert_eq!(lines[10], a[7].as_str());
        let rlines: Vec<&str> = req_a.split('\n').collect();
        prop_assert_eq!(rlines.len(), 8);
        prop_assert_eq!(&rlines[1..5], &[&a[5], &a[0], &upper, &a[2]].map(String::as_str)[..]);

        let key = |p: &[String], s: u16, t: i64| {
            let mut p = p.to_vec();
            p[1] = p[1].to_ascii_uppercase();
            (p, s, t)
        };
        let full = |p: &[String], s: u16, t: i64| {
            let req = RequestBinding {
                device_id: &p[0],
                method: &p[1],
                path: &p[2],
                nonce: &p[3],
                body_sha256: &p[4],
            };
            canonical_answer(&p[5], &p[6], &req, s, t, &p[7])
        };
        let differ = key(&a, sa, ta) != key(&b, sb, tb);
        prop_assert_eq!(full(&a, sa, ta) != full(&b, sb, tb), differ);
    }
}

// ---------------------------------------------------------------- the chain

fn arb_fields() -> BoxedStrategy<(String, String, String, u32, String, String)> {
    (
        hostile_string(),
        hostile_string(),
        hostile_string(),
        any::<u32>(),
        hostile_string(),
        hostile_string(),
    )
        .boxed()
}

/// A valid chain of `log` from seq 1, with arbitrary contents.
fn valid_chain() -> BoxedStrategy<(String, Vec<Event>)> {
    (hostile_string(), prop::collection::vec(arb_fields(), 1..6))
        .prop_map(|(log, fields)| {
            let mut prev = GENESIS_HASH.to_owned();
            let events = fields
                .into_iter()
                .enumerate()
                .map(
                    |(i, (event_id, kind, device_time, schema_version, payload, _))| {
                        let mut e = Event {
                            log_id: log.clone(),
                            seq: i as u64 + 1,
                            event_id,
                            kind,
                            schema_version,
                            device_time,
                            payload,
                            prev_hash: prev.clone(),
                            hash: String::new(),
                        };
                        e.hash = chain_hash(&e.prev_hash, &e.fields());
                        prev = e.hash.clone();
                        e
                    },
                )
                .collect();
            (log, events)
        })
        .boxed()
}

/// Change one field of an event to a different value.
fn flip(e: &mut Event, field: u8, other: &str, delta: u64) {
    let differ = |old: &str| {
        if other == old {
            format!("{old}x")
        } else {
            other.to_owned()
        }
    };
    let delta = delta.max(1);
    match field {
        0 => e.log_id = differ(&e.log_id),
        1 => e.seq = e.seq.wrapping_add(delta),
        2 => e.event_id = differ(&e.event_id),
        3 => e.kind = differ(&e.kind),
        4 => e.schema_version = e.schema_version.wrapping_add(delta as u32 | 1),
        5 => e.device_time = differ(&e.device_time),
        6 => e.payload = differ(&e.payload),
        7 => e.prev_hash = differ(&e.prev_hash),
        _ => e.hash = differ(&e.hash),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary events never panic the verifier, and it accepts an event
    /// only if it is exactly the next link.
    #[test]
    fn chain_verifier_accepts_only_the_next_link(
        log in hostile_string(),
        events in prop::collection::vec(arb_event(), 0..8),
        use_log in prop::collection::vec(any::<bool>(), 8),
    ) {
        let mut v = ChainVerifier::new(&log);
        let (mut next, mut prev) = (1u64, GENESIS_HASH.to_owned());
        for (mut e, own) in events.into_iter().zip(use_log) {
            if own {
                e.log_id = log.clone();
            }
            let should = e.log_id == log
                && e.seq == next
                && e.prev_hash == prev
                && chain_hash(&e.prev_hash, &e.fields()) == e.hash;
            let got = v.push(&e);
            prop_assert_eq!(got.is_ok(), should);
            if let Err(err) = got {
                prop_assert_eq!(err.seq(), e.seq);
                // A refused event changes nothing.
                prop_assert_eq!(v.last_seq(), next - 1);
                prop_assert_eq!(v.last_hash(), prev.as_str());
            } else {
                next += 1;
                prev = e.hash.clone();
            }
        }
    }

    #[test]
    fn a_valid_chain_verifies_and_any_flipped_field_fails_at_its_seq(
        (log, chain) in valid_chain(),
        at in any::<Index>(),
        field in 0u8..9,
        other in hostile_string(),
        delta in any::<u64>(),
    ) {
        let mut v = ChainVerifier::new(&log);
        for e in &chain {
            prop_assert_eq!(v.push(e), Ok(()));
        }
        prop_assert_eq!(v.last_seq(), chain.len() as u64);
        prop_assert_eq!(v.last_hash(), chain[chain.len() - 1].hash.as_str());

        let i = at.index(chain.len());
        let mut bad = chain.clone();
        flip(&mut bad[i], field, &other, delta);
        let mut v = ChainVerifier::new(&log);
        for e in &bad[..i] {
            prop_assert_eq!(v.push(e), Ok(()));
        }
        let seq = i as u64 + 1;
        let err = v.push(&bad[i]).expect_err("a flipped field must fail");
        match field {
            0 => prop_assert!(matches!(err, ChainError::WrongLog { seq: s, .. } if s == seq), "{err:?}"),
            1 => prop_assert_eq!(err, ChainError::SeqMismatch { expected: seq, found: bad[i].seq }),
            7 => prop_assert_eq!(err, ChainError::BrokenLink { seq }),
            _ => prop_assert_eq!(err, ChainError::HashMismatch { seq }),
        }
    }

}

proptest! {
    #![proptest_config(config_scaled(2))]

    /// Resuming from a verified head behaves like verifying from genesis.
    #[test]
    fn resume_matches_a_run_from_genesis((log, chain) in valid_chain(), at in any::<Index>()) {
        let k = at.index(chain.len());
        let (head_seq, head_hash) = if k == 0 {
            (0, GENESIS_HASH.to_owned())
        } else {
            (chain[k - 1].seq, chain[k - 1].hash.clone())
        };
        let mut v = ChainVerifier::resume(&log, head_seq, &head_hash);
        for e in &chain[k..] {
            prop_assert_eq!(v.push(e), Ok(()));
        }
        // The events up to the head are not the next link.
        if k > 0 {
            let mut v = ChainVerifier::resume(&log, head_seq, &head_hash);
            prop_assert!(v.push(&chain[k - 1]).is_err());
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any head the county can hold (seqs are int8 there) resumes without a panic.
    #[test]
    fn resume_from_any_storable_head_never_panics(
        log in hostile_string(),
        head_seq in 0..=i64::MAX as u64,
        head_hash in hostile_string(),
        e in arb_event(),
    ) {
        let mut v = ChainVerifier::resume(&log, head_seq, &head_hash);
        prop_assert_eq!(v.last_seq(), head_seq);
        let _ = v.push(&e);
    }
}

/// Found by reading `resume` (not reachable from the network: the county
/// resumes from a stored head, whose seq is at most `i64::MAX`).
#[test]
fn resume_at_u64_max_does_not_panic() {
    let v = ChainVerifier::resume("L", u64::MAX, GENESIS_HASH);
    assert_eq!(v.last_seq(), u64::MAX);
}
