//! 好差评 requests, answers with reasons from the fixed list, defaults, and
//! the rates over a period, from the store.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use serde_json::json;

use crate::domain::clerk::{Clerk, Role};
use crate::domain::evaluation::*;
use crate::engine::Engine;
use crate::error::{Error, Result};

impl Engine {
    /// Asks the applicant of a case to rate the service.
    pub fn request_evaluation(&self, actor: &Clerk, case_no: &str, channel: &str) -> Result<()> {
        if !CHANNELS.contains(&channel) {
            return Err(Error::invalid(
                "channel",
                format!("unknown channel {channel}"),
                format!("评价渠道应为：{}", CHANNELS.join("、")),
            ));
        }
        let c = self.case(case_no)?;
        self.write(|w| {
            let n = w.execute(
                "INSERT INTO evaluations (case_id, channel, status, requested_at) VALUES (?1, ?2, 'requested', ?3)
                 ON CONFLICT(case_id) DO NOTHING",
                params![c.id, channel, w.now],
            )?;
            if n == 0 {
                return Err(Error::rule(
                    "evaluation_exists",
                    "evaluation already requested",
                    "该办件已发起过评价",
                ));
            }
            w.event(
                "evaluation.requested",
                &json!({"case_no": c.case_no, "channel": channel, "actor": actor.staff_no}),
            )?;
            Ok(())
        })
    }

    /// The evaluation of a case, if one was requested.
    pub fn case_evaluation(&self, case_no: &str) -> Result<Option<CaseEvaluation>> {
        // Cached: every case view (and so every case action) asks this.
        let row = self
            .conn
            .prepare_cached(
                "SELECT e.channel, e.status, e.level, e.reasons, e.comment, e.requested_at, e.answered_at
                 FROM evaluations e JOIN cases c ON c.id = e.case_id WHERE c.case_no = ?1",
            )?
            .query_row(
                [case_no.trim()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((channel, status, level, reasons, comment, requested_at, answered_at)) = row
        else {
            return Ok(None);
        };
        let level = level.as_deref().map(Level::parse).transpose()?;
        Ok(Some(CaseEvaluation {
            channel,
            status_zh: status_zh(&status),
            status,
            level,
            level_zh: level.map(Level::label_zh),
            reasons: serde_json::from_str(&reasons)?,
            comment,
            requested_at,
            answered_at,
        }))
    }

    /// Records the applicant's rating. 不满意 needs at least one reason from the list.
    pub fn answer_evaluation(
        &self,
        case_no: &str,
        level: Level,
        reasons: &[String],
        comment: &str,
    ) -> Result<()> {
        for r in reasons {
            if !DISSATISFACTION_REASONS.contains(&r.as_str()) {
                return Err(Error::invalid(
                    "reasons",
                    format!("unknown reason {r}"),
                    format!(
                        "差评原因“{r}”不在规定列表中：{}",
                        DISSATISFACTION_REASONS.join("、")
                    ),
                ));
            }
        }
        if level == Level::Dissatisfied && reasons.is_empty() {
            return Err(Error::invalid(
                "reasons",
                "dissatisfied needs a reason",
                "选择“不满意”时须至少选择一项原因",
            ));
        }
        if level != Level::Dissatisfied && !reasons.is_empty() {
            return Err(Error::invalid(
                "reasons",
                "reasons only for dissatisfied",
                "只有“不满意”评价需要选择原因",
            ));
        }
        if comment.chars().count() > 500 {
            return Err(Error::invalid(
                "comment",
                "comment too long",
                "评价意见不超过500字",
            ));
        }
        let c = self.case(case_no)?;
        let status: Option<String> = self
            .conn
            .query_row(
                "SELECT status FROM evaluations WHERE case_id = ?1",
                [c.id],
                |r| r.get(0),
            )
            .optional()?;
        match status.as_deref() {
            Some("requested") => {}
            Some(_) => {
                return Err(Error::rule(
                    "evaluation_closed",
                    "evaluation already answered or defaulted",
                    "该办件的评价已完成或已超期，不能再次评价",
                ));
            }
            None => {
                return Err(Error::rule(
                    "evaluation_not_requested",
                    "no evaluation requested",
                    "该办件尚未发起评价",
                ));
            }
        }
        let reasons_json = serde_json::to_string(reasons)?;
        self.write(|w| {
            w.execute(
                "UPDATE evaluations SET status = 'answered', level = ?1, reasons = ?2, comment = ?3,
                 answered_at = ?4 WHERE case_id = ?5",
                params![level.as_str(), reasons_json, comment.trim(), w.now, c.id],
            )?;
            w.event(
                "evaluation.answered",
                &json!({"case_no": c.case_no, "level": level.as_str(), "reasons": reasons,
                        "comment": comment.trim()}),
            )?;
            Ok(())
        })
    }

    /// Marks requests older than `days` calendar days as defaulted (未评价).
    /// Defaults are counted as such, never as good ratings.
    pub fn default_expired_evaluations(&self, days: i64) -> Result<usize> {
        let cutoff = (self.clock.now() - chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        self.write(|w| {
            let mut stmt = w.prepare(
                "SELECT e.id, c.case_no FROM evaluations e JOIN cases c ON c.id = e.case_id
                 WHERE e.status = 'requested' AND e.requested_at < ?1",
            )?;
            let rows = stmt
                .query_map([&cutoff], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (id, case_no) in &rows {
                w.execute(
                    "UPDATE evaluations SET status = 'defaulted' WHERE id = ?1",
                    [id],
                )?;
                w.event("evaluation.defaulted", &json!({"case_no": case_no}))?;
            }
            Ok(rows.len())
        })
    }

    /// Rates over cases received in [`from`, `to`].
    /// 好差评 statistics for a period (leaders).
    pub fn evaluation_stats(
        &self,
        actor: &Clerk,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<EvaluationStats> {
        actor.require(Role::Leader, "view_statistics")?;
        let total = self
            .evaluation_groups("''", "''", from, to)?
            .pop()
            .map(|g| g.counts)
            .unwrap_or_else(|| counts([0; 8]));
        Ok(EvaluationStats {
            from,
            to,
            total,
            by_clerk: self.evaluation_groups("h.staff_no", "h.name", from, to)?,
            by_item: self.evaluation_groups("c.item_code", "c.item_name", from, to)?,
        })
    }

    /// Counts grouped by `key` (an SQL expression over cases `c` and the
    /// handling clerk `h`; constants only, never user input).
    fn evaluation_groups(
        &self,
        key: &str,
        name: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<EvaluationGroup>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {key}, {name},
                    count(*),
                    count(e.id),
                    sum(e.status = 'answered'),
                    sum(e.status = 'defaulted'),
                    sum(e.status = 'requested'),
                    sum(e.level = 'satisfied'),
                    sum(e.level = 'basically_satisfied'),
                    sum(e.level = 'dissatisfied')
             FROM cases c JOIN clerks h ON h.id = c.handler
             LEFT JOIN evaluations e ON e.case_id = c.id
             WHERE c.received_on BETWEEN ?1 AND ?2
             GROUP BY 1, 2 ORDER BY 3 DESC, 1"
        ))?;
        let rows = stmt.query_map(params![from, to], |r| {
            let g = |i| r.get::<_, Option<i64>>(i).map(|v| v.unwrap_or(0));
            Ok(EvaluationGroup {
                key: r.get(0)?,
                name: r.get(1)?,
                counts: counts([g(2)?, g(3)?, g(4)?, g(5)?, g(6)?, g(7)?, g(8)?, g(9)?]),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
