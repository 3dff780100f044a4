//! `init`, `demo` and `station`: create a station (encrypted as chosen), load
//! fictional demo data, protect a plain station database, change its passphrase.

use std::io::IsTerminal;
use std::path::Path;

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use yichuang_engine::at_rest::{self, Custody, PASSPHRASE_ENV, ProtectWith};
use yichuang_engine::station::validate_station;
use yichuang_engine::{Clock, Engine, Error, Result};
use zeroize::Zeroizing;

use super::print;

/// Where `station passphrase` reads the new passphrase from when it does not prompt.
pub const NEW_PASSPHRASE_ENV: &str = "YICHUANG_STATION_NEW_PASSPHRASE";

/// How `init` protects a new station database.
#[derive(Clone, Copy, ValueEnum)]
pub enum Protect {
    /// 站点口令封存密钥（启动时输入口令）
    Passphrase,
    /// 密钥存入系统密钥库（Secret Service / Windows 凭据管理器）
    Keystore,
    /// 不加密（仅用于测试和演示）
    None,
}

/// How `station protect` protects an existing plain database.
#[derive(Clone, Copy, ValueEnum)]
pub enum ProtectBy {
    Passphrase,
    Keystore,
}

#[derive(Subcommand)]
pub enum StationCmd {
    /// 加密现有的未加密站点数据库（请先关闭桌面程序和后台同步）
    Protect {
        #[arg(long = "with", value_enum)]
        with: ProtectBy,
    },
    /// 修改站点口令（数据库密钥不变）
    Passphrase,
    /// 站点数据库的加密与密钥保管方式
    Status,
}

fn no_terminal(e: std::io::Error, env: &str) -> Error {
    // The backup's passphrase is not necessarily the station's.
    let noun = if env == super::backup::BACKUP_PASSPHRASE_ENV {
        "备份口令"
    } else {
        "站点口令"
    };
    Error::at_rest(
        "passphrase_required",
        format!("cannot read the passphrase ({env}) from the terminal: {e}"),
        format!("需要{noun}：请在终端中运行并输入，或设置环境变量 {env}"),
    )
}

/// The station passphrase that opens a database: the environment, else the
/// terminal without echo. Never a file or an argument.
pub fn current_passphrase() -> Result<Zeroizing<String>> {
    from_env_or_prompt(PASSPHRASE_ENV, "站点口令：", false)
}

/// A passphrase being set (asked twice on the terminal).
fn new_passphrase(env: &str) -> Result<Zeroizing<String>> {
    new_passphrase_from(env, "设置站点口令")
}

/// A passphrase being set, `what` naming it in the prompt.
pub(crate) fn new_passphrase_from(env: &str, what: &str) -> Result<Zeroizing<String>> {
    let p = from_env_or_prompt(
        env,
        &format!("{what}（至少 {} 个字符）：", at_rest::MIN_PASSPHRASE_CHARS),
        true,
    )?;
    at_rest::check_passphrase(&p)?;
    Ok(p)
}

pub(crate) fn from_env_or_prompt(
    env: &str,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<String>> {
    if let Some(v) = std::env::var_os(env) {
        return v.into_string().map(Zeroizing::new).map_err(|_| {
            Error::invalid(
                "passphrase",
                format!("{env} is not valid UTF-8"),
                format!("环境变量 {env} 中的站点口令含有无法识别的字符"),
            )
        });
    }
    // No terminal (a script, a service): nobody to ask.
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal(
            std::io::Error::other("standard input is not a terminal"),
            env,
        ));
    }
    let tty_failed = |e: std::io::Error| no_terminal(e, env);
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(tty_failed)?);
    if confirm {
        let again =
            Zeroizing::new(rpassword::prompt_password("再次输入站点口令：").map_err(tty_failed)?);
        if *again != *first {
            return Err(Error::invalid(
                "passphrase",
                "the two passphrases differ",
                "两次输入的站点口令不一致",
            ));
        }
    }
    Ok(first)
}

/// Opens the station database the way its custody says (the passphrase only
/// when it is sealed by one).
pub fn open(path: &Path) -> Result<Engine> {
    let engine = match at_rest::custody(path)? {
        Custody::Passphrase => Engine::open_station(path, Some(&current_passphrase()?))?,
        Custody::Plain | Custody::OsKeyStore { .. } => Engine::open_station(path, None)?,
    };
    Ok(engine.with_clock(Clock::from_env()?))
}

fn is_new(path: &Path) -> Result<bool> {
    Ok(at_rest::custody(path)? == Custody::Plain
        && std::fs::metadata(path).map_or(true, |m| m.len() == 0))
}

