//! A clerk's day at the counter: notices with gap-free numbers, voids and
//! reprints; the deadline board; search; clerks switching at one PC.

use yichuang_engine::case::MaterialStatus;
use yichuang_engine::clerk::Purpose;
use yichuang_engine::deadline::{DeadlineKind, Urgency};
use yichuang_engine::{CaseState, Error, NoticeKind};
use yichuang_testkit::items::*;
use yichuang_testkit::*;

const M: MaterialStatus = MaterialStatus::Missing;
const NA: MaterialStatus = MaterialStatus::NotApplicable;

/// An accepted 就业创业证 case for `who` (the bureau's own item, in the
/// station's series), with its 受理通知书.
fn accepted_with_notice(s: &Station, who: &str) -> yichuang_engine::notice::NoticeRecord {
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, EMPLOYMENT_CARD, who, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
        .unwrap()
}

const ACCEPTANCE_PREFIX: &str = "示范县城关镇服务站受字〔2026〕";

#[test]
fn notice_numbers_are_gap_free_per_kind_and_year() {
    let s = station();
    let docs: Vec<_> = ["赵测试", "钱测试", "孙测试"]
        .into_iter()
        .map(|who| accepted_with_notice(&s, who))
        .collect();
    for (i, d) in docs.iter().enumerate() {
        assert_eq!(d.doc_no, format!("{ACCEPTANCE_PREFIX}第{}号", i + 1));
    }
}

#[test]
fn a_second_live_notice_of_a_kind_is_refused() {
    let s = station();
    let first = accepted_with_notice(&s, "赵测试");
    assert!(
        s.e.issue_notice(&s.clerk, &first.case_no, NoticeKind::AcceptanceNotice)
            .is_err()
    );
}

#[test]
fn a_void_keeps_the_record_and_its_number_is_never_reused() {
    let s = station();
    let docs: Vec<_> = ["赵测试", "钱测试", "孙测试"]
        .into_iter()
        .map(|who| accepted_with_notice(&s, who))
        .collect();
    let case_no = docs[0].case_no.clone();
    assert!(s.e.void_notice(&s.clerk, &docs[0].doc_no, " ").is_err());
    let voided =
        s.e.void_notice(&s.clerk, &docs[0].doc_no, "申请人姓名录入错误")
            .unwrap();
    assert_eq!(voided.void_reason.as_deref(), Some("申请人姓名录入错误"));
    assert!(s.e.record_print(&s.clerk, &docs[0].doc_no, None).is_err());
    let again =
        s.e.issue_notice(&s.clerk, &case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    assert_eq!(
        again.doc_no,
        format!("{ACCEPTANCE_PREFIX}第4号"),
        "a voided number is never reused"
    );
    assert_eq!(s.e.notices_for_case(&case_no).unwrap().len(), 2);
}

#[test]
fn only_an_administrator_sets_a_number_prefix_and_a_clerk_the_printer() {
    let s = station();
    let refused =
        s.e.set_setting(&s.clerk, "notice.prefix.one-time", "随便写")
            .unwrap_err();
    assert_eq!(refused.user_message(), "当前账号无权修改设置");
    s.e.set_setting(&s.clerk, "printer.default", "counter-2")
        .unwrap();
    assert_eq!(
        s.e.setting_or_default("printer.default").unwrap(),
        "counter-2"
    );
}

#[test]
fn each_kind_has_its_own_sequence_with_the_configured_prefix() {
    let s = station();
    accepted_with_notice(&s, "赵测试");
    s.e.set_setting(&s.admin, "notice.prefix.one-time", "示人社告字")
        .unwrap();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, WORK_INJURY, "周测试", &[("工伤认定申请表", M)]),
        )
        .unwrap();
    s.e.request_materials(&s.clerk, &c.case_no).unwrap();
    let one =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    assert_eq!(one.doc_no, "示人社告字〔2026〕第1号");
}

#[test]
fn a_new_year_restarts_the_count() {
    let mut s = station();
    accepted_with_notice(&s, "赵测试");
    s.e.set_clock(clock("2027-01-05T09:00:00+08:00"));
    let d = accepted_with_notice(&s, "吴测试");
    assert_eq!(d.doc_no, "示范县城关镇服务站受字〔2027〕第1号");
}

#[test]
fn reprints_are_counted_and_marked() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let d =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    let first = s.e.record_print(&s.clerk, &d.doc_no, Some("ab12")).unwrap();
    let second = s.e.record_print(&s.clerk2, &d.doc_no, None).unwrap();
    assert!(!first.reprint && second.reprint && second.n == 2);
    let d = s.e.notice(&d.doc_no).unwrap();
    assert_eq!(d.print_count, 2);
    assert_eq!(d.pdf_sha256.as_deref(), Some("ab12"));
}

