//! The acceptance review and what follows it: the consequence the law gives
//! when the review lapses with no notice (行政许可法 §32(4): accepted as of
//! receipt; 劳动争议调解仲裁法 §29: the applicant may sue), the supply-by date
//! an item may set, and a station that only receives and forwards.

use chrono::NaiveDate;
use yichuang_engine::catalog::LapseConsequence;
use yichuang_engine::deadline::DeadlineKind;
use yichuang_engine::{CaseState, Error, MaterialStatus, NoticeKind};
use yichuang_testkit::items::*;
use yichuang_testkit::*;

const M: MaterialStatus = MaterialStatus::Missing;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn a_licence_not_told_within_five_working_days_is_accepted_as_of_receipt() {
    let mut s = station();
    let dir = tempfile::tempdir().unwrap();
    // Received Monday 2026-11-23 with a material missing; nobody tells the
    // applicant within 5 working days (to Monday 2026-11-30).
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, LABOUR_DISPATCH_LICENCE, "赵测试", &[("M3", M)]),
        )
        .unwrap();
    assert_eq!(c.onetime_notice_due, d("2026-11-30"));
    // Not before the period has passed.
    assert!(s.e.record_lapsed_reviews(&s.clerk).unwrap().is_empty());
    let before = fingerprint(&s.e);
    assert!(matches!(
        s.e.deem_accepted(&s.clerk, &c.case_no).unwrap_err(),
        Error::Rule {
            rule: "review_not_lapsed",
            ..
        }
    ));
    assert_eq!(before, fingerprint(&s.e));

    s.e.set_clock(clock("2026-12-01T09:00:00+08:00"));
    let fresh =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, LABOUR_DISPATCH_LICENCE, "钱测试", &[("M3", M)]),
        )
        .unwrap();
    let changed = s.e.record_lapsed_reviews(&s.clerk).unwrap();
    assert_eq!(
        changed
            .iter()
            .map(|c| c.case_no.as_str())
            .collect::<Vec<_>>(),
        [c.case_no.as_str()],
        "only the lapsed review"
    );
    let v = s.e.case(&c.case_no).unwrap();
    assert_eq!(v.state, CaseState::Accepted);
    assert_eq!(v.accepted_on, Some(d("2026-11-23")));
    assert_eq!(v.review_lapse, Some(LapseConsequence::DeemedAccepted));
    // 20 working days (行政许可法 §42) from the day of receipt.
    assert_eq!(v.statutory_due, Some(d("2026-12-21")));
    assert_eq!(
        s.e.case(&fresh.case_no).unwrap().state,
        CaseState::Registered
    );
    // Recorded once.
    assert!(s.e.record_lapsed_reviews(&s.clerk).unwrap().is_empty());

    // The board says why the case is accepted.
    let rows: Vec<_> =
        s.e.deadlines(2)
            .unwrap()
            .into_iter()
            .filter(|r| r.case_no == c.case_no)
            .collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert!(r.note_zh.unwrap().contains("即为受理"), "{r:?}");
    }

    // The acceptance voucher (§32 second paragraph) states the law's acceptance.
    let (_, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    let t = pdf_text(dir.path(), "deemed", &pdf);
    for needle in [
        "受理通知书",
        "本机关未在法定期限内一次告知需要补正的全部内容",
        "《中华人民共和国行政许可法》第三十二条第一款第（四）项",
        "2026年11月23日起即为受理",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in\n{t}");
    }
    assert!(!t.contains("申请材料齐全"), "{t}");
}

#[test]
fn deemed_acceptance_is_only_where_the_law_gives_it() {
    let mut s = station();
    // 社会保障卡 (公共服务): its review may be overdue, but nothing is deemed.
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, SOCIAL_SECURITY_CARD, "孙测试", &[("M1", M)]),
        )
        .unwrap();
    s.e.set_clock(clock("2026-12-10T09:00:00+08:00"));
    assert!(s.e.record_lapsed_reviews(&s.clerk).unwrap().is_empty());
    let before = fingerprint(&s.e);
    let e = s.e.deem_accepted(&s.clerk, &c.case_no).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Rule {
                rule: "no_such_lapse",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(before, fingerprint(&s.e));
    let row =
        s.e.deadlines(2)
            .unwrap()
            .into_iter()
            .find(|r| r.case_no == c.case_no)
            .unwrap();
    assert_eq!(row.kind, DeadlineKind::OneTimeNotice);
    assert!(row.note_zh.is_none());
}

