//! [`Projections`] over the `cases` and `quarantine` tables; a device's
//! `projected_seq` says how far its log is projected.

use yichuang_wire::QuarantineNotice;

use crate::protocol::projection::{
    self, CaseEvent, CaseRow, EvaluationRow, FilingRow, NoticeRow, REJECTED, StationFacts,
    StoredEvent, SupervisionReceipt,
};
use crate::storage::{Projections, QuarantinedEvent, RejectedCase, StorageError};

use super::{OrBackend, PgStorage};

/// Events validated and projected per transaction.
const CHUNK: i64 = 2000;

impl Projections for PgStorage {
    async fn project(&self, device_id: &str) -> Result<Vec<QuarantineNotice>, StorageError> {
        let mut notices = Vec::new();
        loop {
            let mut client = self.pool.get().await.db()?;
            let tx = client.transaction().await.db()?;
            // Locked so two projections of one device never interleave.
            let row = tx
                .query_one(
                    "SELECT log_id, station_code, projected_seq, head_seq FROM devices WHERE device_id = $1 FOR UPDATE",
                    &[&device_id],
                )
                .await
                .db()?;
            let Some(log_id) = row.get::<_, Option<String>>(0) else {
                return Ok(notices);
            };
            let station: String = row.get(1);
            let from: i64 = row.get(2);
            let head: i64 = row.get(3);
            if from >= head {
                return Ok(notices);
            }
            let rows = tx
                .query(
                    "SELECT seq, kind, payload, event_id, device_time FROM events
                     WHERE log_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
                    &[&log_id, &from, &head, &CHUNK],
                )
                .await
                .db()?;
            if rows.is_empty() {
                // Without this the loop would retry the same empty range forever.
                return Err(StorageError::Inconsistent(format!(
                    "log {log_id}: no stored events after {from} below head {head}"
                )));
            }
            let p = project_events(
                &tx,
                &log_id,
                &station,
                rows.iter().map(|r| StoredEvent {
                    seq: r.get::<_, i64>(0) as u64,
                    kind: r.get(1),
                    payload: r.get(2),
                    event_id: r.get(3),
                    device_time: r.get(4),
                }),
            )
            .await?;
            let last = p.last_seq.map_or(from, |s| s as i64);
            tx.execute(
                "UPDATE devices SET projected_seq = $2 WHERE device_id = $1",
                &[&device_id, &last],
            )
            .await
            .db()?;
            tx.commit().await.db()?;
            notices.extend(p.quarantined);
        }
    }

    async fn reproject(&self) -> Result<usize, StorageError> {
        {
            let mut client = self.pool.get().await.db()?;
            let tx = client.transaction().await.db()?;
            // Uploads keep appending meanwhile; their projection waits on
            // the device rows locked here, then finds projected_seq at 0.
            tx.execute("SELECT device_id FROM devices FOR UPDATE", &[])
                .await
                .db()?;
            for table in super::PROJECTION_TABLES {
                tx.execute(&format!("DELETE FROM {table}"), &[])
                    .await
                    .db()?;
            }
            tx.execute("UPDATE devices SET projected_seq = 0", &[])
                .await
                .db()?;
            tx.commit().await.db()?;
        }
        self.project_all().await
    }

    async fn project_all(&self) -> Result<usize, StorageError> {
        let ids: Vec<String> = {
            let client = self.pool.get().await.db()?;
            client
                .query(
                    "SELECT device_id FROM devices WHERE projected_seq < head_seq",
                    &[],
                )
                .await
                .db()?
                .iter()
                .map(|r| r.get(0))
                .collect()
        };
        let mut n = 0;
        for id in ids {
            n += self.project(&id).await?.len();
        }
        Ok(n)
    }

    async fn list_quarantine(&self) -> Result<Vec<QuarantinedEvent>, StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                "SELECT coalesce(d.station_code, ''), q.log_id, q.seq, q.kind, q.reason
                 FROM quarantine q LEFT JOIN devices d ON d.log_id = q.log_id
                 ORDER BY q.log_id, q.seq",
                &[],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| QuarantinedEvent {
                station_code: r.get(0),
                log_id: r.get(1),
                seq: r.get::<_, i64>(2) as u64,
                kind: r.get(3),
                reason: r.get(4),
            })
            .collect())
    }

    async fn rejection_register(&self) -> Result<Vec<RejectedCase>, StorageError> {
        let client = self.pool.get().await.db()?;
        // The rule is the protocol's; the `rejection_register` view says the same for ad-hoc SQL.
        let rows = client
            .query(
                "SELECT station_code, log_id, case_no, item_code, actor, last_device_time
                 FROM cases WHERE state = $1 ORDER BY station_code, case_no",
                &[&REJECTED],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| RejectedCase {
                station_code: r.get(0),
                log_id: r.get(1),
                case_no: r.get(2),
                item_code: r.get(3),
                actor: r.get(4),
                device_time: r.get(5),
            })
            .collect())
    }
}

