//! Reference-data releases: immutable, signed, verified by the station before apply.

mod common;

use common::{MemSink, client, enrol, raw_sql, server, test_options};
use yichuang_county::storage::Releases;
use yichuang_sync::SyncError;

#[test]
fn releases_are_fetched_verified_and_applied_in_order() {
    let (srv, _db) = server("yc_rel");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let sink = MemSink::default();
    assert!(c.fetch_releases(&sink).unwrap().is_empty());

    let publish = |kind: &str, bytes: &[u8]| {
        srv.block_on(
            srv.state
                .storage
                .publish(&common::release_key(), kind, bytes),
        )
        .unwrap()
    };
    let m1 = publish("catalog", "事项目录 v1".as_bytes());
    publish("calendar", b"2026 holidays");
    let applied = c.fetch_releases(&sink).unwrap();
    assert_eq!(applied.len(), 2);
    assert_eq!(m1.version, "1");
    let applied = sink.applied.lock().unwrap().clone();
    let catalog = applied.iter().find(|(m, _)| m.kind == "catalog").unwrap();
    assert_eq!(catalog.1, "事项目录 v1".as_bytes());

    // Nothing new: nothing applied again.
    assert!(c.fetch_releases(&sink).unwrap().is_empty());
    let m2 = publish("catalog", b"catalog v2");
    let applied = c.fetch_releases(&sink).unwrap();
    assert_eq!(applied, vec![m2]);

    // Unknown kinds are refused at publish time.
    assert!(
        srv.block_on(
            srv.state
                .storage
                .publish(&common::release_key(), "fonts", b"x")
        )
        .is_err()
    );
}

#[test]
fn a_corrupted_or_forged_snapshot_is_refused_before_apply() {
    let (srv, db) = server("yc_relbad");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let sink = MemSink::default();
    let publish = |kind: &str, bytes: &[u8]| {
        srv.block_on(
            srv.state
                .storage
                .publish(&common::release_key(), kind, bytes),
        )
        .unwrap()
    };
    publish("templates", b"templates v1");
    c.fetch_releases(&sink).unwrap();

    // v2's bytes are damaged in storage (same size, different content).
    publish("templates", b"templates v2");
    raw_sql::execute(
        &db,
        "UPDATE releases SET content = convert_to('templates v9', 'UTF8') WHERE kind = 'templates' AND version = '2'",
    );
    let err = c.fetch_releases(&sink).unwrap_err();
    assert!(
        matches!(&err, SyncError::ReleaseInvalid { reason, .. } if reason.contains("SHA-256")),
        "{err}"
    );
    // Truncated.
    raw_sql::execute(
        &db,
        "UPDATE releases SET content = convert_to('templ', 'UTF8') WHERE kind = 'templates' AND version = '2'",
    );
    let err = c.fetch_releases(&sink).unwrap_err();
    assert!(
        matches!(&err, SyncError::ReleaseInvalid { reason, .. } if reason.contains("bytes")),
        "{err}"
    );

    // A manifest whose hash was changed to match forged bytes fails the signature.
    raw_sql::execute(
        &db,
        "UPDATE releases SET content = convert_to('forged!', 'UTF8'), size = 7,
                sha256 = encode(sha256(convert_to('forged!', 'UTF8')), 'hex')
         WHERE kind = 'templates' AND version = '2'",
    );
    let err = c.fetch_releases(&sink).unwrap_err();
    assert!(
        matches!(&err, SyncError::ReleaseInvalid { reason, .. } if reason.contains("signature")),
        "{err}"
    );
    assert!(!err.message_zh().is_empty());

    // The station still has v1 only.
    assert_eq!(sink.applied.lock().unwrap().len(), 1);
    assert_eq!(sink.applied.lock().unwrap()[0].1, b"templates v1");

    // A bad release of one kind does not hold back the others.
    publish("calendar", b"calendar v1");
    let err = c.fetch_releases(&sink).unwrap_err();
    assert!(matches!(&err, SyncError::ReleaseInvalid { kind, .. } if kind == "templates"));
    let applied = sink.applied.lock().unwrap();
    assert_eq!(applied.len(), 2);
    assert_eq!(applied[1].1, b"calendar v1");
}

/// A county that lost a release (restored without its administration log)
/// and published the same number again with other content: the station
/// that applied the first one refuses the second, and says why.
#[test]
fn a_release_number_reissued_with_other_content_is_refused() {
    let (srv, db) = server("yc_relre");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let sink = MemSink::default();
    let publish = |bytes: &[u8]| {
        srv.block_on(
            srv.state
                .storage
                .publish(&common::release_key(), "catalog", bytes),
        )
        .unwrap()
    };
    publish(b"catalog one");
    c.fetch_releases(&sink).unwrap();
    raw_sql::execute(&db, "DELETE FROM releases WHERE kind = 'catalog'");
    assert_eq!(publish(b"catalog one, other text").version, "1");
    let e = c.fetch_releases(&sink).unwrap_err();
    assert!(matches!(e, SyncError::ReleaseReissued { .. }), "{e:?}");
    assert!(e.message_zh().contains("内容不同"), "{}", e.message_zh());
    assert_eq!(sink.applied.lock().unwrap().len(), 1);
}
