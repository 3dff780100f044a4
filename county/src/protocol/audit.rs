//! Re-verification of a stored chain from genesis (the admin's
//! `verify-chains`): where, if anywhere, the stored copy stops verifying.

use yichuang_wire::{ChainVerifier, Event};

/// Feed a log's stored events in seq order; stop at the first bad one.
#[derive(Debug, Clone)]
pub struct ChainAudit {
    verifier: ChainVerifier,
    events: u64,
    first_bad: Option<(u64, String)>,
}

/// How far a stored chain verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditResult {
    /// Events that verified.
    pub events: u64,
    /// The first bad seq and why; `None` if the chain verifies up to the head.
    pub first_bad: Option<(u64, String)>,
}

impl ChainAudit {
    pub fn new(log_id: &str) -> Self {
        ChainAudit {
            verifier: ChainVerifier::new(log_id),
            events: 0,
            first_bad: None,
        }
    }

    /// The last verified seq: read on after it.
    pub fn last_seq(&self) -> u64 {
        self.verifier.last_seq()
    }

    /// `false` once the chain is broken (feed no more).
    pub fn push(&mut self, e: &Event) -> bool {
        if self.first_bad.is_some() {
            return false;
        }
        match self.verifier.push(e) {
            Ok(()) => {
                self.events += 1;
                true
            }
            Err(err) => {
                self.first_bad = Some((err.seq(), err.to_string()));
                false
            }
        }
    }

    /// A stored payload that is not text cannot be an event at all.
    pub fn bad_payload(&mut self, seq: u64) {
        if self.first_bad.is_none() {
            self.first_bad = Some((seq, "payload is not UTF-8".into()));
        }
    }

    /// Close the audit against the device's recorded head: events must reach it.
    pub fn finish(self, head_seq: u64) -> AuditResult {
        let last = self.verifier.last_seq();
        let first_bad = match self.first_bad {
            None if last != head_seq => Some((
                last + 1,
                format!("events end at seq {last} but the head is {head_seq}"),
            )),
            other => other,
        };
        AuditResult {
            events: self.events,
            first_bad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::upload::tests::chain;

    #[test]
    fn a_good_chain_verifies_to_its_head() {
        let ev = chain("L", 4);
        let mut a = ChainAudit::new("L");
        assert!(ev.iter().all(|e| a.push(e)));
        assert_eq!(a.last_seq(), 4);
        assert_eq!(
            a.finish(4),
            AuditResult {
                events: 4,
                first_bad: None
            }
        );
    }

    #[test]
    fn tampering_truncation_and_bad_payloads_name_the_first_bad_seq() {
        let mut ev = chain("L", 4);
        ev[2].hash = "a".repeat(64);
        let mut a = ChainAudit::new("L");
        let fed = ev.iter().take_while(|e| a.push(e)).count();
        assert_eq!(fed, 2);
        let r = a.finish(4);
        assert_eq!((r.events, r.first_bad.map(|b| b.0)), (2, Some(3)));

        let ev = chain("L", 3);
        let mut a = ChainAudit::new("L");
        ev.iter().for_each(|e| {
            a.push(e);
        });
        assert_eq!(
            a.finish(5).first_bad,
            Some((4, "events end at seq 3 but the head is 5".into()))
        );

        let mut a = ChainAudit::new("L");
        a.push(&ev[0]);
        a.bad_payload(2);
        assert!(!a.push(&ev[1]));
        assert_eq!(
            a.finish(3).first_bad,
            Some((2, "payload is not UTF-8".into()))
        );
    }
}
