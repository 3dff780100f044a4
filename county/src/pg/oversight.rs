//! [`Oversight`] over the projections (`filings`, `cases`, `notices`,
//! `supervision_receipts`) and the county's own records (`filing_reviews`,
//! `supervision`).

use std::collections::BTreeMap;

use tokio_postgres::Row;

use crate::protocol::projection::{CLOSING_EVENTS, FILING_KINDS};
use crate::storage::{
    CaseDetail, ClosingCount, DeadlineFacts, EvaluationRecord, FilingFacts, FilingQuery,
    FilingRecord, FlagOutcome, FlagRecord, HistoryStep, NewAudit, NewFlag, NewReview, NoticeRecord,
    OpenCase, Oversight, ReviewRecord, StorageError,
};

use super::console::insert_audit;
use super::{OrBackend, PgStorage};

/// A filing row with its case's facts and its latest review; `$1`..`$3`
/// are the period and the kinds, the caller adds its own conditions.
const FILING_SELECT: &str = "
    SELECT f.log_id, f.seq, f.station_code, f.case_no, f.kind, f.reason, f.legal_basis,
           f.proposed_by, f.approved_by, f.decided_on, f.device_time,
           c.item_code, c.handler, c.applicant_masked, c.applicant_id_masked,
           r.verdict, r.comment, s.login, s.name,
           to_char(r.reviewed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
           coalesce(rc.n, 0)
    FROM filings f
    LEFT JOIN cases c ON c.log_id = f.log_id AND c.case_no = f.case_no
    LEFT JOIN LATERAL (SELECT verdict, comment, staff_id, reviewed_at FROM filing_reviews fr
                       WHERE fr.log_id = f.log_id AND fr.seq = f.seq ORDER BY fr.id DESC LIMIT 1) r ON true
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM filing_reviews fr
                       WHERE fr.log_id = f.log_id AND fr.seq = f.seq) rc ON true
    LEFT JOIN staff s ON s.id = r.staff_id
    WHERE f.decided_on BETWEEN $1 AND $2 AND f.kind = ANY($3)";

fn filing(r: &Row) -> FilingRecord {
    let verdict: Option<String> = r.get(15);
    FilingRecord {
        log_id: r.get(0),
        seq: r.get(1),
        station_code: r.get(2),
        case_no: r.get(3),
        kind: r.get(4),
        reason: r.get(5),
        legal_basis: r.get(6),
        proposed_by: r.get(7),
        approved_by: r.get(8),
        decided_on: r.get(9),
        device_time: r.get(10),
        item_code: r.get(11),
        handler: r.get(12),
        applicant_masked: r.get(13),
        applicant_id_masked: r.get(14),
        review: verdict.map(|verdict| ReviewRecord {
            verdict,
            comment: r.get(16),
            reviewer_login: r.get::<_, Option<String>>(17).unwrap_or_default(),
            reviewer_name: r.get::<_, Option<String>>(18).unwrap_or_default(),
            reviewed_at: r.get::<_, Option<String>>(19).unwrap_or_default(),
        }),
        reviews: r.get(20),
        notices: Vec::new(),
    }
}

impl Oversight for PgStorage {
    async fn filings(&self, q: &FilingQuery) -> Result<FilingFacts, StorageError> {
        let client = self.pool.get().await.db()?;
        let kinds: Vec<&str> = FILING_KINDS.to_vec();
        let closing_kinds: Vec<&str> = CLOSING_EVENTS.iter().map(|(_, k)| *k).collect();
        let station = q.station.as_deref().filter(|s| !s.is_empty());
        // The verdict filter reads the latest review only.
        let filter = "AND ($4::text IS NULL OR f.station_code = $4)
             AND ($5::text IS NULL OR ($5 = 'unreviewed' AND r.verdict IS NULL) OR r.verdict = $5)";
        let verdict = q.verdict.as_deref().filter(|v| !v.is_empty());
        let total: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM ({FILING_SELECT} {filter}) t"),
                &[&q.from, &q.to, &kinds, &station, &verdict],
            )
            .await
            .db()?
            .get(0);
        let rows = client
            .query(
                &format!(
                    "{FILING_SELECT} {filter}
                     ORDER BY f.decided_on DESC, f.station_code, f.seq DESC LIMIT $6 OFFSET $7"
                ),
                &[
                    &q.from, &q.to, &kinds, &station, &verdict, &q.limit, &q.offset,
                ],
            )
            .await
            .db()?;
        let mut filings: Vec<FilingRecord> = rows.iter().map(filing).collect();
        attach_notices(&client, &mut filings).await?;

