//! Periods in their own units: a 工伤认定 is decided within 60 calendar days
//! (工伤保险条例 §20) and reviewed for acceptance within 15 (工伤认定办法 §8);
//! a local promise counts working days; the notices and the board say which.

use chrono::NaiveDate;
use yichuang_engine::{Error, MaterialStatus};

const M: MaterialStatus = MaterialStatus::Missing;
use yichuang_engine::calendar::DayUnit;
use yichuang_engine::deadline::DeadlineKind;
use yichuang_testkit::items::*;
use yichuang_testkit::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn a_work_injury_is_decided_within_sixty_calendar_days() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_INJURY, "赵测试", &[]))
            .unwrap();
    let c = s.e.accept(&s.clerk, &c.case_no).unwrap();
    // Accepted Monday 2026-11-23: + 60 days is Friday 2027-01-22, in a year
    // without published holidays, so provisional.
    assert_eq!(c.statutory_due, Some(d("2027-01-22")));
    assert!(c.statutory_provisional);
    // The promise (30 working days) ends earlier, and never after the law's date.
    let promised = c.promised_due.unwrap();
    assert!(promised < d("2027-01-22"), "{promised}");
}

#[test]
fn a_promise_in_working_days_is_capped_at_a_calendar_day_limit() {
    let s = station();
    acts_for(&s, "work_capacity_committee");
    // 劳动能力鉴定: 60日 by law, promised 40 working days: the promise never ends later.
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_CAPACITY, "钱测试", &[]))
            .unwrap();
    let c = s.e.accept(&s.clerk, &c.case_no).unwrap();
    assert!(c.promised_due.unwrap() <= c.statutory_due.unwrap());
}

#[test]
fn the_acceptance_review_period_is_the_items() {
    let s = station();
    let injury =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_INJURY, "孙测试", &[]))
            .unwrap();
    // 工伤认定办法 §8: 15日 from Monday 2026-11-23 → Tuesday 2026-12-08.
    assert_eq!(injury.onetime_notice_due, d("2026-12-08"));
    let card =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, SOCIAL_SECURITY_CARD, "李测试", &[]),
        )
        .unwrap();
    // 5 working days from Monday 2026-11-23 → Monday 2026-11-30.
    assert_eq!(card.onetime_notice_due, d("2026-11-30"));
}

#[test]
fn notices_print_each_period_with_its_unit() {
    let s = station();
    let c =
        s.e.register_case(
            &s.clerk,
            &case_for(&s.e, WORK_INJURY, "周测试", &[("工伤认定申请表", M)]),
        )
        .unwrap();
    s.e.request_materials(&s.clerk, &c.case_no).unwrap();
    let n =
        s.e.issue_notice(
            &s.clerk,
            &c.case_no,
            yichuang_engine::NoticeKind::OneTimeNotice,
        )
        .unwrap();
    assert_eq!(n.fields["item"]["statutory_unit_zh"], "日");
    assert_eq!(n.fields["item"]["promised_unit_zh"], "个工作日");
    let text = notice_document_text(&s.e, &n);
    assert!(text.contains("法定办结时限为60日"), "{text}");
    assert!(text.contains("承诺办结时限为30个工作日"), "{text}");
}

#[test]
fn the_deadline_board_counts_in_the_items_unit() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_INJURY, "吴测试", &[]))
            .unwrap();
    s.e.accept(&s.clerk, &c.case_no).unwrap();
    let rows = s.e.deadlines(2).unwrap();
    let statutory = rows
        .iter()
        .find(|r| r.case_no == c.case_no && r.kind == DeadlineKind::Statutory)
        .unwrap();
    assert_eq!(
        (statutory.unit, statutory.unit_zh),
        (DayUnit::CalendarDays, "日")
    );
    assert_eq!(statutory.days_left, 60);
    let promised = rows
        .iter()
        .find(|r| r.case_no == c.case_no && r.kind == DeadlineKind::Promised)
        .unwrap();
    assert_eq!(promised.unit, DayUnit::WorkingDays);
    assert_eq!(promised.days_left, 30);
}

#[test]
fn a_catalog_without_a_periods_unit_is_refused_and_the_active_one_stays() {
    let s = station();
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.9".into();
    v["items"][3]
        .as_object_mut()
        .unwrap()
        .remove("statutory_unit");
    let e =
        s.e.import_catalog(&s.admin, &v.to_string(), "county-2026.9.json")
            .unwrap_err();
    match &e {
        Error::Catalog { item, field, .. } => {
            assert_eq!(
                (item.as_str(), field.as_str()),
                ("RS-GS-001", "statutory_unit")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.user_message().contains("时限单位"),
        "{}",
        e.user_message()
    );
    assert_eq!(s.e.catalog().unwrap().version, "2026.1.2");
}

#[test]
fn a_catalog_without_the_source_of_a_limit_or_a_material_is_refused() {
    let s = station();
    let base: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    for (field, edit) in [
        (
            "statutory_basis",
            Box::new(|v: &mut serde_json::Value| {
                v["items"][3]["statutory_basis"] = serde_json::json!([]);
            }) as Box<dyn Fn(&mut serde_json::Value)>,
        ),
        (
            "materials.M1.sources",
            Box::new(|v: &mut serde_json::Value| {
                v["items"][3]["materials"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("sources");
            }),
        ),
    ] {
        let mut v = base.clone();
        v["version"] = "2026.7".into();
        edit(&mut v);
        let e =
            s.e.import_catalog(&s.admin, &v.to_string(), "county.json")
                .unwrap_err();
        match &e {
            Error::Catalog { item, field: f, .. } => {
                assert_eq!((item.as_str(), f.as_str()), ("RS-GS-001", field));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.e.catalog().unwrap().version, "2026.1.2");
    }
}

#[test]
fn a_catalog_or_template_without_a_remedy_route_is_refused_naming_it() {
    let s = station();
    let active = s.e.catalog().unwrap().version.clone();
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.8".into();
    v["items"][3].as_object_mut().unwrap().remove("remedy");
    let e =
        s.e.import_catalog(&s.admin, &v.to_string(), "county-2026.8.json")
            .unwrap_err();
    match &e {
        Error::Catalog {
            file, item, field, ..
        } => {
            assert_eq!(
                (file.as_str(), item.as_str(), field.as_str()),
                ("county-2026.8.json", "RS-GS-001", "remedy")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.user_message().contains("缺少字段 remedy"),
        "{}",
        e.user_message()
    );
    assert_eq!(s.e.catalog().unwrap().version, active);

    // A template set that cannot tell one route's remedy.
    let mut t: serde_json::Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).unwrap();
    t["version"] = "2026.8".into();
    t["remedies"]
        .as_object_mut()
        .unwrap()
        .remove("labour_arbitration_court");
    let before = s.e.active_template_version().unwrap();
    let e = s.e.import_templates(&s.admin, &t.to_string()).unwrap_err();
    assert!(
        e.user_message()
            .contains("remedies.labour_arbitration_court"),
        "{}",
        e.user_message()
    );
    assert_eq!(s.e.active_template_version().unwrap(), before);
}
