//! Backup benchmark (prints figures; never asserts timings).
//!
//! `cargo bench -p yichuang-engine --bench backup` — a station of 1,000,000
//! cases with one chained event each, plain and encrypted (SQLCipher) in the
//! same run: a verified backup (online copy, integrity check, SQLCipher page
//! check, whole-chain verification, SHA-256 of the file) and a verified
//! restore of it. Under `cargo test` (debug) it runs at smoke size. Size:
//! YICHUANG_BENCH_BACKUP_CASES. Goal: a verified backup of a
//! 1,000,000-case station ≤ 60 s.

use std::time::Instant;

use yichuang_engine::at_rest::{self, ProtectWith};
use yichuang_engine::backup::{Progress, Trigger};
use yichuang_engine::demo::DEMO_PASSWORD;
use yichuang_engine::{Clock, Engine, Role};
use yichuang_testkit::bulk::bulk_cases;

const PASSPHRASE: &str = "基准测试站点口令";

fn size(var: &str, full: u64, smoke: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { smoke } else { full })
}

fn bench(cases: u64, encrypted: bool) -> f64 {
    let label = if encrypted { "encrypted" } else { "plain" };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.sqlite3");
    if encrypted {
        drop(at_rest::protect_new(&path, ProtectWith::Passphrase(PASSPHRASE)).expect("protect"));
    }
    let clock = Clock::parse("2026-11-23T09:30:00+08:00").expect("clock");
    let mut e = Engine::open_station(&path, Some(PASSPHRASE))
        .expect("open")
        .with_clock(clock);
    e.init("BENCH1", "基准测试站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    let t = Instant::now();
    bulk_cases(&e, cases, true);
    println!(
        "backup ({label}): fixture of {cases} cases and events built in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // From a fresh connection, as the window's 立即备份 does.
    drop(e);
    let e = Engine::open_station(&path, Some(PASSPHRASE))
        .expect("reopen")
        .with_clock(clock);
    let folder = tempfile::tempdir().expect("folder");
    let t = Instant::now();
    let mut copied_at = None;
    let r = e
        .back_up(
            Some(&admin),
            folder.path(),
            Trigger::Manual,
            &mut |p: Progress| {
                if p.stage == "verify" && copied_at.is_none() {
                    copied_at = Some(t.elapsed().as_secs_f64());
                }
            },
        )
        .expect("backup");
    let total = t.elapsed().as_secs_f64();
    let copy = copied_at.unwrap_or(total);
    println!(
        "backup ({label}) of {cases} cases, {} events, {:.0} MB: verified in {total:.1} s \
         (online copy {copy:.1} s, integrity + chain + SHA-256 {:.1} s; goal ≤ 60 s)",
        r.manifest.events,
        r.manifest.size_bytes as f64 / 1_048_576.0,
        total - copy
    );
    drop(e);
    let target = tempfile::tempdir().expect("target");
    let t = Instant::now();
    let with = encrypted.then_some(ProtectWith::Passphrase(PASSPHRASE));
    let (restored, report) = Engine::restore_backup(
        &r.file,
        encrypted.then_some(PASSPHRASE),
        &target.path().join("station.sqlite3"),
        with,
        &mut |_| {},
    )
    .expect("restore");
    println!(
        "restore ({label}) of that backup, verified first: {:.1} s ({} cases)",
        t.elapsed().as_secs_f64(),
        report.cases
    );
    drop(restored);
    total
}

fn main() {
    let cases = size("YICHUANG_BENCH_BACKUP_CASES", 1_000_000, 2_000);
    println!(
        "yichuang backup bench ({} build)",
        if cfg!(debug_assertions) {
            "debug smoke"
        } else {
            "release"
        }
    );
    let plain = bench(cases, false);
    let encrypted = bench(cases, true);
    println!(
        "backup: encrypted / plain = {:.2} ({encrypted:.1} / {plain:.1} s)",
        encrypted / plain
    );
}