        let verdicts = client
            .query(
                "SELECT f.station_code, r.verdict, count(*) FROM filings f
                 LEFT JOIN LATERAL (SELECT verdict FROM filing_reviews fr
                    WHERE fr.log_id = f.log_id AND fr.seq = f.seq ORDER BY fr.id DESC LIMIT 1) r ON true
                 WHERE f.decided_on BETWEEN $1 AND $2 AND f.kind = ANY($3)
                   AND ($4::text IS NULL OR f.station_code = $4)
                 GROUP BY 1, 2 ORDER BY 1, 2",
                &[&q.from, &q.to, &kinds, &station],
            )
            .await
            .db()?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();

        let all_kinds: Vec<&str> = kinds.iter().chain(closing_kinds.iter()).copied().collect();
        let per_clerk = client
            .query(
                "SELECT station_code, proposed_by, kind, count(*) FROM filings
                 WHERE decided_on BETWEEN $1 AND $2 AND kind = ANY($3)
                   AND ($4::text IS NULL OR station_code = $4)
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                &[&q.from, &q.to, &all_kinds, &station],
            )
            .await
            .db()?
            .iter()
            .map(|r| ClosingCount {
                station_code: r.get(0),
                actor: r.get(1),
                kind: r.get(2),
                count: r.get(3),
            })
            .collect();

        let closings_total: i64 = client
            .query_one(
                "SELECT count(*) FROM filings WHERE decided_on BETWEEN $1 AND $2 AND kind = ANY($3)
                   AND ($4::text IS NULL OR station_code = $4)",
                &[&q.from, &q.to, &closing_kinds, &station],
            )
            .await
            .db()?
            .get(0);
        let closings = client
            .query(
                &format!(
                    "{FILING_SELECT} AND ($4::text IS NULL OR f.station_code = $4)
                     ORDER BY f.decided_on DESC, f.station_code, f.seq DESC LIMIT $5"
                ),
                &[&q.from, &q.to, &closing_kinds, &station, &q.closings_limit],
            )
            .await
            .db()?
            .iter()
            .map(filing)
            .collect();

