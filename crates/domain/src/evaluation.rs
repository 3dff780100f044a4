//! 好差评 (service evaluation) given by the applicant: the scale (county
//! data: its levels, which count as good, which need reasons), the fixed
//! reasons, where an answer came from, the checks on an answer, and the rates
//! over a period with their targets. Pure: requests, answers, defaults and
//! paper forms are stored by `ops::evaluations`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One level of a scale as the county publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLevel {
    /// Stable wire name (`satisfied`, `very_dissatisfied` …).
    pub code: String,
    pub label_zh: String,
    /// Counts as a good rating (好评) in the good rate.
    pub good: bool,
    /// The applicant must give at least one reason from the fixed list.
    #[serde(default)]
    pub reasons: bool,
}

/// A rating scale: county configuration, published in the catalog release
/// (`evaluation_scale`); the three-level scale when the county has published
/// none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Recorded with every answer, so a later scale never relabels it.
    pub name: String,
    /// Where the scale comes from (a rule's name, not invented here).
    #[serde(default)]
    pub basis: String,
    /// In the order the applicant screen shows them, best first.
    pub levels: Vec<ScaleLevel>,
}

fn level(code: &str, label_zh: &str, good: bool, reasons: bool) -> ScaleLevel {
    ScaleLevel {
        code: code.into(),
        label_zh: label_zh.into(),
        good,
        reasons,
    }
}

impl Scale {
    /// 满意 / 基本满意 / 不满意; the first two are good, 不满意 needs reasons
    /// (the offices' 好差评 rules, docs/design/domain-rules.md R8).
    pub fn three_level() -> Scale {
        Scale {
            name: "三级".into(),
            basis: "窗口好差评工作规则".into(),
            levels: vec![
                level("satisfied", "满意", true, false),
                level("basically_satisfied", "基本满意", true, false),
                level("dissatisfied", "不满意", false, true),
            ],
        }
    }

    /// The five levels of 国办发〔2019〕51号 as a county would publish them;
    /// which count as good is the county's (here as in the three-level rule:
    /// 基本满意 and better).
    pub fn five_level() -> Scale {
        Scale {
            name: "五级".into(),
            basis: "国办发〔2019〕51号".into(),
            levels: vec![
                level("very_satisfied", "非常满意", true, false),
                level("satisfied", "满意", true, false),
                level("basically_satisfied", "基本满意", true, false),
                level("dissatisfied", "不满意", false, true),
                level("very_dissatisfied", "非常不满意", false, true),
            ],
        }
    }

    /// A published scale must be usable: 2 to 7 levels with unique codes and
    /// labels, at least one good and one not good. Returns (field, reason).
    pub fn check(&self) -> std::result::Result<(), (String, String)> {
        if self.name.trim().is_empty() {
            return Err(("name".into(), "评价等级方案须有名称".into()));
        }
        if !(2..=7).contains(&self.levels.len()) {
            return Err(("levels".into(), "评价等级应为2至7个".into()));
        }
        for (i, l) in self.levels.iter().enumerate() {
            let field = format!("levels.{i}");
            if l.code.is_empty()
                || l.code.len() > 32
                || !l.code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                return Err((field, "等级代码须为小写字母或下划线".into()));
            }
            if l.label_zh.trim().is_empty() || l.label_zh.chars().count() > 16 {
                return Err((field, "等级名称不能为空且不超过16字".into()));
            }
            if self.levels[..i]
                .iter()
                .any(|o| o.code == l.code || o.label_zh == l.label_zh)
            {
                return Err((field, "等级代码和名称不能重复".into()));
            }
        }
        if !self.levels.iter().any(|l| l.good) || self.levels.iter().all(|l| l.good) {
            return Err((
                "levels".into(),
                "须写明哪些等级计为好评，且至少有一个等级不计为好评".into(),
            ));
        }
        Ok(())
    }

    /// The level a code or label names; nothing is assumed for an empty one.
    pub fn level(&self, s: &str) -> Result<&ScaleLevel> {
        let s = s.trim();
        self.levels
            .iter()
            .find(|l| !s.is_empty() && (l.code == s || l.label_zh == s))
            .ok_or_else(|| {
                Error::invalid(
                    "level",
                    format!("unknown level {s:?} in scale {}", self.name),
                    format!(
                        "评价等级“{s}”无效，应为 {}",
                        self.levels
                            .iter()
                            .map(|l| l.label_zh.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                )
            })
    }
}

/// The fixed list of reasons for a level that needs them.
pub const DISSATISFACTION_REASONS: [&str; 7] = [
    "服务态度欠佳",
    "业务能力不强",
    "超承诺时限办结",
    "首问责任履行不到位",
    "一次告知履行不到位",
    "部门内部办理效率低下",
    "其他",
];

/// The longest comment an applicant may leave.
pub const MAX_COMMENT_CHARS: usize = 500;

/// An answer checked against the scale in force: what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAnswer {
    pub scale: String,
    pub level: ScaleLevel,
    pub reasons: Vec<String>,
    pub comment: String,
}

