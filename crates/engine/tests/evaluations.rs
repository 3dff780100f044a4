//! 好差评 the applicant gives: the serving clerk only asks; the applicant
//! answers on the applicant screen, or the request becomes 默认, or the clerk
//! leaves with their password (未作答); paper forms are entered by someone
//! who did not serve the case; the scale is the county's; the rates over a
//! mixed day match a table worked out by hand.

use rusqlite::params;
use yichuang_engine::clerk::{ANSWER_EVALUATION, Role};
use yichuang_engine::evaluation::{Channel, PaperForm, Status};
use yichuang_engine::store;
use yichuang_engine::sync::{ReleaseManifest, ReleaseSink};
use yichuang_engine::{Engine, Error};
use yichuang_testkit::items::*;
use yichuang_testkit::*;

const A: &str = "1号窗口评价屏";
const B: &str = "2号窗口评价屏";

fn at(s: &mut Station, hh_mm: &str) {
    s.e.set_clock(clock(&format!("2026-11-23T{hh_mm}:00+08:00")));
}

fn event_count(e: &Engine) -> i64 {
    e.connection()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

fn kinds(e: &Engine) -> Vec<String> {
    let mut st = e
        .connection()
        .prepare("SELECT kind FROM events WHERE kind LIKE 'evaluation.%' ORDER BY seq")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn case_of(s: &Station, by: &yichuang_engine::Clerk, item: &str, n: u64) -> String {
    s.e.register_case(by, &new_case(&s.e, item, n, &[]))
        .unwrap()
        .case_no
}

fn paper(serial: &str, level: &str, reasons: &[&str]) -> PaperForm {
    PaperForm {
        serial: serial.into(),
        level: level.into(),
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        comment: String::new(),
    }
}

fn code(e: &Error) -> &str {
    match e {
        Error::Rule { rule, .. } => rule,
        Error::Invalid { field, .. } => field,
        Error::Forbidden { action, .. } => action,
        _ => "other",
    }
}

#[test]
fn the_clerk_only_asks_and_nothing_is_preselected() {
    let s = station();
    let c = case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, 1);
    let ev = s.e.request_evaluation(&s.clerk, &c, A).unwrap();
    assert_eq!(
        (ev.status, ev.level, ev.good, ev.channel),
        (Status::Requested, None, None, None),
        "no level is assumed for a request"
    );
    assert_eq!(ev.requested_by.as_deref(), Some("2001"));
    assert_eq!(ev.due_at.as_deref(), Some("2026-11-23T09:35:00.000+08:00"));
    // What the applicant screen shows: 三亮明 and the scale, no level chosen.
    let shown = s.e.screen_request(A).unwrap().expect("shown on A");
    assert_eq!(
        (
            shown.case_no.as_str(),
            shown.clerk_name.as_str(),
            shown.clerk_staff_no.as_str(),
            shown.station_name.as_str()
        ),
        (c.as_str(), "张窗口", "2001", "城关镇服务站")
    );
    let labels: Vec<_> = shown
        .scale
        .levels
        .iter()
        .map(|l| l.label_zh.as_str())
        .collect();
    assert_eq!(labels, ["满意", "基本满意", "不满意"]);
    assert_eq!(shown.seconds_left, 300);
    assert!(s.e.screen_request(B).unwrap().is_none());
    // An empty level is never taken for one.
    let before = event_count(&s.e);
    let err = s.e.answer_on_screen(A, &c, "", &[], "").unwrap_err();
    assert_eq!(code(&err), "level");
    assert_eq!(event_count(&s.e), before, "a refusal changes nothing");
    // The screen the request went to is the one that answers.
    let err = s.e.answer_on_screen(B, &c, "满意", &[], "").unwrap_err();
    assert_eq!(code(&err), "wrong_screen");
    // One request per case, one waiting request per screen.
    let err = s.e.request_evaluation(&s.clerk, &c, A).unwrap_err();
    assert_eq!(code(&err), "evaluation_exists");
    let c2 = case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, 2);
    let err = s.e.request_evaluation(&s.clerk, &c2, A).unwrap_err();
    assert_eq!(code(&err), "screen_busy");
    assert!(err.user_message().contains(&c));
}

