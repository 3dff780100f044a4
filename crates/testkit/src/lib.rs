//! A fresh station per test: temporary database, fixed clock, four clerks.
//! Shared by the engine's, the CLI's and the county's integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::TempDir;
use yichuang_engine::at_rest::{self, ProtectWith};
use yichuang_engine::case::{ApplicantInput, MaterialStatus, NewCase};
use yichuang_engine::demo::{DEMO_PASSWORD, test_resident_id};
use yichuang_engine::{Clerk, Clock, Engine, NoticeKind, Role};

pub mod bulk;

pub const PW: &str = DEMO_PASSWORD;

pub struct Station {
    pub dir: TempDir,
    pub e: Engine,
    pub admin: Clerk,
    pub leader: Clerk,
    pub clerk: Clerk,
    pub clerk2: Clerk,
}

pub fn clock(s: &str) -> Clock {
    Clock::parse(s).expect("test clock")
}

pub const TEST_NOW: &str = "2026-11-23T09:30:00+08:00";

/// One initialised station with its clerks, built once per test binary:
/// password hashing is deliberately slow, so tests copy this file.
fn template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("template.sqlite3");
            {
                let mut e = Engine::open(&path)
                    .expect("open")
                    .with_clock(clock(TEST_NOW));
                e.init("CG01", "城关镇服务站", "示范县").expect("init");
                let admin = e
                    .add_clerk(None, "0001", "系统管理员", Role::Admin, PW)
                    .expect("admin");
                for (no, name, role) in [
                    ("1001", "王示范", Role::Leader),
                    ("2001", "张窗口", Role::Clerk),
                    ("2002", "李窗口", Role::Clerk),
                ] {
                    e.add_clerk(Some(&admin), no, name, role, PW)
                        .expect("clerk");
                }
                e.connection()
                    .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                    .expect("checkpoint");
            }
            (dir, path)
        })
        .1
}

/// A station on 2026-11-23 (a Monday) with admin 0001, leader 1001, clerks 2001/2002.
pub fn station() -> Station {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.sqlite3");
    std::fs::copy(template(), &path).expect("copy template");
    let e = Engine::open(&path)
        .expect("open")
        .with_clock(clock(TEST_NOW));
    let get = |no: &str| e.clerk_by_staff_no(no).expect("clerk");
    let (admin, leader, clerk, clerk2) = (get("0001"), get("1001"), get("2001"), get("2002"));
    Station {
        dir,
        e,
        admin,
        leader,
        clerk,
        clerk2,
    }
}

pub fn person(n: u64) -> ApplicantInput {
    ApplicantInput::Person {
        name: yichuang_engine::demo::test_person_name(n),
        id_type: yichuang_engine::PersonIdType::ResidentId,
        id_no: test_resident_id(n),
        phone: String::new(),
    }
}

/// The catalog's items, by what the counter calls them.
pub mod items {
    /// 失业保险金申领
    pub const UNEMPLOYMENT_BENEFIT: &str = "RS-SY-001";
    /// 就业创业证申领（失业登记）
    pub const EMPLOYMENT_CARD: &str = "RS-JY-001";
    /// 社会保障卡申领
    pub const SOCIAL_SECURITY_CARD: &str = "RS-SB-001";
    /// 工伤认定申请
    pub const WORK_INJURY: &str = "RS-GS-001";
    /// 劳动能力鉴定申请
    pub const WORK_CAPACITY: &str = "RS-LD-001";
    /// 职工正常退休审批
    pub const RETIREMENT: &str = "RS-TX-001";
    /// 劳动人事争议仲裁申请
    pub const LABOUR_ARBITRATION: &str = "RS-ZC-001";
    /// 养老保险关系转移接续
    pub const PENSION_TRANSFER: &str = "RS-YL-001";
    /// 职业技能等级认定
    pub const SKILL_CERTIFICATION: &str = "RS-JN-001";
    /// 劳务派遣经营许可 (a 行政许可)
    pub const LABOUR_DISPATCH_LICENCE: &str = "RS-LP-001";
}

/// Makes the station a window of the catalog's `bodies` (setting
/// `station.acts_for`), as the county hall that hosts their windows is.
pub fn acts_for(s: &Station, bodies: &str) {
    s.e.set_setting(&s.admin, "station.acts_for", bodies)
        .expect("station.acts_for");
}

/// A fictional applicant by name, with a valid-checksum test ID number.
pub fn applicant(name: &str) -> ApplicantInput {
    let n = name.chars().map(u64::from).sum::<u64>() % 9_000;
    ApplicantInput::Person {
        name: name.to_owned(),
        id_type: yichuang_engine::PersonIdType::ResidentId,
        id_no: test_resident_id(n),
        phone: String::new(),
    }
}

/// Every material of `item` received, then `overrides` applied. A material
/// is named by its code (`M1`) or by the start of its name (`工伤认定申请表`).
pub fn materials(
    e: &Engine,
    item: &str,
    overrides: &[(&str, MaterialStatus)],
) -> BTreeMap<String, MaterialStatus> {
    let cat = e.catalog().expect("catalog");
    let item = cat.item(item).expect("item");
    let mut m: BTreeMap<String, MaterialStatus> = item
        .materials
        .iter()
        .map(|m| (m.code.clone(), MaterialStatus::Received))
        .collect();
    for (key, st) in overrides {
        let code = item
            .materials
            .iter()
            .find(|m| m.name.starts_with(key))
            .map_or_else(|| (*key).to_owned(), |m| m.code.clone());
        m.insert(code, *st);
    }
    m
}

