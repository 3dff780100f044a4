//! [`Devices`] over the `devices`, `enrol_codes`, `nonces` and `refusal_counts` tables.

use crate::protocol::enrolment::{self, NewDevice};
use crate::storage::{Device, Devices, StorageError};

use super::{OrBackend, PgStorage, random_bytes};

impl Devices for PgStorage {
    async fn find_device(&self, device_id: &str) -> Result<Option<Device>, StorageError> {
        let client = self.pool.get().await.db()?;
        let row = client
            .query_opt(
                "SELECT station_code, algorithm, public_key, revoked_at IS NOT NULL
                 FROM devices WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .db()?;
        Ok(row.map(|r| Device {
            device_id: device_id.to_owned(),
            station_code: r.get(0),
            algorithm: r.get(1),
            public_key: r.get(2),
            revoked: r.get(3),
        }))
    }

    async fn claim_nonce(&self, device_id: &str, nonce: &str) -> Result<bool, StorageError> {
        let client = self.pool.get().await.db()?;
        // The claim and the device's last contact in one statement; the
        // contact is written at most once a minute per device.
        let n: i64 = client
            .query_one(
                "WITH claimed AS (
                    INSERT INTO nonces (device_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1
                 ), contact AS (
                    UPDATE devices SET last_contact_at = now()
                    WHERE device_id = $1 AND EXISTS (SELECT 1 FROM claimed)
                      AND (last_contact_at IS NULL OR last_contact_at < now() - interval '1 minute')
                    RETURNING 1
                 )
                 SELECT count(*) FROM claimed",
                &[&device_id, &nonce],
            )
            .await
            .db()?
            .get(0);
        Ok(n == 1)
    }

    async fn prune_nonces(&self, max_skew_ms: i64) -> Result<u64, StorageError> {
        let client = self.pool.get().await.db()?;
        // A minute of slack on top of the skew either way.
        let keep_secs = (2 * max_skew_ms + 60_000) as f64 / 1000.0;
        client
            .execute(
                "DELETE FROM nonces WHERE seen_at < now() - make_interval(secs => $1::float8)",
                &[&keep_secs],
            )
            .await
            .db()
    }

    async fn log_refusal(&self, device_id: Option<&str>, code: &str, detail: &str) {
        // What an anonymous caller sends is bounded before it is logged or stored.
        let bound = |s: &str, n: usize| -> String { s.chars().take(n).collect() };
        let (device_id, detail) = (device_id.map(|d| bound(d, 100)), bound(detail, 200));
        let device_id = device_id.as_deref();
        let detail = detail.as_str();
        // A refusal that cannot be recorded must not turn into a 500.
        let Ok(client) = self.pool.get().await else {
            return;
        };
        let first = client
            .query_opt(
                "INSERT INTO refusal_counts (device_id, code, hour, detail)
                 VALUES (coalesce($1, ''), $2, date_trunc('hour', now()), $3)
                 ON CONFLICT (device_id, code, hour) DO UPDATE
                   SET count = refusal_counts.count + 1, last_at = now(), detail = excluded.detail
                 RETURNING count = 1",
                &[&device_id, &code, &detail],
            )
            .await
            .ok()
            .flatten()
            .is_none_or(|r| r.get::<_, bool>(0));
        // The server's log gets the first of each hour's kind, not a flood.
        if first {
            eprintln!(
                "yichuang-county: refused device={} {code}: {detail} (further ones this hour are counted in refusal_counts)",
                device_id.unwrap_or("-")
            );
        }
    }

    async fn issue_enrol_code(
        &self,
        station_code: &str,
        ttl_hours: i64,
    ) -> Result<String, StorageError> {
        let client = self.pool.get().await.db()?;
        insert_code(&**client, station_code, ttl_hours).await
    }

    async fn enrol(&self, device: &NewDevice) -> Result<Option<String>, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let row = tx
            .query_opt(
                "UPDATE enrol_codes SET used_at = now(), used_by = $2
                 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
                 RETURNING station_code",
                &[&device.code_hash, &device.device_id],
            )
            .await
            .db()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let station_code: String = row.get(0);
        tx.execute(
            "INSERT INTO devices (device_id, station_code, label, algorithm, public_key)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &device.device_id,
                &station_code,
                &device.label,
                &device.algorithm,
                &device.public_key,
            ],
        )
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(Some(station_code))
    }

    async fn revoke(&self, device_id: &str) -> Result<bool, StorageError> {
        let client = self.pool.get().await.db()?;
        Ok(client
            .execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .db()?
            == 1)
    }
}

/// A new code for `station_code` (checked by the station's own rule): only
/// its hash is stored. Shared by the command and the console's audited act.
pub(super) async fn insert_code(
    c: &impl tokio_postgres::GenericClient,
    station_code: &str,
    ttl_hours: i64,
) -> Result<String, StorageError> {
    let station = enrolment::check_station(station_code).map_err(StorageError::Invalid)?;
    let code = enrolment::format_code(random_bytes::<12>()?);
    c.execute(
        "INSERT INTO enrol_codes (code_hash, station_code, expires_at)
         VALUES ($1, $2, now() + make_interval(hours => $3))",
        &[&enrolment::code_hash(&code), &station, &(ttl_hours as i32)],
    )
    .await
    .db()?;
    Ok(code)
}
