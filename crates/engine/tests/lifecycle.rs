//! The case lifecycle, as a clerk and a leader live it: every legal and
//! illegal transition, the 容缺 guard, the approval guard, and that a refused
//! action leaves the database exactly as it was.

use yichuang_engine::case::{MaterialStatus, Outcome};
use yichuang_engine::lifecycle::{ALL_ACTIONS, ALL_STATES, Action, CaseState, allowed};
use yichuang_engine::{Engine, Error};
use yichuang_testkit::items::*;
use yichuang_testkit::*;

const M: MaterialStatus = MaterialStatus::Missing;
const NA: MaterialStatus = MaterialStatus::NotApplicable;

/// Drives a new case into `state`; `variant` chooses a checklist that lets
/// `action`'s guards pass where the lifecycle table allows it.
fn case_in(s: &mut Station, state: CaseState, action: Action, n: u64) -> String {
    let (e, c) = (&s.e, &s.clerk);
    // Registered cases get the checklist the action needs.
    let reg = |e: &Engine, overrides: &[(&str, MaterialStatus)]| {
        e.register_case(c, &new_case(e, "RS-SB-001", n, overrides))
            .unwrap()
            .case_no
    };
    let complete: &[(&str, MaterialStatus)] = &[("M3", NA)];
    let deferrable_missing: &[(&str, MaterialStatus)] = &[("M2", M), ("M3", NA)];
    let main_missing: &[(&str, MaterialStatus)] = &[("M1", M), ("M3", NA)];
    match state {
        // A station that only receives 劳动能力鉴定 forwards it.
        CaseState::Registered if action == Action::Forward => {
            e.register_case(c, &new_case(e, WORK_CAPACITY, n, &[]))
                .unwrap()
                .case_no
        }
        // A 行政许可 whose review lapsed with no notice.
        CaseState::Registered if action == Action::DeemAccepted => {
            let no = e
                .register_case(c, &new_case(e, LABOUR_DISPATCH_LICENCE, n, &[]))
                .unwrap()
                .case_no;
            s.e.set_clock(clock("2026-12-10T09:00:00+08:00"));
            no
        }
        // The arbitration commission's own window, its review lapsed.
        CaseState::Registered if action == Action::RecordReviewLapse => {
            acts_for(s, "labour_arbitration_commission");
            let no =
                s.e.register_case(&s.clerk, &new_case(&s.e, LABOUR_ARBITRATION, n, &[]))
                    .unwrap()
                    .case_no;
            s.e.set_clock(clock("2026-12-10T09:00:00+08:00"));
            no
        }
        CaseState::Registered => reg(
            e,
            match action {
                Action::RequestMaterials => main_missing,
                Action::AcceptWithCommitment => deferrable_missing,
                _ => complete,
            },
        ),
        CaseState::AwaitingMaterials => {
            let no = reg(e, main_missing);
            e.request_materials(c, &no).unwrap();
            no
        }
        CaseState::Accepted => {
            let no = reg(e, complete);
            e.accept(c, &no).unwrap();
            no
        }
        CaseState::AcceptedWithCommitment => {
            let no = reg(e, deferrable_missing);
            e.accept_with_commitment(c, &no, true).unwrap();
            if action == Action::MarkSupplementOverdue {
                s.e.set_clock(clock("2026-12-10T09:00:00+08:00"));
            }
            no
        }
        CaseState::SupplementOverdue => {
            let no = reg(e, deferrable_missing);
            e.accept_with_commitment(c, &no, true).unwrap();
            s.e.set_clock(clock("2026-12-10T09:00:00+08:00"));
            s.e.mark_supplement_overdue(&s.clerk, &no).unwrap();
            no
        }
        CaseState::InProgress => {
            let no = reg(e, complete);
            e.accept(c, &no).unwrap();
            e.start(c, &no).unwrap();
            no
        }
        CaseState::RejectionPendingApproval => {
            let no = reg(e, complete);
            e.propose_rejection(
                c,
                &no,
                "不属于本机关职权范围",
                "《中华人民共和国行政许可法》第三十二条第一款第二项",
            )
            .unwrap();
            no
        }
        CaseState::Rejected => {
            let no = case_in(s, CaseState::RejectionPendingApproval, action, n);
            s.e.approve_rejection(&no, "1001", PW).unwrap();
            no
        }
        CaseState::CompletedApproved => {
            let no = case_in(s, CaseState::Accepted, action, n);
            s.e.complete(&s.clerk, &no).unwrap();
            no
        }
        CaseState::CompletedDenied => {
            let no = case_in(s, CaseState::Accepted, action, n);
            s.e.deny(
                &s.clerk,
                &no,
                "不符合条件",
                "《社会保障卡管理办法》第十条",
                "1001",
                PW,
            )
            .unwrap();
            no
        }
        CaseState::Terminated => {
            let no = case_in(s, CaseState::SupplementOverdue, action, n);
            s.e.terminate(&s.clerk, &no, "逾期未补齐").unwrap();
            no
        }
        CaseState::Withdrawn => {
            let no = reg(e, complete);
            e.withdraw(c, &no, "申请人主动撤回").unwrap();
            no
        }
        CaseState::Forwarded => {
            let no = e
                .register_case(c, &new_case(e, WORK_CAPACITY, n, &[]))
                .unwrap()
                .case_no;
            e.forward(c, &no).unwrap();
            no
        }
    }
}

