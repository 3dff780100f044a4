//! `log`: verify the hash chain, show the last events.

use clap::Subcommand;
use yichuang_engine::{Engine, Result};

use super::print;

#[derive(Subcommand)]
pub enum LogCmd {
    /// Walk the hash chain; exit 0 when intact
    Verify,
    Tail {
        #[arg(default_value_t = 20)]
        n: usize,
    },
}

pub fn run(e: &Engine, cmd: LogCmd, json: bool) -> Result<()> {
    match cmd {
        LogCmd::Verify => {
            let r = e.verify_log()?;
            print(json, &r, || {
                format!(
                    "事件日志完整：共 {} 条，最后一条 seq {}",
                    r.events, r.last_seq
                )
            })
        }
        LogCmd::Tail { n } => {
            let evs = e.tail_events(n)?;
            print(json, &evs, || {
                evs.iter()
                    .map(|ev| {
                        format!(
                            "{}\t{}\t{}\t{}",
                            ev.seq, ev.device_time, ev.kind, ev.payload
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}
