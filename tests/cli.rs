//! The command forms scripts depend on, and errors as one Chinese line.

use std::process::{Command, Output};

fn run(db: &std::path::Path, args: &[&str]) -> Output {
    run_env(db, args, &[])
}

/// `run` with extra environment (the station passphrase, a session bus).
fn run_env(db: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yichuang"));
    c.arg("--db")
        .arg(db)
        .args(args)
        .env("YICHUANG_NOW", "2026-11-23T09:30:00+08:00")
        .env_remove("YICHUANG_PASSWORD")
        .env_remove("YICHUANG_STATION_PASSPHRASE")
        .env_remove("YICHUANG_STATION_NEW_PASSPHRASE")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run yichuang")
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
            "--protect",
            "none",
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
            "--protect",
            "none",
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

// ---- encryption at rest -------------------------------------------------------

const STATION_PASS: &str = "城关镇站点口令2026";

fn init_args(protect: Option<&str>) -> Vec<&str> {
    let mut a = vec![
        "init",
        "--station-code",
        "CG01",
        "--station-name",
        "城关镇服务站",
        "--county",
        "示范县",
    ];
    if let Some(p) = protect {
        a.extend(["--protect", p]);
    }
    a
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn key_file(db: &std::path::Path) -> std::path::PathBuf {
    db.with_file_name(format!("{}.key", db.file_name().unwrap().to_string_lossy()))
}

/// A session bus nobody listens on: no OS key store is reachable.
fn no_bus(dir: &std::path::Path) -> String {
    format!("unix:path={}", dir.join("no-bus").display())
}

#[cfg(target_os = "linux")]
#[test]
fn init_without_a_key_store_or_passphrase_asks_to_choose() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let bus = no_bus(dir.path());
    let o = run_env(&db, &init_args(None), &[("DBUS_SESSION_BUS_ADDRESS", &bus)]);
    assert!(!o.status.success());
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
    assert!(err(&o).contains("--protect"), "{}", err(&o));
    assert!(!db.exists() && !key_file(&db).exists());
    let o = run_env(
        &db,
        &init_args(Some("keystore")),
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
    );
    assert!(
        !o.status.success() && err(&o).contains("系统密钥库"),
        "{}",
        err(&o)
    );
    assert!(!db.exists() && !key_file(&db).exists());
    // A passphrase in the environment is the default then.
    let o = run_env(
        &db,
        &init_args(None),
        &[
            ("DBUS_SESSION_BUS_ADDRESS", &bus),
            ("YICHUANG_STATION_PASSPHRASE", STATION_PASS),
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("站点口令"), "{}", out(&o));
}

#[test]
fn a_passphrase_station_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let pass = [("YICHUANG_STATION_PASSPHRASE", STATION_PASS)];
    let short = run_env(
        &db,
        &init_args(Some("passphrase")),
        &[("YICHUANG_STATION_PASSPHRASE", "1234567")],
    );
    assert!(!short.status.success() && err(&short).contains("至少需要 8 个字符"));
    assert!(!db.exists());
    let o = run_env(&db, &init_args(Some("passphrase")), &pass);
    assert!(o.status.success(), "{}", err(&o));
    assert!(run_env(&db, &["demo"], &pass).status.success());
    let o = run_env(
        &db,
        &[
            "case",
            "register",
            "--item",
            "RS-SY-001",
            "--name",
            "欧阳秘测",
            "--id-no",
            "11010519491231002X",
            "--received",
            "M1",
        ],
        &pass,
    );
    assert!(o.status.success(), "{}", err(&o));

    // Without the passphrase, or with a wrong one: one Chinese line, no panic.
    let none = run(&db, &["log", "verify"]);
    assert!(!none.status.success());
    assert_eq!(err(&none).lines().count(), 1, "{}", err(&none));
    assert!(err(&none).contains("需要站点口令"), "{}", err(&none));
    let wrong = run_env(
        &db,
        &["log", "verify"],
        &[("YICHUANG_STATION_PASSPHRASE", "不是这个口令啊啊")],
    );
    assert_eq!(err(&wrong), "错误：站点口令不正确");
    assert!(run_env(&db, &["log", "verify"], &pass).status.success());
    let found = run_env(&db, &["case", "search", "欧阳秘"], &pass);
    assert!(out(&found).contains("欧阳秘测"), "{}", out(&found));

    // Nothing readable on disk; the custody file names the scheme only.
    let bytes = std::fs::read(&db).unwrap();
    assert!(!contains(&bytes, b"SQLite format 3") && !contains(&bytes, "欧阳秘测".as_bytes()));
    let status: serde_json::Value =
        serde_json::from_str(&out(&run(&db, &["--json", "station", "status"]))).unwrap();
    assert_eq!(status["protection"]["custody"], "passphrase");
    let custody: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key_file(&db)).unwrap()).unwrap();
    assert_eq!(custody["custody"], "passphrase");
    assert!(!custody.to_string().contains(STATION_PASS));

    // A new passphrase; the old one stops opening the database.
    let new = "新的站点口令2027";
    let o = run_env(
        &db,
        &["station", "passphrase"],
        &[
            ("YICHUANG_STATION_PASSPHRASE", STATION_PASS),
            ("YICHUANG_STATION_NEW_PASSPHRASE", new),
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(!run_env(&db, &["log", "verify"], &pass).status.success());
    assert!(
        run_env(
            &db,
            &["log", "verify"],
            &[("YICHUANG_STATION_PASSPHRASE", new)]
        )
        .status
        .success()
    );
}

#[test]
fn a_plain_demo_station_is_encrypted_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite3");
    assert!(run(&db, &["demo", "--cases", "5"]).status.success());
    assert!(out(&run(&db, &["station", "status"])).starts_with("数据库未加密"));
    let before = out(&run(&db, &["log", "verify"]));
    let cases = out(&run(&db, &["--json", "case", "list"]));
    // No passphrase to seal with: refused, still plain.
    let o = run(&db, &["station", "protect", "--with", "passphrase"]);
    assert!(
        !o.status.success() && err(&o).contains("需要站点口令"),
        "{}",
        err(&o)
    );
    assert!(run(&db, &["log", "verify"]).status.success());

    let pass = [("YICHUANG_STATION_PASSPHRASE", STATION_PASS)];
    let o = run_env(&db, &["station", "protect", "--with", "passphrase"], &pass);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!contains(&std::fs::read(&db).unwrap(), b"SQLite format 3"));
    assert!(!run(&db, &["log", "verify"]).status.success());
    assert_eq!(out(&run_env(&db, &["log", "verify"], &pass)), before);
    assert_eq!(
        out(&run_env(&db, &["--json", "case", "list"], &pass)),
        cases
    );
    let again = run_env(&db, &["station", "protect", "--with", "passphrase"], &pass);
    assert!(!again.status.success() && err(&again).contains("已经加密"));
}

