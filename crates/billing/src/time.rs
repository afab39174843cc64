//! Times and dates as the contract writes them: parsing and formatting. Everything is stored as
//! UTC microseconds; days and billing periods in the customer's zone are rating's
//! ([`rating::calendar`]).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rating::Micros;

/// Parses an RFC 3339 timestamp with an offset (`2026-01-05T14:03:00Z`).
pub fn parse_timestamp(s: &str) -> Result<Micros, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_micros())
        .map_err(|e| format!("`{s}` is not an RFC 3339 timestamp with an offset ({e})"))
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// A rate window bound: a timestamp, or a date meaning 00:00 UTC.
pub fn parse_instant_or_date(s: &str) -> Result<Micros, String> {
    if s.len() == 10 {
        parse_date(s).map(utc_midnight)
    } else {
        parse_timestamp(s).map_err(|_| format!("`{s}` is neither an RFC 3339 timestamp nor a date (YYYY-MM-DD)"))
    }
}

fn utc_midnight(d: NaiveDate) -> Micros {
    d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_micros()
}

/// Formats an instant as RFC 3339 in UTC (`…Z`), with fractions only when there are some.
pub fn format_utc(t: Micros) -> String {
    match DateTime::<Utc>::from_timestamp_micros(t) {
        Some(dt) if t % 1_000_000 == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => t.to_string(),
    }
}

/// Formats an instant in a zone, for people (`2026-01-05 09:03:00 EST`).
pub fn format_local(t: Micros, tz: Tz) -> String {
    match DateTime::<Utc>::from_timestamp_micros(t) {
        Some(dt) => dt.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S %Z").to_string(),
        None => t.to_string(),
    }
}

/// Parses an IANA zone name.
pub fn parse_zone(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| format!("`{s}` is not an IANA time zone (like America/New_York)"))
}
