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
        // Smoke size under `cargo test` (a debug build).
        .unwrap_or(if cfg!(debug_assertions) { 2 } else { 100 })
        .max(1);

    // Cold: nothing of the fonts read yet in this process.
    if let Some(rss) = rss_mb() {
        println!("resident memory before fonts: {rss} MB");
    }
    let t = Instant::now();
    let cfg = yichuang_pdf::FontConfig::discover(&yichuang_pdf::FontOverrides::default())
        .expect("discover fonts");
    let discover = t.elapsed();
    let t = Instant::now();
    let fonts = yichuang_pdf::FontSet::load(&cfg).expect("load fonts");
    let load = t.elapsed();
    println!(
        "font load: {:.1} ms (discovery with fc-list {:.1} ms + mapping {:.2} ms; once per process)",
        (discover + load).as_secs_f64() * 1e3,
        discover.as_secs_f64() * 1e3,
        load.as_secs_f64() * 1e3
    );
    if let Some(rss) = rss_mb() {
        println!("resident memory after font load: {rss} MB");
    }
    // What the engine does once per station and font file (then its cache
    // gives the hashes to every new process without reading the files).
    let t = Instant::now();
    let hashes = fonts.font_hashes().expect("hash fonts");
    println!(
        "hashing the {} font files once (cached by the engine): {:.0} ms",
        hashes.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    let doc = common::sample_document();
    let t = Instant::now();
    let first = yichuang_pdf::render(&doc, &fonts).expect("render");
    println!(
        "first render (cold: no glyph read yet): {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    if let Some(rss) = rss_mb() {
        println!("resident memory after the first render: {rss} MB");
    }
    let fonts = &fonts;
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
    if let Some(rss) = rss_mb() {
        println!("resident memory after {n} renders: {rss} MB");
    }
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
