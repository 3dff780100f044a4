//! [`Stations`]: the 站点与设备 page's reads and the administrator's acts
//! on devices, each with its staff audit line in the same transaction.

use yichuang_wire::codes;

use crate::storage::{
    ChainReport, ChainVerification, NewAudit, QuarantineRow, StationDevice, Stations, StorageError,
};

use super::console::insert_audit;
use super::{OrBackend, PgStorage};

/// Upload refusals that say the station's log and the county's disagree.
const FORK_CODES: [&str; 3] = [codes::FORK, codes::LOG_MISMATCH, codes::CHAIN_INVALID];

const CHINA_TIME: &str = "'YYYY-MM-DD HH24:MI:SS'";

impl Stations for PgStorage {
    async fn issue_code_audited(
        &self,
        station_code: &str,
        ttl_hours: i64,
        audit: NewAudit<'_>,
    ) -> Result<String, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let code = super::devices::insert_code(&*tx, station_code, ttl_hours).await?;
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(code)
    }

    async fn set_revoked_audited(
        &self,
        device_id: &str,
        revoked: bool,
        audit: NewAudit<'_>,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let n = tx
            .execute(
                "UPDATE devices SET revoked_at = CASE WHEN $2 THEN coalesce(revoked_at, now()) END
                 WHERE device_id = $1",
                &[&device_id, &revoked],
            )
            .await
            .db()?;
        if n != 1 {
            return Ok(false);
        }
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn reset_log_audited(
        &self,
        device_id: &str,
        at_ms: i64,
        audit: NewAudit<'_>,
    ) -> Result<Option<(String, String)>, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let r = super::admin::reset_in(&tx, device_id, at_ms).await?;
        if r.is_some() {
            insert_audit(&*tx, audit).await?;
        }
        tx.commit().await.db()?;
        Ok(r)
    }

    async fn store_verification(
        &self,
        reports: &[ChainReport],
        verified_by: &str,
        audit: NewAudit<'_>,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        for r in reports {
            let (seq, why) = match &r.first_bad {
                Some((seq, why)) => (Some(*seq as i64), Some(why.as_str())),
                None => (None, None),
            };
            tx.execute(
                "INSERT INTO chain_verifications (device_id, log_id, events, bad_seq, bad_reason, verified_by)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &r.device_id,
                    &r.log_id,
                    &(r.events as i64),
                    &seq,
                    &why,
                    &verified_by,
                ],
            )
            .await
            .db()?;
        }
        insert_audit(&*tx, audit).await?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn station_devices(&self) -> Result<Vec<StationDevice>, StorageError> {
        let client = self.pool.get().await.db()?;
        let fork_codes: Vec<&str> = FORK_CODES.to_vec();
        let rows = client
            .query(
                &format!(
                    "SELECT d.station_code, f.station_name, d.device_id, d.label,
                        to_char(d.enrolled_at AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME}),
                        to_char(d.revoked_at AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME}),
                        to_char(greatest(d.last_contact_at, d.last_upload_at) AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME}),
                        (extract(epoch FROM greatest(d.last_contact_at, d.last_upload_at)) * 1000)::int8,
                        to_char(d.last_upload_at AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME}),
                        d.log_id, d.head_seq, d.projected_seq,
                        f.catalog_version, f.templates_version, f.calendar_version, f.last_device_time,
                        (SELECT count(*) FROM quarantine q WHERE q.log_id = d.log_id),
                        coalesce(r.total, 0)::int8, coalesce(r.since, 0)::int8,
                        to_char(r.last_at AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME}),
                        to_char(v.verified_at AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME}),
                        v.log_id, v.events, v.bad_seq, v.bad_reason, v.verified_by, f.app_version,
                        d.station_head_seq
                     FROM devices d
                     LEFT JOIN station_facts f ON f.log_id = d.log_id
                     LEFT JOIN LATERAL (
                        SELECT sum(count) AS total,
                               sum(count) FILTER (WHERE last_at > coalesce(d.last_upload_at, '-infinity')) AS since,
                               max(last_at) AS last_at
                        FROM refusal_counts WHERE device_id = d.device_id AND code = ANY($1)) r ON true
                     LEFT JOIN LATERAL (
                        SELECT * FROM chain_verifications c WHERE c.device_id = d.device_id
                        ORDER BY c.id DESC LIMIT 1) v ON true
                     ORDER BY d.station_code, d.enrolled_at, d.device_id"
                ),
                &[&fork_codes],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| StationDevice {
                station_code: r.get(0),
                station_name: r.get(1),
                device_id: r.get(2),
                label: r.get(3),
                enrolled_at: r.get(4),
                revoked_at: r.get(5),
                last_contact: r.get(6),
                last_contact_ms: r.get(7),
                last_upload_at: r.get(8),
                log_id: r.get(9),
                head_seq: r.get(10),
                projected_seq: r.get(11),
                station_head_seq: r.get(27),
                catalog_version: r.get(12),
                templates_version: r.get(13),
                calendar_version: r.get(14),
                app_version: r.get(26),
                last_device_time: r.get(15),
                quarantined: r.get(16),
                fork_refusals: r.get(17),
                fork_refusals_since_upload: r.get(18),
                last_fork_refusal: r.get(19),
                last_verification: r.get::<_, Option<String>>(20).map(|at| ChainVerification {
                    verified_at: at,
                    log_id: r.get(21),
                    events: r.get(22),
                    bad_seq: r.get(23),
                    bad_reason: r.get(24),
                    verified_by: r.get(25),
                }),
            })
            .collect())
    }

    async fn quarantine_page(
        &self,
        station_code: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<QuarantineRow>, i64), StorageError> {
        let client = self.pool.get().await.db()?;
        // A reset log's quarantine goes with its projections, so every
        // row belongs to a device's current log (as `quarantine` lists it).
        let from = "FROM quarantine q LEFT JOIN devices d ON d.log_id = q.log_id
             WHERE ($1::text IS NULL OR d.station_code = $1)";
        let total: i64 = client
            .query_one(&format!("SELECT count(*) {from}"), &[&station_code])
            .await
            .db()?
            .get(0);
        let rows = client
            .query(
                &format!(
                    "SELECT coalesce(d.station_code, ''), q.log_id, q.seq, q.kind, q.reason,
                        to_char(q.quarantined_at AT TIME ZONE 'Asia/Shanghai', {CHINA_TIME})
                     {from}
                     ORDER BY q.quarantined_at DESC, q.log_id, q.seq DESC LIMIT $2 OFFSET $3"
                ),
                &[&station_code, &limit, &offset],
            )
            .await
            .db()?;
        Ok((
            rows.iter()
                .map(|r| QuarantineRow {
                    station_code: r.get(0),
                    log_id: r.get(1),
                    seq: r.get(2),
                    kind: r.get(3),
                    reason: r.get(4),
                    quarantined_at: r.get(5),
                })
                .collect(),
            total,
        ))
    }
}
