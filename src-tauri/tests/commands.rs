//! The commands, called through Tauri's IPC exactly as the window calls them,
//! on the mock runtime (no display needed).

mod common;

use std::path::Path;

use common::station;
use serde_json::{Value, json};
use tauri::Manager;

fn outcomes(case: &Value) -> Vec<&str> {
    case["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn login_errors_are_chinese_and_coded() {
    let s = station();
    assert_eq!(s.ok("session", json!({})), Value::Null);
    let e = s.err("login", json!({"staffNo": "2001", "password": "wrong"}));
    assert_eq!(e["message"], "工号 2001 或密码不正确");
    assert_eq!(e["code"], "auth_failed");
    assert!(
        e["detail"]
            .as_str()
            .unwrap_or("")
            .contains("authentication failed")
    );
    // Nothing a clerk does works before log-in.
    let e = s.err(
        "register_case",
        json!({"input": {"item_code": "RS-SB-001", "applicant": {"kind": "person", "name": "甲",
               "id_type": "resident_id", "id_no": "11010519491231002X"}}}),
    );
    assert_eq!(e["code"], "not_logged_in");
    s.login("2001");
    let session = s.ok("session", json!({}));
    assert_eq!(session["clerk"]["name"], "张窗口");
    assert_eq!(session["locked"], false);
    s.ok("logout", json!({}));
    s.ok("logout", json!({}));
    assert_eq!(s.ok("session", json!({})), Value::Null);
}

#[test]
fn live_id_validation_and_item_search_come_from_the_engine() {
    let s = station();
    s.login("2001");
    let ok = s.ok(
        "validate_id",
        json!({"kind": "resident_id", "value": "11010519491231002X"}),
    );
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["birth_date"], "1949-12-31");
    let bad = s.ok(
        "validate_id",
        json!({"kind": "resident_id", "value": "110105194912310021"}),
    );
    assert_eq!(bad["ok"], false);
    assert!(
        bad["message"].as_str().unwrap_or("").contains("校验"),
        "{bad}"
    );
    let uscc = s.ok(
        "validate_id",
        json!({"kind": "uscc", "value": yichuang_engine::demo::test_uscc(7)}),
    );
    assert_eq!(uscc["ok"], true);
    // 拼音首字母 of 社会保障卡申领.
    let items = s.ok("search_items", json!({"q": "shbzk"}));
    assert_eq!(items[0]["code"], "RS-SB-001");
    assert!(
        s.ok("search_items", json!({"q": ""}))
            .as_array()
            .is_some_and(|a| a.len() > 5)
    );
    let meta = s.ok("meta", json!({}));
    assert!(
        meta["notice_kinds"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k["label"] == "一次性告知单"))
    );
}