/// Checks an applicant's answer: a level of the scale (none is assumed),
/// reasons from the fixed list exactly when the level needs them, a comment
/// of at most [`MAX_COMMENT_CHARS`].
pub fn check_answer(
    scale: &Scale,
    level: &str,
    reasons: &[String],
    comment: &str,
) -> Result<CheckedAnswer> {
    let level = scale.level(level)?.clone();
    for r in reasons {
        if !DISSATISFACTION_REASONS.contains(&r.as_str()) {
            return Err(Error::invalid(
                "reasons",
                format!("unknown reason {r}"),
                format!(
                    "差评原因“{r}”不在规定列表中：{}",
                    DISSATISFACTION_REASONS.join("、")
                ),
            ));
        }
    }
    if level.reasons && reasons.is_empty() {
        return Err(Error::invalid(
            "reasons",
            format!("{} needs a reason", level.code),
            format!("选择“{}”时须至少选择一项原因", level.label_zh),
        ));
    }
    if !level.reasons && !reasons.is_empty() {
        return Err(Error::invalid(
            "reasons",
            format!("no reasons for {}", level.code),
            format!("“{}”评价不需要选择原因", level.label_zh),
        ));
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS
        || comment.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(Error::invalid(
            "comment",
            "comment too long or with control characters",
            format!("评价意见不超过{MAX_COMMENT_CHARS}字"),
        ));
    }
    let mut unique: Vec<String> = Vec::new();
    for r in reasons {
        if !unique.contains(r) {
            unique.push(r.clone());
        }
    }
    Ok(CheckedAnswer {
        scale: scale.name.clone(),
        level,
        reasons: unique,
        comment: comment.to_owned(),
    })
}

/// Where an answer truly came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The applicant pressed it on the applicant-facing screen.
    ApplicantScreen,
    /// A paper form (流动测评) entered by staff who did not serve the case.
    Paper,
    /// Entered by the clerk in their own session before this version: kept,
    /// never counted as the applicant's answer.
    ClerkLegacy,
}

pub const ALL_CHANNELS: [Channel; 3] = [
    Channel::ApplicantScreen,
    Channel::Paper,
    Channel::ClerkLegacy,
];

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::ApplicantScreen => "applicant_screen",
            Channel::Paper => "paper",
            Channel::ClerkLegacy => "clerk_legacy",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        ALL_CHANNELS.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::ApplicantScreen => "评价屏（办事人自评）",
            Channel::Paper => "纸质评价表（流动测评）",
            Channel::ClerkLegacy => "旧版窗口录入（不计入）",
        }
    }
}

/// What became of a case's evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Shown on the applicant screen, waiting.
    Requested,
    /// The applicant answered (screen or paper).
    Answered,
    /// Not answered within the configured time: 默认.
    Defaulted,
    /// The serving clerk left the applicant screen with their password: 未作答.
    Unanswered,
    /// A level the clerk entered before this version (see [`Channel::ClerkLegacy`]).
    Legacy,
}

