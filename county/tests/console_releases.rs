//! The console's 发布 page against a real county on PostgreSQL and a real
//! station (the engine over SQLite): anonymous requests get 401, each role
//! sees and does only its part, a broken file is never published, a good
//! catalog's difference names the changed item, publishing signs a release
//! the station applies (and the page then shows the station on it), the
//! switch off refuses publishing and `publish --staged` does it instead.

mod common;

use std::path::Path;
use std::process::Command;

use common::browser::{Browser, admin, first_admin, staff_of};
use common::{pg, raw_sql};
use serde_json::Value;
use yichuang_county::{Config, RunningServer};
use yichuang_engine::demo::DEMO_PASSWORD;
use yichuang_engine::{Clerk, Engine, Role};

fn server_with(prefix: &str, console_publish: bool) -> (RunningServer, String) {
    let db = pg::fresh_database(prefix);
    let config = Config {
        console_publish,
        ..common::config(&db)
    };
    let srv = RunningServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .expect("county server starts");
    (srv, db)
}

fn catalog(version: &str, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value =
        serde_json::from_str(yichuang_engine::catalog::BUNDLED_CATALOG).expect("catalog");
    v["version"] = version.into();
    f(&mut v);
    v.to_string().into_bytes()
}

fn upload(b: &Browser, kind: &str, name: &str, body: &[u8]) -> common::browser::Answer {
    b.post(
        &format!("releases/uploads?kind={kind}&file_name={name}"),
        body,
    )
}

fn releases(db: &str) -> i64 {
    raw_sql::query_i64(db, "SELECT count(*) FROM releases")
}

fn uploads(db: &str) -> i64 {
    raw_sql::query_i64(db, "SELECT count(*) FROM release_uploads")
}

fn station(dir: &Path) -> (Engine, Clerk) {
    let mut e = Engine::open(&dir.join("station.sqlite3")).expect("open station");
    e.init("CG01", "城关镇服务站", "示范县").expect("init");
    let admin = e
        .add_clerk(None, "0001", "管理员", Role::Admin, DEMO_PASSWORD)
        .expect("admin");
    (e, admin)
}

#[test]
fn anonymous_gets_401_and_each_role_only_its_part() {
    let (srv, db) = server_with("yc_console_rel_roles", true);
    let anon = Browser::new(&srv);
    for (method, path) in [
        ("GET", "releases"),
        ("GET", "releases/export"),
        ("POST", "releases/uploads?kind=catalog&file_name=a.json"),
        ("POST", "releases/uploads/1/publish"),
        ("GET", "releases/uploads/1"),
    ] {
        let body: &[u8] = if method == "GET" { b"" } else { b"{}" };
        let a = anon.raw(method, path, body, None);
        assert_eq!(a.status, 401, "{method} {path}: {}", a.body);
        assert_eq!(a.body["code"], "not_logged_in");
    }
    first_admin(&srv);
    let adm = admin(&srv);
    let good = catalog("2026.9", |_| {});
    let staged = upload(&adm, "catalog", "catalog.json", &good);
    assert_eq!(staged.status, 200, "{}", staged.body);
    let id = staged.body["upload"]["id"].as_i64().expect("id");
    for role in ["reviewer", "approval_office", "leader", "complaints"] {
        let b = staff_of(&srv, &adm, role);
        let may_view = role == "leader";
        let caps = b.get("session").body["capabilities"].clone();
        assert_eq!(
            caps.as_array()
                .expect("caps")
                .iter()
                .any(|c| c == "view_releases"),
            may_view,
            "{role}: {caps}"
        );
        let page = b.get("releases");
        assert_eq!(page.status, if may_view { 200 } else { 403 }, "{role}");
        let one = b.get(&format!("releases/uploads/{id}"));
        assert_eq!(one.status, if may_view { 200 } else { 403 }, "{role}");
        let export = b.get("releases/export");
        assert_eq!(export.status, if may_view { 200 } else { 403 }, "{role}");
        let (before_u, before_r) = (uploads(&db), releases(&db));
        let a = upload(&b, "catalog", "x.json", &good);
        assert_eq!(a.status, 403, "{role} uploads: {}", a.body);
        assert_eq!(a.body["message_zh"], "您的角色无权进行此操作");
        let a = b.post(&format!("releases/uploads/{id}/publish"), b"");
        assert_eq!(a.status, 403, "{role} publishes: {}", a.body);
        assert_eq!((uploads(&db), releases(&db)), (before_u, before_r));
    }
    let page = adm.get("releases");
    assert_eq!(page.status, 200);
    assert_eq!(page.body["uploads"][0]["id"], id);
    assert_eq!(page.body["console_publish"], true);
    // CSRF missing or wrong: refused, nothing stored or published.
    let (before_u, before_r) = (uploads(&db), releases(&db));
    for token in [None, Some("0".repeat(64))] {
        let a = adm.raw(
            "POST",
            "releases/uploads?kind=catalog&file_name=c.json",
            &good,
            token.as_deref(),
        );
        assert_eq!(a.status, 403, "{}", a.body);
        assert_eq!(a.body["code"], "csrf");
        let a = adm.raw(
            "POST",
            &format!("releases/uploads/{id}/publish"),
            b"",
            token.as_deref(),
        );
        assert_eq!(a.body["code"], "csrf");
    }
    assert_eq!((uploads(&db), releases(&db)), (before_u, before_r));
}

