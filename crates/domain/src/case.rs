//! Cases (办件) as the counter sees them: material statuses, applicants and
//! their validation, the outcomes a checklist allows, the case view. Pure:
//! no database, no engine.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::{Handling, LapseConsequence};
use crate::error::{Error, Result};
use crate::evaluation::CaseEvaluation;
use crate::ids;
use crate::lifecycle::{ActionChoice, CaseState};
use crate::notice::NoticeChoice;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialStatus {
    Received,
    Missing,
    /// 容缺: accepted now, to be supplied by the supplement deadline.
    Deferred,
    /// 告知承诺: a written promise replaces the proof.
    Promised,
    NotApplicable,
}

impl MaterialStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MaterialStatus::Received => "received",
            MaterialStatus::Missing => "missing",
            MaterialStatus::Deferred => "deferred",
            MaterialStatus::Promised => "promised",
            MaterialStatus::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Result<MaterialStatus> {
        Ok(match s {
            "received" => MaterialStatus::Received,
            "missing" => MaterialStatus::Missing,
            "deferred" => MaterialStatus::Deferred,
            "promised" => MaterialStatus::Promised,
            "not_applicable" => MaterialStatus::NotApplicable,
            _ => {
                return Err(Error::invalid(
                    "material_status",
                    format!("unknown material status {s}"),
                    format!("材料状态“{s}”无效"),
                ));
            }
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            MaterialStatus::Received => "已收",
            MaterialStatus::Missing => "缺",
            MaterialStatus::Deferred => "容缺",
            MaterialStatus::Promised => "告知承诺",
            MaterialStatus::NotApplicable => "不适用",
        }
    }

    fn satisfies(self) -> bool {
        matches!(
            self,
            MaterialStatus::Received | MaterialStatus::Promised | MaterialStatus::NotApplicable
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonIdType {
    ResidentId,
    HkMacauPermit,
    TaiwanPermit,
    Passport,
    ForeignPermanentResident,
}

impl PersonIdType {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonIdType::ResidentId => "resident_id",
            PersonIdType::HkMacauPermit => "hk_macau_permit",
            PersonIdType::TaiwanPermit => "taiwan_permit",
            PersonIdType::Passport => "passport",
            PersonIdType::ForeignPermanentResident => "foreign_permanent_resident",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PersonIdType::ResidentId => "居民身份证",
            PersonIdType::HkMacauPermit => "港澳居民来往内地通行证",
            PersonIdType::TaiwanPermit => "台湾居民来往大陆通行证",
            PersonIdType::Passport => "护照",
            PersonIdType::ForeignPermanentResident => "外国人永久居留身份证",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApplicantInput {
    Person {
        name: String,
        id_type: PersonIdType,
        id_no: String,
        #[serde(default)]
        phone: String,
    },
    Organization {
        name: String,
        uscc: String,
        #[serde(default)]
        phone: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentInput {
    pub name: String,
    /// 居民身份证号 of the agent (经办人).
    pub id_no: String,
    /// The agent is the applicant's legal guardian (法定监护人): the only
    /// person besides the applicant who may sign a 告知承诺.
    #[serde(default)]
    pub guardian: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewCase {
    pub item_code: String,
    pub applicant: ApplicantInput,
    #[serde(default)]
    pub agent: Option<AgentInput>,
    /// Material code → status; materials not named are `missing`.
    #[serde(default)]
    pub materials: BTreeMap<String, MaterialStatus>,
    /// Date the application was received; defaults to today.
    #[serde(default)]
    pub received_on: Option<NaiveDate>,
    /// 首办责任人 when not the registering clerk.
    #[serde(default)]
    pub handler: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseMaterial {
    pub code: String,
    pub name: String,
    pub form: String,
    pub copies: u32,
    pub required: bool,
    pub deferrable: bool,
    pub promise_replaces_proof: bool,
    pub standard: String,
    pub status: MaterialStatus,
}

/// What the law lets the clerk do with the checklist as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accept,
    RequestMaterials,
    AcceptWithCommitment,
    ProposeRejection,
    Withdraw,
    /// 收件转送: the station only receives this item.
    Forward,
}

impl Outcome {
    /// The button text at the counter.
    pub fn label_zh(self) -> &'static str {
        match self {
            Outcome::Accept => "受理",
            Outcome::RequestMaterials => "一次性告知（缺材料）",
            Outcome::AcceptWithCommitment => "容缺受理（告知承诺）",
            Outcome::ProposeRejection => "不予受理（报领导审批）",
            Outcome::Withdraw => "申请人撤回",
            Outcome::Forward => "收件并转送（出具收件回执）",
        }
    }
}

/// An allowed outcome with its label, for windows that show choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutcomeChoice {
    pub outcome: Outcome,
    pub label_zh: &'static str,
}

impl From<Outcome> for OutcomeChoice {
    fn from(outcome: Outcome) -> OutcomeChoice {
        OutcomeChoice {
            outcome,
            label_zh: outcome.label_zh(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseView {
    pub case_no: String,
    pub state: CaseState,
    pub state_zh: &'static str,
    pub item_code: String,
    pub item_name: String,
    pub catalog_version: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_id_type: String,
    pub applicant_id_no: String,
    pub agent_name: Option<String>,
    pub first_contact: String,
    pub handler: String,
    pub received_on: NaiveDate,
    pub registered_at: String,
    pub onetime_notice_due: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub promised_due: Option<NaiveDate>,
    pub promised_provisional: bool,
    pub statutory_due: Option<NaiveDate>,
    pub statutory_provisional: bool,
    pub supplement_due: Option<NaiveDate>,
    pub applicant_delay_days: i64,
    pub rejection_reason: Option<String>,
    pub rejection_basis: Option<String>,
    /// The agent is the applicant's legal guardian.
    pub agent_is_guardian: bool,
    /// The body to apply to, when rejected as outside this office's powers.
    pub rejection_competent_body: Option<String>,
    /// Whether this station decides the item or only receives it.
    pub handling: Handling,
    /// The body the case was forwarded to (its name), once forwarded.
    pub forwarded_to: Option<String>,
    /// The recorded consequence of an acceptance review that lapsed.
    pub review_lapse: Option<LapseConsequence>,
    pub review_lapse_zh: Option<&'static str>,
    /// The date by which to supply what a one-time notice lists, where the
    /// item sets a period.
    pub supply_due: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub note: String,
    pub materials: Vec<CaseMaterial>,
    pub outcomes: Vec<Outcome>,
    /// `outcomes` with their Chinese labels, same order.
    pub outcome_choices: Vec<OutcomeChoice>,
    /// The lifecycle actions the table allows from this state (decisions
    /// among them are in `outcomes`), with their labels.
    pub actions: Vec<ActionChoice>,
    /// The notices that may be printed in this state, with their titles.
    pub printable_notices: Vec<NoticeChoice>,
    /// The 好差评 of this case, once requested.
    pub evaluation: Option<CaseEvaluation>,
    /// `applicant_id_no` is masked (the window's default view).
    pub id_masked: bool,
    /// The station database's row id (the engine's; never serialized).
    #[serde(skip)]
    pub id: i64,
    /// The seq of the case's latest event (the engine's; never serialized).
    #[serde(skip)]
    pub last_event_seq: i64,
}

impl CaseView {
    pub fn applicant_id_masked(&self) -> String {
        ids::mask_id(&self.applicant_id_no)
    }

    /// The view a window shows by default: the ID number masked. Showing it
    /// in full is an explicit action the engine records (`reveal_id`).
    pub fn masked(mut self) -> CaseView {
        if !self.id_masked {
            self.applicant_id_no = ids::mask_id(&self.applicant_id_no);
            self.id_masked = true;
        }
        self
    }

    /// Some proof of this case is replaced by a written promise (告知承诺).
    pub fn has_promised(&self) -> bool {
        self.materials
            .iter()
            .any(|m| m.status == MaterialStatus::Promised)
    }

    pub fn missing(&self) -> impl Iterator<Item = &CaseMaterial> {
        self.materials
            .iter()
            .filter(|m| m.required && !m.status.satisfies())
    }
}

/// A reason typed without closing punctuation still ends as a sentence on
/// the notice.
pub fn as_sentence(text: &str) -> String {
    let t = text.trim();
    match t.chars().last() {
        Some('。' | '！' | '？' | '；' | '.' | '!' | '?') | None => t.to_owned(),
        Some(_) => format!("{t}。"),
    }
}

/// The outcomes the window may offer for a case in `state` with this
/// checklist: a decision on a registered case, rejection or withdrawal while
/// materials are awaited, nothing otherwise.
pub fn outcomes_in(
    state: CaseState,
    materials: &[CaseMaterial],
    handling: &Handling,
) -> Vec<Outcome> {
    match state {
        // A station that only receives never decides in the body's name.
        CaseState::Registered if handling.receives_only() => {
            vec![Outcome::Forward, Outcome::Withdraw]
        }
        CaseState::Registered => outcomes_for(materials),
        CaseState::AwaitingMaterials => vec![Outcome::ProposeRejection, Outcome::Withdraw],
        _ => Vec::new(),
    }
}

/// The outcomes the law allows for a checklist in state Registered.
pub fn outcomes_for(materials: &[CaseMaterial]) -> Vec<Outcome> {
    let missing: Vec<&CaseMaterial> = materials
        .iter()
        .filter(|m| m.required && !m.status.satisfies())
        .collect();
    let mut out = Vec::new();
    if missing.is_empty() {
        out.push(Outcome::Accept);
    } else {
        if missing.iter().all(|m| m.deferrable) {
            out.push(Outcome::AcceptWithCommitment);
        }
        out.push(Outcome::RequestMaterials);
    }
    out.push(Outcome::ProposeRejection);
    out.push(Outcome::Withdraw);
    out
}

/// A trimmed text field of at most `max` characters, or a refusal naming it.
pub fn text(field: &str, v: &str, max: usize, zh: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} empty or longer than {max}"),
            format!("{zh}不能为空，且不超过{max}字"),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            field,
            "control characters",
            format!("{zh}中含有无效字符"),
        ));
    }
    Ok(v.to_owned())
}

/// An applicant as checked, ready to store.
pub struct ValidApplicant {
    pub kind: &'static str,
    pub name: String,
    pub id_type: String,
    pub id_no: String,
    pub phone: String,
}

pub fn validate_applicant(a: &ApplicantInput, today: NaiveDate) -> Result<ValidApplicant> {
    match a {
        ApplicantInput::Person {
            name,
            id_type,
            id_no,
            phone,
        } => {
            let name = text("applicant_name", name, 64, "申请人姓名")?;
            let id_no = match id_type {
                PersonIdType::ResidentId => ids::validate_resident_id(id_no, today)?.0,
                _ => {
                    let v = id_no.trim().to_uppercase();
                    if v.len() < 5 || v.len() > 32 || !v.chars().all(|c| c.is_ascii_alphanumeric())
                    {
                        return Err(Error::invalid(
                            "id_no",
                            "bad document number",
                            format!("{}号码应为5至32位字母或数字", id_type.label_zh()),
                        ));
                    }
                    v
                }
            };
            Ok(ValidApplicant {
                kind: "person",
                name,
                id_type: id_type.as_str().into(),
                id_no,
                phone: validate_phone(phone)?,
            })
        }
        ApplicantInput::Organization { name, uscc, phone } => Ok(ValidApplicant {
            kind: "organization",
            name: text("applicant_name", name, 128, "单位名称")?,
            id_type: "uscc".into(),
            id_no: ids::validate_uscc(uscc)?,
            phone: validate_phone(phone)?,
        }),
    }
}

fn validate_phone(p: &str) -> Result<String> {
    let p = p.trim();
    if p.len() > 20
        || !p
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
    {
        return Err(Error::invalid("phone", "bad phone", "联系电话格式不正确"));
    }
    Ok(p.to_owned())
}

impl NewCase {
    /// A case with no agent, received today, handled by the registering clerk.
    pub fn simple(
        item_code: &str,
        applicant: ApplicantInput,
        materials: BTreeMap<String, MaterialStatus>,
    ) -> NewCase {
        NewCase {
            item_code: item_code.into(),
            applicant,
            agent: None,
            materials,
            received_on: None,
            handler: None,
            note: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material(
        code: &str,
        required: bool,
        deferrable: bool,
        status: MaterialStatus,
    ) -> CaseMaterial {
        CaseMaterial {
            code: code.into(),
            name: format!("材料{code}"),
            form: "原件".into(),
            copies: 1,
            required,
            deferrable,
            promise_replaces_proof: false,
            standard: String::new(),
            status,
        }
    }

    use MaterialStatus::{Missing, NotApplicable, Promised, Received};

    #[test]
    fn a_complete_checklist_may_be_accepted() {
        let m = [
            material("M1", true, false, Received),
            material("M2", true, false, NotApplicable),
            material("M3", false, false, Missing),
        ];
        assert_eq!(
            outcomes_for(&m),
            [
                Outcome::Accept,
                Outcome::ProposeRejection,
                Outcome::Withdraw
            ]
        );
    }

    #[test]
    fn gaps_that_may_all_wait_allow_commitment() {
        let m = [
            material("M1", true, false, Received),
            material("M2", true, true, Missing),
        ];
        assert_eq!(
            outcomes_for(&m),
            [
                Outcome::AcceptWithCommitment,
                Outcome::RequestMaterials,
                Outcome::ProposeRejection,
                Outcome::Withdraw
            ]
        );
    }

    #[test]
    fn a_gap_that_may_not_wait_means_one_time_notice() {
        let m = [
            material("M1", true, false, Missing),
            material("M2", true, true, Missing),
        ];
        assert_eq!(
            outcomes_for(&m),
            [
                Outcome::RequestMaterials,
                Outcome::ProposeRejection,
                Outcome::Withdraw
            ]
        );
    }

    #[test]
    fn a_promise_satisfies_a_material() {
        let m = [material("M1", true, false, Promised)];
        assert_eq!(outcomes_for(&m)[0], Outcome::Accept);
    }

    #[test]
    fn a_reason_ends_as_a_sentence() {
        assert_eq!(as_sentence("超过申请时效"), "超过申请时效。");
        assert_eq!(as_sentence(" 超过申请时效。 "), "超过申请时效。");
        assert_eq!(as_sentence("是否属实？"), "是否属实？");
    }

    #[test]
    fn outcomes_depend_on_the_state() {
        let m = [material("M1", true, false, Received)];
        let d = Handling::Decides;
        assert_eq!(outcomes_in(CaseState::Registered, &m, &d), outcomes_for(&m));
        assert_eq!(
            outcomes_in(CaseState::AwaitingMaterials, &m, &d),
            [Outcome::ProposeRejection, Outcome::Withdraw]
        );
        for st in [
            CaseState::Accepted,
            CaseState::RejectionPendingApproval,
            CaseState::Rejected,
            CaseState::Forwarded,
        ] {
            assert!(outcomes_in(st, &m, &d).is_empty(), "{st:?}");
        }
    }

    #[test]
    fn a_station_that_only_receives_forwards() {
        let m = [material("M1", true, false, Received)];
        let r = Handling::ReceivesFor {
            body: "commission".into(),
            body_name: "示范县劳动人事争议仲裁委员会".into(),
        };
        assert_eq!(
            outcomes_in(CaseState::Registered, &m, &r),
            [Outcome::Forward, Outcome::Withdraw]
        );
    }
}
