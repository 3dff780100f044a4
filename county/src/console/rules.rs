//! The console's decisions, without database or HTTP: roles and what each
//! may do, password and name rules, lockout and session arithmetic, and the
//! refusals (each a Chinese sentence naming the field). `pg/console.rs`
//! stores, `console/api.rs` asks; neither decides.

use serde::Serialize;

/// A county staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县级管理员: accounts, audit log, stations and releases.
    Admin,
    /// 营商环境/督查: reviews the 否定备案 register.
    Reviewer,
    /// 行政审批室: chases deadlines (限时办结, 挂牌督办).
    ApprovalOffice,
    /// 领导: reads everything that is figures, changes nothing.
    Leader,
    /// 投诉受理: the complaint desk (a later issue gives it its pages).
    Complaints,
}

pub const ALL_ROLES: [Role; 5] = [
    Role::Admin,
    Role::Reviewer,
    Role::ApprovalOffice,
    Role::Leader,
    Role::Complaints,
];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::ApprovalOffice => "approval_office",
            Role::Leader => "leader",
            Role::Complaints => "complaints",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        ALL_ROLES.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "县级管理员",
            Role::Reviewer => "营商环境/督查",
            Role::ApprovalOffice => "行政审批室",
            Role::Leader => "领导（只读）",
            Role::Complaints => "投诉受理",
        }
    }
}

/// What a console request does; every endpoint names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// 总览: the county's figures.
    ViewOverview,
    /// 账号: list, add, change, disable staff.
    ManageStaff,
    /// 审计日志.
    ViewAudit,
    /// 好差评: figures by station, clerk and item, the ranking, every bad answer.
    ViewEvaluations,
    /// 否定备案审查: the register, its notices, the findings, the 通报 figures.
    ViewFilings,
    /// Marking a filing 合规 or 存疑 (营商环境/督查 only).
    ReviewFilings,
    /// 时限督办: overdue and at-risk cases across stations, the flags.
    ViewDeadlines,
    /// Raising and lifting 挂牌督办 flags (行政审批室 only).
    SuperviseCases,
    /// 办件详情: one case's history, notices and 好差评 (applicant masked).
    ViewCases,
    /// 发布: the published releases, staged uploads, stations' versions.
    ViewReleases,
    /// 发布: upload, check and publish a catalog, calendar or templates file.
    PublishReleases,
    /// 站点与设备, 隔离区: devices, sync health, chain status, quarantine.
    ViewStations,
    /// Enrolment codes, revoking and letting devices back in, resetting a
    /// forked log, re-verifying the chains.
    ManageDevices,
}

pub const ALL_CAPABILITIES: [Capability; 13] = [
    Capability::ViewOverview,
    Capability::ViewEvaluations,
    Capability::ViewFilings,
    Capability::ReviewFilings,
    Capability::ViewDeadlines,
    Capability::SuperviseCases,
    Capability::ViewCases,
    Capability::ManageStaff,
    Capability::ViewAudit,
    Capability::ViewReleases,
    Capability::PublishReleases,
    Capability::ViewStations,
    Capability::ManageDevices,
];

/// The permission table: the one place that says who may do what.
pub fn may(role: Role, cap: Capability) -> bool {
    use Capability::*;
    match cap {
        ViewOverview => matches!(
            role,
            Role::Admin | Role::Reviewer | Role::ApprovalOffice | Role::Leader
        ),
        // The complaint desk answers for the bad ratings; the 行政审批室
        // chases deadlines, not ratings.
        ViewEvaluations => matches!(
            role,
            Role::Admin | Role::Reviewer | Role::Leader | Role::Complaints
        ),
        ViewFilings => matches!(role, Role::Admin | Role::Reviewer | Role::Leader),
        // The reviewer checks the stations' refusals; nobody else marks them.
        ReviewFilings => role == Role::Reviewer,
        ViewDeadlines => matches!(
            role,
            Role::Admin | Role::Reviewer | Role::ApprovalOffice | Role::Leader
        ),
        // 挂牌督办 is the 行政审批室's act.
        SuperviseCases => role == Role::ApprovalOffice,
        // Every office that follows cases up; the complaint desk answers
        // for them.
        ViewCases => true,
        // Leaders read which version each station runs; only the
        // administrator changes what the stations receive.
        ViewReleases => matches!(role, Role::Admin | Role::Leader),
        ManageStaff | ViewAudit | PublishReleases => role == Role::Admin,
        // The complaint desk has no use for devices; the others read the
        // stations' health, only the administrator acts on devices.
        ViewStations => matches!(
            role,
            Role::Admin | Role::Reviewer | Role::ApprovalOffice | Role::Leader
        ),
        ManageDevices => role == Role::Admin,
    }
}

