//! The storage trait the HTTP layer and the admin commands talk to; the
//! server code never names a backend. [`PgStorage`] is the production
//! backend; a one-machine trial store could implement the same trait (it
//! must not be SQLite linked into this workspace: see DESIGN.md §3).
//!
//! Architecture invariant: [`Storage::upload`] is the only way events enter
//! the county, and it answers only after the batch is durably committed.

use deadpool_postgres::Pool;
use ed25519_dalek::SigningKey;
use yichuang_wire::{
    EnrolRequest, EnrolResponse, HeadResponse, QuarantineNotice, ReleaseManifest, UploadAck,
    UploadBatch,
};

use crate::error::{ApiError, StoreError};
use crate::store::{self, ChainReport, Device, QuarantinedEvent, RejectedCase};

pub trait Storage: Clone + Send + Sync + 'static {
    fn find_device(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Option<Device>, StoreError>> + Send;
    /// `false` if the device used this nonce before (a replay).
    fn claim_nonce(
        &self,
        device_id: &str,
        nonce: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn prune_nonces(
        &self,
        max_skew_ms: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Best effort; never fails the request being refused.
    fn log_refusal(
        &self,
        device_id: Option<&str>,
        code: &str,
        detail: &str,
    ) -> impl Future<Output = ()> + Send;
    fn issue_enrol_code(
        &self,
        station_code: &str,
        ttl_hours: i64,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    fn enrol(
        &self,
        req: &EnrolRequest,
        release_key: &SigningKey,
    ) -> impl Future<Output = Result<EnrolResponse, ApiError>> + Send;
    fn revoke(&self, device_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn head(&self, device_id: &str) -> impl Future<Output = Result<HeadResponse, ApiError>> + Send;
    /// Store a batch atomically: skip what is already stored with the same
    /// hash, refuse gaps and forks (409) and broken chains (422), advance the
    /// head, commit — and only then return the ack.
    fn upload(
        &self,
        device_id: &str,
        batch: &UploadBatch,
    ) -> impl Future<Output = Result<UploadAck, ApiError>> + Send;
    /// Business validation and projection of committed events (after upload).
    fn project(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Vec<QuarantineNotice>, StoreError>> + Send;
    fn project_all(&self) -> impl Future<Output = Result<usize, StoreError>> + Send;
    fn publish(
        &self,
        key: &SigningKey,
        kind: &str,
        content: &[u8],
    ) -> impl Future<Output = Result<ReleaseManifest, StoreError>> + Send;
    fn latest_releases(
        &self,
    ) -> impl Future<Output = Result<Vec<ReleaseManifest>, StoreError>> + Send;
    fn release_content(
        &self,
        kind: &str,
        version: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
    fn verify_chains(&self) -> impl Future<Output = Result<Vec<ChainReport>, StoreError>> + Send;
    fn list_quarantine(
        &self,
    ) -> impl Future<Output = Result<Vec<QuarantinedEvent>, StoreError>> + Send;
    /// The 否定备案 register: cases whose latest state is `rejected`.
    fn rejection_register(
        &self,
    ) -> impl Future<Output = Result<Vec<RejectedCase>, StoreError>> + Send;
}

/// PostgreSQL through tokio-postgres (see `store.rs` for the SQL).
#[derive(Clone)]
pub struct PgStorage {
    pub pool: Pool,
}

impl Storage for PgStorage {
    fn find_device(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Option<Device>, StoreError>> + Send {
        store::find_device(&self.pool, device_id)
    }
    fn claim_nonce(
        &self,
        device_id: &str,
        nonce: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        store::claim_nonce(&self.pool, device_id, nonce)
    }
    fn prune_nonces(
        &self,
        max_skew_ms: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        store::prune_nonces(&self.pool, max_skew_ms)
    }
    fn log_refusal(
        &self,
        device_id: Option<&str>,
        code: &str,
        detail: &str,
    ) -> impl Future<Output = ()> + Send {
        store::log_refusal(&self.pool, device_id, code, detail)
    }
    fn issue_enrol_code(
        &self,
        station_code: &str,
        ttl_hours: i64,
    ) -> impl Future<Output = Result<String, StoreError>> + Send {
        store::issue_enrol_code(&self.pool, station_code, ttl_hours)
    }
    fn enrol(
        &self,
        req: &EnrolRequest,
        release_key: &SigningKey,
    ) -> impl Future<Output = Result<EnrolResponse, ApiError>> + Send {
        store::enrol(&self.pool, req, release_key)
    }
    fn revoke(&self, device_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        store::revoke(&self.pool, device_id)
    }
    fn head(&self, device_id: &str) -> impl Future<Output = Result<HeadResponse, ApiError>> + Send {
        store::head(&self.pool, device_id)
    }
    fn upload(
        &self,
        device_id: &str,
        batch: &UploadBatch,
    ) -> impl Future<Output = Result<UploadAck, ApiError>> + Send {
        store::upload(&self.pool, device_id, batch)
    }
    fn project(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Vec<QuarantineNotice>, StoreError>> + Send {
        store::project(&self.pool, device_id)
    }
    fn project_all(&self) -> impl Future<Output = Result<usize, StoreError>> + Send {
        store::project_all(&self.pool)
    }
    fn publish(
        &self,
        key: &SigningKey,
        kind: &str,
        content: &[u8],
    ) -> impl Future<Output = Result<ReleaseManifest, StoreError>> + Send {
        store::publish(&self.pool, key, kind, content)
    }
    fn latest_releases(
        &self,
    ) -> impl Future<Output = Result<Vec<ReleaseManifest>, StoreError>> + Send {
        store::latest_releases(&self.pool)
    }
    fn release_content(
        &self,
        kind: &str,
        version: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send {
        store::release_content(&self.pool, kind, version)
    }
    fn verify_chains(&self) -> impl Future<Output = Result<Vec<ChainReport>, StoreError>> + Send {
        store::verify_chains(&self.pool)
    }
    fn list_quarantine(
        &self,
    ) -> impl Future<Output = Result<Vec<QuarantinedEvent>, StoreError>> + Send {
        store::list_quarantine(&self.pool)
    }
    fn rejection_register(
        &self,
    ) -> impl Future<Output = Result<Vec<RejectedCase>, StoreError>> + Send {
        store::rejection_register(&self.pool)
    }
}
