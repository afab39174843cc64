//! Each fault kind, observed on real sockets, counted across both platforms and fired once.

mod common;

use std::time::{Duration, Instant};

use common::*;
use emulator::{Config, DomainSpec, Emulator, Fault, FaultKind};

const DOMAIN: &str = "faulty.example.net";
const FROM: &str = "2024-04-02T00:00:00Z";
const TO: &str = "2024-04-03T00:00:00Z";

fn with(faults: &[(FaultKind, u64, u64)]) -> Emulator {
    let mut c = Config::demo(5);
    c.domains = vec![DomainSpec::new(DOMAIN, 300, 5, "UTC")];
    c.faults = faults.iter().map(|&(kind, at, delay_ms)| Fault { kind, at, delay_ms }).collect();
    Emulator::spawn(c).expect("emulator")
}

fn page(e: &Emulator, tok: &str, start: u64) -> Resp {
    v2_cdrs(e.addr(), tok, DOMAIN, (FROM, TO), "", start, 100)
}

#[test]
fn rate_limit_then_the_same_request_succeeds_after_retry_after() {
    let e = with(&[(FaultKind::RateLimit, 2, 1)]);
    let tok = ns_token(e.addr());
    assert_eq!(page(&e, &tok, 0).status, 200);
    let r = page(&e, &tok, 100);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")), "1 ms rounds up to 1 s");
    assert_eq!(r.json()["code"], 429);
    assert_eq!(e.faults_fired(), vec![FaultKind::RateLimit]);
    // Too early: still limited (fires no other fault); the other platform is not limited.
    let early = page(&e, &tok, 100);
    assert_eq!(early.status, 429);
    assert!(early.header("retry-after").and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s == 1));
    let bl = bl_token(e.addr());
    assert_eq!(bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 0, 100).status, 200);
    std::thread::sleep(Duration::from_millis(1050));
    let again = page(&e, &tok, 100);
    assert_eq!(again.status, 200);
    assert_eq!(again.json().as_array().map(Vec::len), Some(100));
    assert_eq!((e.page_requests(), e.faults_fired()), (5, vec![FaultKind::RateLimit]));
}

#[test]
fn server_error_is_a_500_with_a_small_body() {
    let e = with(&[(FaultKind::ServerError, 1, 0)]);
    let tok = bl_token(e.addr());
    let r = bl_cdrs(e.addr(), &tok, DOMAIN, FROM, TO, 0, 100);
    assert_eq!(r.status, 500);
    assert!(r.body.len() < 200);
    assert_eq!(bl_cdrs(e.addr(), &tok, DOMAIN, FROM, TO, 0, 100).status, 200);
}

#[test]
fn slow_holds_the_right_answer() {
    let e = with(&[(FaultKind::Slow, 1, 700)]);
    let tok = ns_token(e.addr());
    let t = Instant::now();
    let slow = page(&e, &tok, 0);
    assert!(t.elapsed() >= Duration::from_millis(700));
    let t = Instant::now();
    let fast = page(&e, &tok, 0);
    assert!(t.elapsed() < Duration::from_millis(700));
    assert_eq!((slow.status, slow.body), (200, fast.body));
}

#[test]
fn drop_connection_announces_the_full_length_and_sends_half() {
    let e = with(&[(FaultKind::DropConnection, 1, 0)]);
    let tok = ns_token(e.addr());
    let r = page(&e, &tok, 0);
    let full = page(&e, &tok, 0);
    assert_eq!(r.status, 200);
    assert_eq!(r.content_length(), Some(full.body.len()));
    assert_eq!(r.body.len(), full.body.len() / 2, "half the body, then the connection closes");
    assert!(full.body.starts_with(&r.body));
}

#[test]
fn truncated_json_is_a_complete_body_cut_in_half() {
    let e = with(&[(FaultKind::TruncatedJson, 1, 0)]);
    let tok = ns_token(e.addr());
    let params = [("domain", DOMAIN), ("start_date", "2024-04-02 00:00:00"), ("end_date", "2024-04-03 00:00:00")];
    let r = v1(e.addr(), &tok, "cdr2", "read", &params);
    let full = v1(e.addr(), &tok, "cdr2", "read", &params);
    assert_eq!(r.status, 200);
    assert_eq!(r.content_length(), Some(r.body.len()));
    assert_eq!(r.body.len(), full.body.len() / 2);
    assert!(full.body.starts_with(&r.body));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
}

#[test]
fn expired_token_revokes_the_token_and_a_new_one_works() {
    let e = with(&[(FaultKind::ExpiredToken, 1, 0), (FaultKind::ExpiredToken, 3, 0)]);
    let tok = ns_token(e.addr());
    let r = page(&e, &tok, 0);
    assert_eq!((r.status, r.json()["code"].as_u64()), (401, Some(401)));
    assert_eq!(page(&e, &tok, 0).status, 401, "the token stays revoked");
    assert_eq!(e.page_requests(), 1, "401s for an expired token are not page requests");
    let fresh = ns_token(e.addr());
    assert_eq!(page(&e, &fresh, 0).status, 200);
    // API keys never expire: the fault answers 401 once, and the key still works.
    assert_eq!(page(&e, emulator::DEMO_NS_API_KEY, 0).status, 401);
    assert_eq!(page(&e, emulator::DEMO_NS_API_KEY, 0).status, 200);
    assert_eq!(e.faults_fired(), vec![FaultKind::ExpiredToken, FaultKind::ExpiredToken]);
}

