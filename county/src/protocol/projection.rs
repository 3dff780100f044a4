//! Business validation of stored events and what they project to: the
//! latest state of each case, and the 否定备案 register (cases whose latest
//! state is [`REJECTED`]). An event that fails validation is quarantined:
//! it stays in the log (the chain is the record) but out of the projections.

use std::collections::BTreeMap;

use yichuang_domain::ids::{mask_id, mask_name};
use yichuang_wire::QuarantineNotice;

/// The case state that puts a case in the 否定备案 register. The migration's
/// `rejection_register` view (for ad-hoc SQL) applies the same rule.
pub const REJECTED: &str = "rejected";

/// What a valid `case.*` event says about its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseUpdate {
    pub case_no: String,
    pub state: String,
    pub item_code: Option<String>,
    pub actor: Option<String>,
}

/// Business validation of one stored event: `Err(reason)` quarantines it;
/// `Ok(None)` is a valid event that projects to no case row.
pub fn validate(kind: &str, payload: &[u8]) -> Result<Option<CaseUpdate>, String> {
    check(kind, payload).map(|(_, u)| u)
}

type Object = serde_json::Map<String, serde_json::Value>;

fn check(kind: &str, payload: &[u8]) -> Result<(Object, Option<CaseUpdate>), String> {
    let text = std::str::from_utf8(payload).map_err(|e| format!("payload is not UTF-8: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("payload is not valid JSON: {e}"))?;
    let serde_json::Value::Object(obj) = value else {
        return Err("payload is not a JSON object".to_owned());
    };
    if !kind.starts_with("case.") {
        return Ok((obj, None));
    }
    let field = |name: &str| -> Result<String, String> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(_) => Err(format!("{kind}: field {name} must be a non-empty string")),
            None => Err(format!("{kind}: field {name} is missing")),
        }
    };
    let opt = |name: &str| obj.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let u = CaseUpdate {
        case_no: field("case_no")?,
        state: field("state")?,
        item_code: opt("item_code"),
        actor: opt("actor"),
    };
    Ok((obj, Some(u)))
}

/// A string field, if present and a string.
fn text(obj: &Object, name: &str) -> Option<String> {
    obj.get(name)
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

/// A date field (`YYYY-MM-DD`), if present and well-formed. A malformed one
/// is left out rather than quarantined: the case row itself is still right.
fn date(obj: &Object, name: &str) -> Option<chrono::NaiveDate> {
    obj.get(name)
        .and_then(|v| v.as_str())
        .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// A stored event as projection reads it.
#[derive(Debug, Clone, Copy)]
pub struct StoredEvent<'a> {
    pub seq: u64,
    pub kind: &'a str,
    pub payload: &'a [u8],
    pub event_id: &'a str,
    pub device_time: &'a str,
}

/// One row of the case projection: a case's latest state and the event that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub case_no: String,
    pub state: String,
    pub item_code: Option<String>,
    pub actor: Option<String>,
    pub last_kind: String,
    pub last_seq: u64,
    pub last_event_id: String,
    pub last_device_time: String,
    pub facts: CaseFacts,
}

/// What a case's events say beyond its latest state; a later event that
/// does not mention a fact keeps the earlier value (the backend merges the
/// same way, so chunked and whole projections agree).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    pub received_on: Option<chrono::NaiveDate>,
    /// Device time of `case.registered`.
    pub registered_at: Option<String>,
    /// 首问: the clerk who registered it; 首办: the handler.
    pub first_contact: Option<String>,
    pub handler: Option<String>,
    pub catalog_version: Option<String>,
    pub accepted_on: Option<chrono::NaiveDate>,
    pub promised_due: Option<chrono::NaiveDate>,
    pub statutory_due: Option<chrono::NaiveDate>,
    pub supplement_due: Option<chrono::NaiveDate>,
    /// The day it left the open states (decision, completion, withdrawal…).
    pub closed_on: Option<chrono::NaiveDate>,
    /// The day by which the station must accept, send the 一次性告知 or
    /// refuse (the acceptance review), as the registration computed it.
    pub onetime_due: Option<chrono::NaiveDate>,
    /// The applicant's name and ID number, masked as the window masks them:
    /// the county's staff see who without seeing the whole number.
    pub applicant_masked: Option<String>,
    pub applicant_id_masked: Option<String>,
}

