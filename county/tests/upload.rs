//! The upload path against a real PostgreSQL: idempotency, lost acks, gaps,
//! forks, authentication, poison events and the case projection.

mod common;

use common::proxy::{Fault, Proxy};
use common::{MemOutbox, RawRequest, batch_body, client, enrol, raw_sql, server, test_options};
use yichuang_county::storage::{Devices, EventLog};
use yichuang_sync::{ClientOptions, DeviceKey, SyncError, SyncOutcome};
use yichuang_wire::codes;

fn fill(ob: &MemOutbox, n: usize) {
    for i in 0..n {
        ob.append_case(&format!("C{i:04}"), "case.registered", "registered");
    }
}

#[test]
fn reupload_is_idempotent() {
    let (srv, db) = server("yc_idem");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-idem");
    fill(&ob, 30);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (30, 30));

    // The station forgets its ack (e.g. the ack write was lost): resend all.
    ob.forget_ack();
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.sent, r.stored, r.acked_seq), (30, 0, 30));
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 30);

    // New events after a full resend still go in.
    fill(&ob, 5);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (5, 35));
    assert!(matches!(
        ob.attempts.lock().unwrap().last(),
        Some(SyncOutcome::Success { acked_seq: 35, .. })
    ));
}

#[test]
fn lost_ack_through_the_proxy_makes_no_duplicate() {
    let (srv, db) = server("yc_lostack");
    let proxy = Proxy::start(srv.addr, 1);
    let (reg, key) = enrol(&srv, &proxy.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-lost");
    fill(&ob, 20);

    // The county commits, then the answer is cut before its first byte.
    proxy.push_fault(Fault::CutResponse { after: 0 });
    let err = c.sync_once(&ob).unwrap_err();
    assert!(matches!(err, SyncError::Network(_)), "{err}");
    assert!(err.is_retryable());
    assert_eq!(
        ob.acked_seq(),
        0,
        "no ack may be recorded without an answer"
    );
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM events"),
        20,
        "committed before the answer"
    );

    // Cut mid-answer this time, then a clean retry.
    proxy.push_fault(Fault::CutResponse { after: 40 });
    assert!(c.sync_once(&ob).is_err());
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (0, 20));
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 20);

    // A reset in the middle of the request stores nothing and breaks nothing.
    fill(&ob, 10);
    proxy.push_fault(Fault::ResetMidRequest { after: 300 });
    assert!(c.sync_once(&ob).is_err());
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 20);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (10, 30));
    assert!(proxy.stats.faults() >= 3);
}

#[test]
fn a_gap_is_refused_with_the_expected_seq() {
    let (srv, db) = server("yc_gap");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-gap");
    fill(&ob, 9);
    let first5: Vec<_> = ob.events.lock().unwrap()[..5].to_vec();
    let later: Vec<_> = ob.events.lock().unwrap()[7..9].to_vec();
    let (s, _, _) = RawRequest::new(
        &srv.url(),
        &reg.device_id,
        &key,
        batch_body("log-gap", &first5),
    )
    .send();
    assert_eq!(s, 200);
    let (s, body, _) = RawRequest::new(
        &srv.url(),
        &reg.device_id,
        &key,
        batch_body("log-gap", &later),
    )
    .send();
    let body = body.unwrap();
    assert_eq!((s, body.code.as_str()), (409, codes::GAP));
    assert_eq!(body.expected_seq, Some(6));
    assert_eq!(body.head_hash.as_deref(), Some(first5[4].hash.as_str()));
    assert!(!body.message_zh.is_empty());
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 5);

    // The real client, whose ack says 0, simply continues.
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (4, 9));
}

