//! The case lifecycle (办件生命周期): states, actions and the table of legal
//! transitions. Pure: no database, no engine; the store-backed operations in
//! `ops::cases` consult [`allowed`] before every write.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A name that is not one of an enumeration's (a state, say), with the
/// Chinese sentence for the clerk. Kept here rather than in `error` so that
/// `error` may name [`CaseState`] without an import circle.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown {field} {name:?}")]
pub struct UnknownName {
    pub field: &'static str,
    pub name: String,
    pub zh: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Registered,
    AwaitingMaterials,
    Accepted,
    AcceptedWithCommitment,
    SupplementOverdue,
    InProgress,
    RejectionPendingApproval,
    Rejected,
    CompletedApproved,
    CompletedDenied,
    Terminated,
    Withdrawn,
    /// Received for the body that decides it and forwarded (收件转送).
    Forwarded,
}

pub const ALL_STATES: [CaseState; 13] = [
    CaseState::Registered,
    CaseState::AwaitingMaterials,
    CaseState::Accepted,
    CaseState::AcceptedWithCommitment,
    CaseState::SupplementOverdue,
    CaseState::InProgress,
    CaseState::RejectionPendingApproval,
    CaseState::Rejected,
    CaseState::CompletedApproved,
    CaseState::CompletedDenied,
    CaseState::Terminated,
    CaseState::Withdrawn,
    CaseState::Forwarded,
];

impl CaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Registered => "registered",
            CaseState::AwaitingMaterials => "awaiting_materials",
            CaseState::Accepted => "accepted",
            CaseState::AcceptedWithCommitment => "accepted_with_commitment",
            CaseState::SupplementOverdue => "supplement_overdue",
            CaseState::InProgress => "in_progress",
            CaseState::RejectionPendingApproval => "rejection_pending_approval",
            CaseState::Rejected => "rejected",
            CaseState::CompletedApproved => "completed_approved",
            CaseState::CompletedDenied => "completed_denied",
            CaseState::Terminated => "terminated",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Forwarded => "forwarded",
        }
    }

    pub fn parse(s: &str) -> Result<CaseState, UnknownName> {
        ALL_STATES
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName {
                field: "state",
                name: s.to_owned(),
                zh: format!("状态“{s}”无效"),
            })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CaseState::Registered => "已登记",
            CaseState::AwaitingMaterials => "待补正材料",
            CaseState::Accepted => "已受理",
            CaseState::AcceptedWithCommitment => "容缺受理",
            CaseState::SupplementOverdue => "逾期未补齐",
            CaseState::InProgress => "办理中",
            CaseState::RejectionPendingApproval => "不予受理待审批",
            CaseState::Rejected => "不予受理",
            CaseState::CompletedApproved => "办结（准予）",
            CaseState::CompletedDenied => "办结（不予许可）",
            CaseState::Terminated => "终止办理",
            CaseState::Withdrawn => "已撤回",
            CaseState::Forwarded => "已收件转送",
        }
    }

    /// Still on someone's desk (deadlines apply).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            CaseState::Rejected
                | CaseState::CompletedApproved
                | CaseState::CompletedDenied
                | CaseState::Terminated
                | CaseState::Withdrawn
                | CaseState::Forwarded
        )
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every action of the lifecycle, named as in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    UpdateMaterials,
    Accept,
    RequestMaterials,
    MaterialsReturned,
    AcceptWithCommitment,
    Supplement,
    MarkSupplementOverdue,
    Terminate,
    Start,
    Complete,
    Deny,
    ProposeRejection,
    ApproveRejection,
    ReturnRejection,
    Withdraw,
    /// 收件转送: a station that only receives the item forwards it.
    Forward,
    /// 行政许可法 §32(4): the review lapsed with no notice; accepted as of receipt.
    DeemAccepted,
    /// The review lapsed where the law gives another consequence (recorded).
    RecordReviewLapse,
}

pub const ALL_ACTIONS: [Action; 18] = [
    Action::UpdateMaterials,
    Action::Accept,
    Action::RequestMaterials,
    Action::MaterialsReturned,
    Action::AcceptWithCommitment,
    Action::Supplement,
    Action::MarkSupplementOverdue,
    Action::Terminate,
    Action::Start,
    Action::Complete,
    Action::Deny,
    Action::ProposeRejection,
    Action::ApproveRejection,
    Action::ReturnRejection,
    Action::Withdraw,
    Action::Forward,
    Action::DeemAccepted,
    Action::RecordReviewLapse,
];

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::UpdateMaterials => "update_materials",
            Action::Accept => "accept",
            Action::RequestMaterials => "request_materials",
            Action::MaterialsReturned => "materials_returned",
            Action::AcceptWithCommitment => "accept_with_commitment",
            Action::Supplement => "supplement",
            Action::MarkSupplementOverdue => "mark_supplement_overdue",
            Action::Terminate => "terminate",
            Action::Start => "start",
            Action::Complete => "complete",
            Action::Deny => "deny",
            Action::ProposeRejection => "propose_rejection",
            Action::ApproveRejection => "approve_rejection",
            Action::ReturnRejection => "return_rejection",
            Action::Withdraw => "withdraw",
            Action::Forward => "forward",
            Action::DeemAccepted => "deem_accepted",
            Action::RecordReviewLapse => "record_review_lapse",
        }
    }

    pub fn from_name(s: &str) -> Option<Action> {
        ALL_ACTIONS.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Action::UpdateMaterials => "修改材料清单",
            Action::Accept => "受理",
            Action::RequestMaterials => "一次性告知补正",
            Action::MaterialsReturned => "补齐材料后重新审核",
            Action::AcceptWithCommitment => "容缺受理",
            Action::Supplement => "补齐容缺材料",
            Action::MarkSupplementOverdue => "标记逾期未补齐",
            Action::Terminate => "终止办理",
            Action::Start => "开始办理",
            Action::Complete => "办结",
            Action::Deny => "作出不予许可决定",
            Action::ProposeRejection => "提出不予受理",
            Action::ApproveRejection => "审批不予受理",
            Action::ReturnRejection => "退回不予受理",
            Action::Withdraw => "撤回申请",
            Action::Forward => "收件并转送",
            Action::DeemAccepted => "逾期视为受理",
            Action::RecordReviewLapse => "记录受理审查逾期",
        }
    }

    /// A decision on the application: only a station that decides the item
    /// may take it (one that only receives forwards instead).
    pub fn is_decision(self) -> bool {
        matches!(
            self,
            Action::Accept
                | Action::RequestMaterials
                | Action::AcceptWithCommitment
                | Action::ProposeRejection
                | Action::ApproveRejection
                | Action::DeemAccepted
                | Action::RecordReviewLapse
        )
    }
}

