//! A real PostgreSQL for tests: `YICHUANG_TEST_PG_URL` if set, else a private
//! cluster started through `scripts/pg-test-cluster.sh`. Each test gets its
//! own fresh database. If PostgreSQL cannot be had, the test fails (never skips).

use std::process::Command;
use std::sync::OnceLock;

pub const ENV_URL: &str = "YICHUANG_TEST_PG_URL";

fn script() -> String {
    format!(
        "{}/../scripts/pg-test-cluster.sh",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// URL of the maintenance database of the test cluster.
pub fn cluster_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = start_or_find();
        drop_stale_databases(&url);
        url
    })
}

/// Databases of test processes that have exited are dropped, so a
/// long-lived cluster does not fill the disk.
fn drop_stale_databases(url: &str) {
    block_on(async {
        let c = connect(url).await;
        let Ok(rows) = c
            .query(
                "SELECT datname FROM pg_database WHERE datname ~ '_p[0-9]+_[0-9a-f]+$'",
                &[],
            )
            .await
        else {
            return;
        };
        for r in rows {
            let name: String = r.get(0);
            let pid = name
                .rsplit('_')
                .nth(1)
                .and_then(|p| p.strip_prefix('p'))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid
                && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = c
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    });
}

fn start_or_find() -> String {
    {
        if let Ok(url) = std::env::var(ENV_URL)
            && !url.trim().is_empty()
        {
            return url;
        }
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script()));
        if !out.status.success() {
            panic!(
                "PostgreSQL for the tests could not be started ({} start failed):\n{}\n{}\nSet {ENV_URL} to an existing server instead.",
                script(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .map(|l| l.trim().to_owned())
            .filter(|l| l.starts_with("postgres://"))
            .unwrap_or_else(|| panic!("{} printed no URL", script()))
    }
}

/// Run one async piece of database work from a plain test.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {url}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Create a fresh, empty database and return its URL.
pub fn fresh_database(prefix: &str) -> String {
    let base = cluster_url();
    let mut rnd = [0u8; 6];
    getrandom::fill(&mut rnd).expect("random");
    let name = format!(
        "{prefix}_p{}_{}",
        std::process::id(),
        yichuang_wire::to_hex(&rnd)
    );
    block_on(async {
        let c = connect(base).await;
        // template0 accepts no connections, so parallel creates do not collide.
        c.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    });
    let (prefix_url, _) = base.rsplit_once('/').expect("URL has a database part");
    format!("{prefix_url}/{name}")
}

/// The test cluster's TLS certificate (`YICHUANG_TEST_PG_CA` with an
/// external server). Fails, never skips, when there is none.
pub fn cluster_ca() -> std::path::PathBuf {
    let _ = cluster_url();
    if let Ok(p) = std::env::var("YICHUANG_TEST_PG_CA")
        && !p.trim().is_empty()
    {
        return p.into();
    }
    let out = Command::new("bash")
        .arg(script())
        .arg("ca")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script()));
    let path = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        path.exists(),
        "no TLS certificate for the test PostgreSQL at {} (set YICHUANG_TEST_PG_CA)",
        path.display()
    );
    path
}