#[test]
fn a_station_restored_from_an_old_backup_is_a_fork_and_nothing_is_accepted() {
    let (srv, db) = server("yc_fork");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-fork");
    fill(&ob, 5);
    c.sync_once(&ob).unwrap();
    let backup = ob.backup(); // taken at seq 5, ack 5
    fill(&ob, 5);
    c.sync_once(&ob).unwrap();
    let county_hashes = raw_sql::query_strings(&db, "SELECT hash FROM events ORDER BY seq");

    // The PC dies; the station is restored from the backup and keeps working.
    backup.append_case("C9000", "case.registered", "registered");
    backup.append_case("C9001", "case.registered", "registered");
    let err = c.sync_once(&backup).unwrap_err();
    match &err {
        SyncError::Fork {
            seq,
            county_head_seq,
            ..
        } => assert_eq!((*seq, *county_head_seq), (6, 10)),
        e => panic!("expected a fork, got {e}"),
    }
    assert!(!err.is_retryable());
    assert!(err.message_zh().contains("第 6 条"));
    assert_eq!(backup.acked_seq(), 5, "never skip past a fork");
    assert!(matches!(
        backup.attempts.lock().unwrap().last(),
        Some(SyncOutcome::Failure {
            retryable: false,
            ..
        })
    ));
    assert_eq!(
        raw_sql::query_strings(&db, "SELECT hash FROM events ORDER BY seq"),
        county_hashes
    );

    // A backup whose ack is older than the county's head: the overlap differs.
    let older = MemOutbox::new("log-fork");
    for e in ob.events.lock().unwrap()[..3].iter() {
        older.events.lock().unwrap().push(e.clone());
    }
    older.append_case("C8000", "case.registered", "registered");
    let err = c.sync_once(&older).unwrap_err();
    assert!(matches!(err, SyncError::Fork { seq: 4, .. }), "{err}");
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 10);

    // verify-chains still finds the county's copy intact.
    let reports = srv.block_on(srv.state.storage.verify_chains()).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].first_bad, None);
    assert_eq!(reports[0].events, 10);
}

#[test]
fn broken_chain_inside_a_batch_is_refused_whole() {
    let (srv, db) = server("yc_chain");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let ob = MemOutbox::new("log-chain");
    fill(&ob, 4);
    let mut evs = ob.events.lock().unwrap().clone();
    evs[2].payload = r#"{"case_no":"X","state":"forged"}"#.into();
    let (s, body, _) = RawRequest::new(
        &srv.url(),
        &reg.device_id,
        &key,
        batch_body("log-chain", &evs),
    )
    .send();
    let body = body.unwrap();
    assert_eq!(
        (s, body.code.as_str(), body.seq),
        (422, codes::CHAIN_INVALID, Some(3))
    );
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 0);
}

#[test]
fn unknown_forged_revoked_stale_replayed_and_old_clients_are_refused() {
    let (srv, db) = server("yc_auth");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let ob = MemOutbox::new("log-auth");
    fill(&ob, 3);
    let body = batch_body("log-auth", &ob.events.lock().unwrap());
    let url = srv.url();

    // Unknown device.
    let mut unknown = reg.clone();
    unknown.device_id = "dev-00000000-0000-0000-0000-000000000000".into();
    let err = client(&unknown, &key, test_options())
        .sync_once(&ob)
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Unauthorized(b) if b.code == codes::UNKNOWN_DEVICE),
        "{err}"
    );

    // Right device id, wrong key.
    let other = DeviceKey::generate().unwrap();
    let err = client(&reg, &other, test_options())
        .sync_once(&ob)
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Unauthorized(b) if b.code == codes::BAD_SIGNATURE),
        "{err}"
    );

    // Body changed after signing.
    let mut raw = RawRequest::new(&url, &reg.device_id, &key, body.clone());
    raw.tamper_body_after_signing = true;
    assert_eq!(raw.send().0, 401);

    // Stale timestamp (11 minutes old).
    let mut raw = RawRequest::new(&url, &reg.device_id, &key, body.clone());
    raw.timestamp_ms = Some(yichuang_county::now_ms() - 11 * 60 * 1000);
    let (s, b, _) = raw.send();
    assert_eq!((s, b.unwrap().code.as_str()), (401, codes::STALE_TIMESTAMP));

    // Replayed nonce.
    let mut raw = RawRequest::new(&url, &reg.device_id, &key, body.clone());
    raw.nonce = Some("0123456789abcdef0123456789abcdef".into());
    assert_eq!(raw.send().0, 200);
    let (s, b, _) = raw.send();
    assert_eq!((s, b.unwrap().code.as_str()), (401, codes::REPLAYED_NONCE));
    // Pruning keeps nonces younger than twice the skew window.
    let pruned = srv
        .block_on(srv.state.storage.prune_nonces(600_000))
        .unwrap();
    assert_eq!(pruned, 0);
    raw_sql::execute(
        &db,
        "UPDATE nonces SET seen_at = now() - interval '30 minutes'",
    );
    let pruned = srv
        .block_on(srv.state.storage.prune_nonces(600_000))
        .unwrap();
    assert!(pruned >= 1);

    // Too old a protocol.
    let mut raw = RawRequest::new(&url, &reg.device_id, &key, body.clone());
    raw.protocol = Some("0".into());
    let (s, b, _) = raw.send();
    assert_eq!((s, b.unwrap().code.as_str()), (426, codes::CLIENT_TOO_OLD));

    // Revoked.
    assert!(
        srv.block_on(srv.state.storage.revoke(&reg.device_id))
            .unwrap()
    );
    ob.append_case("C9", "case.registered", "registered");
    let err = client(&reg, &key, test_options())
        .sync_once(&ob)
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Revoked(b) if b.code == codes::REVOKED),
        "{err}"
    );
    assert!(err.message_zh().contains("停用"));
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 3);
    assert!(
        raw_sql::query_i64(
            &db,
            "SELECT coalesce(sum(count), 0)::int8 FROM refusal_counts"
        ) >= 4,
        "refusals are logged"
    );

    // An enrolment code works once.
    let code = common::enrol_code(&srv, "S002");
    let k = DeviceKey::generate().unwrap();
    yichuang_sync::Client::enroll(&srv.url(), &code, &k).unwrap();
    let err = yichuang_sync::Client::enroll(&srv.url(), &code, &k).unwrap_err();
    assert!(
        matches!(&err, SyncError::Unauthorized(b) if b.code == codes::BAD_CODE),
        "{err}"
    );
}

