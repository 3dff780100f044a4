//! Renders the one-page sample notice N times and prints the figures.
//! `cargo bench -p yichuang-pdf --bench render -- 200` (or YC_PDF_BENCH_N=200).
//! Goal (`docs/design/notice-formats.md`): ≤ 15 ms per notice, ≤ 150 KB.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

fn main() {
    // cargo passes "--bench"; take the first numeric argument as N.
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .or_else(|| std::env::var("YC_PDF_BENCH_N").ok()?.parse().ok())
        .unwrap_or(100)
        .max(1);

    let t = Instant::now();
    let fonts = common::fonts();
    println!(
        "font load: {:.0} ms (once per process)",
        t.elapsed().as_secs_f64() * 1e3
    );
    if let Some(rss) = rss_mb() {
        println!("resident memory after font load: {rss} MB");
    }

    let doc = common::sample_document();
    let first = yichuang_pdf::render(&doc, fonts).expect("render");
    let t = Instant::now();
    let cpu0 = thread_cpu_ns();
    for _ in 0..n {
        let bytes = yichuang_pdf::render(&doc, fonts).expect("render");
        assert_eq!(bytes.len(), first.len());
    }
    let per = t.elapsed().as_secs_f64() * 1e3 / f64::from(n);
    println!("renders: {n}");
    println!("ms per notice: {per:.2}");
    // CPU time is the fairer figure on a shared, loaded machine.
    if let (Some(a), Some(b)) = (cpu0, thread_cpu_ns()) {
        println!(
            "ms per notice (CPU time): {:.2}",
            (b - a) as f64 / 1e6 / f64::from(n)
        );
    }
    println!("PDF bytes: {}", first.len());
}

/// This thread's time on CPU, in ns (Linux /proc; None elsewhere).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Resident set size in MB (Linux /proc; None elsewhere).
fn rss_mb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = s
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb / 1024)
}
