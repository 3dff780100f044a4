//! [`Console`] over `staff`, `staff_sessions`, `staff_login_failures`,
//! `staff_audit` and the projections the 总览 reads.

use std::collections::BTreeMap;

use crate::console::overview::{DEADLINE_STATES, SUPPLEMENT_STATES};
use crate::console::rules::Failures;
use crate::protocol::projection::FILING_KINDS;
use crate::storage::{
    AuditRow, BadAnswer, Console, EvaluationCount, EvaluationFacts, NewAudit, PeriodCounts,
    SessionRecord, StaffChange, StaffRecord, StationFigures, StorageError,
};

use super::{OrBackend, PgStorage};

const STAFF_COLUMNS: &str = "id, login, name, role, password_hash, disabled,
    to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')";

fn staff_row(r: &tokio_postgres::Row) -> StaffRecord {
    StaffRecord {
        id: r.get(0),
        login: r.get(1),
        name: r.get(2),
        role: r.get(3),
        password_hash: r.get(4),
        disabled: r.get(5),
        created_at: r.get(6),
    }
}

/// One query on a connection of its own (for reads run side by side).
async fn query_on(
    pool: &deadpool_postgres::Pool,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>, StorageError> {
    let client = pool.get().await.db()?;
    client.query(sql, params).await.db()
}

pub(super) async fn insert_audit(
    c: &impl tokio_postgres::GenericClient,
    a: NewAudit<'_>,
) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO staff_audit (staff_id, login, action, detail, address) VALUES ($1, $2, $3, $4, $5)",
        &[&a.staff_id, &a.login, &a.action, &a.detail, &a.address],
    )
    .await
    .db()?;
    Ok(())
}