impl CaseFacts {
    fn merge(&mut self, later: CaseFacts) {
        fn keep<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        keep(&mut self.received_on, later.received_on);
        keep(&mut self.registered_at, later.registered_at);
        keep(&mut self.first_contact, later.first_contact);
        keep(&mut self.handler, later.handler);
        keep(&mut self.catalog_version, later.catalog_version);
        keep(&mut self.accepted_on, later.accepted_on);
        keep(&mut self.promised_due, later.promised_due);
        keep(&mut self.statutory_due, later.statutory_due);
        keep(&mut self.supplement_due, later.supplement_due);
        keep(&mut self.closed_on, later.closed_on);
        keep(&mut self.onetime_due, later.onetime_due);
        keep(&mut self.applicant_masked, later.applicant_masked);
        keep(&mut self.applicant_id_masked, later.applicant_id_masked);
    }
}

fn case_facts(kind: &str, obj: &Object, device_time: &str) -> CaseFacts {
    let registered = kind == "case.registered";
    let applicant = obj
        .get("applicant")
        .and_then(|a| a.as_object())
        .filter(|_| registered);
    CaseFacts {
        received_on: date(obj, "received_on"),
        registered_at: registered.then(|| device_time.to_owned()),
        first_contact: if registered { text(obj, "actor") } else { None },
        handler: text(obj, "handler"),
        catalog_version: text(obj, "catalog_version"),
        accepted_on: date(obj, "accepted_on"),
        promised_due: date(obj, "promised_due"),
        statutory_due: date(obj, "statutory_due"),
        supplement_due: date(obj, "supplement_due").or_else(|| date(obj, "supply_due")),
        closed_on: date(obj, "completed_on").or_else(|| date(obj, "decided_on")),
        onetime_due: date(obj, "onetime_notice_due"),
        applicant_masked: applicant
            .and_then(|a| text(a, "name"))
            .map(|n| mask_name(&n)),
        applicant_id_masked: applicant
            .and_then(|a| text(a, "id_no"))
            .map(|i| mask_id(&i)),
    }
}

/// The 否定备案 kinds: a refusal to accept (不予受理, approved by a leader)
/// and a refusal of the application (不予许可); both are filed.
pub const FILING_EVENTS: [(&str, &str); 2] = [
    ("case.approve_rejection", "not_accepted"),
    ("case.deny", "denied"),
];

/// The `kind`s of [`FILING_EVENTS`]: what the register and its counts read.
pub const FILING_KINDS: [&str; 2] = ["not_accepted", "denied"];

/// Cases ended without a decision, listed beside the refusals (a
/// withdrawal is where an unfiled refusal would hide): in the same table,
/// under their own kinds, never counted as filings.
pub const CLOSING_EVENTS: [(&str, &str); 2] = [
    ("case.withdraw", "withdrawn"),
    ("case.terminate", "terminated"),
];

/// One 否定备案 filing (or a closing, by its kind), as its event records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingRow {
    pub seq: u64,
    pub case_no: String,
    /// `not_accepted` or `denied`.
    pub kind: String,
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub proposed_by: Option<String>,
    pub approved_by: Option<String>,
    pub decided_on: Option<chrono::NaiveDate>,
    pub device_time: String,
}

/// A case's 好差评, merged from `evaluation.*` events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationRow {
    pub case_no: String,
    pub status: String,
    pub channel: Option<String>,
    pub level: Option<String>,
    /// Whether the answer's level counted as good on the station's scale.
    pub good: Option<bool>,
    /// The reasons as JSON text (a list of the fixed reasons).
    pub reasons: Option<String>,
    pub comment: Option<String>,
    pub requested_at: Option<String>,
    pub answered_at: Option<String>,
    pub last_seq: u64,
}