        Ok(FilingFacts {
            filings,
            total,
            verdicts,
            per_clerk,
            closings,
            closings_total,
            station_names: station_names(&client).await?,
        })
    }

    async fn review_filing(
        &self,
        review: &NewReview<'_>,
        audit: NewAudit<'_>,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let kinds: Vec<&str> = FILING_KINDS.to_vec();
        let n = tx
            .execute(
                "INSERT INTO filing_reviews (log_id, seq, station_code, case_no, verdict, comment, staff_id)
                 SELECT log_id, seq, station_code, case_no, $3, $4, $5 FROM filings
                 WHERE log_id = $1 AND seq = $2 AND kind = ANY($6)",
                &[
                    &review.log_id,
                    &review.seq,
                    &review.verdict,
                    &review.comment,
                    &review.staff_id,
                    &kinds,
                ],
            )
            .await
            .db()?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn case_detail(
        &self,
        station: &str,
        case_no: &str,
    ) -> Result<Option<CaseDetail>, StorageError> {
        let client = self.pool.get().await.db()?;
        let Some(r) = client
            .query_opt(
                "SELECT log_id, state, item_code, first_contact, handler, applicant_masked,
                        applicant_id_masked, received_on, onetime_due, accepted_on, promised_due,
                        statutory_due, supplement_due, closed_on, catalog_version
                 FROM cases WHERE station_code = $1 AND case_no = $2
                 ORDER BY last_device_time DESC LIMIT 1",
                &[&station, &case_no],
            )
            .await
            .db()?
        else {
            return Ok(None);
        };
        let log_id: String = r.get(0);
        let history = client
            .query(
                "SELECT seq, action, state, actor, reason, device_time FROM case_events
                 WHERE log_id = $1 AND case_no = $2 ORDER BY seq",
                &[&log_id, &case_no],
            )
            .await
            .db()?
            .iter()
            .map(|h| HistoryStep {
                seq: h.get(0),
                action: h.get(1),
                state: h.get(2),
                actor: h.get(3),
                reason: h.get(4),
                device_time: h.get(5),
            })
            .collect();
        let notices = notices_of(&client, &[(log_id.as_str(), case_no)])
            .await?
            .into_values()
            .next()
            .unwrap_or_default();
        let evaluation = client
            .query_opt(
                "SELECT status, channel, level, reasons, comment FROM evaluations
                 WHERE log_id = $1 AND case_no = $2",
                &[&log_id, &case_no],
            )
            .await
            .db()?
            .map(|e| EvaluationRecord {
                status: e.get(0),
                channel: e.get(1),
                level: e.get(2),
                reasons: e
                    .get::<_, Option<String>>(3)
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default(),
                comment: e.get(4),
            });
        let flag = self
            .open_flags(Some(station))
            .await?
            .into_iter()
            .find(|f| f.case_no == case_no);
        Ok(Some(CaseDetail {
            station_code: station.to_owned(),
            log_id,
            case_no: case_no.to_owned(),
            state: r.get(1),
            item_code: r.get(2),
            first_contact: r.get(3),
            handler: r.get(4),
            applicant_masked: r.get(5),
            applicant_id_masked: r.get(6),
            received_on: r.get(7),
            onetime_due: r.get(8),
            accepted_on: r.get(9),
            promised_due: r.get(10),
            statutory_due: r.get(11),
            supplement_due: r.get(12),
            closed_on: r.get(13),
            catalog_version: r.get(14),
            history,
            notices,
            evaluation,
            flag,
        }))
    }

    async fn at_risk_settings(&self) -> Result<BTreeMap<String, i64>, StorageError> {
        let client = self.pool.get().await.db()?;
        let mut at_risk_days = BTreeMap::new();
        for r in client
            .query(
                "SELECT DISTINCT ON (station_code) station_code, at_risk_days
                 FROM station_facts ORDER BY station_code, last_device_time DESC NULLS LAST",
                &[],
            )
            .await
            .db()?
        {
            if let Some(d) = r.get::<_, Option<i32>>(1) {
                at_risk_days.insert(r.get(0), i64::from(d));
            }
        }
        Ok(at_risk_days)
    }

    async fn deadline_cases(
        &self,
        cutoff: chrono::NaiveDate,
    ) -> Result<DeadlineFacts, StorageError> {
        use crate::console::overview::{DEADLINE_STATES, SUPPLEMENT_STATES};
        let client = self.pool.get().await.db()?;
        let deadline_states: Vec<&str> = DEADLINE_STATES.to_vec();
        let supplement_states: Vec<&str> = SUPPLEMENT_STATES.to_vec();
        let rows = client
            .query(
                // Two arms, not an OR: each uses its index (cases by state;
                // flags by case).
                "SELECT c.station_code, c.case_no, c.state, c.item_code, c.handler, c.applicant_masked,
                        c.received_on, c.promised_due, c.statutory_due, c.supplement_due
                 FROM cases c
                 WHERE c.state = ANY($1) AND least(
                          CASE WHEN c.state = ANY($2) THEN c.supplement_due END,
                          c.promised_due, c.statutory_due) < $3
                 UNION
                 SELECT c.station_code, c.case_no, c.state, c.item_code, c.handler, c.applicant_masked,
                        c.received_on, c.promised_due, c.statutory_due, c.supplement_due
                 FROM supervision s JOIN cases c ON c.station_code = s.station_code AND c.case_no = s.case_no
                 WHERE s.lifted_at IS NULL",
                &[&deadline_states, &supplement_states, &cutoff],
            )
            .await
            .db()?;
        let cases = rows
            .iter()
            .map(|r| OpenCase {
                station_code: r.get(0),
                case_no: r.get(1),
                state: r.get(2),
                item_code: r.get(3),
                handler: r.get(4),
                applicant_masked: r.get(5),
                received_on: r.get(6),
                promised_due: r.get(7),
                statutory_due: r.get(8),
                supplement_due: r.get(9),
            })
            .collect();
        let at_risk_days = self.at_risk_settings().await?;
        Ok(DeadlineFacts {
            cases,
            at_risk_days,
            station_names: station_names(&client).await?,
        })
    }

    async fn open_flags(&self, station: Option<&str>) -> Result<Vec<FlagRecord>, StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                "SELECT s.id, s.station_code, s.case_no, s.note, st.name,
                        to_char(s.flagged_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
                        (extract(epoch FROM s.flagged_at) * 1000)::int8,
                        (SELECT max(received_at) FROM supervision_receipts r
                         WHERE r.station_code = s.station_code AND r.case_no = s.case_no
                           AND r.flagged_at_ms = (extract(epoch FROM s.flagged_at) * 1000)::int8)
                 FROM supervision s JOIN staff st ON st.id = s.flagged_by
                 WHERE s.lifted_at IS NULL AND ($1::text IS NULL OR s.station_code = $1)
                 ORDER BY s.flagged_at, s.id",
                &[&station],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| FlagRecord {
                id: r.get(0),
                station_code: r.get(1),
                case_no: r.get(2),
                note: r.get(3),
                flagged_by: r.get(4),
                flagged_at: r.get(5),
                flagged_at_ms: r.get(6),
                received_at: r.get(7),
            })
            .collect())
    }

    async fn flag_case(
        &self,
        flag: &NewFlag<'_>,
        audit: NewAudit<'_>,
    ) -> Result<FlagOutcome, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let known = tx
            .query_opt(
                "SELECT 1 FROM cases WHERE station_code = $1 AND case_no = $2 LIMIT 1",
                &[&flag.station_code, &flag.case_no],
            )
            .await
            .db()?;
        if known.is_none() {
            return Ok(FlagOutcome::NoSuchCase);
        }
        // Millisecond precision: the flag's time travels to the station and
        // back in its receipt as milliseconds, and must compare equal.
        let row = tx
            .query_opt(
                "INSERT INTO supervision (station_code, case_no, note, flagged_by, flagged_at)
                 VALUES ($1, $2, $3, $4, date_trunc('milliseconds', now()))
                 ON CONFLICT (station_code, case_no) WHERE lifted_at IS NULL DO NOTHING
                 RETURNING id",
                &[
                    &flag.station_code,
                    &flag.case_no,
                    &flag.note,
                    &flag.staff_id,
                ],
            )
            .await
            .db()?;
        let Some(row) = row else {
            return Ok(FlagOutcome::AlreadyFlagged);
        };
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(FlagOutcome::Flagged(row.get(0)))
    }

    async fn lift_flag(
        &self,
        id: i64,
        staff_id: i64,
        note: &str,
        audit: NewAudit<'_>,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let n = tx
            .execute(
                "UPDATE supervision SET lifted_at = now(), lifted_by = $2, lift_note = $3
                 WHERE id = $1 AND lifted_at IS NULL",
                &[&id, &staff_id, &note],
            )
            .await
            .db()?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(true)
    }
}

