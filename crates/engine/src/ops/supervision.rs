//! 挂牌督办 on the station: the county's flags arrive with the sync
//! (`GET /v1/supervision`, a signed answer) and replace the station's list;
//! each flag received or lifted is an event, so the county sees it arrive.
//! The deadline board shows the flag beside the case's deadlines.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use yichuang_sync::wire::SupervisionList;

use crate::engine::Engine;
use crate::error::Result;

/// Bounds on what the county may send (its answer is signed, but a flag
/// is still shown in the window).
const CASE_NO_MAX: usize = 64;
const NOTE_MAX: usize = 200;

/// A flag as the station holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisionView {
    pub case_no: String,
    pub note: String,
    pub flagged_at_ms: i64,
    pub received_at: String,
}

impl Engine {
    /// Makes the station's flags the county's list, in one transaction:
    /// a new (or re-raised) flag is recorded with `supervision.received`,
    /// one no longer listed with `supervision.lifted`. Entries out of bounds
    /// are left out (and logged). Whether anything changed.
    pub(crate) fn apply_supervision(&self, list: &SupervisionList) -> Result<bool> {
        let mut wanted: BTreeMap<&str, (&str, i64)> = BTreeMap::new();
        for f in &list.flags {
            let ok = !f.case_no.trim().is_empty()
                && f.case_no.len() <= CASE_NO_MAX
                && f.note.chars().count() <= NOTE_MAX
                && !f.note.chars().any(char::is_control);
            if ok {
                wanted.insert(f.case_no.as_str(), (f.note.as_str(), f.flagged_at_ms));
            } else {
                eprintln!(
                    "yichuang: supervision flag out of bounds left out (case {:.64})",
                    f.case_no
                );
            }
        }
        let held: BTreeMap<String, (String, i64)> = self
            .supervision_flags()?
            .into_iter()
            .map(|f| (f.case_no, (f.note, f.flagged_at_ms)))
            .collect();
        let lifted: Vec<(&String, i64)> = held
            .iter()
            .filter(|(no, (_, at))| wanted.get(no.as_str()).is_none_or(|(_, w)| w != at))
            .map(|(no, (_, at))| (no, *at))
            .collect();
        let received: Vec<(&str, &str, i64)> = wanted
            .iter()
            .filter(|(no, (_, at))| held.get(**no).is_none_or(|(_, h)| h != at))
            .map(|(no, (note, at))| (*no, *note, *at))
            .collect();
        if lifted.is_empty() && received.is_empty() {
            return Ok(false);
        }
        self.write(|w| {
            for (no, at) in &lifted {
                w.execute("DELETE FROM supervision WHERE case_no = ?1", [no])?;
                w.event(
                    "supervision.lifted",
                    &json!({"case_no": no, "flagged_at_ms": at}),
                )?;
            }
            for (no, note, at) in &received {
                w.execute(
                    "INSERT INTO supervision (case_no, note, flagged_at_ms, received_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![no, note, at, w.now],
                )?;
                w.event(
                    "supervision.received",
                    &json!({"case_no": no, "note": note, "flagged_at_ms": at}),
                )?;
            }
            Ok(())
        })?;
        Ok(true)
    }

    /// Records this program's version as a `station.software` event when it
    /// differs from the one last recorded (a new install or an upgrade), so
    /// the county's station health shows what each station runs.
    pub(crate) fn record_software_version(&self) -> Result<()> {
        let version = env!("CARGO_PKG_VERSION");
        let held: Option<String> = self
            .conn
            .query_row(
                "SELECT version FROM software_version WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if held.as_deref() == Some(version) {
            return Ok(());
        }
        self.write(|w| {
            w.execute(
                "INSERT INTO software_version (id, version) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                [version],
            )?;
            w.event(
                "station.software",
                &json!({"version": version, "previous": held}),
            )?;
            Ok(())
        })
    }

    /// The station's cases under 挂牌督办, by case number.
    pub fn supervision_flags(&self) -> Result<Vec<SupervisionView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_no, note, flagged_at_ms, received_at FROM supervision ORDER BY case_no",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SupervisionView {
                    case_no: r.get(0)?,
                    note: r.get(1)?,
                    flagged_at_ms: r.get(2)?,
                    received_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
