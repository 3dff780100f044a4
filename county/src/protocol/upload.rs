//! What the county makes of an uploaded batch: first its envelope (before
//! any storage), then, against the device's locked head, whether it is new,
//! an idempotent replay, a gap, a fork or a broken chain.
//!
//! A backend runs, inside ONE transaction with the device's head locked:
//! [`check_device`] (and [`log_taken`] for a first upload whose log another
//! device holds), reads its stored hashes for [`overlap`], then [`decide`];
//! it stores [`Decision::Append`]'s events and new head, commits, and only
//! then answers with [`Decision::accepted`].

use yichuang_wire::{ChainVerifier, Event, MAX_BATCH_EVENTS, UploadBatch};

use super::Refusal;

/// A device's row as the upload sees it (locked by the backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The log the device uploads; `None` until its first upload.
    pub log_id: Option<String>,
    /// Where the county's copy of that log ends (0 and the genesis hash when empty).
    pub seq: u64,
    pub hash: String,
    pub revoked: bool,
}

/// A batch whose envelope checked out: non-empty, within the size limit, one
/// log, consecutive seqs. Only [`check_envelope`] makes one.
#[derive(Debug, Clone, Copy)]
pub struct CheckedBatch<'a> {
    batch: &'a UploadBatch,
}

impl<'a> CheckedBatch<'a> {
    pub fn log_id(&self) -> &'a str {
        &self.batch.log_id
    }

    /// Never empty.
    pub fn events(&self) -> &'a [Event] {
        &self.batch.events
    }

    /// The station's own head as it reported it (never below the batch end).
    pub fn station_head_seq(&self) -> Option<u64> {
        self.batch.station_head_seq
    }

    pub fn first_seq(&self) -> u64 {
        self.batch.events.first().map_or(0, |e| e.seq)
    }

    pub fn last(&self) -> &'a Event {
        // check_envelope refuses empty batches, so there is a last event.
        &self.batch.events[self.batch.events.len() - 1]
    }
}

/// Format checks that need no stored state.
pub fn check_envelope(batch: &UploadBatch) -> Result<CheckedBatch<'_>, Refusal> {
    let Some(first) = batch.events.first() else {
        return Err(Refusal::Malformed("empty batch".into()));
    };
    if batch.events.len() > MAX_BATCH_EVENTS {
        return Err(Refusal::TooLarge(format!(
            "{} events in one batch; at most {MAX_BATCH_EVENTS}",
            batch.events.len()
        )));
    }
    if batch.log_id.is_empty() || batch.log_id.contains('\0') {
        return Err(Refusal::Malformed("log_id is empty or malformed".into()));
    }
    for (i, e) in batch.events.iter().enumerate() {
        if e.log_id != batch.log_id {
            return Err(Refusal::Malformed(format!(
                "event seq {} belongs to log {}, batch is for {}",
                e.seq, e.log_id, batch.log_id
            )));
        }
        // Seqs are stored as int8, hence the i64 bound.
        if e.seq != first.seq.saturating_add(i as u64) || e.seq == 0 || e.seq > i64::MAX as u64 {
            return Err(Refusal::Malformed(format!(
                "batch seqs must be consecutive and ascending from 1; found {} at position {i}",
                e.seq
            )));
        }
        // Storage text fields cannot hold NUL (PostgreSQL text); the payload is stored as bytes.
        if [&e.event_id, &e.kind, &e.device_time, &e.prev_hash, &e.hash]
            .iter()
            .any(|s| s.contains('\0'))
        {
            return Err(Refusal::Malformed(format!(
                "event seq {}: NUL character in an envelope field",
                e.seq
            )));
        }
    }
    if let Some(h) = batch.station_head_seq
        && (h < batch.events[batch.events.len() - 1].seq || h > i64::MAX as u64)
    {
        return Err(Refusal::Malformed(format!(
            "station_head_seq {h} is below the batch's last seq or out of range"
        )));
    }
    Ok(CheckedBatch { batch })
}

/// Whether the device's log is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogBinding {
    /// The device already uploads this log.
    Bound,
    /// First upload: bind the device to the batch's log, unless another
    /// device holds it ([`log_taken`]); a log belongs to one device.
    Unbound,
}

