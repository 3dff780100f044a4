//! Fault campaign: several simulated stations write and sync through the
//! fault-injecting proxy while the county is killed and restarted. Asserts
//! 0 lost, 0 duplicated, every chain verified, projections exact. Run once
//! against one server, and once against two server processes on one
//! PostgreSQL behind a round-robin proxy (the county's state lives in
//! PostgreSQL alone, so a province adds servers, not a new design).
//!
//! Size: YICHUANG_CAMPAIGN_EVENTS (default 20000, over 5 devices; half of it
//! for the two-server run), YICHUANG_CAMPAIGN_FAULTS (default 200),
//! YICHUANG_CAMPAIGN_SEED.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::proxy::Proxy;
use common::{MemOutbox, client, enrol, raw_sql};
use yichuang_county::RunningServer;
use yichuang_county::storage::{EventLog, Releases};
use yichuang_sync::{BackoffPolicy, ClientOptions, Scheduler};
use yichuang_wire::{ALG_ED25519, ALG_SM2};

const DEVICES: u64 = 5;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const STATES: [(&str, &str); 5] = [
    ("case.registered", "registered"),
    ("case.accepted", "accepted"),
    ("case.supplement_requested", "awaiting_supplement"),
    ("case.approved", "approved"),
    ("case.rejection_approved", "rejected"),
];

#[test]
fn fault_campaign_loses_and_duplicates_nothing() {
    campaign(1, env_u64("YICHUANG_CAMPAIGN_EVENTS", 20_000), ALG_ED25519);
}

#[test]
fn fault_campaign_through_two_servers_on_one_database() {
    campaign(
        2,
        env_u64("YICHUANG_CAMPAIGN_EVENTS", 20_000) / 2,
        ALG_ED25519,
    );
}

/// The 国密 suite (SM2 keys, SM3 digests) through the same faults.
#[test]
fn fault_campaign_with_the_sm2_suite() {
    campaign(1, env_u64("YICHUANG_CAMPAIGN_EVENTS", 20_000) / 4, ALG_SM2);
}

