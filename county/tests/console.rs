//! The console's HTTP surface against a real county on PostgreSQL:
//! anonymous requests get 401 and nothing else, each role sees and does
//! only its part, a change without the CSRF token is refused, bad input
//! is refused with a Chinese sentence naming the field and nothing
//! changes, lockout, sessions, the append-only audit log, the first
//! administrator from the command line, and the server role's grants.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::browser::{ADMIN_PASSWORD, Answer, Browser, admin, first_admin};
use common::{pg, raw_sql};
use serde_json::{Value, json};
use yichuang_county::RunningServer;

/// Every console API route, as (method, path, body).
fn every_route() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "session", None),
        ("DELETE", "session", None),
        ("GET", "staff", None),
        (
            "POST",
            "staff",
            Some(json!({"login":"x1","name":"x","role":"leader","password":"abcdefghijk1"})),
        ),
        ("PATCH", "staff/1", Some(json!({"disabled": true}))),
        ("GET", "audit", None),
        ("GET", "audit/export", None),
        ("GET", "staff/export", None),
        ("GET", "overview", None),
        ("GET", "overview/export", None),
        ("GET", "evaluations", None),
        ("GET", "evaluations/export", None),
        ("GET", "filings", None),
        ("GET", "filings/export", None),
        (
            "POST",
            "filings/review",
            Some(json!({"log_id":"L","seq":1,"verdict":"compliant"})),
        ),
        ("GET", "supervision", None),
        ("GET", "supervision/export", None),
        (
            "POST",
            "supervision",
            Some(json!({"case_no":"XZ02-20261123-0001","note":"请办结"})),
        ),
        ("POST", "supervision/1/lift", Some(json!({}))),
        ("GET", "cases/XZ02-20261123-0001", None),
        ("GET", "no-such-page", None),
        ("POST", "no-such-page", Some(json!({}))),
    ]
}

fn counts(db: &str) -> (i64, i64, i64) {
    (
        raw_sql::query_i64(db, "SELECT count(*) FROM staff"),
        raw_sql::query_i64(
            db,
            "SELECT count(*) FROM staff WHERE disabled OR role <> 'admin'",
        ),
        raw_sql::query_i64(db, "SELECT count(*) FROM staff_sessions"),
    )
}

#[test]
fn an_anonymous_request_gets_401_and_nothing_else() {
    let (srv, db) = common::server("yc_console_anon");
    first_admin(&srv);
    let before = counts(&db);
    let mut stranger = Browser::new(&srv);
    for forged in [None, Some("ab".repeat(32)), Some("not-a-token".into())] {
        stranger.cookie = forged;
        for (method, path, body) in every_route() {
            let body = body.map(|b| b.to_string());
            let a = stranger.send(method, path, body.as_deref(), Some("x"));
            assert_eq!(a.status, 401, "{method} {path}: {}", a.body);
            assert_eq!(a.body["code"], "not_logged_in", "{method} {path}");
            assert_eq!(a.body["message_zh"], "请先登录");
            let keys: Vec<&String> = a.body.as_object().expect("object").keys().collect();
            assert_eq!(
                keys,
                ["code", "field", "message", "message_zh"],
                "nothing else"
            );
        }
    }
    assert_eq!(counts(&db), before, "nothing changed");
    // The page itself is public (it only asks to log in), with its headers.
    let r = stranger
        .agent
        .get(format!("{}/console/", srv.url()))
        .call()
        .expect("page");
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers().get("content-security-policy").expect("CSP");
    assert!(csp.to_str().unwrap().contains("default-src 'self'"));
    assert!(
        r.headers()
            .get(yichuang_wire::answer_headers::SIGNATURE)
            .is_none(),
        "the console is not the signed station protocol"
    );
}

