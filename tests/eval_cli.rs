//! `yichuang eval` on a demo station: the logged-in clerk asks for a rating
//! (nothing preselected), cannot enter the paper form of their own case, a
//! leader can; statistics show the paper form as paper; there is no answer
//! command; refusals are one Chinese line.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;
use common::{ok, run};

fn refused(o: Output) -> String {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr).trim().to_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

fn register(db: &Path, name: &str) -> String {
    let c = ok(run(
        db,
        &[
            "--json",
            "case",
            "register",
            "--item",
            "RS-JY-001",
            "--name",
            name,
            "--id-no",
            "11010519491231002X",
        ],
    ));
    c["case_no"].as_str().expect("case_no").to_owned()
}

#[test]
fn requests_paper_forms_and_statistics_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    ok(run(&db, &["--json", "demo"]));
    // The demo logs clerk 2001 in.
    let mine = register(&db, "赵评价");
    let other = register(&db, "钱评价");
    let ev = ok(run(&db, &["--json", "eval", "request", &mine]));
    assert_eq!(ev["status"], "requested");
    assert_eq!(ev["level"], Value::Null, "no level is assumed");
    assert_eq!(ev["requested_by"], "2001");
    assert!(ev["screen"].as_str().unwrap().ends_with("评价屏"));
    let text = run(&db, &["eval", "status", &mine]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("待评价"));

    let err = refused(run(
        &db,
        &[
            "eval", "paper", &other, "--serial", "LD-0001", "--level", "满意",
        ],
    ));
    assert!(err.contains("不能录入本件的纸质评价表"), "{err}");
    // Nothing answers for the applicant from the command line.
    assert!(
        !run(&db, &["eval", "answer", &mine, "--level", "满意"])
            .status
            .success()
    );

    ok(run(
        &db,
        &["--json", "login", "1001", "--password", "demo1234"],
    ));
    let p = ok(run(
        &db,
        &[
            "--json",
            "eval",
            "paper",
            &other,
            "--serial",
            "LD-0001",
            "--level",
            "不满意",
            "--reason",
            "服务态度欠佳",
        ],
    ));
    assert_eq!(
        (
            &p["channel"],
            &p["paper_serial"],
            &p["good"],
            &p["entered_by"]
        ),
        (
            &Value::from("paper"),
            &Value::from("LD-0001"),
            &Value::from(false),
            &Value::from("1001")
        )
    );
    let err = refused(run(
        &db,
        &[
            "eval", "paper", &mine, "--serial", "LD-0001", "--level", "满意",
        ],
    ));
    assert!(err.contains("LD-0001"), "{err}");

    let scale = run(&db, &["eval", "scale"]);
    assert!(String::from_utf8_lossy(&scale.stdout).contains("基本满意（计为好评）"));

    let st = ok(run(
        &db,
        &[
            "--json",
            "eval",
            "stats",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-23",
        ],
    ));
    assert_eq!(
        (st["paper"].as_i64(), st["screen"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (st["pending"].as_i64(), st["requested"].as_i64()),
        (Some(1), Some(1))
    );
    let paper = st["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["channel"] == "paper")
        .expect("paper channel");
    assert_eq!(paper["answers"], 1);
    let text = String::from_utf8_lossy(
        &run(
            &db,
            &[
                "eval",
                "stats",
                "--from",
                "2026-11-23",
                "--to",
                "2026-11-23",
            ],
        )
        .stdout,
    )
    .into_owned();
    assert!(text.contains("纸质 1") && text.contains("来源："), "{text}");
}
