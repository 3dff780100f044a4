//! The CLI's commands, one module per domain. Each translates arguments into
//! one engine call and its answer into text or JSON; none holds a rule.

pub mod backup;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod clerk;
pub mod eval;
pub mod ledger;
pub mod log;
pub mod notice;
pub mod settings;
pub mod station;
pub mod sync;

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;
use yichuang_engine::{Clerk, Engine, Error, Result};

pub fn date(s: &str, field: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            field,
            format!("bad date {s}"),
            format!("日期“{s}”格式不正确，应为 YYYY-MM-DD"),
        )
    })
}

/// A password from the flag/env, else one line of standard input.
pub fn password(given: Option<String>, prompt: &str) -> Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}：");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|source| Error::Io {
            path: "stdin".into(),
            source,
        })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

pub fn actor(e: &Engine) -> Result<Clerk> {
    e.current_clerk()
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}
