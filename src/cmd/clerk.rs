//! `clerk`, `login`, `logout`, `whoami`: accounts and the counter session.

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::clerk::Role;
use yichuang_engine::{Engine, Error, Result};

use super::{actor, password, print};

#[derive(Subcommand)]
pub enum ClerkCmd {
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

pub fn run(e: &Engine, cmd: ClerkCmd, json: bool) -> Result<()> {
    match cmd {
        ClerkCmd::Add {
            staff_no,
            name,
            role,
            password: pw,
        } => {
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
        ClerkCmd::List => {
            let list = e.clerks()?;
            print(json, &list, || {
                list.iter()
                    .map(|c| format!("{}\t{}\t{}", c.staff_no, c.name, c.role.label_zh()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

pub fn login(e: &Engine, staff_no: &str, pw: Option<String>, json: bool) -> Result<()> {
    let pw = password(pw, "密码")?;
    let c = e.login(staff_no, &pw)?;
    print(json, &c, || format!("{} {} 已登录", c.staff_no, c.name))
}

pub fn logout(e: &Engine, json: bool) -> Result<()> {
    e.logout()?;
    print(json, &json!({"logged_out": true}), || "已退出登录".into())
}

pub fn whoami(e: &Engine, json: bool) -> Result<()> {
    let c = actor(e)?;
    print(json, &c, || {
        format!("{} {}（{}）", c.staff_no, c.name, c.role.label_zh())
    })
}
