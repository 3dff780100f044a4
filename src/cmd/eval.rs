//! `eval`: 好差评 requests by the serving clerk, paper forms (流动测评) entered
//! by other staff, defaults, the scale in force and statistics. There is no
//! command that answers: only the applicant does, on the applicant screen.

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::evaluation::{CaseEvaluation, PaperForm, window_screen};
use yichuang_engine::{Engine, Result};

use super::{actor, date, print};

#[derive(Subcommand)]
pub enum EvalCmd {
    /// 请办事人在评价屏上评价（不预选任何等级）
    Request {
        case_no: String,
        /// 评价屏名称；默认为当前工作人员窗口的评价屏
        #[arg(long)]
        screen: Option<String>,
    },
    /// 查看办件的评价状态
    Status { case_no: String },
    /// 录入纸质评价表（流动测评）；为本件服务的工作人员不能录入
    Paper {
        case_no: String,
        /// 评价表上印制的编号
        #[arg(long)]
        serial: String,
        #[arg(long)]
        level: String,
        #[arg(long = "reason")]
        reasons: Vec<String>,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// 将超时未作答的评价请求记为默认
    Expire,
    /// 当前使用的评价等级方案
    Scale,
    Stats {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

fn status_line(case_no: &str, ev: &CaseEvaluation) -> String {
    let mut s = format!("{case_no} 好差评：{}", ev.status_zh);
    if let Some(l) = &ev.level_zh {
        s.push_str(&format!("（{l}"));
        if !ev.reasons.is_empty() {
            s.push_str(&format!("：{}", ev.reasons.join("、")));
        }
        s.push('）');
    }
    if let Some(c) = ev.channel_zh {
        s.push_str(&format!("，来源：{c}"));
    }
    if let Some(n) = &ev.paper_serial {
        s.push_str(&format!("，表号 {n}"));
    }
    if let (Some(screen), Some(due)) = (&ev.screen, &ev.due_at)
        && ev.channel.is_none()
    {
        s.push_str(&format!("，评价屏：{screen}，{due} 前未作答记为默认"));
    }
    s
}

pub fn eval_cmd(e: &Engine, cmd: EvalCmd, json: bool) -> Result<()> {
    let pct = |v: Option<f64>| {
        v.map(|x| format!("{:.1}%", x * 100.0))
            .unwrap_or_else(|| "—".into())
    };
    match cmd {
        EvalCmd::Request { case_no, screen } => {
            let a = actor(e)?;
            let screen = screen.unwrap_or_else(|| window_screen(&a.window_no));
            let ev = e.request_evaluation(&a, &case_no, &screen)?;
            print(json, &ev, || status_line(&case_no, &ev))
        }
        EvalCmd::Status { case_no } => {
            let ev = e.case_evaluation(&case_no)?;
            print(json, &ev, || match &ev {
                Some(ev) => status_line(&case_no, ev),
                None => format!("{case_no} 尚未发起评价"),
            })
        }
        EvalCmd::Paper {
            case_no,
            serial,
            level,
            reasons,
            comment,
        } => {
            let form = PaperForm {
                serial,
                level,
                reasons,
                comment,
            };
            let ev = e.enter_paper_evaluation(&actor(e)?, &case_no, &form)?;
            print(json, &ev, || status_line(&case_no, &ev))
        }
        EvalCmd::Expire => {
            let n = e.default_expired_evaluations()?;
            print(json, &json!({"defaulted": n}), || {
                format!("{n} 条超时未作答的评价请求记为默认")
            })
        }
        EvalCmd::Scale => {
            let s = e.evaluation_scale()?;
            print(json, &s, || {
                let levels: Vec<String> = s
                    .levels
                    .iter()
                    .map(|l| {
                        format!(
                            "{}（{}{}）",
                            l.label_zh,
                            if l.good {
                                "计为好评"
                            } else {
                                "不计为好评"
                            },
                            if l.reasons { "，须选原因" } else { "" }
                        )
                    })
                    .collect();
                format!("{}：{}", s.name, levels.join("、"))
            })
        }
        EvalCmd::Stats { from, to } => {
            let st = e.evaluation_stats(&actor(e)?, date(&from, "from")?, date(&to, "to")?)?;
            let s = &st.total;
            print(json, &st, || {
                let mut out = format!(
                    "办件 {}，参评 {}（评价屏 {}，纸质 {}），默认 {}，未作答 {}，待评价 {}\n{}  好评率 {}",
                    s.cases,
                    s.evaluated,
                    s.screen,
                    s.paper,
                    s.defaulted,
                    s.unanswered,
                    s.pending,
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
                );
                if s.legacy > 0 {
                    out.push_str(&format!("\n旧版窗口录入 {} 条，不计入评价", s.legacy));
                }
                for g in &st.by_clerk {
                    let mix: Vec<String> = g
                        .counts
                        .sources
                        .iter()
                        .filter(|x| x.count > 0)
                        .map(|x| format!("{} {}", x.label_zh, pct(x.share)))
                        .collect();
                    out.push_str(&format!(
                        "\n{} {}：办件 {}，评价率 {}，默认率 {}，好评率 {}；来源：{}",
                        g.key,
                        g.name,
                        g.counts.cases,
                        pct(g.counts.evaluation_rate),
                        pct(g.counts.default_rate),
                        pct(g.counts.good_rate),
                        if mix.is_empty() {
                            "—".into()
                        } else {
                            mix.join("、")
                        }
                    ));
                }
                out
            })
        }
    }
}