type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// What [`project_events`] did: the events it quarantined and the last seq
/// it looked at.
pub(super) struct Projected {
    pub quarantined: Vec<QuarantineNotice>,
    pub last_seq: Option<u64>,
}

/// Validate and project a run of one log's events (in seq order, following
/// what is already projected) into every projection table in `tx`. The
/// caller moves `projected_seq`: the upload in its own transaction, or the
/// catch-up loop of [`Projections::project`].
pub(super) async fn project_events<'e>(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    events: impl IntoIterator<Item = StoredEvent<'e>>,
) -> Result<Projected, StorageError> {
    let p = projection::project(events);
    if !p.quarantined.is_empty() {
        let seqs: Vec<i64> = p.quarantined.iter().map(|q| q.seq as i64).collect();
        let kinds: Vec<&str> = p.quarantined.iter().map(|q| q.kind.as_str()).collect();
        let reasons: Vec<&str> = p.quarantined.iter().map(|q| q.reason.as_str()).collect();
        tx.execute(
            "INSERT INTO quarantine (log_id, seq, kind, reason)
             SELECT $1, * FROM UNNEST($2::int8[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
            &[&log_id, &seqs, &kinds, &reasons],
        )
        .await
        .db()?;
    }
    write_cases(tx, log_id, station, &p.cases).await?;
    write_filings(tx, log_id, station, &p.filings).await?;
    write_evaluations(tx, log_id, station, &p.evaluations).await?;
    write_notices(tx, log_id, station, &p.notices).await?;
    write_supervision(tx, log_id, station, &p.supervision).await?;
    write_case_events(tx, log_id, station, &p.case_events).await?;
    if let Some(last) = p.last_seq {
        write_station_facts(tx, log_id, station, &p.station, last).await?;
    }
    Ok(Projected {
        quarantined: p.quarantined,
        last_seq: p.last_seq,
    })
}

/// Case rows: a re-run (after a crash) never moves a case back to an
/// older event; facts an event does not mention keep their stored value.
async fn write_cases(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    c: &[CaseRow],
) -> Result<(), StorageError> {
    if c.is_empty() {
        return Ok(());
    }
    let no: Vec<&str> = c.iter().map(|r| r.case_no.as_str()).collect();
    let state: Vec<&str> = c.iter().map(|r| r.state.as_str()).collect();
    let item: Vec<Option<&str>> = c.iter().map(|r| r.item_code.as_deref()).collect();
    let actor: Vec<Option<&str>> = c.iter().map(|r| r.actor.as_deref()).collect();
    let kind: Vec<&str> = c.iter().map(|r| r.last_kind.as_str()).collect();
    let seq: Vec<i64> = c.iter().map(|r| r.last_seq as i64).collect();
    let eid: Vec<&str> = c.iter().map(|r| r.last_event_id.as_str()).collect();
    let time: Vec<&str> = c.iter().map(|r| r.last_device_time.as_str()).collect();
    let f = |g: fn(&CaseRow) -> Option<chrono::NaiveDate>| -> Vec<Option<chrono::NaiveDate>> {
        c.iter().map(g).collect()
    };
    let t = |g: fn(&CaseRow) -> Option<&str>| -> Vec<Option<&str>> { c.iter().map(g).collect() };
    let received = f(|r| r.facts.received_on);
    let accepted = f(|r| r.facts.accepted_on);
    let promised = f(|r| r.facts.promised_due);
    let statutory = f(|r| r.facts.statutory_due);
    let supplement = f(|r| r.facts.supplement_due);
    let closed = f(|r| r.facts.closed_on);
    let registered_at = t(|r| r.facts.registered_at.as_deref());
    let first = t(|r| r.facts.first_contact.as_deref());
    let handler = t(|r| r.facts.handler.as_deref());
    let catalog = t(|r| r.facts.catalog_version.as_deref());
    let onetime = f(|r| r.facts.onetime_due);
    let applicant = t(|r| r.facts.applicant_masked.as_deref());
    let applicant_id = t(|r| r.facts.applicant_id_masked.as_deref());
    tx.execute(
        "INSERT INTO cases (log_id, station_code, case_no, state, item_code, actor, last_kind, last_seq,
                last_event_id, last_device_time, received_on, accepted_on, promised_due, statutory_due,
                supplement_due, closed_on, registered_at, first_contact, handler, catalog_version,
                onetime_due, applicant_masked, applicant_id_masked)
         SELECT $1, $2, * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[],
                $9::text[], $10::text[], $11::date[], $12::date[], $13::date[], $14::date[], $15::date[],
                $16::date[], $17::text[], $18::text[], $19::text[], $20::text[], $21::date[], $22::text[],
                $23::text[])
         ON CONFLICT (log_id, case_no) DO UPDATE SET
            state = EXCLUDED.state,
            item_code = coalesce(EXCLUDED.item_code, cases.item_code),
            actor = EXCLUDED.actor,
            last_kind = EXCLUDED.last_kind,
            last_seq = EXCLUDED.last_seq,
            last_event_id = EXCLUDED.last_event_id,
            last_device_time = EXCLUDED.last_device_time,
            received_on = coalesce(EXCLUDED.received_on, cases.received_on),
            accepted_on = coalesce(EXCLUDED.accepted_on, cases.accepted_on),
            promised_due = coalesce(EXCLUDED.promised_due, cases.promised_due),
            statutory_due = coalesce(EXCLUDED.statutory_due, cases.statutory_due),
            supplement_due = coalesce(EXCLUDED.supplement_due, cases.supplement_due),
            closed_on = coalesce(EXCLUDED.closed_on, cases.closed_on),
            registered_at = coalesce(EXCLUDED.registered_at, cases.registered_at),
            first_contact = coalesce(EXCLUDED.first_contact, cases.first_contact),
            handler = coalesce(EXCLUDED.handler, cases.handler),
            catalog_version = coalesce(EXCLUDED.catalog_version, cases.catalog_version),
            onetime_due = coalesce(EXCLUDED.onetime_due, cases.onetime_due),
            applicant_masked = coalesce(EXCLUDED.applicant_masked, cases.applicant_masked),
            applicant_id_masked = coalesce(EXCLUDED.applicant_id_masked, cases.applicant_id_masked),
            updated_at = now()
         WHERE cases.last_seq < EXCLUDED.last_seq",
        &[
            &log_id, &station, &no, &state, &item, &actor, &kind, &seq, &eid, &time, &received,
            &accepted, &promised, &statutory, &supplement, &closed, &registered_at, &first,
            &handler, &catalog, &onetime, &applicant, &applicant_id,
        ],
    )
    .await
    .db()?;
    // An evaluation keeps its case's receipt day (write_evaluations): should
    // a later event restate the day, the evaluation follows.
    let restated: Vec<&str> = c
        .iter()
        .filter(|r| r.facts.received_on.is_some())
        .map(|r| r.case_no.as_str())
        .collect();
    if !restated.is_empty() {
        tx.execute(
            "UPDATE evaluations e SET received_on = c.received_on FROM cases c
             WHERE e.log_id = $1 AND e.case_no = ANY($2) AND c.log_id = e.log_id AND c.case_no = e.case_no
               AND e.received_on IS DISTINCT FROM c.received_on",
            &[&log_id, &restated],
        )
        .await
        .db()?;
    }
    Ok(())
}