fn act(s: &Station, action: Action, no: &str) -> Result<CaseState, Error> {
    let (e, c) = (&s.e, &s.clerk);
    let m = materials(e, "RS-SB-001", &[("M3", NA)]);
    let v = match action {
        Action::UpdateMaterials => e.update_materials(c, no, &m),
        Action::Accept => e.accept(c, no),
        Action::RequestMaterials => e.request_materials(c, no),
        Action::MaterialsReturned => e.materials_returned(c, no, &m),
        Action::AcceptWithCommitment => e.accept_with_commitment(c, no, true),
        Action::Supplement => e.supplement(c, no),
        Action::MarkSupplementOverdue => e.mark_supplement_overdue(c, no),
        Action::Terminate => e.terminate(c, no, "逾期未补齐"),
        Action::Start => e.start(c, no),
        Action::Complete => e.complete(c, no),
        Action::Deny => e.deny(c, no, "不符合条件", "某法第一条", "1001", PW),
        Action::ProposeRejection => e.propose_rejection(c, no, "不符合条件", "某法第一条"),
        Action::ApproveRejection => e.approve_rejection(no, "1001", PW),
        Action::ReturnRejection => e.return_rejection(no, "1001", PW, "理由不充分，请补充调查"),
        Action::Withdraw => e.withdraw(c, no, "申请人撤回"),
        Action::Forward => e.forward(c, no),
        Action::DeemAccepted => e.deem_accepted(c, no),
        Action::RecordReviewLapse => e.record_review_lapse(c, no),
    }?;
    Ok(v.state)
}

#[test]
fn every_state_and_action_follows_the_lifecycle_table() {
    let mut legal = 0;
    let mut illegal = 0;
    for (i, state) in ALL_STATES.into_iter().enumerate() {
        for (j, action) in ALL_ACTIONS.into_iter().enumerate() {
            let mut s = station();
            let no = case_in(&mut s, state, action, (i * 100 + j) as u64);
            assert_eq!(s.e.case(&no).unwrap().state, state);
            let before = fingerprint(&s.e);
            match (allowed(state, action), act(&s, action, &no)) {
                (Some(to), Ok(got)) => {
                    assert_eq!(got, to, "{state} --{action:?}-->");
                    legal += 1;
                }
                (None, Err(Error::IllegalTransition { from, .. })) => {
                    assert_eq!(from, state);
                    assert_eq!(
                        before,
                        fingerprint(&s.e),
                        "refused action changed the database"
                    );
                    illegal += 1;
                }
                (want, got) => panic!("{state} --{action:?}--> expected {want:?}, got {got:?}"),
            }
        }
    }
    assert_eq!(legal + illegal, ALL_STATES.len() * ALL_ACTIONS.len());
    assert!(legal >= 19, "legal transitions exercised: {legal}");
}