/// A 工伤认定 case without the labour-relation proof and the diagnosis: 一次性告知.
fn work_injury_awaiting_two_materials(s: &Station, who: &str) -> yichuang_engine::CaseView {
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(
                &s.e,
                WORK_INJURY,
                who,
                &[("与用人单位存在劳动关系", M), ("医疗诊断证明", M)],
            ),
        )
        .unwrap();
    s.e.request_materials(&s.clerk, &c.case_no).unwrap()
}

#[test]
fn one_time_notice_lists_every_material_and_names_the_missing() {
    let s = station();
    let c = work_injury_awaiting_two_materials(&s, "赵测试");
    let n =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    let f = &n.fields;
    assert_eq!(f["materials"].as_array().unwrap().len(), 5);
    assert_eq!(f["missing"].as_array().unwrap().len(), 2);
    assert_eq!(f["clerk"]["staff_no"], "2001");
    assert_eq!(f["office"]["phone"], "0000-12333");
    assert!(
        f["item"]["legal_basis"][0]
            .as_str()
            .unwrap()
            .contains("工伤保险条例")
    );
    assert_eq!(
        f["applicant"]["id_no_masked"]
            .as_str()
            .unwrap()
            .matches('*')
            .count(),
        8
    );
}

#[test]
fn a_new_round_of_missing_materials_gets_a_new_one_time_notice() {
    let s = station();
    let c = work_injury_awaiting_two_materials(&s, "钱测试");
    s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
        .unwrap();
    // A second one in the same round is refused.
    assert!(
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .is_err()
    );
    // The applicant returns with the labour-relation proof; the diagnosis is still missing.
    let back = materials(&s.e, WORK_INJURY, &[("医疗诊断证明", M)]);
    s.e.materials_returned(&s.clerk, &c.case_no, &back).unwrap();
    s.e.request_materials(&s.clerk, &c.case_no).unwrap();
    let n2 =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    assert_eq!(n2.fields["missing"].as_array().unwrap().len(), 1);
}

#[test]
fn commitment_notice_names_deferred_materials_deadline_and_consequence() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(
                &s.e,
                SOCIAL_SECURITY_CARD,
                "孙测试",
                &[("近期免冠电子照片", M), ("监护人居民身份证", NA)],
            ),
        )
        .unwrap();
    s.e.accept_with_commitment(&s.clerk, &c.case_no, true)
        .unwrap();
    let n =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::CommitmentNotice)
            .unwrap();
    assert_eq!(n.fields["deferred"][0], "近期免冠电子照片");
    assert_eq!(n.fields["supplement_due"], "2026-11-30");
    assert!(n.fields["consequence"].as_str().unwrap().contains("逾期"));
}

/// A rejected case of `item`, approved by leader 1001, and its notice.
fn rejected_with_notice(
    s: &Station,
    item: &str,
    who: &str,
) -> yichuang_engine::notice::NoticeRecord {
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, item, who, &[]))
            .unwrap();
    s.e.propose_rejection(
        &s.clerk,
        &c.case_no,
        "申请事项不属于本机关职责范围",
        "《中华人民共和国行政许可法》第三十二条第一款第二项",
    )
    .unwrap();
    s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
    s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::RejectionNotice)
        .unwrap()
}

#[test]
fn rejection_notice_of_a_review_first_item_names_review_before_court() {
    let s = station();
    // 失业保险金: the seed catalog routes it review-first (行政复议法 §23(1)(3)).
    let n = rejected_with_notice(&s, UNEMPLOYMENT_BENEFIT, "李测试");
    // The 社会保险经办机构 decides; the station accepts in its name (委托受理)
    // and numbers in its own series of the agency's notices.
    assert_eq!(n.fields["office"]["name"], "示范县社会保险事业服务中心");
    assert_eq!(n.doc_no, "城关镇服务站社保不受字〔2026〕第1号");
    let sentence = n.fields["remedy"]["sentence"].as_str().unwrap();
    assert!(
        sentence.contains("六十日内")
            && sentence.contains("示范县人民政府")
            && sentence.contains("十五日内")
    );
    assert_eq!(n.fields["remedy"]["route"], "review_first");
}

