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
mod console;
mod devices;
mod events;
mod oversight;
mod projections;
mod releases;
mod staging;
mod stations;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
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
    (3, include_str!("../../migrations/0003_console_staff.sql")),
    (
        4,
        include_str!("../../migrations/0004_projection_facts.sql"),
    ),
    (5, include_str!("../../migrations/0005_release_uploads.sql")),
    (
        6,
        include_str!("../../migrations/0006_chain_verifications.sql"),
    ),
    (
        7,
        include_str!("../../migrations/0007_review_supervision_notices.sql"),
    ),
    (
        8,
        include_str!("../../migrations/0008_evaluation_received_on.sql"),
    ),
    (9, include_str!("../../migrations/0009_station_head.sql")),
];

/// Every table computed from the stored events: dropped for a device whose
/// log is set aside, and for all by `reproject`.
pub const PROJECTION_TABLES: [&str; 8] = [
    "cases",
    "quarantine",
    "filings",
    "evaluations",
    "station_facts",
    "notices",
    "supervision_receipts",
    "case_events",
];

/// A pool to `database_url`. A database on another host is reached over
/// TLS only (`sslmode=require`), its certificate checked against
/// `ca_file` (the county's own CA) or else the public Web PKI roots; on
/// this host (loopback or a Unix socket) TLS is used when the URL asks.
pub fn make_pool(
    database_url: &str,
    size: usize,
    ca_file: Option<&std::path::Path>,
) -> Result<Pool, StorageError> {
    let pg: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| StorageError::Invalid(format!("database URL: {e}")))?;
    let remote = pg.get_hosts().iter().any(|h| match h {
        tokio_postgres::config::Host::Tcp(name) => {
            name != "localhost"
                && !name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => false,
    });
    if remote && pg.get_ssl_mode() != tokio_postgres::config::SslMode::Require {
        return Err(StorageError::Invalid(
            "the database is on another host: its link must be encrypted (add sslmode=require to the URL, and database_ca_file for the county's own CA)".into(),
        ));
    }
    let cfg = || ManagerConfig {
        // A connection whose upload was cut mid-transaction must not be reused dirty.
        recycling_method: RecyclingMethod::Verified,
    };
    let mgr = if pg.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(ca_file)?);
        Manager::from_config(pg, tls, cfg())
    } else {
        // On this host only (checked above): plain, as the URL asks.
        Manager::from_config(pg, tokio_postgres::NoTls, cfg())
    };
    Pool::builder(mgr)
        .max_size(size.max(2))
        .build()
        .map_err(|e| StorageError::Invalid(format!("database pool: {e}")))
}

fn tls_config(ca_file: Option<&std::path::Path>) -> Result<rustls::ClientConfig, StorageError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                StorageError::Invalid(format!("database CA {}: {e}", path.display()))
            })?;
            let mut added = 0;
            for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                let cert: rustls::pki_types::CertificateDer<'static> = cert.map_err(|e| {
                    StorageError::Invalid(format!("database CA {}: {e}", path.display()))
                })?;
                roots.add(cert).map_err(|e| {
                    StorageError::Invalid(format!("database CA {}: {e}", path.display()))
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(StorageError::Invalid(format!(
                    "database CA {} holds no certificate",
                    path.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StorageError::Invalid(format!("TLS: {e}")))
    .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

/// The schema version the database is at (0: none yet).
pub async fn schema_version(pool: &Pool) -> Result<i32, StorageError> {
    let client = pool.get().await.db()?;
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .db()?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .db()?
        .get(0))
}

/// The version this build's migrations reach.
pub fn latest_schema() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Applies pending migrations, if any: a database that is up to date is
/// not touched, so the server may run as a role without DDL rights (see
/// [`SERVER_ROLE_GRANTS`]); an advisory lock keeps two servers from racing.
pub async fn migrate(pool: &Pool) -> Result<Vec<i32>, StorageError> {
    if schema_version(pool).await? >= latest_schema() {
        return Ok(Vec::new());
    }
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

/// What the network-facing server's own role may do: read and append what
/// its protocol needs, and nothing else. It cannot delete or rewrite events
/// (the audit record), publish or delete releases' history, or change the
/// schema; administration runs as the owner role.
pub const SERVER_ROLE_GRANTS: &[&str] = &[
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT ON schema_migrations, county_keys TO {role}",
    "GRANT SELECT, INSERT, UPDATE ON devices, enrol_codes, refusal_counts TO {role}",
    // Projections: a reset log's are dropped (recomputed from the events).
    "GRANT SELECT, INSERT, UPDATE, DELETE ON cases TO {role}",
    // Events are appended, never deleted; a log reset (replayed from the
    // administration log) only renames a log.
    "GRANT SELECT, INSERT ON events TO {role}",
    "GRANT UPDATE (log_id) ON events TO {role}",
    "GRANT SELECT, INSERT, DELETE ON nonces TO {role}",
    "GRANT SELECT, INSERT, DELETE ON quarantine TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON filings, evaluations, station_facts, notices, supervision_receipts, case_events TO {role}",
    // Reviews are appended only (triggers refuse the rest); flags are
    // raised and lifted, never deleted.
    "GRANT SELECT, INSERT ON filing_reviews TO {role}",
    "GRANT SELECT, INSERT, UPDATE ON supervision TO {role}",
    "GRANT USAGE ON SEQUENCE filing_reviews_id_seq, supervision_id_seq TO {role}",
    // The console: staff rows are added and changed (never deleted: the
    // audit names them); sessions and failure counts come and go; the
    // audit log is appended only (and its triggers refuse the rest anyway).
    "GRANT SELECT, INSERT, UPDATE ON staff TO {role}",
    "GRANT USAGE ON SEQUENCE staff_id_seq, staff_audit_id_seq TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON staff_sessions, staff_login_failures TO {role}",
    "GRANT SELECT, INSERT ON staff_audit TO {role}",
    // Releases are signed by a key the server does not hold: it may serve
    // and (from the administration log) restore them.
    "GRANT SELECT, INSERT ON releases TO {role}",
    // Staged release files: uploaded, then marked published (never deleted).
    "GRANT SELECT, INSERT, UPDATE ON release_uploads TO {role}",
    "GRANT USAGE ON SEQUENCE release_uploads_id_seq TO {role}",
    // Chain verification runs are appended and read (站点与设备).
    "GRANT SELECT, INSERT ON chain_verifications TO {role}",
    "GRANT USAGE ON SEQUENCE chain_verifications_id_seq TO {role}",
];

/// Grants `role` exactly [`SERVER_ROLE_GRANTS`] (run as the owner).
pub async fn grant_server_role(pool: &Pool, role: &str) -> Result<(), StorageError> {
    if role.is_empty() || !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StorageError::Invalid(format!(
            "role name {role:?}: letters, digits and _ only"
        )));
    }
    let mut client = pool.get().await.db()?;
    let tx = client.transaction().await.db()?;
    for g in SERVER_ROLE_GRANTS {
        tx.batch_execute(&g.replace("{role}", role)).await.db()?;
    }
    tx.commit().await.db()?;
    Ok(())
}

fn random_bytes<const N: usize>() -> Result<[u8; N], StorageError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StorageError::backend(format!("OS random source: {e}")))?;
    Ok(b)
}