#[test]
fn the_applicant_answers_on_the_screen_once_with_reasons_for_a_bad_level() {
    let s = station();
    let c = case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, 1);
    s.e.request_evaluation(&s.clerk, &c, A).unwrap();
    let err = s.e.answer_on_screen(A, &c, "不满意", &[], "").unwrap_err();
    assert_eq!(err.user_message(), "选择“不满意”时须至少选择一项原因");
    assert!(
        s.e.answer_on_screen(A, &c, "不满意", &["太慢了".into()], "")
            .is_err()
    );
    assert!(
        s.e.answer_on_screen(A, &c, "满意", &["其他".into()], "")
            .is_err()
    );
    let ev =
        s.e.answer_on_screen(A, &c, "不满意", &["超承诺时限办结".into()], " 等太久 ")
            .unwrap();
    assert_eq!(
        (
            ev.status,
            ev.channel,
            ev.answered_on.as_deref(),
            ev.level.as_deref(),
            ev.level_zh.as_deref(),
            ev.good,
            ev.comment.as_str()
        ),
        (
            Status::Answered,
            Some(Channel::ApplicantScreen),
            Some(A),
            Some("dissatisfied"),
            Some("不满意"),
            Some(false),
            "等太久"
        )
    );
    let err = s.e.answer_on_screen(A, &c, "满意", &[], "").unwrap_err();
    assert_eq!(code(&err), "evaluation_closed", "no second answer");
    // The clerk's view shows it and nothing in the clerk's hands changes it.
    assert_eq!(s.e.case(&c).unwrap().evaluation, Some(ev));
    let err =
        s.e.enter_paper_evaluation(&s.leader, &c, &paper("P-1", "满意", &[]))
            .unwrap_err();
    assert_eq!(code(&err), "evaluation_closed");
}

#[test]
fn no_role_answers_for_the_applicant_and_every_role_may_ask_or_enter_paper() {
    for role in [Role::Clerk, Role::Leader, Role::Admin] {
        assert!(!role.may(ANSWER_EVALUATION), "{role:?}");
        assert!(role.may("request_evaluation"), "{role:?}");
        assert!(role.may("enter_paper_evaluation"), "{role:?}");
    }
    // Every staff role may ask on its own window's screen.
    let s = station();
    for (n, who) in [&s.clerk, &s.leader, &s.admin].into_iter().enumerate() {
        let c = case_of(&s, who, EMPLOYMENT_CARD, n as u64 + 1);
        let screen = format!("{}号窗口评价屏", n + 1);
        s.e.request_evaluation(who, &c, &screen).unwrap();
    }
}

#[test]
fn the_handler_cannot_enter_the_paper_form_of_their_own_case() {
    let s = station();
    // Registered by 2001 for handler 2002: both served the applicant.
    let mut nc = new_case(&s.e, EMPLOYMENT_CARD, 1, &[]);
    nc.handler = Some("2002".into());
    let c = s.e.register_case(&s.clerk, &nc).unwrap().case_no;
    let before = event_count(&s.e);
    for who in [&s.clerk2, &s.clerk] {
        let err =
            s.e.enter_paper_evaluation(who, &c, &paper("P-0001", "满意", &[]))
                .unwrap_err();
        assert_eq!(code(&err), "paper_by_server", "{}", who.staff_no);
        assert!(err.user_message().contains("不能录入本件的纸质评价表"));
    }
    // The clerk who asked for the rating is refused too.
    assert_eq!(event_count(&s.e), before, "a refusal changes nothing");
    let c2 = case_of(&s, &s.clerk2, EMPLOYMENT_CARD, 2);
    s.e.request_evaluation(&s.leader, &c2, A).unwrap();
    let err =
        s.e.enter_paper_evaluation(&s.leader, &c2, &paper("P-0001", "满意", &[]))
            .unwrap_err();
    assert_eq!(code(&err), "paper_by_server");
    // Someone else enters it; it is marked as paper with its serial.
    let ev =
        s.e.enter_paper_evaluation(&s.admin, &c, &paper(" P-0001 ", "基本满意", &[]))
            .unwrap();
    assert_eq!(
        (
            ev.status,
            ev.channel,
            ev.paper_serial.as_deref(),
            ev.entered_by.as_deref(),
            ev.requested_at.as_deref(),
            ev.good
        ),
        (
            Status::Answered,
            Some(Channel::Paper),
            Some("P-0001"),
            Some("0001"),
            None,
            Some(true)
        )
    );
    // A serial number is entered once per station.
    let c3 = case_of(&s, &s.clerk, EMPLOYMENT_CARD, 3);
    let err =
        s.e.enter_paper_evaluation(&s.leader, &c3, &paper("P-0001", "满意", &[]))
            .unwrap_err();
    assert_eq!(code(&err), "paper_serial_taken");
    assert!(err.user_message().contains(&c));
    assert!(
        s.e.enter_paper_evaluation(&s.leader, &c3, &paper("第1号", "满意", &[]))
            .is_err(),
        "a serial is letters, digits or -"
    );
}