pub fn capabilities(role: Role) -> Vec<Capability> {
    ALL_CAPABILITIES
        .into_iter()
        .filter(|c| may(role, *c))
        .collect()
}

/// Why a console request is refused (the HTTP mapping is `error.rs`'s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A field is wrong; nothing was changed.
    #[error("invalid {field}: {zh}")]
    Invalid { field: &'static str, zh: String },
    #[error("wrong login name or password")]
    BadCredentials,
    #[error("locked after repeated failures until {until_ms}")]
    Locked { until_ms: i64 },
    #[error("not logged in")]
    NotLoggedIn,
    #[error("role may not {0:?}")]
    Forbidden(Capability),
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("no such {0}")]
    NotFound(&'static str),
}

impl Refusal {
    pub fn invalid(field: &'static str, zh: impl Into<String>) -> Refusal {
        Refusal::Invalid {
            field,
            zh: zh.into(),
        }
    }

    /// The sentence the console shows.
    pub fn message_zh(&self) -> String {
        match self {
            Refusal::Invalid { zh, .. } => zh.clone(),
            Refusal::BadCredentials => "登录名或密码错误".into(),
            Refusal::Locked { until_ms } => {
                let minutes = ((until_ms - crate::now_ms()).max(0) + 59_999) / 60_000;
                let minutes = minutes.max(1);
                format!("连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试")
            }
            Refusal::NotLoggedIn => "请先登录".into(),
            Refusal::Forbidden(_) => "您的角色无权进行此操作".into(),
            Refusal::Csrf => "页面已过期，请刷新后重试".into(),
            Refusal::NotFound(_) => "未找到".into(),
        }
    }
}

pub fn require(role: Role, cap: Capability) -> Result<(), Refusal> {
    if may(role, cap) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(cap))
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A login name as typed: trimmed and lower-cased, so `Admin` and `admin`
/// are one account (and one lockout).
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// A new account's login name: 3–32 of a–z, 0–9, `.`, `_`, `-`.
pub fn check_login(login: &str) -> Result<String, Refusal> {
    let l = normalise_login(login);
    let n = l.chars().count();
    if !(3..=32).contains(&n) {
        return Err(Refusal::invalid("login", "登录名应为 3 至 32 个字符"));
    }
    if !l
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(Refusal::invalid(
            "login",
            "登录名只能包含小写字母、数字、点、下划线和连字符",
        ));
    }
    Ok(l)
}

/// A person's name as the console shows it: 1–32 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, Refusal> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Refusal::invalid("name", "姓名不能为空"));
    }
    if n.chars().count() > 32 {
        return Err(Refusal::invalid("name", "姓名不超过 32 个字符"));
    }
    if n.chars().any(char::is_control) {
        return Err(Refusal::invalid("name", "姓名不能包含控制字符"));
    }
    Ok(n.to_owned())
}

/// The fields of the console's forms with their Chinese labels (a refused
/// body names the field by these).
pub fn field_label(name: &str) -> Option<(&'static str, &'static str)> {
    [
        ("login", "登录名"),
        ("name", "姓名"),
        ("role", "角色"),
        ("password", "密码"),
        ("disabled", "停用"),
        ("log_id", "备案所在日志"),
        ("seq", "备案序号"),
        ("verdict", "审查结论"),
        ("comment", "审查意见"),
        ("case_no", "办件编号"),
        ("note", "督办说明"),
        ("station_code", "站点编码"),
        ("reason", "原因"),
    ]
    .into_iter()
    .find(|(f, _)| *f == name)
}

pub fn check_role(role: &str) -> Result<Role, Refusal> {
    Role::parse(role.trim()).ok_or_else(|| {
        let names: Vec<&str> = ALL_ROLES.iter().map(|r| r.as_str()).collect();
        Refusal::invalid("role", format!("角色无效，应为：{}", names.join("、")))
    })
}

/// A password: at least 10 characters, at most 128, not the login name.
pub fn check_password(password: &str, login: &str) -> Result<(), Refusal> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Refusal::invalid(
            "password",
            format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Refusal::invalid(
            "password",
            format!("密码不超过 {MAX_PASSWORD_CHARS} 个字符"),
        ));
    }
    let lower = password.to_lowercase();
    let login = normalise_login(login);
    if !login.is_empty() && lower.contains(&login) {
        return Err(Refusal::invalid("password", "密码不能包含登录名"));
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(c))
    {
        return Err(Refusal::invalid("password", "密码不能由同一个字符重复组成"));
    }
    Ok(())
}

/// Failures allowed within [`FAILURE_WINDOW_MS`] before the name is locked.
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW_MS: i64 = 15 * 60_000;
pub const LOCK_MS: i64 = 15 * 60_000;

