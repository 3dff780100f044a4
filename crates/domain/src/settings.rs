//! The settings registry: every station setting with its Chinese label, its
//! default, how a value is checked and who may change it. The engine, the CLI
//! and the window all read this one table.

use serde::Serialize;

use crate::clerk::{Clerk, Role};
use crate::deadline::DEFAULT_AT_RISK_DAYS;
use crate::error::{Error, Result};
use crate::station::StationInfo;

/// What a setting's value is, and so how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum SettingKind {
    Text {
        max_chars: usize,
    },
    /// A whole number of days in `min..=max`.
    Days {
        min: i64,
        max: i64,
    },
    /// A whole number in `min..=max` (minutes, attempts …; the label says which).
    Integer {
        min: i64,
        max: i64,
    },
    /// Font files `path[#face]`, `;`-separated; each must exist.
    FontList,
    /// `1` on, `0` or empty off.
    Flag,
    /// A PEM file of certificates (empty: none); it must exist and hold one.
    CertificateFile,
    /// An absolute path of a folder (empty: none); it must exist when set.
    Folder,
}

/// A default derived from the station, so a new station prints correct
/// notices before anyone opens the settings form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    Empty,
    Literal(&'static str),
    /// `{county}` and `{station}` replaced by the station's.
    Pattern(&'static str),
}

/// Where a setting is shown in the settings form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Printer,
    Office,
    Deadline,
    Sync,
    Fonts,
    NoticeNumbers,
    Security,
    Backup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingDef {
    pub key: &'static str,
    pub label_zh: &'static str,
    #[serde(skip)]
    pub default: Default,
    pub kind: SettingKind,
    /// The least role that may change it.
    pub who: Role,
    pub group: Group,
}

const fn def(
    key: &'static str,
    label_zh: &'static str,
    default: Default,
    kind: SettingKind,
    who: Role,
    group: Group,
) -> SettingDef {
    SettingDef {
        key,
        label_zh,
        default,
        kind,
        who,
        group,
    }
}

const TEXT: SettingKind = SettingKind::Text { max_chars: 200 };

/// Every setting. The counter's own printer is the clerk's to change (a
/// jammed printer cannot wait for an administrator); the rest are the
/// administrator's.
pub const SETTINGS: &[SettingDef] = &[
    def(
        "printer.default",
        "本机默认打印机",
        Default::Empty,
        TEXT,
        Role::Clerk,
        Group::Printer,
    ),
    def(
        "office.name",
        "出文机关",
        Default::Pattern("{county}人力资源和社会保障局"),
        TEXT,
        Role::Admin,
        Group::Office,
    ),
    def(
        "office.address",
        "办公地址",
        Default::Empty,
        TEXT,
        Role::Admin,
        Group::Office,
    ),
    def(
        "station.acts_for",
        "本站代为受理的决定机关（事项清单中的机关代码，逗号分隔）",
        Default::Empty,
        TEXT,
        Role::Admin,
        Group::Office,
    ),
    def(
        "remedy.review_body",
        "行政复议机关",
        Default::Pattern("{county}人民政府"),
        TEXT,
        Role::Admin,
        Group::Office,
    ),
    def(
        "remedy.court",
        "人民法院",
        Default::Pattern("{county}人民法院"),
        TEXT,
        Role::Admin,
        Group::Office,
    ),
    def(
        "remedy.arbitration_commission",
        "劳动人事争议仲裁委员会",
        Default::Pattern("{county}劳动人事争议仲裁委员会"),
        TEXT,
        Role::Admin,
        Group::Office,
    ),
    def(
        "deadline.at_risk_days",
        "预警提前工作日",
        Default::Literal(AT_RISK_DEFAULT_TEXT),
        SettingKind::Days { min: 0, max: 60 },
        Role::Admin,
        Group::Deadline,
    ),
    def(
        EVALUATION_TIMEOUT_KEY,
        "好差评请求等待几分钟未作答记为默认",
        Default::Literal("5"),
        SettingKind::Integer { min: 1, max: 10080 },
        Role::Admin,
        Group::Deadline,
    ),
    def(
        "security.lockout_failures",
        "连续输错密码几次后锁定",
        Default::Literal("5"),
        SettingKind::Integer { min: 3, max: 10 },
        Role::Admin,
        Group::Security,
    ),
    def(
        "security.lockout_minutes",
        "锁定时长（分钟）",
        Default::Literal("15"),
        SettingKind::Integer { min: 1, max: 1440 },
        Role::Admin,
        Group::Security,
    ),
    def(
        "security.idle_lock_minutes",
        "窗口闲置几分钟后自动锁定（0 为不锁定）",
        Default::Literal("10"),
        SettingKind::Integer { min: 0, max: 240 },
        Role::Admin,
        Group::Security,
    ),
    def(
        "backup.folder",
        "备份文件夹（如 U 盘上的文件夹）",
        Default::Empty,
        SettingKind::Folder,
        Role::Admin,
        Group::Backup,
    ),
    def(
        "backup.interval_hours",
        "自动备份间隔（小时，0 为不自动备份）",
        Default::Literal("24"),
        SettingKind::Integer { min: 0, max: 720 },
        Role::Admin,
        Group::Backup,
    ),
    def(
        "backup.keep",
        "保留最近几份备份",
        Default::Literal("7"),
        SettingKind::Integer { min: 1, max: 100 },
        Role::Admin,
        Group::Backup,
    ),
    def(
        "sync.county_url",
        "县级服务器地址",
        Default::Empty,
        TEXT,
        Role::Admin,
        Group::Sync,
    ),
    def(
        "sync.county_ca_file",
        "县级服务器根证书（PEM 文件路径，县级自建 CA 时填写）",
        Default::Empty,
        SettingKind::CertificateFile,
        Role::Admin,
        Group::Sync,
    ),
    def(
        "fonts.body",
        "正文（仿宋/宋体）",
        Default::Empty,
        SettingKind::FontList,
        Role::Admin,
        Group::Fonts,
    ),
    def(
        "fonts.title",
        "标题（小标宋）",
        Default::Empty,
        SettingKind::FontList,
        Role::Admin,
        Group::Fonts,
    ),
    def(
        "fonts.heading",
        "小标题（黑体）",
        Default::Empty,
        SettingKind::FontList,
        Role::Admin,
        Group::Fonts,
    ),
    def(
        "fonts.fallback",
        "生僻字备用字体",
        Default::Empty,
        SettingKind::FontList,
        Role::Admin,
        Group::Fonts,
    ),
    def(
        "fonts.exclusive",
        "仅使用指定字体",
        Default::Empty,
        SettingKind::Flag,
        Role::Admin,
        Group::Fonts,
    ),
    def(
        "notice.prefix.one-time",
        "一次性告知单文号前缀",
        Default::Pattern("{county}{station}告字"),
        TEXT,
        Role::Admin,
        Group::NoticeNumbers,
    ),
    def(
        "notice.prefix.commitment",
        "容缺受理承诺告知书文号前缀",
        Default::Pattern("{county}{station}诺字"),
        TEXT,
        Role::Admin,
        Group::NoticeNumbers,
    ),
    def(
        "notice.prefix.rejection",
        "不予受理通知书文号前缀",
        Default::Pattern("{county}{station}不受字"),
        TEXT,
        Role::Admin,
        Group::NoticeNumbers,
    ),
    def(
        "notice.prefix.promise",
        "证明事项告知承诺书文号前缀",
        Default::Pattern("{county}{station}告承字"),
        TEXT,
        Role::Admin,
        Group::NoticeNumbers,
    ),
    def(
        "notice.prefix.receipt",
        "收件回执编号前缀",
        Default::Pattern("{county}{station}收字"),
        TEXT,
        Role::Admin,
        Group::NoticeNumbers,
    ),
    def(
        "notice.prefix.acceptance",
        "受理通知书文号前缀",
        Default::Pattern("{county}{station}受字"),
        TEXT,
        Role::Admin,
        Group::NoticeNumbers,
    ),
];

/// How long the applicant screen waits for an answer before the request
/// becomes 默认; each request keeps the time it was given.
pub const EVALUATION_TIMEOUT_KEY: &str = "evaluation.timeout_minutes";

// `DEFAULT_AT_RISK_DAYS` as the stored text; a test keeps the two equal.
const AT_RISK_DEFAULT_TEXT: &str = "2";

/// The bodies a station is a window of, from the setting `station.acts_for`
/// (keys separated by commas, 、 or spaces).
pub fn acts_for(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The registry entry of `key`.
pub fn setting_def(key: &str) -> Result<&'static SettingDef> {
    SETTINGS.iter().find(|d| d.key == key).ok_or_else(|| {
        Error::invalid(
            "key",
            format!("unknown setting {key:?}"),
            format!("没有名为“{key}”的设置项"),
        )
    })
}

impl SettingDef {
    /// Whether `clerk` may change this setting (the check `set_setting` makes).
    pub fn may_change(&self, clerk: &Clerk) -> bool {
        clerk.require(self.who, "change_settings").is_ok()
    }

    /// The value in force when none is stored.
    pub fn default_for(&self, station: &StationInfo) -> String {
        match self.default {
            Default::Empty => String::new(),
            Default::Literal(v) => v.to_owned(),
            Default::Pattern(p) => p
                .replace("{county}", &station.county)
                .replace("{station}", &station.name),
        }
    }

    /// Checks a new value (trimmed); font files are checked by the engine,
    /// which may look at the disk.
    pub fn check(&self, value: &str) -> Result<String> {
        let v = value.trim();
        let bad = |en: String, zh: String| Err(Error::invalid(self.key, en, zh));
        match self.kind {
            SettingKind::Text { max_chars } => {
                if v.chars().count() > max_chars || v.chars().any(char::is_control) {
                    return bad(
                        format!("longer than {max_chars} or control characters"),
                        format!("“{}”不超过{max_chars}字，且不能含控制字符", self.label_zh),
                    );
                }
            }
            SettingKind::Days { min, max } | SettingKind::Integer { min, max } => {
                match v.parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => {}
                    _ => {
                        return bad(
                            format!("not a whole number in {min}..={max}"),
                            format!("“{}”应为{min}至{max}之间的整数", self.label_zh),
                        );
                    }
                }
            }
            SettingKind::FontList | SettingKind::CertificateFile | SettingKind::Folder => {}
            SettingKind::Flag => {
                if !matches!(v, "" | "0" | "1") {
                    return bad(
                        "flag must be 0 or 1".into(),
                        format!("“{}”应为 1（是）或 0（否）", self.label_zh),
                    );
                }
            }
        }
        Ok(v.to_owned())
    }
}

