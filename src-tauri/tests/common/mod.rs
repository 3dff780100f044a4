//! Shared by the desktop tests: a demo station behind the real command
//! handler on Tauri's mock runtime, called through IPC like the window does.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};
use tempfile::TempDir;
use yichuang_desktop::{AppState, with_commands};
use yichuang_engine::Engine;
use yichuang_engine::clock::Clock;

/// Seeding hashes four passwords (argon2, deliberately slow): seed one demo
/// station per test binary and copy the file for each test.
pub fn template() -> &'static Path {
    static T: OnceLock<(TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, p) = T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("template.sqlite3");
        let mut e = Engine::open(&path).expect("open").with_clock(clock());
        yichuang_engine::demo::seed_demo(&mut e).expect("seed");
        e.logout().expect("logout");
        drop(e);
        (dir, path)
    });
    p
}

pub fn clock() -> Clock {
    Clock::parse("2026-11-23T09:30:00+08:00").expect("clock")
}

pub struct Station {
    pub dir: TempDir,
    pub app: App<tauri::test::MockRuntime>,
    pub w: WebviewWindow<tauri::test::MockRuntime>,
    pub notices: std::path::PathBuf,
}

pub fn station() -> Station {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("station.sqlite3");
    // WAL mode: the template was closed cleanly, so the main file holds everything.
    std::fs::copy(template(), &db).expect("copy template");
    let engine = Engine::open(&db).expect("open").with_clock(clock());
    let app = with_commands(mock_builder())
        .manage(AppState::new(engine, true).with_print_dir(dir.path().join("notices")))
        .build(mock_context(noop_assets()))
        .expect("app");
    let w = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    Station {
        notices: dir.path().join("notices"),
        dir,
        app,
        w,
    }
}

impl Station {
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.call_in(&self.w, cmd, args)
    }

    /// A call from another window of the app (the applicant screen).
    pub fn call_in(
        &self,
        w: &WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        let req = InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(w, req).map(|b| b.deserialize::<Value>().expect("json"))
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => v,
            Err(e) => panic!("{cmd} failed: {e}"),
        }
    }

    pub fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should fail, got {v}"),
            Err(e) => e,
        }
    }

    pub fn login(&self, staff: &str) {
        self.ok("login", json!({"staffNo": staff, "password": "demo1234"}));
    }

    pub fn register(&self, item: &str, materials: Value) -> Value {
        self.ok(
            "register_case",
            json!({"input": {
                "item_code": item,
                "applicant": {"kind": "person", "name": "赵测试", "id_type": "resident_id",
                              "id_no": "11010519491231002X", "phone": "13800000000"},
                "materials": materials,
            }}),
        )
    }
}