/// A case of `item` for a named applicant, every material received but the
/// `overrides`.
pub fn case_for(
    e: &Engine,
    item: &str,
    who: &str,
    overrides: &[(&str, MaterialStatus)],
) -> NewCase {
    NewCase::simple(item, applicant(who), materials(e, item, overrides))
}

pub fn new_case(e: &Engine, item: &str, n: u64, overrides: &[(&str, MaterialStatus)]) -> NewCase {
    NewCase::simple(item, person(n), materials(e, item, overrides))
}

/// The passphrase of [`encrypted_station`].
pub const STATION_PASSPHRASE: &str = "城关镇-站点口令-2026";

/// A new station in `dir` encrypted under passphrase custody
/// ([`STATION_PASSPHRASE`]), with an administrator (0001), a clerk (2001) and
/// one accepted case of `who` with its 受理通知书; closed again. Returns the
/// database's path. (Built afresh, not from the template: the template is plain.)
pub fn encrypted_station(dir: &Path, who: &str) -> PathBuf {
    let path = dir.join("station.sqlite3");
    let key =
        at_rest::protect_new(&path, ProtectWith::Passphrase(STATION_PASSPHRASE)).expect("protect");
    let mut e = Engine::open_with_key(&path, &key)
        .expect("open")
        .with_clock(clock(TEST_NOW));
    e.init("CG01", "城关镇服务站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "系统管理员", Role::Admin, PW)
        .expect("admin");
    let clerk = e
        .add_clerk(Some(&admin), "2001", "张窗口", Role::Clerk, PW)
        .expect("clerk");
    let c = e
        .register_case(&clerk, &case_for(&e, items::EMPLOYMENT_CARD, who, &[]))
        .expect("case");
    e.accept(&clerk, &c.case_no).expect("accept");
    e.issue_notice(&clerk, &c.case_no, NoticeKind::AcceptanceNotice)
        .expect("notice");
    path
}

/// Number of events in the log (for "nothing changed" checks).
pub fn event_count(e: &Engine) -> i64 {
    e.connection()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count")
}

/// A whole-database fingerprint: every row of every table, in order.
pub fn fingerprint(e: &Engine) -> String {
    let conn = e.connection();
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'case_name_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows");
    tables.sort();
    let mut out = String::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .expect("select");
        let n = stmt.column_count();
        let mut rows = stmt.query([]).expect("q");
        while let Some(r) = rows.next().expect("row") {
            out.push_str(&t);
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).expect("v");
                out.push_str(&format!("|{v:?}"));
            }
            out.push('\n');
        }
    }
    out
}

/// The text a notice record typesets to, without rendering a PDF: what its
/// template fills in from the record's fields (for checks of wording).
pub fn notice_document_text(e: &Engine, n: &yichuang_engine::notice::NoticeRecord) -> String {
    let set = e.templates(&n.template_version).expect("templates");
    let doc = yichuang_engine::template::build_document(
        set.get(n.kind).expect("template"),
        &n.fields,
        &n.issued_at,
        None,
    )
    .expect("document");
    format!("{doc:?}")
}

fn poppler(tool: &str, path: &std::path::Path) -> String {
    let out = std::process::Command::new(tool)
        .arg(path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} is needed for this test (scripts/install-deps.sh --test): {e}")
        });
    assert!(out.status.success(), "{tool} failed on {}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `pdf` as `dir/name.pdf` and returns its text (pdftotext) without
/// whitespace, so a phrase is found across line breaks.
pub fn pdf_text(dir: &std::path::Path, name: &str, pdf: &[u8]) -> String {
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    poppler("pdftotext", &path)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Writes `pdf` as `dir/name.pdf` and returns its page count (pdfinfo).
pub fn pdf_pages(dir: &std::path::Path, name: &str, pdf: &[u8]) -> u32 {
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    poppler("pdfinfo", &path)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").and_then(|n| n.trim().parse().ok()))
        .expect("pdfinfo Pages")
}

/// The Python interpreters tried for openpyxl: `YICHUANG_TEST_PYTHON` if
/// set, the one on PATH, then the system's (Debian's `python3-openpyxl`,
/// installed by `scripts/install-deps.sh --test`, is the system's).
fn openpyxl_python() -> String {
    let candidates: Vec<String> = std::env::var("YICHUANG_TEST_PYTHON")
        .into_iter()
        .chain(["python3".to_owned(), "/usr/bin/python3".to_owned()])
        .collect();
    candidates
        .iter()
        .find(|py| {
            std::process::Command::new(py)
                .args(["-c", "import openpyxl"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no Python with openpyxl among {candidates:?}: install python3-openpyxl \
                 (scripts/install-deps.sh --test) or set YICHUANG_TEST_PYTHON"
            )
        })
}

/// An `.xlsx` file as openpyxl (an independent reader) sees it: one JSON
/// object per sheet with `name`, `freeze`, `filter`, `widths`,
/// `bold_header` and `rows` (each cell `{t, v, fmt}`, `t` one of `text`,
/// `number`, `date`, `datetime`, `empty`).
pub fn read_xlsx(path: &std::path::Path) -> serde_json::Value {
    let out = std::process::Command::new(openpyxl_python())
        .args(["-c", include_str!("read_xlsx.py")])
        .arg(path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "openpyxl could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reader JSON")
}