pub const ALL_STATUSES: [Status; 5] = [
    Status::Requested,
    Status::Answered,
    Status::Defaulted,
    Status::Unanswered,
    Status::Legacy,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Answered => "answered",
            Status::Defaulted => "defaulted",
            Status::Unanswered => "unanswered",
            Status::Legacy => "legacy",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        ALL_STATUSES.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Requested => "待评价",
            Status::Answered => "已评价",
            Status::Defaulted => "默认（超时未评价）",
            Status::Unanswered => "未作答（工作人员退出）",
            Status::Legacy => "旧版窗口录入（不计入）",
        }
    }
}

/// The label of a stored status (unknown text from a newer version: 未知).
pub fn status_zh(status: &str) -> &'static str {
    Status::parse(status).map_or("未知", Status::label_zh)
}

/// A paper form (流动测评) as entered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaperForm {
    /// The form's printed serial number; unique per station.
    pub serial: String,
    pub level: String,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

/// A paper form's serial number: 1 to 32 letters, digits or `-`; trimmed.
pub fn check_serial(serial: &str) -> Result<&str> {
    let s = serial.trim();
    if s.is_empty()
        || s.chars().count() > 32
        || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Error::invalid(
            "serial",
            format!("bad paper form serial {s:?}"),
            "纸质评价表编号须为1至32位字母、数字或“-”",
        ));
    }
    Ok(s)
}

/// The name of the screen that shows a request or took an answer.
pub fn check_screen(screen: &str) -> Result<&str> {
    let s = screen.trim();
    if s.is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
        return Err(Error::invalid(
            "screen",
            format!("bad screen name {s:?}"),
            "评价屏名称不能为空且不超过64字",
        ));
    }
    Ok(s)
}

/// The applicant screen of a window, by its number (窗口号); the station's
/// one screen when the clerk has no window number.
pub fn window_screen(window_no: &str) -> String {
    match window_no.trim() {
        "" => "本站评价屏".to_owned(),
        w => format!("{w}号窗口评价屏"),
    }
}

/// The 好差评 of one case as the counter shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseEvaluation {
    pub status: Status,
    pub status_zh: &'static str,
    /// Where the answer came from (none while pending, defaulted, unanswered).
    pub channel: Option<Channel>,
    pub channel_zh: Option<&'static str>,
    /// The screen the request was shown on.
    pub screen: Option<String>,
    /// The screen that took the answer.
    pub answered_on: Option<String>,
    pub paper_serial: Option<String>,
    pub scale: Option<String>,
    pub level: Option<String>,
    pub level_zh: Option<String>,
    /// Counted as good (as the scale in force said when it was given).
    pub good: Option<bool>,
    pub reasons: Vec<String>,
    pub comment: String,
    /// Staff number of the clerk who asked.
    pub requested_by: Option<String>,
    pub requested_at: Option<String>,
    /// When an unanswered request becomes 默认.
    pub due_at: Option<String>,
    pub answered_at: Option<String>,
    /// Staff number of whoever entered the paper form.
    pub entered_by: Option<String>,
    /// The channel an old (legacy) record named.
    pub legacy_channel: Option<String>,
}

/// One case as the statistics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    pub clerk_key: String,
    pub clerk_name: String,
    pub item_code: String,
    pub item_name: String,
    /// None: no evaluation record at all.
    pub status: Option<Status>,
    pub requested: bool,
    pub channel: Option<Channel>,
    pub level: Option<String>,
    pub level_zh: Option<String>,
    pub good: Option<bool>,
}

/// Rates over a period: for the station, per handling clerk, per item, and
/// the answers per channel, so a leader sees where ratings come from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The scale in force (the order of `levels`).
    pub scale: Scale,
    #[serde(flatten)]
    pub total: EvaluationCounts,
    /// Per handling clerk (首办), most cases first.
    pub by_clerk: Vec<EvaluationGroup>,
    /// Per service item, most cases first.
    pub by_item: Vec<EvaluationGroup>,
    /// The answers per channel they came from.
    pub by_channel: Vec<ChannelGroup>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationGroup {
    /// Staff number or item code.
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: EvaluationCounts,
}

