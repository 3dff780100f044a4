//! [`Admin`]: the administration log replayed onto the tables, and the
//! administrator's tools.

use yichuang_wire::{GENESIS_HASH, from_hex};

use crate::adminlog::{Act, Entry};
use crate::storage::{Admin, DeviceRow, ReplayReport, StorageError};

use super::{OrBackend, PgStorage};

impl Admin for PgStorage {
    async fn replay(&self, entries: &[Entry]) -> Result<ReplayReport, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        // Two servers starting at once replay one after the other.
        tx.execute("SELECT pg_advisory_xact_lock(74616303)", &[])
            .await
            .db()?;
        let mut r = ReplayReport {
            entries: entries.len(),
            ..ReplayReport::default()
        };
        for e in entries {
            let at = e.at_ms as f64 / 1000.0;
            match &e.act {
                Act::CodeIssued {
                    code_hash,
                    station_code,
                    expires_at_ms,
                } => {
                    r.codes_restored += tx
                        .execute(
                            "INSERT INTO enrol_codes (code_hash, station_code, created_at, expires_at)
                             VALUES ($1, $2, to_timestamp($3), to_timestamp($4))
                             ON CONFLICT (code_hash) DO NOTHING",
                            &[code_hash, station_code, &at, &(*expires_at_ms as f64 / 1000.0)],
                        )
                        .await
                        .db()?;
                }
                Act::Enrolled {
                    device_id,
                    station_code,
                    code_hash,
                    algorithm,
                    public_key,
                    label,
                } => {
                    // The code is used, whatever the restored row says.
                    tx.execute(
                        "INSERT INTO enrol_codes (code_hash, station_code, created_at, expires_at, used_at, used_by)
                         VALUES ($1, $2, to_timestamp($3), to_timestamp($3), to_timestamp($3), $4)
                         ON CONFLICT (code_hash) DO UPDATE SET
                           used_at = coalesce(enrol_codes.used_at, excluded.used_at),
                           used_by = coalesce(enrol_codes.used_by, excluded.used_by)",
                        &[code_hash, station_code, &at, device_id],
                    )
                    .await
                    .db()?;
                    r.devices_restored += tx
                        .execute(
                            "INSERT INTO devices (device_id, station_code, label, algorithm, public_key, enrolled_at)
                             VALUES ($1, $2, $3, $4, $5, to_timestamp($6))
                             ON CONFLICT (device_id) DO NOTHING",
                            &[device_id, station_code, label, algorithm, public_key, &at],
                        )
                        .await
                        .db()?;
                }
                Act::Revoked { device_id } => {
                    r.revocations_restored += tx
                        .execute(
                            "UPDATE devices SET revoked_at = to_timestamp($2)
                             WHERE device_id = $1 AND revoked_at IS NULL",
                            &[device_id, &at],
                        )
                        .await
                        .db()?;
                }
                Act::Unrevoked { device_id } => {
                    tx.execute(
                        "UPDATE devices SET revoked_at = NULL WHERE device_id = $1",
                        &[device_id],
                    )
                    .await
                    .db()?;
                }
                Act::Published {
                    kind,
                    version,
                    sha256,
                    size,
                    algorithm,
                    signature,
                    content_hex,
                } => {
                    let content = from_hex(content_hex).ok_or_else(|| {
                        StorageError::Inconsistent(format!(
                            "administration log entry {}: content is not hex",
                            e.seq
                        ))
                    })?;
                    let version_no: i64 = version.parse().map_err(|_| {
                        StorageError::Inconsistent(format!(
                            "administration log entry {}: version {version:?}",
                            e.seq
                        ))
                    })?;
                    let known = tx
                        .query_opt(
                            "SELECT sha256 FROM releases WHERE kind = $1 AND version_no = $2",
                            &[kind, &version_no],
                        )
                        .await
                        .db()?;
                    match known {
                        Some(row) if row.get::<_, String>(0) != *sha256 => {
                            return Err(StorageError::Inconsistent(format!(
                                "release {kind} {version} in the database differs from the one the administration log recorded"
                            )));
                        }
                        Some(_) => {}
                        None => {
                            r.releases_restored += tx
                                .execute(
                                    "INSERT INTO releases (kind, version_no, version, sha256, size, algorithm, signature, content, published_at)
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9))",
                                    &[kind, &version_no, version, sha256, &(*size as i64), algorithm, signature, &content, &at],
                                )
                                .await
                                .db()?;
                        }
                    }
                }
                // Rotations live in the log itself (served by `/v1/keys`).
                Act::KeyRotated(_) => {}
                Act::LogReset {
                    device_id,
                    old_log_id,
                    archived_as,
                } => {
                    let bound: Option<Option<String>> = tx
                        .query_opt(
                            "SELECT log_id FROM devices WHERE device_id = $1",
                            &[device_id],
                        )
                        .await
                        .db()?
                        .map(|row| row.get(0));
                    if bound.flatten().as_deref() == Some(old_log_id.as_str()) {
                        set_log_aside(&tx, device_id, old_log_id, archived_as).await?;
                    }
                }
            }
        }
        tx.commit().await.db()?;
        Ok(r)
    }

    async fn list_devices(&self) -> Result<Vec<DeviceRow>, StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                "SELECT device_id, station_code, label, log_id, head_seq, revoked_at IS NOT NULL,
                        to_char(enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                        to_char(last_upload_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                 FROM devices ORDER BY station_code, enrolled_at",
                &[],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| DeviceRow {
                device_id: r.get(0),
                station_code: r.get(1),
                label: r.get(2),
                log_id: r.get(3),
                head_seq: r.get::<_, i64>(4) as u64,
                revoked: r.get(5),
                enrolled_at: r.get(6),
                last_upload_at: r.get(7),
            })
            .collect())
    }

    async fn unrevoke(&self, device_id: &str) -> Result<bool, StorageError> {
        let client = self.pool.get().await.db()?;
        Ok(client
            .execute(
                "UPDATE devices SET revoked_at = NULL WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .db()?
            == 1)
    }

    async fn reset_log(
        &self,
        device_id: &str,
        at_ms: i64,
    ) -> Result<Option<(String, String)>, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let r = reset_in(&tx, device_id, at_ms).await?;
        tx.commit().await.db()?;
        Ok(r)
    }
}

