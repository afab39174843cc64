//! Times in other switches' files: `--time-format` and local times in a zone.

use chrono::format::{Item, ParseErrorKind, StrftimeItems};
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use rating::Micros;

/// Seconds from 0000-01-01 (Kazoo's Gregorian seconds) to 1970-01-01.
pub const GREGORIAN_TO_UNIX: i64 = 62_167_219_200;

/// The naive layouts the default format accepts after RFC 3339.
const NAIVE: [&str; 3] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y/%m/%d %H:%M:%S%.f"];

/// How the time cells of a file are written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// RFC 3339 with an offset, else `YYYY-MM-DD hh:mm:ss` (also with `T` or `/`), local.
    #[default]
    Default,
    /// A chrono strftime format; local unless it holds an offset (`%z`).
    Strftime(String),
    /// Unix seconds, with up to 6 decimals.
    Epoch,
    /// Gregorian seconds (Kazoo): Unix seconds + 62167219200.
    Gregorian,
}

impl TimeFormat {
    /// Parses `--time-format`: `epoch`, `gregorian`, `default`, or a strftime format.
    pub fn parse(s: &str) -> Result<TimeFormat, String> {
        match s {
            "epoch" => Ok(TimeFormat::Epoch),
            "gregorian" => Ok(TimeFormat::Gregorian),
            "default" => Ok(TimeFormat::Default),
            "" => Err("the time format is empty".into()),
            f if !f.contains('%') || StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) => {
                Err(format!("`{f}` is not a strftime format (like %d/%m/%Y %H:%M:%S), epoch or gregorian"))
            }
            f => Ok(TimeFormat::Strftime(f.to_owned())),
        }
    }

    /// The instant a cell names; a time without an offset is read in `zone`.
    pub fn instant(&self, s: &str, zone: Tz) -> Result<Micros, String> {
        match self {
            TimeFormat::Default => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Ok(t.timestamp_micros()),
                Err(_) => NAIVE
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                    .map(|local| local_instant(local, zone))
                    .ok_or_else(|| format!("`{s}` is neither RFC 3339 nor YYYY-MM-DD hh:mm:ss")),
            },
            TimeFormat::Strftime(f) => match DateTime::parse_from_str(s, f) {
                Ok(t) => Ok(t.timestamp_micros()),
                Err(e) if e.kind() == ParseErrorKind::NotEnough => NaiveDateTime::parse_from_str(s, f)
                    .map(|local| local_instant(local, zone))
                    .map_err(|e| format!("`{s}` does not match the time format `{f}` ({e})")),
                Err(e) => Err(format!("`{s}` does not match the time format `{f}` ({e})")),
            },
            TimeFormat::Epoch => seconds_micros(s, 0).ok_or_else(|| format!("`{s}` is not Unix seconds")),
            TimeFormat::Gregorian => seconds_micros(s, GREGORIAN_TO_UNIX)
                .filter(|_| !s.contains('.'))
                .ok_or_else(|| format!("`{s}` is not Gregorian seconds (Unix seconds + {GREGORIAN_TO_UNIX})")),
        }
    }
}

/// `s` (whole seconds with up to 6 decimals) less `minus` seconds, in microseconds.
fn seconds_micros(s: &str, minus: i64) -> Option<Micros> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 6 || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let micros = format!("{frac:0<6}").parse::<i64>().ok()?;
    whole.parse::<i64>().ok()?.checked_sub(minus)?.checked_mul(1_000_000)?.checked_add(micros)
}

