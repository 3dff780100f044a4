//! [`Staging`] over `release_uploads` (release files waiting to be published).

use crate::storage::{NewAudit, NewUpload, Staging, StationVersions, StorageError, UploadRow};

use super::console::insert_audit;
use super::{OrBackend, PgStorage};

const COLUMNS: &str = "id, kind, file_name, sha256, size, problem_zh, against_version, login,
    to_char(uploaded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
    published_version,
    to_char(published_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')";

fn upload_row(r: &tokio_postgres::Row) -> UploadRow {
    UploadRow {
        id: r.get(0),
        kind: r.get(1),
        file_name: r.get(2),
        sha256: r.get(3),
        size: r.get(4),
        problem_zh: r.get(5),
        against_version: r.get(6),
        login: r.get(7),
        uploaded_at: r.get(8),
        published_version: r.get(9),
        published_at: r.get(10),
    }
}

impl Staging for PgStorage {
    async fn stage_upload(
        &self,
        u: NewUpload<'_>,
        audit: NewAudit<'_>,
    ) -> Result<i64, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let sha = yichuang_wire::sha256_hex(u.content);
        let id: i64 = tx
            .query_one(
                "INSERT INTO release_uploads
                   (kind, file_name, sha256, size, content, problem_zh, against_version, staff_id, login)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &u.kind,
                    &u.file_name,
                    &sha,
                    &(u.content.len() as i64),
                    &u.content,
                    &u.problem_zh,
                    &u.against_version,
                    &audit.staff_id,
                    &audit.login,
                ],
            )
            .await
            .db()?
            .get(0);
        let detail = format!("{} #{id} {}", u.kind, audit.detail);
        insert_audit(
            &*tx,
            NewAudit {
                detail: &detail,
                ..audit
            },
        )
        .await?;
        tx.commit().await.db()?;
        Ok(id)
    }

    async fn staged_upload(&self, id: i64) -> Result<Option<(UploadRow, Vec<u8>)>, StorageError> {
        let client = self.pool.get().await.db()?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS}, content FROM release_uploads WHERE id = $1"),
                &[&id],
            )
            .await
            .db()?;
        Ok(row.map(|r| (upload_row(&r), r.get(11))))
    }

    async fn staged_uploads(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<UploadRow>, i64), StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM release_uploads ORDER BY id DESC LIMIT $1 OFFSET $2"
                ),
                &[&limit, &offset],
            )
            .await
            .db()?;
        let total: i64 = client
            .query_one("SELECT count(*) FROM release_uploads", &[])
            .await
            .db()?
            .get(0);
        Ok((rows.iter().map(upload_row).collect(), total))
    }

    async fn mark_published(
        &self,
        id: i64,
        version: &str,
        audit: NewAudit<'_>,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        let n = tx
            .execute(
                "UPDATE release_uploads SET published_version = $2, published_at = now()
                 WHERE id = $1 AND problem_zh IS NULL AND published_version IS NULL",
                &[&id, &version],
            )
            .await
            .db()?;
        if n == 1 {
            insert_audit(&*tx, audit).await?;
        }
        tx.commit().await.db()?;
        Ok(n == 1)
    }

    async fn station_versions(&self) -> Result<Vec<StationVersions>, StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                "SELECT log_id, station_code, station_name, catalog_version, templates_version,
                        calendar_version, last_device_time
                 FROM station_facts ORDER BY station_code, log_id",
                &[],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| StationVersions {
                log_id: r.get(0),
                station_code: r.get(1),
                station_name: r.get(2),
                catalog_version: r.get(3),
                templates_version: r.get(4),
                calendar_version: r.get(5),
                last_device_time: r.get(6),
            })
            .collect())
    }
}