#[test]
fn an_unanswered_request_becomes_default_after_the_configured_time() {
    let mut s = station();
    s.e.set_setting(&s.admin, "evaluation.timeout_minutes", "2")
        .unwrap();
    let c = case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, 1);
    s.e.request_evaluation(&s.clerk, &c, A).unwrap();
    at(&mut s, "09:31");
    assert_eq!(s.e.default_expired_evaluations().unwrap(), 0);
    assert!(s.e.screen_request(A).unwrap().is_some());
    at(&mut s, "09:32");
    assert!(s.e.screen_request(A).unwrap().is_none(), "time is up");
    let err = s.e.answer_on_screen(A, &c, "满意", &[], "").unwrap_err();
    assert_eq!(code(&err), "evaluation_timed_out");
    // Entered later on paper, it stays a default.
    let err =
        s.e.enter_paper_evaluation(&s.leader, &c, &paper("P-9", "满意", &[]))
            .unwrap_err();
    assert_eq!(code(&err), "evaluation_timed_out");
    assert_eq!(s.e.default_expired_evaluations().unwrap(), 1);
    let ev = s.e.case_evaluation(&c).unwrap().unwrap();
    assert_eq!(
        (ev.status, ev.status_zh, ev.level, ev.good),
        (Status::Defaulted, "默认（超时未评价）", None, None)
    );
    assert_eq!(
        kinds(&s.e),
        ["evaluation.requested", "evaluation.defaulted"]
    );
}

#[test]
fn leaving_the_screen_takes_the_asking_clerks_password_and_records_not_answered() {
    let s = station();
    let c = case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, 1);
    s.e.request_evaluation(&s.clerk, &c, A).unwrap();
    assert!(matches!(
        s.e.leave_unanswered(A, &c, "2001", "wrong-password"),
        Err(Error::AuthFailed(_))
    ));
    let err = s.e.leave_unanswered(A, &c, "2002", PW).unwrap_err();
    assert_eq!(code(&err), "not_the_requester");
    let ev = s.e.leave_unanswered(A, &c, "2001", PW).unwrap();
    assert_eq!((ev.status, ev.level), (Status::Unanswered, None));
    assert!(s.e.screen_request(A).unwrap().is_none());
    assert_eq!(
        kinds(&s.e),
        ["evaluation.requested", "evaluation.unanswered"]
    );
}

fn five_level_release(e: &Engine, good: &[&str]) {
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.12".into();
    let levels: Vec<_> = [
        ("very_satisfied", "非常满意"),
        ("satisfied", "满意"),
        ("basically_satisfied", "基本满意"),
        ("dissatisfied", "不满意"),
        ("very_dissatisfied", "非常不满意"),
    ]
    .into_iter()
    .map(|(code, label)| {
        let g = good.contains(&code);
        serde_json::json!({"code": code, "label_zh": label, "good": g, "reasons": !g})
    })
    .collect();
    v["evaluation_scale"] =
        serde_json::json!({"name": "五级", "basis": "国办发〔2019〕51号", "levels": levels});
    let text = v.to_string();
    let m = ReleaseManifest {
        kind: "catalog".into(),
        version: "2".into(),
        sha256: yichuang_wire::sha256_hex(text.as_bytes()),
        size: text.len() as u64,
        algorithm: "ed25519".into(),
        signature: String::new(),
        published_at_ms: 0,
    };
    e.apply(&m, text.as_bytes()).unwrap();
}

