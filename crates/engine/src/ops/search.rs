//! Case search at the counter: by case number, ID number (or their prefixes)
//! and by any fragment of the applicant's name.

use rusqlite::params;
use serde::Serialize;

use crate::domain::clerk::Clerk;
use crate::domain::ids;
use crate::domain::lifecycle::{ALL_STATES, CaseState};
use crate::engine::Engine;
use crate::error::Result;
use crate::store::name_query;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseSummary {
    pub case_no: String,
    pub item_name: String,
    pub applicant_name: String,
    pub applicant_id_masked: String,
    pub state: CaseState,
    pub state_zh: &'static str,
    pub received_on: String,
}

/// The smallest string greater than every string starting with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

impl Engine {
    /// 办件查询 before anything is typed: today's cases at this station and
    /// the clerk's own open cases, newest first.
    pub fn worklist(&self, actor: &Clerk, limit: usize) -> Result<Vec<CaseSummary>> {
        let open: Vec<String> = ALL_STATES
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT case_no, item_name, applicant_name, applicant_id_no, state, received_on FROM cases
             WHERE received_on = ?1 OR (handler = ?2 AND state IN ({}))
             ORDER BY id DESC LIMIT ?3",
            open.join(", ")
        ))?;
        let rows = stmt
            .query_map(
                params![
                    self.clock().today().to_string(),
                    actor.id,
                    limit.clamp(1, 500) as i64
                ],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get(5)?,
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<(String, String, String, String, String, String)>>>()?;
        summaries(rows)
    }

    /// Up to `limit` matching cases, newest first (any logged-in clerk; ID
    /// numbers masked).
    /// Any clerk may search: holding a `Clerk` is the proof of a log-in.
    pub fn search_cases(
        &self,
        _actor: &Clerk,
        query: &str,
        limit: usize,
    ) -> Result<Vec<CaseSummary>> {
        let q = query.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, 500) as i64;
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(String, String, String, String, String, String)> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        };
        const COLS: &str =
            "c.case_no, c.item_name, c.applicant_name, c.applicant_id_no, c.state, c.received_on";
        let rows = if q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            let upper = q.to_uppercase();
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLS} FROM cases c WHERE c.id IN (
                    SELECT id FROM cases WHERE case_no >= ?1 AND case_no < ?2
                    UNION SELECT id FROM cases WHERE applicant_id_no >= ?1 AND applicant_id_no < ?2)
                 ORDER BY c.id DESC LIMIT ?3"
            ))?;
            stmt.query_map(params![upper, prefix_end(&upper), limit], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        } else {
            let Some(fts) = name_query(q) else {
                return Ok(Vec::new());
            };
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLS} FROM case_name_fts f JOIN cases c ON c.id = f.rowid
                 WHERE case_name_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2"
            ))?;
            stmt.query_map(params![fts, limit], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        summaries(rows)
    }
}

type SummaryRow = (String, String, String, String, String, String);

fn summaries(rows: Vec<SummaryRow>) -> Result<Vec<CaseSummary>> {
    rows.into_iter()
        .map(|(case_no, item_name, name, id_no, state, received_on)| {
            let state = CaseState::parse(&state)?;
            Ok(CaseSummary {
                case_no,
                item_name,
                applicant_name: name,
                applicant_id_masked: ids::mask_id(&id_no),
                state,
                state_zh: state.label_zh(),
                received_on,
            })
        })
        .collect()
}