/// Answers at one level.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LevelCount {
    pub level: String,
    pub label_zh: String,
    pub good: Option<bool>,
    pub count: i64,
}

/// One source of a group's closed evaluations and its share of them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceShare {
    /// `applicant_screen`, `paper`, `defaulted`, `unanswered`, `clerk_legacy`.
    pub source: &'static str,
    pub label_zh: &'static str,
    pub count: i64,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelGroup {
    pub channel: Channel,
    pub label_zh: &'static str,
    pub answers: i64,
    pub good: i64,
    /// None for legacy records: they are not the applicant's.
    pub good_rate: Option<f64>,
    pub levels: Vec<LevelCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationCounts {
    pub cases: i64,
    /// Cases with a request or a paper form.
    pub evaluated: i64,
    /// Requests made by the serving clerk.
    pub requested: i64,
    /// The applicant's answers (screen + paper).
    pub answered: i64,
    pub screen: i64,
    pub paper: i64,
    pub defaulted: i64,
    pub unanswered: i64,
    pub pending: i64,
    /// Clerk-entered records from before this version, counted nowhere.
    pub legacy: i64,
    /// Answers at a level that counted as good.
    pub good: i64,
    /// Answers in the order of the scale in force, then older levels.
    pub levels: Vec<LevelCount>,
    /// Where the closed evaluations came from (the channel mix).
    pub sources: Vec<SourceShare>,
    /// evaluated / cases (target ≥ 90 %).
    pub evaluation_rate: Option<f64>,
    /// (defaulted + unanswered) / requested (target ≤ 15 %).
    pub default_rate: Option<f64>,
    /// good / answered.
    pub good_rate: Option<f64>,
    /// Each rate with a target, met or missed.
    pub targets: Vec<TargetCheck>,
}

/// Which way a target points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    AtLeast,
    AtMost,
}

/// A rate the 好差评 system sets a target for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    /// The field of [`EvaluationCounts`] it applies to.
    pub figure: &'static str,
    pub label_zh: &'static str,
    pub bound: Bound,
    pub value: f64,
}

/// The targets: evaluation rate ≥ 90 %, default (未评价) rate ≤ 15 %
/// (the 好差评 rules the station follows; see docs/design/domain-rules.md).
pub const TARGETS: [Target; 2] = [
    Target {
        figure: "evaluation_rate",
        label_zh: "评价率",
        bound: Bound::AtLeast,
        value: 0.9,
    },
    Target {
        figure: "default_rate",
        label_zh: "默认评价率",
        bound: Bound::AtMost,
        value: 0.15,
    },
];

impl Target {
    /// Met, missed, or `None` when there is nothing to measure yet.
    pub fn met(&self, rate: Option<f64>) -> Option<bool> {
        rate.map(|r| match self.bound {
            Bound::AtLeast => r >= self.value,
            Bound::AtMost => r <= self.value,
        })
    }

    /// `≥90%`, `≤15%`.
    pub fn text_zh(&self) -> String {
        let sign = match self.bound {
            Bound::AtLeast => '≥',
            Bound::AtMost => '≤',
        };
        format!("{sign}{}%", (self.value * 100.0).round())
    }
}

/// One rate against its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    #[serde(flatten)]
    pub target: Target,
    pub text_zh: String,
    pub rate: Option<f64>,
    pub met: Option<bool>,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The counts the rates are taken from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateBasis {
    pub cases: i64,
    /// Cases with a request or a paper form.
    pub evaluated: i64,
    pub requested: i64,
    pub answered: i64,
    pub defaulted: i64,
    pub unanswered: i64,
    pub good: i64,
}

