//! Property tests of the county's pure protocol decisions on hostile input
//! (no database): the upload envelope, the upload decision, enrolment
//! requests, code hashes, and business validation and projection of events.
//!
//! Smoke size in the normal `cargo test` (256 cases, or `PROPTEST_CASES`).

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use yichuang_county::protocol::Refusal;
use yichuang_county::protocol::enrolment::{code_hash, new_device};
use yichuang_county::protocol::projection::{StoredEvent, project, validate};
use yichuang_county::protocol::upload::{Decision, Head, check_envelope, decide, overlap};
use yichuang_wire::{
    ChainVerifier, EnrolRequest, Event, GENESIS_HASH, MAX_BATCH_EVENTS, SecretKey, UploadBatch,
    chain_hash, to_hex, valid_public_key,
};

fn config() -> ProptestConfig {
    // `default()` reads PROPTEST_CASES; 256 otherwise.
    ProptestConfig::default()
}

// ---------------------------------------------------------------- strategies

fn hostile_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-z0-9._-]{0,12}",
        1 => Just(String::new()),
        1 => "[a-z]{0,3}\\x00[a-z]{0,3}",
        1 => "[\\n\\r \\t\u{feff}\u{202e}一窗]{1,6}",
        1 => "[0-9a-f]{64}",
    ]
    .boxed()
}

/// Log ids from a small set, so batches are often single-log and sometimes not.
fn log_id() -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just("L".to_owned()),
        1 => Just("M".to_owned()),
        1 => Just(String::new()),
        1 => Just("L\0".to_owned()),
        1 => Just("日志-ü".to_owned()),
        1 => hostile_string(),
    ]
    .boxed()
}

fn seq() -> BoxedStrategy<u64> {
    prop_oneof![
        3 => 0u64..20,
        2 => any::<u64>(),
        1 => Just(i64::MAX as u64),
        1 => Just(i64::MAX as u64 - 3),
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 3),
    ]
    .boxed()
}

/// An envelope text field: plain or unicode, never NUL (that is injected
/// per batch, so that most batches are well-formed).
fn field() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "",
            "e-1",
            "case.registered",
            "2026-11-23T10:00:00.000Z",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "一窗",
            "ü\u{202e}\n ",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z0-9.:-]{0,16}",
        1 => any::<String>().prop_map(|s| s.replace('\0', "")),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
struct Shape {
    batch_log: String,
    first: u64,
    /// Consecutive from `first`, or each its own seq.
    consecutive: bool,
    seqs: Vec<u64>,
    fields: Vec<[String; 5]>,
    payloads: Vec<String>,
    /// One event of another log.
    foreign: Option<(Index, String)>,
    /// A NUL in one envelope field of one event.
    nul: Option<(Index, usize, Index)>,
}

fn arb_batch() -> BoxedStrategy<UploadBatch> {
    (0usize..50)
        .prop_flat_map(|n| {
            (
                (
                    log_id(),
                    seq(),
                    prop_oneof![4 => Just(true), 1 => Just(false)],
                    prop::collection::vec(seq(), n),
                ),
                (
                    prop::collection::vec([field(), field(), field(), field(), field()], n),
                    // The payload is stored as bytes: NUL is fine there.
                    prop::collection::vec("[a-z{}\":\\x00é]{0,12}", n),
                    prop::option::weighted(0.2, (any::<Index>(), log_id())),
                    prop::option::weighted(0.2, (any::<Index>(), 0usize..5, any::<Index>())),
                ),
            )
        })
        .prop_map(
            |((batch_log, first, consecutive, seqs), (fields, payloads, foreign, nul))| Shape {
                batch_log,
                first,
                consecutive,
                seqs,
                fields,
                payloads,
                foreign,
                nul,
            },
        )
        .prop_map(|s| {
            let n = s.fields.len();
            let mut events: Vec<Event> = (0..n)
                .map(|i| {
                    let [event_id, kind, device_time, prev_hash, hash] = s.fields[i].clone();
                    Event {
                        log_id: s.batch_log.clone(),
                        seq: if s.consecutive {
                            s.first.wrapping_add(i as u64)
                        } else {
                            s.seqs[i]
                        },
                        event_id,
                        kind,
                        schema_version: 1,
                        device_time,
                        payload: s.payloads[i].clone(),
                        prev_hash,
                        hash,
                    }
                })
                .collect();
            if n > 0 {
                if let Some((at, log)) = s.foreign {
                    events[at.index(n)].log_id = log;
                }
                if let Some((at, f, pos)) = s.nul {
                    let e = &mut events[at.index(n)];
                    let t = match f {
                        0 => &mut e.event_id,
                        1 => &mut e.kind,
                        2 => &mut e.device_time,
                        3 => &mut e.prev_hash,
                        _ => &mut e.hash,
                    };
                    let cuts: Vec<usize> =
                        (0..=t.len()).filter(|i| t.is_char_boundary(*i)).collect();
                    t.insert(cuts[pos.index(cuts.len())], '\0');
                }
            }
            UploadBatch {
                station_head_seq: None,
                log_id: s.batch_log,
                events,
            }
        })
        .boxed()
}

