//! Engine benchmark (prints figures; never asserts timings).
//!
//! `cargo bench --bench engine` — full size: 2,000 counter cases and search over
//! 1,000,000 cases, each on a plain and on an encrypted (SQLCipher) station in
//! the same run, with the ratio. Under `cargo test` (debug) it runs at smoke
//! size. Sizes: YICHUANG_BENCH_CASES, YICHUANG_BENCH_SEARCH_ROWS,
//! YICHUANG_BENCH_NOTICES. The stations live in `$TMPDIR` (tmpfs there shows
//! the CPU part alone).
//! Goals: ≤ 5 ms per case (register + decide + notice record), ≤ 50 ms per
//! search; encrypted ≤ 1.5× plain per case.

use std::time::Instant;

use yichuang_engine::at_rest::{self, ProtectWith};
use yichuang_engine::demo::{DEMO_PASSWORD, seed_synthetic, test_resident_id};
use yichuang_engine::{Clock, Engine, Role};
use yichuang_testkit::bulk::{BulkCase, Lcg, bulk_cases};

fn size(var: &str, full: u64, smoke: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { smoke } else { full })
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

const PASSPHRASE: &str = "基准测试站点口令";

#[derive(Clone, Copy, PartialEq)]
enum Db {
    Plain,
    /// Plain with the encrypted connection's page cache: the cipher's cost alone.
    PlainSameCache,
    /// SQLCipher, the key sealed by a station passphrase.
    Encrypted,
}

impl Db {
    fn label(self) -> &'static str {
        match self {
            Db::Plain => "plain",
            Db::PlainSameCache => "plain, encrypted's page cache",
            Db::Encrypted => "encrypted",
        }
    }
}

/// Opens the bench station as a shell would: by its custody (the encrypted
/// one unseals its key with the passphrase first).
fn reopen(path: &std::path::Path) -> Engine {
    Engine::open_station(path, Some(PASSPHRASE))
        .expect("open")
        .with_clock(Clock::parse("2026-11-23T09:30:00+08:00").expect("clock"))
}

fn station(dir: &std::path::Path, db: Db) -> (Engine, yichuang_engine::Clerk) {
    let path = dir.join("bench.sqlite3");
    if db == Db::Encrypted {
        drop(at_rest::protect_new(&path, ProtectWith::Passphrase(PASSPHRASE)).expect("protect"));
    }
    let mut e = reopen(&path);
    if db == Db::PlainSameCache {
        e.connection()
            .execute_batch(&format!(
                "PRAGMA cache_size = -{}",
                at_rest::ENCRYPTED_CACHE_KIB
            ))
            .expect("cache");
    }
    e.init("BENCH1", "基准测试站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    let clerk = e
        .add_clerk(Some(&admin), "2001", "张窗口", Role::Clerk, DEMO_PASSWORD)
        .expect("clerk");
    (e, clerk)
}

/// Opening a station: the plain open, and unsealing the key (argon2id) then
/// the keyed open.
fn bench_open() {
    let mut figures = Vec::new();
    for db in [Db::Plain, Db::Encrypted] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (e, _) = station(dir.path(), db);
        let path = e.path().to_owned();
        drop(e);
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            drop(reopen(&path));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        figures.push(format!(
            "{} {:.1} ms",
            db.label(),
            percentile(&mut times, 0.5)
        ));
    }
    println!(
        "open (station start-up, median of 5): {} (encrypted: argon2id unseal of the key + keyed open)",
        figures.join(", ")
    );
}

fn bench_counter(cases: u64, db: Db) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let (e, clerk) = station(dir.path(), db);
    let mut per = Vec::with_capacity(cases as usize);
    let total = Instant::now();
    for i in 0..cases {
        let t = Instant::now();
        seed_synthetic(&e, &clerk, 1, i).expect("case");
        per.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let secs = total.elapsed().as_secs_f64();
    let mean = per.iter().sum::<f64>() / per.len() as f64;
    println!(
        "counter ({}): {cases} cases (register + decide + notice record, synchronous=FULL): mean {mean:.2} ms/case, p50 {:.2} ms, p95 {:.2} ms, {:.0} cases/s (goal ≤ 5 ms)",
        db.label(),
        percentile(&mut per.clone(), 0.5),
        percentile(&mut per, 0.95),
        cases as f64 / secs
    );
    mean
}