#[test]
fn bad_input_and_broken_files_are_refused_in_chinese_and_never_published() {
    let (srv, db) = server_with("yc_console_rel_bad", true);
    first_admin(&srv);
    let adm = admin(&srv);
    let good = catalog("2026.9", |_| {});
    for (path, body, field, words) in [
        (
            "releases/uploads?kind=menu&file_name=a.json",
            good.clone(),
            "kind",
            "发布类型",
        ),
        (
            "releases/uploads?kind=catalog",
            good.clone(),
            "file_name",
            "文件名",
        ),
        (
            "releases/uploads?kind=catalog&file_name=a.json",
            Vec::new(),
            "file",
            "文件",
        ),
        (
            "releases/uploads?kind=catalog&file_name=a.json",
            vec![b' '; 4 * 1024 * 1024 + 1],
            "file",
            "4 MiB",
        ),
    ] {
        let a = adm.post(path, &body);
        assert_eq!(a.status, 422, "{path}: {}", a.body);
        assert_eq!(a.body["field"], field, "{path}");
        let zh = a.body["message_zh"].as_str().expect("zh");
        assert!(zh.contains(words), "{path}: {zh}");
    }
    let bad = adm.get("releases?page=0");
    assert_eq!((bad.status, &bad.body["field"]), (422, &"page".into()));
    assert_eq!(uploads(&db), 0, "refused input stores nothing");

    // A catalog that breaks a rule is kept as failed, named in Chinese,
    // and can never be published.
    let broken = catalog("2026.9", |v| v["items"][0]["name"] = "".into());
    let a = upload(&adm, "catalog", "broken.json", &broken);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["valid"], false);
    let problem = a.body["upload"]["problem_zh"].as_str().expect("problem");
    assert!(
        problem.contains("事项清单文件“broken.json”") && problem.contains("RS-SY-001"),
        "{problem}"
    );
    assert!(a.body["diff"].is_null());
    let id = a.body["upload"]["id"].as_i64().expect("id");
    let p = adm.post(&format!("releases/uploads/{id}/publish"), b"");
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(p.body["field"], "upload");
    assert!(
        p.body["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("未通过校验")),
        "{}",
        p.body
    );
    let t = upload(&adm, "templates", "t.json", b"{\"version\":\"x\"}");
    assert_eq!(t.body["valid"], false);
    assert!(
        t.body["upload"]["problem_zh"]
            .as_str()
            .is_some_and(|m| m.contains("文书模板")),
        "{}",
        t.body
    );
    let c = upload(&adm, "calendar", "c.json", b"[1, 2]");
    assert_eq!(c.body["valid"], false, "{}", c.body);
    assert_eq!(releases(&db), 0, "nothing published");

    // Good calendar and templates files: their differences from what the
    // stations bundle.
    let year = r#"{"year":2030,"days":[{"name":"元旦","date":"2030-01-01","isOffDay":true}]}"#;
    let c = upload(&adm, "calendar", "2030.json", year.as_bytes());
    assert_eq!(c.body["valid"], true, "{}", c.body);
    assert_eq!(c.body["diff"]["added"][0]["key"], "2030", "{}", c.body);
    assert!(
        c.body["diff"]["added"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2030-01-01 元旦放假")),
        "{}",
        c.body
    );
    let mut tpl: Value =
        serde_json::from_str(yichuang_engine::template::BUNDLED_TEMPLATES).expect("templates");
    tpl["version"] = "2026.9".into();
    let first = tpl["templates"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("a template");
    tpl["templates"][&first]["title"] = "新的文书标题".into();
    let t = upload(&adm, "templates", "t.json", tpl.to_string().as_bytes());
    assert_eq!(t.body["valid"], true, "{}", t.body);
    let changed = t.body["diff"]["changed"].as_array().expect("changed");
    assert!(
        changed.iter().any(|l| l["key"] == first.as_str()
            && l["detail"]
                .as_str()
                .is_some_and(|d| d.contains("新的文书标题"))),
        "{changed:?}"
    );
    assert_eq!(releases(&db), 0, "staged, not published");
    let unknown = adm.post("releases/uploads/99999/publish", b"");
    assert_eq!(unknown.status, 404);
    assert_eq!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM staff_audit WHERE action = 'release_uploaded'"
        ),
        5
    );
}

