//! 好差评 (service evaluation): levels, the fixed lists of reasons and
//! channels, rates and their targets. Pure: requests and answers are stored
//! by `ops::evaluations`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Satisfied => "satisfied",
            Level::BasicallySatisfied => "basically_satisfied",
            Level::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Result<Level> {
        Ok(match s {
            "satisfied" | "满意" => Level::Satisfied,
            "basically_satisfied" | "基本满意" => Level::BasicallySatisfied,
            "dissatisfied" | "不满意" => Level::Dissatisfied,
            _ => {
                return Err(Error::invalid(
                    "level",
                    format!("unknown level {s}"),
                    format!("评价等级“{s}”无效，应为 满意、基本满意 或 不满意"),
                ));
            }
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Dissatisfied => "不满意",
        }
    }
}

/// The fixed list of reasons for 不满意.
pub const DISSATISFACTION_REASONS: [&str; 7] = [
    "服务态度欠佳",
    "业务能力不强",
    "超承诺时限办结",
    "首问责任履行不到位",
    "一次告知履行不到位",
    "部门内部办理效率低下",
    "其他",
];

pub const CHANNELS: [&str; 5] = ["窗口评价器", "二维码", "短信", "电话回访", "网上大厅"];

/// Rates over a period: for the station, and per handling clerk and per
/// item, so a leader sees where dissatisfaction and missing ratings come from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub total: EvaluationCounts,
    /// Per handling clerk (首办), most cases first.
    pub by_clerk: Vec<EvaluationGroup>,
    /// Per service item, most cases first.
    pub by_item: Vec<EvaluationGroup>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationGroup {
    /// Staff number or item code.
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: EvaluationCounts,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvaluationCounts {
    pub cases: i64,
    pub requested: i64,
    pub answered: i64,
    pub defaulted: i64,
    pub pending: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub dissatisfied: i64,
    /// requests / cases (target ≥ 90 %).
    pub evaluation_rate: Option<f64>,
    /// defaulted / requests (target ≤ 15 %).
    pub default_rate: Option<f64>,
    /// (satisfied + basically satisfied) / answered.
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

/// Days after which an unanswered request counts as defaulted (未评价).
pub const DEFAULT_AFTER_DAYS: i64 = 7;

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

/// The 好差评 of one case as the counter shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseEvaluation {
    pub channel: String,
    /// requested | answered | defaulted
    pub status: String,
    pub status_zh: &'static str,
    pub level: Option<Level>,
    pub level_zh: Option<&'static str>,
    pub reasons: Vec<String>,
    pub comment: String,
    pub requested_at: String,
    pub answered_at: Option<String>,
}

pub fn status_zh(status: &str) -> &'static str {
    match status {
        "requested" => "待评价",
        "answered" => "已评价",
        "defaulted" => "超期未评价",
        _ => "未知",
    }
}

pub fn counts(n: [i64; 8]) -> EvaluationCounts {
    let [cases, requested, answered, defaulted, pending, s, b, d] = n;
    EvaluationCounts {
        cases,
        requested,
        answered,
        defaulted,
        pending,
        satisfied: s,
        basically_satisfied: b,
        dissatisfied: d,
        evaluation_rate: ratio(requested, cases),
        default_rate: ratio(defaulted, requested),
        good_rate: ratio(s + b, answered),
        targets: Vec::new(),
    }
    .with_targets()
}

impl EvaluationCounts {
    fn rate(&self, figure: &str) -> Option<f64> {
        match figure {
            "evaluation_rate" => self.evaluation_rate,
            "default_rate" => self.default_rate,
            "good_rate" => self.good_rate,
            _ => None,
        }
    }

    fn with_targets(mut self) -> Self {
        self.targets = TARGETS
            .iter()
            .map(|t| {
                let rate = self.rate(t.figure);
                TargetCheck {
                    target: *t,
                    text_zh: t.text_zh(),
                    rate,
                    met: t.met(rate),
                }
            })
            .collect();
        self
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_targets_without_a_database() {
        // 10 cases, 9 requested, 6 answered (4 satisfied, 1 basically, 1 not), 2 defaulted, 1 pending.
        let c = counts([10, 9, 6, 2, 1, 4, 1, 1]);
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
    }

    #[test]
    fn nothing_to_measure_is_neither_met_nor_missed() {
        let c = counts([0; 8]);
        assert!(
            c.targets
                .iter()
                .all(|t| t.met.is_none() && t.rate.is_none())
        );
    }
}
