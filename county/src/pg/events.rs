//! [`EventLog`] over the `events` table and the heads in `devices`.

use deadpool_postgres::GenericClient;
use yichuang_wire::Event;

use crate::protocol::audit::ChainAudit;
use crate::protocol::projection::StoredEvent;
use crate::protocol::upload::{self, CheckedBatch, DecideError, Decision, Head, LogBinding};
use crate::storage::{AppendError, Appended, ChainReport, EventLog, StorageError};

use super::projections::project_events;
use super::{OrBackend, PgStorage};

impl EventLog for PgStorage {
    async fn head(&self, device_id: &str) -> Result<Head, StorageError> {
        let client = self.pool.get().await.db()?;
        let row = client
            .query_one(
                "SELECT log_id, head_seq, head_hash, revoked_at IS NOT NULL
                 FROM devices WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .db()?;
        Ok(Head {
            log_id: row.get(0),
            seq: row.get::<_, i64>(1) as u64,
            hash: row.get(2),
            revoked: row.get(3),
        })
    }

    async fn append(
        &self,
        device_id: &str,
        batch: CheckedBatch<'_>,
    ) -> Result<Appended, AppendError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        // The lock serialises uploads of one device: the decision below is
        // made against a head nobody else can move until COMMIT.
        let row = tx
            .query_one(
                "SELECT log_id, head_seq, head_hash, revoked_at IS NOT NULL, station_code, projected_seq
                 FROM devices WHERE device_id = $1 FOR UPDATE",
                &[&device_id],
            )
            .await
            .db()?;
        let head = Head {
            log_id: row.get(0),
            seq: row.get::<_, i64>(1) as u64,
            hash: row.get(2),
            revoked: row.get(3),
        };
        let station: String = row.get(4);
        let projected_seq: i64 = row.get(5);
        if upload::check_device(&head, batch)? == LogBinding::Unbound {
            let taken = tx
                .query_opt(
                    "SELECT device_id FROM devices WHERE log_id = $1",
                    &[&batch.log_id()],
                )
                .await
                .db()?;
            if taken.is_some() {
                return Err(upload::log_taken(&head, batch).into());
            }
            tx.execute(
                "UPDATE devices SET log_id = $2 WHERE device_id = $1",
                &[&device_id, &batch.log_id()],
            )
            .await
            .db()?;
        }
        let stored: Vec<(u64, String)> = match upload::overlap(&head, batch) {
            Some((from, upto)) => tx
                .query(
                    "SELECT seq, hash FROM events WHERE log_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
                    &[&batch.log_id(), &(from as i64), &(upto as i64)],
                )
                .await
                .db()?
                .iter()
                .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
                .collect(),
            None => Vec::new(),
        };
        let decision = upload::decide(&head, batch, &stored).map_err(|e| match e {
            DecideError::Refused(r) => AppendError::Refused(r),
            e @ DecideError::StoredCopyIncomplete { .. } => {
                AppendError::Storage(StorageError::Inconsistent(e.to_string()))
            }
        })?;
        let mut quarantined = None;
        if let Decision::Append {
            events,
            head_seq,
            head_hash,
        } = &decision
        {
            insert_events(&tx, device_id, batch.log_id(), events)
                .await
                .db()?;
            let mut projected = projected_seq;
            // Caught up, the batch is projected here from memory: one commit
            // instead of two and no read-back. Under a savepoint, so a failed
            // projection keeps the events; `project` then catches up.
            if projected_seq == head.seq as i64 {
                tx.batch_execute("SAVEPOINT projection").await.db()?;
                let run = events.iter().map(|e| StoredEvent {
                    seq: e.seq,
                    kind: &e.kind,
                    payload: e.payload.as_bytes(),
                    event_id: &e.event_id,
                    device_time: &e.device_time,
                });
                match project_events(&tx, batch.log_id(), &station, run).await {
                    Ok(p) => {
                        projected = p.last_seq.map_or(projected, |s| s as i64);
                        quarantined = Some(p.quarantined);
                    }
                    Err(e) => {
                        eprintln!("yichuang-county: projection of {device_id} left for later: {e}");
                        tx.batch_execute("ROLLBACK TO SAVEPOINT projection")
                            .await
                            .db()?;
                    }
                }
            }
            let station_head = batch.station_head_seq().map(|s| s as i64);
            tx.execute(
                "UPDATE devices SET head_seq = $2, head_hash = $3, last_upload_at = now(), projected_seq = $4,
                    station_head_seq = coalesce($5, station_head_seq),
                    station_head_at = CASE WHEN $5::int8 IS NULL THEN station_head_at ELSE now() END
                 WHERE device_id = $1",
                &[&device_id, &(*head_seq as i64), head_hash, &projected, &station_head],
            )
            .await
            .db()?;
        }
        tx.commit().await.db()?;
        Ok(Appended {
            accepted: decision.accepted(batch),
            quarantined,
        })
    }

