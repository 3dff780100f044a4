//! Every desktop command, called through IPC without a log-in and as each
//! role: nothing personal without a logged-in clerk, leaders' and
//! administrators' commands refused to the others. The table below must name
//! every command the handler registers (read from the source), so a new
//! command cannot slip in unclassified.

mod common;

use std::collections::BTreeSet;

use common::station;
use serde_json::{Value, json};

/// Open without a log-in: nothing they answer is personal.
const PUBLIC: &[&str] = &[
    "app_info",
    "meta",
    "session",
    "unlock_station",
    "login",
    "logout",
    "lock_counter",
    "change_password",
    "setup_station",
    "sync_status",
    "printers",
    "ui_ready",
    // The county's 好差评 scale: reference data.
    "evaluation_scale",
    // A restored station's county check (before any log-in; nothing personal),
    // and the wizard's restore (refused once a station exists).
    "restore_status",
    "check_restore_now",
    "find_backups",
    "restore_station",
];

/// Leaders and administrators.
const LEADER: &[&str] = &["rejection_filings", "evaluation_stats", "id_reveals"];

/// Administrators only (`set_setting` with an administrator's setting).
const ADMIN: &[&str] = &[
    "accounts",
    "add_account",
    "update_account",
    "disable_clerk",
    "enable_clerk",
    "reset_password",
    "lift_lockout",
    "import_calendar",
    "enroll",
    "set_setting",
    "backup_status",
    "back_up_now",
    "set_backup_passphrase",
];

