//! `yichuang`: the station CLI. Every counter operation is a command; the
//! commands live in `cmd/` by domain and only translate (no rules here).

mod cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yichuang_engine::calendar::Calendar;
use yichuang_engine::engine::{DB_ENV, default_db_path};
use yichuang_engine::{Engine, Error, Result};

use cmd::backup::BackupCmd;
use cmd::calendar::CalendarCmd;
use cmd::case::CaseCmd;
use cmd::catalog::CatalogCmd;
use cmd::clerk::ClerkCmd;
use cmd::eval::EvalCmd;
use cmd::ledger::LedgerCmd;
use cmd::log::LogCmd;
use cmd::notice::NoticeCmd;
use cmd::settings::SettingsCmd;
use cmd::station::{Protect, StationCmd};
use cmd::sync::SyncCmd;

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
        /// 数据库加密方式（默认：有系统密钥库用 keystore，否则设置了站点口令环境变量用 passphrase）
        #[arg(long, value_enum)]
        protect: Option<Protect>,
    },
    /// 站点数据库加密：状态、加密现有数据库、修改站点口令
    #[command(subcommand)]
    Station(StationCmd),
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
    /// 记录受理审查逾期的法定后果（如行政许可法第三十二条“即为受理”）
    RecordLapses,
    /// 文书记录
    #[command(subcommand)]
    Notice(NoticeCmd),
    /// 好差评
    #[command(subcommand)]
    Eval(EvalCmd),
    /// 事件日志
    #[command(subcommand)]
    Log(LogCmd),
    /// 台账导出（Excel）
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// 否定备案登记簿
    Filings {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// 站点设置
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// 用县级下发的一次性注册码注册本站
    Enroll {
        url: String,
        code: String,
        /// 以新的设备密钥重新注册（原设备已被县级停用并重置日志后）
        #[arg(long)]
        again: bool,
    },
    /// 与县级服务器同步
    #[command(subcommand)]
    Sync(SyncCmd),
    /// 备份与恢复（备份到 U 盘等文件夹，校验后轮换保留）
    #[command(subcommand)]
    Backup(BackupCmd),
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

fn db_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.db {
        Some(p) => Ok(p.clone()),
        None => default_db_path().ok_or_else(|| {
            Error::invalid(
                "db",
                "no home directory",
                "无法确定数据目录，请用 --db 指定数据库文件",
            )
        }),
    }
}

/// Opens the station database by its key custody (plain, passphrase, key store).
fn open(cli: &Cli) -> Result<Engine> {
    cmd::station::open(&db_path(cli)?)
}

fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    if let Cmd::Calendar(q) = &cli.cmd
        && q.is_query()
    {
        return cmd::calendar::query(&calendar_for(&cli)?, q, json);
    }
    let path = db_path(&cli)?;
    let command = match cli.cmd {
        // Both decide how the database is opened (or encrypted) themselves.
        Cmd::Init {
            station_code,
            station_name,
            county,
            protect,
        } => {
            return cmd::station::init(
                &path,
                protect,
                (&station_code, &station_name, &county),
                json,
            );
        }
        Cmd::Station(c) => return cmd::station::station_cmd(&path, c, json),
        Cmd::Backup(c) => match cmd::backup::without_station(&path, &c, json) {
            Some(done) => return done,
            None => Cmd::Backup(c),
        },
        other => other,
    };
    let mut e = cmd::station::open(&path)?;
    match command {
        Cmd::Init { .. } | Cmd::Station(_) => Ok(()), // answered above
        Cmd::Demo { cases } => cmd::station::demo(&mut e, cases, json),
        Cmd::Clerk(c) => cmd::clerk::run(&e, c, json),
        Cmd::Login { staff_no, password } => cmd::clerk::login(&e, &staff_no, password, json),
        Cmd::Logout => cmd::clerk::logout(&e, json),
        Cmd::Whoami => cmd::clerk::whoami(&e, json),
        Cmd::Catalog(c) => cmd::catalog::catalog_cmd(&e, c, json),
        Cmd::Calendar(c) => cmd::calendar::run(&mut e, c, json),
        Cmd::Case(c) => cmd::case::case_cmd(&e, c, json),
        Cmd::Deadlines { at_risk_days } => cmd::case::deadlines(&e, at_risk_days, json),
        Cmd::RecordLapses => cmd::case::record_lapses(&e, json),
        Cmd::Notice(c) => cmd::notice::notice_cmd(&e, c, json),
        Cmd::Eval(c) => cmd::eval::eval_cmd(&e, c, json),
        Cmd::Log(c) => cmd::log::run(&e, c, json),
        Cmd::Ledger(c) => cmd::ledger::run(&e, c, json),
        Cmd::Filings { limit } => cmd::case::filings(&e, limit, json),
        Cmd::Settings(c) => cmd::settings::run(&e, c, json),
        Cmd::Enroll { url, code, again } => cmd::sync::enroll(&e, &url, &code, again, json),
        Cmd::Sync(c) => cmd::sync::run(&mut e, c, json),
        Cmd::Backup(c) => cmd::backup::run(&e, c, json),
    }
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