/// A private session bus with an unlocked gnome-keyring Secret Service in a
/// temporary home; both processes are ended when it drops.
struct SecretService {
    bus: std::process::Child,
    keyring: std::process::Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn secret_service() -> Option<SecretService> {
    use std::io::Write as _;
    use std::process::Stdio;
    let found = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !found("dbus-daemon") || !found("gnome-keyring-daemon") {
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    let socket = dir.path().join("bus");
    let conf = dir.path().join("bus.conf");
    // No service activation: nothing but the daemon started here answers.
    std::fs::write(
        &conf,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            socket.display()
        ),
    )
    .ok()?;
    let bus = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", conf.display()))
        .arg("--nofork")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let address = format!("unix:path={}", socket.display());
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700)).ok()?;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !socket.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_RUNTIME_DIR", &run_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut keyring = match keyring {
        Ok(k) => k,
        Err(_) => {
            let mut bus = bus;
            let _ = bus.kill();
            let _ = bus.wait();
            return None;
        }
    };
    if let Some(mut stdin) = keyring.stdin.take() {
        let _ = stdin.write_all(b"test-keyring-password");
    }
    let ss = SecretService {
        bus,
        keyring,
        address,
        _dir: dir,
    };
    // Ready when the CLI sees it.
    let probe = ss._dir.path().join("probe.sqlite3");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let o = run_env(
            &probe,
            &["--json", "station", "status"],
            &[("DBUS_SESSION_BUS_ADDRESS", &ss.address)],
        );
        let j: serde_json::Value = serde_json::from_str(&out(&o)).unwrap_or_default();
        if j["keystore_available"] == true {
            return Some(ss);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

#[cfg(target_os = "linux")]
#[test]
fn the_os_key_store_holds_the_key_of_a_station() {
    let Some(ss) = secret_service() else {
        println!(
            "skipped: no Secret Service could be started (dbus-daemon and gnome-keyring-daemon needed)"
        );
        return;
    };
    let bus = [("DBUS_SESSION_BUS_ADDRESS", ss.address.as_str())];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    // With a key store reachable, it is init's default.
    let o = run_env(&db, &init_args(None), &bus);
    assert!(o.status.success(), "{}", err(&o));
    let custody: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key_file(&db)).unwrap()).unwrap();
    assert_eq!(custody["custody"], "os_keystore");
    assert_eq!(custody["service"], "yichuang");
    let mut fields: Vec<&str> = custody
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(fields, ["account", "custody", "service", "v"]);
    assert!(run_env(&db, &["demo"], &bus).status.success());
    assert!(run_env(&db, &["log", "verify"], &bus).status.success());
    assert!(!contains(&std::fs::read(&db).unwrap(), b"SQLite format 3"));
    // Not through a passphrase, and not without the key store.
    let o = run_env(&db, &["station", "passphrase"], &bus);
    assert!(
        !o.status.success() && err(&o).contains("没有站点口令"),
        "{}",
        err(&o)
    );
    let away = no_bus(dir.path());
    let o = run_env(
        &db,
        &["log", "verify"],
        &[("DBUS_SESSION_BUS_ADDRESS", &away)],
    );
    assert!(
        !o.status.success() && err(&o).contains("系统密钥库"),
        "{}",
        err(&o)
    );
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));

    // A plain station moves its key into the key store.
    let plain = dir.path().join("p.sqlite3");
    assert!(run(&plain, &["demo", "--cases", "3"]).status.success());
    let before = out(&run(&plain, &["log", "verify"]));
    let o = run_env(&plain, &["station", "protect", "--with", "keystore"], &bus);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("备份"), "{}", out(&o));
    assert_eq!(out(&run_env(&plain, &["log", "verify"], &bus)), before);
    assert!(!run(&plain, &["log", "verify"]).status.success());
}