/// A login name's failed attempts, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub failures: u32,
    pub first_at_ms: i64,
    pub locked_until_ms: i64,
}

/// `Some(until)` while the name is locked.
pub fn locked_until(f: Option<&Failures>, now_ms: i64) -> Option<i64> {
    f.map(|f| f.locked_until_ms).filter(|&u| u > now_ms)
}

/// The record after one more failure: counted within the window (an old
/// window starts afresh), locked for [`LOCK_MS`] at the [`MAX_FAILURES`]th.
pub fn after_failure(f: Option<&Failures>, now_ms: i64) -> Failures {
    let fresh = Failures {
        failures: 1,
        first_at_ms: now_ms,
        locked_until_ms: 0,
    };
    let mut next = match f {
        Some(f) if now_ms - f.first_at_ms <= FAILURE_WINDOW_MS && f.locked_until_ms <= now_ms => {
            Failures {
                failures: f.failures.saturating_add(1),
                ..*f
            }
        }
        _ => fresh,
    };
    if next.failures >= MAX_FAILURES {
        next.locked_until_ms = now_ms + LOCK_MS;
    }
    next
}

/// A session ends after this long without a request…
pub const IDLE_MS: i64 = 30 * 60_000;
/// …and this long after log-in, whatever happens.
pub const ABSOLUTE_MS: i64 = 12 * 3_600_000;

pub fn session_alive(created_ms: i64, last_seen_ms: i64, now_ms: i64) -> bool {
    now_ms - last_seen_ms <= IDLE_MS && now_ms - created_ms <= ABSOLUTE_MS && now_ms >= created_ms
}

/// The session cookie's name and attributes: never readable by scripts,
/// never sent cross-site, never over plain HTTP (a county LAN still gets
/// TLS in front, see docs/design/county-console.md).
pub const SESSION_COOKIE: &str = "yc_console";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/console; Secure; HttpOnly; SameSite=Strict")
}

