//! What a notice prints: the snapshot of fields stored with its record and
//! filled into its template. Pure: the engine gathers the inputs (case,
//! catalog, settings, templates) and stores the result.
//!
//! Legal sentences are not written here: the remedy sentence and the other
//! fixed sentences come from the template set (data the county publishes),
//! the periods in them from the catalog's remedy terms, the bodies from the
//! station's settings.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::case::{CaseView, MaterialStatus, as_sentence};
use crate::catalog::{Catalog, LapseConsequence, RemedyRoute, ServiceItem, cite_all};
use crate::clerk::Clerk;
use crate::error::{Error, Result};
use crate::notice::NoticeKind;
use crate::station::StationInfo;
use crate::template::{TemplateSet, fill};

/// The issuing office and the bodies a notice names (station settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub name: String,
    pub address: String,
    pub review_body: String,
    pub court: String,
    pub arbitration_commission: String,
}

/// Who issues a notice of an item, and under which number series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub name: String,
    /// The body's key in the catalog; none for the station's own office.
    pub body: Option<String>,
    pub review_body: Option<String>,
    pub court: String,
    pub prefix: String,
    pub number_word: bool,
    pub approval_note: bool,
}

impl Issuer {
    /// `〔2026〕第1号` or `〔2026〕1号`, after the prefix.
    pub fn doc_no(&self, year: i32, number: i64) -> String {
        let word = if self.number_word { "第" } else { "" };
        format!("{}〔{year}〕{word}{number}号", self.prefix)
    }

    /// The gap-free counter of this issuer's series of `kind` in `year`.
    pub fn counter_scope(&self, kind: NoticeKind, year: i32) -> String {
        match &self.body {
            None => format!("doc:{}:{year}", kind.as_str()),
            Some(b) => format!("doc:{b}:{}:{year}", kind.as_str()),
        }
    }
}

/// The issuer of a `kind` notice of `item`: the deciding body of the catalog
/// with its own name and series, or the station's office (its settings and
/// `station_prefix`). A body without a series for `kind` is an error rather
/// than a number in someone else's series.
pub fn issuer(
    catalog: &Catalog,
    item: &ServiceItem,
    kind: NoticeKind,
    office: &Office,
    station: &StationInfo,
    station_prefix: String,
) -> Result<Issuer> {
    // A 收件回执 is the receiving station's own paper, whoever decides.
    let decider = item
        .decider
        .as_ref()
        .filter(|_| kind != NoticeKind::ReceiptNotice);
    let Some(id) = decider else {
        // A labour-arbitration decision is the commission's, not the bureau's.
        let name = if item.remedy == RemedyRoute::LabourArbitrationCourt
            && kind != NoticeKind::ReceiptNotice
        {
            office.arbitration_commission.clone()
        } else {
            office.name.clone()
        };
        return Ok(Issuer {
            name,
            body: None,
            review_body: Some(office.review_body.clone()),
            court: office.court.clone(),
            prefix: station_prefix,
            number_word: true,
            approval_note: true,
        });
    };
    let body = catalog.bodies.get(id).ok_or_else(|| Error::Catalog {
        file: catalog.version.clone(),
        item: item.code.clone(),
        field: "decider".into(),
        reason: format!("决定机关“{id}”未定义"),
    })?;
    let local = |s: &str| {
        s.replace("{county}", &station.county)
            .replace("{station}", &station.name)
    };
    let prefix = body
        .series
        .get(kind.as_str())
        .ok_or_else(|| Error::Catalog {
            file: catalog.version.clone(),
            item: item.code.clone(),
            field: format!("bodies.{id}.series.{}", kind.as_str()),
            reason: format!(
                "决定机关“{}”未设{}的文号",
                local(&body.name),
                kind.title_zh()
            ),
        })?;
    Ok(Issuer {
        name: local(&body.name),
        body: Some(id.clone()),
        review_body: body.review_body.as_deref().map(local),
        court: local(&body.court),
        prefix: local(prefix),
        number_word: body.number_word,
        approval_note: body.approval_note,
    })
}

/// Everything a notice's fields are made from.
pub struct NoticeInput<'a> {
    pub kind: NoticeKind,
    pub case: &'a CaseView,
    pub item: &'a ServiceItem,
    pub catalog: &'a Catalog,
    pub clerk: &'a Clerk,
    pub station: &'a StationInfo,
    pub office: &'a Office,
    pub today: NaiveDate,
    /// The leader who approved a rejection: (name, staff number).
    pub approver: Option<(String, String)>,
    pub templates: &'a TemplateSet,
    pub issuer: &'a Issuer,
}