/// May this device write to the batch's log?
pub fn check_device(head: &Head, batch: CheckedBatch<'_>) -> Result<LogBinding, Refusal> {
    if head.revoked {
        return Err(Refusal::Revoked);
    }
    match &head.log_id {
        Some(l) if l != batch.log_id() => Err(Refusal::LogMismatch {
            expected: l.clone(),
            found: batch.log_id().to_owned(),
            expected_seq: head.seq + 1,
            head_hash: head.hash.clone(),
        }),
        Some(_) => Ok(LogBinding::Bound),
        None => Ok(LogBinding::Unbound),
    }
}

/// The refusal when an unbound device's first batch names a log another device holds.
pub fn log_taken(head: &Head, batch: CheckedBatch<'_>) -> Refusal {
    Refusal::LogMismatch {
        expected: "(none yet)".into(),
        found: batch.log_id().to_owned(),
        expected_seq: 1,
        head_hash: head.hash.clone(),
    }
}

/// Seqs of the batch the county already holds (inclusive); [`decide`] needs
/// their stored hashes.
pub fn overlap(head: &Head, batch: CheckedBatch<'_>) -> Option<(u64, u64)> {
    let first = batch.first_seq();
    (first <= head.seq).then(|| (first, batch.last().seq.min(head.seq)))
}

/// What to do with a batch that is not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Everything is stored already with the same hashes (a resend after a
    /// lost ack): store nothing, answer the ack again.
    Replay,
    /// Append `events` (the part past the head, chain-verified from it); the
    /// head moves to the last of them.
    Append {
        events: &'a [Event],
        head_seq: u64,
        head_hash: String,
    },
}

/// The answer to an accepted batch (sent only after the commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub acked_seq: u64,
    pub acked_hash: String,
    /// Events newly stored by this batch.
    pub stored: u64,
}

