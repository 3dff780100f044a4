//! `yichuang ledger export` on a demo station, read back with openpyxl:
//! a clerk's ledger masked, the leader's in full, counts as the engine's
//! own statistics give them, a bad period one Chinese line and no file.

use std::path::Path;

use serde_json::Value;
use yichuang_testkit::read_xlsx;

mod common;
use common::{ok, run};

fn export(db: &Path, out: &Path) -> Value {
    let out = out.to_str().expect("utf-8 path");
    ok(run(
        db,
        &[
            "--json",
            "ledger",
            "export",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--out",
            out,
        ],
    ))
}

/// The 证件号码 column of the 受理台账 sheet.
fn id_numbers(book: &Value) -> Vec<String> {
    let rows = book[0]["rows"].as_array().expect("rows");
    let i = rows[0]
        .as_array()
        .expect("header")
        .iter()
        .position(|c| c["v"] == "证件号码")
        .expect("证件号码");
    rows[1..]
        .iter()
        .map(|r| r[i]["v"].as_str().expect("text").to_owned())
        .collect()
}

#[test]
fn the_demo_ledger_through_the_cli_masked_for_a_clerk_full_for_a_leader() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    ok(run(&db, &["--json", "demo"]));

    // The demo logs clerk 2001 in: the cases they handle, masked.
    let mine = dir.path().join("张窗口.xlsx");
    let answer = export(&db, &mine);
    assert_eq!(answer["scope"], "own_cases");
    assert_eq!(answer["full_ids"], false);
    assert_eq!(answer["counts"]["cases"], 6);
    assert_eq!(answer["counts"]["notices"], 4);
    let book = read_xlsx(&mine);
    let names: Vec<&str> = book
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["受理台账", "否定备案登记", "通知书", "好差评"]);
    let masked = id_numbers(&book);
    assert_eq!(masked.len(), 6);
    assert!(masked.iter().all(|n| n.contains("****")), "{masked:?}");
    // The demo's first applicant, masked by the engine's own rule.
    let first = yichuang_engine::demo::test_resident_id(1);
    assert_eq!(masked[0], yichuang_engine::ids::mask_id(&first));
    assert_eq!(masked[0], "110101********0014");

    ok(run(
        &db,
        &["--json", "login", "1001", "--password", "demo1234"],
    ));
    let full = dir.path().join("全站.xlsx");
    let answer = export(&db, &full);
    assert_eq!(answer["scope"], "station");
    assert_eq!(answer["full_ids"], true);
    let stats = ok(run(
        &db,
        &[
            "--json",
            "eval",
            "stats",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        ],
    ));
    assert_eq!(answer["counts"]["cases"], stats["cases"]);
    assert_eq!(answer["counts"]["evaluations"], stats["evaluated"]);
    let book = read_xlsx(&full);
    let ids = id_numbers(&book);
    assert_eq!(ids[0], first);
    assert!(!ids.iter().any(|n| n.contains('*')), "{ids:?}");
    assert_eq!(
        book[2]["rows"].as_array().unwrap().len() - 1,
        4,
        "the demo's four notices"
    );
    assert_eq!(
        book[0]["rows"][1][1]["t"], "datetime",
        "收件日期 a real date"
    );

    let bad = run(
        &db,
        &[
            "ledger",
            "export",
            "--from",
            "2026-12-01",
            "--to",
            "2026-11-30",
            "--out",
            dir.path().join("bad.xlsx").to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stderr).trim().to_owned();
    assert_eq!(
        msg,
        "错误：起始日期 2026-12-01 晚于截止日期 2026-11-30，请重新选择导出期间"
    );
    assert!(!dir.path().join("bad.xlsx").exists());
}
