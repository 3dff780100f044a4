//! The `yichuang` binary as these tests run it: on a given database, the
//! clock pinned, no password or passphrase from the caller's environment,
//! nothing on standard input.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

pub fn run(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("YICHUANG_NOW", "2026-11-23T09:30:00+08:00")
        .env_remove("YICHUANG_PASSWORD")
        .env_remove("YICHUANG_STATION_PASSPHRASE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run yichuang")
}

/// A successful `--json` answer.
pub fn ok(o: Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("json")
}