/// What `check_envelope` must accept: a non-empty batch of at most
/// `MAX_BATCH_EVENTS` events of one named log, seqs consecutive from at
/// least 1 and storable as int8, no NUL in any envelope text.
fn acceptable(b: &UploadBatch) -> bool {
    let Some(first) = b.events.first() else {
        return false;
    };
    b.events.len() <= MAX_BATCH_EVENTS
        && !b.log_id.is_empty()
        && !b.log_id.contains('\0')
        && first.seq >= 1
        && b.events.iter().enumerate().all(|(i, e)| {
            e.log_id == b.log_id
                && first.seq.checked_add(i as u64) == Some(e.seq)
                && e.seq <= i64::MAX as u64
                && ![&e.event_id, &e.kind, &e.device_time, &e.prev_hash, &e.hash]
                    .iter()
                    .any(|s| s.contains('\0'))
        })
}

/// A valid chain of `log` from seq 1.
fn chain(log: &str, n: u64, tag: &str) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for seq in 1..=n {
        let prev = out
            .last()
            .map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
        let mut e = Event {
            log_id: log.into(),
            seq,
            event_id: format!("{tag}-{seq}"),
            kind: "case.registered".into(),
            schema_version: 1,
            device_time: "2026-11-23T10:00:00.000Z".into(),
            payload: format!(r#"{{"case_no":"C{seq}","state":"registered"}}"#),
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = chain_hash(&e.prev_hash, &e.fields());
        out.push(e);
    }
    out
}

fn key_hex(seed: [u8; 32]) -> String {
    SecretKey::from_secret_string(&format!("ed25519:{}", to_hex(&seed)))
        .expect("32-byte seed")
        .public_key_hex()
}

// ---------------------------------------------------------------- upload

proptest! {
    #![proptest_config(config())]

    #[test]
    fn check_envelope_accepts_exactly_the_well_formed_batches(b in arb_batch()) {
        let expect = acceptable(&b);
        match check_envelope(&b) {
            Ok(c) => {
                prop_assert!(expect, "accepted a malformed batch: {:?}", b);
                prop_assert_eq!(c.log_id(), b.log_id.as_str());
                prop_assert_eq!(c.events(), &b.events[..]);
                prop_assert_eq!(c.first_seq(), b.events[0].seq);
                prop_assert_eq!(c.last(), &b.events[b.events.len() - 1]);
            }
            Err(r) => {
                prop_assert!(!expect, "refused a well-formed batch ({r}): {:?}", b);
                prop_assert!(matches!(r, Refusal::Malformed(_) | Refusal::TooLarge(_)), "{r:?}");
            }
        }
    }

    /// Batches around the size limit: too many events is `TooLarge`, never a panic.
    #[test]
    fn check_envelope_bounds_the_batch_size(
        n in (MAX_BATCH_EVENTS - 3)..(MAX_BATCH_EVENTS + 4),
        first in 1u64..1000,
    ) {
        let one = &chain("L", 1, "e")[0];
        let events: Vec<Event> = (0..n as u64)
            .map(|i| Event { seq: first + i, ..one.clone() })
            .collect();
        let b = UploadBatch {
            log_id: "L".into(),
            station_head_seq: None,
            events,
        };
        let r = check_envelope(&b);
        if n > MAX_BATCH_EVENTS {
            prop_assert!(matches!(r, Err(Refusal::TooLarge(_))), "{:?}", r.err());
        } else {
            prop_assert!(r.is_ok(), "{:?}", r.err());
        }
    }

    /// `decide` over a county copy and a batch cut from a (possibly
    /// different) station log, possibly tampered: never panics; an append
    /// starts right after the head and verifies from it; a replay is all old.
    #[test]
    fn decide_never_panics_and_appends_only_a_verified_continuation(
        county_len in 0u64..8,
        station_len in 1u64..10,
        same_history in prop::collection::vec(any::<bool>(), 10),
        from in any::<Index>(),
        to in any::<Index>(),
        tamper in prop::option::of((any::<Index>(), 0u8..4)),
        drop_stored in prop::option::of(any::<Index>()),
    ) {
        let county = chain("L", county_len, "c");
        // The station's log shares the county's history where `same_history` says so.
        let mut station = chain("L", station_len, "s");
        let shared = same_history.iter().take_while(|s| **s).count() as u64;
        let k = shared.min(county_len).min(station_len) as usize;
        station[..k].clone_from_slice(&county[..k]);
        // Re-link the rest after the shared prefix so it is a valid chain.
        for i in k..station.len() {
            station[i].prev_hash = if i == 0 { GENESIS_HASH.into() } else { station[i - 1].hash.clone() };
            station[i].hash = chain_hash(&station[i].prev_hash, &station[i].fields());
        }
        let a = from.index(station.len());
        let z = a + to.index(station.len() - a);
        let mut events = station[a..=z].to_vec();
        if let Some((at, what)) = tamper {
            let e = &mut events[at.index(z - a + 1)];
            match what {
                0 => e.payload.push('x'),
                1 => e.hash = GENESIS_HASH.into(),
                2 => e.prev_hash.push('0'),
                _ => e.kind.push('x'),
            }
        }
        let batch = UploadBatch {
            log_id: "L".into(),
            station_head_seq: None,
            events,
        };
        let Ok(checked) = check_envelope(&batch) else {
            return Err(TestCaseError::fail("a cut of a chain is a well-formed envelope"));
        };
        let head = Head {
            log_id: Some("L".into()),
            seq: county_len,
            hash: county.last().map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone()),
            revoked: false,
        };
        let mut stored: Vec<(u64, String)> = overlap(&head, checked).map_or(Vec::new(), |(f, u)| {
            (f..=u).map(|s| (s, county[s as usize - 1].hash.clone())).collect()
        });
        if let Some(i) = drop_stored.filter(|_| !stored.is_empty()) {
            let i = i.index(stored.len());
            stored.remove(i);
        }
        match decide(&head, checked, &stored) {
            Ok(Decision::Append { events, head_seq, head_hash }) => {
                prop_assert!(!events.is_empty());
                prop_assert_eq!(events[0].seq, head.seq + 1);
                prop_assert_eq!(head_seq, batch.events[batch.events.len() - 1].seq);
                let mut v = ChainVerifier::resume("L", head.seq, &head.hash);
                for e in events {
                    prop_assert_eq!(v.push(e), Ok(()));
                }
                prop_assert_eq!(v.last_hash(), head_hash.as_str());
            }
            Ok(Decision::Replay) => {
                prop_assert!(batch.events[batch.events.len() - 1].seq <= head.seq);
                // Everything sent matches the county's copy.
                for e in &batch.events {
                    prop_assert_eq!(&e.hash, &county[e.seq as usize - 1].hash);
                }
            }
            Err(_) => {}
        }
    }
}

