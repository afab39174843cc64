//! Property tests of the calendar: days and billing periods in the customer's zone, checked
//! against naive readings of the rules (a day starts at the first instant of its date; a period
//! starts on the billing day, or the month's last day when the month is shorter).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use proptest::prelude::*;
use rating::calendar::{day_range, local_date, period_ending_before, period_start, start_of_day};
use rating::{Calendar, Micros};

/// Zones with daylight saving at 02:00 (New York, London, Sydney), at midnight (Havana,
/// Santiago, São Paulo until 2019, Beirut, Tehran until 2022), by half an hour (Lord Howe),
/// at odd offsets (Chatham, Kathmandu), with a day skipped (Apia, 2011-12-30), and UTC.
const ZONES: [Tz; 14] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Sydney,
    chrono_tz::America::Havana,
    chrono_tz::America::Santiago,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Asia::Beirut,
    chrono_tz::Asia::Tehran,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Chatham,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Pacific::Apia,
    chrono_tz::America::St_Johns,
    chrono_tz::UTC,
];

/// 1970-01-01 to 2100-01-01, in microseconds.
const SPAN: (Micros, Micros) = (0, 4_102_444_800_000_000);

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES.to_vec())
}

fn instant() -> impl Strategy<Value = Micros> {
    SPAN.0..SPAN.1
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..47_000).prop_map(|n| NaiveDate::from_ymd_opt(1971, 1, 1).expect("a date") + chrono::Days::new(n as u64))
}

fn billing_day() -> impl Strategy<Value = u8> {
    prop_oneof![1u8..=31, 28u8..=31]
}

fn days_in_month(d: NaiveDate) -> u32 {
    (28..=31).rev().find(|&n| NaiveDate::from_ymd_opt(d.year(), d.month(), n).is_some()).expect("a month has 28 days")
}

/// The naive reading of the billing day: the latest date on or before `d` that is the billing
/// day, or the last day of a month shorter than it.
fn naive_period_start(d: NaiveDate, billing_day: u8) -> NaiveDate {
    let mut a = d;
    while a.day() != u32::from(billing_day).min(days_in_month(a)) {
        a = a.pred_opt().expect("a date");
    }
    a
}

