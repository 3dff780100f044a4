//! Clerks (工作人员) and their roles: who may do what at the counter. Pure:
//! accounts and passwords are kept by `ops::accounts`.

use chrono::{DateTime, Duration, FixedOffset};
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
    /// The window (窗口号) the clerk usually serves at; may be empty.
    pub window_no: String,
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

    /// Refuses unless the clerk's role holds `capability` of [`CAPABILITIES`].
    pub fn require_capability(&self, capability: &'static str) -> Result<()> {
        if self.role.may(capability) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                role: self.role.as_str().into(),
                action: capability,
            })
        }
    }
}

/// The actions a role is checked for, with the least role that may take
/// them; the engine's checks use these names, and the window shows what a
/// role may do from [`Role::capabilities`] instead of restating the table.
///
/// 好差评: every staff role may ask for a rating and enter a paper form (the
/// engine also refuses whoever served the case); no role holds
/// [`ANSWER_EVALUATION`]: only the applicant answers, on the applicant screen.
pub const CAPABILITIES: &[(&str, Role)] = &[
    ("request_evaluation", Role::Clerk),
    ("enter_paper_evaluation", Role::Clerk),
    ("approve_rejection", Role::Leader),
    ("view_register", Role::Leader),
    ("view_statistics", Role::Leader),
    ("view_id_reveals", Role::Leader),
    // The 台账 export (R18): the whole station's cases, and ID numbers in
    // full. Without them a clerk exports the cases they handle, masked.
    ("export_station_ledger", Role::Leader),
    ("ledger_full_ids", Role::Leader),
    ("manage_clerks", Role::Admin),
    ("import_catalog", Role::Admin),
    ("import_calendar", Role::Admin),
    ("change_settings", Role::Admin),
    ("enroll", Role::Admin),
    ("back_up", Role::Admin),
];

/// Answering a 好差评: in no role's capabilities, deliberately.
pub const ANSWER_EVALUATION: &str = "answer_evaluation";

impl Role {
    /// The names in [`CAPABILITIES`] this role holds.
    pub fn capabilities(self) -> Vec<&'static str> {
        CAPABILITIES
            .iter()
            .filter(|(_, least)| self >= *least)
            .map(|(name, _)| *name)
            .collect()
    }

    /// Whether this role holds the capability `name` of [`CAPABILITIES`]
    /// (a name not in the table is held by nobody).
    pub fn may(self, name: &str) -> bool {
        CAPABILITIES
            .iter()
            .any(|(cap, least)| *cap == name && self >= *least)
    }
}

/// A staff number (工号): 1 to 16 ASCII letters or digits; returned trimmed.
pub fn check_staff_no(staff_no: &str) -> Result<&str> {
    let s = staff_no.trim();
    if s.is_empty() || s.len() > 16 || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            "staff_no",
            format!("bad staff number {s:?}"),
            "工号须为1至16位字母或数字",
        ));
    }
    Ok(s)
}

/// A person's name on an account: not empty, at most 32 characters.
pub fn check_name(name: &str) -> Result<&str> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 32 || n.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "bad name",
            "姓名不能为空且不超过32字",
        ));
    }
    Ok(n)
}

/// The shortest password an account may have.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// [`check_password`]'s rule in the words a form shows.
pub fn password_rule_zh() -> String {
    format!("至少{MIN_PASSWORD_CHARS}位，不能与工号相同")
}

/// A password for the account `staff_no`: at least [`MIN_PASSWORD_CHARS`]
/// characters, not the staff number, not one character repeated.
pub fn check_password(staff_no: &str, password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            "password too short",
            format!("密码至少需要{MIN_PASSWORD_CHARS}位"),
        ));
    }
    if password.trim().eq_ignore_ascii_case(staff_no.trim()) {
        return Err(Error::invalid(
            "password",
            "password equals the staff number",
            "密码不能与工号相同",
        ));
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(Error::invalid(
            "password",
            "password is one repeated character",
            "密码不能由同一个字符重复组成",
        ));
    }
    Ok(())
}

