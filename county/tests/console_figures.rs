//! Real stations (the engine on SQLite) through three days of counter work,
//! synced after each day: the 总览 equals each station's own figures
//! (好差评 statistics, the deadline board, the 否定备案 register), and the
//! projections rebuilt from scratch (`yichuang-county reproject`) equal the
//! incremental ones.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use common::browser::{Browser, admin, first_admin};
use common::raw_sql;
use serde_json::json;
use yichuang_county::console::evaluations;
use yichuang_county::console::overview::{self, StationOverview};
use yichuang_county::storage::Console;
use yichuang_engine::calendar::Calendar;
use yichuang_engine::deadline::{DeadlineKind, Urgency};
use yichuang_engine::demo::{DEMO_PASSWORD, seed_synthetic};
use yichuang_engine::evaluation::{PaperForm, Scale};
use yichuang_engine::notice::NoticeKind;
use yichuang_engine::{ApplicantInput, Clerk, Clock, Engine, NewCase, PersonIdType, Role};

struct Station {
    e: Engine,
    clerk: Clerk,
    leader: Clerk,
    code: &'static str,
    n: u64,
}

fn station(dir: &Path, code: &'static str, srv: &yichuang_county::RunningServer) -> Station {
    let mut e = Engine::open(&dir.join(format!("{code}.sqlite3"))).expect("open station");
    e.set_clock(Clock::parse("2026-11-02T09:00:00+08:00").unwrap());
    e.init(code, &format!("{code} 服务站"), "示范县")
        .expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    let leader = e
        .add_clerk(Some(&admin), "1001", "王示范", Role::Leader, DEMO_PASSWORD)
        .expect("leader");
    let clerk = e
        .add_clerk(Some(&admin), "2001", "张窗口", Role::Clerk, DEMO_PASSWORD)
        .expect("clerk");
    if code == "XZ02" {
        // Its own at-risk setting, which the county must use for it.
        e.set_setting(&admin, "deadline.at_risk_days", "4")
            .expect("setting");
    }
    let enrol = common::enrol_code(srv, code);
    e.enroll(&admin, &srv.url(), &enrol).expect("enrol");
    Station {
        e,
        clerk,
        leader,
        code,
        n: 0,
    }
}

/// One day at the counter: cases, evaluations asked and some answered,
/// one 不予受理 approved by the leader, old requests defaulted.
fn day(s: &mut Station, at: &str, cases: u64, seed: u64) {
    s.e.set_clock(Clock::parse(at).unwrap());
    seed_synthetic(&s.e, &s.clerk, cases, s.n + seed * 1000).expect("cases");
    s.n += cases;
    // The day's first cases: numbers are per station and day, gap-free.
    let ymd = at[..10].replace('-', "");
    let new: Vec<String> = (1..=cases)
        .map(|i| format!("{}-{ymd}-{i:04}", s.code))
        .collect();
    for (i, c) in new.iter().enumerate() {
        if i % 5 == 4 {
            // Not asked: lowers the evaluation rate, unless a paper form
            // (流动测评) comes in, entered by the leader who did not serve.
            if seed != 2 {
                let form = PaperForm {
                    serial: format!("{}-{seed}-{i}", s.code),
                    level: "satisfied".into(),
                    reasons: vec![],
                    comment: String::new(),
                };
                s.e.enter_paper_evaluation(&s.leader, c, &form)
                    .expect("paper");
            }
            continue;
        }
        // One screen per request: a screen shows one waiting request.
        let screen = format!("评价器-{seed}-{i}");
        s.e.request_evaluation(&s.clerk, c, &screen)
            .expect("request");
        let answer = |level: &str, reasons: &[String], comment: &str| {
            s.e.answer_on_screen(&screen, c, level, reasons, comment)
                .expect("answer")
        };
        match i % 4 {
            0 => {
                answer("satisfied", &[], "");
            }
            1 => {
                answer("dissatisfied", &["服务态度欠佳".into()], "久等");
            }
            2 => {
                answer("basically_satisfied", &[], "");
            }
            _ if seed == 2 => {
                // The second day the clerk leaves the screen by password: 未作答.
                s.e.leave_unanswered(&screen, c, &s.clerk.staff_no, DEMO_PASSWORD)
                    .expect("unanswered");
            }
            _ => {} // left open: 默认 once its time has passed
        }
    }
    let c =
        s.e.register_case(
            &s.clerk,
            &NewCase::simple(
                "RS-SY-001",
                ApplicantInput::Person {
                    name: "赵测试".into(),
                    id_type: PersonIdType::ResidentId,
                    id_no: "11010519491231002X".into(),
                    phone: String::new(),
                },
                Default::default(),
            ),
        )
        .expect("case");
    s.e.propose_rejection(
        &s.clerk,
        &c.case_no,
        "不属于本机关职权范围",
        "《中华人民共和国行政许可法》第三十二条第一款第二项",
    )
    .expect("propose");
    s.e.approve_rejection(&c.case_no, "1001", DEMO_PASSWORD)
        .expect("approve");
    s.e.default_expired_evaluations().expect("defaults");
    let client = s.e.sync_client().expect("client");
    let run = s.e.sync_now(&client).expect("sync");
    assert_eq!(run.quarantined, 0, "{}: the engine's events pass", s.code);
}