/// The first instant of `d` in `tz`, by stepping over the days around it minute by minute, then
/// second by second in the minute before: the first whose local date is `d` or later.
fn naive_start_of_day(tz: Tz, d: NaiveDate) -> Micros {
    let on_or_after = |s: i64| local_date(s * 1_000_000, tz) >= d;
    let around = d.and_time(NaiveTime::MIN).and_utc().timestamp() - 26 * 3600;
    let minute = (0..52 * 60).map(|m| around + m * 60).find(|&s| on_or_after(s)).expect("within 26 hours");
    // Between whole seconds nothing changes: zone transitions fall on them.
    let first = (minute - 59..=minute).find(|&s| on_or_after(s)).expect("the minute itself");
    first * 1_000_000
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Consecutive periods meet: each ends where the next starts, on the instant and on the day.
    #[test]
    fn periods_tile_time(zone in zone(), billing_day in billing_day(), d in date()) {
        let cal = Calendar { zone, billing_day };
        let p = cal.period_on(d);
        let next = cal.period_on(p.last.succ_opt().expect("a date"));
        prop_assert_eq!(next.first, p.last.succ_opt().expect("a date"));
        prop_assert_eq!(next.start, p.end);
        prop_assert!(p.start < p.end, "{p:?}");
        prop_assert!(p.first <= d && d <= p.last, "{d} not in {p:?}");
        prop_assert_eq!(p.first, naive_period_start(d, billing_day));
        prop_assert_eq!(p.first, period_start(d, billing_day));
    }

    /// Every instant lies in exactly one period: the one `period_of` names, which holds its date
    /// in the zone, and neither neighbour.
    #[test]
    fn every_instant_lies_in_exactly_one_period(zone in zone(), billing_day in billing_day(), t in instant()) {
        let cal = Calendar { zone, billing_day };
        let p = cal.period_of(t);
        prop_assert!(p.contains(t), "{t} not in {p:?}");
        let before = cal.period_on(p.first.pred_opt().expect("a date"));
        let after = cal.period_on(p.last.succ_opt().expect("a date"));
        prop_assert!(!before.contains(t) && !after.contains(t));
        prop_assert_eq!(before.end, p.start);
        prop_assert_eq!(after.start, p.end);
        let day = local_date(t, zone);
        prop_assert!(p.first <= day && day <= p.last, "{day} not in {p:?}");
        prop_assert_eq!(p.key(), rating::calendar::epoch_days(naive_period_start(day, billing_day)));
    }

    /// A day (and so a period) starts at the first instant of its date in the zone, whatever
    /// the clocks do around midnight.
    #[test]
    fn a_day_starts_at_the_first_instant_of_its_date(zone in zone(), d in date()) {
        let start = start_of_day(zone, d);
        prop_assert_eq!(start, naive_start_of_day(zone, d));
        prop_assert!(local_date(start, zone) >= d);
        prop_assert!(local_date(start - 1, zone) < d);
        let (from, to) = day_range(zone, d, d);
        prop_assert_eq!(from, start);
        prop_assert_eq!(to, start_of_day(zone, d.succ_opt().expect("a date")));
    }

    /// The cycle's period ending before a billing day is the period of the day before.
    #[test]
    fn the_cycle_invoices_the_period_that_just_ended(zone in zone(), billing_day in billing_day(), d in date()) {
        let cal = Calendar { zone, billing_day };
        match period_ending_before(d, billing_day) {
            Some((first, last)) => {
                let p = cal.period_on(d.pred_opt().expect("a date"));
                prop_assert_eq!((first, last), (p.first, p.last));
                prop_assert_eq!(cal.period_on(d).first, d);
            }
            None => prop_assert_ne!(cal.period_on(d).first, d),
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn utc(s: &str) -> Micros {
    DateTime::parse_from_rfc3339(s).expect("a timestamp").timestamp_micros()
}

/// Billing days 29, 30 and 31 fall on February's last day, and the next period starts on the
/// billing day again in March: leap years and common years.
#[test]
fn billing_days_past_february_fall_on_its_last_day() {
    for (year, feb_last) in [(2026, 28), (2028, 29), (2100, 28), (2000, 29)] {
        for billing_day in [29u8, 30, 31] {
            let cal = Calendar { zone: chrono_tz::UTC, billing_day };
            let jan = cal.period_on(ymd(year, 2, 1));
            let feb = cal.period_on(ymd(year, 2, feb_last));
            let first_in_feb = u32::from(billing_day).min(feb_last);
            assert_eq!(jan.first, ymd(year, 1, u32::from(billing_day)), "{year} day {billing_day}");
            assert_eq!(feb.first, ymd(year, 2, first_in_feb), "{year} day {billing_day}");
            assert_eq!(jan.last, ymd(year, 2, first_in_feb - 1), "{year} day {billing_day}");
            assert_eq!(feb.last, ymd(year, 3, u32::from(billing_day) - 1), "{year} day {billing_day}");
            assert_eq!(period_ending_before(ymd(year, 2, feb_last), billing_day), Some((jan.first, jan.last)));
        }
    }
}

/// A period's bounds are midnights in the customer's zone, with the zone's offset on each date.
#[test]
fn periods_start_and_end_at_midnight_in_the_customer_zone() {
    let ny = Calendar { zone: chrono_tz::America::New_York, billing_day: 1 };
    let march = ny.period_of(utc("2026-03-15T12:00:00Z"));
    assert_eq!((march.first, march.last), (ymd(2026, 3, 1), ymd(2026, 3, 31)));
    assert_eq!(march.start, utc("2026-03-01T05:00:00Z"), "EST");
    assert_eq!(march.end, utc("2026-04-01T04:00:00Z"), "EDT");
    // 23:30 in New York on March 31 is April 1 in UTC, and still March's period.
    assert_eq!(ny.period_of(utc("2026-04-01T03:30:00Z")), march);
    let sydney = Calendar { zone: chrono_tz::Australia::Sydney, billing_day: 5 };
    let april = sydney.period_of(utc("2026-04-04T14:00:00Z"));
    assert_eq!((april.first, april.start), (ymd(2026, 4, 5), utc("2026-04-04T13:00:00Z")), "AEDT, UTC+11");
    assert_eq!(april.end, utc("2026-05-04T14:00:00Z"), "AEST, UTC+10");
}

/// Where the clocks jump over midnight the day starts when they jump; a day the zone skipped
/// starts and ends at the same instant.
#[test]
fn days_across_daylight_saving_changes() {
    let day = |tz: Tz, d| {
        let (from, to) = day_range(tz, d, d);
        (from, (to - from) / 3_600_000_000)
    };
    let ny = chrono_tz::America::New_York;
    assert_eq!(day(ny, ymd(2026, 3, 8)), (utc("2026-03-08T05:00:00Z"), 23));
    assert_eq!(day(ny, ymd(2026, 11, 1)), (utc("2026-11-01T04:00:00Z"), 25));
    // Havana springs forward at midnight: 00:00 CST is 01:00 CDT.
    let havana = chrono_tz::America::Havana;
    assert_eq!(day(havana, ymd(2026, 3, 8)), (utc("2026-03-08T05:00:00Z"), 23));
    // São Paulo fell back at midnight: the 17th began after the 16th's last hour came twice.
    let sp = chrono_tz::America::Sao_Paulo;
    assert_eq!(day(sp, ymd(2019, 2, 16)), (utc("2019-02-16T02:00:00Z"), 25));
    // Apia skipped 2011-12-30 whole.
    let apia = chrono_tz::Pacific::Apia;
    assert_eq!(day(apia, ymd(2011, 12, 30)), (utc("2011-12-30T10:00:00Z"), 0));
    assert_eq!(start_of_day(apia, ymd(2011, 12, 31)), utc("2011-12-30T10:00:00Z"));
    assert_eq!(local_date(utc("2011-12-30T10:00:00Z"), apia), ymd(2011, 12, 31));
    // Each zone's midnight that exists is its start of day.
    for tz in ZONES {
        let d = ymd(2026, 7, 14);
        let midnight = tz.from_local_datetime(&d.and_time(NaiveTime::MIN)).earliest().expect("no change that day");
        assert_eq!(start_of_day(tz, d), midnight.timestamp_micros(), "{tz}");
    }
}
