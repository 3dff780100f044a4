//! The PostgreSQL backend (tokio-postgres through a deadpool pool): every
//! line of SQL of the county is in this module. [`PgStorage`] implements the
//! traits of [`crate::storage`], one file per trait; this file has the pool,
//! the versioned migrations (and the release key an earlier version kept in
//! the database, to move it out).
//!
//! Architecture invariant: [`PgStorage::append`](crate::storage::EventLog::append)
//! (`events.rs`) is the only code that inserts into `events` or moves a
//! device's head, and it does both in one transaction with the device row
//! locked `FOR UPDATE`, answering only after COMMIT.

mod admin;
mod devices;
mod events;
mod projections;
mod releases;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use yichuang_wire::SecretKey;

pub use events::insert_events;

use crate::storage::StorageError;

/// The production storage.
#[derive(Clone)]
pub struct PgStorage {
    /// Public for tests and benchmarks that measure or set up PostgreSQL
    /// itself; server code goes through the traits.
    pub pool: Pool,
}

impl PgStorage {
    pub fn new(pool: Pool) -> Self {
        PgStorage { pool }
    }
}

/// tokio-postgres and pool errors leave this module as [`StorageError::Backend`].
trait OrBackend<T> {
    fn db(self) -> Result<T, StorageError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> OrBackend<T> for Result<T, E> {
    fn db(self) -> Result<T, StorageError> {
        self.map_err(StorageError::backend)
    }
}

/// Migrations in order; a version is applied once and never edited after release.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_refusal_counts.sql")),
];

pub fn make_pool(database_url: &str, size: usize) -> Result<Pool, StorageError> {
    let pg: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| StorageError::Invalid(format!("database URL: {e}")))?;
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
        .map_err(|e| StorageError::Invalid(format!("database pool: {e}")))
}

/// Apply pending migrations; an advisory lock keeps two servers from racing.
pub async fn migrate(pool: &Pool) -> Result<Vec<i32>, StorageError> {
    let mut client = pool.get().await.db()?;
    let tx = client.transaction().await.db()?;
    tx.execute("SELECT pg_advisory_xact_lock(74616301)", &[])
        .await
        .db()?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .db()?;
    let current: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .db()?
        .get(0);
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await.db()?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .db()?;
        applied.push(*version);
    }
    tx.commit().await.db()?;
    Ok(applied)
}

/// The release key an earlier version kept in the database, if still
/// there: `keygen --adopt-database-key` moves it into a key file.
pub async fn database_key(pool: &Pool) -> Result<Option<SecretKey>, StorageError> {
    let client = pool.get().await.db()?;
    let Some(row) = client
        .query_opt(
            "SELECT algorithm, secret_hex FROM county_keys WHERE name = 'release'",
            &[],
        )
        .await
        .db()?
    else {
        return Ok(None);
    };
    let (alg, hex): (String, String) = (row.get(0), row.get(1));
    SecretKey::from_secret_string(&format!("{alg}:{hex}"))
        .map(Some)
        .map_err(|e| StorageError::Inconsistent(format!("stored release key: {e}")))
}

/// Removes the database copy once it is safely in a file.
pub async fn forget_database_key(pool: &Pool) -> Result<(), StorageError> {
    let client = pool.get().await.db()?;
    client
        .execute("DELETE FROM county_keys WHERE name = 'release'", &[])
        .await
        .db()?;
    Ok(())
}

fn random_bytes<const N: usize>() -> Result<[u8; N], StorageError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StorageError::backend(format!("OS random source: {e}")))?;
    Ok(b)
}