#[test]
fn a_five_level_scale_published_by_the_county_maps_to_good_and_bad_as_published() {
    let mut s = station();
    let old = case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, 1);
    s.e.request_evaluation(&s.clerk, &old, A).unwrap();
    s.e.answer_on_screen(A, &old, "基本满意", &[], "").unwrap();
    // This county counts only 非常满意 and 满意 as good.
    five_level_release(&s.e, &["very_satisfied", "satisfied"]);
    let scale = s.e.evaluation_scale().unwrap();
    assert_eq!(scale.levels.len(), 5);
    let cases: Vec<String> = (2..=6)
        .map(|n| case_of(&s, &s.clerk, UNEMPLOYMENT_BENEFIT, n))
        .collect();
    let answers = [
        ("非常满意", vec![]),
        ("满意", vec![]),
        ("基本满意", vec!["其他".to_string()]),
        ("不满意", vec!["业务能力不强".to_string()]),
        ("非常不满意", vec!["服务态度欠佳".to_string()]),
    ];
    for (i, (c, (level, reasons))) in cases.iter().zip(&answers).enumerate() {
        at(&mut s, &format!("09:{:02}", 31 + i));
        s.e.request_evaluation(&s.clerk, c, A).unwrap();
        let ev = s.e.answer_on_screen(A, c, level, reasons, "").unwrap();
        assert_eq!(ev.scale.as_deref(), Some("五级"));
        assert_eq!(ev.good, Some(i < 2), "{level}");
    }
    let st = s.e.evaluation_stats(&s.leader, day(), day()).unwrap();
    let levels: Vec<_> = st
        .total
        .levels
        .iter()
        .map(|l| (l.label_zh.as_str(), l.good, l.count))
        .collect();
    assert_eq!(
        levels,
        [
            ("非常满意", Some(true), 1),
            ("满意", Some(true), 1),
            // Not good here, and so it needed a reason: the county said so.
            ("基本满意", Some(false), 1),
            ("不满意", Some(false), 1),
            ("非常不满意", Some(false), 1),
            // The earlier answer keeps the classification it was given under.
            ("基本满意", Some(true), 1),
        ]
    );
    assert_eq!((st.total.answered, st.total.good), (6, 3));
    assert_eq!(st.total.good_rate, Some(0.5));
    // A scale must say what is good; a bad one leaves the catalog as it was.
    let mut v: serde_json::Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).unwrap();
    v["version"] = "2026.13".into();
    v["evaluation_scale"] = serde_json::json!({"name": "全好", "levels": [
        {"code": "a", "label_zh": "好", "good": true}, {"code": "b", "label_zh": "很好", "good": true}]});
    assert!(
        s.e.import_catalog(&s.admin, &v.to_string(), "bad.json")
            .is_err()
    );
    assert_eq!(s.e.evaluation_scale().unwrap(), scale);
}

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// The mixed day. Clerk 2001 serves c1–c7 on screen A, clerk 2002 c8–c12 on
/// screen B; leader 1001 enters the paper forms. Timeout 5 minutes.
///
/// | case | 首办 | item | how it ended              | level    | good |
/// |------|------|------|---------------------------|----------|------|
/// | c1   | 2001 | SY   | screen answer             | 满意     | yes  |
/// | c2   | 2001 | SY   | screen answer             | 满意     | yes  |
/// | c3   | 2001 | SY   | screen answer             | 不满意   | no   |
/// | c4   | 2001 | JY   | paper, no request         | 基本满意 | yes  |
/// | c5   | 2001 | SY   | request, 默认             |          |      |
/// | c6   | 2001 | SY   | request, 未作答 (password) |          |      |
/// | c7   | 2001 | JY   | never asked               |          |      |
/// | c8   | 2002 | JY   | paper, no request         | 满意     | yes  |
/// | c9   | 2002 | JY   | paper, no request         | 不满意   | no   |
/// | c10  | 2002 | SY   | screen answer             | 基本满意 | yes  |
/// | c11  | 2002 | SY   | request, 默认             |          |      |
/// | c12  | 2002 | SY   | request, still pending    |          |      |
///
/// | group | cases | evaluated | requested | answered | screen | paper | 默认 | 未作答 | pending | good | 评价率 | 默认率 | 好评率 |
/// |-------|-------|-----------|-----------|----------|--------|-------|------|--------|---------|------|--------|--------|--------|
/// | 站    | 12    | 11        | 8         | 7        | 4      | 3     | 2    | 1      | 1       | 5    | 11/12  | 3/8    | 5/7    |
/// | 2001  | 7     | 6         | 5         | 4        | 3      | 1     | 1    | 1      | 0       | 3    | 6/7    | 2/5    | 3/4    |
/// | 2002  | 5     | 5         | 3         | 3        | 1      | 2     | 1    | 0      | 1       | 2    | 5/5    | 1/3    | 2/3    |
/// | SY    | 8     | 8         | 8         | 4        | 4      | 0     | 2    | 1      | 1       | 3    | 8/8    | 3/8    | 3/4    |
/// | JY    | 4     | 3         | 0         | 3        | 0      | 3     | 0    | 0      | 0       | 2    | 3/4    | —      | 2/3    |
///
/// Channel mix of the closed evaluations (evaluated − pending): 站 of 10:
/// screen 4, paper 3, 默认 2, 未作答 1; 2001 of 6: 3, 1, 1, 1; 2002 of 4: 1, 2, 1, 0.
/// Per channel: screen 4 answers, 3 good (3/4); paper 3 answers, 2 good (2/3).
fn mixed_day(s: &mut Station) {
    let sy =
        |s: &Station, who: &yichuang_engine::Clerk, n| case_of(s, who, UNEMPLOYMENT_BENEFIT, n);
    let jy = |s: &Station, who: &yichuang_engine::Clerk, n| case_of(s, who, EMPLOYMENT_CARD, n);
    let (w1, w2) = (s.clerk.clone(), s.clerk2.clone());
    let c1 = sy(s, &w1, 1);
    let c2 = sy(s, &w1, 2);
    let c3 = sy(s, &w1, 3);
    let c4 = jy(s, &w1, 4);
    let c5 = sy(s, &w1, 5);
    let c6 = sy(s, &w1, 6);
    let _c7 = jy(s, &w1, 7);
    let c8 = jy(s, &w2, 8);
    let c9 = jy(s, &w2, 9);
    let c10 = sy(s, &w2, 10);
    let c11 = sy(s, &w2, 11);
    let c12 = sy(s, &w2, 12);
    let ask_answer = |s: &Station, who, screen, c: &str, level: &str, reasons: &[&str]| {
        s.e.request_evaluation(who, c, screen).unwrap();
        let reasons: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
        s.e.answer_on_screen(screen, c, level, &reasons, "")
            .unwrap();
    };
    ask_answer(s, &w1, A, &c1, "满意", &[]);
    at(s, "09:31");
    ask_answer(s, &w1, A, &c2, "满意", &[]);
    at(s, "09:32");
    ask_answer(s, &w1, A, &c3, "不满意", &["服务态度欠佳"]);
    at(s, "09:33");
    s.e.request_evaluation(&w1, &c5, A).unwrap();
    ask_answer(s, &w2, B, &c10, "基本满意", &[]);
    at(s, "09:34");
    s.e.request_evaluation(&w2, &c11, B).unwrap();
    at(s, "09:40");
    // c5's time ran out at 09:38, so A is free again.
    s.e.request_evaluation(&w1, &c6, A).unwrap();
    s.e.leave_unanswered(A, &c6, "2001", PW).unwrap();
    at(s, "09:41");
    assert_eq!(s.e.default_expired_evaluations().unwrap(), 2, "c5 and c11");
    at(s, "09:45");
    s.e.request_evaluation(&w2, &c12, B).unwrap();
    let leader = s.leader.clone();
    for (c, serial, level, reasons) in [
        (&c4, "LD-2026-0001", "基本满意", &[][..]),
        (&c8, "LD-2026-0002", "满意", &[][..]),
        (&c9, "LD-2026-0003", "不满意", &["部门内部办理效率低下"][..]),
    ] {
        s.e.enter_paper_evaluation(&leader, c, &paper(serial, level, reasons))
            .unwrap();
    }
}

