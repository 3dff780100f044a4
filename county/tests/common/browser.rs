//! A browser as the console sees it, for the console's tests: a cookie jar
//! of one cookie, the CSRF token the page would have from `/session`, JSON
//! or raw bodies in, JSON or bytes (an export's workbook) out.
#![allow(dead_code)]

use serde_json::{Value, json};
use yichuang_county::RunningServer;
use yichuang_county::console::accounts::{Actor, NewStaff, add_staff};

pub const ADMIN_PASSWORD: &str = "县级管理员口令2026";
pub const STAFF_PASSWORD: &str = "督查窗口口令2026";

pub struct Browser {
    pub agent: ureq::Agent,
    pub base: String,
    pub cookie: Option<String>,
    pub csrf: String,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Option<String>,
    pub content_type: String,
    /// The raw body (an export's workbook).
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

    /// Any request to `/console/api/{path}`; a body is sent as JSON unless
    /// `raw` is given.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        json_body: bool,
        csrf: Option<&str>,
    ) -> Answer {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}/console/api/{path}", self.base));
        if let Some(c) = &self.cookie {
            b = b.header("Cookie", format!("yc_console={c}"));
        }
        if let Some(t) = csrf {
            b = b.header("X-CSRF-Token", t);
        }
        if json_body {
            b = b.header("Content-Type", "application/json");
        }
        let req = b.body(body.to_vec()).expect("request");
        let mut r = self.agent.run(req).expect("answer");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let set_cookie = header("set-cookie");
        let content_type = header("content-type").unwrap_or_default();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap_or_default();
        Answer {
            status: r.status().as_u16(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            set_cookie,
            content_type,
            bytes,
        }
    }

    pub fn send(&self, method: &str, path: &str, body: Option<&str>, csrf: Option<&str>) -> Answer {
        self.request(
            method,
            path,
            body.unwrap_or("").as_bytes(),
            body.is_some(),
            csrf,
        )
    }

    /// A raw body (an uploaded file), no content type of ours.
    pub fn raw(&self, method: &str, path: &str, body: &[u8], csrf: Option<&str>) -> Answer {
        self.request(method, path, body, false, csrf)
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, None)
    }

    /// A change with a raw body and the session's CSRF token.
    pub fn post(&self, path: &str, body: &[u8]) -> Answer {
        self.raw("POST", path, body, Some(&self.csrf))
    }

    /// A change, with the session's CSRF token.
    pub fn change(&self, method: &str, path: &str, body: Value) -> Answer {
        self.send(method, path, Some(&body.to_string()), Some(&self.csrf))
    }

    pub fn login(&mut self, login: &str, password: &str) -> Answer {
        let a = self.send(
            "POST",
            "session",
            Some(&json!({"login": login, "password": password}).to_string()),
            None,
        );
        if a.status == 200 {
            let c = a.set_cookie.as_deref().expect("a session cookie");
            let token = c
                .split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .map(|(_, v)| v.to_owned())
                .expect("token");
            self.cookie = Some(token);
            self.csrf = a.body["csrf_token"].as_str().expect("csrf").to_owned();
        }
        a
    }
}

/// The first administrator, as `staff add` makes it.
pub fn first_admin(srv: &RunningServer) {
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
}

/// The administrator, logged in.
pub fn admin(srv: &RunningServer) -> Browser {
    logged_in(srv, "admin", ADMIN_PASSWORD)
}

pub fn logged_in(srv: &RunningServer, login: &str, password: &str) -> Browser {
    let mut b = Browser::new(srv);
    let a = b.login(login, password);
    assert_eq!(a.status, 200, "log-in of {login}: {}", a.body);
    b
}

/// An account of `role` (login `u.<role>`) added by the administrator, logged in.
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