#[test]
fn an_arbitration_review_that_lapses_leaves_the_applicant_the_court() {
    let mut s = station();
    acts_for(&s, "labour_arbitration_commission");
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, LABOUR_ARBITRATION, "李测试", &[]))
            .unwrap();
    // 5日 from 2026-11-23 ends Saturday 11-28, so Monday 11-30.
    assert_eq!(c.onetime_notice_due, d("2026-11-30"));
    s.e.set_clock(clock("2026-12-01T09:00:00+08:00"));
    let changed = s.e.record_lapsed_reviews(&s.clerk).unwrap();
    assert_eq!(changed.len(), 1);
    let v = s.e.case(&c.case_no).unwrap();
    // Still the commission's to decide; the applicant may now also sue.
    assert_eq!(v.state, CaseState::Registered);
    assert_eq!(v.review_lapse, Some(LapseConsequence::ApplicantMaySue));
    let row =
        s.e.deadlines(2)
            .unwrap()
            .into_iter()
            .find(|r| r.case_no == c.case_no)
            .unwrap();
    assert!(row.note_zh.unwrap().contains("人民法院"));
    assert!(s.e.record_lapsed_reviews(&s.clerk).unwrap().is_empty());
    assert!(matches!(
        s.e.record_review_lapse(&s.clerk, &c.case_no).unwrap_err(),
        Error::Rule {
            rule: "lapse_recorded",
            ..
        }
    ));
}

#[test]
fn a_township_station_records_no_lapse_of_another_bodys_review() {
    let mut s = station();
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, LABOUR_ARBITRATION, "周测试", &[]))
            .unwrap();
    s.e.set_clock(clock("2026-12-10T09:00:00+08:00"));
    assert!(s.e.record_lapsed_reviews(&s.clerk).unwrap().is_empty());
    assert!(s.e.case(&c.case_no).unwrap().review_lapse.is_none());
}

#[test]
fn a_station_that_decides_does_not_forward() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, SOCIAL_SECURITY_CARD, "吴测试", &[]),
        )
        .unwrap();
    let before = fingerprint(&s.e);
    let e = s.e.forward(&s.clerk, &c.case_no).unwrap_err();
    assert!(
        e.user_message().contains("不能转送"),
        "{}",
        e.user_message()
    );
    assert_eq!(before, fingerprint(&s.e));
}

#[test]
fn a_receipt_lists_what_was_not_submitted_and_decides_nothing() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, WORK_CAPACITY, "郑测试", &[("工伤认定决定书", M)]),
        )
        .unwrap();
    let f = s.e.forward(&s.clerk, &c.case_no).unwrap();
    assert_eq!(f.forwarded_to.as_deref(), Some("示范市劳动能力鉴定委员会"));
    assert!(f.actions.is_empty() && f.outcomes.is_empty());
    let (rec, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::ReceiptNotice)
            .unwrap();
    let t = pdf_text(dir.path(), "receipt", &pdf);
    for needle in [
        "申请人未提交：工伤认定决定书",
        "由示范市劳动能力鉴定委员会审查后一次性告知",
        // 工伤职工劳动能力鉴定管理办法 §9: 5 working days.
        "五个工作日内审查决定并告知",
        "《工伤职工劳动能力鉴定管理办法》第九条",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in\n{t}");
    }
    assert_eq!(rec.fields["forwarded_on"], "2026-11-23");
    // A receipt is the only paper of a forwarded case.
    for k in [NoticeKind::AcceptanceNotice, NoticeKind::RejectionNotice] {
        assert!(s.e.issue_notice(&s.clerk, &c.case_no, k).is_err());
    }
}

#[test]
fn a_supply_period_puts_a_date_on_the_one_time_notice() {
    let s = station();
    let dir = tempfile::tempdir().unwrap();
    // Without a period in the item's rules the notice names no date.
    let plain =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, WORK_INJURY, "冯测试", &[("M1", M)]),
        )
        .unwrap();
    s.e.request_materials(&s.clerk, &plain.case_no).unwrap();
    let n =
        s.e.issue_notice(&s.clerk, &plain.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    assert_eq!(n.fields["has_supply_due"], false);

    // A county whose rules give 15日 to supply (a local rule, for the test).
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.9".into();
    let gs = v["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["code"] == WORK_INJURY)
        .unwrap();
    gs["supply_within"] = serde_json::json!({"days": 15, "unit": "calendar_days",
        "basis": [{"law": "《示范县工伤认定申请补正规定》", "article": "第三条"}]});
    s.e.import_catalog(&s.admin, &v.to_string(), "county-2026.9.json")
        .unwrap();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, WORK_INJURY, "陈测试", &[("M1", M)]),
        )
        .unwrap();
    let c = s.e.request_materials(&s.clerk, &c.case_no).unwrap();
    // 15日 from Monday 2026-11-23 → Tuesday 2026-12-08.
    assert_eq!(c.supply_due, Some(d("2026-12-08")));
    let (_, pdf) =
        s.e.print_notice(&s.clerk, &c.case_no, NoticeKind::OneTimeNotice)
            .unwrap();
    let t = pdf_text(dir.path(), "supply", &pdf);
    let want = "根据《示范县工伤认定申请补正规定》第三条的规定，请于2026年12月8日前补正";
    assert!(t.contains(want), "missing {want:?} in\n{t}");
}
