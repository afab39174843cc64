//! NetSapiens over real sockets: tokens, v2 and v1 routes, paging that reassembles the dataset, quirks.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;
use emulator::dataset::{self, CallKind};
use emulator::{Config, DomainSpec, Emulator};
use serde_json::Value;

const DOMAIN: &str = "pbx-test.example.net";
const FROM: &str = "2024-03-01T10:30:00.5Z";
const TO: &str = "2024-03-02T17:00:00Z";

fn config() -> Config {
    let mut c = Config::demo(1234);
    c.domains = vec![DomainSpec::new(DOMAIN, 4000, 30, "US/Pacific")];
    c
}

fn spawn(c: Config) -> Emulator {
    Emulator::spawn(c).expect("emulator")
}

#[test]
fn v2_password_grant_refresh_and_wrong_credentials() {
    let e = spawn(config());
    let r = ns_token_request(e.addr(), emulator::DEMO_NS_USERNAME, emulator::DEMO_NS_PASSWORD);
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 3600);
    for k in ["access_token", "refresh_token", "domain", "scope", "apiversion", "user"] {
        assert!(j.get(k).is_some(), "{k} missing");
    }
    let wrong = ns_token_request(e.addr(), emulator::DEMO_NS_USERNAME, "nope");
    assert_eq!(wrong.status, 200);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    assert!(wrong.json().get("access_token").is_none());
    let body = serde_json::json!({"grant_type": "password", "client_id": "x", "client_secret": "y",
        "username": emulator::DEMO_NS_USERNAME, "password": emulator::DEMO_NS_PASSWORD});
    let bad_client = request(e.addr(), "POST", "/ns-api/v2/tokens", &[], body.to_string().as_bytes());
    assert_eq!((bad_client.status, bad_client.json()), (401, serde_json::json!({"error": "invalid_client"})));
    // v1 route, form-encoded refresh.
    let rt = j["refresh_token"].as_str().expect("refresh");
    let f = form(&[
        ("grant_type", "refresh_token"),
        ("client_id", emulator::DEMO_NS_CLIENT_ID),
        ("client_secret", emulator::DEMO_NS_CLIENT_SECRET),
        ("refresh_token", rt),
    ]);
    let refreshed = request(e.addr(), "POST", "/ns-api/oauth2/token/", &[], f.as_bytes());
    assert_eq!(refreshed.status, 200);
    let token = refreshed.json()["access_token"].as_str().expect("token").to_string();
    assert_ne!(token, j["access_token"].as_str().expect("first"));
    assert_eq!(ns_get(e.addr(), &token, &format!("/ns-api/v2/domains/{DOMAIN}")).status, 200);
    let f = f.replace(&enc(rt), "bogus");
    let bad = request(e.addr(), "POST", "/ns-api/oauth2/token/", &[], f.as_bytes());
    assert_eq!((bad.status, bad.json()["error"].clone()), (200, Value::from("invalid_grant")));
}

#[test]
fn tokens_expire_and_api_keys_do_not() {
    let mut c = config();
    c.netsapiens.token_ttl_secs = 1;
    let e = spawn(c);
    let token = ns_token(e.addr());
    let path = format!("/ns-api/v2/domains/{DOMAIN}");
    assert_eq!(ns_get(e.addr(), &token, &path).status, 200);
    sleep(Duration::from_millis(1100));
    let r = ns_get(e.addr(), &token, &path);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], 401);
    assert!(r.json()["message"].is_string());
    assert_eq!(v1(e.addr(), &token, "domain", "read", &[("domain", DOMAIN)]).status, 401);
    assert_eq!(ns_get(e.addr(), "made-up", &path).status, 401);
    assert_eq!(request(e.addr(), "GET", &path, &[], b"").status, 401);
    assert_eq!(ns_get(e.addr(), emulator::DEMO_NS_API_KEY, &path).status, 200);
    assert_eq!(v1(e.addr(), emulator::DEMO_NS_API_KEY, "domain", "read", &[("domain", DOMAIN)]).status, 200);
}

#[test]
fn unknown_domains_and_bad_requests() {
    let e = spawn(config());
    let tok = ns_token(e.addr());
    let r = ns_get(e.addr(), &tok, "/ns-api/v2/domains/nope.example.net");
    assert_eq!(
        (r.status, r.json()),
        (404, serde_json::json!({"code": 404, "message": "Domain nope.example.net does not exist"}))
    );
    assert_eq!(v2_cdrs(e.addr(), &tok, "nope.example.net", (FROM, TO), "", 0, 10).status, 404);
    let r = ns_get(e.addr(), &tok, &format!("/ns-api/v2/domains/{DOMAIN}/cdrs?datetime-end=2024-03-02T00:00:00Z"));
    assert_eq!((r.status, r.json()["code"].clone()), (400, Value::from(400)));
    assert_eq!(v2_cdrs(e.addr(), &tok, DOMAIN, (FROM, TO), "Sideways", 0, 10).status, 400);
    assert_eq!(v1(e.addr(), &tok, "domain", "read", &[("domain", "nope")]).text(), "[]");
    let window = [("start_date", "2024-03-01 00:00:00"), ("end_date", "2024-03-02 00:00:00")];
    let mut p = vec![("domain", "nope")];
    p.extend(window);
    assert_eq!(v1(e.addr(), &tok, "cdr2", "read", &p).text(), "{}");
    assert_eq!(v1(e.addr(), &tok, "cdr2", "count", &p).text(), "{}", "an unknown domain has no count");
    let nums = v1(e.addr(), &tok, "phonenumber", "read", &[("dialplan", "DID Table"), ("dest_domain", "nope")]);
    assert_eq!(nums.text(), "{}");
}