impl Console for PgStorage {
    async fn add_staff(
        &self,
        login: &str,
        name: &str,
        role: &str,
        password_hash: &str,
        audit: NewAudit<'_>,
    ) -> Result<Option<i64>, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let Some(row) = tx
            .query_opt(
                "INSERT INTO staff (login, name, role, password_hash) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (login) DO NOTHING RETURNING id",
                &[&login, &name, &role, &password_hash],
            )
            .await
            .db()?
        else {
            return Ok(None);
        };
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(Some(row.get(0)))
    }

    async fn find_staff(&self, login: &str) -> Result<Option<StaffRecord>, StorageError> {
        let client = self.pool.get().await.db()?;
        let row = client
            .query_opt(
                &format!("SELECT {STAFF_COLUMNS} FROM staff WHERE login = $1"),
                &[&login],
            )
            .await
            .db()?;
        Ok(row.as_ref().map(staff_row))
    }

    async fn staff_by_id(&self, id: i64) -> Result<Option<StaffRecord>, StorageError> {
        let client = self.pool.get().await.db()?;
        let row = client
            .query_opt(
                &format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1"),
                &[&id],
            )
            .await
            .db()?;
        Ok(row.as_ref().map(staff_row))
    }

    async fn list_staff(&self) -> Result<Vec<StaffRecord>, StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                &format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY login"),
                &[],
            )
            .await
            .db()?;
        Ok(rows.iter().map(staff_row).collect())
    }

    async fn change_staff(
        &self,
        id: i64,
        change: &StaffChange,
        audit: NewAudit<'_>,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let n = tx
            .execute(
                "UPDATE staff SET name = coalesce($2, name), role = coalesce($3, role),
                    disabled = coalesce($4, disabled), password_hash = coalesce($5, password_hash),
                    password_changed_at = CASE WHEN $5::text IS NULL THEN password_changed_at ELSE now() END
                 WHERE id = $1",
                &[
                    &id,
                    &change.name,
                    &change.role,
                    &change.disabled,
                    &change.password_hash,
                ],
            )
            .await
            .db()?;
        if n == 0 {
            return Ok(false);
        }
        if change.disabled == Some(true) || change.password_hash.is_some() || change.role.is_some()
        {
            // What the account could do is no longer what its sessions may.
            tx.execute("DELETE FROM staff_sessions WHERE staff_id = $1", &[&id])
                .await
                .db()?;
        }
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn login_failures(&self, login: &str) -> Result<Option<Failures>, StorageError> {
        let client = self.pool.get().await.db()?;
        let row = client
            .query_opt(
                "SELECT failures, first_at_ms, locked_until_ms FROM staff_login_failures WHERE login = $1",
                &[&login],
            )
            .await
            .db()?;
        Ok(row.map(|r| Failures {
            failures: u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
            first_at_ms: r.get(1),
            locked_until_ms: r.get(2),
        }))
    }

    async fn put_login_failures(&self, login: &str, f: Failures) -> Result<(), StorageError> {
        let client = self.pool.get().await.db()?;
        let failures = i32::try_from(f.failures).unwrap_or(i32::MAX);
        client
            .execute(
                "INSERT INTO staff_login_failures (login, failures, first_at_ms, locked_until_ms)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (login) DO UPDATE SET failures = $2, first_at_ms = $3, locked_until_ms = $4",
                &[&login, &failures, &f.first_at_ms, &f.locked_until_ms],
            )
            .await
            .db()?;
        Ok(())
    }

    async fn clear_login_failures(&self, login: &str) -> Result<(), StorageError> {
        let client = self.pool.get().await.db()?;
        client
            .execute(
                "DELETE FROM staff_login_failures WHERE login = $1",
                &[&login],
            )
            .await
            .db()?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        csrf_hash: &str,
        staff_id: i64,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let client = self.pool.get().await.db()?;
        // Expired sessions go as new ones come (no background sweeper needed).
        client
            .execute(
                "DELETE FROM staff_sessions WHERE last_seen_ms < $1 OR created_ms < $2",
                &[
                    &(now_ms - crate::console::rules::IDLE_MS),
                    &(now_ms - crate::console::rules::ABSOLUTE_MS),
                ],
            )
            .await
            .db()?;
        client
            .execute(
                "INSERT INTO staff_sessions (token_hash, csrf_hash, staff_id, created_ms, last_seen_ms)
                 VALUES ($1, $2, $3, $4, $4)",
                &[&token_hash, &csrf_hash, &staff_id, &now_ms],
            )
            .await
            .db()?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StorageError> {
        let client = self.pool.get().await.db()?;
        let cols = STAFF_COLUMNS.replace("id, login", "s.id, s.login");
        let row = client
            .query_opt(
                &format!(
                    "SELECT {cols}, ss.csrf_hash, ss.created_ms, ss.last_seen_ms
                     FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
                     WHERE ss.token_hash = $1"
                ),
                &[&token_hash],
            )
            .await
            .db()?;
        Ok(row.map(|r| SessionRecord {
            staff: staff_row(&r),
            csrf_hash: r.get(7),
            created_ms: r.get(8),
            last_seen_ms: r.get(9),
        }))
    }

    async fn touch_session(&self, token_hash: &str, now_ms: i64) -> Result<(), StorageError> {
        let client = self.pool.get().await.db()?;
        client
            .execute(
                "UPDATE staff_sessions SET last_seen_ms = greatest(last_seen_ms, $2) WHERE token_hash = $1",
                &[&token_hash, &now_ms],
            )
            .await
            .db()?;
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), StorageError> {
        let client = self.pool.get().await.db()?;
        client
            .execute(
                "DELETE FROM staff_sessions WHERE token_hash = $1",
                &[&token_hash],
            )
            .await
            .db()?;
        Ok(())
    }

    async fn audit(&self, entry: NewAudit<'_>) -> Result<(), StorageError> {
        let client = self.pool.get().await.db()?;
        insert_audit(&**client, entry).await
    }

    async fn audit_log(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditRow>, i64), StorageError> {
        let client = self.pool.get().await.db()?;
        let total: i64 = client
            .query_one("SELECT count(*) FROM staff_audit", &[])
            .await
            .db()?
            .get(0);
        let rows = client
            .query(
                "SELECT id, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), staff_id,
                        login, action, detail, address
                 FROM staff_audit ORDER BY id DESC LIMIT $1 OFFSET $2",
                &[&limit, &offset],
            )
            .await
            .db()?;
        Ok((
            rows.iter()
                .map(|r| AuditRow {
                    id: r.get(0),
                    at: r.get(1),
                    staff_id: r.get(2),
                    login: r.get(3),
                    action: r.get(4),
                    detail: r.get(5),
                    address: r.get(6),
                })
                .collect(),
            total,
        ))
    }

    async fn station_figures(
        &self,
        today: chrono::NaiveDate,
        month_start: chrono::NaiveDate,
    ) -> Result<Vec<StationFigures>, StorageError> {
        // Which deadline runs in which state is the overview module's.
        let deadline_states: Vec<&str> = DEADLINE_STATES.to_vec();
        let supplement_states: Vec<&str> = SUPPLEMENT_STATES.to_vec();
        let kinds = FILING_KINDS.as_slice();
        // Independent reads, on connections of their own at once: the page
        // waits for the slowest, not for their sum.
        let p4 = [
            &today as &(dyn tokio_postgres::types::ToSql + Sync),
            &month_start,
        ];
        let p5 = [
            &today as &(dyn tokio_postgres::types::ToSql + Sync),
            &month_start,
            &kinds,
        ];
        let p6 = [
            &deadline_states as &(dyn tokio_postgres::types::ToSql + Sync),
            &supplement_states,
        ];
        let (q1, q2, q3, q4, q5, q6) = tokio::try_join!(
            query_on(
                &self.pool,
                "SELECT station_code, count(*), count(*) FILTER (WHERE revoked_at IS NOT NULL),
                        to_char(max(greatest(last_contact_at, last_upload_at)) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                        (extract(epoch FROM max(greatest(last_contact_at, last_upload_at))) * 1000)::int8,
                        sum(head_seq - projected_seq)::int8
                 FROM devices GROUP BY station_code",
                &[],
            ),
            query_on(
                &self.pool,
                "SELECT DISTINCT ON (station_code) station_code, station_name, at_risk_days, catalog_version,
                        app_version
                 FROM station_facts ORDER BY station_code, last_device_time DESC NULLS LAST",
                &[],
            ),
            query_on(
                &self.pool,
                "SELECT d.station_code, count(*) FROM quarantine q JOIN devices d ON d.log_id = q.log_id
                 GROUP BY 1",
                &[],
            ),
            query_on(
                &self.pool,
                "SELECT c.station_code, c.received_on = $1,
                        count(*), count(e.requested_at),
                        count(*) FILTER (WHERE e.status = 'answered'),
                        count(*) FILTER (WHERE e.status = 'defaulted'),
                        count(*) FILTER (WHERE e.status = 'answered' AND e.level = 'satisfied'),
                        count(*) FILTER (WHERE e.status = 'answered' AND e.level = 'basically_satisfied'),
                        count(*) FILTER (WHERE e.status = 'answered' AND e.level = 'dissatisfied'),
                        count(e.case_no),
                        count(*) FILTER (WHERE e.status = 'unanswered'),
                        count(*) FILTER (WHERE e.status = 'answered' AND e.good)
                 FROM cases c LEFT JOIN evaluations e ON e.log_id = c.log_id AND e.case_no = c.case_no
                      AND e.received_on BETWEEN $2 AND $1
                 WHERE c.received_on BETWEEN $2 AND $1
                 GROUP BY 1, 2",
                &p4,
            ),
            query_on(
                &self.pool,
                "SELECT station_code, count(*) FILTER (WHERE decided_on = $1), count(*)
                 FROM filings WHERE decided_on BETWEEN $2 AND $1 AND kind = ANY($3) GROUP BY 1",
                &p5,
            ),
            query_on(
                &self.pool,
                "SELECT station_code, due, count(*) FROM (
                    SELECT station_code, least(
                        CASE WHEN state = ANY($2) THEN supplement_due END,
                        promised_due, statutory_due) AS due
                    FROM cases WHERE state = ANY($1)) open
                 WHERE due IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
                &p6,
            ),
        )?;
        let mut by: BTreeMap<String, StationFigures> = BTreeMap::new();
        for r in q1 {
            let code: String = r.get(0);
            by.insert(
                code.clone(),
                StationFigures {
                    station_code: code,
                    devices: r.get(1),
                    revoked_devices: r.get(2),
                    last_contact: r.get(3),
                    last_contact_ms: r.get(4),
                    backlog: r.get(5),
                    ..Default::default()
                },
            );
        }
        // The facts of the station's newest log (a re-enrolled device's).
        for r in q2 {
            if let Some(f) = by.get_mut(r.get::<_, &str>(0)) {
                f.station_name = r.get(1);
                f.at_risk_days = r.get::<_, Option<i32>>(2).map(i64::from);
                f.catalog_version = r.get(3);
                f.app_version = r.get(4);
            }
        }
        for r in q3 {
            if let Some(f) = by.get_mut(r.get::<_, &str>(0)) {
                f.quarantined = r.get(1);
            }
        }
        // 好差评 counts over the cases received in the period (the station's rule).
        for r in q4 {
            let Some(f) = by.get_mut(r.get::<_, &str>(0)) else {
                continue;
            };
            let p = PeriodCounts {
                cases: r.get(2),
                requested: r.get(3),
                answered: r.get(4),
                defaulted: r.get(5),
                satisfied: r.get(6),
                basically_satisfied: r.get(7),
                dissatisfied: r.get(8),
                evaluated: r.get(9),
                unanswered: r.get(10),
                good: r.get(11),
                rejections: 0,
            };
            f.month += &p;
            if r.get::<_, bool>(1) {
                f.today += &p;
            }
        }
        for r in q5 {
            if let Some(f) = by.get_mut(r.get::<_, &str>(0)) {
                f.today.rejections = r.get(1);
                f.month.rejections = r.get(2);
            }
        }
        for r in q6 {
            if let Some(f) = by.get_mut(r.get::<_, &str>(0)) {
                f.open_deadlines.push((r.get(1), r.get(2)));
            }
        }
        Ok(by.into_values().collect())
    }

    async fn evaluation_facts(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        bad_limit: i64,
    ) -> Result<EvaluationFacts, StorageError> {
        // Three independent reads of the month, on three connections at
        // once: the page waits for the slowest, not for their sum.
        let (month, limit) = (
            [&from as &(dyn tokio_postgres::types::ToSql + Sync), &to],
            [
                &from as &(dyn tokio_postgres::types::ToSql + Sync),
                &to,
                &bad_limit,
            ],
        );
        let (counts, names, bad) = tokio::try_join!(
            query_on(
                &self.pool,
                "SELECT c.station_code, c.handler, c.item_code, e.status, e.channel, e.level, e.good,
                        e.requested_at IS NOT NULL, count(*)
                 FROM cases c LEFT JOIN evaluations e ON e.log_id = c.log_id AND e.case_no = c.case_no
                      AND e.received_on BETWEEN $1 AND $2
                 WHERE c.received_on BETWEEN $1 AND $2
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
                &month,
            ),
            query_on(
                &self.pool,
                "SELECT DISTINCT ON (station_code) station_code, station_name
                 FROM station_facts WHERE station_name IS NOT NULL
                 ORDER BY station_code, last_device_time DESC NULLS LAST",
                &[],
            ),
            query_on(
                &self.pool,
                "SELECT c.station_code, c.case_no, c.handler, c.item_code, e.channel, e.level,
                        e.reasons, e.comment, e.answered_at, count(*) OVER ()
                 FROM evaluations e JOIN cases c ON c.log_id = e.log_id AND c.case_no = e.case_no
                 WHERE e.received_on BETWEEN $1 AND $2 AND e.status = 'answered' AND e.good = false
                 ORDER BY e.answered_at DESC NULLS LAST, c.station_code, c.case_no
                 LIMIT $3",
                &limit,
            ),
        )?;
        let mut facts = EvaluationFacts::default();
        for r in counts {
            facts.counts.push(EvaluationCount {
                station_code: r.get(0),
                handler: r.get(1),
                item_code: r.get(2),
                status: r.get(3),
                channel: r.get(4),
                level: r.get(5),
                good: r.get(6),
                requested: r.get(7),
                cases: r.get(8),
            });
        }
        for r in names {
            facts.station_names.insert(r.get(0), r.get(1));
        }
        for r in bad {
            let reasons: Option<String> = r.get(6);
            facts.bad_total = r.get(9);
            facts.bad.push(BadAnswer {
                station_code: r.get(0),
                case_no: r.get(1),
                handler: r.get(2),
                item_code: r.get(3),
                channel: r.get(4),
                level: r.get(5),
                // Written by the projection from the event's list; anything
                // else is shown as one reason rather than lost.
                reasons: reasons
                    .map(|t| serde_json::from_str::<Vec<String>>(&t).unwrap_or_else(|_| vec![t]))
                    .unwrap_or_default(),
                comment: r.get(7),
                answered_at: r.get(8),
            });
        }
        Ok(facts)
    }
}