impl EvaluationRow {
    fn merge(&mut self, later: EvaluationRow) {
        fn keep<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        self.status = later.status;
        self.last_seq = later.last_seq;
        keep(&mut self.channel, later.channel);
        keep(&mut self.level, later.level);
        keep(&mut self.good, later.good);
        keep(&mut self.reasons, later.reasons);
        keep(&mut self.comment, later.comment);
        keep(&mut self.requested_at, later.requested_at);
        keep(&mut self.answered_at, later.answered_at);
    }
}

fn evaluation(kind: &str, obj: &Object, seq: u64, device_time: &str) -> Option<EvaluationRow> {
    let status = match kind {
        "evaluation.requested" => "requested",
        // The applicant's screen, or a paper form (流动测评) entered by staff
        // who did not serve the case: both are the applicant's answer.
        "evaluation.answered" | "evaluation.paper_entered" => "answered",
        "evaluation.defaulted" => "defaulted",
        // Left by the clerk's password: counted with the defaults.
        "evaluation.unanswered" => "unanswered",
        _ => return None,
    };
    Some(EvaluationRow {
        case_no: text(obj, "case_no")?,
        status: status.to_owned(),
        channel: text(obj, "channel"),
        level: text(obj, "level"),
        good: obj.get("good").and_then(|v| v.as_bool()),
        reasons: obj
            .get("reasons")
            .filter(|v| v.is_array())
            .map(|v| v.to_string()),
        comment: text(obj, "comment"),
        requested_at: (status == "requested").then(|| device_time.to_owned()),
        answered_at: (status == "answered").then(|| device_time.to_owned()),
        last_seq: seq,
    })
}

/// A notice (文书) as its `notice.*` events record it: issued, printed
/// (first print and 补打), voided. Counts add up over chunks, so any
/// chunking of a log gives the same row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeRow {
    pub doc_no: String,
    pub case_no: Option<String>,
    pub kind: Option<String>,
    pub issued_by: Option<String>,
    pub issued_at: Option<String>,
    pub template_version: Option<String>,
    pub pdf_sha256: Option<String>,
    pub prints: i64,
    pub reprints: i64,
    pub voided_at: Option<String>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

impl NoticeRow {
    fn merge(&mut self, later: NoticeRow) {
        fn keep<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        keep(&mut self.case_no, later.case_no);
        keep(&mut self.kind, later.kind);
        keep(&mut self.issued_by, later.issued_by);
        keep(&mut self.issued_at, later.issued_at);
        keep(&mut self.template_version, later.template_version);
        keep(&mut self.pdf_sha256, later.pdf_sha256);
        keep(&mut self.voided_at, later.voided_at);
        keep(&mut self.voided_by, later.voided_by);
        keep(&mut self.void_reason, later.void_reason);
        self.prints += later.prints;
        self.reprints += later.reprints;
    }
}

fn notice(kind: &str, obj: &Object, device_time: &str) -> Option<NoticeRow> {
    let doc_no = text(obj, "doc_no")?;
    let mut n = NoticeRow {
        doc_no,
        case_no: text(obj, "case_no"),
        ..NoticeRow::default()
    };
    match kind {
        "notice.issued" => {
            n.kind = text(obj, "kind");
            n.issued_by = text(obj, "actor");
            n.issued_at = Some(device_time.to_owned());
            n.template_version = text(obj, "template_version");
            n.pdf_sha256 = text(obj, "pdf_sha256");
        }
        "notice.printed" => {
            n.pdf_sha256 = text(obj, "pdf_sha256");
            if obj.get("reprint").and_then(|v| v.as_bool()) == Some(true) {
                n.reprints = 1;
            } else {
                n.prints = 1;
            }
        }
        "notice.voided" => {
            n.voided_at = Some(device_time.to_owned());
            n.voided_by = text(obj, "actor");
            n.void_reason = text(obj, "reason");
        }
        _ => return None,
    }
    Some(n)
}

