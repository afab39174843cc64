//! `meter serve`: the JSON API answers the documents the command line prints for the same data,
//! its errors carry a stable code, and the server runs the scheduler, on both backends.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

on_both_backends! {
    the_api_answers_what_the_command_line_prints,
    meter_serve_runs_the_scheduler_and_stops_on_sigterm,
}

/// A running `meter serve` and a client of it.
struct Server {
    process: Spawned,
    base: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    /// The API token every request carries (`Authorization: Bearer`), if any.
    token: Option<String>,
}

impl Server {
    /// Starts `meter serve` on a free port of 127.0.0.1 and waits until it answers.
    fn start(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", &listen];
        all.extend_from_slice(args);
        let process = env.spawn_with_env(&all, vars);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let token = Some(new_token(env, "billing"));
        let mut server =
            Server { base: format!("http://{listen}"), process, runtime, client: reqwest::Client::new(), token };
        let started = std::time::Instant::now();
        while server.try_get("/api/v1/openapi.json").is_none() {
            assert!(server.process.is_running(), "meter serve ended before answering");
            assert!(started.elapsed() < Duration::from_secs(30), "meter serve did not answer within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Option<(u16, Value)> {
        self.runtime.block_on(async {
            let mut r = self.client.request(method, format!("{}{path}", self.base));
            if let Some(token) = &self.token {
                r = r.bearer_auth(token);
            }
            if let Some(body) = body {
                r = r.json(&body);
            }
            let r = r.send().await.ok()?;
            Some((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
        })
    }

    fn try_get(&self, path: &str) -> Option<(u16, Value)> {
        self.request(reqwest::Method::GET, path, None)
    }

    #[track_caller]
    fn get(&self, path: &str) -> (u16, Value) {
        self.try_get(path).unwrap_or_else(|| panic!("GET {path}: no answer"))
    }

    #[track_caller]
    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, Some(body)).unwrap_or_else(|| panic!("POST {path}: no answer"))
    }

    /// The same server asked with another token (`None`: without one).
    fn with_token(&self, token: Option<&str>) -> Server2<'_> {
        Server2 { server: self, token: token.map(str::to_owned) }
    }

    /// SIGTERM, then how the server ended.
    fn stop(self) -> Ended {
        self.process.signal("TERM");
        self.process.wait(Duration::from_secs(30))
    }
}

/// The server asked with another token.
struct Server2<'a> {
    server: &'a Server,
    token: Option<String>,
}

impl Server2<'_> {
    /// The status of `method path` (a JSON body for the others than GET).
    fn status(&self, method: reqwest::Method, path: &str) -> (u16, Value) {
        let s = self.server;
        s.runtime.block_on(async {
            let mut r = s.client.request(method.clone(), format!("{}{path}", s.base));
            if let Some(token) = &self.token {
                r = r.bearer_auth(token);
            }
            if method != reqwest::Method::GET {
                r = r.json(&json!({"customer": "acme", "from": "2026-10-01", "to": "2026-10-31"}));
            }
            let r = r.send().await.expect("an answer");
            (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
        })
    }
}

/// `meter tokens create --role ROLE`: the token alone on stdout.
fn new_token(env: &Env, role: &str) -> String {
    let run = env.meter(&["tokens", "create", "--role", role, "--name", &format!("{role} robot")]);
    run.assert_ok();
    run.stdout.trim().to_owned()
}

