//! 好差评: the county's figures of a month by station, clerk and item, each
//! group's channel mix, the monthly ranking, and every bad answer with its
//! reasons. Pure: the storage counts ([`EvaluationFacts`]), the engine's
//! rules decide (`evaluation::counts` for the rates, targets and sources,
//! `ranking_order`, `single_source`); nothing is restated here.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use yichuang_domain::evaluation::{
    Channel, EvaluationCounts, Scale, StatRow, Status, ranking_order, single_source,
    weighted_counts,
};

use super::export::{Cell, Sheet};
use crate::storage::{BadAnswer, EvaluationCount, EvaluationFacts};

/// At most this many bad answers are listed (the total is always given).
pub const BAD_LIMIT: i64 = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationsPage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The scale in force with the county's newest catalog (its levels' order).
    pub scale: Scale,
    pub county: EvaluationCounts,
    /// Ranked (the monthly ranking).
    pub stations: Vec<Group>,
    /// Per clerk (首办) of each station, ranked.
    pub clerks: Vec<Group>,
    /// Per service item, most cases first.
    pub items: Vec<Group>,
    pub bad: Vec<BadLine>,
    pub bad_total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// 1-based place in the ranking (items: in the list).
    pub rank: usize,
    pub station_code: Option<String>,
    pub station_name: Option<String>,
    /// Station code, staff number or item code.
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: EvaluationCounts,
    /// The one source every closed evaluation came from, when that stands
    /// out (not the applicant screen).
    pub single_source_zh: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    #[serde(flatten)]
    pub answer: BadAnswer,
    pub station_name: Option<String>,
    pub item_name: Option<String>,
    pub level_zh: Option<String>,
    pub channel_zh: Option<&'static str>,
}

/// A group's (station, key, name).
type GroupKey = (Option<String>, String, String);

/// The page's tables for `.xlsx`: the ranking, the clerks, the items and
/// the bad answers, with the figures the page shows.
pub fn sheets(p: &EvaluationsPage) -> Vec<Sheet> {
    let level_titles: Vec<String> = p.county.levels.iter().map(|l| l.label_zh.clone()).collect();
    let group_sheet = |name: &str, first: &str, groups: &[Group]| {
        let cols: Vec<(&str, f64)> = vec![
            ("名次", 6.0),
            ("站点", 18.0),
            (first, 18.0),
            ("办件", 7.0),
            ("参评", 7.0),
            ("评价率", 8.0),
            ("默认评价率", 10.0),
            ("好评率", 8.0),
            ("评价器", 7.0),
            ("纸质", 7.0),
            ("默认", 7.0),
            ("未作答", 7.0),
            ("来源单一", 14.0),
        ];
        let mut s = Sheet::new(name, &cols);
        // One column per level of the scale in force (its labels vary).
        for t in &level_titles {
            s.column(t.clone(), 9.0);
        }
        for g in groups {
            let station = match (&g.station_code, &g.station_name) {
                (Some(c), Some(n)) => format!("{n}（{c}）"),
                (Some(c), None) => c.clone(),
                _ => String::new(),
            };
            let mut row: Vec<Cell> = vec![
                (g.rank as i64).into(),
                station.into(),
                format!("{}（{}）", g.name, g.key).into(),
                g.counts.cases.into(),
                g.counts.evaluated.into(),
                Cell::Rate(g.counts.evaluation_rate),
                Cell::Rate(g.counts.default_rate),
                Cell::Rate(g.counts.good_rate),
                g.counts.screen.into(),
                g.counts.paper.into(),
                g.counts.defaulted.into(),
                g.counts.unanswered.into(),
                g.single_source_zh.into(),
            ];
            for t in &level_titles {
                let n = g
                    .counts
                    .levels
                    .iter()
                    .find(|l| &l.label_zh == t)
                    .map_or(0, |l| l.count);
                row.push(n.into());
            }
            s.row(row);
        }
        s
    };
    let mut bad = Sheet::new(
        "不满意评价",
        &[
            ("站点", 18.0),
            ("办件编号", 22.0),
            ("事项", 18.0),
            ("首办", 8.0),
            ("评价等级", 10.0),
            ("渠道", 10.0),
            ("原因", 30.0),
            ("意见", 30.0),
            ("评价时间", 22.0),
        ],
    );
    for b in &p.bad {
        let a = &b.answer;
        bad.row(vec![
            b.station_name
                .clone()
                .unwrap_or_else(|| a.station_code.clone())
                .into(),
            a.case_no.as_str().into(),
            b.item_name.clone().or_else(|| a.item_code.clone()).into(),
            a.handler.clone().into(),
            b.level_zh.clone().into(),
            b.channel_zh.into(),
            a.reasons.join("；").into(),
            a.comment.clone().into(),
            a.answered_at.clone().into(),
        ]);
    }
    let month = p.from.format("%Y-%m");
    vec![
        group_sheet(&format!("{month} 站点排名"), "站点", &p.stations),
        group_sheet(&format!("{month} 窗口人员"), "人员（工号）", &p.clerks),
        group_sheet(&format!("{month} 事项"), "事项（编码）", &p.items),
        bad,
    ]
}

