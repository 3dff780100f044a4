//! The admin commands of the `yichuang-county` binary.

mod common;

use std::process::Command;

use common::{MemOutbox, MemSink, client, pg, raw_sql, server, test_options};
use yichuang_sync::{Client, DeviceKey, SyncError};

fn county(db: &str, args: &[&str]) -> (bool, String, String) {
    let (answer, release) = common::key_files();
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .args(args)
        .env("YICHUANG_COUNTY_DATABASE_URL", db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(db))
        .output()
        .expect("run yichuang-county");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn admin_commands_enrol_publish_verify_and_revoke() {
    let (srv, db) = server("yc_cli");
    let (ok, code, err) = county(&db, &["enroll-code", "--station", "S042"]);
    assert!(ok, "{err}");
    let code = code.trim();
    // 12 secret characters and the county's 16-character fingerprint.
    assert_eq!(code.len(), 34, "{code}");

    let key = DeviceKey::generate().unwrap();
    let reg = Client::enroll(&srv.url(), code, &key).unwrap();
    assert_eq!(reg.station_code, "S042");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-cli");
    for i in 0..4 {
        ob.append_case(&format!("C{i}"), "case.registered", "registered");
    }
    ob.append_case("C1", "case.rejection_approved", "rejected");
    c.sync_once(&ob).unwrap();

    let file = std::env::temp_dir().join(format!("yc-cli-catalog-{}.json", std::process::id()));
    // Publish refuses what the stations would: a catalog that passes.
    let mut catalog: serde_json::Value =
        serde_json::from_str(yichuang_domain::catalog::BUNDLED_CATALOG).unwrap();
    catalog["version"] = "cli-1".into();
    std::fs::write(&file, catalog.to_string()).unwrap();
    let (ok, out, err) = county(&db, &["publish", "catalog", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("\"version\": \"1\""), "{out}");
    let sink = MemSink::default();
    assert_eq!(c.fetch_releases(&sink).unwrap().len(), 1);
    let _ = std::fs::remove_file(&file);

    let (ok, out, _) = county(&db, &["verify-chains"]);
    assert!(ok && out.contains("OK (5 events)"), "{out}");
    let (ok, out, _) = county(&db, &["rejections"]);
    assert!(
        ok && out.contains("S042\tC1\tITEM-01") && out.contains("1 cases"),
        "{out}"
    );
    ob.append("case.accepted", "{oops");
    c.sync_once(&ob).unwrap();
    let (ok, out, _) = county(&db, &["quarantine"]);
    assert!(
        ok && out.contains("seq 6\tcase.accepted\tpayload is not valid JSON"),
        "{out}"
    );
    raw_sql::execute(
        &db,
        "UPDATE events SET hash = repeat('a', 64) WHERE seq = 4",
    );
    let (ok, out, _) = county(&db, &["verify-chains"]);
    assert!(!ok && out.contains("BAD at seq 4"), "{out}");

    let (ok, _, err) = county(&db, &["revoke", &reg.device_id]);
    assert!(ok, "{err}");
    ob.append_case("C9", "case.registered", "registered");
    assert!(matches!(c.sync_once(&ob), Err(SyncError::Revoked(_))));
    assert!(matches!(
        c.fetch_releases(&sink),
        Err(SyncError::Revoked(_))
    ));
    let (ok, _, err) = county(&db, &["revoke", "dev-nobody"]);
    assert!(!ok && err.contains("no device"), "{err}");

    // `devices | head`: the reader gone before the listing is written (the
    // read end closed at once; the command first connects to the database).
    let (answer, release) = common::key_files();
    let mut child = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .arg("devices")
        .env("YICHUANG_COUNTY_DATABASE_URL", &db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(&db))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !err.contains("panicked"), "{err}");

    // No database configured: a clear error, not a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .arg("verify-chains")
        .env_remove("YICHUANG_COUNTY_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database URL"));
}

#[test]
fn serve_answers_over_http_with_the_server_time() {
    let db = pg::fresh_database("yc_serve");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = std::env::temp_dir().join(format!("yc-serve-{}.toml", std::process::id()));
    std::fs::write(
        &cfg,
        format!("listen = \"127.0.0.1:{port}\"\npool_size = 4\n"),
    )
    .unwrap();
    let (answer, release) = common::key_files();
    let mut child = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .args(["--config", cfg.to_str().unwrap(), "serve"])
        .env("YICHUANG_COUNTY_DATABASE_URL", &db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(&db))
        .spawn()
        .expect("start serve");
    let url = format!("http://127.0.0.1:{port}");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let started = std::time::Instant::now();
    let resp = loop {
        match agent.get(format!("{url}/healthz")).call() {
            Ok(r) => break r,
            Err(_) if started.elapsed().as_secs() < 30 => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            Err(e) => {
                let _ = child.kill();
                panic!("serve did not come up: {e}");
            }
        }
    };
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()
            .contains_key(yichuang_wire::headers::SERVER_TIME)
    );

    let (ok, code, err) = county(&db, &["enroll-code", "--station", "S007"]);
    assert!(ok, "{err}");
    let key = DeviceKey::generate().unwrap();
    let reg = Client::enroll(&url, code.trim(), &key).unwrap();
    let ob = MemOutbox::new("log-serve");
    ob.append_case("A1", "case.registered", "registered");
    let r = client(&reg, &key, test_options()).sync_once(&ob).unwrap();
    assert_eq!(r.acked_seq, 1);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&cfg);
}

