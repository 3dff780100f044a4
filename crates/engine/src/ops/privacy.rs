//! Personal data at the counter: the full ID number is shown only on an
//! explicit request, and every such request is recorded (who, when, which
//! case) as an event that syncs, and listed per case for leaders (等保:
//! access to personal information is auditable).

use rusqlite::params;
use serde::Serialize;
use serde_json::json;

use crate::domain::case::CaseView;
use crate::domain::clerk::{Clerk, Role};
use crate::engine::Engine;
use crate::error::Result;

/// One time someone had a case's full ID number shown.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IdReveal {
    pub case_no: String,
    pub staff_no: String,
    pub clerk_name: String,
    pub at: String,
}

impl Engine {
    /// A case as the window shows it: any logged-in clerk, ID number masked.
    pub fn case_for(&self, _actor: &Clerk, case_no: &str) -> Result<CaseView> {
        Ok(self.case(case_no)?.masked())
    }

    /// The case with its full ID number, recorded as a view of personal data.
    pub fn reveal_id(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let c = self.case(case_no)?;
        self.write(|w| {
            let seq = w.event(
                "case.id_revealed",
                &json!({"case_no": c.case_no, "staff_no": actor.staff_no}),
            )?;
            w.execute(
                "INSERT INTO id_reveals (case_no, staff_no, clerk_name, at, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.case_no, actor.staff_no, actor.name, w.now, seq],
            )?;
            Ok(())
        })?;
        Ok(c)
    }

    /// Who had the case's full ID number shown, oldest first (leaders).
    pub fn id_reveals(&self, actor: &Clerk, case_no: &str) -> Result<Vec<IdReveal>> {
        actor.require(Role::Leader, "view_id_reveals")?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_no, staff_no, clerk_name, at FROM id_reveals WHERE case_no = ?1 ORDER BY at, id",
        )?;
        let rows = stmt
            .query_map([case_no.trim()], |r| {
                Ok(IdReveal {
                    case_no: r.get(0)?,
                    staff_no: r.get(1)?,
                    clerk_name: r.get(2)?,
                    at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