/// The instant of a local time in `zone`. *Choice:* a time the clocks pass twice (autumn) is the
/// earlier one; a time they skip (spring) is read with the offset before the jump, which moves it
/// forward by the gap (02:30 on a day that jumps from 02:00 to 03:00 is 03:30 after the jump).
pub fn local_instant(local: NaiveDateTime, zone: Tz) -> Micros {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp_micros(),
        LocalResult::Ambiguous(earliest, _) => earliest.timestamp_micros(),
        LocalResult::None => {
            // The offset in force just before the gap: gaps last at most a day.
            let before = (1..=48).find_map(|h| match zone.from_local_datetime(&(local - Duration::hours(h))) {
                LocalResult::Single(t) | LocalResult::Ambiguous(_, t) => Some(t.offset().fix()),
                LocalResult::None => None,
            });
            let offset = before.map_or(0, |o| i64::from(o.local_minus_utc()));
            (local.and_utc() - Duration::seconds(offset)).timestamp_micros()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn utc(s: &str) -> Micros {
        DateTime::parse_from_rfc3339(s).expect("a test instant").timestamp_micros()
    }

    fn at(f: &TimeFormat, s: &str, tz: Tz) -> Micros {
        f.instant(s, tz).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_default_reads_rfc_3339_then_local_times() {
        let d = TimeFormat::Default;
        assert_eq!(at(&d, "2026-11-03T09:15:02-05:00", Tz::UTC), utc("2026-11-03T14:15:02Z"));
        assert_eq!(at(&d, "2026-11-03T14:15:02Z", New_York), utc("2026-11-03T14:15:02Z"));
        assert_eq!(at(&d, "2026-11-03 09:15:02", New_York), utc("2026-11-03T14:15:02Z"));
        assert_eq!(at(&d, "2026-07-03 09:15:02", New_York), utc("2026-07-03T13:15:02Z"));
        assert_eq!(at(&d, "2026/07/03 09:15:02", Tz::UTC), utc("2026-07-03T09:15:02Z"));
        assert_eq!(at(&d, "2026-07-03T09:15:02.250", Tz::UTC), utc("2026-07-03T09:15:02.25Z"));
        let e = d.instant("03/07/2026 09:15", Tz::UTC).expect_err("not a default time");
        assert!(e.contains("is neither RFC 3339 nor YYYY-MM-DD hh:mm:ss"), "{e}");
    }

    #[test]
    fn an_ambiguous_time_is_the_earlier_and_a_skipped_one_moves_forward() {
        let d = TimeFormat::Default;
        // 2026-11-01 01:30 happens twice in New York: first in EDT (-4).
        assert_eq!(at(&d, "2026-11-01 01:30:00", New_York), utc("2026-11-01T05:30:00Z"));
        // 2026-03-08 02:30 does not exist: read with EST (-5), it is 03:30 EDT.
        assert_eq!(at(&d, "2026-03-08 02:30:00", New_York), utc("2026-03-08T07:30:00Z"));
        assert_eq!(at(&d, "2026-03-08 03:30:00", New_York), utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn strftime_formats_with_and_without_an_offset() {
        let f = TimeFormat::parse("%d/%m/%Y %H:%M").expect("a format");
        assert_eq!(at(&f, "03/11/2026 09:15", New_York), utc("2026-11-03T14:15:00Z"));
        let z = TimeFormat::parse("%d/%m/%Y %H:%M:%S %z").expect("a format");
        assert_eq!(at(&z, "03/11/2026 09:15:00 +0100", New_York), utc("2026-11-03T08:15:00Z"));
        let e = f.instant("2026-11-03 09:15", Tz::UTC).expect_err("does not match");
        assert!(e.contains("does not match the time format `%d/%m/%Y %H:%M`"), "{e}");
        assert!(TimeFormat::parse("%Q").is_err());
        assert!(TimeFormat::parse("YYYY-MM-DD").is_err());
        assert!(TimeFormat::parse("").is_err());
    }

    #[test]
    fn epoch_and_gregorian_seconds() {
        let e = TimeFormat::parse("epoch").expect("epoch");
        assert_eq!(at(&e, "1793715302", New_York), utc("2026-11-03T14:15:02Z"));
        assert_eq!(at(&e, "1793715302.5", Tz::UTC), utc("2026-11-03T14:15:02.5Z"));
        for bad in ["", "-5", "12a", "1.", "1.1234567", "1e9"] {
            assert!(e.instant(bad, Tz::UTC).is_err(), "{bad}");
        }
        let g = TimeFormat::parse("gregorian").expect("gregorian");
        assert_eq!(at(&g, "63960934502", Tz::UTC), utc("2026-11-03T14:15:02Z"));
        assert!(g.instant("63960934502.5", Tz::UTC).is_err());
        assert!(g.instant("x", Tz::UTC).expect_err("bad").contains("is not Gregorian seconds"));
    }
}