async fn write_filings(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    rows: &[FilingRow],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let seq: Vec<i64> = rows.iter().map(|r| r.seq as i64).collect();
    let no: Vec<&str> = rows.iter().map(|r| r.case_no.as_str()).collect();
    let kind: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    let t =
        |g: fn(&FilingRow) -> Option<&str>| -> Vec<Option<&str>> { rows.iter().map(g).collect() };
    let reason = t(|r| r.reason.as_deref());
    let basis = t(|r| r.legal_basis.as_deref());
    let proposed = t(|r| r.proposed_by.as_deref());
    let approved = t(|r| r.approved_by.as_deref());
    let decided: Vec<Option<chrono::NaiveDate>> = rows.iter().map(|r| r.decided_on).collect();
    let time: Vec<&str> = rows.iter().map(|r| r.device_time.as_str()).collect();
    tx.execute(
        "INSERT INTO filings (log_id, station_code, seq, case_no, kind, reason, legal_basis, proposed_by,
                approved_by, decided_on, device_time)
         SELECT $1, $2, * FROM UNNEST($3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::date[], $11::text[])
         ON CONFLICT DO NOTHING",
        &[
            &log_id, &station, &seq, &no, &kind, &reason, &basis, &proposed, &approved, &decided,
            &time,
        ],
    )
    .await
    .db()?;
    Ok(())
}

