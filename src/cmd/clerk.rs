//! `clerk`, `login`, `logout`, `whoami`: accounts and the counter session.

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::accounts::AccountChange;
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
    /// 账号列表（管理员，含已停用）
    List,
    /// 修改姓名、角色或窗口号（管理员）
    Update {
        staff_no: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        window: Option<String>,
    },
    /// 停用账号（管理员，须写明原因）
    Disable {
        staff_no: String,
        #[arg(long)]
        reason: String,
    },
    /// 重新启用账号（管理员，须写明原因）
    Enable {
        staff_no: String,
        #[arg(long)]
        reason: String,
    },
    /// 重置密码（管理员；下次登录须改密码）
    ResetPassword {
        staff_no: String,
        #[arg(long, env = "YICHUANG_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// 解除因输错密码造成的锁定（管理员）
    Unlock { staff_no: String },
    /// 修改自己的密码
    Passwd {
        staff_no: String,
        #[arg(long, env = "YICHUANG_PASSWORD", hide_env_values = true)]
        old: Option<String>,
        #[arg(long, env = "YICHUANG_NEW_PASSWORD", hide_env_values = true)]
        new: Option<String>,
    },
}

fn show_account(a: &yichuang_engine::accounts::Account) -> String {
    let status = if !a.active {
        format!("已停用（{}）", a.disabled_reason.as_deref().unwrap_or(""))
    } else if let Some(t) = &a.locked_until {
        format!("已锁定至 {t}")
    } else if a.must_change_password {
        "待改密码".into()
    } else {
        "在用".into()
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\t最近登录 {}",
        a.clerk.staff_no,
        a.clerk.name,
        a.role_zh,
        a.clerk.window_no,
        status,
        a.last_login_at.as_deref().unwrap_or("—")
    )
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
            let list = e.accounts(&actor(e)?)?;
            print(json, &list, || {
                list.iter().map(show_account).collect::<Vec<_>>().join("\n")
            })
        }
        ClerkCmd::Update {
            staff_no,
            name,
            role,
            window,
        } => {
            let change = AccountChange {
                name,
                role: role.as_deref().map(Role::parse).transpose()?,
                window_no: window,
            };
            let a = e.update_account(&actor(e)?, &staff_no, &change)?;
            print(json, &a, || format!("已修改：{}", show_account(&a)))
        }
        ClerkCmd::Disable { staff_no, reason } => {
            let a = e.disable_clerk(&actor(e)?, &staff_no, &reason)?;
            print(json, &a, || format!("已停用：{}", show_account(&a)))
        }
        ClerkCmd::Enable { staff_no, reason } => {
            let a = e.enable_clerk(&actor(e)?, &staff_no, &reason)?;
            print(json, &a, || format!("已启用：{}", show_account(&a)))
        }
        ClerkCmd::ResetPassword {
            staff_no,
            password: pw,
        } => {
            let pw = password(pw, "临时密码")?;
            let a = e.reset_password(&actor(e)?, &staff_no, &pw)?;
            print(json, &a, || {
                format!("已重置 {} 的密码，下次登录须修改", a.clerk.staff_no)
            })
        }
        ClerkCmd::Unlock { staff_no } => {
            e.lift_lockout(&actor(e)?, &staff_no)?;
            print(json, &json!({"unlocked": staff_no}), || {
                format!("已解除 {staff_no} 的锁定")
            })
        }
        ClerkCmd::Passwd { staff_no, old, new } => {
            let old = password(old, "原密码")?;
            let new = password(new, "新密码")?;
            e.change_password(&staff_no, &old, &new)?;
            print(json, &json!({"changed": staff_no}), || "密码已修改".into())
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
