//! Clerks (工作人员) and their roles: who may do what at the counter. Pure:
//! accounts and passwords are kept by `ops::accounts`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Clerk,
    Leader,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Leader => "leader",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "clerk" | "窗口人员" => Ok(Role::Clerk),
            "leader" | "领导" => Ok(Role::Leader),
            "admin" | "管理员" => Ok(Role::Admin),
            _ => Err(Error::invalid(
                "role",
                format!("unknown role {s}"),
                format!("角色“{s}”无效，应为 clerk、leader 或 admin"),
            )),
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Clerk => "窗口人员",
            Role::Leader => "领导",
            Role::Admin => "管理员",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clerk {
    pub id: i64,
    pub staff_no: String,
    pub name: String,
    pub role: Role,
}

impl Clerk {
    /// Admins may do everything a leader may; leaders everything a clerk may.
    pub fn require(&self, role: Role, action: &'static str) -> Result<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Error::Forbidden {
                role: self.role.as_str().into(),
                action,
            })
        }
    }
}

/// The shortest password an account may have.
pub const MIN_PASSWORD_CHARS: usize = 6;

pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            "password too short",
            format!("密码至少需要{MIN_PASSWORD_CHARS}位"),
        ));
    }
    Ok(())
}
