//! Notices (文书): their kinds, in which case states each may be printed, the
//! record of an issued notice. Pure: numbering, printing and voiding are
//! `ops::notices`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::lifecycle::CaseState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    OneTimeNotice,
    CommitmentNotice,
    RejectionNotice,
    AcceptanceNotice,
    /// 证明事项告知承诺书: a written promise replaces a proof for good.
    PromiseNotice,
    /// 收件回执: materials received for the body that decides, and forwarded.
    ReceiptNotice,
}

pub const ALL_KINDS: [NoticeKind; 6] = [
    NoticeKind::OneTimeNotice,
    NoticeKind::CommitmentNotice,
    NoticeKind::RejectionNotice,
    NoticeKind::AcceptanceNotice,
    NoticeKind::PromiseNotice,
    NoticeKind::ReceiptNotice,
];

/// The kinds every template set has had from the start; a set stored before
/// a newer kind existed still loads (for re-rendering) without it.
pub const ORIGINAL_KINDS: [NoticeKind; 4] = [
    NoticeKind::OneTimeNotice,
    NoticeKind::CommitmentNotice,
    NoticeKind::RejectionNotice,
    NoticeKind::AcceptanceNotice,
];

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "one_time_notice",
            NoticeKind::CommitmentNotice => "commitment_notice",
            NoticeKind::RejectionNotice => "rejection_notice",
            NoticeKind::AcceptanceNotice => "acceptance_notice",
            NoticeKind::PromiseNotice => "promise_notice",
            NoticeKind::ReceiptNotice => "receipt_notice",
        }
    }

    /// The short names of the CLI (`one-time`, `commitment`, …).
    pub fn cli_name(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "one-time",
            NoticeKind::CommitmentNotice => "commitment",
            NoticeKind::RejectionNotice => "rejection",
            NoticeKind::AcceptanceNotice => "acceptance",
            NoticeKind::PromiseNotice => "promise",
            NoticeKind::ReceiptNotice => "receipt",
        }
    }

    pub fn parse(s: &str) -> Result<NoticeKind> {
        ALL_KINDS
            .into_iter()
            .find(|k| k.as_str() == s || k.cli_name() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "kind",
                    format!("unknown notice kind {s}"),
                    format!(
                        "文书种类“{s}”无效，应为 one-time、commitment、rejection、acceptance、promise 或 receipt"
                    ),
                )
            })
    }

    pub fn title_zh(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "一次性告知单",
            NoticeKind::CommitmentNotice => "容缺受理承诺告知书",
            NoticeKind::RejectionNotice => "不予受理通知书",
            NoticeKind::AcceptanceNotice => "受理通知书",
            NoticeKind::PromiseNotice => "证明事项告知承诺书",
            NoticeKind::ReceiptNotice => "收件回执",
        }
    }

    /// May this kind be issued for a case in `state`, some of whose proofs
    /// are replaced by a promise (`promised`)?
    pub fn allowed_for(self, state: CaseState, promised: bool) -> bool {
        match self {
            // The promise is told and signed at intake, and may be printed
            // again while the case is handled.
            NoticeKind::PromiseNotice => {
                promised
                    && matches!(
                        state,
                        CaseState::Registered
                            | CaseState::Accepted
                            | CaseState::AcceptedWithCommitment
                            | CaseState::InProgress
                    )
            }
            other => other.allowed_in(state),
        }
    }

    /// May this kind be issued in `state` (for a case without promises)?
    pub fn allowed_in(self, state: CaseState) -> bool {
        match self {
            NoticeKind::PromiseNotice => false,
            NoticeKind::ReceiptNotice => state == CaseState::Forwarded,
            NoticeKind::OneTimeNotice => state == CaseState::AwaitingMaterials,
            NoticeKind::CommitmentNotice => state == CaseState::AcceptedWithCommitment,
            NoticeKind::RejectionNotice => state == CaseState::Rejected,
            NoticeKind::AcceptanceNotice => matches!(
                state,
                CaseState::Accepted
                    | CaseState::AcceptedWithCommitment
                    | CaseState::InProgress
                    | CaseState::CompletedApproved
                    | CaseState::CompletedDenied
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NoticeRecord {
    pub id: i64,
    pub case_no: String,
    pub kind: NoticeKind,
    pub doc_no: String,
    pub year: i32,
    pub number: i64,
    pub fields: Value,
    pub template_version: String,
    pub catalog_version: String,
    pub pdf_sha256: Option<String>,
    pub issued_by: String,
    pub issued_at: String,
    pub print_count: i64,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
}

impl NoticeRecord {
    /// The record for a list in the window: the field snapshot (which holds
    /// the applicant's full ID number, as printed) left out.
    pub fn listed(mut self) -> NoticeRecord {
        self.fields = Value::Null;
        self
    }
}

/// Result of recording a print: the number of this print and whether it is a 补打.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct PrintMark {
    pub n: i64,
    pub reprint: bool,
}

/// A printable notice with its title, for windows that offer printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticeChoice {
    pub kind: NoticeKind,
    pub title_zh: &'static str,
}

impl From<NoticeKind> for NoticeChoice {
    fn from(kind: NoticeKind) -> NoticeChoice {
        NoticeChoice {
            kind,
            title_zh: kind.title_zh(),
        }
    }
}

/// The notices that may be printed for a case in `state`, in the order the
/// window offers them. The window shows exactly these.
pub fn printable_in(state: CaseState, promised: bool) -> Vec<NoticeKind> {
    ALL_KINDS
        .into_iter()
        .filter(|k| k.allowed_for(state, promised))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::ALL_STATES;

    #[test]
    fn which_notice_in_which_state() {
        use CaseState as S;
        use NoticeKind as K;
        assert_eq!(
            printable_in(S::AwaitingMaterials, false),
            [K::OneTimeNotice]
        );
        assert_eq!(
            printable_in(S::AcceptedWithCommitment, false),
            [K::CommitmentNotice, K::AcceptanceNotice]
        );
        assert_eq!(printable_in(S::Rejected, false), [K::RejectionNotice]);
        assert_eq!(printable_in(S::Accepted, false), [K::AcceptanceNotice]);
        // Before the leader's approval there is no rejection notice to print.
        assert!(printable_in(S::RejectionPendingApproval, false).is_empty());
        assert!(printable_in(S::Registered, false).is_empty());
        assert_eq!(printable_in(S::Forwarded, false), [K::ReceiptNotice]);
    }

    #[test]
    fn a_promise_is_told_at_intake_and_while_the_case_is_handled() {
        use CaseState as S;
        use NoticeKind as K;
        assert_eq!(printable_in(S::Registered, true), [K::PromiseNotice]);
        assert_eq!(
            printable_in(S::Accepted, true),
            [K::AcceptanceNotice, K::PromiseNotice]
        );
        assert!(!K::PromiseNotice.allowed_for(S::Rejected, true));
        assert!(!K::PromiseNotice.allowed_for(S::Accepted, false));
    }

    #[test]
    fn printable_agrees_with_allowed_in() {
        for st in ALL_STATES {
            for k in ALL_KINDS {
                for promised in [false, true] {
                    assert_eq!(
                        printable_in(st, promised).contains(&k),
                        k.allowed_for(st, promised)
                    );
                }
            }
        }
    }
}
