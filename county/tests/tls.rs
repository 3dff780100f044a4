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