#[test]
fn rates_over_a_mixed_day_match_the_table_worked_out_by_hand() {
    let mut s = station();
    mixed_day(&mut s);
    let st = s.e.evaluation_stats(&s.leader, day(), day()).unwrap();
    type Row = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let figures = |c: &yichuang_engine::evaluation::EvaluationCounts| -> (Row, [Option<f64>; 3]) {
        (
            (
                c.cases,
                c.evaluated,
                c.requested,
                c.answered,
                c.screen,
                c.paper,
                c.defaulted,
                c.unanswered,
                c.pending,
                c.good,
            ),
            [c.evaluation_rate, c.default_rate, c.good_rate],
        )
    };
    let r = |a: i64, b: i64| Some(a as f64 / b as f64);
    assert_eq!(
        figures(&st.total),
        (
            (12, 11, 8, 7, 4, 3, 2, 1, 1, 5),
            [r(11, 12), r(3, 8), r(5, 7)]
        )
    );
    let clerks: Vec<_> = st
        .by_clerk
        .iter()
        .map(|g| (g.key.as_str(), figures(&g.counts)))
        .collect();
    assert_eq!(
        clerks,
        [
            (
                "2001",
                ((7, 6, 5, 4, 3, 1, 1, 1, 0, 3), [r(6, 7), r(2, 5), r(3, 4)])
            ),
            (
                "2002",
                ((5, 5, 3, 3, 1, 2, 1, 0, 1, 2), [r(5, 5), r(1, 3), r(2, 3)])
            ),
        ]
    );
    let items: Vec<_> = st
        .by_item
        .iter()
        .map(|g| (g.key.as_str(), figures(&g.counts)))
        .collect();
    assert_eq!(
        items,
        [
            (
                UNEMPLOYMENT_BENEFIT,
                ((8, 8, 8, 4, 4, 0, 2, 1, 1, 3), [r(8, 8), r(3, 8), r(3, 4)])
            ),
            (
                EMPLOYMENT_CARD,
                ((4, 3, 0, 3, 0, 3, 0, 0, 0, 2), [r(3, 4), None, r(2, 3)])
            ),
        ]
    );
    // The channel mix per clerk: where each clerk's figures come from.
    let mix = |c: &yichuang_engine::evaluation::EvaluationCounts| -> Vec<(&str, i64, Option<f64>)> {
        c.sources
            .iter()
            .map(|x| (x.source, x.count, x.share))
            .collect()
    };
    assert_eq!(
        mix(&st.total),
        [
            ("applicant_screen", 4, r(4, 10)),
            ("paper", 3, r(3, 10)),
            ("defaulted", 2, r(2, 10)),
            ("unanswered", 1, r(1, 10)),
            ("clerk_legacy", 0, r(0, 10)),
        ]
    );
    assert_eq!(
        mix(&st.by_clerk[0].counts),
        [
            ("applicant_screen", 3, r(3, 6)),
            ("paper", 1, r(1, 6)),
            ("defaulted", 1, r(1, 6)),
            ("unanswered", 1, r(1, 6)),
            ("clerk_legacy", 0, r(0, 6)),
        ]
    );
    assert_eq!(
        mix(&st.by_clerk[1].counts),
        [
            ("applicant_screen", 1, r(1, 4)),
            ("paper", 2, r(2, 4)),
            ("defaulted", 1, r(1, 4)),
            ("unanswered", 0, r(0, 4)),
            ("clerk_legacy", 0, r(0, 4)),
        ]
    );
    let channels: Vec<_> = st
        .by_channel
        .iter()
        .map(|g| (g.channel, g.answers, g.good, g.good_rate))
        .collect();
    assert_eq!(
        channels,
        [
            (Channel::ApplicantScreen, 4, 3, r(3, 4)),
            (Channel::Paper, 3, 2, r(2, 3)),
        ]
    );
    // Targets: 评价率 11/12 ≥ 90 % met; 默认率 3/8 > 15 % missed.
    let met: Vec<_> = st.total.targets.iter().map(|t| t.met).collect();
    assert_eq!(met, [Some(true), Some(false)]);
    // Every request, answer, timeout and paper entry is an event.
    let k = kinds(&s.e);
    let n = |kind: &str| k.iter().filter(|x| *x == kind).count();
    assert_eq!(
        (
            n("evaluation.requested"),
            n("evaluation.answered"),
            n("evaluation.defaulted"),
            n("evaluation.unanswered"),
            n("evaluation.paper_entered")
        ),
        (8, 4, 2, 1, 3)
    );
    assert!(s.e.verify_log().is_ok());
}

