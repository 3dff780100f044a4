//! A browser as the console sees it (for the console pages' API tests): a
//! cookie jar of one cookie, and the CSRF token the page would have from
//! `/session`. `console.rs` has its own copy of the JSON half.

use serde_json::{Value, json};
use yichuang_county::RunningServer;
use yichuang_county::console::accounts::{Actor, NewStaff, add_staff};

pub const ADMIN_PASSWORD: &str = "县级管理员口令2026";
pub const STAFF_PASSWORD: &str = "督查窗口口令2026";

pub struct Browser {
    agent: ureq::Agent,
    base: String,
    pub cookie: Option<String>,
    pub csrf: String,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Browser {
    pub fn new(srv: &RunningServer) -> Browser {
        Browser {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent(),
            base: srv.url(),
            cookie: None,
            csrf: String::new(),
        }
    }

    /// Any request to `/console/api/{path}` with a raw body.
    pub fn raw(&self, method: &str, path: &str, body: &[u8], csrf: Option<&str>) -> Answer {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}/console/api/{path}", self.base));
        if let Some(c) = &self.cookie {
            b = b.header("Cookie", format!("yc_console={c}"));
        }
        if let Some(t) = csrf {
            b = b.header("X-CSRF-Token", t);
        }
        let req = b.body(body.to_vec()).expect("request");
        let mut r = self.agent.run(req).expect("answer");
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        Answer {
            status: r.status().as_u16(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            content_type,
            bytes,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.raw("GET", path, b"", None)
    }

    /// A change with a raw body and the session's CSRF token.
    pub fn post(&self, path: &str, body: &[u8]) -> Answer {
        self.raw("POST", path, body, Some(&self.csrf))
    }

    pub fn change(&self, method: &str, path: &str, body: Value) -> Answer {
        self.raw(method, path, body.to_string().as_bytes(), Some(&self.csrf))
    }
}

/// Logs in and keeps the cookie (ureq's agent does not keep one).
pub fn logged_in(srv: &RunningServer, login: &str, password: &str) -> Browser {
    let mut b = Browser::new(srv);
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/console/api/session", srv.url()))
        .header("Content-Type", "application/json")
        .body(
            json!({"login": login, "password": password})
                .to_string()
                .into_bytes(),
        )
        .expect("request");
    let mut r = b.agent.run(req).expect("answer");
    assert_eq!(r.status().as_u16(), 200, "log-in of {login}");
    let token = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("a session cookie");
    let me: Value =
        serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("json");
    b.cookie = Some(token);
    b.csrf = me["csrf_token"].as_str().expect("csrf").to_owned();
    b
}

/// The first administrator (as `staff add` makes it), logged in.
pub fn first_admin(srv: &RunningServer) -> Browser {
    srv.block_on(add_staff(
        &srv.state.storage,
        &Actor::command_line(),
        &NewStaff {
            login: "admin".into(),
            name: "县管理员".into(),
            role: "admin".into(),
            password: ADMIN_PASSWORD.into(),
        },
    ))
    .expect("first administrator");
    logged_in(srv, "admin", ADMIN_PASSWORD)
}

/// An account of `role` added by the administrator, logged in.
pub fn staff_of(srv: &RunningServer, admin: &Browser, role: &str) -> Browser {
    let login = format!("u.{role}");
    let a = admin.change(
        "POST",
        "staff",
        json!({"login": login, "name": format!("{role} 同志"), "role": role,
               "password": STAFF_PASSWORD}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    logged_in(srv, &login, STAFF_PASSWORD)
}