fn the_api_answers_what_the_command_line_prints(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("c1", "acme", "2026-10-03T10:00:00Z", 125),
        Cdr::international("c2", "acme", "2026-10-04T11:00:00Z", 61),
        Cdr::on_net("c3", "acme", "2026-10-05T12:00:00Z", 30),
        Cdr::domestic("c4", "globex", "2026-10-06T13:00:00Z", 40),
        Cdr::domestic("c5", "acme", "2026-10-07T13:00:00Z", 0),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let server = Server::start(&env, &["--no-scheduler"], &[]);

    let printed = env.meter(&["customers", "list", "--format", "json"]);
    assert_eq!(server.get("/api/v1/customers"), (200, printed.json()), "the customers");
    let printed = env.meter(&["customers", "show", "acme", "--format", "json"]);
    assert_eq!(server.get("/api/v1/customers/acme"), (200, printed.json()), "a customer");

    let days = json!({"customer": "acme", "from": "2026-10-01", "to": "2026-10-31"});
    let printed = env.preview("acme", "2026-10-01", "2026-10-31");
    assert!(printed["lines"].as_array().map_or(0, Vec::len) >= 3, "{printed:#}");
    assert_eq!(server.post("/api/v1/invoices/preview", days.clone()), (200, printed), "the preview");

    let (status, created) = server.post("/api/v1/invoices", days.clone());
    assert_eq!(status, 201, "{created:#}");
    let id = created["id"].as_str().expect("the invoice's id");
    let shown = env.show(id);
    assert_eq!(server.get(&format!("/api/v1/invoices/{id}")), (200, shown.clone()), "the invoice");
    for field in ["lines", "total", "customer", "from", "to", "status"] {
        assert_eq!(created[field], shown[field], "{field} of the created invoice");
    }
    let printed = env.meter(&["invoice", "list", "--format", "json"]);
    assert_eq!(server.get("/api/v1/invoices"), (200, printed.json()), "the invoice list");

    // The call listing, a page of two at a time, is the command line's.
    let printed = env.meter(&["calls", "list", "--customer", "acme", "--format", "json"]).json();
    let mut listed = Vec::new();
    let mut path = "/api/v1/calls?customer=acme&limit=2".to_owned();
    loop {
        let (status, page) = server.get(&path);
        assert_eq!(status, 200, "{page:#}");
        listed.extend(page["calls"].as_array().expect("calls").iter().cloned());
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/calls?customer=acme&limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(Value::Array(listed), printed["calls"], "the calls, page by page");

    let printed = env.meter(&["jobs", "list", "--format", "json"]);
    assert_eq!(server.get("/api/v1/jobs"), (200, printed.json()), "the jobs");

    // Errors: a status and a stable code.
    let (status, body) = server.get("/api/v1/customers/nobody");
    assert_eq!((status, &body["error"]["code"]), (404, &json!("unknown_customer")), "{body:#}");
    let (status, body) =
        server.post("/api/v1/invoices/preview", json!({"customer": "acme", "from": "2026-10-31", "to": "2026-10-01"}));
    assert_eq!((status, &body["error"]["code"]), (400, &json!("reversed_range")), "{body:#}");
    let (status, body) = server.post(&format!("/api/v1/invoices/{id}/void"), json!({"reason": "wrong"}));
    assert_eq!((status, &body["error"]["code"]), (409, &json!("wrong_state")), "a draft is not voided: {body:#}");
    let (status, body) = server.get("/api/v1/calls?after=netsapiens/none");
    assert_eq!((status, &body["error"]["code"]), (400, &json!("bad_request")), "{body:#}");

    // The document of the API is open to all; the rest needs a valid token whose role may.
    let get = reqwest::Method::GET;
    let anonymous = server.with_token(None);
    assert_eq!(anonymous.status(get.clone(), "/api/v1/openapi.json").0, 200);
    let viewer = new_token(&env, "viewer");
    let revoked = new_token(&env, "admin");
    let listed = env.meter(&["tokens", "list", "--format", "json"]).json();
    let id =
        listed["tokens"].as_array().expect("tokens").iter().find(|t| t["role"] == "admin").expect("the admin token")
            ["id"]
            .to_string();
    env.meter(&["tokens", "revoke", &id]).assert_ok();
    let routes = [
        (get.clone(), "/api/v1/customers"),
        (get.clone(), "/api/v1/customers/acme"),
        (get.clone(), "/api/v1/calls"),
        (get.clone(), "/api/v1/invoices"),
        (get.clone(), "/api/v1/jobs"),
        (reqwest::Method::POST, "/api/v1/invoices/preview"),
        (reqwest::Method::POST, "/api/v1/invoices"),
        (reqwest::Method::DELETE, "/api/v1/invoices/D-1"),
        (reqwest::Method::POST, "/api/v1/invoices/D-1/finalize"),
        (reqwest::Method::POST, "/api/v1/syncs"),
    ];
    for (method, path) in routes {
        for (who, token) in
            [("no token", None), ("a wrong token", Some("mtr_wrong")), ("a revoked token", Some(revoked.as_str()))]
        {
            let (status, body) = server.with_token(token).status(method.clone(), path);
            assert_eq!((status, &body["error"]["code"]), (401, &json!("unauthorized")), "{method} {path} with {who}");
        }
        let (status, body) = server.with_token(Some(&viewer)).status(method.clone(), path);
        if method == get {
            assert_ne!(status, 401, "{method} {path} for a viewer: {body}");
            assert_ne!(status, 403, "{method} {path} for a viewer: {body}");
        } else {
            assert_eq!((status, &body["error"]["code"]), (403, &json!("forbidden")), "{method} {path} for a viewer");
        }
    }

    let ended = server.stop();
    assert_eq!(ended.run.code, 0, "meter serve after SIGTERM:\n{}", ended.run.dump());
}

/// The scheduler inside `meter serve` runs the due day's cycle, as `meter scheduler` does.
fn meter_serve_runs_the_scheduler_and_stops_on_sigterm(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("c1", "acme", "2026-10-03T10:00:00Z", 125),
        Cdr::domestic("c2", "globex", "2026-10-06T13:00:00Z", 40),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let now = [("METER_TEST_NOW", "2026-11-01T08:00:00Z")];
    let server = Server::start(&env, &["--at", "02:00", "--zone", "UTC"], &now);
    let started = std::time::Instant::now();
    let invoices = loop {
        let (_, doc) = server.get("/api/v1/invoices");
        let list = doc["invoices"].as_array().cloned().unwrap_or_default();
        if list.len() == 2 {
            break list;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let jobs = server.get("/api/v1/jobs").1;
            panic!("the scheduler invoiced {list:?} in 60 s; jobs: {jobs:#}\n{}", server.stop().run.dump());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut customers: Vec<&str> = invoices.iter().filter_map(|i| i["customer"].as_str()).collect();
    customers.sort();
    assert_eq!(customers, ["acme", "globex"]);
    assert!(invoices.iter().all(|i| i["from"] == "2026-10-01" && i["to"] == "2026-10-31"), "{invoices:?}");
    let (_, jobs) = server.get("/api/v1/jobs");
    let kinds: Vec<&str> = jobs["jobs"].as_array().expect("jobs").iter().filter_map(|j| j["kind"].as_str()).collect();
    assert!(kinds.contains(&"scheduler") && kinds.contains(&"cycle"), "{jobs:#}");
    let ended = server.stop();
    assert_eq!(ended.run.code, 0, "meter serve after SIGTERM:\n{}", ended.run.dump());
}