/// The commands `generate_handler!` registers, from the source.
fn registered() -> BTreeSet<String> {
    let src = include_str!("../src/commands.rs");
    let start = src.find("generate_handler![").expect("handler list") + "generate_handler![".len();
    let end = start + src[start..].find(']').expect("end of list");
    src[start..end]
        .split(',')
        .map(|s| s.trim().rsplit("::").next().unwrap_or("").to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn args(cmd: &str, case_no: &str, doc_no: &str, out: &str) -> Value {
    let case = json!({"caseNo": case_no});
    match cmd {
        "login" => json!({"staffNo": "2001", "password": "wrong-pass"}),
        "change_password" => json!({"staffNo": "2001", "old": "wrong-pass", "new": "whatever-9"}),
        "setup_station" => {
            json!({"setup": {"station_code": "X1", "station_name": "某站", "county": "某县",
            "admin_staff_no": "0009", "admin_name": "某人", "admin_password": "admin-pass-1"}})
        }
        "add_account" => json!({"account": {"staff_no": "3009", "name": "某人", "role": "clerk",
            "password": "initial-pw-1"}}),
        "update_account" => json!({"staffNo": "2002", "change": {"window_no": "9"}}),
        "disable_clerk" | "enable_clerk" => json!({"staffNo": "9999", "reason": "测试"}),
        "reset_password" => json!({"staffNo": "9999", "password": "temporary-1"}),
        "lift_lockout" => json!({"staffNo": "9999"}),
        "validate_id" => json!({"kind": "resident_id", "value": "11010519491231002X"}),
        "search_items" => json!({"q": "sy"}),
        "item" => json!({"code": "RS-SY-001"}),
        "register_case" => {
            json!({"input": {"item_code": "RS-SY-001", "applicant": {"kind": "person",
            "name": "钱测试", "id_type": "resident_id", "id_no": "11010519491231002X"}}})
        }
        "update_materials" | "materials_returned" => json!({"caseNo": case_no, "changes": {}}),
        "accept_with_commitment" => json!({"caseNo": case_no, "applicantAgrees": true}),
        "propose_rejection" => json!({"caseNo": case_no, "reason": "x", "basis": "y"}),
        "withdraw" => json!({"caseNo": case_no, "reason": "x"}),
        "approve_rejection" => {
            json!({"caseNo": case_no, "leaderStaffNo": "1001", "leaderPassword": "wrong-pass"})
        }
        "return_rejection" => json!({"caseNo": case_no, "leaderStaffNo": "1001",
            "leaderPassword": "wrong-pass", "note": "x"}),
        "cases_in_state" => json!({"caseState": "accepted"}),
        "search_cases" => json!({"q": "赵"}),
        "print_notice" => json!({"caseNo": case_no, "kind": "acceptance_notice"}),
        "reprint_notice" | "preview_notice" | "send_to_printer" => json!({"docNo": doc_no}),
        "void_notice" => json!({"docNo": "no-such-notice", "reason": "测试"}),
        "enter_paper_evaluation" => json!({"caseNo": case_no,
            "form": {"serial": "LD-0001", "level": "满意"}}),
        // From the clerk's window (this test's): refused as not the applicant screen.
        "applicant_answer" => {
            json!({"caseNo": case_no, "level": "satisfied", "reasons": [], "comment": ""})
        }
        "applicant_leave" => json!({"caseNo": case_no, "staffNo": "2001", "password": "x"}),
        "evaluation_stats" => json!({"from": "2026-11-01", "to": "2026-11-30"}),
        "export_ledger" => json!({"from": "2026-11-01", "to": "2026-11-30", "path": out}),
        "set_setting" => json!({"key": "office.address", "value": "示范县某路1号"}),
        "enroll" => json!({"serverUrl": "http://127.0.0.1:9", "code": "x"}),
        "import_calendar" => json!({"text": "{}", "fileName": "x.json"}),
        "set_backup_passphrase" => json!({"passphrase": "backup-pass-1"}),
        "find_backups" => json!({"folder": "/nonexistent"}),
        "restore_station" => json!({"file": "/nonexistent/x.ycbak"}),
        _ => case,
    }
}

fn code(r: &Result<Value, Value>) -> Option<String> {
    r.as_ref()
        .err()
        .and_then(|e| e["code"].as_str().map(str::to_owned))
}

#[test]
fn every_command_is_classified() {
    let listed: BTreeSet<String> = registered();
    for c in PUBLIC.iter().chain(LEADER).chain(ADMIN) {
        assert!(listed.contains(*c), "{c} is not a command");
    }
    assert!(listed.len() > 40, "{listed:?}");
}

#[test]
fn each_command_without_log_in_and_as_each_role() {
    let s = station();
    s.login("2001");
    let c = s.register("RS-SY-001", json!({"M1": "received"}));
    let case_no = c["case_no"].as_str().expect("case_no").to_owned();
    assert!(
        c["applicant_id_no"]
            .as_str()
            .is_some_and(|n| n.contains('*')),
        "{c}"
    );
    s.ok("accept", json!({"caseNo": case_no}));
    let p = s.ok(
        "print_notice",
        json!({"caseNo": case_no, "kind": "acceptance_notice"}),
    );
    let doc_no = p["record"]["doc_no"].as_str().expect("doc_no").to_owned();
    s.ok("logout", json!({}));
    let out = s.dir.path().join("台账.xlsx").display().to_string();

    let all = registered();
    // Without a log-in: only the public commands answer anything but "log in first".
    for cmd in &all {
        let r = s.call(cmd, args(cmd, &case_no, &doc_no, &out));
        if PUBLIC.contains(&cmd.as_str()) {
            assert_ne!(code(&r).as_deref(), Some("not_logged_in"), "{cmd}: {r:?}");
        } else {
            assert_eq!(code(&r).as_deref(), Some("not_logged_in"), "{cmd}: {r:?}");
        }
    }
    // The public answers hold nothing personal.
    let info = s.ok("app_info", json!({}));
    assert!(!info.to_string().contains("11010519491231002X"));

    for (staff, rank) in [("2001", 0), ("1001", 1), ("0001", 2)] {
        s.login(staff);
        for cmd in &all {
            if matches!(cmd.as_str(), "logout" | "lock_counter" | "login") {
                continue; // they end the session this loop runs in
            }
            let r = s.call(cmd, args(cmd, &case_no, &doc_no, &out));
            let c = code(&r);
            assert_ne!(c.as_deref(), Some("not_logged_in"), "{staff} {cmd}: {r:?}");
            let needs = if ADMIN.contains(&cmd.as_str()) {
                2
            } else if LEADER.contains(&cmd.as_str()) {
                1
            } else {
                0
            };
            if rank < needs {
                assert_eq!(c.as_deref(), Some("forbidden"), "{staff} {cmd}: {r:?}");
            } else {
                assert_ne!(c.as_deref(), Some("forbidden"), "{staff} {cmd}: {r:?}");
            }
        }
        // Every role sees the case masked; the full number is a recorded request.
        let v = s.ok("get_case", json!({"caseNo": case_no}));
        assert!(
            v["applicant_id_no"]
                .as_str()
                .is_some_and(|n| n.contains('*'))
        );
        let full = s.ok("reveal_id", json!({"caseNo": case_no}));
        assert_eq!(full["applicant_id_no"], "11010519491231002X");
        s.ok("logout", json!({}));
    }
    s.login("1001");
    let views = s.ok("id_reveals", json!({"caseNo": case_no}));
    let who: Vec<&str> = views
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["staff_no"].as_str())
        .collect();
    // Each role revealed twice: once in the sweep over every command, once above.
    assert_eq!(who, ["2001", "2001", "1001", "1001", "0001", "0001"]);
}

/// Only the applicant window answers: from the clerk's window every
/// applicant-screen command is refused, for every role.
#[test]
fn the_clerks_window_never_answers_for_the_applicant() {
    let s = station();
    for staff in ["2001", "1001", "0001"] {
        s.login(staff);
        for cmd in [
            "applicant_request",
            "applicant_answer",
            "applicant_leave",
            "applicant_close",
        ] {
            let r = s.call(cmd, args(cmd, "X", "", ""));
            assert_eq!(
                code(&r).as_deref(),
                Some("applicant_window_only"),
                "{staff} {cmd}: {r:?}"
            );
        }
        s.ok("logout", json!({}));
    }
}

/// 台账导出 is any clerk's, on the engine's terms: a clerk's own cases
/// masked, a leader's and an administrator's the whole station in full.
#[test]
fn the_ledger_export_follows_the_role() {
    let s = station();
    let out = s.dir.path().join("台账.xlsx");
    let path = out.display().to_string();
    let export = json!({"from": "2026-11-01", "to": "2026-11-30", "path": path});
    assert_eq!(
        code(&s.call("export_ledger", export.clone())).as_deref(),
        Some("not_logged_in")
    );
    assert!(!out.exists());
    for (staff, scope, full) in [
        ("2001", "own_cases", false),
        ("2002", "own_cases", false),
        ("1001", "station", true),
        ("0001", "station", true),
    ] {
        s.login(staff);
        let form = s.ok("ledger_form", json!({}));
        assert_eq!(
            (form["scope"].as_str(), form["full_ids"].as_bool()),
            (Some(scope), Some(full))
        );
        let done = s.ok("export_ledger", export.clone());
        assert_eq!(done["scope"], scope, "{staff}");
        assert_eq!(done["full_ids"], full, "{staff}");
        assert_eq!(done["path"], path);
        s.ok("logout", json!({}));
    }
    let bad = s.call(
        "export_ledger",
        json!({"from": "2026-11-31", "to": "2026-11-30", "path": path}),
    );
    assert_eq!(code(&bad).as_deref(), Some("not_logged_in"));
    s.login("2001");
    let bad = s.call(
        "export_ledger",
        json!({"from": "2026-11-31", "to": "2026-11-30", "path": path}),
    );
    assert_eq!(
        bad.unwrap_err()["message"],
        "起始日期“2026-11-31”格式不正确，应为 YYYY-MM-DD"
    );
}