/// One step of a case's history: every valid `case.*` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub seq: u64,
    pub case_no: String,
    /// The action (`accept`, `withdraw`, …; `registered` for the first).
    pub action: String,
    pub state: String,
    pub actor: Option<String>,
    /// The reason a refusal, withdrawal or termination gives.
    pub reason: Option<String>,
    pub device_time: String,
}

/// A 挂牌督办 flag as the station reports it received (and later lifted):
/// the county's proof that the flag travelled down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionReceipt {
    pub case_no: String,
    pub flagged_at_ms: i64,
    pub received_at: Option<String>,
    pub lifted_at: Option<String>,
}

fn supervision_receipt(kind: &str, obj: &Object, device_time: &str) -> Option<SupervisionReceipt> {
    let lifted = match kind {
        "supervision.received" => false,
        "supervision.lifted" => true,
        _ => return None,
    };
    Some(SupervisionReceipt {
        case_no: text(obj, "case_no")?,
        flagged_at_ms: obj.get("flagged_at_ms")?.as_i64()?,
        received_at: (!lifted).then(|| device_time.to_owned()),
        lifted_at: lifted.then(|| device_time.to_owned()),
    })
}

/// What the station's own events say about it: its name, the at-risk
/// setting its deadline board uses, the reference data it runs on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationFacts {
    pub station_name: Option<String>,
    pub at_risk_days: Option<i64>,
    pub catalog_version: Option<String>,
    pub templates_version: Option<String>,
    pub calendar_version: Option<String>,
    /// The station's program version (its `station.software` events).
    pub app_version: Option<String>,
    pub last_device_time: Option<String>,
}