#[test]
fn missing_materials_one_time_notice_saved_and_print_retryable() {
    let s = station();
    s.login("2001");
    let c = s.register(
        "RS-GS-001",
        json!({"M1": "received", "M2": "received", "M3": "missing", "M4": "received", "M5": "received"}),
    );
    let no = c["case_no"].as_str().expect("case_no").to_owned();
    // M3 is not on the 容缺 list: no acceptance of any kind is offered.
    assert_eq!(
        outcomes(&c),
        ["request_materials", "propose_rejection", "withdraw"]
    );
    let e = s.err("accept", json!({"caseNo": no}));
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    let c = s.ok("request_materials", json!({"caseNo": no}));
    assert_eq!(c["state"], "awaiting_materials");
    let p = s.ok(
        "print_notice",
        json!({"caseNo": no, "kind": "one_time_notice"}),
    );
    let path = std::path::PathBuf::from(p["path"].as_str().expect("path"));
    assert!(path.starts_with(&s.notices), "{}", path.display());
    // A print holds the applicant's full ID number: its folder is the user's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&s.notices)
            .expect("print dir")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }
    let pdf = std::fs::read(&path).expect("saved pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let doc_no = p["record"]["doc_no"].as_str().expect("doc_no").to_owned();

    // A printer that fails: the record stays and the same file can be sent again.
    let bin = s.notices.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let failing = bin.join("lp-fail");
    let spool = s.notices.join("spool");
    let working = bin.join("lp-ok");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'lp: printer offline' >&2\nexit 1\n",
    )
    .expect("w");
    std::fs::write(
        &working,
        format!(
            "#!/bin/sh\nmkdir -p '{0}'\nfor a; do f=\"$a\"; done\ncp \"$f\" '{0}/'\necho 'request id is T-1 (1 file(s))'\n",
            spool.display()
        ),
    )
    .expect("w");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&failing, &working] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    // SAFETY: the only test in this binary that reads or writes YICHUANG_LP.
    unsafe { std::env::set_var(yichuang_desktop::print::LP_ENV, &failing) };
    let r = s.ok(
        "send_to_printer",
        json!({"docNo": doc_no, "printer": "柜台"}),
    );
    assert_eq!(r["ok"], false);
    assert!(r["message"].as_str().unwrap_or("").contains("offline"));
    let notices = s.ok("notices_for_case", json!({"caseNo": no}));
    assert_eq!(notices.as_array().map(Vec::len), Some(1));
    // SAFETY: as above.
    unsafe { std::env::set_var(yichuang_desktop::print::LP_ENV, &working) };
    let r = s.ok("send_to_printer", json!({"docNo": doc_no}));
    assert_eq!(r["ok"], true, "{r}");
    let spooled = std::fs::read(spool.join(path.file_name().expect("name"))).expect("spooled");
    assert_eq!(spooled, pdf);
    // 补打 is a new print of the same record, saved as its own file.
    let re = s.ok("reprint_notice", json!({"docNo": doc_no}));
    assert_eq!(re["reprint"], true);
    assert_eq!(re["n"], 2);
    assert!(Path::new(re["path"].as_str().expect("path")).exists());
    // A missing original is re-rendered byte for byte.
    std::fs::remove_file(&path).expect("rm");
    let r = s.ok("send_to_printer", json!({"docNo": doc_no}));
    assert_eq!(r["ok"], true);
    assert_eq!(std::fs::read(&path).expect("re-rendered"), pdf);
}

#[test]
fn commitment_path_prints_the_commitment_notice() {
    let s = station();
    s.login("2002");
    let c = s.register(
        "RS-SB-001",
        json!({"M1": "received", "M2": "missing", "M3": "not_applicable"}),
    );
    let no = c["case_no"].as_str().expect("case_no").to_owned();
    assert!(outcomes(&c).contains(&"accept_with_commitment"));
    let e = s.err(
        "accept_with_commitment",
        json!({"caseNo": no, "applicantAgrees": false}),
    );
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("承诺")),
        "{e}"
    );
    let c = s.ok(
        "accept_with_commitment",
        json!({"caseNo": no, "applicantAgrees": true}),
    );
    assert_eq!(c["state"], "accepted_with_commitment");
    assert!(c["supplement_due"].is_string());
    let p = s.ok(
        "print_notice",
        json!({"caseNo": no, "kind": "commitment_notice"}),
    );
    assert!(Path::new(p["path"].as_str().expect("path")).exists());
    assert_eq!(p["record"]["kind"], "commitment_notice");
}

#[test]
fn rejection_needs_another_persons_leader_approval() {
    let s = station();
    s.login("2001");
    let all = json!({"M1": "received", "M2": "received", "M3": "received", "M4": "received", "M5": "received"});
    let c = s.register("RS-GS-001", all);
    let no = c["case_no"].as_str().expect("case_no").to_owned();
    let c = s.ok(
        "propose_rejection",
        json!({"caseNo": no, "reason": "申请超过事故伤害发生之日起1年的申请时限",
               "basis": "《工伤保险条例》第十七条第二款、《工伤认定办法》第八条"}),
    );
    assert_eq!(c["state"], "rejection_pending_approval");
    let queue = s.ok(
        "cases_in_state",
        json!({"caseState": "rejection_pending_approval"}),
    );
    assert!(
        queue
            .as_array()
            .is_some_and(|q| q.iter().any(|c| c["case_no"] == no))
    );
    // Not printable before approval, and the case view offers no notice to
    // print (the window once offered the rejection notice here).
    assert_eq!(c["printable_notices"], json!([]));
    s.err(
        "print_notice",
        json!({"caseNo": no, "kind": "rejection_notice"}),
    );
    // A clerk cannot approve, nor a leader with a wrong password.
    let e = s.err(
        "approve_rejection",
        json!({"caseNo": no, "leaderStaffNo": "2002", "leaderPassword": "demo1234"}),
    );
    assert!(e["message"].is_string());
    let e = s.err(
        "approve_rejection",
        json!({"caseNo": no, "leaderStaffNo": "1001", "leaderPassword": "x"}),
    );
    assert_eq!(e["code"], "auth_failed");
    let c = s.ok(
        "approve_rejection",
        json!({"caseNo": no, "leaderStaffNo": "1001", "leaderPassword": "demo1234"}),
    );
    assert_eq!(
        c["printable_notices"],
        json!([{"kind": "rejection_notice", "title_zh": "不予受理通知书"}])
    );
    assert_eq!(c["state"], "rejected");
    let p = s.ok(
        "print_notice",
        json!({"caseNo": no, "kind": "rejection_notice"}),
    );
    assert!(Path::new(p["path"].as_str().expect("path")).exists());
    // The register is the leaders'.
    assert_eq!(s.err("rejection_filings", json!({}))["code"], "forbidden");
    s.login("1001");
    let filings = s.ok("rejection_filings", json!({}));
    assert!(
        filings
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["case_no"] == no))
    );
}