/// Waits for the county's projection of the station's latest upload.
fn station_catalog(db: &str, want: &str) -> Option<String> {
    for _ in 0..100 {
        let rows = raw_sql::query_strings(db, "SELECT catalog_version FROM station_facts");
        let v = rows.first().and_then(|r| r[0].clone());
        if v.as_deref() == Some(want) {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

#[test]
fn a_published_catalog_is_signed_served_and_applied_by_a_real_station() {
    let (srv, db) = server_with("yc_console_rel_publish", true);
    first_admin(&srv);
    let adm = admin(&srv);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, station_admin) = station(dir.path());
    let code = common::enrol_code(&srv, "CG01");
    e.enroll(&station_admin, &srv.url(), &code).expect("enrol");
    let client = e.sync_client().expect("client");

    // First release: nothing published before, compared with the catalog
    // the stations bundle (only its version differs).
    let first = catalog("2026.2", |_| {});
    let a = upload(&adm, "catalog", "catalog.json", &first);
    assert_eq!(a.body["valid"], true, "{}", a.body);
    assert!(a.body["against_version"].is_null());
    assert_eq!(
        a.body["diff"]["changed"],
        serde_json::json!([{"key": "版本", "name": "事项清单", "detail": "版本：2026.1.2 → 2026.2"}])
    );
    assert_eq!(a.body["diff"]["added"], serde_json::json!([]));
    let id = a.body["upload"]["id"].as_i64().expect("id");
    let p = adm.post(&format!("releases/uploads/{id}/publish"), b"");
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["version"], "1");
    let again = adm.post(&format!("releases/uploads/{id}/publish"), b"");
    assert_eq!(again.status, 422, "published once: {}", again.body);
    e.sync_now(&client).expect("sync");
    assert_eq!(e.catalog().expect("catalog").version, "2026.2");
    e.sync_now(&client).expect("sync the applied event");
    assert_eq!(station_catalog(&db, "1").as_deref(), Some("1"));

    // Second: one item renamed, its promise shortened.
    let second = catalog("2026.3", |v| {
        v["items"][0]["name"] = "失业保险金申领（县级调整）".into();
        v["items"][0]["promised_days"] = 3.into();
    });
    let a = upload(&adm, "catalog", "catalog-2026.3.json", &second);
    assert_eq!(a.body["valid"], true, "{}", a.body);
    assert_eq!(a.body["against_version"], "1");
    let changed = a.body["diff"]["changed"].as_array().expect("changed");
    let item = changed
        .iter()
        .find(|l| l["key"] == "RS-SY-001")
        .expect("the changed item");
    let detail = item["detail"].as_str().expect("detail");
    assert!(
        detail.contains("名称：失业保险金申领 → 失业保险金申领（县级调整）")
            && detail.contains("承诺时限：5个工作日 → 3个工作日"),
        "{detail}"
    );
    assert!(
        a.body["diff"]["added"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // The same version number with other content would be refused by the
    // stations: refused here.
    let clash = catalog("2026.2", |v| v["items"][0]["promised_days"] = 4.into());
    let c = upload(&adm, "catalog", "clash.json", &clash);
    assert_eq!(c.body["valid"], false, "{}", c.body);
    let page = adm.get("releases").body;
    assert_eq!(page["stations"][0]["catalog_current"], true);

    let id = a.body["upload"]["id"].as_i64().expect("id");
    // Seen again later (as the leader may): the same check and difference.
    let again = adm.get(&format!("releases/uploads/{id}"));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["diff"], a.body["diff"]);
    assert_eq!(adm.get("releases/uploads/999999").status, 404);
    let p = adm.post(&format!("releases/uploads/{id}/publish"), b"");
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["version"], "2");
    // The station protocol serves it, signed; the station applies it.
    let run = e.sync_now(&client).expect("sync");
    assert_eq!(run.releases_applied.len(), 1, "{:?}", run.releases_applied);
    let cat = e.catalog().expect("catalog");
    assert_eq!(cat.version, "2026.3");
    assert_eq!(cat.items[0].name, "失业保险金申领（县级调整）");
    e.sync_now(&client).expect("sync the applied event");
    assert_eq!(station_catalog(&db, "2").as_deref(), Some("2"));
    let page = adm.get("releases").body;
    assert_eq!(page["published"][0]["kind"], "catalog");
    assert_eq!(page["published"][0]["version"], "2");
    let st = &page["stations"][0];
    assert_eq!(
        (
            &st["station_code"],
            &st["catalog_version"],
            &st["catalog_current"]
        ),
        (&"CG01".into(), &"2".into(), &true.into())
    );
    assert_eq!(page["uploads"][1]["published_version"], "2");
    // The administration log has both, as from the command line.
    let log = std::fs::read_to_string(common::admin_log(&db)).expect("admin log");
    assert_eq!(log.matches("\"type\":\"published\"").count(), 2, "{log}");
    assert_eq!(
        raw_sql::query_i64(
            &db,
            "SELECT count(*) FROM staff_audit WHERE action = 'release_published'"
        ),
        2
    );
    let x = adm.get("releases/export");
    assert_eq!(x.status, 200);
    assert!(
        x.content_type.contains("spreadsheetml"),
        "{}",
        x.content_type
    );
    assert_eq!(&x.bytes[..2], b"PK");
}

fn county(db: &str, args: &[&str]) -> (bool, String, String) {
    let (answer, release) = common::key_files();
    let out = Command::new(env!("CARGO_BIN_EXE_yichuang-county"))
        .args(args)
        .env("YICHUANG_COUNTY_DATABASE_URL", db)
        .env("YICHUANG_COUNTY_ANSWER_KEY_FILE", answer)
        .env("YICHUANG_COUNTY_RELEASE_KEY_FILE", release)
        .env("YICHUANG_COUNTY_ADMIN_LOG", common::admin_log(db))
        .output()
        .expect("run yichuang-county");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn with_the_switch_off_the_console_refuses_and_publish_staged_signs() {
    let (srv, db) = server_with("yc_console_rel_off", false);
    first_admin(&srv);
    let adm = admin(&srv);
    let a = upload(&adm, "catalog", "catalog.json", &catalog("2026.2", |_| {}));
    assert_eq!(a.body["valid"], true, "{}", a.body);
    assert_eq!(a.body["console_publish"], false);
    let id = a.body["upload"]["id"].as_i64().expect("id");
    let p = adm.post(&format!("releases/uploads/{id}/publish"), b"");
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(p.body["field"], "publish");
    let zh = p.body["message_zh"].as_str().expect("zh");
    assert!(
        zh.contains(&format!("yichuang-county publish --staged {id}")),
        "{zh}"
    );
    assert_eq!(releases(&db), 0);

    // On the signing host: the staged file, checked again and signed.
    let (ok, out, err) = county(&db, &["publish", "--staged", &id.to_string()]);
    assert!(ok, "{out}{err}");
    assert_eq!(releases(&db), 1);
    let rows = raw_sql::query_strings(
        &db,
        &format!("SELECT published_version FROM release_uploads WHERE id = {id}"),
    );
    assert_eq!(rows[0][0].as_deref(), Some("1"));
    let (ok, _, _) = county(&db, &["publish", "--staged", &id.to_string()]);
    assert!(!ok, "published once");
    // A failed staged file, or a broken file given directly, is never published.
    let b = upload(&adm, "catalog", "b.json", b"{ not a catalog");
    let bid = b.body["upload"]["id"].as_i64().expect("id");
    let (ok, _, err) = county(&db, &["publish", "--staged", &bid.to_string()]);
    assert!(!ok && err.contains("未通过校验"), "{err}");
    let file = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(file.path(), b"{\"years\": 3}").expect("write");
    let path = file.path().to_string_lossy().into_owned();
    let (ok, _, err) = county(&db, &["publish", "calendar", &path]);
    assert!(!ok && err.contains("工作日历"), "{err}");
    assert_eq!(releases(&db), 1);
}

/// `serve` runs as the restricted server role: staging, publishing and the
/// page work with exactly the grants `grant-server-role` gives.
#[test]
fn the_server_role_stages_and_publishes() {
    let db = pg::fresh_database("yc_console_rel_role");
    let role = format!("yc_rel_srv_{}", std::process::id());
    let cluster = pg::cluster_url();
    raw_sql::execute(cluster, &format!("DROP ROLE IF EXISTS {role}"));
    raw_sql::execute(cluster, &format!("CREATE ROLE {role} LOGIN"));
    let (ok, _, err) = county(&db, &["migrate"]);
    assert!(ok, "{err}");
    let (ok, _, err) = county(&db, &["grant-server-role", "--role", &role]);
    assert!(ok, "{err}");
    let (scheme_host, name) = db.rsplit_once('/').expect("url");
    let (scheme, host) = scheme_host.split_once("://").expect("scheme");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let as_server = format!("{scheme}://{role}@{host}/{name}");
    let srv = RunningServer::start(
        Config {
            admin_log_file: Some(common::admin_log(&db)),
            console_publish: true,
            ..common::config(&as_server)
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .expect("the server starts as the restricted role");
    first_admin(&srv);
    let adm = admin(&srv);
    let a = upload(&adm, "catalog", "catalog.json", &catalog("2026.5", |_| {}));
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["upload"]["id"].as_i64().expect("id");
    let p = adm.post(&format!("releases/uploads/{id}/publish"), b"");
    assert_eq!(p.status, 200, "{}", p.body);
    let page = adm.get("releases");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["uploads"][0]["published_version"], "1");
    drop(srv);
    raw_sql::execute(cluster, &format!("DROP OWNED BY {role}"));
    let _ = raw_sql::try_execute(cluster, &format!("DROP ROLE IF EXISTS {role}"));
}
