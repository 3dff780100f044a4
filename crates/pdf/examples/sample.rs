//! Renders the sample notice used by the tests:
//! `cargo run -p yichuang-pdf --example sample -- out.pdf`.

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample.pdf".into());
    let bytes = yichuang_pdf::render(&common::sample_document(), common::fonts()).expect("render");
    std::fs::write(&out, &bytes).expect("write");
    println!("{} bytes -> {out}", bytes.len());
}