/// The first and last day of the month `month` (`YYYY-MM`).
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

/// The page from the period's facts, the scale and the catalog's item names.
pub fn page(
    from: NaiveDate,
    to: NaiveDate,
    scale: Scale,
    item_names: &BTreeMap<String, String>,
    facts: EvaluationFacts,
) -> EvaluationsPage {
    let rows = stat_rows(&scale, item_names, &facts.counts);
    let names = &facts.station_names;
    let all: Vec<(&StatRow, i64)> = rows.iter().map(|(_, r, w)| (r, *w)).collect();
    let county = weighted_counts(&scale, &all);

    let group = |key_of: &dyn Fn(&str, &StatRow) -> GroupKey| {
        let mut by: BTreeMap<GroupKey, Vec<(&StatRow, i64)>> = BTreeMap::new();
        for (station, r, w) in &rows {
            by.entry(key_of(station, r)).or_default().push((r, *w));
        }
        by.into_iter()
            .map(|((station, key, name), rs)| {
                let c = weighted_counts(&scale, &rs);
                Group {
                    rank: 0,
                    station_name: station.as_ref().and_then(|s| names.get(s).cloned()),
                    station_code: station,
                    key,
                    name,
                    single_source_zh: single_source(&c).map(|s| s.label_zh),
                    counts: c,
                }
            })
            .collect::<Vec<_>>()
    };
    let ranked = |mut g: Vec<Group>| {
        g.sort_by(|a, b| ranking_order(&a.counts, &b.counts).then(a.key.cmp(&b.key)));
        for (i, x) in g.iter_mut().enumerate() {
            x.rank = i + 1;
        }
        g
    };
    let stations = ranked(group(&|s, _| {
        let name = names.get(s).cloned().unwrap_or_else(|| s.to_owned());
        (Some(s.to_owned()), s.to_owned(), name)
    }));
    let clerks = ranked(group(&|s, r| {
        (
            Some(s.to_owned()),
            r.clerk_key.clone(),
            r.clerk_name.clone(),
        )
    }));
    let mut items = group(&|_, r| (None, r.item_code.clone(), r.item_name.clone()));
    items.sort_by(|a, b| b.counts.cases.cmp(&a.counts.cases).then(a.key.cmp(&b.key)));
    for (i, x) in items.iter_mut().enumerate() {
        x.rank = i + 1;
    }

    let bad = facts
        .bad
        .into_iter()
        .map(|a| BadLine {
            station_name: names.get(&a.station_code).cloned(),
            item_name: a
                .item_code
                .as_ref()
                .and_then(|c| item_names.get(c).cloned()),
            level_zh: a
                .level
                .as_ref()
                .and_then(|l| scale.level(l).ok().map(|l| l.label_zh.clone())),
            channel_zh: a
                .channel
                .as_deref()
                .and_then(Channel::parse)
                .map(Channel::label_zh),
            answer: a,
        })
        .collect();
    EvaluationsPage {
        from,
        to,
        scale,
        county,
        stations,
        clerks,
        items,
        bad,
        bad_total: facts.bad_total,
    }
}

