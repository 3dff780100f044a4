//! Connection pool, versioned migrations and the county's release key.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use ed25519_dalek::SigningKey;
use tokio_postgres::NoTls;
use yichuang_wire::{ALG_ED25519, from_hex, to_hex};

use crate::error::StoreError;

/// Migrations in order; a version is applied once and never edited after release.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../migrations/0001_init.sql"))];

pub fn make_pool(database_url: &str, size: usize) -> Result<Pool, StoreError> {
    let pg: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| StoreError::Invalid(format!("database URL: {e}")))?;
    let mgr = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            // A connection whose upload was cut mid-transaction must not be reused dirty.
            recycling_method: RecyclingMethod::Verified,
        },
    );
    Pool::builder(mgr)
        .max_size(size.max(2))
        .build()
        .map_err(|e| StoreError::Invalid(format!("database pool: {e}")))
}

/// Apply pending migrations; an advisory lock keeps two servers from racing.
pub async fn migrate(pool: &Pool) -> Result<Vec<i32>, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(74616301)", &[])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let current: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        applied.push(*version);
    }
    tx.commit().await?;
    Ok(applied)
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StoreError::Invalid(format!("OS random source: {e}")))?;
    Ok(b)
}

/// The county's Ed25519 key that signs reference-data releases. Created on
/// first use and kept in the database (an HSM or key file is a later step).
pub async fn release_key(pool: &Pool) -> Result<SigningKey, StoreError> {
    let client = pool.get().await?;
    let fresh = SigningKey::from_bytes(&random_bytes::<32>()?);
    client
        .execute(
            "INSERT INTO county_keys (name, algorithm, secret_hex, public_hex)
             VALUES ('release', $1, $2, $3) ON CONFLICT (name) DO NOTHING",
            &[
                &ALG_ED25519,
                &to_hex(fresh.as_bytes()),
                &to_hex(fresh.verifying_key().as_bytes()),
            ],
        )
        .await?;
    let row = client
        .query_one(
            "SELECT secret_hex FROM county_keys WHERE name = 'release'",
            &[],
        )
        .await?;
    let secret: String = row.get(0);
    let bytes: [u8; 32] = from_hex(&secret)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StoreError::Invalid("stored release key is malformed".into()))?;
    Ok(SigningKey::from_bytes(&bytes))
}
