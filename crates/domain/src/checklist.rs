//! The checklist (材料清单) and the decisions it allows: which statuses a
//! material may take, and the guards of 受理, 一次性告知 and 容缺受理.
//! Pure: `ops::cases` calls these before it writes.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::case::{CaseMaterial, CaseView, MaterialStatus};
use crate::catalog::{Handling, LapseConsequence, ServiceItem, SupplementRule};
use crate::error::{Error, Result};
use crate::lifecycle::Action;

/// The checklist of `item` after `changes` on `base` (a new case: none): every
/// material named must be the item's; a promise only where it replaces proof
/// (告知承诺); 容缺 only through 容缺受理; a material not mentioned is missing.
pub fn checked_materials(
    item: &ServiceItem,
    changes: &BTreeMap<String, MaterialStatus>,
    base: Option<&[CaseMaterial]>,
) -> Result<BTreeMap<String, MaterialStatus>> {
    for code in changes.keys() {
        if !item.materials.iter().any(|m| &m.code == code) {
            return Err(Error::invalid(
                "materials",
                format!("item {} has no material {code}", item.code),
                format!("事项“{}”没有编码为 {code} 的材料", item.name),
            ));
        }
    }
    let mut out = BTreeMap::new();
    for m in &item.materials {
        let status = changes
            .get(&m.code)
            .copied()
            .or_else(|| base.and_then(|b| b.iter().find(|x| x.code == m.code).map(|x| x.status)))
            .unwrap_or(MaterialStatus::Missing);
        if status == MaterialStatus::Promised && !m.promise_replaces_proof {
            return Err(Error::rule(
                "promise_not_allowed",
                format!("material {} cannot be replaced by a promise", m.code),
                format!("材料“{}”不适用告知承诺，不能以承诺代替", m.name),
            ));
        }
        if status == MaterialStatus::Deferred {
            return Err(Error::rule(
                "deferred_only_by_commitment",
                "materials become deferred only through 容缺受理",
                "“容缺”状态只能通过容缺受理产生，请标记为“缺”",
            ));
        }
        out.insert(m.code.clone(), status);
    }
    Ok(out)
}

/// A promise replaces a proof only when the applicant signs it in person, or
/// the legal guardian does; another agent may not promise for the applicant
/// (证明事项告知承诺: no proxy but a guardian).
pub fn check_promise_signer(
    materials: &BTreeMap<String, MaterialStatus>,
    has_agent: bool,
    agent_is_guardian: bool,
) -> Result<()> {
    if has_agent && !agent_is_guardian && materials.values().any(|s| *s == MaterialStatus::Promised)
    {
        return Err(Error::rule(
            "promise_by_agent",
            "a promise is signed by the applicant in person or by the legal guardian",
            "告知承诺须由申请人本人作出；由他人代办的，仅法定监护人可以代为承诺。请申请人本人承诺或提交证明",
        ));
    }
    Ok(())
}

/// 受理 needs every required material.
pub fn check_accept(c: &CaseView) -> Result<()> {
    if let Some(m) = c.missing().next() {
        return Err(Error::rule(
            "materials_incomplete",
            format!("material {} is missing", m.code),
            format!(
                "材料“{}”尚未收取，不能直接受理；请出具一次性告知单或办理容缺受理",
                m.name
            ),
        ));
    }
    Ok(())
}

/// 一次性告知 needs something missing; returns the codes to tell at once.
pub fn check_request_materials(c: &CaseView) -> Result<Vec<String>> {
    let missing: Vec<String> = c.missing().map(|m| m.code.clone()).collect();
    if missing.is_empty() {
        return Err(Error::rule(
            "nothing_missing",
            "no required material is missing",
            "材料已经齐全，应当直接受理，不能出具一次性告知单",
        ));
    }
    Ok(missing)
}

/// 容缺受理: something missing, every gap on the item's deferrable list, the
/// applicant's agreement, and the item's supplement rule. Returns the
/// materials that become deferred and the rule.
pub fn check_commitment<'i>(
    c: &CaseView,
    item: &'i ServiceItem,
    applicant_agrees: bool,
) -> Result<(Vec<String>, &'i SupplementRule)> {
    let missing: Vec<&CaseMaterial> = c.missing().collect();
    if missing.is_empty() {
        return Err(Error::rule(
            "nothing_missing",
            "no required material is missing; accept normally",
            "材料已经齐全，应当直接受理，无需容缺",
        ));
    }
    if let Some(m) = missing.iter().find(|m| !m.deferrable) {
        return Err(Error::rule(
            "not_deferrable",
            format!("material {} is not on the item's deferrable list", m.code),
            format!("缺少的材料“{}”不在本事项的容缺清单内，不能容缺受理", m.name),
        ));
    }
    if !applicant_agrees {
        return Err(Error::rule(
            "no_commitment",
            "the applicant has not agreed to the commitment",
            "申请人未同意签署承诺书，不能容缺受理",
        ));
    }
    let rule = item.supplement.as_ref().ok_or_else(|| {
        Error::rule(
            "no_supplement_rule",
            "item has no supplement rule",
            "该事项未规定容缺补齐办法",
        )
    })?;
    Ok((missing.iter().map(|m| m.code.clone()).collect(), rule))
}