#[test]
fn each_role_sees_and_does_only_its_part() {
    let (srv, db) = common::server("yc_console_roles");
    first_admin(&srv);
    let adm = admin(&srv);
    let a = adm.get("session");
    assert_eq!(a.status, 200);
    assert_eq!(a.body["role"], "admin");
    let roles = ["reviewer", "approval_office", "leader", "complaints"];
    for r in roles {
        let a = adm.change(
            "POST",
            "staff",
            json!({"login": format!("u.{r}"), "name": format!("{r} 同志"), "role": r,
                   "password": "督查窗口口令2026"}),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["role"], r);
        assert!(a.body.get("password_hash").is_none(), "never the hash");
    }
    let target = raw_sql::query_i64(&db, "SELECT id FROM staff WHERE login = 'u.leader'");
    for r in roles {
        let mut b = Browser::new(&srv);
        assert_eq!(b.login(&format!("u.{r}"), "督查窗口口令2026").status, 200);
        let me = b.get("session").body;
        assert_eq!(me["role"], r);
        let may_overview = r != "complaints";
        let may_evaluations = r != "approval_office";
        let may_filings = matches!(r, "reviewer" | "leader");
        let may_review = r == "reviewer";
        let may_deadlines = r != "complaints";
        let may_supervise = r == "approval_office";
        let caps: Vec<&str> = [
            (may_overview, "view_overview"),
            (may_evaluations, "view_evaluations"),
            (may_filings, "view_filings"),
            (may_review, "review_filings"),
            (may_deadlines, "view_deadlines"),
            (may_supervise, "supervise_cases"),
            (true, "view_cases"),
            (r == "leader", "view_releases"),
            (r != "complaints", "view_stations"),
        ]
        .into_iter()
        .filter_map(|(may, c)| may.then_some(c))
        .collect();
        assert_eq!(me["capabilities"], json!(caps), "{r}");
        let expect = |a: &Answer, allowed: bool, what: &str| {
            assert_eq!(
                a.status,
                if allowed { 200 } else { 403 },
                "{r} {what}: {}",
                a.body
            );
            if !allowed {
                assert_eq!(a.body["code"], "forbidden");
                assert_eq!(a.body["message_zh"], "您的角色无权进行此操作");
            }
        };
        expect(&b.get("overview"), may_overview, "overview");
        expect(&b.get("evaluations"), may_evaluations, "好差评");
        expect(&b.get("filings"), may_filings, "否定备案");
        expect(&b.get("supervision"), may_deadlines, "时限督办");
        let a = b.get("cases/XZ02-20261123-0001");
        assert_eq!(
            a.status, 404,
            "{r}: every role may look a case up; none here: {}",
            a.body
        );
        // A permitted role gets past the role check to the input check
        // (422: no such filing / case); the others are refused first.
        let refused_or_invalid = |a: &Answer, allowed: bool, what: &str| {
            let want = if allowed { [404, 422] } else { [403, 403] };
            assert!(
                want.contains(&a.status),
                "{r} {what}: {} {}",
                a.status,
                a.body
            );
        };
        refused_or_invalid(
            &b.change(
                "POST",
                "filings/review",
                json!({"log_id":"none","seq":1,"verdict":"compliant"}),
            ),
            may_review,
            "review",
        );
        refused_or_invalid(
            &b.change(
                "POST",
                "supervision",
                json!({"case_no":"XZ02-20261123-0001","note":"请办结"}),
            ),
            may_supervise,
            "flag",
        );
        expect(&b.get("staff"), false, "staff list");
        expect(&b.get("staff/export"), false, "staff export");
        expect(&b.get("audit/export"), false, "audit export");
        expect(&b.get("audit"), false, "audit log");
        let before = counts(&db);
        expect(
            &b.change(
                "POST",
                "staff",
                json!({"login":"sneaky","name":"x","role":"admin","password":"abcdefghijk1"}),
            ),
            false,
            "add staff",
        );
        expect(
            &b.change(
                "PATCH",
                &format!("staff/{target}"),
                json!({"role": "admin"}),
            ),
            false,
            "change staff",
        );
        assert_eq!(counts(&db), before, "{r} changed nothing");
    }
    assert_eq!(adm.get("staff").body.as_array().map(Vec::len), Some(5));
    assert_eq!(adm.get("audit").status, 200);
    assert_eq!(adm.get("overview").status, 200);
    assert_eq!(adm.get("evaluations").status, 200);
    let bad = adm.get("evaluations?month=2026-13");
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["field"], "month");
}