/// Creates the station. A new database is protected as `protect` says; without
/// it: the OS key store where there is one, else the passphrase from the
/// environment, else the user is asked to choose.
pub fn init(
    path: &Path,
    protect: Option<Protect>,
    (code, name, county): (&str, &str, &str),
    json: bool,
) -> Result<()> {
    let mut e = if is_new(path)? {
        validate_station(code, name, county)?;
        let protect = match protect {
            Some(p) => p,
            None if at_rest::keystore_available() => Protect::Keystore,
            None if std::env::var_os(PASSPHRASE_ENV).is_some() => Protect::Passphrase,
            None => {
                return Err(Error::invalid(
                    "protect",
                    "no OS key store and no station passphrase: choose --protect",
                    format!(
                        "本机没有可用的系统密钥库：请用 --protect 选择站点数据库的保护方式——passphrase（站点口令，启动时输入或由环境变量 {PASSPHRASE_ENV} 提供）或 none（不加密，仅用于测试和演示）"
                    ),
                ));
            }
        };
        let key = match protect {
            Protect::None => None,
            Protect::Keystore => Some(at_rest::protect_new(path, ProtectWith::OsKeyStore)?),
            Protect::Passphrase => {
                let p = new_passphrase(PASSPHRASE_ENV)?;
                Some(at_rest::protect_new(path, ProtectWith::Passphrase(&p))?)
            }
        };
        match key {
            None => Engine::open(path)?,
            Some(key) => Engine::open_with_key(path, &key)?,
        }
        .with_clock(Clock::from_env()?)
    } else {
        let e = open(path)?;
        if e.station().is_err()
            && matches!(protect, Some(Protect::Passphrase | Protect::Keystore))
            && at_rest::custody(path)? == Custody::Plain
        {
            return Err(Error::invalid(
                "protect",
                "the database file exists unencrypted",
                "数据库文件已存在且未加密：请先初始化，再用 yichuang station protect 加密",
            ));
        }
        e
    };
    let st = e.init(code, name, county)?;
    let custody = at_rest::custody(path)?;
    let mut answer = serde_json::to_value(&st)?;
    answer["protection"] = serde_json::to_value(&custody)?;
    print(json, &answer, || {
        format!(
            "已初始化站点 {} {}（{}）；{}",
            st.code,
            st.name,
            st.county,
            custody_text(&custody)
        )
    })
}

fn custody_text(c: &Custody) -> String {
    match c {
        Custody::Plain => "数据库未加密".into(),
        Custody::Passphrase => "数据库已加密，密钥由站点口令保管".into(),
        Custody::OsKeyStore { service, account } => {
            format!("数据库已加密，密钥保存在本机系统密钥库（{service} / {account}）")
        }
    }
}

pub fn station_cmd(path: &Path, cmd: StationCmd, json: bool) -> Result<()> {
    match cmd {
        StationCmd::Status => {
            let custody = at_rest::custody(path)?;
            let keystore = at_rest::keystore_available();
            print(
                json,
                &json!({"protection": custody, "keystore_available": keystore}),
                || {
                    format!(
                        "{}；系统密钥库{}",
                        custody_text(&custody),
                        if keystore { "可用" } else { "不可用" }
                    )
                },
            )
        }
        StationCmd::Protect { with } => {
            let passphrase = match with {
                ProtectBy::Passphrase => Some(new_passphrase(PASSPHRASE_ENV)?),
                ProtectBy::Keystore => None,
            };
            let with = match &passphrase {
                Some(p) => ProtectWith::Passphrase(p),
                None => ProtectWith::OsKeyStore,
            };
            Engine::encrypt_plain(path, with)?;
            let custody = at_rest::custody(path)?;
            print(json, &json!({"protection": custody}), || {
                let mut text = format!(
                    "已加密站点数据库 {}：{}",
                    path.display(),
                    custody_text(&custody)
                );
                if matches!(custody, Custody::OsKeyStore { .. }) {
                    text.push_str("。注意：密钥只在本机本账户的系统密钥库中，数据库文件的备份换一台电脑或账户无法打开");
                }
                text
            })
        }
        StationCmd::Passphrase => {
            at_rest::require_passphrase_custody(path)?;
            let old = current_passphrase()?;
            let new = new_passphrase(NEW_PASSPHRASE_ENV)?;
            at_rest::change_passphrase(path, &old, &new)?;
            print(json, &json!({"changed": true}), || {
                "站点口令已修改。数据库密钥不变：先前备份的 .key 文件仍可用旧口令打开".into()
            })
        }
    }
}

pub fn demo(e: &mut Engine, cases: u64, json: bool) -> Result<()> {
    let clerk = yichuang_engine::demo::seed_demo(e)?;
    let start: i64 = e
        .connection()
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    yichuang_engine::demo::seed_synthetic(e, &clerk, cases, start as u64)?;
    print(
        json,
        &json!({"logged_in": clerk.staff_no, "synthetic_cases": cases}),
        || {
            format!(
                "演示数据已就绪：账号 0001 管理员 / 1001 领导 / 2001、2002 窗口人员，密码均为 {}；当前登录 {} {}",
                yichuang_engine::demo::DEMO_PASSWORD,
                clerk.staff_no,
                clerk.name
            )
        },
    )
}
