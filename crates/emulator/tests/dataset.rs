//! The dataset: deterministic, arithmetic counts that match iteration, a realistic mix, fast at any volume.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use emulator::dataset::{self, CallKind};
use emulator::DomainSpec;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

fn spec(per_day: u32) -> DomainSpec {
    DomainSpec::new("acme.example.net", per_day, 25, "US/Central")
}

const KINDS: [CallKind; 4] = [CallKind::Outbound, CallKind::Inbound, CallKind::OnNet, CallKind::Missed];

#[test]
fn same_seed_same_calls_other_seed_or_domain_other_calls() {
    let (from, to) = (t("2024-05-01T00:00:00Z"), t("2024-05-03T00:00:00Z"));
    let a: Vec<_> = dataset::calls(7, &spec(500), from, to).collect();
    let b: Vec<_> = dataset::calls(7, &spec(500), from, to).collect();
    let c: Vec<_> = dataset::calls(8, &spec(500), from, to).collect();
    let mut other = spec(500);
    other.name = "globex.example.net".into();
    let d: Vec<_> = dataset::calls(7, &other, from, to).collect();
    assert_eq!(a.len(), 1000);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a.iter().map(|c| &c.to).collect::<Vec<_>>(), d.iter().map(|c| &c.to).collect::<Vec<_>>());
    assert_eq!(dataset::numbers(7, &spec(500)), dataset::numbers(7, &spec(500)));
    assert_ne!(dataset::numbers(7, &spec(500)), dataset::numbers(7, &other));
}

