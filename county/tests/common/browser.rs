//! A browser as the console sees it (cookie and CSRF token), for the
//! console's API tests.

use serde_json::{Value, json};
use yichuang_county::RunningServer;

/// A browser as the console sees it: a cookie jar of one cookie, and the
/// CSRF token the page would have from `/session`.
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
    /// The raw bytes (an export's workbook).
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

    pub fn send(&self, method: &str, path: &str, body: Option<&str>, csrf: Option<&str>) -> Answer {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}/console/api/{path}", self.base));
        if let Some(c) = &self.cookie {
            b = b.header("Cookie", format!("yc_console={c}"));
        }
        if let Some(t) = csrf {
            b = b.header("X-CSRF-Token", t);
        }
        if body.is_some() {
            b = b.header("Content-Type", "application/json");
        }
        let req = b
            .body(body.unwrap_or("").as_bytes().to_vec())
            .expect("request");
        let mut r = self.agent.run(req).expect("answer");
        let set_cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = r
            .body_mut()
            .with_config()
            .limit(50 << 20)
            .read_to_vec()
            .unwrap_or_default();
        Answer {
            status: r.status().as_u16(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            set_cookie,
            bytes,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, None)
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