#[test]
fn repeat_page_serves_the_previous_page() {
    let e = with(&[(FaultKind::RepeatPage, 1, 0), (FaultKind::RepeatPage, 3, 0), (FaultKind::RepeatPage, 6, 0)]);
    let tok = ns_token(e.addr());
    let first = page(&e, &tok, 0);
    assert_eq!(first.body, page(&e, &tok, 0).body, "at offset 0 the same page");
    let repeated = page(&e, &tok, 100);
    assert_eq!(repeated.body, first.body);
    assert_ne!(page(&e, &tok, 100).body, first.body);
    let bl = bl_token(e.addr());
    let bl_first = bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 0, 50).json();
    let bl_repeated = bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 1, 50).json();
    assert_eq!(bl_repeated, bl_first);
    assert_ne!(bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 1, 50).json(), bl_first);
    assert_eq!(e.faults_fired().len(), 3);
}

#[test]
fn faults_count_page_requests_of_both_platforms_and_fire_once() {
    let e = with(&[(FaultKind::ServerError, 3, 0), (FaultKind::RateLimit, 3, 0), (FaultKind::ServerError, 5, 0)]);
    let (ns, bl) = (ns_token(e.addr()), bl_token(e.addr()));
    let params = [("domain", DOMAIN), ("start_date", "2024-04-02 00:00:00"), ("end_date", "2024-04-03 00:00:00")];
    let statuses = [
        page(&e, &ns, 0).status,
        bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 0, 100).status,
        v1(e.addr(), &ns, "cdr2", "read", &params).status,
        page(&e, &ns, 0).status,
        bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 0, 100).status,
        page(&e, &ns, 0).status,
    ];
    // The last NetSapiens request is still inside the rate limit's Retry-After; counts are not page requests.
    assert_eq!(v1(e.addr(), &ns, "cdr2", "count", &params).status, 200);
    assert_eq!(statuses, [200, 200, 500, 429, 500, 429]);
    assert_eq!(e.page_requests(), 6);
    assert_eq!(e.faults_fired(), vec![FaultKind::ServerError, FaultKind::RateLimit, FaultKind::ServerError]);
}

#[test]
fn release_before_answer_flaws_the_first_answered_record_shown() {
    let e = with(&[
        (FaultKind::ReleaseBeforeAnswer, 1, 0),
        (FaultKind::ReleaseBeforeAnswer, 3, 0),
        (FaultKind::ReleaseBeforeAnswer, 4, 0),
    ]);
    let tok = ns_token(e.addr());
    let answered =
        |r: &serde_json::Value| r["call-answer-datetime"] != "0000-00-00T00:00:00+00:00" && r["hide-from-results"] == 0;
    let flawed = page(&e, &tok, 0).json();
    let first = flawed.as_array().and_then(|rows| rows.iter().position(answered)).expect("an answered record");
    let row = &flawed[first];
    let (answer, end) = (row["call-answer-datetime"].as_str(), row["call-disconnect-datetime"].as_str());
    assert_eq!(at(answer.expect("answer")) - at(end.expect("end")), chrono::Duration::seconds(5), "{row}");
    let clean = page(&e, &tok, 0).json();
    assert_eq!(flawed.as_array().map(Vec::len), clean.as_array().map(Vec::len));
    let differ = (0..clean.as_array().map_or(0, Vec::len)).filter(|i| flawed[i] != clean[i]).count();
    assert_eq!(differ, 1, "one record is flawed");
    let v1_rows = v1(
        e.addr(),
        &tok,
        "cdr2",
        "read",
        &[("domain", DOMAIN), ("start_date", "2024-04-02 00:00:00"), ("end_date", "2024-04-03 00:00:00")],
    )
    .json();
    let flawed_v1 = v1_rows.as_array().and_then(|rows| {
        let answered =
            |r: &&serde_json::Value| r["time_answer"].as_str().is_some_and(|a| a.parse::<i64>().is_ok_and(|a| a > 0));
        rows.iter().filter(|r| r["hide"] == "0" && r["type"] != "2").find(answered)
    });
    let flawed_v1 = flawed_v1.expect("an answered v1 record");
    let secs = |k: &str| flawed_v1[k].as_str().and_then(|s| s.parse::<i64>().ok()).expect("epoch seconds");
    assert_eq!(secs("time_answer") - secs("time_release"), 5, "{flawed_v1}");
    let bl = bl_token(e.addr());
    let bl_page = bl_cdrs(e.addr(), &bl, DOMAIN, FROM, TO, 0, 100).json();
    let bl_row = bl_page["cdrs"].as_array().and_then(|r| r.iter().find(|r| !r["answerTime"].is_null()).cloned());
    let bl_row = bl_row.expect("an answered Brightlink record");
    let (answer, end) = (bl_row["answerTime"].as_str(), bl_row["endTime"].as_str());
    assert_eq!(at(answer.expect("answer")) - at(end.expect("end")), chrono::Duration::seconds(5));
}