/// A group's three rates, each with a target against it. One rule for the
/// station's statistics and the county's console (which links this crate
/// for it), so the two never disagree about a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    /// evaluated / cases (target ≥ 90 %).
    pub evaluation_rate: Option<f64>,
    /// (defaulted + unanswered) / requested (target ≤ 15 %).
    pub default_rate: Option<f64>,
    /// good / answered.
    pub good_rate: Option<f64>,
    /// Each rate with a target, met or missed.
    pub targets: Vec<TargetCheck>,
}

/// The rates of a group from its counts.
pub fn rates(b: &RateBasis) -> Rates {
    let evaluation_rate = ratio(b.evaluated, b.cases);
    // Leaving by password is never better for a window than waiting for the
    // timeout: both count as not answered.
    let default_rate = ratio(b.defaulted + b.unanswered, b.requested);
    let good_rate = ratio(b.good, b.answered);
    let targets = TARGETS
        .iter()
        .map(|t| {
            let rate = match t.figure {
                "evaluation_rate" => evaluation_rate,
                "default_rate" => default_rate,
                _ => good_rate,
            };
            TargetCheck {
                target: *t,
                text_zh: t.text_zh(),
                rate,
                met: t.met(rate),
            }
        })
        .collect();
    Rates {
        evaluation_rate,
        default_rate,
        good_rate,
        targets,
    }
}

/// The level counts of `rows` in the scale's order, then the levels given
/// under an earlier scale (a code it no longer has, or the same code counted
/// the other way), so an answer keeps the classification it was given.
fn level_counts<'a>(scale: &Scale, rows: impl Iterator<Item = &'a StatRow>) -> Vec<LevelCount> {
    weighted_level_counts(scale, rows.map(|r| (r, 1)))
}

fn weighted_level_counts<'a>(
    scale: &Scale,
    rows: impl Iterator<Item = (&'a StatRow, i64)>,
) -> Vec<LevelCount> {
    let mut seen: BTreeMap<(String, Option<bool>), LevelCount> = BTreeMap::new();
    for (r, weight) in rows {
        let Some(code) = &r.level else { continue };
        seen.entry((code.clone(), r.good))
            .or_insert_with(|| LevelCount {
                level: code.clone(),
                label_zh: r.level_zh.clone().unwrap_or_else(|| code.clone()),
                good: r.good,
                count: 0,
            })
            .count += weight;
    }
    let mut out: Vec<LevelCount> = scale
        .levels
        .iter()
        .map(|l| {
            seen.remove(&(l.code.clone(), Some(l.good)))
                .unwrap_or(LevelCount {
                    level: l.code.clone(),
                    label_zh: l.label_zh.clone(),
                    good: Some(l.good),
                    count: 0,
                })
        })
        .collect();
    out.extend(seen.into_values());
    out
}

/// The counts and rates of one group of cases.
pub fn counts(scale: &Scale, rows: &[&StatRow]) -> EvaluationCounts {
    let weighted: Vec<(&StatRow, i64)> = rows.iter().map(|r| (*r, 1)).collect();
    weighted_counts(scale, &weighted)
}

