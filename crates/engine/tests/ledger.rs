//! The 台账 export (R18): a month of a station's cases, filings, notices and
//! 好差评 written to .xlsx and read back with openpyxl, an independent
//! reader: sheets, headers, rows against the engine's own queries, real
//! dates, masking by role, the recorded event, and failures that leave
//! neither a file nor a change.

use serde_json::Value;
use yichuang_engine::ledger::{LedgerProgress, SAVING_ZH, SHEETS};
use yichuang_engine::{Clerk, NoticeKind};
use yichuang_testkit::items::*;
use yichuang_testkit::*;

const FROM: &str = "2026-11-01";
const TO: &str = "2026-11-30";

/// The month's cases: 2001 has an accepted case with a printed 受理通知书, a
/// rejected one (approved by 1001, with its 不予受理通知书) and one rated
/// 不满意; 2002 has one whose notice was voided. One case of October lies
/// outside the period.
struct Month {
    accepted: String,
    rejected: String,
    rated: String,
    others: String,
    october: String,
}

fn month(s: &mut Station) -> Month {
    s.e.set_clock(clock("2026-10-30T10:00:00+08:00"));
    let october =
        s.e.register_case(&s.clerk, &case_for(&s.e, EMPLOYMENT_CARD, "周十月", &[]))
            .unwrap()
            .case_no;
    s.e.set_clock(clock(TEST_NOW));

    let a =
        s.e.register_case(&s.clerk, &case_for(&s.e, EMPLOYMENT_CARD, "赵示例", &[]))
            .unwrap();
    s.e.accept(&s.clerk, &a.case_no).unwrap();
    s.e.print_notice(&s.clerk, &a.case_no, NoticeKind::AcceptanceNotice)
        .unwrap();

    let r =
        s.e.register_case(&s.clerk, &case_for(&s.e, WORK_INJURY, "钱演示", &[]))
            .unwrap();
    s.e.propose_rejection(
        &s.clerk,
        &r.case_no,
        "申请超过事故伤害发生之日起1年的申请时限",
        "《工伤保险条例》第十七条第二款",
    )
    .unwrap();
    s.e.approve_rejection(&r.case_no, "1001", PW).unwrap();
    s.e.issue_notice(&s.clerk, &r.case_no, NoticeKind::RejectionNotice)
        .unwrap();

    let e =
        s.e.register_case(&s.clerk, &case_for(&s.e, EMPLOYMENT_CARD, "孙样本", &[]))
            .unwrap();
    s.e.request_evaluation(&s.clerk, &e.case_no, "1号窗口评价屏")
        .unwrap();
    s.e.answer_on_screen(
        "1号窗口评价屏",
        &e.case_no,
        "dissatisfied",
        &["服务态度欠佳".into(), "其他".into()],
        "排队太久",
    )
    .unwrap();

    let o =
        s.e.register_case(&s.clerk2, &case_for(&s.e, EMPLOYMENT_CARD, "李模拟", &[]))
            .unwrap();
    s.e.accept(&s.clerk2, &o.case_no).unwrap();
    let n =
        s.e.issue_notice(&s.clerk2, &o.case_no, NoticeKind::AcceptanceNotice)
            .unwrap();
    s.e.void_notice(&s.clerk2, &n.doc_no, "申请人姓名录入错误")
        .unwrap();
    Month {
        accepted: a.case_no,
        rejected: r.case_no,
        rated: e.case_no,
        others: o.case_no,
        october,
    }
}

fn export(s: &Station, who: &Clerk, file: &str) -> (Value, Vec<LedgerProgress>) {
    let out = s.dir.path().join(file);
    let mut steps = Vec::new();
    let done =
        s.e.export_ledger(who, FROM, TO, &out, &mut |p| steps.push(p))
            .unwrap();
    assert_eq!(std::path::Path::new(&done.path), out.as_path());
    (read_xlsx(&out), steps)
}

fn sheet<'a>(book: &'a Value, name: &str) -> &'a Vec<Value> {
    book.as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))["rows"]
        .as_array()
        .unwrap()
}

