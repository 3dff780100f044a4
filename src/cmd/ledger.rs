//! `ledger`: the 台账 of a period exported to an .xlsx workbook.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Subcommand;
use yichuang_engine::{Engine, Result};

use super::{actor, print};

#[derive(Subcommand)]
pub enum LedgerCmd {
    /// 导出台账（受理台账、否定备案登记、通知书、好差评）为 Excel 文件
    Export {
        /// 起始日期 YYYY-MM-DD
        #[arg(long)]
        from: String,
        /// 截止日期 YYYY-MM-DD（含当日）
        #[arg(long)]
        to: String,
        /// 保存的 .xlsx 文件（已有同名文件将被替换）
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(e: &Engine, cmd: LedgerCmd, json: bool) -> Result<()> {
    match cmd {
        LedgerCmd::Export { from, to, out } => {
            // Progress for a person at a terminal only; scripts read the answer.
            let show = std::io::stderr().is_terminal() && !json;
            let done = e.export_ledger(&actor(e)?, &from, &to, &out, &mut |p| {
                if show {
                    eprint!("\r{} {}/{}    ", p.stage_zh, p.done, p.total);
                    let _ = std::io::stderr().flush();
                }
            })?;
            if show {
                eprintln!();
            }
            let c = done.counts;
            print(json, &done, || {
                format!(
                    "台账已导出：{}\n期间 {} 至 {}，{}，{}\n受理台账 {} 件，否定备案 {} 件，通知书 {} 份，好差评 {} 条",
                    done.path,
                    done.period.from,
                    done.period.to,
                    done.terms.scope_zh,
                    done.terms.ids_zh,
                    c.cases,
                    c.filings,
                    c.notices,
                    c.evaluations
                )
            })
        }
    }
}