#[test]
fn backup_list_verify_and_restore_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let usb = dir.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    let pass = [("YICHUANG_STATION_PASSPHRASE", STATION_PASS)];
    assert!(
        run_env(&db, &init_args(Some("passphrase")), &pass)
            .status
            .success()
    );
    assert!(run_env(&db, &["demo"], &pass).status.success());
    // The demo leaves a window clerk logged in: refused; the administrator: done.
    let o = run_env(
        &db,
        &["backup", "now", "--folder", usb.to_str().unwrap()],
        &pass,
    );
    assert!(
        !o.status.success() && err(&o).contains("无权备份"),
        "{}",
        err(&o)
    );
    assert!(
        run_env(&db, &["login", "0001", "--password", "demo1234"], &pass)
            .status
            .success()
    );
    let o = run_env(&db, &["backup", "now"], &pass);
    assert!(
        !o.status.success() && err(&o).contains("尚未设置备份文件夹"),
        "{}",
        err(&o)
    );
    let o = run_env(
        &db,
        &["settings", "set", "backup.folder", usb.to_str().unwrap()],
        &pass,
    );
    assert!(o.status.success(), "{}", err(&o));
    let o = run_env(&db, &["--json", "backup", "now"], &pass);
    assert!(o.status.success(), "{}", err(&o));
    let made: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let file = made["file"].as_str().unwrap().to_owned();
    assert_eq!(made["manifest"]["encrypted"], true);
    let list = run_env(&db, &["backup", "list"], &pass);
    assert!(out(&list).contains("已加密"), "{}", out(&list));

    // Verify needs the backup's passphrase; a wrong one is one Chinese line.
    let o = run(&db, &["backup", "verify", &file]);
    assert!(
        !o.status.success() && err(&o).contains("备份口令"),
        "{}",
        err(&o)
    );
    let o = run_env(
        &db,
        &["backup", "verify", &file],
        &[("YICHUANG_BACKUP_PASSPHRASE", "不是这个口令啊啊")],
    );
    assert_eq!(err(&o), "错误：站点口令不正确");
    let o = run_env(
        &db,
        &["backup", "verify", &file],
        &[("YICHUANG_BACKUP_PASSPHRASE", STATION_PASS)],
    );
    assert!(out(&o).starts_with("备份完好"), "{}", err(&o));

    // Restore into a new data directory, under a new station passphrase.
    let new_db = dir.path().join("new").join("station.sqlite3");
    let new_pass = "换了电脑的站点口令";
    let o = run_env(
        &new_db,
        &["backup", "restore", &file, "--protect", "passphrase"],
        &[
            ("YICHUANG_BACKUP_PASSPHRASE", STATION_PASS),
            ("YICHUANG_STATION_PASSPHRASE", new_pass),
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).starts_with("已恢复站点 CG01"), "{}", out(&o));
    let np = [("YICHUANG_STATION_PASSPHRASE", new_pass)];
    assert!(run_env(&new_db, &["log", "verify"], &np).status.success());
    assert!(
        run_env(&new_db, &["login", "0001", "--password", "demo1234"], &np)
            .status
            .success()
    );
    let orig = out(&run_env(
        &db,
        &["--json", "case", "list", "--state", "accepted"],
        &pass,
    ));
    let back = out(&run_env(
        &new_db,
        &["--json", "case", "list", "--state", "accepted"],
        &np,
    ));
    assert!(orig.contains("case_no"), "{orig}");
    assert_eq!(orig, back, "the restored station has the same cases");
    // Never over an existing station.
    let o = run_env(
        &new_db,
        &["backup", "restore", &file, "--protect", "passphrase"],
        &[
            ("YICHUANG_BACKUP_PASSPHRASE", STATION_PASS),
            ("YICHUANG_STATION_PASSPHRASE", new_pass),
        ],
    );
    assert!(
        !o.status.success() && err(&o).contains("恢复只能在新的数据目录中进行"),
        "{}",
        err(&o)
    );
}