/// Every field a notice of `input.kind` prints.
pub fn notice_fields(input: &NoticeInput<'_>) -> Result<Value> {
    let NoticeInput {
        kind,
        case: c,
        item,
        clerk,
        station: st,
        office,
        today,
        ..
    } = *input;
    let materials: Vec<Value> = c
        .materials
        .iter()
        .map(|m| {
            json!({"code": m.code, "name": m.name, "form": m.form, "copies": m.copies,
                   "standard": m.standard, "required": m.required, "status": m.status,
                   "status_zh": m.status.label_zh()})
        })
        .collect();
    let office_name = &input.issuer.name;
    let mut f = json!({
        "kind": kind.as_str(),
        "title": kind.title_zh(),
        "case_no": c.case_no,
        "issued_on": today,
        "office": {
            "name": office_name,
            "address": office.address,
            "county": st.county, "station_name": st.name, "station_code": st.code,
            "window": item.window, "phone": item.contact_phone,
        },
        "applicant": {
            "kind": c.applicant_kind, "name": c.applicant_name,
            "id_type": c.applicant_id_type, "id_no_masked": c.applicant_id_masked(),
            "agent_name": c.agent_name,
        },
        "item": {
            "code": item.code, "name": item.name, "category": item.category,
            "legal_basis": cite_all(&item.legal_basis),
            // The item's own basis, then the rule of its acceptance review.
            "review_basis": review_basis(item),
            "procedure": item.procedure, "statutory_days": item.statutory_days,
            "statutory_unit_zh": item.statutory_unit.label_zh(),
            "promised_days": item.promised_days,
            "promised_unit_zh": item.promised_unit.label_zh(), "fee": item.fee,
        },
        "received_on": c.received_on,
        "clerk": {"name": clerk.name, "staff_no": clerk.staff_no},
        "materials": materials,
    });
    match kind {
        NoticeKind::OneTimeNotice => {
            f["missing"] = json!(c.missing().map(|m| m.name.clone()).collect::<Vec<_>>());
            // Each missing material with what it must be (form, copies, 要求).
            f["missing_detail"] = json!(
                c.missing()
                    .map(|m| {
                        let standard = m.standard.trim();
                        if standard.is_empty() {
                            format!("{}（{}{}份）", m.name, m.form, m.copies)
                        } else {
                            format!("{}（{}{}份；要求：{standard}）", m.name, m.form, m.copies)
                        }
                    })
                    .collect::<Vec<_>>()
            );
            f["restart_note"] = json!(input.templates.sentence("restart_note")?);
            // The date to supply by, where the item's rules set a period.
            f["has_supply_due"] = json!(c.supply_due.is_some());
            f["supply_due"] = json!(c.supply_due);
            f["supply_basis"] = json!(
                item.supply_within
                    .as_ref()
                    .map(|p| cite_all(&p.basis))
                    .unwrap_or_default()
            );
        }
        NoticeKind::ReceiptNotice => {
            let forwarded_to = c.forwarded_to.clone().ok_or_else(|| {
                Error::invalid(
                    "forwarded_to",
                    "receipt of a case not forwarded",
                    "该办件尚未转送，不能出具收件回执",
                )
            })?;
            f["forwarded_to"] = json!(forwarded_to);
            f["forwarded_on"] = json!(c.completed_on);
            f["received"] = json!(
                c.materials
                    .iter()
                    .filter(|m| m.status == MaterialStatus::Received)
                    .map(|m| format!("{}（{}{}份）", m.name, m.form, m.copies))
                    .collect::<Vec<_>>()
            );
            f["not_submitted"] = json!(c.missing().map(|m| m.name.clone()).collect::<Vec<_>>());
            f["has_not_submitted"] = json!(c.missing().next().is_some());
            f["item"]["acceptance_basis"] = json!(cite_all(&item.acceptance_basis));
            f["item"]["acceptance_days"] = json!(item.acceptance_days);
            f["item"]["acceptance_unit_zh"] = json!(item.acceptance_unit.label_zh());
            f["receipt_note"] = json!(fill(input.templates.sentence("receipt_note")?, &f)?);
        }
        NoticeKind::CommitmentNotice => {
            let rule = item.supplement.clone();
            f["deferred"] = json!(
                c.materials
                    .iter()
                    .filter(|m| m.status == MaterialStatus::Deferred)
                    .map(|m| m.name.clone())
                    .collect::<Vec<_>>()
            );
            f["supplement_due"] = json!(c.supplement_due);
            f["supplement_how"] = json!(rule.as_ref().map(|r| r.how.clone()));
            f["consequence"] = json!(rule.as_ref().map(|r| r.consequence.clone()));
            f["promised_due"] = json!(c.promised_due);
            f["accepted_on"] = json!(c.accepted_on);
        }
        NoticeKind::RejectionNotice => {
            f["reason"] = json!(c.rejection_reason.as_deref().map(as_sentence));
            f["competent_body"] = json!(c.rejection_competent_body);
            f["has_competent_body"] = json!(c.rejection_competent_body.is_some());
            f["legal_basis_of_decision"] = json!(c.rejection_basis);
            f["approved_by"] = json!(
                input
                    .approver
                    .as_ref()
                    .map(|(n, s)| json!({"name": n, "staff_no": s}))
            );
            f["remedy"] = remedy_fields(input)?;
            // Only where the deciding body's procedure has the leader's approval.
            f["show_approval"] = json!(input.issuer.approval_note && input.approver.is_some());
        }
        NoticeKind::PromiseNotice => {
            let promised: Vec<&crate::case::CaseMaterial> = c
                .materials
                .iter()
                .filter(|m| m.status == MaterialStatus::Promised)
                .collect();
            let mut rows = Vec::new();
            for m in &promised {
                let terms = item
                    .materials
                    .iter()
                    .find(|x| x.code == m.code)
                    .and_then(|x| x.promise.as_ref())
                    .ok_or_else(|| Error::Catalog {
                        file: input.catalog.version.clone(),
                        item: item.code.clone(),
                        field: format!("materials.{}.promise", m.code),
                        reason: "可告知承诺的证明未写明设定依据、证明内容和核查方式".into(),
                    })?;
                rows.push(json!({"code": m.code, "name": m.name,
                    "proof_basis": cite_all(&terms.proof_basis).join("、"),
                    "proof_content": terms.proof_content, "check_how": terms.check_how}));
            }
            let terms = item.promise.as_ref().ok_or_else(|| Error::Catalog {
                file: input.catalog.version.clone(),
                item: item.code.clone(),
                field: "promise".into(),
                reason: "未写明告知承诺目录、核查时间、不实承诺责任和公开方式".into(),
            })?;
            f["promised"] = json!(rows);
            f["promised_names"] =
                json!(promised.iter().map(|m| m.name.clone()).collect::<Vec<_>>());
            f["item"]["promise_list_ref"] = json!(terms.list_ref);
            f["item"]["promise_check_when"] = json!(terms.check_when);
            f["item"]["promise_liability"] = json!(terms.liability);
            f["item"]["promise_disclosure"] = json!(terms.disclosure);
            f["signed_by_guardian"] = json!(c.agent_is_guardian);
        }
        NoticeKind::AcceptanceNotice => {
            // 行政许可法 §32(4): accepted by the law, not by a decision.
            let deemed = c.review_lapse == Some(LapseConsequence::DeemedAccepted);
            f["deemed_accepted"] = json!(deemed);
            f["accepted_by_decision"] = json!(!deemed);
            f["lapse_basis"] = json!(
                item.review_lapse
                    .as_ref()
                    .map(|l| cite_all(&l.basis))
                    .unwrap_or_default()
            );
            f["accepted_on"] = json!(c.accepted_on);
            f["promised_due"] = json!(c.promised_due);
            f["promised_provisional"] = json!(c.promised_provisional);
            f["statutory_due"] = json!(c.statutory_due);
            f["statutory_provisional"] = json!(c.statutory_provisional);
        }
    }
    Ok(f)
}

