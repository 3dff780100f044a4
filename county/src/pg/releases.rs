//! [`Releases`] over the `releases` table (content stored with its manifest).

use yichuang_wire::ReleaseManifest;
use yichuang_wire::SecretKey;

use crate::protocol::release;
use crate::storage::{Releases, StorageError};

use super::{OrBackend, PgStorage};

impl Releases for PgStorage {
    async fn publish(
        &self,
        key: &SecretKey,
        kind: &str,
        content: &[u8],
    ) -> Result<ReleaseManifest, StorageError> {
        release::check_kind(kind).map_err(StorageError::Invalid)?;
        let mut client = self.pool.get().await.db()?;
        let tx = client.transaction().await.db()?;
        // Two publishers must not both take the same next version number.
        tx.execute("SELECT pg_advisory_xact_lock(74616302)", &[])
            .await
            .db()?;
        let next: i64 = tx
            .query_one(
                "SELECT coalesce(max(version_no), 0) + 1 FROM releases WHERE kind = $1",
                &[&kind],
            )
            .await
            .db()?
            .get(0);
        let version = next.to_string();
        let signed = release::sign(key, kind, &version, content);
        let row = tx
            .query_one(
                "INSERT INTO releases (kind, version_no, version, sha256, size, algorithm, signature, content)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 RETURNING (extract(epoch FROM published_at) * 1000)::int8",
                &[
                    &kind,
                    &next,
                    &version,
                    &signed.sha256,
                    &(signed.size as i64),
                    &signed.algorithm,
                    &signed.signature,
                    &content,
                ],
            )
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(ReleaseManifest {
            kind: kind.to_owned(),
            version,
            sha256: signed.sha256,
            size: signed.size,
            algorithm: signed.algorithm,
            signature: signed.signature,
            published_at_ms: row.get(0),
        })
    }

    async fn latest_releases(&self) -> Result<Vec<ReleaseManifest>, StorageError> {
        let client = self.pool.get().await.db()?;
        let rows = client
            .query(
                "SELECT DISTINCT ON (kind) kind, version, sha256, size, algorithm, signature,
                        (extract(epoch FROM published_at) * 1000)::int8
                 FROM releases ORDER BY kind, version_no DESC",
                &[],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|r| ReleaseManifest {
                kind: r.get(0),
                version: r.get(1),
                sha256: r.get(2),
                size: r.get::<_, i64>(3) as u64,
                algorithm: r.get(4),
                signature: r.get(5),
                published_at_ms: r.get(6),
            })
            .collect())
    }

    async fn release_content(
        &self,
        kind: &str,
        version: &str,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let client = self.pool.get().await.db()?;
        Ok(client
            .query_opt(
                "SELECT content FROM releases WHERE kind = $1 AND version = $2",
                &[&kind, &version],
            )
            .await
            .db()?
            .map(|r| r.get(0)))
    }
}