#[test]
fn v1_empty_window_is_an_empty_object() {
    let e = spawn(config());
    let tok = ns_token(e.addr());
    let p = [("domain", DOMAIN), ("start_date", "2024-03-01 12:00:00"), ("end_date", "2024-03-01 12:00:00")];
    let r = v1(e.addr(), &tok, "cdr2", "read", &p);
    assert_eq!((r.status, r.text()), (200, "{}".to_string()));
    let p = [("domain", DOMAIN), ("start_date", "2024-03-01 12:00:00"), ("end_date", "2024-03-01 13:00:00")];
    let r = v1(e.addr(), &tok, "cdr2", "read", &[p[0], p[1], p[2], ("start", "100000")]);
    assert_eq!(r.text(), "{}");
}

#[test]
fn without_v2_every_v2_route_is_404_and_v1_works() {
    let mut c = config();
    c.netsapiens.v2 = false;
    let e = spawn(c);
    assert_eq!(request(e.addr(), "GET", "/ns-api/v2/version", &[], b"").status, 404);
    let r = ns_token_request(e.addr(), emulator::DEMO_NS_USERNAME, emulator::DEMO_NS_PASSWORD);
    assert_eq!(r.status, 404);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err(), "a web server's 404 page, not JSON");
    let f = form(&[
        ("grant_type", "password"),
        ("client_id", emulator::DEMO_NS_CLIENT_ID),
        ("client_secret", emulator::DEMO_NS_CLIENT_SECRET),
        ("username", emulator::DEMO_NS_USERNAME),
        ("password", emulator::DEMO_NS_PASSWORD),
    ]);
    let r = request(e.addr(), "POST", "/ns-api/oauth2/token/", &[], f.as_bytes());
    let tok = r.json()["access_token"].as_str().expect("token").to_string();
    assert_eq!(ns_get(e.addr(), &tok, &format!("/ns-api/v2/domains/{DOMAIN}")).status, 404);
    assert_eq!(v2_cdrs(e.addr(), &tok, DOMAIN, (FROM, TO), "", 0, 10).status, 404);
    let d = v1(e.addr(), &tok, "domain", "read", &[("domain", DOMAIN)]).json();
    assert_eq!(d[0]["time_zone"], "US/Pacific");
}

#[test]
fn v2_pages_per_type_reassemble_the_dataset_and_counts_agree() {
    let e = spawn(config());
    let tok = ns_token(e.addr());
    // The platform's window holds its end.
    let (from, to) = (at(FROM), at(TO) + chrono::Duration::seconds(1));
    let mut served = Vec::new();
    for ty in ["Outbound", "Inbound", "On-net", "Missed"] {
        let mut start = 0;
        loop {
            let page = v2_cdrs(e.addr(), &tok, DOMAIN, (FROM, TO), ty, start, 1000).json();
            let rows = page.as_array().expect("an array");
            served.extend(rows.iter().map(v2_call));
            if rows.len() < 1000 {
                break;
            }
            start += 1000;
        }
        let count = ns_get(
            e.addr(),
            &tok,
            &format!(
                "/ns-api/v2/domains/{DOMAIN}/cdrs/count?datetime-start={}&datetime-end={}&type={ty}",
                enc(FROM),
                enc(TO)
            ),
        );
        let kind = [CallKind::Outbound, CallKind::Inbound, CallKind::OnNet, CallKind::Missed]
            [["Outbound", "Inbound", "On-net", "Missed"].iter().position(|t| *t == ty).expect("type")];
        let c = count.json();
        assert_eq!(c["total"], dataset::count_visible(1234, &config().domains[0], from, to, Some(kind)));
        assert!(c["minutes"].as_u64().expect("minutes") * 60 >= c["seconds"].as_u64().expect("seconds"));
    }
    let mut calls: Vec<_> = served.into_iter().map(|(c, _)| c).collect();
    calls.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    let expected: Vec<_> = dataset::calls(1234, &config().domains[0], from, to).collect();
    assert!(expected.len() > 3000, "{}", expected.len());
    assert_eq!(calls, expected);
}