/// [`counts`] over rows that each stand for `weight` identical cases (a
/// county's grouped counts: the same figures without a row per case).
pub fn weighted_counts(scale: &Scale, rows: &[(&StatRow, i64)]) -> EvaluationCounts {
    let n = |f: &dyn Fn(&StatRow) -> bool| {
        rows.iter()
            .filter(|(r, _)| f(r))
            .map(|(_, w)| *w)
            .sum::<i64>()
    };
    let is = |s: Status| move |r: &StatRow| r.status == Some(s);
    let answered_by =
        |c: Channel| move |r: &StatRow| r.status == Some(Status::Answered) && r.channel == Some(c);
    let cases = rows.iter().map(|(_, w)| *w).sum::<i64>();
    let evaluated = n(&|r| r.status.is_some());
    let requested = n(&|r| r.requested);
    let screen = n(&answered_by(Channel::ApplicantScreen));
    let paper = n(&answered_by(Channel::Paper));
    let answered = n(&is(Status::Answered));
    let defaulted = n(&is(Status::Defaulted));
    let unanswered = n(&is(Status::Unanswered));
    let pending = n(&is(Status::Requested));
    let legacy = n(&is(Status::Legacy));
    let good = n(&|r| r.status == Some(Status::Answered) && r.good == Some(true));
    let closed = evaluated - pending;
    let share = |source, label_zh, count| SourceShare {
        source,
        label_zh,
        count,
        share: ratio(count, closed),
    };
    let r = rates(&RateBasis {
        cases,
        evaluated,
        requested,
        answered,
        defaulted,
        unanswered,
        good,
    });
    EvaluationCounts {
        cases,
        evaluated,
        requested,
        answered,
        screen,
        paper,
        defaulted,
        unanswered,
        pending,
        legacy,
        good,
        levels: weighted_level_counts(
            scale,
            rows.iter()
                .copied()
                .filter(|(r, _)| r.status == Some(Status::Answered)),
        ),
        sources: vec![
            share(
                "applicant_screen",
                Channel::ApplicantScreen.label_zh(),
                screen,
            ),
            share("paper", Channel::Paper.label_zh(), paper),
            share("defaulted", Status::Defaulted.label_zh(), defaulted),
            share("unanswered", Status::Unanswered.label_zh(), unanswered),
            share("clerk_legacy", Channel::ClerkLegacy.label_zh(), legacy),
        ],
        evaluation_rate: r.evaluation_rate,
        default_rate: r.default_rate,
        good_rate: r.good_rate,
        targets: r.targets,
    }
}

/// The order of a 好差评 ranking (月度排名): more targets met first, then
/// the higher good rate, the higher evaluation rate, the lower default rate,
/// more cases; a rate with nothing to measure ranks below any figure. The
/// rules rank windows by 好差评 without a formula; this order puts the two
/// published targets first and is the one place that says so.
pub fn ranking_order(a: &EvaluationCounts, b: &EvaluationCounts) -> std::cmp::Ordering {
    let met = |c: &EvaluationCounts| c.targets.iter().filter(|t| t.met == Some(true)).count();
    let high = |r: Option<f64>| r.unwrap_or(-1.0);
    let low = |r: Option<f64>| r.unwrap_or(f64::INFINITY);
    met(b)
        .cmp(&met(a))
        .then(high(b.good_rate).total_cmp(&high(a.good_rate)))
        .then(high(b.evaluation_rate).total_cmp(&high(a.evaluation_rate)))
        .then(low(a.default_rate).total_cmp(&low(b.default_rate)))
        .then(b.cases.cmp(&a.cases))
}

/// A group's closed evaluations needed before one source can stand out.
pub const SINGLE_SOURCE_MIN: i64 = 5;

/// The one source all of a group's closed evaluations came from, when it is
/// not the applicant screen and there are at least [`SINGLE_SOURCE_MIN`] of
/// them: a clerk whose ratings are all paper forms, all 默认 or all 未作答
/// stands out (R8). Every rating from the screen is what the rules ask for.
pub fn single_source(c: &EvaluationCounts) -> Option<&SourceShare> {
    let closed: i64 = c.sources.iter().map(|s| s.count).sum();
    if closed < SINGLE_SOURCE_MIN {
        return None;
    }
    c.sources
        .iter()
        .find(|s| s.count == closed && s.source != "applicant_screen")
}

/// Groups by `key` (key, name), most cases first, then by key.
fn groups(
    scale: &Scale,
    rows: &[StatRow],
    key: impl Fn(&StatRow) -> (&str, &str),
) -> Vec<EvaluationGroup> {
    let mut by: BTreeMap<(&str, &str), Vec<&StatRow>> = BTreeMap::new();
    for r in rows {
        by.entry(key(r)).or_default().push(r);
    }
    let mut out: Vec<EvaluationGroup> = by
        .into_iter()
        .map(|((k, name), rs)| EvaluationGroup {
            key: k.to_owned(),
            name: name.to_owned(),
            counts: counts(scale, &rs),
        })
        .collect();
    out.sort_by(|a, b| b.counts.cases.cmp(&a.counts.cases).then(a.key.cmp(&b.key)));
    out
}

