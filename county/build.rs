//! The console UI is embedded from `console/dist` (built by
//! `scripts/build-console.sh`). The folder is made empty when missing, so a
//! fresh clone builds (the console then says it was built without its UI)
//! and Cargo notices when the UI is built later.

fn main() {
    let dist = std::path::Path::new("console/dist");
    if !dist.exists() {
        let _ = std::fs::create_dir_all(dist);
    }
    println!("cargo:rerun-if-changed=console/dist");
}