#[test]
fn counts_equal_iteration_for_odd_windows_and_every_kind() {
    let d = spec(977);
    let windows = [
        ("2024-02-28T13:17:42.250Z", "2024-03-02T05:00:00Z"),
        ("2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        ("2024-03-01T09:00:00Z", "2024-03-01T09:00:01Z"),
        ("2024-03-02T00:00:00Z", "2024-03-01T00:00:00Z"),
        ("2024-12-31T23:59:59Z", "2025-01-01T00:00:01Z"),
    ];
    for (f, to) in windows {
        let (f, to) = (t(f), t(to));
        let calls: Vec<_> = dataset::calls(3, &d, f, to).collect();
        assert!(calls.iter().all(|c| c.start >= f && c.start < to), "window {f}..{to}");
        assert_eq!(dataset::count(3, &d, f, to, None), calls.len() as u64);
        let mut sum = 0;
        for k in KINDS {
            let n = dataset::count(3, &d, f, to, Some(k));
            assert_eq!(n, calls.iter().filter(|c| c.kind == k).count() as u64, "{k:?}");
            let visible = dataset::count_visible(3, &d, f, to, Some(k));
            assert_eq!(visible, calls.iter().filter(|c| c.kind == k && !c.hidden).count() as u64, "{k:?}");
            sum += n;
        }
        assert_eq!(sum, calls.len() as u64);
        let visible = dataset::count_visible(3, &d, f, to, None);
        assert_eq!(visible, calls.iter().filter(|c| !c.hidden).count() as u64);
    }
}

#[test]
fn starts_ordered_ids_unique_and_every_day_full() {
    let d = spec(1500);
    let (from, to) = (t("2024-07-01T00:00:00Z"), t("2024-07-04T00:00:00Z"));
    let calls: Vec<_> = dataset::calls(11, &d, from, to).collect();
    assert_eq!(calls.len(), 4500);
    for w in calls.windows(2) {
        assert!((w[0].start, &w[0].id) < (w[1].start, &w[1].id), "{:?} then {:?}", w[0], w[1]);
    }
    assert_eq!(calls.iter().map(|c| &c.id).collect::<HashSet<_>>().len(), calls.len());
    for c in &calls {
        assert!(c.start.nanosecond() == 0 && c.end >= c.start);
        assert!(c.answer.is_none_or(|a| a >= c.start && a <= c.end));
        assert_eq!(c.kind == CallKind::Missed, c.kind == CallKind::Missed && c.answer.is_none());
    }
}

#[test]
fn mix_is_realistic() {
    let d = spec(5000);
    let (from, to) = (t("2024-03-04T00:00:00Z"), t("2024-03-06T00:00:00Z"));
    let calls: Vec<_> = dataset::calls(5, &d, from, to).collect();
    let n = calls.len() as f64;
    let share = |f: &dyn Fn(&dataset::Call) -> bool| calls.iter().filter(|c| f(c)).count() as f64 / n;
    let dids: HashSet<String> = dataset::numbers(5, &d).into_iter().map(|n| n.number).collect();
    let between = |x: f64, lo: f64, hi: f64| assert!(x >= lo && x <= hi, "{x} not in [{lo}, {hi}]");
    between(share(&|c| c.kind == CallKind::Inbound), 0.37, 0.43);
    between(share(&|c| c.kind == CallKind::Outbound), 0.37, 0.43);
    between(share(&|c| c.kind == CallKind::OnNet), 0.08, 0.12);
    between(share(&|c| c.kind == CallKind::Missed), 0.08, 0.12);
    between(share(&|c| c.hidden), 0.015, 0.025);
    let out = |f: &dyn Fn(&str) -> bool| share(&|c| c.kind == CallKind::Outbound && f(&c.to));
    between(out(&|to| to.starts_with("011") || !to.starts_with('1')), 0.035, 0.065);
    between(
        out(&|to| ["1800", "1888", "1877", "1866", "1855", "1844", "1833"].iter().any(|p| to.starts_with(p))),
        0.035,
        0.065,
    );
    between(share(&|c| c.kind == CallKind::Outbound && c.answer.is_none()), 0.01, 0.05);
    assert!(calls
        .iter()
        .filter(|c| c.kind == CallKind::Inbound || c.kind == CallKind::Missed)
        .all(|c| dids.contains(&c.to)));
    assert!(calls.iter().filter(|c| c.kind == CallKind::Outbound).all(|c| dids.contains(&c.from)));
    assert!(calls
        .iter()
        .filter(|c| c.kind == CallKind::OnNet)
        .all(|c| (3..=4).contains(&c.from.len()) && c.to != c.from));
    let talk: Vec<i64> = calls.iter().filter(|c| c.answer.is_some()).map(|c| c.talk_seconds()).collect();
    let mid = talk.iter().filter(|s| (30..=600).contains(*s)).count() as f64 / talk.len() as f64;
    between(mid, 0.6, 0.85);
    assert!(talk.iter().any(|s| *s > 3600));
    // Business hours in Chicago (UTC-6): 14:00-23:00 UTC holds most calls.
    between(share(&|c| (14..23).contains(&c.start.hour())), 0.65, 0.9);
}

#[test]
fn numbers_are_eleven_digit_dids_in_one_area_code_a_few_disabled() {
    let n = dataset::numbers(1, &DomainSpec::new("big.example.net", 10, 200, "UTC"));
    assert_eq!(n.len(), 200);
    assert!(n.iter().all(|x| x.number.len() == 11 && x.number.starts_with('1')));
    assert_eq!(n.iter().map(|x| &x.number[..4]).collect::<HashSet<_>>().len(), 1);
    assert_eq!(n.iter().map(|x| &x.number).collect::<HashSet<_>>().len(), 200);
    let disabled = n.iter().filter(|x| !x.enabled).count();
    assert!((3..=40).contains(&disabled), "{disabled} disabled");
}

#[test]
fn a_million_records_are_counted_and_paged_into_without_iterating() {
    let d = spec(40_000);
    let from = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("date");
    let to = from + Duration::days(25) + Duration::seconds(3);
    let t0 = Instant::now();
    let total = dataset::count(9, &d, from, to, None);
    let missed = dataset::count_visible(9, &d, from, to, Some(CallKind::Missed));
    assert!(total >= 1_000_000, "{total}");
    assert!(missed > 90_000 && missed < 110_000, "{missed}");
    // The last record, reached by offset through the internal paging, is the last one of the window.
    let last = dataset::calls(9, &d, from + Duration::days(24) + Duration::hours(23), to).last().expect("a last call");
    assert!(last.start < to);
    assert!(t0.elapsed().as_millis() < 500, "counting took {:?}", t0.elapsed());
    // A year at this volume (14.6 million records) is still only days of work.
    let t1 = Instant::now();
    assert_eq!(dataset::count(9, &d, from, from + Duration::days(365), None), 365 * 40_000);
    assert!(t1.elapsed().as_millis() < 500, "counting a year took {:?}", t1.elapsed());
}