/// Each filing's notices (its case's, any kind), in one query per page.
async fn attach_notices(
    client: &deadpool_postgres::Client,
    filings: &mut [FilingRecord],
) -> Result<(), StorageError> {
    let keys: Vec<(&str, &str)> = filings
        .iter()
        .map(|f| (f.log_id.as_str(), f.case_no.as_str()))
        .collect();
    let mut by = notices_of(client, &keys).await?;
    for f in filings {
        if let Some(n) = by.remove(&(f.log_id.clone(), f.case_no.clone())) {
            f.notices = n;
        }
    }
    Ok(())
}

/// The notices of each (log, case), oldest first.
async fn notices_of(
    client: &deadpool_postgres::Client,
    keys: &[(&str, &str)],
) -> Result<BTreeMap<(String, String), Vec<NoticeRecord>>, StorageError> {
    let mut by: BTreeMap<(String, String), Vec<NoticeRecord>> = BTreeMap::new();
    if keys.is_empty() {
        return Ok(by);
    }
    let logs: Vec<&str> = keys.iter().map(|k| k.0).collect();
    let cases: Vec<&str> = keys.iter().map(|k| k.1).collect();
    let rows = client
        .query(
            "SELECT n.log_id, n.case_no, n.doc_no, n.kind, n.issued_by, n.issued_at, n.template_version,
                    n.pdf_sha256, n.prints, n.reprints, n.voided_at, n.void_reason
             FROM notices n JOIN UNNEST($1::text[], $2::text[]) AS k(log_id, case_no)
               ON n.log_id = k.log_id AND n.case_no = k.case_no
             ORDER BY n.issued_at NULLS LAST, n.doc_no",
            &[&logs, &cases],
        )
        .await
        .db()?;
    for r in &rows {
        by.entry((r.get(0), r.get(1)))
            .or_default()
            .push(NoticeRecord {
                doc_no: r.get(2),
                kind: r.get(3),
                issued_by: r.get(4),
                issued_at: r.get(5),
                template_version: r.get(6),
                pdf_sha256: r.get(7),
                prints: i64::from(r.get::<_, i32>(8)),
                reprints: i64::from(r.get::<_, i32>(9)),
                voided_at: r.get(10),
                void_reason: r.get(11),
            });
    }
    Ok(by)
}

/// Each station's name as its newest log says.
async fn station_names(
    client: &deadpool_postgres::Client,
) -> Result<BTreeMap<String, String>, StorageError> {
    let mut names = BTreeMap::new();
    for r in client
        .query(
            "SELECT DISTINCT ON (station_code) station_code, station_name
             FROM station_facts WHERE station_name IS NOT NULL
             ORDER BY station_code, last_device_time DESC NULLS LAST",
            &[],
        )
        .await
        .db()?
    {
        names.insert(r.get(0), r.get(1));
    }
    Ok(names)
}
