//! The 否定备案 register: every approved 不予受理 / 不予许可 with its reasons,
//! proposer and approving leader (filed to the county through sync).

use rusqlite::params;
use serde::Serialize;

use crate::domain::clerk::{Clerk, Role};
use crate::engine::Engine;
use crate::error::Result;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectionFiling {
    pub case_no: String,
    pub item_name: String,
    pub applicant_name: String,
    pub decision: String,
    pub reason: String,
    pub legal_basis: String,
    pub proposed_by: String,
    pub approved_by: String,
    pub approved_at: String,
}

impl Engine {
    /// The register, newest first (leaders: they answer for every filing).
    pub fn rejection_filings(&self, actor: &Clerk, limit: usize) -> Result<Vec<RejectionFiling>> {
        actor.require(Role::Leader, "view_register")?;
        let mut stmt = self.conn.prepare(
            "SELECT c.case_no, c.item_name, c.applicant_name, f.decision, f.reason, f.legal_basis,
                    p.name, a.name, f.approved_at
             FROM rejection_filings f JOIN cases c ON c.id = f.case_id
             JOIN clerks p ON p.id = f.proposed_by JOIN clerks a ON a.id = f.approved_by
             ORDER BY f.id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map(params![limit as i64], |r| {
                Ok(RejectionFiling {
                    case_no: r.get(0)?,
                    item_name: r.get(1)?,
                    applicant_name: r.get(2)?,
                    decision: r.get(3)?,
                    reason: r.get(4)?,
                    legal_basis: r.get(5)?,
                    proposed_by: r.get(6)?,
                    approved_by: r.get(7)?,
                    approved_at: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
