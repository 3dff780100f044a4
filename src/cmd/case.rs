//! `case`: registration, the checklist, decisions; the deadline board and
//! the 否定备案 register.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde_json::json;
use yichuang_engine::case::{AgentInput, ApplicantInput, MaterialStatus, NewCase, PersonIdType};
use yichuang_engine::{Engine, Error, Result};

use super::{actor, date, password, print};

#[derive(Args)]
pub struct MaterialArgs {
    /// Material codes received, comma-separated (e.g. M1,M2)
    #[arg(long, value_delimiter = ',')]
    received: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    missing: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    not_applicable: Vec<String>,
    /// 告知承诺: a written promise replaces these
    #[arg(long, value_delimiter = ',')]
    promised: Vec<String>,
}

impl MaterialArgs {
    fn map(&self) -> BTreeMap<String, MaterialStatus> {
        let mut m = BTreeMap::new();
        for (codes, st) in [
            (&self.received, MaterialStatus::Received),
            (&self.missing, MaterialStatus::Missing),
            (&self.not_applicable, MaterialStatus::NotApplicable),
            (&self.promised, MaterialStatus::Promised),
        ] {
            for c in codes.iter().filter(|c| !c.trim().is_empty()) {
                m.insert(c.trim().to_owned(), st);
            }
        }
        m
    }
}

