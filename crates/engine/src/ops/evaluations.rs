//! 好差评 from the store: the serving clerk's request, the applicant's answer
//! on the applicant screen, 默认 after the configured time, 未作答 when the
//! clerk leaves the screen with their password, paper forms (流动测评) entered
//! by staff who did not serve the case, and the rates over a period. Each is
//! one transaction with its event.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use crate::domain::clerk::{Clerk, Purpose, Role};
use crate::domain::evaluation::*;
use crate::domain::settings::EVALUATION_TIMEOUT_KEY;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// What the applicant screen shows for a pending request (三亮明: the
/// serving clerk's name and 工号 are shown; the applicant's are not).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScreenRequest {
    pub screen: String,
    pub case_no: String,
    pub station_name: String,
    pub window_no: String,
    pub clerk_name: String,
    pub clerk_staff_no: String,
    pub item_name: String,
    pub scale: Scale,
    pub reasons: Vec<&'static str>,
    pub max_comment_chars: usize,
    pub due_at: String,
    /// Seconds until the request becomes 默认 (0: due now).
    pub seconds_left: i64,
}

/// The people and ids of a case the 好差评 rules look at.
struct CaseRef {
    id: i64,
    case_no: String,
    handler: i64,
    first_contact: i64,
}

/// A case's evaluation row as the rules look at it.
struct Pending {
    id: i64,
    status: Status,
    requested_by: Option<i64>,
    screen: Option<String>,
    due_at: Option<String>,
}

