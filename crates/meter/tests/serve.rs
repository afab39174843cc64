//! `meter serve`: the JSON API answers the documents the command line prints for the same data,
//! its errors carry a stable code, and the server runs the scheduler, on both backends.

mod common;

use common::server::{new_token, Server};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

on_both_backends! {
    the_api_answers_what_the_command_line_prints,
    meter_serve_runs_the_scheduler_and_stops_on_sigterm,
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