/// A 容缺 case is overdue only after its supplement deadline.
/// A station that only receives an item never decides it: the decisions are
/// the deciding body's (it forwards instead).
pub fn check_decides(c: &CaseView, action: Action) -> Result<()> {
    if let Handling::ReceivesFor { body_name, .. } = &c.handling
        && action.is_decision()
    {
        return Err(Error::rule(
            "receives_only",
            format!(
                "{} is decided by {body_name}; this station only receives it",
                c.item_code
            ),
            format!(
                "“{}”由{body_name}决定，本站只收件转送，不能以其名义作出受理或不予受理决定",
                c.item_name
            ),
        ));
    }
    Ok(())
}

/// 收件转送 is for a station that only receives the item.
pub fn check_forward(c: &CaseView) -> Result<(&str, &str)> {
    match &c.handling {
        Handling::ReceivesFor { body, body_name } => Ok((body, body_name)),
        Handling::Decides => Err(Error::rule(
            "decides_here",
            format!("{} is decided at this station", c.item_code),
            format!(
                "本站是“{}”的受理机关，应依法作出受理决定，不能转送",
                c.item_name
            ),
        )),
    }
}

/// The acceptance review has lapsed with no notice and the item's rules give
/// `want` as its consequence.
pub fn check_review_lapsed(
    c: &CaseView,
    item: &ServiceItem,
    want: LapseConsequence,
    today: NaiveDate,
) -> Result<()> {
    if today <= c.onetime_notice_due {
        return Err(Error::rule(
            "review_not_lapsed",
            "the acceptance review period has not passed",
            format!(
                "受理审查期限（至{}）尚未届满",
                c.onetime_notice_due.format("%Y年%-m月%-d日")
            ),
        ));
    }
    match &item.review_lapse {
        Some(l) if l.consequence == want => Ok(()),
        _ => Err(Error::rule(
            "no_such_lapse",
            format!(
                "{}: the rules give no consequence {}",
                item.code,
                want.as_str()
            ),
            format!("“{}”的规定没有“{}”的后果", item.name, want.label_zh()),
        )),
    }
}

pub fn check_supplement_overdue(c: &CaseView, today: NaiveDate) -> Result<()> {
    if c.supplement_due.is_some_and(|d| today <= d) {
        return Err(Error::rule(
            "not_overdue",
            "the supplement deadline has not passed",
            "补齐期限尚未届满，不能标记为逾期",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{BUNDLED_CATALOG, Catalog};

    fn item(code: &str) -> ServiceItem {
        Catalog::parse(BUNDLED_CATALOG, "catalog.json")
            .unwrap()
            .item(code)
            .cloned()
            .unwrap()
    }

    #[test]
    fn a_material_not_mentioned_is_missing() {
        let it = item("RS-SB-001");
        let m = checked_materials(
            &it,
            &BTreeMap::from([("M1".into(), MaterialStatus::Received)]),
            None,
        )
        .unwrap();
        assert_eq!(m["M1"], MaterialStatus::Received);
        assert_eq!(m["M2"], MaterialStatus::Missing);
    }

    #[test]
    fn a_material_of_another_item_is_refused() {
        let it = item("RS-SY-001");
        let e = checked_materials(
            &it,
            &BTreeMap::from([("M9".into(), MaterialStatus::Received)]),
            None,
        )
        .unwrap_err();
        assert!(e.user_message().contains("M9"), "{}", e.user_message());
    }

    #[test]
    fn a_promise_only_where_it_replaces_proof_and_deferral_only_by_commitment() {
        // 职业技能等级认定: the proof of years worked may be promised (告知承诺), the ID may not.
        let it = item("RS-JN-001");
        let promise = |code: &str| {
            checked_materials(
                &it,
                &BTreeMap::from([(code.into(), MaterialStatus::Promised)]),
                None,
            )
        };
        assert!(promise("M3").is_ok());
        assert!(promise("M1").is_err());
        let deferred = checked_materials(
            &it,
            &BTreeMap::from([("M3".into(), MaterialStatus::Deferred)]),
            None,
        );
        assert!(deferred.is_err());
    }
}