impl StationFacts {
    fn absorb(&mut self, kind: &str, obj: &Object, device_time: &str) {
        self.last_device_time = Some(device_time.to_owned());
        match kind {
            "station.initialised" => {
                if let Some(n) = text(obj, "station_name") {
                    self.station_name = Some(n);
                }
            }
            "settings.changed" if text(obj, "key").as_deref() == Some(AT_RISK_SETTING) => {
                if let Some(v) = text(obj, "value").and_then(|v| v.trim().parse::<i64>().ok()) {
                    self.at_risk_days = Some(v);
                }
            }
            "catalog.activated" => self.catalog_version = text(obj, "version"),
            "station.software" => self.app_version = text(obj, "version"),
            "templates.activated" => self.templates_version = text(obj, "version"),
            "release.applied" => {
                let v = text(obj, "version");
                match text(obj, "kind").as_deref() {
                    Some("catalog") => self.catalog_version = v,
                    Some("templates") => self.templates_version = v,
                    Some("calendar") => self.calendar_version = v,
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// `later` over `self`, field by field.
    pub fn merge(&mut self, later: &StationFacts) {
        fn keep<T: Clone>(old: &mut Option<T>, new: &Option<T>) {
            if new.is_some() {
                old.clone_from(new);
            }
        }
        keep(&mut self.station_name, &later.station_name);
        keep(&mut self.at_risk_days, &later.at_risk_days);
        keep(&mut self.catalog_version, &later.catalog_version);
        keep(&mut self.templates_version, &later.templates_version);
        keep(&mut self.calendar_version, &later.calendar_version);
        keep(&mut self.app_version, &later.app_version);
        keep(&mut self.last_device_time, &later.last_device_time);
    }
}

/// The station setting that says how near a deadline is "at risk".
pub const AT_RISK_SETTING: &str = "deadline.at_risk_days";

/// What one run over consecutive stored events produces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// The latest row of each case the events touch, ordered by case number.
    /// A backend keeps a stored row whose `last_seq` is already higher.
    pub cases: Vec<CaseRow>,
    /// Events refused by validation, in seq order.
    pub quarantined: Vec<QuarantineNotice>,
    /// 否定备案 filings, in seq order.
    pub filings: Vec<FilingRow>,
    /// The merged evaluation of each case the events touch, by case number.
    pub evaluations: Vec<EvaluationRow>,
    /// The merged row of each notice the events touch, by number.
    pub notices: Vec<NoticeRow>,
    /// Flags received or lifted, in seq order.
    pub supervision: Vec<SupervisionReceipt>,
    /// Every case event, in seq order (the cases' histories).
    pub case_events: Vec<CaseEvent>,
    pub station: StationFacts,
    /// The last seq looked at (`None` if there were no events).
    pub last_seq: Option<u64>,
}

/// Validate and project events given in seq order.
pub fn project<'a>(events: impl IntoIterator<Item = StoredEvent<'a>>) -> Projection {
    let mut cases: BTreeMap<String, CaseRow> = BTreeMap::new();
    let mut evaluations: BTreeMap<String, EvaluationRow> = BTreeMap::new();
    let mut notices: BTreeMap<String, NoticeRow> = BTreeMap::new();
    let mut out = Projection::default();
    for e in events {
        out.last_seq = Some(e.seq);
        match check(e.kind, e.payload) {
            Ok((obj, update)) => {
                out.station.absorb(e.kind, &obj, e.device_time);
                if let Some(u) = update {
                    let facts = case_facts(e.kind, &obj, e.device_time);
                    out.case_events.push(CaseEvent {
                        seq: e.seq,
                        case_no: u.case_no.clone(),
                        action: e.kind.trim_start_matches("case.").to_owned(),
                        state: u.state.clone(),
                        actor: u.actor.clone(),
                        reason: text(&obj, "reason"),
                        device_time: e.device_time.to_owned(),
                    });
                    if let Some((_, filed)) = FILING_EVENTS
                        .iter()
                        .chain(CLOSING_EVENTS.iter())
                        .find(|(k, _)| *k == e.kind)
                    {
                        out.filings.push(FilingRow {
                            seq: e.seq,
                            case_no: u.case_no.clone(),
                            kind: (*filed).to_owned(),
                            reason: text(&obj, "reason"),
                            legal_basis: text(&obj, "legal_basis"),
                            proposed_by: text(&obj, "proposed_by").or_else(|| u.actor.clone()),
                            approved_by: text(&obj, "approved_by"),
                            decided_on: facts.closed_on,
                            device_time: e.device_time.to_owned(),
                        });
                    }
                    // Later events of the same case replace earlier ones;
                    // facts they do not mention are kept.
                    let mut merged = cases
                        .remove(&u.case_no)
                        .map(|c| c.facts)
                        .unwrap_or_default();
                    merged.merge(facts);
                    cases.insert(
                        u.case_no.clone(),
                        CaseRow {
                            case_no: u.case_no,
                            state: u.state,
                            item_code: u.item_code,
                            actor: u.actor,
                            last_kind: e.kind.to_owned(),
                            last_seq: e.seq,
                            last_event_id: e.event_id.to_owned(),
                            last_device_time: e.device_time.to_owned(),
                            facts: merged,
                        },
                    );
                } else if let Some(ev) = evaluation(e.kind, &obj, e.seq, e.device_time) {
                    match evaluations.get_mut(&ev.case_no) {
                        Some(old) => old.merge(ev),
                        None => {
                            evaluations.insert(ev.case_no.clone(), ev);
                        }
                    }
                } else if let Some(n) = notice(e.kind, &obj, e.device_time) {
                    match notices.get_mut(&n.doc_no) {
                        Some(old) => old.merge(n),
                        None => {
                            notices.insert(n.doc_no.clone(), n);
                        }
                    }
                } else if let Some(r) = supervision_receipt(e.kind, &obj, e.device_time) {
                    out.supervision.push(r);
                }
            }
            Err(reason) => out.quarantined.push(QuarantineNotice {
                seq: e.seq,
                kind: e.kind.to_owned(),
                reason,
            }),
        }
    }
    out.evaluations = evaluations.into_values().collect();
    out.notices = notices.into_values().collect();
    out.cases = cases.into_values().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(seq: u64, kind: &'a str, payload: &'a str) -> StoredEvent<'a> {
        StoredEvent {
            seq,
            kind,
            payload: payload.as_bytes(),
            event_id: "e",
            device_time: "2026-11-23T10:00:00Z",
        }
    }

    #[test]
    fn case_events_need_a_case_number_and_a_state() {
        let u = validate(
            "case.accepted",
            br#"{"case_no":"C1","state":"accepted","item_code":"I","actor":7}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            u,
            CaseUpdate {
                case_no: "C1".into(),
                state: "accepted".into(),
                item_code: Some("I".into()),
                actor: None
            }
        );
        assert_eq!(validate("clerk.login", br#"{"x":1}"#), Ok(None));
        let reason = |kind: &str, p: &[u8]| validate(kind, p).unwrap_err();
        assert!(reason("case.x", b"\xff").starts_with("payload is not UTF-8"));
        assert!(reason("case.x", b"{oops").starts_with("payload is not valid JSON"));
        assert_eq!(
            reason("clerk.login", b"[1]"),
            "payload is not a JSON object"
        );
        assert_eq!(
            reason("case.x", br#"{"state":"s"}"#),
            "case.x: field case_no is missing"
        );
        assert_eq!(
            reason("case.x", br#"{"case_no":" ","state":"s"}"#),
            "case.x: field case_no must be a non-empty string"
        );
    }

    #[test]
    fn the_latest_event_of_each_case_wins_and_bad_events_are_quarantined() {
        let p = project([
            ev(
                4,
                "case.registered",
                r#"{"case_no":"B","state":"registered"}"#,
            ),
            ev(
                5,
                "case.registered",
                r#"{"case_no":"A","state":"registered"}"#,
            ),
            ev(6, "case.accepted", "{oops"),
            ev(7, "case.rejected", r#"{"case_no":"B","state":"rejected"}"#),
            ev(8, "clerk.login", "{}"),
        ]);
        assert_eq!(p.last_seq, Some(8));
        let rows: Vec<_> = p
            .cases
            .iter()
            .map(|c| (c.case_no.as_str(), c.state.as_str(), c.last_seq))
            .collect();
        assert_eq!(rows, [("A", "registered", 5), ("B", "rejected", 7)]);
        assert_eq!(p.quarantined.len(), 1);
        assert_eq!(
            (p.quarantined[0].seq, p.quarantined[0].kind.as_str()),
            (6, "case.accepted")
        );
        assert_eq!(p.cases[1].state, REJECTED, "B is in the 否定备案 register");
        assert_eq!(project([]), Projection::default());
    }

    #[test]
    fn facts_filings_evaluations_and_station_settings_are_projected() {
        let p = project([
            ev(
                1,
                "station.initialised",
                r#"{"station_code":"S","station_name":"城关镇"}"#,
            ),
            ev(
                2,
                "case.registered",
                r#"{"case_no":"C","state":"registered","actor":"2001","handler":"2002","received_on":"2026-11-23","catalog_version":"v1"}"#,
            ),
            ev(
                3,
                "case.accept",
                r#"{"case_no":"C","state":"accepted","actor":"2001","accepted_on":"2026-11-23","promised_due":"2026-12-01","statutory_due":"bad"}"#,
            ),
            ev(
                4,
                "case.approve_rejection",
                r#"{"case_no":"D","state":"rejected","reason":"r","legal_basis":"b","proposed_by":"2001","approved_by":"1001","decided_on":"2026-11-24"}"#,
            ),
            ev(
                5,
                "evaluation.requested",
                r#"{"case_no":"C","channel":"二维码"}"#,
            ),
            ev(
                6,
                "evaluation.answered",
                r#"{"case_no":"C","level":"dissatisfied","reasons":["其他"],"comment":"慢"}"#,
            ),
            ev(
                7,
                "settings.changed",
                r#"{"key":"deadline.at_risk_days","value":"3"}"#,
            ),
            ev(8, "evaluation.defaulted", "{}"),
        ]);
        let c = &p.cases[0].facts;
        assert_eq!(c.first_contact.as_deref(), Some("2001"));
        assert_eq!(c.handler.as_deref(), Some("2002"), "kept from registration");
        assert_eq!(
            c.received_on.map(|d| d.to_string()).as_deref(),
            Some("2026-11-23")
        );
        assert_eq!(
            c.promised_due.map(|d| d.to_string()).as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(c.statutory_due, None, "a malformed date is left out");
        assert_eq!(p.filings.len(), 1);
        let f = &p.filings[0];
        assert_eq!(
            (f.kind.as_str(), f.approved_by.as_deref()),
            ("not_accepted", Some("1001"))
        );
        assert_eq!(
            p.evaluations.len(),
            1,
            "a defaulted event without a case is nothing"
        );
        let e = &p.evaluations[0];
        assert_eq!(
            (e.status.as_str(), e.channel.as_deref(), e.level.as_deref()),
            ("answered", Some("二维码"), Some("dissatisfied"))
        );
        assert_eq!(e.reasons.as_deref(), Some(r#"["其他"]"#));
        assert_eq!(p.station.at_risk_days, Some(3));
        assert_eq!(p.station.station_name.as_deref(), Some("城关镇"));
        assert!(p.quarantined.is_empty());
    }

    #[test]
    fn notices_closings_and_flag_receipts_add_up_over_any_chunking() {
        let events = [
            ev(
                1,
                "case.registered",
                r#"{"case_no":"C","state":"registered","actor":"2001","onetime_notice_due":"2026-11-25",
                    "applicant":{"name":"赵测试","id_no":"11010519491231002X"}}"#,
            ),
            ev(
                2,
                "notice.issued",
                r#"{"case_no":"C","doc_no":"N1","kind":"rejection_notice","actor":"2001","pdf_sha256":"aa"}"#,
            ),
            ev(
                3,
                "notice.printed",
                r#"{"case_no":"C","doc_no":"N1","reprint":false}"#,
            ),
            ev(
                4,
                "notice.printed",
                r#"{"case_no":"C","doc_no":"N1","reprint":true}"#,
            ),
            ev(
                5,
                "notice.voided",
                r#"{"case_no":"C","doc_no":"N1","reason":"有误","actor":"1001"}"#,
            ),
            ev(
                6,
                "case.withdraw",
                r#"{"case_no":"C","state":"withdrawn","actor":"2001","reason":"主动撤回","completed_on":"2026-11-23"}"#,
            ),
            ev(
                7,
                "supervision.received",
                r#"{"case_no":"C","flagged_at_ms":17,"note":"请办结"}"#,
            ),
            ev(
                8,
                "supervision.lifted",
                r#"{"case_no":"C","flagged_at_ms":17}"#,
            ),
        ];
        let whole = project(events);
        assert_eq!(whole.notices.len(), 1);
        let n = &whole.notices[0];
        assert_eq!((n.prints, n.reprints), (1, 1));
        assert_eq!(n.void_reason.as_deref(), Some("有误"));
        assert_eq!(n.pdf_sha256.as_deref(), Some("aa"));
        let f = &whole.filings[0];
        assert_eq!(
            (f.kind.as_str(), f.reason.as_deref()),
            ("withdrawn", Some("主动撤回"))
        );
        assert_eq!(f.proposed_by.as_deref(), Some("2001"));
        let c = &whole.cases[0].facts;
        assert_eq!(c.applicant_masked.as_deref(), Some("赵*试"));
        assert_eq!(c.applicant_id_masked.as_deref(), Some("110105********002X"));
        assert_eq!(c.onetime_due, chrono::NaiveDate::from_ymd_opt(2026, 11, 25));
        assert_eq!(whole.supervision.len(), 2);
        let steps: Vec<&str> = whole
            .case_events
            .iter()
            .map(|c| c.action.as_str())
            .collect();
        assert_eq!(steps, ["registered", "withdraw"]);
        assert_eq!(whole.case_events[1].reason.as_deref(), Some("主动撤回"));
        assert!(whole.supervision[1].lifted_at.is_some());
        // In two chunks the notice's counts add to the same row.
        let (a, b) = (project(events[..3].to_vec()), project(events[3..].to_vec()));
        let mut merged = a.notices[0].clone();
        merged.merge(b.notices[0].clone());
        assert_eq!(&merged, n);
    }
}
