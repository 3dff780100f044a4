//! Business validation of stored events and what they project to: the
//! latest state of each case, and the 否定备案 register (cases whose latest
//! state is [`REJECTED`]). An event that fails validation is quarantined:
//! it stays in the log (the chain is the record) but out of the projections.

use std::collections::BTreeMap;

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
/// `Ok(None)` is a valid event that projects to nothing.
pub fn validate(kind: &str, payload: &[u8]) -> Result<Option<CaseUpdate>, String> {
    let text = std::str::from_utf8(payload).map_err(|e| format!("payload is not UTF-8: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("payload is not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| "payload is not a JSON object".to_owned())?;
    if !kind.starts_with("case.") {
        return Ok(None);
    }
    let field = |name: &str| -> Result<String, String> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(_) => Err(format!("{kind}: field {name} must be a non-empty string")),
            None => Err(format!("{kind}: field {name} is missing")),
        }
    };
    let opt = |name: &str| obj.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(Some(CaseUpdate {
        case_no: field("case_no")?,
        state: field("state")?,
        item_code: opt("item_code"),
        actor: opt("actor"),
    }))
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
}

/// What one run over consecutive stored events produces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// The latest row of each case the events touch, ordered by case number.
    /// A backend keeps a stored row whose `last_seq` is already higher.
    pub cases: Vec<CaseRow>,
    /// Events refused by validation, in seq order.
    pub quarantined: Vec<QuarantineNotice>,
    /// The last seq looked at (`None` if there were no events).
    pub last_seq: Option<u64>,
}

/// Validate and project events given in seq order.
pub fn project<'a>(events: impl IntoIterator<Item = StoredEvent<'a>>) -> Projection {
    let mut cases: BTreeMap<String, CaseRow> = BTreeMap::new();
    let mut out = Projection::default();
    for e in events {
        out.last_seq = Some(e.seq);
        match validate(e.kind, e.payload) {
            Ok(Some(u)) => {
                // Later events of the same case replace earlier ones.
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
                    },
                );
            }
            Ok(None) => {}
            Err(reason) => out.quarantined.push(QuarantineNotice {
                seq: e.seq,
                kind: e.kind.to_owned(),
                reason,
            }),
        }
    }
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
}