#[test]
fn a_township_station_forwards_what_the_commission_decides() {
    let s = station();
    s.login("2001");
    let all = json!({"M1": "received", "M2": "received", "M3": "received", "M4": "received", "M5": "received"});
    let c = s.register("RS-ZC-001", all);
    let no = c["case_no"].as_str().expect("case_no").to_owned();
    // The engine offers forwarding only, and says who decides.
    let offered: Vec<&str> = c["outcome_choices"]
        .as_array()
        .expect("choices")
        .iter()
        .filter_map(|o| o["outcome"].as_str())
        .collect();
    assert_eq!(offered, ["forward", "withdraw"]);
    assert_eq!(c["handling"]["body_name"], "示范县劳动人事争议仲裁委员会");
    let e = s.err("accept", json!({"caseNo": no}));
    assert!(
        e["message"].as_str().unwrap_or("").contains("只收件转送"),
        "{e}"
    );
    let c = s.ok("forward", json!({"caseNo": no}));
    assert_eq!(c["state"], "forwarded");
    assert_eq!(
        c["printable_notices"],
        json!([{"kind": "receipt_notice", "title_zh": "收件回执"}])
    );
    let p = s.ok(
        "print_notice",
        json!({"caseNo": no, "kind": "receipt_notice"}),
    );
    assert!(Path::new(p["path"].as_str().expect("path")).exists());
}

