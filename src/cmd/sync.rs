//! `enroll` and `sync`: the station's link to the county server.

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::{Engine, Result};

use super::{actor, print};

#[derive(Subcommand)]
pub enum SyncCmd {
    /// 立即上传未同步记录并获取县级下发数据
    Now,
    /// 同步状态（待同步条数、最后成功时间、最后错误）
    Status,
    /// 持续同步：启动时、本地写入后、网络恢复后、定期，失败后退避重试
    Daemon {
        /// Seconds between periodic syncs when nothing is written.
        #[arg(long, default_value_t = 60)]
        periodic_secs: u64,
    },
}

pub fn enroll(e: &Engine, url: &str, code: &str, again: bool, json: bool) -> Result<()> {
    let reg = if again {
        e.re_enroll(&actor(e)?, url, code)?
    } else {
        e.enroll(&actor(e)?, url, code)?
    };
    print(
        json,
        &json!({"device_id": reg.device_id, "server_url": reg.server_url}),
        || format!("已注册到 {}，设备号 {}", reg.server_url, reg.device_id),
    )
}

pub fn run(e: &mut Engine, cmd: SyncCmd, json: bool) -> Result<()> {
    match cmd {
        SyncCmd::Now => {
            let client = e.sync_client()?;
            let run = e.sync_now(&client)?;
            print(json, &run, || {
                format!(
                    "同步完成：上传 {} 条（县级新存 {} 条），已确认至第 {} 条{}{}",
                    run.sent,
                    run.stored,
                    run.acked_seq,
                    if run.quarantined > 0 {
                        format!("；{} 条被县级隔离待核查", run.quarantined)
                    } else {
                        String::new()
                    },
                    if run.releases_applied.is_empty() {
                        String::new()
                    } else {
                        format!("；已更新：{}", run.releases_applied.join("、"))
                    }
                )
            })
        }
        SyncCmd::Daemon { periodic_secs } => {
            let policy = e.sync_policy(Some(std::time::Duration::from_secs(periodic_secs)))?;
            // Runs until the process is stopped; a kill at any point is safe
            // because acks are recorded only after the county committed.
            let control = yichuang_engine::sync::LoopControl::new();
            e.run_sync_loop(policy, &control, |_, trigger, r| match r {
                Ok(run) => println!(
                    "{trigger:?}: 已确认至第 {} 条（新存 {} 条）",
                    run.acked_seq, run.stored
                ),
                Err(err) => println!("{trigger:?}: {}", err.user_message()),
            })
        }
        SyncCmd::Status => {
            let s = e.sync_status()?;
            print(json, &s, || {
                format!(
                    "{}；待同步 {} 条{}；最后成功：{}{}",
                    if s.enrolled {
                        format!("已注册（{}）", s.server_url.clone().unwrap_or_default())
                    } else {
                        "未注册".into()
                    },
                    s.queued,
                    s.oldest_unsynced
                        .as_ref()
                        .map(|t| format!("（最早 {t}）"))
                        .unwrap_or_default(),
                    s.last_success_ms
                        .map(|ms| ms.to_string())
                        .unwrap_or_else(|| "从未".into()),
                    s.last_error
                        .as_ref()
                        .map(|e| format!("；最后错误：{e}"))
                        .unwrap_or_default()
                )
            })
        }
    }
}
