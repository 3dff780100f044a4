//! Adding and changing staff accounts: the rules' checks, the hash, the
//! stored row and its audit line, for the console API and the `staff add`
//! command alike. Nothing changes unless every field passes.

use serde::{Deserialize, Serialize};

use super::auth;
use super::rules::{self, Refusal, Role, action};
use crate::storage::{Console, NewAudit, StaffChange, StaffRecord, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Who acts: a logged-in administrator, or the server's own command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: Option<i64>,
    pub login: String,
    pub address: String,
}

impl Actor {
    pub fn command_line() -> Actor {
        Actor {
            staff_id: None,
            login: "(command line)".into(),
            address: "local".into(),
        }
    }

    fn audit<'a>(&'a self, action: &'a str, detail: &'a str) -> NewAudit<'a> {
        NewAudit {
            staff_id: self.staff_id,
            login: &self.login,
            action,
            detail,
            address: &self.address,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewStaff {
    pub login: String,
    pub name: String,
    pub role: String,
    pub password: String,
}

/// A staff account as the console shows it (never the hash).
#[derive(Debug, Clone, Serialize)]
pub struct StaffView {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: String,
    pub role_zh: &'static str,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&StaffRecord> for StaffView {
    fn from(s: &StaffRecord) -> Self {
        StaffView {
            id: s.id,
            login: s.login.clone(),
            name: s.name.clone(),
            role: s.role.clone(),
            role_zh: Role::parse(&s.role).map_or("未知", Role::label_zh),
            disabled: s.disabled,
            created_at: s.created_at.clone(),
        }
    }
}

pub async fn add_staff<S: Console>(
    storage: &S,
    actor: &Actor,
    input: &NewStaff,
) -> Result<StaffView, AccountError> {
    let login = rules::check_login(&input.login)?;
    let name = rules::check_name(&input.name)?;
    let role = rules::check_role(&input.role)?;
    rules::check_password(&input.password, &login)?;
    let password = input.password.clone();
    let hash = auth::blocking(move || auth::hash_password(&password)).await??;
    let detail = format!("login={login} role={}", role.as_str());
    let id = storage
        .add_staff(
            &login,
            &name,
            role.as_str(),
            &hash,
            actor.audit(action::STAFF_ADDED, &detail),
        )
        .await?
        .ok_or_else(|| Refusal::invalid("login", format!("登录名“{login}”已被使用")))?;
    let s = storage
        .staff_by_id(id)
        .await?
        .ok_or(Refusal::NotFound("staff"))?;
    Ok(StaffView::from(&s))
}

/// A change asked for; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChangeStaff {
    pub name: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

pub async fn change_staff<S: Console>(
    storage: &S,
    actor: &Actor,
    id: i64,
    input: &ChangeStaff,
) -> Result<StaffView, AccountError> {
    let current = storage
        .staff_by_id(id)
        .await?
        .ok_or(Refusal::NotFound("staff"))?;
    let name = input.name.as_deref().map(rules::check_name).transpose()?;
    let role = input.role.as_deref().map(rules::check_role).transpose()?;
    if let Some(p) = &input.password {
        rules::check_password(p, &current.login)?;
    }
    // The county must keep someone who can manage accounts.
    let stays_admin = role.map_or(current.role == Role::Admin.as_str(), |r| r == Role::Admin)
        && !input.disabled.unwrap_or(current.disabled);
    if current.role == Role::Admin.as_str() && !current.disabled && !stays_admin {
        let others = storage
            .list_staff()
            .await?
            .iter()
            .filter(|s| s.id != id && s.role == Role::Admin.as_str() && !s.disabled)
            .count();
        if others == 0 {
            return Err(Refusal::invalid("role", "至少保留一名可用的县级管理员").into());
        }
    }
    let password_hash = match input.password.clone() {
        Some(p) => Some(auth::blocking(move || auth::hash_password(&p)).await??),
        None => None,
    };
    let mut detail = vec![format!("login={}", current.login)];
    if let Some(n) = &name {
        detail.push(format!("name={n}"));
    }
    if let Some(r) = role {
        detail.push(format!("role={}", r.as_str()));
    }
    if let Some(d) = input.disabled {
        detail.push(format!("disabled={d}"));
    }
    if password_hash.is_some() {
        detail.push("password".into());
    }
    let detail = detail.join(" ");
    let what = if password_hash.is_some()
        && name.is_none()
        && role.is_none()
        && input.disabled.is_none()
    {
        action::PASSWORD_SET
    } else {
        action::STAFF_CHANGED
    };
    let change = StaffChange {
        name,
        role: role.map(|r| r.as_str().to_owned()),
        disabled: input.disabled,
        password_hash,
    };
    if !storage
        .change_staff(id, &change, actor.audit(what, &detail))
        .await?
    {
        return Err(Refusal::NotFound("staff").into());
    }
    let s = storage
        .staff_by_id(id)
        .await?
        .ok_or(Refusal::NotFound("staff"))?;
    Ok(StaffView::from(&s))
}