    async fn verify_chains(&self) -> Result<Vec<ChainReport>, StorageError> {
        let client = self.pool.get().await.db()?;
        let devices = client
            .query(
                "SELECT device_id, log_id, head_seq FROM devices WHERE log_id IS NOT NULL ORDER BY device_id",
                &[],
            )
            .await
            .db()?;
        let mut reports = Vec::new();
        for d in devices {
            let device_id: String = d.get(0);
            let log_id: String = d.get(1);
            let head = d.get::<_, i64>(2) as u64;
            let mut audit = ChainAudit::new(&log_id);
            'chunks: loop {
                let rows = client
                    .query(
                        "SELECT seq, event_id, kind, schema_version, device_time, payload, prev_hash, hash
                         FROM events WHERE log_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000",
                        &[&log_id, &(audit.last_seq() as i64)],
                    )
                    .await
                    .db()?;
                if rows.is_empty() {
                    break;
                }
                for r in rows {
                    let seq = r.get::<_, i64>(0) as u64;
                    let Ok(payload) = String::from_utf8(r.get(5)) else {
                        audit.bad_payload(seq);
                        break 'chunks;
                    };
                    let e = Event {
                        log_id: log_id.clone(),
                        seq,
                        event_id: r.get(1),
                        kind: r.get(2),
                        schema_version: r.get::<_, i32>(3) as u32,
                        device_time: r.get(4),
                        payload,
                        prev_hash: r.get(6),
                        hash: r.get(7),
                    };
                    if !audit.push(&e) {
                        break 'chunks;
                    }
                }
            }
            let result = audit.finish(head);
            reports.push(ChainReport {
                device_id,
                log_id,
                events: result.events,
                first_bad: result.first_bad,
            });
        }
        Ok(reports)
    }
}

/// One multi-row INSERT through arrays: one round trip per batch. Public for
/// the benchmark that compares an upload with the bare INSERT.
pub async fn insert_events(
    tx: &impl GenericClient,
    device_id: &str,
    log_id: &str,
    events: &[Event],
) -> Result<(), tokio_postgres::Error> {
    let seqs: Vec<i64> = events.iter().map(|e| e.seq as i64).collect();
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let versions: Vec<i32> = events.iter().map(|e| e.schema_version as i32).collect();
    let times: Vec<&str> = events.iter().map(|e| e.device_time.as_str()).collect();
    let payloads: Vec<&[u8]> = events.iter().map(|e| e.payload.as_bytes()).collect();
    let prevs: Vec<&str> = events.iter().map(|e| e.prev_hash.as_str()).collect();
    let hashes: Vec<&str> = events.iter().map(|e| e.hash.as_str()).collect();
    tx.execute(
        "INSERT INTO events (log_id, device_id, seq, event_id, kind, schema_version, device_time, payload, prev_hash, hash)
         SELECT $1, $2, * FROM UNNEST($3::int8[], $4::text[], $5::text[], $6::int4[], $7::text[], $8::bytea[], $9::text[], $10::text[])",
        &[&log_id, &device_id, &seqs, &ids, &kinds, &versions, &times, &payloads, &prevs, &hashes],
    )
    .await?;
    Ok(())
}
