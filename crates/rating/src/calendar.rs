//! The customer's calendar: civil days and billing periods in the customer's time zone, as the
//! UTC instants that bound them. Pure: the zone rules are chrono-tz's compiled tables, and "now"
//! is always the caller's.

use crate::Micros;
use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// The first instant of a civil day in a zone: its midnight, the earlier one when the clocks
/// pass midnight twice. Where midnight falls in a daylight-saving gap the day starts when the
/// clocks jump forward, at the first instant whose date is `d` (or later, for a day the zone
/// skipped whole: it starts and ends at the same instant).
pub fn start_of_day(tz: Tz, d: NaiveDate) -> Micros {
    let midnight = d.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => t.timestamp_micros(),
        LocalResult::Ambiguous(earliest, _) => earliest.timestamp_micros(),
        LocalResult::None => {
            // Offsets stay within ±26 hours, so the local date is before `d` at `lo` and at or
            // after it at `hi`; between them it only moves forward (one transition). Zone
            // transitions fall on whole seconds.
            let naive = midnight.and_utc().timestamp();
            let (mut lo, mut hi) = (naive - 26 * 3600, naive + 26 * 3600);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if local_date(mid * 1_000_000, tz) >= d {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi * 1_000_000
        }
    }
}

/// The UTC range `[start, end)` of the whole days `from..=to` in a zone.
pub fn day_range(tz: Tz, from: NaiveDate, to: NaiveDate) -> (Micros, Micros) {
    let after = to.succ_opt().unwrap_or(to);
    (start_of_day(tz, from), start_of_day(tz, after))
}

/// The civil date of an instant in a zone.
pub fn local_date(t: Micros, tz: Tz) -> NaiveDate {
    DateTime::from_timestamp_micros(t).map_or(NaiveDate::MIN, |dt| dt.with_timezone(&tz).date_naive())
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (y, m) = next_month(year, month);
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

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
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

/// The billing periods `(first day, last day)`, in order, from the one that holds `from` through
/// the one that holds `to` (none when `to` is before `from`).
pub fn periods_through(from: NaiveDate, to: NaiveDate, billing_day: u8) -> Vec<(NaiveDate, NaiveDate)> {
    let mut periods = Vec::new();
    let mut first = period_start(from, billing_day);
    while first <= to {
        let (y, m) = next_month(first.year(), first.month());
        let next = anchor(y, m, billing_day);
        let Some(last) = next.pred_opt() else { break };
        periods.push((first, last));
        first = next;
    }
    periods
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("1970-01-01 is a date");

/// Days since 1970-01-01, the compact period key of the allowances.
pub fn epoch_days(d: NaiveDate) -> i32 {
    // Dates span ±262,143 years: their days fit an i32.
    (d - EPOCH).num_days() as i32
}

/// The date of a number of days since 1970-01-01.
pub fn from_epoch_days(days: i32) -> NaiveDate {
    let n = Days::new(u64::from(days.unsigned_abs()));
    let d = if days < 0 { EPOCH.checked_sub_days(n) } else { EPOCH.checked_add_days(n) };
    d.unwrap_or(NaiveDate::MIN)
}

/// A customer's billing calendar: its zone and its billing day (1 to 31; a day past a month's
/// end means the month's last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub zone: Tz,
    pub billing_day: u8,
}

/// One billing period: the whole days `first..=last` in the customer's zone, and the instants
/// `[start, end)` they span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub start: Micros,
    pub end: Micros,
}

impl Period {
    pub fn contains(&self, t: Micros) -> bool {
        self.start <= t && t < self.end
    }

    /// Its first day as days since 1970-01-01: the key of its allowance balances.
    pub fn key(&self) -> i32 {
        epoch_days(self.first)
    }
}

impl Calendar {
    /// The period whose first day is the billing day's anchor on or before `d`.
    pub fn period_on(&self, d: NaiveDate) -> Period {
        let first = period_start(d, self.billing_day);
        let (y, m) = next_month(first.year(), first.month());
        let next = anchor(y, m, self.billing_day);
        let last = next.pred_opt().unwrap_or(next);
        Period { first, last, start: start_of_day(self.zone, first), end: start_of_day(self.zone, next) }
    }

    /// The period that holds instant `t`: the one of its date in the zone, or a neighbour where
    /// the clocks passing midnight put the instant on the other side of the period's bounds
    /// (so that every instant lies in exactly one period, as every call in one invoice range).
    pub fn period_of(&self, t: Micros) -> Period {
        let p = self.period_on(local_date(t, self.zone));
        if t < p.start {
            self.period_on(p.first.pred_opt().unwrap_or(p.first))
        } else if t >= p.end {
            self.period_on(p.last.succ_opt().unwrap_or(p.last))
        } else {
            p
        }
    }
}