#[test]
fn a_work_injury_refusal_gives_the_choice_of_review_or_lawsuit() {
    let s = station();
    // 工伤保险条例 §55: 复议 or 诉讼 at the applicant's choice, not review first.
    let n = rejected_with_notice(&s, WORK_INJURY, "郑测试");
    let sentence = n.fields["remedy"]["sentence"].as_str().unwrap();
    assert_eq!(n.fields["remedy"]["route"], "review_or_lawsuit");
    assert!(sentence.contains("六十日内") && sentence.contains("或者自收到本决定之日起六个月内"));
    assert!(!sentence.contains("应当"), "{sentence}");
}

#[test]
fn a_labour_arbitration_refusal_names_the_court_and_no_period() {
    let s = station();
    acts_for(&s, "labour_arbitration_commission");
    // 劳动争议调解仲裁法 §29 sets no period for suing after a refusal.
    let n = rejected_with_notice(&s, LABOUR_ARBITRATION, "王测试");
    let sentence = n.fields["remedy"]["sentence"].as_str().unwrap();
    assert_eq!(n.fields["remedy"]["route"], "labour_arbitration_court");
    assert!(sentence.contains("就该劳动争议事项依法向示范县人民法院提起诉讼"));
    assert!(
        !sentence.contains("日内") && !sentence.contains("行政复议"),
        "{sentence}"
    );
    assert!(n.fields["remedy"].get("lawsuit_days").is_none());
}

#[test]
fn no_notice_before_a_decision() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, UNEMPLOYMENT_BENEFIT, "周测试", &[]),
        )
        .unwrap();
    for k in yichuang_engine::notice::ALL_KINDS {
        let err = s.e.issue_notice(&s.clerk, &c.case_no, k).unwrap_err();
        assert!(matches!(
            err,
            Error::Rule {
                rule: "notice_not_allowed",
                ..
            }
        ));
    }
}

#[test]
fn deadline_board_orders_overdue_first_and_marks_provisional() {
    let mut s = station();
    let a =
        s.e.register_case(
            &s.clerk,
            &new_case(&s.e, "RS-SB-001", 1, &[("M2", M), ("M3", NA)]),
        )
        .unwrap();
    s.e.accept_with_commitment(&s.clerk, &a.case_no, true)
        .unwrap();
    let b =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 2, &[]))
            .unwrap();
    let done =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 3, &[]))
            .unwrap();
    s.e.withdraw(&s.clerk, &done.case_no, "撤回").unwrap();
    // A week later: a's supplement deadline (11-30) has passed, b's 5-day limit (11-30) too.
    s.e.set_clock(clock("2026-12-01T09:00:00+08:00"));
    let rows = s.e.deadlines(2).unwrap();
    assert!(
        rows.iter().all(|r| r.case_no != done.case_no),
        "closed cases have no deadlines"
    );
    assert_eq!(rows[0].urgency, Urgency::Overdue);
    let sup = rows
        .iter()
        .find(|r| r.case_no == a.case_no && r.kind == DeadlineKind::Supplement)
        .unwrap();
    assert_eq!((sup.urgency, sup.working_days_left), (Urgency::Overdue, -1));
    let one = rows.iter().find(|r| r.case_no == b.case_no).unwrap();
    assert_eq!(one.kind, DeadlineKind::OneTimeNotice);
    assert_eq!(one.urgency, Urgency::Overdue);
    // 社会保障卡's statutory 30 working days reach into 2027: provisional.
    let stat = rows
        .iter()
        .find(|r| r.case_no == a.case_no && r.kind == DeadlineKind::Statutory)
        .unwrap();
    assert!(stat.provisional);
    let prom = rows
        .iter()
        .find(|r| r.case_no == a.case_no && r.kind == DeadlineKind::Promised)
        .unwrap();
    assert!(!prom.provisional);
    assert_eq!(prom.urgency, Urgency::OnTrack);
    // Marking the overdue supplement is now allowed.
    assert_eq!(
        s.e.mark_supplement_overdue(&s.clerk, &a.case_no)
            .unwrap()
            .state,
        CaseState::SupplementOverdue
    );
}