/// What the one-time notice cites: the item's basis and the rule of its
/// acceptance review (工伤认定办法 §8, 办案规则 §29 …), each once.
fn review_basis(item: &ServiceItem) -> Vec<String> {
    let mut out = cite_all(&item.legal_basis);
    for c in cite_all(&item.acceptance_basis) {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The remedy of an item's route: the bodies (settings), the periods (the
/// catalog's terms for the route) and the sentence (the template's for the
/// route) filled with them.
fn remedy_fields(input: &NoticeInput<'_>) -> Result<Value> {
    let route = input.item.remedy;
    let terms = input.catalog.remedy_terms(route)?;
    let mut r = Map::new();
    r.insert("route".into(), json!(route.as_str()));
    if route != RemedyRoute::LabourArbitrationCourt {
        let review_body = input
            .issuer
            .review_body
            .as_ref()
            .ok_or_else(|| Error::Catalog {
                file: input.catalog.version.clone(),
                item: input.item.code.clone(),
                field: "bodies.review_body".into(),
                reason: "该决定机关没有行政复议机关，不能适用复议的救济途径".into(),
            })?;
        r.insert("review_body".into(), json!(review_body));
    }
    if let Some(d) = terms.review_days {
        r.insert("review_days".into(), json!(d));
    }
    r.insert("court".into(), json!(input.issuer.court));
    for (key, v) in [
        ("lawsuit_months", terms.lawsuit_months),
        ("after_review_days", terms.after_review_days),
        ("lawsuit_days", terms.lawsuit_days),
    ] {
        if let Some(v) = v {
            r.insert(key.into(), json!(v));
        }
    }
    let sentence = input.templates.remedy_sentence(route)?;
    let filled = fill(sentence, &json!({ "remedy": Value::Object(r.clone()) }))?;
    r.insert("sentence".into(), json!(filled));
    Ok(Value::Object(r))
}
