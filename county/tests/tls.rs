//! Enrolment and upload over HTTPS with the county's own CA pinned.

mod common;

use common::tls::TlsFront;
use common::{MemOutbox, enrol_code, server, test_options};
use yichuang_sync::{Client, ClientOptions, DeviceKey, SyncError};

#[test]
fn https_with_a_pinned_county_ca_works_and_a_stranger_certificate_is_refused() {
    let (srv, _db) = server("yc_tls");
    let front = TlsFront::start(srv.addr);
    let opts = ClientOptions {
        pinned_ca_pem: Some(front.ca_pem.clone().into_bytes()),
        ..test_options()
    };
    let key = DeviceKey::generate().unwrap();
    let reg = Client::enroll_with(&front.url(), &enrol_code(&srv, "S001"), &key, &opts).unwrap();
    assert!(reg.server_url.starts_with("https://"));
    let c = Client::with_options(reg.clone(), common::copy_key(&key), opts).unwrap();
    let ob = MemOutbox::new("log-tls");
    ob.append_case("T1", "case.registered", "registered");
    assert_eq!(c.sync_once(&ob).unwrap().acked_seq, 1);

    // Without the pin, the self-signed county certificate is not trusted.
    let stranger = Client::with_options(reg, common::copy_key(&key), test_options()).unwrap();
    assert_eq!(c.county_head().unwrap().head_seq, 1);
    let err = stranger.county_head().unwrap_err();
    assert!(matches!(err, SyncError::Network(_)), "{err}");

    // A malformed pin is refused up front.
    let bad = ClientOptions {
        pinned_ca_pem: Some(b"not a certificate".to_vec()),
        ..test_options()
    };
    assert!(Client::with_options(c.registration().clone(), key, bad).is_err());
}

/// The county's database link: over TLS when asked, the server's
/// certificate checked against the county's CA; a database on another host
/// is refused without TLS.
#[test]
fn the_database_link_is_encrypted_and_its_certificate_checked() {
    let db = common::pg::fresh_database("yc_pgtls");
    let url = format!("{db}?sslmode=require");
    let srv = yichuang_county::RunningServer::start(
        yichuang_county::Config {
            database_ca_file: Some(common::pg::cluster_ca()),
            admin_log_file: Some(common::admin_log(&db)),
            ..common::config(&url)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .expect("starts over TLS");
    let encrypted: bool = srv.block_on(async {
        let c = srv.state.storage.pool.get().await.unwrap();
        c.query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    });
    assert!(
        encrypted,
        "the server's database connection is not encrypted"
    );
    drop(srv);

    // Another CA than the one that signed the database's certificate.
    let stranger = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("other-ca.crt");
    std::fs::write(&ca, stranger.cert.pem()).unwrap();
    let e = yichuang_county::RunningServer::start(
        yichuang_county::Config {
            database_ca_file: Some(ca),
            admin_log_file: Some(common::admin_log(&db)),
            ..common::config(&url)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .err()
    .expect("a database certificate from another CA is refused");
    let msg = e.to_string().to_lowercase();
    assert!(msg.contains("certificate") || msg.contains("tls"), "{e}");

    // A database elsewhere, asked without TLS: refused before connecting.
    let Err(e) = yichuang_county::pg::make_pool("postgres://county@192.0.2.10:5432/yc", 2, None)
    else {
        panic!("a plain link to another host was accepted");
    };
    assert!(e.to_string().contains("another host"), "{e}");
}
