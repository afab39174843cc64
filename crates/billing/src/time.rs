//! Times and dates: parsing the contract's formats, day ranges and billing periods in the
//! customer's time zone. Everything is stored as UTC microseconds.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
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

/// The first instant of a civil day in a zone. Where midnight falls in a daylight-saving gap,
/// the day starts when the clocks jump forward.
pub fn start_of_day(tz: Tz, d: NaiveDate) -> Micros {
    let mut local: NaiveDateTime = d.and_time(chrono::NaiveTime::MIN);
    for _ in 0..48 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.timestamp_micros(),
            LocalResult::Ambiguous(earliest, _) => return earliest.timestamp_micros(),
            LocalResult::None => local += Duration::minutes(30),
        }
    }
    utc_midnight(d)
}

/// The UTC range `[start, end)` of the whole days `from..=to` in a zone.
pub fn day_range(tz: Tz, from: NaiveDate, to: NaiveDate) -> (Micros, Micros) {
    let after = to.succ_opt().unwrap_or(to);
    (start_of_day(tz, from), start_of_day(tz, after))
}

/// The civil date of an instant in a zone.
pub fn local_date(t: Micros, tz: Tz) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(t).map_or(NaiveDate::MIN, |dt| dt.with_timezone(&tz).date_naive())
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// The day of a month on which a billing day falls: the billing day, or the month's last day
/// when the month is shorter.
pub fn anchor(year: i32, month: u32, billing_day: u8) -> NaiveDate {
    let day = u32::from(billing_day).min(last_day_of_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

/// The first day of the billing period that holds date `d`.
pub fn period_start(d: NaiveDate, billing_day: u8) -> NaiveDate {
    let here = anchor(d.year(), d.month(), billing_day);
    if d >= here {
        here
    } else {
        let (y, m) = previous_month(d.year(), d.month());
        anchor(y, m, billing_day)
    }
}

/// Whether the billing day falls on `d`, and if so the period that ended the day before:
/// `(first day, last day)`.
pub fn period_ending_before(d: NaiveDate, billing_day: u8) -> Option<(NaiveDate, NaiveDate)> {
    if anchor(d.year(), d.month(), billing_day) != d {
        return None;
    }
    let (y, m) = previous_month(d.year(), d.month());
    Some((anchor(y, m, billing_day), d.pred_opt()?))
}

/// Days since 1970-01-01, the compact period key of the rating engine.
pub fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days() as i32
}

/// The date of a number of days since 1970-01-01.
pub fn from_epoch_days(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN) + Duration::days(i64::from(days))
}
