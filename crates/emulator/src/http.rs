//! Small HTTP helpers: form and query parsing, buffered replies, bearer tokens.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A complete answer before any fault touches it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub retry_after: Option<u64>,
}

pub(crate) const JSON: &str = "application/json";

impl Reply {
    /// `value` serialized straight into the body.
    pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Reply {
        Reply::json_sized(status, value, 256)
    }

    /// Like [`Reply::json`], with room for `capacity` bytes from the start.
    pub(crate) fn json_sized<T: Serialize + ?Sized>(status: StatusCode, value: &T, capacity: usize) -> Reply {
        let mut body = Vec::with_capacity(capacity);
        if let Err(e) = serde_json::to_writer(&mut body, value) {
            // Our own types always serialize; if one ever does not, say so rather than send half a body.
            tracing::error!("serializing a reply: {e}");
            return Reply::raw(StatusCode::INTERNAL_SERVER_ERROR, JSON, br#"{"error":"serialization"}"#.to_vec());
        }
        Reply { status, content_type: JSON, body, retry_after: None }
    }

    pub(crate) fn raw(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply { status, content_type, body, retry_after: None }
    }

    /// The 404 page of a web server that has no such route (what a platform without v2 answers).
    pub(crate) fn html_not_found() -> Reply {
        let body = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\
<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n";
        Reply::raw(StatusCode::NOT_FOUND, "text/html; charset=iso-8859-1", body.to_vec())
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.status_mut() = self.status;
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Decoded `application/x-www-form-urlencoded` pairs (a query string or a form body).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(s: &str) -> Params {
        let mut p = Params::default();
        p.extend(s);
        p
    }

    /// Adds the pairs of `s`; later pairs win over earlier ones of the same name.
    pub(crate) fn extend(&mut self, s: &str) {
        for pair in s.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            self.0.push((decode(k), decode(v)));
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = if b[i] == b'%' {
            b.get(i + 1).and_then(|h| hex(*h)).zip(b.get(i + 2).and_then(|l| hex(*l)))
        } else {
            None
        };
        match (b[i], escaped) {
            (_, Some((h, l))) => {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            (b'+', None) => out.push(b' '),
            (c, None) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// `user:password` of an HTTP Basic `Authorization` header.
pub(crate) fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64_decode(b64.trim())?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in s {
        acc = (acc << 6) | u32::from(val(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The error body each platform uses: NetSapiens `{"code","message"}`, Brightlink `{"error","message"}`.
pub(crate) fn error(platform: crate::auth::Platform, status: StatusCode, message: &str) -> Reply {
    match platform {
        crate::auth::Platform::NetSapiens => {
            Reply::json(status, &serde_json::json!({"code": status.as_u16(), "message": message}))
        }
        crate::auth::Platform::Brightlink => {
            let word = match status.as_u16() {
                400 => "bad_request",
                401 => "unauthorized",
                404 => "not_found",
                415 => "unsupported_media_type",
                429 => "too_many_requests",
                _ => "internal_server_error",
            };
            Reply::json(status, &serde_json::json!({"error": word, "message": message}))
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss` followed by `zone` (`+00:00` or `Z`); faster than chrono's formatter.
pub(crate) fn rfc3339(t: chrono::DateTime<chrono::Utc>, zone: &str) -> String {
    use chrono::{Datelike, Timelike};
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
}

/// The platforms' windows include their end (docs/sources.md, assumed): the half-open window
/// `[from, through(end))` holds the records starting at or before `end` (starts are whole seconds).
pub(crate) fn through(end: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(end.timestamp().saturating_add(1), 0).unwrap_or(end)
}

/// The largest NetSapiens page: the v2 maximum (v1 pages are cut at it too; v1 documents only
/// the default of 100).
const MAX_LIMIT: u64 = 1000;

/// `(start, limit)` of a NetSapiens listing: offset 0 and 100 rows when absent, at most
/// `MAX_LIMIT` rows; the message of the first bad one otherwise.
pub(crate) fn paging(p: &Params) -> Result<(u64, u64), String> {
    match (offset(p.get("start")), page_size(p.get("limit"), 100, MAX_LIMIT)) {
        (Ok(s), Ok(l)) => Ok((s, l)),
        (Err(m), _) | (_, Err(m)) => Err(m),
    }
}

/// A page size: `default` when absent, at most `max` (larger asks are cut to it, as the platforms do).
pub(crate) fn page_size(v: Option<&str>, default: u64, max: u64) -> Result<u64, String> {
    match v {
        None | Some("") => Ok(default),
        Some(s) => match s.parse::<u64>() {
            Ok(0) | Err(_) => Err(format!("limit must be a number between 1 and {max}")),
            Ok(n) => Ok(n.min(max)),
        },
    }
}

/// A 0-based offset, 0 when absent.
pub(crate) fn offset(v: Option<&str>) -> Result<u64, String> {
    match v {
        None | Some("") => Ok(0),
        Some(s) => s.parse().map_err(|_| format!("start must be a non-negative integer, not {s:?}")),
    }
}
