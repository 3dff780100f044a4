//! 好差评: evaluation requests, answers with reasons from the fixed list,
//! defaults, and the evaluation and default rates over a period.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clerk::Clerk;
use crate::engine::Engine;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Satisfied => "satisfied",
            Level::BasicallySatisfied => "basically_satisfied",
            Level::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Result<Level> {
        Ok(match s {
            "satisfied" | "满意" => Level::Satisfied,
            "basically_satisfied" | "基本满意" => Level::BasicallySatisfied,
            "dissatisfied" | "不满意" => Level::Dissatisfied,
            _ => {
                return Err(Error::invalid(
                    "level",
                    format!("unknown level {s}"),
                    format!("评价等级“{s}”无效，应为 满意、基本满意 或 不满意"),
                ));
            }
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Dissatisfied => "不满意",
        }
    }
}

/// The fixed list of reasons for 不满意.
pub const DISSATISFACTION_REASONS: [&str; 7] = [
    "服务态度欠佳",
    "业务能力不强",
    "超承诺时限办结",
    "首问责任履行不到位",
    "一次告知履行不到位",
    "部门内部办理效率低下",
    "其他",
];

pub const CHANNELS: [&str; 5] = ["窗口评价器", "二维码", "短信", "电话回访", "网上大厅"];

/// Rates over a period: for the station, and per handling clerk and per
/// item, so a leader sees where dissatisfaction and missing ratings come from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub total: EvaluationCounts,
    /// Per handling clerk (首办), most cases first.
    pub by_clerk: Vec<EvaluationGroup>,
    /// Per service item, most cases first.
    pub by_item: Vec<EvaluationGroup>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationGroup {
    /// Staff number or item code.
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: EvaluationCounts,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationCounts {
    pub cases: i64,
    pub requested: i64,
    pub answered: i64,
    pub defaulted: i64,
    pub pending: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub dissatisfied: i64,
    /// requests / cases (target ≥ 90 %).
    pub evaluation_rate: Option<f64>,
    /// defaulted / requests (target ≤ 15 %).
    pub default_rate: Option<f64>,
    /// (satisfied + basically satisfied) / answered.
    pub good_rate: Option<f64>,
}

/// The 好差评 of one case as the counter shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseEvaluation {
    pub channel: String,
    /// requested | answered | defaulted
    pub status: String,
    pub status_zh: &'static str,
    pub level: Option<Level>,
    pub level_zh: Option<&'static str>,
    pub reasons: Vec<String>,
    pub comment: String,
    pub requested_at: String,
    pub answered_at: Option<String>,
}

fn status_zh(status: &str) -> &'static str {
    match status {
        "requested" => "待评价",
        "answered" => "已评价",
        "defaulted" => "超期未评价",
        _ => "未知",
    }
}

fn counts(n: [i64; 8]) -> EvaluationCounts {
    let [cases, requested, answered, defaulted, pending, s, b, d] = n;
    EvaluationCounts {
        cases,
        requested,
        answered,
        defaulted,
        pending,
        satisfied: s,
        basically_satisfied: b,
        dissatisfied: d,
        evaluation_rate: ratio(requested, cases),
        default_rate: ratio(defaulted, requested),
        good_rate: ratio(s + b, answered),
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

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
            let n = w.tx.execute(
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
            w.tx.execute(
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
            let mut stmt = w.tx.prepare(
                "SELECT e.id, c.case_no FROM evaluations e JOIN cases c ON c.id = e.case_id
                 WHERE e.status = 'requested' AND e.requested_at < ?1",
            )?;
            let rows = stmt
                .query_map([&cutoff], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (id, case_no) in &rows {
                w.tx.execute(
                    "UPDATE evaluations SET status = 'defaulted' WHERE id = ?1",
                    [id],
                )?;
                w.event("evaluation.defaulted", &json!({"case_no": case_no}))?;
            }
            Ok(rows.len())
        })
    }

    /// Rates over cases received in [`from`, `to`].
    pub fn evaluation_stats(&self, from: NaiveDate, to: NaiveDate) -> Result<EvaluationStats> {
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