/// Prints: the first print on a new station (fonts mapped, font files hashed
/// once and remembered), the first print of a fresh engine on that station
/// (as a new process: fonts mapped, hashes from the station's cache), then
/// warm prints.
fn bench_notices(n: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (e, clerk) = station(dir.path(), Db::Plain);
    let ready = |e: &Engine, i: u64| {
        let mut m = std::collections::BTreeMap::new();
        m.insert("M1".to_owned(), yichuang_engine::MaterialStatus::Received);
        let c = e
            .register_case(
                &clerk,
                &yichuang_engine::NewCase::simple(
                    "RS-SY-001",
                    yichuang_engine::ApplicantInput::Person {
                        name: yichuang_engine::demo::test_person_name(i),
                        id_type: yichuang_engine::PersonIdType::ResidentId,
                        id_no: test_resident_id(i),
                        phone: String::new(),
                    },
                    m,
                ),
            )
            .expect("case");
        e.accept(&clerk, &c.case_no).expect("accept");
        c.case_no
    };
    let print = |e: &Engine, case_no: &str| {
        let t = Instant::now();
        let (_, pdf) = e
            .print_notice(
                &clerk,
                case_no,
                yichuang_engine::NoticeKind::AcceptanceNotice,
            )
            .expect("print");
        (t.elapsed().as_secs_f64() * 1e3, pdf.len())
    };
    let c = ready(&e, 1_000_000);
    let (first_ever, _) = print(&e, &c);
    let fresh = reopen(&dir.path().join("bench.sqlite3"));
    let c = ready(&fresh, 1_000_001);
    let (cold, _) = print(&fresh, &c);
    drop(fresh);
    let mut per = Vec::new();
    let mut bytes = 0usize;
    for i in 0..n {
        let c = ready(&e, i);
        let (ms, b) = print(&e, &c);
        per.push(ms);
        bytes = b;
    }
    let mean = per.iter().sum::<f64>() / per.len() as f64;
    println!(
        "notices: first print on a new station (fonts mapped, font files hashed once) {first_ever:.1} ms; first print of a fresh engine (hashes from the station's cache) {cold:.1} ms"
    );
    println!(
        "notices: {n} one-page 受理通知书 printed warm (render + record, one transaction): mean {mean:.2} ms, p95 {:.2} ms, {bytes} bytes each (goal ≤ 15 ms, ≤ 150 KB; cold ≤ warm + 50 ms)",
        percentile(&mut per, 0.95)
    );
}

/// Mean milliseconds per search, by case number, ID number, name fragment.
fn bench_search(rows: u64, db: Db) -> [f64; 3] {
    let dir = tempfile::tempdir().expect("tempdir");
    let (e, clerk) = station(dir.path(), db);
    let t = Instant::now();
    let names = bulk_cases(&e, rows, false);
    let mut rng = Lcg(11);
    println!(
        "search ({}): fixture of {rows} cases built in {:.1} s",
        db.label(),
        t.elapsed().as_secs_f64()
    );
    // Searched from a fresh connection (an empty page cache), as after a start-up.
    let path = e.path().to_owned();
    drop(e);
    let e = reopen(&path);
    let queries = 200.min(rows as usize);
    let mut means = [0.0; 3];
    for (label, pick) in [("case_no", 0usize), ("ID number", 1), ("name fragment", 2)] {
        let mut times = Vec::new();
        let mut hits = 0;
        for q in 0..queries {
            let BulkCase {
                case_no,
                id_no,
                name,
            } = &names[(rng.next() % names.len() as u64) as usize];
            let query = match pick {
                0 => case_no.clone(),
                1 => id_no.clone(),
                _ => {
                    // A two-character fragment (or the whole name when shorter).
                    let chars: Vec<char> = name.chars().collect();
                    let start = if chars.len() > 2 {
                        q % (chars.len() - 1)
                    } else {
                        0
                    };
                    chars[start..(start + 2).min(chars.len())].iter().collect()
                }
            };
            let t = Instant::now();
            let r = e.search_cases(&clerk, &query, 50).expect("search");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            hits += usize::from(!r.is_empty());
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "search ({}) by {label} over {rows} cases: mean {mean:.3} ms, p95 {:.3} ms, max {:.3} ms, {hits}/{queries} found (goal ≤ 50 ms)",
            db.label(),
            percentile(&mut times.clone(), 0.95),
            times.iter().cloned().fold(0.0, f64::max)
        );
        means[pick] = mean;
    }
    means
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let cases = size("YICHUANG_BENCH_CASES", 2_000, 30);
    let rows = size("YICHUANG_BENCH_SEARCH_ROWS", 1_000_000, 3_000);
    println!(
        "yichuang engine bench ({} build)",
        if cfg!(debug_assertions) {
            "debug smoke"
        } else {
            "release"
        }
    );
    bench_open();
    let plain = bench_counter(cases, Db::Plain);
    let encrypted = bench_counter(cases, Db::Encrypted);
    let same_cache = bench_counter(cases, Db::PlainSameCache);
    println!(
        "counter: encrypted / plain = {:.2} ({encrypted:.2} / {plain:.2} ms per case; goal ≤ 1.5); encrypted / plain with the same page cache = {:.2} ({same_cache:.2} ms)",
        encrypted / plain,
        encrypted / same_cache
    );
    bench_notices(size("YICHUANG_BENCH_NOTICES", 200, 5));
    let plain = bench_search(rows, Db::Plain);
    let encrypted = bench_search(rows, Db::Encrypted);
    for (i, label) in ["case_no", "ID number", "name fragment"].iter().enumerate() {
        println!(
            "search by {label}: encrypted / plain = {:.2} ({:.3} / {:.3} ms)",
            encrypted[i] / plain[i],
            encrypted[i],
            plain[i]
        );
    }
}