#[test]
fn a_change_without_the_csrf_token_is_refused_and_changes_nothing() {
    let (srv, db) = common::server("yc_console_csrf");
    first_admin(&srv);
    let adm = admin(&srv);
    let before = counts(&db);
    let audit_before = raw_sql::query_i64(&db, "SELECT count(*) FROM staff_audit");
    let body =
        json!({"login":"rev1","name":"审查员","role":"reviewer","password":"审查窗口口令2026"})
            .to_string();
    for token in [None, Some(""), Some("00".repeat(32).as_str()), Some("x")] {
        let a = adm.send("POST", "staff", Some(&body), token);
        assert_eq!(a.status, 403, "{token:?}");
        assert_eq!(a.body["code"], "csrf");
        assert_eq!(a.body["message_zh"], "页面已过期，请刷新后重试");
        let a = adm.send("PATCH", "staff/1", Some(r#"{"disabled":true}"#), token);
        assert_eq!(a.status, 403);
        assert_eq!(adm.send("DELETE", "session", None, token).status, 403);
    }
    assert_eq!(counts(&db), before, "nothing changed, the session lives");
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM staff_audit"),
        audit_before
    );
    assert_eq!(adm.get("session").status, 200);
    // Another session's token is not this one's.
    let other = admin(&srv);
    assert_eq!(
        adm.send("POST", "staff", Some(&body), Some(&other.csrf))
            .status,
        403
    );
    assert_eq!(
        adm.change("POST", "staff", serde_json::from_str(&body).unwrap())
            .status,
        200
    );
}

#[test]
fn bad_input_is_a_chinese_sentence_naming_the_field_and_nothing_changes() {
    let (srv, db) = common::server("yc_console_input");
    first_admin(&srv);
    let adm = admin(&srv);
    let ok =
        json!({"login":"wang.li","name":"王立","role":"reviewer","password":"督查窗口口令2026"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let before = counts(&db);
    let audit_before = raw_sql::query_i64(&db, "SELECT count(*) FROM staff_audit");
    for (body, field, words) in [
        (
            with("password", json!("短密码")),
            "password",
            "密码至少 10 个字符",
        ),
        (
            with("password", json!("wang.li12345")),
            "password",
            "密码不能包含登录名",
        ),
        (with("login", json!("王立")), "login", "登录名"),
        (
            with("login", json!("ab")),
            "login",
            "登录名应为 3 至 32 个字符",
        ),
        (with("name", json!("  ")), "name", "姓名不能为空"),
        (with("role", json!("boss")), "role", "角色无效"),
        (
            json!({"login":"xyz","name":"某"}),
            "role",
            "“角色”缺失或格式不正确",
        ),
        (with("name", json!(7)), "name", "“姓名”缺失或格式不正确"),
        (with("login", json!("Admin")), "login", "已被使用"),
    ] {
        let a = adm.change("POST", "staff", body.clone());
        assert_eq!(a.status, 422, "{body}: {}", a.body);
        assert_eq!(a.body["code"], "invalid");
        assert_eq!(a.body["field"], field, "{body}");
        let zh = a.body["message_zh"].as_str().unwrap();
        assert!(zh.contains(words), "{body}: {zh}");
    }
    let a = adm.send("POST", "staff", Some("{not json"), Some(&adm.csrf));
    assert_eq!((a.status, a.body["field"].as_str()), (422, Some("body")));
    let a = adm.get("overview?date=2026-13-40");
    assert_eq!((a.status, a.body["field"].as_str()), (422, Some("date")));
    assert!(a.body["message_zh"].as_str().unwrap().contains("日期"));
    let a = adm.get("audit?page=0");
    assert_eq!((a.status, a.body["field"].as_str()), (422, Some("page")));
    // The last administrator cannot be disabled or demoted.
    let id = raw_sql::query_i64(&db, "SELECT id FROM staff WHERE login = 'admin'");
    for change in [json!({"disabled": true}), json!({"role": "leader"})] {
        let a = adm.change("PATCH", &format!("staff/{id}"), change);
        assert_eq!((a.status, a.body["field"].as_str()), (422, Some("role")));
        assert!(
            a.body["message_zh"]
                .as_str()
                .unwrap()
                .contains("县级管理员")
        );
    }
    let a = adm.change("PATCH", &format!("staff/{id}"), json!({"disabled": "yes"}));
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (422, Some("disabled"))
    );
    assert!(a.body["message_zh"].as_str().unwrap().contains("停用"));
    let a = adm.change("PATCH", &format!("staff/{id}"), json!({"password": "短"}));
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (422, Some("password"))
    );
    assert_eq!(
        adm.change("PATCH", "staff/999999", json!({"name": "某"}))
            .status,
        404
    );
    assert_eq!(counts(&db), before, "nothing changed");
    assert_eq!(
        raw_sql::query_i64(&db, "SELECT count(*) FROM staff_audit"),
        audit_before
    );
}

#[test]
fn lockout_sessions_and_the_audit_log() {
    let (srv, db) = common::server("yc_console_lockout");
    first_admin(&srv);
    let adm = admin(&srv);
    let a = adm.change(
        "POST",
        "staff",
        json!({"login":"li.ming","name":"李明","role":"leader","password":"领导查看口令2026"}),
    );
    assert_eq!(a.status, 200);
    let leader_id = a.body["id"].as_i64().unwrap();

    // A wrong password, four more: locked, with a Chinese sentence; the
    // right password does not open it while locked. An unknown name is
    // locked the same way (nothing tells which names exist).
    for name in ["li.ming", "nobody.here"] {
        let mut b = Browser::new(&srv);
        for i in 1..=5 {
            let a = b.login(name, "错误的口令错误的口令");
            if i < 5 {
                assert_eq!(a.status, 401, "{name} #{i}: {}", a.body);
                assert_eq!(a.body["message_zh"], "登录名或密码错误");
            } else {
                assert_eq!(a.status, 423, "{name} #{i}: {}", a.body);
                let zh = a.body["message_zh"].as_str().unwrap();
                assert!(zh.contains("锁定") && zh.contains("15 分钟"), "{zh}");
            }
            assert!(a.set_cookie.is_none());
        }
        assert_eq!(b.login(name, "领导查看口令2026").status, 423);
    }
    // The lock runs out (moved into the past here): the right password works.
    raw_sql::execute(&db, "UPDATE staff_login_failures SET locked_until_ms = 1");
    let mut b = Browser::new(&srv);
    let a = b.login("LI.MING", "领导查看口令2026");
    assert_eq!(a.status, 200, "{}", a.body);
    let cookie = a.set_cookie.unwrap();
    assert!(
        cookie.contains("; Path=/console; Secure; HttpOnly; SameSite=Strict"),
        "{cookie}"
    );
    let token = b.cookie.clone().unwrap();
    assert_eq!(
        raw_sql::query_i64(
            &db,
            &format!("SELECT count(*) FROM staff_sessions WHERE token_hash = '{token}'")
        ),
        0,
        "the token itself is not stored"
    );

    // Idle expiry: a session unused for longer than the idle time is gone.
    assert_eq!(b.get("session").status, 200);
    raw_sql::execute(
        &db,
        &format!(
            "UPDATE staff_sessions SET last_seen_ms = last_seen_ms - 31 * 60000 WHERE staff_id = {leader_id}"
        ),
    );
    assert_eq!(b.get("session").status, 401);
    // Absolute expiry: however busy, twelve hours after log-in.
    assert_eq!(b.login("li.ming", "领导查看口令2026").status, 200);
    raw_sql::execute(
        &db,
        &format!(
            "UPDATE staff_sessions SET created_ms = created_ms - 13 * 3600000 WHERE staff_id = {leader_id}"
        ),
    );
    assert_eq!(b.get("session").status, 401);
    // Disabling an account ends its sessions; logging out ends one.
    assert_eq!(b.login("li.ming", "领导查看口令2026").status, 200);
    assert_eq!(
        adm.change(
            "PATCH",
            &format!("staff/{leader_id}"),
            json!({"disabled": true})
        )
        .status,
        200
    );
    assert_eq!(b.get("session").status, 401);
    assert_eq!(b.login("li.ming", "领导查看口令2026").status, 401);
    let mut other = admin(&srv);
    let a = other.change("DELETE", "session", json!({}));
    assert_eq!(a.status, 200);
    assert!(a.set_cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(other.get("session").status, 401);
    other.cookie = None;

    // Everything is in the audit log, newest first, with who and when.
    let log = adm.get("audit?size=200").body;
    let actions: Vec<(String, String)> = log["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["login"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has = |login: &str, action: &str| {
        actions
            .iter()
            .any(|(l, a)| l.as_str() == login && a.as_str() == action)
    };
    assert!(has("(command line)", "staff_added"));
    assert!(has("admin", "login") && has("admin", "staff_added") && has("admin", "staff_changed"));
    assert!(has("admin", "logout"));
    assert!(has("li.ming", "login_failed") && has("li.ming", "locked"));
    assert!(has("nobody.here", "login_failed") && has("nobody.here", "locked"));
    assert!(log["rows"][0]["at"].as_str().unwrap().starts_with("20"));
    assert_eq!(log["total"].as_i64().unwrap() as usize, actions.len());

    // Append-only, whoever asks.
    for sql in [
        "UPDATE staff_audit SET login = 'someone else'",
        "DELETE FROM staff_audit",
        "TRUNCATE staff_audit",
    ] {
        let e = raw_sql::try_execute(&db, sql).expect_err(sql);
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
}

fn county(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let (answer, release) = common::key_files();
    let mut child = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .args(args)
        .env("YICHUANG_COUNTY_DATABASE_URL", db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(db))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yichuang-county");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("password");
    let out = child.wait_with_output().expect("output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first administrator comes from the server's command line (password
/// on standard input, never an argument); the server's own role gets only
/// what it needs on the console's tables.
#[test]
fn the_first_administrator_and_the_server_roles_grants() {
    let db = pg::fresh_database("yc_console_cli");
    let (ok, _, err) = county(
        &db,
        &[
            "staff",
            "add",
            "--role",
            "admin",
            "--login",
            "root.admin",
            "--name",
            "首位管理员",
        ],
        "短\n",
    );
    assert!(!ok && err.contains("密码至少 10 个字符"), "{err}");
    let (ok, out, err) = county(
        &db,
        &[
            "staff",
            "add",
            "--role",
            "admin",
            "--login",
            "Root.Admin",
            "--name",
            "首位管理员",
        ],
        &format!("{ADMIN_PASSWORD}\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("added root.admin"), "{out}");
    let (ok, out, _) = county(&db, &["staff", "list"], "");
    assert!(
        ok && out.contains("root.admin\t首位管理员\tadmin\tactive"),
        "{out}"
    );
    let hash: Vec<Vec<Option<String>>> =
        raw_sql::query_strings(&db, "SELECT password_hash FROM staff");
    let hash = hash[0][0].clone().unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(ADMIN_PASSWORD));

    let role = format!("yc_console_srv_{}", std::process::id());
    let cluster = pg::cluster_url();
    raw_sql::execute(cluster, &format!("DROP ROLE IF EXISTS {role}"));
    raw_sql::execute(cluster, &format!("CREATE ROLE {role} LOGIN"));
    let (ok, _, err) = county(&db, &["grant-server-role", "--role", &role], "");
    assert!(ok, "{err}");
    let (scheme_host, name) = db.rsplit_once('/').unwrap();
    let (scheme, host) = scheme_host.split_once("://").unwrap();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let as_server = format!("{scheme}://{role}@{host}/{name}");
    let srv = RunningServer::start(
        yichuang_county::Config {
            admin_log_file: Some(common::admin_log(&db)),
            ..common::config(&as_server)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .expect("the server starts as the restricted role");
    // The console works as that role: log in, add, change, read the log.
    let mut b = Browser::new(&srv);
    assert_eq!(b.login("root.admin", ADMIN_PASSWORD).status, 200);
    let a = b.change(
        "POST",
        "staff",
        json!({"login":"rev","name":"审查员","role":"reviewer","password":"审查窗口口令2026"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["id"].as_i64().unwrap();
    assert_eq!(
        b.change("PATCH", &format!("staff/{id}"), json!({"disabled": true}))
            .status,
        200
    );
    assert_eq!(b.get("audit").status, 200);
    assert_eq!(b.get("overview").status, 200);
    // …but it cannot erase the record or the accounts, nor touch the schema.
    for sql in [
        "DELETE FROM staff_audit",
        "DELETE FROM staff",
        "DROP TABLE staff_audit",
        "ALTER TABLE staff_audit DISABLE TRIGGER ALL",
    ] {
        let e = raw_sql::try_execute(&as_server, sql).expect_err(sql);
        assert!(
            e.contains("permission denied") || e.contains("must be owner"),
            "{sql}: {e}"
        );
    }
    drop(srv);
    raw_sql::execute(&db, &format!("REASSIGN OWNED BY {role} TO CURRENT_USER"));
    raw_sql::execute(&db, &format!("DROP OWNED BY {role}"));
    raw_sql::execute(cluster, &format!("DROP ROLE IF EXISTS {role}"));
}
