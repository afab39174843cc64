//! NetSapiens call records on the wire: v2 kebab-case rows with mixed integer/string numbers, v1 all strings.

use axum::http::StatusCode;
use serde::Serialize;

use crate::dataset::{CallKind, Leg};
use crate::http::{rfc3339, Reply, JSON};

/// A number the platform sometimes sends as a JSON integer.
#[derive(Serialize)]
#[serde(untagged)]
enum Digits<'a> {
    Int(u64),
    Str(&'a str),
}

/// Digit strings without a leading zero become integers when `bit` says so: both forms show up.
fn digits(s: &str, bit: bool) -> Digits<'_> {
    let plain = bit && !s.starts_with('0') && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    match s.parse() {
        Ok(n) if plain => Digits::Int(n),
        _ => Digits::Str(s),
    }
}

fn reason(leg: &Leg) -> &'static str {
    match (leg.call.kind, leg.call.answer.is_some()) {
        (CallKind::Missed, _) => "No Answer",
        (_, false) => "Request Terminated",
        _ if leg.call.hidden => "Call Forwarded",
        _ => "Normal Clearing",
    }
}

fn term_to_uri(leg: &Leg, domain: &str) -> String {
    match leg.call.kind {
        CallKind::Outbound => format!("sip:{}@sbc.pstn.example.net", leg.call.to),
        _ => format!("sip:{}@{domain}", leg.user),
    }
}

#[derive(Serialize)]
struct V2Cdr<'a> {
    id: &'a str,
    domain: &'a str,
    #[serde(rename = "call-direction")]
    direction: u8,
    #[serde(rename = "call-start-datetime")]
    start: String,
    #[serde(rename = "call-answer-datetime")]
    answer: String,
    #[serde(rename = "call-disconnect-datetime")]
    disconnect: String,
    #[serde(rename = "call-total-duration-seconds")]
    total: i64,
    #[serde(rename = "call-talking-duration-seconds")]
    talking: i64,
    #[serde(rename = "call-orig-from-user")]
    from_user: Digits<'a>,
    #[serde(rename = "call-orig-caller-id")]
    caller_id: Digits<'a>,
    #[serde(rename = "call-orig-request-user")]
    request_user: Digits<'a>,
    #[serde(rename = "call-orig-to-user")]
    to_user: &'a str,
    #[serde(rename = "call-term-to-uri")]
    term_to_uri: String,
    #[serde(rename = "call-orig-call-id")]
    call_id: String,
    #[serde(rename = "call-parent-cdr-id")]
    parent: &'a str,
    #[serde(rename = "call-disconnect-reason-text")]
    reason: &'static str,
    #[serde(rename = "hide-from-results")]
    hide: u8,
}

/// v2 `call-direction`; public sources disagree on the codes, so clients must not rely on them.
fn direction(kind: CallKind) -> u8 {
    match kind {
        CallKind::Inbound => 0,
        CallKind::Outbound => 1,
        CallKind::OnNet => 2,
        CallKind::Missed => 3,
    }
}

/// One v2 row.
fn v2<'a>(leg: &'a Leg, domain: &'a str) -> V2Cdr<'a> {
    let c = &leg.call;
    V2Cdr {
        id: &c.id,
        domain,
        direction: direction(c.kind),
        start: rfc3339(c.start, "+00:00"),
        answer: c.answer.map_or_else(|| "0000-00-00T00:00:00+00:00".to_string(), |a| rfc3339(a, "+00:00")),
        disconnect: rfc3339(c.end, "+00:00"),
        total: (c.end - c.start).num_seconds(),
        talking: c.talk_seconds(),
        from_user: digits(&c.from, leg.bits & 1 == 1),
        caller_id: digits(&c.from, leg.bits & 2 == 2),
        request_user: digits(&c.to, leg.bits & 4 == 4),
        to_user: &leg.user,
        term_to_uri: term_to_uri(leg, domain),
        call_id: format!("{:016x}@192.0.2.{}", leg.bits, (leg.bits >> 56) % 250 + 1),
        parent: &leg.parent,
        reason: reason(leg),
        hide: u8::from(c.hidden),
    }
}

/// A v2 page: a JSON array (`[]` when empty).
pub(crate) fn v2_page(legs: &[Leg], domain: &str) -> Reply {
    let rows: Vec<V2Cdr<'_>> = legs.iter().map(|l| v2(l, domain)).collect();
    Reply::json_sized(StatusCode::OK, &rows, legs.len() * 720)
}

/// A v1 page: a JSON array, or `{}` when empty.
pub(crate) fn v1_page(legs: &[Leg], domain: &str) -> Reply {
    if legs.is_empty() {
        return Reply::raw(StatusCode::OK, JSON, b"{}".to_vec());
    }
    let rows: Vec<V1Cdr<'_>> = legs.iter().map(|l| v1(l, domain)).collect();
    Reply::json_sized(StatusCode::OK, &rows, legs.len() * 480)
}

#[derive(Serialize)]
struct V1Cdr<'a> {
    cdr_id: &'a str,
    domain: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    orig_from_uri: String,
    orig_req_user: &'a str,
    orig_to_user: &'a str,
    term_to_uri: String,
    time_start: String,
    time_answer: String,
    time_release: String,
    duration: String,
    time_talking: String,
    hide: &'static str,
}

/// One v1 row: every value a string, times as epoch seconds.
fn v1<'a>(leg: &'a Leg, domain: &'a str) -> V1Cdr<'a> {
    let c = &leg.call;
    let unanswered = if leg.bits & 8 == 8 { "0" } else { "" };
    V1Cdr {
        cdr_id: &c.id,
        domain,
        kind: match c.kind {
            CallKind::Outbound => "0",
            CallKind::Inbound => "1",
            CallKind::Missed => "2",
            CallKind::OnNet => "3",
        },
        orig_from_uri: format!("sip:{}@{domain}", c.from),
        orig_req_user: &c.to,
        orig_to_user: &leg.user,
        term_to_uri: term_to_uri(leg, domain),
        time_start: c.start.timestamp().to_string(),
        time_answer: c.answer.map_or_else(|| unanswered.to_string(), |a| a.timestamp().to_string()),
        time_release: c.end.timestamp().to_string(),
        duration: (c.end - c.start).num_seconds().to_string(),
        time_talking: c.talk_seconds().to_string(),
        hide: if c.hidden { "1" } else { "0" },
    }
}
