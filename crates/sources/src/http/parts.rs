//! The small pieces of requests and answers: URL paths, form bodies, `Retry-After`, error messages.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

/// `base` with `segments` appended to its path (each percent-encoded as one segment).
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    // `Settings::base_url` refused URLs that cannot be a base, so this always succeeds.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// `Retry-After` in seconds or as an HTTP date; 1 s when absent; at most `max`.
pub(super) fn retry_after(headers: &HeaderMap, max: Duration) -> Duration {
    let value = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::trim);
    let wait = match value {
        Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() => {
            Duration::from_secs(v.parse().unwrap_or(u64::MAX))
        }
        Some(v) => match DateTime::parse_from_rfc2822(v) {
            Ok(at) => (at.with_timezone(&Utc) - Utc::now()).to_std().unwrap_or(Duration::ZERO),
            Err(_) => Duration::from_secs(1),
        },
        None => Duration::from_secs(1),
    };
    wait.min(max)
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The platform's words for a failed answer: its JSON message, else the body. Whole: `Http`
/// takes the secrets out of it and then shortens it.
pub(crate) fn message(status: StatusCode, body: &[u8]) -> String {
    if let Ok(e) = serde_json::from_slice::<ErrorBody>(body) {
        match (e.message, e.error, e.error_description) {
            (Some(m), ..) => return m,
            (None, Some(e), Some(d)) => return format!("{e}: {d}"),
            (None, Some(e), None) | (None, None, Some(e)) => return e,
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return status.canonical_reason().unwrap_or("no message").to_string();
    }
    text.to_owned()
}

/// `application/x-www-form-urlencoded`.
pub(super) fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, key);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// One value as a form body writes it.
pub(crate) fn form_value(value: &str) -> String {
    let mut out = String::new();
    push_encoded(&mut out, value);
    out
}

fn push_encoded(out: &mut String, part: &str) {
    for b in part.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_reserved_bytes() {
        assert_eq!(form_encode(&[("a b", "x&y=z"), ("p", "é+")]), "a+b=x%26y%3Dz&p=%C3%A9%2B");
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_caps() {
        let mut h = HeaderMap::new();
        let max = Duration::from_secs(60);
        assert_eq!(retry_after(&h, max), Duration::from_secs(1));
        h.insert(RETRY_AFTER, "3".parse().expect("parse"));
        assert_eq!(retry_after(&h, max), Duration::from_secs(3));
        h.insert(RETRY_AFTER, "3600".parse().expect("parse"));
        assert_eq!(retry_after(&h, max), max);
        h.insert(RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT".parse().expect("parse"));
        assert_eq!(retry_after(&h, max), Duration::ZERO);
        let soon = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(RETRY_AFTER, soon.parse().expect("parse"));
        let wait = retry_after(&h, max);
        assert!(wait > Duration::from_secs(27) && wait <= Duration::from_secs(30), "{wait:?}");
    }

    #[test]
    fn messages_come_from_json_or_the_body() {
        assert_eq!(
            message(StatusCode::NOT_FOUND, br#"{"code":404,"message":"Domain x does not exist"}"#),
            "Domain x does not exist"
        );
        assert_eq!(message(StatusCode::UNAUTHORIZED, br#"{"error":"invalid_client"}"#), "invalid_client");
        assert_eq!(message(StatusCode::BAD_GATEWAY, b""), "Bad Gateway");
        assert_eq!(message(StatusCode::BAD_GATEWAY, b"<html>oops</html>"), "<html>oops</html>");
    }
}
