use std::path::Path;

fn main() {
    // generate_context! embeds ../ui/dist and fails when it is missing, which
    // would break `cargo build --workspace` on a fresh clone before the UI is
    // built (npm). Put a page there that says what to do instead.
    let dist = Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        println!(
            "cargo:warning=ui/dist is missing: run `npm ci && npm run build` in ui/ (placeholder page embedded)"
        );
        let page = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>一窗</title>\
                    <body style=\"font-family:sans-serif;padding:2em\"><h2>界面尚未构建</h2>\
                    <p>请在 ui/ 目录运行 <code>npm ci &amp;&amp; npm run build</code>，再重新编译 yichuang-desktop\
                    （或直接运行 scripts/run-demo.sh）。</p></body></html>";
        if let Err(e) = std::fs::create_dir_all(dist)
            .and_then(|_| std::fs::write(dist.join("index.html"), page))
        {
            println!("cargo:warning=cannot write the placeholder page: {e}");
        }
    }
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build()
}