/// One engine row per case (the storage counted combinations), with its station.
/// One row per counted combination, with how many cases it stands for.
fn stat_rows(
    scale: &Scale,
    item_names: &BTreeMap<String, String>,
    facts: &[EvaluationCount],
) -> Vec<(String, StatRow, i64)> {
    let mut rows = Vec::with_capacity(facts.len());
    for f in facts {
        let handler = f.handler.clone().unwrap_or_default();
        let item = f.item_code.clone().unwrap_or_default();
        let row = StatRow {
            clerk_name: if handler.is_empty() {
                "（未记录）".to_owned()
            } else {
                format!("工号 {handler}")
            },
            clerk_key: handler,
            item_name: item_names
                .get(&item)
                .cloned()
                .unwrap_or_else(|| item.clone()),
            item_code: item,
            // A status this version does not know counts as no record.
            status: f.status.as_deref().and_then(Status::parse),
            requested: f.requested,
            channel: f.channel.as_deref().and_then(Channel::parse),
            level_zh: f
                .level
                .as_deref()
                .and_then(|l| scale.level(l).ok().map(|l| l.label_zh.clone())),
            level: f.level.clone(),
            good: f.good,
        };
        if f.cases > 0 {
            rows.push((f.station_code.clone(), row, f.cases));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(
        station: &str,
        handler: &str,
        status: Option<&str>,
        channel: Option<&str>,
        level: Option<&str>,
        cases: i64,
    ) -> EvaluationCount {
        EvaluationCount {
            station_code: station.into(),
            handler: Some(handler.into()),
            item_code: Some("RS-SY-001".into()),
            status: status.map(Into::into),
            channel: channel.map(Into::into),
            level: level.map(Into::into),
            good: level.map(|l| l != "dissatisfied"),
            requested: channel != Some("paper") && status.is_some(),
            cases,
        }
    }

    #[test]
    fn months_ranking_and_the_channel_mix() {
        assert_eq!(
            month_bounds("2026-12"),
            NaiveDate::from_ymd_opt(2026, 12, 1).zip(NaiveDate::from_ymd_opt(2026, 12, 31))
        );
        assert_eq!(
            month_bounds("2028-02").map(|b| b.1),
            NaiveDate::from_ymd_opt(2028, 2, 29)
        );
        assert!(month_bounds("2026-13").is_none());
        assert!(month_bounds("十一月").is_none());

        let s = "answered";
        let facts = EvaluationFacts {
            counts: vec![
                // S1: clerk 2001 all on the screen, 9 good of 10.
                n(
                    "S1",
                    "2001",
                    Some(s),
                    Some("applicant_screen"),
                    Some("satisfied"),
                    9,
                ),
                n(
                    "S1",
                    "2001",
                    Some(s),
                    Some("applicant_screen"),
                    Some("dissatisfied"),
                    1,
                ),
                // S1: clerk 2002 six paper forms and nothing else.
                n("S1", "2002", Some(s), Some("paper"), Some("satisfied"), 6),
                // S2: 10 cases, 5 requests defaulted, 5 never asked.
                n("S2", "3001", Some("defaulted"), None, None, 5),
                n("S2", "3001", None, None, None, 5),
            ],
            station_names: [("S1".to_owned(), "城关镇".to_owned())].into(),
            ..Default::default()
        };
        let items = [("RS-SY-001".to_owned(), "失业保险金申领".to_owned())].into();
        let (from, to) = month_bounds("2026-11").unwrap();
        let p = page(from, to, Scale::three_level(), &items, facts);
        assert_eq!(p.county.cases, 26);
        assert_eq!(p.county.evaluated, 21);
        assert_eq!(p.county.requested, 15);
        assert_eq!(p.county.default_rate, Some(5.0 / 15.0));
        assert_eq!(p.county.good_rate, Some(15.0 / 16.0));
        let st: Vec<_> = p
            .stations
            .iter()
            .map(|g| (g.rank, g.key.as_str(), g.name.as_str()))
            .collect();
        assert_eq!(st, [(1, "S1", "城关镇"), (2, "S2", "S2")]);
        let clerk = |k: &str| p.clerks.iter().find(|g| g.key == k).unwrap();
        assert_eq!(
            clerk("2002").single_source_zh,
            Some("纸质评价表（流动测评）")
        );
        assert_eq!(clerk("2001").single_source_zh, None);
        assert_eq!(clerk("3001").single_source_zh, Some("默认（超时未评价）"));
        assert_eq!(clerk("2001").station_name.as_deref(), Some("城关镇"));
        assert_eq!(p.items[0].name, "失业保险金申领");
        assert_eq!(p.items[0].counts.cases, 26);
    }
}