/// The station's deadline board, counted as the county counts: per case,
/// its most urgent deadline, leaving out the acceptance review of a case
/// still being registered (its date is not in the events; see
/// docs/design/county-console.md).
fn board(s: &Station) -> (i64, i64) {
    let days = s.e.at_risk_days().expect("setting");
    let mut worst: std::collections::BTreeMap<String, Urgency> = Default::default();
    for r in s.e.deadlines(days).expect("board") {
        if r.kind == DeadlineKind::OneTimeNotice {
            continue;
        }
        let w = worst.entry(r.case_no).or_insert(r.urgency);
        if r.urgency < *w {
            *w = r.urgency;
        }
    }
    let overdue = worst.values().filter(|u| **u == Urgency::Overdue).count() as i64;
    let at_risk = worst
        .values()
        .filter(|u| matches!(u, Urgency::DueToday | Urgency::AtRisk))
        .count() as i64;
    (overdue, at_risk)
}

fn snapshot(db: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (table, drop, order) in [
        ("cases", "updated_at", "log_id, case_no"),
        ("quarantine", "quarantined_at", "log_id, seq"),
        ("filings", "", "log_id, seq"),
        ("evaluations", "", "log_id, case_no"),
        ("station_facts", "", "log_id"),
        ("notices", "", "log_id, doc_no"),
        ("supervision_receipts", "", "log_id, case_no, flagged_at_ms"),
        ("case_events", "", "log_id, seq"),
    ] {
        let rows = raw_sql::query_strings(
            db,
            &format!("SELECT (to_jsonb(t) - '{drop}')::text FROM {table} t ORDER BY {order}"),
        );
        out.push(format!("{table}: {} rows", rows.len()));
        out.extend(rows.into_iter().map(|r| r[0].clone().unwrap_or_default()));
    }
    out
}

