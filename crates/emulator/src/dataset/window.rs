//! A window of one domain's records: arithmetic counts and offset positioning, then lazy iteration.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::domain::Domain;
use super::gen::{self, Leg};
use super::pattern::{Filter, SlotIndex, PATTERN, PERIOD};

const DAY: i64 = 86_400;
/// The dataset spans 1970-01-01 up to about 2200: far enough for any window a test asks for.
const END_OF_DATA: i64 = 84_000 * DAY;

/// The records of one domain whose start is in `[from, to)` and that a filter takes.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    dom: Arc<Domain>,
    from: i64,
    to: i64,
    index: SlotIndex,
}

impl Window {
    pub(crate) fn new(dom: Arc<Domain>, from: DateTime<Utc>, to: DateTime<Utc>, filter: Filter) -> Window {
        // Starts are whole seconds, so `start >= t` and `start < t` both compare against t rounded up.
        let ceil = |t: DateTime<Utc>| (t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)).clamp(0, END_OF_DATA);
        Window { dom, from: ceil(from), to: ceil(to), index: SlotIndex::new(filter) }
    }

    fn days(&self) -> std::ops::RangeInclusive<i64> {
        if self.to <= self.from || self.dom.per_day == 0 {
            #[allow(clippy::reversed_empty_ranges)]
            return 1..=0;
        }
        self.from / DAY..=(self.to - 1) / DAY
    }

    /// The index range `[lo, hi)` of `day` inside the window.
    fn span(&self, day: i64) -> (u64, u64) {
        let start = day * DAY;
        let lo = if self.from > start { self.dom.first_at_or_after(day, (self.from - start) as u64) } else { 0 };
        let hi = if self.to < start + DAY {
            self.dom.first_at_or_after(day, (self.to - start) as u64)
        } else {
            self.dom.per_day
        };
        (u64::from(lo), u64::from(hi))
    }

    fn count_span(&self, rot: u64, lo: u64, hi: u64) -> u64 {
        self.index.before(rot + hi) - self.index.before(rot + lo)
    }

    /// How many records the window holds: O(days), never O(records).
    pub(crate) fn count(&self) -> u64 {
        self.days()
            .map(|d| {
                let (lo, hi) = self.span(d);
                self.count_span(self.dom.rotation(d), lo, hi)
            })
            .sum()
    }

    /// Talk seconds of the window's records (no strings built; O(records)).
    pub(crate) fn talk_seconds(&self) -> u64 {
        let mut total = 0;
        for d in self.days() {
            let (lo, hi) = self.span(d);
            let rot = self.dom.rotation(d);
            for i in lo..hi {
                if self.index.matches(rot + i) {
                    let kind = PATTERN[((rot + i) % PERIOD) as usize].kind;
                    total += gen::timing(&self.dom, d, i as u32, kind).1.unwrap_or(0);
                }
            }
        }
        total
    }

    /// The records from the `offset`-th (0-based) on, in listing order.
    pub(crate) fn legs(self, mut offset: u64) -> Legs {
        let days = self.days();
        let last = *days.end();
        for d in days {
            let (lo, hi) = self.span(d);
            let rot = self.dom.rotation(d);
            let n = self.count_span(rot, lo, hi);
            if offset < n {
                let first = self.index.nth(self.index.before(rot + lo) + offset).map_or(hi, |v| v - rot);
                return Legs { w: self, day: d, last, rot, idx: first, hi };
            }
            offset -= n;
        }
        Legs { w: self, day: 1, last: 0, rot: 0, idx: 0, hi: 0 }
    }
}

/// Lazy iteration over a window's records.
#[derive(Debug)]
pub(crate) struct Legs {
    w: Window,
    day: i64,
    last: i64,
    rot: u64,
    idx: u64,
    hi: u64,
}

impl Iterator for Legs {
    type Item = Leg;

    fn next(&mut self) -> Option<Leg> {
        loop {
            if self.idx < self.hi {
                let next = self.w.index.nth(self.w.index.before(self.rot + self.idx))?;
                let i = next - self.rot;
                if i < self.hi {
                    self.idx = i + 1;
                    let slot = PATTERN[(next % PERIOD) as usize];
                    return Some(gen::leg(&self.w.dom, self.day, i as u32, slot));
                }
                self.idx = self.hi;
            }
            if self.day >= self.last {
                return None;
            }
            self.day += 1;
            let (lo, hi) = self.w.span(self.day);
            self.rot = self.w.dom.rotation(self.day);
            (self.idx, self.hi) = (lo, hi);
        }
    }
}