/// Keys live in files made by `keygen`, never in the database, and a
/// missing key is an error, never a silent new one.
#[test]
fn keygen_makes_owner_only_key_files_and_serve_refuses_without_them() {
    let db = pg::fresh_database("yc_keys");
    let dir = tempfile::tempdir().unwrap();
    let (answer, release) = (dir.path().join("a.key"), dir.path().join("r.key"));
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
            .args(args)
            .env("YICHUANG_COUNTY_DATABASE_URL", &db)
            .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", &answer)
            .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", &release)
            .env("YICHUANG_COUNTY_ADMIN_LOG", dir.path().join("admin.log"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No key yet: the server and the admin commands refuse, naming the fix.
    let (ok, err) = run(&["enroll-code", "--station", "S1"]);
    assert!(!ok && err.contains("keygen"), "{err}");
    let (ok, err) = run(&["keygen"]);
    assert!(ok, "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&answer, &release] {
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }
    let before = std::fs::read_to_string(&release).unwrap();
    let (ok, err) = run(&["keygen"]);
    assert!(!ok && err.contains("never overwrites"), "{err}");
    assert_eq!(std::fs::read_to_string(&release).unwrap(), before);
    let (ok, err) = run(&["enroll-code", "--station", "S1"]);
    assert!(ok, "{err}");

    // A key an earlier version stored in the database: refused until adopted.
    let old = yichuang_wire::SecretKey::generate().unwrap();
    let secret = old.to_secret_string();
    let hex = secret.split_once(':').unwrap().1;
    raw_sql::execute(
        &db,
        &format!(
            "INSERT INTO county_keys (name, algorithm, secret_hex, public_hex) VALUES ('release', 'ed25519', '{hex}', '{}')",
            old.public_key_hex()
        ),
    );
    let (ok, err) = run(&["enroll-code", "--station", "S1"]);
    assert!(!ok && err.contains("--adopt-database-key"), "{err}");
    std::fs::remove_file(&release).unwrap();
    std::fs::remove_file(yichuang_county::keys::public_path(&release)).unwrap();
    let (ok, err) = run(&["keygen", "--adopt-database-key"]);
    assert!(ok, "{err}");
    assert_eq!(
        yichuang_county::keys::release_secret(&Some(release.clone()))
            .unwrap()
            .public_key_hex(),
        old.public_key_hex(),
        "stations enrolled with the old key keep verifying"
    );
    let (ok, err) = run(&["enroll-code", "--station", "S1"]);
    assert!(ok, "{err}");
}

/// The server runs as a role that can append events but never delete or
/// rewrite them, nor change the schema; administration runs as the owner.
#[test]
fn the_server_role_appends_but_cannot_erase() {
    let db = pg::fresh_database("yc_roles");
    let role = format!("yc_srv_{}", std::process::id());
    let cluster = pg::cluster_url();
    raw_sql::execute(cluster, &format!("DROP ROLE IF EXISTS {role}"));
    raw_sql::execute(cluster, &format!("CREATE ROLE {role} LOGIN"));
    let (ok, _, err) = county(&db, &["grant-server-role", "--role", &role]);
    assert!(ok, "{err}");
    // The server's own URL: the same database as the restricted role.
    let (scheme_host, name) = db.rsplit_once('/').unwrap();
    let (scheme, host) = scheme_host.split_once("://").unwrap();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let as_server = format!("{scheme}://{role}@{host}/{name}");
    let srv = yichuang_county::RunningServer::start(
        yichuang_county::Config {
            admin_log_file: Some(common::admin_log(&db)),
            ..common::config(&as_server)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .expect("the server starts as the restricted role");
    let code = common::enrol_code(&srv, "S100");
    let key = DeviceKey::generate().unwrap();
    let reg = Client::enroll(&srv.url(), &code, &key).unwrap();
    let ob = MemOutbox::new("log-roles");
    for i in 0..3 {
        ob.append_case(&format!("C{i}"), "case.registered", "registered");
    }
    assert_eq!(
        client(&reg, &key, test_options())
            .sync_once(&ob)
            .unwrap()
            .acked_seq,
        3
    );
    for sql in [
        "DELETE FROM events",
        "UPDATE events SET payload = 'x'",
        "TRUNCATE events",
        "DROP TABLE events",
        "DELETE FROM releases",
    ] {
        let e = raw_sql::try_execute(&as_server, sql).expect_err(sql);
        assert!(
            e.contains("permission denied") || e.contains("must be owner"),
            "{sql}: {e}"
        );
    }
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 3);
    drop(srv);
    raw_sql::execute(&db, &format!("REASSIGN OWNED BY {role} TO CURRENT_USER"));
    raw_sql::execute(&db, &format!("DROP OWNED BY {role}"));
    raw_sql::execute(cluster, &format!("DROP ROLE IF EXISTS {role}"));
}