/// An integer setting in force for a stored value: the registry's default
/// when missing or unreadable, clamped to the registry's range.
pub fn integer_in_force(key: &str, stored: Option<&str>) -> i64 {
    let Ok(def) = setting_def(key) else { return 0 };
    let (min, max) = match def.kind {
        SettingKind::Integer { min, max } | SettingKind::Days { min, max } => (min, max),
        _ => (i64::MIN, i64::MAX),
    };
    let default = match def.default {
        Default::Literal(v) => v.parse().unwrap_or(min),
        _ => min,
    };
    stored
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(default)
        .clamp(min, max)
}

/// The at-risk threshold in force for a stored value (the default when the
/// value is missing or unreadable, e.g. written by an older version).
pub fn at_risk_days(stored: Option<&str>) -> i64 {
    stored
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_AT_RISK_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station() -> StationInfo {
        StationInfo {
            code: "CG01".into(),
            name: "城关镇服务站".into(),
            county: "示范县".into(),
            log_id: String::new(),
            created_at: String::new(),
        }
    }

    #[test]
    fn defaults_follow_the_station() {
        let st = station();
        let get = |k| setting_def(k).unwrap().default_for(&st);
        assert_eq!(get("office.name"), "示范县人力资源和社会保障局");
        assert_eq!(get("remedy.review_body"), "示范县人民政府");
        assert_eq!(get("notice.prefix.one-time"), "示范县城关镇服务站告字");
        assert_eq!(get("office.address"), "");
    }

    #[test]
    fn the_at_risk_default_is_the_deadline_rule() {
        let d = setting_def("deadline.at_risk_days").unwrap();
        assert_eq!(d.default_for(&station()), DEFAULT_AT_RISK_DAYS.to_string());
        assert_eq!(at_risk_days(None), DEFAULT_AT_RISK_DAYS);
        assert_eq!(at_risk_days(Some("5")), 5);
        assert_eq!(at_risk_days(Some("x")), DEFAULT_AT_RISK_DAYS);
    }

    #[test]
    fn only_the_printer_is_a_clerks_setting() {
        let clerks: Vec<_> = SETTINGS.iter().filter(|d| d.who == Role::Clerk).collect();
        assert_eq!(clerks.len(), 1);
        assert_eq!(clerks[0].key, "printer.default");
    }

    #[test]
    fn security_settings_default_and_clamp() {
        assert_eq!(integer_in_force("security.lockout_failures", None), 5);
        assert_eq!(integer_in_force("security.lockout_failures", Some("1")), 3);
        assert_eq!(
            integer_in_force("security.idle_lock_minutes", Some("x")),
            10
        );
        assert_eq!(integer_in_force("security.idle_lock_minutes", Some("0")), 0);
        let d = setting_def("security.lockout_minutes").unwrap();
        assert!(d.check("0").is_err());
        assert_eq!(d.check("30").unwrap(), "30");
    }

    #[test]
    fn values_are_checked_by_kind() {
        let days = setting_def("deadline.at_risk_days").unwrap();
        assert_eq!(days.check(" 3 ").unwrap(), "3");
        assert!(days.check("-1").is_err());
        assert!(days.check("两天").is_err());
        let flag = setting_def("fonts.exclusive").unwrap();
        assert!(flag.check("1").is_ok());
        assert!(flag.check("yes").is_err());
        assert!(setting_def("no.such.key").is_err());
        let name = setting_def("office.name").unwrap();
        assert!(name.check("示范县人社局\u{7}").is_err());
    }

    #[test]
    fn who_may_change_follows_the_role_order() {
        let clerk = |role| Clerk {
            id: 1,
            staff_no: "2001".into(),
            name: "张窗口".into(),
            role,
            window_no: String::new(),
        };
        let printer = setting_def("printer.default").unwrap();
        let office = setting_def("office.name").unwrap();
        assert!(printer.may_change(&clerk(Role::Clerk)));
        assert!(!office.may_change(&clerk(Role::Clerk)));
        assert!(!office.may_change(&clerk(Role::Leader)));
        assert!(office.may_change(&clerk(Role::Admin)));
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = SETTINGS.iter().map(|d| d.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SETTINGS.len());
    }
}