/// A lifecycle action a case may take from its state, with its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActionChoice {
    pub action: Action,
    pub label_zh: &'static str,
}

/// Every action the lifecycle table allows from `state`, in table order.
pub fn actions_from(state: CaseState) -> Vec<ActionChoice> {
    ALL_ACTIONS
        .into_iter()
        .filter(|&a| allowed(state, a).is_some())
        .map(|action| ActionChoice {
            action,
            label_zh: action.label_zh(),
        })
        .collect()
}

/// The lifecycle table: the state an action leads to from `from`, if legal.
pub fn allowed(from: CaseState, action: Action) -> Option<CaseState> {
    use Action as A;
    use CaseState as S;
    Some(match (from, action) {
        (S::Registered, A::UpdateMaterials) => S::Registered,
        (S::Registered, A::Accept) => S::Accepted,
        (S::Registered, A::RequestMaterials) => S::AwaitingMaterials,
        (S::Registered, A::AcceptWithCommitment) => S::AcceptedWithCommitment,
        (S::Registered | S::AwaitingMaterials, A::ProposeRejection) => S::RejectionPendingApproval,
        (S::AwaitingMaterials, A::MaterialsReturned) => S::Registered,
        (S::AcceptedWithCommitment | S::SupplementOverdue, A::Supplement) => S::InProgress,
        (S::AcceptedWithCommitment, A::MarkSupplementOverdue) => S::SupplementOverdue,
        (S::SupplementOverdue, A::Terminate) => S::Terminated,
        (S::Accepted, A::Start) => S::InProgress,
        (S::Accepted | S::InProgress, A::Complete) => S::CompletedApproved,
        (S::Accepted | S::InProgress, A::Deny) => S::CompletedDenied,
        (S::RejectionPendingApproval, A::ApproveRejection) => S::Rejected,
        (S::RejectionPendingApproval, A::ReturnRejection) => S::Registered,
        (S::Registered, A::Forward) => S::Forwarded,
        (S::Registered, A::DeemAccepted) => S::Accepted,
        (S::Registered, A::RecordReviewLapse) => S::Registered,
        (
            S::Registered
            | S::AwaitingMaterials
            | S::Accepted
            | S::AcceptedWithCommitment
            | S::InProgress,
            A::Withdraw,
        ) => S::Withdrawn,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    #[test]
    fn the_table_without_a_database() {
        assert_eq!(allowed(S::Registered, Action::Accept), Some(S::Accepted));
        assert_eq!(
            allowed(S::Registered, Action::ProposeRejection),
            Some(S::RejectionPendingApproval)
        );
        assert_eq!(
            allowed(S::RejectionPendingApproval, Action::ApproveRejection),
            Some(S::Rejected)
        );
        assert_eq!(allowed(S::Rejected, Action::Withdraw), None);
        assert_eq!(allowed(S::Accepted, Action::Supplement), None);
        assert_eq!(allowed(S::Registered, Action::Forward), Some(S::Forwarded));
        assert_eq!(allowed(S::AwaitingMaterials, Action::Forward), None);
        assert_eq!(
            allowed(S::Registered, Action::DeemAccepted),
            Some(S::Accepted)
        );
        assert!(Action::DeemAccepted.is_decision() && !Action::Forward.is_decision());
    }

    #[test]
    fn closed_states_allow_nothing() {
        for st in ALL_STATES.into_iter().filter(|s| !s.is_open()) {
            assert!(actions_from(st).is_empty(), "{st:?}");
        }
    }

    #[test]
    fn actions_from_follows_the_table() {
        for st in ALL_STATES {
            let listed: Vec<Action> = actions_from(st).into_iter().map(|c| c.action).collect();
            for a in ALL_ACTIONS {
                assert_eq!(
                    listed.contains(&a),
                    allowed(st, a).is_some(),
                    "{st:?} {a:?}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for st in ALL_STATES {
            assert_eq!(CaseState::parse(st.as_str()).unwrap(), st);
        }
        for a in ALL_ACTIONS {
            assert_eq!(Action::from_name(a.as_str()), Some(a));
        }
        assert!(CaseState::parse("no_such_state").is_err());
    }
}