#[test]
fn the_overview_equals_the_stations_figures_and_a_rebuild_equals_the_incremental_projection() {
    let (srv, db) = common::server("yc_console_figures");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut stations = vec![
        station(dir.path(), "CG01", &srv),
        station(dir.path(), "XZ02", &srv),
    ];
    for (i, s) in stations.iter_mut().enumerate() {
        let i = i as u64;
        day(s, "2026-11-02T09:30:00+08:00", 6 + i, 1);
        day(s, "2026-11-13T10:00:00+08:00", 5, 2);
        day(s, "2026-11-23T09:30:00+08:00", 4 + 2 * i, 3);
    }
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let figures = srv
        .block_on(srv.state.storage.station_figures(date, start))
        .expect("figures");
    let o = overview::overview(
        date,
        yichuang_county::now_ms(),
        &Calendar::bundled().expect("bundled calendar"),
        &figures,
    );
    assert_eq!(o.stations.len(), 2);
    let mut overdue_seen = 0;
    for s in &stations {
        let c: &StationOverview = o
            .stations
            .iter()
            .find(|x| x.station_code == s.code)
            .expect("station in the overview");
        let month =
            s.e.evaluation_stats(&s.leader, start, date)
                .expect("stats")
                .total;
        let today =
            s.e.evaluation_stats(&s.leader, date, date)
                .expect("stats")
                .total;
        for (county, own, what) in [(&c.month, &month, "month"), (&c.today, &today, "today")] {
            assert_eq!(county.counts.cases, own.cases, "{} {what} cases", s.code);
            assert_eq!(county.counts.requested, own.requested, "{} {what}", s.code);
            assert_eq!(county.counts.answered, own.answered, "{} {what}", s.code);
            assert_eq!(county.counts.defaulted, own.defaulted, "{} {what}", s.code);
            assert_eq!(
                county.rates.evaluation_rate, own.evaluation_rate,
                "{} {what}",
                s.code
            );
            assert_eq!(
                county.rates.default_rate, own.default_rate,
                "{} {what}",
                s.code
            );
            assert_eq!(county.rates.good_rate, own.good_rate, "{} {what}", s.code);
            assert_eq!(county.rates.targets, own.targets, "{} {what}", s.code);
        }
        let filed =
            s.e.rejection_filings(&s.leader, 1000)
                .expect("register")
                .len() as i64;
        assert_eq!(c.month.counts.rejections, filed, "{} 否定备案", s.code);
        assert_eq!(c.today.counts.rejections, 1, "{} one filed today", s.code);
        let (overdue, at_risk) = board(s);
        assert_eq!(
            (c.overdue, c.at_risk),
            (overdue, at_risk),
            "{} board",
            s.code
        );
        assert_eq!(c.at_risk_days, s.e.at_risk_days().unwrap());
        assert_eq!(
            c.station_name.as_deref(),
            Some(format!("{} 服务站", s.code).as_str())
        );
        assert!(!c.silent && c.backlog == 0 && c.quarantined == 0);
        overdue_seen += overdue;
    }
    assert!(
        overdue_seen > 0,
        "the campaign has overdue cases to compare"
    );

    // 好差评: the county's month per station and per clerk (rates, targets,
    // levels, the channel mix) equals each station's own statistics.
    let end = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let facts = srv
        .block_on(srv.state.storage.evaluation_facts(start, end, 1000))
        .expect("evaluation facts");
    let page = evaluations::page(start, end, Scale::three_level(), &Default::default(), facts);
    let mut bad = 0;
    for s in &stations {
        let own = s.e.evaluation_stats(&s.leader, start, date).expect("stats");
        let g = page
            .stations
            .iter()
            .find(|g| g.key == s.code)
            .expect("station ranked");
        assert_eq!(g.counts, own.total, "{} 好差评", s.code);
        assert!(!own.by_clerk.is_empty());
        for c in &own.by_clerk {
            let mine = page
                .clerks
                .iter()
                .find(|g| g.station_code.as_deref() == Some(s.code) && g.key == c.key)
                .expect("clerk");
            assert_eq!(mine.counts, c.counts, "{} clerk {}", s.code, c.key);
        }
        bad += own
            .total
            .levels
            .iter()
            .filter(|l| l.good == Some(false))
            .map(|l| l.count)
            .sum::<i64>();
    }
    assert_eq!(page.bad_total, bad);
    assert_eq!(page.bad.len() as i64, bad);
    assert!(
        page.bad
            .iter()
            .all(|b| b.answer.reasons == ["服务态度欠佳"]),
        "{:?}",
        page.bad[0]
    );
    assert_eq!(
        page.stations.iter().map(|g| g.rank).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM devices WHERE last_contact_at IS NOT NULL"
        ),
        2,
        "every authenticated request is contact"
    );
    assert!(o.county.month.counts.dissatisfied > 0 && o.county.month.counts.defaulted > 0);
    // The mixed set is really mixed: 未作答 by password, and paper forms
    // that answered no request (evaluated beyond the requests).
    assert!(o.county.month.counts.unanswered > 0, "{:?}", o.county.month);
    assert!(
        o.county.month.counts.evaluated > o.county.month.counts.requested,
        "{:?}",
        o.county.month
    );

    // Each evaluation carries its case's receipt day (the month's index range).
    assert!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM evaluations WHERE received_on IS NOT NULL"
        ) > 0
    );
    assert_eq!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM evaluations e JOIN cases c USING (log_id, case_no)
             WHERE e.received_on IS DISTINCT FROM c.received_on"
        ),
        0
    );
    let incremental = snapshot(&db);
    assert!(
        incremental.iter().any(|l| l.starts_with("filings: 6 rows")),
        "{:?}",
        &incremental[..1]
    );
    let (answer, release) = common::key_files();
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .arg("reproject")
        .env("YICHUANG_COUNTY_DATABASE_URL", &db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(&db))
        .output()
        .expect("reproject");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rebuilt = snapshot(&db);
    assert_eq!(rebuilt.len(), incremental.len());
    for (a, b) in incremental.iter().zip(&rebuilt) {
        assert_eq!(a, b);
    }
    assert_eq!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM staff_audit WHERE action = 'reprojected'"
        ),
        1
    );
}