fn parse_stamp(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn closed_error(status: Status) -> Error {
    Error::rule(
        "evaluation_closed",
        format!("evaluation already {}", status.as_str()),
        format!("该办件的评价已是“{}”，不能再次评价", status.label_zh()),
    )
}

impl Engine {
    /// The 好差评 scale in force: the active catalog's, else three levels.
    pub fn evaluation_scale(&self) -> Result<Scale> {
        Ok(self.catalog()?.evaluation_scale())
    }

    /// Minutes a request waits for the applicant before it becomes 默认.
    pub fn evaluation_timeout_minutes(&self) -> Result<i64> {
        self.integer_setting(EVALUATION_TIMEOUT_KEY)
    }

    fn case_ref(&self, case_no: &str) -> Result<CaseRef> {
        self.conn
            .query_row(
                "SELECT id, case_no, handler, first_contact FROM cases WHERE case_no = ?1",
                [case_no.trim()],
                |r| {
                    Ok(CaseRef {
                        id: r.get(0)?,
                        case_no: r.get(1)?,
                        handler: r.get(2)?,
                        first_contact: r.get(3)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "case",
                key: case_no.trim().into(),
            })
    }

    fn pending(&self, case_id: i64) -> Result<Option<Pending>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, status, requested_by, screen, due_at FROM evaluations WHERE case_id = ?1",
                [case_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, status, requested_by, screen, due_at)| {
            Ok(Pending {
                id,
                status: stored_status(&status)?,
                requested_by,
                screen,
                due_at,
            })
        })
        .transpose()
    }

    /// Whether a pending request's time has run out (an old request without
    /// a due time counts from its request with the timeout in force).
    fn is_due(&self, due_at: Option<&str>, requested_at: Option<&str>) -> Result<bool> {
        let now = self.clock.now();
        let due = match due_at.and_then(parse_stamp) {
            Some(d) => d,
            None => match requested_at.and_then(parse_stamp) {
                Some(r) => r + Duration::minutes(self.evaluation_timeout_minutes()?),
                None => return Ok(true),
            },
        };
        Ok(now >= due)
    }

    /// The serving clerk asks the applicant to rate the service on `screen`
    /// (the applicant-facing screen of the window). Nothing is preselected;
    /// the request becomes 默认 when unanswered within the configured time.
    pub fn request_evaluation(
        &self,
        actor: &Clerk,
        case_no: &str,
        screen: &str,
    ) -> Result<CaseEvaluation> {
        actor.require_capability("request_evaluation")?;
        let screen = check_screen(screen)?;
        let c = self.case_ref(case_no)?;
        if let Some(p) = self.pending(c.id)? {
            return Err(match p.status {
                Status::Requested => Error::rule(
                    "evaluation_exists",
                    "evaluation already requested",
                    "该办件已发起过评价，正在等待办事人作答",
                ),
                s => closed_error(s),
            });
        }
        let busy: Option<(String, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT c.case_no, e.due_at, e.requested_at FROM evaluations e JOIN cases c ON c.id = e.case_id
                 WHERE e.status = 'requested' AND e.screen = ?1 ORDER BY e.id DESC LIMIT 1",
                [screen],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((other, due, requested)) = busy
            && !self.is_due(due.as_deref(), requested.as_deref())?
        {
            return Err(Error::rule(
                "screen_busy",
                format!("screen {screen} still waits for case {other}"),
                format!("评价屏“{screen}”上办件 {other} 的评价尚未结束，请待其作答或超时后再发起"),
            ));
        }
        let minutes = self.evaluation_timeout_minutes()?;
        let due_at = (self.clock.now() + Duration::minutes(minutes))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        self.write(|w| {
            w.execute(
                "INSERT INTO evaluations (case_id, status, requested_by, requested_at, screen, due_at)
                 VALUES (?1, 'requested', ?2, ?3, ?4, ?5)",
                params![c.id, actor.id, w.now, screen, due_at],
            )?;
            w.event(
                "evaluation.requested",
                &json!({"case_no": c.case_no, "screen": screen, "due_at": due_at,
                        "timeout_minutes": minutes, "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        self.case_evaluation_required(&c.case_no)
    }

    fn case_evaluation_required(&self, case_no: &str) -> Result<CaseEvaluation> {
        self.case_evaluation(case_no)?
            .ok_or_else(|| Error::NotFound {
                what: "evaluation",
                key: case_no.into(),
            })
    }

    /// The evaluation of a case, if one was requested or entered.
    pub fn case_evaluation(&self, case_no: &str) -> Result<Option<CaseEvaluation>> {
        // Cached: every case view (and so every case action) asks this.
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.status, e.channel, e.screen, e.answered_on, e.paper_serial, e.scale, e.level,
                    e.level_zh, e.good, e.reasons, e.comment, rq.staff_no, e.requested_at, e.due_at,
                    e.answered_at, en.staff_no, e.legacy_channel
             FROM evaluations e JOIN cases c ON c.id = e.case_id
             LEFT JOIN clerks rq ON rq.id = e.requested_by
             LEFT JOIN clerks en ON en.id = e.entered_by
             WHERE c.case_no = ?1",
        )?;
        let row = stmt
            .query_row([case_no.trim()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    [
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ],
                    r.get::<_, Option<bool>>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, String>(10)?,
                    [
                        r.get(11)?,
                        r.get(12)?,
                        r.get(13)?,
                        r.get(14)?,
                        r.get(15)?,
                        r.get(16)?,
                    ],
                ))
            })
            .optional()?;
        let Some((status, channel, texts, good, reasons, comment, more)) = row else {
            return Ok(None);
        };
        let [screen, answered_on, paper_serial, scale, level, level_zh]: [Option<String>; 6] =
            texts;
        let [
            requested_by,
            requested_at,
            due_at,
            answered_at,
            entered_by,
            legacy_channel,
        ]: [Option<String>; 6] = more;
        let status = stored_status(&status)?;
        let channel = channel.as_deref().and_then(Channel::parse);
        Ok(Some(CaseEvaluation {
            status,
            status_zh: status.label_zh(),
            channel,
            channel_zh: channel.map(Channel::label_zh),
            screen,
            answered_on,
            paper_serial,
            scale,
            level,
            level_zh,
            good,
            reasons: serde_json::from_str(&reasons)?,
            comment,
            requested_by,
            requested_at,
            due_at,
            answered_at,
            entered_by,
            legacy_channel,
        }))
    }

    /// What `screen` should show: its latest pending request still in time.
    pub fn screen_request(&self, screen: &str) -> Result<Option<ScreenRequest>> {
        let screen = check_screen(screen)?;
        let row = self
            .conn
            .query_row(
                "SELECT c.case_no, c.item_name, rq.name, rq.staff_no, rq.window_no, e.due_at, e.requested_at
                 FROM evaluations e JOIN cases c ON c.id = e.case_id
                 JOIN clerks rq ON rq.id = e.requested_by
                 WHERE e.status = 'requested' AND e.screen = ?1 ORDER BY e.id DESC LIMIT 1",
                [screen],
                |r| {
                    Ok((
                        [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                        [r.get::<_, Option<String>>(5)?, r.get(6)?],
                    ))
                },
            )
            .optional()?;
        let Some((
            [case_no, item_name, clerk_name, clerk_staff_no, window_no],
            [due_at, requested],
        )) = row
        else {
            return Ok(None);
        };
        if self.is_due(due_at.as_deref(), requested.as_deref())? {
            return Ok(None);
        }
        let due_at = due_at.unwrap_or_default();
        let seconds_left = parse_stamp(&due_at)
            .map(|d| (d - self.clock.now()).num_seconds().max(0))
            .unwrap_or(0);
        Ok(Some(ScreenRequest {
            screen: screen.to_owned(),
            case_no,
            station_name: self.station()?.name.clone(),
            window_no,
            clerk_name,
            clerk_staff_no,
            item_name,
            scale: self.evaluation_scale()?,
            reasons: DISSATISFACTION_REASONS.to_vec(),
            max_comment_chars: MAX_COMMENT_CHARS,
            due_at,
            seconds_left,
        }))
    }

    /// The applicant's answer, taken by the applicant screen `screen`: no
    /// clerk is involved, so none is passed (no role holds
    /// [`crate::domain::clerk::ANSWER_EVALUATION`]). Only a request shown on
    /// this screen and still in time can be answered, once.
    pub fn answer_on_screen(
        &self,
        screen: &str,
        case_no: &str,
        level: &str,
        reasons: &[String],
        comment: &str,
    ) -> Result<CaseEvaluation> {
        let screen = check_screen(screen)?;
        let scale = self.evaluation_scale()?;
        let answer = check_answer(&scale, level, reasons, comment)?;
        let c = self.case_ref(case_no)?;
        let p = self.open_request(&c, Some(screen))?;
        let reasons_json = serde_json::to_string(&answer.reasons)?;
        self.write(|w| {
            w.execute(
                "UPDATE evaluations SET status = 'answered', channel = 'applicant_screen', answered_on = ?1,
                    scale = ?2, level = ?3, level_zh = ?4, good = ?5, reasons = ?6, comment = ?7,
                    answered_at = ?8, closed_at = ?8
                 WHERE id = ?9 AND status = 'requested'",
                params![
                    screen,
                    answer.scale,
                    answer.level.code,
                    answer.level.label_zh,
                    answer.level.good,
                    reasons_json,
                    answer.comment,
                    w.now,
                    p.id
                ],
            )?;
            w.event(
                "evaluation.answered",
                &json!({"case_no": c.case_no, "channel": Channel::ApplicantScreen.as_str(),
                        "screen": screen, "scale": answer.scale, "level": answer.level.code,
                        "level_zh": answer.level.label_zh, "good": answer.level.good,
                        "reasons": answer.reasons, "comment": answer.comment}),
            )?;
            Ok(())
        })?;
        self.case_evaluation_required(&c.case_no)
    }

    /// A pending request still in time (shown on `screen`, when given).
    fn open_request(&self, c: &CaseRef, screen: Option<&str>) -> Result<Pending> {
        let p = self.pending(c.id)?.ok_or_else(|| {
            Error::rule(
                "evaluation_not_requested",
                "no evaluation requested",
                "该办件尚未发起评价",
            )
        })?;
        if p.status != Status::Requested {
            return Err(closed_error(p.status));
        }
        if let (Some(on), Some(asked)) = (screen, p.screen.as_deref())
            && on != asked
        {
            return Err(Error::rule(
                "wrong_screen",
                format!("request shown on {asked}, answer from {on}"),
                format!("该评价请求是发往评价屏“{asked}”的，不能在“{on}”上作答"),
            ));
        }
        let requested: Option<String> = self.conn.query_row(
            "SELECT requested_at FROM evaluations WHERE id = ?1",
            [p.id],
            |r| r.get(0),
        )?;
        if self.is_due(p.due_at.as_deref(), requested.as_deref())? {
            return Err(Error::rule(
                "evaluation_timed_out",
                "the request timed out",
                "评价请求已超时，按规定记为默认，不能再作答",
            ));
        }
        Ok(p)
    }

    /// The serving clerk leaves the applicant screen with their password
    /// before an answer: the request is closed as 未作答 (counted with the
    /// defaults, never as an answer).
    pub fn leave_unanswered(
        &self,
        screen: &str,
        case_no: &str,
        staff_no: &str,
        password: &str,
    ) -> Result<CaseEvaluation> {
        let screen = check_screen(screen)?;
        let c = self.case_ref(case_no)?;
        let p = self.open_request(&c, Some(screen))?;
        let clerk = self.authenticate(staff_no, password, Purpose::Login)?;
        if p.requested_by.is_some_and(|id| id != clerk.id) {
            return Err(Error::rule(
                "not_the_requester",
                "only the clerk who asked may leave the screen",
                "只有发起本次评价的工作人员可以用密码退出评价屏",
            ));
        }
        self.write(|w| {
            w.execute(
                "UPDATE evaluations SET status = 'unanswered', closed_at = ?1 WHERE id = ?2 AND status = 'requested'",
                params![w.now, p.id],
            )?;
            w.event(
                "evaluation.unanswered",
                &json!({"case_no": c.case_no, "screen": screen, "actor": clerk.staff_no}),
            )?;
            Ok(())
        })?;
        self.case_evaluation_required(&c.case_no)
    }

    /// Marks every request past its time as 默认 (defaulted); returns how
    /// many. A default is counted as such, never as a rating.
    pub fn default_expired_evaluations(&self) -> Result<usize> {
        let rows: Vec<(i64, String, Option<String>, Option<String>)> = {
            let mut stmt = self.conn.prepare(
                "SELECT e.id, c.case_no, e.due_at, e.requested_at FROM evaluations e
                 JOIN cases c ON c.id = e.case_id WHERE e.status = 'requested' ORDER BY e.id",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut due = Vec::new();
        for (id, case_no, due_at, requested_at) in rows {
            if self.is_due(due_at.as_deref(), requested_at.as_deref())? {
                due.push((id, case_no, due_at));
            }
        }
        if due.is_empty() {
            return Ok(0);
        }
        self.write(|w| {
            for (id, case_no, due_at) in &due {
                w.execute(
                    "UPDATE evaluations SET status = 'defaulted', closed_at = ?1 WHERE id = ?2 AND status = 'requested'",
                    params![w.now, id],
                )?;
                w.event(
                    "evaluation.defaulted",
                    &json!({"case_no": case_no, "due_at": due_at}),
                )?;
            }
            Ok(due.len())
        })
    }

    /// A paper form (流动测评) entered by staff who did not serve the case
    /// (neither its 首问 nor its 首办, nor the clerk who asked for a rating).
    /// It answers a pending request, or stands alone when none was made; its
    /// serial number is unique in the station.
    pub fn enter_paper_evaluation(
        &self,
        actor: &Clerk,
        case_no: &str,
        form: &PaperForm,
    ) -> Result<CaseEvaluation> {
        actor.require_capability("enter_paper_evaluation")?;
        let serial = check_serial(&form.serial)?;
        let scale = self.evaluation_scale()?;
        let answer = check_answer(&scale, &form.level, &form.reasons, &form.comment)?;
        let c = self.case_ref(case_no)?;
        let p = self.pending(c.id)?;
        let served = [
            Some(c.handler),
            Some(c.first_contact),
            p.as_ref().and_then(|p| p.requested_by),
        ];
        if served.contains(&Some(actor.id)) {
            return Err(Error::rule(
                "paper_by_server",
                "staff who served the case may not enter its paper form",
                "为本件服务的工作人员（首问、首办或发起评价者）不能录入本件的纸质评价表，请由其他工作人员录入",
            ));
        }
        // A request whose time ran out is a 默认; a form entered later does
        // not turn it into an answer.
        if p.is_some() {
            self.open_request(&c, None)?;
        }
        let taken: Option<String> = self
            .conn
            .query_row(
                "SELECT c.case_no FROM evaluations e JOIN cases c ON c.id = e.case_id WHERE e.paper_serial = ?1",
                [serial],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = taken {
            return Err(Error::rule(
                "paper_serial_taken",
                format!("paper form {serial} already entered for case {other}"),
                format!("编号为“{serial}”的纸质评价表已录入（办件 {other}），同一张表不能录入两次"),
            ));
        }
        let reasons_json = serde_json::to_string(&answer.reasons)?;
        self.write(|w| {
            let values = params![
                serial,
                actor.id,
                answer.scale,
                answer.level.code,
                answer.level.label_zh,
                answer.level.good,
                reasons_json,
                answer.comment,
                w.now,
                c.id
            ];
            match &p {
                Some(_) => w.execute(
                    "UPDATE evaluations SET status = 'answered', channel = 'paper', paper_serial = ?1,
                        entered_by = ?2, scale = ?3, level = ?4, level_zh = ?5, good = ?6, reasons = ?7,
                        comment = ?8, answered_at = ?9, closed_at = ?9
                     WHERE case_id = ?10 AND status = 'requested'",
                    values,
                )?,
                None => w.execute(
                    "INSERT INTO evaluations (paper_serial, entered_by, scale, level, level_zh, good, reasons,
                        comment, answered_at, closed_at, case_id, status, channel)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, 'answered', 'paper')",
                    values,
                )?,
            };
            w.event(
                "evaluation.paper_entered",
                &json!({"case_no": c.case_no, "channel": Channel::Paper.as_str(), "serial": serial,
                        "answered_request": p.is_some(), "scale": answer.scale,
                        "level": answer.level.code, "level_zh": answer.level.label_zh,
                        "good": answer.level.good, "reasons": answer.reasons,
                        "comment": answer.comment, "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        self.case_evaluation_required(&c.case_no)
    }

    /// 好差评 statistics over cases received in [`from`, `to`] (leaders).
    pub fn evaluation_stats(
        &self,
        actor: &Clerk,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<EvaluationStats> {
        actor.require(Role::Leader, "view_statistics")?;
        let mut stmt = self.conn.prepare(
            "SELECT h.staff_no, h.name, c.item_code, c.item_name, e.status, e.requested_at IS NOT NULL,
                    e.channel, e.level, e.level_zh, e.good
             FROM cases c JOIN clerks h ON h.id = c.handler
             LEFT JOIN evaluations e ON e.case_id = c.id
             WHERE c.received_on BETWEEN ?1 AND ?2",
        )?;
        let raw = stmt
            .query_map(params![from, to], |r| {
                Ok((
                    [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?],
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<bool>>(5)?.unwrap_or(false),
                    [r.get::<_, Option<String>>(6)?, r.get(7)?, r.get(8)?],
                    r.get::<_, Option<bool>>(9)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut rows = Vec::with_capacity(raw.len());
        for (
            [clerk_key, clerk_name, item_code, item_name],
            status,
            requested,
            [channel, level, level_zh],
            good,
        ) in raw
        {
            rows.push(StatRow {
                clerk_key,
                clerk_name,
                item_code,
                item_name,
                status: status.as_deref().map(stored_status).transpose()?,
                requested,
                channel: channel.as_deref().and_then(Channel::parse),
                level,
                level_zh,
                good,
            });
        }
        Ok(tally(from, to, &self.evaluation_scale()?, &rows))
    }
}

fn stored_status(s: &str) -> Result<Status> {
    Status::parse(s).ok_or_else(|| {
        Error::invalid(
            "status",
            format!("unknown evaluation status {s:?}"),
            format!("评价记录的状态“{s}”无法识别"),
        )
    })
}