impl Decision<'_> {
    pub fn accepted(&self, batch: CheckedBatch<'_>) -> Accepted {
        Accepted {
            acked_seq: batch.last().seq,
            acked_hash: batch.last().hash.clone(),
            stored: match self {
                Decision::Replay => 0,
                Decision::Append { events, .. } => events.len() as u64,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The county's own copy lacks events below its head: a county fault,
    /// never the station's, so it is not a [`Refusal`].
    #[error("log {log_id}: stored events below head {head_seq} are missing")]
    StoredCopyIncomplete { log_id: String, head_seq: u64 },
}

/// Decide against the locked `head`. `stored` are the `(seq, hash)` the
/// county holds for [`overlap`], in seq order (empty if there is none).
pub fn decide<'a>(
    head: &Head,
    batch: CheckedBatch<'a>,
    stored: &[(u64, String)],
) -> Result<Decision<'a>, DecideError> {
    let events = batch.events();
    let first = batch.first_seq();
    let last = batch.last().seq;
    let fork = |seq: u64| Refusal::Fork {
        seq,
        expected_seq: head.seq + 1,
        head_hash: head.hash.clone(),
    };

    // Events the county already has must match exactly, else it is a fork.
    if let Some((from, upto)) = overlap(head, batch) {
        let incomplete = || DecideError::StoredCopyIncomplete {
            log_id: batch.log_id().to_owned(),
            head_seq: head.seq,
        };
        if stored.len() as u64 != upto - from + 1 {
            return Err(incomplete());
        }
        for (seq, hash) in stored {
            let sent = seq
                .checked_sub(first)
                .and_then(|i| events.get(i as usize))
                .filter(|e| e.seq == *seq)
                .ok_or_else(incomplete)?;
            if &sent.hash != hash {
                return Err(fork(*seq).into());
            }
        }
    }

    if last <= head.seq {
        return Ok(Decision::Replay);
    }
    // Non-empty: the batch ends past the head.
    let new = &events[(head.seq.max(first - 1) + 1 - first) as usize..];
    let Some(n0) = new.first() else {
        return Ok(Decision::Replay);
    };
    if n0.seq != head.seq + 1 {
        return Err(Refusal::Gap {
            expected_seq: head.seq + 1,
            head_hash: head.hash.clone(),
        }
        .into());
    }
    if n0.prev_hash != head.hash {
        return Err(fork(n0.seq).into());
    }
    let mut v = ChainVerifier::resume(batch.log_id(), head.seq, &head.hash);
    for e in new {
        v.push(e).map_err(|err| Refusal::ChainInvalid {
            seq: err.seq(),
            reason: err.to_string(),
        })?;
    }
    Ok(Decision::Append {
        events: new,
        head_seq: last,
        head_hash: v.last_hash().to_owned(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use yichuang_wire::{GENESIS_HASH, chain_hash};

    use super::*;

    /// A valid chain of `n` events of `log` starting at seq 1.
    pub(crate) fn chain(log: &str, n: u64) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
            let mut e = Event {
                log_id: log.into(),
                seq,
                event_id: format!("{log}-{seq}"),
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

    fn batch(log: &str, events: &[Event]) -> UploadBatch {
        UploadBatch {
            station_head_seq: None,
            log_id: log.into(),
            events: events.to_vec(),
        }
    }

    fn head_at(log: Option<&str>, events: &[Event], seq: u64) -> Head {
        Head {
            log_id: log.map(str::to_owned),
            seq,
            hash: if seq == 0 {
                GENESIS_HASH.into()
            } else {
                events[seq as usize - 1].hash.clone()
            },
            revoked: false,
        }
    }

    fn stored(events: &[Event], head: &Head, b: CheckedBatch<'_>) -> Vec<(u64, String)> {
        overlap(head, b).map_or(Vec::new(), |(a, z)| {
            (a..=z)
                .map(|s| (s, events[s as usize - 1].hash.clone()))
                .collect()
        })
    }

    #[test]
    fn envelope_refuses_empty_oversized_foreign_and_unordered_batches() {
        let ev = chain("L", 3);
        assert!(matches!(
            check_envelope(&batch("L", &[])),
            Err(Refusal::Malformed(m)) if m == "empty batch"
        ));
        let many = vec![ev[0].clone(); MAX_BATCH_EVENTS + 1];
        assert!(matches!(
            check_envelope(&batch("L", &many)),
            Err(Refusal::TooLarge(_))
        ));
        assert!(check_envelope(&batch("", &ev)).is_err());
        assert!(check_envelope(&batch("M", &ev)).is_err());
        assert!(check_envelope(&batch("L", &[ev[0].clone(), ev[2].clone()])).is_err());
        let mut nul = ev.clone();
        nul[1].kind = "case.\0".into();
        assert!(check_envelope(&batch("L", &nul)).is_err());
        let mut zero = ev[..1].to_vec();
        zero[0].seq = 0;
        assert!(check_envelope(&batch("L", &zero)).is_err());
        let mut huge = ev[..1].to_vec();
        huge[0].seq = u64::MAX;
        assert!(check_envelope(&batch("L", &huge)).is_err());
        let ok = batch("L", &ev[1..]);
        let b = check_envelope(&ok).unwrap();
        assert_eq!((b.first_seq(), b.last().seq, b.log_id()), (2, 3, "L"));
    }

    #[test]
    fn new_events_are_appended_from_the_head() {
        let ev = chain("L", 5);
        let head = head_at(Some("L"), &ev, 2);
        let ub = batch("L", &ev[2..]);
        let b = check_envelope(&ub).unwrap();
        assert_eq!(check_device(&head, b), Ok(LogBinding::Bound));
        assert_eq!(overlap(&head, b), None);
        let d = decide(&head, b, &[]).unwrap();
        assert_eq!(
            d,
            Decision::Append {
                events: &ev[2..],
                head_seq: 5,
                head_hash: ev[4].hash.clone()
            }
        );
        assert_eq!(
            d.accepted(b),
            Accepted {
                acked_seq: 5,
                acked_hash: ev[4].hash.clone(),
                stored: 3
            }
        );
    }

    #[test]
    fn a_batch_straddling_the_head_appends_only_the_new_part() {
        let ev = chain("L", 6);
        let head = head_at(Some("L"), &ev, 3);
        let ub = batch("L", &ev[1..]);
        let b = check_envelope(&ub).unwrap();
        assert_eq!(overlap(&head, b), Some((2, 3)));
        let d = decide(&head, b, &stored(&ev, &head, b)).unwrap();
        assert!(matches!(d, Decision::Append { events, head_seq: 6, .. } if events == &ev[3..]));
        assert_eq!(d.accepted(b).stored, 3);
    }

    #[test]
    fn a_resent_batch_is_an_idempotent_replay() {
        let ev = chain("L", 4);
        let head = head_at(Some("L"), &ev, 4);
        let ub = batch("L", &ev[..3]);
        let b = check_envelope(&ub).unwrap();
        let d = decide(&head, b, &stored(&ev, &head, b)).unwrap();
        assert_eq!(d, Decision::Replay);
        assert_eq!(
            d.accepted(b),
            Accepted {
                acked_seq: 3,
                acked_hash: ev[2].hash.clone(),
                stored: 0
            }
        );
    }

    #[test]
    fn a_batch_past_the_head_is_a_gap() {
        let ev = chain("L", 5);
        let head = head_at(Some("L"), &ev, 1);
        let ub = batch("L", &ev[3..]);
        let b = check_envelope(&ub).unwrap();
        assert_eq!(
            decide(&head, b, &[]),
            Err(DecideError::Refused(Refusal::Gap {
                expected_seq: 2,
                head_hash: ev[0].hash.clone()
            }))
        );
    }

    #[test]
    fn a_different_history_is_a_fork() {
        let ev = chain("L", 4);
        let other = {
            let mut o = chain("L", 4);
            o[2].payload = "{}".into();
            o[2].hash = chain_hash(&o[2].prev_hash, &o[2].fields());
            o
        };
        // Differs from what the county holds (seq 3 of 4).
        let head = head_at(Some("L"), &ev, 4);
        let ub = batch("L", &other[..3]);
        let b = check_envelope(&ub).unwrap();
        assert_eq!(
            decide(&head, b, &stored(&ev, &head, b)),
            Err(DecideError::Refused(Refusal::Fork {
                seq: 3,
                expected_seq: 5,
                head_hash: ev[3].hash.clone()
            }))
        );
        // Continues from another seq 3 than the county's head.
        let head = head_at(Some("L"), &other, 3);
        let ub = batch("L", &ev[3..]);
        let b = check_envelope(&ub).unwrap();
        assert!(matches!(
            decide(&head, b, &[]),
            Err(DecideError::Refused(Refusal::Fork { seq: 4, .. }))
        ));
    }

    #[test]
    fn a_tampered_event_breaks_the_chain() {
        let mut ev = chain("L", 3);
        ev[1].payload = "tampered".into();
        let head = head_at(Some("L"), &ev, 0);
        let ub = batch("L", &ev);
        let b = check_envelope(&ub).unwrap();
        assert!(matches!(
            decide(&head, b, &[]),
            Err(DecideError::Refused(Refusal::ChainInvalid { seq: 2, .. }))
        ));
    }

    #[test]
    fn missing_stored_hashes_are_a_county_fault_not_a_refusal() {
        let ev = chain("L", 3);
        let head = head_at(Some("L"), &ev, 3);
        let ub = batch("L", &ev);
        let b = check_envelope(&ub).unwrap();
        let mut s = stored(&ev, &head, b);
        s.remove(1);
        assert!(matches!(
            decide(&head, b, &s),
            Err(DecideError::StoredCopyIncomplete { head_seq: 3, .. })
        ));
        // Right count, wrong seqs: also never an index out of bounds.
        s.push((99, "x".into()));
        assert!(matches!(
            decide(&head, b, &s),
            Err(DecideError::StoredCopyIncomplete { .. })
        ));
    }

    #[test]
    fn devices_are_bound_to_one_log_and_revocation_wins() {
        let ev = chain("L", 1);
        let ub = batch("L", &ev);
        let b = check_envelope(&ub).unwrap();
        let fresh = head_at(None, &ev, 0);
        assert_eq!(check_device(&fresh, b), Ok(LogBinding::Unbound));
        assert!(matches!(
            log_taken(&fresh, b),
            Refusal::LogMismatch { expected, expected_seq: 1, .. } if expected == "(none yet)"
        ));
        let other = head_at(Some("M"), &ev, 0);
        assert!(matches!(
            check_device(&other, b),
            Err(Refusal::LogMismatch { expected, found, .. }) if expected == "M" && found == "L"
        ));
        let revoked = Head {
            revoked: true,
            ..head_at(Some("M"), &ev, 0)
        };
        assert_eq!(check_device(&revoked, b), Err(Refusal::Revoked));
    }
}