#[test]
fn checklist_decides_which_outcomes_are_offered() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SB-001", 1, &[("M3", NA)]))
            .unwrap();
    assert_eq!(c.outcomes[0], Outcome::Accept);
    assert!(!c.outcomes.contains(&Outcome::AcceptWithCommitment));
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 2, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    assert!(c.outcomes.contains(&Outcome::AcceptWithCommitment));
    assert!(!c.outcomes.contains(&Outcome::Accept));
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 3, &[("M1", M), ("M2", M)]),
        )
        .unwrap();
    assert_eq!(
        c.outcomes,
        vec![
            Outcome::RequestMaterials,
            Outcome::ProposeRejection,
            Outcome::Withdraw
        ]
    );
    // The window shows the engine's labels, in the engine's order.
    let labels: Vec<(Outcome, &str)> = c
        .outcome_choices
        .iter()
        .map(|o| (o.outcome, o.label_zh))
        .collect();
    assert_eq!(
        labels,
        vec![
            (Outcome::RequestMaterials, "一次性告知（缺材料）"),
            (Outcome::ProposeRejection, "不予受理（报领导审批）"),
            (Outcome::Withdraw, "申请人撤回"),
        ]
    );
}

#[test]
fn commitment_guard_refuses_non_deferrable_gaps_and_changes_nothing() {
    let s = station();
    // M1 (居民身份证) is a main material, not on the 容缺 list.
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 1, &[("M1", M), ("M2", M)]),
        )
        .unwrap();
    let before = fingerprint(&s.e);
    let err =
        s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
            .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rule {
                rule: "not_deferrable",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.user_message().contains("居民身份证"));
    assert_eq!(before, fingerprint(&s.e));
    // Without the applicant's agreement there is no 容缺 either.
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 2, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    let err =
        s.e.accept_with_commitment(&s.clerk, &c.case_no, false)
            .unwrap_err();
    assert!(matches!(
        err,
        Error::Rule {
            rule: "no_commitment",
            ..
        }
    ));
    // Accepting outright with a gap is refused; a complete checklist may not get a one-time notice.
    assert!(matches!(
        s.e.accept(&s.clerk, &c.case_no).unwrap_err(),
        Error::Rule {
            rule: "materials_incomplete",
            ..
        }
    ));
    let full =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SB-001", 3, &[("M3", NA)]))
            .unwrap();
    assert!(matches!(
        s.e.request_materials(&s.clerk, &full.case_no).unwrap_err(),
        Error::Rule {
            rule: "nothing_missing",
            ..
        }
    ));
}

#[test]
fn commitment_sets_supplement_deadline_within_promised_limit() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 1, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    let c =
        s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
            .unwrap();
    // 2026-11-23 + 5 working days (supplement rule) = 11-30; promised 15 → 12-14.
    assert_eq!(c.supplement_due.unwrap().to_string(), "2026-11-30");
    assert_eq!(c.promised_due.unwrap().to_string(), "2026-12-14");
    assert!(c.supplement_due <= c.promised_due);
    let m2 = c.materials.iter().find(|m| m.code == "M2").unwrap();
    assert_eq!(m2.status, MaterialStatus::Deferred);
}

#[test]
fn late_supplement_moves_promised_deadline_but_never_past_statutory() {
    let mut s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 1, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
        .unwrap();
    // Supplied 3 working days after the 11-30 deadline (12-03).
    s.e.set_clock(clock("2026-12-03T10:00:00+08:00"));
    let v = s.e.supplement(&s.clerk, &c.case_no).unwrap();
    assert_eq!(v.state, CaseState::InProgress);
    assert_eq!(v.applicant_delay_days, 3);
    assert_eq!(v.promised_due.unwrap().to_string(), "2026-12-17");
    assert!(
        v.materials
            .iter()
            .all(|m| m.status != MaterialStatus::Deferred)
    );

    // Very late: capped at the statutory deadline.
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 2, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    let c =
        s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
            .unwrap();
    s.e.set_clock(clock("2027-01-25T10:00:00+08:00"));
    let v = s.e.supplement(&s.clerk, &c.case_no).unwrap();
    assert_eq!(v.promised_due, c.statutory_due);
    assert!(v.promised_due.unwrap() < s.e.clock().today());
}

