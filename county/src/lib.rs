//! 一窗 county server: receives the stations' hash-chained event logs into
//! PostgreSQL, projects cases, and publishes signed reference-data releases.
//!
//! Layers: [`protocol`] decides (pure), [`storage`] is the traits a backend
//! implements, [`pg`] is the PostgreSQL backend, [`api`] and [`error`] are
//! the HTTP layer.
//!
//! Architecture invariant: the county never links SQLite; storage is
//! PostgreSQL through `tokio-postgres` only.

pub mod adminlog;
pub mod api;
pub mod config;
pub mod console;
pub mod error;
pub mod keys;
pub mod limits;
pub mod listener;
pub mod pg;
pub mod protocol;
pub mod storage;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use api::{AppState, router};
pub use config::Config;
pub use error::ApiError;
pub use pg::PgStorage;
pub use storage::{Storage, StorageError};

use storage::{Admin, Projections};

/// Unix milliseconds of the server clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Keys(#[from] keys::KeyFileError),
    #[error(
        "the release key is stored in the database (table county_keys); move it into a key file with `yichuang-county keygen --adopt-database-key`"
    )]
    KeyInDatabase,
    #[error(
        "the database schema is at version {found}, this server needs {needed}, and migrating failed ({reason}): run `yichuang-county migrate` as the database owner"
    )]
    SchemaBehind {
        found: i32,
        needed: i32,
        reason: String,
    },
    #[error("no administration log configured (set YICHUANG_COUNTY_ADMIN_LOG or admin_log_file)")]
    NoAdminLog,
    #[error(transparent)]
    AdminLog(#[from] adminlog::AdminLogError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Load the serving keys, connect, migrate and catch up projections.
pub async fn prepare(config: Config) -> Result<AppState<PgStorage>, StartError> {
    let keys = keys::ServingKeys::load(&config.answer_key_file, &config.release_key_file)?;
    let pool = pg::make_pool(
        &config.database_url,
        config.pool_size,
        config.database_ca_file.as_deref(),
    )?;
    let found = pg::schema_version(&pool).await?;
    if let Err(e) = pg::migrate(&pool).await {
        // The server's own role may not change the schema (by design).
        return Err(StartError::SchemaBehind {
            found,
            needed: pg::latest_schema(),
            reason: e.to_string(),
        });
    }
    // A secret left in the database would sign for whoever dumps it.
    if pg::database_key(&pool).await?.is_some() {
        return Err(StartError::KeyInDatabase);
    }
    let storage = PgStorage::new(pool);
    // What a database restored from an older backup forgot, the
    // administration log gives back (revocations, enrolments, releases).
    let admin_log = adminlog::AdminLog::new(
        config
            .admin_log_file
            .as_deref()
            .filter(|p| !p.as_os_str().is_empty())
            .ok_or(StartError::NoAdminLog)?,
    );
    let public = yichuang_wire::PublicKey::parse(&keys.answer.public_string())
        .map_err(keys::KeyFileError::from)?;
    let entries = admin_log.read_verified(&public)?;
    let rotations: Vec<yichuang_wire::KeyRotation> = entries
        .iter()
        .filter_map(|e| match &e.act {
            adminlog::Act::KeyRotated(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    let r = storage.replay(&entries).await?;
    if r.devices_restored + r.codes_restored + r.revocations_restored + r.releases_restored > 0 {
        eprintln!(
            "yichuang-county: the database was behind its administration log; restored {} devices, {} codes, {} revocations, {} releases",
            r.devices_restored, r.codes_restored, r.revocations_restored, r.releases_restored
        );
    }
    storage.project_all().await?;
    Ok(AppState {
        storage,
        keys: Arc::new(keys),
        admin_log: Arc::new(admin_log),
        rotations: Arc::new(rotations),
        anonymous: Arc::new(api::AnonymousLimits::new(&config)),
        config: Arc::new(config),
    })
}

/// Serve until `shutdown` resolves. In the background, every minute: prune
/// old nonces, and retry projections that failed after their upload committed.
pub async fn serve<S: Storage>(
    listener: tokio::net::TcpListener,
    state: AppState<S>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let storage = state.storage.clone();
    let skew = state.config.max_skew_ms;
    let pruner = tokio::spawn(async move {
        loop {
            if let Err(e) = storage.prune_nonces(skew).await {
                eprintln!("yichuang-county: nonce pruning failed: {e}");
            }
            if let Err(e) = storage.project_all().await {
                eprintln!("yichuang-county: projection catch-up failed: {e}");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
    let limits = listener::Limits {
        max_connections: state.config.max_connections,
        header_timeout: Duration::from_millis(state.config.header_timeout_ms.max(1)),
    };
    let r = listener::run(listener, router(state), limits, shutdown).await;
    pruner.abort();
    r
}

/// A server on PostgreSQL on its own runtime, for tests and benchmarks. Dropping it (or
/// [`RunningServer::kill`]) stops every task at once, like a crash: open
/// transactions are rolled back by PostgreSQL when their connections close.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState<PgStorage>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl RunningServer {
    /// Start on `listen` (use port 0 for a free port).
    pub fn start(mut config: Config, listen: SocketAddr) -> Result<RunningServer, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        config.listen = listen.to_string();
        let (state, listener) = runtime.block_on(async {
            let state = prepare(config).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: listen.to_string(),
                    source,
                })?;
            Ok::<_, StartError>((state, listener))
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: listen.to_string(),
            source,
        })?;
        let st = state.clone();
        runtime.spawn(async move {
            if let Err(e) = serve(listener, st, std::future::pending()).await {
                eprintln!("yichuang-county: server stopped: {e}");
            }
        });
        Ok(RunningServer {
            addr,
            state,
            runtime: Some(runtime),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Run an async closure against the server's state on its runtime.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        match &self.runtime {
            Some(rt) => rt.block_on(f),
            None => unreachable!("runtime is only taken on drop"),
        }
    }

    /// Stop abruptly, as a crash would.
    pub fn kill(mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
