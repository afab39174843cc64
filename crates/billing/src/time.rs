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
    if let Some(text) = whole_seconds_utc(t) {
        return text;
    }
    match DateTime::<Utc>::from_timestamp_micros(t) {
        Some(dt) if t % 1_000_000 == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => t.to_string(),
    }
}

/// [`format_utc`] of a whole second of the years 0 to 9999, written digit by digit: every call of
/// a listing has one, and chrono's formatting, which reads its pattern each time, took over 3% of
/// the API server's CPU under load (`perf`).
fn whole_seconds_utc(t: Micros) -> Option<String> {
    use chrono::{Datelike, Timelike};
    if t % 1_000_000 != 0 {
        return None;
    }
    let dt = DateTime::<Utc>::from_timestamp_micros(t)?;
    let year = u32::try_from(dt.year()).ok().filter(|y| *y <= 9999)?;
    let mut text = String::with_capacity(20);
    let mut digits = |n: u32, width: u32, then: char| {
        for place in (0..width).rev() {
            text.push(char::from(b'0' + u8::try_from(n / 10u32.pow(place) % 10).unwrap_or(0)));
        }
        text.push(then);
    };
    digits(year, 4, '-');
    digits(dt.month(), 2, '-');
    digits(dt.day(), 2, 'T');
    digits(dt.hour(), 2, ':');
    digits(dt.minute(), 2, ':');
    digits(dt.second(), 2, 'Z');
    Some(text)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// chrono's formatting of the same instant, which [`format_utc`] must equal.
    fn by_chrono(t: Micros) -> String {
        match DateTime::<Utc>::from_timestamp_micros(t) {
            Some(dt) if t % 1_000_000 == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            None => t.to_string(),
        }
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds.
    const YEARS_0_TO_9999: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

    proptest! {
        #[test]
        fn whole_seconds_are_written_as_chrono_writes_them(s in YEARS_0_TO_9999) {
            prop_assert_eq!(format_utc(s * 1_000_000), by_chrono(s * 1_000_000));
        }

        #[test]
        fn any_instant_is_written_as_chrono_writes_it(t in any::<i64>()) {
            prop_assert_eq!(format_utc(t), by_chrono(t));
        }
    }

    #[test]
    fn the_ends_of_the_digit_by_digit_years() {
        for s in [
            *YEARS_0_TO_9999.start(),
            *YEARS_0_TO_9999.end(),
            YEARS_0_TO_9999.start() - 1,
            YEARS_0_TO_9999.end() + 1,
            0,
        ] {
            assert_eq!(format_utc(s * 1_000_000), by_chrono(s * 1_000_000), "{s}");
        }
        assert_eq!(format_utc(*YEARS_0_TO_9999.start() * 1_000_000), "0000-01-01T00:00:00Z");
        assert_eq!(format_utc(*YEARS_0_TO_9999.end() * 1_000_000), "9999-12-31T23:59:59Z");
    }
}
