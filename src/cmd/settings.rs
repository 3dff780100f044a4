//! `settings`: read and change station settings.

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::{Engine, Result};

use super::{actor, print};

#[derive(Subcommand)]
pub enum SettingsCmd {
    Get { key: String },
    Set { key: String, value: String },
}

pub fn run(e: &Engine, cmd: SettingsCmd, json: bool) -> Result<()> {
    match cmd {
        SettingsCmd::Get { key } => {
            let v = e.setting_or_default(&key)?;
            print(json, &json!({"key": key, "value": v}), || v.clone())
        }
        SettingsCmd::Set { key, value } => {
            e.set_setting(&actor(e)?, &key, &value)?;
            print(json, &json!({"key": key, "value": value}), || {
                format!("已设置 {key}")
            })
        }
    }
}
