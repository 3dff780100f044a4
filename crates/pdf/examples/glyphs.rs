//! Renders glyphs whose SC and JP forms differ (直 骨 角 过 画 Ext-B 𠀁), to check
//! by eye that the SC face of the Noto collection is the one embedded:
//! `cargo run -p yichuang-pdf --example glyphs -- out.pdf`.

#[path = "../tests/common/mod.rs"]
mod common;

use yichuang_pdf::Block;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "glyphs.pdf".into());
    let d = common::doc(
        "直骨角过画",
        vec![
            Block::Heading("直骨角过画".into()),
            common::para("直骨角过画令说 王\u{20001}明", "正文"),
        ],
    );
    let bytes = yichuang_pdf::render(&d, common::fonts()).expect("render");
    std::fs::write(&out, &bytes).expect("write");
    println!("{} bytes -> {out}", bytes.len());
}