#[test]
fn v2_numbers_are_sometimes_integers_and_unanswered_legs_have_zero_dates() {
    let e = spawn(config());
    let tok = ns_token(e.addr());
    let rows = v2_cdrs(e.addr(), &tok, DOMAIN, (FROM, TO), "", 0, 1000).json();
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 1000);
    assert!(
        rows.iter().any(|r| r["call-orig-from-user"].is_u64())
            && rows.iter().any(|r| r["call-orig-from-user"].is_string())
    );
    assert!(rows.iter().any(|r| r["call-orig-request-user"].is_u64()));
    assert!(rows.iter().any(|r| r["call-answer-datetime"] == "0000-00-00T00:00:00+00:00"));
    assert!(rows.iter().any(|r| r["hide-from-results"] == 1));
    assert!(rows.iter().all(|r| r["call-start-datetime"].as_str().is_some_and(|s| s.ends_with("+00:00"))));
    let nums = ns_get(e.addr(), &tok, &format!("/ns-api/v2/domains/{DOMAIN}/phonenumbers")).json();
    let expected = dataset::numbers(1234, &config().domains[0]);
    assert_eq!(nums.as_array().expect("array").len(), 30);
    for (n, x) in nums.as_array().expect("array").iter().zip(&expected) {
        assert_eq!(n["phonenumber"], x.number.as_str());
        assert_eq!(n["enabled"], if x.enabled { "yes" } else { "no" });
    }
    let page = ns_get(e.addr(), &tok, &format!("/ns-api/v2/domains/{DOMAIN}/phonenumbers?start=25&limit=10")).json();
    assert_eq!(page.as_array().expect("array").len(), 5);
    let past = ns_get(e.addr(), &tok, &format!("/ns-api/v2/domains/{DOMAIN}/phonenumbers?start=30&limit=10"));
    assert_eq!(past.text(), "[]");
}

#[test]
fn v1_pages_reassemble_the_dataset_with_missed_and_hidden_legs() {
    let e = spawn(config());
    let tok = ns_token(e.addr());
    let (s, t) = ("2024-03-01 10:30:01", "2024-03-02 17:00:00");
    let mut calls = Vec::new();
    let mut start = 0;
    loop {
        let st = start.to_string();
        let params = [("domain", DOMAIN), ("start_date", s), ("end_date", t), ("limit", "1000"), ("start", &st)];
        let r = v1(e.addr(), &tok, "cdr2", "read", &params);
        let rows = match r.json() {
            Value::Array(rows) => rows,
            Value::Object(o) if o.is_empty() => Vec::new(),
            other => panic!("{other}"),
        };
        assert!(rows.iter().all(|r| r["duration"].is_string() && r["time_talking"].is_string()));
        calls.extend(rows.iter().map(v1_call));
        if rows.len() < 1000 {
            break;
        }
        start += 1000;
    }
    // The platform's window holds its end.
    let through = at(TO) + chrono::Duration::seconds(1);
    let expected: Vec<_> = dataset::calls(1234, &config().domains[0], at(FROM), through).collect();
    assert_eq!(calls, expected);
    assert!(calls.iter().any(|c| c.kind == CallKind::Missed) && calls.iter().any(|c| c.hidden));
    // v1's count holds hidden legs.
    let count = v1(e.addr(), &tok, "cdr2", "count", &[("domain", DOMAIN), ("start_date", s), ("end_date", t)]).json();
    assert_eq!(count["total"], dataset::count(1234, &config().domains[0], at(FROM), through, None).to_string());
    assert!(count["minutes"].is_string());
    let nums = v1(e.addr(), &tok, "phonenumber", "read", &[("dialplan", "DID Table"), ("dest_domain", DOMAIN)]).json();
    let first = &dataset::numbers(1234, &config().domains[0])[0];
    assert_eq!(nums[0]["matchrule"], format!("sip:{}@*", first.number));
}

#[test]
fn window_ends_are_included_in_listings_and_counts() {
    let e = spawn(config());
    let tok = ns_token(e.addr());
    let spec = &config().domains[0];
    let call = dataset::calls(1234, spec, at(FROM), at(TO)).find(|c| !c.hidden).expect("a call");
    let (start, end) = (rfc(call.start - chrono::Duration::hours(1)), rfc(call.start));
    let kind = match call.kind {
        CallKind::Outbound => "Outbound",
        CallKind::Inbound => "Inbound",
        CallKind::OnNet => "On-net",
        CallKind::Missed => "Missed",
    };
    let rows = v2_cdrs(e.addr(), &tok, DOMAIN, (&start, &end), kind, 0, 1000).json();
    let listed = rows.as_array().is_some_and(|r| r.iter().any(|r| r["id"] == call.id.as_str()));
    assert!(listed, "the record starting at the end is listed");
    let count = ns_get(
        e.addr(),
        &tok,
        &format!(
            "/ns-api/v2/domains/{DOMAIN}/cdrs/count?datetime-start={}&datetime-end={}&type={kind}",
            enc(&start),
            enc(&end)
        ),
    )
    .json();
    let wanted =
        dataset::count_visible(1234, spec, at(&start), call.start + chrono::Duration::seconds(1), Some(call.kind));
    assert_eq!(count["total"], wanted);
}
