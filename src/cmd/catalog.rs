//! `catalog`: import, list and show the service items.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::{Engine, Error, Result};

use super::{actor, print, read};

#[derive(Subcommand)]
pub enum CatalogCmd {
    Import {
        file: PathBuf,
    },
    List {
        #[arg(long, default_value = "")]
        query: String,
    },
    Show {
        code: String,
    },
    Versions,
}

pub fn catalog_cmd(e: &Engine, cmd: CatalogCmd, json: bool) -> Result<()> {
    match cmd {
        CatalogCmd::Import { file } => {
            let text = read(&file)?;
            let v = e.import_catalog(&actor(e)?, &text, &file.display().to_string())?;
            print(json, &json!({"active_version": v}), || {
                format!("事项清单 {v} 已启用")
            })
        }
        CatalogCmd::List { query } => {
            let cat = e.catalog()?;
            let items: Vec<_> = cat
                .search(&query)
                .into_iter()
                .map(|i| {
                    json!({"code": i.code, "name": i.name,
                "promised_days": i.promised_days, "promised_unit": i.promised_unit.label_zh(),
                "statutory_days": i.statutory_days, "statutory_unit": i.statutory_unit.label_zh()})
                })
                .collect();
            print(json, &items, || {
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "{}\t{}\t承诺{}{}\t法定{}{}",
                            i["code"].as_str().unwrap_or(""),
                            i["name"].as_str().unwrap_or(""),
                            i["promised_days"],
                            i["promised_unit"].as_str().unwrap_or(""),
                            i["statutory_days"],
                            i["statutory_unit"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        CatalogCmd::Show { code } => {
            let cat = e.catalog()?;
            let item = cat.item(&code).ok_or(Error::NotFound {
                what: "item",
                key: code.clone(),
            })?;
            print(json, item, || {
                serde_json::to_string_pretty(item).unwrap_or_default()
            })
        }
        CatalogCmd::Versions => {
            let v = e.catalog_versions()?;
            print(json, &v, || {
                v.iter()
                    .map(|(ver, at, active)| {
                        format!("{ver}\t{at}{}", if *active { "\t（当前）" } else { "" })
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}
