//! [`Projections`] over the `cases` and `quarantine` tables; a device's
//! `projected_seq` says how far its log is projected.

use yichuang_wire::QuarantineNotice;

use crate::protocol::projection::{self, REJECTED, StoredEvent};
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
            let p = projection::project(rows.iter().map(|r| StoredEvent {
                seq: r.get::<_, i64>(0) as u64,
                kind: r.get(1),
                payload: r.get(2),
                event_id: r.get(3),
                device_time: r.get(4),
            }));
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
            if !p.cases.is_empty() {
                let c = &p.cases;
                let no: Vec<&str> = c.iter().map(|r| r.case_no.as_str()).collect();
                let state: Vec<&str> = c.iter().map(|r| r.state.as_str()).collect();
                let item: Vec<Option<&str>> = c.iter().map(|r| r.item_code.as_deref()).collect();
                let actor: Vec<Option<&str>> = c.iter().map(|r| r.actor.as_deref()).collect();
                let kind: Vec<&str> = c.iter().map(|r| r.last_kind.as_str()).collect();
                let seq: Vec<i64> = c.iter().map(|r| r.last_seq as i64).collect();
                let eid: Vec<&str> = c.iter().map(|r| r.last_event_id.as_str()).collect();
                let time: Vec<&str> = c.iter().map(|r| r.last_device_time.as_str()).collect();
                // A re-run (after a crash) never moves a case back to an older event.
                tx.execute(
                    "INSERT INTO cases (log_id, station_code, case_no, state, item_code, actor, last_kind, last_seq, last_event_id, last_device_time)
                     SELECT $1, $2, * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::text[], $10::text[])
                     ON CONFLICT (log_id, case_no) DO UPDATE SET
                        state = EXCLUDED.state,
                        item_code = coalesce(EXCLUDED.item_code, cases.item_code),
                        actor = EXCLUDED.actor,
                        last_kind = EXCLUDED.last_kind,
                        last_seq = EXCLUDED.last_seq,
                        last_event_id = EXCLUDED.last_event_id,
                        last_device_time = EXCLUDED.last_device_time,
                        updated_at = now()
                     WHERE cases.last_seq < EXCLUDED.last_seq",
                    &[&log_id, &station, &no, &state, &item, &actor, &kind, &seq, &eid, &time],
                )
                .await
                .db()?;
            }
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