pub fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/console; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The token from a `Cookie` header, if well-formed (64 hex digits).
pub fn token_from_cookie(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Constant-time comparison of two hex digests.
pub fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Audit actions, as stored in `staff_audit.action`.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login_failed";
    pub const LOCKED: &str = "locked";
    pub const LOGOUT: &str = "logout";
    pub const STAFF_ADDED: &str = "staff_added";
    pub const STAFF_CHANGED: &str = "staff_changed";
    pub const PASSWORD_SET: &str = "password_set";
    pub const REPROJECTED: &str = "reprojected";
    pub const EXPORTED: &str = "exported";
    pub const FILING_REVIEWED: &str = "filing_reviewed";
    pub const CASE_FLAGGED: &str = "case_flagged";
    pub const FLAG_LIFTED: &str = "flag_lifted";
    pub const RELEASE_UPLOADED: &str = "release_uploaded";
    pub const RELEASE_PUBLISHED: &str = "release_published";
    pub const CODE_ISSUED: &str = "code_issued";
    pub const DEVICE_REVOKED: &str = "device_revoked";
    pub const DEVICE_UNREVOKED: &str = "device_unrevoked";
    pub const LOG_RESET: &str = "log_reset";
    pub const CHAINS_VERIFIED: &str = "chains_verified";

    pub fn label_zh(a: &str) -> &'static str {
        match a {
            LOGIN => "登录",
            LOGIN_FAILED => "登录失败",
            LOCKED => "账号锁定",
            LOGOUT => "退出",
            STAFF_ADDED => "新增账号",
            STAFF_CHANGED => "修改账号",
            PASSWORD_SET => "设置密码",
            REPROJECTED => "重建投影",
            EXPORTED => "导出表格",
            FILING_REVIEWED => "否定备案审查",
            CASE_FLAGGED => "挂牌督办",
            FLAG_LIFTED => "撤销督办",
            RELEASE_UPLOADED => "上传发布文件",
            RELEASE_PUBLISHED => "发布数据",
            CODE_ISSUED => "签发注册码",
            DEVICE_REVOKED => "停用设备",
            DEVICE_UNREVOKED => "恢复设备",
            LOG_RESET => "重置设备日志",
            CHAINS_VERIFIED => "校验哈希链",
            _ => "其他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_its_part() {
        assert!(may(Role::Admin, Capability::ManageStaff));
        assert!(may(Role::Admin, Capability::ViewAudit));
        for r in [
            Role::Reviewer,
            Role::ApprovalOffice,
            Role::Leader,
            Role::Complaints,
        ] {
            assert!(!may(r, Capability::ManageStaff), "{r:?}");
            assert!(!may(r, Capability::ViewAudit), "{r:?}");
        }
        for r in [
            Role::Admin,
            Role::Reviewer,
            Role::ApprovalOffice,
            Role::Leader,
        ] {
            assert!(may(r, Capability::ViewOverview), "{r:?}");
        }
        assert!(!may(Role::Complaints, Capability::ViewOverview));
        assert!(may(Role::Admin, Capability::PublishReleases));
        assert!(may(Role::Leader, Capability::ViewReleases));
        for r in [Role::Reviewer, Role::ApprovalOffice, Role::Complaints] {
            assert!(!may(r, Capability::ViewReleases), "{r:?}");
        }
        for r in [
            Role::Reviewer,
            Role::ApprovalOffice,
            Role::Leader,
            Role::Complaints,
        ] {
            assert!(!may(r, Capability::PublishReleases), "{r:?}");
        }
        for r in [
            Role::Admin,
            Role::Reviewer,
            Role::ApprovalOffice,
            Role::Leader,
        ] {
            assert!(may(r, Capability::ViewStations), "{r:?}");
            assert_eq!(may(r, Capability::ManageDevices), r == Role::Admin, "{r:?}");
        }
        assert!(!may(Role::Complaints, Capability::ViewStations));
        assert!(!may(Role::Complaints, Capability::ManageDevices));
        assert_eq!(
            require(Role::Leader, Capability::ManageStaff),
            Err(Refusal::Forbidden(Capability::ManageStaff))
        );
        for r in ALL_ROLES {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn passwords_and_names_are_checked_with_the_field_named() {
        let field = |r: Result<(), Refusal>| match r {
            Err(Refusal::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(check_password("short", "wang")), "password");
        assert_eq!(
            field(check_password("wang.xiaoming1", "wang.xiaoming")),
            "password"
        );
        assert_eq!(field(check_password("aaaaaaaaaaaa", "wang")), "password");
        assert!(check_password("县城窗口督查2026", "wang").is_ok());
        assert_eq!(check_login(" Wang.Li ").unwrap(), "wang.li");
        assert!(matches!(
            check_login("王"),
            Err(Refusal::Invalid { field: "login", .. })
        ));
        assert!(matches!(
            check_login("a b c"),
            Err(Refusal::Invalid { field: "login", .. })
        ));
        assert!(matches!(
            check_name("  "),
            Err(Refusal::Invalid { field: "name", .. })
        ));
        assert!(matches!(
            check_role("boss"),
            Err(Refusal::Invalid { field: "role", .. })
        ));
        assert_eq!(check_role("leader").unwrap(), Role::Leader);
    }

    #[test]
    fn five_failures_in_the_window_lock_for_fifteen_minutes() {
        let t0 = 1_000_000;
        let mut f: Option<Failures> = None;
        for i in 0..MAX_FAILURES {
            assert_eq!(locked_until(f.as_ref(), t0 + i as i64), None);
            f = Some(after_failure(f.as_ref(), t0 + i as i64));
        }
        let until = locked_until(f.as_ref(), t0 + 10).expect("locked");
        assert_eq!(until, t0 + 4 + LOCK_MS);
        assert_eq!(
            locked_until(f.as_ref(), until + 1),
            None,
            "the lock runs out"
        );
        // After the lock, counting starts afresh.
        assert_eq!(after_failure(f.as_ref(), until + 1).failures, 1);
        // Failures spread wider than the window never lock.
        let mut g = None;
        for i in 0..10 {
            g = Some(after_failure(
                g.as_ref(),
                t0 + i * (FAILURE_WINDOW_MS / 2 + 1),
            ));
        }
        assert_eq!(locked_until(g.as_ref(), t0 + 10 * FAILURE_WINDOW_MS), None);
    }

    #[test]
    fn sessions_expire_when_idle_and_absolutely() {
        let t0 = 5_000_000;
        assert!(session_alive(t0, t0, t0 + IDLE_MS));
        assert!(!session_alive(t0, t0, t0 + IDLE_MS + 1));
        assert!(session_alive(t0, t0 + ABSOLUTE_MS - 1, t0 + ABSOLUTE_MS));
        assert!(!session_alive(t0, t0 + ABSOLUTE_MS, t0 + ABSOLUTE_MS + 1));
        assert!(!session_alive(t0, t0, t0 - 1), "a clock moved back ends it");
    }

    #[test]
    fn cookies_carry_only_a_well_formed_token() {
        let t = "ab".repeat(32);
        assert!(session_cookie(&t).contains("Secure; HttpOnly; SameSite=Strict"));
        assert_eq!(
            token_from_cookie(&format!("x=1; yc_console={t}")),
            Some(t.as_str())
        );
        assert_eq!(token_from_cookie("yc_console=zz"), None);
        assert_eq!(token_from_cookie("other=1"), None);
        assert!(same_digest("abcd", "abcd"));
        assert!(!same_digest("abcd", "abce"));
        assert!(!same_digest("abcd", "abc"));
    }
}