#[test]
fn clerk_entered_records_from_before_are_kept_but_not_counted_as_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let mut conn = store::open_raw(&path).unwrap();
    store::migrate_to(&mut conn, 12).unwrap();
    conn.execute_batch(
        "INSERT INTO station VALUES (1, 'OLD1', '老站', '示范县', 'log-old', '2026-01-01');
         INSERT INTO sync_state (id, acked_seq, acked_hash) VALUES (1, 0, '0');
         INSERT INTO events VALUES (1, 'log-old', 'e1', 'case.registered', 1, 't', '{}', 'p', 'h');
         INSERT INTO clerks (id, staff_no, name, role, password_hash, active, created_at)
           VALUES (1, '1001', '王领导', 'leader', 'x', 1, 't'), (2, '0001', '管理员', 'admin', 'x', 1, 't');
         INSERT INTO applicants VALUES (1, 'person', '欧阳测试', 'resident_id', '11010519491231002X', '', '', 't');",
    )
    .unwrap();
    for (n, status, level) in [
        (1, "answered", Some("satisfied")),
        (2, "requested", None),
        (3, "defaulted", None),
    ] {
        conn.execute(
            "INSERT INTO cases (id, case_no, item_code, item_name, catalog_version, applicant_id, applicant_kind,
               applicant_name, applicant_id_type, applicant_id_no, first_contact, handler, state, received_on,
               registered_at, onetime_notice_due, last_event_seq, updated_at)
             VALUES (?1, ?2, 'RS-SY-001', '失业保险金申领', '2026.1', 1, 'person', '欧阳测试',
               'resident_id', '11010519491231002X', 1, 1, 'registered', '2026-01-05', 't', '2026-01-12', 1, 't')",
            params![n, format!("OLD1-20260105-000{n}")],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO evaluations (case_id, channel, status, level, requested_at, answered_at)
             VALUES (?1, '窗口评价器', ?2, ?3, '2026-01-05T10:00:00.000+08:00', ?4)",
            params![
                n,
                status,
                level,
                level.map(|_| "2026-01-05T10:01:00.000+08:00")
            ],
        )
        .unwrap();
    }
    drop(conn);
    let e = Engine::open(&path)
        .unwrap()
        .with_clock(clock("2026-01-05T10:02:00+08:00"));
    let old = e.case_evaluation("OLD1-20260105-0001").unwrap().unwrap();
    assert_eq!(
        (
            old.status,
            old.channel,
            old.level.as_deref(),
            old.level_zh.as_deref(),
            old.good,
            old.legacy_channel.as_deref()
        ),
        (
            Status::Legacy,
            Some(Channel::ClerkLegacy),
            Some("satisfied"),
            Some("满意"),
            None,
            Some("窗口评价器")
        )
    );
    let pending = e.case_evaluation("OLD1-20260105-0002").unwrap().unwrap();
    assert_eq!((pending.status, pending.channel), (Status::Requested, None));
    let admin = e.clerk_by_staff_no("0001").unwrap();
    e.import_catalog(
        &admin,
        yichuang_engine::catalog::BUNDLED_CATALOG,
        "catalog.json",
    )
    .unwrap();
    let leader = e.clerk_by_staff_no("1001").unwrap();
    let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let st = e.evaluation_stats(&leader, d, d).unwrap();
    let t = &st.total;
    assert_eq!(
        (
            t.cases,
            t.evaluated,
            t.requested,
            t.answered,
            t.legacy,
            t.good,
            t.pending,
            t.defaulted
        ),
        (3, 3, 3, 0, 1, 0, 1, 1)
    );
    assert_eq!(
        t.good_rate, None,
        "a clerk's entry is no applicant's answer"
    );
    assert_eq!(st.by_channel[0].channel, Channel::ClerkLegacy);
    assert_eq!(st.by_channel[0].good_rate, None);
}