/// A 工伤认定 case proposed for rejection by clerk 2001: filed after the
/// one-year limit, which 工伤认定办法 §8 makes a condition of acceptance.
fn proposed_rejection(s: &Station) -> yichuang_engine::CaseView {
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_INJURY, "赵测试", &[]))
            .unwrap();
    s.e.propose_rejection(
        &s.clerk,
        &c.case_no,
        "申请超过事故伤害发生之日起1年的申请时限",
        "《工伤保险条例》第十七条第二款、《工伤认定办法》第八条",
    )
    .unwrap()
}

#[test]
fn a_rejection_needs_a_reason_and_a_legal_basis() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_INJURY, "钱测试", &[]))
            .unwrap();
    assert!(
        s.e.propose_rejection(&s.clerk, &c.case_no, " ", "某法")
            .is_err()
    );
    assert!(
        s.e.propose_rejection(&s.clerk, &c.case_no, "理由", "")
            .is_err()
    );
}

#[test]
fn only_a_leaders_own_credentials_approve_and_a_refusal_changes_nothing() {
    let s = station();
    let c = proposed_rejection(&s);
    let before = fingerprint(&s.e);
    assert!(matches!(
        s.e.approve_rejection(&c.case_no, "2002", PW).unwrap_err(),
        Error::Forbidden { .. }
    ));
    assert_eq!(
        before,
        fingerprint(&s.e),
        "a clerk's refusal changes nothing"
    );
    let seq_before = s.e.tail_events(1).unwrap()[0].seq;
    assert!(matches!(
        s.e.approve_rejection(&c.case_no, "1001", "wrong-password")
            .unwrap_err(),
        Error::AuthFailed(_)
    ));
    assert!(matches!(
        s.e.approve_rejection(&c.case_no, "9999", PW).unwrap_err(),
        Error::AuthFailed(_)
    ));
    // A wrong password is recorded (it counts towards the lockout), nothing else.
    let after = s.e.events_after(seq_before, 10).unwrap();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|e| e.kind == "clerk.auth_failed"));
    assert_eq!(s.e.case(&c.case_no).unwrap().state, c.state);
    assert!(s.e.rejection_filings(&s.leader, 10).unwrap().is_empty());
}

#[test]
fn no_rejection_notice_before_the_leaders_approval() {
    let s = station();
    let c = proposed_rejection(&s);
    assert!(
        s.e.issue_notice(
            &s.clerk,
            &c.case_no,
            yichuang_engine::NoticeKind::RejectionNotice
        )
        .is_err()
    );
    // Nor does the case view offer one (the window prints what it offers).
    assert!(c.printable_notices.is_empty());
}

#[test]
fn an_approved_rejection_is_filed_and_its_notice_names_the_approver() {
    let s = station();
    let c = proposed_rejection(&s);
    let v = s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
    assert_eq!(v.state, CaseState::Rejected);
    assert_eq!(
        v.printable_notices
            .iter()
            .map(|n| n.kind)
            .collect::<Vec<_>>(),
        [yichuang_engine::NoticeKind::RejectionNotice]
    );
    let filings = s.e.rejection_filings(&s.leader, 10).unwrap();
    assert_eq!(filings.len(), 1);
    assert_eq!(filings[0].approved_by, "王示范");
    assert_eq!(filings[0].proposed_by, "张窗口");
    let n =
        s.e.issue_notice(
            &s.clerk,
            &c.case_no,
            yichuang_engine::NoticeKind::RejectionNotice,
        )
        .unwrap();
    assert_eq!(n.fields["approved_by"]["name"], "王示范");
    assert!(
        n.fields["remedy"]["sentence"]
            .as_str()
            .unwrap()
            .contains("示范县人民法院")
    );
    // 工伤保险条例 §55: review or lawsuit, at the applicant's choice.
    assert_eq!(n.fields["remedy"]["route"], "review_or_lawsuit");
    assert_eq!(n.fields["show_approval"], true);
}