#[test]
fn search_by_case_number_id_and_name_fragment() {
    let s = station();
    let a =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 11, &[]))
            .unwrap();
    let b =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 22, &[]))
            .unwrap();
    assert_eq!(
        s.e.search_cases(&s.clerk, &a.case_no, 10).unwrap()[0].case_no,
        a.case_no
    );
    assert_eq!(
        s.e.search_cases(&s.clerk, "CG01-20261123", 10)
            .unwrap()
            .len(),
        2
    );
    let id = yichuang_engine::demo::test_resident_id(22);
    let hits = s.e.search_cases(&s.clerk, &id, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].case_no, b.case_no);
    assert!(
        hits[0].applicant_id_masked.contains('*'),
        "lists show masked IDs"
    );
    let name = yichuang_engine::demo::test_person_name(11);
    let frag: String = name.chars().skip(1).collect();
    let hits = s.e.search_cases(&s.clerk, &frag, 10).unwrap();
    assert!(
        hits.iter().any(|h| h.case_no == a.case_no),
        "fragment {frag}"
    );
    assert!(
        s.e.search_cases(&s.clerk, "\"'*)", 10).unwrap().is_empty(),
        "odd input is harmless"
    );
    assert!(
        s.e.search_cases(&s.clerk, "不存在的名字", 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn clerks_log_in_and_switch_and_every_action_records_who() {
    let s = station();
    assert!(matches!(
        s.e.current_clerk().unwrap_err(),
        Error::NotLoggedIn
    ));
    assert!(matches!(
        s.e.login("2001", "nope-nope").unwrap_err(),
        Error::AuthFailed(_)
    ));
    s.e.login("2001", PW).unwrap();
    assert_eq!(s.e.current_clerk().unwrap().staff_no, "2001");
    s.e.login("2002", PW).unwrap();
    assert_eq!(s.e.current_clerk().unwrap().staff_no, "2002");
    let c =
        s.e.register_case(
            &s.e.current_clerk().unwrap(),
            &new_case(&s.e, "RS-SY-001", 1, &[]),
        )
        .unwrap();
    let ev = s.e.tail_events(1).unwrap().pop().unwrap();
    assert!(ev.payload.contains("\"actor\":\"2002\""), "{}", ev.payload);
    assert_eq!(c.first_contact, "李窗口");
    s.e.logout().unwrap();
    assert!(s.e.current_clerk().is_err());
    // Only admins add accounts; short passwords and duplicate staff numbers are refused.
    assert!(
        s.e.add_clerk(
            Some(&s.clerk),
            "3001",
            "某人",
            yichuang_engine::Role::Clerk,
            PW
        )
        .is_err()
    );
    assert!(
        s.e.add_clerk(
            Some(&s.admin),
            "3001",
            "某人",
            yichuang_engine::Role::Clerk,
            "123"
        )
        .is_err()
    );
    assert!(
        s.e.add_clerk(
            Some(&s.admin),
            "2001",
            "某人",
            yichuang_engine::Role::Clerk,
            PW
        )
        .is_err()
    );
    assert!(
        s.e.add_clerk(None, "3002", "某人", yichuang_engine::Role::Admin, PW)
            .is_err(),
        "bootstrap only once"
    );
    s.e.change_password("2001", PW, "new-secret").unwrap();
    assert!(s.e.authenticate("2001", PW, Purpose::Login).is_err());
    assert!(
        s.e.authenticate("2001", "new-secret", Purpose::Login)
            .is_ok()
    );
}

#[test]
fn a_commission_numbers_its_notices_in_its_own_series() {
    let s = station();
    // The county hall that hosts the commission's window.
    acts_for(&s, "labour_arbitration_commission");
    // The station's own series goes on independently.
    let ours = accepted_with_notice(&s, "赵测试");
    assert_eq!(ours.doc_no, format!("{ACCEPTANCE_PREFIX}第1号"));
    let n = rejected_with_notice(&s, LABOUR_ARBITRATION, "钱测试");
    // The commission decides, signs and numbers (without 第), and notes no
    // station leader's approval.
    assert_eq!(n.doc_no, "示范县劳人仲不字〔2026〕1号");
    assert_eq!(n.fields["office"]["name"], "示范县劳动人事争议仲裁委员会");
    assert_eq!(n.fields["show_approval"], false);
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, LABOUR_ARBITRATION, "孙测试", &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let a =
        s.e.issue_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    assert_eq!(a.doc_no, "示范县劳人仲案字〔2026〕1号");
}

#[test]
fn a_city_level_committee_is_reviewed_by_the_city_government() {
    let s = station();
    acts_for(&s, "work_capacity_committee");
    let n = rejected_with_notice(&s, WORK_CAPACITY, "周测试");
    assert_eq!(n.fields["office"]["name"], "示范市劳动能力鉴定委员会");
    assert_eq!(n.fields["remedy"]["review_body"], "示范市人民政府");
    assert!(n.doc_no.starts_with("示范市劳鉴不受字〔2026〕第1号"));
}