#[test]
fn oversized_batches_get_413_and_the_client_halves() {
    let (srv, db) = server("yc_413");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    // A client that believes batches may be 4 MiB: the county says 413.
    let c = client(
        &reg,
        &key,
        ClientOptions {
            max_batch_bytes: 4 * 1024 * 1024,
            ..test_options()
        },
    );
    let ob = MemOutbox::new("log-413");
    let filler = "字".repeat(4000);
    for i in 0..300 {
        ob.append("note.added", &format!(r#"{{"n":{i},"text":"{filler}"}}"#));
    }
    let r = c.sync_once(&ob).unwrap();
    assert!(r.halvings >= 1, "{r:?}");
    assert_eq!((r.stored, r.acked_seq), (300, 300));
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 300);
    assert!(c.batch_events() < 300);

    // More than 500 events in one batch is refused whatever its size.
    let small = MemOutbox::new("log-413");
    fill(&small, 501);
    let url = srv.url();
    let (s, b, _) = RawRequest::new(
        &url,
        &reg.device_id,
        &key,
        batch_body("log-413", &small.events.lock().unwrap()),
    )
    .send();
    assert_eq!((s, b.unwrap().code.as_str()), (413, codes::TOO_LARGE));
}

#[test]
fn poison_events_are_quarantined_and_later_events_keep_flowing() {
    let (srv, db) = server("yc_poison");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-poison");
    ob.append_case("2026-0001", "case.registered", "registered");
    ob.append("case.accepted", "{not json");
    ob.append("case.accepted", r#"{"case_no":"2026-0001"}"#);
    ob.append("case.rejection_approved", r#"[1,2]"#);
    ob.append_case("2026-0001", "case.accepted", "accepted");
    ob.append_case("2026-0002", "case.registered", "registered");
    ob.append_case("2026-0002", "case.rejection_approved", "rejected");
    ob.append("clerk.login", r#"{"user":"clerk-1","extra":{"ok":true}}"#);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!(
        (r.stored, r.acked_seq),
        (8, 8),
        "poison never blocks the upload"
    );
    let mut q: Vec<u64> = r.quarantined.iter().map(|n| n.seq).collect();
    q.sort();
    assert_eq!(q, vec![2, 3, 4]);
    assert!(
        r.quarantined
            .iter()
            .any(|n| n.reason.contains("state is missing")),
        "{:?}",
        r.quarantined
    );
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM quarantine"),
        3
    );

    // Later events keep flowing and the projection follows them.
    ob.append_case("2026-0001", "case.rejection_approved", "rejected");
    ob.append_case("2026-0002", "case.reopened", "accepted");
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (2, 10));
    assert!(r.quarantined.is_empty());
    let cases = raw_sql::query_strings(
        &db,
        "SELECT case_no, state, item_code, station_code FROM cases ORDER BY case_no",
    );
    assert_eq!(
        cases,
        vec![
            vec![
                Some("2026-0001".into()),
                Some("rejected".into()),
                Some("ITEM-01".into()),
                Some("S001".into())
            ],
            vec![
                Some("2026-0002".into()),
                Some("accepted".into()),
                Some("ITEM-01".into()),
                Some("S001".into())
            ],
        ]
    );
    let register = raw_sql::query_strings(&db, "SELECT case_no, last_kind FROM rejection_register");
    assert_eq!(
        register,
        vec![vec![
            Some("2026-0001".into()),
            Some("case.rejection_approved".into())
        ]]
    );
}

#[test]
fn projection_catches_up_after_a_crash_between_commit_and_projection() {
    let (srv, db) = server("yc_catchup");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-catchup");
    ob.append_case("K1", "case.registered", "registered");
    c.sync_once(&ob).unwrap();
    // Pretend the projection never ran.
    raw_sql::execute(&db, "UPDATE devices SET projected_seq = 0");
    raw_sql::execute(&db, "DELETE FROM cases");
    let addr = srv.addr;
    srv.kill();
    let srv = common::start_server(&db, addr);
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM cases"), 1);
    drop(srv);
}

#[test]
fn a_projection_failing_inside_the_upload_keeps_the_events_and_catches_up_later() {
    let (srv, db) = server("yc_projfail");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-projfail");
    ob.append_case("P1", "case.registered", "registered");
    c.sync_once(&ob).unwrap();
    // The upload projects in its own transaction; a table it cannot write
    // must cost the projection only, never the events.
    raw_sql::execute(&db, "ALTER TABLE case_events RENAME TO case_events_away");
    ob.append_case("P1", "case.accepted", "accepted");
    ob.append_case("P2", "case.registered", "registered");
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (2, 3));
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT head_seq * 10 + projected_seq FROM devices"),
        31,
        "stored up to 3, projected up to 1"
    );
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM cases"), 1);
    raw_sql::execute(&db, "ALTER TABLE case_events_away RENAME TO case_events");
    // The next upload finds the projection behind and catches up first.
    ob.append_case("P2", "case.accepted", "accepted");
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.stored, r.acked_seq), (1, 4));
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT projected_seq FROM devices"),
        4
    );
    assert_eq!(
        raw_sql::query_strings(&db, "SELECT case_no, state FROM cases ORDER BY case_no"),
        vec![
            vec![Some("P1".into()), Some("accepted".into())],
            vec![Some("P2".into()), Some("accepted".into())],
        ]
    );
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM case_events"),
        4
    );
    drop(srv);
}