#[test]
fn a_leader_cannot_approve_their_own_proposal() {
    let s = station();
    let c =
        s.e.register_case(&s.leader, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    s.e.propose_rejection(&s.leader, &c.case_no, "非本机关职权", "某法第一条")
        .unwrap();
    let err = s.e.approve_rejection(&c.case_no, "1001", PW).unwrap_err();
    assert!(matches!(
        err,
        Error::Rule {
            rule: "self_approval",
            ..
        }
    ));
}

#[test]
fn returned_rejection_reopens_the_case() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    s.e.propose_rejection(&s.clerk, &c.case_no, "理由", "依据")
        .unwrap();
    let v =
        s.e.return_rejection(&c.case_no, "1001", PW, "请补充事实")
            .unwrap();
    assert_eq!(v.state, CaseState::Registered);
    assert!(v.rejection_reason.is_none());
    // And it can be accepted afterwards.
    assert_eq!(
        s.e.accept(&s.clerk, &c.case_no).unwrap().state,
        CaseState::Accepted
    );
}

#[test]
fn bad_applicant_input_is_refused_in_chinese_and_changes_nothing() {
    let s = station();
    let before = fingerprint(&s.e);
    let mut input = new_case(&s.e, "RS-SY-001", 1, &[]);
    input.applicant = yichuang_engine::ApplicantInput::Person {
        name: "测试".into(),
        id_type: yichuang_engine::PersonIdType::ResidentId,
        id_no: "110105194912310021".into(),
        phone: String::new(),
    };
    let err = s.e.register_case(&s.clerk, &input).unwrap_err();
    assert!(err.user_message().contains("校验位"));
    input.applicant = yichuang_engine::ApplicantInput::Organization {
        name: "某公司".into(),
        uscc: "91350100M000100Y44".into(),
        phone: String::new(),
    };
    assert!(
        s.e.register_case(&s.clerk, &input)
            .unwrap_err()
            .user_message()
            .contains("统一社会信用代码")
    );
    let mut input = new_case(&s.e, "RS-SY-001", 1, &[]);
    input.item_code = "NO-SUCH".into();
    assert!(
        s.e.register_case(&s.clerk, &input)
            .unwrap_err()
            .user_message()
            .contains("未找到事项")
    );
    let mut input = new_case(&s.e, "RS-SY-001", 1, &[]);
    input
        .materials
        .insert("M9".into(), MaterialStatus::Received);
    assert!(s.e.register_case(&s.clerk, &input).is_err());
    // 告知承诺 only where the catalog allows it.
    let input = new_case(&s.e, "RS-SY-001", 1, &[("M1", MaterialStatus::Promised)]);
    assert!(s.e.register_case(&s.clerk, &input).is_err());
    assert_eq!(before, fingerprint(&s.e));
}

#[test]
fn promise_replaces_proof_where_the_catalog_allows() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-JN-001", 1, &[("M3", MaterialStatus::Promised)]),
        )
        .unwrap();
    assert_eq!(c.outcomes[0], Outcome::Accept);
    assert_eq!(
        s.e.accept(&s.clerk, &c.case_no).unwrap().state,
        CaseState::Accepted
    );
}

#[test]
fn case_numbers_are_gap_free_per_day_and_the_first_clerk_owns_the_case() {
    let mut s = station();
    let a =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    // A failed registration does not consume a number.
    let mut bad = new_case(&s.e, "RS-SY-001", 2, &[]);
    bad.item_code = "NOPE".into();
    assert!(s.e.register_case(&s.clerk, &bad).is_err());
    let b =
        s.e.register_case(&s.clerk2, &new_case(&s.e, "RS-SY-001", 2, &[]))
            .unwrap();
    assert_eq!(a.case_no, "CG01-20261123-0001");
    assert_eq!(b.case_no, "CG01-20261123-0002");
    assert_eq!(b.first_contact, "李窗口");
    s.e.set_clock(clock("2026-11-24T08:00:00+08:00"));
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 3, &[]))
            .unwrap();
    assert_eq!(c.case_no, "CG01-20261124-0001");
}
