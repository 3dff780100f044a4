//! `yichuang`: the engine's command line. Everything a clerk can do in the
//! window can be done (and scripted) here; the rules live in the library.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use serde_json::json;

use yichuang::calendar::Calendar;
use yichuang::case::{AgentInput, ApplicantInput, MaterialStatus, NewCase, PersonIdType};
use yichuang::clerk::Role;
use yichuang::engine::{DB_ENV, default_db_path};
use yichuang::evaluation::Level;
use yichuang::{Clerk, Clock, Engine, Error, NoticeKind, Result};

#[derive(Parser)]
#[command(
    name = "yichuang",
    version,
    about = "一窗：人社窗口受理系统（站点引擎命令行）"
)]
struct Cli {
    /// Station database file (default: the per-user data directory).
    #[arg(long, global = true, env = DB_ENV)]
    db: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

// Parsed once per process: variant size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// 初始化站点数据库
    Init {
        #[arg(long)]
        station_code: String,
        #[arg(long)]
        station_name: String,
        #[arg(long)]
        county: String,
    },
    /// 写入演示数据（虚构人员）
    Demo {
        /// Extra synthetic cases (register + decide + notice each).
        #[arg(long, default_value_t = 0)]
        cases: u64,
    },
    /// 工作人员账号
    #[command(subcommand)]
    Clerk(ClerkCmd),
    /// 登录当前窗口（切换工作人员）
    Login {
        staff_no: String,
        #[arg(long, env = "YICHUANG_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// 退出登录
    Logout,
    /// 当前登录的工作人员
    Whoami,
    /// 事项清单
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// 工作日历
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// 办件
    #[command(subcommand)]
    Case(CaseCmd),
    /// 时限预警（到期、临期、超期）
    Deadlines {
        #[arg(long)]
        at_risk_days: Option<i64>,
    },
    /// 文书记录
    #[command(subcommand)]
    Notice(NoticeCmd),
    /// 好差评
    #[command(subcommand)]
    Eval(EvalCmd),
    /// 事件日志
    #[command(subcommand)]
    Log(LogCmd),
    /// 否定备案登记簿
    Filings {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// 站点设置
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// 用县级下发的一次性注册码注册本站
    Enroll { url: String, code: String },
    /// 与县级服务器同步
    #[command(subcommand)]
    Sync(SyncCmd),
}

#[derive(Subcommand)]
enum SyncCmd {
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

#[derive(Subcommand)]
enum ClerkCmd {
    /// 添加账号（首个账号须为管理员）
    Add {
        #[arg(long)]
        staff_no: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "clerk")]
        role: String,
        #[arg(long, env = "YICHUANG_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    List,
}

#[derive(Subcommand)]
enum CatalogCmd {
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

#[derive(Subcommand)]
enum CalendarCmd {
    /// N working days after DATE (the day itself not counted)
    AddDays {
        date: String,
        days: u32,
    },
    /// Working days in (FROM, TO]
    Between {
        from: String,
        to: String,
    },
    IsWorkday {
        date: String,
    },
    Import {
        file: PathBuf,
    },
    Years,
}

#[derive(Args)]
struct MaterialArgs {
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
struct LeaderArgs {
    /// Approving leader's staff number
    #[arg(long)]
    leader: String,
    #[arg(long, env = "YICHUANG_LEADER_PASSWORD", hide_env_values = true)]
    leader_password: Option<String>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum CaseCmd {
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
}

#[derive(Subcommand)]
enum NoticeCmd {
    /// 出具文书（分配文号并保存字段快照）
    Issue {
        case_no: String,
        kind: String,
    },
    List {
        case_no: String,
    },
    Show {
        doc_no: String,
    },
    /// 出具并打印文书为 PDF（一个事务：文号、记录、PDF 哈希）
    Print {
        case_no: String,
        /// one-time | commitment | rejection | acceptance
        kind: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 补打（标注“补打”并记录）
    Reprint {
        doc_no: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 按记录重新生成原始 PDF（逐字节一致，用于核对）
    Render {
        doc_no: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 核验一份 PDF 是否为本站出具的文书
    Verify {
        file: PathBuf,
    },
    /// 记录纸质打印（第二次起为补打）
    Printed {
        doc_no: String,
    },
    Void {
        doc_no: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum EvalCmd {
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
        #[arg(long, default_value_t = 7)]
        days: i64,
    },
    Stats {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum LogCmd {
    /// Walk the hash chain; exit 0 when intact
    Verify,
    Tail {
        #[arg(default_value_t = 20)]
        n: usize,
    },
}

#[derive(Subcommand)]
enum SettingsCmd {
    Get { key: String },
    Set { key: String, value: String },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let detail = e.to_string();
            let first = detail
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            eprintln!("错误：命令参数有误，请用 yichuang --help 查看用法（{first}）");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{}", e.user_message());
            if std::env::var_os("YICHUANG_DEBUG").is_some() {
                eprintln!("debug: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn open(cli: &Cli) -> Result<Engine> {
    let path = match &cli.db {
        Some(p) => p.clone(),
        None => default_db_path().ok_or_else(|| {
            Error::invalid(
                "db",
                "no home directory",
                "无法确定数据目录，请用 --db 指定数据库文件",
            )
        })?,
    };
    Ok(Engine::open(&path)?.with_clock(Clock::from_env()?))
}

fn date(s: &str, field: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            field,
            format!("bad date {s}"),
            format!("日期“{s}”格式不正确，应为 YYYY-MM-DD"),
        )
    })
}

/// A password from the flag/env, else one line of standard input.
fn password(given: Option<String>, prompt: &str) -> Result<String> {
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

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

fn actor(e: &Engine) -> Result<Clerk> {
    e.current_clerk()
}

fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    match &cli.cmd {
        Cmd::Calendar(CalendarCmd::AddDays { date: d, days }) => {
            let cal = calendar_for(&cli)?;
            let r = cal.add_working_days(date(d, "date")?, *days)?;
            return print(
                json,
                &json!({"date": r.date, "provisional": r.provisional}),
                || {
                    if r.provisional {
                        format!("{} provisional", r.date)
                    } else {
                        r.date.to_string()
                    }
                },
            );
        }
        Cmd::Calendar(CalendarCmd::Between { from, to }) => {
            let cal = calendar_for(&cli)?;
            let (n, p) = cal.working_days_between(date(from, "from")?, date(to, "to")?);
            return print(json, &json!({"working_days": n, "provisional": p}), || {
                if p {
                    format!("{n} provisional")
                } else {
                    n.to_string()
                }
            });
        }
        Cmd::Calendar(CalendarCmd::IsWorkday { date: d }) => {
            let cal = calendar_for(&cli)?;
            let (w, p) = cal.is_working_day(date(d, "date")?);
            return print(json, &json!({"working_day": w, "provisional": p}), || {
                format!(
                    "{}{}",
                    if w { "工作日" } else { "休息日" },
                    if p { " provisional" } else { "" }
                )
            });
        }
        _ => {}
    }
    let mut e = open(&cli)?;
    match cli.cmd {
        Cmd::Init {
            station_code,
            station_name,
            county,
        } => {
            let st = e.init(&station_code, &station_name, &county)?;
            print(json, &st, || {
                format!("已初始化站点 {} {}（{}）", st.code, st.name, st.county)
            })
        }
        Cmd::Demo { cases } => {
            let clerk = yichuang::demo::seed_demo(&mut e)?;
            let start: i64 = e
                .connection()
                .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
            yichuang::demo::seed_synthetic(&e, &clerk, cases, start as u64)?;
            print(
                json,
                &json!({"logged_in": clerk.staff_no, "synthetic_cases": cases}),
                || {
                    format!(
                        "演示数据已就绪：账号 0001 管理员 / 1001 领导 / 2001、2002 窗口人员，密码均为 {}；当前登录 {} {}",
                        yichuang::demo::DEMO_PASSWORD,
                        clerk.staff_no,
                        clerk.name
                    )
                },
            )
        }
        Cmd::Clerk(ClerkCmd::Add {
            staff_no,
            name,
            role,
            password: pw,
        }) => {
            let role = Role::parse(&role)?;
            let pw = password(pw, "新账号密码")?;
            let current = match e.current_clerk() {
                Ok(c) => Some(c),
                Err(Error::NotLoggedIn) => None,
                Err(err) => return Err(err),
            };
            let c = e.add_clerk(current.as_ref(), &staff_no, &name, role, &pw)?;
            print(json, &c, || {
                format!("已添加 {} {}（{}）", c.staff_no, c.name, c.role.label_zh())
            })
        }
        Cmd::Clerk(ClerkCmd::List) => {
            let list = e.clerks()?;
            print(json, &list, || {
                list.iter()
                    .map(|c| format!("{}\t{}\t{}", c.staff_no, c.name, c.role.label_zh()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Cmd::Login {
            staff_no,
            password: pw,
        } => {
            let pw = password(pw, "密码")?;
            let c = e.login(&staff_no, &pw)?;
            print(json, &c, || format!("{} {} 已登录", c.staff_no, c.name))
        }
        Cmd::Logout => {
            e.logout()?;
            print(json, &json!({"logged_out": true}), || "已退出登录".into())
        }
        Cmd::Whoami => {
            let c = actor(&e)?;
            print(json, &c, || {
                format!("{} {}（{}）", c.staff_no, c.name, c.role.label_zh())
            })
        }
        Cmd::Catalog(cmd) => catalog_cmd(&e, cmd, json),
        Cmd::Calendar(CalendarCmd::Import { file }) => {
            let text = read(&file)?;
            let year = e.import_calendar_year(&text, &file.display().to_string())?;
            print(json, &json!({"year": year}), || {
                format!("已导入 {year} 年工作日历")
            })
        }
        Cmd::Calendar(CalendarCmd::Years) => {
            let years = e.calendar().known_years();
            print(json, &years, || {
                years
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }
        Cmd::Calendar(_) => Ok(()),
        Cmd::Case(cmd) => case_cmd(&e, cmd, json),
        Cmd::Deadlines { at_risk_days } => {
            let days = match at_risk_days {
                Some(d) => d,
                None => e
                    .setting_or_default("deadline.at_risk_days")?
                    .parse()
                    .unwrap_or(2),
            };
            let rows = e.deadlines(days)?;
            print(json, &rows, || {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}\t{:?}\t{}\t{}{}\t剩余{}个工作日\t{}",
                            r.case_no,
                            r.urgency,
                            r.kind_zh,
                            r.due,
                            if r.provisional { "（暂定）" } else { "" },
                            r.working_days_left,
                            r.item_name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Cmd::Notice(cmd) => notice_cmd(&e, cmd, json),
        Cmd::Eval(cmd) => eval_cmd(&e, cmd, json),
        Cmd::Log(LogCmd::Verify) => {
            let r = e.verify_log()?;
            print(json, &r, || {
                format!(
                    "事件日志完整：共 {} 条，最后一条 seq {}",
                    r.events, r.last_seq
                )
            })
        }
        Cmd::Log(LogCmd::Tail { n }) => {
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
        Cmd::Filings { limit } => {
            let rows = e.rejection_filings(limit)?;
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
        Cmd::Enroll { url, code } => {
            let reg = e.enroll(&actor(&e)?, &url, &code)?;
            print(
                json,
                &json!({"device_id": reg.device_id, "server_url": reg.server_url}),
                || format!("已注册到 {}，设备号 {}", reg.server_url, reg.device_id),
            )
        }
        Cmd::Sync(SyncCmd::Now) => {
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
        Cmd::Sync(SyncCmd::Daemon { periodic_secs }) => {
            let policy = yichuang_sync::BackoffPolicy {
                periodic: std::time::Duration::from_secs(periodic_secs.max(5)),
                seed: uuid_seed(&e)?,
                ..Default::default()
            };
            // Runs until the process is stopped; a kill at any point is safe
            // because acks are recorded only after the county committed.
            let control = yichuang::sync::LoopControl::new();
            e.run_sync_loop(policy, &control, |_, trigger, r| match r {
                Ok(run) => println!(
                    "{trigger:?}: 已确认至第 {} 条（新存 {} 条）",
                    run.acked_seq, run.stored
                ),
                Err(err) => println!("{trigger:?}: {}", err.user_message()),
            })
        }
        Cmd::Sync(SyncCmd::Status) => {
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
        Cmd::Settings(SettingsCmd::Get { key }) => {
            let v = e.setting_or_default(&key)?;
            print(json, &json!({"key": key, "value": v}), || v.clone())
        }
        Cmd::Settings(SettingsCmd::Set { key, value }) => {
            e.set_setting(&actor(&e)?, &key, &value)?;
            print(json, &json!({"key": key, "value": value}), || {
                format!("已设置 {key}")
            })
        }
    }
}

/// A per-station jitter seed, so stations do not retry in lockstep.
fn uuid_seed(e: &Engine) -> Result<u64> {
    let log_id = e.station()?.log_id.clone();
    Ok(log_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }))
}

fn write_file(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The station's calendar when there is a station database, else the bundled one.
fn calendar_for(cli: &Cli) -> Result<Calendar> {
    let exists = cli.db.as_ref().is_some_and(|p| p.exists())
        || (cli.db.is_none() && default_db_path().is_some_and(|p| p.exists()));
    if exists {
        let e = open(cli)?;
        if e.station().is_ok() {
            return Ok((*e.calendar()).clone());
        }
    }
    Calendar::bundled()
}

fn catalog_cmd(e: &Engine, cmd: CatalogCmd, json: bool) -> Result<()> {
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
                "promised_days": i.promised_days, "statutory_days": i.statutory_days})
                })
                .collect();
            print(json, &items, || {
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "{}\t{}\t承诺{}个工作日\t法定{}个工作日",
                            i["code"].as_str().unwrap_or(""),
                            i["name"].as_str().unwrap_or(""),
                            i["promised_days"],
                            i["statutory_days"]
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

fn show_case(json: bool, c: &yichuang::CaseView) -> Result<()> {
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

fn leader_pw(l: &LeaderArgs) -> Result<String> {
    password(l.leader_password.clone(), "领导密码")
}

fn case_cmd(e: &Engine, cmd: CaseCmd, json: bool) -> Result<()> {
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
                (Some(name), Some(id_no)) => Some(AgentInput { name, id_no }),
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
        CaseCmd::Show { case_no } => e.case(&case_no)?,
        CaseCmd::List { state, limit } => {
            let list = e.cases_in_state(yichuang::CaseState::parse(&state)?, limit)?;
            return print(json, &list, || {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}\t{}\t{}\t{}",
                            c.case_no,
                            c.item_name,
                            yichuang::ids::mask_name(&c.applicant_name),
                            c.state_zh
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        CaseCmd::Search { query, limit } => {
            let list = e.search_cases(&query, limit)?;
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
        } => e.propose_rejection(&actor(e)?, &case_no, &reason, &basis)?,
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
    };
    show_case(json, &c)
}

fn parse_id_type(s: &str) -> Result<PersonIdType> {
    serde_json::from_value(json!(s)).map_err(|_| Error::invalid("id_type", format!("unknown id type {s}"),
        "证件类型无效，应为 resident_id、hk_macau_permit、taiwan_permit、passport 或 foreign_permanent_resident"))
}

fn notice_cmd(e: &Engine, cmd: NoticeCmd, json: bool) -> Result<()> {
    let show = |n: &yichuang::notice::NoticeRecord| {
        print(json, n, || {
            format!(
                "{}\t{}\t{}\t打印{}次{}",
                n.doc_no,
                n.kind.title_zh(),
                n.case_no,
                n.print_count,
                n.void_reason
                    .as_ref()
                    .map(|r| format!("\t已作废：{r}"))
                    .unwrap_or_default()
            )
        })
    };
    match cmd {
        NoticeCmd::Issue { case_no, kind } => {
            show(&e.issue_notice(&actor(e)?, &case_no, NoticeKind::parse(&kind)?)?)
        }
        NoticeCmd::List { case_no } => {
            let list = e.notices_for_case(&case_no)?;
            print(json, &list, || {
                list.iter()
                    .map(|n| {
                        format!(
                            "{}\t{}\t打印{}次{}",
                            n.doc_no,
                            n.kind.title_zh(),
                            n.print_count,
                            if n.voided_at.is_some() {
                                "\t已作废"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        NoticeCmd::Show { doc_no } => show(&e.notice(&doc_no)?),
        NoticeCmd::Print { case_no, kind, out } => {
            let (n, pdf) = e.print_notice(&actor(e)?, &case_no, NoticeKind::parse(&kind)?)?;
            // The record is committed before the file is written: a failed write
            // is retried with `notice reprint`, never by issuing a new number.
            write_file(&out, &pdf)?;
            show(&n)
        }
        NoticeCmd::Reprint { doc_no, out } => {
            let (m, pdf) = e.reprint_notice(&actor(e)?, &doc_no)?;
            write_file(&out, &pdf)?;
            print(json, &m, || {
                format!(
                    "{doc_no} 第{}次打印{}，已写入 {}",
                    m.n,
                    if m.reprint { "（补打）" } else { "" },
                    out.display()
                )
            })
        }
        NoticeCmd::Render { doc_no, out } => {
            let pdf = e.rerender_notice(&doc_no)?;
            write_file(&out, &pdf)?;
            print(
                json,
                &json!({"doc_no": doc_no, "sha256": yichuang_wire::sha256_hex(&pdf)}),
                || format!("已重新生成 {}", out.display()),
            )
        }
        NoticeCmd::Verify { file } => {
            let bytes = std::fs::read(&file).map_err(|source| Error::Io {
                path: file.display().to_string(),
                source,
            })?;
            match e.identify_pdf(&bytes)? {
                Some((doc_no, n, voided)) => print(
                    json,
                    &json!({"doc_no": doc_no, "print": n, "voided": voided}),
                    || {
                        format!(
                            "真实文书：{doc_no}（第{n}次打印）{}",
                            if voided {
                                "，但该文书已作废"
                            } else {
                                ""
                            }
                        )
                    },
                ),
                None => Err(Error::rule(
                    "unknown_pdf",
                    "PDF matches no notice printed here",
                    "该 PDF 不是本站出具的文书，或内容已被改动",
                )),
            }
        }
        NoticeCmd::Printed { doc_no } => {
            let m = e.record_print(&actor(e)?, &doc_no, None)?;
            print(json, &m, || {
                format!("第{}次打印{}", m.n, if m.reprint { "（补打）" } else { "" })
            })
        }
        NoticeCmd::Void { doc_no, reason } => show(&e.void_notice(&actor(e)?, &doc_no, &reason)?),
    }
}

fn eval_cmd(e: &Engine, cmd: EvalCmd, json: bool) -> Result<()> {
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
            let st = e.evaluation_stats(date(&from, "from")?, date(&to, "to")?)?;
            let s = &st.total;
            let pct = |v: Option<f64>| {
                v.map(|x| format!("{:.1}%", x * 100.0))
                    .unwrap_or_else(|| "—".into())
            };
            print(json, &st, || {
                format!(
                    "办件 {}，发起评价 {}，已评 {}，未评价（默认）{}\n评价率 {}（目标≥90%）  默认率 {}（目标≤15%）  好评率 {}",
                    s.cases,
                    s.requested,
                    s.answered,
                    s.defaulted,
                    pct(s.evaluation_rate),
                    pct(s.default_rate),
                    pct(s.good_rate)
                )
            })
        }
    }
}
