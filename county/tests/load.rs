//! A bounded load test of what anyone may try without a device key, on
//! loopback: floods of bad enrolments (with huge labels) and of requests
//! from invented devices, slow clients that never finish their headers, and
//! more connections than the server takes. The refusal table, the server's
//! memory and its connections stay bounded; enrolled stations still sync.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{MemOutbox, RawRequest, client, enrol, raw_sql, test_options};
use yichuang_county::{Config, RunningServer};
use yichuang_sync::DeviceKey;

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn status_of(url: &str, body: Vec<u8>) -> u16 {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    match agent
        .post(format!("{url}{}", yichuang_wire::paths::ENROL))
        .header(yichuang_wire::headers::PROTOCOL, "2")
        .header("content-type", "application/json")
        .send(&body[..])
    {
        Ok(r) => r.status().as_u16(),
        // The server may answer 429 and close before a huge body is sent.
        Err(_) => 0,
    }
}

#[test]
fn floods_of_strangers_leave_tables_memory_and_connections_bounded() {
    let db = common::pg::fresh_database("yc_load");
    let srv = RunningServer::start(
        Config {
            header_timeout_ms: 500,
            max_connections: 16,
            ..common::config(&db)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let url = srv.url();
    // An enrolled station, before the flood (the enrolment budget is per address).
    let (reg, key) = enrol(&srv, &url, "L001");
    let before_mb = rss_mb();
    let started = Instant::now();

    // 1. Bad enrolment codes with big labels (the old server stored each).
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    let key_hex = DeviceKey::generate().unwrap().public_key_hex();
    for i in 0..300 {
        let label = "标".repeat(if i % 50 == 0 { 1_000_000 } else { 20_000 });
        let body = serde_json::json!({"code": "WRONGWRONG00", "algorithm": "ed25519",
            "public_key": key_hex, "label": label});
        *statuses
            .entry(status_of(&url, body.to_string().into_bytes()))
            .or_default() += 1;
    }
    // The budget is 10 a minute with a burst of 10: one more for every six
    // seconds the flood took (a loaded machine sends it slowly).
    let refills = (started.elapsed().as_secs() / 6 + 1) as u32;
    let refused_401 = statuses.get(&401).copied().unwrap_or(0);
    assert!(
        refused_401 <= 10 + refills,
        "enrolment attempts past the budget (10 + {refills} refilled): {statuses:?}"
    );
    assert!(
        statuses.get(&429).copied().unwrap_or(0) >= 250,
        "{statuses:?}"
    );

    // 2. Requests signed by invented devices.
    let mut limited = 0;
    for i in 0..200 {
        let k = DeviceKey::generate().unwrap();
        let dev = format!("dev-invented-{i}");
        let (status, _, _) = RawRequest::new(&url, &dev, &k, b"{}".to_vec()).send();
        if status == 429 {
            limited += 1;
        }
    }
    assert!(
        limited >= 150,
        "{limited} of 200 invented devices rate-limited"
    );
    let rows = raw_sql::query_i64(&db, "SELECT count(*) FROM refusal_counts");
    let counted = raw_sql::query_i64(
        &db,
        "SELECT coalesce(sum(count), 0)::int8 FROM refusal_counts",
    );
    assert!(rows <= 4, "{rows} refusal rows for {counted} refusals");

    // 3. Slow clients: headers never finished are cut after the timeout.
    let slow: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 512];
        // Closed by the server (0 bytes or a reset), never left hanging.
        let r = s.read(&mut buf);
        assert!(
            r.is_ok()
                || r.as_ref()
                    .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
            "{r:?}"
        );
    }

    // 4. More connections than the server takes: the excess is closed at
    //    once; when the idle ones time out, a station syncs again.
    let idle: Vec<TcpStream> = (0..16)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut extra = TcpStream::connect(srv.addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = [0u8; 64];
    assert!(
        !matches!(extra.read(&mut buf), Ok(n) if n > 0),
        "a connection past the limit is not served"
    );
    std::thread::sleep(Duration::from_millis(1200));
    drop(idle);
    let ob = MemOutbox::new("log-load");
    ob.append_case("C1", "case.registered", "registered");
    assert_eq!(
        client(&reg, &key, test_options())
            .sync_once(&ob)
            .unwrap()
            .acked_seq,
        1
    );

    let grown = rss_mb().saturating_sub(before_mb);
    println!(
        "load: 300 bad enrolments {statuses:?}, 200 invented devices ({limited} limited), {counted} refusals in {rows} rows, 10 slow clients cut, 16+1 connections, memory +{grown} MB, {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(grown < 200, "memory grew {grown} MB");
}