fn reproject(db: &str) {
    let (answer, release) = common::key_files();
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .arg("reproject")
        .env("YICHUANG_COUNTY_DATABASE_URL", db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(db))
        .output()
        .expect("reproject");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn staff(srv: &yichuang_county::RunningServer, adm: &Browser, login: &str, role: &str) -> Browser {
    let password = "督查窗口口令2026";
    let a = adm.change(
        "POST",
        "staff",
        json!({"login": login, "name": format!("{role} 同志"), "role": role, "password": password}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let mut b = Browser::new(srv);
    assert_eq!(b.login(login, password).status, 200);
    b
}

fn workbook(bytes: &[u8]) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("export.xlsx");
    std::fs::write(&path, bytes).expect("write");
    yichuang_testkit::read_xlsx(&path)
}

/// The cells of a read-back sheet as text (numbers as integers).
fn cells(sheet: &serde_json::Value) -> Vec<Vec<String>> {
    sheet["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|c| match &c["v"] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => {
                        n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f}"))
                    }
                    _ => String::new(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_review_a_flag_that_reaches_the_station_and_exports_read_back() {
    let (srv, db) = common::server("yc_console_oversight");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = station(dir.path(), "XZ02", &srv);
    day(&mut s, "2026-11-02T09:30:00+08:00", 6, 1);
    // A withdrawal by the clerk, and a notice issued, then voided.
    let w =
        s.e.register_case(
            &s.clerk,
            &NewCase::simple(
                "RS-SY-001",
                ApplicantInput::Person {
                    name: "钱测试".into(),
                    id_type: PersonIdType::ResidentId,
                    id_no: "11010519491231002X".into(),
                    phone: String::new(),
                },
                Default::default(),
            ),
        )
        .expect("case");
    s.e.withdraw(&s.clerk, &w.case_no, "申请人主动撤回申请")
        .expect("withdraw");
    day(&mut s, "2026-11-23T09:30:00+08:00", 4, 3);
    let rejected: Vec<String> =
        s.e.rejection_filings(&s.leader, 100)
            .expect("filings")
            .into_iter()
            .map(|f| f.case_no)
            .collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    let notice =
        s.e.issue_notice(&s.clerk, &rejected[0], NoticeKind::RejectionNotice)
            .expect("notice");
    s.e.void_notice(&s.clerk, &notice.doc_no, "文书日期填写有误")
        .expect("void");
    let again =
        s.e.issue_notice(&s.clerk, &rejected[0], NoticeKind::RejectionNotice)
            .expect("notice again");
    s.e.sync_now(&s.e.sync_client().expect("client"))
        .expect("sync");

    first_admin(&srv);
    let adm = admin(&srv);
    let reviewer = staff(&srv, &adm, "zhao.review", "reviewer");
    let office = staff(&srv, &adm, "qian.office", "approval_office");

    // 否定备案审查: the register equals the station's own, with the notices.
    let page = reviewer.get("filings?month=2026-11");
    assert_eq!(page.status, 200, "{}", page.body);
    let rows = page.body["rows"].as_array().expect("rows");
    let mut seen: Vec<String> = rows
        .iter()
        .map(|r| r["case_no"].as_str().unwrap_or_default().to_owned())
        .collect();
    seen.sort();
    let mut own = rejected.clone();
    own.sort();
    assert_eq!(seen, own, "the county's register is the station's");
    let first = rows
        .iter()
        .find(|r| r["case_no"] == rejected[0].as_str())
        .expect("filing");
    assert_eq!(first["kind_zh"], "不予受理");
    assert_eq!(first["approved_by"], "1001");
    assert_eq!(first["applicant_masked"], "赵*试", "{first}");
    assert!(
        first["legal_basis"]
            .as_str()
            .unwrap_or("")
            .contains("行政许可法")
    );
    let notices = first["notices_zh"].as_array().expect("notices");
    assert_eq!(notices.len(), 2, "{notices:?}");
    let voided = notices
        .iter()
        .find(|n| n["doc_no"] == notice.doc_no.as_str())
        .expect("the voided notice");
    assert_eq!(voided["voided"], true);
    assert_eq!(voided["void_reason"], "文书日期填写有误");
    assert!(
        notices
            .iter()
            .any(|n| n["doc_no"] == again.doc_no.as_str() && n["voided"] == false)
    );
    // The withdrawal beside them, per clerk.
    assert_eq!(page.body["closings_total"], 1);
    assert_eq!(page.body["closings"][0]["case_no"], w.case_no.as_str());
    assert_eq!(page.body["closings"][0]["reason"], "申请人主动撤回申请");
    let clerk = page.body["clerks"]
        .as_array()
        .expect("clerks")
        .iter()
        .find(|c| c["clerk"] == "2001")
        .expect("clerk 2001")
        .clone();
    assert_eq!(
        (clerk["not_accepted"].as_i64(), clerk["withdrawn"].as_i64()),
        (Some(2), Some(1))
    );

    // The station's software version, from its own event.
    let o = reviewer.get("overview?date=2026-11-23");
    assert!(
        o.body["stations"][0]["app_version"].is_string(),
        "{}",
        o.body["stations"][0]
    );

    // 办件详情: the withdrawn case's history, applicant masked.
    let c = reviewer.get(&format!("cases/{}", w.case_no));
    assert_eq!(c.status, 200, "{}", c.body);
    let steps: Vec<&str> = c.body["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["action_zh"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(steps, ["登记", "撤回申请"], "{}", c.body);
    assert_eq!(c.body["steps"][1]["reason"], "申请人主动撤回申请");
    assert_eq!(c.body["applicant_masked"], "钱*试");
    assert_eq!(c.body["state_zh"], "已撤回", "{}", c.body["state_zh"]);
    assert!(
        c.body["item_name"].is_string(),
        "the bundled catalog names the item"
    );
    let c = reviewer.get(&format!("cases/{}", rejected[0]));
    assert_eq!(c.body["notices_zh"].as_array().map(Vec::len), Some(2));
    assert_eq!(reviewer.get("cases/XZ02-20261123-9999").status, 404);
    assert_eq!(reviewer.get("cases/not-a-number").status, 422);

    // A review: bad input refused naming the field, nothing stored.
    let (log_id, seq) = (first["log_id"].clone(), first["seq"].clone());
    let reviews = || raw_sql::query_i64(&db, "SELECT count(*) FROM filing_reviews");
    for (body, field) in [
        (
            json!({"log_id": log_id, "seq": seq, "verdict": "ok"}),
            "verdict",
        ),
        (
            json!({"log_id": log_id, "seq": seq, "verdict": "doubtful", "comment": " "}),
            "comment",
        ),
        (json!({"log_id": log_id, "verdict": "compliant"}), "seq"),
    ] {
        let a = reviewer.change("POST", "filings/review", body);
        assert_eq!(a.status, 422, "{}", a.body);
        assert_eq!(a.body["field"], field, "{}", a.body);
    }
    let a = reviewer.change(
        "POST",
        "filings/review",
        json!({"log_id": log_id, "seq": 999_999, "verdict": "compliant"}),
    );
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(reviews(), 0);
    let a = office.change(
        "POST",
        "filings/review",
        json!({"log_id": log_id, "seq": seq, "verdict": "compliant"}),
    );
    assert_eq!(a.status, 403, "only the reviewer reviews");
    let a = reviewer.change(
        "POST",
        "filings/review",
        json!({"log_id": log_id, "seq": seq, "verdict": "doubtful", "comment": "理由与依据不对应"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(reviews(), 1);
    let bulletin = reviewer.get("filings?month=2026-11&verdict=doubtful");
    assert_eq!(bulletin.body["total"], 1, "{}", bulletin.body);
    assert_eq!(bulletin.body["rows"][0]["verdict_zh"], "存疑");
    assert_eq!(
        bulletin.body["rows"][0]["review"]["comment"],
        "理由与依据不对应"
    );
    assert_eq!(bulletin.body["stations"][0]["doubtful"], 1);
    assert_eq!(bulletin.body["stations"][0]["unreviewed"], 1);
    assert!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM staff_audit WHERE action = 'filing_reviewed'"
        ) == 1
    );

    // The register exported and read back by openpyxl.
    let x = reviewer.get("filings/export?month=2026-11");
    assert_eq!(x.status, 200);
    let book = workbook(&x.bytes);
    let sheets = book.as_array().expect("sheets");
    assert_eq!(sheets.len(), 4);
    let register = cells(&sheets[0]);
    assert_eq!(register[0][1], "办件编号");
    assert_eq!(register.len(), 3, "header and two filings");
    assert!(
        register
            .iter()
            .any(|r| r[1] == rejected[0] && r[12] == "存疑")
    );
    assert_eq!(sheets[0]["freeze"], "A2");
    let closings = cells(&sheets[3]);
    assert!(closings.iter().any(|r| r[1] == w.case_no && r[2] == "撤回"));

    // 时限督办: the overdue cases are the station's own.
    let (overdue, _) = board(&s);
    assert!(overdue > 0, "the scenario has overdue cases");
    let sup = office.get("supervision?date=2026-11-23&show=overdue&size=200");
    assert_eq!(sup.status, 200, "{}", sup.body);
    assert_eq!(sup.body["overdue"].as_i64(), Some(overdue), "{}", sup.body);
    let case_no = sup.body["rows"][0]["case_no"]
        .as_str()
        .expect("an overdue case")
        .to_owned();
    for (body, field) in [
        (json!({"case_no": "XZ02-1-1", "note": "请办结"}), "case_no"),
        (
            json!({"case_no": "XZ02-20261123-9999", "note": "请办结"}),
            "case_no",
        ),
        (json!({"case_no": case_no, "note": ""}), "note"),
        (
            json!({"case_no": case_no, "note": "第一行\n第二行"}),
            "note",
        ),
    ] {
        let a = office.change("POST", "supervision", body);
        assert_eq!(a.status, 422, "{}", a.body);
        assert_eq!(a.body["field"], field, "{}", a.body);
    }
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM supervision"),
        0
    );
    let note = "超期未办结，请于两个工作日内办结并报告";
    let a = office.change(
        "POST",
        "supervision",
        json!({"case_no": case_no, "note": note}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let a = office.change(
        "POST",
        "supervision",
        json!({"case_no": case_no, "note": note}),
    );
    assert_eq!(a.status, 422, "flagged once: {}", a.body);
    let flagged = office.get("supervision?date=2026-11-23&show=flagged");
    assert_eq!(flagged.body["flagged"], 1);
    assert!(flagged.body["rows"][0]["flag"]["received_at"].is_null());

    // The next sync takes the flag to the station's board, and its receipt back.
    let run =
        s.e.sync_now(&s.e.sync_client().expect("client"))
            .expect("sync");
    assert!(run.stored > 0, "the receipt went up in the same run");
    let days = s.e.at_risk_days().expect("setting");
    let board_rows = s.e.deadlines(days).expect("board");
    assert!(
        board_rows
            .iter()
            .filter(|r| r.case_no == case_no)
            .all(|r| r.supervision_note.as_deref() == Some(note)),
    );
    assert!(board_rows.iter().any(|r| r.case_no == case_no));
    assert!(
        board_rows
            .iter()
            .filter(|r| r.case_no != case_no)
            .all(|r| r.supervision_note.is_none())
    );
    let flagged = office.get("supervision?date=2026-11-23&show=flagged");
    let f = &flagged.body["rows"][0]["flag"];
    assert!(f["received_at"].is_string(), "{f}");
    // A sync with nothing new changes nothing on the station.
    let acked = s.e.sync_status().expect("status").acked_seq;
    let run =
        s.e.sync_now(&s.e.sync_client().expect("client"))
            .expect("sync");
    assert_eq!(
        (run.sent, s.e.sync_status().expect("status").acked_seq),
        (0, acked)
    );

    // Exported and read back.
    let x = office.get("supervision/export?date=2026-11-23");
    assert_eq!(x.status, 200);
    let rows = cells(&workbook(&x.bytes)[0]);
    assert!(
        rows.iter().any(|r| r[1] == case_no && r[10] == note),
        "{rows:?}"
    );

    // Lifted: the next sync clears it on the station.
    let id = f["id"].as_i64().expect("id");
    assert_eq!(
        reviewer
            .change("POST", &format!("supervision/{id}/lift"), json!({}))
            .status,
        403
    );
    let a = office.change(
        "POST",
        &format!("supervision/{id}/lift"),
        json!({"note": "已办结"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        office
            .change("POST", &format!("supervision/{id}/lift"), json!({}))
            .status,
        404
    );
    s.e.sync_now(&s.e.sync_client().expect("client"))
        .expect("sync");
    assert!(s.e.supervision_flags().expect("flags").is_empty());
    assert!(
        s.e.deadlines(days)
            .expect("board")
            .iter()
            .all(|r| r.supervision_note.is_none())
    );
    assert_eq!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM supervision_receipts WHERE lifted_at IS NOT NULL"
        ),
        1
    );

    // The new projections rebuild to the same rows.
    let incremental = snapshot(&db);
    reproject(&db);
    assert_eq!(snapshot(&db), incremental);
    // County records survive a re-projection.
    assert_eq!(reviews(), 1);
    assert_eq!(
        reviewer.get("filings?month=2026-11&verdict=doubtful").body["total"],
        1
    );
}
