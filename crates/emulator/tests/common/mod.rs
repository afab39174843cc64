//! A tiny blocking HTTP/1.1 client over real sockets, and helpers that speak each platform's protocol.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use chrono::{DateTime, Utc};
use emulator::dataset::Call;
use serde_json::Value;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length").and_then(|v| v.parse().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("status {}: not JSON ({e}): {}", self.status, String::from_utf8_lossy(&self.body))
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a fresh connection (`Connection: close`); the body is whatever arrived before the close.
pub fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    head += &format!("Content-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    head += "\r\n";
    s.write_all(head.as_bytes()).expect("write head");
    s.write_all(body).expect("write body");
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    assert!(
        !headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")),
        "this client reads Content-Length bodies only"
    );
    Resp { status, headers, body: raw[split + 4..].to_vec() }
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

pub fn base64(input: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = input.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
}

// ---- NetSapiens

pub fn ns_token_request(addr: SocketAddr, user: &str, password: &str) -> Resp {
    let body = serde_json::json!({
        "grant_type": "password", "client_id": emulator::DEMO_NS_CLIENT_ID,
        "client_secret": emulator::DEMO_NS_CLIENT_SECRET, "username": user, "password": password,
    });
    request(addr, "POST", "/ns-api/v2/tokens", &[("Content-Type", "application/json")], body.to_string().as_bytes())
}

/// A NetSapiens access token from the v2 password grant with the demo credentials.
pub fn ns_token(addr: SocketAddr) -> String {
    let r = ns_token_request(addr, emulator::DEMO_NS_USERNAME, emulator::DEMO_NS_PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().expect("access_token").to_string()
}

pub fn ns_get(addr: SocketAddr, token: &str, target: &str) -> Resp {
    request(addr, "GET", target, &[("Authorization", &format!("Bearer {token}"))], b"")
}

pub fn v2_cdrs(
    addr: SocketAddr,
    token: &str,
    domain: &str,
    (from, to): (&str, &str),
    ty: &str,
    start: u64,
    limit: u64,
) -> Resp {
    let mut q = format!("datetime-start={}&datetime-end={}&start={start}&limit={limit}", enc(from), enc(to));
    if !ty.is_empty() {
        q += &format!("&type={ty}");
    }
    ns_get(addr, token, &format!("/ns-api/v2/domains/{domain}/cdrs?{q}"))
}

pub fn v1(addr: SocketAddr, token: &str, object: &str, action: &str, params: &[(&str, &str)]) -> Resp {
    let target = format!("/ns-api/?object={object}&action={action}&format=json");
    let headers =
        [("Authorization", format!("Bearer {token}")), ("Content-Type", "application/x-www-form-urlencoded".into())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    request(addr, "POST", &target, &headers, form(params).as_bytes())
}

/// Digits of a value that may be a JSON integer or a string.
pub fn digits(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a number or string: {other}"),
    }
}

/// A v2 row as the dataset's call.
pub fn v2_call(row: &Value) -> (Call, emulator::dataset::CallKind) {
    let answer = row["call-answer-datetime"].as_str().expect("answer");
    let kind = match row["call-direction"].as_u64() {
        Some(0) => emulator::dataset::CallKind::Inbound,
        Some(1) => emulator::dataset::CallKind::Outbound,
        Some(2) => emulator::dataset::CallKind::OnNet,
        _ => emulator::dataset::CallKind::Missed,
    };
    let call = Call {
        id: row["id"].as_str().expect("id").to_string(),
        kind,
        from: digits(&row["call-orig-from-user"]),
        to: digits(&row["call-orig-request-user"]),
        start: at(row["call-start-datetime"].as_str().expect("start")),
        answer: (answer != "0000-00-00T00:00:00+00:00").then(|| at(answer)),
        end: at(row["call-disconnect-datetime"].as_str().expect("end")),
        hidden: row["hide-from-results"] == 1,
    };
    (call, kind)
}

fn epoch(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str().expect("v1 times are strings");
    match s {
        "" | "0" => None,
        s => DateTime::from_timestamp(s.parse().expect("epoch"), 0),
    }
}

/// A v1 row as the dataset's call.
pub fn v1_call(row: &Value) -> Call {
    use emulator::dataset::CallKind::*;
    let uri = row["orig_from_uri"].as_str().expect("orig_from_uri");
    Call {
        id: row["cdr_id"].as_str().expect("cdr_id").to_string(),
        kind: match row["type"].as_str().expect("type") {
            "0" => Outbound,
            "1" => Inbound,
            "2" => Missed,
            "3" => OnNet,
            t => panic!("type {t}"),
        },
        from: uri.trim_start_matches("sip:").split('@').next().expect("user").to_string(),
        to: row["orig_req_user"].as_str().expect("orig_req_user").to_string(),
        start: epoch(&row["time_start"]).expect("start"),
        answer: epoch(&row["time_answer"]),
        end: epoch(&row["time_release"]).expect("end"),
        hidden: row["hide"] == "1",
    }
}

// ---- Brightlink

pub fn bl_token_request(addr: SocketAddr, key: &str, secret: &str, user: &str, password: &str) -> Resp {
    let auth = format!("Basic {}", base64(&format!("{key}:{secret}")));
    let headers = [
        ("Authorization", auth.as_str()),
        ("Accept", "application/vnd.brightlink.v1+json"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let body = form(&[("grant_type", "password"), ("username", user), ("password", password)]);
    request(addr, "POST", "/brightlink/v1/oauth/token", &headers, body.as_bytes())
}

pub fn bl_token(addr: SocketAddr) -> String {
    use emulator::*;
    let r = bl_token_request(addr, DEMO_BL_API_KEY, DEMO_BL_API_SECRET, DEMO_BL_USERNAME, DEMO_BL_PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().expect("access_token").to_string()
}

pub fn bl_post(addr: SocketAddr, token: &str, path: &str, body: &Value) -> Resp {
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    request(addr, "POST", &format!("/brightlink/v1/{path}"), &headers, body.to_string().as_bytes())
}

pub fn bl_cdrs(addr: SocketAddr, token: &str, domain: &str, from: &str, to: &str, page: u64, count: u64) -> Resp {
    let body = serde_json::json!({
        "searchItems": [
            {"searchField": "DOMAIN", "searchText": domain},
            {"searchField": "START", "searchText": from},
            {"searchField": "END", "searchText": to},
        ],
        "sortBy": "startTime", "accending": true,
        "paginationData": {"pageNo": page, "resultCount": count},
    });
    bl_post(addr, token, "cdr/search", &body)
}

/// Id, from, to, start, answer, end and billsec of a Brightlink row.
pub type BlRow = (String, String, String, DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>, i64);

/// A Brightlink row as the dataset's call (kind and hidden cannot be told apart on this platform).
pub fn bl_call(row: &Value) -> BlRow {
    (
        row["callId"].as_str().expect("callId").to_string(),
        row["fromNumber"].as_str().expect("fromNumber").to_string(),
        row["toNumber"].as_str().expect("toNumber").to_string(),
        at(row["startTime"].as_str().expect("startTime")),
        row["answerTime"].as_str().map(at),
        at(row["endTime"].as_str().expect("endTime")),
        row["billsec"].as_i64().expect("billsec"),
    )
}