/// The statistics of a period from its cases.
pub fn tally(from: NaiveDate, to: NaiveDate, scale: &Scale, rows: &[StatRow]) -> EvaluationStats {
    let all: Vec<&StatRow> = rows.iter().collect();
    let by_channel = ALL_CHANNELS
        .iter()
        .filter_map(|&ch| {
            let rs: Vec<&StatRow> = rows
                .iter()
                .filter(|r| r.channel == Some(ch) && r.level.is_some())
                .collect();
            if rs.is_empty() {
                return None;
            }
            let counted = ch != Channel::ClerkLegacy;
            let good = if counted {
                rs.iter().filter(|r| r.good == Some(true)).count() as i64
            } else {
                0
            };
            Some(ChannelGroup {
                channel: ch,
                label_zh: ch.label_zh(),
                answers: rs.len() as i64,
                good,
                good_rate: if counted {
                    ratio(good, rs.len() as i64)
                } else {
                    None
                },
                levels: level_counts(scale, rs.into_iter()),
            })
        })
        .collect();
    EvaluationStats {
        from,
        to,
        scale: scale.clone(),
        total: counts(scale, &all),
        by_clerk: groups(scale, rows, |r| (&r.clerk_key, &r.clerk_name)),
        by_item: groups(scale, rows, |r| (&r.item_code, &r.item_name)),
        by_channel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: Option<Status>, channel: Option<Channel>, level: Option<&str>) -> StatRow {
        let scale = Scale::three_level();
        let l = level.map(|c| scale.level(c).unwrap().clone());
        StatRow {
            clerk_key: "2001".into(),
            clerk_name: "张窗口".into(),
            item_code: "I".into(),
            item_name: "事项".into(),
            status,
            requested: channel != Some(Channel::Paper) && status.is_some(),
            channel,
            level: l.as_ref().map(|l| l.code.clone()),
            level_zh: l.as_ref().map(|l| l.label_zh.clone()),
            good: match status {
                Some(Status::Legacy) => None,
                _ => l.map(|l| l.good),
            },
        }
    }

    #[test]
    fn rates_and_targets_without_a_database() {
        use Channel::*;
        use Status::*;
        // 10 cases: 9 requested; screen 满意 ×4, 基本满意 ×1, 不满意 ×1; 2 defaulted, 1 pending.
        let mut rows = vec![row(None, None, None)];
        for l in ["satisfied"; 4]
            .into_iter()
            .chain(["basically_satisfied", "dissatisfied"])
        {
            rows.push(row(Some(Answered), Some(ApplicantScreen), Some(l)));
        }
        rows.extend([
            row(Some(Defaulted), None, None),
            row(Some(Defaulted), None, None),
            row(Some(Requested), None, None),
        ]);
        let st = tally(NaiveDate::MIN, NaiveDate::MAX, &Scale::three_level(), &rows);
        let c = &st.total;
        assert_eq!(c.evaluation_rate, Some(0.9));
        assert_eq!(c.default_rate, Some(2.0 / 9.0));
        assert_eq!(c.good_rate, Some(5.0 / 6.0));
        let met: Vec<_> = c.targets.iter().map(|t| (t.target.figure, t.met)).collect();
        assert_eq!(
            met,
            [
                ("evaluation_rate", Some(true)),
                ("default_rate", Some(false))
            ]
        );
        assert_eq!(c.targets[0].text_zh, "≥90%");
        assert_eq!(c.targets[1].text_zh, "≤15%");
        let levels: Vec<_> = c
            .levels
            .iter()
            .map(|l| (l.label_zh.as_str(), l.count))
            .collect();
        assert_eq!(levels, [("满意", 4), ("基本满意", 1), ("不满意", 1)]);
    }

    #[test]
    fn nothing_to_measure_is_neither_met_nor_missed() {
        let c = counts(&Scale::three_level(), &[]);
        assert!(
            c.targets
                .iter()
                .all(|t| t.met.is_none() && t.rate.is_none())
        );
    }

    #[test]
    fn no_level_is_assumed() {
        let s = Scale::three_level();
        assert!(check_answer(&s, "", &[], "").is_err());
        assert!(check_answer(&s, "  ", &[], "").is_err());
        assert!(
            check_answer(&s, "非常满意", &[], "").is_err(),
            "not in the three-level scale"
        );
        assert_eq!(check_answer(&s, "满意", &[], " 好 ").unwrap().comment, "好");
    }

    #[test]
    fn five_levels_map_to_good_and_reasons_as_published() {
        let s = Scale::five_level();
        s.check().unwrap();
        let good: Vec<_> = s
            .levels
            .iter()
            .map(|l| (l.label_zh.as_str(), l.good, l.reasons))
            .collect();
        assert_eq!(
            good,
            [
                ("非常满意", true, false),
                ("满意", true, false),
                ("基本满意", true, false),
                ("不满意", false, true),
                ("非常不满意", false, true)
            ]
        );
        assert!(check_answer(&s, "very_dissatisfied", &[], "").is_err());
        let a = check_answer(&s, "非常不满意", &["服务态度欠佳".into()], "").unwrap();
        assert_eq!(
            (a.level.code.as_str(), a.level.good, a.scale.as_str()),
            ("very_dissatisfied", false, "五级")
        );
        assert!(check_answer(&s, "满意", &["其他".into()], "").is_err());
    }

    #[test]
    fn a_published_scale_must_say_what_is_good() {
        let mut s = Scale::three_level();
        for l in &mut s.levels {
            l.good = true;
        }
        assert!(s.check().is_err());
        let mut s = Scale::three_level();
        s.levels[1].code = "satisfied".into();
        assert!(s.check().is_err());
        let mut s = Scale::three_level();
        s.levels.truncate(1);
        assert!(s.check().is_err());
    }

    #[test]
    fn ranking_puts_targets_first_and_one_source_stands_out() {
        use Channel::*;
        use Status::*;
        let scale = Scale::three_level();
        let of = |rows: &[StatRow]| counts(&scale, &rows.iter().collect::<Vec<_>>());
        // A: 10 cases, all requested and answered on the screen, 8 good: both targets met.
        let mut a: Vec<StatRow> = (0..8)
            .map(|_| row(Some(Answered), Some(ApplicantScreen), Some("satisfied")))
            .collect();
        a.extend((0..2).map(|_| row(Some(Answered), Some(ApplicantScreen), Some("dissatisfied"))));
        // B: every answer good, but 3 of 10 defaulted: the default target missed.
        let mut b: Vec<StatRow> = (0..7)
            .map(|_| row(Some(Answered), Some(ApplicantScreen), Some("satisfied")))
            .collect();
        b.extend((0..3).map(|_| row(Some(Defaulted), None, None)));
        // C: six paper forms only, all good.
        let c: Vec<StatRow> = (0..6)
            .map(|_| row(Some(Answered), Some(Paper), Some("satisfied")))
            .collect();
        // D: nothing evaluated at all.
        let d = vec![row(None, None, None); 4];
        let (a, b, c, d) = (of(&a), of(&b), of(&c), of(&d));
        let mut all = [&d, &b, &c, &a];
        all.sort_by(|x, y| ranking_order(x, y));
        // A meets both targets; B and C one each, with the same good and
        // evaluation rates, and a measured default rate ranks above none; D last.
        assert_eq!(
            all.map(|g| (g.cases, g.defaulted)),
            [(10, 0), (10, 3), (6, 0), (4, 0)]
        );
        assert!(
            single_source(&a).is_none(),
            "all from the screen is the rule"
        );
        assert_eq!(single_source(&c).map(|s| s.source), Some("paper"));
        assert!(single_source(&b).is_none(), "two sources");
        let few = of(&[row(Some(Answered), Some(Paper), Some("satisfied"))]);
        assert!(single_source(&few).is_none(), "too few to stand out");
    }
}