/// What a password is being checked for: each has its own failure count, so
/// a leader locked out of approvals can still log in at their own window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Login,
    Approval,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Approval => "approval",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Purpose::Login => "登录",
            Purpose::Approval => "领导审批",
        }
    }
}

/// Time-based lockout: after `max_failures` consecutive wrong passwords the
/// staff number is refused for `lock_minutes`, right password or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub lock_minutes: i64,
}

/// The failure count after one more wrong password, and the time until which
/// the number is locked if this failure reaches the limit.
pub fn after_failure(
    policy: LockoutPolicy,
    failures_before: i64,
    now: DateTime<FixedOffset>,
) -> (i64, Option<DateTime<FixedOffset>>) {
    let failures = failures_before.saturating_add(1);
    if failures >= policy.max_failures.max(1) {
        (
            failures,
            Some(now + Duration::minutes(policy.lock_minutes.max(1))),
        )
    } else {
        (failures, None)
    }
}

/// Whether a lock recorded until `locked_until` still holds at `now`.
pub fn is_locked(locked_until: Option<DateTime<FixedOffset>>, now: DateTime<FixedOffset>) -> bool {
    locked_until.is_some_and(|t| now < t)
}

/// Whether a session last active at `last_active` has been idle for
/// `idle_minutes` at `now` (0 turns the idle lock off).
pub fn idle_expired(
    last_active: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
    idle_minutes: i64,
) -> bool {
    idle_minutes > 0 && now - last_active >= Duration::minutes(idle_minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn capabilities_grow_with_the_role() {
        assert_eq!(
            Role::Clerk.capabilities(),
            ["request_evaluation", "enter_paper_evaluation"]
        );
        for role in [Role::Clerk, Role::Leader, Role::Admin] {
            assert!(
                !role.may(ANSWER_EVALUATION),
                "{role:?} may not answer for the applicant"
            );
        }
        let leader = Role::Leader.capabilities();
        assert!(leader.contains(&"approve_rejection") && !leader.contains(&"manage_clerks"));
        assert_eq!(Role::Admin.capabilities().len(), CAPABILITIES.len());
        assert!(Role::Leader.may("ledger_full_ids") && !Role::Clerk.may("ledger_full_ids"));
        assert!(!Role::Admin.may("no_such_capability"));
    }

    #[test]
    fn password_rules() {
        assert!(check_password("2001", "demo123").is_err());
        assert!(check_password("20010000", "20010000").is_err());
        assert!(check_password("A1", "aaaaaaaa").is_err());
        assert!(check_password("2001", "demo1234").is_ok());
        assert!(password_rule_zh().contains(&MIN_PASSWORD_CHARS.to_string()));
    }

    #[test]
    fn lockout_after_the_limit_for_its_minutes() {
        let p = LockoutPolicy {
            max_failures: 3,
            lock_minutes: 15,
        };
        let now = t("2026-11-23T09:30:00+08:00");
        assert_eq!(after_failure(p, 0, now), (1, None));
        assert_eq!(after_failure(p, 1, now), (2, None));
        let (n, until) = after_failure(p, 2, now);
        assert_eq!(n, 3);
        assert_eq!(until, Some(t("2026-11-23T09:45:00+08:00")));
        assert!(is_locked(until, t("2026-11-23T09:44:59+08:00")));
        assert!(!is_locked(until, t("2026-11-23T09:45:00+08:00")));
        assert!(!is_locked(None, now));
    }

    #[test]
    fn idle_lock() {
        let last = t("2026-11-23T09:30:00+08:00");
        assert!(!idle_expired(last, t("2026-11-23T09:39:59+08:00"), 10));
        assert!(idle_expired(last, t("2026-11-23T09:40:00+08:00"), 10));
        assert!(!idle_expired(last, t("2026-11-23T19:40:00+08:00"), 0));
    }
}
