//! The same notice typeset by this crate and printed by headless Chromium
//! (`page.pdf()` through playwright-core), in one run: times, sizes, ratio.
//! `scripts/bench-side-by-side.sh [N]` installs Chromium and playwright-core
//! and runs `cargo bench -p yichuang-pdf --bench side_by_side -- N`.
//! Without Chromium (or playwright-core under `benches/chromium`) the
//! Chromium half is skipped with a message. Under `cargo test` (debug) it
//! runs at smoke size: 2 renders, 1 Chromium print.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use yichuang_pdf::{Block, Document};

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .or_else(|| std::env::var("YC_PDF_BENCH_N").ok()?.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 2 } else { 50 })
        .max(1);
    let doc = common::sample_document();
    let fonts = common::fonts();

    let ours = yichuang_pdf::render(&doc, fonts).expect("render");
    let t = Instant::now();
    for _ in 0..n {
        let bytes = yichuang_pdf::render(&doc, fonts).expect("render");
        assert_eq!(bytes.len(), ours.len());
    }
    let ours_ms = t.elapsed().as_secs_f64() * 1e3 / f64::from(n);
    println!(
        "typesetter: {ours_ms:.2} ms per notice (warm, mean of {n}), {} bytes",
        ours.len()
    );

    let Some(chromium) = find_chromium() else {
        println!(
            "chromium: skipped (no `chromium` on PATH; scripts/bench-side-by-side.sh installs it)"
        );
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/chromium");
    if !dir.join("node_modules/playwright-core").is_dir() {
        println!(
            "chromium: skipped (playwright-core not installed: npm ci in crates/pdf/benches/chromium, or scripts/bench-side-by-side.sh)"
        );
        return;
    }
    let work = std::env::temp_dir().join(format!("yichuang-side-by-side-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp dir");
    let html = work.join("notice.html");
    std::fs::write(&html, to_html(&doc)).expect("write html");
    let out_pdf = work.join("chromium.pdf");
    let chromium_n = if cfg!(debug_assertions) { 1 } else { n };
    let run = Command::new("node")
        .arg(dir.join("print.mjs"))
        .arg(&chromium)
        .arg(&html)
        .arg(&out_pdf)
        .arg(chromium_n.to_string())
        .output();
    let _ = std::fs::write(work.join("ours.pdf"), &ours);
    match run {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let field = |k: &str| -> Option<f64> {
                text.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .and_then(|v| v.trim().parse().ok())
            };
            let (Some(launch), Some(ms), Some(bytes)) =
                (field("launch_ms:"), field("ms_per_pdf:"), field("bytes:"))
            else {
                println!("chromium: unexpected output:\n{text}");
                return;
            };
            println!(
                "chromium: {ms:.2} ms per notice (warm page.pdf(), mean of {chromium_n}; launch {launch:.0} ms), {bytes:.0} bytes"
            );
            println!(
                "ratio chromium / typesetter: {:.1}× time, {:.1}× size",
                ms / ours_ms,
                bytes / ours.len() as f64
            );
            println!("both PDFs: {}", work.display());
        }
        Ok(o) => println!(
            "chromium: failed, skipped: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => println!("chromium: node not runnable ({e}), skipped"),
    }
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', "<br>")
}

/// The notice as a web page with the same geometry (A4, GB/T 9704 margins,
/// 22 lines of 28 16 pt characters) and the same fonts, as a web-based
/// counter system would print it.
fn to_html(doc: &Document) -> String {
    let mut b = String::new();
    b.push_str(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
body { margin: 0; font: 16pt/10.227mm "Noto Serif CJK SC", serif; text-align: justify; }
h1 { font: bold 22pt/1.4 "Noto Serif CJK SC", serif; text-align: center; margin: 0 0 10.227mm; }
.no { text-align: center; margin-top: -10.227mm; margin-bottom: 10.227mm; }
p { margin: 0; } p.i { text-indent: 2em; }
h2 { font: bold 16pt/10.227mm "Noto Sans CJK SC", sans-serif; margin: 0; text-indent: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 14pt; line-height: 1.4; margin: 4pt 0; }
td, th { border: 0.5pt solid #000; padding: 3pt 4pt; } th { font-family: "Noto Sans CJK SC", sans-serif; }
.sig { text-align: right; margin-top: 10.227mm; padding-right: 4em; }
.stub { border-top: 1pt dashed #000; margin-top: 6mm; padding-top: 3mm; }
.qr { position: absolute; top: -30mm; right: 0; width: 20mm; height: 20mm; border: 1pt solid #000; }
</style></head><body><div style="position:relative">"#,
    );
    if doc.qr_payload.is_some() {
        b.push_str(r#"<div class="qr"></div>"#);
    }
    b.push_str(&format!("<h1>{}</h1>", esc(&doc.title)));
    if let Some(no) = &doc.doc_no {
        b.push_str(&format!(r#"<p class="no">{}</p>"#, esc(no)));
    }
    for block in &doc.blocks {
        match block {
            Block::Paragraph {
                text, indent_first, ..
            } => {
                for p in text.split('\n') {
                    let class = if *indent_first { " class=\"i\"" } else { "" };
                    b.push_str(&format!("<p{class}>{}</p>", esc(p)));
                }
            }
            Block::Addressee(t) => b.push_str(&format!("<p>{}</p>", esc(t))),
            Block::Heading(t) => b.push_str(&format!("<h2>{}</h2>", esc(t))),
            Block::Title(t) => b.push_str(&format!("<h1>{}</h1>", esc(t))),
            Block::Table {
                headers,
                rows,
                col_widths_chars,
                ..
            } => {
                b.push_str("<table><colgroup>");
                let total: u32 = col_widths_chars.iter().sum::<u32>().max(1);
                for w in col_widths_chars {
                    b.push_str(&format!(r#"<col style="width:{}%">"#, w * 100 / total));
                }
                b.push_str("</colgroup>");
                if !headers.is_empty() {
                    b.push_str("<tr>");
                    for h in headers {
                        b.push_str(&format!("<th>{}</th>", esc(h)));
                    }
                    b.push_str("</tr>");
                }
                for r in rows {
                    b.push_str("<tr>");
                    for c in r {
                        b.push_str(&format!("<td>{}</td>", esc(c)));
                    }
                    b.push_str("</tr>");
                }
                b.push_str("</table>");
            }
            Block::Signature { office, date_text } => b.push_str(&format!(
                r#"<div class="sig">{}<br>{}</div>"#,
                esc(office),
                esc(date_text)
            )),
            Block::Stub { lines } => {
                b.push_str(r#"<div class="stub">"#);
                for l in lines {
                    b.push_str(&format!("<p>{}</p>", esc(l)));
                }
                b.push_str("</div>");
            }
            Block::Spacer { lines } => b.push_str(&format!(
                r#"<div style="height:{:.3}mm"></div>"#,
                10.227 * *lines as f32
            )),
            Block::PageBreak => b.push_str(r#"<div style="break-after:page"></div>"#),
            Block::Marker(t) => b.push_str(&format!(
                r#"<div style="position:absolute;top:-12mm;right:24mm;border:1pt solid #000">{}</div>"#,
                esc(t)
            )),
        }
    }
    if let Some(note) = &doc.footer_note {
        b.push_str(&format!("<p>{}</p>", esc(note)));
    }
    b.push_str("</div></body></html>");
    b
}