/// Notice rows: the counts add to the stored ones (each chunk is projected
/// once, in the transaction that moves `projected_seq`); facts a chunk does
/// not mention keep their stored value.
async fn write_notices(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    rows: &[NoticeRow],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let no: Vec<&str> = rows.iter().map(|r| r.doc_no.as_str()).collect();
    let t =
        |g: fn(&NoticeRow) -> Option<&str>| -> Vec<Option<&str>> { rows.iter().map(g).collect() };
    let case = t(|r| r.case_no.as_deref());
    let kind = t(|r| r.kind.as_deref());
    let by = t(|r| r.issued_by.as_deref());
    let at = t(|r| r.issued_at.as_deref());
    let tv = t(|r| r.template_version.as_deref());
    let sha = t(|r| r.pdf_sha256.as_deref());
    let voided_at = t(|r| r.voided_at.as_deref());
    let voided_by = t(|r| r.voided_by.as_deref());
    let reason = t(|r| r.void_reason.as_deref());
    let prints: Vec<i32> = rows.iter().map(|r| r.prints as i32).collect();
    let reprints: Vec<i32> = rows.iter().map(|r| r.reprints as i32).collect();
    tx.execute(
        "INSERT INTO notices (log_id, station_code, doc_no, case_no, kind, issued_by, issued_at,
                template_version, pdf_sha256, voided_at, voided_by, void_reason, prints, reprints)
         SELECT $1, $2, * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int4[], $14::int4[])
         ON CONFLICT (log_id, doc_no) DO UPDATE SET
            case_no = coalesce(EXCLUDED.case_no, notices.case_no),
            kind = coalesce(EXCLUDED.kind, notices.kind),
            issued_by = coalesce(EXCLUDED.issued_by, notices.issued_by),
            issued_at = coalesce(EXCLUDED.issued_at, notices.issued_at),
            template_version = coalesce(EXCLUDED.template_version, notices.template_version),
            pdf_sha256 = coalesce(EXCLUDED.pdf_sha256, notices.pdf_sha256),
            voided_at = coalesce(EXCLUDED.voided_at, notices.voided_at),
            voided_by = coalesce(EXCLUDED.voided_by, notices.voided_by),
            void_reason = coalesce(EXCLUDED.void_reason, notices.void_reason),
            prints = notices.prints + EXCLUDED.prints,
            reprints = notices.reprints + EXCLUDED.reprints",
        &[
            &log_id, &station, &no, &case, &kind, &by, &at, &tv, &sha, &voided_at, &voided_by,
            &reason, &prints, &reprints,
        ],
    )
    .await
    .db()?;
    Ok(())
}

async fn write_case_events(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    rows: &[CaseEvent],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let seq: Vec<i64> = rows.iter().map(|r| r.seq as i64).collect();
    let no: Vec<&str> = rows.iter().map(|r| r.case_no.as_str()).collect();
    let action: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    let state: Vec<&str> = rows.iter().map(|r| r.state.as_str()).collect();
    let actor: Vec<Option<&str>> = rows.iter().map(|r| r.actor.as_deref()).collect();
    let reason: Vec<Option<&str>> = rows.iter().map(|r| r.reason.as_deref()).collect();
    let time: Vec<&str> = rows.iter().map(|r| r.device_time.as_str()).collect();
    tx.execute(
        "INSERT INTO case_events (log_id, station_code, seq, case_no, action, state, actor, reason, device_time)
         SELECT $1, $2, * FROM UNNEST($3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[])
         ON CONFLICT DO NOTHING",
        &[&log_id, &station, &seq, &no, &action, &state, &actor, &reason, &time],
    )
    .await
    .db()?;
    Ok(())
}

