//! `eval`: 好差评 requests, answers, defaults and statistics.

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::evaluation::{DEFAULT_AFTER_DAYS, Level};
use yichuang_engine::{Engine, Result};

use super::{actor, date, print};

#[derive(Subcommand)]
pub enum EvalCmd {
    Request {
        case_no: String,
        #[arg(long, default_value = "窗口评价器")]
        channel: String,
    },
    Answer {
        case_no: String,
        #[arg(long)]
        level: String,
        #[arg(long = "reason")]
        reasons: Vec<String>,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// 将超期未评价的请求记为默认（未评价）
    Expire {
        #[arg(long, default_value_t = DEFAULT_AFTER_DAYS)]
        days: i64,
    },
    Stats {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

pub fn eval_cmd(e: &Engine, cmd: EvalCmd, json: bool) -> Result<()> {
    match cmd {
        EvalCmd::Request { case_no, channel } => {
            e.request_evaluation(&actor(e)?, &case_no, &channel)?;
            print(json, &json!({"requested": case_no}), || "已发起评价".into())
        }
        EvalCmd::Answer {
            case_no,
            level,
            reasons,
            comment,
        } => {
            e.answer_evaluation(&case_no, Level::parse(&level)?, &reasons, &comment)?;
            print(json, &json!({"answered": case_no}), || "评价已记录".into())
        }
        EvalCmd::Expire { days } => {
            let n = e.default_expired_evaluations(days)?;
            print(json, &json!({"defaulted": n}), || {
                format!("{n} 条评价请求记为未评价")
            })
        }
        EvalCmd::Stats { from, to } => {
            let st =
                e.evaluation_stats(&super::actor(e)?, date(&from, "from")?, date(&to, "to")?)?;
            let s = &st.total;
            let pct = |v: Option<f64>| {
                v.map(|x| format!("{:.1}%", x * 100.0))
                    .unwrap_or_else(|| "—".into())
            };
            print(json, &st, || {
                format!(
                    "办件 {}，发起评价 {}，已评 {}，未评价（默认）{}\n{}  好评率 {}",
                    s.cases,
                    s.requested,
                    s.answered,
                    s.defaulted,
                    s.targets
                        .iter()
                        .map(|t| format!(
                            "{} {}（目标{}）",
                            t.target.label_zh,
                            pct(t.rate),
                            t.text_zh
                        ))
                        .collect::<Vec<_>>()
                        .join("  "),
                    pct(s.good_rate)
                )
            })
        }
    }
}
