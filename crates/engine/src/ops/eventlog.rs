//! Reading and verifying the station's append-only, hash-chained event log.

use rusqlite::{Row, params};
use serde::Serialize;
use yichuang_wire::{ChainVerifier, Event};

use crate::engine::Engine;
use crate::error::Result;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerifyReport {
    pub events: u64,
    pub last_seq: u64,
    pub last_hash: String,
}

pub(crate) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        seq: r.get::<_, i64>(0)? as u64,
        log_id: r.get(1)?,
        event_id: r.get(2)?,
        kind: r.get(3)?,
        schema_version: r.get(4)?,
        device_time: r.get(5)?,
        payload: r.get(6)?,
        prev_hash: r.get(7)?,
        hash: r.get(8)?,
    })
}

pub(crate) const EVENT_COLS: &str =
    "seq, log_id, event_id, kind, schema_version, device_time, payload, prev_hash, hash";

impl Engine {
    /// Walks the whole chain; the error names the first bad seq.
    pub fn verify_log(&self) -> Result<VerifyReport> {
        let log_id = self.station()?.log_id.clone();
        let mut v = ChainVerifier::new(&log_id);
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {EVENT_COLS} FROM events ORDER BY seq"))?;
        let mut n = 0;
        for e in stmt.query_map([], event_from_row)? {
            v.push(&e?)?;
            n += 1;
        }
        Ok(VerifyReport {
            events: n,
            last_seq: v.last_seq(),
            last_hash: v.last_hash().to_owned(),
        })
    }

    /// Events with seq > `after`, in order (the sync outbox reads this).
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![after as i64, limit as i64], event_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The newest `n` events, newest last.
    pub fn tail_events(&self, n: usize) -> Result<Vec<Event>> {
        let last: i64 =
            self.conn
                .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
        self.events_after((last - n as i64).max(0) as u64, n)
    }
}
