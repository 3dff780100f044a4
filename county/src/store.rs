//! The former pool-taking entry points, kept so tests of other packages
//! (the desktop's background-sync test) compile unchanged. New code uses the
//! traits of [`crate::storage`] on a [`PgStorage`].

use deadpool_postgres::Pool;
use yichuang_wire::ReleaseManifest;
use yichuang_wire::SecretKey;

use crate::pg::PgStorage;
use crate::storage::{Devices, EventLog, Releases, StorageError};

pub use crate::storage::{ChainReport, Device, QuarantinedEvent, RejectedCase};

/// [`EventLog::verify_chains`].
pub async fn verify_chains(pool: &Pool) -> Result<Vec<ChainReport>, StorageError> {
    PgStorage::new(pool.clone()).verify_chains().await
}

/// [`Devices::issue_enrol_code`].
pub async fn issue_enrol_code(
    pool: &Pool,
    station_code: &str,
    ttl_hours: i64,
) -> Result<String, StorageError> {
    PgStorage::new(pool.clone())
        .issue_enrol_code(station_code, ttl_hours)
        .await
}

/// [`Releases::publish`].
pub async fn publish(
    pool: &Pool,
    key: &SecretKey,
    kind: &str,
    content: &[u8],
) -> Result<ReleaseManifest, StorageError> {
    PgStorage::new(pool.clone())
        .publish(key, kind, content)
        .await
}
