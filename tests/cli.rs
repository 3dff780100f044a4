//! The command forms scripts depend on, and errors as one Chinese line.

use std::process::{Command, Output};

fn run(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("YICHUANG_NOW", "2026-11-23T09:30:00+08:00")
        .env_remove("YICHUANG_PASSWORD")
        .output()
        .expect("run yichuang")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_owned()
}

#[test]
fn init_demo_calendar_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let o = run(
        &db,
        &[
            "init",
            "--station-code",
            "CG01",
            "--station-name",
            "城关镇服务站",
            "--county",
            "示范县",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    let again = run(
        &db,
        &[
            "init",
            "--station-code",
            "CG01",
            "--station-name",
            "x",
            "--county",
            "y",
        ],
    );
    assert!(!again.status.success());
    assert_eq!(err(&again).lines().count(), 1);
    assert!(err(&again).starts_with("错误："));
    let demo_db = dir.path().join("demo.sqlite3");
    let o = run(&demo_db, &["demo"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&run(&demo_db, &["calendar", "add-days", "2026-09-30", "5"])),
        "2026-10-13"
    );
    assert_eq!(
        out(&run(
            &demo_db,
            &["calendar", "add-days", "2026-12-24", "10"]
        )),
        "2027-01-08 provisional"
    );
    let j: serde_json::Value = serde_json::from_str(&out(&run(
        &demo_db,
        &["--json", "calendar", "add-days", "2025-12-31", "5"],
    )))
    .unwrap();
    assert_eq!(
        j,
        serde_json::json!({"date": "2026-01-08", "provisional": false})
    );
    assert!(run(&demo_db, &["log", "verify"]).status.success());
    let bad = run(&demo_db, &["calendar", "add-days", "2026-13-01", "5"]);
    assert!(!bad.status.success() && err(&bad).contains("日期"));
}

#[test]
fn a_case_through_the_cli_with_json_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    assert!(run(&db, &["demo"]).status.success());
    let o = run(
        &db,
        &[
            "--json",
            "case",
            "register",
            "--item",
            "RS-SB-001",
            "--name",
            "赵测试",
            "--id-no",
            "11010519491231002X",
            "--received",
            "M1",
            "--not-applicable",
            "M3",
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    let c: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let case_no = c["case_no"].as_str().unwrap().to_owned();
    assert_eq!(c["outcomes"][0], "accept_with_commitment");
    let no_consent = run(&db, &["case", "accept-with-commitment", &case_no]);
    assert!(!no_consent.status.success() && err(&no_consent).contains("承诺书"));
    assert!(
        run(
            &db,
            &[
                "case",
                "accept-with-commitment",
                &case_no,
                "--applicant-agrees"
            ]
        )
        .status
        .success()
    );
    let n = run(&db, &["--json", "notice", "issue", &case_no, "commitment"]);
    assert!(n.status.success(), "{}", err(&n));
    let n: serde_json::Value = serde_json::from_str(&out(&n)).unwrap();
    assert!(n["doc_no"].as_str().unwrap().contains("诺字〔2026〕第"));
    let shown: serde_json::Value =
        serde_json::from_str(&out(&run(&db, &["--json", "case", "show", &case_no]))).unwrap();
    assert_eq!(shown["state"], "accepted_with_commitment");
    // A bad ID number: one line in Chinese, non-zero exit, nothing written.
    let before = out(&run(&db, &["--json", "log", "verify"]));
    let bad = run(
        &db,
        &[
            "case",
            "register",
            "--item",
            "RS-SY-001",
            "--name",
            "某",
            "--id-no",
            "110105194912310021",
        ],
    );
    assert!(!bad.status.success());
    assert_eq!(err(&bad), "错误：身份证号校验位不正确，请核对号码");
    assert_eq!(before, out(&run(&db, &["--json", "log", "verify"])));
    // Leader approval from the CLI, password on stdin-less env.
    let list: serde_json::Value = serde_json::from_str(&out(&run(
        &db,
        &[
            "--json",
            "case",
            "list",
            "--state",
            "rejection_pending_approval",
        ],
    )))
    .unwrap();
    let pending = list[0]["case_no"].as_str().unwrap().to_owned();
    let o = Command::new(env!("CARGO_BIN_EXE_yichuang"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "case",
            "approve-rejection",
            &pending,
            "--leader",
            "1001",
        ])
        .env("YICHUANG_LEADER_PASSWORD", "demo1234")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    // The register is the leaders'.
    assert!(err(&run(&db, &["filings"])).contains("无权"));
    let o = run(&db, &["login", "1001", "--password", "demo1234"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&run(&db, &["filings"])).contains(&pending));
    let unknown = run(&db, &["frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(err(&unknown).starts_with("错误："));
}

/// 告知承诺 through the CLI: the proof of years worked replaced by a promise,
/// the 证明事项告知承诺书 printed, 受理 without the proof; an agent who is not
/// the guardian may not promise.
#[test]
fn a_promise_replaces_a_proof_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let o = run(&db, &["demo"]);
    assert!(o.status.success(), "{}", err(&o));
    let register = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "case",
            "register",
            "--item",
            "RS-JN-001",
            "--name",
            "冯测试",
            "--id-no",
            "11010519491231002X",
            "--received",
            "M1,M2,M4",
            "--promised",
            "M3",
        ];
        args.extend_from_slice(extra);
        run(&db, &args)
    };
    let refused = register(&[
        "--agent-name",
        "陈代办",
        "--agent-id-no",
        "11010519491231002X",
    ]);
    assert!(!refused.status.success());
    assert!(err(&refused).contains("法定监护人"), "{}", err(&refused));
    let o = register(&[]);
    assert!(o.status.success(), "{}", err(&o));
    let case: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    assert_eq!(case["printable_notices"][0]["kind"], "promise_notice");
    let pdf = dir.path().join("promise.pdf");
    let o = run(
        &db,
        &[
            "notice",
            "print",
            &case_no,
            "promise",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    let text = yichuang_testkit::pdf_text(
        dir.path(),
        "promise-read",
        &std::fs::read(&pdf).expect("printed pdf"),
    );
    assert!(text.contains("证明事项告知承诺书（申请人承诺）"), "{text}");
    let o = run(&db, &["--json", "case", "accept", &case_no]);
    assert!(o.status.success(), "{}", err(&o));
    let case: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(case["state"], "accepted");
}

#[test]
fn forwarding_and_a_lapsed_review_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    assert!(run(&db, &["demo"]).status.success());
    let register = |item: &str, received: &str| {
        let o = run(
            &db,
            &[
                "--json",
                "case",
                "register",
                "--item",
                item,
                "--name",
                "褚测试",
                "--id-no",
                "11010519491231002X",
                "--received",
                received,
            ],
        );
        assert!(o.status.success(), "{}", err(&o));
        let case: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        case["case_no"].as_str().unwrap().to_owned()
    };
    // The demo station only receives arbitration applications: it forwards.
    let no = register("RS-ZC-001", "M1,M2,M3,M4,M5");
    let refused = run(&db, &["case", "accept", &no]);
    assert!(!refused.status.success());
    assert!(err(&refused).contains("只收件转送"), "{}", err(&refused));
    let o = run(&db, &["--json", "case", "forward", &no]);
    assert!(o.status.success(), "{}", err(&o));
    let case: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(case["state"], "forwarded");
    let pdf = dir.path().join("receipt.pdf");
    let o = run(
        &db,
        &[
            "notice",
            "print",
            &no,
            "receipt",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    let text =
        yichuang_testkit::pdf_text(dir.path(), "receipt-read", &std::fs::read(&pdf).unwrap());
    assert!(
        text.contains("收件回执") && text.contains("示范县劳动人事争议仲裁委员会"),
        "{text}"
    );

    // A licence application nobody answered within 5 working days.
    let no = register("RS-LP-001", "M1,M2");
    let later = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_yichuang"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("YICHUANG_NOW", "2026-12-01T09:30:00+08:00")
            .output()
            .unwrap()
    };
    // A week later the counter's session has long been idle-locked.
    assert!(err(&later(&["whoami"])).contains("窗口已锁定"));
    let o = later(&["login", "2001", "--password", "demo1234"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = later(&["--json", "record-lapses"]);
    assert!(o.status.success(), "{}", err(&o));
    let changed: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let hit = changed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_no"] == no.as_str())
        .expect("the licence case");
    assert_eq!(hit["state"], "accepted");
    assert_eq!(hit["review_lapse"], "deemed_accepted");
    let o = later(&["deadlines"]);
    assert!(out(&o).contains("即为受理"), "{}", out(&o));
}
