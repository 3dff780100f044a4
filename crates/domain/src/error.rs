//! Typed engine errors. `Display` is English (for logs); [`Error::user_message`]
//! is the Chinese sentence shown to clerks.

use crate::lifecycle::{Action, CaseState, UnknownName};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The station database (the engine's store) failed.
    #[cfg(feature = "sqlite")]
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A field supplied by a user failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid {
        field: String,
        reason: String,
        zh: String,
    },
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    #[error("case {case_no}: action '{action}' is not allowed in state {from}")]
    IllegalTransition {
        case_no: String,
        from: CaseState,
        action: &'static str,
    },
    /// A business rule refused the action (容缺 guard, approval guard, …).
    #[error("rule violated ({rule}): {en}")]
    Rule {
        rule: &'static str,
        en: String,
        zh: String,
    },
    #[error("authentication failed for staff number {0}")]
    AuthFailed(String),
    #[error("no clerk is logged in at this counter")]
    NotLoggedIn,
    /// Too many wrong passwords: refused until the time given (HH:MM).
    #[error("staff number locked for {purpose} until {until}")]
    Locked {
        purpose: &'static str,
        until: String,
    },
    /// The counter was locked (idle, or by the clerk): the password unlocks it.
    #[error("the counter session is locked")]
    SessionLocked { staff_no: String },
    /// An administrator reset the password: it must be changed first.
    #[error("password change required for {0}")]
    PasswordChangeRequired(String),
    #[error("role {role} may not {action}")]
    Forbidden { role: String, action: &'static str },
    #[error("catalog {file}: item {item}: field {field}: {reason}")]
    Catalog {
        file: String,
        item: String,
        field: String,
        reason: String,
    },
    #[error("calendar: {0}")]
    Calendar(String),
    #[error("station database is not initialised (run `yichuang init`)")]
    NotInitialised,
    #[error("station database is already initialised")]
    AlreadyInitialised,
    #[error("database schema version {found} is newer than this program ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("event chain broken: {0}")]
    Chain(#[from] yichuang_wire::ChainError),
    #[error("sync: {en}")]
    Sync {
        en: String,
        zh: String,
        retryable: bool,
    },
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The 台账 workbook could not be made (a limit of the format, a write).
    #[error("workbook: {0}")]
    Workbook(String),
    /// Encryption at rest: the database's key, its custody, the encrypted file
    /// (`what` names the case, e.g. `locked`, `wrong_passphrase`; see `at_rest`).
    #[error("encryption at rest ({what}): {en}")]
    AtRest {
        what: &'static str,
        en: String,
        zh: String,
    },
    /// Backups and restores (`what` names the case: `no_folder`,
    /// `verify_failed`, `restore_pending`, …; see `ops/backup.rs`).
    #[error("backup ({what}): {en}")]
    Backup {
        what: &'static str,
        en: String,
        zh: String,
    },
}

impl From<UnknownName> for Error {
    fn from(e: UnknownName) -> Self {
        Error::Invalid {
            field: e.field.to_owned(),
            reason: e.to_string(),
            zh: e.zh,
        }
    }
}

impl Error {
    pub fn invalid(field: &str, reason: impl Into<String>, zh: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
            zh: zh.into(),
        }
    }

    pub fn at_rest(what: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Error::AtRest {
            what,
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn backup(what: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Error::Backup {
            what,
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn rule(rule: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Error::Rule {
            rule,
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// One sentence in Chinese for the person at the counter.
    pub fn user_message(&self) -> String {
        match self {
            #[cfg(feature = "sqlite")]
            Error::Db(e) => format!("数据库操作失败，数据未改动（{e}）"),
            Error::Io { path, source } => format!("无法读写文件“{path}”：{source}"),
            Error::Invalid { zh, .. }
            | Error::Rule { zh, .. }
            | Error::AtRest { zh, .. }
            | Error::Backup { zh, .. } => zh.clone(),
            Error::NotFound { what, key } => format!("未找到{}：{key}", what_zh(what)),
            Error::IllegalTransition {
                case_no,
                from,
                action,
            } => format!(
                "办件 {case_no} 当前状态为“{}”，不能执行“{}”",
                from.label_zh(),
                action_zh(action)
            ),
            Error::AuthFailed(staff) => format!("工号 {staff} 或密码不正确"),
            Error::NotLoggedIn => "当前窗口没有登录的工作人员，请先登录".into(),
            Error::Locked { purpose, until } => format!(
                "连续输错密码次数过多，{}已锁定至 {until}；请稍后再试，或请管理员解除锁定",
                if *purpose == "approval" {
                    "该工号的领导审批"
                } else {
                    "该工号"
                }
            ),
            Error::SessionLocked { staff_no } => {
                format!("窗口已锁定，请工号 {staff_no} 输入密码解锁，或换人登录")
            }
            Error::PasswordChangeRequired(_) => {
                "密码已由管理员重置，请先设置新密码再办理业务".into()
            }
            Error::Forbidden { action, .. } => {
                format!("当前账号无权{}", action_zh(action))
            }
            Error::Catalog {
                file,
                item,
                field,
                reason,
            } => format!(
                "事项清单文件“{file}”有误：事项 {item} 的字段 {field}：{reason}。原有清单保持不变"
            ),
            Error::Calendar(e) => format!("工作日历数据有误：{e}"),
            Error::NotInitialised => "本站数据库尚未初始化，请先执行 yichuang init".into(),
            Error::AlreadyInitialised => "本站数据库已经初始化过，不能重复初始化".into(),
            Error::SchemaTooNew { .. } => "数据库版本比本程序新，请升级一窗软件".into(),
            Error::Chain(e) => format!("事件日志校验失败：第 {} 条记录被篡改或缺失", e.seq()),
            Error::Json(e) => format!("数据格式错误：{e}"),
            Error::Workbook(e) => format!("台账文件生成失败，未保存任何文件（{e}）"),
            Error::Sync { zh, .. } => zh.clone(),
        }
    }
}

fn what_zh(what: &str) -> &str {
    match what {
        "case" => "办件",
        "item" => "事项",
        "clerk" => "工作人员",
        "material" => "材料",
        "notice" => "文书",
        "evaluation" => "评价记录",
        "setting" => "设置项",
        "catalog" => "事项清单",
        "templates" => "文书模板",
        _ => what,
    }
}

pub(crate) fn action_zh(action: &str) -> &str {
    if let Some(a) = Action::from_name(action) {
        return a.label_zh();
    }
    match action {
        "issue_notice" => "出具文书",
        "manage_clerks" => "管理工作人员",
        "import_catalog" => "导入事项清单",
        "change_settings" => "修改设置",
        "enroll" => "在县级服务器注册本站",
        "import_calendar" => "导入工作日历",
        "import_templates" => "导入文书模板",
        "view_register" => "查看否定备案登记簿",
        "view_statistics" => "查看好差评统计",
        "view_id_reveals" => "查看身份证号查看记录",
        "void_notice" => "作废文书",
        "back_up" => "备份本站数据",
        "request_evaluation" => "发起好差评",
        "enter_paper_evaluation" => "录入纸质评价表",
        "answer_evaluation" => "代替办事人评价",
        _ => action,
    }
}