fn campaign(servers: usize, total: u64, suite: &str) {
    let faults = env_u64("YICHUANG_CAMPAIGN_FAULTS", 200);
    let seed = env_u64("YICHUANG_CAMPAIGN_SEED", 20_261_123);
    let per_device = total / DEVICES;
    let started = Instant::now();

    let (first, db) = common::server_of(&format!("yc_campaign{servers}_{suite}"), suite);
    let start = |db: &str| {
        RunningServer::start(
            common::config_for(db, suite),
            "127.0.0.1:0".parse().unwrap(),
        )
        .expect("county server restarts")
    };
    let proxy = Proxy::start(first.addr, seed);
    let devices: Vec<_> = (0..DEVICES)
        .map(|i| {
            let (mut reg, key) = enrol(&first, &first.url(), &format!("S{i:03}"));
            reg.server_url = proxy.url();
            (reg, key)
        })
        .collect();
    first
        .block_on(first.state.storage.publish(
            &common::release_key_of(suite),
            "catalog",
            b"catalog for the campaign",
        ))
        .unwrap();
    let mut running = vec![Some(first)];
    for _ in 1..servers {
        running.push(Some(start(&db)));
    }
    let addrs = |r: &[Option<RunningServer>]| -> Vec<std::net::SocketAddr> {
        r.iter().flatten().map(|s| s.addr).collect()
    };
    proxy.set_targets(addrs(&running));
    let current = Mutex::new(running);
    proxy.set_random(350, faults);

    let appended = AtomicU64::new(0);
    let restarts = AtomicU64::new(0);
    let outboxes: Vec<Arc<MemOutbox>> = (0..DEVICES)
        .map(|i| Arc::new(MemOutbox::new(&format!("log-campaign-{i}"))))
        .collect();
    let poison = AtomicU64::new(0);
    let sync_errors = AtomicU64::new(0);

    std::thread::scope(|s| {
        // A county server crashes (all tasks dropped, open transactions
        // rolled back) at 35% and 70% of the writes and comes back on a new
        // port; with two servers, each in turn while the other serves.
        s.spawn(|| {
            for (n, mark) in [35, 70].into_iter().enumerate() {
                while appended.load(Ordering::Relaxed) * 100 < total * mark {
                    if started.elapsed() > Duration::from_secs(600) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let victim = n % servers;
                let old = current.lock().unwrap()[victim].take().unwrap();
                let addr = old.addr;
                if servers > 1 {
                    proxy.set_targets(addrs(&current.lock().unwrap()));
                }
                old.kill();
                std::thread::sleep(Duration::from_millis(300));
                let new = start(&db);
                assert_ne!(new.addr, addr);
                let mut cur = current.lock().unwrap();
                cur[victim] = Some(new);
                proxy.set_targets(addrs(&cur));
                restarts.fetch_add(1, Ordering::Relaxed);
            }
        });
        for (i, (reg, key)) in devices.iter().enumerate() {
            let ob = outboxes[i].clone();
            let (appended, poison, sync_errors, proxy) = (&appended, &poison, &sync_errors, &proxy);
            let sink = common::MemSink::default();
            s.spawn(move || {
                let mut rng = Rng(seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
                let c = client(
                    reg,
                    key,
                    ClientOptions {
                        timeout: Duration::from_secs(3),
                        connect_timeout: Duration::from_secs(1),
                        reuse_connections: false,
                        max_batch_events: 50 + 100 * i,
                        ..ClientOptions::default()
                    },
                );
                let mut sched = Scheduler::new(
                    BackoffPolicy {
                        initial: Duration::from_millis(20),
                        max: Duration::from_millis(500),
                        periodic: Duration::from_millis(10),
                        after_write: Duration::from_millis(1),
                        seed: seed + i as u64,
                    },
                    Instant::now(),
                );
                loop {
                    let written = ob.len();
                    if written < per_device {
                        let burst = (1 + rng.below(40)).min(per_device - written);
                        for _ in 0..burst {
                            let case = format!("{i}-{:04}", rng.below(300));
                            match rng.below(200) {
                                0 => {
                                    ob.append("case.accepted", "{broken json");
                                    poison.fetch_add(1, Ordering::Relaxed);
                                }
                                1 => {
                                    ob.append(
                                        "case.accepted",
                                        &format!(r#"{{"case_no":"{case}"}}"#),
                                    );
                                    poison.fetch_add(1, Ordering::Relaxed);
                                }
                                2..=9 => {
                                    ob.append("clerk.login", r#"{"user":"clerk-1"}"#);
                                }
                                _ => {
                                    let (kind, state) = STATES[rng.below(5) as usize];
                                    ob.append_case(&case, kind, state);
                                }
                            }
                        }
                        appended.fetch_add(burst, Ordering::Relaxed);
                        sched.notify_write(Instant::now());
                    } else if ob.acked_seq() == per_device {
                        // Keep some traffic going until every planned fault was
                        // injected: release fetches through the same proxy.
                        if proxy.remaining_budget() == 0 {
                            return;
                        }
                        match c.fetch_releases(&sink) {
                            Ok(_) => sched.on_success(Instant::now(), false),
                            Err(e) if e.is_retryable() => {
                                sync_errors.fetch_add(1, Ordering::Relaxed);
                                sched.on_failure(Instant::now());
                            }
                            Err(e) => panic!("device {i}: release fetch: {e}"),
                        }
                        std::thread::sleep(sched.time_until_due(Instant::now()));
                        continue;
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(900),
                        "device {i} stuck at ack {} of {}",
                        ob.acked_seq(),
                        ob.len()
                    );
                    std::thread::sleep(sched.time_until_due(Instant::now()));
                    match c.sync_once(&*ob) {
                        Ok(_) => sched.on_success(Instant::now(), false),
                        Err(e) if e.is_retryable() => {
                            sync_errors.fetch_add(1, Ordering::Relaxed);
                            sched.on_failure(Instant::now());
                        }
                        Err(e) => panic!("device {i}: non-retryable sync error: {e}"),
                    }
                }
            });
        }
    });

    let srv = current.lock().unwrap()[0].take().unwrap();
    let mut lost = 0i64;
    let mut duplicated = 0i64;
    let mut altered = 0i64;
    let mut stored_total = 0i64;
    let mut projection_mismatches = 0;
    for ob in &outboxes {
        let log = &ob.log_id;
        let evs = ob.events.lock().unwrap().clone();
        let rows = raw_sql::query_i64(
            &db,
            &format!("SELECT count(*) FROM events WHERE log_id = '{log}'"),
        );
        let distinct = raw_sql::query_i64(
            &db,
            &format!("SELECT count(DISTINCT event_id) FROM events WHERE log_id = '{log}'"),
        );
        let hashes = raw_sql::query_strings(
            &db,
            &format!("SELECT hash FROM events WHERE log_id = '{log}' ORDER BY seq"),
        );
        stored_total += rows;
        duplicated += rows - distinct;
        lost += evs.len() as i64 - distinct;
        altered += evs
            .iter()
            .zip(hashes.iter())
            .filter(|(e, h)| h[0].as_deref() != Some(e.hash.as_str()))
            .count() as i64;
        // Expected projection: the last valid case event per case.
        let mut expect = BTreeMap::new();
        for e in &evs {
            if !e.kind.starts_with("case.") {
                continue;
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&e.payload) else {
                continue;
            };
            if let (Some(no), Some(st)) = (v["case_no"].as_str(), v["state"].as_str()) {
                expect.insert(no.to_owned(), st.to_owned());
            }
        }
        let got: BTreeMap<String, String> = raw_sql::query_strings(
            &db,
            &format!("SELECT case_no, state FROM cases WHERE log_id = '{log}'"),
        )
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect();
        if got != expect {
            projection_mismatches += 1;
        }
    }
    let reports = srv.block_on(srv.state.storage.verify_chains()).unwrap();
    let chains_ok = reports.iter().filter(|r| r.first_bad.is_none()).count();
    let quarantined = raw_sql::query_i64(&db, "SELECT count(*) FROM quarantine");
    let poison = poison.load(Ordering::Relaxed) as i64;
    println!(
        "campaign: suite={suite} servers={servers} seed={seed} devices={DEVICES} events={} stored={stored_total} lost={lost} duplicated={duplicated} altered={altered} \
         chains_verified={chains_ok}/{} quarantined={quarantined} (poison written {poison}) projection_mismatches={projection_mismatches} \
         restarts={} retryable_sync_errors={} proxy: {} elapsed={:.1}s",
        per_device * DEVICES,
        reports.len(),
        restarts.load(Ordering::Relaxed),
        sync_errors.load(Ordering::Relaxed),
        proxy.stats.summary(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!((lost, duplicated, altered), (0, 0, 0));
    assert_eq!(stored_total as u64, per_device * DEVICES);
    assert_eq!(
        (chains_ok, reports.len()),
        (DEVICES as usize, DEVICES as usize)
    );
    assert_eq!(quarantined, poison);
    assert_eq!(projection_mismatches, 0);
    assert_eq!(restarts.load(Ordering::Relaxed), 2);
    assert_eq!(
        proxy.remaining_budget(),
        0,
        "not all {faults} faults were injected"
    );
    assert!(proxy.stats.faults() >= faults);
}