// ---------------------------------------------------------------- enrolment

/// Small-order points: never a device key.
const WEAK_KEYS: &[&str] = &[
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

fn public_key_text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => any::<[u8; 32]>().prop_map(key_hex),
        1 => any::<[u8; 32]>().prop_map(|s| key_hex(s).to_ascii_uppercase()),
        1 => "[0-9a-f]{64}",
        1 => "[0-9a-fA-F]{0,70}",
        1 => prop::sample::select(WEAK_KEYS).prop_map(str::to_owned),
        1 => hostile_string(),
    ]
    .boxed()
}

fn arb_enrol_request() -> BoxedStrategy<EnrolRequest> {
    (
        prop_oneof![hostile_string(), "[A-Za-z0-9 -]{0,40}"],
        prop_oneof![3 => Just("ed25519".to_owned()), 1 => hostile_string()],
        public_key_text(),
        prop_oneof![
            hostile_string(),
            "[a-z一窗ü]{90,130}",
            Just("é".repeat(101)),
            any::<String>().prop_map(|s| s.repeat(20)),
        ],
    )
        .prop_map(|(code, algorithm, public_key, label)| EnrolRequest {
            code,
            algorithm,
            public_key,
            label,
        })
        .boxed()
}

proptest! {
    // Key checks are slow unoptimised: a quarter of the cases.
    #![proptest_config(ProptestConfig { cases: (config().cases / 4).max(1), ..config() })]

    #[test]
    fn new_device_registers_only_valid_keys_with_a_bounded_label(
        req in arb_enrol_request(),
        id in hostile_string(),
    ) {
        let valid = valid_public_key(&req.algorithm, &req.public_key);
        match new_device(&req, id.clone()) {
            Ok(d) => {
                prop_assert!(valid, "registered an invalid key: {:?}", req);
                prop_assert!(valid_public_key(&d.algorithm, &d.public_key));
                prop_assert_eq!(&d.algorithm, &req.algorithm);
                prop_assert_eq!(d.public_key, req.public_key.to_ascii_lowercase());
                prop_assert!(d.label.chars().count() <= 100);
                prop_assert!(req.label.starts_with(&d.label));
                if req.label.chars().count() <= 100 {
                    prop_assert_eq!(&d.label, &req.label);
                }
                prop_assert_eq!(d.code_hash, code_hash(&req.code));
                prop_assert_eq!(d.device_id, id);
            }
            Err(r) => {
                prop_assert!(!valid, "refused a valid key: {:?}", req);
                prop_assert!(matches!(r, Refusal::Malformed(_)), "{r:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// The hash of a code ignores case and anything but ASCII letters and digits.
    #[test]
    fn code_hash_normalises_case_and_separators(
        code in prop_oneof![hostile_string(), "[A-Za-z0-9]{0,30}"],
        seps in prop::collection::vec((any::<Index>(), prop::sample::select(&["-", " ", "\n", "_", "一", "\0", "é"][..])), 0..4),
        other in "[A-Z0-9]{1,30}",
    ) {
        let h = code_hash(&code);
        prop_assert_eq!(h.len(), 64);
        prop_assert!(h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        prop_assert_eq!(&code_hash(&code.to_ascii_lowercase()), &h);
        prop_assert_eq!(&code_hash(&code.to_ascii_uppercase()), &h);
        let mut spaced = code.clone();
        for (at, sep) in seps {
            let boundaries: Vec<usize> = (0..=spaced.len()).filter(|i| spaced.is_char_boundary(*i)).collect();
            spaced.insert_str(boundaries[at.index(boundaries.len())], sep);
        }
        prop_assert_eq!(&code_hash(&spaced), &h);
        let norm: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
        prop_assert_eq!(code_hash(&other) == h, other == norm);
    }
}

// ---------------------------------------------------------------- projection

fn kind() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "case\\.[a-z_]{0,10}",
        1 => Just("case.".to_owned()),
        1 => Just("Case.accepted".to_owned()),
        1 => "[a-z]{1,6}\\.[a-z]{1,6}",
        1 => hostile_string(),
    ]
    .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[A-C ]{0,3}".prop_map(Value::String),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,9}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Payload bytes: arbitrary, arbitrary JSON, or near-valid case payloads.
fn payload() -> BoxedStrategy<Vec<u8>> {
    let case_field = || {
        prop_oneof![
            4 => "[A-C]{1,2}".prop_map(Value::String),
            1 => Just(Value::String(" ".into())),
            1 => json_value(),
        ]
    };
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => json_value().prop_map(|v| serde_json::to_vec(&v).expect("values serialise")),
        4 => (
            prop::option::of(case_field()),
            prop::option::of(case_field()),
            prop::option::of(json_value()),
            prop::option::of(json_value()),
            prop::collection::btree_map("[a-z]{1,5}", json_value(), 0..2),
        )
            .prop_map(|(case_no, state, item, actor, mut rest)| {
                for (k, v) in [("case_no", case_no), ("state", state), ("item_code", item), ("actor", actor)] {
                    if let Some(v) = v {
                        rest.insert(k.to_owned(), v);
                    }
                }
                serde_json::to_vec(&Value::Object(rest.into_iter().collect()))
                    .expect("values serialise")
            }),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn validate_projects_only_case_events_with_a_case_and_a_state(
        kind in kind(),
        payload in payload(),
    ) {
        let parsed = std::str::from_utf8(&payload)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(t).ok());
        match validate(&kind, &payload) {
            Ok(Some(u)) => {
                prop_assert!(kind.starts_with("case."));
                prop_assert!(!u.case_no.trim().is_empty());
                prop_assert!(!u.state.trim().is_empty());
                let v = parsed.expect("accepted: valid JSON");
                prop_assert_eq!(v["case_no"].as_str(), Some(u.case_no.as_str()));
                prop_assert_eq!(v["state"].as_str(), Some(u.state.as_str()));
                prop_assert_eq!(v["item_code"].as_str(), u.item_code.as_deref());
                prop_assert_eq!(v["actor"].as_str(), u.actor.as_deref());
            }
            Ok(None) => {
                prop_assert!(!kind.starts_with("case."));
                prop_assert!(parsed.is_some_and(|v| v.is_object()));
            }
            Err(reason) => {
                prop_assert!(!reason.is_empty());
                let ok_shape = |v: &Value, k: &str| {
                    v.get(k).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty())
                };
                let should_pass = parsed.as_ref().is_some_and(|v| {
                    v.is_object()
                        && (!kind.starts_with("case.") || ok_shape(v, "case_no") && ok_shape(v, "state"))
                });
                prop_assert!(!should_pass, "refused a valid event ({reason}): {kind} {}", String::from_utf8_lossy(&payload));
            }
        }
    }

    /// Projection over arbitrary events: never panics, quarantines exactly
    /// the events validation refuses, in order, and keeps the latest valid
    /// event of each case.
    #[test]
    fn project_matches_a_reference_model(
        events in prop::collection::vec(
            (seq(), kind(), payload(), "[a-z0-9-]{0,8}", "[0-9TZ:.-]{0,10}"),
            0..16,
        ),
    ) {
        let stored: Vec<StoredEvent<'_>> = events
            .iter()
            .map(|(seq, kind, payload, id, time)| StoredEvent {
                seq: *seq,
                kind,
                payload,
                event_id: id,
                device_time: time,
            })
            .collect();
        let p = project(stored.iter().copied());
        prop_assert_eq!(p.last_seq, stored.last().map(|e| e.seq));

        let mut quarantined = Vec::new();
        let mut latest: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for (i, e) in stored.iter().enumerate() {
            match validate(e.kind, e.payload) {
                Ok(Some(u)) => {
                    latest.insert(u.case_no, (i, u.state));
                }
                Ok(None) => {}
                Err(_) => quarantined.push((e.seq, e.kind.to_owned())),
            }
        }
        let got_q: Vec<(u64, String)> = p.quarantined.iter().map(|q| (q.seq, q.kind.clone())).collect();
        prop_assert_eq!(got_q, quarantined);
        prop_assert_eq!(p.cases.len(), latest.len());
        for (row, (case_no, (i, state))) in p.cases.iter().zip(&latest) {
            let e = &stored[*i];
            prop_assert_eq!(&row.case_no, case_no);
            prop_assert_eq!(&row.state, state);
            prop_assert_eq!(row.last_seq, e.seq);
            prop_assert_eq!(row.last_kind.as_str(), e.kind);
            prop_assert_eq!(row.last_event_id.as_str(), e.event_id);
            prop_assert_eq!(row.last_device_time.as_str(), e.device_time);
        }
    }
}