fn headers(rows: &[Value]) -> Vec<&str> {
    rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["v"].as_str().unwrap())
        .collect()
}

/// The row whose first column is `key`, as column header → cell.
fn row<'a>(rows: &'a [Value], key: &str) -> std::collections::BTreeMap<&'a str, &'a Value> {
    let hs = headers(rows);
    let r = rows[1..]
        .iter()
        .find(|r| r[0]["v"] == key)
        .unwrap_or_else(|| panic!("no row {key}"));
    hs.into_iter().zip(r.as_array().unwrap()).collect()
}

fn column<'a>(rows: &'a [Value], header: &str) -> Vec<&'a Value> {
    let i = headers(rows).iter().position(|h| *h == header).unwrap();
    rows[1..].iter().map(|r| &r[i]).collect()
}

fn text(v: &Value) -> &str {
    assert_eq!(v["t"], "text", "{v}");
    v["v"].as_str().unwrap()
}

#[test]
fn a_leaders_export_holds_the_month_in_full_as_the_engine_counts_it() {
    let mut s = station();
    let m = month(&mut s);
    let (book, steps) = export(&s, &s.leader.clone(), "台账-2026-11.xlsx");

    let names: Vec<&str> = book
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, SHEETS);
    assert_eq!(names, ["受理台账", "否定备案登记", "通知书", "好差评"]);
    for sh in book.as_array().unwrap() {
        assert_eq!(sh["freeze"], "A2", "{}: header row frozen", sh["name"]);
        assert!(sh["bold_header"].as_bool().unwrap());
        assert!(
            sh["filter"].as_str().unwrap().starts_with("A1:"),
            "{}",
            sh["filter"]
        );
        assert!(sh["widths"][0].as_f64().unwrap() > 15.0, "{}", sh["widths"]);
    }

    // 受理台账: the cases the engine's 好差评 statistics count for the month.
    let cases = sheet(&book, "受理台账");
    assert_eq!(
        headers(cases)[..10],
        [
            "办件编号",
            "收件日期",
            "登记时间",
            "事项编码",
            "事项名称",
            "申请人类型",
            "申请人",
            "证件类型",
            "证件号码",
            "代理人"
        ]
    );
    let stats =
        s.e.evaluation_stats(
            &s.leader,
            "2026-11-01".parse().unwrap(),
            "2026-11-30".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(cases.len() - 1, stats.total.cases as usize);
    assert_eq!(cases.len() - 1, 4);
    let listed: Vec<&str> = column(cases, "办件编号").into_iter().map(text).collect();
    assert!(!listed.contains(&m.october.as_str()), "{listed:?}");
    assert!(
        listed.contains(&m.others.as_str()),
        "another clerk's case too"
    );

    let a = row(cases, &m.accepted);
    let view = s.e.case(&m.accepted).unwrap();
    assert_eq!(text(a["申请人"]), "赵示例");
    assert_eq!(
        text(a["证件号码"]),
        view.applicant_id_no,
        "full for a leader"
    );
    assert!(!text(a["证件号码"]).contains('*'));
    assert_eq!(text(a["证件类型"]), "居民身份证");
    assert_eq!(text(a["承办人员"]), "张窗口");
    assert_eq!(text(a["办理状态"]), view.state_zh);
    assert_eq!(
        a["收件日期"]["t"], "datetime",
        "a real date: {}",
        a["收件日期"]
    );
    assert_eq!(a["收件日期"]["v"], "2026-11-23 00:00:00");
    assert_eq!(a["收件日期"]["fmt"], "yyyy-mm-dd");
    assert_eq!(a["登记时间"]["v"], "2026-11-23 09:30:00");
    assert_eq!(a["登记时间"]["fmt"], "yyyy-mm-dd hh:mm:ss");
    let due = view.promised_due.unwrap();
    assert_eq!(a["承诺办结日期"]["v"], format!("{due} 00:00:00"));
    let item = s.e.catalog().unwrap();
    let item = item.item(EMPLOYMENT_CARD).unwrap();
    assert_eq!(
        text(a["承诺时限"]),
        format!("{}{}", item.promised_days, item.promised_unit.label_zh())
    );
    assert_eq!(a["办结日期"]["t"], "empty");

    // 否定备案登记: the register's filing of the month, with its notice.
    let filings = sheet(&book, "否定备案登记");
    let register = s.e.rejection_filings(&s.leader, 100).unwrap();
    assert_eq!(filings.len() - 1, register.len());
    assert_eq!(filings.len() - 1, 1);
    let f = row(filings, &m.rejected);
    assert_eq!(text(f["决定"]), "不予受理");
    assert_eq!(text(f["理由"]), register[0].reason);
    assert_eq!(text(f["法律依据"]), "《工伤保险条例》第十七条第二款");
    assert_eq!(text(f["提出人"]), "张窗口");
    assert_eq!(text(f["批准领导"]), "王示范");
    assert_eq!(f["批准时间"]["t"], "datetime");
    let rejection_notice = &s.e.notices_for_case(&m.rejected).unwrap()[0];
    assert_eq!(text(f["告知书文号"]), rejection_notice.doc_no);

    // 通知书: every notice of the month's cases, the voided one marked.
    let notices = sheet(&book, "通知书");
    let expected: usize = listed
        .iter()
        .map(|c| s.e.notices_for_case(c).unwrap().len())
        .sum();
    assert_eq!(notices.len() - 1, expected);
    assert_eq!(notices.len() - 1, 3);
    let i_doc = headers(notices).iter().position(|h| *h == "文号").unwrap();
    let by_doc = |doc: &str| {
        let r = notices[1..].iter().find(|r| r[i_doc]["v"] == doc).unwrap();
        headers(notices)
            .into_iter()
            .zip(r.as_array().unwrap())
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let printed = &s.e.notices_for_case(&m.accepted).unwrap()[0];
    let p = by_doc(&printed.doc_no);
    assert_eq!(text(p["文书种类"]), NoticeKind::AcceptanceNotice.title_zh());
    assert_eq!(text(p["办件编号"]), m.accepted);
    assert_eq!(text(p["状态"]), "有效");
    assert_eq!(p["打印次数"]["v"], 1);
    let hash = text(p["PDF 校验值（SHA-256）"]);
    assert_eq!(Some(hash), printed.pdf_sha256.as_deref());
    assert_eq!(hash.len(), 64);
    assert_eq!(p["出具时间"]["t"], "datetime");
    let voided = &s.e.notices_for_case(&m.others).unwrap()[0];
    let v = by_doc(&voided.doc_no);
    assert_eq!(text(v["状态"]), "已作废");
    assert_eq!(text(v["作废原因"]), "申请人姓名录入错误");
    assert_eq!(v["作废时间"]["t"], "datetime");

    // 好差评: the month's requests as the statistics count them.
    let evals = sheet(&book, "好差评");
    assert_eq!(evals.len() - 1, stats.total.evaluated as usize);
    let e = row(evals, &m.rated);
    assert_eq!(text(e["评价等级"]), "不满意");
    assert_eq!(text(e["不满意原因"]), "服务态度欠佳、其他");
    assert_eq!(text(e["评价意见"]), "排队太久");
    assert_eq!(text(e["评价状态"]), "已评价");
    assert_eq!(text(e["评价渠道"]), "评价屏（办事人自评）");
    assert_eq!(text(e["评价屏或表号"]), "1号窗口评价屏");
    assert_eq!(e["评价时间"]["t"], "datetime");

    // Progress: from the first sheet to the saving of every row.
    assert_eq!(steps[0].stage_zh, "受理台账");
    assert_eq!(steps[0].done, 0);
    let last = steps.last().unwrap();
    assert_eq!((last.stage_zh, last.done, last.total), (SAVING_ZH, 9, 9));
    assert!(steps.windows(2).all(|w| w[0].done <= w[1].done));
    assert!(steps.iter().all(|p| p.total == 9));

    // The export is an event: who, period, scope, counts, never the rows.
    let ev = s.e.tail_events(1).unwrap().pop().unwrap();
    assert_eq!(ev.kind, "ledger.exported");
    let payload: Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!(payload["actor"], "1001");
    assert_eq!(
        (payload["from"].as_str(), payload["to"].as_str()),
        (Some(FROM), Some(TO))
    );
    assert_eq!(payload["scope"], "station");
    assert_eq!(payload["full_ids"], true);
    assert_eq!(
        payload["counts"],
        serde_json::json!({"cases": 4, "filings": 1, "notices": 3, "evaluations": 1})
    );
    assert!(!ev.payload.contains(&view.applicant_id_no) && !ev.payload.contains("赵示例"));
}

#[test]
fn a_clerk_exports_the_cases_they_handle_with_id_numbers_masked() {
    let mut s = station();
    let m = month(&mut s);
    let terms = s.e.ledger_terms(&s.clerk);
    assert!(!terms.full_ids);
    let (book, _) = export(&s, &s.clerk.clone(), "mine.xlsx");

    let cases = sheet(&book, "受理台账");
    let listed: Vec<&str> = column(cases, "办件编号").into_iter().map(text).collect();
    assert_eq!(
        listed,
        [&m.accepted, &m.rejected, &m.rated],
        "2001's own, in order"
    );
    let full = s.e.case(&m.accepted).unwrap().applicant_id_no;
    let masked = text(row(cases, &m.accepted)["证件号码"]).to_owned();
    assert_eq!(masked, yichuang_engine::ids::mask_id(&full));
    assert!(masked.contains("********") && masked != full);
    for id in column(cases, "证件号码") {
        assert!(text(id).contains('*'), "{id}");
    }
    let filing = row(sheet(&book, "否定备案登记"), &m.rejected);
    assert!(text(filing["证件号码"]).contains('*'));
    // The other clerk's voided notice is not in this clerk's ledger.
    assert_eq!(sheet(&book, "通知书").len() - 1, 2);
    assert_eq!(sheet(&book, "好差评").len() - 1, 1);

    let payload: Value = serde_json::from_str(&s.e.tail_events(1).unwrap()[0].payload).unwrap();
    assert_eq!(payload["actor"], "2001");
    assert_eq!(payload["scope"], "own_cases");
    assert_eq!(payload["full_ids"], false);
    assert_eq!(payload["counts"]["cases"], 3);
}

#[test]
fn a_bad_period_or_a_failed_write_leaves_no_file_and_no_change() {
    let mut s = station();
    month(&mut s);
    let before = fingerprint(&s.e);
    let dir = s.dir.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let mut none = |_: LedgerProgress| {};

    let late =
        s.e.export_ledger(&s.leader, "2026-12-01", TO, &dir.join("a.xlsx"), &mut none)
            .unwrap_err();
    assert_eq!(
        late.user_message(),
        "起始日期 2026-12-01 晚于截止日期 2026-11-30，请重新选择导出期间"
    );
    let garbled =
        s.e.export_ledger(&s.leader, FROM, "11/30", &dir.join("a.xlsx"), &mut none)
            .unwrap_err();
    assert_eq!(
        garbled.user_message(),
        "截止日期“11/30”格式不正确，应为 YYYY-MM-DD"
    );
    let not_xlsx =
        s.e.export_ledger(&s.leader, FROM, TO, &dir.join("a.csv"), &mut none)
            .unwrap_err();
    assert!(not_xlsx.user_message().contains(".xlsx"), "{not_xlsx}");
    let no_folder =
        s.e.export_ledger(&s.leader, FROM, TO, &dir.join("missing/a.xlsx"), &mut none)
            .unwrap_err();
    assert!(no_folder.user_message().contains("不存在"), "{no_folder}");

    // A folder sits where the file should go: the workbook is written, the
    // rename fails, and the temporary file goes with the transaction.
    let blocked = dir.join("台账.xlsx");
    std::fs::create_dir(&blocked).unwrap();
    let failed =
        s.e.export_ledger(&s.leader, FROM, TO, &blocked, &mut none)
            .unwrap_err();
    assert!(failed.user_message().contains("台账.xlsx"), "{failed}");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["台账.xlsx"], "no half file beside it");
    assert!(std::fs::read_dir(&blocked).unwrap().next().is_none());
    assert_eq!(fingerprint(&s.e), before, "no event, no change");
}