/// The reset of [`Admin::reset_log`] inside `tx` (the console's act adds its
/// audit line to the same transaction).
pub(super) async fn reset_in(
    tx: &deadpool_postgres::Transaction<'_>,
    device_id: &str,
    at_ms: i64,
) -> Result<Option<(String, String)>, StorageError> {
    let row = tx
        .query_opt(
            "SELECT log_id FROM devices WHERE device_id = $1 FOR UPDATE",
            &[&device_id],
        )
        .await
        .db()?
        .ok_or_else(|| StorageError::Invalid(format!("no device {device_id}")))?;
    let Some(old) = row.get::<_, Option<String>>(0) else {
        return Ok(None);
    };
    let archived = format!("{old}#reset-{at_ms}");
    set_log_aside(tx, device_id, &old, &archived).await?;
    Ok(Some((old, archived)))
}

/// Keeps the device's events under `archived` (for the audit), drops their
/// projections (recomputed from the new upload) and unbinds the log.
async fn set_log_aside(
    tx: &deadpool_postgres::Transaction<'_>,
    device_id: &str,
    old: &str,
    archived: &str,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE events SET log_id = $2 WHERE log_id = $1",
        &[&old, &archived],
    )
    .await
    .db()?;
    for table in super::PROJECTION_TABLES {
        tx.execute(&format!("DELETE FROM {table} WHERE log_id = $1"), &[&old])
            .await
            .db()?;
    }
    tx.execute(
        "UPDATE devices SET log_id = NULL, head_seq = 0, head_hash = $2, projected_seq = 0,
            station_head_seq = NULL, station_head_at = NULL
         WHERE device_id = $1",
        &[&device_id, &GENESIS_HASH],
    )
    .await
    .db()?;
    Ok(())
}
