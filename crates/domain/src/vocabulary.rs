//! Every enumeration of the counter with its Chinese label, and the rule
//! constants a window shows (targets, thresholds, the settings registry), in
//! one answer: the window and the CLI label and decide nothing themselves.

use serde::Serialize;

use crate::calendar::DayUnit;
use crate::case::{MaterialStatus, Outcome, PersonIdType};
use crate::clerk::Role;
use crate::deadline::{ALL_DEADLINE_KINDS, ALL_URGENCIES, DEFAULT_AT_RISK_DAYS};
use crate::evaluation::{
    ALL_CHANNELS, ALL_STATUSES, DISSATISFACTION_REASONS, MAX_COMMENT_CHARS, TARGETS, Target,
};
use crate::lifecycle::ALL_STATES;
use crate::notice::ALL_KINDS;
use crate::settings::{SETTINGS, SettingDef};

/// One value of an enumeration as it travels (`snake_case`) and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labelled {
    pub value: String,
    pub label: &'static str,
}

fn labelled<T: Serialize + Copy>(all: &[T], label: impl Fn(T) -> &'static str) -> Vec<Labelled> {
    all.iter()
        .map(|&v| Labelled {
            // Every enumeration here serialises as a plain string.
            value: serde_json::to_value(v)
                .ok()
                .and_then(|j| j.as_str().map(str::to_owned))
                .unwrap_or_default(),
            label: label(v),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vocabulary {
    pub states: Vec<Labelled>,
    pub notice_kinds: Vec<Labelled>,
    pub material_statuses: Vec<Labelled>,
    pub person_id_types: Vec<Labelled>,
    pub outcomes: Vec<Labelled>,
    pub roles: Vec<Labelled>,
    pub evaluation_statuses: Vec<Labelled>,
    /// Where a 好差评 answer came from. The levels are the scale in force
    /// (county data: `Engine::evaluation_scale`), not a fixed list.
    pub evaluation_channels: Vec<Labelled>,
    pub deadline_kinds: Vec<Labelled>,
    pub urgencies: Vec<Labelled>,
    /// Period units as notices write them after the number (日, 个工作日).
    pub day_units: Vec<Labelled>,
    pub dissatisfaction_reasons: Vec<&'static str>,
    pub evaluation_comment_max_chars: usize,
    pub evaluation_targets: Vec<Target>,
    /// The at-risk threshold when the station has not set one.
    pub default_at_risk_days: i64,
    pub settings: Vec<SettingDef>,
    /// The password rule as a form shows it beside the field.
    pub password_rule_zh: String,
}

/// The vocabulary of this engine version.
pub fn vocabulary() -> Vocabulary {
    use MaterialStatus as M;
    Vocabulary {
        states: labelled(&ALL_STATES, |s| s.label_zh()),
        notice_kinds: labelled(&ALL_KINDS, |k| k.title_zh()),
        material_statuses: labelled(
            &[
                M::Received,
                M::Missing,
                M::Deferred,
                M::Promised,
                M::NotApplicable,
            ],
            |m| m.label_zh(),
        ),
        person_id_types: labelled(
            &[
                PersonIdType::ResidentId,
                PersonIdType::HkMacauPermit,
                PersonIdType::TaiwanPermit,
                PersonIdType::Passport,
                PersonIdType::ForeignPermanentResident,
            ],
            |t| t.label_zh(),
        ),
        outcomes: labelled(
            &[
                Outcome::Accept,
                Outcome::RequestMaterials,
                Outcome::AcceptWithCommitment,
                Outcome::ProposeRejection,
                Outcome::Withdraw,
                Outcome::Forward,
            ],
            |o| o.label_zh(),
        ),
        roles: labelled(&[Role::Clerk, Role::Leader, Role::Admin], |r| r.label_zh()),
        evaluation_statuses: labelled(&ALL_STATUSES, |s| s.label_zh()),
        evaluation_channels: labelled(&ALL_CHANNELS, |c| c.label_zh()),
        deadline_kinds: labelled(&ALL_DEADLINE_KINDS, |k| k.label_zh()),
        urgencies: labelled(&ALL_URGENCIES, |u| u.label_zh()),
        day_units: labelled(&[DayUnit::WorkingDays, DayUnit::CalendarDays], |u| {
            u.label_zh()
        }),
        dissatisfaction_reasons: DISSATISFACTION_REASONS.to_vec(),
        evaluation_comment_max_chars: MAX_COMMENT_CHARS,
        evaluation_targets: TARGETS.to_vec(),
        default_at_risk_days: DEFAULT_AT_RISK_DAYS,
        settings: SETTINGS.to_vec(),
        password_rule_zh: crate::clerk::password_rule_zh(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_has_its_wire_name_and_a_label() {
        let v = vocabulary();
        for list in [
            &v.states,
            &v.notice_kinds,
            &v.material_statuses,
            &v.person_id_types,
            &v.outcomes,
            &v.roles,
            &v.evaluation_statuses,
            &v.evaluation_channels,
            &v.deadline_kinds,
            &v.urgencies,
            &v.day_units,
        ] {
            assert!(!list.is_empty());
            for l in list.iter() {
                assert!(!l.value.is_empty() && !l.label.is_empty(), "{l:?}");
            }
        }
        assert_eq!(v.states.len(), 13);
        assert!(
            v.states
                .iter()
                .any(|s| s.value == "rejection_pending_approval")
        );
        assert_eq!(v.urgencies[2].value, "at_risk");
    }
}