#[test]
fn evaluation_search_deadlines_sync_and_settings() {
    let s = station();
    s.login("2001");
    let all = json!({"M1": "received"});
    let c = s.register("RS-SY-001", all);
    let no = c["case_no"].as_str().expect("case_no").to_owned();
    s.ok("accept", json!({"caseNo": no}));
    let asked = s.ok("request_evaluation", json!({"caseNo": no}));
    assert_eq!(
        (&asked["status"], &asked["level"]),
        (&json!("requested"), &Value::Null)
    );
    let e = s.err("request_evaluation", json!({"caseNo": no}));
    assert_eq!(e["code"], "evaluation_exists");
    // The clerk's window only asks: answering from it is refused.
    let e = s.err(
        "applicant_answer",
        json!({"caseNo": no, "level": "satisfied", "reasons": [], "comment": ""}),
    );
    assert_eq!(e["code"], "applicant_window_only");
    // The request opened the applicant window; it shows 三亮明 and the scale.
    let aw = s
        .app
        .get_webview_window("applicant")
        .expect("the request opens the applicant window");
    let shown = s
        .call_in(&aw, "applicant_request", json!({}))
        .expect("shown");
    assert_eq!(shown["case_no"], no.as_str());
    assert_eq!(shown["clerk_staff_no"], "2001");
    assert_eq!(shown["scale"]["levels"][2]["reasons"], true);
    let e = s
        .call_in(
            &aw,
            "applicant_answer",
            json!({"caseNo": no, "level": "dissatisfied", "reasons": [], "comment": ""}),
        )
        .unwrap_err();
    assert!(e["message"].as_str().is_some_and(|m| m.contains("原因")));
    assert_eq!(
        s.call_in(&aw, "applicant_close", json!({})).expect("close"),
        json!(false),
        "it cannot be left while the request waits"
    );
    let c = s.ok("get_case", json!({"caseNo": no}));
    assert_eq!(c["evaluation"]["status_zh"], "待评价");
    s.call_in(
        &aw,
        "applicant_answer",
        json!({"caseNo": no, "level": "dissatisfied", "reasons": ["服务态度欠佳"], "comment": "很慢"}),
    )
    .expect("answered");
    assert_eq!(
        s.call_in(&aw, "applicant_close", json!({})).expect("close"),
        json!(true)
    );
    let ev = s.ok("case_evaluation", json!({"caseNo": no}));
    assert_eq!(
        (&ev["level_zh"], &ev["channel"], &ev["answered_on"]),
        (
            &json!("不满意"),
            &json!("applicant_screen"),
            &shown["screen"]
        )
    );
    // Paper forms: not by the handler; by another staff member.
    let c2 = s.register("RS-SY-001", json!({"M1": "received"}));
    let no2 = c2["case_no"].as_str().expect("case_no").to_owned();
    let form = json!({"caseNo": no2, "form": {"serial": "LD-1", "level": "满意"}});
    let e = s.err("enter_paper_evaluation", form.clone());
    assert_eq!(e["code"], "paper_by_server");
    s.login("1001");
    let p = s.ok("enter_paper_evaluation", form);
    assert_eq!(p["channel"], "paper");
    let st = s.ok(
        "evaluation_stats",
        json!({"from": "2026-11-01", "to": "2026-11-30"}),
    );
    assert_eq!(
        (st["screen"].as_i64(), st["paper"].as_i64()),
        (Some(1), Some(1)),
        "{st}"
    );

    let found = s.ok("search_cases", json!({"q": "赵测试"}));
    assert!(
        found
            .as_array()
            .is_some_and(|f| f.iter().any(|c| c["case_no"] == no))
    );
    // Masked in lists.
    assert!(
        found[0]["applicant_id_masked"]
            .as_str()
            .is_some_and(|m| m.contains('*'))
    );
    assert!(s.ok("deadlines", json!({})).is_array());
    let sync = s.ok("sync_status", json!({}));
    assert_eq!(sync["online"], false);
    assert_eq!(sync["state_zh"], "未注册");
    assert!(sync["queued"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(sync["enrolled"], false);
    assert!(s.ok("verify_log", json!({}))["events"].as_u64().is_some());
    // Settings are the engine's decision: a clerk may change the counter's
    // printer but nothing else; an admin may change the rest.
    let e = s.err(
        "set_setting",
        json!({"key": "office.name", "value": "某某局"}),
    );
    assert_eq!(e["code"], "forbidden");
    s.ok(
        "set_setting",
        json!({"key": "printer.default", "value": "柜台"}),
    );
    assert_eq!(s.ok("settings", json!({}))["printer.default"], "柜台");
    // The form offers a clerk exactly what the engine lets the clerk change.
    assert_eq!(
        s.ok("changeable_settings", json!({})),
        json!(["printer.default"])
    );
    s.login("0001");
    assert!(
        s.ok("changeable_settings", json!({}))
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "office.name"))
    );
    s.ok(
        "set_setting",
        json!({"key": "office.name", "value": "示范县人社局"}),
    );
    assert_eq!(s.ok("settings", json!({}))["office.name"], "示范县人社局");
    let fonts = s.ok("fonts", json!({}));
    assert!(
        fonts["installed"]
            .as_array()
            .is_some_and(|f| f.iter().any(|c| c["label"]
                .as_str()
                .is_some_and(|l| l.contains("Noto Serif CJK SC")))),
        "{fonts}"
    );
    let e = s.err(
        "set_setting",
        json!({"key": "fonts.body", "value": "/nonexistent/仿宋.ttf"}),
    );
    assert_eq!(e["message"], "字体文件不存在：/nonexistent/仿宋.ttf");
    // The county's own CA is pinned from the settings form: a file that is
    // no certificate is refused in Chinese; a PEM certificate is kept.
    let dir = tempfile::tempdir().expect("dir");
    let not_pem = dir.path().join("ca.txt");
    std::fs::write(&not_pem, "not a certificate").expect("write");
    let e = s.err(
        "set_setting",
        json!({"key": "sync.county_ca_file", "value": not_pem.to_str().expect("utf8")}),
    );
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("没有 PEM 格式的证书")),
        "{e}"
    );
    let pem = dir.path().join("ca.pem");
    std::fs::write(
        &pem,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    s.ok(
        "set_setting",
        json!({"key": "sync.county_ca_file", "value": pem.to_str().expect("utf8")}),
    );
    assert!(s.ok("printers", json!({})).is_object());
    let info = s.ok("app_info", json!({}));
    assert_eq!(info["demo"], true);
    assert_eq!(info["today"], "2026-11-23");
}