/// Receipts in seq order: a flag received, then perhaps lifted.
async fn write_supervision(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    rows: &[SupervisionReceipt],
) -> Result<(), StorageError> {
    for r in rows {
        tx.execute(
            "INSERT INTO supervision_receipts (log_id, station_code, case_no, flagged_at_ms, received_at, lifted_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (log_id, case_no, flagged_at_ms) DO UPDATE SET
                received_at = coalesce(supervision_receipts.received_at, EXCLUDED.received_at),
                lifted_at = coalesce(EXCLUDED.lifted_at, supervision_receipts.lifted_at)",
            &[&log_id, &station, &r.case_no, &r.flagged_at_ms, &r.received_at, &r.lifted_at],
        )
        .await
        .db()?;
    }
    Ok(())
}

async fn write_evaluations(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    rows: &[EvaluationRow],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let no: Vec<&str> = rows.iter().map(|r| r.case_no.as_str()).collect();
    let status: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    let t = |g: fn(&EvaluationRow) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(g).collect()
    };
    let channel = t(|r| r.channel.as_deref());
    let level = t(|r| r.level.as_deref());
    let reasons = t(|r| r.reasons.as_deref());
    let comment = t(|r| r.comment.as_deref());
    let requested = t(|r| r.requested_at.as_deref());
    let answered = t(|r| r.answered_at.as_deref());
    let good: Vec<Option<bool>> = rows.iter().map(|r| r.good).collect();
    let seq: Vec<i64> = rows.iter().map(|r| r.last_seq as i64).collect();
    tx.execute(
        // The case's receipt day comes along (written above in the same
        // transaction) so the console reads a month by one index range.
        "INSERT INTO evaluations (log_id, station_code, case_no, status, channel, level, reasons, comment,
                requested_at, answered_at, last_seq, good, received_on)
         SELECT $1, $2, u.*, c.received_on
         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::int8[], $12::bool[])
              AS u (case_no, status, channel, level, reasons, comment, requested_at, answered_at, last_seq, good)
         LEFT JOIN cases c ON c.log_id = $1 AND c.case_no = u.case_no
         ON CONFLICT (log_id, case_no) DO UPDATE SET
            received_on = coalesce(EXCLUDED.received_on, evaluations.received_on),
            status = EXCLUDED.status,
            channel = coalesce(EXCLUDED.channel, evaluations.channel),
            level = coalesce(EXCLUDED.level, evaluations.level),
            good = coalesce(EXCLUDED.good, evaluations.good),
            reasons = coalesce(EXCLUDED.reasons, evaluations.reasons),
            comment = coalesce(EXCLUDED.comment, evaluations.comment),
            requested_at = coalesce(EXCLUDED.requested_at, evaluations.requested_at),
            answered_at = coalesce(EXCLUDED.answered_at, evaluations.answered_at),
            last_seq = EXCLUDED.last_seq
         WHERE evaluations.last_seq < EXCLUDED.last_seq",
        &[
            &log_id, &station, &no, &status, &channel, &level, &reasons, &comment, &requested,
            &answered, &seq, &good,
        ],
    )
    .await
    .db()?;
    Ok(())
}

async fn write_station_facts(
    tx: &Tx<'_>,
    log_id: &str,
    station: &str,
    f: &StationFacts,
    last_seq: u64,
) -> Result<(), StorageError> {
    let at_risk = f.at_risk_days.and_then(|d| i32::try_from(d).ok());
    tx.execute(
        "INSERT INTO station_facts (log_id, station_code, station_name, at_risk_days, catalog_version,
                templates_version, calendar_version, last_device_time, last_seq, app_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (log_id) DO UPDATE SET
            station_name = coalesce(EXCLUDED.station_name, station_facts.station_name),
            at_risk_days = coalesce(EXCLUDED.at_risk_days, station_facts.at_risk_days),
            catalog_version = coalesce(EXCLUDED.catalog_version, station_facts.catalog_version),
            templates_version = coalesce(EXCLUDED.templates_version, station_facts.templates_version),
            calendar_version = coalesce(EXCLUDED.calendar_version, station_facts.calendar_version),
            app_version = coalesce(EXCLUDED.app_version, station_facts.app_version),
            last_device_time = coalesce(EXCLUDED.last_device_time, station_facts.last_device_time),
            last_seq = EXCLUDED.last_seq
         WHERE station_facts.last_seq < EXCLUDED.last_seq",
        &[
            &log_id,
            &station,
            &f.station_name,
            &at_risk,
            &f.catalog_version,
            &f.templates_version,
            &f.calendar_version,
            &f.last_device_time,
            &(last_seq as i64),
            &f.app_version,
        ],
    )
    .await
    .db()?;
    Ok(())
}
