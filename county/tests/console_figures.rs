//! Real stations (the engine on SQLite) through three days of counter work,
//! synced after each day: the 总览 equals each station's own figures
//! (好差评 statistics, the deadline board, the 否定备案 register), and the
//! projections rebuilt from scratch (`yichuang-county reproject`) equal the
//! incremental ones.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use common::raw_sql;
use yichuang_county::console::evaluations;
use yichuang_county::console::overview::{self, StationOverview};
use yichuang_county::storage::Console;
use yichuang_engine::calendar::Calendar;
use yichuang_engine::deadline::{DeadlineKind, Urgency};
use yichuang_engine::demo::{DEMO_PASSWORD, seed_synthetic};
use yichuang_engine::evaluation::{PaperForm, Scale};
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