#[test]
fn verify_chains_names_the_first_bad_seq() {
    let (srv, db) = server("yc_verify");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-verify");
    fill(&ob, 12);
    c.sync_once(&ob).unwrap();
    let ok = srv.block_on(srv.state.storage.verify_chains()).unwrap();
    assert_eq!((ok[0].events, ok[0].first_bad.clone()), (12, None));
    raw_sql::execute(
        &db,
        "UPDATE events SET payload = convert_to('{\"tampered\":1}', 'UTF8') WHERE seq = 7",
    );
    let bad = srv.block_on(srv.state.storage.verify_chains()).unwrap();
    assert_eq!(bad[0].first_bad.as_ref().map(|b| b.0), Some(7));
}

#[test]
fn a_county_restored_from_backup_is_refilled_by_the_station() {
    let (srv, db) = server("yc_refill");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-refill");
    fill(&ob, 10);
    c.sync_once(&ob).unwrap();
    // The county loses its last 5 events (restored from its own backup).
    let hash5 = ob.events.lock().unwrap()[4].hash.clone();
    raw_sql::execute(&db, "DELETE FROM events WHERE seq > 5");
    raw_sql::execute(
        &db,
        &format!("UPDATE devices SET head_seq = 5, head_hash = '{hash5}', projected_seq = 5"),
    );
    fill(&ob, 2);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!(r.resyncs, 1, "{r:?}");
    assert_eq!((r.stored, r.acked_seq), (7, 12));
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 12);
    let reports = srv.block_on(srv.state.storage.verify_chains()).unwrap();
    assert_eq!(reports[0].first_bad, None);
}