#[derive(Args)]
pub struct LeaderArgs {
    /// Approving leader's staff number
    #[arg(long)]
    leader: String,
    #[arg(long, env = "YICHUANG_LEADER_PASSWORD", hide_env_values = true)]
    leader_password: Option<String>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum CaseCmd {
    /// 登记办件
    Register {
        #[arg(long)]
        item: String,
        /// Person's name (with --id-no) …
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        id_no: Option<String>,
        #[arg(long, default_value = "resident_id")]
        id_type: String,
        /// … or an organisation (with --uscc)
        #[arg(long)]
        org_name: Option<String>,
        #[arg(long)]
        uscc: Option<String>,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long)]
        agent_name: Option<String>,
        #[arg(long)]
        agent_id_no: Option<String>,
        /// The agent is the applicant's legal guardian (may sign a 告知承诺)
        #[arg(long)]
        agent_guardian: bool,
        #[arg(long)]
        received_on: Option<String>,
        #[arg(long)]
        handler: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        materials: MaterialArgs,
    },
    Show {
        case_no: String,
        /// Show the full ID number (recorded as a view of personal data).
        #[arg(long)]
        reveal: bool,
    },
    /// 身份证号查看记录（领导）
    Views {
        case_no: String,
    },
    List {
        #[arg(long)]
        state: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    Search {
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// 修改材料清单（登记状态）
    Materials {
        case_no: String,
        #[command(flatten)]
        materials: MaterialArgs,
    },
    /// 申请人补正材料后回到登记状态
    Returned {
        case_no: String,
        #[command(flatten)]
        materials: MaterialArgs,
    },
    Accept {
        case_no: String,
    },
    RequestMaterials {
        case_no: String,
    },
    /// 容缺受理（申请人同意承诺）
    AcceptWithCommitment {
        case_no: String,
        #[arg(long)]
        applicant_agrees: bool,
    },
    Supplement {
        case_no: String,
    },
    MarkOverdue {
        case_no: String,
    },
    Terminate {
        case_no: String,
        #[arg(long)]
        reason: String,
    },
    Start {
        case_no: String,
    },
    Complete {
        case_no: String,
    },
    Deny {
        case_no: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        basis: String,
        #[command(flatten)]
        leader: LeaderArgs,
    },
    /// 提出不予受理（待领导审批）
    Reject {
        case_no: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        basis: String,
        /// The body to apply to, when the matter is outside this office's powers
        #[arg(long)]
        competent_body: Option<String>,
    },
    ApproveRejection {
        case_no: String,
        #[command(flatten)]
        leader: LeaderArgs,
    },
    ReturnRejection {
        case_no: String,
        #[arg(long)]
        note: String,
        #[command(flatten)]
        leader: LeaderArgs,
    },
    Withdraw {
        case_no: String,
        #[arg(long)]
        reason: String,
    },
    /// 收件并转送（本站只收件、由其他机关决定的事项）
    Forward {
        case_no: String,
    },
}

pub fn show_case(json: bool, c: &yichuang_engine::CaseView) -> Result<()> {
    print(json, c, || {
        let mut s = format!(
            "{}  {}  {}\n申请人：{}（{}）\n收件：{}  一次性告知期限：{}\n",
            c.case_no,
            c.item_name,
            c.state_zh,
            c.applicant_name,
            c.applicant_id_masked(),
            c.received_on,
            c.onetime_notice_due
        );
        if let (Some(p), Some(st)) = (c.promised_due, c.statutory_due) {
            s += &format!(
                "承诺办结：{p}{}  法定办结：{st}{}\n",
                if c.promised_provisional {
                    "（暂定）"
                } else {
                    ""
                },
                if c.statutory_provisional {
                    "（暂定）"
                } else {
                    ""
                }
            );
        }
        if let Some(d) = c.supplement_due {
            s += &format!("容缺补齐期限：{d}\n");
        }
        for m in &c.materials {
            s += &format!(
                "  [{}] {} {}（{}，{}份）\n",
                m.status.label_zh(),
                m.code,
                m.name,
                m.form,
                m.copies
            );
        }
        if !c.outcomes.is_empty() {
            s += &format!(
                "可选处理：{}",
                c.outcomes
                    .iter()
                    .map(|o| format!("{o:?}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        s.trim_end().to_owned()
    })
}

pub fn leader_pw(l: &LeaderArgs) -> Result<String> {
    password(l.leader_password.clone(), "领导密码")
}

pub fn case_cmd(e: &Engine, cmd: CaseCmd, json: bool) -> Result<()> {
    let c = match cmd {
        CaseCmd::Register {
            item,
            name,
            id_no,
            id_type,
            org_name,
            uscc,
            phone,
            agent_name,
            agent_id_no,
            agent_guardian,
            received_on,
            handler,
            note,
            materials,
        } => {
            let applicant = match (name, id_no, org_name, uscc) {
                (Some(name), Some(id_no), None, None) => ApplicantInput::Person {
                    name,
                    id_type: parse_id_type(&id_type)?,
                    id_no,
                    phone,
                },
                (None, None, Some(name), Some(uscc)) => {
                    ApplicantInput::Organization { name, uscc, phone }
                }
                _ => {
                    return Err(Error::invalid(
                        "applicant",
                        "need --name/--id-no or --org-name/--uscc",
                        "请填写个人申请人（--name 与 --id-no）或单位申请人（--org-name 与 --uscc）其中之一",
                    ));
                }
            };
            let agent = match (agent_name, agent_id_no) {
                (Some(name), Some(id_no)) => Some(AgentInput {
                    name,
                    id_no,
                    guardian: agent_guardian,
                }),
                (None, None) => None,
                _ => {
                    return Err(Error::invalid(
                        "agent",
                        "agent needs name and id",
                        "经办人须同时填写姓名和身份证号",
                    ));
                }
            };
            let received_on = received_on.map(|d| date(&d, "received_on")).transpose()?;
            let input = NewCase {
                item_code: item,
                applicant,
                agent,
                materials: materials.map(),
                received_on,
                handler,
                note,
            };
            e.register_case(&actor(e)?, &input)?
        }
        CaseCmd::Show { case_no, reveal } => {
            let a = actor(e)?;
            if reveal {
                e.reveal_id(&a, &case_no)?
            } else {
                e.case_for(&a, &case_no)?
            }
        }
        CaseCmd::Views { case_no } => {
            let list = e.id_reveals(&actor(e)?, &case_no)?;
            return print(json, &list, || {
                if list.is_empty() {
                    return "无人查看过完整身份证号".into();
                }
                list.iter()
                    .map(|v| format!("{}\t{} {}", v.at, v.staff_no, v.clerk_name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        CaseCmd::List { state, limit } => {
            let list = e.cases_in_state(
                &actor(e)?,
                yichuang_engine::CaseState::parse(&state)?,
                limit,
            )?;
            return print(json, &list, || {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}\t{}\t{}\t{}",
                            c.case_no,
                            c.item_name,
                            yichuang_engine::ids::mask_name(&c.applicant_name),
                            c.state_zh
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        CaseCmd::Search { query, limit } => {
            let list = e.search_cases(&actor(e)?, &query, limit)?;
            return print(json, &list, || {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}\t{}\t{}\t{}\t{}",
                            c.case_no,
                            c.item_name,
                            c.applicant_name,
                            c.applicant_id_masked,
                            c.state_zh
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        CaseCmd::Materials { case_no, materials } => {
            e.update_materials(&actor(e)?, &case_no, &materials.map())?
        }
        CaseCmd::Returned { case_no, materials } => {
            e.materials_returned(&actor(e)?, &case_no, &materials.map())?
        }
        CaseCmd::Accept { case_no } => e.accept(&actor(e)?, &case_no)?,
        CaseCmd::RequestMaterials { case_no } => e.request_materials(&actor(e)?, &case_no)?,
        CaseCmd::AcceptWithCommitment {
            case_no,
            applicant_agrees,
        } => e.accept_with_commitment(&actor(e)?, &case_no, applicant_agrees)?,
        CaseCmd::Supplement { case_no } => e.supplement(&actor(e)?, &case_no)?,
        CaseCmd::MarkOverdue { case_no } => e.mark_supplement_overdue(&actor(e)?, &case_no)?,
        CaseCmd::Terminate { case_no, reason } => e.terminate(&actor(e)?, &case_no, &reason)?,
        CaseCmd::Start { case_no } => e.start(&actor(e)?, &case_no)?,
        CaseCmd::Complete { case_no } => e.complete(&actor(e)?, &case_no)?,
        CaseCmd::Deny {
            case_no,
            reason,
            basis,
            leader,
        } => {
            let pw = leader_pw(&leader)?;
            e.deny(&actor(e)?, &case_no, &reason, &basis, &leader.leader, &pw)?
        }
        CaseCmd::Reject {
            case_no,
            reason,
            basis,
            competent_body,
        } => e.propose_rejection_to(
            &actor(e)?,
            &case_no,
            &reason,
            &basis,
            competent_body.as_deref(),
        )?,
        CaseCmd::ApproveRejection { case_no, leader } => {
            let pw = leader_pw(&leader)?;
            e.approve_rejection(&case_no, &leader.leader, &pw)?
        }
        CaseCmd::ReturnRejection {
            case_no,
            note,
            leader,
        } => {
            let pw = leader_pw(&leader)?;
            e.return_rejection(&case_no, &leader.leader, &pw, &note)?
        }
        CaseCmd::Withdraw { case_no, reason } => e.withdraw(&actor(e)?, &case_no, &reason)?,
        CaseCmd::Forward { case_no } => e.forward(&actor(e)?, &case_no)?,
    };
    show_case(json, &c)
}

pub fn parse_id_type(s: &str) -> Result<PersonIdType> {
    serde_json::from_value(json!(s)).map_err(|_| Error::invalid("id_type", format!("unknown id type {s}"),
        "证件类型无效，应为 resident_id、hk_macau_permit、taiwan_permit、passport 或 foreign_permanent_resident"))
}

pub fn deadlines(e: &Engine, at_risk_days: Option<i64>, json: bool) -> Result<()> {
    let days = match at_risk_days {
        Some(d) => d,
        None => e.at_risk_days()?,
    };
    let rows = e.deadlines(days)?;
    print(json, &rows, || {
        rows.iter()
            .map(|r| {
                format!(
                    "{}\t{:?}\t{}\t{}{}\t剩余{}{}\t{}{}{}",
                    r.case_no,
                    r.urgency,
                    r.kind_zh,
                    r.due,
                    if r.provisional { "（暂定）" } else { "" },
                    r.days_left,
                    r.unit_zh,
                    r.item_name,
                    r.note_zh.map(|n| format!("\t{n}")).unwrap_or_default(),
                    r.supervision_note
                        .as_ref()
                        .map(|n| format!("\t挂牌督办：{n}"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Records the consequence of every acceptance review that lapsed with no
/// notice (行政许可法 §32 视为受理 …), then lists the cases changed.
pub fn record_lapses(e: &Engine, json: bool) -> Result<()> {
    let changed = e.record_lapsed_reviews(&actor(e)?)?;
    print(json, &changed, || {
        if changed.is_empty() {
            return "没有需要记录的受理审查逾期".to_owned();
        }
        changed
            .iter()
            .map(|c| {
                format!(
                    "{}\t{}\t{}",
                    c.case_no,
                    c.state_zh,
                    c.review_lapse_zh.unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

pub fn filings(e: &Engine, limit: usize, json: bool) -> Result<()> {
    let rows = e.rejection_filings(&actor(e)?, limit)?;
    print(json, &rows, || {
        rows.iter()
            .map(|f| {
                format!(
                    "{}\t{}\t{}\t审批：{}\t{}",
                    f.case_no, f.item_name, f.reason, f.approved_by, f.approved_at
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