#[test]
fn with_nothing_queued_the_station_compares_heads_and_refills_a_restored_county() {
    let (srv, db) = server("yc_reconcile");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let c = client(&reg, &key, test_options());
    let ob = MemOutbox::new("log-reconcile");
    fill(&ob, 8);
    c.sync_once(&ob).unwrap();
    // The county is restored from a backup with 3 of the 8 events; the
    // station has nothing new to send.
    let hash3 = ob.events.lock().unwrap()[2].hash.clone();
    raw_sql::execute(&db, "DELETE FROM events WHERE seq > 3");
    raw_sql::execute(
        &db,
        &format!("UPDATE devices SET head_seq = 3, head_hash = '{hash3}', projected_seq = 3"),
    );
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.resyncs, r.stored, r.acked_seq), (1, 5, 8), "{r:?}");
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 8);
    // Heads agree now: the next run sends nothing.
    let r = c.sync_once(&ob).unwrap();
    assert_eq!((r.resyncs, r.sent), (0, 0));
}

#[test]
fn a_station_clock_far_off_is_corrected_from_the_server_time() {
    let (srv, _db) = server("yc_skew");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    // The station's clock is 25 minutes slow: the first request is stale,
    // the answer carries the county's time, the retry is accepted.
    let c = client(
        &reg,
        &key,
        ClientOptions {
            local_clock_error_ms: -25 * 60 * 1000,
            ..test_options()
        },
    );
    let ob = MemOutbox::new("log-skew");
    fill(&ob, 3);
    let r = c.sync_once(&ob).unwrap();
    assert_eq!(r.acked_seq, 3);
    let skew = c.clock_skew_ms();
    assert!((skew - 25 * 60 * 1000).abs() < 5_000, "skew {skew}");
}

#[test]
fn concurrent_resends_of_one_batch_store_it_once() {
    let (srv, db) = server("yc_concurrent");
    let (reg, key) = enrol(&srv, &srv.url(), "S001");
    let ob = MemOutbox::new("log-conc");
    fill(&ob, 200);
    let body = batch_body("log-conc", &ob.events.lock().unwrap());
    let url = srv.url();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    RawRequest::new(&url, &reg.device_id, &key, body.clone())
                        .send()
                        .0
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, vec![200; 6]);
    assert_eq!(raw_sql::query_i64(&db, "SELECT count(*) FROM events"), 200);
    let head = client(&reg, &key, test_options()).county_head().unwrap();
    assert_eq!(
        (head.head_seq, head.log_id.as_deref()),
        (200, Some("log-conc"))
    );
    assert_eq!(head.head_hash, ob.events.lock().unwrap()[199].hash);
}

#[test]
fn a_log_belongs_to_one_device() {
    let (srv, _db) = server("yc_logbind");
    let (reg_a, key_a) = enrol(&srv, &srv.url(), "S001");
    let (reg_b, key_b) = enrol(&srv, &srv.url(), "S002");
    let ob = MemOutbox::new("log-shared");
    fill(&ob, 3);
    client(&reg_a, &key_a, test_options())
        .sync_once(&ob)
        .unwrap();
    // Another device may not upload into A's log (e.g. a copied database).
    ob.forget_ack();
    let err = client(&reg_b, &key_b, test_options())
        .sync_once(&ob)
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Refused { status: 409, body: Some(b) } if b.code == codes::LOG_MISMATCH),
        "{err}"
    );
    // And A may not switch to another log.
    let other = MemOutbox::new("log-other");
    fill(&other, 1);
    let err = client(&reg_a, &key_a, test_options())
        .sync_once(&other)
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Refused { status: 409, .. }),
        "{err}"
    );
}
